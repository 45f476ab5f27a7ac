//! As many sessions as the link needs: the ramp against a real sshd through
//! the proxy, on a link one session fills and on one it cannot.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backup_transfer::{CancelToken, DownloadSpec, download};
use test_support::proxy::FaultProxy;

use crate::support::{Served, sha256_hex};

#[test]
fn a_link_one_session_fills_is_left_to_one_session() {
    let served = Served::new(16 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    // One session's window (4 × 256 KiB per 20 ms) is ten times this cap.
    proxy.set_link(Duration::from_millis(20), Some(5_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.adaptive = true;
    spec.options.streams = 8;
    spec.options.segment_size = 32 * 1024 * 1024;
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(
        std::fs::read(&done.path).expect("read"),
        served.contents,
        "byte-exact, the retired probe's bytes included"
    );
    assert_eq!(
        (done.streams_used, done.streams_settled),
        (2, 1),
        "one probe session, which added nothing and was retired"
    );
    assert!(done.first_byte > Duration::ZERO);
}

/// The round trip of [`thin_link`].
const THIN_RTT: Duration = Duration::from_millis(60);

/// A long thin pipe: no cap, but each session has only 4 × 32 KiB in
/// flight per 60 ms round trip (about 2 MB/s), so every added session adds
/// its share. Returns the proxy and an "Automatic" spec of up to 8
/// sessions through it, into `dest`.
fn thin_link(served: &Served, dest: &Path) -> (FaultProxy, DownloadSpec) {
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_link(THIN_RTT, None);
    let mut spec = served.spec_via(proxy.port, dest);
    spec.options.adaptive = true;
    spec.options.streams = 8;
    spec.options.read_size = 32 * 1024;
    spec.options.segment_size = 32 * 1024 * 1024;
    (proxy, spec)
}

#[test]
fn a_long_thin_link_gets_sessions_while_the_rate_rises() {
    let served = Served::new(20 * 1024 * 1024);
    let dest = tempfile::tempdir().expect("dest");
    let (proxy, spec) = thin_link(&served, dest.path());
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert!(
        done.streams_settled >= 3,
        "the ramp grew past two sessions: {} settled, {} used",
        done.streams_settled,
        done.streams_used
    );
    assert!(done.streams_used <= 8);
    assert!(
        proxy.connections() as usize >= done.streams_used,
        "each session is its own connection"
    );
}

#[test]
fn the_session_the_ramp_adds_next_connects_while_it_measures() {
    // A long thin pipe, as above: every added session adds its share. The
    // session the ramp may add next connects a quarter into its
    // measurement, so it moves bytes as soon as it is asked for instead of a
    // whole set-up (about seven round trips) later: its connection comes
    // well before the ramp counts it. One connected only once the ramp asks
    // for it comes after.
    let served = Served::new(20 * 1024 * 1024);
    let dest = tempfile::tempdir().expect("dest");
    let (proxy, mut spec) = thin_link(&served, dest.path());
    spec.options.progress_interval = Duration::ZERO;
    let finished = AtomicBool::new(false);
    let started = Instant::now();
    let mut counted: Vec<(Duration, usize)> = Vec::new();
    let (done, accepted) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| connection_times(&proxy, started, &finished));
        let mut on_progress =
            |p: backup_transfer::Progress| counted.push((started.elapsed(), p.streams));
        let done = download(&spec, &mut on_progress, &CancelToken::new());
        finished.store(true, Ordering::SeqCst);
        (done.expect("download"), watcher.join().expect("watcher"))
    });
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert!(done.streams_settled >= 3, "{done:?}");
    for n in 2..=3 {
        let connected = accepted[n - 1];
        let asked = counted
            .iter()
            .find(|(_, streams)| *streams >= n)
            .map(|(at, _)| *at)
            .expect("counted");
        assert!(
            connected + THIN_RTT < asked,
            "session {n} connected at {connected:?}, asked for at {asked:?}"
        );
    }
}

/// When the proxy accepted each connection (the first at index 0),
/// measured from `started`, until `done`.
fn connection_times(proxy: &FaultProxy, started: Instant, done: &AtomicBool) -> Vec<Duration> {
    let mut times = Vec::new();
    while !done.load(Ordering::SeqCst) {
        while proxy.connections() > times.len() as u64 {
            times.push(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    times
}

/// When the proxy had accepted `n` connections, measured from `started`.
fn watch_connections(
    proxy: &FaultProxy,
    n: u64,
    started: Instant,
    done: &AtomicBool,
) -> Option<Duration> {
    while !done.load(Ordering::SeqCst) {
        if proxy.connections() >= n {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

#[test]
fn the_sessions_a_download_starts_with_connect_beside_the_first() {
    // A long round trip: one session cannot fill the link, so "Automatic"
    // starts with two (three if the server's work makes the handshake look
    // longer than 180 ms); a fixed three start with three. Those beside the
    // first connect once its handshake is done, not after it has logged in
    // and opened the file (then they would join a whole set-up later).
    let rtt = Duration::from_millis(150);
    let served = Served::new(24 * 1024 * 1024);
    for (adaptive, streams, starting) in [(true, 8, 2), (false, 3, 3)] {
        let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
        proxy.set_link(rtt, None);
        let dest = tempfile::tempdir().expect("dest");
        let mut spec = served.spec_via(proxy.port, dest.path());
        spec.options.adaptive = adaptive;
        spec.options.streams = streams;
        spec.options.segment_size = 32 * 1024 * 1024;
        let finished = AtomicBool::new(false);
        let started = Instant::now();
        let (done, joined) = std::thread::scope(|scope| {
            let watcher = scope.spawn(|| watch_connections(&proxy, starting, started, &finished));
            let done = download(&spec, &mut |_| {}, &CancelToken::new());
            finished.store(true, Ordering::SeqCst);
            (done.expect("download"), watcher.join().expect("watcher"))
        });
        assert_eq!(done.sha256, sha256_hex(&served.contents));
        let joined = joined.expect("the sessions connected");
        // The first byte follows the first session's login (with SFTP's
        // channel and subsystem), then SFTP's INIT with the open and the
        // first reads: two round trips after its handshake. (Connected after
        // the login, they would start one round trip before the first byte;
        // after the open, with it.)
        assert!(
            joined + rtt * 3 / 2 < done.first_byte,
            "{starting} sessions connecting at {joined:?}, first byte at {:?} ({streams} streams, adaptive {adaptive})",
            done.first_byte
        );
        assert!(done.streams_used >= starting as usize, "{done:?}");
        assert_eq!(
            proxy.connections() as usize,
            done.streams_used,
            "each session on the connection made for it: none made for nothing"
        );
    }
}

#[test]
fn a_download_returns_without_waiting_for_the_server_to_close_its_handles() {
    // Closing the file handle and the session waits for the server's answer
    // to each, a round trip apiece; the download is done before that.
    let rtt = Duration::from_millis(300);
    let served = Served::new(200_000);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_link(rtt, None);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.streams = 1;
    let started = Instant::now();
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
    let elapsed = started.elapsed();
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    // The whole file comes in the first read's round trip.
    assert!(
        elapsed < done.first_byte + rtt,
        "returned {elapsed:?} after the start, the first byte at {:?}",
        done.first_byte
    );
}
