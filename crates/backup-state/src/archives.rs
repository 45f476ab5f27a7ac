//! What the archive check found in each downloaded backup: whether every
//! entry read to its end with a good CRC, the manifest (entry, object,
//! records, bytes), and the change alerts raised against the account's
//! previous intact backup. Recorded with the download, all or nothing.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::audit::AuditEvent;
use crate::store::{DownloadRecord, LocalState, insert_audit, insert_download};
use backup_sqlite::{from_ts, ts};

type Result<T> = std::result::Result<T, crate::StateError>;

/// One entry of a backup's archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The name inside the zip (untrusted: never a path).
    pub entry: String,
    /// The object (`contacts` for `contacts.csv`); `None` when not a CSV of a safe name.
    pub object: Option<String>,
    /// CSV records, header excluded; `None` for an entry that is not a CSV.
    pub rows: Option<u64>,
    /// Uncompressed bytes read.
    pub bytes: u64,
    pub crc_ok: bool,
}

/// The archive check of one downloaded backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRecord {
    pub account: i64,
    pub backup_id: String,
    /// When the provider made the backup (orders backups for comparisons).
    pub backup_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    /// Every entry read to its end with a good CRC.
    pub intact: bool,
    /// What was wrong, when not intact.
    pub problem: Option<String>,
    pub entries: Vec<ManifestEntry>,
}

impl ArchiveRecord {
    /// CSV records in the whole archive.
    pub fn rows(&self) -> u64 {
        self.entries.iter().filter_map(|e| e.rows).sum()
    }
}

/// An object whose records dropped sharply, or that disappeared, since the
/// previous intact backup of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub backup_id: String,
    pub previous_backup_id: String,
    pub object: String,
    pub before: u64,
    /// `None`: missing from this backup.
    pub after: Option<u64>,
}

impl LocalState {
    /// Records a downloaded backup with its archive check and change alerts,
    /// and their audit entries (verified, archive checked, each alert,
    /// finished), all or nothing.
    pub fn record_delivered(
        &self,
        download: &DownloadRecord,
        archive: &ArchiveRecord,
        alerts: &[ChangeRecord],
        actor: &str,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let at = download.verified_at;
        let account = Some(download.account);
        insert_download(&tx, download)?;
        let verified = AuditEvent::DownloadVerified {
            backup_id: download.backup_id.clone(),
            sha256: download.sha256.clone(),
        };
        insert_audit(&tx, account, actor, &verified, at)?;
        insert_archive(&tx, archive, alerts, actor, at)?;
        let finished = AuditEvent::DownloadFinished {
            backup_id: download.backup_id.clone(),
            path: download.path.clone(),
        };
        insert_audit(&tx, account, actor, &finished, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Records the archive check of a backup already recorded as downloaded
    /// (checked again, or checked for the first time), with its alerts.
    pub fn record_archive(
        &self,
        archive: &ArchiveRecord,
        alerts: &[ChangeRecord],
        actor: &str,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        insert_archive(&tx, archive, alerts, actor, archive.checked_at)?;
        tx.commit()?;
        Ok(())
    }

    /// The archive check of a backup, if it was downloaded and checked.
    pub fn archive(&self, account: i64, backup_id: &str) -> Result<Option<ArchiveRecord>> {
        let conn = self.conn();
        let head = conn
            .query_row(
                "SELECT backup_at, checked_at, intact, problem FROM archive_checks
                 WHERE account = ?1 AND backup_id = ?2",
                params![account, backup_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((backup_at, checked_at, intact, problem)) = head else {
            return Ok(None);
        };
        let mut stmt = conn.prepare(
            "SELECT entry, object, rows, bytes, crc_ok FROM manifest_entries
             WHERE account = ?1 AND backup_id = ?2 ORDER BY seq",
        )?;
        let entries = stmt
            .query_map(params![account, backup_id], |r| {
                Ok(ManifestEntry {
                    entry: r.get(0)?,
                    object: r.get(1)?,
                    rows: r.get::<_, Option<i64>>(2)?.map(|n| n.max(0) as u64),
                    bytes: r.get::<_, i64>(3)?.max(0) as u64,
                    crc_ok: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(ArchiveRecord {
            account,
            backup_id: backup_id.to_owned(),
            backup_at: from_ts(backup_at),
            checked_at: from_ts(checked_at),
            intact,
            problem,
            entries,
        }))
    }

    /// The backups of `account` with an archive check: (backup id, intact), newest backup first.
    pub fn archive_verdicts(&self, account: i64) -> Result<Vec<(String, bool)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT backup_id, intact FROM archive_checks WHERE account = ?1
             ORDER BY backup_at DESC, backup_id DESC",
        )?;
        let rows = stmt
            .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The newest intact archive of `account` made before `before` (the
    /// one a new backup is compared with), other than `except`.
    pub fn previous_intact(
        &self,
        account: i64,
        before: DateTime<Utc>,
        except: &str,
    ) -> Result<Option<ArchiveRecord>> {
        let id: Option<String> = self
            .conn()
            .query_row(
                "SELECT backup_id FROM archive_checks
                 WHERE account = ?1 AND intact = 1 AND backup_at <= ?2 AND backup_id != ?3
                 ORDER BY backup_at DESC, backup_id DESC LIMIT 1",
                params![account, ts(before), except],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.archive(account, &id),
            None => Ok(None),
        }
    }

    /// The change alerts of `account` (of one backup, or all), newest backup first.
    pub fn change_alerts(
        &self,
        account: i64,
        backup_id: Option<&str>,
    ) -> Result<Vec<ChangeRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT c.backup_id, c.previous_backup_id, c.object, c.before_rows, c.after_rows
             FROM change_alerts c JOIN archive_checks a
               ON a.account = c.account AND a.backup_id = c.backup_id
             WHERE c.account = ?1 AND (?2 IS NULL OR c.backup_id = ?2)
             ORDER BY a.backup_at DESC, c.backup_id DESC, c.object",
        )?;
        let rows = stmt
            .query_map(params![account, backup_id], |r| {
                Ok(ChangeRecord {
                    backup_id: r.get(0)?,
                    previous_backup_id: r.get(1)?,
                    object: r.get(2)?,
                    before: r.get::<_, i64>(3)?.max(0) as u64,
                    after: r.get::<_, Option<i64>>(4)?.map(|n| n.max(0) as u64),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

fn insert_archive(
    tx: &rusqlite::Transaction<'_>,
    archive: &ArchiveRecord,
    alerts: &[ChangeRecord],
    actor: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let account = Some(archive.account);
    // A backup downloaded again is checked again: its old findings go.
    for table in ["manifest_entries", "change_alerts", "archive_checks"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE account = ?1 AND backup_id = ?2"),
            params![archive.account, archive.backup_id],
        )?;
    }
    tx.execute(
        "INSERT INTO archive_checks (account, backup_id, backup_at, checked_at, intact, problem)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            archive.account,
            archive.backup_id,
            ts(archive.backup_at),
            ts(archive.checked_at),
            archive.intact,
            archive.problem
        ],
    )?;
    for (seq, e) in archive.entries.iter().enumerate() {
        tx.execute(
                "INSERT INTO manifest_entries (account, backup_id, seq, entry, object, rows, bytes, crc_ok)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    archive.account,
                    archive.backup_id,
                    seq as i64,
                    e.entry,
                    e.object,
                    e.rows.map(|r| r as i64),
                    e.bytes as i64,
                    e.crc_ok
                ],
            )?;
    }
    let checked = AuditEvent::ArchiveChecked {
        backup_id: archive.backup_id.clone(),
        intact: archive.intact,
        problem: archive.problem.clone(),
        rows: archive.rows(),
    };
    insert_audit(tx, account, actor, &checked, at)?;
    for alert in alerts {
        tx.execute(
                "INSERT INTO change_alerts (account, backup_id, object, previous_backup_id, before_rows, after_rows)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    archive.account,
                    alert.backup_id,
                    alert.object,
                    alert.previous_backup_id,
                    alert.before as i64,
                    alert.after.map(|a| a as i64)
                ],
            )?;
        let event = AuditEvent::ChangeAlert {
            backup_id: alert.backup_id.clone(),
            previous_backup_id: alert.previous_backup_id.clone(),
            object: alert.object.clone(),
            before: alert.before,
            after: alert.after,
        };
        insert_audit(tx, account, actor, &event, at)?;
    }
    Ok(())
}
