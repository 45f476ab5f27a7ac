//! One-click download: the application layer's delivery with progress over
//! the download's own channel (throttled), its questions as error codes the
//! window asks about, cancel, "Show in folder".

use std::sync::Arc;
use std::time::Duration;

use backup_workflows::{Actor, DeliverRequest, Desk, Outcome, Phase, ProgressThrottle};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::views::{ConnectionTestView, DownloadedView, ExistingCopy, ProgressView};

/// At most this many progress messages a second reach the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// A question of the application layer, as the error the window asks about.
fn question<T>(outcome: Outcome<T>) -> AppResult<T> {
    match outcome {
        Outcome::Done(value) => Ok(value),
        Outcome::TermsRequired(_) => Err(AppError::new(
            ErrorCode::TermsRequired,
            "Accept the download terms first.",
        )),
        Outcome::HostKey(key) => Err(AppError::host_key_question(&key)),
    }
}

/// Downloads a ready backup, verifies it against the published SHA-256 and
/// records it. Terms not accepted fail with `terms_required`; an unknown
/// server key with `unknown_host_key` and its fingerprint for the window to
/// ask; no SFTP server or key with `connection_missing` / `key_missing` and
/// `setup`; with `existing: "ask"`, a verified copy on disk with
/// `copy_exists` and its `path`.
#[tauri::command]
pub async fn download(
    desk: State<'_, Desk>,
    account: i64,
    backup_id: String,
    existing: ExistingCopy,
    on_progress: Channel<ProgressView>,
) -> AppResult<DownloadedView> {
    let throttle = ProgressThrottle::new(PROGRESS_EVERY);
    let id = backup_id.clone();
    let sink = Arc::new(move |phase: Phase, p: backup_workflows::Progress| {
        let starts = phase == Phase::Connecting || (phase == Phase::Checking && p.done == 0);
        if starts || throttle.due(&p) {
            let _ = on_progress.send(ProgressView::new(&id, phase, &p));
        }
    });
    let request = DeliverRequest {
        account,
        backup_id,
        folder: None,
        streams: None,
        actor: Actor::Person,
        existing: existing.into(),
    };
    let saved = question(desk.deliver(&request, sink).await?)?;
    Ok(DownloadedView::from(&saved))
}

/// Stops a running download; its partial file stays for a resume.
#[tauri::command]
pub async fn download_cancel(
    desk: State<'_, Desk>,
    account: i64,
    backup_id: String,
) -> AppResult<()> {
    if desk.cancel_delivery(account, &backup_id) {
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
pub async fn host_key_trust(
    desk: State<'_, Desk>,
    account: i64,
    fingerprint: String,
) -> AppResult<()> {
    desk.trust_host_key(account, &fingerprint)?;
    Ok(())
}

/// The person declined the key the server just presented: audited, forgotten.
#[tauri::command]
pub async fn host_key_decline(
    desk: State<'_, Desk>,
    account: i64,
    fingerprint: String,
) -> AppResult<()> {
    desk.decline_host_key(account, &fingerprint)?;
    Ok(())
}

/// Connects and logs in as a download would; an unknown server key fails
/// with `unknown_host_key` for the window to ask, and a key the provider
/// did not publish is refused (`host_key_changed`), never offered to trust.
#[tauri::command]
pub async fn connection_test(desk: State<'_, Desk>, account: i64) -> AppResult<ConnectionTestView> {
    let fingerprint = question(desk.test_connection(account).await?)?;
    Ok(ConnectionTestView { fingerprint })
}

/// Opens the file manager on a verified download of this account: the file
/// selected, else its folder. When neither works, `failed` with the file's
/// `path` for Copy path (the opener's own words go to the log only).
#[tauri::command]
pub async fn show_in_folder<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    account: i64,
    backup_id: String,
) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let path = desk.downloaded_path(account, &backup_id)?;
    let Err(reveal) = app.opener().reveal_item_in_dir(&path) else {
        return Ok(());
    };
    log::warn!("reveal_item_in_dir failed: {reveal}");
    let parent = path.parent().map(|p| p.display().to_string());
    let opened = match parent {
        Some(dir) => app.opener().open_path(dir, None::<&str>),
        None => Err(reveal),
    };
    opened.map_err(|e| {
        log::warn!("open_path of the folder failed: {e}");
        AppError::new(
            ErrorCode::Failed,
            format!(
                "Could not open the file manager. The file is at {}.",
                path.display()
            ),
        )
        .with_path(&path)
    })
}
