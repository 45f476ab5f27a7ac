//! How backups read on a terminal: status words, countdowns, sizes,
//! counts, dates, and untrusted text made safe to print.

use backup_domain::{BackupStatus, DownloadWindow, download_window};
use backup_workflows::Backup;
use chrono::{DateTime, TimeDelta, Utc};

/// The status as the person reads it; unknown values are "Invalid value".
pub fn status_word(status: &BackupStatus) -> &'static str {
    match status {
        BackupStatus::AwaitingRelease => "Awaiting release",
        BackupStatus::InProgress => "In progress",
        BackupStatus::Ready => "Ready to download",
        BackupStatus::Expired => "Expired",
        BackupStatus::ServerError => "Server error",
        BackupStatus::Unknown(_) => "Invalid value",
    }
}

/// "expires in 3 days", "expires in 5 hours (soon)", "expired", or "".
pub fn window(backup: &Backup, now: DateTime<Utc>) -> String {
    match download_window(&backup.status, backup.expires_at, now) {
        DownloadWindow::Open {
            remaining,
            expiring_soon,
        } => {
            let text = format!("expires in {}", human_duration(remaining));
            if expiring_soon {
                format!("{text} (soon)")
            } else {
                text
            }
        }
        DownloadWindow::Expired => "expired".into(),
        DownloadWindow::NotDownloadable => String::new(),
    }
}

/// "3 days", "5 hours", "12 minutes", rounded to the nearest unit.
pub fn human_duration(d: TimeDelta) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let secs = d.num_seconds();
    if secs >= 86_400 {
        plural((secs + 43_200) / 86_400, "day")
    } else if secs >= 3_600 {
        plural((secs + 1_800) / 3_600, "hour")
    } else {
        plural(((secs + 30) / 60).max(1), "minute")
    }
}

/// "1.5 GB", "820 kB".
pub fn size(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return String::new();
    };
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// `10,234`: a count with its thousands grouped.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text from a provider or an archive (an entry's name, a problem) made
/// safe to print: control characters, which could move the cursor or
/// recolour the terminal, become `�`.
pub fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// `2026-12-19 10:00 UTC`.
pub fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_statuses_read_as_invalid_value() {
        assert_eq!(
            status_word(&BackupStatus::Unknown("x".into())),
            "Invalid value"
        );
        assert_eq!(status_word(&BackupStatus::Ready), "Ready to download");
    }

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(
            human_duration(TimeDelta::days(3) + TimeDelta::hours(2)),
            "3 days"
        );
        assert_eq!(human_duration(TimeDelta::hours(1)), "1 hour");
        assert_eq!(human_duration(TimeDelta::seconds(20)), "1 minute");
        assert_eq!(size(Some(1_500_000_000)), "1.5 GB");
        assert_eq!(size(Some(999)), "999 B");
        assert_eq!(size(None), "");
        assert_eq!(count(10_234), "10,234");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(0), "0");
    }

    #[test]
    fn text_from_an_archive_cannot_drive_the_terminal() {
        assert_eq!(plain("notes\u{1b}[2J.txt"), "notes\u{fffd}[2J.txt");
        assert_eq!(plain("contacts"), "contacts");
    }
}
