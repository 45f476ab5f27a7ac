//! Settings per account: the SFTP server, the key (imported into the
//! keychain; only its type and fingerprint come back), the download folder,
//! parallel streams; and the app's language.

use std::path::Path;

use backup_workflows::{Desk, Language};
use tauri::{AppHandle, Runtime, State};

use crate::error::AppResult;
use crate::views::{ConnectionView, SettingsView};

fn view(desk: &Desk, account: i64) -> AppResult<SettingsView> {
    Ok(SettingsView::from(desk.settings(account)?))
}

/// The account's settings.
#[tauri::command]
pub async fn settings(desk: State<'_, Desk>, account: i64) -> AppResult<SettingsView> {
    view(&desk, account)
}

/// Saves the account's SFTP server.
#[tauri::command]
pub async fn connection_save(
    desk: State<'_, Desk>,
    account: i64,
    connection: ConnectionView,
) -> AppResult<SettingsView> {
    desk.set_connection(
        account,
        &connection.host,
        connection.port,
        &connection.username,
    )?;
    view(&desk, account)
}

/// The native picker for a file or a folder; `None` when cancelled.
async fn pick<R: Runtime>(app: AppHandle<R>, title: &str, folder: bool) -> Option<String> {
    use tauri_plugin_dialog::{DialogExt, FilePath};
    let (tx, rx) = tokio::sync::oneshot::channel();
    let send = move |picked: Option<FilePath>| {
        let _ = tx.send(picked);
    };
    let dialog = app.dialog().file().set_title(title);
    if folder {
        dialog.pick_folder(send);
    } else {
        dialog.pick_file(send);
    }
    rx.await
        .ok()
        .flatten()
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string())
}

/// The native file picker for a private key; `None` when cancelled.
#[tauri::command]
pub async fn key_pick<R: Runtime>(app: AppHandle<R>) -> AppResult<Option<String>> {
    Ok(pick(app, "Choose your private key", false).await)
}

/// The native folder picker for downloads; `None` when cancelled.
#[tauri::command]
pub async fn folder_pick<R: Runtime>(app: AppHandle<R>) -> AppResult<Option<String>> {
    Ok(pick(app, "Choose the download folder", true).await)
}

/// Opens the account's download folder in the file manager, creating it if
/// missing: `disk` (with `path`) when it cannot be created, `failed` (with
/// `path`) when no file manager opens it.
#[tauri::command]
pub async fn folder_open<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    account: i64,
) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let dir = desk.open_download_folder(account)?;
    app.opener()
        .open_path(dir.display().to_string(), None::<&str>)
        .map_err(|e| {
            log::warn!("open_path of the download folder failed: {e}");
            crate::error::AppError::new(
                crate::error::ErrorCode::Failed,
                format!(
                    "Could not open the file manager. The folder is at {}.",
                    dir.display()
                ),
            )
            .with_path(&dir)
        })
}

/// Imports the key file at `path` into the keychain (replacing the
/// account's key); only its type and fingerprint come back.
#[tauri::command]
pub async fn key_import(
    desk: State<'_, Desk>,
    account: i64,
    path: String,
    passphrase: Option<String>,
) -> AppResult<SettingsView> {
    desk.import_key(account, Path::new(path.trim()), passphrase.as_deref())?;
    view(&desk, account)
}

/// Removes the account's key from this computer.
#[tauri::command]
pub async fn key_remove(desk: State<'_, Desk>, account: i64) -> AppResult<SettingsView> {
    desk.remove_key(account)?;
    view(&desk, account)
}

/// Saves the download folder (absolute; created if missing) and streams (1–16).
#[tauri::command]
pub async fn preferences_save(
    desk: State<'_, Desk>,
    account: i64,
    download_dir: String,
    streams: u8,
    drop_alert_percent: Option<u8>,
) -> AppResult<SettingsView> {
    if let Some(percent) = drop_alert_percent {
        desk.save_drop_alert(account, percent)?;
    }
    desk.save_download_preferences(account, &download_dir, streams)?;
    view(&desk, account)
}

/// Forgets the trusted key of the account's SFTP server: the next
/// connection shows the server's key and asks again.
#[tauri::command]
pub async fn host_key_forget(desk: State<'_, Desk>, account: i64) -> AppResult<SettingsView> {
    desk.forget_host_key(account)?;
    view(&desk, account)
}

/// Sets the app's language: "system", "en" or "pt-BR".
#[tauri::command]
pub async fn language_set(desk: State<'_, Desk>, language: String) -> AppResult<()> {
    Ok(desk
        .preferences()
        .set_language(Language::from_setting(&language)?)?)
}
