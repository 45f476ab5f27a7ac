//! Typed preferences, kept in the local state's settings table (never a
//! secret): the account in use, the language, and per account the download
//! folder, the parallel streams and the automatic mode.

use std::path::{Path, PathBuf};

use backup_state::{AccountRecord, LocalState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use backup_domain::is_valid_id;

const CURRENT_ACCOUNT: &str = "current_account";
const LANGUAGE: &str = "language";
/// Set once the accounts that downloaded into the old default folder had
/// it pinned (see [`Preferences::pin_legacy_download_dirs`]).
const LEGACY_DIRS_PINNED: &str = "legacy_download_dirs_pinned";
/// Set once the person was told that closing the window keeps the app in the tray.
const TRAY_HINT_SHOWN: &str = "tray_hint_shown";

fn download_dir_key(account: i64) -> String {
    format!("download_dir:{account}")
}

fn streams_key(account: i64) -> String {
    format!("streams:{account}")
}

fn automatic_key(account: i64) -> String {
    format!("automatic:{account}")
}

fn drop_alert_key(account: i64) -> String {
    format!("drop_alert_percent:{account}")
}

fn checked_key(account: i64) -> String {
    format!("checked_at:{account}")
}

/// The parallel-streams setting that means "Automatic": the engine starts
/// with one session and adds sessions while the rate still rises, up to
/// [`AUTOMATIC_MOST_STREAMS`]. Any other setting (1–16) is the most it uses.
pub const AUTOMATIC_STREAMS: u8 = 0;
/// Parallel SSH sessions when none were chosen: Automatic.
pub const DEFAULT_STREAMS: u8 = AUTOMATIC_STREAMS;
/// The most sessions "Automatic" opens: the links admins download over are
/// full with 1–3 (the benchmark's table in the README), and each session
/// costs memory and CPU.
pub const AUTOMATIC_MOST_STREAMS: u8 = 8;

/// The engine's session maximum for a parallel-streams setting.
pub fn most_streams(setting: u8) -> usize {
    match setting {
        AUTOMATIC_STREAMS => AUTOMATIC_MOST_STREAMS.into(),
        most => most.into(),
    }
}
/// How many verified archives the automatic mode keeps when none was chosen.
pub const DEFAULT_KEEP: u16 = 3;

/// The language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// The operating system's.
    #[default]
    System,
    English,
    BrazilianPortuguese,
}

impl Language {
    pub const ALL: [Language; 3] = [
        Language::System,
        Language::English,
        Language::BrazilianPortuguese,
    ];

    pub fn as_setting(self) -> &'static str {
        match self {
            Language::System => "system",
            Language::English => "en",
            Language::BrazilianPortuguese => "pt-BR",
        }
    }

    /// Parses a setting; an unknown one is an error that lists the choices.
    pub fn from_setting(value: &str) -> Result<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.as_setting() == value)
            .ok_or_else(|| {
                let all: Vec<_> = Language::ALL.iter().map(|l| l.as_setting()).collect();
                Error::Invalid(format!(
                    "Unknown language {value:?}; choose one of {}.",
                    all.join(", ")
                ))
            })
    }

    /// Whether texts should be Portuguese, given the OS locale for `System`.
    pub fn is_portuguese(self, os_locale: Option<&str>) -> bool {
        match self {
            Language::System => os_locale.is_some_and(|l| l.to_ascii_lowercase().starts_with("pt")),
            Language::English => false,
            Language::BrazilianPortuguese => true,
        }
    }
}

/// The automatic mode of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutomaticSettings {
    /// The desktop app runs automatic passes for this account.
    pub enabled: bool,
    /// Request a backup as soon as the provider allows one.
    pub request_when_allowed: bool,
    /// Download every ready backup not downloaded yet.
    pub download_when_ready: bool,
    /// Verified archives kept; older ones are deleted after a newer one verified.
    pub keep: u16,
    /// The terms version the person consented to accept automatically
    /// (recorded in the audit log); a new version stops and asks again.
    pub accepted_terms_version: Option<String>,
}

impl Default for AutomaticSettings {
    fn default() -> AutomaticSettings {
        AutomaticSettings {
            enabled: false,
            request_when_allowed: true,
            download_when_ready: true,
            keep: DEFAULT_KEEP,
            accepted_terms_version: None,
        }
    }
}

/// What one account prefers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPreferences {
    /// Where archives go: the chosen folder, else the default.
    pub download_dir: PathBuf,
    /// No folder was chosen: `download_dir` is the default one.
    pub download_dir_is_default: bool,
    pub streams: u8,
    pub automatic: AutomaticSettings,
    /// A drop of this many percent (1–100) of an object's records since the
    /// previous backup raises a change alert.
    pub drop_alert_percent: u8,
}

/// The preferences in the local state.
#[derive(Debug, Clone, Copy)]
pub struct Preferences<'a> {
    state: &'a LocalState,
    data_dir: &'a Path,
}

impl<'a> Preferences<'a> {
    pub(crate) fn new(state: &'a LocalState, data_dir: &'a Path) -> Preferences<'a> {
        Preferences { state, data_dir }
    }

    /// The account chosen with "use" (it may have been removed since).
    pub fn current_account(&self) -> Result<Option<i64>> {
        Ok(self
            .state
            .setting(CURRENT_ACCOUNT)?
            .and_then(|v| v.parse().ok()))
    }

    pub fn set_current_account(&self, account: Option<i64>) -> Result<()> {
        match account {
            Some(id) => self.state.set_setting(CURRENT_ACCOUNT, &id.to_string())?,
            None => self.state.unset_setting(CURRENT_ACCOUNT)?,
        }
        Ok(())
    }

    pub fn language(&self) -> Result<Language> {
        Ok(self
            .state
            .setting(LANGUAGE)?
            .and_then(|v| Language::from_setting(&v).ok())
            .unwrap_or_default())
    }

    pub fn set_language(&self, language: Language) -> Result<()> {
        Ok(self.state.set_setting(LANGUAGE, language.as_setting())?)
    }

    /// Whether the person was already told that closing the window keeps
    /// the app running in the tray.
    pub fn tray_hint_shown(&self) -> Result<bool> {
        Ok(self.state.setting(TRAY_HINT_SHOWN)?.is_some())
    }

    pub fn set_tray_hint_shown(&self) -> Result<()> {
        Ok(self.state.set_setting(TRAY_HINT_SHOWN, "1")?)
    }

    /// The account's preferences, with defaults for what was never chosen.
    pub fn account(&self, account: &AccountRecord) -> Result<AccountPreferences> {
        let chosen = self.state.setting(&download_dir_key(account.id))?;
        let download_dir_is_default = chosen.is_none();
        let download_dir = match chosen {
            Some(dir) => PathBuf::from(dir),
            None => default_download_dir(self.data_dir, account)?,
        };
        let streams = self
            .state
            .setting(&streams_key(account.id))?
            .and_then(|v| v.parse().ok())
            .filter(|s| check_streams(*s).is_ok())
            .unwrap_or(DEFAULT_STREAMS);
        let automatic = self
            .state
            .setting(&automatic_key(account.id))?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        let drop_alert_percent = self
            .state
            .setting(&drop_alert_key(account.id))?
            .and_then(|v| v.parse().ok())
            .filter(|p| backup_domain::valid_threshold(*p))
            .unwrap_or(backup_domain::DEFAULT_DROP_ALERT_PERCENT);
        Ok(AccountPreferences {
            download_dir,
            download_dir_is_default,
            streams,
            automatic,
            drop_alert_percent,
        })
    }

    /// Saves the drop (1–100 percent) that raises a change alert.
    pub fn save_drop_alert(&self, account: i64, percent: u8) -> Result<()> {
        if !backup_domain::valid_threshold(percent) {
            return Err(Error::Invalid(format!(
                "A change alert needs a drop between 1 and 100 percent, not {percent}."
            )));
        }
        Ok(self
            .state
            .set_setting(&drop_alert_key(account), &percent.to_string())?)
    }

    /// Saves the download folder (absolute; created if missing) and the
    /// streams (Automatic, or at most 1–16).
    pub fn save_downloads(&self, account: i64, download_dir: &str, streams: u8) -> Result<()> {
        check_streams(streams)?;
        let dir = PathBuf::from(download_dir.trim());
        if !dir.is_absolute() {
            return Err(Error::Invalid(
                "Choose a full folder path for downloads (use Browse…).".into(),
            ));
        }
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::Invalid(format!(
                "Cannot use {} for downloads: {e}. Choose another folder.",
                dir.display()
            ))
        })?;
        self.state
            .set_setting(&download_dir_key(account), &dir.display().to_string())?;
        self.state
            .set_setting(&streams_key(account), &streams.to_string())?;
        Ok(())
    }

    /// Once per data folder: an account that never chose a folder but has
    /// downloads keeps the default it downloaded into (the old one), so a
    /// new default never splits its archives over two folders. Accounts
    /// added later get the new default.
    pub(crate) fn pin_legacy_download_dirs(&self) -> Result<()> {
        if self.state.setting(LEGACY_DIRS_PINNED)?.is_some() {
            return Ok(());
        }
        for account in self.state.accounts()? {
            let key = download_dir_key(account.id);
            if self.state.setting(&key)?.is_some() || self.state.downloads(account.id)?.is_empty() {
                continue;
            }
            // An id that cannot name a folder never had a default one.
            if let Ok(old) = legacy_download_dir(self.data_dir, &account.account_id) {
                self.state.set_setting(&key, &old.display().to_string())?;
            }
        }
        Ok(self.state.set_setting(LEGACY_DIRS_PINNED, "1")?)
    }

    /// When the account's connection and key last proved to work (a
    /// connection test or a verified download) since they last changed.
    pub fn checked_at(&self, account: i64) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .state
            .setting(&checked_key(account))?
            .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
            .map(|at| at.with_timezone(&Utc)))
    }

    pub(crate) fn set_checked(&self, account: i64, at: DateTime<Utc>) -> Result<()> {
        Ok(self
            .state
            .set_setting(&checked_key(account), &at.to_rfc3339())?)
    }

    /// The connection or the key changed: what was checked no longer holds.
    pub(crate) fn clear_checked(&self, account: i64) -> Result<()> {
        Ok(self.state.unset_setting(&checked_key(account))?)
    }

    /// Saves the automatic mode of `account`.
    pub fn save_automatic(&self, account: i64, settings: &AutomaticSettings) -> Result<()> {
        if settings.keep == 0 {
            return Err(Error::Invalid("Keep at least one verified archive.".into()));
        }
        let json = serde_json::to_string(settings).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(self.state.set_setting(&automatic_key(account), &json)?)
    }
}

/// Checks a parallel-streams setting: [`AUTOMATIC_STREAMS`] or 1–16.
pub fn check_streams(streams: u8) -> Result<u8> {
    if streams <= 16 {
        Ok(streams)
    } else {
        Err(Error::Invalid(format!(
            "{streams} parallel streams: choose Automatic (0) or at most 1 to 16."
        )))
    }
}

/// Where an account's archives go unless a folder was chosen, in plain
/// sight: `~/Backups/<account name>` (on Windows `Documents\Backups\…`),
/// else the app's data folder. The provider's display name is made into one
/// safe folder name; when nothing is left of it, the account id names the
/// folder, only if it follows the provider's rule for ids.
pub fn default_download_dir(app_data_dir: &Path, account: &AccountRecord) -> Result<PathBuf> {
    let name = match backup_transfer::files::sanitize_folder_name(&account.display_name) {
        Some(name) => name,
        None if is_valid_id(&account.account_id) => account.account_id.clone(),
        None => {
            return Err(Error::Invalid(format!(
                "The account's name {:?} and id {:?} cannot name a folder; choose a download folder in Settings (or pass --to).",
                account.display_name, account.account_id
            )));
        }
    };
    let base = if cfg!(windows) {
        dirs::document_dir()
    } else {
        dirs::home_dir()
    };
    Ok(base
        .map(|d| d.join("Backups"))
        .unwrap_or_else(|| app_data_dir.join("downloads"))
        .join(name))
}

/// The default folder of earlier versions: the user's Downloads folder
/// under `Backup Desk/<account id>`, else the app's data folder. Kept for
/// accounts that downloaded there. The id names the folder only when it
/// follows the provider's rule for ids, so it can never point outside.
pub fn legacy_download_dir(app_data_dir: &Path, account_id: &str) -> Result<PathBuf> {
    if !is_valid_id(account_id) {
        return Err(Error::Invalid(format!(
            "The provider's account id {account_id:?} cannot name a folder; choose a download folder in Settings (or pass --to)."
        )));
    }
    Ok(dirs::download_dir()
        .map(|d| d.join("Backup Desk"))
        .unwrap_or_else(|| app_data_dir.join("downloads"))
        .join(account_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_streams_is_the_default_and_a_number_is_the_most_used() {
        assert_eq!(DEFAULT_STREAMS, AUTOMATIC_STREAMS);
        assert_eq!(most_streams(AUTOMATIC_STREAMS), 8);
        assert_eq!(most_streams(1), 1);
        assert_eq!(most_streams(16), 16);
        assert!(check_streams(0).is_ok() && check_streams(16).is_ok());
        let error = check_streams(17).expect_err("17 streams");
        assert!(error.to_string().contains("Automatic"), "{error}");
    }

    #[test]
    fn a_hostile_account_id_never_names_the_default_folder() {
        let base = Path::new("/data");
        for bad in ["../../x", "/abs/path", "a/../../b", ""] {
            assert!(
                legacy_download_dir(base, bad).is_err(),
                "{bad:?} would write outside the download folder"
            );
        }
        let good = legacy_download_dir(base, "acme").expect("a plain id");
        assert!(good.ends_with("acme"));
    }

    fn account(display_name: &str, account_id: &str) -> AccountRecord {
        AccountRecord {
            id: 1,
            provider_url: "https://p".into(),
            account_id: account_id.into(),
            display_name: display_name.into(),
            role: None,
            person_name: "Olivia".into(),
        }
    }

    #[test]
    fn the_default_folder_is_named_after_the_account_in_a_visible_backups_folder() {
        let base = Path::new("/data");
        let dir = default_download_dir(base, &account("Acme Ltda", "acme")).expect("dir");
        assert!(dir.ends_with("Backups/Acme Ltda"), "{}", dir.display());
        let hostile = default_download_dir(base, &account("../../x", "acme")).expect("dir");
        assert_eq!(
            hostile.file_name().and_then(|n| n.to_str()),
            Some("_.._x"),
            "one folder, never a path"
        );
        let unnamed = default_download_dir(base, &account("...", "acme")).expect("dir");
        assert!(unnamed.ends_with("Backups/acme"), "{}", unnamed.display());
        assert!(default_download_dir(base, &account("", "../x")).is_err());
    }

    #[test]
    fn languages_round_trip_and_unknown_ones_list_the_choices() {
        for l in Language::ALL {
            assert_eq!(Language::from_setting(l.as_setting()).ok(), Some(l));
        }
        let error = Language::from_setting("klingon").expect_err("unknown");
        assert!(error.to_string().contains("pt-BR"), "{error}");
        assert!(Language::System.is_portuguese(Some("pt-BR")));
        assert!(!Language::English.is_portuguese(Some("pt-BR")));
    }
}
