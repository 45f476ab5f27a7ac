//! The provider's cloud team: operator actions that move a backup through
//! its lifecycle, and the `--auto` mode that does it by itself for demos.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use backup_domain::BackupStatus;
use chrono::{DateTime, TimeDelta, Utc};

use crate::archive::{self, ArchiveOptions};
use crate::clock;
use crate::error::ProviderError;
use crate::store::{BackupRow, Store};

/// Releases an awaiting backup: it moves to in progress.
pub fn release(store: &Store, id: &str) -> Result<BackupRow, ProviderError> {
    let now = clock::now(store)?;
    store.transition(
        id,
        &[BackupStatus::AwaitingRelease],
        BackupStatus::InProgress,
        now,
        None,
    )
}

/// How to complete a backup (operator options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompleteOptions {
    /// Pad the archive to about this many bytes (benchmarks).
    pub pad_to: Option<u64>,
    /// Publish a damaged archive: its first entry fails to decompress or
    /// its CRC, and the published SHA-256 is that of the damaged file.
    pub damaged: bool,
}

/// Completes an in-progress backup: [`complete_with`] an intact archive.
pub fn complete(
    store: &Store,
    archive_dir: &Path,
    id: &str,
    pad_to: Option<u64>,
) -> Result<BackupRow, ProviderError> {
    complete_with(
        store,
        archive_dir,
        id,
        CompleteOptions {
            pad_to,
            damaged: false,
        },
    )
}

/// Completes an in-progress backup now: the account's data first changes a
/// little (see [`Store::add_activity`]), then its archive is generated and
/// published and the backup becomes ready with the archive's manifest.
/// Fails when the backup is not in progress or the archive cannot be
/// written (the activity then stays, as a live account's would).
pub fn complete_with(
    store: &Store,
    archive_dir: &Path,
    id: &str,
    options: CompleteOptions,
) -> Result<BackupRow, ProviderError> {
    let now = clock::now(store)?;
    complete_at(store, archive_dir, id, now, options)
}

/// [`complete_with`] at a given time (the demo writes its history with it).
pub(crate) fn complete_at(
    store: &Store,
    archive_dir: &Path,
    id: &str,
    now: DateTime<Utc>,
    options: CompleteOptions,
) -> Result<BackupRow, ProviderError> {
    let row = store
        .backup_any(id)?
        .ok_or_else(|| ProviderError::NotFound(format!("no backup {id}")))?;
    if row.status != BackupStatus::InProgress {
        return Err(ProviderError::Conflict(format!(
            "backup {id} is {}; only an in-progress backup can be completed (release it first)",
            row.status
        )));
    }
    let account = store
        .account(&row.account_id)?
        .ok_or_else(|| ProviderError::NotFound(format!("no account {}", row.account_id)))?;
    store.add_activity(&account.id)?;
    let name = archive::file_name(&account.id, &row.id, now);
    let records = store.records(&account.id)?;
    let dir = archive::account_dir(archive_dir, &account.id);
    let published = archive::generate_with(
        &dir,
        &name,
        &records,
        ArchiveOptions {
            pad_to: options.pad_to,
            damaged: options.damaged,
        },
    )?;
    store.mark_ready(id, &published, now, account.policy.download_window)
}

/// Fails an awaiting or in-progress backup with a server error.
pub fn fail(store: &Store, id: &str, message: &str) -> Result<BackupRow, ProviderError> {
    let now = clock::now(store)?;
    store.transition(
        id,
        &[BackupStatus::AwaitingRelease, BackupStatus::InProgress],
        BackupStatus::ServerError,
        now,
        Some(message),
    )
}

/// Expires a ready backup now, before its window ends, and removes its archive.
pub fn expire(store: &Store, archive_dir: &Path, id: &str) -> Result<BackupRow, ProviderError> {
    let now = clock::now(store)?;
    let row = store.transition(id, &[BackupStatus::Ready], BackupStatus::Expired, now, None)?;
    if let Some(name) = &row.file_name {
        let _ = std::fs::remove_file(archive_dir.join(archive::remote_path(&row.account_id, name)));
    }
    Ok(row)
}

/// Delays of the `--auto` mode.
#[derive(Debug, Clone, Copy)]
pub struct AutoDelays {
    /// From the request to the release.
    pub release_after: TimeDelta,
    /// From the release to the ready archive.
    pub complete_after: TimeDelta,
}

/// Runs one pass of the automatic lifecycle; returns how many backups moved.
pub fn auto_pass(
    store: &Store,
    archive_dir: &Path,
    delays: AutoDelays,
) -> Result<usize, ProviderError> {
    let now = clock::now(store)?;
    let mut moved = 0;
    for id in store.due(&BackupStatus::AwaitingRelease, now - delays.release_after)? {
        release(store, &id)?;
        moved += 1;
    }
    for id in store.due(&BackupStatus::InProgress, now - delays.complete_after)? {
        if let Err(error) = complete(store, archive_dir, &id, None) {
            fail(store, &id, &format!("archive generation failed: {error}"))?;
        }
        moved += 1;
    }
    moved += store.expire_due(now)?.len();
    Ok(moved)
}

/// Runs [`auto_pass`] every 250 ms until the task is dropped.
pub async fn run_auto(store: Arc<Store>, archive_dir: std::path::PathBuf, delays: AutoDelays) {
    loop {
        let (s, dir) = (Arc::clone(&store), archive_dir.clone());
        let result = tokio::task::spawn_blocking(move || auto_pass(&s, &dir, delays)).await;
        if let Ok(Err(error)) = result {
            eprintln!("backup-provider: auto mode: {error}");
        }
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests;
