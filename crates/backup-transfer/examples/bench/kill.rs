//! `--kill-at-half`: a child process downloads the archive and is killed
//! with SIGKILL once half of it is on disk; the journal it left is checked
//! against the source (it must vouch only for bytes that are there), the
//! bytes on disk that no journal vouched for are counted (a resume fetches
//! them again), and the download is resumed in this process.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backup_transfer::journal::{Journal, RangeSet};
use backup_transfer::{CancelToken, DownloadSpec, discard_partial, download, partial_paths};
use test_support::sshd::{ClientKey, SshServer};

/// What one kill at half and the resume after it measured.
pub struct KillReport {
    pub sessions: usize,
    /// Bytes on disk when the child was killed (matching the source).
    pub landed: u64,
    /// Bytes the journal vouched for: where the resume started.
    pub resumed_from: u64,
    /// Bytes on disk that no journal vouched for: fetched again.
    pub resent: u64,
    /// Whether every range the journal marks done holds the source's bytes.
    pub journal_truthful: bool,
    pub resume_seconds: f64,
    pub resume_hash_tail: Duration,
}

/// The backup id the killed download runs as (its own partial file).
pub const BACKUP_ID: &str = "bench-kill";

/// Runs in the child: downloads `spec` and prints the bytes done on every
/// progress report, so the parent can kill it at a given point.
pub fn child(mut spec: DownloadSpec) -> ! {
    spec.backup_id = BACKUP_ID.into();
    spec.options.progress_interval = Duration::ZERO;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = download(
        &spec,
        &mut |p| {
            let _ = writeln!(out, "{}", p.done);
        },
        &CancelToken::new(),
    );
    drop(out);
    match result {
        Ok(done) => {
            let _ = std::fs::remove_file(&done.path);
            println!("finished");
            std::process::exit(0)
        }
        Err(error) => {
            eprintln!("child download: {error}");
            std::process::exit(1)
        }
    }
}

/// Starts `child_args` (this program in child mode for `spec`), SIGKILLs it
/// once half the file is on disk, then checks and resumes what it left.
pub fn kill_at_half(
    spec: &DownloadSpec,
    source: &Path,
    child_args: &[String],
) -> Result<KillReport, String> {
    let mut spec = spec.clone();
    spec.backup_id = BACKUP_ID.into();
    let size = spec.expected_size;
    let (part, journal_path) =
        partial_paths(&spec.dest_dir, BACKUP_ID).map_err(|e| e.to_string())?;
    discard_partial(&spec.dest_dir, BACKUP_ID).map_err(|e| e.to_string())?;
    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(child_args)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start the child: {e}"))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut killed = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.parse::<u64>().is_ok_and(|done| done >= size / 2) {
            child.kill().map_err(|e| format!("kill -9: {e}"))?;
            killed = true;
            break;
        }
    }
    let _ = child.wait();
    if !killed {
        return Err("the child ended before half the file was on disk".into());
    }
    let journal = Journal::load(&journal_path).ok_or("no readable journal after the kill")?;
    let (journal_truthful, resent) = check_against_source(&journal.done, &part, source, size)?;
    let started = Instant::now();
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).map_err(|e| e.to_string())?;
    let resume_seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&done.path);
    Ok(KillReport {
        sessions: spec.options.streams,
        landed: journal.done.covered() + resent,
        resumed_from: done.resumed_bytes,
        resent,
        journal_truthful,
        resume_seconds,
        resume_hash_tail: done.hash_tail,
    })
}

/// Whether every range `done` claims holds the source's bytes, and how many
/// bytes outside them do too (whole 4 KiB blocks from the start of each
/// gap: landed, not vouched for).
fn check_against_source(
    done: &RangeSet,
    part: &Path,
    source: &Path,
    size: u64,
) -> Result<(bool, u64), String> {
    use std::os::unix::fs::FileExt;
    let part = std::fs::File::open(part).map_err(|e| e.to_string())?;
    let source = std::fs::File::open(source).map_err(|e| e.to_string())?;
    let (mut ours, mut theirs) = (vec![0u8; 8 << 20], vec![0u8; 8 << 20]);
    // Bytes of [start, end) in blocks of `block` equal to the source's.
    let mut matching = |start: u64, end: u64, block: usize| -> Result<u64, String> {
        let mut equal = 0;
        let mut at = start;
        while at < end {
            let len = (end - at).min(ours.len() as u64) as usize;
            part.read_exact_at(&mut ours[..len], at)
                .and_then(|()| source.read_exact_at(&mut theirs[..len], at))
                .map_err(|e| e.to_string())?;
            equal += ours[..len]
                .chunks(block)
                .zip(theirs[..len].chunks(block))
                .filter(|(a, b)| a == b)
                .map(|(a, _)| a.len() as u64)
                .sum::<u64>();
            at += len as u64;
        }
        Ok(equal)
    };
    let mut truthful = true;
    let mut beyond = 0;
    let mut at = 0;
    for (gap_start, gap_end) in done.missing(size).into_iter().chain([(size, size)]) {
        // [at, gap_start) is a range the journal marks done.
        truthful &= matching(at, gap_start, 4096)? == gap_start - at;
        beyond += matching(gap_start, gap_end, 4096)?;
        at = gap_end;
    }
    Ok((truthful, beyond))
}

/// Where the killed download runs: a name, the port (the server, or a proxy
/// emulating a link in front of it), the archive, and the read size the
/// engine picks there (for the bound: one read window per session).
pub struct Place<'a> {
    pub name: &'a str,
    pub port: u16,
    pub remote: &'a str,
    pub size: u64,
    pub sha: &'a str,
    pub read_size: usize,
}

/// `--kill-at-half` with 1, 2 and 4 sessions at `place`; returns the JSON rows.
pub fn section(
    server: &SshServer,
    key: &ClientKey,
    place: &Place<'_>,
    dest: &Path,
    read_kib: usize,
) -> serde_json::Value {
    let (port, remote, size, sha) = (place.port, place.remote, place.size, place.sha);
    let read_size = if read_kib > 0 {
        read_kib << 10
    } else {
        place.read_size
    } as u64;
    let window = 4 * read_size;
    println!(
        "\n== kill -9 at 50%, then resume ({}, {:.0} MiB; read window {} KiB) ==",
        place.name,
        size as f64 / 1_048_576.0,
        window >> 10
    );
    println!(
        "{:<10} {:>12} {:>14} {:>12} {:>14} {:>10} {:>12} {:>14}",
        "sessions",
        "landed MB",
        "resumed from MB",
        "re-sent MB",
        "bound MB",
        "journal",
        "resume s",
        "hash tail ms"
    );
    let key_path = dest.join("id_bench_kill");
    std::fs::write(&key_path, &key.private_pem).expect("key");
    let mut rows = Vec::new();
    for sessions in [1usize, 2, 4] {
        let child = serde_json::json!({
            "port": port, "user": server.user, "key": key_path, "pin": server.host_key_fingerprints[0],
            "remote": remote, "size": size, "sha": sha, "dest": dest,
            "streams": sessions, "read_size": read_size,
        });
        let mut base = super::spec(server, key, port, remote, size, sha, dest);
        base.options.streams = sessions;
        base.options.adaptive = false;
        // The read size the bound is worked out from, not one picked from
        // the round trip (on a loaded machine loopback's can pass 5 ms, and
        // the reads grow to 1 MiB).
        base.options.read_size = read_size as usize;
        let args = ["--child-download".to_owned(), child.to_string()];
        let source = server.served_dir.join(remote);
        match kill_at_half(&base, &source, &args) {
            Ok(r) => {
                let bound = r.sessions as u64 * window;
                println!(
                    "{:<10} {:>12.1} {:>14.1} {:>12.2} {:>14.2} {:>10} {:>12.2} {:>14.1}",
                    r.sessions,
                    r.landed as f64 / 1e6,
                    r.resumed_from as f64 / 1e6,
                    r.resent as f64 / 1e6,
                    bound as f64 / 1e6,
                    if r.journal_truthful {
                        "truthful"
                    } else {
                        "LIES"
                    },
                    r.resume_seconds,
                    r.resume_hash_tail.as_secs_f64() * 1000.0
                );
                rows.push(serde_json::json!({
                    "place": place.name, "sessions": r.sessions, "landed_bytes": r.landed, "resumed_from_bytes": r.resumed_from,
                    "resent_bytes": r.resent, "bound_bytes": bound, "journal_truthful": r.journal_truthful,
                    "resume_s": r.resume_seconds, "resume_hash_tail_ms": r.resume_hash_tail.as_secs_f64() * 1000.0,
                }));
            }
            Err(error) => println!("{sessions:<10} failed: {error}"),
        }
    }
    serde_json::Value::Array(rows)
}
