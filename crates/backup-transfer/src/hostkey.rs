//! Host key verification, before authentication goes any further.
//!
//! Fingerprints are OpenSSH's: `SHA256:` + unpadded base64 of the SHA-256
//! of the key blob, exactly what `ssh-keygen -l` prints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::error::TransferError;

/// What the caller knows about the server's identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostKeyPolicy {
    /// The fingerprint pinned for this account (trusted earlier).
    pub pinned: Option<String>,
    /// Fingerprints the provider published for this server.
    pub published: Vec<String>,
    /// A fingerprint the user has just accepted after seeing it.
    pub accept: Option<String>,
}

/// `SHA256:…` of a SHA-256 host key hash as libssh2 returns it.
pub fn fingerprint_from_sha256(hash: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(hash))
}

/// Decides whether to go on with a server presenting `actual`.
///
/// A pin must match exactly. Without a pin the user must have accepted this
/// very fingerprint, and when the provider published fingerprints it must be
/// one of them: a server that differs from the provider's own word is never
/// trusted, whatever the user clicked.
/// The name people know a host key type by.
pub fn key_type_name(kind: ssh2::HostKeyType) -> &'static str {
    match kind {
        ssh2::HostKeyType::Rsa => "RSA",
        ssh2::HostKeyType::Dss => "DSA",
        ssh2::HostKeyType::Ecdsa256 => "ECDSA P-256",
        ssh2::HostKeyType::Ecdsa384 => "ECDSA P-384",
        ssh2::HostKeyType::Ecdsa521 => "ECDSA P-521",
        ssh2::HostKeyType::Ed25519 => "Ed25519",
        ssh2::HostKeyType::Unknown => "unknown",
    }
}

pub fn check(
    policy: &HostKeyPolicy,
    host: &str,
    actual: &str,
    key_type: &str,
) -> Result<(), TransferError> {
    if let Some(pinned) = &policy.pinned {
        return if pinned == actual {
            Ok(())
        } else {
            Err(TransferError::HostKeyChanged {
                expected: pinned.clone(),
                actual: actual.to_owned(),
                key_type: key_type.to_owned(),
            })
        };
    }
    let matches_published = policy.published.iter().any(|p| p == actual);
    if !policy.published.is_empty() && !matches_published {
        return Err(TransferError::HostKeyChanged {
            expected: policy.published.join(" or "),
            actual: actual.to_owned(),
            key_type: key_type.to_owned(),
        });
    }
    if policy.accept.as_deref() == Some(actual) {
        return Ok(());
    }
    Err(TransferError::UnknownHostKey {
        host: host.to_owned(),
        fingerprint: actual.to_owned(),
        key_type: key_type.to_owned(),
        matches_published,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    const B: &str = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

    #[test]
    fn the_empty_hash_has_openssh_notation() {
        use sha2::Digest;
        assert_eq!(fingerprint_from_sha256(&sha2::Sha256::digest(b"")), A);
    }

    #[test]
    fn a_pin_must_match_exactly() {
        let policy = HostKeyPolicy {
            pinned: Some(A.into()),
            ..Default::default()
        };
        assert!(check(&policy, "h", A, "Ed25519").is_ok());
        assert!(matches!(
            check(&policy, "h", B, "Ed25519"),
            Err(TransferError::HostKeyChanged { .. })
        ));
    }

    #[test]
    fn an_unknown_host_is_never_accepted_without_the_users_decision() {
        let policy = HostKeyPolicy {
            published: vec![A.into()],
            ..Default::default()
        };
        match check(&policy, "h", A, "Ed25519") {
            Err(TransferError::UnknownHostKey {
                matches_published: true,
                fingerprint,
                ..
            }) => assert_eq!(fingerprint, A),
            other => panic!("must ask the user first: {other:?}"),
        }
        let accepted = HostKeyPolicy {
            accept: Some(A.into()),
            ..policy
        };
        assert!(check(&accepted, "h", A, "Ed25519").is_ok());
    }

    #[test]
    fn a_key_the_provider_did_not_publish_is_refused_even_if_clicked() {
        let policy = HostKeyPolicy {
            published: vec![A.into()],
            accept: Some(B.into()),
            ..Default::default()
        };
        assert!(matches!(
            check(&policy, "h", B, "Ed25519"),
            Err(TransferError::HostKeyChanged { .. })
        ));
    }
}
