//! `make bench` (part 2): the whole download a person runs — `backups
//! download` in the CLI, Download in the app, both this crate's `deliver` —
//! against the engine alone on the same archive: the provider's API calls
//! (over a proxy that delays them by the link's round trip too), the host
//! key, the engine ("Automatic"), the SHA-256 and the archive check. On
//! loopback and on emulated links of 50 ms/100 MB/s, 200 ms/50 MB/s and
//! 20 ms/uncapped; interleaved runs, medians. For each: seconds, the share
//! of the cap, the time to the first data on the SFTP link and what it is
//! in round trips, and what the full path adds to the engine's time.
//!
//! Prints a table and writes `target/bench/full_path.json`. Options:
//! `--size-mib N` (default 512), `--runs N` (default 3), `--quick` (64 MiB,
//! one run).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_domain::{BackupPolicy, Role};
use backup_provider::api::SftpEndpoint;
use backup_provider::store::{Account, Person, Store};
use backup_provider::{ServeOptions, archive, clock, lifecycle};
use backup_transfer::{
    CancelToken, DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, TransferOptions, download,
};
use backup_workflows::{
    Actor, DeliverRequest, Desk, ExistingCopy, Outcome, ProgressSink, SystemClock,
};
use test_support::proxy::{BENCH_LINKS, Direction, FaultProxy};
use test_support::sshd::{ClientKey, KeyKind, SshServer};

/// Bytes down the SFTP link past which data is flowing: more than the
/// handshake, authentication and SFTP set-up send (a few KiB), less than
/// the first read's answer.
const FIRST_DATA: u64 = 64 * 1024;

/// One timed run: seconds, and seconds to the first data on the SFTP link.
#[derive(Clone, Copy)]
struct Run {
    seconds: f64,
    first_data: Option<f64>,
    sessions: Option<usize>,
}

/// Runs `f` while watching the SFTP proxy for the first data going down.
fn timed(sftp: &FaultProxy, f: impl FnOnce() -> Option<usize>) -> Run {
    let before = sftp.forwarded(Direction::Down);
    let started = Instant::now();
    let done = std::sync::atomic::AtomicBool::new(false);
    let first = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if sftp.forwarded(Direction::Down) >= before + FIRST_DATA {
                    return Some(started.elapsed().as_secs_f64());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            None
        });
        let sessions = f();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (watcher.join().ok().flatten(), sessions)
    });
    Run {
        seconds: started.elapsed().as_secs_f64(),
        first_data: first.0,
        sessions: first.1,
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied()
}

fn main() {
    let mut size_mib = 512u64;
    let mut runs = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size-mib" => size_mib = args.next().and_then(|v| v.parse().ok()).unwrap_or(512),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(3).max(1),
            "--quick" => (size_mib, runs) = (64, 1),
            other => {
                eprintln!("unknown option {other}; see the file's header");
                std::process::exit(2);
            }
        }
    }
    let size = size_mib << 20;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let sshd = SshServer::start(&[&key]).expect("sshd");
    let sftp = FaultProxy::to_local_port(sshd.port).expect("SFTP proxy");

    // The reference provider, one account with its owner.
    let provider_dir = tempfile::tempdir().expect("provider data");
    let store = Store::open(provider_dir.path()).expect("store");
    clock::make_movable(&store).expect("clock");
    let now = clock::now(&store).expect("now");
    let account = Account {
        id: "acme".into(),
        name: "Acme Ltda".into(),
        policy: BackupPolicy::reference_default(),
    };
    store.create_account(&account, now).expect("account");
    let owner = Person {
        id: "olivia".into(),
        name: "Olivia".into(),
        email: "o@example.com".into(),
    };
    store.add_person(&owner).expect("person");
    store.grant("acme", "olivia", Role::Owner).expect("grant");
    let token = store.issue_token("olivia", now).expect("token");
    let server = runtime
        .block_on(backup_provider::start(ServeOptions::loopback(
            provider_dir.path().to_path_buf(),
            sshd.served_dir.clone(),
            SftpEndpoint {
                host: "127.0.0.1".into(),
                port: sftp.port,
                host_key_fingerprints: sshd.host_key_fingerprints.clone(),
            },
        )))
        .expect("provider");
    let api = FaultProxy::to_local_port(server.addr.port()).expect("API proxy");

    // The app's side: an account, its key, its server, trusted.
    let data_dir = tempfile::tempdir().expect("app data");
    let desk = Desk::open(
        data_dir.path(),
        Arc::new(backup_keychain::MemoryBackend::default()),
        Arc::new(SystemClock),
    )
    .expect("desk");
    let base = format!("http://127.0.0.1:{}", api.port);
    let added = runtime
        .block_on(desk.add_accounts(&base, &token, &["acme".into()], false))
        .expect("add account");
    let id = added[0].id;
    desk.import_key(id, &key.private_path, None).expect("key");
    desk.set_connection(id, "127.0.0.1", sftp.port, &sshd.user)
        .expect("connection");
    let backup = runtime
        .block_on(desk.request_backup(id, Actor::Person))
        .expect("request")
        .id;
    eprintln!("the provider makes a {size_mib} MiB archive…");
    lifecycle::release(&store, &backup).expect("release");
    let row = lifecycle::complete(&store, &sshd.served_dir, &backup, Some(size)).expect("complete");
    let (sha, bytes) = (
        row.sha256.clone().expect("sha"),
        row.size_bytes.expect("size") as u64,
    );
    let remote = archive::remote_path("acme", row.file_name.as_deref().expect("file name"));
    let terms = runtime.block_on(desk.terms(id, &backup)).expect("terms");
    runtime
        .block_on(desk.accept_terms(id, &backup, &terms.version, Actor::Person))
        .expect("accept");
    match runtime.block_on(desk.test_connection(id)) {
        Ok(Outcome::HostKey(presented)) => {
            desk.trust_host_key(id, &presented.fingerprint)
                .expect("trust");
        }
        other => panic!("the first connection asks about the server: {other:?}"),
    }
    let dest =
        tempfile::tempdir_in(std::env::current_dir().expect("cwd").join("target")).expect("dest");
    let sink: ProgressSink = Arc::new(|_, _| {});
    let request = DeliverRequest {
        account: id,
        backup_id: backup.clone(),
        folder: Some(dest.path().to_path_buf()),
        streams: None,
        actor: Actor::Person,
        existing: ExistingCopy::KeepBoth,
    };
    let engine_spec = DownloadSpec {
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: sftp.port,
            username: sshd.user.clone(),
        },
        key: PrivateKey::new(String::from_utf8_lossy(&key.private_pem).into_owned(), None),
        host_keys: HostKeyPolicy {
            pinned: Some(sshd.host_key_fingerprints[0].clone()),
            ..HostKeyPolicy::default()
        },
        remote_path: remote,
        expected_size: bytes,
        expected_sha256: sha,
        dest_dir: dest.path().to_path_buf(),
        backup_id: "bench-engine".into(),
        file_name: "engine.zip".into(),
        replace: None,
        options: TransferOptions {
            streams: 8,
            ..TransferOptions::default()
        },
    };
    let engine = || {
        let done = download(&engine_spec, &mut |_| {}, &CancelToken::new()).expect("engine");
        let _ = std::fs::remove_file(&done.path);
        Some(done.streams_settled)
    };
    let full = || {
        match runtime.block_on(desk.deliver(&request, sink.clone())) {
            Ok(Outcome::Done(saved)) => remove(Path::new(&saved.path)),
            Ok(other) => panic!("the full path asked a question: {other:?}"),
            Err(error) => panic!("the full path failed: {error}"),
        }
        None
    };

    let mut report = Vec::new();
    for link in &BENCH_LINKS {
        sftp.set_link(link.rtt, link.cap);
        api.set_link(link.rtt, None);
        println!(
            "\n== {}: {:.0} MiB archive, API calls delayed by the same round trip; medians of {runs} ==",
            link.name,
            bytes as f64 / 1_048_576.0
        );
        let mut results: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
        for round in 0..runs {
            for (i, (name, run)) in [
                ("engine alone", &engine as &dyn Fn() -> Option<usize>),
                ("full path", &full),
            ]
            .iter()
            .enumerate()
            {
                let r = timed(&sftp, run);
                eprintln!("  run {}/{runs} {name}: {:.2} s", round + 1, r.seconds);
                results[i].push(r);
            }
        }
        println!(
            "{:<36} {:>8} {:>8} {:>7} {:>12} {:>12} {:>9}",
            "download", "seconds", "MB/s", "of cap", "1st data s", "round trips", "sessions"
        );
        let mut rows = Vec::new();
        let mut seconds = [0.0; 2];
        for (i, name) in [
            "engine alone (verified)",
            "full path (API, verified, checked)",
        ]
        .iter()
        .enumerate()
        {
            let s = median(results[i].iter().map(|r| r.seconds).collect()).unwrap_or(0.0);
            let first = median(results[i].iter().filter_map(|r| r.first_data).collect());
            let sessions = median(
                results[i]
                    .iter()
                    .filter_map(|r| r.sessions.map(|n| n as f64))
                    .collect(),
            );
            let trips = first
                .filter(|_| !link.is_loopback())
                .map(|f| f / link.rtt.as_secs_f64());
            let of_cap = link.cap.map(|c| bytes as f64 / s / c as f64);
            seconds[i] = s;
            println!(
                "{name:<36} {s:>8.2} {:>8.1} {:>7} {:>12} {:>12} {:>9}",
                bytes as f64 / s / 1e6,
                of_cap.map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
                first.map_or("-".into(), |f| format!("{f:.2}")),
                trips.map_or("-".into(), |t| format!("{t:.1}")),
                sessions.map_or("-".into(), |n| format!("{n:.0}")),
            );
            rows.push(serde_json::json!({
                "download": name, "seconds": s, "first_data_s": first,
                "round_trips_to_first_data": trips, "fraction_of_cap": of_cap, "sessions": sessions,
            }));
        }
        println!(
            "the full path adds {:.2} s ({:+.0}%): API calls, host key, archive check",
            seconds[1] - seconds[0],
            (seconds[1] / seconds[0] - 1.0) * 100.0
        );
        report.push(serde_json::json!({
            "link": link.name, "rtt_ms": link.rtt.as_millis() as u64, "cap_bytes_per_s": link.cap,
            "size_bytes": bytes, "runs": runs, "rows": rows,
        }));
    }
    let out_dir = std::env::current_dir().expect("cwd").join("target/bench");
    std::fs::create_dir_all(&out_dir).expect("bench dir");
    std::fs::write(
        out_dir.join("full_path.json"),
        serde_json::to_string_pretty(&report).expect("json"),
    )
    .expect("write");
    println!("\nwritten: target/bench/full_path.json");
}

fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}
