//! The rules every part of Backup Desk agrees on: what a backup's status
//! means, when a new request is allowed, and how long a ready backup can be
//! downloaded. Nothing here reads the clock: callers pass `now` in.

pub mod gate;
pub mod ids;
pub mod policy;
pub mod status;
pub mod window;

pub use gate::{GateReason, PastRequest, RequestGate, request_gate};
pub use ids::is_valid_id;
pub use policy::{BackupPolicy, Role};
pub use status::BackupStatus;
pub use window::{DownloadWindow, EXPIRING_SOON, download_window, expires_at};
