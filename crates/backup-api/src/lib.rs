//! The typed client of the provider API (`api/openapi.yaml`), shared by the
//! desktop app and the CLI. It never logs or prints the token.

mod client;
mod error;
pub mod types;

pub use client::{ApiClient, ClientConfig, Token, check_provider_url, new_idempotency_key};
pub use error::{ApiError, ProblemCode};
pub use types::{
    Backup, BackupPage, Delivery, DeliveryTerms, DownloadTerms, Me, Membership, Person, PersonRef,
    SftpLocation, TermsAcceptance,
};
