//! What is inside a downloaded backup, and whether the account's data is
//! still all there. After the SHA-256 proves the bytes are the provider's,
//! the archive check opens the zip, reads every entry to its end (each CRC
//! checked) and counts each CSV's records; the manifest is recorded, and
//! compared with the account's previous intact backup: a sharp drop or a
//! missing object is a change alert (an early sign of a mass deletion or a
//! broken export).

use std::path::{Path, PathBuf};

use backup_archive::{ArchiveCheck, Limits};
use backup_domain::{ChangeAlert, ObjectCount};
use backup_state::{AccountRecord, ArchiveRecord, ChangeRecord, ManifestEntry};
use backup_transfer::{CancelToken, Progress};
use chrono::{DateTime, SubsecRound, Utc};

use crate::Desk;
use crate::deliver::{Phase, ProgressSink};
use crate::error::{Error, Result};
use crate::history::Actor;
use crate::watcher::DeskEvent;

/// A downloaded backup's contents, as checked on this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub archive: ArchiveRecord,
    /// Objects that dropped sharply or disappeared since the previous intact backup.
    pub alerts: Vec<ChangeRecord>,
    /// The previous intact backup it was compared with.
    pub compared_with: Option<String>,
    /// Where the copy is, if it is still there.
    pub path: Option<PathBuf>,
}

/// What the check of one copy found, ready to record.
#[derive(Debug)]
pub(crate) struct Checked {
    pub archive: ArchiveRecord,
    pub alerts: Vec<ChangeRecord>,
}

impl ChangeRecordExt for ChangeRecord {
    fn describe(&self) -> String {
        ChangeAlert {
            object: self.object.clone(),
            before: self.before,
            after: self.after,
        }
        .describe()
    }
}

/// A change alert in words: `contacts: 10,234 → 7,102 (−31%)`.
pub trait ChangeRecordExt {
    fn describe(&self) -> String;
}

fn counts(archive: &ArchiveRecord) -> Vec<ObjectCount> {
    archive
        .entries
        .iter()
        .filter_map(|e| {
            Some(ObjectCount {
                object: e.object.clone()?,
                rows: e.rows?,
                bytes: e.bytes,
            })
        })
        .collect()
}

fn manifest(check: &ArchiveCheck) -> Vec<ManifestEntry> {
    check
        .entries
        .iter()
        .map(|e| ManifestEntry {
            entry: e.entry.clone(),
            object: e.object.clone(),
            rows: e.rows,
            bytes: e.bytes,
            crc_ok: e.crc_ok,
        })
        .collect()
}

/// `name.zip` → `name.damaged.zip`: a damaged archive never keeps a name
/// that says it is a good backup.
fn damaged_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup.zip".into());
    match name.strip_suffix(".zip") {
        Some(stem) => format!("{stem}.damaged.zip"),
        None => format!("{name}.damaged"),
    }
}

/// Opens the zip and reads every entry to its end (blocking).
fn read_archive(
    path: &Path,
    cancel: &CancelToken,
    progress: &ProgressSink,
) -> Result<ArchiveCheck> {
    let mut report = |done: u64, total: u64| {
        progress(
            Phase::Checking,
            Progress {
                done,
                total,
                rate: 0.0,
                eta: None,
                streams: 0,
            },
        )
    };
    backup_archive::check(path, &Limits::default(), &mut report, &|| cancel.is_cancelled()).map_err(
        |e| match e {
            backup_archive::ArchiveError::Cancelled => {
                Error::Transfer(backup_transfer::TransferError::Cancelled)
            }
            other => Error::Disk(format!(
                "The downloaded archive {} could not be read back to check it: {other}. Check the disk, then download again.",
                path.display()
            )),
        },
    )
}

impl Desk {
    /// The backups of `account` whose downloaded archive is damaged.
    pub fn damaged_backups(&self, account: i64) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .state
            .archive_verdicts(account)?
            .into_iter()
            .filter(|(_, intact)| !intact)
            .map(|(id, _)| id)
            .collect())
    }

    /// Reads the archive at `path` to its end, off the async runtime, then
    /// compares it with the account's previous intact backup. `Cancelled`
    /// when `cancel` fires first.
    pub(crate) async fn check_archive(
        &self,
        account: &AccountRecord,
        backup_id: &str,
        backup_at: DateTime<Utc>,
        path: &Path,
        cancel: CancelToken,
        progress: ProgressSink,
    ) -> Result<Checked> {
        let file = path.to_path_buf();
        let check = tokio::task::spawn_blocking(move || read_archive(&file, &cancel, &progress))
            .await
            .map_err(Error::from_join)??;
        let archive = ArchiveRecord {
            account: account.id,
            backup_id: backup_id.to_owned(),
            backup_at: backup_at.trunc_subsecs(0),
            checked_at: self.now().trunc_subsecs(0),
            intact: check.is_intact(),
            problem: check.problem.clone(),
            entries: manifest(&check),
        };
        let alerts = match archive.intact {
            false => Vec::new(),
            true => {
                let threshold = self.preferences().account(account)?.drop_alert_percent;
                match self
                    .state
                    .previous_intact(account.id, archive.backup_at, backup_id)?
                {
                    Some(previous) => {
                        backup_domain::compare(&counts(&previous), &counts(&archive), threshold)
                            .into_iter()
                            .map(|a| ChangeRecord {
                                backup_id: backup_id.to_owned(),
                                previous_backup_id: previous.backup_id.clone(),
                                object: a.object,
                                before: a.before,
                                after: a.after,
                            })
                            .collect()
                    }
                    None => Vec::new(),
                }
            }
        };
        Ok(Checked { archive, alerts })
    }

    /// A damaged archive is renamed `….damaged.zip` beside where it was;
    /// returns its new path (the old one if the rename fails).
    pub(crate) fn set_damaged_aside(&self, path: &Path) -> PathBuf {
        let named_damaged = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(".damaged"));
        let Some(dir) = path.parent().filter(|_| !named_damaged) else {
            return path.to_path_buf();
        };
        let aside = backup_transfer::files::unique_path(dir, &damaged_name(path));
        match std::fs::rename(path, &aside) {
            Ok(()) => aside,
            Err(_) => path.to_path_buf(),
        }
    }

    /// Tells the person what the check found: damage, or change alerts.
    pub(crate) fn announce_check(&self, account: &AccountRecord, checked: &Checked, path: &Path) {
        if !checked.archive.intact {
            self.publish(DeskEvent::ArchiveDamaged {
                account: account.id,
                account_name: account.display_name.clone(),
                backup_id: checked.archive.backup_id.clone(),
                problem: checked.archive.problem.clone().unwrap_or_default(),
                path: path.to_path_buf(),
            });
        } else if !checked.alerts.is_empty() {
            self.publish(DeskEvent::ChangeAlert {
                account: account.id,
                account_name: account.display_name.clone(),
                backup_id: checked.archive.backup_id.clone(),
                alerts: checked.alerts.iter().map(|a| a.describe()).collect(),
            });
        }
    }

    /// The contents of a downloaded backup, as its archive check found them.
    /// `NotFound` when it was not downloaded (or not checked) here.
    pub fn backup_contents(&self, account: i64, backup_id: &str) -> Result<Contents> {
        self.account(account)?;
        let archive = self.state.archive(account, backup_id)?.ok_or_else(|| {
            Error::NotFound(format!(
                "Backup {backup_id} was not downloaded and checked on this computer; download it to see what is inside."
            ))
        })?;
        let alerts = self.state.change_alerts(account, Some(backup_id))?;
        let compared_with = match alerts.first() {
            Some(alert) => Some(alert.previous_backup_id.clone()),
            None => self
                .state
                .previous_intact(account, archive.backup_at, backup_id)?
                .map(|p| p.backup_id),
        };
        let path = self
            .state
            .live_downloads(account)?
            .into_iter()
            .filter(|d| d.backup_id == backup_id)
            .map(|d| PathBuf::from(d.path))
            .find(|p| p.is_file());
        Ok(Contents {
            archive,
            alerts,
            compared_with,
            path,
        })
    }

    /// Checks again the copy of a downloaded backup that is on disk (one
    /// downloaded before archives were checked, or whose check was
    /// interrupted) and records what it finds.
    pub async fn check_backup(
        &self,
        account: i64,
        backup_id: &str,
        actor: Actor,
        progress: ProgressSink,
    ) -> Result<Contents> {
        let record = self.account(account)?;
        let download = self
            .state
            .live_downloads(account)?
            .into_iter()
            .find(|d| d.backup_id == backup_id && Path::new(&d.path).is_file())
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "No copy of backup {backup_id} is on this computer; download it first."
                ))
            })?;
        let backup_at = match self.state.archive(account, backup_id)? {
            Some(previous) => previous.backup_at,
            None => download.verified_at,
        };
        let path = PathBuf::from(&download.path);
        let checked = self
            .check_archive(
                &record,
                backup_id,
                backup_at,
                &path,
                CancelToken::new(),
                progress,
            )
            .await?;
        let path = match checked.archive.intact {
            true => path,
            // Found damaged now: it no longer keeps a good backup's name.
            false => {
                let aside = self.set_damaged_aside(&path);
                if aside != path {
                    self.state
                        .move_download(&download, &aside.display().to_string())?;
                }
                aside
            }
        };
        self.state
            .record_archive(&checked.archive, &checked.alerts, &actor.name(&record))?;
        self.announce_check(&record, &checked, &path);
        self.backup_contents(account, backup_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_archive_is_renamed_so_its_name_never_says_it_is_a_good_backup() {
        assert_eq!(
            damaged_name(Path::new("/b/acme-20261201-bk_1.zip")),
            "acme-20261201-bk_1.damaged.zip"
        );
        assert_eq!(damaged_name(Path::new("/b/export")), "export.damaged");
    }
}
