//! How many sessions a download uses: as many as the link needs, no more.
//!
//! A download starts with one session, or on a long link as many as carry
//! 100 MB/s (three at 200 ms, see the engine's `sessions_to_start`). Once bytes flow, the ramp measures
//! the aggregate rate over a window, opens one more session, waits until it
//! moves bytes too, and measures again (the session it may open next
//! connects during the measurement, see [`Ramp::may_add`]): a rate that rose by at least
//! [`GAIN`] keeps the new session and tries one more (up to the maximum); a
//! rate that did not retires the newest session and settles. A long, thin
//! pipe (each session limited by its window over the round trip) grows to
//! several sessions; a link one session fills, or a machine whose CPU is the
//! limit, stays at one or two, each of which would otherwise cost memory
//! and CPU for nothing.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The rise in aggregate rate that keeps a new session.
pub(crate) const GAIN: f64 = 1.10;

/// What the ramp asks of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing now.
    Wait,
    /// Open one more session.
    Add,
    /// Stop the newest session (after its current range) and add no more.
    Retire,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Measuring the rate of `sessions` sessions; since `since`.
    Measuring { since: Instant },
    /// A session was added; waiting for it to move bytes.
    Joining { before: f64 },
    /// Measuring again with the new session, against `before`.
    Comparing { before: f64, since: Instant },
    /// Done adding.
    Settled,
}

/// The session count's controller. Fed (time, bytes written) samples.
#[derive(Debug)]
pub(crate) struct Ramp {
    most: usize,
    /// Sessions wanted now (the engine runs this many).
    wanted: usize,
    /// How long a measurement lasts.
    window: Duration,
    phase: Phase,
    samples: VecDeque<(Instant, u64)>,
}

impl Ramp {
    /// Up to `most` sessions, starting with `start` and measuring over
    /// `window` (a few round trips); `start == None` runs `most` sessions
    /// from the start, with no ramp.
    pub fn new(most: usize, start: Option<usize>, window: Duration, now: Instant) -> Ramp {
        let most = most.max(1);
        let wanted = start.map_or(most, |n| n.clamp(1, most));
        Ramp {
            most,
            wanted,
            window,
            phase: if wanted < most {
                Phase::Measuring { since: now }
            } else {
                Phase::Settled
            },
            samples: VecDeque::new(),
        }
    }

    /// Sessions wanted now.
    pub fn wanted(&self) -> usize {
        self.wanted
    }

    /// The rate (bytes/s) of the last `window`, once that much time is sampled.
    fn rate(&self, since: Instant, now: Instant) -> Option<f64> {
        if now.saturating_duration_since(since) < self.window {
            return None;
        }
        self.rate_from(now - self.window)
    }

    /// The rate (bytes/s) of the samples taken since `from`.
    fn rate_from(&self, from: Instant) -> Option<f64> {
        let first = self.samples.iter().find(|(t, _)| *t >= from)?;
        let last = self.samples.back()?;
        let secs = last.0.saturating_duration_since(first.0).as_secs_f64();
        (secs > 0.0).then(|| (last.1 - first.1) as f64 / secs)
    }

    /// What must be left for one more session to be worth it, at `rate`:
    /// at least `floor`, and what the link moves in three measurements
    /// (the new session connects, is measured, and still has work to do).
    fn enough(&self, rate: f64, floor: u64) -> u64 {
        floor.max((rate * 3.0 * self.window.as_secs_f64()) as u64)
    }

    /// Whether the ramp is done adding sessions.
    pub fn settled(&self) -> bool {
        self.phase == Phase::Settled
    }

    /// Whether the ramp may soon ask for one more session, so that it is
    /// worth connecting now: a quarter of a measurement into a count it may
    /// grow past, with enough left at the measurement's end at the rate
    /// seen so far (see [`Ramp::observe`]), and, when the
    /// count was just raised, a rate that rose by [`GAIN`] so far (else the
    /// newest session is likely to go, and one connected for after it would
    /// be made for nothing). A session connected then joins as soon as it
    /// is asked for, instead of a whole set-up later (which, on a fast short
    /// link, is as long as the rest of the file).
    pub fn may_add(&self, now: Instant, left: u64, floor: u64) -> bool {
        let (since, needed) = match self.phase {
            Phase::Measuring { since } => (since, 0.0),
            Phase::Comparing { before, since } => (since, before * GAIN),
            Phase::Joining { .. } | Phase::Settled => return false,
        };
        let end = since + self.window;
        if self.wanted >= self.most || now < since + self.window / 4 {
            return false;
        }
        self.rate_from(since).is_some_and(|rate| {
            let until_end = end.saturating_duration_since(now).as_secs_f64();
            let left_at_end = left.saturating_sub((rate * until_end) as u64);
            rate >= needed && left_at_end >= self.enough(rate, floor)
        })
    }

    /// Takes one sample: `covered` bytes written by `now`, `moving` sessions
    /// that have written at least one byte, `left` bytes nobody has claimed.
    /// Another session is worth opening only while at least `floor` bytes
    /// are left, and what the link moves in three measurements (the new
    /// session connects, is measured, and still has work to do).
    pub fn observe(
        &mut self,
        now: Instant,
        covered: u64,
        moving: usize,
        left: u64,
        floor: u64,
    ) -> Step {
        self.samples.push_back((now, covered));
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|&(t, _)| t + self.window < now)
        {
            self.samples.pop_front();
        }
        match self.phase {
            Phase::Settled => Step::Wait,
            // The clock starts when every wanted session moves bytes.
            Phase::Measuring { .. } | Phase::Comparing { .. } if moving < self.wanted => Step::Wait,
            Phase::Measuring { since } => {
                let Some(rate) = self.rate(since, now) else {
                    return Step::Wait;
                };
                if left < self.enough(rate, floor) {
                    self.phase = Phase::Settled;
                    return Step::Wait;
                }
                self.wanted += 1;
                self.phase = Phase::Joining { before: rate };
                Step::Add
            }
            Phase::Joining { before } => {
                if moving >= self.wanted {
                    self.phase = Phase::Comparing { before, since: now };
                }
                Step::Wait
            }
            Phase::Comparing { before, since } => {
                let Some(rate) = self.rate(since, now) else {
                    return Step::Wait;
                };
                if rate < before * GAIN {
                    self.wanted -= 1;
                    self.phase = Phase::Settled;
                    return Step::Retire;
                }
                if self.wanted >= self.most || left < self.enough(rate, floor) {
                    self.phase = Phase::Settled;
                    return Step::Wait;
                }
                self.wanted += 1;
                self.phase = Phase::Joining { before: rate };
                Step::Add
            }
        }
    }

    /// A session stopped for good (the server refused one more, or it
    /// failed): settle at what runs.
    pub fn lost_one(&mut self, running: usize) {
        self.wanted = running.max(1).min(self.wanted);
        self.phase = Phase::Settled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Drives a ramp over a link where `n` sessions move `rate(n)` bytes/s,
    /// a new session moving bytes `join` after it is asked for; returns the
    /// wanted count over time and the steps taken.
    fn run(
        most: usize,
        rate: impl Fn(usize) -> f64,
        join: Duration,
        size: u64,
    ) -> (usize, Vec<Step>) {
        let t0 = Instant::now();
        let mut ramp = Ramp::new(most, Some(1), 300 * MS, t0);
        let (mut covered, mut steps) = (0f64, Vec::new());
        let mut moving = 1;
        let mut joins_at: Option<Instant> = None;
        let tick = 10 * MS;
        let mut now = t0;
        while (covered as u64) < size {
            now += tick;
            if joins_at.is_some_and(|at| now >= at) {
                moving = ramp.wanted();
                joins_at = None;
            }
            moving = moving.min(ramp.wanted());
            covered += rate(moving) * tick.as_secs_f64();
            let left = size.saturating_sub(covered as u64);
            let step = ramp.observe(now, covered as u64, moving, left, 64 << 20);
            if step == Step::Add {
                joins_at = Some(now + join);
            }
            if step != Step::Wait {
                steps.push(step);
            }
        }
        (ramp.wanted(), steps)
    }

    #[test]
    fn a_link_one_session_fills_keeps_one_session() {
        let (wanted, steps) = run(8, |_| 100e6, 200 * MS, 2 << 30);
        assert_eq!(wanted, 1);
        assert_eq!(steps, vec![Step::Add, Step::Retire], "one probe, then back");
    }

    #[test]
    fn a_long_thin_pipe_grows_until_the_cap() {
        // Each session moves 20 MB/s (its window over the round trip); the
        // link carries 50 MB/s.
        let (wanted, steps) = run(8, |n| (n as f64 * 20e6).min(50e6), 600 * MS, 2 << 30);
        assert_eq!(wanted, 3, "{steps:?}");
        assert_eq!(steps, vec![Step::Add, Step::Add, Step::Add, Step::Retire]);
    }

    #[test]
    fn it_never_goes_past_the_most_it_may_use() {
        let (wanted, steps) = run(3, |n| n as f64 * 10e6, 100 * MS, 4 << 30);
        assert_eq!(wanted, 3);
        assert_eq!(steps, vec![Step::Add, Step::Add], "and no probe past 3");
    }

    #[test]
    fn near_the_end_no_session_is_opened() {
        let (wanted, steps) = run(8, |n| n as f64 * 10e6, 100 * MS, 32 << 20);
        assert_eq!((wanted, steps), (1, vec![]), "less than 64 MiB left");
    }

    /// Feeds `ramp` samples every 10 ms from `from` to `to` (ms after
    /// `t0`), at `per_tick` bytes a tick from `covered`, with `moving`
    /// sessions; returns the bytes covered and the steps taken.
    fn feed(
        ramp: &mut Ramp,
        t0: Instant,
        (from, to): (u32, u32),
        (covered, per_tick): (u64, u64),
        moving: usize,
    ) -> (u64, Vec<Step>) {
        let (mut covered, mut steps) = (covered, Vec::new());
        for ms in (from..=to).step_by(10) {
            covered += per_tick;
            let step = ramp.observe(t0 + ms * MS, covered, moving, 1 << 40, 1);
            if step != Step::Wait {
                steps.push(step);
            }
        }
        (covered, steps)
    }

    #[test]
    fn the_next_session_connects_a_quarter_into_a_measurement_if_enough_is_left() {
        let t0 = Instant::now();
        let mut ramp = Ramp::new(8, Some(1), 400 * MS, t0);
        let (covered, _) = feed(&mut ramp, t0, (10, 90), (0, 1_000_000), 1);
        assert!(!ramp.may_add(t0 + 90 * MS, 1 << 40, 1), "too soon to tell");
        let (covered, steps) = feed(&mut ramp, t0, (100, 110), (covered, 1_000_000), 1);
        assert!(steps.is_empty());
        assert!(ramp.may_add(t0 + 110 * MS, 1 << 40, 1));
        // 100 MB/s: three 400 ms measurements move 120 MB.
        assert!(
            !ramp.may_add(t0 + 110 * MS, 100_000_000, 1),
            "the file ends before a session would pay"
        );
        assert!(ramp.may_add(t0 + 110 * MS, 200_000_000, 1));
        assert!(
            !ramp.may_add(t0 + 110 * MS, 200_000_000, 250_000_000),
            "less than the floor left"
        );
        let (_, steps) = feed(&mut ramp, t0, (120, 400), (covered, 1_000_000), 1);
        assert_eq!(steps, vec![Step::Add]);
        assert!(
            !ramp.may_add(t0 + 400 * MS, 1 << 40, 1),
            "joining: the one connected is being taken"
        );
        assert!(!connects_one_more(1, Some(1), 1), "at the most already");
    }

    /// Whether a ramp of at most `most` sessions, starting with `start`
    /// (`None`: fixed), with `moving` of them moving 100 MB/s for 400 ms,
    /// would have one more session connect.
    fn connects_one_more(most: usize, start: Option<usize>, moving: usize) -> bool {
        let t0 = Instant::now();
        let mut ramp = Ramp::new(most, start, 400 * MS, t0);
        feed(&mut ramp, t0, (10, 390), (0, 1_000_000), moving);
        ramp.may_add(t0 + 390 * MS, 1 << 40, 1)
    }

    #[test]
    fn after_a_session_joins_the_next_connects_only_while_the_rate_rises() {
        for (per_tick, expected) in [(1_000_000, false), (2_000_000, true)] {
            let t0 = Instant::now();
            let mut ramp = Ramp::new(8, Some(1), 400 * MS, t0);
            let (covered, steps) = feed(&mut ramp, t0, (10, 400), (0, 1_000_000), 1);
            assert_eq!(steps, vec![Step::Add]);
            // The new session moves bytes: the comparison starts.
            let (covered, _) = feed(&mut ramp, t0, (410, 410), (covered, per_tick), 2);
            let (_, steps) = feed(&mut ramp, t0, (420, 530), (covered, per_tick), 2);
            assert!(steps.is_empty());
            assert_eq!(
                ramp.may_add(t0 + 530 * MS, 1 << 40, 1),
                expected,
                "{per_tick} bytes a tick after 1 000 000"
            );
        }
        assert!(connects_one_more(8, Some(1), 1), "a ramp that may grow");
        assert!(!connects_one_more(4, None, 4), "fixed: no ramp");
    }

    #[test]
    fn a_long_link_starts_with_two_within_the_most() {
        let t0 = Instant::now();
        assert_eq!(Ramp::new(8, Some(2), 300 * MS, t0).wanted(), 2);
        let mut one = Ramp::new(1, Some(2), 300 * MS, t0);
        assert_eq!(one.wanted(), 1, "never past the most");
        let step = one.observe(t0 + 400 * MS, 1 << 20, 1, 1 << 40, 1);
        assert_eq!(step, Step::Wait, "and nothing to ramp");
    }

    #[test]
    fn fixed_means_every_session_from_the_start_and_no_probe() {
        let t0 = Instant::now();
        let mut ramp = Ramp::new(4, None, 300 * MS, t0);
        assert_eq!(ramp.wanted(), 4);
        for i in 1..100 {
            let step = ramp.observe(t0 + i * 10 * MS, i as u64 * 1_000_000, 4, 1 << 40, 1);
            assert_eq!(step, Step::Wait);
        }
        assert_eq!(ramp.wanted(), 4);
    }

    #[test]
    fn a_session_the_server_refuses_settles_the_count() {
        let t0 = Instant::now();
        let mut ramp = Ramp::new(8, Some(1), 100 * MS, t0);
        let mut step = Step::Wait;
        let mut i = 0u32;
        while step != Step::Add {
            i += 1;
            step = ramp.observe(t0 + i * 10 * MS, u64::from(i) * 100_000, 1, 1 << 40, 1);
        }
        assert_eq!(ramp.wanted(), 2);
        ramp.lost_one(1);
        assert_eq!(ramp.wanted(), 1);
        for j in i + 1..i + 100 {
            let step = ramp.observe(t0 + j * 10 * MS, u64::from(j) * 100_000, 1, 1 << 40, 1);
            assert_eq!(step, Step::Wait, "settled");
        }
    }
}
