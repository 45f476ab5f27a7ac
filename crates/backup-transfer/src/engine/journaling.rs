//! Saving the journal while a download runs (see [`super::checkpoints`] for
//! when, and [`crate::journal`] for the two kinds of save).
//!
//! An unsynced save is made by the session that just wrote the bytes which
//! make it due, right after writing them, outside the plan's lock: one write
//! of the record of written ranges beside the journal ([`WrittenLog`], a few
//! microseconds), so it follows the download on a loaded machine too. (It
//! used to be a journal written and renamed on a thread of its own, hundreds
//! of microseconds: made by the sessions, that slowed one session on
//! loopback by a quarter; on its own thread, starved of a core, it fell
//! behind by more than a window.) A synced save runs on a thread of its own
//! (syncing what a fast transfer wrote takes tens of milliseconds, and the
//! unsynced saves go on meanwhile).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::checkpoints::{Checkpoints, Save};
use crate::journal::{Journal, RangeSet, Unsynced, WrittenLog};
use crate::partial::Partial;

/// The running download's journal: what it last vouched for and when.
pub(super) struct Journaling<'a> {
    partial: &'a Partial,
    /// The download's identity, with no ranges.
    expected: &'a Journal,
    /// The boot unsynced saves are made for; `None`: only synced saves.
    boot: Option<&'static str>,
    checkpoints: Mutex<Checkpoints>,
    /// What the last synced journal vouches for.
    synced: Mutex<RangeSet>,
    /// A synced save is running.
    syncing: AtomicBool,
    /// The record of written ranges (`None` until the first unsynced save
    /// opens it, then `Some(None)` if it could not be: not tried again),
    /// and the bytes the newest unsynced save vouches for. Held while one
    /// is made.
    written: Mutex<(Option<Option<WrittenLog>>, u64)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl<'a> Journaling<'a> {
    /// `synced`: what the journal on disk vouches for, synced.
    pub fn new(
        partial: &'a Partial,
        expected: &'a Journal,
        boot: Option<&'static str>,
        checkpoints: Checkpoints,
        synced: RangeSet,
    ) -> Self {
        Journaling {
            partial,
            expected,
            boot,
            checkpoints: Mutex::new(checkpoints),
            written: Mutex::new((None, synced.covered())),
            synced: Mutex::new(synced),
            syncing: AtomicBool::new(false),
        }
    }

    /// Called by a session under the plan's lock, with the ranges written
    /// so far (`done`): when an unsynced save is due, what it is to save,
    /// for [`Journaling::save_unsynced`] once the lock is released.
    pub fn after_write(&self, done: &RangeSet, sessions: usize) -> Option<RangeSet> {
        self.boot?;
        let now = Instant::now();
        let mut checkpoints = lock(&self.checkpoints);
        if !checkpoints.unsynced_due(done.covered(), sessions, now) {
            return None;
        }
        checkpoints.saved(Save::Unsynced, done.covered(), now);
        Some(done.clone())
    }

    /// Saves what is `written` (every range of it on disk or in the
    /// system's cache) for this boot: in the record beside the journal, or,
    /// where that cannot be (ranges by the hundred, a record that could not
    /// be opened), in the journal with what is synced. Never over a newer
    /// unsynced save (two sessions may both have one to make). A save that
    /// fails is left out: the synced saves go on, and the download's own
    /// writes say what is wrong with the disk.
    pub fn save_unsynced(&self, written: RangeSet) {
        let Some(boot) = self.boot else { return };
        let covered = written.covered();
        let mut guard = lock(&self.written);
        let (log, saved) = &mut *guard;
        if covered <= *saved {
            return;
        }
        let in_place = match log.get_or_insert_with(|| self.partial.written_log().ok()) {
            Some(log) => log.save(self.expected, boot, &written),
            None => Ok(false),
        };
        let done = match in_place {
            Ok(true) => true,
            Ok(false) => {
                let journal = self.journal(lock(&self.synced).clone(), written);
                self.partial.save_journal_unsynced(&journal).is_ok()
            }
            Err(_) => false,
        };
        if done {
            *saved = covered;
        }
    }

    /// The journal of this download vouching for `synced` through a power
    /// cut and, on this boot, for `written`.
    fn journal(&self, synced: RangeSet, written: RangeSet) -> Journal {
        Journal {
            done: synced,
            unsynced: self.boot.map(|boot| Unsynced {
                boot: boot.to_owned(),
                written,
            }),
            ..self.expected.clone()
        }
    }

    /// Whether the coordinator should start a synced save now (none while
    /// one runs); if so it is counted as started.
    pub fn start_synced(&self, covered: u64, sessions: usize, finished: bool) -> bool {
        let now = Instant::now();
        let mut checkpoints = lock(&self.checkpoints);
        let due = finished
            || (!self.syncing.load(Ordering::SeqCst)
                && checkpoints.synced_due(covered, sessions, now));
        if due {
            self.syncing.store(true, Ordering::SeqCst);
            checkpoints.saved(Save::Synced, covered, now);
        }
        due
    }

    /// The synced save of `done` (every range of it written), on the
    /// syncing thread: the partial file synced first (one sync for every
    /// session's writes), then the journal that vouches for it, and for
    /// what is written by then (`written_now`) on this boot. Never a journal
    /// over bytes that are not on disk.
    pub fn save_synced(&self, done: RangeSet, written_now: impl FnOnce() -> RangeSet) {
        if self.partial.file().sync_data().is_ok() {
            let journal = self.journal(done.clone(), written_now());
            if self.partial.save_journal(&journal).is_ok() {
                *lock(&self.synced) = done;
            }
        }
        self.syncing.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::checkpoints::{LONGEST_GAP, SHORTEST_GAP};

    const MIB: u64 = 1 << 20;
    const BOOT: Option<&str> = Some("boot-0123456789abcdef");

    fn expected() -> Journal {
        Journal {
            backup_id: "bk_1".into(),
            remote_path: "a.zip".into(),
            size: 64 * MIB,
            expected_sha256: "0".repeat(64),
            done: RangeSet::default(),
            unsynced: None,
            written_key: Some("key-1".into()),
        }
    }

    /// A download of 64 MiB started fresh in `dir`, its journal saved.
    fn fresh_download(dir: &std::path::Path) -> (Partial, Journal) {
        let partial = Partial::acquire(dir, "bk_1").expect("partial");
        partial.start_fresh(64 * MIB).expect("fresh");
        let expected = expected();
        partial.save_journal(&expected).expect("journal");
        (partial, expected)
    }

    /// The last save, as far as the cadence goes.
    fn long_ago() -> Instant {
        Instant::now() - LONGEST_GAP
    }

    fn ranges(ranges: &[(u64, u64)]) -> RangeSet {
        let mut set = RangeSet::default();
        for &(start, end) in ranges {
            set.insert(start, end);
        }
        set
    }

    /// An unsynced save is on disk when the session that made it due goes
    /// on (no thread of its own to wait for), never replaced by an older
    /// one, and in the journal itself when the ranges do not fit a record.
    #[test]
    fn an_unsynced_save_is_made_by_the_session_at_once() {
        let dir = tempfile::tempdir().expect("dir");
        let (partial, expected) = fresh_download(dir.path());
        // A read window of 1 MiB: one session saves every 256 KiB.
        let checkpoints = Checkpoints::new(MIB, (SHORTEST_GAP, LONGEST_GAP), 0, long_ago());
        let journaling =
            Journaling::new(&partial, &expected, BOOT, checkpoints, RangeSet::default());
        let (_, path) = crate::partial_paths(dir.path(), "bk_1").expect("paths");
        let on_disk = || Journal::load_at_boot(&path, BOOT).expect("journal").done;

        assert_eq!(
            journaling.after_write(&ranges(&[(0, MIB / 8)]), 1),
            None,
            "not due"
        );
        let due = journaling
            .after_write(&ranges(&[(0, MIB)]), 1)
            .expect("due");
        journaling.save_unsynced(due);
        assert_eq!(on_disk(), ranges(&[(0, MIB)]), "saved at once");
        journaling.save_unsynced(ranges(&[(0, MIB / 2)]));
        assert_eq!(
            on_disk(),
            ranges(&[(0, MIB)]),
            "an older save never replaces it"
        );

        let scattered: Vec<_> = (0..400)
            .map(|i| (i * 2 * MIB / 64, i * 2 * MIB / 64 + 7))
            .collect();
        let mut many = ranges(&scattered);
        many.insert(0, 2 * MIB);
        journaling.save_unsynced(many.clone());
        assert_eq!(
            on_disk(),
            many,
            "too many ranges for a record: in the journal"
        );
        let journal: Journal =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(journal.unsynced.map(|u| u.written), Some(many));
    }

    /// A record that cannot be opened (its name taken by a folder with a
    /// file in it, which no removal takes, even as root): the unsynced
    /// saves go to the journal instead, every one of them.
    #[test]
    fn without_a_record_unsynced_saves_go_to_the_journal() {
        let dir = tempfile::tempdir().expect("dir");
        let (partial, expected) = fresh_download(dir.path());
        let (_, path) = crate::partial_paths(dir.path(), "bk_1").expect("paths");
        std::fs::create_dir_all(Journal::written_path(&path).join("in-the-way")).expect("folder");
        let checkpoints = Checkpoints::new(MIB, (SHORTEST_GAP, LONGEST_GAP), 0, long_ago());
        let journaling =
            Journaling::new(&partial, &expected, BOOT, checkpoints, RangeSet::default());
        let in_journal = || {
            let journal: Journal =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
            journal.unsynced.map(|u| u.written)
        };
        for end in [MIB, 2 * MIB] {
            journaling.save_unsynced(ranges(&[(0, end)]));
            assert_eq!(in_journal(), Some(ranges(&[(0, end)])), "up to {end}");
        }
    }

    /// Where the system has no boot id, only synced saves are made.
    #[test]
    fn without_a_boot_id_no_unsynced_save_is_made() {
        let dir = tempfile::tempdir().expect("dir");
        let partial = Partial::acquire(dir.path(), "bk_1").expect("partial");
        let expected = expected();
        let checkpoints = Checkpoints::new(MIB, (SHORTEST_GAP, LONGEST_GAP), 0, long_ago());
        let journaling =
            Journaling::new(&partial, &expected, None, checkpoints, RangeSet::default());
        assert_eq!(journaling.after_write(&ranges(&[(0, 8 * MIB)]), 1), None);
        journaling.save_unsynced(ranges(&[(0, 8 * MIB)]));
        let (_, path) = crate::partial_paths(dir.path(), "bk_1").expect("paths");
        assert!(!path.exists() && !Journal::written_path(&path).exists());
    }
}
