//! The app's and the CLI's local state, in one SQLite file in the
//! platform's app-data dir: accounts (provider URL, account id, name,
//! role), the SFTP connection of each account (host, port, username — not
//! secret), pinned host key fingerprints, downloads, and an append-only
//! audit log. Secrets never come here: keys, passphrases and tokens live in
//! the OS keychain. The app and the CLI may use the file at the same time
//! (WAL, busy timeout). Time is passed in.

mod archives;
mod audit;
mod error;
mod store;

pub use archives::{ArchiveRecord, ChangeRecord, ManifestEntry};
pub use audit::{AuditEntry, AuditEvent};
pub use error::StateError;
pub use store::{AccountRecord, DownloadRecord, LocalState, SftpConnection};
