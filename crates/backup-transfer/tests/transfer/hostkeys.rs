//! The server's identity is checked before anything else happens.

use backup_transfer::{CancelToken, HostKeyPolicy, TransferError, download};

use crate::support::{Served, listing};

#[test]
fn a_changed_host_key_is_refused_and_nothing_is_downloaded() {
    let served = Served::new(10_000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.host_keys = HostKeyPolicy {
        pinned: Some("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s".into()),
        ..HostKeyPolicy::default()
    };
    match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(error @ TransferError::HostKeyChanged { .. }) => {
            assert!(error.to_string().contains("identity changed"), "{error}")
        }
        other => panic!("a changed key must be refused: {other:?}"),
    }
    assert!(listing(dest.path()).is_empty(), "nothing downloaded");
}

#[test]
fn an_unknown_host_needs_the_callers_decision() {
    let served = Served::new(10_000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.host_keys = HostKeyPolicy {
        published: served.server.host_key_fingerprints.clone(),
        ..HostKeyPolicy::default()
    };
    let fingerprint = match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::UnknownHostKey {
            fingerprint,
            matches_published,
            ..
        }) => {
            assert!(matches_published, "the provider published this key");
            fingerprint
        }
        other => panic!("never auto-accept: {other:?}"),
    };
    assert!(listing(dest.path()).is_empty());
    assert_eq!(
        fingerprint, served.server.host_key_fingerprints[0],
        "the same notation as ssh-keygen -l"
    );
    spec.host_keys.accept = Some(fingerprint);
    download(&spec, &mut |_| {}, &CancelToken::new()).expect("accepted by the user");
}
