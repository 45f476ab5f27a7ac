//! Saving the journal while a download runs (see [`super::checkpoints`] for
//! when, and [`crate::journal`] for the two kinds of save).
//!
//! An unsynced save is asked for by the session that just wrote the bytes
//! which make it due, right after writing them (a session held up by the
//! scheduler is not writing either), and made by a thread of its own that
//! waits for nothing else: the file operations stay off the sessions' path
//! (made by the sessions themselves, they slowed one session on loopback by
//! a quarter, measured). A synced save runs on another thread (syncing what
//! a fast transfer wrote takes tens of milliseconds, and the unsynced saves
//! go on meanwhile).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::checkpoints::{Checkpoints, Save};
use crate::journal::{Journal, RangeSet, Unsynced};
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
    /// The newest unsynced save asked for, and whether the download ended.
    asked: Mutex<(Option<RangeSet>, bool)>,
    wake: Condvar,
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
            synced: Mutex::new(synced),
            syncing: AtomicBool::new(false),
            asked: Mutex::new((None, false)),
            wake: Condvar::new(),
        }
    }

    /// Called by a session under the plan's lock, with the ranges written
    /// so far (`done`): asks for an unsynced save of them if one is due.
    pub fn after_write(&self, done: &RangeSet, sessions: usize) {
        if self.boot.is_none() {
            return;
        }
        let now = Instant::now();
        {
            let mut checkpoints = lock(&self.checkpoints);
            if !checkpoints.unsynced_due(done.covered(), sessions, now) {
                return;
            }
            checkpoints.saved(Save::Unsynced, done.covered(), now);
        }
        lock(&self.asked).0 = Some(done.clone());
        self.wake.notify_one();
    }

    /// The unsynced saves' thread: saves the newest snapshot asked for
    /// until the guard of [`Journaling::closing`] is dropped.
    pub fn write_unsynced(&self) {
        loop {
            let written = {
                let mut asked = lock(&self.asked);
                loop {
                    match asked.0.take() {
                        Some(written) => break written,
                        None if asked.1 => return,
                        None => asked = self.wake.wait(asked).unwrap_or_else(|p| p.into_inner()),
                    }
                }
            };
            self.save_unsynced(written);
        }
    }

    /// Ends [`Journaling::write_unsynced`] once what was asked is saved,
    /// when the guard returned is dropped (also when unwinding, so that a
    /// scope waiting for that thread cannot hang).
    pub fn closing(&self) -> Closing<'_, 'a> {
        Closing(self)
    }

    /// Saves what is `written` (every range of it on disk or in the
    /// system's cache) with what is synced, for this boot.
    fn save_unsynced(&self, written: RangeSet) {
        let journal = self.journal(lock(&self.synced).clone(), written);
        let _ = self.partial.save_journal_unsynced(&journal);
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

/// See [`Journaling::closing`].
pub(super) struct Closing<'j, 'a>(&'j Journaling<'a>);

impl Drop for Closing<'_, '_> {
    fn drop(&mut self) {
        lock(&self.0.asked).1 = true;
        self.0.wake.notify_one();
    }
}
