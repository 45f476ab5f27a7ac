//! Declares the app's own commands so capabilities can grant them per window.

/// Every command in `src/commands/`; `capabilities/main-window.json` grants them.
const COMMANDS: &[&str] = &[
    "app_info",
    "accounts",
    "account_probe",
    "account_add",
    "account_use",
    "account_remove",
    "demo_start",
    "keychain_retry",
    "backups",
    "backup_request",
    "terms",
    "terms_accept",
    "backup_contents",
    "backup_check",
    "health",
    "report_pick",
    "report_save",
    "download",
    "download_cancel",
    "host_key_trust",
    "host_key_decline",
    "host_key_forget",
    "connection_test",
    "show_in_folder",
    "settings",
    "connection_save",
    "key_pick",
    "folder_pick",
    "folder_open",
    "key_import",
    "key_remove",
    "preferences_save",
    "language_set",
    "quit_app",
    "automatic_status",
    "automatic_save",
    "automatic_terms",
    "automatic_pause",
    "automatic_run_now",
    "autostart_get",
    "autostart_set",
    "log_folder_open",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed: check tauri.conf.json, capabilities/ and icons/");
}
