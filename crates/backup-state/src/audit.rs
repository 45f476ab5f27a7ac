//! What the audit log records: who did what, when, on which account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    RequestMade {
        backup_id: String,
    },
    TermsAccepted {
        backup_id: String,
        version: String,
    },
    HostKeyAccepted {
        host: String,
        fingerprint: String,
    },
    HostKeyRejected {
        host: String,
        fingerprint: String,
    },
    DownloadStarted {
        backup_id: String,
    },
    DownloadResumed {
        backup_id: String,
        from_bytes: u64,
    },
    DownloadFinished {
        backup_id: String,
        path: String,
    },
    DownloadVerified {
        backup_id: String,
        sha256: String,
    },
    DownloadFailed {
        backup_id: String,
        reason: String,
    },
    /// The downloaded archive was opened and every entry read: `intact`, or
    /// the problem found (an archive damaged at the provider).
    ArchiveChecked {
        backup_id: String,
        intact: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
        /// CSV records in the whole archive (headers excluded).
        rows: u64,
    },
    /// An object's records dropped sharply (or it disappeared) since the
    /// previous intact backup: an early sign of a mass deletion.
    ChangeAlert {
        backup_id: String,
        previous_backup_id: String,
        object: String,
        before: u64,
        /// `None`: the object is missing from this backup.
        after: Option<u64>,
    },
    /// The person consented to accept this terms version automatically.
    AutomaticTermsConsented {
        version: String,
    },
    /// The person withdrew the consent to accept this version automatically.
    AutomaticTermsWithdrawn {
        version: String,
    },
}

impl AuditEvent {
    /// A download begins: afresh, or resuming from `resumed_from` bytes on disk.
    pub fn download_begins(backup_id: &str, resumed_from: Option<u64>) -> AuditEvent {
        match resumed_from {
            Some(from_bytes) => AuditEvent::DownloadResumed {
                backup_id: backup_id.to_owned(),
                from_bytes,
            },
            None => AuditEvent::DownloadStarted {
                backup_id: backup_id.to_owned(),
            },
        }
    }

    /// The event's kind, as stored in its own column for filtering.
    pub fn kind(&self) -> &'static str {
        match self {
            AuditEvent::RequestMade { .. } => "request_made",
            AuditEvent::TermsAccepted { .. } => "terms_accepted",
            AuditEvent::HostKeyAccepted { .. } => "host_key_accepted",
            AuditEvent::HostKeyRejected { .. } => "host_key_rejected",
            AuditEvent::DownloadStarted { .. } => "download_started",
            AuditEvent::DownloadResumed { .. } => "download_resumed",
            AuditEvent::DownloadFinished { .. } => "download_finished",
            AuditEvent::DownloadVerified { .. } => "download_verified",
            AuditEvent::DownloadFailed { .. } => "download_failed",
            AuditEvent::ArchiveChecked { .. } => "archive_checked",
            AuditEvent::ChangeAlert { .. } => "change_alert",
            AuditEvent::AutomaticTermsConsented { .. } => "automatic_terms_consented",
            AuditEvent::AutomaticTermsWithdrawn { .. } => "automatic_terms_withdrawn",
        }
    }
}

/// A row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The local account id, when the event concerns one.
    pub account: Option<i64>,
    /// Who did it (the person's name or id at the provider, or "auto").
    pub actor: String,
    pub event: AuditEvent,
}
