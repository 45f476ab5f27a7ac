//! Cuts and replaced files: downloads resume from the journal when the
//! remote file is the same, and restart cleanly when it changed (kills are
//! in `kills`).

use std::time::Duration;

use backup_transfer::{
    CancelToken, DownloadSpec, TransferError, download, partial_paths, resumable_bytes,
};
use test_support::proxy::{Direction, FaultProxy};

use crate::support::{Served, payload, sha256_hex};

/// A small deterministic generator for the cut offsets.
fn offsets(n: usize, max: u64) -> Vec<u64> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % max
        })
        .collect()
}

#[test]
fn twenty_cuts_at_random_offsets_each_resume_to_the_right_checksum() {
    let served = Served::new(8 * 1024 * 1024);
    let size = served.contents.len() as u64;
    for (round, cut_at) in offsets(20, size).into_iter().enumerate() {
        let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
        let dest = tempfile::tempdir().expect("dest");
        let mut spec = served.spec_via(proxy.port, dest.path());
        // In flight per cut: at most streams × 4 × read_size = one segment.
        spec.options.read_size = 64 * 1024;
        proxy.cut_after_down_bytes(cut_at);
        let done = download(&spec, &mut |_| {}, &CancelToken::new())
            .unwrap_or_else(|e| panic!("round {round}: cut at {cut_at} must resume: {e}"));
        assert_eq!(done.sha256, sha256_hex(&served.contents), "round {round}");
        let moved = proxy.forwarded(Direction::Down);
        // Handshakes and SSH framing cost a little; a lost in-flight read per
        // session is the rest. Never more than one segment's worth per cut.
        let overhead_allowance = 256 * 1024;
        assert!(
            moved <= size + spec.options.segment_size + overhead_allowance,
            "round {round}: {moved} bytes moved for a {size}-byte file cut once at {cut_at}"
        );
    }
}

/// A 6 MiB download through a proxy, cut at half with no retries allowed:
/// the partial download is left in `dest` for a later attempt.
fn cut_at_half() -> (Served, FaultProxy, tempfile::TempDir, DownloadSpec) {
    let served = Served::new(6 * 1024 * 1024);
    let size = served.contents.len() as u64;
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.max_retries = 0;
    // Lost at the cut: what the sessions had in flight, at most
    // 4 × 4 × 64 KiB.
    spec.options.read_size = 64 * 1024;
    proxy.go_down_after_down_bytes(size / 2);
    let first = download(&spec, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(first, Err(TransferError::Network(_))),
        "no retries allowed: {first:?}"
    );
    // The network is back.
    proxy.set_refusing(false);
    (served, proxy, dest, spec)
}

#[test]
fn a_later_attempt_resumes_from_the_journal() {
    let (served, proxy, dest, spec) = cut_at_half();
    let size = served.contents.len() as u64;
    let (part, journal) = partial_paths(dest.path(), &spec.backup_id).expect("valid id");
    assert!(
        part.exists() && journal.exists(),
        "the partial download is kept"
    );
    assert!(
        !dest.path().join("acme-archive.zip").exists(),
        "no final file from a partial download"
    );
    let on_disk = resumable_bytes(dest.path(), &spec.backup_id).expect("something to resume");
    // An attempt that cannot reach the server (the partial file is prepared
    // while it connects) leaves what was downloaded as it was.
    proxy.set_refusing(true);
    let unreachable = download(&spec, &mut |_| {}, &CancelToken::new());
    assert!(unreachable.is_err(), "{unreachable:?}");
    assert_eq!(
        resumable_bytes(dest.path(), &spec.backup_id),
        Some(on_disk),
        "the partial download survives a failed connection"
    );
    proxy.set_refusing(false);
    let before = proxy.forwarded(Direction::Down);
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("resume");
    assert!(
        done.resumed_bytes > size / 4,
        "resumed from {} bytes",
        done.resumed_bytes
    );
    assert_eq!(
        on_disk, done.resumed_bytes,
        "what the audit log says a resume starts from"
    );
    assert_eq!(
        resumable_bytes(dest.path(), &spec.backup_id),
        None,
        "nothing left to resume"
    );
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    let second = proxy.forwarded(Direction::Down) - before;
    assert!(
        second < size - done.resumed_bytes + 512 * 1024,
        "only the rest was fetched: {second}"
    );
}

#[test]
fn a_replaced_remote_file_restarts_the_download_instead_of_splicing() {
    let served = Served::new(4 * 1024 * 1024);
    let size = served.contents.len();
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.max_retries = 0;
    proxy.go_down_after_down_bytes(size as u64 / 2);
    assert!(download(&spec, &mut |_| {}, &CancelToken::new()).is_err());
    proxy.set_refusing(false);
    // The provider regenerates the archive: same name and size, new bytes and mtime.
    let replacement = payload(size, 99);
    let path = served.server.served_dir.join(&served.remote);
    std::fs::write(&path, &replacement).expect("replace");
    let file = std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open");
    let modified = std::fs::metadata(&path)
        .expect("meta")
        .modified()
        .expect("mtime");
    file.set_modified(modified + Duration::from_secs(60))
        .expect("mtime");
    spec.expected_sha256 = sha256_hex(&replacement);
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("restart");
    assert_eq!(done.resumed_bytes, 0, "nothing of the old file is kept");
    assert_eq!(
        std::fs::read(&done.path).expect("read"),
        replacement,
        "no spliced file"
    );
}

/// The record of written ranges beside the journal (Linux) counts only
/// beside the journal that has its key: after a version that knew no
/// records started the same download over (the partial emptied, a journal
/// without a key saved) and was stopped, the record left by the run before
/// is not believed, and the resume starts from nothing instead of failing
/// its verification over emptied bytes.
#[test]
fn a_record_of_another_run_is_not_believed() {
    use backup_transfer::journal::Journal;
    let (served, proxy, dest, spec) = cut_at_half();
    let size = served.contents.len() as u64;
    let (part, journal_path) = partial_paths(dest.path(), &spec.backup_id).expect("valid id");
    let written = Journal::written_path(&journal_path);
    assert!(written.exists(), "the cut run left its record");
    assert!(resumable_bytes(dest.path(), &spec.backup_id).unwrap_or(0) > 0);

    // What a version without records does when it starts over.
    let mut journal = Journal::load(&journal_path).expect("journal");
    journal.done = Default::default();
    journal.unsynced = None;
    journal.written_key = None;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .expect("part");
    file.set_len(0).expect("empty");
    file.set_len(size).expect("size");
    journal.save(&journal_path).expect("its journal");
    assert!(written.exists(), "it leaves the record");
    assert_eq!(resumable_bytes(dest.path(), &spec.backup_id), Some(0));

    proxy.cut_after_down_bytes(u64::MAX);
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(
        done.resumed_bytes, 0,
        "nothing believed from the old record"
    );
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert!(
        !written.exists(),
        "the record goes with the finished download"
    );
}
