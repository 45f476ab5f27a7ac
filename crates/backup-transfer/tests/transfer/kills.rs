//! A downloading process killed with SIGKILL: the journal it leaves vouches
//! only for bytes that are on disk, and the resume fetches again at most
//! about one read window per session.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backup_transfer::journal::{Journal, RangeSet};
use backup_transfer::{CancelToken, DownloadSpec, download, partial_paths, resumable_bytes};
use test_support::proxy::{Direction, FaultProxy};

use crate::support::{BACKUP_ID, Served};

/// The read size the child downloads with; libssh2 keeps four in flight.
const CHILD_READ_SIZE: usize = 256 * 1024;
const CHILD_STREAMS: usize = 4;

/// Starts this test binary as [`child_downloader`] for `served`, through `proxy`.
fn start_child(served: &Served, spec: &DownloadSpec, proxy: &FaultProxy, keys: &Path) -> Child {
    start_child_with(served, spec, proxy, keys, CHILD_STREAMS)
}

/// [`start_child`] with `streams` sessions.
fn start_child_with(
    served: &Served,
    spec: &DownloadSpec,
    proxy: &FaultProxy,
    keys: &Path,
    streams: usize,
) -> Child {
    let key_file = keys.join("id_child");
    std::fs::write(&key_file, &served.key.private_pem).expect("key for the child");
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "kills::child_downloader",
            "--ignored",
            "--nocapture",
        ])
        .env("CHILD_PORT", proxy.port.to_string())
        .env("CHILD_DEST", &spec.dest_dir)
        .env("CHILD_KEY", &key_file)
        .env("CHILD_USER", &served.server.user)
        .env("CHILD_PIN", &served.server.host_key_fingerprints[0])
        .env("CHILD_SHA", &spec.expected_sha256)
        .env("CHILD_SIZE", spec.expected_size.to_string())
        .env("CHILD_STREAMS", streams.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the child")
}

/// SIGKILLs `child` once `bytes` went down through `proxy`.
fn kill_after(mut child: Child, proxy: &FaultProxy, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.forwarded(Direction::Down) < bytes {
        assert!(
            Instant::now() < deadline,
            "the child never got to {bytes} bytes"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child ended before it was killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
}

/// Bytes forwarded down once what the proxy held for a killed child's
/// connections has drained (so it is not counted as the resume's).
fn settled(proxy: &FaultProxy) -> u64 {
    let mut last = proxy.forwarded(Direction::Down);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = proxy.forwarded(Direction::Down);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// What a killed child of `sessions` sessions left (see [`inspect`]): every
/// range the journal vouches for holds the source's bytes, and at most one
/// read window per session is on disk but not vouched for (a resume fetches
/// it again). Returns the journal's ranges; `context` ends the messages.
fn left_within_a_window(dest: &Path, source: &[u8], sessions: usize, context: &str) -> RangeSet {
    let (done, truthful, unvouched) = inspect(dest, source);
    assert!(
        truthful,
        "every range the journal marks done holds the right bytes{context}"
    );
    let window = 4 * CHILD_READ_SIZE as u64;
    assert!(
        unvouched <= sessions as u64 * window,
        "{unvouched} bytes were on disk but not in the journal (journal: {done:?}{context}); a \
         resume fetches them again, and it must be at most one read window ({window}) per session"
    );
    done
}

/// What a killed child left: the journal's ranges, whether each holds the
/// source's bytes, and the bytes outside them that hold the source's bytes
/// too (in whole 4 KiB blocks from the start of each gap): on disk but not
/// vouched for, so a resume fetches them again.
fn inspect(dest: &Path, source: &[u8]) -> (RangeSet, bool, u64) {
    let (part, journal) = partial_paths(dest, BACKUP_ID).expect("valid id");
    let journal = Journal::load(&journal).expect("a killed download leaves a readable journal");
    let bytes = std::fs::read(part).expect("the partial file stays");
    assert_eq!(bytes.len(), source.len(), "the partial has the full size");
    let size = source.len() as u64;
    let mut truthful = true;
    let mut unvouched = 0;
    let mut at = 0;
    for (gap_start, gap_end) in journal.done.missing(size).into_iter().chain([(size, size)]) {
        let (vouched, gap) = (
            at as usize..gap_start as usize,
            gap_start as usize..gap_end as usize,
        );
        truthful &= bytes[vouched.clone()] == source[vouched];
        unvouched += bytes[gap.clone()]
            .chunks(4096)
            .zip(source[gap].chunks(4096))
            .filter(|(ours, theirs)| ours == theirs)
            .map(|(ours, _)| ours.len() as u64)
            .sum::<u64>();
        at = gap_end;
    }
    (journal.done, truthful, unvouched)
}

/// Regression (issue 17): the journal was saved about once a second, so a
/// kill -9 at 50% fetched the last 100 MB again.
#[test]
fn a_kill_at_half_fetches_again_at_most_one_read_window_per_session() {
    // Half the file arrives about 1.5 s in: half-way between two of the
    // saves the journal used to get once a second, so a regression shows.
    let served = Served::new(36 * 1024 * 1024);
    let size = served.contents.len() as u64;
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(12_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let keys = tempfile::tempdir().expect("key dir");
    let spec = served.spec_via(proxy.port, dest.path());
    kill_after(
        start_child(&served, &spec, &proxy, keys.path()),
        &proxy,
        size / 2,
    );

    let done = left_within_a_window(dest.path(), &served.contents, CHILD_STREAMS, "");
    assert!(
        done.covered() >= size / 4,
        "the journal followed the download: {done:?}"
    );
    assert_eq!(
        resumable_bytes(dest.path(), BACKUP_ID),
        Some(done.covered()),
        "what the audit log says a resume starts from"
    );

    proxy.set_rate(None);
    let before = settled(&proxy);
    let resumed = download(&spec, &mut |_| {}, &CancelToken::new()).expect("resume after kill");
    assert_eq!(resumed.resumed_bytes, done.covered());
    assert_eq!(std::fs::read(&resumed.path).expect("read"), served.contents);
    let fetched = proxy.forwarded(Direction::Down) - before;
    assert!(
        fetched < size - resumed.resumed_bytes + 512 * 1024,
        "the resume fetched only what the journal did not vouch for: {fetched} bytes"
    );
}

/// At local speed too (hundreds of MB/s, where synced saves 20 ms apart
/// leave megabytes unvouched): between them the record beside the journal
/// says what is written, unsynced, on this boot; after a restart only the
/// synced part would be believed.
#[test]
fn a_kill_at_full_local_speed_fetches_again_at_most_one_read_window() {
    let served = Served::new(96 * 1024 * 1024);
    let size = served.contents.len() as u64;
    // No delay and no cap: the proxy only counts the bytes.
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    let dest = tempfile::tempdir().expect("dest");
    let keys = tempfile::tempdir().expect("key dir");
    let spec = served.spec_via(proxy.port, dest.path());
    let started = Instant::now();
    kill_after(
        start_child_with(&served, &spec, &proxy, keys.path(), 1),
        &proxy,
        size / 2,
    );
    let rate = (size / 2) as f64 / started.elapsed().as_secs_f64() / 1e6;
    let done = left_within_a_window(
        dest.path(),
        &served.contents,
        1,
        &format!(", about {rate:.0} MB/s"),
    );
    let (_, journal) = partial_paths(dest.path(), BACKUP_ID).expect("valid id");
    let after_restart =
        Journal::load_at_boot(&journal, Some("another-boot-0123456789")).expect("journal");
    // Killed just after a synced save, the journal holds nothing unsynced.
    let restart_gaps = after_restart.done.missing(size);
    assert!(
        done.missing(size)
            .iter()
            .all(|&(s, e)| restart_gaps.iter().any(|&(gs, ge)| gs <= s && e <= ge)),
        "after a restart no more than the synced ranges: {restart_gaps:?} missing vs {done:?}"
    );
    let resumed = download(&spec, &mut |_| {}, &CancelToken::new()).expect("resume after kill");
    assert_eq!(resumed.resumed_bytes, done.covered());
    assert_eq!(std::fs::read(&resumed.path).expect("read"), served.contents);
}

#[test]
fn the_journal_vouches_only_for_bytes_on_disk_whenever_the_process_is_killed() {
    let served = Served::new(12 * 1024 * 1024);
    let size = served.contents.len() as u64;
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(12_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let keys = tempfile::tempdir().expect("key dir");
    let spec = served.spec_via(proxy.port, dest.path());
    let mut vouched = 0;
    // Each child resumes from what the one before left and is killed after
    // a different share, so at a different point of its claims and saves.
    for (kill, share) in [0.17, 0.23, 0.19, 0.21].into_iter().enumerate() {
        let child = start_child(&served, &spec, &proxy, keys.path());
        let from = proxy.forwarded(Direction::Down);
        kill_after(child, &proxy, from + (size as f64 * share) as u64);
        let (done, truthful, _) = inspect(dest.path(), &served.contents);
        assert!(
            truthful,
            "kill {kill}: a range the journal marks done holds other bytes: {done:?}"
        );
        assert!(
            done.covered() >= vouched,
            "kill {kill}: the journal never loses what it vouched for"
        );
        vouched = done.covered();
    }
    proxy.set_rate(None);
    let resumed = download(&spec, &mut |_| {}, &CancelToken::new()).expect("resume");
    assert_eq!(resumed.resumed_bytes, vouched);
    assert_eq!(std::fs::read(&resumed.path).expect("read"), served.contents);
}

/// Runs in a child process for the kill tests; it is ignored in normal runs.
#[test]
#[ignore = "helper process of the kill tests"]
fn child_downloader() {
    use backup_transfer::{Endpoint, HostKeyPolicy, PrivateKey, TransferOptions};
    let var =
        |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k}: only the kill tests run this"));
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
        backup_id: BACKUP_ID.into(),
        file_name: "acme-archive.zip".into(),
        replace: None,
        options: TransferOptions {
            streams: var("CHILD_STREAMS").parse().expect("streams"),
            adaptive: false,
            segment_size: 1024 * 1024,
            read_size: CHILD_READ_SIZE,
            ..TransferOptions::default()
        },
    };
    let _ = download(&spec, &mut |_| {}, &CancelToken::new());
    panic!("the parent should have killed this process before the end");
}
