//! What the window receives about a backup's contents (the archive check's
//! manifest and change alerts) and about every account's health.

use backup_workflows::{
    AccountHealth, ChangeRecord, ChangeRecordExt, Contents, HealthLevel, HealthReason, HealthReport,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::AccountView;

/// Whether the archive of a downloaded backup was checked, and what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveKind {
    /// Downloaded before archives were checked (or the check was interrupted).
    Unchecked,
    Intact,
    /// Matches its checksum but does not open or read to its end.
    Damaged,
}

/// One entry of the archive.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ObjectView {
    pub entry: String,
    /// `contacts` for `contacts.csv`; null for other files.
    pub object: Option<String>,
    #[ts(type = "number | null")]
    pub rows: Option<u64>,
    #[ts(type = "number")]
    pub bytes: u64,
    pub crc_ok: bool,
}

/// A sharp drop (or a disappearance) of an object's records.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ChangeAlertView {
    pub object: String,
    #[ts(type = "number")]
    pub before: u64,
    /// Null: the object is missing.
    #[ts(type = "number | null")]
    pub after: Option<u64>,
    pub previous_backup_id: String,
    /// In words: "contacts: 10,234 → 7,102 (−31%)".
    pub text: String,
}

impl From<&ChangeRecord> for ChangeAlertView {
    fn from(alert: &ChangeRecord) -> ChangeAlertView {
        ChangeAlertView {
            object: alert.object.clone(),
            before: alert.before,
            after: alert.after,
            previous_backup_id: alert.previous_backup_id.clone(),
            text: alert.describe(),
        }
    }
}

/// A downloaded backup's contents.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ContentsView {
    pub backup_id: String,
    pub archive: ArchiveKind,
    /// What is wrong, when damaged.
    pub problem: Option<String>,
    pub checked_at: DateTime<Utc>,
    pub objects: Vec<ObjectView>,
    #[ts(type = "number")]
    pub total_rows: u64,
    pub alerts: Vec<ChangeAlertView>,
    /// The previous intact backup it was compared with.
    pub compared_with: Option<String>,
    /// Where the copy is, if it is still there.
    pub path: Option<String>,
}

impl From<&Contents> for ContentsView {
    fn from(c: &Contents) -> ContentsView {
        ContentsView {
            backup_id: c.archive.backup_id.clone(),
            archive: match c.archive.intact {
                true => ArchiveKind::Intact,
                false => ArchiveKind::Damaged,
            },
            problem: c.archive.problem.clone(),
            checked_at: c.archive.checked_at,
            objects: c
                .archive
                .entries
                .iter()
                .map(|e| ObjectView {
                    entry: e.entry.clone(),
                    object: e.object.clone(),
                    rows: e.rows,
                    bytes: e.bytes,
                    crc_ok: e.crc_ok,
                })
                .collect(),
            total_rows: c.archive.rows(),
            alerts: c.alerts.iter().map(ChangeAlertView::from).collect(),
            compared_with: c.compared_with.clone(),
            path: c.path.as_ref().map(|p| p.display().to_string()),
        }
    }
}

/// Green, amber or red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevelView {
    Green,
    Amber,
    Red,
}

impl From<HealthLevel> for HealthLevelView {
    fn from(level: HealthLevel) -> HealthLevelView {
        match level {
            HealthLevel::Green => HealthLevelView::Green,
            HealthLevel::Amber => HealthLevelView::Amber,
            HealthLevel::Red => HealthLevelView::Red,
        }
    }
}

/// Why an account is not green.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HealthReasonView {
    NoVerifiedCopy,
    CopyTooOld {
        #[ts(type = "number")]
        age_days: i64,
        #[ts(type = "number")]
        limit_days: i64,
    },
    ExpiresSoon {
        at: DateTime<Utc>,
    },
    ChangeAlert {
        #[ts(type = "number")]
        count: usize,
    },
}

impl From<&HealthReason> for HealthReasonView {
    fn from(reason: &HealthReason) -> HealthReasonView {
        match reason {
            HealthReason::NoVerifiedCopy => HealthReasonView::NoVerifiedCopy,
            HealthReason::CopyTooOld { age, limit } => HealthReasonView::CopyTooOld {
                age_days: age.num_days(),
                limit_days: limit.num_days(),
            },
            HealthReason::ExpiresSoon { at } => HealthReasonView::ExpiresSoon { at: *at },
            HealthReason::ChangeAlert { count } => HealthReasonView::ChangeAlert { count: *count },
        }
    }
}

/// A ready backup not downloaded here.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PendingBackupView {
    pub backup_id: String,
    pub expires_at: DateTime<Utc>,
}

/// One account's row of the health view.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountHealthView {
    pub account: AccountView,
    pub level: HealthLevelView,
    pub reasons: Vec<HealthReasonView>,
    /// When the backup of the newest verified copy was made.
    pub last_copy_at: Option<DateTime<Utc>>,
    pub last_copy_backup_id: Option<String>,
    /// Where that copy is (null when it is no longer there).
    pub last_copy_path: Option<String>,
    /// Red beyond this age (cooldown + download window), in days.
    #[ts(type = "number")]
    pub limit_days: i64,
    /// The ready backup that expires first without being downloaded.
    pub pending: Option<PendingBackupView>,
    /// Null when a request is allowed now (or the provider did not answer).
    pub next_request_at: Option<DateTime<Utc>>,
    pub request_allowed: bool,
    pub automatic: bool,
    pub alerts: Vec<ChangeAlertView>,
    /// Why the provider could not be asked.
    pub unreachable: Option<String>,
    pub as_of: DateTime<Utc>,
}

impl From<&AccountHealth> for AccountHealthView {
    fn from(h: &AccountHealth) -> AccountHealthView {
        AccountHealthView {
            account: AccountView::from(&h.account),
            level: h.level.into(),
            reasons: h.reasons.iter().map(HealthReasonView::from).collect(),
            last_copy_at: h.last_copy.as_ref().map(|c| c.backup_at),
            last_copy_backup_id: h.last_copy.as_ref().map(|c| c.download.backup_id.clone()),
            last_copy_path: h
                .last_copy
                .as_ref()
                .and_then(|c| c.path.as_ref())
                .map(|p| p.display().to_string()),
            limit_days: h.limit.num_days(),
            pending: h
                .ready_not_downloaded
                .first()
                .map(|(id, at)| PendingBackupView {
                    backup_id: id.clone(),
                    expires_at: *at,
                }),
            next_request_at: h.next_request_at,
            request_allowed: h.request_allowed,
            automatic: h.automatic,
            alerts: h.alerts.iter().map(ChangeAlertView::from).collect(),
            unreachable: h.unreachable.clone(),
            as_of: h.as_of,
        }
    }
}

/// Every account's health, worst first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HealthView {
    pub worst: HealthLevelView,
    pub accounts: Vec<AccountHealthView>,
}

impl From<&HealthReport> for HealthView {
    fn from(report: &HealthReport) -> HealthView {
        HealthView {
            worst: report.worst().into(),
            accounts: report
                .accounts
                .iter()
                .map(AccountHealthView::from)
                .collect(),
        }
    }
}
