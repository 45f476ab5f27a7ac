//! The download itself: N SSH sessions pull segments of one remote file
//! into the backup's locked partial file (see [`crate::partial`]) at their
//! offsets, a hasher follows the completed prefix through the same handle so
//! verification ends right after the last byte, a journal records what is on
//! disk, and that same handle is finalized atomically.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::TransferError;
use crate::files;
use crate::hostkey::HostKeyPolicy;
use crate::io_at;
use crate::journal::{Journal, RangeSet};
use crate::partial::{self, Partial};
use crate::progress::{CancelToken, Progress, ProgressMeter};
use crate::session::{self, Connected, Endpoint, PrivateKey, Timeouts};

/// How to download.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    /// Parallel SSH sessions, 1–16.
    pub streams: usize,
    /// Bytes asked of libssh2 per read; it keeps requests in flight in
    /// proportion, so large reads keep a long link full. `0` picks it from
    /// the measured round trip: small on a LAN (less CPU per byte), large on
    /// a long link.
    pub read_size: usize,
    /// Work unit handed to a session. A cut loses what was in flight, up to
    /// `streams × 4 × read_size`; keep the segment at least that large so a
    /// cut never costs more than one segment.
    pub segment_size: u64,
    pub timeouts: Timeouts,
    /// Reconnections a session may make after network errors.
    pub max_retries: u32,
    /// First delay between retries (doubled each time, at most 5 s).
    pub retry_delay: Duration,
    /// Check the SHA-256 (always on for users; off only to measure its cost).
    pub verify: bool,
    pub progress_interval: Duration,
}

impl Default for TransferOptions {
    fn default() -> TransferOptions {
        TransferOptions {
            streams: 4,
            read_size: 0,
            segment_size: 32 * 1024 * 1024,
            timeouts: Timeouts::default(),
            max_retries: 5,
            retry_delay: Duration::from_millis(200),
            verify: true,
            progress_interval: Duration::from_millis(100),
        }
    }
}

/// One file to download.
#[derive(Debug, Clone)]
pub struct DownloadSpec {
    pub endpoint: Endpoint,
    pub key: PrivateKey,
    pub host_keys: HostKeyPolicy,
    pub remote_path: String,
    pub expected_size: u64,
    /// Lowercase hex SHA-256 the provider published.
    pub expected_sha256: String,
    pub dest_dir: PathBuf,
    /// The backup this file is: its id names the partial download and its
    /// lock, so two backups never share one and two downloaders of the same
    /// backup never run at once. Must be a valid backup id.
    pub backup_id: String,
    /// The name the provider suggested (sanitized before use; two backups
    /// may suggest the same one).
    pub file_name: String,
    /// A verified copy in `dest_dir` this download replaces once verified
    /// (one rename; it stays intact if the download fails or is cancelled).
    /// `None`: a new name that overwrites nothing.
    pub replace: Option<PathBuf>,
    pub options: TransferOptions,
}

/// A finished, verified download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// Bytes that were already on disk from an earlier attempt.
    pub resumed_bytes: u64,
    /// Sessions that took part.
    pub streams_used: usize,
}

/// Connects, checks the host key and logs in with the key, as a download
/// would, then opens SFTP; returns the server's fingerprint. For "Test
/// connection" in the app and `connection test` in the CLI.
pub fn test_connection(
    endpoint: &Endpoint,
    key: &PrivateKey,
    host_keys: &HostKeyPolicy,
    timeouts: &Timeouts,
) -> Result<String, TransferError> {
    let connected = session::connect(endpoint, key, host_keys, timeouts)?;
    Ok(connected.fingerprint)
}

struct Plan {
    /// Unclaimed segments by start offset.
    queue: BTreeMap<u64, u64>,
    done: RangeSet,
    active: usize,
    ever_connected: usize,
    errors: Vec<TransferError>,
    abort: bool,
    workers_done: bool,
}

struct Shared<'a> {
    plan: Mutex<Plan>,
    changed: Condvar,
    spec: &'a DownloadSpec,
    part: &'a File,
    cancel: &'a CancelToken,
    read_size: usize,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn map_sftp_error(error: ssh2::Error, path: &str) -> TransferError {
    match error.code() {
        ssh2::ErrorCode::SFTP(2) => TransferError::NotFound(path.to_owned()),
        ssh2::ErrorCode::SFTP(3) => TransferError::PermissionDenied(path.to_owned()),
        _ => TransferError::Network(format!("SFTP: {error}")),
    }
}

/// Downloads `spec`, resuming a matching partial download, and returns the
/// verified final file. On failure the partial file and journal stay for a
/// later resume, except after a verification failure (they are discarded).
/// `Invalid` for a bad backup id or stream count (before anything happens);
/// `Busy` while another download of the same backup into the same folder
/// runs (in this process or another).
pub fn download(
    spec: &DownloadSpec,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<Downloaded, TransferError> {
    partial::check_backup_id(&spec.backup_id)?;
    let options = &spec.options;
    if !(1..=16).contains(&options.streams) {
        return Err(TransferError::Invalid(format!(
            "{} parallel streams: choose 1 to 16.",
            options.streams
        )));
    }
    if !spec.dest_dir.is_dir() {
        return Err(TransferError::local(
            &spec.dest_dir,
            "the download folder does not exist",
        ));
    }
    let name = files::sanitize_file_name(&spec.file_name);

    let first = session::connect(
        &spec.endpoint,
        &spec.key,
        &spec.host_keys,
        &options.timeouts,
    )?;
    cancel.register(&first.socket);
    // Cancelled while connecting (registering shuts the socket): say so,
    // not "network error".
    if cancel.is_cancelled() {
        return Err(TransferError::Cancelled);
    }
    let asked = Instant::now();
    let stat =
        first
            .sftp
            .stat(Path::new(&spec.remote_path))
            .map_err(|e| match cancel.is_cancelled() {
                true => TransferError::Cancelled,
                false => map_sftp_error(e, &spec.remote_path),
            })?;
    let read_size = match options.read_size {
        0 => read_size_for(asked.elapsed()),
        chosen => chosen,
    };
    let size = stat.size.unwrap_or(0);
    let mtime = stat.mtime.unwrap_or(0);
    if size != spec.expected_size {
        return Err(TransferError::RemoteChanged(format!(
            "{size} bytes on the server, {} published",
            spec.expected_size
        )));
    }

    // From here on this backup's partial download is ours alone.
    let partial = Partial::acquire(&spec.dest_dir, &spec.backup_id)?;
    let expected = Journal {
        backup_id: spec.backup_id.clone(),
        remote_path: spec.remote_path.clone(),
        size,
        mtime,
        expected_sha256: spec.expected_sha256.clone(),
        done: RangeSet::default(),
    };
    let done = match partial.resumable(&expected) {
        Some(journal) => journal.done,
        None => {
            partial.start_fresh(size)?;
            RangeSet::default()
        }
    };
    let resumed_bytes = done.covered();
    let part = partial.file();
    let journal = |done: &RangeSet| Journal {
        done: done.clone(),
        ..expected.clone()
    };
    partial.save_journal(&journal(&done))?;

    let mut queue = BTreeMap::new();
    for (start, end) in done.missing(size) {
        let mut at = start;
        while at < end {
            let stop = (at + options.segment_size).min(end);
            queue.insert(at, stop);
            at = stop;
        }
    }
    let streams = options.streams.min(queue.len().max(1));
    let shared = Shared {
        plan: Mutex::new(Plan {
            queue,
            done,
            active: streams,
            ever_connected: 1,
            errors: Vec::new(),
            abort: false,
            workers_done: false,
        }),
        changed: Condvar::new(),
        spec,
        part,
        cancel,
        read_size,
    };
    let mut meter = ProgressMeter::new(size, options.progress_interval);
    let outcome = thread::scope(|scope| {
        let hasher = options
            .verify
            .then(|| scope.spawn(|| follow_prefix(&shared, partial.path(), size)));
        let mut first = Some(first);
        for index in 0..streams {
            let connection = first.take();
            let shared = &shared;
            scope.spawn(move || worker(shared, index, connection));
        }
        let mut last_journal = Instant::now();
        loop {
            let plan = shared.lock();
            let (plan, _) = shared
                .changed
                .wait_timeout(plan, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner());
            let (covered, active, finished) = (plan.done.covered(), plan.active, plan.active == 0);
            let snapshot = (last_journal.elapsed() >= Duration::from_secs(1) || finished)
                .then(|| plan.done.clone());
            drop(plan);
            if let Some(progress) = meter.observe(covered, active, Instant::now(), finished) {
                on_progress(progress);
            }
            if let Some(done) = snapshot {
                // Data first, then the journal that vouches for it.
                let _ = part.sync_data();
                let _ = partial.save_journal(&journal(&done));
                last_journal = Instant::now();
            }
            if finished {
                break;
            }
        }
        shared.lock().workers_done = true;
        shared.changed.notify_all();
        hasher.map(|h| {
            h.join()
                .unwrap_or(Err(TransferError::Invalid("the hasher stopped".into())))
        })
    });

    let mut plan = shared.lock();
    if plan.done.covered() < size {
        if cancel.is_cancelled() {
            return Err(TransferError::Cancelled);
        }
        let error = plan.errors.drain(..).next();
        return Err(error.unwrap_or_else(|| {
            TransferError::Network("every session stopped before the end".into())
        }));
    }
    let streams_used = plan.ever_connected.min(streams);
    drop(plan);
    let sha256 = match outcome {
        Some(Ok(hash)) => hash,
        Some(Err(error)) => return Err(error),
        None => String::new(),
    };
    if options.verify && !sha256.eq_ignore_ascii_case(&spec.expected_sha256) {
        partial.discard();
        return Err(TransferError::VerificationFailed {
            expected: spec.expected_sha256.clone(),
            actual: sha256,
        });
    }
    let path = match &spec.replace {
        Some(target) => partial.finalize_replacing(&spec.dest_dir, target, &name)?,
        None => partial.finalize(&spec.dest_dir, &name)?,
    };
    Ok(Downloaded {
        path,
        size,
        sha256,
        resumed_bytes,
        streams_used,
    })
}

/// Hashes the file as its completed prefix grows, reading through the
/// locked handle the sessions write to (never the path, which could name
/// another file by then); returns the hex SHA-256.
fn follow_prefix(
    shared: &Shared<'_>,
    part_path: &Path,
    size: u64,
) -> Result<String, TransferError> {
    let reader = shared.part;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < size {
        let target = {
            let mut plan = shared.lock();
            loop {
                let prefix = plan.done.prefix();
                if prefix > at {
                    break prefix;
                }
                if plan.workers_done || plan.abort {
                    return Ok(String::new()); // incomplete: the caller reports why
                }
                plan = shared
                    .changed
                    .wait_timeout(plan, Duration::from_millis(200))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        };
        while at < target {
            let want = buf.len().min((target - at) as usize);
            let n = io_at::read_at(reader, &mut buf[..want], at)
                .map_err(|e| TransferError::local(part_path, e))?;
            if n == 0 {
                return Err(TransferError::local(
                    part_path,
                    "the partial file is shorter than expected",
                ));
            }
            hasher.update(&buf[..n]);
            at += n as u64;
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// One session's loop: take a segment, read it into place, repeat;
/// reconnect with backoff after network errors.
fn worker(shared: &Shared<'_>, index: usize, mut connection: Option<Connected>) {
    let spec = shared.spec;
    let options = &spec.options;
    let mut buf = vec![0u8; shared.read_size.max(32 * 1024)];
    let mut file: Option<ssh2::File> = None;
    let mut failures = 0u32;
    let mut connected_once = connection.is_some();
    let mut first_pick = true;
    let finish = |error: Option<TransferError>| {
        let mut plan = shared.lock();
        plan.active -= 1;
        if let Some(error) = error {
            if !error.is_retryable() && !matches!(error, TransferError::Cancelled) {
                plan.abort = true; // no point in other sessions going on
            }
            plan.errors.push(error);
        }
        drop(plan);
        shared.changed.notify_all();
    };
    'segments: loop {
        if shared.cancel.is_cancelled() {
            return finish(None);
        }
        let segment = {
            let mut plan = shared.lock();
            if plan.abort {
                None
            } else if first_pick {
                // Each session starts in its own region of the file, so it
                // can read on contiguously (see the extension below).
                first_pick = false;
                let nth = index * plan.queue.len() / options.streams.max(1);
                let key = plan
                    .queue
                    .keys()
                    .nth(nth)
                    .or_else(|| plan.queue.keys().next())
                    .copied();
                key.and_then(|k| plan.queue.remove_entry(&k))
            } else {
                plan.queue.pop_first()
            }
        };
        let Some((start, mut end)) = segment else {
            return finish(None);
        };
        let requeue = |from: u64, end: u64| {
            if from < end {
                shared.lock().queue.insert(from, end);
            }
        };
        if connection.is_none() {
            match session::connect(
                &spec.endpoint,
                &spec.key,
                &spec.host_keys,
                &options.timeouts,
            ) {
                Ok(c) => {
                    shared.cancel.register(&c.socket);
                    if !connected_once {
                        shared.lock().ever_connected += 1;
                    }
                    connected_once = true;
                    connection = Some(c);
                }
                Err(error) => {
                    requeue(start, end);
                    let others = shared.lock().active > 1;
                    if !connected_once && index > 0 && others {
                        // The server limits sessions: go on with fewer.
                        return finish(None);
                    }
                    if error.is_retryable()
                        && failures < options.max_retries
                        && !shared.cancel.is_cancelled()
                    {
                        failures += 1;
                        backoff(shared.cancel, options.retry_delay, failures);
                        continue 'segments;
                    }
                    return finish(Some(error));
                }
            }
        }
        let Some(conn) = connection.as_ref() else {
            continue;
        };
        if file.is_none() {
            match conn.sftp.open(Path::new(&spec.remote_path)) {
                Ok(f) => file = Some(f),
                Err(error) => {
                    requeue(start, end);
                    let error = map_sftp_error(error, &spec.remote_path);
                    if error.is_retryable() && failures < options.max_retries {
                        failures += 1;
                        connection = None;
                        backoff(shared.cancel, options.retry_delay, failures);
                        continue 'segments;
                    }
                    return finish(Some(error));
                }
            }
        }
        let Some(remote) = file.as_mut() else {
            continue;
        };
        if let Err(error) = remote.seek(SeekFrom::Start(start)) {
            requeue(start, end);
            file = None;
            connection = None;
            failures += 1;
            if failures > options.max_retries {
                return finish(Some(TransferError::Network(error.to_string())));
            }
            continue;
        }
        let mut at = start;
        while at < end {
            if shared.cancel.is_cancelled() || shared.lock().abort {
                requeue(at, end);
                return finish(None);
            }
            if end - at <= 4 * buf.len() as u64 {
                // Claim the next segment if nobody has: reading on without
                // a seek keeps libssh2's pipeline full instead of tapering.
                if let Some(next_end) = shared.lock().queue.remove(&end) {
                    end = next_end;
                }
            }
            let want = read_len(buf.len(), end - at);
            match remote.read(&mut buf[..want]) {
                Ok(0) => {
                    requeue(at, end);
                    return finish(Some(TransferError::RemoteChanged(
                        "the file on the server ended early".into(),
                    )));
                }
                Ok(n) => {
                    if let Err(e) = io_at::write_all_at(shared.part, &buf[..n], at) {
                        requeue(at, end);
                        let dir = spec.dest_dir.clone();
                        return finish(Some(if files::is_no_space(&e) {
                            TransferError::DiskFull {
                                dir,
                                needed: end - at,
                                available: 0,
                            }
                        } else {
                            TransferError::local(&dir, e)
                        }));
                    }
                    at += n as u64;
                    failures = 0;
                    shared.lock().done.insert(at - n as u64, at);
                    shared.changed.notify_all();
                }
                Err(error) => {
                    requeue(at, end);
                    file = None;
                    connection = None;
                    if shared.cancel.is_cancelled() {
                        return finish(None);
                    }
                    failures += 1;
                    if failures > options.max_retries {
                        return finish(Some(TransferError::Network(format!(
                            "reading {}: {error}",
                            spec.remote_path
                        ))));
                    }
                    backoff(shared.cancel, options.retry_delay, failures);
                    continue 'segments;
                }
            }
        }
    }
}

/// The read size for a link whose SFTP round trip took `rtt`: enough in
/// flight (4 × the read, libssh2's read-ahead) to cover the bandwidth-delay
/// product of a fast link, and no more (big reads cost CPU on a LAN).
fn read_size_for(rtt: Duration) -> usize {
    match rtt.as_micros() {
        0..=2_000 => 256 * 1024,
        2_001..=10_000 => 1024 * 1024,
        _ => 2 * 1024 * 1024,
    }
}

/// How much to ask libssh2 for with `remaining` bytes left in the segment.
///
/// libssh2 keeps requests in flight up to four times the buffer it is given;
/// near the end of a segment the buffer shrinks so no request runs past it
/// (bytes read ahead past the segment would cross the network for nothing).
fn read_len(buffer: usize, remaining: u64) -> usize {
    let tapered = (remaining / 4).max(32 * 1024).min(remaining);
    buffer.min(usize::try_from(tapered).unwrap_or(buffer))
}

fn backoff(cancel: &CancelToken, base: Duration, attempt: u32) {
    let delay = base
        .saturating_mul(1 << attempt.min(6))
        .min(Duration::from_secs(5));
    let until = Instant::now() + delay;
    while Instant::now() < until && !cancel.is_cancelled() {
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests;
