//! An account's backup health at a glance: green when a recent verified copy
//! is on disk, amber when something needs attention soon, red when the copy
//! is older than the plan allows a copy to be.
//!
//! The plan lets a backup be requested every `cooldown` and downloaded for
//! `download_window` after it is ready, so a copy kept up to date is never
//! older than their sum: past that, a backup was missed.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::window::EXPIRING_SOON;

/// How an account's backups stand; ordered so the worst is the `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    Green,
    Amber,
    Red,
}

/// What the health of one account is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthInputs {
    /// When the newest copy on disk was verified; `None` if there is none.
    pub last_verified_at: Option<DateTime<Utc>>,
    /// When the account was added to Backup Desk.
    pub tracked_since: DateTime<Utc>,
    /// The plan's request cooldown.
    pub cooldown: TimeDelta,
    /// The plan's download window.
    pub download_window: TimeDelta,
    /// When each ready backup that has not been downloaded expires.
    pub ready_not_downloaded_expiring: Vec<DateTime<Utc>>,
    /// Change alerts of the newest copy (see `contents::compare`).
    pub change_alerts: usize,
}

/// Why an account is not green.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthReason {
    /// No verified copy yet: amber while the account is newer than
    /// cooldown + download window, red after.
    NoVerifiedCopy,
    /// The newest verified copy is `age` old, more than `limit`
    /// (cooldown + download window): red.
    CopyTooOld { age: TimeDelta, limit: TimeDelta },
    /// A ready backup not downloaded expires at `at`, within
    /// [`EXPIRING_SOON`]: amber. The soonest one if several do.
    ExpiresSoon { at: DateTime<Utc> },
    /// The newest copy has `count` change alerts: amber.
    ChangeAlert { count: usize },
}

/// The health of an account at `now`, with every reason it is not green, in
/// the order of [`HealthReason`]'s variants.
///
/// Boundaries: a copy exactly cooldown + download window old is not red (one
/// second more is); with no copy, the same limit counts from `tracked_since`.
/// A backup with exactly [`EXPIRING_SOON`] left is expiring soon; at its
/// expiry instant it is expired and no longer counts. A copy verified "in the
/// future" (a clock moved back) counts as fresh.
pub fn account_health(
    inputs: &HealthInputs,
    now: DateTime<Utc>,
) -> (HealthLevel, Vec<HealthReason>) {
    let limit = inputs
        .cooldown
        .checked_add(&inputs.download_window)
        .unwrap_or(TimeDelta::MAX);
    let mut level = HealthLevel::Green;
    let mut reasons = Vec::new();
    match inputs.last_verified_at {
        None => {
            let overdue = now - inputs.tracked_since > limit;
            level = level.max(if overdue {
                HealthLevel::Red
            } else {
                HealthLevel::Amber
            });
            reasons.push(HealthReason::NoVerifiedCopy);
        }
        Some(verified_at) => {
            let age = now - verified_at;
            if age > limit {
                level = HealthLevel::Red;
                reasons.push(HealthReason::CopyTooOld { age, limit });
            }
        }
    }
    let soonest = inputs
        .ready_not_downloaded_expiring
        .iter()
        .copied()
        .filter(|&at| now < at && at - now <= EXPIRING_SOON)
        .min();
    if let Some(at) = soonest {
        level = level.max(HealthLevel::Amber);
        reasons.push(HealthReason::ExpiresSoon { at });
    }
    if inputs.change_alerts > 0 {
        level = level.max(HealthLevel::Amber);
        reasons.push(HealthReason::ChangeAlert {
            count: inputs.change_alerts,
        });
    }
    (level, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const NOW: DateTime<Utc> = NaiveDate::from_ymd_opt(2026, 5, 10)
        .expect("a date")
        .and_hms_opt(9, 30, 0)
        .expect("a time")
        .and_utc();
    const LIMIT: TimeDelta = TimeDelta::days(38);
    const SECOND: TimeDelta = TimeDelta::seconds(1);

    /// A healthy account on the reference plan (28-day cooldown, 10-day window).
    fn healthy() -> HealthInputs {
        HealthInputs {
            last_verified_at: Some(NOW - TimeDelta::days(3)),
            tracked_since: NOW - TimeDelta::days(400),
            cooldown: TimeDelta::days(28),
            download_window: TimeDelta::days(10),
            ready_not_downloaded_expiring: Vec::new(),
            change_alerts: 0,
        }
    }

    #[test]
    fn a_recent_copy_and_nothing_pending_is_green() {
        assert_eq!(
            account_health(&healthy(), NOW),
            (HealthLevel::Green, Vec::new())
        );
    }

    #[test]
    fn a_copy_exactly_at_the_limit_is_not_red_and_one_second_older_is() {
        let mut inputs = healthy();
        inputs.last_verified_at = Some(NOW - LIMIT);
        assert_eq!(
            account_health(&inputs, NOW).0,
            HealthLevel::Green,
            "a copy kept up to date is at most cooldown + window old"
        );
        inputs.last_verified_at = Some(NOW - LIMIT - SECOND);
        assert_eq!(
            account_health(&inputs, NOW),
            (
                HealthLevel::Red,
                vec![HealthReason::CopyTooOld {
                    age: LIMIT + SECOND,
                    limit: LIMIT
                }]
            ),
            "past the limit a backup was missed"
        );
    }

    #[test]
    fn no_copy_is_amber_until_the_limit_since_tracking_then_red() {
        let mut inputs = healthy();
        inputs.last_verified_at = None;
        inputs.tracked_since = NOW - LIMIT;
        assert_eq!(
            account_health(&inputs, NOW),
            (HealthLevel::Amber, vec![HealthReason::NoVerifiedCopy]),
            "a new account has had no chance to get a copy yet"
        );
        inputs.tracked_since = NOW - LIMIT - SECOND;
        assert_eq!(
            account_health(&inputs, NOW),
            (HealthLevel::Red, vec![HealthReason::NoVerifiedCopy]),
            "by now a whole cycle passed without a copy"
        );
    }

    #[test]
    fn a_ready_backup_expiring_within_two_days_is_amber_until_it_expires() {
        assert_eq!(EXPIRING_SOON, TimeDelta::days(2), "the rule this test pins");
        let mut inputs = healthy();
        let at = NOW + EXPIRING_SOON;
        inputs.ready_not_downloaded_expiring = vec![NOW + TimeDelta::days(9), at];
        assert_eq!(
            account_health(&inputs, NOW),
            (HealthLevel::Amber, vec![HealthReason::ExpiresSoon { at }]),
            "exactly two days left is expiring soon, like the download window says"
        );
        assert_eq!(
            account_health(&inputs, NOW - SECOND).0,
            HealthLevel::Green,
            "two days and a second left is not yet"
        );
        assert_eq!(
            account_health(&inputs, at - SECOND).0,
            HealthLevel::Amber,
            "a second before expiry it can still be downloaded"
        );
        assert_eq!(
            account_health(&inputs, at).0,
            HealthLevel::Green,
            "at its expiry instant it is gone: nothing left to act on"
        );
    }

    #[test]
    fn the_soonest_expiring_backup_is_named() {
        let mut inputs = healthy();
        let (later, sooner) = (NOW + TimeDelta::hours(30), NOW + TimeDelta::hours(5));
        inputs.ready_not_downloaded_expiring = vec![later, sooner, NOW - SECOND];
        assert_eq!(
            account_health(&inputs, NOW).1,
            [HealthReason::ExpiresSoon { at: sooner }],
            "the most urgent one, and none already expired"
        );
    }

    #[test]
    fn a_change_alert_makes_a_fresh_account_amber_but_never_hides_red() {
        let mut inputs = healthy();
        inputs.change_alerts = 2;
        assert_eq!(
            account_health(&inputs, NOW),
            (
                HealthLevel::Amber,
                vec![HealthReason::ChangeAlert { count: 2 }]
            )
        );
        inputs.last_verified_at = Some(NOW - TimeDelta::days(60));
        inputs.ready_not_downloaded_expiring = vec![NOW + TimeDelta::days(1)];
        let (level, reasons) = account_health(&inputs, NOW);
        assert_eq!(level, HealthLevel::Red, "the worst reason sets the level");
        assert_eq!(reasons.len(), 3, "every reason is listed: {reasons:?}");
    }

    #[test]
    fn a_copy_verified_in_the_future_counts_as_fresh() {
        let mut inputs = healthy();
        inputs.last_verified_at = Some(NOW + TimeDelta::days(5));
        assert_eq!(account_health(&inputs, NOW).0, HealthLevel::Green);
    }

    #[test]
    fn levels_order_from_green_to_red_and_travel_in_snake_case() {
        assert!(HealthLevel::Green < HealthLevel::Amber && HealthLevel::Amber < HealthLevel::Red);
        assert_eq!(
            [HealthLevel::Amber, HealthLevel::Red, HealthLevel::Green]
                .iter()
                .max(),
            Some(&HealthLevel::Red)
        );
        let json = serde_json::to_value(HealthLevel::Amber).expect("json");
        assert_eq!(json, "amber");
    }
}
