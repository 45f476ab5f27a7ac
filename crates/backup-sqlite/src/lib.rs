//! How Backup Desk keeps its SQLite files (the provider's and the app's
//! local state): one way to open and migrate them, so both get the same
//! guarantees — user-only files (the -wal and -shm too), WAL with a busy
//! timeout for concurrent writers, migrations applied under a write lock,
//! and a schema from a newer version refused rather than damaged.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
    #[error("cannot create the folder {0}: {1}")]
    Folder(String, std::io::Error),
    /// The file's schema is newer than this program knows: it was left untouched.
    #[error("schema {found} is newer than this version knows ({known})")]
    Newer { found: i64, known: usize },
}

/// Opens (creating, user-only) the database at `path` and applies the
/// `migrations` it has not seen, each with its version, atomically.
pub fn open(path: &Path, migrations: &[&str]) -> Result<Connection, OpenError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| OpenError::Folder(dir.display().to_string(), e))?;
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Switching a new file to WAL while another program does the same can
    // answer "database is locked" at once, without the busy handler: retry.
    retry_busy(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let version = retry_busy(|| user_version(&conn))?;
    if version as usize > migrations.len() {
        return Err(OpenError::Newer {
            found: version,
            known: migrations.len(),
        });
    }
    for (index, sql) in migrations.iter().enumerate().skip(version as usize) {
        retry_busy(|| migrate(&conn, index, sql))?;
    }
    user_only(path);
    Ok(conn)
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `step` again while SQLite answers "busy" without waiting itself
/// (WAL set-up and recovery), for as long as the busy timeout.
fn retry_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Applies migration `index` under the write lock, unless another process
/// (the app and the CLI may open the file at the same moment) applied it
/// after this one read the version: the version is read again inside the lock.
fn migrate(conn: &Connection, index: usize, sql: &str) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let applied = user_version(conn).and_then(|version| {
        if version as usize > index {
            return Ok(());
        }
        conn.execute_batch(&format!("{sql}; PRAGMA user_version = {};", index + 1))
    });
    match applied {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(error) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

/// The database and its WAL side files are for this user only.
fn user_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A value of the `settings (key PRIMARY KEY, value)` table.
pub fn setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

/// Sets a value of the `settings` table.
pub fn set_setting(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// An instant as stored: Unix seconds.
pub fn ts(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// A stored instant (the epoch for a value out of range).
pub fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[&str] = &[
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE t (x INTEGER)",
    ];

    #[test]
    fn two_programs_opening_a_new_database_at_once_both_succeed() {
        // Regression: the app and the CLI started together both read version
        // 0 and the second failed with "table settings already exists".
        // Regression too: switching to WAL at the same moment answered "database
        // is locked" at once (seen in one run of 10 × 4 openers).
        for _ in 0..50 {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("db.sqlite3");
            let opened: Vec<_> = (0..4)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || open(&path, MIGRATIONS).map(drop))
                })
                .collect();
            for handle in opened {
                handle
                    .join()
                    .expect("thread")
                    .expect("every opener gets a migrated database");
            }
            let conn = open(&path, MIGRATIONS).expect("reopen");
            assert_eq!(user_version(&conn).expect("version"), 2);
        }
    }

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused_untouched() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub/db.sqlite3");
        let conn = open(&path, MIGRATIONS).expect("create");
        set_setting(&conn, "k", "v").expect("set");
        set_setting(&conn, "k", "w").expect("replace");
        drop(conn);
        let conn = open(&path, MIGRATIONS).expect("reopen: nothing to migrate");
        assert_eq!(setting(&conn, "k").expect("get").as_deref(), Some("w"));
        assert_eq!(setting(&conn, "none").expect("get"), None);
        drop(conn);
        let error = open(&path, &MIGRATIONS[..1]).expect_err("an older program");
        assert!(
            matches!(error, OpenError::Newer { found: 2, known: 1 }),
            "{error:?}"
        );
        let conn = open(&path, MIGRATIONS).expect("the file was not touched");
        assert_eq!(setting(&conn, "k").expect("get").as_deref(), Some("w"));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_and_its_wal_are_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("db.sqlite3");
        let conn = open(&path, MIGRATIONS).expect("create");
        for suffix in ["", "-wal", "-shm"] {
            let file = dir.path().join(format!("db.sqlite3{suffix}"));
            let mode = std::fs::metadata(&file)
                .expect("exists")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
        drop(conn);
    }

    #[test]
    fn times_are_unix_seconds() {
        use chrono::TimeZone;
        let at = Utc
            .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
            .single()
            .expect("a valid time");
        assert_eq!(ts(at), 1_795_255_200);
        assert_eq!(from_ts(ts(at)), at);
        assert_eq!(from_ts(i64::MAX), DateTime::UNIX_EPOCH);
    }

    #[test]
    fn a_folder_that_cannot_be_made_says_which() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("file");
        std::fs::write(&file, "x").expect("file");
        let error = open(&file.join("db.sqlite3"), MIGRATIONS).expect_err("a file is no folder");
        assert!(matches!(error, OpenError::Folder(..)), "{error:?}");
    }
}
