//! The request gate: may this person request a backup now, and if not, why
//! and from when?
//!
//! The provider is the authority; the client computes the same answer from
//! the same data to show it before the user clicks. Both call
//! [`request_gate`], so they cannot disagree on the rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::{BackupPolicy, Role};
use crate::status::BackupStatus;

/// One earlier request of the account, by anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastRequest {
    pub requested_at: DateTime<Utc>,
    pub status: BackupStatus,
}

/// Why a request is not allowed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateReason {
    /// The cooldown since the last request has not passed.
    CooldownActive,
    /// A request is awaiting release or in progress.
    RequestInProgress,
    /// This person's role may not request.
    Forbidden,
    /// A reason a newer provider gives that this client does not know.
    #[serde(other)]
    Other,
}

impl GateReason {
    /// The wire value (also the problem `code` of a refusal).
    pub fn as_wire(self) -> &'static str {
        match self {
            GateReason::CooldownActive => "cooldown_active",
            GateReason::RequestInProgress => "request_in_progress",
            GateReason::Forbidden => "forbidden",
            GateReason::Other => "other",
        }
    }
}

/// The answer: allowed, or the reason and (for a cooldown) the exact instant
/// requesting is allowed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestGate {
    pub allowed: bool,
    pub reason: Option<GateReason>,
    pub next_allowed_at: Option<DateTime<Utc>>,
    pub last_requested_at: Option<DateTime<Utc>>,
}

/// Computes the gate for a person with `role`, given the account's `policy`
/// and request `history` (any order), at `now`.
///
/// Refusals are checked in a fixed order: forbidden, then a request in
/// progress, then the cooldown. `next_allowed_at` is inclusive: at that
/// instant requesting is allowed.
pub fn request_gate(
    policy: &BackupPolicy,
    role: Role,
    history: &[PastRequest],
    now: DateTime<Utc>,
) -> RequestGate {
    let last = history.iter().max_by_key(|r| r.requested_at);
    let last_requested_at = last.map(|r| r.requested_at);
    let refuse = |reason, next_allowed_at| RequestGate {
        allowed: false,
        reason: Some(reason),
        next_allowed_at,
        last_requested_at,
    };
    if !role.may_request() {
        return refuse(GateReason::Forbidden, None);
    }
    if history.iter().any(|r| r.status.is_pending()) {
        return refuse(GateReason::RequestInProgress, None);
    }
    if let Some(last) = last {
        let reopened = last.status == BackupStatus::ServerError && policy.server_error_reopens;
        let next = last.requested_at + policy.cooldown;
        if !reopened && now < next {
            return refuse(GateReason::CooldownActive, Some(next));
        }
    }
    RequestGate {
        allowed: true,
        reason: None,
        next_allowed_at: None,
        last_requested_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeDelta};

    const T0: DateTime<Utc> = NaiveDate::from_ymd_opt(2026, 3, 1)
        .expect("a date")
        .and_hms_opt(12, 0, 0)
        .expect("a time")
        .and_utc();

    fn past(days_ago: i64, status: BackupStatus) -> PastRequest {
        PastRequest {
            requested_at: T0 - TimeDelta::days(days_ago),
            status,
        }
    }

    #[test]
    fn the_first_request_of_an_account_is_allowed() {
        let gate = request_gate(&BackupPolicy::reference_default(), Role::Owner, &[], T0);
        assert!(gate.allowed);
        assert_eq!(gate.last_requested_at, None);
    }

    #[test]
    fn a_request_28_days_ago_reopens_exactly_at_the_instant() {
        let policy = BackupPolicy::reference_default();
        let history = [past(27, BackupStatus::Ready)];
        let gate = request_gate(&policy, Role::Admin, &history, T0);
        assert_eq!(gate.reason, Some(GateReason::CooldownActive));
        let next = gate.next_allowed_at.expect("a cooldown says when it ends");
        assert_eq!(next, T0 + TimeDelta::days(1));
        assert!(
            !request_gate(&policy, Role::Admin, &history, next - TimeDelta::seconds(1)).allowed
        );
        assert!(
            request_gate(&policy, Role::Admin, &history, next).allowed,
            "inclusive"
        );
    }

    #[test]
    fn a_server_error_reopens_at_once_only_when_the_plan_says_so() {
        let mut policy = BackupPolicy::reference_default();
        let history = [
            past(40, BackupStatus::Ready),
            past(1, BackupStatus::ServerError),
        ];
        assert!(request_gate(&policy, Role::Owner, &history, T0).allowed);
        policy.server_error_reopens = false;
        let gate = request_gate(&policy, Role::Owner, &history, T0);
        assert_eq!(gate.reason, Some(GateReason::CooldownActive));
        assert_eq!(gate.next_allowed_at, Some(T0 + TimeDelta::days(27)));
    }

    #[test]
    fn a_pending_request_blocks_even_after_the_cooldown() {
        let history = [past(60, BackupStatus::AwaitingRelease)];
        let gate = request_gate(
            &BackupPolicy::reference_default(),
            Role::Owner,
            &history,
            T0,
        );
        assert_eq!(gate.reason, Some(GateReason::RequestInProgress));
    }

    #[test]
    fn viewers_are_forbidden_before_any_other_reason() {
        let history = [past(1, BackupStatus::InProgress)];
        let gate = request_gate(
            &BackupPolicy::reference_default(),
            Role::Viewer,
            &history,
            T0,
        );
        assert_eq!(gate.reason, Some(GateReason::Forbidden));
        assert_eq!(gate.next_allowed_at, None);
    }

    #[test]
    fn an_unknown_last_status_still_counts_as_a_request() {
        let history = [past(3, BackupStatus::Unknown("archived".into()))];
        let gate = request_gate(
            &BackupPolicy::reference_default(),
            Role::Owner,
            &history,
            T0,
        );
        assert_eq!(gate.reason, Some(GateReason::CooldownActive));
    }
}
