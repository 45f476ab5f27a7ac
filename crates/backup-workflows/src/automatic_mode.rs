//! The desktop app's automatic mode around the shared pass: when a pass is
//! due ([`AutomaticSchedule`]), pause and resume (kept across launches),
//! each account's last pass (kept in the local state, so the window shows
//! it after a relaunch), and the person's explicit consent to accept a
//! terms version automatically (recorded in the audit log).
//!
//! The app calls [`Desk::automatic_tick`] on a slow timer: while nothing is
//! due it touches no file and no network.

use backup_api::DownloadTerms;
use backup_state::{AccountRecord, AuditEvent, DownloadRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::automatic::{AutomaticOptions, PassReport};
use crate::deliver::ProgressSink;
use crate::error::{Error, ErrorKind, Result};
use crate::history::Actor;
use crate::preferences::AutomaticSettings;
use crate::schedule::{AutomaticSchedule, Reach};
use crate::watcher::DeskEvent;
use crate::{Desk, lock};

/// The most verified archives automatic mode may keep per account.
pub const KEEP_MAX: u16 = 100;

const PAUSED: &str = "automatic_paused";

fn last_pass_key(account: i64) -> String {
    format!("automatic_last:{account}")
}

/// What the app's timer needs between ticks (in memory only).
#[derive(Debug)]
pub(crate) struct AutomaticMemory {
    schedule: AutomaticSchedule,
    running: bool,
    /// Read once from the local state, written through.
    paused: Option<bool>,
}

impl AutomaticMemory {
    pub(crate) fn new() -> AutomaticMemory {
        AutomaticMemory {
            schedule: AutomaticSchedule::default(),
            running: false,
            paused: None,
        }
    }
}

/// An archive a pass downloaded and verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassDownload {
    pub backup_id: String,
    pub path: String,
    pub size_bytes: u64,
}

impl From<&DownloadRecord> for PassDownload {
    fn from(record: &DownloadRecord) -> PassDownload {
        PassDownload {
            backup_id: record.backup_id.clone(),
            path: record.path.clone(),
            size_bytes: record.size_bytes,
        }
    }
}

/// What stopped a pass for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassFailure {
    pub kind: ErrorKind,
    pub message: String,
}

/// The last automatic pass over one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPass {
    pub at: DateTime<Utc>,
    /// The backup it requested, if it did.
    pub requested: Option<String>,
    pub downloaded: Vec<PassDownload>,
    pub error: Option<PassFailure>,
}

/// One account's automatic mode as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAutomatic {
    pub account: AccountRecord,
    pub settings: AutomaticSettings,
    pub last_pass: Option<LastPass>,
}

/// The automatic mode as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomaticStatus {
    pub paused: bool,
    /// A pass of this app is running now.
    pub running: bool,
    /// When the next pass is due; `None` while paused or with no account on.
    pub next_check_at: Option<DateTime<Utc>>,
    pub accounts: Vec<AccountAutomatic>,
}

impl AutomaticStatus {
    /// Whether any account has automatic mode on.
    pub fn any_enabled(&self) -> bool {
        self.accounts.iter().any(|a| a.settings.enabled)
    }

    /// The newest archive a last pass verified, with its time and account.
    pub fn last_download(&self) -> Option<(&AccountAutomatic, &LastPass, &PassDownload)> {
        self.accounts
            .iter()
            .filter_map(|a| {
                let pass = a.last_pass.as_ref()?;
                Some((a, pass, pass.downloaded.last()?))
            })
            .max_by_key(|(_, pass, _)| pass.at)
    }
}

/// What one tick of the app's timer did.
#[derive(Debug)]
pub enum Tick {
    /// Nothing due (or paused, or a pass of this app still running): nothing read.
    Idle,
    /// Due, but no account has automatic mode on.
    NothingOn,
    /// Another process (`backup-desk auto`) is running a pass: skipped.
    Busy,
    /// A pass ran.
    Ran(PassReport),
}

/// An account's automatic settings as the person chose them; a terms
/// version here is the consent to accept exactly that version unattended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomaticChoice {
    pub enabled: bool,
    pub request_when_allowed: bool,
    pub download_when_ready: bool,
    pub keep: u16,
    pub accept_terms_version: Option<String>,
}

/// Clears `running` however the pass ends (a panic, a dropped future).
struct Running<'a>(&'a Desk);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(&self.0.automatic).running = false;
    }
}

fn reach(report: &PassReport) -> Reach {
    let visited: Vec<_> = report
        .accounts
        .iter()
        .filter(|a| a.skipped.is_none())
        .collect();
    let unreachable = visited
        .iter()
        .filter(|a| {
            a.error
                .as_ref()
                .is_some_and(|e| e.kind() == ErrorKind::Network)
        })
        .count();
    match unreachable {
        0 => Reach::Reached,
        n if n == visited.len() => Reach::Unreachable,
        _ => Reach::PartlyUnreachable,
    }
}

impl Desk {
    /// Whether automatic mode is paused (kept across launches).
    pub fn automatic_paused(&self) -> Result<bool> {
        if let Some(paused) = lock(&self.automatic).paused {
            return Ok(paused);
        }
        let paused = self.state.setting(PAUSED)?.is_some_and(|v| v == "1");
        lock(&self.automatic).paused = Some(paused);
        Ok(paused)
    }

    /// Pauses or resumes automatic mode; resuming checks at once.
    pub fn set_automatic_paused(&self, paused: bool) -> Result<()> {
        self.state
            .set_setting(PAUSED, if paused { "1" } else { "0" })?;
        let mut memory = lock(&self.automatic);
        memory.paused = Some(paused);
        if !paused {
            memory.schedule.check_now();
            self.automatic_wake.notify_one();
        }
        Ok(())
    }

    /// Check now (the tray's Check now, a changed setting): the app's
    /// timer runs a pass at once, unless paused.
    pub fn automatic_check_now(&self) {
        lock(&self.automatic).schedule.check_now();
        self.automatic_wake.notify_one();
    }

    /// Resolves when [`Desk::automatic_check_now`] (or a resume) asked for a
    /// pass, so the app's timer need not tick often.
    pub async fn automatic_woken(&self) {
        self.automatic_wake.notified().await;
    }

    /// The last pass over `account`, if one ran (an unreadable record is none).
    pub fn last_pass(&self, account: i64) -> Result<Option<LastPass>> {
        Ok(self
            .state
            .setting(&last_pass_key(account))?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Paused or not, running or not, the next check, and every account's
    /// settings and last pass.
    pub fn automatic_status(&self) -> Result<AutomaticStatus> {
        let paused = self.automatic_paused()?;
        let mut accounts = Vec::new();
        for account in self.state.accounts()? {
            let settings = self.preferences().account(&account)?.automatic;
            let last_pass = self.last_pass(account.id)?;
            accounts.push(AccountAutomatic {
                account,
                settings,
                last_pass,
            });
        }
        let memory = lock(&self.automatic);
        let on = accounts.iter().any(|a| a.settings.enabled);
        Ok(AutomaticStatus {
            paused,
            running: memory.running,
            next_check_at: (on && !paused).then(|| memory.schedule.next_check_at(self.now())),
            accounts,
        })
    }

    /// One tick of the app's timer: when a pass is due and automatic mode
    /// is on for an account, takes the lock shared with `backup-desk auto`
    /// (`Tick::Busy` while the CLI holds it), runs the pass over the
    /// accounts switched on, keeps each one's result, and schedules the
    /// next pass (backing off while providers cannot be reached). A new
    /// failure of an account is announced once ([`DeskEvent::AutomaticFailed`]).
    pub async fn automatic_tick(&self, progress: ProgressSink) -> Result<Tick> {
        let now = self.now();
        {
            let mut memory = lock(&self.automatic);
            memory.schedule.clamp(now);
            if memory.running || memory.paused == Some(true) || !memory.schedule.is_due(now) {
                return Ok(Tick::Idle);
            }
        }
        if self.automatic_paused()? {
            return Ok(Tick::Idle);
        }
        let mut on = false;
        for account in self.state.accounts()? {
            on |= self.preferences().account(&account)?.automatic.enabled;
        }
        if !on {
            lock(&self.automatic).schedule.passed(now, Reach::Reached);
            return Ok(Tick::NothingOn);
        }
        let pass_lock = match self.automatic_lock() {
            Ok(held) => held,
            Err(error) if error.kind() == ErrorKind::Busy => {
                lock(&self.automatic).schedule.busy(now);
                return Ok(Tick::Busy);
            }
            Err(error) => return Err(error),
        };
        lock(&self.automatic).running = true;
        let running = Running(self);
        let options = AutomaticOptions {
            only_enabled: true,
            ..AutomaticOptions::default()
        };
        let report = self.automatic_pass(&pass_lock, &options, progress).await;
        drop(running);
        drop(pass_lock);
        let ended = self.now();
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                lock(&self.automatic).schedule.passed(ended, Reach::Reached);
                return Err(error);
            }
        };
        lock(&self.automatic).schedule.passed(ended, reach(&report));
        for pass in report.accounts.iter().filter(|a| a.skipped.is_none()) {
            let before = self.last_pass(pass.account.id)?;
            let last = LastPass {
                at: ended,
                requested: pass.requested.clone(),
                downloaded: pass.downloaded.iter().map(PassDownload::from).collect(),
                error: pass.error.as_ref().map(|e| PassFailure {
                    kind: e.kind(),
                    message: e.to_string(),
                }),
            };
            let json = serde_json::to_string(&last).map_err(|e| Error::Internal(e.to_string()))?;
            self.state
                .set_setting(&last_pass_key(pass.account.id), &json)?;
            let known = before
                .and_then(|b| b.error)
                .is_some_and(|e| Some(e.kind) == last.error.as_ref().map(|f| f.kind));
            // A damaged archive was already announced by the delivery itself.
            if let Some(failure) = last.error
                && !known
                && failure.kind != crate::ErrorKind::ArchiveDamaged
            {
                self.publish(DeskEvent::AutomaticFailed {
                    account: pass.account.id,
                    account_name: pass.account.display_name.clone(),
                    kind: failure.kind,
                    message: failure.message,
                });
            }
        }
        Ok(Tick::Ran(report))
    }

    /// Saves `account`'s automatic settings and checks at once (a change
    /// may make a pass due). Keep is 1–[`KEEP_MAX`]. A terms version that
    /// differs from the one consented to is recorded in the audit log as
    /// the person's consent; no version where one was consented to is
    /// recorded as its withdrawal.
    pub fn save_automatic_settings(&self, account: i64, choice: &AutomaticChoice) -> Result<()> {
        let record = self.account(account)?;
        if !(1..=KEEP_MAX).contains(&choice.keep) {
            return Err(Error::Invalid(format!(
                "Keep between 1 and {KEEP_MAX} verified archives (you chose {}).",
                choice.keep
            )));
        }
        let version = match choice.accept_terms_version.as_deref().map(str::trim) {
            Some("") => {
                return Err(Error::Invalid(
                    "No terms version was given to accept automatically; read the terms and try again."
                        .into(),
                ));
            }
            other => other.map(str::to_owned),
        };
        let before = self.preferences().account(&record)?.automatic;
        let consent = match (&before.accepted_terms_version, &version) {
            (old, Some(new)) if old.as_ref() != Some(new) => {
                Some(AuditEvent::AutomaticTermsConsented {
                    version: new.clone(),
                })
            }
            (Some(old), None) => Some(AuditEvent::AutomaticTermsWithdrawn {
                version: old.clone(),
            }),
            _ => None,
        };
        let settings = AutomaticSettings {
            enabled: choice.enabled,
            request_when_allowed: choice.request_when_allowed,
            download_when_ready: choice.download_when_ready,
            keep: choice.keep,
            accepted_terms_version: version,
        };
        self.preferences().save_automatic(account, &settings)?;
        if let Some(event) = consent {
            self.state.audit(
                Some(account),
                &Actor::Person.name(&record),
                &event,
                self.now(),
            )?;
        }
        self.automatic_check_now();
        Ok(())
    }

    /// The provider's download terms in force, to consent to accepting
    /// them automatically: read through the newest backup of `account`
    /// (terms are the provider's, not a backup's); `None` while the account
    /// has no backup yet.
    pub async fn automatic_terms(&self, account: i64) -> Result<Option<DownloadTerms>> {
        let record = self.account(account)?;
        let client = self.client(&record).await?;
        let page = client.all_backups(&record.account_id).await?;
        let Some(newest) = page.backups.iter().max_by_key(|b| b.requested_at) else {
            return Ok(None);
        };
        Ok(Some(client.terms(&record.account_id, &newest.id).await?))
    }
}
