//! What a provider's plan allows: how often a backup may be requested, how
//! long a ready one can be downloaded, and who may do what.
//!
//! Policy always comes from the provider, per account and plan; nothing here
//! hard-codes 28 or 10 days (see `BackupPolicy::reference_default` for the
//! reference provider's default plan).

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// The request cooldown and download window of an account's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupPolicy {
    /// The plan's name, as the provider calls it.
    pub plan: String,
    /// Time that must pass after a request before the next one.
    #[serde(with = "seconds", rename = "cooldown_seconds")]
    pub cooldown: TimeDelta,
    /// How long a ready backup can be downloaded.
    #[serde(with = "seconds", rename = "download_window_seconds")]
    pub download_window: TimeDelta,
    /// Whether a request that ended in a server error re-opens requesting at once.
    pub server_error_reopens: bool,
}

impl BackupPolicy {
    /// The reference provider's default plan: the SoftExpert rules
    /// (28-day cooldown, 10-day window, server error re-opens).
    pub fn reference_default() -> BackupPolicy {
        BackupPolicy {
            plan: "enterprise".into(),
            cooldown: TimeDelta::days(28),
            download_window: TimeDelta::days(10),
            server_error_reopens: true,
        }
    }
}

/// A person's role in one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Has every permission and cannot be edited.
    Owner,
    /// May request and download backups.
    Admin,
    /// May only list backups.
    Viewer,
}

impl Role {
    /// Whether this role may request a new backup.
    pub fn may_request(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Whether this role may accept the terms and download.
    pub fn may_download(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// The wire value.
    pub fn as_wire(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a wire value; `None` for an unknown role.
    pub fn from_wire(raw: &str) -> Option<Role> {
        match raw {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// Serializes a [`TimeDelta`] as whole seconds.
pub mod seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &TimeDelta, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(value.num_seconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TimeDelta, D::Error> {
        let secs = i64::deserialize(deserializer)?;
        if secs < 0 {
            return Err(serde::de::Error::custom("a duration cannot be negative"));
        }
        TimeDelta::try_seconds(secs)
            .ok_or_else(|| serde::de::Error::custom("a duration out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_travels_as_seconds_with_the_contract_names() {
        let json = serde_json::to_value(BackupPolicy::reference_default()).expect("json");
        assert_eq!(json["cooldown_seconds"], 28 * 86_400);
        assert_eq!(json["download_window_seconds"], 10 * 86_400);
        assert_eq!(json["server_error_reopens"], true);
        let back: BackupPolicy = serde_json::from_value(json).expect("parse");
        assert_eq!(back, BackupPolicy::reference_default());
    }

    #[test]
    fn only_owners_and_admins_may_request_or_download() {
        assert!(Role::Owner.may_request() && Role::Owner.may_download());
        assert!(Role::Admin.may_request() && Role::Admin.may_download());
        assert!(!Role::Viewer.may_request() && !Role::Viewer.may_download());
        assert_eq!(
            Role::from_wire("superuser"),
            None,
            "unknown roles grant nothing"
        );
    }
}
