//! The SQLite file and its operations.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use backup_domain::Role;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::audit::{AuditEntry, AuditEvent};
use crate::error::StateError;

type Result<T> = std::result::Result<T, StateError>;

const MIGRATIONS: &[&str] = &[
    // 1: the first schema. The audit log refuses updates and deletes.
    "CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        provider_url TEXT NOT NULL, account_id TEXT NOT NULL, display_name TEXT NOT NULL,
        role TEXT, person_name TEXT NOT NULL, added_at INTEGER NOT NULL,
        UNIQUE (provider_url, account_id));
     CREATE TABLE connections (
        account INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        host TEXT NOT NULL, port INTEGER NOT NULL, username TEXT NOT NULL);
     CREATE TABLE host_keys (
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        host TEXT NOT NULL, port INTEGER NOT NULL, fingerprint TEXT NOT NULL, pinned_at INTEGER NOT NULL,
        PRIMARY KEY (account, host, port));
     CREATE TABLE downloads (
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        backup_id TEXT NOT NULL, path TEXT NOT NULL, size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL, verified_at INTEGER NOT NULL,
        PRIMARY KEY (account, backup_id, path));
     CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, account INTEGER,
        actor TEXT NOT NULL, kind TEXT NOT NULL, details TEXT NOT NULL);
     CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
     CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 2: small preferences (the account in use, the language…); never secrets.
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 3: an archive deleted by rotation keeps its record (it was downloaded)
    // but no longer owns its path.
    "ALTER TABLE downloads ADD COLUMN removed_at INTEGER;",
    // 4: what the archive check found in each downloaded backup (one row per
    // backup), its manifest (one row per entry), and the change alerts it
    // raised against the previous intact backup of the account.
    "CREATE TABLE archive_checks (
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        backup_id TEXT NOT NULL, backup_at INTEGER NOT NULL, checked_at INTEGER NOT NULL,
        intact INTEGER NOT NULL, problem TEXT,
        PRIMARY KEY (account, backup_id));
     CREATE TABLE manifest_entries (
        account INTEGER NOT NULL, backup_id TEXT NOT NULL, seq INTEGER NOT NULL,
        entry TEXT NOT NULL, object TEXT, rows INTEGER, bytes INTEGER NOT NULL, crc_ok INTEGER NOT NULL,
        PRIMARY KEY (account, backup_id, seq),
        FOREIGN KEY (account, backup_id) REFERENCES archive_checks(account, backup_id) ON DELETE CASCADE);
     CREATE TABLE change_alerts (
        account INTEGER NOT NULL, backup_id TEXT NOT NULL, object TEXT NOT NULL,
        previous_backup_id TEXT NOT NULL, before_rows INTEGER NOT NULL, after_rows INTEGER,
        PRIMARY KEY (account, backup_id, object),
        FOREIGN KEY (account, backup_id) REFERENCES archive_checks(account, backup_id) ON DELETE CASCADE);",
];

/// An account configured in the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The local id (0 before it is saved).
    pub id: i64,
    pub provider_url: String,
    /// The account's id at the provider.
    pub account_id: String,
    pub display_name: String,
    /// The person's role there; `None` for a role this client does not know.
    pub role: Option<Role>,
    /// Whose token this account uses (for the audit log).
    pub person_name: String,
}

/// Where an account's archives are downloaded from (nothing secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpConnection {
    pub host: String,
    pub port: u16,
    pub username: String,
}

/// A verified download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRecord {
    pub account: i64,
    pub backup_id: String,
    pub path: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub verified_at: DateTime<Utc>,
}

/// The local database; share it behind an `Arc`.
#[derive(Debug)]
pub struct LocalState {
    conn: Mutex<Connection>,
}

use backup_sqlite::{from_ts, ts};

const ACCOUNT_SELECT: &str =
    "SELECT id, provider_url, account_id, display_name, role, person_name FROM accounts";

fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: r.get(0)?,
        provider_url: r.get(1)?,
        account_id: r.get(2)?,
        display_name: r.get(3)?,
        role: r
            .get::<_, Option<String>>(4)?
            .as_deref()
            .and_then(Role::from_wire),
        person_name: r.get(5)?,
    })
}

pub(crate) fn insert_download(conn: &Connection, record: &DownloadRecord) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO downloads (account, backup_id, path, size_bytes, sha256, verified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            record.account,
            record.backup_id,
            record.path,
            record.size_bytes as i64,
            record.sha256,
            ts(record.verified_at)
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_audit(
    conn: &Connection,
    account: Option<i64>,
    actor: &str,
    event: &AuditEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    let details = serde_json::to_string(event).map_err(|e| StateError::Invalid(e.to_string()))?;
    conn.execute(
        "INSERT INTO audit_log (at, account, actor, kind, details) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ts(now), account, actor, event.kind(), details],
    )?;
    Ok(())
}

impl LocalState {
    /// Opens (creating, user-only) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<LocalState> {
        let io = |message: String| StateError::Io {
            path: path.display().to_string(),
            message,
        };
        let conn = backup_sqlite::open(path, MIGRATIONS).map_err(|e| match e {
            backup_sqlite::OpenError::Database(e) => StateError::from(e),
            backup_sqlite::OpenError::Newer { found, .. } => io(format!(
                "it was written by a newer Backup Desk (schema {found}); update the app"
            )),
            folder @ backup_sqlite::OpenError::Folder(..) => io(folder.to_string()),
        })?;
        Ok(LocalState {
            conn: Mutex::new(conn),
        })
    }

    /// The database in the app-data dir shared by the app and the CLI.
    pub fn open_in(app_data_dir: &Path) -> Result<LocalState> {
        Self::open(&app_data_dir.join("state.sqlite3"))
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A preference (e.g. `current_account`), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(backup_sqlite::setting(&self.conn(), key)?)
    }

    /// Sets a preference.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        Ok(backup_sqlite::set_setting(&self.conn(), key, value)?)
    }

    /// The preference `key`, set to `value` first if it has none; when two
    /// programs race, both get the value that was stored first.
    pub fn setting_or_set(&self, key: &str, value: &str) -> Result<String> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok(
            conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })?,
        )
    }

    /// Forgets a preference.
    pub fn unset_setting(&self, key: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Adds an account, or updates its name and role if it exists; returns the local id.
    pub fn upsert_account(&self, account: &AccountRecord, now: DateTime<Utc>) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO accounts (provider_url, account_id, display_name, role, person_name, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (provider_url, account_id) DO UPDATE SET
               display_name = excluded.display_name, role = excluded.role, person_name = excluded.person_name",
            params![
                account.provider_url,
                account.account_id,
                account.display_name,
                account.role.map(Role::as_wire),
                account.person_name,
                ts(now)
            ],
        )?;
        Ok(conn.query_row(
            "SELECT id FROM accounts WHERE provider_url = ?1 AND account_id = ?2",
            params![account.provider_url, account.account_id],
            |r| r.get(0),
        )?)
    }

    /// When an account was first added here.
    pub fn added_at(&self, account: i64) -> Result<DateTime<Utc>> {
        let at: Option<i64> = self
            .conn()
            .query_row(
                "SELECT added_at FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )
            .optional()?;
        at.map(from_ts).ok_or(StateError::UnknownAccount(account))
    }

    /// Every configured account, in the order they were added.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{ACCOUNT_SELECT} ORDER BY id"))?;
        let rows = stmt
            .query_map([], account_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One account by local id.
    pub fn account(&self, id: i64) -> Result<AccountRecord> {
        self.conn()
            .query_row(
                &format!("{ACCOUNT_SELECT} WHERE id = ?1"),
                [id],
                account_from_row,
            )
            .optional()?
            .ok_or(StateError::UnknownAccount(id))
    }

    /// Removes an account with its connection, pins and download records
    /// (the audit log keeps its history).
    pub fn remove_account(&self, id: i64) -> Result<()> {
        let removed = self
            .conn()
            .execute("DELETE FROM accounts WHERE id = ?1", [id])?;
        if removed == 0 {
            return Err(StateError::UnknownAccount(id));
        }
        Ok(())
    }

    /// Sets the account's SFTP connection.
    pub fn set_connection(&self, account: i64, connection: &SftpConnection) -> Result<()> {
        if connection.host.trim().is_empty()
            || connection.username.trim().is_empty()
            || connection.port == 0
        {
            return Err(StateError::Invalid(
                "an SFTP connection needs a host, a port from 1 to 65535 and a username".into(),
            ));
        }
        self.account(account)?;
        self.conn().execute(
            "INSERT INTO connections VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account) DO UPDATE SET host = excluded.host, port = excluded.port,
               username = excluded.username",
            params![
                account,
                connection.host.trim(),
                connection.port,
                connection.username.trim()
            ],
        )?;
        Ok(())
    }

    /// The account's SFTP connection, if set.
    pub fn connection(&self, account: i64) -> Result<Option<SftpConnection>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT host, port, username FROM connections WHERE account = ?1",
                [account],
                |r| {
                    Ok(SftpConnection {
                        host: r.get(0)?,
                        port: r.get(1)?,
                        username: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Pins the host key the user trusted for `host:port`.
    pub fn pin_host_key(
        &self,
        account: i64,
        host: &str,
        port: u16,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if !fingerprint.starts_with("SHA256:") {
            return Err(StateError::Invalid(format!(
                "{fingerprint:?} is not a SHA256 fingerprint"
            )));
        }
        self.conn().execute(
            "INSERT INTO host_keys VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account, host, port) DO UPDATE SET fingerprint = excluded.fingerprint,
               pinned_at = excluded.pinned_at",
            params![account, host, port, fingerprint, ts(now)],
        )?;
        Ok(())
    }

    /// The pinned fingerprint for `host:port`, if any.
    pub fn pinned_host_key(&self, account: i64, host: &str, port: u16) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT fingerprint FROM host_keys WHERE account = ?1 AND host = ?2 AND port = ?3",
                params![account, host, port],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Forgets a pin (after the user confirmed a legitimate key change).
    pub fn forget_host_key(&self, account: i64, host: &str, port: u16) -> Result<()> {
        self.conn().execute(
            "DELETE FROM host_keys WHERE account = ?1 AND host = ?2 AND port = ?3",
            params![account, host, port],
        )?;
        Ok(())
    }

    /// Records a verified download by `actor` with its audit entries
    /// (verified, then finished), all or nothing: what the app and the CLI
    /// do when the engine hands over a file.
    pub fn record_verified(&self, record: &DownloadRecord, actor: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        insert_download(&tx, record)?;
        let verified = AuditEvent::DownloadVerified {
            backup_id: record.backup_id.clone(),
            sha256: record.sha256.clone(),
        };
        insert_audit(
            &tx,
            Some(record.account),
            actor,
            &verified,
            record.verified_at,
        )?;
        let finished = AuditEvent::DownloadFinished {
            backup_id: record.backup_id.clone(),
            path: record.path.clone(),
        };
        insert_audit(
            &tx,
            Some(record.account),
            actor,
            &finished,
            record.verified_at,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The person trusted the server key `fingerprint` of `host:port`: pins
    /// it and records the decision.
    pub fn trust_host_key(
        &self,
        account: i64,
        actor: &str,
        host: &str,
        port: u16,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.pin_host_key(account, host, port, fingerprint, now)?;
        let event = AuditEvent::HostKeyAccepted {
            host: format!("{host}:{port}"),
            fingerprint: fingerprint.into(),
        };
        self.audit(Some(account), actor, &event, now)
    }

    /// A server key was refused (changed, or not trusted): records it.
    pub fn refuse_host_key(
        &self,
        account: i64,
        actor: &str,
        host: &str,
        port: u16,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let event = AuditEvent::HostKeyRejected {
            host: format!("{host}:{port}"),
            fingerprint: fingerprint.into(),
        };
        self.audit(Some(account), actor, &event, now)
    }

    /// The account's verified downloads, newest first (the later one first within a second).
    pub fn downloads(&self, account: i64) -> Result<Vec<DownloadRecord>> {
        self.download_rows(account, false)
    }

    /// The account's verified downloads whose archive was not deleted by
    /// rotation (they still own their path), newest first.
    pub fn live_downloads(&self, account: i64) -> Result<Vec<DownloadRecord>> {
        self.download_rows(account, true)
    }

    /// The paths other accounts' live downloads own.
    pub fn live_paths_of_other_accounts(&self, account: i64) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT path FROM downloads WHERE account != ?1 AND removed_at IS NULL")?;
        let paths = stmt
            .query_map([account], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(paths)
    }

    /// The file of this download was moved (a damaged archive set aside).
    pub fn move_download(&self, record: &DownloadRecord, new_path: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE downloads SET path = ?4 WHERE account = ?1 AND backup_id = ?2 AND path = ?3",
            params![record.account, record.backup_id, record.path, new_path],
        )?;
        Ok(())
    }

    /// Rotation deleted the archive of this download: the record stays (the
    /// backup was downloaded) but no longer owns the path.
    pub fn mark_removed(&self, record: &DownloadRecord, now: DateTime<Utc>) -> Result<()> {
        self.conn().execute(
            "UPDATE downloads SET removed_at = ?4 WHERE account = ?1 AND backup_id = ?2 AND path = ?3",
            params![record.account, record.backup_id, record.path, ts(now)],
        )?;
        Ok(())
    }

    fn download_rows(&self, account: i64, live_only: bool) -> Result<Vec<DownloadRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account, backup_id, path, size_bytes, sha256, verified_at FROM downloads
             WHERE account = ?1 AND (?2 = 0 OR removed_at IS NULL)
             ORDER BY verified_at DESC, rowid DESC",
        )?;
        let rows = stmt
            .query_map(params![account, live_only], |r| {
                Ok(DownloadRecord {
                    account: r.get(0)?,
                    backup_id: r.get(1)?,
                    path: r.get(2)?,
                    size_bytes: r.get::<_, i64>(3)? as u64,
                    sha256: r.get(4)?,
                    verified_at: from_ts(r.get(5)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Appends an event to the audit log.
    pub fn audit(
        &self,
        account: Option<i64>,
        actor: &str,
        event: &AuditEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        insert_audit(&self.conn(), account, actor, event, now)
    }

    /// The audit log (of one account, or all), oldest first.
    pub fn audit_log(&self, account: Option<i64>) -> Result<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, at, account, actor, details FROM audit_log
             WHERE ?1 IS NULL OR account = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([account], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<(i64, i64, Option<i64>, String, String)>>>()?;
        rows.into_iter()
            .map(|(seq, at, account, actor, details)| {
                let event = serde_json::from_str(&details).map_err(|e| {
                    StateError::Invalid(format!("audit entry {seq} is unreadable: {e}"))
                })?;
                Ok(AuditEntry {
                    seq,
                    at: from_ts(at),
                    account,
                    actor,
                    event,
                })
            })
            .collect()
    }
}
