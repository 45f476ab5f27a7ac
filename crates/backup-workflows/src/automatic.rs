//! One automatic pass, the same for `backup-desk auto` and the desktop app:
//! for each account, request a backup as soon as the provider allows, fetch
//! every ready backup not downloaded yet (the one expiring first first),
//! verify it, and keep the newest N verified archives. Older ones are
//! deleted only after a newer one verified, and never a file that a kept
//! record points to. One pass at a time per user (a lock file).

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use backup_api::DownloadTerms;
use backup_domain::{BackupStatus, Role};
use backup_state::{AccountRecord, DownloadRecord};

use crate::deliver::{DeliverRequest, ProgressSink};
use crate::error::{Error, Result};
use crate::history::Actor;
use crate::hostkeys::PresentedKey;
use crate::identity::is_demo;
use crate::{Answers, Desk};

/// Held while automatic passes run: two never run at once.
#[derive(Debug)]
pub struct AutomaticLock {
    _file: File,
}

/// What a pass does beyond each account's own automatic settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomaticOptions {
    /// Only accounts whose automatic mode is on (the app); otherwise every
    /// account but a demo that was not switched on (the CLI).
    pub only_enabled: bool,
    /// Verified archives to keep, instead of each account's setting.
    pub keep: Option<u16>,
    /// The folder to save into, instead of each account's download folder.
    pub folder: Option<PathBuf>,
    /// Accept the download terms for this pass (the person said so).
    pub accept_terms: bool,
}

/// What a pass did for one account.
#[derive(Debug)]
pub struct AccountPass {
    pub account: AccountRecord,
    /// The backup requested, if one was.
    pub requested: Option<String>,
    pub downloaded: Vec<DownloadRecord>,
    /// Older archives deleted after a newer one verified.
    pub removed: Vec<String>,
    /// The account was left alone, and why.
    pub skipped: Option<String>,
    /// What stopped the pass for this account (the others went on).
    pub error: Option<Error>,
}

/// What a pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    pub accounts: Vec<AccountPass>,
}

impl PassReport {
    pub fn first_error(&self) -> Option<&Error> {
        self.accounts.iter().find_map(|a| a.error.as_ref())
    }
}

/// The answers of a pass: terms only with the person's consent, never a new server key.
struct Unattended<'a> {
    accept_terms: bool,
    consented_version: Option<&'a str>,
}

impl Answers for Unattended<'_> {
    fn accept_terms(&mut self, terms: &DownloadTerms) -> Result<bool> {
        if self.accept_terms || self.consented_version == Some(terms.version.as_str()) {
            return Ok(true);
        }
        if let Some(consented) = self.consented_version {
            // Never re-asked: a new version stops this account until the person reviews it.
            return Err(Error::TermsDeclined(format!(
                "The provider published new download terms (version {}; you consented to {consented}): automatic downloads of this account stopped. Review the new terms in Settings (or pass --accept-terms).",
                terms.version
            )));
        }
        Err(Error::TermsDeclined(format!(
            "The provider's download terms (version {}) are not accepted for automatic downloads: accept them once (in the app, or with --accept-terms).",
            terms.version
        )))
    }

    fn trust_host_key(&mut self, key: &PresentedKey) -> Result<bool> {
        Err(Error::HostKeyNotTrusted(format!(
            "The SFTP server {}:{} presents a key that is not trusted yet ({}): download once by hand, or run backup-desk connection test, to check and trust it.",
            key.host, key.port, key.fingerprint
        )))
    }
}

impl Desk {
    /// Takes the lock of automatic passes; `Busy` while another holds it
    /// (the app, or another `backup-desk auto`).
    pub fn automatic_lock(&self) -> Result<AutomaticLock> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| Error::Disk(format!("{}: {e}", self.data_dir.display())))?;
        let path = self.data_dir.join("auto.lock");
        // Never truncated: another process may hold it (Windows refuses that).
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::Disk(format!("{}: {e}", path.display())))?;
        if file.try_lock().is_err() {
            return Err(Error::Busy(
                "An automatic pass is already running for this user (the app or backup-desk auto); it does the work, nothing is requested twice.".into(),
            ));
        }
        Ok(AutomaticLock { _file: file })
    }

    /// One pass over the accounts. A failure of one account is reported in
    /// its [`AccountPass`] and the others still run.
    pub async fn automatic_pass(
        &self,
        _lock: &AutomaticLock,
        options: &AutomaticOptions,
        progress: ProgressSink,
    ) -> Result<PassReport> {
        let mut report = PassReport::default();
        for account in self.state.accounts()? {
            if self.is_stopping() {
                break;
            }
            let settings = self.preferences().account(&account)?.automatic;
            let skipped = if options.only_enabled && !settings.enabled {
                Some("automatic mode is off")
            } else if is_demo(&account) && !settings.enabled {
                Some("the demo runs automatically only when switched on in the app")
            } else {
                None
            };
            let mut pass = AccountPass {
                account,
                requested: None,
                downloaded: Vec::new(),
                removed: Vec::new(),
                skipped: skipped.map(str::to_owned),
                error: None,
            };
            if pass.skipped.is_none()
                && let Err(error) = self
                    .automatic_account(&mut pass, options, &settings, progress.clone())
                    .await
            {
                pass.error = Some(error);
            }
            report.accounts.push(pass);
        }
        Ok(report)
    }

    async fn automatic_account(
        &self,
        pass: &mut AccountPass,
        options: &AutomaticOptions,
        settings: &crate::AutomaticSettings,
        progress: ProgressSink,
    ) -> Result<()> {
        let account = pass.account.clone();
        let page = self
            .client(&account)
            .await?
            .all_backups(&account.account_id)
            .await?;
        if settings.request_when_allowed
            && page.gate.allowed
            && account.role.is_some_and(Role::may_request)
        {
            let backup = self.request_backup(account.id, Actor::Automatic).await?;
            pass.requested = Some(backup.id);
        }
        if !settings.download_when_ready {
            return Ok(());
        }
        let done: HashSet<String> = self
            .state
            .downloads(account.id)?
            .into_iter()
            .map(|d| d.backup_id)
            .collect();
        let mut ready: Vec<_> = page
            .backups
            .iter()
            .filter(|b| b.status == BackupStatus::Ready && !done.contains(&b.id))
            .collect();
        ready.sort_by_key(|b| b.expires_at);
        let keep = usize::from(options.keep.unwrap_or(settings.keep).max(1));
        let mut answers = Unattended {
            accept_terms: options.accept_terms,
            consented_version: settings.accepted_terms_version.as_deref(),
        };
        let mut damaged = None;
        for backup in ready {
            let request = DeliverRequest {
                account: account.id,
                backup_id: backup.id.clone(),
                folder: options.folder.clone(),
                streams: None,
                actor: Actor::Automatic,
                // Never asks; a verified backup is not fetched again anyway.
                existing: crate::ExistingCopy::KeepBoth,
            };
            let saved = match self
                .deliver_answering(&request, &mut answers, progress.clone())
                .await
            {
                Ok(saved) => saved,
                // Announced already, and kept aside: the other ready
                // backups are still fetched; the pass reports it at the end.
                Err(error @ Error::ArchiveDamaged { .. }) => {
                    damaged.get_or_insert(error);
                    continue;
                }
                Err(error) => return Err(error),
            };
            pass.downloaded.push(saved);
            pass.removed.extend(self.rotate(account.id, keep)?);
        }
        damaged.map_or(Ok(()), Err)
    }

    /// Deletes verified archives beyond the newest `keep` whose files are
    /// still there. A download whose archive rotation deleted keeps its
    /// record but no longer owns its path, so a file that later takes that
    /// name (another backup's, another account's, the person's own) is
    /// never deleted; nor is a path a kept record or another account names.
    ///
    /// A damaged archive is neither counted as kept nor deleted: it is the
    /// evidence the person shows the provider.
    fn rotate(&self, account: i64, keep: usize) -> Result<Vec<String>> {
        let damaged = self.damaged_backups(account)?;
        let present: Vec<DownloadRecord> = self
            .state
            .live_downloads(account)?
            .into_iter()
            .filter(|d| Path::new(&d.path).exists() && !damaged.contains(&d.backup_id))
            .collect();
        let mut owned: HashSet<String> = present
            .iter()
            .take(keep.max(1))
            .map(|d| d.path.clone())
            .collect();
        owned.extend(self.state.live_paths_of_other_accounts(account)?);
        let mut removed = Vec::new();
        for old in present.iter().skip(keep.max(1)) {
            if owned.contains(&old.path) {
                continue;
            }
            if std::fs::remove_file(&old.path).is_ok() {
                self.state.mark_removed(old, self.now())?;
                removed.push(old.path.clone());
            }
        }
        Ok(removed)
    }
}
