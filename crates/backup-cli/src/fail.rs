//! Errors of the command line: one or two sentences that say what to do,
//! and a documented exit code per kind of failure, for scripts. Every
//! workflow error maps here once, by its kind.

use std::fmt;
use std::process::ExitCode;

use backup_workflows::{Error, ErrorKind};

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
    /// `health`: an account's health is red (its last verified copy is
    /// older than the plan allows, or it never had one in that time).
    Unhealthy = 9,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

impl From<ErrorKind> for Exit {
    fn from(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::InvalidInput
            | ErrorKind::NoAccount
            | ErrorKind::TermsRequired
            | ErrorKind::ConnectionMissing
            | ErrorKind::KeyMissing
            | ErrorKind::KeyInvalid
            | ErrorKind::PassphraseRequired
            | ErrorKind::PassphraseWrong
            | ErrorKind::CopyExists
            | ErrorKind::AccountExists => Exit::Usage,
            ErrorKind::Unauthorized | ErrorKind::Forbidden | ErrorKind::SftpAuth => Exit::Auth,
            ErrorKind::UnknownHostKey | ErrorKind::HostKeyChanged => Exit::HostKey,
            ErrorKind::Cooldown | ErrorKind::RequestInProgress => Exit::Cooldown,
            ErrorKind::NotReady | ErrorKind::Expired => Exit::NotReady,
            ErrorKind::VerifyFailed | ErrorKind::ArchiveDamaged => Exit::Verification,
            ErrorKind::Network => Exit::Network,
            ErrorKind::NotFound
            | ErrorKind::KeychainUnavailable
            | ErrorKind::KeychainLocked
            | ErrorKind::Disk
            | ErrorKind::Cancelled
            | ErrorKind::Busy
            | ErrorKind::Internal
            | ErrorKind::Failed => Exit::Failure,
        }
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

impl From<Error> for CliError {
    fn from(error: Error) -> CliError {
        CliError::new(error.kind().into(), error.to_string())
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_can_tell_failures_apart_by_exit_code() {
        let cases = [
            (ErrorKind::Cooldown, 5),
            (ErrorKind::UnknownHostKey, 4),
            (ErrorKind::HostKeyChanged, 4),
            (ErrorKind::Unauthorized, 3),
            (ErrorKind::NotReady, 6),
            (ErrorKind::VerifyFailed, 7),
            (ErrorKind::Network, 8),
            (ErrorKind::TermsRequired, 2),
            (ErrorKind::AccountExists, 2),
            (ErrorKind::CopyExists, 2),
            (ErrorKind::KeychainLocked, 1),
            (ErrorKind::Internal, 1),
        ];
        for (kind, code) in cases {
            assert_eq!(Exit::from(kind) as u8, code, "{kind:?}");
        }
    }

    #[test]
    fn a_panicked_task_is_an_internal_failure_not_bad_input() {
        let error = CliError::from(Error::Internal("the engine panicked".into()));
        assert_eq!(error.exit, Exit::Failure);
        assert!(error.message.contains("report"), "{}", error.message);
    }
}
