//! Health across accounts: for each one, how old its last verified copy is
//! and where it is, whether a ready backup is about to expire undownloaded,
//! when the next request is allowed, whether automatic mode is on, and any
//! change alert — with one verdict (green, amber, red) from the domain's
//! rule. One query for the app's view and `backup-desk health`.

use std::collections::HashSet;
use std::path::PathBuf;

use backup_domain::{
    BackupPolicy, BackupStatus, HealthInputs, HealthLevel, HealthReason, account_health,
};
use backup_state::{AccountRecord, ChangeRecord, DownloadRecord};
use chrono::{DateTime, TimeDelta, Utc};

use crate::Desk;
use crate::error::Result;

fn policy_key(account: i64) -> String {
    format!("policy:{account}")
}

/// One account's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountHealth {
    pub account: AccountRecord,
    pub level: HealthLevel,
    pub reasons: Vec<HealthReason>,
    /// The newest verified (and not damaged) copy, and when its backup was made.
    pub last_copy: Option<LastCopy>,
    /// Red beyond this age of the last copy: the cooldown plus the download window.
    pub limit: TimeDelta,
    /// Ready backups not downloaded here: (id, expires at), soonest first.
    pub ready_not_downloaded: Vec<(String, DateTime<Utc>)>,
    /// `None`: a request is allowed now (or the provider did not answer).
    pub next_request_at: Option<DateTime<Utc>>,
    pub request_allowed: bool,
    pub automatic: bool,
    /// The change alerts of the last copy's backup (a damaged archive
    /// downloaded after it does not hide them).
    pub alerts: Vec<ChangeRecord>,
    /// Why the provider could not be asked (the verdict then rests on what
    /// this computer knows, with the last policy seen).
    pub unreachable: Option<String>,
    /// The instant the verdict is for (the provider's clock when it answered).
    pub as_of: DateTime<Utc>,
}

/// The newest verified copy of an account's backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastCopy {
    pub download: DownloadRecord,
    /// When the provider made that backup (else when it was verified here).
    pub backup_at: DateTime<Utc>,
    /// Where the file is, if it is still there.
    pub path: Option<PathBuf>,
}

/// Every account's health, worst first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub accounts: Vec<AccountHealth>,
}

impl HealthReport {
    /// The worst level of all accounts (green with none).
    pub fn worst(&self) -> HealthLevel {
        self.accounts
            .iter()
            .map(|a| a.level)
            .max()
            .unwrap_or(HealthLevel::Green)
    }
}

impl Desk {
    /// The health of every configured account (the provider of each is
    /// asked; one that does not answer is judged on what is known here).
    pub async fn health(&self) -> Result<HealthReport> {
        let mut accounts = Vec::new();
        for account in self.state.accounts()? {
            accounts.push(self.account_health(account).await?);
        }
        accounts.sort_by_key(|a| std::cmp::Reverse(a.level));
        Ok(HealthReport { accounts })
    }

    async fn account_health(&self, account: AccountRecord) -> Result<AccountHealth> {
        let answer = match self.client(&account).await {
            Ok(client) => client
                .all_backups(&account.account_id)
                .await
                .map_err(Into::into),
            Err(error) => Err(error),
        };
        let damaged = self.damaged_backups(account.id)?;
        let downloads: Vec<DownloadRecord> = self
            .state
            .downloads(account.id)?
            .into_iter()
            .filter(|d| !damaged.contains(&d.backup_id))
            .collect();
        let downloaded: HashSet<&str> = downloads.iter().map(|d| d.backup_id.as_str()).collect();
        let (policy, as_of, ready, gate, unreachable) = match answer {
            Ok(page) => {
                if let Ok(json) = serde_json::to_string(&page.policy) {
                    self.state.set_setting(&policy_key(account.id), &json)?;
                }
                let mut ready: Vec<(String, DateTime<Utc>)> = page
                    .backups
                    .iter()
                    .filter(|b| {
                        b.status == BackupStatus::Ready && !downloaded.contains(b.id.as_str())
                    })
                    .filter_map(|b| Some((b.id.clone(), b.expires_at?)))
                    .filter(|(_, at)| *at > page.server_time)
                    .collect();
                ready.sort_by_key(|(_, at)| *at);
                (page.policy, page.server_time, ready, Some(page.gate), None)
            }
            Err(error) => {
                let policy = self
                    .state
                    .setting(&policy_key(account.id))?
                    .and_then(|json| serde_json::from_str::<BackupPolicy>(&json).ok())
                    .unwrap_or_else(BackupPolicy::reference_default);
                (
                    policy,
                    self.now(),
                    Vec::new(),
                    None,
                    Some(error.to_string()),
                )
            }
        };
        // The copy of the newest backup, not the newest download.
        let mut last_copy: Option<LastCopy> = None;
        for download in &downloads {
            let backup_at = self
                .state
                .archive(account.id, &download.backup_id)?
                .map_or(download.verified_at, |a| a.backup_at);
            if last_copy.as_ref().is_none_or(|c| backup_at > c.backup_at) {
                let path = PathBuf::from(&download.path);
                last_copy = Some(LastCopy {
                    download: download.clone(),
                    backup_at,
                    path: path.is_file().then_some(path),
                });
            }
        }
        // The alerts of the last good copy: a damaged archive downloaded
        // after it must not hide a mass deletion the copy still shows.
        let alerts = match &last_copy {
            Some(copy) => self
                .state
                .change_alerts(account.id, Some(&copy.download.backup_id))?,
            None => Vec::new(),
        };
        let inputs = HealthInputs {
            last_verified_at: last_copy.as_ref().map(|c| c.backup_at),
            tracked_since: self.state.added_at(account.id)?,
            cooldown: policy.cooldown,
            download_window: policy.download_window,
            ready_not_downloaded_expiring: ready.iter().map(|(_, at)| *at).collect(),
            change_alerts: alerts.len(),
        };
        let (level, reasons) = account_health(&inputs, as_of);
        let automatic = self.preferences().account(&account)?.automatic.enabled;
        Ok(AccountHealth {
            level,
            reasons,
            last_copy,
            limit: policy.cooldown + policy.download_window,
            ready_not_downloaded: ready,
            next_request_at: gate
                .as_ref()
                .filter(|g| !g.allowed)
                .and_then(|g| g.next_allowed_at),
            request_allowed: gate.as_ref().is_some_and(|g| g.allowed),
            automatic,
            alerts,
            unreachable,
            as_of,
            account,
        })
    }
}
