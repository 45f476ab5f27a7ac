//! The SQLite file and its operations.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use backup_domain::Role;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

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
    pub verified_at: OffsetDateTime,
}

/// The local database; share it behind an `Arc`.
#[derive(Debug)]
pub struct LocalState {
    conn: Mutex<Connection>,
}

fn ts(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

fn from_ts(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl LocalState {
    /// Opens (creating, user-only) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<LocalState> {
        let io = |message: String| StateError::Io {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(e.to_string()))?;
        }
        let conn = Connection::open(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            return Err(io(format!(
                "it was written by a newer Backup Desk (schema {version}); update the app"
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
                index + 1
            ))?;
        }
        Ok(LocalState {
            conn: Mutex::new(conn),
        })
    }

    /// The database in the app-data dir shared by the app and the CLI.
    pub fn open_in(app_data_dir: &Path) -> Result<LocalState> {
        Self::open(&app_data_dir.join("state.sqlite3"))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A preference (e.g. `current_account`), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a preference.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Forgets a preference.
    pub fn unset_setting(&self, key: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Adds an account, or updates its name and role if it exists; returns the local id.
    pub fn upsert_account(&self, account: &AccountRecord, now: OffsetDateTime) -> Result<i64> {
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

    /// Every configured account, in the order they were added.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, provider_url, account_id, display_name, role, person_name FROM accounts ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
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
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One account by local id.
    pub fn account(&self, id: i64) -> Result<AccountRecord> {
        self.accounts()?
            .into_iter()
            .find(|a| a.id == id)
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
        now: OffsetDateTime,
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

    /// Records a verified download.
    pub fn record_download(&self, record: &DownloadRecord) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO downloads VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
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

    /// The account's verified downloads, newest first (the later one first within a second).
    pub fn downloads(&self, account: i64) -> Result<Vec<DownloadRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account, backup_id, path, size_bytes, sha256, verified_at FROM downloads
             WHERE account = ?1 ORDER BY verified_at DESC, rowid DESC",
        )?;
        let rows = stmt
            .query_map([account], |r| {
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
        now: OffsetDateTime,
    ) -> Result<()> {
        let details =
            serde_json::to_string(event).map_err(|e| StateError::Invalid(e.to_string()))?;
        self.conn().execute(
            "INSERT INTO audit_log (at, account, actor, kind, details) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ts(now), account, actor, event.kind(), details],
        )?;
        Ok(())
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
