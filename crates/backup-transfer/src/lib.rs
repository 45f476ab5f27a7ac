//! The SFTP download engine of Backup Desk.
//!
//! A ready backup is downloaded over N parallel SSH sessions (ssh2 on the
//! bundled libssh2 with OpenSSL), after the server's host key has been
//! checked and before anything else happens. Bytes land in the backup's
//! partial file, `.<backup id>.part`, locked for the whole run so the app and
//! the command line never download one backup at once, with a journal
//! beside it, so a cut, a server restart or a killed app resumes where it
//! stopped; the SHA-256 is computed as the completed prefix grows and must
//! equal the provider's before the file gets its final, safe,
//! never-overwriting, user-only name.
//!
//! Everything here blocks: async callers run it on `spawn_blocking` or a
//! thread of their own.

mod engine;
mod error;
pub mod files;
mod hostkey;
mod io_at;
pub mod journal;
mod names;
mod partial;
mod progress;
mod session;

pub use engine::{
    DownloadSpec, Downloaded, TransferOptions, download, download_after, test_connection,
};
pub use error::TransferError;
pub use hostkey::{HostKeyPolicy, fingerprint_from_sha256};
pub use journal::is_sha256_hex;
pub use partial::{discard_partial, partial_paths, resumable_bytes};
pub use progress::{CancelToken, Progress};
pub use session::{EarlyConnection, Endpoint, PrivateKey, Timeouts, connect_early};
