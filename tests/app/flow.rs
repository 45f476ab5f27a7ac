//! The administrator's whole path through the real app: add an account,
//! import a .pem key, see the history with its badges, request a backup,
//! wait out the operator, accept the terms and the server's key, and end
//! with a verified archive on disk. Then a changed server key is refused,
//! Portuguese labels appear, and a relaunch paints the history from cold.

use std::time::{Duration, Instant};

use test_support::webdriver::{Session, TauriDriver};

use super::world::{ACCOUNT, World, sha256_of};

const WAIT: Duration = Duration::from_secs(20);

/// Saves a screenshot per step (an artifact of the run) and fails with one.
struct Steps<'a> {
    session: &'a Session,
    dir: std::path::PathBuf,
    n: usize,
}

impl Steps<'_> {
    fn done(&mut self, name: &str) {
        self.n += 1;
        let _ = self
            .session
            .screenshot(&self.dir.join(format!("flow-{:02}-{name}.png", self.n)));
    }

    /// Waits for `css` and clicks it.
    fn click(&self, css: &str) {
        self.check(css, self.session.click_on(css, WAIT));
    }

    /// Waits for the input `css` and replaces its value with `text`.
    fn fill(&self, css: &str, text: &str) {
        self.check(css, self.session.fill(css, text, WAIT));
    }

    fn check<T>(&self, name: &str, result: anyhow::Result<T>) -> T {
        result.unwrap_or_else(|e| {
            let file: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            self.session
                .capture(&self.dir, &format!("flow-failed-{file}"));
            panic!("{name}: {e:#}")
        })
    }
}

/// The page's markup and the value of every input: where a secret could linger.
fn page_text(session: &Session) -> anyhow::Result<String> {
    let value = session.execute(
        "return document.documentElement.outerHTML + '\\n' + \
         Array.from(document.querySelectorAll('input, textarea')).map(i => i.value).join('\\n');",
        serde_json::json!([]),
    )?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

fn row(id: &str, inner: &str) -> String {
    format!("[data-backup-id=\"{id}\"] {inner}")
}

#[test]
#[ignore = "needs the built app, tauri-driver and an X display: run by `make test`"]
fn an_administrator_requests_follows_and_downloads_a_verified_backup() {
    let app = super::app_binary();
    assert!(
        app.is_file(),
        "build the app first (make test does): {}",
        app.display()
    );
    let mut world = World::start("en_US.UTF-8");
    let driver = TauriDriver::start(&world.env).expect("start tauri-driver");
    let session = driver
        .session(&app)
        .expect("a WebDriver session on the app");
    let mut s = Steps {
        session: &session,
        dir: test_support::artifacts_dir("e2e"),
        n: 0,
    };

    // No account yet: the welcome view; add one with a token.
    s.check(
        "welcome",
        session.wait_for("[data-testid=welcome]", Duration::from_secs(30)),
    );
    s.done("welcome");
    s.click("[data-testid=add-account]");
    s.fill("[data-testid=provider-url]", &world.base);
    s.fill("[data-testid=token]", &world.token);
    let typed = s.check("page while typing", page_text(&session));
    assert!(
        typed.contains(&world.token),
        "the page probe sees input values"
    );
    s.click("[data-testid=probe]");
    s.check(
        "pick",
        session.wait_for(&format!("[data-testid=pick-account-{ACCOUNT}]"), WAIT),
    );
    s.done("token-opens-acme");
    s.click("[data-testid=add-accounts]");
    let page = s.check("page after adding", page_text(&session));
    assert!(
        !page.contains(&world.token),
        "the token is not kept in the page (markup or any input) once the account is added"
    );

    // The history with its badges, including a status this app does not know.
    s.check("history", session.wait_for("[data-testid=backups]", WAIT));
    let badge = |status: &str| {
        session.wait_for_text(
            &format!("[data-testid=badge][data-status={status}]"),
            "",
            WAIT,
        )
    };
    assert!(
        s.check("expired badge", badge("expired"))
            .contains("Expired")
    );
    assert!(
        s.check("error badge", badge("server_error"))
            .contains("Server error")
    );
    let invalid = s.check("invalid badge", badge("invalid"));
    assert!(
        invalid.contains("Invalid value") && invalid.contains("archived_cold"),
        "{invalid}"
    );
    s.done("history-badges");

    // Settings: the SFTP server, a download folder, the .pem key.
    s.click("[data-testid=nav-settings]");
    s.fill("[data-testid=sftp-host]", "127.0.0.1");
    s.fill("[data-testid=sftp-port]", &world.sshd.port.to_string());
    s.fill("[data-testid=sftp-user]", &world.sshd.user);
    s.click("[data-testid=save-connection]");
    let folder = world.downloads.display().to_string();
    s.fill("[data-testid=download-dir]", &folder);
    s.click("[data-testid=save-preferences]");
    let key_path = world.key.private_path.display().to_string();
    s.fill("[data-testid=key-path]", &key_path);
    s.click("[data-testid=import-key]");
    let key_info = s.check(
        "key info",
        session.wait_for_text("[data-testid=key-info]", &world.key.fingerprint, WAIT),
    );
    assert!(key_info.contains("RSA"), "{key_info}");
    assert!(
        !session.source().unwrap_or_default().contains("PRIVATE KEY"),
        "the key never reaches the page"
    );
    s.done("settings-key-imported");

    // Request a backup, confirmed; then the button waits.
    s.click("[data-testid=nav-backups]");
    s.check(
        "request enabled",
        session.wait_enabled("[data-testid=request]", true, WAIT),
    );
    s.click("[data-testid=request]");
    s.check(
        "dialog",
        session.wait_for("[data-testid=request-dialog]", WAIT),
    );
    s.done("request-confirmation");
    s.click("[data-testid=confirm-request]");
    s.check(
        "awaiting",
        session.wait_for("[data-testid=badge][data-status=awaiting_release]", WAIT),
    );
    s.check(
        "request disabled",
        session.wait_enabled("[data-testid=request]", false, WAIT),
    );
    s.done("requested");

    // The provider's operator releases and completes it; the app sees it ready.
    let id = world.operator_completes();
    s.click("[data-testid=refresh]");
    s.check(
        "ready",
        session.wait_for(&row(&id, "[data-testid=badge][data-status=ready]"), WAIT),
    );
    let reason = s.check(
        "cooldown reason",
        session.wait_for_text("[data-testid=request-reason]", "next backup", WAIT),
    );
    let next = world.next_allowed_at();
    let date = next.format("%B %-d, %Y").to_string();
    assert!(
        reason.contains(&date),
        "the exact date the next request is allowed ({date}, the app runs in UTC here): {reason}"
    );
    s.check(
        "still disabled",
        session.wait_enabled("[data-testid=request]", false, WAIT),
    );
    s.done("ready-cooldown");

    // One click: the terms, the server's key, progress, verified.
    s.click(&row(&id, "[data-testid=download]"));
    s.check("terms", session.wait_for("[data-testid=terms-text]", WAIT));
    s.done("terms");
    s.click("[data-testid=accept-terms]");
    let shown = s.check(
        "host key",
        session.wait_for_text("[data-testid=hostkey-fingerprint]", "SHA256:", WAIT),
    );
    assert!(
        world
            .sshd
            .host_key_fingerprints
            .iter()
            .any(|f| shown.contains(f.as_str())),
        "the dialog shows the server's real fingerprint: {shown}"
    );
    s.done("host-key");
    s.click("[data-testid=trust-hostkey]");
    let published = world.published_sha256(&id);
    let verified = s.check(
        "verified",
        session.wait_for_text(
            &row(&id, "[data-testid=verified]"),
            &published,
            Duration::from_secs(60),
        ),
    );
    assert!(verified.contains(&published), "{verified}");
    s.done("verified");
    let files: Vec<_> = std::fs::read_dir(&world.downloads)
        .expect("the download folder exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    assert_eq!(files.len(), 1, "one archive, no partial left: {files:?}");
    assert_eq!(
        sha256_of(&files[0]),
        published,
        "the file on disk is the published one"
    );

    // The trusted server comes back with other keys on the same address
    // (reinstalled, or an impostor): the pin refuses it, nothing is offered to trust.
    world.sshd.replace_host_keys().expect("new host keys");
    s.click(&row(&id, "[data-testid=download]"));
    s.check(
        "changed",
        session.wait_for("[data-testid=hostkey-changed]", WAIT),
    );
    assert!(
        session
            .wait_for("[data-testid=trust-hostkey]", Duration::from_millis(300))
            .is_err(),
        "a changed key offers no way to trust it"
    );
    s.done("host-key-changed");
    s.click("[data-testid=close-hostkey-changed]");
    assert_eq!(
        std::fs::read_dir(&world.downloads).expect("dir").count(),
        1,
        "nothing was written from the changed server"
    );

    // Portuguese.
    s.click("[data-testid=nav-settings]");
    s.click("[data-testid=language] option[value=pt-BR]");
    s.check(
        "pt nav",
        session.wait_for_text("[data-testid=nav-settings]", "Configurações", WAIT),
    );
    s.click("[data-testid=nav-backups]");
    s.check(
        "pt ready",
        session.wait_for_text(&row(&id, "[data-testid=badge]"), "Pronto", WAIT),
    );
    s.check(
        "pt request",
        session.wait_for_text("[data-testid=request]", "Solicitar backup", WAIT),
    );
    s.check(
        "pt invalid",
        session.wait_for_text(
            "[data-testid=badge][data-status=invalid]",
            "Valor inválido",
            WAIT,
        ),
    );
    s.done("portugues");
    let shots = s.dir.clone();
    drop(s);

    // A relaunch: from process start to the first painted history.
    drop(session);
    let launched = Instant::now();
    let again = driver.session(&app).expect("relaunch");
    again
        .wait_for(
            "[data-testid=backups] [data-backup-id]",
            Duration::from_secs(30),
        )
        .expect("the history paints on relaunch");
    let painted = launched.elapsed();
    let _ = again.screenshot(&shots.join("flow-99-relaunch.png"));
    let size = std::fs::metadata(&app).map(|m| m.len()).unwrap_or(0);
    println!(
        "launch to first painted history: {:.2} s (target ≤ 1.5 s)",
        painted.as_secs_f64()
    );
    println!(
        "app binary size: {:.1} MB (target ≤ 15 MB): {}",
        size as f64 / 1_000_000.0,
        app.display()
    );
}
