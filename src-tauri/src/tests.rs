//! The shell on Tauri's mock runtime: the real setup, the real command
//! handler and IPC serialization, a memory keychain, the demo provider
//! in-process.

use std::sync::Arc;

use backup_keychain::MemoryBackend;
use serde_json::{Value, json};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow};

struct Harness {
    _dir: tempfile::TempDir,
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let app = crate::build_app(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("the app builds on the mock runtime");
    // What `run`'s setup does, with a memory keychain.
    crate::install_shell(
        &app,
        data,
        Arc::new(MemoryBackend::default()),
        crate::Launch::default(),
    )
    .expect("the shell opens its state");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("main window");
    Harness {
        _dir: dir,
        _app: app,
        window,
    }
}

impl Harness {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|r| r.deserialize::<Value>().expect("json"))
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        match self.invoke(cmd, args) {
            Ok(v) => panic!("{cmd} should fail, answered {v}"),
            Err(e) => e,
        }
    }
}

/// The id of a ready backup in the demo account `id`'s history.
fn ready_backup(h: &Harness, id: &Value) -> Value {
    let history = h.ok("backups", json!({"account": id}));
    history["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|b| b["status"] == "ready")
        .expect("a ready backup")["id"]
        .clone()
}

#[test]
fn setup_installs_the_shell_and_app_info_answers() {
    let h = harness();
    let info = h.ok("app_info", json!({}));
    assert_eq!(info["name"], "Backup Desk");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["language"], "system");
    assert!(info["os_locale"].as_str().is_some_and(|l| !l.is_empty()));
    let accounts = h.ok("accounts", json!({}));
    assert_eq!(accounts["accounts"], json!([]));
    assert_eq!(
        accounts["current"],
        Value::Null,
        "no account: the window offers the demo"
    );
}

#[test]
fn errors_reach_the_window_as_code_and_message() {
    let h = harness();
    let bad = h.err("language_set", json!({"language": "klingon"}));
    assert_eq!(bad["code"], "invalid_input");
    assert!(
        bad["message"].as_str().is_some_and(|m| m.contains("pt-BR")),
        "{bad}"
    );
    h.ok("language_set", json!({"language": "pt-BR"}));
    assert_eq!(h.ok("app_info", json!({}))["language"], "pt-BR");
    let missing = h.err("settings", json!({"account": 42}));
    assert_eq!(missing["code"], "not_found");
    let bad_url = h.err(
        "account_probe",
        json!({"providerUrl": "http://provider.example.com", "token": "t"}),
    );
    assert_eq!(
        bad_url["code"], "invalid_input",
        "plain http off loopback: {bad_url}"
    );
    let no_token = h.err(
        "account_probe",
        json!({"providerUrl": "https://provider.example.com", "token": "  "}),
    );
    assert_eq!(no_token["code"], "invalid_input");
}

#[test]
fn the_demo_account_lists_its_history_settings_and_terms_without_secrets() {
    let h = harness();
    let accounts = h.ok("demo_start", json!({}));
    let demo = &accounts["accounts"][0];
    assert_eq!(demo["is_demo"], true);
    assert_eq!(demo["role"], "owner");
    assert_eq!(accounts["current"], demo["id"]);
    let id = demo["id"].clone();
    let history = h.ok("backups", json!({"account": id}));
    let statuses: Vec<&str> = history["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|b| b["status"].as_str())
        .collect();
    assert!(statuses.contains(&"ready"), "{statuses:?}");
    assert!(statuses.contains(&"expired"), "{statuses:?}");
    assert!(statuses.contains(&"server_error"), "{statuses:?}");
    let ready = history["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|b| b["status"] == "ready")
        .expect("a ready backup");
    assert!(ready["sha256"].as_str().is_some_and(|s| s.len() == 64));
    let terms = h.ok("terms", json!({"account": id, "backupId": ready["id"]}));
    assert_eq!(terms["accepted"], false);
    assert!(terms["text"].as_str().is_some_and(|t| !t.is_empty()));
    let settings = h.ok("settings", json!({"account": id}));
    assert_eq!(settings["connection"]["host"], "127.0.0.1");
    assert_eq!(settings["key"]["key_type"], "Ed25519");
    let everything = format!("{accounts}{history}{settings}");
    assert!(
        !everything.contains("PRIVATE KEY"),
        "no key reaches the window"
    );
    assert!(!everything.contains("bdp_"), "no token reaches the window");
    let gone = h.err(
        "download_cancel",
        json!({"account": id, "backupId": "nope"}),
    );
    assert_eq!(gone["code"], "not_found");
    let forged = h.err(
        "host_key_trust",
        json!({"account": id, "fingerprint": "SHA256:x"}),
    );
    assert_eq!(
        forged["code"], "invalid_input",
        "only a presented key can be trusted"
    );
    let declined = h.err(
        "host_key_decline",
        json!({"account": id, "fingerprint": "SHA256:x"}),
    );
    assert_eq!(
        declined["code"], "invalid_input",
        "only a presented key can be declined"
    );
}

#[test]
fn settings_validate_before_saving() {
    let h = harness();
    let id = h.ok("demo_start", json!({}))["current"].clone();
    let bad_host = h.err(
        "connection_save",
        json!({"account": id, "connection": {"host": "me@host", "port": 22, "username": "u"}}),
    );
    assert_eq!(bad_host["code"], "invalid_input");
    let no_user = h.err(
        "connection_save",
        json!({"account": id, "connection": {"host": "h", "port": 22, "username": " "}}),
    );
    assert_eq!(no_user["code"], "invalid_input");
    let saved = h.ok(
        "connection_save",
        json!({"account": id, "connection": {"host": "sftp.example.com", "port": 2222, "username": "acme"}}),
    );
    assert_eq!(saved["connection"]["port"], 2222);
    let relative = h.err(
        "preferences_save",
        json!({"account": id, "downloadDir": "relative/dir", "streams": 4}),
    );
    assert_eq!(relative["code"], "invalid_input");
    let too_many = h.err(
        "preferences_save",
        json!({"account": id, "downloadDir": "/tmp", "streams": 40}),
    );
    assert_eq!(too_many["code"], "invalid_input");
    let empty = tempfile::NamedTempFile::new().expect("file");
    let bad_key = h.err(
        "key_import",
        json!({"account": id, "path": empty.path(), "passphrase": null}),
    );
    assert_eq!(bad_key["code"], "key_invalid", "{bad_key}");
    let removed = h.ok("key_remove", json!({"account": id}));
    assert_eq!(removed["key"], Value::Null);
    let after = h.ok("account_remove", json!({"id": id}));
    assert_eq!(after["accounts"], json!([]));
}

#[test]
fn the_demo_can_be_removed_and_tried_again() {
    let h = harness();
    let first = h.ok("demo_start", json!({}))["current"].clone();
    h.ok("account_remove", json!({"id": first}));
    let again = h.ok("demo_start", json!({}));
    let id = again["current"].clone();
    assert_ne!(id, first, "a new local account");
    let history = h.ok("backups", json!({"account": id}));
    assert!(
        history["backups"].as_array().is_some_and(|b| !b.is_empty()),
        "the new demo account has its token and history: {history}"
    );
    let settings = h.ok("settings", json!({"account": id}));
    assert_eq!(settings["key"]["key_type"], "Ed25519", "and its own key");
}

#[test]
fn a_download_without_the_terms_or_a_test_without_a_key_says_what_is_missing() {
    let h = harness();
    let id = h.ok("demo_start", json!({}))["current"].clone();
    let ready = ready_backup(&h, &id);
    let refused = h.err(
        "download",
        json!({"account": id, "backupId": ready, "existing": "ask", "onProgress": "__CHANNEL__:1"}),
    );
    assert_eq!(refused["code"], "terms_required", "{refused}");
    let after = h.err("download_cancel", json!({"account": id, "backupId": ready}));
    assert_eq!(
        after["code"], "not_found",
        "the refused download is not left running"
    );
    h.ok("key_remove", json!({"account": id}));
    let no_key = h.err("connection_test", json!({"account": id}));
    assert_eq!(no_key["code"], "key_missing", "{no_key}");
}

#[test]
fn the_connection_test_refuses_a_server_key_the_provider_does_not_publish() {
    let h = harness();
    let id = h.ok("demo_start", json!({}))["current"].clone();
    let ready = ready_backup(&h, &id);
    let terms = h.ok("terms", json!({"account": id, "backupId": ready}));
    h.ok(
        "terms_accept",
        json!({"account": id, "backupId": ready, "version": terms["version"]}),
    );
    // A real OpenSSH server that is not the one the demo provider publishes.
    let key = test_support::sshd::ClientKey::generate(test_support::sshd::KeyKind::Ed25519, None)
        .expect("key");
    let other = test_support::sshd::SshServer::start(&[&key]).expect("sshd");
    h.ok(
        "connection_save",
        json!({"account": id, "connection": {"host": "127.0.0.1", "port": other.port, "username": other.user}}),
    );
    let refused = h.err("connection_test", json!({"account": id}));
    assert_eq!(
        refused["code"], "host_key_changed",
        "an unpublished key is refused, never offered to trust: {refused}"
    );
    assert_eq!(refused["fingerprint"], other.host_key_fingerprints[0]);
    let settings = h.ok("settings", json!({"account": id}));
    assert_eq!(
        settings["trusted_host_key"],
        Value::Null,
        "nothing was pinned"
    );
}

#[test]
fn a_download_must_say_what_to_do_with_an_existing_copy() {
    let h = harness();
    let id = h.ok("demo_start", json!({}))["current"].clone();
    let ready = ready_backup(&h, &id);
    let missing = h.err(
        "download",
        json!({"account": id, "backupId": ready, "onProgress": "__CHANNEL__:1"}),
    );
    assert_ne!(
        missing["code"], "terms_required",
        "without `existing` the call is refused before anything runs: {missing}"
    );
    let unknown = h.err(
        "download",
        json!({"account": id, "backupId": ready, "existing": "overwrite", "onProgress": "__CHANNEL__:1"}),
    );
    assert_ne!(unknown["code"], "terms_required", "{unknown}");
}

#[test]
fn the_download_folder_is_visible_by_default_and_nothing_is_checked_yet() {
    let h = harness();
    let id = h.ok("demo_start", json!({}))["current"].clone();
    let settings = h.ok("settings", json!({"account": id}));
    assert_eq!(settings["download_dir_is_default"], true, "{settings}");
    assert!(
        settings["download_dir"]
            .as_str()
            .is_some_and(|d| d.contains("Backups")),
        "{settings}"
    );
    assert_eq!(settings["checked_at"], Value::Null, "never tested yet");
    let chosen = tempfile::tempdir().expect("folder");
    let saved = h.ok(
        "preferences_save",
        json!({"account": id, "downloadDir": chosen.path(), "streams": 4}),
    );
    assert_eq!(saved["download_dir_is_default"], false);
}

#[test]
fn a_download_folder_that_cannot_be_created_is_a_disk_error_with_its_path() {
    let h = harness();
    let id = h.ok("demo_start", json!({}))["current"].clone();
    let parent = tempfile::tempdir().expect("folder");
    let dir = parent.path().join("archives");
    h.ok(
        "preferences_save",
        json!({"account": id, "downloadDir": dir, "streams": 4}),
    );
    // The folder is gone and a file took its name: it cannot be created.
    std::fs::remove_dir(&dir).expect("remove the folder");
    std::fs::write(&dir, b"a file").expect("a file in its place");
    let refused = h.err("folder_open", json!({"account": id}));
    assert_eq!(refused["code"], "disk", "{refused}");
    assert_eq!(refused["path"], dir.display().to_string());
}

#[test]
fn keychain_retry_answers_and_closing_with_nothing_running_quits_at_once() {
    let h = harness();
    h.ok("keychain_retry", json!({}));
    let desk = h._app.state::<backup_workflows::Desk>();
    assert!(
        crate::quit::quit_question(&desk).is_none(),
        "no download runs: closing quits as before"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let left = runtime.block_on(crate::quit::stop_deliveries(
        &desk,
        std::time::Duration::from_secs(3),
    ));
    assert_eq!(left, 0);
    assert!(
        crate::quit::quit_question(&desk).is_none(),
        "a confirmed quit is not asked again"
    );
}

/// The demo account with its archives going to `folder`.
fn demo_downloading_to(h: &Harness, folder: &std::path::Path) -> Value {
    let id = h.ok("demo_start", json!({}))["current"].clone();
    h.ok(
        "preferences_save",
        json!({"account": id, "downloadDir": folder, "streams": 2}),
    );
    id
}

fn automatic_input(keep: u64, version: Value) -> Value {
    json!({
        "enabled": true,
        "request_when_allowed": false,
        "download_when_ready": true,
        "keep": keep,
        "accept_terms_version": version,
    })
}

#[test]
fn automatic_settings_are_validated_saved_and_paused_through_the_commands() {
    let h = harness();
    let folder = tempfile::tempdir().expect("folder");
    let id = demo_downloading_to(&h, folder.path());
    let before = h.ok("automatic_status", json!({}));
    assert_eq!(before["paused"], false);
    assert_eq!(before["running"], false);
    assert_eq!(
        before["next_check_at"],
        Value::Null,
        "no account on: no next check"
    );
    assert_eq!(before["accounts"][0]["enabled"], false);
    assert_eq!(before["accounts"][0]["last_pass"], Value::Null);
    for keep in [0, 101] {
        let refused = h.err(
            "automatic_save",
            json!({"account": id, "settings": automatic_input(keep, Value::Null)}),
        );
        assert_eq!(refused["code"], "invalid_input", "{refused}");
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("between 1 and 100")),
            "says what is allowed: {refused}"
        );
    }
    let missing = h.err(
        "automatic_save",
        json!({"account": 4242, "settings": automatic_input(3, Value::Null)}),
    );
    assert_eq!(missing["code"], "not_found");
    let terms = h.ok("automatic_terms", json!({"account": id}));
    assert!(
        terms["version"].as_str().is_some_and(|v| !v.is_empty()),
        "the demo has backups, so its terms can be read: {terms}"
    );
    let saved = h.ok(
        "automatic_save",
        json!({"account": id, "settings": automatic_input(2, terms["version"].clone())}),
    );
    let account = &saved["accounts"][0];
    assert_eq!(account["enabled"], true);
    assert_eq!(account["keep"], 2);
    assert_eq!(account["accepted_terms_version"], terms["version"]);
    assert!(saved["next_check_at"].is_string(), "{saved}");
    let paused = h.ok("automatic_pause", json!({"paused": true}));
    assert_eq!(paused["paused"], true);
    assert_eq!(paused["next_check_at"], Value::Null);
    let resumed = h.ok("automatic_pause", json!({"paused": false}));
    assert_eq!(resumed["paused"], false);
    h.ok("automatic_run_now", json!({}));
    let no_plugin = h.err("autostart_get", json!({}));
    assert_eq!(
        no_plugin["code"], "failed",
        "without the autostart plugin the window is told, not crashed: {no_plugin}"
    );
    let no_plugin = h.err("autostart_set", json!({"enabled": true}));
    assert_eq!(no_plugin["code"], "failed");
}

#[test]
fn the_timer_skips_while_backup_desk_auto_holds_the_lock_then_runs_and_reports() {
    let h = harness();
    let folder = tempfile::tempdir().expect("folder");
    let id = demo_downloading_to(&h, folder.path());
    // On without consent to the terms: the pass stops at the terms.
    h.ok(
        "automatic_save",
        json!({"account": id, "settings": automatic_input(3, Value::Null)}),
    );
    let app = h._app.handle().clone();
    let desk = h._app.state::<backup_workflows::Desk>();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cli = desk.automatic_lock().expect("backup-desk auto's lock");
    assert!(
        matches!(
            runtime.block_on(crate::automatic::tick(&app)),
            Some(backup_workflows::Tick::Busy)
        ),
        "the app's pass waits for the CLI's"
    );
    assert_eq!(
        h.ok("automatic_status", json!({}))["accounts"][0]["last_pass"],
        Value::Null,
        "nothing ran"
    );
    drop(cli);
    h.ok("automatic_run_now", json!({}));
    assert!(matches!(
        runtime.block_on(crate::automatic::tick(&app)),
        Some(backup_workflows::Tick::Ran(_))
    ));
    let status = h.ok("automatic_status", json!({}));
    let last = &status["accounts"][0]["last_pass"];
    assert_eq!(
        last["error"]["code"], "terms_required",
        "terms are never accepted without consent: {status}"
    );
    assert!(last["at"].is_string());
    assert!(
        matches!(
            runtime.block_on(crate::automatic::tick(&app)),
            Some(backup_workflows::Tick::Idle)
        ),
        "nothing due right after a pass"
    );
}

#[test]
fn closing_hides_to_the_tray_only_with_automatic_mode_on_and_a_tray_shown() {
    use crate::quit::{CloseAction, close_action};
    let h = harness();
    let folder = tempfile::tempdir().expect("folder");
    let id = demo_downloading_to(&h, folder.path());
    let desk = h._app.state::<backup_workflows::Desk>();
    assert_eq!(
        close_action(&desk, true),
        CloseAction::Close,
        "nothing automatic: closing quits as before"
    );
    h.ok(
        "automatic_save",
        json!({"account": id, "settings": automatic_input(3, Value::Null)}),
    );
    assert_eq!(close_action(&desk, true), CloseAction::HideToTray);
    assert_eq!(
        close_action(&desk, false),
        CloseAction::Close,
        "no tray: the window is never hidden where nobody can find it"
    );
    assert!(
        !crate::tray::is_shown(h._app.handle()),
        "the mock runtime has no tray"
    );
}

/// Downloads the demo's ready backup into `folder`, answering the terms
/// and the host key as the window would; returns (account, backup id).
fn demo_downloaded(h: &Harness, folder: &std::path::Path) -> (Value, Value) {
    let id = demo_downloading_to(h, folder);
    let ready = ready_backup(h, &id);
    let terms = h.ok("terms", json!({"account": id, "backupId": ready}));
    h.ok(
        "terms_accept",
        json!({"account": id, "backupId": ready, "version": terms["version"]}),
    );
    let args =
        json!({"account": id, "backupId": ready, "existing": "ask", "onProgress": "__CHANNEL__:1"});
    if let Err(question) = h.invoke("download", args.clone()) {
        assert_eq!(question["code"], "unknown_host_key", "{question}");
        h.ok(
            "host_key_trust",
            json!({"account": id, "fingerprint": question["fingerprint"]}),
        );
        h.ok("download", args);
    }
    (id, ready)
}

#[test]
fn contents_health_and_the_audit_report_reach_the_window() {
    let h = harness();
    let folder = tempfile::tempdir().expect("folder");
    let (id, ready) = demo_downloaded(&h, folder.path());
    let contents = h.ok("backup_contents", json!({"account": id, "backupId": ready}));
    assert_eq!(contents["archive"], "intact", "{contents}");
    let objects = contents["objects"].as_array().expect("objects");
    assert!(
        objects
            .iter()
            .any(|o| o["object"] == "contacts" && o["rows"].as_u64().is_some_and(|r| r > 0)),
        "the detail lists each object with its records: {contents}"
    );
    let row = h.ok("backups", json!({"account": id}))["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|b| b["id"] == ready)
        .cloned()
        .expect("the row");
    assert_eq!(
        row["archive"], "intact",
        "the history knows the check: {row}"
    );
    let again = h.ok("backup_check", json!({"account": id, "backupId": ready}));
    assert_eq!(again["archive"], "intact");
    let never = h.err(
        "backup_contents",
        json!({"account": id, "backupId": "bk_none"}),
    );
    assert_eq!(never["code"], "not_found");

    let health = h.ok("health", json!({}));
    assert_eq!(health["accounts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        health["accounts"][0]["last_copy_backup_id"], ready,
        "the health view names the newest verified copy: {health}"
    );
    assert!(health["accounts"][0]["last_copy_path"].as_str().is_some());

    let bad = h.err(
        "preferences_save",
        json!({"account": id, "downloadDir": folder.path(), "streams": 2, "dropAlertPercent": 0}),
    );
    assert_eq!(
        bad["code"], "invalid_input",
        "a 0% alert threshold is refused"
    );
    let saved = h.ok(
        "preferences_save",
        json!({"account": id, "downloadDir": folder.path(), "streams": 2, "dropAlertPercent": 25}),
    );
    assert_eq!(saved["drop_alert_percent"], 25);

    // Around today (a run crossing midnight UTC stays inside).
    let day = |offset: i64| {
        (backup_workflows::Clock::now(&backup_workflows::SystemClock)
            + chrono::TimeDelta::days(offset))
        .format("%Y-%m-%d")
        .to_string()
    };
    let today = day(0);
    let out = folder.path().join("audit.csv");
    let path = h.ok(
        "report_save",
        json!({"from": day(-1), "to": day(1), "format": "csv", "path": out}),
    );
    assert_eq!(path.as_str(), out.to_str());
    let csv = std::fs::read_to_string(&out).expect("report");
    assert!(csv.starts_with("time_utc,"), "{csv}");
    assert!(
        csv.contains("archive_checked") && csv.contains(ready.as_str().unwrap_or("?")),
        "today's report holds the download and its check: {csv}"
    );
    let swapped = h.err(
        "report_save",
        json!({"from": today, "to": "2000-01-01", "format": "csv", "path": out}),
    );
    assert_eq!(swapped["code"], "invalid_input");
    let no_date = h.err(
        "report_save",
        json!({"from": "", "to": today, "format": "html", "path": out}),
    );
    assert_eq!(no_date["code"], "invalid_input");
}
