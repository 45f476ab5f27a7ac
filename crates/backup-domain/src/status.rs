//! The lifecycle status of a backup, as it travels on the wire.
//!
//! Providers may add statuses this client does not know yet; those parse as
//! [`BackupStatus::Unknown`] (shown as "Invalid value"), never as an error.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a backup is in its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BackupStatus {
    /// Requested; waiting for the provider's cloud team to release it.
    AwaitingRelease,
    /// Being prepared.
    InProgress,
    /// Generated and downloadable until its download window ends.
    Ready,
    /// The download window has passed.
    Expired,
    /// The provider failed while generating it.
    ServerError,
    /// A value this client does not know, kept verbatim.
    Unknown(String),
}

impl BackupStatus {
    /// The wire value.
    pub fn as_wire(&self) -> &str {
        match self {
            BackupStatus::AwaitingRelease => "awaiting_release",
            BackupStatus::InProgress => "in_progress",
            BackupStatus::Ready => "ready",
            BackupStatus::Expired => "expired",
            BackupStatus::ServerError => "server_error",
            BackupStatus::Unknown(raw) => raw,
        }
    }

    /// Parses a wire value; unknown values become [`BackupStatus::Unknown`].
    pub fn from_wire(raw: &str) -> BackupStatus {
        match raw {
            "awaiting_release" => BackupStatus::AwaitingRelease,
            "in_progress" => BackupStatus::InProgress,
            "ready" => BackupStatus::Ready,
            "expired" => BackupStatus::Expired,
            "server_error" => BackupStatus::ServerError,
            other => BackupStatus::Unknown(other.to_owned()),
        }
    }

    /// Whether the request is still being worked on (blocks a new request).
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            BackupStatus::AwaitingRelease | BackupStatus::InProgress
        )
    }
}

impl fmt::Display for BackupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

impl Serialize for BackupStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_wire())
    }
}

impl<'de> Deserialize<'de> for BackupStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(BackupStatus::from_wire(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_statuses_round_trip_through_the_wire() {
        for raw in [
            "awaiting_release",
            "in_progress",
            "ready",
            "expired",
            "server_error",
        ] {
            let status = BackupStatus::from_wire(raw);
            assert!(
                !matches!(status, BackupStatus::Unknown(_)),
                "{raw} is a known status"
            );
            assert_eq!(status.as_wire(), raw);
        }
    }

    #[test]
    fn a_new_status_from_the_provider_parses_as_unknown_instead_of_failing() {
        let parsed: BackupStatus =
            serde_json::from_str("\"archived_to_glacier\"").expect("never fails");
        assert_eq!(parsed, BackupStatus::Unknown("archived_to_glacier".into()));
        assert_eq!(
            serde_json::to_string(&parsed).expect("json"),
            "\"archived_to_glacier\""
        );
    }

    #[test]
    fn only_awaiting_release_and_in_progress_are_pending() {
        assert!(BackupStatus::AwaitingRelease.is_pending());
        assert!(BackupStatus::InProgress.is_pending());
        for done in [
            BackupStatus::Ready,
            BackupStatus::Expired,
            BackupStatus::ServerError,
        ] {
            assert!(!done.is_pending(), "{done} is finished");
        }
    }
}
