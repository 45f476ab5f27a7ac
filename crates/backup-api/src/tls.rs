//! TLS: which certificates the client trusts, and what it says when one is
//! refused.
//!
//! The client trusts the operating system's certificate store (through
//! `rustls-platform-verifier`), so a company that inspects TLS traffic and has
//! installed its root certificate on its computers can use the app. A refused
//! certificate is reported as such, never as "could not connect", since the
//! fix (install the root, or ask the provider) is not a network fix.

use std::error::Error as StdError;
use std::sync::Arc;

use rustls::{CertificateError, Error as TlsError};
use rustls_platform_verifier::BuilderVerifierExt;

/// The rustls configuration that verifies with the system's store, or `None`
/// when the system has no store at all (the caller then keeps reqwest's
/// bundled roots: no company root can be missing from an absent store).
pub(crate) fn platform_config() -> Option<rustls::ClientConfig> {
    // The provider is named explicitly: the process may hold several, and a
    // choice made elsewhere must not decide how the token is protected.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_platform_verifier()
        .ok()?
        .with_no_client_auth();
    // reqwest negotiates its protocols only on configs it builds itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(config)
}

/// A TLS failure found in a request's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TlsFailure {
    /// The provider's certificate was refused; says why in plain words.
    Certificate(String),
    /// The secure connection could not be set up for another reason.
    Handshake(String),
}

/// The TLS failure behind `error`, if any.
pub(crate) fn failure(error: &reqwest::Error) -> Option<TlsFailure> {
    chain(error)
        .find_map(|e| e.downcast_ref::<TlsError>())
        .map(classify)
}

/// `error` and its sources, outermost first. An `io::Error`'s `source` skips
/// the error it wraps (where reqwest and tokio-rustls put the TLS error), so
/// the walk goes into it instead.
pub(crate) fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
        None => e.source(),
    })
}

fn classify(error: &TlsError) -> TlsFailure {
    match error {
        TlsError::InvalidCertificate(reason) => TlsFailure::Certificate(certificate_text(reason)),
        TlsError::NoCertificatesPresented => {
            TlsFailure::Certificate("the provider presented no certificate".into())
        }
        TlsError::InvalidCertRevocationList(_) => {
            TlsFailure::Certificate(format!("its revocation list is not valid: {error}"))
        }
        other => TlsFailure::Handshake(other.to_string()),
    }
}

fn certificate_text(reason: &CertificateError) -> String {
    match reason {
        CertificateError::UnknownIssuer => {
            "it was not issued by an authority this computer trusts".into()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet; check this computer's date and time".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "it was issued for another address".into()
        }
        CertificateError::Revoked => "it was revoked".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_store_is_used_where_there_is_one() {
        assert!(
            platform_config().is_some(),
            "this machine has a certificate store; the client must verify with it"
        );
    }

    #[test]
    fn a_certificate_failure_is_told_apart_from_other_tls_failures() {
        // As reqwest reports it: an io::Error around tokio-rustls' io::Error
        // around the rustls error.
        let unknown = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            TlsError::InvalidCertificate(CertificateError::UnknownIssuer),
        ));
        assert_eq!(
            chain(&unknown)
                .find_map(|e| e.downcast_ref::<TlsError>())
                .map(classify),
            Some(TlsFailure::Certificate(
                "it was not issued by an authority this computer trusts".into()
            )),
            "a rustls error nested in io::Errors must be found"
        );
        let garbled = TlsError::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert!(
            matches!(classify(&garbled), TlsFailure::Handshake(_)),
            "a garbled handshake is not the certificate's fault"
        );
    }
}
