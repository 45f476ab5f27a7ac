//! The download window of a ready backup: open (and how long is left),
//! expiring soon, or expired.

use chrono::{DateTime, TimeDelta, Utc};

use crate::status::BackupStatus;

/// From how much time left a backup is flagged "expiring soon".
pub const EXPIRING_SOON: TimeDelta = TimeDelta::days(2);

/// Where a backup stands in its download window at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadWindow {
    /// Not ready (awaiting, in progress, failed or unknown): nothing to download.
    NotDownloadable,
    /// Downloadable for `remaining` more; `expiring_soon` when that is ≤ 2 days.
    Open {
        remaining: TimeDelta,
        expiring_soon: bool,
    },
    /// The window has passed.
    Expired,
}

/// When a backup that became ready at `ready_at` stops being downloadable.
pub fn expires_at(ready_at: DateTime<Utc>, window: TimeDelta) -> DateTime<Utc> {
    ready_at + window
}

/// The window of a backup with `status` and `expires_at`, at `now`.
/// `expires_at` is exclusive: at that instant the backup is expired.
pub fn download_window(
    status: &BackupStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DownloadWindow {
    match (status, expires_at) {
        (BackupStatus::Expired, _) => DownloadWindow::Expired,
        (BackupStatus::Ready, Some(end)) if now >= end => DownloadWindow::Expired,
        (BackupStatus::Ready, Some(end)) => {
            let remaining = end - now;
            DownloadWindow::Open {
                remaining,
                expiring_soon: remaining <= EXPIRING_SOON,
            }
        }
        _ => DownloadWindow::NotDownloadable,
    }
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

    #[test]
    fn a_fresh_ready_backup_is_open_and_not_expiring_soon() {
        let end = expires_at(NOW - TimeDelta::days(1), TimeDelta::days(10));
        let window = download_window(&BackupStatus::Ready, Some(end), NOW);
        assert_eq!(
            window,
            DownloadWindow::Open {
                remaining: TimeDelta::days(9),
                expiring_soon: false
            }
        );
    }

    #[test]
    fn two_days_left_is_expiring_soon_and_the_end_instant_is_expired() {
        let end = NOW + TimeDelta::days(2);
        assert!(matches!(
            download_window(&BackupStatus::Ready, Some(end), NOW),
            DownloadWindow::Open {
                expiring_soon: true,
                ..
            }
        ));
        assert_eq!(
            download_window(&BackupStatus::Ready, Some(end), end),
            DownloadWindow::Expired
        );
    }

    #[test]
    fn only_ready_backups_can_be_downloaded() {
        for status in [
            BackupStatus::AwaitingRelease,
            BackupStatus::InProgress,
            BackupStatus::ServerError,
        ] {
            assert_eq!(
                download_window(&status, None, NOW),
                DownloadWindow::NotDownloadable
            );
        }
        assert_eq!(
            download_window(&BackupStatus::Expired, None, NOW),
            DownloadWindow::Expired
        );
    }
}
