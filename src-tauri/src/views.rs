//! What the window receives: plain, serializable views of the core types
//! (instants as RFC 3339 strings, which the window formats in the person's
//! zone and language),
//! with the domain's decisions (badge, download window, gate) already made.
//! Their TypeScript twins in `ui/src/lib/bindings.ts` are generated from
//! these (ts-rs) and checked by `bindings_are_committed_and_current`.

use backup_domain::{BackupStatus, DownloadWindow, GateReason, Role};
use backup_workflows::{
    AccountList, AccountRecord, AccountSettings, Backup, DownloadRecord, DownloadTerms, History,
    KeyInfo, Membership, Phase, Probe, Progress, SftpConnection, is_demo,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod automatic;
mod contents;
pub use automatic::{
    AccountAutomaticView, AutomaticInput, AutomaticStatusView, DownloadedItemView, LastPassView,
};
pub use contents::{
    AccountHealthView, ArchiveKind, ChangeAlertView, ContentsView, HealthLevelView,
    HealthReasonView, HealthView, ObjectView, PendingBackupView,
};

/// Name and version of the app, and the language it should speak.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// The OS language (BCP 47, e.g. "pt-BR").
    pub os_locale: String,
    /// The chosen language: "system", "en" or "pt-BR".
    pub language: String,
}

/// A role at the provider, or `unknown` for one this app does not know
/// (treated as the least privileged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    Owner,
    Admin,
    Viewer,
    Unknown,
}

impl From<Option<Role>> for RoleView {
    fn from(role: Option<Role>) -> RoleView {
        match role {
            Some(Role::Owner) => RoleView::Owner,
            Some(Role::Admin) => RoleView::Admin,
            Some(Role::Viewer) => RoleView::Viewer,
            None => RoleView::Unknown,
        }
    }
}

/// An account set up in the app.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountView {
    #[ts(type = "number")]
    pub id: i64,
    pub provider_url: String,
    pub account_id: String,
    pub display_name: String,
    pub person_name: String,
    pub role: RoleView,
    pub may_request: bool,
    pub may_download: bool,
    /// The built-in demo provider.
    pub is_demo: bool,
}

impl From<&AccountRecord> for AccountView {
    fn from(record: &AccountRecord) -> AccountView {
        AccountView {
            id: record.id,
            provider_url: record.provider_url.clone(),
            account_id: record.account_id.clone(),
            display_name: record.display_name.clone(),
            person_name: record.person_name.clone(),
            role: record.role.into(),
            may_request: record.role.is_some_and(Role::may_request),
            may_download: record.role.is_some_and(Role::may_download),
            is_demo: is_demo(record),
        }
    }
}

/// The accounts and which one the window shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountsView {
    pub accounts: Vec<AccountView>,
    #[ts(type = "number | null")]
    pub current: Option<i64>,
}

impl From<&AccountList> for AccountsView {
    fn from(list: &AccountList) -> AccountsView {
        AccountsView {
            accounts: list.accounts.iter().map(AccountView::from).collect(),
            current: list.current(),
        }
    }
}

/// One account a token opens (before it is added).
#[derive(Debug, Clone, Serialize, TS)]
pub struct MembershipView {
    pub account_id: String,
    pub account_name: String,
    pub plan: String,
    pub role: RoleView,
    /// The account as it is set up here already, if it is: adding it again
    /// replaces its token and role (`account_add` with `replace: true`).
    pub existing: Option<ExistingAccountView>,
}

/// What is stored now for an account a token opens again.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExistingAccountView {
    #[ts(type = "number")]
    pub id: i64,
    pub role: RoleView,
    /// Whose token it uses now.
    pub person_name: String,
}

impl MembershipView {
    fn new(m: &Membership, existing: Option<&AccountRecord>) -> MembershipView {
        MembershipView {
            account_id: m.account_id.clone(),
            account_name: m.account_name.clone(),
            plan: m.plan.clone(),
            role: m.role.into(),
            existing: existing.map(|a| ExistingAccountView {
                id: a.id,
                role: a.role.into(),
                person_name: a.person_name.clone(),
            }),
        }
    }
}

/// Who a token belongs to and the accounts it opens.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProbeView {
    pub person_name: String,
    pub accounts: Vec<MembershipView>,
}

impl From<&Probe> for ProbeView {
    fn from(probe: &Probe) -> ProbeView {
        ProbeView {
            person_name: probe.me.person.name.clone(),
            accounts: probe
                .me
                .accounts
                .iter()
                .map(|m| MembershipView::new(m, probe.existing(&m.account_id)))
                .collect(),
        }
    }
}

/// The badge of a status; `invalid` for a value this app does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    AwaitingRelease,
    InProgress,
    Ready,
    Expired,
    ServerError,
    Invalid,
}

impl From<&BackupStatus> for StatusKind {
    fn from(status: &BackupStatus) -> StatusKind {
        match status {
            BackupStatus::AwaitingRelease => StatusKind::AwaitingRelease,
            BackupStatus::InProgress => StatusKind::InProgress,
            BackupStatus::Ready => StatusKind::Ready,
            BackupStatus::Expired => StatusKind::Expired,
            BackupStatus::ServerError => StatusKind::ServerError,
            BackupStatus::Unknown(_) => StatusKind::Invalid,
        }
    }
}

/// Where a backup stands in its download window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// Not downloadable (not ready).
    None,
    Open,
    /// Open, and closing within two days: warn.
    ExpiringSoon,
    Closed,
}

/// A verified copy on this computer.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DownloadedView {
    pub path: String,
    pub sha256: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    pub verified_at: Option<DateTime<Utc>>,
}

impl From<&DownloadRecord> for DownloadedView {
    fn from(d: &DownloadRecord) -> DownloadedView {
        DownloadedView {
            path: d.path.clone(),
            sha256: d.sha256.clone(),
            size_bytes: d.size_bytes,
            verified_at: Some(d.verified_at),
        }
    }
}

/// One row of the history.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupRow {
    pub id: String,
    pub status: StatusKind,
    /// The provider's value, shown next to "Invalid value" for unknown ones.
    pub raw_status: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub requested_by: String,
    pub ready_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub window: WindowKind,
    #[ts(type = "number | null")]
    pub size_bytes: Option<u64>,
    pub sha256: Option<String>,
    pub error_message: Option<String>,
    /// The latest verified copy on this computer.
    pub downloaded: Option<DownloadedView>,
    /// An interrupted download can be resumed.
    pub resumable: bool,
    /// A download of this backup is running now.
    pub downloading: bool,
    /// What the archive check found in the downloaded copy (null: not downloaded).
    pub archive: Option<ArchiveKind>,
    /// Objects that dropped sharply or disappeared since the previous backup.
    pub alerts: Vec<ChangeAlertView>,
}

/// Why a backup cannot be requested now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GateView {
    Allowed,
    Cooldown,
    RequestInProgress,
    Forbidden,
    Other,
}

/// The history of the current account and whether a request is allowed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupsView {
    #[ts(type = "number")]
    pub account: i64,
    pub backups: Vec<BackupRow>,
    pub gate: GateView,
    /// When the cooldown ends (RFC 3339).
    pub next_allowed_at: Option<DateTime<Utc>>,
    #[ts(type = "number")]
    pub cooldown_seconds: i64,
    pub server_time: Option<DateTime<Utc>>,
}

impl From<&History> for BackupsView {
    /// The view of the history at the provider's clock.
    fn from(history: &History) -> BackupsView {
        let page = &history.page;
        let now = page.server_time;
        let window_of =
            |b: &Backup| match backup_domain::download_window(&b.status, b.expires_at, now) {
                DownloadWindow::NotDownloadable => WindowKind::None,
                DownloadWindow::Expired => WindowKind::Closed,
                DownloadWindow::Open { expiring_soon, .. } if expiring_soon => {
                    WindowKind::ExpiringSoon
                }
                DownloadWindow::Open { .. } => WindowKind::Open,
            };
        let backups = page
            .backups
            .iter()
            .map(|b| BackupRow {
                id: b.id.clone(),
                status: StatusKind::from(&b.status),
                raw_status: b.status.as_wire().to_owned(),
                requested_at: Some(b.requested_at),
                requested_by: b.requested_by.name.clone(),
                ready_at: b.ready_at,
                expires_at: b.expires_at,
                window: window_of(b),
                size_bytes: b.size_bytes,
                sha256: b.sha256.clone(),
                error_message: b.error_message.clone(),
                downloaded: history
                    .downloads
                    .iter()
                    .find(|d| d.backup_id == b.id)
                    .map(DownloadedView::from),
                resumable: history.resumable.contains(&b.id),
                downloading: history.downloading.contains(&b.id),
                archive: history
                    .archives
                    .iter()
                    .find(|(id, _)| *id == b.id)
                    .map(|(_, intact)| match intact {
                        true => ArchiveKind::Intact,
                        false => ArchiveKind::Damaged,
                    })
                    .or_else(|| {
                        history
                            .downloads
                            .iter()
                            .any(|d| d.backup_id == b.id)
                            .then_some(ArchiveKind::Unchecked)
                    }),
                alerts: history
                    .alerts
                    .iter()
                    .filter(|a| a.backup_id == b.id)
                    .map(ChangeAlertView::from)
                    .collect(),
            })
            .collect();
        let gate = match (page.gate.allowed, page.gate.reason) {
            (true, _) => GateView::Allowed,
            (false, Some(GateReason::CooldownActive)) => GateView::Cooldown,
            (false, Some(GateReason::RequestInProgress)) => GateView::RequestInProgress,
            (false, Some(GateReason::Forbidden)) => GateView::Forbidden,
            (false, _) => GateView::Other,
        };
        BackupsView {
            account: history.account.id,
            backups,
            gate,
            next_allowed_at: page.gate.next_allowed_at,
            cooldown_seconds: page.policy.cooldown.num_seconds(),
            server_time: Some(page.server_time),
        }
    }
}

/// The download terms to show before the first download.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TermsView {
    pub version: String,
    pub text: String,
    pub accepted: bool,
}

impl From<DownloadTerms> for TermsView {
    fn from(terms: DownloadTerms) -> TermsView {
        TermsView {
            version: terms.version,
            text: terms.text,
            accepted: terms.accepted,
        }
    }
}

/// What `download` does when a verified copy of the backup is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExistingCopy {
    /// Fail with `copy_exists` (and its `path`) before anything is contacted.
    Ask,
    /// Download, verify, then put the new file in the old one's place.
    Replace,
    /// Save beside it (`name (1).zip`).
    KeepBoth,
}

impl From<ExistingCopy> for backup_workflows::ExistingCopy {
    fn from(choice: ExistingCopy) -> backup_workflows::ExistingCopy {
        match choice {
            ExistingCopy::Ask => backup_workflows::ExistingCopy::Ask,
            ExistingCopy::Replace => backup_workflows::ExistingCopy::Replace,
            ExistingCopy::KeepBoth => backup_workflows::ExistingCopy::KeepBoth,
        }
    }
}

/// A download's progress, sent over its channel a few times a second.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgressView {
    pub backup_id: String,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
    /// Bytes per second.
    pub rate: f64,
    #[ts(type = "number | null")]
    pub eta_seconds: Option<u64>,
    /// "connecting", "downloading", "verifying" or "checking" (the archive
    /// is read to its end; `done` counts the archive's bytes read).
    pub phase: String,
}

impl ProgressView {
    pub fn new(backup_id: &str, phase: Phase, p: &Progress) -> ProgressView {
        ProgressView {
            backup_id: backup_id.to_owned(),
            done: p.done,
            total: p.total,
            rate: p.rate,
            eta_seconds: p.eta.map(|d| d.as_secs()),
            phase: phase.as_str().to_owned(),
        }
    }
}

/// The SFTP server of an account.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ConnectionView {
    pub host: String,
    pub port: u16,
    pub username: String,
}

impl From<SftpConnection> for ConnectionView {
    fn from(c: SftpConnection) -> ConnectionView {
        ConnectionView {
            host: c.host,
            port: c.port,
            username: c.username,
        }
    }
}

/// What may be shown of an imported key: never the key.
#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyView {
    pub key_type: String,
    pub fingerprint: String,
    pub encrypted: bool,
    pub format: String,
}

impl From<KeyInfo> for KeyView {
    fn from(k: KeyInfo) -> KeyView {
        KeyView {
            key_type: k.key_type,
            fingerprint: k.fingerprint,
            encrypted: k.encrypted,
            format: k.format,
        }
    }
}

/// An account's settings.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SettingsView {
    #[ts(type = "number")]
    pub account: i64,
    pub connection: Option<ConnectionView>,
    pub key: Option<KeyView>,
    /// The pinned SFTP host key, if one is trusted.
    pub trusted_host_key: Option<String>,
    pub download_dir: String,
    /// No folder was chosen: `download_dir` is the default (~/Backups/<name>).
    pub download_dir_is_default: bool,
    pub streams: u8,
    /// A drop of this many percent of an object's records raises a change alert.
    pub drop_alert_percent: u8,
    pub language: String,
    /// When a connection test or a verified download last proved the SFTP
    /// server and the key work; cleared when either changes (RFC 3339).
    pub checked_at: Option<DateTime<Utc>>,
}

impl From<AccountSettings> for SettingsView {
    fn from(s: AccountSettings) -> SettingsView {
        SettingsView {
            account: s.account.id,
            connection: s.connection.map(ConnectionView::from),
            key: s.key.map(KeyView::from),
            trusted_host_key: s.trusted_host_key,
            download_dir: s.preferences.download_dir.display().to_string(),
            download_dir_is_default: s.preferences.download_dir_is_default,
            streams: s.preferences.streams,
            drop_alert_percent: s.preferences.drop_alert_percent,
            language: s.language.as_setting().to_owned(),
            checked_at: s.checked_at,
        }
    }
}

/// "Test connection" succeeded.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionTestView {
    pub fingerprint: String,
}

/// Sent as the `backup-ready` event when a backup turns ready.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupReadyEvent {
    #[ts(type = "number")]
    pub account: i64,
    pub backup_id: String,
}

/// Sent as the `backup-focus` event when a notification was clicked: the
/// window shows this account, and this backup's detail when there is one.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupFocusEvent {
    #[ts(type = "number")]
    pub account: i64,
    pub backup_id: Option<String>,
}

/// Sent as the `download-finished` event.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DownloadFinishedEvent {
    #[ts(type = "number")]
    pub account: i64,
    pub backup_id: String,
    pub path: String,
    pub sha256: String,
}

/// Sent as the `quit-requested` event when the window is closed while
/// downloads run: the window asks, then calls `quit_app` (or does nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct QuitRequestedEvent {
    /// Downloads running now.
    #[ts(type = "number")]
    pub downloads: usize,
}

/// The TypeScript declarations of every type above, as one module.
pub fn typescript_bindings() -> String {
    use crate::error::{AppError, ErrorCode, HostKeyView, SetupView};
    let cfg = ts_rs::Config::default();
    let decls = [
        AppInfo::decl(&cfg),
        RoleView::decl(&cfg),
        AccountView::decl(&cfg),
        AccountsView::decl(&cfg),
        ExistingAccountView::decl(&cfg),
        MembershipView::decl(&cfg),
        ProbeView::decl(&cfg),
        StatusKind::decl(&cfg),
        WindowKind::decl(&cfg),
        DownloadedView::decl(&cfg),
        BackupRow::decl(&cfg),
        GateView::decl(&cfg),
        BackupsView::decl(&cfg),
        TermsView::decl(&cfg),
        ExistingCopy::decl(&cfg),
        ProgressView::decl(&cfg),
        ConnectionView::decl(&cfg),
        KeyView::decl(&cfg),
        SettingsView::decl(&cfg),
        ConnectionTestView::decl(&cfg),
        BackupReadyEvent::decl(&cfg),
        BackupFocusEvent::decl(&cfg),
        DownloadFinishedEvent::decl(&cfg),
        QuitRequestedEvent::decl(&cfg),
        ArchiveKind::decl(&cfg),
        ObjectView::decl(&cfg),
        ChangeAlertView::decl(&cfg),
        ContentsView::decl(&cfg),
        HealthLevelView::decl(&cfg),
        HealthReasonView::decl(&cfg),
        PendingBackupView::decl(&cfg),
        AccountHealthView::decl(&cfg),
        HealthView::decl(&cfg),
        AutomaticStatusView::decl(&cfg),
        AccountAutomaticView::decl(&cfg),
        LastPassView::decl(&cfg),
        DownloadedItemView::decl(&cfg),
        AutomaticInput::decl(&cfg),
        ErrorCode::decl(&cfg),
        HostKeyView::decl(&cfg),
        SetupView::decl(&cfg),
        AppError::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from src-tauri/src/views.rs and error.rs by ts-rs: do not edit.\n\
         // Regenerate with `make bindings`; `make test` fails when this file is stale.\n",
    );
    for decl in decls {
        out.push_str("\nexport ");
        out.push_str(decl.trim());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts")
    }

    /// `UPDATE_BINDINGS=1 cargo test -p backup-desk-app bindings` rewrites the file.
    #[test]
    fn bindings_are_committed_and_current() {
        let fresh = typescript_bindings();
        let path = bindings_path();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("write bindings");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run `make bindings` and commit it",
            path.display()
        );
    }

    #[test]
    fn bindings_declare_every_status_and_error_code() {
        let ts = typescript_bindings();
        for word in [
            "\"awaiting_release\"",
            "\"invalid\"",
            "\"expiring_soon\"",
            "\"unknown_host_key\"",
            "export type AppError",
        ] {
            assert!(ts.contains(word), "missing {word} in:\n{ts}");
        }
        assert!(
            !ts.contains("bigint"),
            "numbers must be plain numbers:\n{ts}"
        );
    }
}
