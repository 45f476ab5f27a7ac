//! The one error every command returns: a code the UI branches on and a
//! message that says what to do. The application layer's error maps here
//! once, by its kind; no command returns `Result<_, String>`.

use backup_workflows::{Error, ErrorKind, PresentedKey, SetupHint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

/// What went wrong, for the UI to branch on (never on message text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Bad input from the window (an empty URL, a port out of range…).
    InvalidInput,
    /// The provider rejected the token.
    Unauthorized,
    /// The person's role does not allow this.
    Forbidden,
    NotFound,
    /// The request cooldown is running (`next_allowed_at` says until when).
    Cooldown,
    RequestInProgress,
    NotReady,
    Expired,
    TermsRequired,
    /// The SFTP server is not known yet: show `fingerprint` and ask.
    UnknownHostKey,
    /// The SFTP server's key differs from the trusted one: never go on.
    HostKeyChanged,
    /// The SFTP login was refused or the key could not be used.
    SftpAuth,
    /// No SFTP host/port/user set for the account.
    ConnectionMissing,
    /// No key imported for the account.
    KeyMissing,
    /// The key file cannot be imported (wrong type, damaged…).
    KeyInvalid,
    PassphraseRequired,
    PassphraseWrong,
    KeychainUnavailable,
    /// The keychain is locked or its unlock prompt was dismissed: it is not
    /// asked again until `keychain_retry` (the window offers Try again).
    KeychainLocked,
    /// A verified copy of this backup exists (`path`): ask to replace it or
    /// keep both, then call `download` again with that choice.
    CopyExists,
    /// An account being added is already set up: adding it again replaces
    /// its token and role, so call `account_add` again with `replace: true`.
    AccountExists,
    /// The provider or the SFTP server could not be reached.
    Network,
    /// The file did not match the published checksum (it was discarded).
    VerifyFailed,
    /// The archive matches its checksum but is broken (kept aside as `path`).
    ArchiveDamaged,
    /// Local disk: no space, cannot write.
    Disk,
    Cancelled,
    /// Another download of this backup is running.
    Busy,
    /// Anything else, a bug included (the message says what).
    Failed,
}

impl From<ErrorKind> for ErrorCode {
    fn from(kind: ErrorKind) -> ErrorCode {
        match kind {
            ErrorKind::InvalidInput => ErrorCode::InvalidInput,
            ErrorKind::NoAccount | ErrorKind::NotFound => ErrorCode::NotFound,
            ErrorKind::Unauthorized => ErrorCode::Unauthorized,
            ErrorKind::Forbidden => ErrorCode::Forbidden,
            ErrorKind::Cooldown => ErrorCode::Cooldown,
            ErrorKind::RequestInProgress => ErrorCode::RequestInProgress,
            ErrorKind::NotReady => ErrorCode::NotReady,
            ErrorKind::Expired => ErrorCode::Expired,
            ErrorKind::TermsRequired => ErrorCode::TermsRequired,
            ErrorKind::UnknownHostKey => ErrorCode::UnknownHostKey,
            ErrorKind::HostKeyChanged => ErrorCode::HostKeyChanged,
            ErrorKind::SftpAuth => ErrorCode::SftpAuth,
            ErrorKind::ConnectionMissing => ErrorCode::ConnectionMissing,
            ErrorKind::KeyMissing => ErrorCode::KeyMissing,
            ErrorKind::KeyInvalid => ErrorCode::KeyInvalid,
            ErrorKind::PassphraseRequired => ErrorCode::PassphraseRequired,
            ErrorKind::PassphraseWrong => ErrorCode::PassphraseWrong,
            ErrorKind::KeychainUnavailable => ErrorCode::KeychainUnavailable,
            ErrorKind::KeychainLocked => ErrorCode::KeychainLocked,
            ErrorKind::CopyExists => ErrorCode::CopyExists,
            ErrorKind::AccountExists => ErrorCode::AccountExists,
            ErrorKind::Network => ErrorCode::Network,
            ErrorKind::VerifyFailed => ErrorCode::VerifyFailed,
            ErrorKind::ArchiveDamaged => ErrorCode::ArchiveDamaged,
            ErrorKind::Disk => ErrorCode::Disk,
            ErrorKind::Cancelled => ErrorCode::Cancelled,
            ErrorKind::Busy => ErrorCode::Busy,
            ErrorKind::Internal | ErrorKind::Failed => ErrorCode::Failed,
        }
    }
}

/// A command's failure as the window receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The server's key for `unknown_host_key` / `host_key_changed`.
    pub fingerprint: Option<String>,
    /// For `cooldown` (RFC 3339).
    pub next_allowed_at: Option<DateTime<Utc>>,
    /// For `unknown_host_key`: what the server presented, to ask about.
    pub host_key: Option<Box<HostKeyView>>,
    /// For `connection_missing` / `key_missing` from a download: what to
    /// fill in, from where the provider delivers.
    pub setup: Option<Box<SetupView>>,
    /// The file or folder the error is about, to show with Copy path
    /// (`copy_exists`; `failed` when no file manager could open it).
    pub path: Option<String>,
}

/// The setup a download is missing, prefilled from the provider's delivery
/// answer (host and port) and the saved connection (user name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SetupView {
    pub host: String,
    pub port: u16,
    /// The saved connection's user name, else "".
    pub username: String,
    pub has_connection: bool,
    pub has_key: bool,
}

impl From<&SetupHint> for SetupView {
    fn from(hint: &SetupHint) -> SetupView {
        SetupView {
            host: hint.host.clone(),
            port: hint.port,
            username: hint.username.clone(),
            has_connection: hint.has_connection,
            has_key: hint.has_key,
        }
    }
}

/// A server key the person is asked to trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HostKeyView {
    pub host: String,
    pub port: u16,
    pub key_type: String,
    pub fingerprint: String,
    /// The provider publishes this key for its server.
    pub published: bool,
    /// The key trusted until now, when this one replaces it.
    pub replaces: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            fingerprint: None,
            next_allowed_at: None,
            host_key: None,
            setup: None,
            path: None,
        }
    }

    /// A failure about a file or folder the person can still reach by its path.
    pub fn with_path(self, path: &std::path::Path) -> AppError {
        AppError {
            path: Some(path.display().to_string()),
            ..self
        }
    }

    /// The question "trust this server key?" as the window asks it.
    pub fn host_key_question(key: &PresentedKey) -> AppError {
        let message = match &key.replaces {
            Some(old) => format!(
                "The server {}:{} presents a new {} key that the provider publishes, replacing {old}. Check it and trust it to continue.",
                key.host, key.port, key.key_type
            ),
            None => format!(
                "The server {}:{} is not known yet; its {} key's fingerprint is {}. Check it and trust it to continue.",
                key.host, key.port, key.key_type, key.fingerprint
            ),
        };
        AppError {
            fingerprint: Some(key.fingerprint.clone()),
            host_key: Some(Box::new(HostKeyView {
                host: key.host.clone(),
                port: key.port,
                key_type: key.key_type.clone(),
                fingerprint: key.fingerprint.clone(),
                published: key.published,
                replaces: key.replaces.clone(),
            })),
            ..AppError::new(ErrorCode::UnknownHostKey, message)
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<Error> for AppError {
    fn from(error: Error) -> AppError {
        AppError {
            code: error.kind().into(),
            message: error.to_string(),
            fingerprint: error.fingerprint().map(str::to_owned),
            next_allowed_at: error.next_allowed_at(),
            host_key: None,
            setup: error.setup().map(|hint| Box::new(SetupView::from(hint))),
            path: error.path().map(|p| p.display().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_api::{ApiError, ProblemCode};
    use backup_keychain::KeyError;
    use backup_transfer::TransferError;
    use chrono::TimeZone;

    #[test]
    fn a_cooldown_refusal_keeps_its_date_and_code() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("date");
        let error = AppError::from(Error::from(ApiError::Problem {
            status: 409,
            code: ProblemCode::CooldownActive,
            detail: "Wait.".into(),
            next_allowed_at: Some(at),
            terms_version: None,
        }));
        assert_eq!(error.code, ErrorCode::Cooldown);
        let json = serde_json::to_value(&error).expect("json");
        assert_eq!(json["code"], "cooldown");
        assert_eq!(
            json["next_allowed_at"], "2026-11-28T10:00:00Z",
            "the window reads RFC 3339"
        );
    }

    #[test]
    fn a_changed_host_key_carries_the_fingerprint_the_server_presented() {
        let changed = AppError::from(Error::from(TransferError::HostKeyChanged {
            expected: "SHA256:old".into(),
            actual: "SHA256:new".into(),
            key_type: "Ed25519".into(),
        }));
        assert_eq!(changed.code, ErrorCode::HostKeyChanged);
        assert_eq!(changed.fingerprint.as_deref(), Some("SHA256:new"));
    }

    #[test]
    fn key_errors_map_to_what_the_settings_view_asks_for() {
        let code = |e: KeyError| AppError::from(Error::from(e)).code;
        assert_eq!(
            code(KeyError::NeedsPassphrase),
            ErrorCode::PassphraseRequired
        );
        assert_eq!(code(KeyError::WrongPassphrase), ErrorCode::PassphraseWrong);
        assert_eq!(code(KeyError::PublicKey), ErrorCode::KeyInvalid);
        assert_eq!(
            code(KeyError::Keychain("locked".into())),
            ErrorCode::KeychainUnavailable
        );
        assert_eq!(
            code(KeyError::NoKeychain("no Secret Service".into())),
            ErrorCode::KeychainUnavailable,
            "not the key file's fault"
        );
    }

    #[test]
    fn an_expired_token_says_to_add_the_account_again() {
        let error = AppError::from(Error::from(ApiError::Problem {
            status: 401,
            code: ProblemCode::Unauthenticated,
            detail: "bad token".into(),
            next_allowed_at: None,
            terms_version: None,
        }));
        assert_eq!(error.code, ErrorCode::Unauthorized);
        assert!(
            error.message.contains("Add the account again"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_missing_connection_or_key_carries_what_to_fill_in() {
        let hint = SetupHint {
            host: "sftp.example.com".into(),
            port: 2222,
            username: String::new(),
            has_connection: false,
            has_key: true,
        };
        let error = AppError::from(Error::ConnectionMissing(Some(Box::new(hint.clone()))));
        assert_eq!(error.code, ErrorCode::ConnectionMissing);
        let json = serde_json::to_value(&error).expect("json");
        assert_eq!(json["setup"]["host"], "sftp.example.com");
        assert_eq!(json["setup"]["port"], 2222);
        assert_eq!(json["setup"]["has_key"], true);
        let key = AppError::from(Error::KeyMissing(Box::new(hint)));
        assert_eq!(key.code, ErrorCode::KeyMissing);
        assert!(key.setup.is_some());
        let plain = AppError::from(Error::from(KeyError::NotFound));
        assert_eq!(plain.code, ErrorCode::KeyMissing);
        assert_eq!(plain.setup, None, "no delivery answer, nothing to prefill");
    }

    #[test]
    fn new_codes_reach_the_window_in_snake_case_with_their_path() {
        let copy = AppError::from(Error::CopyExists {
            path: "/home/o/Backups/Acme/b.zip".into(),
        });
        let json = serde_json::to_value(&copy).expect("json");
        assert_eq!(json["code"], "copy_exists");
        assert_eq!(json["path"], "/home/o/Backups/Acme/b.zip");
        let exists = AppError::from(Error::AccountExists("Acme".into()));
        assert_eq!(
            serde_json::to_value(exists.code).expect("json"),
            "account_exists"
        );
        let locked = AppError::from(Error::from(KeyError::Locked));
        assert_eq!(
            serde_json::to_value(locked.code).expect("json"),
            "keychain_locked"
        );
        assert_eq!(
            locked.message,
            "The keychain is locked. Unlock it, then choose Try again."
        );
    }

    #[test]
    fn a_bug_is_a_failure_not_the_persons_bad_input() {
        let error = AppError::from(Error::Internal("the engine panicked".into()));
        assert_eq!(error.code, ErrorCode::Failed);
    }
}
