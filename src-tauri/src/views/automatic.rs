//! What the window receives about automatic mode: paused or not, the next
//! check, and each account's settings and last pass (kept across launches).

use backup_workflows::{
    AccountAutomatic, AutomaticChoice, AutomaticStatus, LastPass, PassDownload,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{AppError, ErrorCode};

/// Automatic mode as a whole; also the payload of the `automatic-changed`
/// event (after each pass, on pause and resume).
#[derive(Debug, Clone, Serialize, TS)]
pub struct AutomaticStatusView {
    pub paused: bool,
    /// A pass is running now.
    pub running: bool,
    /// When the next pass is due (RFC 3339); null while paused or with no account on.
    pub next_check_at: Option<DateTime<Utc>>,
    pub accounts: Vec<AccountAutomaticView>,
}

/// One account's automatic settings and last pass.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountAutomaticView {
    #[ts(type = "number")]
    pub account: i64,
    pub enabled: bool,
    pub request_when_allowed: bool,
    pub download_when_ready: bool,
    pub keep: u16,
    /// The terms version the person consented to accept automatically.
    pub accepted_terms_version: Option<String>,
    pub last_pass: Option<LastPassView>,
}

/// What the last automatic pass did for an account.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LastPassView {
    pub at: DateTime<Utc>,
    /// The backup it requested.
    pub requested: Option<String>,
    pub downloaded: Vec<DownloadedItemView>,
    pub error: Option<AppError>,
}

/// An archive the pass downloaded and verified.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DownloadedItemView {
    pub backup_id: String,
    pub path: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
}

/// An account's automatic settings as the window saves them; a non-null
/// `accept_terms_version` is the person's consent to accept that version
/// automatically (null withdraws a consent given before).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AutomaticInput {
    pub enabled: bool,
    pub request_when_allowed: bool,
    pub download_when_ready: bool,
    pub keep: u16,
    pub accept_terms_version: Option<String>,
}

impl From<AutomaticInput> for AutomaticChoice {
    fn from(input: AutomaticInput) -> AutomaticChoice {
        AutomaticChoice {
            enabled: input.enabled,
            request_when_allowed: input.request_when_allowed,
            download_when_ready: input.download_when_ready,
            keep: input.keep,
            accept_terms_version: input.accept_terms_version,
        }
    }
}

impl From<&PassDownload> for DownloadedItemView {
    fn from(d: &PassDownload) -> DownloadedItemView {
        DownloadedItemView {
            backup_id: d.backup_id.clone(),
            path: d.path.clone(),
            size_bytes: d.size_bytes,
        }
    }
}

impl From<&LastPass> for LastPassView {
    fn from(pass: &LastPass) -> LastPassView {
        LastPassView {
            at: pass.at,
            requested: pass.requested.clone(),
            downloaded: pass
                .downloaded
                .iter()
                .map(DownloadedItemView::from)
                .collect(),
            error: pass
                .error
                .as_ref()
                .map(|e| AppError::new(ErrorCode::from(e.kind), e.message.clone())),
        }
    }
}

impl From<&AccountAutomatic> for AccountAutomaticView {
    fn from(a: &AccountAutomatic) -> AccountAutomaticView {
        AccountAutomaticView {
            account: a.account.id,
            enabled: a.settings.enabled,
            request_when_allowed: a.settings.request_when_allowed,
            download_when_ready: a.settings.download_when_ready,
            keep: a.settings.keep,
            accepted_terms_version: a.settings.accepted_terms_version.clone(),
            last_pass: a.last_pass.as_ref().map(LastPassView::from),
        }
    }
}

impl From<&AutomaticStatus> for AutomaticStatusView {
    fn from(s: &AutomaticStatus) -> AutomaticStatusView {
        AutomaticStatusView {
            paused: s.paused,
            running: s.running,
            next_check_at: s.next_check_at,
            accounts: s.accounts.iter().map(AccountAutomaticView::from).collect(),
        }
    }
}
