//! The one watcher of news: a backup turned ready, a ready one expires
//! within two days and is not downloaded, a download was verified. Queries
//! never announce anything; the app subscribes to [`Desk::subscribe`].

use std::collections::{HashMap, HashSet};

use backup_api::BackupPage;
use backup_domain::{BackupStatus, DownloadWindow, download_window};
use backup_state::{AccountRecord, DownloadRecord};
use chrono::{DateTime, Utc};

use crate::{Desk, lock};

/// News worth telling the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskEvent {
    BackupReady {
        account: i64,
        account_name: String,
        backup_id: String,
    },
    /// A ready backup that is not downloaded here can be downloaded for two days or less.
    ExpiringSoon {
        account: i64,
        account_name: String,
        backup_id: String,
        expires_at: DateTime<Utc>,
    },
    DownloadVerified {
        account: i64,
        account_name: String,
        record: DownloadRecord,
    },
    /// A downloaded archive matches its checksum but is broken.
    ArchiveDamaged {
        account: i64,
        account_name: String,
        backup_id: String,
        problem: String,
        path: std::path::PathBuf,
    },
    /// Objects dropped sharply or disappeared since the previous backup
    /// (each alert in words: `contacts: 10,234 → 7,102 (−31%)`).
    ChangeAlert {
        account: i64,
        account_name: String,
        backup_id: String,
        alerts: Vec<String>,
    },
    /// An automatic pass stopped for an account with a failure it did not
    /// have at the previous pass (told once, not at every retry).
    AutomaticFailed {
        account: i64,
        account_name: String,
        kind: crate::ErrorKind,
        message: String,
    },
}

/// What the watcher saw last: statuses per account, warnings given.
#[derive(Debug, Default)]
pub struct WatchMemory {
    seen: HashMap<i64, HashMap<String, bool>>,
    warned: HashSet<(i64, String)>,
}

impl WatchMemory {
    /// The news in `page` since the last observation of `account`: backups
    /// that turned ready (none on the first look), and once per backup a
    /// ready one that expires soon and is not in `downloaded`.
    pub fn observe(
        &mut self,
        account: &AccountRecord,
        page: &BackupPage,
        downloaded: &HashSet<String>,
    ) -> Vec<DeskEvent> {
        let first = !self.seen.contains_key(&account.id);
        let known = self.seen.entry(account.id).or_default();
        let mut news = Vec::new();
        for backup in &page.backups {
            let ready = backup.status == BackupStatus::Ready;
            let before = known.insert(backup.id.clone(), ready);
            if !first && ready && before != Some(true) {
                news.push(DeskEvent::BackupReady {
                    account: account.id,
                    account_name: account.display_name.clone(),
                    backup_id: backup.id.clone(),
                });
            }
            let window = download_window(&backup.status, backup.expires_at, page.server_time);
            if let (
                DownloadWindow::Open {
                    expiring_soon: true,
                    ..
                },
                Some(expires_at),
            ) = (window, backup.expires_at)
                && !downloaded.contains(&backup.id)
                && self.warned.insert((account.id, backup.id.clone()))
            {
                news.push(DeskEvent::ExpiringSoon {
                    account: account.id,
                    account_name: account.display_name.clone(),
                    backup_id: backup.id.clone(),
                    expires_at,
                });
            }
        }
        news
    }
}

impl Desk {
    /// Looks at every account once and publishes what is new. An account
    /// that cannot be asked now is skipped (the window shows its error).
    pub async fn watch(&self) -> Vec<DeskEvent> {
        let Ok(accounts) = self.state.accounts() else {
            return Vec::new();
        };
        let mut news = Vec::new();
        for account in accounts {
            // Watching must not start the demo at launch: its news matter
            // only while it runs.
            if crate::is_demo(&account) && !self.demo_runs_for(account.id).await {
                continue;
            }
            let Ok(client) = self.client(&account).await else {
                continue;
            };
            let Ok(page) = client.all_backups(&account.account_id).await else {
                continue;
            };
            let downloaded: HashSet<String> = self
                .state
                .downloads(account.id)
                .unwrap_or_default()
                .into_iter()
                .map(|d| d.backup_id)
                .collect();
            news.extend(lock(&self.watch).observe(&account, &page, &downloaded));
        }
        for event in &news {
            self.publish(event.clone());
        }
        news
    }
}
