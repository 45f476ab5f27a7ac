//! Automatic mode from the window, against the real provider, OpenSSH sshd
//! and Secret Service: set the account up, trust the server once (Test
//! connection), turn automatic mode on and consent to the terms; the app's
//! own pass then downloads and verifies the ready backup by itself, the
//! window says what the last pass did, and Pause/Resume hold.

use std::time::Duration;

use test_support::webdriver::TauriDriver;

use super::world::{World, sha256_of};

const WAIT: Duration = Duration::from_secs(20);

#[test]
#[ignore = "needs the built app, tauri-driver and an X display: run by `make test`"]
fn automatic_mode_downloads_a_ready_backup_by_itself() {
    let app = super::app_binary();
    assert!(app.is_file(), "build the app first: {}", app.display());
    let world = World::start("en_US.UTF-8");
    let id = world.a_ready_backup();
    let published = world.published_sha256(&id);
    let driver = TauriDriver::start(&world.env).expect("start tauri-driver");
    let session = driver
        .session(&app)
        .expect("a WebDriver session on the app");
    let dir = test_support::artifacts_dir("e2e");
    let check = |step: &str, result: anyhow::Result<()>| {
        if let Err(e) = result {
            session.capture(&dir, &format!("auto-failed-{step}"));
            panic!("{step}: {e:#}");
        }
    };
    let click = |css: &str| check(css, session.click_on(css, WAIT));
    let fill = |css: &str, text: &str| check(css, session.fill(css, text, WAIT));
    let see = |css: &str, text: &str, within: Duration| {
        check(css, session.wait_for_text(css, text, within).map(drop))
    };

    // The account, its server, key and folder, and the server trusted once.
    check(
        "welcome",
        session
            .wait_for("[data-testid=welcome]", Duration::from_secs(30))
            .map(drop),
    );
    click("[data-testid=add-account]");
    fill("[data-testid=provider-url]", &world.base);
    fill("[data-testid=token]", &world.token);
    click("[data-testid=probe]");
    click("[data-testid=add-accounts]");
    check(
        "history",
        session
            .wait_for("[data-testid=automatic-line][data-state=off]", WAIT)
            .map(drop),
    );
    click("[data-testid=nav-settings]");
    fill("[data-testid=sftp-host]", "127.0.0.1");
    fill("[data-testid=sftp-port]", &world.sshd.port.to_string());
    fill("[data-testid=sftp-user]", &world.sshd.user);
    fill(
        "[data-testid=download-dir]",
        &world.downloads.display().to_string(),
    );
    click("[data-testid=save-settings]");
    check(
        "saved",
        session.wait_for("[data-testid=save-saved]", WAIT).map(drop),
    );
    fill(
        "[data-testid=key-path]",
        &world.key.private_path.display().to_string(),
    );
    click("[data-testid=import-key]");
    see("[data-testid=key-info]", &world.key.fingerprint, WAIT);
    click("[data-testid=test-connection]");
    click("[data-testid=trust-hostkey]");
    see("[data-testid=connection-result]", "Connected", WAIT);

    // Automatic mode on, and the explicit consent to this terms version.
    click("[data-testid=auto-enabled]");
    check(
        "auto saved",
        session.wait_for("[data-testid=auto-saved]", WAIT).map(drop),
    );
    click("[data-testid=auto-terms]");
    check(
        "consent",
        session
            .wait_for("[data-testid=consent-dialog]", WAIT)
            .map(drop),
    );
    let _ = session.screenshot(&dir.join("auto-01-consent.png"));
    click("[data-testid=consent-terms]");
    see(
        "[data-testid=auto-terms-version]",
        "Consented to version",
        WAIT,
    );

    // The app's own pass (woken by the change) downloads and verifies it.
    click("[data-testid=nav-backups]");
    check(
        "on",
        session
            .wait_for("[data-testid=automatic-line][data-state=on]", WAIT)
            .map(drop),
    );
    see(
        "[data-testid=last-pass]",
        "1 downloaded and verified",
        Duration::from_secs(90),
    );
    let _ = session.screenshot(&dir.join("auto-02-downloaded.png"));
    let files: Vec<_> = std::fs::read_dir(&world.downloads)
        .expect("the download folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    assert_eq!(files.len(), 1, "one verified archive: {files:?}");
    assert_eq!(sha256_of(&files[0]), published, "the published bytes");
    click("[data-testid=refresh]");
    check(
        "the row knows its copy",
        session
            .wait_for(
                &format!("[data-backup-id=\"{id}\"] [data-testid=show-in-folder]"),
                WAIT,
            )
            .map(drop),
    );

    // Pause and Resume hold; Check now runs a pass with nothing left to do.
    click("[data-testid=automatic-pause]");
    check(
        "paused",
        session
            .wait_for("[data-testid=automatic-line][data-state=paused]", WAIT)
            .map(drop),
    );
    click("[data-testid=automatic-resume]");
    check(
        "resumed",
        session
            .wait_for("[data-testid=automatic-line][data-state=on]", WAIT)
            .map(drop),
    );
    click("[data-testid=automatic-check-now]");
    see(
        "[data-testid=last-pass]",
        "nothing to do",
        Duration::from_secs(60),
    );
    let count = std::fs::read_dir(&world.downloads).expect("dir").count();
    assert_eq!(count, 1, "nothing downloaded twice");
}
