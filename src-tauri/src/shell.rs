//! The state every command shares: the local database, the key store, the
//! built-in demo, running downloads and what the last poll saw.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use backup_api::{ApiClient, Token};
use backup_keychain::{KeyStore, SecretBackend};
use backup_state::{AccountRecord, LocalState, SftpConnection, StateError};
use backup_transfer::CancelToken;
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::views::StatusKind;

/// The provider URL that stands for the built-in demo (its port changes each run).
pub const DEMO_URL: &str = "demo:built-in";
/// The keychain service and data dir name, shared with the CLI.
pub const APP_ID: &str = "app.backupdesk.desktop";

/// A server key the SFTP server presented and the person has not decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey {
    pub host: String,
    pub port: u16,
    pub fingerprint: String,
}

/// What the shell keeps for the app's lifetime.
#[derive(Debug)]
pub struct Shell {
    pub data_dir: PathBuf,
    /// Locks itself per statement (and is shared with the CLI's process).
    state: LocalState,
    pub keys: KeyStore,
    /// The running demo and the local account it was set up for.
    demo: tokio::sync::Mutex<Option<(i64, backup_provider::demo::Demo)>>,
    /// Start the demo on its own when no account is set up (`make run`).
    auto_demo: bool,
    downloads: Mutex<HashMap<(i64, String), CancelToken>>,
    presented: Mutex<HashMap<i64, PresentedKey>>,
    seen: Mutex<HashMap<i64, HashMap<String, StatusKind>>>,
    warned: Mutex<HashSet<(i64, String)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shell {
    /// Opens the local state in `data_dir`; secrets go to `backend`.
    pub fn open(
        data_dir: &Path,
        backend: Arc<dyn SecretBackend>,
        auto_demo: bool,
    ) -> AppResult<Shell> {
        let state = LocalState::open_in(data_dir)?;
        Ok(Shell {
            data_dir: data_dir.to_path_buf(),
            state,
            keys: KeyStore::new(data_dir.join("keys"), backend),
            demo: tokio::sync::Mutex::new(None),
            auto_demo,
            downloads: Mutex::default(),
            presented: Mutex::default(),
            seen: Mutex::default(),
            warned: Mutex::default(),
        })
    }

    /// Runs `f` on the local database, mapping its error.
    pub fn db<T>(&self, f: impl FnOnce(&LocalState) -> Result<T, StateError>) -> AppResult<T> {
        Ok(f(&self.state)?)
    }

    /// The shell's one reading of the wall clock; the core takes `now`.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// The keychain scope of an account's key and token (the CLI's too).
    pub fn scope(account: i64) -> String {
        format!("acct-{account}")
    }

    pub fn account(&self, id: i64) -> AppResult<AccountRecord> {
        self.db(|s| s.account(id))
    }

    pub fn is_demo(account: &AccountRecord) -> bool {
        account.provider_url == DEMO_URL
    }

    /// An API client for `account`, with its token from the keychain; the
    /// demo is started first if it is not running.
    pub async fn client(&self, account: &AccountRecord) -> AppResult<ApiClient> {
        let base = if Shell::is_demo(account) {
            self.ensure_demo(account.id).await?
        } else {
            account.provider_url.clone()
        };
        let token = self.keys.token(&Shell::scope(account.id))?.ok_or_else(|| {
            AppError::new(
                ErrorCode::Unauthorized,
                "No token is stored for this account. Remove it and add it again.",
            )
        })?;
        Ok(ApiClient::new(&base, Token::new(token))?)
    }

    /// Whether the app should open the demo by itself.
    pub fn auto_demo(&self) -> bool {
        self.auto_demo
    }

    /// Starts the built-in demo provider and its SFTP server if they are
    /// not running, and points the demo account `id` at them: a new token,
    /// a freshly generated key in the keychain, the SFTP port of this run.
    /// Returns the demo's API base URL.
    pub async fn ensure_demo(&self, id: i64) -> AppResult<String> {
        let mut running = self.demo.lock().await;
        if let Some((for_id, demo)) = running.as_ref()
            && *for_id == id
        {
            return Ok(demo.base_url.clone());
        }
        // Not running, or running for a demo account that was removed and
        // added again: start afresh (new token, new key) for this one.
        if let Some((_, old)) = running.take() {
            old.server.stop().await;
        }
        let (private_key, public_line) = backup_keychain::generate_ed25519("Backup Desk demo")?;
        let demo = backup_provider::demo::start(
            &self.data_dir.join("demo-provider"),
            Some(vec![public_line]),
        )
        .await
        .map_err(|e| {
            AppError::new(
                ErrorCode::Failed,
                format!("The demo provider could not start: {e}"),
            )
        })?;
        let scope = Shell::scope(id);
        self.keys.set_token(&scope, &demo.token)?;
        self.keys.import(&scope, private_key.as_bytes(), None)?;
        let sftp = demo.server.sftp.clone();
        let now = self.now();
        self.db(|s| {
            let old = s.connection(id)?;
            let old_pin = match &old {
                Some(c) => s.pinned_host_key(id, &c.host, c.port)?,
                None => None,
            };
            s.set_connection(
                id,
                &SftpConnection {
                    host: sftp.host.clone(),
                    port: sftp.port,
                    username: "demo".into(),
                },
            )?;
            // Same server key as the last run (it persists): keep it trusted on the new port.
            if let Some(pin) = old_pin.filter(|p| sftp.host_key_fingerprints.contains(p)) {
                s.pin_host_key(id, &sftp.host, sftp.port, &pin, now)?;
            }
            Ok(())
        })?;
        let base = demo.base_url.clone();
        *running = Some((id, demo));
        Ok(base)
    }

    /// Registers a running download; `Busy` if this backup is already downloading.
    pub fn begin_download(&self, account: i64, backup: &str) -> AppResult<CancelToken> {
        let mut downloads = lock(&self.downloads);
        let key = (account, backup.to_owned());
        if downloads.contains_key(&key) {
            return Err(AppError::new(
                ErrorCode::Busy,
                "This backup is already being downloaded.",
            ));
        }
        let token = CancelToken::new();
        downloads.insert(key, token.clone());
        Ok(token)
    }

    pub fn end_download(&self, account: i64, backup: &str) {
        lock(&self.downloads).remove(&(account, backup.to_owned()));
    }

    /// Cancels a running download; `false` when none was running.
    pub fn cancel_download(&self, account: i64, backup: &str) -> bool {
        match lock(&self.downloads).get(&(account, backup.to_owned())) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Backups of `account` being downloaded now.
    pub fn downloading(&self, account: i64) -> Vec<String> {
        lock(&self.downloads)
            .keys()
            .filter(|(a, _)| *a == account)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Remembers the key an SFTP server presented, for the person to decide.
    pub fn presented(&self, account: i64, key: PresentedKey) {
        lock(&self.presented).insert(account, key);
    }

    /// Takes the presented key if it is the one the person saw.
    pub fn take_presented(&self, account: i64, fingerprint: &str) -> Option<PresentedKey> {
        let mut presented = lock(&self.presented);
        match presented.get(&account) {
            Some(key) if key.fingerprint == fingerprint => presented.remove(&account),
            _ => None,
        }
    }

    /// Records the statuses of a poll; returns the backups that turned ready
    /// since the previous one (none on the first poll of an account).
    pub fn turned_ready(&self, account: i64, statuses: &[(String, StatusKind)]) -> Vec<String> {
        let mut seen = lock(&self.seen);
        let first = !seen.contains_key(&account);
        let known = seen.entry(account).or_default();
        let mut ready = Vec::new();
        for (id, status) in statuses {
            let before = known.insert(id.clone(), *status);
            if !first && *status == StatusKind::Ready && before != Some(StatusKind::Ready) {
                ready.push(id.clone());
            }
        }
        ready
    }

    /// `true` the first time a backup is reported as expiring soon.
    pub fn first_warning(&self, account: i64, backup: &str) -> bool {
        lock(&self.warned).insert((account, backup.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_keychain::MemoryBackend;

    fn shell() -> (tempfile::TempDir, Shell) {
        let dir = tempfile::tempdir().expect("tempdir");
        let shell =
            Shell::open(dir.path(), Arc::new(MemoryBackend::default()), false).expect("open");
        (dir, shell)
    }

    #[test]
    fn the_first_poll_notifies_nothing_and_later_ones_only_new_ready_backups() {
        let (_dir, shell) = shell();
        let poll = |list: &[(&str, StatusKind)]| {
            let owned: Vec<_> = list.iter().map(|(i, s)| (i.to_string(), *s)).collect();
            shell.turned_ready(1, &owned)
        };
        assert!(poll(&[("a", StatusKind::Ready), ("b", StatusKind::InProgress)]).is_empty());
        assert_eq!(
            poll(&[("a", StatusKind::Ready), ("b", StatusKind::Ready)]),
            ["b"]
        );
        assert!(poll(&[("a", StatusKind::Ready), ("b", StatusKind::Ready)]).is_empty());
        assert_eq!(
            poll(&[("c", StatusKind::Ready), ("a", StatusKind::Ready)]),
            ["c"],
            "a backup that appears ready after the first poll is news"
        );
    }

    #[test]
    fn only_the_presented_fingerprint_can_be_trusted() {
        let (_dir, shell) = shell();
        let key = PresentedKey {
            host: "h".into(),
            port: 22,
            fingerprint: "SHA256:real".into(),
        };
        shell.presented(7, key.clone());
        assert_eq!(shell.take_presented(7, "SHA256:forged"), None);
        assert_eq!(
            shell.take_presented(8, "SHA256:real"),
            None,
            "another account"
        );
        assert_eq!(shell.take_presented(7, "SHA256:real"), Some(key));
        assert_eq!(shell.take_presented(7, "SHA256:real"), None, "used once");
    }

    #[test]
    fn a_backup_downloads_once_at_a_time_and_cancel_reaches_it() {
        let (_dir, shell) = shell();
        let token = shell.begin_download(1, "b1").expect("first");
        let again = shell.begin_download(1, "b1").expect_err("second");
        assert_eq!(again.code, ErrorCode::Busy);
        assert_eq!(shell.downloading(1), ["b1"]);
        assert!(shell.cancel_download(1, "b1"));
        assert!(token.is_cancelled());
        shell.end_download(1, "b1");
        assert!(!shell.cancel_download(1, "b1"));
        assert!(shell.begin_download(1, "b1").is_ok());
    }

    #[test]
    fn expiry_warnings_are_given_once() {
        let (_dir, shell) = shell();
        assert!(shell.first_warning(1, "b"));
        assert!(!shell.first_warning(1, "b"));
        assert!(shell.first_warning(2, "b"));
    }
}
