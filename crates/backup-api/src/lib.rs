//! The typed client of the provider API (`api/openapi.yaml`), shared by the
//! desktop app and the CLI. It never logs or prints the token.

mod body;
mod client;
mod error;
mod paging;
mod problem;
mod redirect;
mod retry;
mod tls;
mod token;
pub mod types;

pub use client::{ApiClient, ClientConfig, new_idempotency_key};
pub use error::{ApiError, ProblemCode};
pub use token::{Token, check_provider_url};
pub use types::{
    Backup, BackupPage, Delivery, DeliveryTerms, DownloadTerms, Me, Membership, Person, PersonRef,
    SftpLocation, TermsAcceptance,
};
