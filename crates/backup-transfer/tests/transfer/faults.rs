//! A stalled link, a full disk, a cancel and a server that limits sessions.

use std::process::Command;
use std::time::{Duration, Instant};

use backup_transfer::{CancelToken, TransferError, download, partial_paths};
use test_support::proxy::{Direction, FaultProxy};
use test_support::sshd::SshServer;

use crate::support::{Served, listing, sha256_hex};

#[test]
fn a_stalled_connection_ends_in_a_timeout_error_not_a_hang() {
    let served = Served::new(4 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(2_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.timeouts.operation = Duration::from_secs(1);
    spec.options.timeouts.connect = Duration::from_secs(1);
    spec.options.max_retries = 1;
    let stall_after = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while proxy.forwarded(Direction::Down) < 512 * 1024 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        proxy.set_stalled(true);
        proxy
    });
    let started = Instant::now();
    let result = download(&spec, &mut |_| {}, &CancelToken::new());
    let _proxy = stall_after.join().expect("staller");
    assert!(
        matches!(result, Err(TransferError::Network(_))),
        "a stall is a network error: {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no hang: {:?}",
        started.elapsed()
    );
    let (part, _) = partial_paths(dest.path(), &spec.backup_id).expect("valid id");
    assert!(part.exists(), "the partial download stays for a resume");
}

#[test]
fn cancel_stops_within_a_second_and_keeps_the_partial_file() {
    let served = Served::new(8 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(2_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let spec = served.spec_via(proxy.port, dest.path());
    let cancel = CancelToken::new();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(800));
            let at = Instant::now();
            cancel.cancel();
            at
        })
    };
    let result = download(&spec, &mut |_| {}, &cancel);
    let returned = Instant::now();
    let cancelled_at = canceller.join().expect("canceller");
    assert!(
        matches!(result, Err(TransferError::Cancelled)),
        "{result:?}"
    );
    assert!(
        returned.duration_since(cancelled_at) < Duration::from_secs(1),
        "cancel took {:?}",
        returned.duration_since(cancelled_at)
    );
    let (part, journal) = partial_paths(dest.path(), &spec.backup_id).expect("valid id");
    assert!(part.exists() && journal.exists(), "kept for a later resume");
    backup_transfer::discard_partial(dest.path(), &spec.backup_id).expect("nobody holds it");
    assert!(
        listing(dest.path()).is_empty(),
        "discard removes the partial download"
    );
}

/// A tiny tmpfs for the disk-full test (needs root, as CI runs).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().expect("mount point");
        let uid = Command::new("id").arg("-u").output().expect("id");
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the disk-full test mounts a small tmpfs and needs root (CI runs as root; use sudo)"
        );
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount");
        assert!(status.success(), "mount a tmpfs");
        SmallDisk { dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_final_file() {
    let served = Served::new(3 * 1024 * 1024);
    let disk = SmallDisk::mount("1m");
    let spec = served.spec(disk.dir.path());
    match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(error @ TransferError::DiskFull { .. }) => {
            assert!(error.to_string().contains("Free some space"), "{error}");
        }
        other => panic!("a file bigger than the disk must be refused up front: {other:?}"),
    }
    assert!(
        listing(disk.dir.path()).is_empty(),
        "no partial or final file"
    );
    // Space that vanishes mid-way (another program fills the disk) is caught at write time.
    let filler = disk.dir.path().join("filler");
    let small = Served::new(600 * 1024);
    let mut spec = small.spec(disk.dir.path());
    spec.options.streams = 1;
    std::fs::write(&filler, vec![0u8; 500 * 1024]).expect("fill half the disk");
    let result = download(&spec, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(result, Err(TransferError::DiskFull { .. })),
        "{result:?}"
    );
    assert!(
        !disk.dir.path().join("acme-archive.zip").exists(),
        "no final file"
    );
}

#[test]
fn a_server_that_limits_sessions_gets_fewer_streams_and_the_download_still_completes() {
    let key = test_support::sshd::ClientKey::generate(test_support::sshd::KeyKind::Ed25519, None)
        .expect("key");
    // At most one connection may be unauthenticated at a time: parallel logins are dropped.
    let server = SshServer::start_with(&[&key], "MaxStartups 1:100:1").expect("sshd");
    let contents = crate::support::payload(4 * 1024 * 1024, 5);
    let remote = server
        .put_file("backups/acme-archive.zip", &contents)
        .expect("put");
    let served = Served {
        server,
        key,
        remote,
        contents,
    };
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.options.streams = 8;
    let done =
        download(&spec, &mut |_| {}, &CancelToken::new()).expect("completes with fewer sessions");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert!(done.streams_used >= 1);
}
