//! An account's settings as a whole (what Settings shows), and saving the
//! download preferences; only a key's type and fingerprint ever leave.

use std::path::PathBuf;

use backup_keychain::KeyInfo;
use backup_state::{AccountRecord, SftpConnection};
use chrono::{DateTime, Utc};

use crate::Desk;
use crate::error::{Error, Result};
use crate::preferences::{AccountPreferences, Language};

/// Everything set up for one account (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    pub account: AccountRecord,
    pub connection: Option<SftpConnection>,
    pub key: Option<KeyInfo>,
    /// The trusted key of the SFTP server, if one is.
    pub trusted_host_key: Option<String>,
    pub preferences: AccountPreferences,
    pub language: Language,
    /// When a connection test or a verified download last proved the
    /// connection and the key work (cleared when either changes).
    pub checked_at: Option<DateTime<Utc>>,
}

impl Desk {
    /// The settings of `account`.
    pub fn settings(&self, account: i64) -> Result<AccountSettings> {
        let record = self.account(account)?;
        let connection = self.state.connection(account)?;
        let trusted_host_key = match &connection {
            Some(c) => self.state.pinned_host_key(account, &c.host, c.port)?,
            None => None,
        };
        Ok(AccountSettings {
            preferences: self.preferences().account(&record)?,
            account: record,
            connection,
            key: self.keys.info(&self.scope(account))?,
            trusted_host_key,
            language: self.preferences().language()?,
            checked_at: self.preferences().checked_at(account)?,
        })
    }

    /// Saves where `account`'s archives go (an absolute folder, created if
    /// missing) and its parallel streams (1–16).
    pub fn save_download_preferences(
        &self,
        account: i64,
        download_dir: &str,
        streams: u8,
    ) -> Result<()> {
        self.account(account)?;
        self.preferences()
            .save_downloads(account, download_dir, streams)
    }

    /// Saves the drop (1–100 percent of an object's records since the
    /// previous backup) that raises a change alert for `account`.
    pub fn save_drop_alert(&self, account: i64, percent: u8) -> Result<()> {
        self.account(account)?;
        self.preferences().save_drop_alert(account, percent)
    }

    /// The account's download folder, created if missing (to open it in
    /// the file manager); `FolderUnusable` with its path when it cannot be.
    pub fn open_download_folder(&self, account: i64) -> Result<PathBuf> {
        let record = self.account(account)?;
        let dir = self.preferences().account(&record)?.download_dir;
        std::fs::create_dir_all(&dir).map_err(|e| Error::FolderUnusable {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        Ok(dir)
    }

    /// Deletes the interrupted download of `backup_id` (in `folder`, else the
    /// account's download folder), to free its space; `false` when there was
    /// none. `Busy` while it is being downloaded.
    pub fn discard_partial(
        &self,
        account: i64,
        backup_id: &str,
        folder: Option<PathBuf>,
    ) -> Result<bool> {
        let record = self.account(account)?;
        let dir = match folder {
            Some(dir) => dir,
            None => self.preferences().account(&record)?.download_dir,
        };
        let there = backup_transfer::resumable_bytes(&dir, backup_id).is_some();
        backup_transfer::discard_partial(&dir, backup_id)?;
        Ok(there)
    }

    /// Where the verified download of `backup_id` is, if it is still there.
    pub fn downloaded_path(&self, account: i64, backup_id: &str) -> Result<PathBuf> {
        let saved = self
            .state
            .downloads(account)?
            .into_iter()
            .find(|d| d.backup_id == backup_id)
            .ok_or_else(|| Error::NotFound("This backup was not downloaded here.".into()))?;
        let path = PathBuf::from(&saved.path);
        if !path.exists() {
            return Err(Error::NotFound(format!(
                "{} is no longer there; download the backup again.",
                saved.path
            )));
        }
        Ok(path)
    }
}
