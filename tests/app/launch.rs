//! No account yet: the app opens on its welcome view, "Try the demo" runs
//! the built-in provider and SFTP server in-process with a key in the real
//! keychain, and the whole download works against them.

use std::time::Duration;

use test_support::keychain::SecretService;
use test_support::webdriver::TauriDriver;

const WAIT: Duration = Duration::from_secs(20);

#[test]
#[ignore = "needs the built app, tauri-driver and an X display: run by `make test`"]
fn try_the_demo_shows_every_status_and_downloads_a_verified_backup() {
    let app = super::app_binary();
    assert!(
        app.is_file(),
        "build the app first (make test does): {}",
        app.display()
    );
    let secrets = SecretService::start().expect("Secret Service");
    // The keychain's bus, then the app's own private home (which wins).
    let (home, home_env) = super::private_home();
    let mut env = secrets.env();
    env.extend(home_env);
    env.push(("LANG".into(), "en_US.UTF-8".into()));
    let driver = TauriDriver::start(&env).expect("start tauri-driver");
    let session = driver
        .session(&app)
        .expect("a WebDriver session on the app");
    let shots = test_support::artifacts_dir("e2e");
    let check = |step: &str, result: anyhow::Result<()>| {
        if let Err(e) = result {
            session.capture(&shots, &format!("demo-failed-{step}"));
            panic!("{step}: {e:#}");
        }
    };
    check(
        "heading",
        session
            .wait_for_text("h1", "Backup Desk", Duration::from_secs(30))
            .map(drop),
    );
    check(
        "try the demo",
        session.click_on("[data-testid=try-demo]", WAIT).map(drop),
    );
    for status in ["ready", "expired", "server_error"] {
        check(
            status,
            session
                .wait_for(&format!("[data-testid=badge][data-status={status}]"), WAIT)
                .map(drop),
        );
    }
    check("the request just made", session.wait_for("[data-testid=badge][data-status=awaiting_release], [data-testid=badge][data-status=in_progress]",
            WAIT,).map(drop));
    check(
        "a backup about to expire is flagged",
        session
            .wait_for("[data-testid=expires].expiring-soon", WAIT)
            .map(drop),
    );
    let _ = session.screenshot(&shots.join("demo-01-history.png"));
    let names = secrets
        .usernames("app.backupdesk.desktop")
        .expect("search the keychain");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("key:acct-") && n.ends_with("-1")),
        "the demo key's secret is in the OS keychain, under this data folder's names: {names:?}"
    );
    let data = home.path().join("data/app.backupdesk.desktop");
    assert!(data.join("demo-provider/provider.sqlite3").is_file());

    check(
        "download",
        session.click_on("[data-testid=download]", WAIT).map(drop),
    );
    check(
        "terms",
        session
            .click_on("[data-testid=accept-terms]", WAIT)
            .map(drop),
    );
    check(
        "host key",
        session
            .click_on("[data-testid=trust-hostkey]", WAIT)
            .map(drop),
    );
    let verified = session.wait_for_text(
        "[data-testid=verified]",
        "Verified",
        Duration::from_secs(60),
    );
    check(
        "verified",
        verified
            .as_ref()
            .map(drop)
            .map_err(|e| anyhow::anyhow!("{e:#}")),
    );
    let verified = verified.unwrap_or_default();
    let _ = session.screenshot(&shots.join("demo-02-verified.png"));
    // The visible default folder: ~/Backups/<account name>.
    let zips: Vec<_> = walk(&home.path().join("home/Backups"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    assert_eq!(zips.len(), 1, "one verified archive: {zips:?}");
    let sha = super::world::sha256_of(&zips[0]);
    assert!(
        verified.contains(&sha),
        "the row shows the file's SHA-256 {sha}: {verified}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The keychain locked between two launches: the window says so once, with
/// Try again, instead of an error loop (the backend does not ask the keychain
/// again until Try again, and the window stops polling).
#[test]
#[ignore = "needs the built app, tauri-driver and an X display: run by `make test`"]
fn a_locked_keychain_is_said_once_with_try_again() {
    let app = super::app_binary();
    assert!(app.is_file(), "build the app first: {}", app.display());
    let secrets = SecretService::start().expect("Secret Service");
    let (_home, home_env) = super::private_home();
    let mut env = secrets.env();
    env.extend(home_env);
    env.push(("LANG".into(), "en_US.UTF-8".into()));
    let driver = TauriDriver::start(&env).expect("start tauri-driver");
    let shots = test_support::artifacts_dir("e2e");
    {
        let session = driver
            .session(&app)
            .expect("a WebDriver session on the app");
        session
            .click_on("[data-testid=try-demo]", Duration::from_secs(30))
            .expect("try the demo");
        session
            .wait_for("[data-testid=badge][data-status=ready]", WAIT)
            .expect("the demo's history");
    }
    secrets.lock().expect("lock the keychain");
    let session = driver.session(&app).expect("relaunch");
    let banner = session.wait_for_text(
        "[data-testid=keychain-locked]",
        "Keychain locked",
        Duration::from_secs(30),
    );
    if banner.is_err() {
        session.capture(&shots, "keychain-locked-failed");
    }
    let banner = banner.expect("the window says the keychain is locked");
    assert!(banner.contains("Unlock it"), "{banner}");
    // Still locked: Try again asks once more and says the same, no error loop.
    session
        .click_on("[data-testid=keychain-retry]", WAIT)
        .expect("Try again");
    session
        .wait_for_text("[data-testid=keychain-locked]", "Keychain locked", WAIT)
        .expect("still locked, still said plainly");
    let _ = session.screenshot(&shots.join("keychain-locked.png"));
    assert!(
        session
            .wait_for("[data-testid=offline]", Duration::from_millis(500))
            .is_err(),
        "a locked keychain is not an offline provider"
    );
}
