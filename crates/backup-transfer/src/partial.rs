//! The partial download of one backup, and the lock that makes it belong to
//! one downloader.
//!
//! Two backups may suggest the same file name (the contract allows it), and
//! the app and the command line may download at the same time, so the files
//! of an unfinished download are named after the backup id, not the name.
//! In the download folder, for backup `<id>` (ids are `[A-Za-z0-9_-]`, so
//! they are safe in a file name):
//! - `.<id>.part`: the bytes at their offsets, full size from the start;
//! - `.<id>.journal`: which ranges of it are on disk ([`Journal`]);
//! - `.<id>.journal.tmp`, `.<id>.journal.synced.tmp`: a journal being
//!   replaced;
//! - `.<id>.journal.written`: the ranges written so far, synced or not, on
//!   this boot ([`WrittenLog`]), for the journal that has its key.
//!
//! Whoever downloads holds an exclusive lock on `.<id>.part` for the whole
//! run; a second downloader of the same backup is refused with `Busy`
//! before it touches anything. Only the holder of the lock truncates,
//! removes or finalizes these files.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use fs4::{FileExt, TryLockError};

use crate::error::TransferError;
use crate::files;
use crate::journal::{Journal, WrittenLog};
use backup_owner_only as owner_only;

/// How often a lock is retried when the partial file is replaced between
/// opening and locking it (its holder finished or discarded it meanwhile).
const LOCK_ATTEMPTS: usize = 5;

/// Paths of the partial file and its journal for a backup:
/// `.<backup id>.part` and `.<backup id>.journal` in `dest_dir`.
/// Fails with `Invalid` for an id that is not a valid backup id.
pub fn partial_paths(
    dest_dir: &Path,
    backup_id: &str,
) -> Result<(PathBuf, PathBuf), TransferError> {
    check_backup_id(backup_id)?;
    Ok((
        dest_dir.join(format!(".{backup_id}.part")),
        dest_dir.join(format!(".{backup_id}.journal")),
    ))
}

/// Bytes an interrupted download of `backup_id` already holds in
/// `dest_dir` (what a resume starts from: 0 when its journal is missing or
/// damaged), or `None` when there is no partial download (or the id is invalid).
pub fn resumable_bytes(dest_dir: &Path, backup_id: &str) -> Option<u64> {
    let (part, journal) = partial_paths(dest_dir, backup_id).ok()?;
    let on_disk = fs::symlink_metadata(&part)
        .ok()
        .filter(|m| m.is_file())?
        .len();
    Some(
        Journal::load(&journal)
            .filter(|j| j.backup_id == backup_id && j.size == on_disk)
            .map_or(0, |j| j.done.covered()),
    )
}

/// Deletes a kept partial download of `backup_id` (after a cancel the user
/// does not want to resume). `Busy` while a download of it is running.
pub fn discard_partial(dest_dir: &Path, backup_id: &str) -> Result<(), TransferError> {
    match Partial::lock(dest_dir, backup_id, false)? {
        Some(partial) => partial.discard(),
        None => {
            // No partial file: at most a journal left over, which no one holds.
            let (_, journal) = partial_paths(dest_dir, backup_id)?;
            remove_journal(&journal);
        }
    }
    Ok(())
}

/// Removes the journal at `journal` first (without it, what is beside it is
/// not believed), then what is beside it.
fn remove_journal(journal: &Path) {
    let _ = fs::remove_file(journal);
    for companion in Journal::companion_paths(journal) {
        let _ = fs::remove_file(companion);
    }
}

/// Whether `error` says the file system cannot reserve space ahead of the
/// writes: NFSv3 and many FUSE file systems on Linux (`EOPNOTSUPP`), FAT-like
/// or network volumes on Windows, and Wine. A reservation only makes a full
/// disk fail early, so the download goes on without one.
fn cannot_reserve(error: &std::io::Error) -> bool {
    // ERROR_INVALID_FUNCTION and ERROR_NOT_SUPPORTED, which std leaves uncategorized.
    error.kind() == std::io::ErrorKind::Unsupported
        || cfg!(windows) && matches!(error.raw_os_error(), Some(1 | 50))
}

/// Refuses an id that could not safely name a file.
pub(crate) fn check_backup_id(backup_id: &str) -> Result<(), TransferError> {
    if backup_domain::is_valid_id(backup_id) {
        Ok(())
    } else {
        Err(TransferError::Invalid(
            "The backup id is not valid (only letters, digits, '-' and '_', at most 128); nothing was downloaded.".into(),
        ))
    }
}

/// The locked partial file of one backup. The lock is released when this is
/// dropped (the files stay for a resume) or consumed by
/// [`Partial::discard`] or [`Partial::finalize`].
#[derive(Debug)]
pub(crate) struct Partial {
    file: File,
    part: PathBuf,
    journal: PathBuf,
}

impl Partial {
    /// Opens (creating it, user-only) and locks the partial file of `backup_id`.
    pub(crate) fn acquire(dest_dir: &Path, backup_id: &str) -> Result<Partial, TransferError> {
        let partial = Self::lock(dest_dir, backup_id, true)?;
        partial.ok_or_else(|| TransferError::local(dest_dir, "the partial file vanished"))
    }

    /// Opens and locks the partial file; `None` if it does not exist and
    /// `create` is false. Locking first, then checking that the path still
    /// names the locked file, means a holder that removes the path cannot
    /// leave a second downloader locking an orphan.
    fn lock(
        dest_dir: &Path,
        backup_id: &str,
        create: bool,
    ) -> Result<Option<Partial>, TransferError> {
        let (part, journal) = partial_paths(dest_dir, backup_id)?;
        for _ in 0..LOCK_ATTEMPTS {
            let mut options = owner_only::read_write_options();
            options.create(create);
            let file = match options.open(&part) {
                Ok(file) => file,
                Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(TransferError::local(&part, e)),
            };
            match FileExt::try_lock(&file) {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(TransferError::Busy {
                        backup_id: backup_id.to_owned(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(TransferError::local(&part, e)),
            }
            if files::is_same_file(&file, &part) {
                owner_only::restrict(&file).map_err(|e| TransferError::local(&part, e))?;
                return Ok(Some(Partial {
                    file,
                    part,
                    journal,
                }));
            }
        }
        Err(TransferError::local(
            &part,
            "the partial file keeps being replaced; is another program using it?",
        ))
    }

    /// The locked handle: every write, the hash and the finalization use it.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    pub(crate) fn path(&self) -> &Path {
        &self.part
    }

    /// The journal to resume from: consistent, describing the same download
    /// as `expected`, and matching the partial file's length. `None` means
    /// start over.
    pub(crate) fn resumable(&self, expected: &Journal) -> Option<Journal> {
        let journal = Journal::load(&self.journal)?;
        let on_disk = self.file.metadata().ok()?.len();
        (journal.same_download(expected) && on_disk == journal.size).then_some(journal)
    }

    /// Empties the partial file and gives it `size` bytes, reserving the
    /// space now so a full disk fails here, not mid-way. On failure nothing
    /// of this backup is left in the folder.
    pub(crate) fn start_fresh(&self, size: u64) -> Result<(), TransferError> {
        // The record of the run before goes too (with another key than the
        // new journal's, it would not be believed anyway).
        remove_journal(&self.journal);
        let result = self.reset(size);
        if result.is_err() {
            self.remove_files();
        }
        result
    }

    fn reset(&self, size: u64) -> Result<(), TransferError> {
        let local = |e: std::io::Error| TransferError::local(&self.part, e);
        let dir = self.part.parent().unwrap_or(&self.part);
        self.file.set_len(0).map_err(local)?;
        files::ensure_space(dir, size)?;
        if size > 0 {
            match FileExt::allocate(&self.file, size) {
                Ok(()) => {}
                Err(e) if files::is_no_space(&e) => {
                    return Err(TransferError::DiskFull {
                        dir: dir.to_path_buf(),
                        needed: size,
                        available: 0,
                    });
                }
                // The free space was checked above; `set_len` gives the size.
                Err(e) if cannot_reserve(&e) => {}
                Err(e) => return Err(local(e)),
            }
        }
        self.file.set_len(size).map_err(local)
    }

    /// Replaces the journal.
    pub(crate) fn save_journal(&self, journal: &Journal) -> Result<(), TransferError> {
        journal
            .save(&self.journal)
            .map_err(|e| TransferError::local(&self.journal, e))
    }

    /// Opens the record of written ranges beside the journal (see
    /// [`WrittenLog`]).
    pub(crate) fn written_log(&self) -> Result<WrittenLog, TransferError> {
        WrittenLog::open(&self.journal).map_err(|e| TransferError::local(&self.journal, e))
    }

    /// Saves a journal that says unsynced ranges, without a sync (see
    /// [`Journal::save_unsynced`]).
    pub(crate) fn save_journal_unsynced(&self, journal: &Journal) -> Result<(), TransferError> {
        journal
            .save_unsynced(&self.journal)
            .map_err(|e| TransferError::local(&self.journal, e))
    }

    /// Removes the partial file and its journal.
    pub(crate) fn discard(self) {
        self.remove_files();
    }

    /// Gives the verified bytes of the locked handle their final name (see
    /// [`files::finalize`]) and removes the journal.
    pub(crate) fn finalize(self, dest_dir: &Path, name: &str) -> Result<PathBuf, TransferError> {
        let path = files::finalize(&self.file, &self.part, dest_dir, name)?;
        remove_journal(&self.journal);
        Ok(path)
    }

    /// Like [`Partial::finalize`], but puts the verified file in `target`'s
    /// place (see [`files::finalize_replacing`]).
    pub(crate) fn finalize_replacing(
        self,
        dest_dir: &Path,
        target: &Path,
        name: &str,
    ) -> Result<PathBuf, TransferError> {
        let path = files::finalize_replacing(&self.file, &self.part, dest_dir, target, name)?;
        remove_journal(&self.journal);
        Ok(path)
    }

    fn remove_files(&self) {
        // Only the file this lock is on: a file that replaced it is not ours.
        if files::is_same_file(&self.file, &self.part) {
            let _ = fs::remove_file(&self.part);
        }
        remove_journal(&self.journal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_are_named_after_the_backup_and_bad_ids_are_refused() {
        let dir = Path::new("/downloads");
        let (part, journal) = partial_paths(dir, "bk_01-A").expect("a valid id");
        assert_eq!(part, dir.join(".bk_01-A.part"));
        assert_eq!(journal, dir.join(".bk_01-A.journal"));
        for bad in ["", "..", "../x", "a/b", "a\\b", "a.b", "x\u{202E}y"] {
            assert!(
                matches!(partial_paths(dir, bad), Err(TransferError::Invalid(_))),
                "{bad:?} could name a file outside the folder or another backup's"
            );
            assert_eq!(resumable_bytes(dir, bad), None);
        }
    }

    #[test]
    fn a_second_holder_of_the_same_backup_is_refused_as_busy() {
        let dir = tempfile::tempdir().expect("tmp");
        let first = Partial::acquire(dir.path(), "bk-1").expect("first lock");
        match Partial::acquire(dir.path(), "bk-1") {
            Err(TransferError::Busy { backup_id }) => assert_eq!(backup_id, "bk-1"),
            other => panic!("two downloaders of one backup must not share a partial: {other:?}"),
        }
        assert!(
            matches!(
                discard_partial(dir.path(), "bk-1"),
                Err(TransferError::Busy { .. })
            ),
            "a running download's partial is not discarded under it"
        );
        let other = Partial::acquire(dir.path(), "bk-2");
        assert!(other.is_ok(), "another backup is independent: {other:?}");
        drop(first);
        let again = Partial::acquire(dir.path(), "bk-1");
        assert!(again.is_ok(), "the lock ends with its holder: {again:?}");
    }

    /// Regression: Wine (and NFSv3, FUSE…) cannot reserve space ahead; every
    /// download failed there with "Call not implemented" before it started.
    #[test]
    fn a_fresh_partial_has_its_full_size_even_where_space_cannot_be_reserved() {
        let dir = tempfile::tempdir().expect("tmp");
        let partial = Partial::acquire(dir.path(), "bk-1").expect("lock");
        partial
            .start_fresh(3 << 20)
            .expect("a download starts whether or not the file system can reserve space");
        assert_eq!(
            partial.file().metadata().expect("meta").len(),
            3 << 20,
            "the partial file has the backup's full size from the start"
        );
        assert!(cannot_reserve(&std::io::Error::from(
            std::io::ErrorKind::Unsupported
        )));
        assert!(
            !cannot_reserve(&std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
            "any other failure to reserve still stops the download"
        );
    }

    #[test]
    fn a_holder_that_removed_the_partial_leaves_no_orphan_to_lock() {
        let dir = tempfile::tempdir().expect("tmp");
        let first = Partial::acquire(dir.path(), "bk-1").expect("first lock");
        fs::write(first.path(), b"first").expect("write");
        first.discard();
        let second = Partial::acquire(dir.path(), "bk-1").expect("second lock");
        assert!(
            files::is_same_file(second.file(), second.path()),
            "the lock is on the file the path names"
        );
        assert_eq!(
            fs::metadata(second.path()).expect("meta").len(),
            0,
            "a new partial, not the discarded one"
        );
    }

    /// The record of ranges written beside the journal goes wherever the
    /// journal goes: a fresh start (where it would vouch for the run
    /// before's bytes), a discard, a finished download.
    #[test]
    fn the_record_of_written_ranges_goes_with_the_journal() {
        let dir = tempfile::tempdir().expect("tmp");
        let (_, journal_path) = partial_paths(dir.path(), "bk-1").expect("paths");
        let written = Journal::written_path(&journal_path);
        let journal = Journal {
            backup_id: "bk-1".into(),
            remote_path: "b.zip".into(),
            size: 4096,
            expected_sha256: "ab".repeat(32),
            done: crate::journal::RangeSet::default(),
            unsynced: None,
            written_key: None,
        };
        let record = || fs::write(&written, b"a record").expect("record");

        let partial = Partial::acquire(dir.path(), "bk-1").expect("lock");
        record();
        partial.start_fresh(4096).expect("fresh");
        assert!(!written.exists(), "a fresh start removes it");
        record();
        partial.discard();
        assert!(!written.exists(), "a discard removes it");

        let partial = Partial::acquire(dir.path(), "bk-1").expect("lock");
        partial.start_fresh(4096).expect("fresh");
        partial.save_journal(&journal).expect("journal");
        record();
        let out = partial.finalize(dir.path(), "b.zip").expect("finalize");
        assert!(out.exists());
        assert!(
            !written.exists() && !journal_path.exists(),
            "a finished download leaves neither"
        );

        fs::write(&written, b"left over").expect("write");
        discard_partial(dir.path(), "bk-1").expect("discard without a partial");
        assert!(!written.exists(), "nor does a discard with no partial left");
    }
}
