//! When the journal is saved. Often enough that a killed download fetches
//! again at most about one read window per session (the bytes on disk that
//! no journal vouches for yet), seldom enough that the syncs cost little.
//!
//! Two kinds of save (see [`crate::journal`]): a synced one (the partial
//! file synced first, for all sessions at once, then the journal synced),
//! never more than [`SHORTEST_GAP`] apart; and, where the system has a boot
//! id, an unsynced one in between (no sync at all: the record beside the
//! journal says which ranges are written and on which boot), due after a
//! quarter of a read window per session (cheap, so with room for a late
//! save), at most every [`UNSYNCED_GAP`]. On loopback (hundreds of MB/s)
//! the synced saves alone leave 20 ms of bytes unvouched; the unsynced ones
//! keep it within a window.

use std::time::{Duration, Instant};

/// At most this long between journal saves while bytes arrive.
pub(crate) const LONGEST_GAP: Duration = Duration::from_millis(250);

/// At least this long between synced journal saves: each costs two flushes
/// to the disk, which a fast local transfer would otherwise make hundreds of
/// times a second. On an internet link a read window takes longer than this.
pub(crate) const SHORTEST_GAP: Duration = Duration::from_millis(20);

/// At least this long between unsynced saves (a record of a few hundred
/// bytes rewritten in place: a few microseconds; at 300 MB/s, a save every
/// 150 KB at most).
pub(crate) const UNSYNCED_GAP: Duration = Duration::from_micros(500);

/// Which save is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Save {
    /// Sync the partial file, then save a journal of what is synced.
    Synced,
    /// Record what is written, unsynced (see [`crate::journal`]).
    Unsynced,
}

/// The cadence of journal saves and what the last saves covered.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    /// Bytes completed since the last save, per session at work, that make
    /// a save due. Half a read window: the bytes that land while the sync
    /// and the save run still leave the unsaved part within one window.
    per_session: u64,
    longest: Duration,
    shortest: Duration,
    synced_bytes: u64,
    synced_at: Instant,
    /// The last save of either kind.
    saved_bytes: u64,
    saved_at: Instant,
}

impl Checkpoints {
    /// `window`: what one session has in flight; `saved_bytes`: what the
    /// journal on disk already covers, synced, saved at `now`; synced saves
    /// at most `longest` and at least `shortest` apart.
    pub fn new(
        window: u64,
        (shortest, longest): (Duration, Duration),
        saved_bytes: u64,
        now: Instant,
    ) -> Checkpoints {
        Checkpoints {
            per_session: (window / 2).max(1),
            longest,
            shortest,
            synced_bytes: saved_bytes,
            synced_at: now,
            saved_bytes,
            saved_at: now,
        }
    }

    /// Whether to sync and save now, with `covered` bytes complete and
    /// `sessions` at work (the caller starts none while one runs).
    pub fn synced_due(&self, covered: u64, sessions: usize, now: Instant) -> bool {
        let fresh = covered.saturating_sub(self.synced_bytes);
        let since = now.saturating_duration_since(self.synced_at);
        fresh > 0
            && since >= self.shortest
            && (fresh >= self.enough(sessions) || since >= self.longest)
    }

    /// Whether to record what is written, unsynced, now (where the system
    /// has a boot id), whatever the synced saves do.
    pub fn unsynced_due(&self, covered: u64, sessions: usize, now: Instant) -> bool {
        let fresh = covered.saturating_sub(self.saved_bytes);
        let since = now.saturating_duration_since(self.saved_at);
        fresh >= self.enough(sessions) / 2 && since >= UNSYNCED_GAP
    }

    /// Half a read window for each session at work.
    fn enough(&self, sessions: usize) -> u64 {
        self.per_session.saturating_mul(sessions.max(1) as u64)
    }

    /// A journal of `save`'s kind covering `covered` bytes was saved at `now`.
    pub fn saved(&mut self, save: Save, covered: u64, now: Instant) {
        if save == Save::Synced {
            self.synced_bytes = covered;
            self.synced_at = now;
        }
        self.saved_bytes = covered;
        self.saved_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn a_synced_save_is_due_after_half_a_window_per_session_or_a_quarter_second() {
        let t0 = Instant::now();
        let gaps = (SHORTEST_GAP, LONGEST_GAP);
        let mut checkpoints = Checkpoints::new(MIB, gaps, 10 * MIB, t0);
        let soon = t0 + SHORTEST_GAP;
        let later = t0 + Duration::from_secs(5);
        assert!(
            !checkpoints.synced_due(10 * MIB, 4, later)
                && !checkpoints.unsynced_due(10 * MIB, 4, later),
            "nothing new: no save for nothing"
        );
        assert!(
            !checkpoints.synced_due(11 * MIB, 4, soon),
            "1 MiB over 4 sessions"
        );
        assert!(
            checkpoints.synced_due(12 * MIB, 4, soon),
            "half a window for each of 4 sessions: the killed run would lose up to a window each"
        );
        assert!(
            checkpoints.synced_due(10 * MIB + MIB / 2, 1, soon),
            "one session"
        );
        assert!(
            !checkpoints.synced_due(100 * MIB, 1, t0 + SHORTEST_GAP / 2),
            "a fast local transfer does not flush the disk hundreds of times a second"
        );
        assert!(
            checkpoints.synced_due(10 * MIB + 1, 4, t0 + LONGEST_GAP),
            "a slow link still saves four times a second"
        );
        checkpoints.saved(Save::Synced, 12 * MIB, soon);
        assert!(!checkpoints.synced_due(12 * MIB + 1, 4, soon + Duration::from_millis(200)));
        assert!(checkpoints.synced_due(12 * MIB + 1, 4, soon + LONGEST_GAP));
    }

    #[test]
    fn between_synced_saves_unsynced_ones_follow_every_quarter_window_per_session() {
        let t0 = Instant::now();
        let mut checkpoints = Checkpoints::new(MIB, (SHORTEST_GAP, LONGEST_GAP), 0, t0);
        let early = t0 + UNSYNCED_GAP;
        assert!(
            checkpoints.unsynced_due(MIB, 4, early) && !checkpoints.synced_due(MIB, 4, early),
            "before the synced gap, a fast transfer is followed without a sync"
        );
        assert!(
            !checkpoints.unsynced_due(MIB - 1, 4, early),
            "less than a quarter window each"
        );
        assert!(
            !checkpoints.unsynced_due(64 * MIB, 4, t0 + UNSYNCED_GAP / 2),
            "never more than one every {UNSYNCED_GAP:?}"
        );
        checkpoints.saved(Save::Unsynced, MIB, early);
        assert!(
            !checkpoints.unsynced_due(MIB + MIB / 2, 4, early + UNSYNCED_GAP),
            "a quarter window each since the last save, of either kind"
        );
        assert!(checkpoints.unsynced_due(2 * MIB, 4, early + UNSYNCED_GAP));
        assert!(
            checkpoints.synced_due(4 * MIB, 4, t0 + SHORTEST_GAP),
            "the synced saves keep their own cadence: what a power cut leaves"
        );
        checkpoints.saved(Save::Synced, 4 * MIB, t0 + SHORTEST_GAP);
        assert!(
            !checkpoints.unsynced_due(4 * MIB + MIB / 2, 4, t0 + SHORTEST_GAP + UNSYNCED_GAP),
            "a synced save counts as a save"
        );
    }
}
