//! How work is handed to sessions: the bytes nobody fetches yet, given out
//! in file order, in units that shrink as the end nears; and the rest of a
//! range whose session lags so far behind that it holds the completed
//! prefix back.
//!
//! The checksum can only follow the completed prefix. When sessions take
//! the next unit in file order the prefix grows steadily; when the last
//! units are small and a lagging session keeps only what it has asked for,
//! the sessions finish together, within about one read window of each
//! other: so the hash ends right after the last byte instead of hashing
//! most of the file once everything has arrived.

use std::collections::BTreeMap;

/// Who reads what, and what nobody reads yet.
#[derive(Debug)]
pub(crate) struct Claims {
    unclaimed: Unclaimed,
    sizes: ClaimSizes,
    /// Per session: the range it reads, from where it has got to.
    reading: Vec<Option<Reading>>,
}

#[derive(Debug, Clone, Copy)]
struct Reading {
    at: u64,
    end: u64,
}

impl Claims {
    /// `missing` for `sessions` sessions (numbered from 0).
    pub fn new(
        missing: impl IntoIterator<Item = (u64, u64)>,
        sizes: ClaimSizes,
        sessions: usize,
    ) -> Claims {
        Claims {
            unclaimed: Unclaimed::new(missing),
            sizes,
            reading: vec![None; sessions],
        }
    }

    /// The next range for `session`, with `at_work` sessions at work: the
    /// rest of a lagging range (see [`Claims::take_over_lagging`]), else the
    /// next unit in file order. `None`: nothing left to do.
    pub fn claim(&mut self, session: usize, at_work: usize) -> Option<(u64, u64)> {
        if session >= self.reading.len() {
            return None;
        }
        let unit = self.sizes.unit(self.unclaimed.bytes(), at_work);
        let lag_limit = 2 * at_work.max(1) as u64 * unit;
        let (at, end) = self
            .take_over_lagging(session, lag_limit)
            .or_else(|| self.unclaimed.claim_first(unit))?;
        self.reading[session] = Some(Reading { at, end });
        Some((at, end))
    }

    /// The bytes of the range furthest behind that its session has not
    /// asked for yet (past one read window from where it is), when they are
    /// at least a window and hold the prefix back: the range lags the next
    /// unclaimed byte by more than `lag_limit` (a session much slower than
    /// the others), or nothing is unclaimed any more. Its session keeps what
    /// it has asked for, so no request is wasted.
    fn take_over_lagging(&mut self, session: usize, lag_limit: u64) -> Option<(u64, u64)> {
        let window = self.sizes.window.max(1);
        let frontier = self.unclaimed.first();
        let victim = self
            .reading
            .iter_mut()
            .enumerate()
            .filter(|&(other, _)| other != session)
            .filter_map(|(_, reading)| reading.as_mut())
            .filter(|r| r.end.saturating_sub(r.at.saturating_add(window)) >= window)
            .min_by_key(|r| r.at)?;
        let lagging = frontier.is_none_or(|next| next.saturating_sub(victim.at) > lag_limit);
        if !lagging {
            return None;
        }
        let cut = victim.at + window;
        let taken = (cut, victim.end);
        victim.end = cut;
        Some(taken)
    }

    /// Extends `session`'s range past its end if the bytes there are
    /// unclaimed (reading on without a seek keeps libssh2's pipeline full);
    /// returns the new end.
    pub fn extend(&mut self, session: usize, at_work: usize) -> Option<u64> {
        let unit = self.sizes.unit(self.unclaimed.bytes(), at_work);
        let reading = self.reading.get_mut(session)?.as_mut()?;
        reading.end = self.unclaimed.claim_at(reading.end, unit)?;
        Some(reading.end)
    }

    /// `session` has read up to `at`; returns where its range ends now
    /// (another session may have taken the rest, never less than a read
    /// window beyond `at`, so no request it has made is cut off).
    pub fn advanced(&mut self, session: usize, at: u64) -> u64 {
        let Some(slot) = self.reading.get_mut(session) else {
            return at;
        };
        match slot {
            Some(reading) if at < reading.end => {
                reading.at = at;
                reading.end
            }
            _ => {
                *slot = None;
                at
            }
        }
    }

    /// Bytes nobody has claimed yet.
    pub fn unclaimed_bytes(&self) -> u64 {
        self.unclaimed.bytes()
    }

    /// `session` stops at `at` (an error, a cancel): the rest of its range
    /// is unclaimed again.
    pub fn release(&mut self, session: usize, at: u64) {
        if let Some(reading) = self.reading.get_mut(session).and_then(Option::take) {
            self.unclaimed.put_back(at.max(reading.at), reading.end);
        }
    }
}

/// Unclaimed byte ranges of the file, lowest first.
#[derive(Debug, Default)]
struct Unclaimed {
    /// Start → end of each unclaimed range; apart from one another.
    gaps: BTreeMap<u64, u64>,
    bytes: u64,
}

/// The size of the units sessions claim.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClaimSizes {
    /// What one session has in flight (libssh2 reads ahead 4 × the read):
    /// the smallest unit, so a claim always fills the pipeline once.
    pub window: u64,
    /// The largest unit (fewer seeks, each of which empties the pipeline).
    pub largest: u64,
}

impl ClaimSizes {
    /// The unit for the next claim with `unclaimed` bytes left and
    /// `sessions` at work: a share of what is left, small enough that the
    /// others are still busy when a unit claimed now ends even if its
    /// session is a few times slower than they are; within the window and
    /// the largest unit.
    pub fn unit(&self, unclaimed: u64, sessions: usize) -> u64 {
        let smallest = self.window.min(self.largest).max(1);
        let share = unclaimed / (4 * sessions.max(1) as u64);
        share.clamp(smallest, self.largest.max(smallest))
    }
}

impl Unclaimed {
    /// All of `ranges` (sorted, apart, as [`crate::journal::RangeSet::missing`] gives).
    pub fn new(ranges: impl IntoIterator<Item = (u64, u64)>) -> Unclaimed {
        let mut unclaimed = Unclaimed::default();
        for (start, end) in ranges {
            unclaimed.put_back(start, end);
        }
        unclaimed
    }

    /// Bytes nobody has claimed.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The lowest unclaimed offset.
    pub fn first(&self) -> Option<u64> {
        self.gaps.first_key_value().map(|(&start, _)| start)
    }

    /// Claims up to `unit` bytes at the lowest unclaimed offset.
    pub fn claim_first(&mut self, unit: u64) -> Option<(u64, u64)> {
        let (&start, _) = self.gaps.first_key_value()?;
        self.claim_at(start, unit).map(|end| (start, end))
    }

    /// Claims up to `unit` bytes starting exactly at `at` if nobody has
    /// them (a session reads on without a seek); returns where they end.
    pub fn claim_at(&mut self, at: u64, unit: u64) -> Option<u64> {
        let end = self.gaps.remove(&at)?;
        let stop = end.min(at.saturating_add(unit.max(1)));
        if stop < end {
            self.gaps.insert(stop, end);
        }
        self.bytes -= stop - at;
        Some(stop)
    }

    /// Gives back `[start, end)`, claimed and not fetched (a session
    /// failed or stopped), merging it with its neighbours.
    pub fn put_back(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut start, mut end) = (start, end);
        if let Some((&s, &e)) = self.gaps.range(..=start).next_back()
            && e >= start
        {
            self.gaps.remove(&s);
            self.bytes -= e - s;
            start = s;
            end = end.max(e);
        }
        while let Some((&s, &e)) = self.gaps.range(start..=end).next() {
            self.gaps.remove(&s);
            self.bytes -= e - s;
            end = end.max(e);
        }
        self.gaps.insert(start, end);
        self.bytes += end - start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn claims_come_in_file_order_and_put_back_ranges_are_taken_first() {
        let mut unclaimed = Unclaimed::new([(0, 10 * MIB)]);
        assert_eq!(unclaimed.claim_first(4 * MIB), Some((0, 4 * MIB)));
        assert_eq!(unclaimed.claim_first(4 * MIB), Some((4 * MIB, 8 * MIB)));
        assert_eq!(unclaimed.claim_at(8 * MIB, 4 * MIB), Some(10 * MIB));
        assert_eq!(unclaimed.claim_first(MIB), None, "all claimed");
        unclaimed.put_back(5 * MIB, 8 * MIB);
        unclaimed.put_back(MIB, 2 * MIB);
        assert_eq!(unclaimed.bytes(), 4 * MIB);
        assert_eq!(
            unclaimed.claim_first(8 * MIB),
            Some((MIB, 2 * MIB)),
            "the lowest hole first, so the prefix the hash follows is not held up"
        );
        assert_eq!(unclaimed.claim_at(3 * MIB, MIB), None, "not unclaimed");
    }

    #[test]
    fn put_back_merges_neighbours_so_bytes_are_counted_once() {
        let mut unclaimed = Unclaimed::new([(0, 2), (6, 8)]);
        unclaimed.put_back(2, 6);
        assert_eq!(unclaimed.bytes(), 8);
        assert_eq!(unclaimed.claim_first(100), Some((0, 8)), "one range now");
        unclaimed.put_back(3, 5);
        unclaimed.put_back(4, 7);
        assert_eq!(unclaimed.bytes(), 4, "overlapping give-backs count once");
        assert_eq!(unclaimed.claim_first(100), Some((3, 7)));
    }

    #[test]
    fn units_shrink_near_the_end_but_never_below_one_read_window() {
        let sizes = ClaimSizes {
            window: MIB,
            largest: 32 * MIB,
        };
        assert_eq!(sizes.unit(1024 * MIB, 4), 32 * MIB, "the middle: large");
        assert_eq!(sizes.unit(64 * MIB, 4), 4 * MIB, "near the end: a share");
        assert_eq!(sizes.unit(3 * MIB, 4), MIB, "the last: one window");
        let odd = ClaimSizes {
            window: 4 * MIB,
            largest: MIB,
        };
        assert_eq!(odd.unit(0, 1), MIB, "the largest unit wins over the window");
    }

    /// Sessions reading at `speeds` (bytes per tick) claim until the end;
    /// returns the bytes past the completed prefix just before the last one
    /// lands (what the hash does after the download), and the claims made.
    fn simulate(size: u64, speeds: &[u64], sizes: ClaimSizes) -> (u64, usize) {
        let sessions = speeds.len();
        let mut claims = Claims::new([(0, size)], sizes, sessions);
        let mut done = crate::journal::RangeSet::default();
        let mut reading: Vec<Option<(u64, u64)>> = vec![None; sessions];
        let mut made = 0;
        let mut prefix_before = 0;
        while done.covered() < size {
            prefix_before = done.prefix();
            for (session, &speed) in speeds.iter().enumerate() {
                if reading[session].is_none() {
                    reading[session] = claims.claim(session, sessions);
                    made += usize::from(reading[session].is_some());
                }
                if let Some((at, end)) = reading[session] {
                    let to = end.min(at + speed);
                    done.insert(at, to);
                    let end = claims.advanced(session, to);
                    reading[session] = (to < end).then_some((to, end));
                }
            }
        }
        (size - prefix_before, made)
    }

    #[test]
    fn the_last_byte_lands_within_one_window_per_session_of_the_prefix() {
        let sizes = ClaimSizes {
            window: MIB,
            largest: 32 * MIB,
        };
        let tick = 64 * 1024;
        // (speeds, bytes past the prefix allowed when the last byte lands)
        let cases = [
            (vec![tick], MIB),
            (vec![tick; 2], 2 * MIB),
            (vec![tick; 4], 4 * MIB),
            (vec![tick; 8], 8 * MIB),
            (vec![tick, tick, tick, tick / 4], 4 * MIB),
            // 8× slower: while it fetches its last window the others fetch
            // 3 × 8 windows; only asking for its bytes twice would do better.
            (vec![tick / 8, tick, tick, tick], 24 * MIB),
        ];
        for (speeds, allowed) in cases {
            let (tail, claims) = simulate(512 * MIB, &speeds, sizes);
            assert!(
                tail <= allowed,
                "speeds {speeds:?}: {tail} bytes would be hashed after the last one lands"
            );
            assert!(
                claims <= 30 * (speeds.len() + 1),
                "speeds {speeds:?}: {claims} claims, each a seek that empties the pipeline"
            );
        }
    }

    #[test]
    fn a_lagging_range_keeps_what_it_asked_for_and_the_rest_is_taken_over() {
        let sizes = ClaimSizes {
            window: MIB,
            largest: 4 * MIB,
        };
        let mut claims = Claims::new([(0, 1024 * MIB)], sizes, 2);
        assert_eq!(claims.claim(0, 2), Some((0, 4 * MIB)));
        for unit in 1..5 {
            let (start, end) = (unit * 4 * MIB, (unit + 1) * 4 * MIB);
            assert_eq!(claims.claim(1, 2), Some((start, end)), "in file order");
            assert_eq!(claims.advanced(1, end), end);
        }
        assert_eq!(
            claims.claim(1, 2),
            Some((MIB, 4 * MIB)),
            "session 0 holds the prefix back by more than two units per session: \
             its rest, past what it has asked for, is taken over"
        );
        assert_eq!(
            claims.advanced(0, MIB / 2),
            MIB,
            "session 0 learns its range ends after what it has asked for"
        );
        claims.release(1, 2 * MIB);
        assert_eq!(
            claims.claim(1, 2),
            Some((2 * MIB, 4 * MIB)),
            "a failed session's rest is unclaimed again, and the lowest bytes go first"
        );
    }

    #[test]
    fn once_nothing_is_unclaimed_the_rest_of_the_range_furthest_behind_is_taken_over() {
        let sizes = ClaimSizes {
            window: MIB,
            largest: 4 * MIB,
        };
        let mut claims = Claims::new([(0, 4 * MIB)], sizes, 2);
        assert_eq!(claims.claim(0, 2), Some((0, MIB)));
        for end in 2..5 {
            assert_eq!(claims.extend(0, 2), Some(end * MIB), "reads on, no seek");
        }
        assert_eq!(claims.claim(1, 2), Some((MIB, 4 * MIB)));
        assert_eq!(claims.advanced(0, MIB / 4), MIB);
        assert_eq!(claims.advanced(1, 5 * MIB / 2), 4 * MIB);
        assert_eq!(
            claims.claim(0, 2),
            None,
            "what session 1 has not asked for (less than a window) is not worth a seek"
        );
    }
}
