//! When the desktop app's next automatic pass is due: every
//! [`CHECK_EVERY`] while all is well, sooner and then less often while the
//! provider cannot be reached (1, 2, 4 … up to [`BACKOFF_MAX`] minutes),
//! and at once when a check is overdue — after a sleep or a suspend the
//! wall clock is past the due time, so the first tick after waking runs it.
//! Pure: every decision takes the time as a parameter.

use chrono::{DateTime, TimeDelta, Utc};

/// The pause between two passes while the provider answers.
pub const CHECK_EVERY: TimeDelta = TimeDelta::minutes(15);
/// The first retry after the provider could not be reached.
pub const BACKOFF_FIRST: TimeDelta = TimeDelta::minutes(1);
/// The longest pause while the provider cannot be reached.
pub const BACKOFF_MAX: TimeDelta = TimeDelta::minutes(60);
/// The retry after another process (`backup-desk auto`) held the lock.
pub const BUSY_RETRY: TimeDelta = TimeDelta::minutes(1);

/// Whether a pass reached the providers of the accounts it visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every provider answered (or nothing was visited).
    Reached,
    /// Some accounts' providers could not be reached, others answered.
    PartlyUnreachable,
    /// No visited account's provider could be reached.
    Unreachable,
}

/// The timer of automatic passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomaticSchedule {
    /// When the next pass is due; `None`: now.
    due: Option<DateTime<Utc>>,
    /// Passes in a row that could not reach a provider.
    unreachable_in_a_row: u32,
}

impl Default for AutomaticSchedule {
    /// Due at once: the app checks when it starts.
    fn default() -> AutomaticSchedule {
        AutomaticSchedule {
            due: None,
            unreachable_in_a_row: 0,
        }
    }
}

impl AutomaticSchedule {
    /// Whether a pass should run at `now`: the due time has come, or has
    /// long passed (the computer slept through it).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.due.is_none_or(|due| due <= now)
    }

    /// When the next pass is due (`now` or earlier: at the next tick).
    pub fn next_check_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.due.unwrap_or(now)
    }

    /// A pass ended at `now`: the next one is due after the interval, or
    /// after the backoff while providers cannot be reached. A pass that
    /// reached only some providers never waits longer than the interval.
    pub fn passed(&mut self, now: DateTime<Utc>, reach: Reach) {
        let wait = match reach {
            Reach::Reached => {
                self.unreachable_in_a_row = 0;
                CHECK_EVERY
            }
            Reach::PartlyUnreachable | Reach::Unreachable => {
                self.unreachable_in_a_row = self.unreachable_in_a_row.saturating_add(1);
                let backoff = backoff(self.unreachable_in_a_row);
                if reach == Reach::Unreachable {
                    backoff
                } else {
                    backoff.min(CHECK_EVERY)
                }
            }
        };
        self.due = Some(now + wait);
    }

    /// Another process held the lock at `now`: try again shortly.
    pub fn busy(&mut self, now: DateTime<Utc>) {
        self.due = Some(now + BUSY_RETRY);
    }

    /// Check at the next tick (Check now, a setting changed, resumed).
    pub fn check_now(&mut self) {
        self.due = None;
    }

    /// The wall clock moved back (set by hand, a wrong RTC corrected): a
    /// due time further away than any wait this schedule sets is pulled in,
    /// so no check is ever put off for hours.
    pub fn clamp(&mut self, now: DateTime<Utc>) {
        if let Some(due) = self.due
            && due > now + BACKOFF_MAX.max(CHECK_EVERY)
        {
            self.due = Some(now + CHECK_EVERY);
        }
    }
}

/// The wait after `n` unreachable passes in a row: 1, 2, 4 … minutes, at most [`BACKOFF_MAX`].
fn backoff(n: u32) -> TimeDelta {
    let doublings = n.saturating_sub(1).min(16);
    (BACKOFF_FIRST * 2_i32.pow(doublings)).min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .expect("a valid time")
    }

    #[test]
    fn the_first_check_runs_at_launch_then_every_interval() {
        let mut schedule = AutomaticSchedule::default();
        assert!(schedule.is_due(at(9, 0)), "the app checks when it starts");
        schedule.passed(at(9, 0), Reach::Reached);
        assert!(!schedule.is_due(at(9, 14)), "nothing due: no pass, no I/O");
        assert_eq!(schedule.next_check_at(at(9, 14)), at(9, 15));
        assert!(schedule.is_due(at(9, 15)));
    }

    #[test]
    fn an_unreachable_provider_is_retried_sooner_then_less_often_up_to_an_hour() {
        let mut schedule = AutomaticSchedule::default();
        let mut now = at(9, 0);
        let mut waits = Vec::new();
        for _ in 0..9 {
            schedule.passed(now, Reach::Unreachable);
            let next = schedule.next_check_at(now);
            waits.push((next - now).num_minutes());
            now = next;
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        schedule.passed(now, Reach::Reached);
        assert_eq!(
            (schedule.next_check_at(now) - now).num_minutes(),
            15,
            "reached again: back to the interval"
        );
        schedule.passed(now, Reach::Unreachable);
        assert_eq!(
            (schedule.next_check_at(now) - now).num_minutes(),
            1,
            "the backoff starts over"
        );
    }

    #[test]
    fn one_unreachable_provider_never_delays_the_other_accounts_past_the_interval() {
        let mut schedule = AutomaticSchedule::default();
        let now = at(9, 0);
        for _ in 0..8 {
            schedule.passed(now, Reach::PartlyUnreachable);
        }
        assert_eq!(schedule.next_check_at(now), at(9, 15));
    }

    #[test]
    fn a_check_missed_while_the_computer_slept_runs_at_the_first_tick_after_waking() {
        let mut schedule = AutomaticSchedule::default();
        schedule.passed(at(9, 0), Reach::Reached);
        // Suspended at 9:05, woken at 13:40: the tick compares wall-clock times.
        assert!(schedule.is_due(at(13, 40)), "overdue: runs at once");
    }

    #[test]
    fn check_now_busy_and_a_clock_moved_back() {
        let mut schedule = AutomaticSchedule::default();
        schedule.passed(at(9, 0), Reach::Reached);
        schedule.check_now();
        assert!(schedule.is_due(at(9, 1)), "Check now does not wait");
        schedule.busy(at(9, 1));
        assert!(!schedule.is_due(at(9, 1)), "the CLI's pass does the work");
        assert!(schedule.is_due(at(9, 2)));
        schedule.passed(at(12, 0), Reach::Reached);
        // The clock is set back to 9:00: due 12:15 would wait hours.
        schedule.clamp(at(9, 0));
        assert_eq!(schedule.next_check_at(at(9, 0)), at(9, 15));
        schedule.clamp(at(9, 0));
        assert_eq!(
            schedule.next_check_at(at(9, 0)),
            at(9, 15),
            "a normal wait is kept"
        );
    }
}
