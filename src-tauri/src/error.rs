//! The one error every command returns: a code the UI branches on and a
//! message that says what to do. The application layer's error maps here
//! once, by its kind; no command returns `Result<_, String>`.

use backup_workflows::{Error, ErrorKind, PresentedKey};
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
    /// The provider or the SFTP server could not be reached.
    Network,
    /// The file did not match the published checksum (it was discarded).
    VerifyFailed,
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
            ErrorKind::Network => ErrorCode::Network,
            ErrorKind::VerifyFailed => ErrorCode::VerifyFailed,
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
    fn a_bug_is_a_failure_not_the_persons_bad_input() {
        let error = AppError::from(Error::Internal("the engine panicked".into()));
        assert_eq!(error.code, ErrorCode::Failed);
    }
}
