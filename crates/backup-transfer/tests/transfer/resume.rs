//! Cuts, kills and replaced files: downloads resume from the journal when
//! the remote file is the same, and restart cleanly when it changed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backup_transfer::{CancelToken, TransferError, download, partial_paths, resumable_bytes};
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

#[test]
fn a_later_attempt_resumes_from_the_journal() {
    let served = Served::new(6 * 1024 * 1024);
    let size = served.contents.len() as u64;
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.max_retries = 0;
    proxy.cut_after_down_bytes(size / 2);
    let first = download(&spec, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(first, Err(TransferError::Network(_))),
        "no retries allowed: {first:?}"
    );
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
    proxy.cut_after_down_bytes(size as u64 / 2);
    assert!(download(&spec, &mut |_| {}, &CancelToken::new()).is_err());
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

#[test]
fn killing_the_downloading_process_then_resuming_from_the_journal() {
    let served = Served::new(8 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(4_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let spec = served.spec_via(proxy.port, dest.path());
    let key_dir = tempfile::tempdir().expect("key dir");
    let key_file = key_dir.path().join("id_child");
    std::fs::write(&key_file, &served.key.private_pem).expect("key for the child");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "resume::child_downloader",
            "--ignored",
            "--nocapture",
        ])
        .env("CHILD_PORT", proxy.port.to_string())
        .env("CHILD_DEST", dest.path())
        .env("CHILD_KEY", &key_file)
        .env("CHILD_USER", &served.server.user)
        .env("CHILD_PIN", &served.server.host_key_fingerprints[0])
        .env("CHILD_SHA", &spec.expected_sha256)
        .env("CHILD_SIZE", spec.expected_size.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the child");
    let (part, journal) = partial_paths(dest.path(), &spec.backup_id).expect("valid id");
    let deadline = Instant::now() + Duration::from_secs(30);
    while proxy.forwarded(Direction::Down) < 3 * 1024 * 1024 {
        assert!(Instant::now() < deadline, "the child never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1200)); // let a journal write happen
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(
        part.exists() && journal.exists(),
        "the killed download left its partial file and journal"
    );
    proxy.set_rate(None);
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("resume after kill");
    assert!(
        done.resumed_bytes > 1024 * 1024,
        "resumed from the journal: {}",
        done.resumed_bytes
    );
    assert_eq!(std::fs::read(&done.path).expect("read"), served.contents);
}

/// Runs in a child process for the kill test; it is ignored in normal runs.
#[test]
#[ignore = "helper process of killing_the_downloading_process_then_resuming_from_the_journal"]
fn child_downloader() {
    use backup_transfer::{DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, TransferOptions};
    let var =
        |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k}: only the kill test runs this"));
    let spec = DownloadSpec {
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: var("CHILD_PORT").parse().expect("port"),
            username: var("CHILD_USER"),
        },
        key: PrivateKey::new(
            std::fs::read_to_string(var("CHILD_KEY")).expect("key"),
            None,
        ),
        host_keys: HostKeyPolicy {
            pinned: Some(var("CHILD_PIN")),
            ..HostKeyPolicy::default()
        },
        remote_path: "backups/acme-archive.zip".into(),
        expected_size: var("CHILD_SIZE").parse().expect("size"),
        expected_sha256: var("CHILD_SHA"),
        dest_dir: var("CHILD_DEST").into(),
        backup_id: crate::support::BACKUP_ID.into(),
        file_name: "acme-archive.zip".into(),
        replace: None,
        options: TransferOptions {
            segment_size: 1024 * 1024,
            read_size: 256 * 1024,
            ..TransferOptions::default()
        },
    };
    let _ = download(&spec, &mut |_| {}, &CancelToken::new());
    panic!("the parent should have killed this process before the end");
}
