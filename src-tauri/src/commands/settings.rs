//! Settings per account: the SFTP server, the key (imported into the
//! keychain; only its type and fingerprint come back), the download folder,
//! parallel streams; and the app's language.

use std::path::{Path, PathBuf};

use backup_state::{AccountRecord, SftpConnection};
use tauri::{AppHandle, Runtime, State};

use crate::commands::accounts::LANGUAGE;
use crate::error::{AppError, AppResult};
use crate::shell::Shell;
use crate::views::{ConnectionView, KeyView, SettingsView};

const LANGUAGES: [&str; 3] = ["system", "en", "pt-BR"];
const DEFAULT_STREAMS: u8 = 4;

fn dir_key(account: i64) -> String {
    format!("download_dir:{account}")
}

fn streams_key(account: i64) -> String {
    format!("streams:{account}")
}

/// Where the account's archives go: the chosen folder, else the default
/// shared with the CLI.
pub fn download_dir(shell: &Shell, account: &AccountRecord) -> AppResult<PathBuf> {
    if let Some(dir) = shell.db(|s| s.setting(&dir_key(account.id)))? {
        return Ok(PathBuf::from(dir));
    }
    Ok(backup_state::default_download_dir(
        &shell.data_dir,
        &account.account_id,
    ))
}

/// Parallel SSH sessions for the account's downloads.
pub fn streams(shell: &Shell, account: i64) -> AppResult<u8> {
    Ok(shell
        .db(|s| s.setting(&streams_key(account)))?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_STREAMS))
}

fn view(shell: &Shell, account: i64) -> AppResult<SettingsView> {
    let record = shell.account(account)?;
    let connection = shell.db(|s| s.connection(account))?;
    let trusted_host_key = match &connection {
        Some(c) => shell.db(|s| s.pinned_host_key(account, &c.host, c.port))?,
        None => None,
    };
    Ok(SettingsView {
        account,
        connection: connection.map(ConnectionView::from),
        key: shell.keys.info(&Shell::scope(account))?.map(KeyView::from),
        trusted_host_key,
        download_dir: download_dir(shell, &record)?.display().to_string(),
        streams: streams(shell, account)?,
        language: shell
            .db(|s| s.setting(LANGUAGE))?
            .unwrap_or_else(|| "system".into()),
    })
}

/// The account's settings.
#[tauri::command]
pub async fn settings(shell: State<'_, Shell>, account: i64) -> AppResult<SettingsView> {
    view(&shell, account)
}

/// Saves the account's SFTP server.
#[tauri::command]
pub fn connection_save(
    shell: State<'_, Shell>,
    account: i64,
    connection: ConnectionView,
) -> AppResult<SettingsView> {
    shell.account(account)?;
    let host = connection.host.trim();
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
        return Err(AppError::invalid(
            "Enter the SFTP host name or address only (for example sftp.example.com), without a user name or spaces.",
        ));
    }
    if connection.port == 0 {
        return Err(AppError::invalid(
            "Enter a port between 1 and 65535 (usually 22).",
        ));
    }
    let username = connection.username.trim();
    if username.is_empty() {
        return Err(AppError::invalid(
            "Enter the SFTP user name your provider gave you.",
        ));
    }
    shell.db(|s| {
        s.set_connection(
            account,
            &SftpConnection {
                host: host.to_owned(),
                port: connection.port,
                username: username.to_owned(),
            },
        )
    })?;
    view(&shell, account)
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

/// Imports the key file at `path` into the keychain (replacing the
/// account's key); only its type and fingerprint come back.
#[tauri::command]
pub async fn key_import(
    shell: State<'_, Shell>,
    account: i64,
    path: String,
    passphrase: Option<String>,
) -> AppResult<SettingsView> {
    shell.account(account)?;
    let path = path.trim();
    if path.is_empty() {
        return Err(AppError::invalid(
            "Choose your private key file (.pem or id_ed25519…).",
        ));
    }
    let passphrase = passphrase.filter(|p| !p.is_empty());
    shell.keys.import_file(
        &Shell::scope(account),
        Path::new(path),
        passphrase.as_deref(),
    )?;
    view(&shell, account)
}

/// Removes the account's key from this computer.
#[tauri::command]
pub async fn key_remove(shell: State<'_, Shell>, account: i64) -> AppResult<SettingsView> {
    shell.account(account)?;
    shell.keys.remove(&Shell::scope(account))?;
    view(&shell, account)
}

/// Saves the download folder (absolute; created if missing) and streams (1–16).
#[tauri::command]
pub fn preferences_save(
    shell: State<'_, Shell>,
    account: i64,
    download_dir: String,
    streams: u8,
) -> AppResult<SettingsView> {
    shell.account(account)?;
    if !(1..=16).contains(&streams) {
        return Err(AppError::invalid(
            "Choose between 1 and 16 parallel streams.",
        ));
    }
    let dir = PathBuf::from(download_dir.trim());
    if !dir.is_absolute() {
        return Err(AppError::invalid(
            "Choose a full folder path for downloads (use Browse…).",
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| {
        AppError::invalid(format!(
            "Cannot use {} for downloads: {e}. Choose another folder.",
            dir.display()
        ))
    })?;
    let dir = dir.display().to_string();
    shell.db(|s| {
        s.set_setting(&dir_key(account), &dir)?;
        s.set_setting(&streams_key(account), &streams.to_string())
    })?;
    view(&shell, account)
}

/// Sets the app's language: "system", "en" or "pt-BR".
#[tauri::command]
pub fn language_set(shell: State<'_, Shell>, language: String) -> AppResult<()> {
    if !LANGUAGES.contains(&language.as_str()) {
        return Err(AppError::invalid(format!(
            "Unknown language {language:?}; choose one of {}.",
            LANGUAGES.join(", ")
        )));
    }
    shell.db(|s| s.set_setting(LANGUAGE, &language))
}
