//! Property tests of the gate and the download window over random
//! histories: the rules hold for every history, not only the table cases.

use backup_domain::{
    BackupPolicy, BackupStatus, DownloadWindow, GateReason, PastRequest, Role, download_window,
    request_gate,
};
use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn status() -> impl Strategy<Value = BackupStatus> {
    prop_oneof![
        Just(BackupStatus::AwaitingRelease),
        Just(BackupStatus::InProgress),
        Just(BackupStatus::Ready),
        Just(BackupStatus::Expired),
        Just(BackupStatus::ServerError),
        "[a-z_]{1,12}".prop_map(|raw| BackupStatus::from_wire(&raw)),
    ]
}

fn history() -> impl Strategy<Value = Vec<PastRequest>> {
    prop::collection::vec(
        (0i64..200 * 86_400, status()).prop_map(|(offset, status)| PastRequest {
            requested_at: DateTime::from_timestamp(T0 + offset, 0).expect("time"),
            status,
        }),
        0..8,
    )
}

fn policy() -> impl Strategy<Value = BackupPolicy> {
    (0i64..60 * 86_400, 1i64..30 * 86_400, any::<bool>()).prop_map(|(cooldown, window, reopens)| {
        BackupPolicy {
            plan: "p".into(),
            cooldown: TimeDelta::seconds(cooldown),
            download_window: TimeDelta::seconds(window),
            server_error_reopens: reopens,
        }
    })
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Owner), Just(Role::Admin), Just(Role::Viewer)]
}

proptest! {
    #[test]
    fn a_refusal_always_has_a_reason_and_only_a_cooldown_has_a_date(
        policy in policy(), role in role(), history in history(), now in 0i64..300 * 86_400,
    ) {
        let now = DateTime::from_timestamp(T0 + now, 0).expect("time");
        let gate = request_gate(&policy, role, &history, now);
        prop_assert_eq!(gate.allowed, gate.reason.is_none());
        prop_assert_eq!(gate.next_allowed_at.is_some(), gate.reason == Some(GateReason::CooldownActive));
        if let Some(next) = gate.next_allowed_at {
            prop_assert!(next > now, "a cooldown ends in the future");
        }
        if role == Role::Viewer {
            prop_assert_eq!(gate.reason, Some(GateReason::Forbidden));
        }
        prop_assert_eq!(gate.last_requested_at, history.iter().map(|r| r.requested_at).max());
    }

    #[test]
    fn waiting_until_next_allowed_at_always_opens_the_gate(
        policy in policy(), history in history(), now in 0i64..300 * 86_400,
    ) {
        let now = DateTime::from_timestamp(T0 + now, 0).expect("time");
        let gate = request_gate(&policy, Role::Admin, &history, now);
        if let Some(next) = gate.next_allowed_at {
            prop_assert!(request_gate(&policy, Role::Admin, &history, next).allowed);
            prop_assert!(!request_gate(&policy, Role::Admin, &history, next - TimeDelta::seconds(1)).allowed);
        }
    }

    #[test]
    fn nobody_may_request_while_a_request_is_pending(
        policy in policy(), role in role(), mut history in history(), now in 0i64..300 * 86_400,
    ) {
        history.push(PastRequest {
            requested_at: DateTime::from_timestamp(T0, 0).expect("time"),
            status: BackupStatus::InProgress,
        });
        let now = DateTime::from_timestamp(T0 + now, 0).expect("time");
        prop_assert!(!request_gate(&policy, role, &history, now).allowed);
    }

    #[test]
    fn the_window_shrinks_to_expiry_and_never_reopens(
        window in 1i64..30 * 86_400, ready in 0i64..86_400, probe in 0i64..40 * 86_400,
    ) {
        let ready_at = DateTime::from_timestamp(T0 + ready, 0).expect("time");
        let end = backup_domain::expires_at(ready_at, TimeDelta::seconds(window));
        let now = ready_at + TimeDelta::seconds(probe);
        match download_window(&BackupStatus::Ready, Some(end), now) {
            DownloadWindow::Open { remaining, expiring_soon } => {
                prop_assert!(now < end);
                prop_assert_eq!(remaining, end - now);
                prop_assert_eq!(expiring_soon, remaining <= backup_domain::EXPIRING_SOON);
            }
            DownloadWindow::Expired => prop_assert!(now >= end),
            DownloadWindow::NotDownloadable => prop_assert!(false, "a ready backup is downloadable or expired"),
        }
        let later = now + TimeDelta::seconds(probe + 1);
        if now >= end {
            prop_assert_eq!(download_window(&BackupStatus::Ready, Some(end), later), DownloadWindow::Expired);
        }
    }
}
