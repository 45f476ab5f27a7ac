//! One-click download: the engine on a blocking thread, progress over the
//! download's own channel (throttled), the host key decision, cancel,
//! "Show in folder".

use std::time::{Duration, Instant};

use backup_domain::BackupStatus;
use backup_state::{AccountRecord, AuditEvent, DownloadRecord};
use backup_transfer::{
    DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, Timeouts, TransferError, TransferOptions,
};
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::commands::settings::{download_dir, streams};
use crate::commands::{Notice, announce};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::shell::{PresentedKey, Shell};
use crate::views::{ConnectionTestView, DownloadFinishedEvent, DownloadedView, ProgressView};

/// At most this many progress messages a second reach the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

fn connection_of(
    shell: &Shell,
    account: &AccountRecord,
) -> AppResult<backup_state::SftpConnection> {
    shell.db(|s| s.connection(account.id))?.ok_or_else(|| {
        AppError::new(
            ErrorCode::ConnectionMissing,
            "Set the SFTP server (host, port and user name) in Settings first.",
        )
    })
}

/// Audits a refused server key and keeps a presented one for the person to decide.
fn note_host_key(
    shell: &Shell,
    account: &AccountRecord,
    host: &str,
    port: u16,
    error: &TransferError,
) {
    match error {
        TransferError::UnknownHostKey { fingerprint, .. } => shell.presented(
            account.id,
            PresentedKey {
                host: host.to_owned(),
                port,
                fingerprint: fingerprint.clone(),
            },
        ),
        TransferError::HostKeyChanged { actual, .. } => {
            let now = shell.now();
            let _ = shell.db(|s| {
                s.refuse_host_key(account.id, &account.person_name, host, port, actual, now)
            });
        }
        _ => {}
    }
}

/// Unregisters a running download however the command ends.
struct Running<'a> {
    shell: &'a Shell,
    account: i64,
    backup: &'a str,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.shell.end_download(self.account, self.backup);
    }
}

fn stop_if_cancelled(cancel: &backup_transfer::CancelToken) -> AppResult<()> {
    if cancel.is_cancelled() {
        return Err(TransferError::Cancelled.into());
    }
    Ok(())
}

/// Downloads a ready backup, verifies it against the published SHA-256 and
/// records it. The terms must have been accepted; an unknown server key
/// fails with `unknown_host_key` and its fingerprint for the window to ask.
#[tauri::command]
pub async fn download<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    account: i64,
    backup_id: String,
    on_progress: Channel<ProgressView>,
) -> AppResult<DownloadedView> {
    // Registered first, so Cancel works from the first click on.
    let cancel = shell.begin_download(account, &backup_id)?;
    let _running = Running {
        shell: &shell,
        account,
        backup: &backup_id,
    };
    let record = shell.account(account)?;
    if !record.role.is_some_and(backup_domain::Role::may_download) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "Your role may not download backups of this account.",
        ));
    }
    let client = shell.client(&record).await?;
    let backup = client.backup(&record.account_id, &backup_id).await?;
    if backup.status != BackupStatus::Ready {
        return Err(AppError::new(
            ErrorCode::NotReady,
            "This backup is not ready to download; refresh the list.",
        ));
    }
    // Refused with `terms_required` until the person accepted the terms.
    let delivery = client.delivery(&record.account_id, &backup_id).await?;
    stop_if_cancelled(&cancel)?;
    let connection = connection_of(&shell, &record)?;
    let key = shell.keys.unlock(&Shell::scope(account))?;
    let dir = download_dir(&shell, &record)?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        AppError::new(
            ErrorCode::Disk,
            format!(
                "Cannot create the download folder {}: {e}. Choose another in Settings.",
                dir.display()
            ),
        )
    })?;
    let pinned = shell.db(|s| s.pinned_host_key(account, &connection.host, connection.port))?;
    let spec = DownloadSpec {
        endpoint: Endpoint {
            host: connection.host.clone(),
            port: connection.port,
            username: connection.username.clone(),
        },
        key: PrivateKey::new(key.pem, key.passphrase),
        host_keys: HostKeyPolicy {
            pinned,
            published: delivery.sftp.host_key_fingerprints.clone(),
            accept: None,
        },
        remote_path: delivery.sftp.remote_path.clone(),
        expected_size: delivery.sftp.size_bytes,
        expected_sha256: delivery.sftp.sha256.clone(),
        dest_dir: dir.clone(),
        file_name: backup.local_file_name(),
        options: TransferOptions {
            streams: streams(&shell, account)?.into(),
            ..TransferOptions::default()
        },
    };
    let started = AuditEvent::download_begins(
        &backup_id,
        backup_transfer::resumable_bytes(&dir, &spec.file_name),
    );
    let now = shell.now();
    shell.db(|s| s.audit(Some(account), &record.person_name, &started, now))?;
    let id = backup_id.clone();
    let send = move |p: backup_transfer::Progress, phase: &str| {
        let _ = on_progress.send(ProgressView {
            backup_id: id.clone(),
            done: p.done,
            total: p.total,
            rate: p.rate,
            eta_seconds: p.eta.map(|d| d.as_secs()),
            phase: phase.into(),
        });
    };
    let connecting = backup_transfer::Progress {
        done: 0,
        total: spec.expected_size,
        rate: 0.0,
        eta: None,
        streams: 0,
    };
    send(connecting, "connecting");
    let result = tokio::task::spawn_blocking(move || {
        let mut last = Instant::now() - PROGRESS_EVERY;
        let mut report = |p: backup_transfer::Progress| {
            if last.elapsed() >= PROGRESS_EVERY || p.done == p.total {
                last = Instant::now();
                let phase = if p.done == p.total {
                    "verifying"
                } else {
                    "downloading"
                };
                send(p, phase);
            }
        };
        backup_transfer::download(&spec, &mut report, &cancel)
    })
    .await
    .unwrap_or_else(|e| Err(TransferError::Invalid(format!("the download stopped: {e}"))));
    let now = shell.now();
    let done = match result {
        Ok(done) => done,
        Err(error) => {
            note_host_key(&shell, &record, &connection.host, connection.port, &error);
            if !matches!(error, TransferError::UnknownHostKey { .. }) {
                let failed = AuditEvent::DownloadFailed {
                    backup_id: backup_id.clone(),
                    reason: error.to_string(),
                };
                let _ = shell.db(|s| s.audit(Some(account), &record.person_name, &failed, now));
            }
            return Err(error.into());
        }
    };
    let saved = DownloadRecord {
        account,
        backup_id: backup_id.clone(),
        path: done.path.display().to_string(),
        size_bytes: done.size,
        sha256: done.sha256,
        verified_at: now,
    };
    shell.db(|s| s.record_verified(&saved, &record.person_name))?;
    let _ = app.emit(
        "download-finished",
        DownloadFinishedEvent {
            account,
            backup_id: backup_id.clone(),
            path: saved.path.clone(),
            sha256: saved.sha256.clone(),
        },
    );
    announce(&app, &shell, &Notice::Verified { path: &saved.path });
    Ok(DownloadedView::from(&saved))
}

/// Stops a running download; its partial file stays for a resume.
#[tauri::command]
pub fn download_cancel(shell: State<'_, Shell>, account: i64, backup_id: String) -> AppResult<()> {
    if shell.cancel_download(account, &backup_id) {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::NotFound,
            "This backup is not being downloaded.",
        ))
    }
}

/// Trusts the SFTP server key the server just presented (and only that one).
#[tauri::command]
pub fn host_key_trust(shell: State<'_, Shell>, account: i64, fingerprint: String) -> AppResult<()> {
    let record = shell.account(account)?;
    let key = shell.take_presented(account, &fingerprint).ok_or_else(|| {
        AppError::invalid(
            "This is not the key the server presented. Start the download or the connection test again.",
        )
    })?;
    let now = shell.now();
    shell.db(|s| {
        s.trust_host_key(
            account,
            &record.person_name,
            &key.host,
            key.port,
            &key.fingerprint,
            now,
        )
    })
}

/// The fingerprints the provider publishes for its SFTP server, read from the
/// delivery of a ready backup (none when no backup is ready, or the
/// provider cannot be asked now: then only the person's check protects).
async fn published_fingerprints(shell: &Shell, record: &AccountRecord) -> Vec<String> {
    let Ok(client) = shell.client(record).await else {
        return Vec::new();
    };
    let Ok(page) = client.all_backups(&record.account_id).await else {
        return Vec::new();
    };
    let Some(ready) = page
        .backups
        .iter()
        .find(|b| b.status == BackupStatus::Ready)
    else {
        return Vec::new();
    };
    client
        .delivery(&record.account_id, &ready.id)
        .await
        .map(|d| d.sftp.host_key_fingerprints)
        .unwrap_or_default()
}

/// Connects and logs in as a download would; an unknown server key fails
/// with `unknown_host_key` for the window to ask, and a key the provider
/// did not publish is refused like a changed one (never offered to trust).
#[tauri::command]
pub async fn connection_test(
    shell: State<'_, Shell>,
    account: i64,
) -> AppResult<ConnectionTestView> {
    let record = shell.account(account)?;
    if Shell::is_demo(&record) {
        shell.ensure_demo(account).await?;
    }
    let connection = connection_of(&shell, &record)?;
    let key = shell.keys.unlock(&Shell::scope(account))?;
    let pinned = shell.db(|s| s.pinned_host_key(account, &connection.host, connection.port))?;
    let endpoint = Endpoint {
        host: connection.host.clone(),
        port: connection.port,
        username: connection.username.clone(),
    };
    let private = PrivateKey::new(key.pem, key.passphrase);
    let policy = HostKeyPolicy {
        pinned,
        published: published_fingerprints(&shell, &record).await,
        accept: None,
    };
    let result = tokio::task::spawn_blocking(move || {
        backup_transfer::test_connection(&endpoint, &private, &policy, &Timeouts::default())
    })
    .await
    .unwrap_or_else(|e| Err(TransferError::Invalid(format!("the test stopped: {e}"))));
    match result {
        Ok(fingerprint) => Ok(ConnectionTestView { fingerprint }),
        Err(error) => {
            note_host_key(&shell, &record, &connection.host, connection.port, &error);
            Err(error.into())
        }
    }
}

/// Opens the file manager on a verified download of this account.
#[tauri::command]
pub fn show_in_folder<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    account: i64,
    backup_id: String,
) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let downloads = shell.db(|s| s.downloads(account))?;
    let saved = downloads
        .iter()
        .find(|d| d.backup_id == backup_id)
        .ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "This backup was not downloaded here.")
        })?;
    if !std::path::Path::new(&saved.path).exists() {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!(
                "{} is no longer there; download the backup again.",
                saved.path
            ),
        ));
    }
    app.opener()
        .reveal_item_in_dir(&saved.path)
        .map_err(|e| AppError::new(ErrorCode::Failed, format!("Could not open the folder: {e}")))
}
