//! What users feel, side by side: the engine (verified, "Automatic" and 4
//! fixed sessions) against OpenSSH `sftp`, `rclone` (sftp backend, 4
//! multi-thread streams) and `lftp pget -n 4`, each peer's `sha256sum`
//! timed beside it, on loopback and on emulated links (the fault proxy:
//! half the round trip each way, one bandwidth cap shared by every
//! connection). Interleaved runs, medians. For each client: seconds, MB/s,
//! the share of the link's cap, the time to the first byte on disk and
//! what it is in round trips, and the hash tail (the engine's: from the
//! last byte to the checksum; a peer's: its `sha256sum`).

use std::cell::RefCell;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use backup_transfer::{CancelToken, DownloadSpec, download};
use test_support::find_program;
use test_support::proxy::{FaultProxy, Link};
use test_support::sshd::{ClientKey, SshServer, sftp_get};

use super::{median, spec};

/// One timed download by one client.
#[derive(Default, Clone, Copy)]
struct Run {
    seconds: f64,
    /// The peer's `sha256sum` of its file (zero for the engine, which
    /// verifies as it goes and counts it in `seconds`).
    hash_seconds: f64,
    first_byte: Option<f64>,
    /// The engine's hash tail.
    tail: Option<f64>,
    sessions: Option<usize>,
}

/// Polls `path` until blocks are allocated to it (the first byte written;
/// a file preallocated sparse does not count) and returns when.
struct FirstByte {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<Option<Instant>>,
}

impl FirstByte {
    fn watch(path: PathBuf) -> FirstByte {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if std::fs::metadata(&path).is_ok_and(|m| m.blocks() > 0) {
                    return Some(Instant::now());
                }
                thread::sleep(Duration::from_millis(2));
            }
            None
        });
        FirstByte { stop, handle }
    }

    fn after(self, started: Instant) -> Option<f64> {
        self.stop.store(true, Ordering::Relaxed);
        let at = self.handle.join().ok().flatten()?;
        Some(at.saturating_duration_since(started).as_secs_f64())
    }
}

/// Times `sha256sum` of `path` (what a peer's user runs to verify).
fn sha256sum(path: &Path) -> f64 {
    let started = Instant::now();
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    assert!(out.status.success(), "sha256sum failed");
    started.elapsed().as_secs_f64()
}

/// Runs a peer `download` into `local`, timing it, its first byte and then
/// its `sha256sum`; removes the file.
fn peer(local: &Path, download: impl FnOnce(&Path)) -> Run {
    let _ = std::fs::remove_file(local);
    let watcher = FirstByte::watch(local.to_path_buf());
    let started = Instant::now();
    download(local);
    let seconds = started.elapsed().as_secs_f64();
    let first_byte = watcher.after(started);
    let hash_seconds = sha256sum(local);
    let _ = std::fs::remove_file(local);
    Run {
        seconds,
        hash_seconds,
        first_byte,
        ..Run::default()
    }
}

fn rclone(port: u16, user: &str, key: &ClientKey, remote: &str, local: &Path, config: &Path) {
    let source = format!(
        ":sftp,host=127.0.0.1,port={port},user={user},key_file={},shell_type=none,disable_hashcheck=true:{remote}",
        key.private_path.display()
    );
    let out = Command::new("rclone")
        .args(["copyto", &source])
        .arg(local)
        .args(["--multi-thread-streams", "4", "--multi-thread-cutoff", "1M"])
        .args(["--retries", "1", "--low-level-retries", "1", "-q"])
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .output()
        .expect("rclone");
    assert!(
        out.status.success(),
        "rclone failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn lftp(port: u16, user: &str, key: &ClientKey, remote: &str, local: &Path) {
    let ssh = format!(
        "ssh -a -x -i {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes",
        key.private_path.display()
    );
    let script = format!(
        "set sftp:connect-program \"{ssh}\"; set net:max-retries 1; set cmd:fail-exit yes; \
         open -u {user},unused -p {port} sftp://127.0.0.1; pget -n 4 {remote} -o {}",
        local.display()
    );
    let out = Command::new("lftp")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("lftp");
    assert!(
        out.status.success() && local.exists(),
        "lftp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn engine(spec: &DownloadSpec, adaptive: bool) -> Run {
    let mut spec = spec.clone();
    spec.options.adaptive = adaptive;
    spec.options.streams = if adaptive { 8 } else { 4 };
    let started = Instant::now();
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("engine download");
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&done.path);
    Run {
        seconds,
        hash_seconds: 0.0,
        first_byte: Some(done.first_byte.as_secs_f64()),
        tail: Some(done.hash_tail.as_secs_f64()),
        sessions: Some(done.streams_settled),
    }
}

/// Whether `program` is installed; says so when it is not.
fn have(program: &str) -> bool {
    let found = find_program(program).is_some();
    if !found {
        println!("({program} is not installed: its row is left out; `make bench` installs it)");
    }
    found
}

/// The comparison on `link` with the file `remote` of `size` bytes.
#[allow(clippy::too_many_arguments)]
pub fn section(
    server: &SshServer,
    key: &ClientKey,
    link: &Link,
    remote: &str,
    size: u64,
    sha: &str,
    dest: &Path,
    runs: usize,
    only: Option<&str>,
) -> serde_json::Value {
    let proxy = (!link.is_loopback()).then(|| {
        let proxy = FaultProxy::to_local_port(server.port).expect("proxy");
        proxy.set_link(link.rtt, link.cap);
        proxy
    });
    let port = proxy.as_ref().map_or(server.port, |p| p.port);
    let base = spec(server, key, port, remote, size, sha, dest);
    let config = dest.join("rclone.conf");
    std::fs::write(&config, "").expect("rclone config");
    println!(
        "\n== {}: {:.0} MiB, medians of {runs} interleaved runs ==",
        link.name,
        size as f64 / 1_048_576.0
    );

    type Client<'a> = (&'static str, Box<dyn FnMut() -> Run + 'a>);
    let mut clients: Vec<Client<'_>> = vec![(
        "openssh sftp",
        Box::new(|| {
            peer(&dest.join("sftp.zip"), |local| {
                sftp_get(port, &server.user, key, remote, local).expect("OpenSSH sftp")
            })
        }),
    )];
    if have("rclone") {
        clients.push((
            "rclone, 4 streams",
            Box::new(|| {
                peer(&dest.join("rclone.zip"), |local| {
                    rclone(port, &server.user, key, remote, local, &config)
                })
            }),
        ));
    }
    if have("lftp") {
        clients.push((
            "lftp pget -n 4",
            Box::new(|| {
                peer(&dest.join("lftp.zip"), |local| {
                    lftp(port, &server.user, key, remote, local)
                })
            }),
        ));
    }
    clients.push(("Backup Desk, automatic", Box::new(|| engine(&base, true))));
    clients.push(("Backup Desk, 4 sessions", Box::new(|| engine(&base, false))));
    clients.retain(|(name, _)| only.is_none_or(|only| name.contains(only)));

    let results: Vec<RefCell<Vec<Run>>> = clients.iter().map(|_| RefCell::default()).collect();
    for round in 0..runs {
        for (i, (name, run)) in clients.iter_mut().enumerate() {
            let r = run();
            eprintln!(
                "  run {}/{runs} {name}: {:.2} s (+{:.2} s hash)",
                round + 1,
                r.seconds,
                r.hash_seconds
            );
            results[i].borrow_mut().push(r);
        }
    }
    let med = |runs: &[Run], f: &dyn Fn(&Run) -> Option<f64>| {
        let v: Vec<f64> = runs.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| median(v))
    };
    let rtt_s = (!link.is_loopback()).then_some(link.rtt.as_secs_f64());
    println!(
        "{:<24} {:>8} {:>10} {:>8} {:>7} {:>11} {:>11} {:>6} {:>12} {:>9}",
        "client",
        "seconds",
        "+sha256 s",
        "MB/s",
        "of cap",
        "1st byte s",
        "round trips",
        "hash",
        "hash tail ms",
        "sessions"
    );
    let mut rows = Vec::new();
    let mut verified_times = Vec::new();
    for ((name, _), runs) in clients.iter().zip(&results) {
        let runs = runs.borrow();
        let seconds = med(&runs, &|r| Some(r.seconds)).unwrap_or(0.0);
        let with_hash = med(&runs, &|r| Some(r.seconds + r.hash_seconds)).unwrap_or(0.0);
        let first = med(&runs, &|r| r.first_byte);
        let tail = med(&runs, &|r| r.tail);
        let sessions = med(&runs, &|r| r.sessions.map(|s| s as f64));
        let rate = size as f64 / seconds / 1e6;
        let of_cap = link.cap.map(|cap| size as f64 / with_hash / cap as f64);
        let trips = first.zip(rtt_s).map(|(f, rtt)| f / rtt);
        let show =
            |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
        println!(
            "{name:<24} {seconds:>8.2} {with_hash:>10.2} {rate:>8.1} {:>7} {:>11} {:>11} {:>6} {:>12} {:>9}",
            of_cap.map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
            show(first, 2),
            show(trips, 1),
            if tail.is_some() { "inline" } else { "after" },
            show(tail.map(|t| t * 1000.0), 1),
            show(sessions, 0),
        );
        verified_times.push((*name, with_hash));
        rows.push(serde_json::json!({
            "client": name, "seconds": seconds, "seconds_verified": with_hash,
            "mb_per_s": rate, "fraction_of_cap": of_cap, "first_byte_s": first,
            "round_trips_to_first_byte": trips, "hash_tail_ms": tail.map(|t| t * 1000.0),
            "sessions": sessions,
        }));
    }
    let ours = verified_times
        .iter()
        .find(|(n, _)| *n == "Backup Desk, automatic")
        .map_or(0.0, |(_, t)| *t);
    let ratios: Vec<String> = verified_times
        .iter()
        .filter(|(n, _)| !n.starts_with("Backup Desk"))
        .map(|(n, t)| format!("{:.2}× {n}", t / ours))
        .collect();
    println!(
        "Backup Desk (automatic), verification included for all: {}",
        ratios.join(", ")
    );
    serde_json::json!({
        "link": link.name, "rtt_ms": link.rtt.as_millis() as u64,
        "cap_bytes_per_s": link.cap, "size_bytes": size, "runs": runs, "clients": rows,
    })
}
