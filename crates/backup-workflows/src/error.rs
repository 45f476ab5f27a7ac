//! The one error of every workflow, and the one classification of it that
//! the desktop app maps to its `{code, message}` and the CLI to its exit codes.

use backup_api::{ApiError, ProblemCode};
use backup_keychain::KeyError;
use backup_state::StateError;
use backup_transfer::TransferError;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// What the provider's delivery answer says about where to download from,
/// to fill in the setup a download is missing (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupHint {
    /// The SFTP host and port the provider delivers from.
    pub host: String,
    pub port: u16,
    /// The user name of the saved connection, else empty.
    pub username: String,
    pub has_connection: bool,
    pub has_key: bool,
}

fn connection_missing(hint: &Option<Box<SetupHint>>) -> String {
    match hint {
        Some(hint) => format!(
            "No SFTP server is set for this account. The provider delivers this backup from {host}:{port}: set it in Settings, or with backup-desk connection set --host {host} --port {port} --user USER, then download again.",
            host = hint.host,
            port = hint.port
        ),
        None => "No SFTP server is set for this account: set its host, port and user name (Settings, or backup-desk connection set).".into(),
    }
}

/// What a workflow could not do, with a message that says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Api(ApiError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Transfer(TransferError),
    /// Input the person can correct (the message says how).
    #[error("{0}")]
    Invalid(String),
    /// No account is set up, several are and none was chosen, or no such one.
    #[error("{0}")]
    NoAccount(String),
    #[error("{0}")]
    NotFound(String),
    /// The role (or the provider) does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The provider no longer accepts the stored token, or none is stored.
    #[error("{0}")]
    Unauthorized(String),
    /// A request is not allowed now; `next_allowed_at` says until when.
    #[error("{message}")]
    Cooldown {
        message: String,
        next_allowed_at: Option<DateTime<Utc>>,
    },
    #[error("{0}")]
    RequestInProgress(String),
    /// The backup is not ready (or no longer downloadable).
    #[error("{0}")]
    NotReady(String),
    /// The download terms were not accepted.
    #[error("{0}")]
    TermsDeclined(String),
    /// The server key was not trusted by the person.
    #[error("{0}")]
    HostKeyNotTrusted(String),
    /// No SFTP server is set; with what the delivery answer says to set.
    #[error("{}", connection_missing(.0))]
    ConnectionMissing(Option<Box<SetupHint>>),
    /// No key is imported, found while delivering (with what to set).
    #[error(
        "No key is stored for this account. Import the private key for {}:{} in Settings (or with backup-desk key import FILE), then download again.",
        .0.host, .0.port
    )]
    KeyMissing(Box<SetupHint>),
    /// A verified copy of this backup is already on disk: replace it or keep both?
    #[error(
        "A verified copy of this backup is already at {}. Replace it, or keep both.",
        .path.display()
    )]
    CopyExists { path: PathBuf },
    /// The archive's checksum matched what the provider published, but the
    /// archive itself is broken (the provider saved a damaged file). The
    /// copy was kept aside under a `.damaged` name.
    #[error(
        "Backup {backup_id} is damaged: {problem}. Its checksum matches what the provider published, so the provider saved a broken archive. The copy was kept as {}; request a new backup and tell the provider.",
        .path.display()
    )]
    ArchiveDamaged {
        backup_id: String,
        problem: String,
        path: PathBuf,
    },
    /// An account being added is already set up (its token or role would change).
    #[error("{0}")]
    AccountExists(String),
    /// The local disk refused (a folder that cannot be created…).
    #[error("{0}")]
    Disk(String),
    /// A folder that cannot be created or used (its path comes with it).
    #[error("Cannot create the folder {}: {message}. Choose another folder in Settings.", .path.display())]
    FolderUnusable { path: PathBuf, message: String },
    /// The same work is already running (a download of this backup, an automatic pass).
    #[error("{0}")]
    Busy(String),
    /// A bug: a task panicked or a promise of the code did not hold.
    #[error("Internal error: {0}. Please report it; nothing was recorded as done.")]
    Internal(String),
}

/// The kinds of failure a front end branches on (never on message text).
/// Kept with an automatic pass's result; a kind a later version added
/// reads back as `Failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidInput,
    NoAccount,
    Unauthorized,
    Forbidden,
    NotFound,
    Cooldown,
    RequestInProgress,
    NotReady,
    Expired,
    TermsRequired,
    UnknownHostKey,
    HostKeyChanged,
    SftpAuth,
    ConnectionMissing,
    KeyMissing,
    KeyInvalid,
    PassphraseRequired,
    PassphraseWrong,
    KeychainUnavailable,
    /// The keychain is locked (or its prompt was dismissed); it is not
    /// asked again until [`crate::Desk::keychain_retry`].
    KeychainLocked,
    /// A verified copy exists: ask to replace it or keep both.
    CopyExists,
    /// The account is already set up: adding it again must be confirmed.
    AccountExists,
    Network,
    VerifyFailed,
    /// The archive matches its checksum but does not open or read to its end.
    ArchiveDamaged,
    Disk,
    Cancelled,
    Busy,
    Internal,
    #[serde(other)]
    Failed,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Error {
        match error {
            ApiError::Problem {
                code: ProblemCode::Unauthenticated,
                ..
            } => Error::Unauthorized(
                "The provider did not accept the token: it may have expired or been revoked. Add the account again with a new token.".into(),
            ),
            ApiError::Problem {
                code: ProblemCode::CooldownActive,
                detail,
                next_allowed_at,
                ..
            } => Error::Cooldown {
                message: detail,
                next_allowed_at,
            },
            other => Error::Api(other),
        }
    }
}

impl From<TransferError> for Error {
    fn from(error: TransferError) -> Error {
        Error::Transfer(error)
    }
}

impl Error {
    /// Wraps a panicked or cancelled task.
    pub fn from_join(error: tokio::task::JoinError) -> Error {
        Error::Internal(format!("a background task stopped: {error}"))
    }

    /// The one classification both front ends map from.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api(error) => api_kind(error),
            Error::Key(error) => match error {
                KeyError::NotFound => ErrorKind::KeyMissing,
                KeyError::NeedsPassphrase => ErrorKind::PassphraseRequired,
                KeyError::WrongPassphrase => ErrorKind::PassphraseWrong,
                KeyError::Locked => ErrorKind::KeychainLocked,
                KeyError::Keychain(_) | KeyError::NoKeychain(_) => ErrorKind::KeychainUnavailable,
                KeyError::Io { .. } => ErrorKind::Disk,
                _ => ErrorKind::KeyInvalid,
            },
            Error::State(error) => match error {
                StateError::UnknownAccount(_) => ErrorKind::NotFound,
                StateError::Invalid(_) => ErrorKind::InvalidInput,
                _ => ErrorKind::Failed,
            },
            Error::Transfer(error) => transfer_kind(error),
            Error::Invalid(_) => ErrorKind::InvalidInput,
            Error::NoAccount(_) => ErrorKind::NoAccount,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Unauthorized(_) => ErrorKind::Unauthorized,
            Error::Cooldown { .. } => ErrorKind::Cooldown,
            Error::RequestInProgress(_) => ErrorKind::RequestInProgress,
            Error::NotReady(_) => ErrorKind::NotReady,
            Error::TermsDeclined(_) => ErrorKind::TermsRequired,
            Error::HostKeyNotTrusted(_) => ErrorKind::UnknownHostKey,
            Error::ConnectionMissing(_) => ErrorKind::ConnectionMissing,
            Error::KeyMissing(_) => ErrorKind::KeyMissing,
            Error::CopyExists { .. } => ErrorKind::CopyExists,
            Error::AccountExists(_) => ErrorKind::AccountExists,
            Error::ArchiveDamaged { .. } => ErrorKind::ArchiveDamaged,
            Error::Disk(_) | Error::FolderUnusable { .. } => ErrorKind::Disk,
            Error::Busy(_) => ErrorKind::Busy,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The server key a host key error is about (what the server presented).
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Error::Transfer(TransferError::UnknownHostKey { fingerprint, .. }) => Some(fingerprint),
            Error::Transfer(TransferError::HostKeyChanged { actual, .. }) => Some(actual),
            _ => None,
        }
    }

    /// What to prefill when a delivery found no SFTP server or no key.
    pub fn setup(&self) -> Option<&SetupHint> {
        match self {
            Error::ConnectionMissing(Some(hint)) | Error::KeyMissing(hint) => Some(hint),
            _ => None,
        }
    }

    /// The file an error is about (the verified copy that already exists).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::CopyExists { path }
            | Error::FolderUnusable { path, .. }
            | Error::ArchiveDamaged { path, .. } => Some(path),
            _ => None,
        }
    }

    /// When a request will be allowed again, for a cooldown refusal.
    pub fn next_allowed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Error::Cooldown {
                next_allowed_at, ..
            } => *next_allowed_at,
            Error::Api(ApiError::Problem {
                next_allowed_at, ..
            }) => *next_allowed_at,
            _ => None,
        }
    }
}

fn api_kind(error: &ApiError) -> ErrorKind {
    match error {
        ApiError::Problem { code, .. } => match code {
            ProblemCode::Unauthenticated => ErrorKind::Unauthorized,
            ProblemCode::Forbidden => ErrorKind::Forbidden,
            ProblemCode::NotFound => ErrorKind::NotFound,
            ProblemCode::InvalidRequest => ErrorKind::InvalidInput,
            ProblemCode::CooldownActive => ErrorKind::Cooldown,
            ProblemCode::RequestInProgress => ErrorKind::RequestInProgress,
            ProblemCode::NotReady => ErrorKind::NotReady,
            ProblemCode::Expired => ErrorKind::Expired,
            ProblemCode::TermsNotAccepted | ProblemCode::TermsVersionMismatch => {
                ErrorKind::TermsRequired
            }
            _ => ErrorKind::Failed,
        },
        ApiError::Network { .. } => ErrorKind::Network,
        ApiError::InvalidUrl(_) => ErrorKind::InvalidInput,
        ApiError::Decode(_)
        | ApiError::RedirectRefused(_)
        | ApiError::InsecureRedirect(_)
        | ApiError::Certificate { .. }
        | ApiError::AnswerTooLarge { .. }
        | ApiError::EndlessHistory(_) => ErrorKind::Failed,
    }
}

fn transfer_kind(error: &TransferError) -> ErrorKind {
    match error {
        TransferError::UnknownHostKey { .. } => ErrorKind::UnknownHostKey,
        TransferError::HostKeyChanged { .. } => ErrorKind::HostKeyChanged,
        TransferError::AuthFailed(_) | TransferError::PermissionDenied(_) => ErrorKind::SftpAuth,
        TransferError::NotFound(_) => ErrorKind::NotFound,
        TransferError::DiskFull { .. } | TransferError::LocalIo { .. } => ErrorKind::Disk,
        TransferError::Network(_) => ErrorKind::Network,
        TransferError::VerificationFailed { .. } | TransferError::RemoteChanged(_) => {
            ErrorKind::VerifyFailed
        }
        TransferError::Busy { .. } => ErrorKind::Busy,
        TransferError::Cancelled => ErrorKind::Cancelled,
        TransferError::Invalid(_) => ErrorKind::InvalidInput,
    }
}
