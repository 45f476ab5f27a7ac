//! The contract's payloads, as the client reads them. Unknown statuses parse
//! as `BackupStatus::Unknown` and unknown fields are ignored, so a provider
//! that adds to the contract never breaks the app.

use backup_domain::{BackupPolicy, BackupStatus, RequestGate, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who a person is, by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// The person a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// One account the person belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub account_id: String,
    pub account_name: String,
    pub plan: String,
    /// `None` for a role this client does not know (treated as the least privileged).
    #[serde(deserialize_with = "lenient_role")]
    pub role: Option<Role>,
}

fn lenient_role<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Role>, D::Error> {
    let raw = String::deserialize(d)?;
    Ok(Role::from_wire(&raw))
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub person: Person,
    pub accounts: Vec<Membership>,
}

/// One backup of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    pub status: BackupStatus,
    pub requested_at: DateTime<Utc>,
    pub requested_by: PersonRef,
    pub status_changed_at: DateTime<Utc>,
    #[serde(default)]
    pub ready_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub size_bytes: Option<u64>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

impl Backup {
    /// The name its archive is saved under: the provider's suggestion, else `<id>.zip`
    /// (the engine sanitizes it). The app and the CLI must agree on it to resume.
    pub fn local_file_name(&self) -> String {
        self.file_name
            .clone()
            .unwrap_or_else(|| format!("{}.zip", self.id))
    }
}

/// `GET /v1/accounts/{account}/backups`: a page of the history, the gate and the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupPage {
    pub backups: Vec<Backup>,
    pub next_cursor: Option<String>,
    pub gate: RequestGate,
    pub policy: BackupPolicy,
    pub server_time: DateTime<Utc>,
}

/// The current download terms and whether this person accepted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadTerms {
    pub version: String,
    pub text: String,
    pub accepted: bool,
    #[serde(default)]
    pub accepted_at: Option<DateTime<Utc>>,
}

/// A recorded acceptance of the terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsAcceptance {
    pub terms_version: String,
    pub accepted_at: DateTime<Utc>,
    pub accepted_by: PersonRef,
}

/// Where a ready backup can be downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SftpLocation {
    pub host: String,
    pub port: u16,
    pub remote_path: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub host_key_fingerprints: Vec<String>,
}

/// The terms in force for a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryTerms {
    pub version: String,
    pub text: String,
}

/// `GET …/delivery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub backup_id: String,
    pub terms: DeliveryTerms,
    pub sftp: SftpLocation,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}
