//! When the journal is saved. Often enough that a killed download fetches
//! again at most about one read window per session (the bytes on disk that
//! no journal vouches for yet), seldom enough that the syncs before each
//! save cost little: one sync of the partial file for all sessions at once,
//! and never more than [`SHORTEST_GAP`] apart.

use std::time::{Duration, Instant};

/// At most this long between journal saves while bytes arrive.
pub(crate) const LONGEST_GAP: Duration = Duration::from_millis(250);

/// At least this long between journal saves: each costs two flushes to the
/// disk, which a fast local transfer would otherwise make hundreds of times
/// a second. On an internet link a read window takes longer than this.
pub(crate) const SHORTEST_GAP: Duration = Duration::from_millis(20);

/// The cadence of journal saves and what the last save covered.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    /// Bytes completed since the last save, per session at work, that make
    /// a save due. Half a read window: the bytes that land while the sync
    /// and the save run still leave the unsaved part within one window.
    per_session: u64,
    longest: Duration,
    shortest: Duration,
    saved_bytes: u64,
    saved_at: Instant,
}

impl Checkpoints {
    /// `window`: what one session has in flight; `saved_bytes`: what the
    /// journal on disk already covers, saved at `now`; saves at most
    /// `longest` and at least `shortest` apart.
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
            saved_bytes,
            saved_at: now,
        }
    }

    /// Whether to sync and save now, with `covered` bytes complete and
    /// `sessions` at work.
    pub fn due(&self, covered: u64, sessions: usize, now: Instant) -> bool {
        let fresh = covered.saturating_sub(self.saved_bytes);
        let since = now.saturating_duration_since(self.saved_at);
        fresh > 0
            && since >= self.shortest
            && (fresh >= self.per_session.saturating_mul(sessions.max(1) as u64)
                || since >= self.longest)
    }

    /// A journal covering `covered` bytes was saved at `now`.
    pub fn saved(&mut self, covered: u64, now: Instant) {
        self.saved_bytes = covered;
        self.saved_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn a_save_is_due_after_half_a_window_per_session_or_a_quarter_second() {
        let t0 = Instant::now();
        let gaps = (SHORTEST_GAP, LONGEST_GAP);
        let mut checkpoints = Checkpoints::new(MIB, gaps, 10 * MIB, t0);
        let soon = t0 + SHORTEST_GAP;
        assert!(
            !checkpoints.due(10 * MIB, 4, t0 + Duration::from_secs(5)),
            "nothing new: no sync for nothing"
        );
        assert!(!checkpoints.due(11 * MIB, 4, soon), "1 MiB over 4 sessions");
        assert!(
            checkpoints.due(12 * MIB, 4, soon),
            "half a window for each of 4 sessions: the killed run would lose up to a window each"
        );
        assert!(checkpoints.due(10 * MIB + MIB / 2, 1, soon), "one session");
        assert!(
            !checkpoints.due(100 * MIB, 1, t0 + SHORTEST_GAP / 2),
            "a fast local transfer does not flush the disk hundreds of times a second"
        );
        assert!(
            checkpoints.due(10 * MIB + 1, 4, t0 + LONGEST_GAP),
            "a slow link still saves four times a second"
        );
        checkpoints.saved(12 * MIB, soon);
        assert!(!checkpoints.due(12 * MIB + 1, 4, soon + Duration::from_millis(200)));
        assert!(checkpoints.due(12 * MIB + 1, 4, soon + LONGEST_GAP));
    }
}
