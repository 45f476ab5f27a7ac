//! What can go wrong in a download, typed so the app and the CLI can tell
//! the user what to do next.

use std::path::PathBuf;

/// A download's failure.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The server's host key differs from the pinned or published one.
    #[error(
        "The server's identity changed: it presented the {key_type} key {actual}, but {expected} was expected. \
         Nothing was downloaded. Ask your provider whether the server's key changed before trusting it."
    )]
    HostKeyChanged {
        expected: String,
        actual: String,
        /// The type of the key presented (e.g. "Ed25519").
        key_type: String,
    },
    /// The host is not known yet: the caller must show the fingerprint and let the user decide.
    #[error(
        "The server {host} is not known yet; its {key_type} key's fingerprint is {fingerprint}. Check it and trust it to continue."
    )]
    UnknownHostKey {
        host: String,
        fingerprint: String,
        /// The type of the key presented (e.g. "Ed25519").
        key_type: String,
        matches_published: bool,
    },
    /// The key was refused, or could not be used.
    #[error("{0}")]
    AuthFailed(String),
    /// The server refused access to the file.
    #[error("The server refused access to {0}. Ask your provider to check the file's permissions.")]
    PermissionDenied(String),
    /// The file is not on the server.
    #[error("{0} is not on the server (it may have expired). Refresh the list of backups.")]
    NotFound(String),
    /// Not enough room on the local disk.
    #[error(
        "Not enough free space in {dir}: {needed} bytes are needed and {available} are free. Free some space or pick another folder."
    )]
    DiskFull {
        dir: PathBuf,
        needed: u64,
        available: u64,
    },
    /// A local file could not be written.
    #[error("Could not write {path}: {message}")]
    LocalIo { path: PathBuf, message: String },
    /// The network failed (after retries); the partial file is kept for a resume.
    #[error("The connection to the server failed: {0}. The download can be resumed.")]
    Network(String),
    /// The downloaded file does not have the published checksum; it was discarded.
    #[error(
        "The downloaded file does not match the provider's checksum (expected {expected}, got {actual}); it was discarded. Try the download again."
    )]
    VerificationFailed { expected: String, actual: String },
    /// The file on the server is not the one the provider published.
    #[error(
        "The file on the server is not the one the provider published ({0}). Refresh the list of backups and try again."
    )]
    RemoteChanged(String),
    /// Another download of the same backup into the same folder holds its
    /// partial file (this app or the command line): nothing was touched.
    #[error(
        "Backup {backup_id} is already being downloaded into this folder (by this app or the command line). Wait for that download to finish."
    )]
    Busy { backup_id: String },
    /// The user cancelled; the partial file is kept unless discarded.
    #[error("The download was cancelled.")]
    Cancelled,
    /// The request itself is invalid (e.g. a bad stream count or backup id).
    #[error("{0}")]
    Invalid(String),
}

impl TransferError {
    /// Whether a retry of the same operation may succeed (network trouble).
    pub fn is_retryable(&self) -> bool {
        matches!(self, TransferError::Network(_))
    }

    pub(crate) fn local(path: &std::path::Path, error: impl std::fmt::Display) -> TransferError {
        TransferError::LocalIo {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    }
}
