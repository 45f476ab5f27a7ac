//! The commands the UI may invoke. Each unpacks state, calls the core and
//! maps its error to [`crate::error::AppError`]; none returns a key, a
//! passphrase or a token. Every name here is declared in `build.rs` and
//! granted to the main window in `capabilities/main-window.json`.

pub mod accounts;
pub mod backups;
pub mod download;
pub mod settings;

use tauri::{AppHandle, Manager, Runtime};

/// Shows a desktop notification; a desktop without a notification service
/// only loses the popup (the window shows the same news).
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_none()
    {
        return;
    }
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        log::warn!("notification not shown: {error}");
    }
}
