//! The one error every command returns: a code the UI branches on and a
//! message that says what to do. Core errors map here once; no command
//! returns `Result<_, String>`.

use backup_api::{ApiError, ProblemCode};
use backup_keychain::KeyError;
use backup_state::StateError;
use backup_transfer::TransferError;
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
    /// Anything else (the message says what).
    Failed,
}

/// A command's failure as the window receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The server's key for `unknown_host_key` / `host_key_changed`.
    pub fingerprint: Option<String>,
    /// RFC 3339; for `cooldown`.
    pub next_allowed_at: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            fingerprint: None,
            next_allowed_at: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidInput, message)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<ApiError> for AppError {
    fn from(error: ApiError) -> AppError {
        let message = match &error {
            ApiError::Problem {
                code: ProblemCode::Unauthenticated,
                ..
            } => "The provider rejected the token: it may have expired or been revoked. Add the account again with a new token.".to_owned(),
            other => other.to_string(),
        };
        let mut mapped = AppError::new(ErrorCode::Failed, message);
        mapped.code = match &error {
            ApiError::Problem {
                code,
                next_allowed_at,
                ..
            } => {
                mapped.next_allowed_at = next_allowed_at.and_then(crate::views::rfc3339);
                match code {
                    ProblemCode::Unauthenticated => ErrorCode::Unauthorized,
                    ProblemCode::Forbidden => ErrorCode::Forbidden,
                    ProblemCode::NotFound => ErrorCode::NotFound,
                    ProblemCode::InvalidRequest => ErrorCode::InvalidInput,
                    ProblemCode::CooldownActive => ErrorCode::Cooldown,
                    ProblemCode::RequestInProgress => ErrorCode::RequestInProgress,
                    ProblemCode::NotReady => ErrorCode::NotReady,
                    ProblemCode::Expired => ErrorCode::Expired,
                    ProblemCode::TermsNotAccepted | ProblemCode::TermsVersionMismatch => {
                        ErrorCode::TermsRequired
                    }
                    _ => ErrorCode::Failed,
                }
            }
            ApiError::Network { .. } => ErrorCode::Network,
            ApiError::InvalidUrl(_) => ErrorCode::InvalidInput,
            ApiError::Decode(_) | ApiError::RedirectRefused(_) => ErrorCode::Failed,
        };
        mapped
    }
}

impl From<KeyError> for AppError {
    fn from(error: KeyError) -> AppError {
        let code = match &error {
            KeyError::NotFound => ErrorCode::KeyMissing,
            KeyError::NeedsPassphrase => ErrorCode::PassphraseRequired,
            KeyError::WrongPassphrase => ErrorCode::PassphraseWrong,
            KeyError::Keychain(_) | KeyError::NoKeychain(_) => ErrorCode::KeychainUnavailable,
            KeyError::Io { .. } => ErrorCode::Disk,
            _ => ErrorCode::KeyInvalid,
        };
        AppError::new(code, error.to_string())
    }
}

impl From<TransferError> for AppError {
    fn from(error: TransferError) -> AppError {
        let message = error.to_string();
        match error {
            TransferError::UnknownHostKey { fingerprint, .. } => AppError {
                fingerprint: Some(fingerprint),
                ..AppError::new(ErrorCode::UnknownHostKey, message)
            },
            TransferError::HostKeyChanged { actual, .. } => AppError {
                fingerprint: Some(actual),
                ..AppError::new(ErrorCode::HostKeyChanged, message)
            },
            TransferError::AuthFailed(_) | TransferError::PermissionDenied(_) => {
                AppError::new(ErrorCode::SftpAuth, message)
            }
            TransferError::NotFound(_) => AppError::new(ErrorCode::NotFound, message),
            TransferError::DiskFull { .. } | TransferError::LocalIo { .. } => {
                AppError::new(ErrorCode::Disk, message)
            }
            TransferError::Network(_) => AppError::new(ErrorCode::Network, message),
            TransferError::VerificationFailed { .. } | TransferError::RemoteChanged(_) => {
                AppError::new(ErrorCode::VerifyFailed, message)
            }
            TransferError::Cancelled => AppError::new(ErrorCode::Cancelled, message),
            TransferError::Invalid(_) => AppError::new(ErrorCode::InvalidInput, message),
            #[allow(unreachable_patterns)]
            _ => AppError::new(ErrorCode::Failed, message),
        }
    }
}

impl From<StateError> for AppError {
    fn from(error: StateError) -> AppError {
        let code = match &error {
            StateError::UnknownAccount(_) => ErrorCode::NotFound,
            StateError::Invalid(_) => ErrorCode::InvalidInput,
            _ => ErrorCode::Failed,
        };
        AppError::new(code, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_cooldown_refusal_keeps_its_date_and_code() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("a valid time");
        let error = AppError::from(ApiError::Problem {
            status: 409,
            code: ProblemCode::CooldownActive,
            detail: "Wait.".into(),
            next_allowed_at: Some(at),
            terms_version: None,
        });
        assert_eq!(error.code, ErrorCode::Cooldown);
        assert_eq!(
            error.next_allowed_at.as_deref(),
            Some("2026-11-28T10:00:00Z")
        );
        let json = serde_json::to_value(&error).expect("json");
        assert_eq!(json["code"], "cooldown");
    }

    #[test]
    fn host_key_errors_carry_the_fingerprint_the_server_presented() {
        let unknown = AppError::from(TransferError::UnknownHostKey {
            host: "h".into(),
            fingerprint: "SHA256:abc".into(),
            matches_published: true,
        });
        assert_eq!(unknown.code, ErrorCode::UnknownHostKey);
        assert_eq!(unknown.fingerprint.as_deref(), Some("SHA256:abc"));
        let changed = AppError::from(TransferError::HostKeyChanged {
            expected: "SHA256:old".into(),
            actual: "SHA256:new".into(),
        });
        assert_eq!(changed.code, ErrorCode::HostKeyChanged);
        assert_eq!(changed.fingerprint.as_deref(), Some("SHA256:new"));
    }

    #[test]
    fn key_errors_map_to_what_the_settings_view_asks_for() {
        assert_eq!(
            AppError::from(KeyError::NeedsPassphrase).code,
            ErrorCode::PassphraseRequired
        );
        assert_eq!(
            AppError::from(KeyError::WrongPassphrase).code,
            ErrorCode::PassphraseWrong
        );
        assert_eq!(
            AppError::from(KeyError::PublicKey).code,
            ErrorCode::KeyInvalid
        );
        assert_eq!(
            AppError::from(KeyError::Keychain("locked".into())).code,
            ErrorCode::KeychainUnavailable
        );
        assert_eq!(
            AppError::from(KeyError::NoKeychain("no Secret Service".into())).code,
            ErrorCode::KeychainUnavailable,
            "not the key file's fault"
        );
    }

    #[test]
    fn an_expired_token_says_to_add_the_account_again() {
        let error = AppError::from(ApiError::Problem {
            status: 401,
            code: ProblemCode::Unauthenticated,
            detail: "bad token".into(),
            next_allowed_at: None,
            terms_version: None,
        });
        assert_eq!(error.code, ErrorCode::Unauthorized);
        assert!(
            error.message.contains("Add the account again"),
            "{}",
            error.message
        );
    }
}
