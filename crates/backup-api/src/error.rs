//! The client's errors: a provider's problem response keeps its `code`, so
//! callers branch on the code, never on message text.

use chrono::{DateTime, Utc};

/// The stable problem codes of the contract, plus any code a newer provider sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    InvalidRequest,
    CooldownActive,
    RequestInProgress,
    NotReady,
    Expired,
    TermsNotAccepted,
    TermsVersionMismatch,
    IdempotencyConflict,
    PayloadTooLarge,
    Internal,
    Other(String),
}

impl ProblemCode {
    pub fn from_wire(raw: &str) -> ProblemCode {
        match raw {
            "unauthenticated" => ProblemCode::Unauthenticated,
            "forbidden" => ProblemCode::Forbidden,
            "not_found" => ProblemCode::NotFound,
            "invalid_request" => ProblemCode::InvalidRequest,
            "cooldown_active" => ProblemCode::CooldownActive,
            "request_in_progress" => ProblemCode::RequestInProgress,
            "not_ready" => ProblemCode::NotReady,
            "expired" => ProblemCode::Expired,
            "terms_not_accepted" => ProblemCode::TermsNotAccepted,
            "terms_version_mismatch" => ProblemCode::TermsVersionMismatch,
            "idempotency_conflict" => ProblemCode::IdempotencyConflict,
            "payload_too_large" => ProblemCode::PayloadTooLarge,
            "internal" => ProblemCode::Internal,
            other => ProblemCode::Other(other.to_owned()),
        }
    }
}

/// Why a call to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The provider answered with a problem (RFC 9457).
    #[error("{detail}")]
    Problem {
        status: u16,
        code: ProblemCode,
        detail: String,
        next_allowed_at: Option<DateTime<Utc>>,
        terms_version: Option<String>,
    },
    /// The provider could not be reached or the connection broke (after retries).
    #[error(
        "The provider at {host} could not be reached: {message}. Check the network and try again."
    )]
    Network { host: String, message: String },
    /// The provider answered something that is not the contract.
    #[error("The provider's answer was not understood ({0}); it may run an incompatible version.")]
    Decode(String),
    /// The provider URL is not acceptable.
    #[error("{0}")]
    InvalidUrl(String),
    /// A redirect to another host was refused (the token is never sent elsewhere).
    #[error(
        "The provider redirected to another host ({0}); refused so the token is not sent there."
    )]
    RedirectRefused(String),
    /// A redirect from https to plain http was refused (the token never travels unencrypted).
    #[error(
        "The provider redirected to a plain http:// address ({0}); refused so the token is never sent unencrypted. Contact the provider."
    )]
    InsecureRedirect(String),
    /// The provider's TLS certificate failed verification against the system's trusted roots.
    #[error(
        "The certificate of the provider at {host} was not accepted ({reason}). If your company inspects TLS traffic, make sure its root certificate is installed in the system's certificate store."
    )]
    Certificate { host: String, reason: String },
    /// An answer was larger than any answer of the contract; reading stopped at the limit.
    #[error(
        "The provider's answer was larger than {}; it may be faulty. Try again later or contact the provider.",
        size_text(*.limit_bytes)
    )]
    AnswerTooLarge { limit_bytes: u64 },
    /// Following the history's cursors did not end (too many pages, or a cursor came back).
    #[error(
        "The provider kept sending more pages of backups ({0}); it may be faulty. Try again later or contact the provider."
    )]
    EndlessHistory(String),
}

/// `8 MiB`, `64 KiB` or `512 bytes`.
fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

impl ApiError {
    /// The problem code, when the provider answered with one.
    pub fn code(&self) -> Option<&ProblemCode> {
        match self {
            ApiError::Problem { code, .. } => Some(code),
            _ => None,
        }
    }
}
