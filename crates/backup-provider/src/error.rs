//! The provider's one error type. API handlers turn it into a problem
//! response; admin commands print it and exit non-zero.

/// What can go wrong inside the provider.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("this idempotency key was already used for another account")]
    IdempotencyConflict,
    #[error("internal error")]
    Internal,
}
