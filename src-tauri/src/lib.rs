//! The Tauri shell: the web UI's adapter over the application layer
//! (`backup-workflows`), and nothing more. Commands unpack, call one
//! workflow and map the result; the watcher's news become events and
//! notifications.
//!
//! [`build_app`] is generic over the runtime so `tauri::test::mock_builder()`
//! drives the same commands and setup in unit tests without a desktop.

mod automatic;
mod clickable;
mod commands;
mod error;
mod news;
mod quit;
mod tray;
mod trayhost;
mod views;

use std::path::PathBuf;
use std::sync::Arc;

use backup_workflows::{APP_ID, Desk, KeyringBackend, SecretBackend, SystemClock};
use tauri::{Builder, Manager, Runtime};

pub use error::{AppError, ErrorCode};
pub use views::typescript_bindings;

/// How the app was launched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Launch {
    /// Start the demo on its own when no account is set up (`make run`).
    pub auto_demo: bool,
}

/// Registers the app's commands and plugins on `builder`.
pub fn build_app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    use commands::{accounts, automatic, backups, contents, download, settings};
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .on_window_event(quit::on_window_event)
        .invoke_handler(tauri::generate_handler![
            accounts::app_info,
            accounts::accounts,
            accounts::account_probe,
            accounts::account_add,
            accounts::account_use,
            accounts::account_remove,
            accounts::demo_start,
            accounts::keychain_retry,
            backups::backups,
            backups::backup_request,
            backups::terms,
            backups::terms_accept,
            contents::backup_contents,
            contents::backup_check,
            contents::health,
            contents::report_pick,
            contents::report_save,
            download::download,
            download::download_cancel,
            download::host_key_trust,
            download::host_key_decline,
            settings::host_key_forget,
            download::connection_test,
            download::show_in_folder,
            settings::settings,
            settings::connection_save,
            settings::key_pick,
            settings::folder_pick,
            settings::folder_open,
            settings::key_import,
            settings::key_remove,
            settings::preferences_save,
            settings::language_set,
            quit::quit_app,
            automatic::automatic_status,
            automatic::automatic_save,
            automatic::automatic_terms,
            automatic::automatic_pause,
            automatic::automatic_run_now,
            automatic::autostart_get,
            automatic::autostart_set,
            automatic::log_folder_open,
        ])
}

/// Opens the application layer on `data_dir` and hands it to the commands.
pub fn install_shell<R: Runtime, M: Manager<R>>(
    manager: &M,
    data_dir: PathBuf,
    secrets: Arc<dyn SecretBackend>,
    launch: Launch,
) -> Result<(), AppError> {
    let desk = Desk::open(&data_dir, secrets, Arc::new(SystemClock))?;
    manager.manage(desk);
    manager.manage(launch);
    Ok(())
}

/// The log file's size before it rotates; five rotated files are kept.
const LOG_FILE_BYTES: u128 = 5 * 1024 * 1024;
const LOG_FILES_KEPT: usize = 5;

/// Runs the desktop app until it quits (the last window closed with no
/// automatic mode, or Quit from the tray). `BACKUP_DESK_DEMO=1` (set by
/// `make run`) opens straight onto the built-in demo when no account is
/// set up. A second launch only brings the running app's window forward.
pub fn run() {
    let launch = Launch {
        auto_demo: std::env::var("BACKUP_DESK_DEMO").is_ok_and(|v| v == "1"),
    };
    // First, so a second launch exits before anything else starts.
    let builder = Builder::default().plugin(tauri_plugin_single_instance::init(|app, _, _| {
        tray::show_main(app)
    }));
    let app = build_app(builder)
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .max_file_size(LOG_FILE_BYTES)
                .rotation_strategy(tauri_plugin_log::RotationStrategy::KeepSome(LOG_FILES_KEPT))
                .build(),
        )
        .plugin(autostart_plugin())
        .setup(move |app| {
            let dir = app.path().app_data_dir()?;
            install_shell(app, dir, Arc::new(KeyringBackend::new(APP_ID)), launch)?;
            news::start(app.handle());
            tray::create_or_warn(app.handle());
            automatic::start(app.handle());
            Ok(())
        });
    match app.build(tauri::generate_context!()) {
        Ok(app) => app.run(quit::on_run_event),
        Err(error) => {
            eprintln!("Backup Desk could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// Start at login, off until the person turns it on. On Linux the plugin
/// registers an AppImage by its own path (`$APPIMAGE`, read by Tauri's
/// `Env`), never by its temporary mount point; otherwise the executable.
fn autostart_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None)
}

#[cfg(test)]
mod tests;
