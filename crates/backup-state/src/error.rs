//! The local state's one error type.

/// What can go wrong with the local database.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("the local database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("cannot use {path}: {message}")]
    Io { path: String, message: String },
    #[error("no account {0} is configured")]
    UnknownAccount(i64),
    #[error("{0}")]
    Invalid(String),
}
