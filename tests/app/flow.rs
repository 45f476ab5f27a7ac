//! The administrator's whole path through the real app: add an account, see
//! the history with its badges and the setup checklist, request a backup,
//! wait out the operator, then one click: the terms, the server set up inside
//! the download (prefilled from the provider), the server's key, a verified
//! archive on disk. Download again asks (replace keeps one file), a second
//! token for the same account asks before changing its role, Portuguese
//! labels and errors appear, a changed server key is refused, the history
//! fits at 900×600 and 1280×800 in both languages, light and dark, and a
//! relaunch paints the history from cold.

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

/// The current value of an input (the property, which the page binds).
fn value_of(session: &Session, css: &str) -> anyhow::Result<String> {
    let value = session.execute(
        "const el = document.querySelector(arguments[0]); return el ? el.value : null;",
        serde_json::json!([css]),
    )?;
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no input {css}"))
}

fn detail(id: &str, inner: &str) -> String {
    format!("[data-detail-of=\"{id}\"] {inner}")
}

fn zips(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("the download folder exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect()
}

/// What of the history does not fit: buttons or cells outside the table's
/// visible box, a page that scrolls sideways, a table wider than its frame,
/// a row taller than three lines (an error once made one 1,282 px tall).
const FITS: &str = r#"
const wrap = document.querySelector('.table-wrap');
const table = document.querySelector('[data-testid=backups]');
if (!wrap || !table) return { missing: true };
const box = wrap.getBoundingClientRect();
const outside = [];
for (const el of table.querySelectorAll('tr[data-backup-id] td, tr[data-backup-id] button, tr[data-detail-of] button')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0) continue;
  if (r.left < box.left - 1 || r.right > box.right + 1) outside.push((el.dataset.testid || el.tagName) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
}
const tall = [];
for (const tr of table.querySelectorAll('tr[data-backup-id]')) {
  const h = tr.getBoundingClientRect().height;
  if (h > 120) tall.push(tr.dataset.backupId + ' ' + Math.round(h));
}
return {
  missing: false,
  outside,
  tall,
  pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
  tableOverflow: Math.round(table.getBoundingClientRect().width - wrap.clientWidth),
  actions: table.querySelectorAll('tr[data-backup-id] td:last-child button').length,
  width: window.innerWidth,
};
"#;

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

    // Settings: the checklist says what is missing; only the folder is set
    // here (the server and key are asked for inside the first download).
    s.click("[data-testid=nav-settings]");
    s.check(
        "checklist",
        session.wait_for("[data-testid=check-server][data-done=false]", WAIT),
    );
    s.check(
        "key missing",
        session.wait_for("[data-testid=check-key][data-done=false]", WAIT),
    );
    let folder = world.downloads.display().to_string();
    s.fill("[data-testid=download-dir]", &folder);
    s.check("unsaved", session.wait_for("[data-testid=unsaved]", WAIT));
    s.done("settings-checklist-unsaved");
    s.click("[data-testid=save-settings]");
    s.check("saved", session.wait_for("[data-testid=save-saved]", WAIT));

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
    // No server or key yet: set up inside the download, prefilled from the
    // provider's delivery answer.
    s.check("setup", session.wait_for("[data-testid=setup-host]", WAIT));
    assert_eq!(
        s.check("setup host", value_of(&session, "[data-testid=setup-host]")),
        "127.0.0.1",
        "the host comes from the delivery answer"
    );
    assert_eq!(
        s.check("setup port", value_of(&session, "[data-testid=setup-port]")),
        world.sshd.port.to_string(),
        "the port comes from the delivery answer"
    );
    s.done("setup-prefilled");
    s.fill("[data-testid=setup-user]", &world.sshd.user);
    let key_path = world.key.private_path.display().to_string();
    s.fill("[data-testid=setup-key]", &key_path);
    s.click("[data-testid=setup-continue]");
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
            &detail(&id, "[data-testid=verified]"),
            &published,
            Duration::from_secs(60),
        ),
    );
    assert!(verified.contains(&published), "{verified}");
    s.check(
        "the row's one action",
        session.wait_for(&row(&id, "[data-testid=show-in-folder]"), WAIT),
    );
    s.done("verified");
    let files = zips(&world.downloads);
    assert_eq!(files.len(), 1, "one archive, no partial left: {files:?}");
    assert_eq!(
        sha256_of(&files[0]),
        published,
        "the file on disk is the published one"
    );

    // What is inside: every object the provider wrote, with its records.
    let manifest = world
        .store()
        .manifest(&id)
        .expect("the provider's manifest")
        .expect("a ready backup has one");
    s.check(
        "contents",
        session.wait_for(
            &detail(&id, "[data-testid=backup-contents][data-archive=intact]"),
            WAIT,
        ),
    );
    for written in &manifest {
        let shown = s.check(
            &written.object,
            session.wait_for_text(
                &detail(
                    &id,
                    &format!(
                        "[data-testid=contents-row][data-object={}] [data-testid=contents-rows]",
                        written.object
                    ),
                ),
                &written.rows.to_string(),
                WAIT,
            ),
        );
        let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(
            digits,
            written.rows.to_string(),
            "{}: the records shown are the ones the provider wrote",
            written.object
        );
    }
    s.check(
        "contents in view",
        session.execute(
            "document.querySelector('[data-testid=backup-contents]').scrollIntoView({block: 'center'}); return true;",
            serde_json::json!([]),
        ),
    );
    s.done("contents");

    // Health: this account has a fresh verified copy.
    s.click("[data-testid=nav-health]");
    s.check(
        "health view",
        session.wait_for("[data-testid=health-view]", WAIT),
    );
    let healthy = s.check(
        "health row",
        session.wait_for_text(
            "[data-testid=health-row][data-level=green] [data-testid=health-copy-path]",
            ".zip",
            WAIT,
        ),
    );
    assert!(
        healthy.contains(&world.downloads.display().to_string()),
        "says where the last verified copy is: {healthy}"
    );
    s.done("health");

    // The checklist is complete now: server, key, folder, tested.
    s.click("[data-testid=nav-settings]");
    for step in ["server", "key", "folder", "test"] {
        s.check(
            step,
            session.wait_for(&format!("[data-testid=check-{step}][data-done=true]"), WAIT),
        );
    }
    s.click("[data-testid=nav-backups]");

    // Download again asks: Cancel does nothing; Replace leaves one verified file.
    s.click(&detail(&id, "[data-testid=download-again]"));
    s.check(
        "existing",
        session.wait_for("[data-testid=existing-dialog]", WAIT),
    );
    s.done("download-again-asks");
    s.click("[data-testid=existing-cancel]");
    s.click(&detail(&id, "[data-testid=download-again]"));
    s.click("[data-testid=existing-replace]");
    s.check(
        "replaced",
        session.wait_for_text(
            &detail(&id, "[data-testid=verified]"),
            &published,
            Duration::from_secs(60),
        ),
    );
    let files = zips(&world.downloads);
    assert_eq!(files.len(), 1, "replace keeps one copy: {files:?}");
    assert_eq!(sha256_of(&files[0]), published);

    // A second token for the same account: what changes is said, and asked.
    s.click("[data-testid=nav-add-account]");
    s.fill("[data-testid=provider-url]", &world.base);
    s.fill("[data-testid=token]", &world.viewer_token);
    s.click("[data-testid=probe]");
    let note = s.check(
        "existing account",
        session.wait_for_text(&format!("[data-testid=existing-{ACCOUNT}]"), "Owner", WAIT),
    );
    assert!(
        note.contains("Owner → Viewer")
            && note.contains("Olivia Owner")
            && note.contains("Bruno Viewer"),
        "{note}"
    );
    s.click("[data-testid=add-accounts]");
    s.check(
        "confirm",
        session.wait_for("[data-testid=confirm-replace]", WAIT),
    );
    s.done("account-replace-asks");
    s.click("[data-testid=cancel-replace]");
    s.click("[data-testid=nav-backups]");
    s.check(
        "still owner",
        // Shown in capitals by the style sheet.
        session.wait_for_text("[data-testid=role]", "OWNER", WAIT),
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

    // The trusted server comes back with other keys on the same address
    // (reinstalled, or an impostor): the pin refuses it, nothing is offered
    // to trust, and the error reads in Portuguese.
    world.sshd.replace_host_keys().expect("new host keys");
    s.click(&detail(&id, "[data-testid=download-again]"));
    s.click("[data-testid=existing-replace]");
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
    let title = s.check(
        "pt error",
        session.wait_for_text(
            &detail(&id, "[data-testid=error-title]"),
            "A identidade do servidor mudou",
            WAIT,
        ),
    );
    let help = s.check(
        "pt help",
        session.wait_for_text(&detail(&id, "[data-testid=error-message]"), "", WAIT),
    );
    assert!(help.contains("Nada foi baixado"), "{title}: {help}");
    let files = zips(&world.downloads);
    assert_eq!(
        files.len(),
        1,
        "nothing was written from the changed server: {files:?}"
    );
    assert_eq!(
        sha256_of(&files[0]),
        published,
        "the verified copy is untouched"
    );

    // The history fits at 900×600 and 1280×800, in both languages, light and
    // dark (screenshots for a person; the check for the build).
    let mut looks = Vec::new();
    for (lang, theme) in [
        ("pt-BR", "light"),
        ("pt-BR", "dark"),
        ("en", "dark"),
        ("en", "light"),
    ] {
        s.click("[data-testid=nav-settings]");
        s.click(&format!("[data-testid=language] option[value={lang}]"));
        s.click(&format!("[data-testid=theme] option[value={theme}]"));
        s.check(
            "theme applied",
            session.wait_for(&format!("html[data-theme={theme}]"), WAIT),
        );
        s.click("[data-testid=nav-backups]");
        s.check(
            "history",
            session.wait_for(&detail(&id, "[data-testid=error]"), WAIT),
        );
        for (w, h) in [(900, 600), (1280, 800)] {
            let (iw, ih) = s.check("resize", session.set_window_size(w, h));
            assert!(
                iw.abs_diff(w) <= 40 && ih.abs_diff(h) <= 80,
                "the window took the size asked for ({w}×{h}): {iw}×{ih}"
            );
            std::thread::sleep(Duration::from_millis(300));
            let shot = s.dir.join(format!("layout-{w}x{h}-{lang}-{theme}.png"));
            let _ = session.screenshot(&shot);
            let fit = s.check("fit", session.execute(FITS, serde_json::json!([])));
            assert_eq!(fit["missing"], false, "{fit}");
            assert_eq!(
                fit["outside"],
                serde_json::json!([]),
                "{w}×{h} {lang}: {fit}"
            );
            assert_eq!(fit["tall"], serde_json::json!([]), "{w}×{h} {lang}: {fit}");
            assert!(
                fit["pageOverflow"].as_i64().unwrap_or(1) <= 0,
                "{w}×{h} {lang}: {fit}"
            );
            assert!(
                fit["tableOverflow"].as_i64().unwrap_or(1) <= 1,
                "{w}×{h} {lang}: {fit}"
            );
            assert!(fit["actions"].as_u64().unwrap_or(0) >= 1, "{fit}");
            looks.push(format!("{w}x{h} {lang} {theme}"));
        }
    }
    println!("history fits: {}", looks.join(", "));

    // 39 days later at the provider (cooldown 28 + window 10 passed): the
    // last verified copy is too old, and the Health view says so in red.
    backup_provider::clock::advance(&world.store(), chrono::TimeDelta::days(39))
        .expect("move the provider's clock");
    s.click("[data-testid=nav-health]");
    s.click("[data-testid=health-refresh]");
    let red = s.check(
        "red",
        session.wait_for_text(
            "[data-testid=health-row][data-level=red] [data-testid=health-reason][data-kind=copy_too_old]",
            "39",
            WAIT,
        ),
    );
    assert!(red.contains("38"), "the limit is said too: {red}");
    s.done("health-red");
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
