//! The rules every part of Backup Desk agrees on: what a backup's status
//! means, when a new request is allowed, how long a ready backup can be
//! downloaded, which changes between two backups deserve an alert, and how
//! healthy an account's backups are. Nothing here reads the clock: callers
//! pass `now` in.

pub mod contents;
pub mod gate;
pub mod health;
pub mod ids;
pub mod policy;
pub mod status;
pub mod window;

pub use contents::{
    ChangeAlert, DEFAULT_DROP_ALERT_PERCENT, ObjectCount, compare, valid_threshold,
};
pub use gate::{GateReason, PastRequest, RequestGate, request_gate};
pub use health::{HealthInputs, HealthLevel, HealthReason, account_health};
pub use ids::is_valid_id;
pub use policy::{BackupPolicy, Role};
pub use status::BackupStatus;
pub use window::{DownloadWindow, EXPIRING_SOON, download_window, expires_at};
