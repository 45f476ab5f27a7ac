//! The history of an account (a query: no notification, no event), and the
//! two things a person does to it: request a backup, accept the terms.

use backup_api::{Backup, BackupPage, DownloadTerms, new_idempotency_key};
use backup_domain::{GateReason, RequestGate};
use backup_state::{AccountRecord, AuditEvent, DownloadRecord};

use crate::error::{Error, Result};
use crate::{Desk, lock};

/// Who acts, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The person whose token the account uses.
    Person,
    /// The automatic mode, on that person's behalf.
    Automatic,
}

impl Actor {
    pub(crate) fn name(self, account: &AccountRecord) -> String {
        match self {
            Actor::Person => account.person_name.clone(),
            Actor::Automatic => "auto".into(),
        }
    }
}

/// The provider's history of an account with what this computer knows of it.
#[derive(Debug, Clone)]
pub struct History {
    pub account: AccountRecord,
    pub page: BackupPage,
    /// Verified downloads, newest first.
    pub downloads: Vec<DownloadRecord>,
    /// Backups with an interrupted download on disk.
    pub resumable: Vec<String>,
    /// Backups being downloaded by this process now.
    pub downloading: Vec<String>,
    /// Downloaded backups whose archive was checked: (id, intact).
    pub archives: Vec<(String, bool)>,
    /// The change alerts of this account's backups.
    pub alerts: Vec<backup_state::ChangeRecord>,
}

/// Why a request is not allowed now, as an error that says until when.
pub(crate) fn gate_refusal(gate: &RequestGate) -> Option<Error> {
    if gate.allowed {
        return None;
    }
    Some(match gate.reason {
        Some(GateReason::CooldownActive) => Error::Cooldown {
            message: match gate.next_allowed_at {
                Some(at) => format!(
                    "The next backup can be requested on {}.",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                None => "A new backup cannot be requested yet.".into(),
            },
            next_allowed_at: gate.next_allowed_at,
        },
        Some(GateReason::RequestInProgress) => {
            Error::RequestInProgress("A backup is being prepared; wait until it finishes.".into())
        }
        Some(GateReason::Forbidden) => {
            Error::Forbidden("Your role may only list backups of this account.".into())
        }
        _ => Error::Forbidden("A new backup cannot be requested now.".into()),
    })
}

impl Desk {
    /// The history of `account` and the request gate.
    pub async fn history(&self, account: i64) -> Result<History> {
        let record = self.account(account)?;
        let page = self
            .client(&record)
            .await?
            .all_backups(&record.account_id)
            .await?;
        let downloads = self.state.downloads(account)?;
        let dir = self.preferences().account(&record)?.download_dir;
        let resumable = page
            .backups
            .iter()
            .filter(|b| backup_transfer::resumable_bytes(&dir, &b.id).is_some())
            .map(|b| b.id.clone())
            .collect();
        let downloading = lock(&self.running)
            .keys()
            .filter(|(a, _)| *a == account)
            .map(|(_, b)| b.clone())
            .collect();
        Ok(History {
            account: record,
            page,
            downloads,
            resumable,
            downloading,
            archives: self.state.archive_verdicts(account)?,
            alerts: self.state.change_alerts(account, None)?,
        })
    }

    /// The newest backup of `account` that is ready to download.
    pub async fn latest_ready(&self, account: i64) -> Result<Backup> {
        let record = self.account(account)?;
        self.client(&record)
            .await?
            .all_backups(&record.account_id)
            .await?
            .backups
            .into_iter()
            .find(|b| b.status == backup_domain::BackupStatus::Ready)
            .ok_or_else(|| Error::NotReady("No backup is ready to download.".into()))
    }

    /// Whether `account` may request a backup now (the provider's gate);
    /// the refusal says why and until when.
    pub async fn check_request_allowed(&self, account: i64) -> Result<()> {
        let record = self.account(account)?;
        let page = self
            .client(&record)
            .await?
            .backups(&record.account_id, None, Some(1))
            .await?;
        gate_refusal(&page.gate).map_or(Ok(()), Err)
    }

    /// Requests a new backup (the person confirmed) and audits it; the
    /// provider's refusal comes back as is (cooldown with its date…).
    pub async fn request_backup(&self, account: i64, actor: Actor) -> Result<Backup> {
        let record = self.account(account)?;
        let backup = self
            .client(&record)
            .await?
            .request_backup(&record.account_id, &new_idempotency_key())
            .await?;
        let event = AuditEvent::RequestMade {
            backup_id: backup.id.clone(),
        };
        self.state
            .audit(Some(account), &actor.name(&record), &event, self.now())?;
        Ok(backup)
    }

    /// The download terms in force for a backup and whether they were accepted.
    pub async fn terms(&self, account: i64, backup_id: &str) -> Result<DownloadTerms> {
        let record = self.account(account)?;
        Ok(self
            .client(&record)
            .await?
            .terms(&record.account_id, backup_id)
            .await?)
    }

    /// Accepts the terms version the person read, and audits it.
    pub async fn accept_terms(
        &self,
        account: i64,
        backup_id: &str,
        version: &str,
        actor: Actor,
    ) -> Result<()> {
        if version.trim().is_empty() {
            return Err(Error::Invalid("No terms version was given.".into()));
        }
        let record = self.account(account)?;
        self.client(&record)
            .await?
            .accept_terms(&record.account_id, backup_id, version)
            .await?;
        let event = AuditEvent::TermsAccepted {
            backup_id: backup_id.to_owned(),
            version: version.to_owned(),
        };
        self.state
            .audit(Some(account), &actor.name(&record), &event, self.now())?;
        Ok(())
    }
}
