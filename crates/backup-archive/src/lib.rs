//! Proves a downloaded backup archive is usable, after its SHA-256 matched:
//! a matching hash says the bytes are the ones the provider published, not
//! that the provider published a readable zip. [`check`] reads every entry to
//! its end (so the zip crate checks every CRC) and counts the records of each
//! CSV, without ever writing an entry anywhere.
//!
//! The archive comes from a provider, so it is untrusted input: entry names are
//! only reported (see [`object_of`]), and [`Limits`] stop an archive that has
//! too many entries or expands too much. Memory stays bounded whatever the
//! archive's size; only the zip's table of contents (part of the file) is held.

mod check;
mod pace;
mod records;

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use check::check;

/// What reading one entry of the archive found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryCheck {
    /// The entry's name in the zip, as stored (never used as a path).
    pub entry: String,
    /// The backup object the entry holds: `contacts` for `contacts.csv`.
    /// `None` for a non-CSV entry or a name that fails [`object_of`].
    pub object: Option<String>,
    /// CSV records, header excluded. `None` for a non-CSV entry and for an
    /// entry that could not be read to its end.
    pub rows: Option<u64>,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// Whether the entry was read to its end and its CRC matched.
    pub crc_ok: bool,
}

/// The outcome of [`check`]: what each entry held and, if anything is wrong,
/// what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveCheck {
    /// The entries read, in the archive's order. A damaged entry is here with
    /// `crc_ok: false`; after a limit stopped the check, only those read so far.
    pub entries: Vec<EntryCheck>,
    /// `None` when every entry was read to its end with a good CRC; otherwise
    /// what is wrong, in plain English for an admin.
    pub problem: Option<String>,
}

impl ArchiveCheck {
    /// Whether every entry was read to its end with a good CRC, within the limits.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// How much an archive may ask of the machine before it is treated as
/// suspicious (reported as a problem, not read further).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries an archive may have.
    pub max_entries: usize,
    /// Uncompressed bytes may not exceed the archive's size × this, plus
    /// [`Limits::ALLOWANCE`] bytes (so small archives of text are never flagged).
    pub max_ratio: u64,
}

impl Limits {
    /// Uncompressed bytes any archive may expand to, on top of the ratio.
    pub const ALLOWANCE: u64 = 64 << 20;

    /// Uncompressed bytes an archive of `archive_size` bytes may expand to.
    pub fn max_inflated(&self, archive_size: u64) -> u64 {
        archive_size
            .saturating_mul(self.max_ratio)
            .saturating_add(Self::ALLOWANCE)
    }
}

impl Default for Limits {
    /// 10,000 entries, a ratio of 1,000.
    fn default() -> Limits {
        Limits {
            max_entries: 10_000,
            max_ratio: 1_000,
        }
    }
}

/// Why a check could not give an answer. A damaged or suspicious archive is
/// not an error: it is an [`ArchiveCheck`] with a `problem`.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The local file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    /// The local file could not be read (the disk, not the archive, failed).
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    /// The caller cancelled the check.
    #[error("the archive check was cancelled")]
    Cancelled,
}

/// The backup object an entry holds: the stem of a `<stem>.csv` name (the
/// extension in any case), when the stem is 1–64 of `[A-Za-z0-9_.-]` and does
/// not start with a dot. Anything else (a folder, `..`, a hidden file, a
/// backslash, a non-ASCII letter) is `None`: the name is only ever shown.
pub fn object_of(entry: &str) -> Option<String> {
    let stem = csv_stem(entry)?;
    let safe = (1..=64).contains(&stem.len())
        && !stem.starts_with('.')
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    safe.then(|| stem.to_owned())
}

/// The name without its `.csv` extension (any case), if it has one.
fn csv_stem(entry: &str) -> Option<&str> {
    let split = entry.len().checked_sub(4)?;
    let (stem, extension) = (entry.get(..split)?, entry.get(split..)?);
    extension.eq_ignore_ascii_case(".csv").then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_csv_names_name_an_object() {
        assert_eq!(object_of("contacts.csv").as_deref(), Some("contacts"));
        assert_eq!(
            object_of("Deal_Stages-2.v1.CSV").as_deref(),
            Some("Deal_Stages-2.v1")
        );
        assert_eq!(
            object_of(&format!("{}.csv", "a".repeat(64))).map(|o| o.len()),
            Some(64)
        );
        for unsafe_name in [
            "../x.csv",
            "a/b.csv",
            "a\\b.csv",
            ".hidden.csv",
            "..csv",
            ".csv",
            "/abs.csv",
            "C:x.csv",
            "contacts .csv",
            "ação.csv",
            "contacts.csv.zip",
            "contacts.txt",
            "csv",
            &format!("{}.csv", "a".repeat(65)),
        ] {
            assert_eq!(
                object_of(unsafe_name),
                None,
                "{unsafe_name:?} must not name an object: the app may use it to label data"
            );
        }
    }

    #[test]
    fn the_default_limits_leave_room_for_text_and_stop_bombs() {
        let limits = Limits::default();
        assert_eq!(
            limits.max_inflated(0),
            64 << 20,
            "an empty file still gets the allowance"
        );
        assert_eq!(
            limits.max_inflated(1 << 30),
            (1u64 << 30) * 1000 + (64 << 20)
        );
        assert_eq!(
            limits.max_inflated(u64::MAX),
            u64::MAX,
            "saturates instead of wrapping"
        );
    }
}
