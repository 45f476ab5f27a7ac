//! A local file belongs to one backup: its partial download is named after
//! the backup and locked while it runs, a damaged journal never resumes, and
//! what is recorded verified is what was hashed.

use std::time::{Duration, Instant};

use backup_transfer::{
    CancelToken, TransferError, discard_partial, download, partial_paths, resumable_bytes,
};
use test_support::proxy::{Direction, FaultProxy};

use crate::support::{BACKUP_ID, Served, listing, payload, sha256_hex};

/// Waits until `bytes` went down through `proxy` (the download is under way
/// and holds its partial file).
fn wait_for_bytes(proxy: &FaultProxy, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while proxy.forwarded(Direction::Down) < bytes {
        assert!(Instant::now() < deadline, "the download never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_download_of_the_same_backup_is_refused_while_the_first_completes() {
    let served = Served::new(6 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(3_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let slow = served.spec_via(proxy.port, dest.path());
    let first = std::thread::spawn(move || download(&slow, &mut |_| {}, &CancelToken::new()));
    wait_for_bytes(&proxy, 512 * 1024);

    // The same backup at once, as the command line would while the app downloads it.
    match download(&served.spec(dest.path()), &mut |_| {}, &CancelToken::new()) {
        Err(error @ TransferError::Busy { .. }) => assert!(
            error.to_string().contains("already being downloaded"),
            "the user is told why: {error}"
        ),
        other => {
            panic!("two downloaders of one backup would corrupt each other's partial: {other:?}")
        }
    }
    assert!(
        matches!(
            discard_partial(dest.path(), BACKUP_ID),
            Err(TransferError::Busy { .. })
        ),
        "a running download's partial is not deleted under it"
    );

    proxy.set_rate(None);
    let done = first
        .join()
        .expect("first downloader")
        .expect("the first download completes");
    assert_eq!(
        std::fs::read(&done.path).expect("read"),
        served.contents,
        "the first download is byte-exact despite the second attempt"
    );
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(listing(dest.path()), vec!["acme-archive.zip"]);
}

#[test]
fn two_backups_with_the_same_file_name_keep_their_own_bytes() {
    let served = Served::new(4 * 1024 * 1024);
    let size = served.contents.len() as u64;
    let other_contents = payload(3 * 1024 * 1024, 77);
    let other_remote = served
        .server
        .put_file("backups/other-archive.zip", &other_contents)
        .expect("put");
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");

    // Backup A is interrupted half-way: its partial download stays.
    let mut first = served.spec_via(proxy.port, dest.path());
    first.options.max_retries = 0;
    proxy.go_down_after_down_bytes(size / 2);
    let cut = download(&first, &mut |_| {}, &CancelToken::new());
    assert!(matches!(cut, Err(TransferError::Network(_))), "{cut:?}");
    proxy.set_refusing(false);
    let kept = resumable_bytes(dest.path(), BACKUP_ID).expect("A's partial is kept");
    assert!(kept > 0, "A got somewhere before the cut");

    // Backup B suggests the same file name (the contract allows it).
    let mut second = served.spec(dest.path());
    second.backup_id = "bk_other-2".into();
    second.remote_path = other_remote;
    second.expected_size = other_contents.len() as u64;
    second.expected_sha256 = sha256_hex(&other_contents);
    assert_eq!(second.file_name, first.file_name);
    let b = download(&second, &mut |_| {}, &CancelToken::new()).expect("B downloads");
    assert_eq!(b.path, dest.path().join("acme-archive.zip"));
    assert_eq!(std::fs::read(&b.path).expect("read"), other_contents);
    assert_eq!(
        resumable_bytes(dest.path(), BACKUP_ID),
        Some(kept),
        "B must not delete or reuse A's partial download"
    );

    let a = download(&first, &mut |_| {}, &CancelToken::new()).expect("A resumes");
    assert_eq!(a.resumed_bytes, kept, "A resumed from its own partial");
    assert_eq!(a.path, dest.path().join("acme-archive (1).zip"));
    assert_eq!(
        std::fs::read(&a.path).expect("read"),
        served.contents,
        "each backup lands in its own file with its own bytes"
    );
    assert_eq!(
        std::fs::read(&b.path).expect("read"),
        other_contents,
        "B's file is untouched by A"
    );
    assert_eq!(
        listing(dest.path()),
        vec!["acme-archive (1).zip", "acme-archive.zip"]
    );
}

#[test]
fn a_damaged_journal_restarts_the_download_cleanly_and_it_verifies() {
    let served = Served::new(4 * 1024 * 1024);
    let size = served.contents.len() as u64;
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let mut cut_spec = served.spec_via(proxy.port, dest.path());
    cut_spec.options.max_retries = 0;
    proxy.go_down_after_down_bytes(size / 2);
    assert!(download(&cut_spec, &mut |_| {}, &CancelToken::new()).is_err());
    let (part, journal) = partial_paths(dest.path(), BACKUP_ID).expect("valid id");
    let part_bytes = std::fs::read(&part).expect("partial");
    let genuine: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).expect("journal")).expect("json");

    let with = |field: &str, value: serde_json::Value| {
        let mut journal = genuine.clone();
        journal[field] = value;
        serde_json::to_vec(&journal).expect("json")
    };
    let damaged: Vec<(&str, Vec<u8>, u64)> = vec![
        (
            "overlapping ranges that add up to the whole file",
            with("done", serde_json::json!([[0, 100], [50, size]])),
            size,
        ),
        (
            "ranges out of order",
            with("done", serde_json::json!([[size / 2, size], [0, 100]])),
            size,
        ),
        (
            "a range beyond the size",
            with("done", serde_json::json!([[0, size + 4096]])),
            size,
        ),
        (
            "a checksum that is not 64 hex digits",
            with("expected_sha256", serde_json::json!("not-a-checksum")),
            size,
        ),
        (
            "a partial file shorter than the journal says",
            serde_json::to_vec(&genuine).expect("json"),
            size / 2,
        ),
        ("a torn journal", b"{\"backup_id\":".to_vec(), size),
    ];
    for (why, journal_bytes, part_len) in damaged {
        std::fs::write(&part, &part_bytes[..part_len as usize]).expect("partial");
        std::fs::write(&journal, journal_bytes).expect("journal");
        assert_eq!(
            resumable_bytes(dest.path(), BACKUP_ID),
            Some(0),
            "{why}: nothing can be resumed from it"
        );
        let done = download(&served.spec(dest.path()), &mut |_| {}, &CancelToken::new())
            .unwrap_or_else(|e| panic!("{why}: the download must start over and succeed: {e}"));
        assert_eq!(done.resumed_bytes, 0, "{why}: a clean restart");
        assert_eq!(
            std::fs::read(&done.path).expect("read"),
            served.contents,
            "{why}: never a wrong resume"
        );
        assert_eq!(listing(dest.path()), vec!["acme-archive.zip"], "{why}");
        std::fs::remove_file(&done.path).expect("clean up");
    }
}

#[test]
fn a_partial_file_replaced_mid_download_does_not_change_what_is_recorded_verified() {
    let served = Served::new(6 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(3_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let spec = served.spec_via(proxy.port, dest.path());
    let running = std::thread::spawn(move || download(&spec, &mut |_| {}, &CancelToken::new()));
    wait_for_bytes(&proxy, 1024 * 1024);

    // Another program takes the partial's name for a file of its own.
    let (part, _) = partial_paths(dest.path(), BACKUP_ID).expect("valid id");
    let decoy = dest.path().join("decoy");
    std::fs::write(&decoy, b"other bytes").expect("decoy");
    std::fs::rename(&decoy, &part).expect("replace the partial");

    proxy.set_rate(None);
    let done = running
        .join()
        .expect("downloader")
        .expect("the download completes");
    assert_eq!(
        std::fs::read(&done.path).expect("read"),
        served.contents,
        "the file recorded as verified holds the bytes that were hashed"
    );
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(
        std::fs::read(&part).expect("read"),
        b"other bytes",
        "the other program's file is left alone"
    );
}

#[test]
fn an_invalid_backup_id_is_refused_before_anything_happens() {
    let served = Served::new(1000);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    for bad in ["", "../escape", "a/b", "a\\b", "bk.1", "bk\u{202E}1"] {
        let mut spec = served.spec_via(proxy.port, dest.path());
        spec.backup_id = bad.into();
        let result = download(&spec, &mut |_| {}, &CancelToken::new());
        assert!(
            matches!(&result, Err(TransferError::Invalid(m)) if m.contains("backup id")),
            "{bad:?} could name a file outside the folder or another backup's: {result:?}"
        );
        assert!(
            matches!(
                partial_paths(dest.path(), bad),
                Err(TransferError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(proxy.connections(), 0, "not even a connection was made");
    assert!(listing(dest.path()).is_empty(), "nothing was written");
}
