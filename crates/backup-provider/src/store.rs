//! The provider's persistent state in SQLite: accounts and their plans,
//! people, roles, hashed tokens, backups (with the manifest of each
//! archive), terms acceptances, the sample CRM data archives are made from,
//! and settings (terms, the test clock).
//!
//! Every write that depends on a read (a backup request checks the gate and
//! inserts) runs in one `IMMEDIATE` transaction, so concurrent servers and
//! admin commands on the same data never request twice.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use backup_domain::{BackupPolicy, BackupStatus, PastRequest, RequestGate, Role, request_gate};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::archive::ManifestEntry;
use crate::error::ProviderError;
use crate::ids;

mod records;

pub use records::RecordsChange;

type Result<T> = std::result::Result<T, ProviderError>;

const MIGRATIONS: &[&str] = &[
    // 1: the whole first schema.
    "CREATE TABLE accounts (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, plan TEXT NOT NULL,
        cooldown_seconds INTEGER NOT NULL, download_window_seconds INTEGER NOT NULL,
        server_error_reopens INTEGER NOT NULL, created_at INTEGER NOT NULL);
     CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE);
     CREATE TABLE memberships (
        account_id TEXT NOT NULL REFERENCES accounts(id), person_id TEXT NOT NULL REFERENCES people(id),
        role TEXT NOT NULL, PRIMARY KEY (account_id, person_id));
     CREATE TABLE tokens (
        hash TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES people(id), created_at INTEGER NOT NULL);
     CREATE TABLE backups (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts(id), requested_at INTEGER NOT NULL,
        requested_by TEXT NOT NULL REFERENCES people(id), status TEXT NOT NULL,
        status_changed_at INTEGER NOT NULL, ready_at INTEGER, expires_at INTEGER,
        size_bytes INTEGER, sha256 TEXT, file_name TEXT, error_message TEXT,
        idempotency_key TEXT NOT NULL, UNIQUE (requested_by, idempotency_key));
     CREATE INDEX backups_by_account ON backups (account_id, requested_at DESC, seq DESC);
     CREATE TABLE terms_acceptances (
        account_id TEXT NOT NULL, person_id TEXT NOT NULL, version TEXT NOT NULL,
        accepted_at INTEGER NOT NULL, PRIMARY KEY (account_id, person_id, version));
     CREATE TABLE crm_records (
        account_id TEXT NOT NULL REFERENCES accounts(id), object TEXT NOT NULL,
        seq INTEGER NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (account_id, object, seq));
     CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: what each published archive holds (JSON), and the next unused
    // position of an account's records, so deleted records' ids are not reused.
    "ALTER TABLE backups ADD COLUMN manifest TEXT;
     ALTER TABLE accounts ADD COLUMN next_record_seq INTEGER NOT NULL DEFAULT 0;",
];

/// The default download terms until an operator publishes others.
pub const DEFAULT_TERMS_VERSION: &str = "2026-01";
/// Text of the default terms.
pub const DEFAULT_TERMS_TEXT: &str = "This archive contains your account's data, including \
personal and sensitive information. Download it only to a device you control, store it \
encrypted, share it with no one the account holder has not authorised in writing, and \
delete it when you no longer need it.";

/// An account and its plan's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub policy: BackupPolicy,
}

/// A person who can hold tokens and memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// One backup as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRow {
    pub seq: i64,
    pub id: String,
    pub account_id: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: Person,
    pub status: BackupStatus,
    pub status_changed_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub error_message: Option<String>,
}

/// What a backup request did.
#[derive(Debug)]
pub enum RequestOutcome {
    /// A new backup was created.
    Created(BackupRow),
    /// The idempotency key was used before by this person on this account.
    Replayed(BackupRow),
    /// The gate refused.
    Refused(RequestGate),
}

/// The SQLite-backed store; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

use backup_sqlite::{from_ts, ts};

/// Hex SHA-256 of a token: tokens are stored hashed, shown once.
pub fn token_hash(token: &str) -> String {
    ids::hex(&Sha256::digest(token.as_bytes()))
}

const ACCOUNT_COLUMNS: &str = "a.id, a.name, a.plan, a.cooldown_seconds, \
    a.download_window_seconds, a.server_error_reopens";

fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        policy: BackupPolicy {
            plan: r.get(2)?,
            cooldown: seconds(r, 3)?,
            download_window: seconds(r, 4)?,
            server_error_reopens: r.get(5)?,
        },
    })
}

/// A stored duration in seconds (an error, not a panic, when out of range).
fn seconds(r: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<TimeDelta> {
    let secs: i64 = r.get(index)?;
    TimeDelta::try_seconds(secs).ok_or(rusqlite::Error::IntegralValueOutOfRange(index, secs))
}

const BACKUP_COLUMNS: &str = "b.seq, b.id, b.account_id, b.requested_at, p.id, p.name, p.email, \
    b.status, b.status_changed_at, b.ready_at, b.expires_at, b.size_bytes, b.sha256, b.file_name, \
    b.error_message";

fn backup_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<BackupRow> {
    Ok(BackupRow {
        seq: row.get(0)?,
        id: row.get(1)?,
        account_id: row.get(2)?,
        requested_at: from_ts(row.get(3)?),
        requested_by: Person {
            id: row.get(4)?,
            name: row.get(5)?,
            email: row.get(6)?,
        },
        status: BackupStatus::from_wire(&row.get::<_, String>(7)?),
        status_changed_at: from_ts(row.get(8)?),
        ready_at: row.get::<_, Option<i64>>(9)?.map(from_ts),
        expires_at: row.get::<_, Option<i64>>(10)?.map(from_ts),
        size_bytes: row.get(11)?,
        sha256: row.get(12)?,
        file_name: row.get(13)?,
        error_message: row.get(14)?,
    })
}

impl Store {
    /// Opens (creating if needed) `DIR/provider.sqlite3` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join("provider.sqlite3");
        let conn = backup_sqlite::open(&path, MIGRATIONS).map_err(|e| match e {
            backup_sqlite::OpenError::Database(e) => ProviderError::from(e),
            backup_sqlite::OpenError::Newer { found, .. } => ProviderError::Io(format!(
                "{} was written by a newer backup-provider (schema {found}); update it",
                path.display()
            )),
            folder @ backup_sqlite::OpenError::Folder(..) => {
                ProviderError::Io(format!("cannot create the data dir: {folder}"))
            }
        })?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // --- settings -------------------------------------------------------

    /// A setting's value.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(backup_sqlite::setting(&self.conn(), key)?)
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        Ok(backup_sqlite::set_setting(&self.conn(), key, value)?)
    }

    /// The current download terms: (version, text).
    pub fn terms(&self) -> Result<(String, String)> {
        Ok((
            self.setting("terms_version")?
                .unwrap_or_else(|| DEFAULT_TERMS_VERSION.into()),
            self.setting("terms_text")?
                .unwrap_or_else(|| DEFAULT_TERMS_TEXT.into()),
        ))
    }

    // --- accounts and people -------------------------------------------

    /// Creates an account with a plan and seeds its sample CRM data.
    pub fn create_account(&self, account: &Account, now: DateTime<Utc>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO accounts (id, name, plan, cooldown_seconds,
             download_window_seconds, server_error_reopens, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                account.id,
                account.name,
                account.policy.plan,
                account.policy.cooldown.num_seconds(),
                account.policy.download_window.num_seconds(),
                account.policy.server_error_reopens,
                ts(now)
            ],
        )?;
        if inserted == 0 {
            return Err(ProviderError::Conflict(format!(
                "account {} already exists",
                account.id
            )));
        }
        crate::sample::seed(&tx, &account.id)?;
        tx.commit()?;
        Ok(())
    }

    /// Changes an account's plan policy.
    pub fn set_policy(&self, account_id: &str, policy: &BackupPolicy) -> Result<()> {
        let changed = self.conn().execute(
            "UPDATE accounts SET plan = ?2, cooldown_seconds = ?3, download_window_seconds = ?4,
             server_error_reopens = ?5 WHERE id = ?1",
            params![
                account_id,
                policy.plan,
                policy.cooldown.num_seconds(),
                policy.download_window.num_seconds(),
                policy.server_error_reopens
            ],
        )?;
        if changed == 0 {
            return Err(ProviderError::NotFound(format!("no account {account_id}")));
        }
        Ok(())
    }

    /// An account by id.
    pub fn account(&self, id: &str) -> Result<Option<Account>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ?1"),
                [id],
                account_from_row,
            )
            .optional()?)
    }

    /// Adds a person.
    pub fn add_person(&self, person: &Person) -> Result<()> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO people VALUES (?1, ?2, ?3)",
            params![person.id, person.name, person.email],
        )?;
        if inserted == 0 {
            return Err(ProviderError::Conflict(format!(
                "a person with id {} or email {} already exists",
                person.id, person.email
            )));
        }
        Ok(())
    }

    /// Gives `person` a `role` in `account`. An owner's role cannot be changed.
    pub fn grant(&self, account_id: &str, person_id: &str, role: Role) -> Result<()> {
        let conn = self.conn();
        let current: Option<String> = conn
            .query_row(
                "SELECT role FROM memberships WHERE account_id = ?1 AND person_id = ?2",
                [account_id, person_id],
                |r| r.get(0),
            )
            .optional()?;
        if current.as_deref() == Some("owner") && role != Role::Owner {
            return Err(ProviderError::Conflict(
                "the account owner has every permission and cannot be edited".into(),
            ));
        }
        conn.execute(
            "INSERT INTO memberships VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id, person_id) DO UPDATE SET role = excluded.role",
            params![account_id, person_id, role.as_wire()],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                ProviderError::NotFound(format!("no account {account_id} or no person {person_id}"))
            }
            other => other.into(),
        })?;
        Ok(())
    }

    /// Issues a new token for `person_id`; the plaintext is returned once and
    /// only its hash is kept.
    pub fn issue_token(&self, person_id: &str, now: DateTime<Utc>) -> Result<String> {
        if self.person(person_id)?.is_none() {
            return Err(ProviderError::NotFound(format!("no person {person_id}")));
        }
        let token = format!("bdp_{}", ids::random_hex(24));
        self.conn().execute(
            "INSERT INTO tokens VALUES (?1, ?2, ?3)",
            params![token_hash(&token), person_id, ts(now)],
        )?;
        Ok(token)
    }

    /// Revokes every token of `person_id` and issues a new one (the demo does
    /// this at each start, so tokens of earlier runs stop working).
    pub fn reissue_token(&self, person_id: &str, now: DateTime<Utc>) -> Result<String> {
        self.conn()
            .execute("DELETE FROM tokens WHERE person_id = ?1", [person_id])?;
        self.issue_token(person_id, now)
    }

    /// A person by id.
    pub fn person(&self, id: &str) -> Result<Option<Person>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, name, email FROM people WHERE id = ?1",
                [id],
                |r| {
                    Ok(Person {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        email: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// The person a token belongs to.
    pub fn person_by_token(&self, token: &str) -> Result<Option<Person>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT p.id, p.name, p.email FROM tokens t JOIN people p ON p.id = t.person_id
                 WHERE t.hash = ?1",
                [token_hash(token)],
                |r| {
                    Ok(Person {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        email: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every account `person_id` belongs to, with the role.
    pub fn memberships(&self, person_id: &str) -> Result<Vec<(Account, Role)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS}, m.role FROM memberships m JOIN accounts a ON a.id = m.account_id
             WHERE m.person_id = ?1 ORDER BY a.id"
        ))?;
        let rows = stmt
            .query_map([person_id], |r| {
                Ok((account_from_row(r)?, r.get::<_, String>(6)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // A role this provider does not know grants nothing.
        Ok(rows
            .into_iter()
            .filter_map(|(account, role)| Role::from_wire(&role).map(|role| (account, role)))
            .collect())
    }

    /// `person_id`'s role in `account_id`, if a member.
    pub fn role(&self, account_id: &str, person_id: &str) -> Result<Option<Role>> {
        let role: Option<String> = self
            .conn()
            .query_row(
                "SELECT role FROM memberships WHERE account_id = ?1 AND person_id = ?2",
                [account_id, person_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(role.as_deref().and_then(Role::from_wire))
    }

    // --- backups --------------------------------------------------------

    fn history_in(conn: &Connection, account_id: &str) -> Result<Vec<PastRequest>> {
        let mut stmt =
            conn.prepare("SELECT requested_at, status FROM backups WHERE account_id = ?1")?;
        let rows = stmt
            .query_map([account_id], |r| {
                Ok(PastRequest {
                    requested_at: from_ts(r.get(0)?),
                    status: BackupStatus::from_wire(&r.get::<_, String>(1)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The gate for `role` in `account` at `now`.
    pub fn gate(&self, account: &Account, role: Role, now: DateTime<Utc>) -> Result<RequestGate> {
        let history = Self::history_in(&self.conn(), &account.id)?;
        Ok(request_gate(&account.policy, role, &history, now))
    }

    /// Requests a backup: replays a used idempotency key, else checks the
    /// gate and inserts, atomically.
    pub fn request_backup(
        &self,
        account: &Account,
        person: &Person,
        role: Role,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<RequestOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let previous: Option<(String, String)> = tx
            .query_row(
                "SELECT id, account_id FROM backups WHERE requested_by = ?1 AND idempotency_key = ?2",
                [&person.id, idempotency_key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, account_id)) = previous {
            if account_id != account.id {
                return Err(ProviderError::IdempotencyConflict);
            }
            let row = Self::backup_in(&tx, &account.id, &id)?.ok_or(ProviderError::Internal)?;
            return Ok(RequestOutcome::Replayed(row));
        }
        let history = Self::history_in(&tx, &account.id)?;
        let gate = request_gate(&account.policy, role, &history, now);
        if !gate.allowed {
            return Ok(RequestOutcome::Refused(gate));
        }
        let id = format!("bk_{}", ids::random_hex(8));
        tx.execute(
            "INSERT INTO backups (id, account_id, requested_at, requested_by, status,
             status_changed_at, idempotency_key) VALUES (?1, ?2, ?3, ?4, 'awaiting_release', ?3, ?5)",
            params![id, account.id, ts(now), person.id, idempotency_key],
        )?;
        let row = Self::backup_in(&tx, &account.id, &id)?.ok_or(ProviderError::Internal)?;
        tx.commit()?;
        Ok(RequestOutcome::Created(row))
    }

    fn backup_in(conn: &Connection, account_id: &str, id: &str) -> Result<Option<BackupRow>> {
        Self::query_backup(conn, "b.account_id = ?1 AND b.id = ?2", &[account_id, id])
    }

    /// The one backup matching `condition` (on the `b` alias), if any.
    fn query_backup(
        conn: &Connection,
        condition: &str,
        args: &[&str],
    ) -> Result<Option<BackupRow>> {
        Ok(conn
            .query_row(
                &format!(
                    "SELECT {BACKUP_COLUMNS} FROM backups b JOIN people p ON p.id = b.requested_by
                     WHERE {condition}"
                ),
                rusqlite::params_from_iter(args),
                backup_from_row,
            )
            .optional()?)
    }

    /// A backup of `account_id`.
    pub fn backup(&self, account_id: &str, id: &str) -> Result<Option<BackupRow>> {
        Self::backup_in(&self.conn(), account_id, id)
    }

    /// A backup by id alone (operator commands).
    pub fn backup_any(&self, id: &str) -> Result<Option<BackupRow>> {
        Self::query_backup(&self.conn(), "b.id = ?1", &[id])
    }

    /// Up to `limit` backups, newest first, after the cursor position
    /// `(requested_at, seq)`.
    pub fn list_backups(
        &self,
        account_id: &str,
        limit: usize,
        after: Option<(i64, i64)>,
    ) -> Result<Vec<BackupRow>> {
        let (at, seq) = after.unwrap_or((i64::MAX, i64::MAX));
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {BACKUP_COLUMNS} FROM backups b JOIN people p ON p.id = b.requested_by
             WHERE b.account_id = ?1 AND (b.requested_at < ?2 OR (b.requested_at = ?2 AND b.seq < ?3))
             ORDER BY b.requested_at DESC, b.seq DESC LIMIT ?4"
        ))?;
        let rows = stmt
            .query_map(params![account_id, at, seq, limit as i64], backup_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Moves a backup from one of `from` to `to`, recording `at`.
    pub fn transition(
        &self,
        id: &str,
        from: &[BackupStatus],
        to: BackupStatus,
        at: DateTime<Utc>,
        error_message: Option<&str>,
    ) -> Result<BackupRow> {
        let row = self
            .backup_any(id)?
            .ok_or_else(|| ProviderError::NotFound(format!("no backup {id}")))?;
        if !from.contains(&row.status) {
            return Err(ProviderError::Conflict(format!(
                "backup {id} is {} and cannot become {to}",
                row.status
            )));
        }
        self.conn().execute(
            "UPDATE backups SET status = ?2, status_changed_at = ?3, error_message = ?4 WHERE id = ?1",
            params![id, to.as_wire(), ts(at), error_message],
        )?;
        self.backup_any(id)?.ok_or(ProviderError::Internal)
    }

    /// Marks an in-progress backup ready with its published archive and
    /// the archive's manifest.
    pub fn mark_ready(
        &self,
        id: &str,
        archive: &crate::archive::Archive,
        at: DateTime<Utc>,
        window: TimeDelta,
    ) -> Result<BackupRow> {
        let manifest =
            serde_json::to_string(&archive.manifest).map_err(|_| ProviderError::Internal)?;
        let changed = self.conn().execute(
            "UPDATE backups SET status = 'ready', status_changed_at = ?2, ready_at = ?2,
             expires_at = ?3, size_bytes = ?4, sha256 = ?5, file_name = ?6, manifest = ?7
             WHERE id = ?1 AND status = 'in_progress'",
            params![
                id,
                ts(at),
                ts(backup_domain::expires_at(at, window)),
                archive.size_bytes as i64,
                archive.sha256,
                archive.file_name,
                manifest
            ],
        )?;
        if changed == 0 {
            return Err(ProviderError::Conflict(format!(
                "backup {id} is no longer in progress"
            )));
        }
        self.backup_any(id)?.ok_or(ProviderError::Internal)
    }

    /// What the archive of backup `id` holds, as written when it was made:
    /// `None` until it is ready (and for archives made before manifests
    /// were kept). Fails when there is no such backup.
    pub fn manifest(&self, id: &str) -> Result<Option<Vec<ManifestEntry>>> {
        let stored: Option<Option<String>> = self
            .conn()
            .query_row("SELECT manifest FROM backups WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let json = stored.ok_or_else(|| ProviderError::NotFound(format!("no backup {id}")))?;
        json.map(|json| {
            serde_json::from_str(&json).map_err(|e| {
                ProviderError::Io(format!("the manifest of backup {id} is unreadable: {e}"))
            })
        })
        .transpose()
    }

    /// Expires every ready backup whose window ended at or before `now`;
    /// the status change is dated at the window's end. Returns the archives
    /// to delete, as paths relative to the served directory.
    pub fn expire_due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "UPDATE backups SET status = 'expired', status_changed_at = expires_at
             WHERE status = 'ready' AND expires_at <= ?1 RETURNING account_id, file_name",
        )?;
        let names = stmt
            .query_map([ts(now)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(names
            .into_iter()
            .filter_map(|(account, name)| Some(crate::archive::remote_path(&account, &name?)))
            .collect())
    }

    /// (account, archive file name) of every ready backup.
    pub fn published_archives(&self) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT account_id, file_name FROM backups WHERE status = 'ready' AND file_name IS NOT NULL",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Backups in `status` whose status changed at or before `before` (auto mode).
    pub fn due(&self, status: &BackupStatus, before: DateTime<Utc>) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id FROM backups WHERE status = ?1 AND status_changed_at <= ?2 ORDER BY seq",
        )?;
        let ids = stmt
            .query_map(params![status.as_wire(), ts(before)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    // --- terms ----------------------------------------------------------

    /// When `person_id` accepted `version` for `account_id`, if they did.
    pub fn acceptance(
        &self,
        account_id: &str,
        person_id: &str,
        version: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let at: Option<i64> = self
            .conn()
            .query_row(
                "SELECT accepted_at FROM terms_acceptances
                 WHERE account_id = ?1 AND person_id = ?2 AND version = ?3",
                [account_id, person_id, version],
                |r| r.get(0),
            )
            .optional()?;
        Ok(at.map(from_ts))
    }

    /// Records an acceptance; returns `(accepted_at, newly_recorded)`.
    pub fn accept_terms(
        &self,
        account_id: &str,
        person_id: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, bool)> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO terms_acceptances VALUES (?1, ?2, ?3, ?4)",
            params![account_id, person_id, version, ts(now)],
        )?;
        let at = self
            .acceptance(account_id, person_id, version)?
            .ok_or(ProviderError::Internal)?;
        Ok((at, inserted == 1))
    }
}

#[cfg(test)]
mod tests;
