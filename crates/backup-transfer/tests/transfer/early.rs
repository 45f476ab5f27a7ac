//! The first session's connection made early (while the provider's API
//! answers): used when it goes where the spec says, and checked like any.

use backup_transfer::{CancelToken, HostKeyPolicy, TransferError, connect_early, download_after};
use test_support::proxy::FaultProxy;

use crate::support::{Served, listing, sha256_hex};

#[test]
fn an_early_connection_becomes_the_first_session() {
    let served = Served::new(3 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.streams = 1;
    let early = connect_early(&spec.endpoint, &spec.options.timeouts).expect("handshake");
    assert_eq!(proxy.connections(), 1);
    let shown = format!("{early:?}");
    assert!(shown.contains("127.0.0.1"), "{shown}");
    let done =
        download_after(&spec, Some(early), &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(
        proxy.connections(),
        1,
        "the early connection carried the download: no second one"
    );
}

#[test]
fn an_early_connection_to_another_address_is_not_used() {
    let served = Served::new(1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let direct = served.spec(dest.path());
    let early = connect_early(&direct.endpoint, &direct.options.timeouts).expect("handshake");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.streams = 1;
    let done =
        download_after(&spec, Some(early), &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(
        proxy.connections(),
        1,
        "its own connection, to the spec's address"
    );
}

#[test]
fn an_early_connection_meets_the_host_key_check_before_any_login() {
    let served = Served::new(10_000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.host_keys = HostKeyPolicy {
        pinned: Some("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s".into()),
        ..HostKeyPolicy::default()
    };
    let early = connect_early(&spec.endpoint, &spec.options.timeouts).expect("handshake");
    match download_after(&spec, Some(early), &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::HostKeyChanged { .. }) => {}
        other => panic!("a changed key must be refused: {other:?}"),
    }
    assert!(listing(dest.path()).is_empty(), "nothing downloaded");
}
