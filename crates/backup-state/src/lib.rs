//! The app's and the CLI's local state, in one SQLite file in the
//! platform's app-data dir: accounts (provider URL, account id, name,
//! role), the SFTP connection of each account (host, port, username — not
//! secret), pinned host key fingerprints, downloads, and an append-only
//! audit log. Secrets never come here: keys, passphrases and tokens live in
//! the OS keychain. The app and the CLI may use the file at the same time
//! (WAL, busy timeout). Time is passed in.

mod audit;
mod error;
mod store;

pub use audit::{AuditEntry, AuditEvent};
pub use error::StateError;
pub use store::{AccountRecord, DownloadRecord, LocalState, SftpConnection};

/// Where an account's archives go unless a folder was chosen: the user's
/// Downloads folder under `Backup Desk/<account>`, else the app's data dir.
/// The app and the CLI share it, so either can resume the other's download.
pub fn default_download_dir(
    app_data_dir: &std::path::Path,
    account_id: &str,
) -> std::path::PathBuf {
    dirs::download_dir()
        .map(|d| d.join("Backup Desk"))
        .unwrap_or_else(|| app_data_dir.join("downloads"))
        .join(account_id)
}
