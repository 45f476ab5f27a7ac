//! `make bench` (archive check): what the archive check adds to a download.
//!
//! The reference provider writes a ~1 GiB archive (its benchmark padding:
//! contacts stored, as large exports are) into a real OpenSSH sshd's folder;
//! each round downloads it with the engine (4 sessions, SHA-256 verified,
//! loopback), checks it with `backup_archive::check`, and tests it with the
//! peer tool `unzip -tq` (CRC only, no record count) — interleaved, medians.
//! Prints a table and writes `target/bench/archive-check.json`.
//! Options: `--size-mib N` (default 1024), `--runs N` (default 3).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use backup_archive::{Limits, check};
use backup_transfer::{
    CancelToken, DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, Timeouts, TransferOptions,
    download,
};
use test_support::sshd::{ClientKey, KeyKind, SshServer};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let size_mib = arg("--size-mib", 1024);
    let runs = arg("--runs", 3).max(1) as usize;
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let server = SshServer::start(&[&key]).expect("sshd");
    eprintln!("the provider writes a {size_mib} MiB archive…");
    let records: Vec<(String, Vec<String>)> = vec![
        (
            "companies".into(),
            (1..=200)
                .map(|i| format!("co{i},\"Company {i}, Ltda\",c{i}.example.com,Retail,{i},BR"))
                .collect(),
        ),
        (
            "tickets".into(),
            (1..=300)
                .map(|i| format!("tk{i},\"Cannot export\nreport {i}\",c{i},high,open,2026-01-01"))
                .collect(),
        ),
    ];
    let archive = backup_provider::archive::generate(
        &server.served_dir,
        "bench.zip",
        &records,
        Some(size_mib << 20),
    )
    .expect("archive");
    let dest =
        tempfile::tempdir_in(std::env::current_dir().expect("cwd").join("target")).expect("dest");
    let spec = DownloadSpec {
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: server.port,
            username: server.user.clone(),
        },
        key: PrivateKey::new(String::from_utf8_lossy(&key.private_pem).into_owned(), None),
        host_keys: HostKeyPolicy {
            pinned: Some(server.host_key_fingerprints[0].clone()),
            ..HostKeyPolicy::default()
        },
        remote_path: "bench.zip".into(),
        expected_size: archive.size_bytes,
        expected_sha256: archive.sha256.clone(),
        dest_dir: dest.path().to_path_buf(),
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
    };
    let (mut downloads, mut checks, mut unzips) = (Vec::new(), Vec::new(), Vec::new());
    let mut rows = 0;
    for round in 1..=runs {
        let started = Instant::now();
        let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
        downloads.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let found =
            check(&done.path, &Limits::default(), &mut |_, _| {}, &|| false).expect("check");
        checks.push(started.elapsed().as_secs_f64());
        assert!(
            found.is_intact(),
            "the benchmark archive is intact: {:?}",
            found.problem
        );
        rows = found.entries.iter().filter_map(|e| e.rows).sum::<u64>();
        let started = Instant::now();
        let status = Command::new("unzip")
            .args(["-tq"])
            .arg(&done.path)
            .stdout(std::process::Stdio::null())
            .status();
        let unzip = started.elapsed().as_secs_f64();
        match status {
            Ok(s) if s.success() => unzips.push(unzip),
            _ => eprintln!("  unzip -t is not available or failed: no peer figure"),
        }
        eprintln!(
            "  round {round}/{runs}: download {:.2} s, check {:.2} s, unzip -t {unzip:.2} s",
            downloads[round - 1],
            checks[round - 1]
        );
        let _ = std::fs::remove_file(&done.path);
    }
    let (download_s, check_s) = (median(downloads), median(checks));
    let unzip_s = (!unzips.is_empty()).then(|| median(unzips));
    let share = 100.0 * check_s / download_s;
    println!(
        "\n== archive check, {:.0} MiB archive ({rows} records), loopback, medians of {runs} interleaved runs ==",
        archive.size_bytes as f64 / 1_048_576.0
    );
    println!("{:<44} {:>9}", "", "seconds");
    println!(
        "{:<44} {:>9.2}",
        "download, 4 sessions, SHA-256 verified", download_s
    );
    println!(
        "{:<44} {:>9.2}  (+{share:.1}% of the download; target ≤ 15%)",
        "archive check (every CRC + CSV records)", check_s
    );
    if let Some(u) = unzip_s {
        println!(
            "{:<44} {:>9.2}  (check / unzip = {:.2}×)",
            "peer: unzip -tq (CRC only)",
            u,
            check_s / u
        );
    }
    let report = serde_json::json!({
        "archive_bytes": archive.size_bytes, "records": rows, "runs": runs,
        "download_s": download_s, "check_s": check_s, "check_share_of_download_pct": share,
        "unzip_t_s": unzip_s,
    });
    let out = Path::new("target/bench");
    std::fs::create_dir_all(out).expect("target/bench");
    std::fs::write(out.join("archive-check.json"), report.to_string()).expect("json");
    println!("written: target/bench/archive-check.json");
}
