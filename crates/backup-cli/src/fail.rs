//! Errors of the command line: one or two sentences that say what to do,
//! and a documented exit code per kind of failure, for scripts.

use std::fmt;
use std::process::ExitCode;

use backup_api::{ApiError, ProblemCode};
use backup_keychain::KeyError;
use backup_state::StateError;
use backup_transfer::TransferError;

/// The documented exit codes (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    Auth = 3,
    HostKey = 4,
    Cooldown = 5,
    NotReady = 6,
    Verification = 7,
    Network = 8,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// A failure to report on stderr.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> CliError {
        CliError {
            exit,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Usage, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl From<ApiError> for CliError {
    fn from(error: ApiError) -> CliError {
        let exit = match &error {
            ApiError::Problem { code, .. } => match code {
                ProblemCode::Unauthenticated | ProblemCode::Forbidden => Exit::Auth,
                ProblemCode::CooldownActive | ProblemCode::RequestInProgress => Exit::Cooldown,
                ProblemCode::NotReady | ProblemCode::Expired => Exit::NotReady,
                _ => Exit::Failure,
            },
            ApiError::Network { .. } => Exit::Network,
            ApiError::InvalidUrl(_) => Exit::Usage,
            ApiError::RedirectRefused(_) | ApiError::Decode(_) => Exit::Failure,
        };
        let message = match &error {
            ApiError::Problem { code: ProblemCode::Unauthenticated, .. } => {
                "The provider did not accept the token. Add the account again with a new token (backup-desk account add).".to_owned()
            }
            _ => error.to_string(),
        };
        CliError::new(exit, message)
    }
}

impl From<TransferError> for CliError {
    fn from(error: TransferError) -> CliError {
        let exit = match &error {
            TransferError::HostKeyChanged { .. } | TransferError::UnknownHostKey { .. } => {
                Exit::HostKey
            }
            TransferError::AuthFailed(_) | TransferError::PermissionDenied(_) => Exit::Auth,
            TransferError::VerificationFailed { .. } | TransferError::RemoteChanged(_) => {
                Exit::Verification
            }
            TransferError::Network(_) => Exit::Network,
            TransferError::NotFound(_) => Exit::NotReady,
            TransferError::Invalid(_) => Exit::Usage,
            _ => Exit::Failure,
        };
        CliError::new(exit, error.to_string())
    }
}

impl From<KeyError> for CliError {
    fn from(error: KeyError) -> CliError {
        let exit = match &error {
            KeyError::NoKeychain(_)
            | KeyError::Keychain(_)
            | KeyError::Corrupt(_)
            | KeyError::Io { .. } => Exit::Failure,
            _ => Exit::Usage,
        };
        CliError::new(exit, error.to_string())
    }
}

impl From<StateError> for CliError {
    fn from(error: StateError) -> CliError {
        let exit = match &error {
            StateError::UnknownAccount(_) | StateError::Invalid(_) => Exit::Usage,
            _ => Exit::Failure,
        };
        CliError::new(exit, error.to_string())
    }
}
