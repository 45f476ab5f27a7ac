//! `make bench`: the engine against its peers on the same archive, in the
//! same run, interleaved (A B A B…), medians of ≥ 3 runs:
//! 1. loopback detail: the engine with 1, 2 and 4 fixed sessions and
//!    "Automatic" vs OpenSSH `sftp`, with the hash tail and client CPU;
//! 2. what users feel (see `bench/peers.rs`): the engine ("Automatic" and 4
//!    sessions, verified) against OpenSSH `sftp`, `rclone` and `lftp pget`
//!    (each with its `sha256sum`), on loopback and on emulated links of
//!    50 ms/100 MB/s, 200 ms/50 MB/s and 20 ms/uncapped: share of the cap,
//!    first byte in seconds and round trips, hash tail, sessions;
//! 3. the engine's peak RSS on a 4 GiB file at 4 and 16 sessions;
//! 4. with `--kill-at-half`: a download killed with SIGKILL at 50% and
//!    resumed, with 1, 2 and 4 sessions: the bytes fetched twice and whether
//!    the journal vouched only for bytes on disk.
//!
//! Prints tables and writes `target/bench/sftp.json`. Options:
//! `--quick` (128 MiB loopback, 64 MiB links, one run, no memory run: a few
//! minutes), `--size-mib N` (loopback, default 1024), `--link-mib N` (links,
//! default 512), `--runs N` (default 3), `--skip-links`, `--skip-rss`,
//! `--skip-loopback`, `--kill-at-half` (on loopback and the 50 ms link),
//! `--links TEXT` (only the links whose name contains it), `--clients TEXT`
//! (only the clients whose name contains it, e.g. `Backup`), `--read-kib N`,
//! `--extra-link-ms N` (one more link: N ms, uncapped; where the ramp grows
//! past the sessions a download starts with).

#[path = "bench/kill.rs"]
mod kill;
#[path = "bench/peers.rs"]
mod peers;

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use backup_transfer::{
    CancelToken, DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, Timeouts, TransferOptions,
    download,
};
use sha2::{Digest, Sha256};
use test_support::proxy::FaultProxy;
use test_support::sshd::{ClientKey, KeyKind, SshServer, sftp_get};

struct Args {
    /// Only the links whose name contains this (`--links 200`).
    links_filter: Option<String>,
    /// Only the clients whose name contains this (`--clients Backup`).
    clients_filter: Option<String>,
    read_kib: usize,
    loopback: bool,
    size_mib: u64,
    link_mib: u64,
    runs: usize,
    link: bool,
    rss: bool,
    kill: bool,
    /// One more link, uncapped, of this round trip (`--extra-link-ms 100`).
    extra_rtt_ms: Option<u64>,
}

fn parse_args() -> Args {
    let mut args = Args {
        links_filter: None,
        clients_filter: None,
        read_kib: 0,
        loopback: true,
        size_mib: 1024,
        link_mib: 512,
        runs: 3,
        link: true,
        rss: true,
        kill: false,
        extra_rtt_ms: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--size-mib" => {
                args.size_mib = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(args.size_mib)
            }
            "--runs" => {
                args.runs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(args.runs)
                    .max(1)
            }
            "--link-mib" => {
                args.link_mib = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(args.link_mib)
            }
            "--links" => args.links_filter = it.next(),
            "--extra-link-ms" => args.extra_rtt_ms = it.next().and_then(|v| v.parse().ok()),
            "--clients" => args.clients_filter = it.next(),
            "--quick" => {
                args.size_mib = 128;
                args.link_mib = 64;
                args.runs = 1;
                args.rss = false;
            }
            "--skip-links" | "--skip-link" => args.link = false,
            "--skip-loopback" => args.loopback = false,
            "--read-kib" => args.read_kib = it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--skip-rss" => args.rss = false,
            "--kill-at-half" => args.kill = true,
            "--child-rss" => child_rss(it.collect()),
            "--child-download" => kill::child(child_spec(&it.collect::<Vec<_>>())),
            other => {
                eprintln!("unknown option {other}; see the file's header for options");
                std::process::exit(2);
            }
        }
    }
    args
}

/// Writes `size` bytes of cheap pseudo-random data (incompressible for SSH).
fn make_archive(path: &Path, size: u64) -> String {
    let mut file = std::io::BufWriter::with_capacity(
        8 << 20,
        std::fs::File::create(path).expect("create archive"),
    );
    let mut hasher = Sha256::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n]).expect("write archive");
        hasher.update(&block[..n]);
        left -= n as u64;
    }
    file.flush().expect("flush");
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn spec(
    server: &SshServer,
    key: &ClientKey,
    port: u16,
    remote: &str,
    size: u64,
    sha: &str,
    dest: &Path,
) -> DownloadSpec {
    let pem = String::from_utf8_lossy(&key.private_pem).into_owned();
    let pin = &server.host_key_fingerprints[0];
    spec_for(port, &server.user, pem, pin, remote, size, sha, dest)
}

#[allow(clippy::too_many_arguments)]
fn spec_for(
    port: u16,
    user: &str,
    pem: String,
    pin: &str,
    remote: &str,
    size: u64,
    sha: &str,
    dest: &Path,
) -> DownloadSpec {
    DownloadSpec {
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port,
            username: user.into(),
        },
        key: PrivateKey::new(pem, None),
        host_keys: HostKeyPolicy {
            pinned: Some(pin.into()),
            ..HostKeyPolicy::default()
        },
        remote_path: remote.into(),
        expected_size: size,
        expected_sha256: sha.into(),
        dest_dir: dest.to_path_buf(),
        backup_id: "bench".into(),
        file_name: "bench.zip".into(),
        replace: None,
        options: TransferOptions {
            timeouts: Timeouts {
                operation: Duration::from_secs(60),
                ..Timeouts::default()
            },
            ..TransferOptions::default()
        },
    }
}

/// CPU seconds this process has used, all threads (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or("", |(_, rest)| rest)
        .split(' ')
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // utime and stime, in clock ticks of 1/100 s.
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
}

/// What one engine run measured besides its time.
#[derive(Default)]
struct RunCosts {
    hash_tail_s: Vec<f64>,
    cpu_s: Vec<f64>,
}

/// One download; its hash tail and client CPU go to `costs`.
fn engine_run(spec: &DownloadSpec, streams: usize, verify: bool, costs: &RefCell<RunCosts>) -> f64 {
    let mut spec = spec.clone();
    // streams == 0: "Automatic" (up to 8, as the app's default).
    spec.options.adaptive = streams == 0;
    spec.options.streams = if streams == 0 { 8 } else { streams };
    spec.options.verify = verify;
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("engine download");
    let secs = started.elapsed().as_secs_f64();
    let mut costs = costs.borrow_mut();
    costs.cpu_s.push(cpu_seconds() - cpu);
    costs.hash_tail_s.push(done.hash_tail.as_secs_f64());
    let _ = std::fs::remove_file(&done.path);
    secs
}

fn openssh_run(server: &SshServer, key: &ClientKey, port: u16, remote: &str, dest: &Path) -> f64 {
    let local = dest.join("openssh.zip");
    let started = Instant::now();
    sftp_get(port, &server.user, key, remote, &local).expect("OpenSSH sftp download");
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&local);
    secs
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A named way to download the archive once, returning seconds.
type Contender<'a> = (&'a str, Box<dyn FnMut() -> f64 + 'a>);

/// Runs each contender `runs` times, interleaved; returns median seconds per contender.
fn interleaved(runs: usize, contenders: &mut [Contender<'_>]) -> Vec<f64> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for round in 0..runs {
        for (i, (name, run)) in contenders.iter_mut().enumerate() {
            let t = run();
            eprintln!("  run {}/{runs} {name}: {t:.2} s", round + 1);
            times[i].push(t);
        }
    }
    times.into_iter().map(median).collect()
}

/// The download a child runs, from the JSON its parent passes.
fn child_spec(args: &[String]) -> DownloadSpec {
    let json: serde_json::Value =
        serde_json::from_str(args.first().map_or("", String::as_str)).expect("child spec");
    let text = |k: &str| json[k].as_str().unwrap_or_default().to_owned();
    let mut spec = spec_for(
        json["port"].as_u64().unwrap_or(22) as u16,
        &text("user"),
        std::fs::read_to_string(text("key")).expect("key file"),
        &text("pin"),
        &text("remote"),
        json["size"].as_u64().unwrap_or(0),
        &text("sha"),
        Path::new(&text("dest")),
    );
    spec.options.streams = json["streams"].as_u64().map_or(4, |n| n as usize);
    spec.options.adaptive = false;
    spec.options.read_size = json["read_size"].as_u64().unwrap_or(0) as usize;
    spec
}

/// Child mode: download once and print the peak RSS (VmHWM, KiB).
fn child_rss(args: Vec<String>) -> ! {
    let mut spec = child_spec(&args);
    spec.backup_id = "bench-rss".into();
    spec.file_name = "rss.zip".into();
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
    let _ = std::fs::remove_file(&done.path);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap_or("VmHWM: 0 kB");
    println!("{}", hwm.split_whitespace().nth(1).unwrap_or("0"));
    std::process::exit(0);
}

fn main() {
    let args = parse_args();
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let server = SshServer::start(&[&key]).expect("sshd");
    let size = args.size_mib << 20;
    eprintln!("making a {} MiB archive…", args.size_mib);
    let sha = make_archive(&server.served_dir.join("bench.zip"), size);
    let dest =
        tempfile::tempdir_in(std::env::current_dir().expect("cwd").join("target")).expect("dest");
    let mib = size as f64 / 1_048_576.0;
    let mut report = serde_json::json!({"size_bytes": size, "runs": args.runs});

    if args.loopback {
        println!(
            "\n== loopback, {:.0} MiB, medians of {} interleaved runs ==",
            mib, args.runs
        );
        let mut base = spec(
            &server,
            &key,
            server.port,
            "bench.zip",
            size,
            &sha,
            dest.path(),
        );
        base.options.read_size = args.read_kib * 1024;
        // Per engine row (the no-verify row hashes nothing).
        let costs: [RefCell<RunCosts>; 5] = Default::default();
        let medians = interleaved(
            args.runs,
            &mut [
                (
                    "openssh sftp",
                    Box::new(|| openssh_run(&server, &key, server.port, "bench.zip", dest.path())),
                ),
                (
                    "engine N=1",
                    Box::new(|| engine_run(&base, 1, true, &costs[0])),
                ),
                (
                    "engine N=2",
                    Box::new(|| engine_run(&base, 2, true, &costs[1])),
                ),
                (
                    "engine N=4",
                    Box::new(|| engine_run(&base, 4, true, &costs[2])),
                ),
                (
                    "engine N=4 no verify",
                    Box::new(|| engine_run(&base, 4, false, &costs[3])),
                ),
                (
                    "engine automatic",
                    Box::new(|| engine_run(&base, 0, true, &costs[4])),
                ),
            ],
        );
        let tail_ms: Vec<f64> = costs
            .iter()
            .map(|c| median(c.borrow().hash_tail_s.clone()) * 1000.0)
            .collect();
        let cpu_s: Vec<f64> = costs
            .iter()
            .map(|c| median(c.borrow().cpu_s.clone()))
            .collect();
        let openssh = medians[0];
        println!(
            "{:<24} {:>8} {:>10} {:>10} {:>14} {:>14}",
            "client", "seconds", "MB/s", "vs sftp", "hash tail ms", "client CPU s"
        );
        let names = [
            "openssh sftp",
            "engine N=1",
            "engine N=2",
            "engine N=4",
            "engine N=4 no verify",
            "engine automatic",
        ];
        for (i, (name, t)) in names.iter().zip(&medians).enumerate() {
            let engine = i.checked_sub(1);
            let tail = match engine.and_then(|e| tail_ms.get(e)) {
                Some(ms) if i != 4 => format!("{ms:.1}"),
                _ => "-".into(),
            };
            let cpu = engine
                .and_then(|e| cpu_s.get(e))
                .map_or("-".into(), |s| format!("{s:.2}"));
            println!(
                "{name:<24} {t:>8.2} {:>10.1} {:>9.2}× {tail:>14} {cpu:>14}",
                size as f64 / t / 1e6,
                openssh / t
            );
        }
        let verify_overhead = medians[3] / medians[4] - 1.0;
        println!(
            "verification overhead (N=4, on vs off): {:+.1}%",
            verify_overhead * 100.0
        );
        report["loopback"] = serde_json::json!({
            "openssh_s": medians[0], "engine_n1_s": medians[1], "engine_n2_s": medians[2], "engine_n4_s": medians[3],
            "engine_n4_noverify_s": medians[4], "engine_automatic_s": medians[5], "ratio_n4_vs_openssh": openssh / medians[3],
            "ratio_automatic_vs_openssh": openssh / medians[5], "verify_overhead": verify_overhead,
            "hash_tail_ms_n1": tail_ms[0], "hash_tail_ms_n2": tail_ms[1], "hash_tail_ms_n4": tail_ms[2],
            "client_cpu_s_n1": cpu_s[0], "client_cpu_s_n2": cpu_s[1], "client_cpu_s_n4": cpu_s[2], "client_cpu_s_n4_noverify": cpu_s[3], "client_cpu_s_automatic": cpu_s[4],
        });
    }

    if args.link {
        let link_size = args.link_mib << 20;
        eprintln!("making a {} MiB archive for the links…", args.link_mib);
        let link_sha = make_archive(&server.served_dir.join("link.zip"), link_size);
        let mut sections = Vec::new();
        let extra = args.extra_rtt_ms.map(|ms| test_support::proxy::Link {
            name: Box::leak(format!("{ms} ms, uncapped").into_boxed_str()),
            rtt: Duration::from_millis(ms),
            cap: None,
        });
        let chosen = test_support::proxy::BENCH_LINKS
            .iter()
            .chain(extra.iter())
            .filter(|l| {
                args.links_filter
                    .as_deref()
                    .is_none_or(|f| l.name.contains(f))
            });
        for link in chosen {
            // Loopback with the loopback archive, the links with theirs.
            let (remote, size, sha) = match link.is_loopback() {
                true => ("bench.zip", size, sha.as_str()),
                false => ("link.zip", link_size, link_sha.as_str()),
            };
            sections.push(peers::section(
                &server,
                &key,
                link,
                remote,
                size,
                sha,
                dest.path(),
                args.runs,
                args.clients_filter.as_deref(),
            ));
        }
        report["peers"] = serde_json::Value::Array(sections);
        let _ = std::fs::remove_file(server.served_dir.join("link.zip"));
    }

    if args.rss {
        let big = 4u64 << 30;
        eprintln!("making a 4 GiB archive for the memory measurement…");
        let big_sha = make_archive(&server.served_dir.join("big.zip"), big);
        let key_path = dest.path().join("id_bench");
        std::fs::write(&key_path, &key.private_pem).expect("key");
        // Through a 20 ms link, where the engine picks its largest reads
        // (the most memory per session), and on loopback.
        let proxy = FaultProxy::to_local_port(server.port).expect("proxy");
        proxy.set_link(Duration::from_millis(20), None);
        println!("\n== memory: peak RSS of the engine downloading 4 GiB ==");
        println!("{:<20} {:>10} {:>12}", "link", "sessions", "peak MiB");
        let mut rows = Vec::new();
        for (link, port) in [("loopback", server.port), ("20 ms", proxy.port)] {
            for sessions in [4u64, 16] {
                let child = serde_json::json!({
                    "port": port, "user": server.user, "key": key_path, "pin": server.host_key_fingerprints[0],
                    "remote": "big.zip", "size": big, "sha": big_sha, "dest": dest.path(), "streams": sessions,
                });
                let out = Command::new(std::env::current_exe().expect("exe"))
                    .args(["--child-rss", &child.to_string()])
                    .output()
                    .expect("child");
                assert!(
                    out.status.success(),
                    "child failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let kib: u64 = String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse()
                    .unwrap_or(0);
                let mib = kib as f64 / 1024.0;
                println!("{link:<20} {sessions:>10} {mib:>12.1}");
                rows.push(
                    serde_json::json!({"link": link, "sessions": sessions, "peak_rss_mib": mib}),
                );
            }
        }
        report["peak_rss_4gib"] = serde_json::Value::Array(rows);
        let _ = std::fs::remove_file(server.served_dir.join("big.zip"));
    }

    if args.kill {
        let loopback = kill::Place {
            name: "loopback",
            port: server.port,
            remote: "bench.zip",
            size,
            sha: &sha,
            read_size: 256 << 10,
        };
        let mut rows = vec![kill::section(
            &server,
            &key,
            &loopback,
            dest.path(),
            args.read_kib,
        )];
        // Where the issue was seen: a 50 ms, 100 MB/s link.
        let link_size = args.link_mib << 20;
        let link_sha = make_archive(&server.served_dir.join("kill.zip"), link_size);
        let proxy = FaultProxy::to_local_port(server.port).expect("proxy");
        proxy.set_link(Duration::from_millis(50), Some(100_000_000));
        let link = kill::Place {
            name: "50 ms, 100 MB/s",
            port: proxy.port,
            remote: "kill.zip",
            size: link_size,
            sha: &link_sha,
            read_size: 2 << 20,
        };
        rows.push(kill::section(
            &server,
            &key,
            &link,
            dest.path(),
            args.read_kib,
        ));
        let _ = std::fs::remove_file(server.served_dir.join("kill.zip"));
        report["kill_at_half"] = serde_json::Value::Array(rows);
    }

    let out_dir = std::env::current_dir().expect("cwd").join("target/bench");
    std::fs::create_dir_all(&out_dir).expect("bench dir");
    std::fs::write(
        out_dir.join("sftp.json"),
        serde_json::to_string_pretty(&report).expect("json"),
    )
    .expect("write");
    println!("\nwritten: target/bench/sftp.json");
}
