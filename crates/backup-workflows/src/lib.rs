//! The application layer of Backup Desk: every workflow, written once.
//!
//! The desktop shell and the `backup-desk` CLI are adapters over [`Desk`]:
//! they parse or unpack, call one function here, and present the result or
//! the [`Error`]. A question for the person (accept these terms? trust this
//! server key?) comes back as a typed [`Outcome`]; the adapter asks, answers
//! with [`Desk::accept_terms`] or [`Desk::trust_host_key`], and calls again —
//! or hands an [`Answers`] to [`Desk::settle`], which does that loop once
//! for every caller that can answer on the spot.
//!
//! Layers, one way: `backup-domain` → core crates (API client, SFTP engine,
//! keychain, local state) → this crate → {desktop shell, CLI}. No Tauri here.

mod accounts;
mod audit;
mod automatic;
mod automatic_mode;
mod clock;
mod connection;
mod contents;
mod deliver;
mod demo;
mod error;
mod health;
mod history;
mod hostkeys;
mod identity;
mod keys;
mod preferences;
mod report;
mod schedule;
mod secrets;
mod settings;
mod watcher;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use backup_keychain::KeyStore;
use backup_state::LocalState;
use backup_transfer::CancelToken;
use chrono::{DateTime, Utc};

pub use accounts::Probe;
pub use accounts::{AccountList, check_provider_url};
pub use automatic::{AccountPass, AutomaticLock, AutomaticOptions, PassReport};
pub use automatic_mode::{
    AccountAutomatic, AutomaticChoice, AutomaticStatus, KEEP_MAX, LastPass, PassDownload,
    PassFailure, Tick,
};
pub use clock::{Clock, SystemClock};
pub use contents::{ChangeRecordExt, Contents};
pub use deliver::{DeliverRequest, ExistingCopy, Phase, ProgressSink, ProgressThrottle};
pub use demo::DemoStarted;
pub use error::{Error, ErrorKind, Result, SetupHint};
pub use health::{AccountHealth, HealthReport, LastCopy};
pub use history::{Actor, History};
pub use hostkeys::PresentedKey;
pub use identity::{APP_ID, DEMO_URL, default_data_dir, is_demo};
pub use preferences::{
    AUTOMATIC_MOST_STREAMS, AUTOMATIC_STREAMS, AccountPreferences, AutomaticSettings, DEFAULT_KEEP,
    DEFAULT_STREAMS, Language, Preferences, check_streams, default_download_dir,
    legacy_download_dir, most_streams,
};
pub use report::{AuditReport, ReportFormat, ReportRow, report_days};
pub use schedule::{AutomaticSchedule, BACKOFF_MAX, CHECK_EVERY, Reach};
pub use settings::AccountSettings;
pub use watcher::{DeskEvent, WatchMemory};

// The types the adapters present, re-exported so they need no core crate for them.
pub use backup_api::{Backup, BackupPage, DownloadTerms, Me, Membership};
pub use backup_domain::{HealthLevel, HealthReason};
pub use backup_keychain::{KeyInfo, KeyringBackend, MemoryBackend, SecretBackend};
pub use backup_state::{
    AccountRecord, ArchiveRecord, AuditEntry, AuditEvent, ChangeRecord, DownloadRecord,
    ManifestEntry, SftpConnection,
};
pub use backup_transfer::Progress;

/// A question the person must answer before a workflow can go on, or its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    Done(T),
    /// The download terms in force were not accepted yet.
    TermsRequired(DownloadTerms),
    /// The SFTP server presented a key that is not trusted yet (or a new key
    /// the provider publishes, replacing the trusted one).
    HostKey(PresentedKey),
}

/// Answers to the questions of an [`Outcome`], for callers that can ask on
/// the spot (a terminal, an automatic pass with the person's consent).
pub trait Answers {
    /// Whether to accept `terms` (`Err` when nobody can answer).
    fn accept_terms(&mut self, terms: &DownloadTerms) -> Result<bool>;
    /// Whether to trust the key the server presented.
    fn trust_host_key(&mut self, key: &PresentedKey) -> Result<bool>;
}

/// Everything the workflows share for the app's (or the CLI's) lifetime.
#[derive(Debug)]
pub struct Desk {
    data_dir: PathBuf,
    /// Locks itself per statement (and is shared with other processes).
    state: LocalState,
    keys: KeyStore,
    /// The keychain behind `keys`: tokens cached, "locked" remembered.
    secrets: Arc<secrets::GuardedSecrets>,
    /// Names this data folder's keychain entries (see [`Desk::scope`]).
    namespace: String,
    clock: Arc<dyn Clock>,
    demo: demo::DemoSlot,
    running: Mutex<HashMap<(i64, String), CancelToken>>,
    /// Set by [`Desk::stop`]: nothing new starts.
    stopping: std::sync::atomic::AtomicBool,
    presented: Mutex<HashMap<i64, PresentedKey>>,
    watch: Mutex<WatchMemory>,
    events: tokio::sync::broadcast::Sender<DeskEvent>,
    /// The app's automatic mode between ticks.
    automatic: Mutex<automatic_mode::AutomaticMemory>,
    /// Wakes the app's timer for a pass now.
    automatic_wake: tokio::sync::Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Desk {
    /// Opens the local state in `data_dir`; secrets go to `secrets`, time comes from `clock`.
    pub fn open(
        data_dir: &Path,
        secrets: Arc<dyn SecretBackend>,
        clock: Arc<dyn Clock>,
    ) -> Result<Desk> {
        let state = LocalState::open_in(data_dir)?;
        // A folder that already has accounts keeps the names its secrets were
        // stored under; a new one gets its own, so a second data folder never
        // overwrites the first one's tokens and keys.
        let fresh = if state.accounts()?.is_empty() {
            format!("{}-", &backup_api::new_idempotency_key()[..12])
        } else {
            String::new()
        };
        let namespace = state.setting_or_set(identity::KEYCHAIN_NAMESPACE, &fresh)?;
        Preferences::new(&state, data_dir).pin_legacy_download_dirs()?;
        let (events, _) = tokio::sync::broadcast::channel(64);
        let secrets = Arc::new(secrets::GuardedSecrets::new(secrets));
        Ok(Desk {
            data_dir: data_dir.to_path_buf(),
            state,
            keys: KeyStore::new(data_dir.join("keys"), secrets.clone()),
            secrets,
            namespace,
            clock,
            demo: demo::DemoSlot::default(),
            running: Mutex::default(),
            stopping: std::sync::atomic::AtomicBool::new(false),
            presented: Mutex::default(),
            watch: Mutex::default(),
            events,
            automatic: Mutex::new(automatic_mode::AutomaticMemory::new()),
            automatic_wake: tokio::sync::Notify::new(),
        })
    }

    /// Opens `data_dir` (else the platform's data folder of the app) with the
    /// OS keychain and the system clock: what both front ends run on.
    pub fn open_for_user(data_dir: Option<PathBuf>) -> Result<Desk> {
        let dir = data_dir.or_else(default_data_dir).ok_or_else(|| {
            Error::Invalid("No data folder is known for this user; pass --data-dir.".into())
        })?;
        Desk::open(
            &dir,
            Arc::new(KeyringBackend::new(APP_ID)),
            Arc::new(SystemClock),
        )
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The local state (accounts, downloads, audit log), for queries.
    pub fn state(&self) -> &LocalState {
        &self.state
    }

    pub fn preferences(&self) -> Preferences<'_> {
        Preferences::new(&self.state, &self.data_dir)
    }

    /// The keychain scope of an account's key and token in this data folder.
    pub(crate) fn scope(&self, account: i64) -> String {
        identity::keychain_scope(&self.namespace, account)
    }

    /// The time now, from the clock the desk was opened with.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Stops everything (Ctrl-C, quitting): running deliveries are cancelled
    /// (their partials stay for a resume), no new one starts, and an
    /// automatic pass ends after the current account.
    pub fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.cancel_all_deliveries();
    }

    /// Whether [`Desk::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The person unlocked the keychain (Try again): after a "locked"
    /// answer the keychain is not asked again until this is called.
    pub fn keychain_retry(&self) {
        self.secrets.retry();
    }

    /// Whether the keychain answered "locked" and was not retried since.
    pub fn is_keychain_locked(&self) -> bool {
        self.secrets.is_locked()
    }

    /// News for the app: a backup turned ready, will expire soon, was verified.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<DeskEvent> {
        self.events.subscribe()
    }

    fn publish(&self, event: DeskEvent) {
        // Nobody listening (the CLI) is fine.
        let _ = self.events.send(event);
    }
}
