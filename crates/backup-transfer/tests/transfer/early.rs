//! The first session's connection made early (while the provider's API
//! answers): used when it goes where the spec says, and checked like any.

use backup_transfer::{
    CancelToken, HostKeyPolicy, PrivateKey, TransferError, connect_early, download_after,
};
use std::time::Duration;
use test_support::proxy::{Direction, FaultProxy};

use test_support::sshd::{ClientKey, KeyKind, SshServer};

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

#[test]
fn an_early_login_with_the_pinned_key_carries_the_download_without_a_second_login() {
    let served = Served::new(2 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.streams = 1;
    let pin = spec.host_keys.pinned.clone().expect("pinned");
    let early = connect_early(&spec.endpoint, &spec.options.timeouts)
        .expect("handshake")
        .log_in_if_pinned(&pin, &spec.key, &spec.endpoint, &spec.options.timeouts)
        .expect("logged in");
    assert!(early.is_logged_in(), "{early:?}");
    // A key the server refuses: had the engine logged in again, it would fail.
    let stranger = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    spec.key = PrivateKey::new(
        String::from_utf8(stranger.private_pem.clone()).expect("pem"),
        None,
    );
    let done =
        download_after(&spec, Some(early), &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(proxy.connections(), 1, "one connection, logged in once");
}

#[test]
fn an_early_login_never_skips_the_host_key_check_of_the_delivery() {
    let served = Served::new(100_000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    let pin = spec.host_keys.pinned.clone().expect("pinned");
    let early = connect_early(&spec.endpoint, &spec.options.timeouts)
        .expect("handshake")
        .log_in_if_pinned(&pin, &spec.key, &spec.endpoint, &spec.options.timeouts)
        .expect("logged in");
    assert!(early.is_logged_in());
    // The provider no longer publishes the pinned key (the application then
    // drops the pin from the policy): the session logged in early is refused.
    spec.host_keys = HostKeyPolicy {
        pinned: None,
        published: vec!["SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s".into()],
        accept: None,
    };
    match download_after(&spec, Some(early), &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::HostKeyChanged { actual, .. }) => assert_eq!(actual, pin),
        other => panic!("a key the provider no longer publishes must be refused: {other:?}"),
    }
    assert!(listing(dest.path()).is_empty(), "nothing downloaded");
}

#[test]
fn a_server_without_the_pinned_key_gets_no_early_login() {
    let served = Served::new(10_000);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let spec = served.spec_via(proxy.port, dest.path());
    let early = connect_early(&spec.endpoint, &spec.options.timeouts).expect("handshake");
    let sent = proxy.forwarded(Direction::Up);
    let early = early
        .log_in_if_pinned(
            "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
            &spec.key,
            &spec.endpoint,
            &spec.options.timeouts,
        )
        .expect("kept for the full check");
    assert!(!early.is_logged_in());
    assert_eq!(
        proxy.forwarded(Direction::Up),
        sent,
        "not a byte of a login sent to an unknown key"
    );
}

#[test]
fn a_refused_early_login_is_dropped_and_the_download_says_why() {
    let served = Served::new(10_000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    let stranger = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    spec.key = PrivateKey::new(
        String::from_utf8(stranger.private_pem.clone()).expect("pem"),
        None,
    );
    let pin = spec.host_keys.pinned.clone().expect("pinned");
    let early = connect_early(&spec.endpoint, &spec.options.timeouts)
        .expect("handshake")
        .log_in_if_pinned(&pin, &spec.key, &spec.endpoint, &spec.options.timeouts);
    assert!(early.is_none(), "a refused login is not kept");
    match download_after(&spec, early, &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::AuthFailed(why)) => assert!(why.contains("did not accept"), "{why}"),
        other => panic!("the refusal must be said: {other:?}"),
    }
}

/// Logging in and starting SFTP takes the fewest round trips SSH allows:
/// the service request, the login, SFTP's channel open and its subsystem
/// request travel in one flight (libssh2 patched, see `vendor/libssh2-sys`),
/// for every key type, RSA included (whose signature depends on what the
/// server announced). Counted as the client's flights through a long link.
#[test]
fn the_login_travels_with_the_service_request_and_the_channel_open() {
    for kind in [KeyKind::Ed25519, KeyKind::RsaPem, KeyKind::Ecdsa] {
        let served = Served::with_key(ClientKey::generate(kind, None).expect("key"), 1000);
        let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
        proxy.set_link(Duration::from_millis(200), None);
        let dest = tempfile::tempdir().expect("dest");
        let spec = served.spec_via(proxy.port, dest.path());
        let pin = spec.host_keys.pinned.clone().expect("pinned");
        let early = connect_early(&spec.endpoint, &spec.options.timeouts)
            .expect("handshake")
            .log_in_if_pinned(&pin, &spec.key, &spec.endpoint, &spec.options.timeouts)
            .expect("kept");
        assert!(early.is_logged_in(), "{kind:?}: {early:?}");
        // The banner, the key-exchange offer, the exchange; then NEWKEYS,
        // the service request, the login, the channel open and the
        // subsystem request together; SFTP's INIT. With the subsystem
        // request awaiting the channel's number, 6; stock libssh2 takes 8
        // (service, login and channel one after another). A loaded machine
        // can only merge flights (the client answering late), never split
        // them.
        let flights = proxy.client_flights();
        assert_eq!(flights.len(), 1, "one connection");
        assert!(flights[0] <= 5, "{kind:?}: {flights:?} flights");
    }
}

/// The file's open travels with SFTP's `SSH_FXP_INIT` (libssh2 patched, see
/// `vendor/libssh2-sys`): their answers come back together, so the first
/// reads go out one flight after the login's (INIT, the open and the
/// reads, once the subsystem request that went with the login is
/// answered). Counted for a whole small download through a long link, its
/// end included.
#[test]
fn the_file_is_opened_in_the_flight_that_starts_sftp() {
    let served = Served::new(1000);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_link(Duration::from_millis(200), None);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.streams = 1;
    let done = download_after(&spec, None, &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(std::fs::read(&done.path).expect("read"), served.contents);
    // Banner, key-exchange offer, exchange, login with the channel open
    // and the subsystem request; INIT, the open and the first reads; the
    // close. With the subsystem request awaiting the channel's number, 7;
    // with the reads awaiting the open's handle too, 8; with the version
    // awaited before the open too (stock libssh2), 9.
    let flights = proxy.client_flights();
    assert_eq!(flights.len(), 1, "one connection");
    assert!(flights[0] <= 6, "{flights:?} flights");
}

/// An account limited to SFTP, as providers set them up
/// (`ForceCommand internal-sftp`): the subsystem request sent with the
/// channel's open, on the guessed channel number, starts it at once; no
/// second connection.
#[test]
fn the_subsystem_request_sent_with_the_open_starts_sftp_for_an_sftp_only_account() {
    let served = Served::new(300_000);
    let server = SshServer::start_with(&[&served.key], "ForceCommand internal-sftp -d {served}")
        .expect("sshd");
    download_whole_with_one_session(&served, &server, 0);
    assert_eq!(server.logins(), 1, "no second connection without the guess");
}

#[test]
fn reads_sent_with_the_open_to_a_server_with_other_handles_are_asked_again() {
    // The first reads go with the open and name the handle OpenSSH's
    // sftp-server gives the first file (see vendor/libssh2-sys/PATCHES.md).
    // A server behind OpenSSH's sshd that gives another handle answers them
    // with errors: they are dropped, the reads are asked again with its
    // handle, and the download is whole and exact, with no second try.
    let log = stand_in_download(false, 0);
    assert!(
        log.lines().count() > 1 && log.contains(r"b'\x00\x00\x00\x00'"),
        "the first reads named a handle this server never gave: {log:?}"
    );
}

#[test]
fn reads_sent_with_the_open_that_fail_are_a_read_error_a_new_session_gets_over() {
    // A server that gives the guessed handle but fails the reads sent with
    // the open (as one that ran them before the open would): the kept reads
    // answer with errors, the session reads again on a new connection (whose
    // reads wait for its open), and the download is whole and exact.
    let log = stand_in_download(true, 1);
    assert!(
        log.contains("failed read"),
        "the first connection's reads failed: {log:?}"
    );
}

/// Downloads a file of a few MiB with one session and `retries` second
/// tries from OpenSSH's sshd running the tests' own SFTP server
/// (`fixtures/sftp_other_handles.py`: handles other than OpenSSH's; with
/// `fail_first`, the guessed handle and every read failed, once); expects
/// it whole and exact, and returns the server's log of the reads it
/// refused.
fn stand_in_download(fail_first: bool, retries: u32) -> String {
    let served = Served::new(3 * 1024 * 1024 + 17);
    let bin = tempfile::tempdir().expect("bin");
    let log = bin.path().join("reads.log");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/transfer/fixtures/sftp_other_handles.py"
    );
    let mut command = format!("python3 {script} {{served}} {}", log.display());
    if fail_first {
        command += &format!(" {}", bin.path().join("failed-once").display());
    }
    let server = SshServer::start_with_sftp_command(&[&served.key], &command).expect("sshd");
    download_whole_with_one_session(&served, &server, retries);
    std::fs::read_to_string(&log).unwrap_or_default()
}

/// Puts `served`'s file on `server` and downloads it with one session and
/// `retries` second tries; expects it whole and exact.
fn download_whole_with_one_session(served: &Served, server: &SshServer, retries: u32) {
    server
        .put_file(&served.remote, &served.contents)
        .expect("put");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_for(server, dest.path());
    spec.options.streams = 1;
    spec.options.max_retries = retries;
    let done = download_after(&spec, None, &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(std::fs::read(&done.path).expect("read"), served.contents);
}
