//! The download itself: N SSH sessions take units of one remote file in
//! file order (see [`claims`]) and write them into the backup's locked
//! partial file (see [`crate::partial`]) at their offsets; a hasher thread
//! follows the completed prefix through the same handle so verification
//! ends right after the last byte; a journal records what is synced to disk
//! (see [`checkpoints`]); and that same handle is finalized atomically.

mod checkpoints;
mod claims;
mod journaling;
mod ramp;
mod worker;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::TransferError;
use crate::files;
use crate::hostkey::HostKeyPolicy;
use crate::io_at;
use crate::journal::{self, Journal, RangeSet, new_written_key};
use crate::partial::{self, Partial};
use crate::progress::{CancelToken, Progress, ProgressMeter};
use crate::session::{self, Connected, EarlyConnection, Endpoint, PrivateKey, Timeouts};
use checkpoints::{Checkpoints, LONGEST_GAP, SHORTEST_GAP};
use claims::{ClaimSizes, Claims};
use journaling::Journaling;
use ramp::{Ramp, Step};
use worker::Start;

/// How to download.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    /// The most parallel SSH sessions, 1–16.
    pub streams: usize,
    /// Start with one session and add one at a time while the aggregate
    /// rate still rises (see [`ramp`]), up to `streams`; `false` opens
    /// `streams` sessions at once.
    pub adaptive: bool,
    /// Bytes asked of libssh2 per read; it keeps requests in flight in
    /// proportion, so large reads keep a long link full. `0` picks it from
    /// the measured round trip: small on a LAN (less CPU per byte), large on
    /// a long link.
    pub read_size: usize,
    /// The largest unit of work a session claims at once (units are taken
    /// in file order and shrink to one read window, `4 × read_size`, near
    /// the end). A cut loses what was in flight, up to `streams × 4 ×
    /// read_size`; keep the segment at least that large so a cut never costs
    /// more than one segment.
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
            adaptive: true,
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
    /// Sessions that took part (a probe the ramp retired included).
    pub streams_used: usize,
    /// Sessions the ramp settled on (see [`TransferOptions::adaptive`]).
    pub streams_settled: usize,
    /// From the call to the first byte written (zero when nothing was
    /// downloaded).
    pub first_byte: Duration,
    /// From the last byte on disk to the checksum computed (zero when
    /// nothing was downloaded or verification is off): what verification
    /// adds to the download's time.
    pub hash_tail: Duration,
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
    claims: Claims,
    /// A session numbered this or above stops at its next claim (the ramp
    /// retired it).
    stop_from: usize,
    /// Running sessions that have written at least one byte.
    moving: usize,
    /// When the first byte was written.
    first_byte_at: Option<Instant>,
    /// Bytes written to the partial file (not necessarily synced yet).
    done: RangeSet,
    /// When the last missing byte was written.
    last_byte_at: Option<Instant>,
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
    journaling: &'a Journaling<'a>,
    cancel: &'a CancelToken,
    read_size: usize,
    size: u64,
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
        // LIBSSH2_ERROR_PROTO: answers out of protocol (an SFTP server's
        // first answer that is not its version, say); libssh2's own words
        // for it can read "timeout".
        ssh2::ErrorCode::Session(libssh2_sys::LIBSSH2_ERROR_PROTO) => TransferError::Network(
            "the server's SFTP answers do not follow the protocol; the provider should check its SFTP server"
                .into(),
        ),
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
    download_after(spec, None, on_progress, cancel)
}

/// [`download`], with the first session's TCP connection and SSH handshake
/// already made by [`crate::connect_early`] (while the provider's delivery
/// call was in flight). Its host key is checked against the spec's policy
/// before anything else, as for any session; one made to another address
/// than the spec's is dropped and a new one made.
pub fn download_after(
    spec: &DownloadSpec,
    early: Option<EarlyConnection>,
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
    let called = Instant::now();

    let size = spec.expected_size;
    let expected = Journal {
        backup_id: spec.backup_id.clone(),
        remote_path: spec.remote_path.clone(),
        size,
        expected_sha256: spec.expected_sha256.clone(),
        done: RangeSet::default(),
        unsynced: None,
        written_key: None,
    };
    // What the system's cache holds, for a killed process's resume.
    let boot = journal::current_boot();
    // Without a journal (looked for before the one of this download is
    // saved, below) the download starts at the file's start.
    let no_journal = partial::partial_paths(&spec.dest_dir, &spec.backup_id)
        .is_ok_and(|(_, journal)| !journal.exists());
    // The partial file is made ready (locked, its space reserved, its
    // journal synced: tens of milliseconds of disk work) while the first
    // session connects and opens the file; nothing in it depends on the
    // server now that the size is the published one.
    let (connected, prepared) = thread::scope(|scope| {
        let prepared = scope.spawn(|| -> Result<(Partial, Journal, bool), TransferError> {
            // From here on this backup's partial download is ours alone.
            let partial = Partial::acquire(&spec.dest_dir, &spec.backup_id)?;
            let (done, written_key, fresh) = match partial.resumable(&expected) {
                Some(journal) => {
                    // What it believes may be in the cache only (written by
                    // a killed process, see `journal`): synced now, so the
                    // journal saved below vouches for it through a power cut.
                    partial
                        .file()
                        .sync_data()
                        .map_err(|e| TransferError::local(partial.path(), e))?;
                    (journal.done, journal.written_key, false)
                }
                None => {
                    partial.start_fresh(size)?;
                    (RangeSet::default(), None, true)
                }
            };
            // The key of the record the journal may have beside it (see
            // `journal`), or a new one: the download starts over, or its
            // journal had none.
            let journal = Journal {
                done,
                written_key: Some(written_key.unwrap_or_else(new_written_key)),
                ..expected.clone()
            };
            partial.save_journal(&journal)?;
            Ok((partial, journal, fresh))
        });
        let connected = open_first(spec, early, no_journal, cancel);
        let prepared = prepared.join().unwrap_or_else(|_| {
            Err(TransferError::Invalid(
                "preparing the partial file stopped".into(),
            ))
        });
        (connected, prepared)
    });
    let First {
        connected: first,
        file: opened,
        rtt,
        joining,
    } = match connected {
        Ok(connected) => connected,
        Err(error) => {
            // Nothing to show for it: a partial made just now goes again.
            if let Ok((partial, _, true)) = prepared {
                partial.discard();
            }
            return Err(error);
        }
    };
    let (partial, saved, _) = prepared?;
    let done = saved.done.clone();
    // The download's identity from now on carries its record's key.
    let expected = Journal {
        done: RangeSet::default(),
        ..saved
    };
    let (read_size, sizes) = claim_sizes(options, rtt);
    let window = sizes.window;
    let resumed_bytes = done.covered();
    let part = partial.file();

    let missing = done.missing(size);
    let units = missing
        .iter()
        .map(|(start, end)| (end - start).div_ceil(sizes.unit(0, 1)))
        .sum::<u64>()
        .max(1);
    let streams = options
        .streams
        .min(usize::try_from(units).unwrap_or(usize::MAX));
    let claims = Claims::new(missing, sizes, streams);
    let gaps = (SHORTEST_GAP, LONGEST_GAP);
    let checkpoints = Checkpoints::new(window, gaps, resumed_bytes, Instant::now());
    let journaling = Journaling::new(&partial, &expected, boot, checkpoints, done.clone());
    let mut ramp = Ramp::new(
        streams,
        // Sessions connecting since the first one's handshake join at once.
        options
            .adaptive
            .then(|| sessions_to_start(rtt).max(1 + joining.len())),
        ramp_window(rtt),
        Instant::now(),
    );
    // Another session is worth opening only while at least this much is
    // unclaimed (and what the link moves while it joins; see `ramp`).
    let floor = 4 * window;
    let mut spawned = ramp.wanted();
    let shared = Shared {
        plan: Mutex::new(Plan {
            claims,
            stop_from: usize::MAX,
            moving: 0,
            first_byte_at: None,
            done,
            last_byte_at: None,
            active: spawned,
            ever_connected: 1,
            errors: Vec::new(),
            abort: false,
            workers_done: false,
        }),
        changed: Condvar::new(),
        spec,
        part,
        journaling: &journaling,
        cancel,
        read_size,
        size,
    };
    let mut meter = ProgressMeter::new(size, options.progress_interval);
    let outcome = thread::scope(|scope| {
        let hasher = options
            .verify
            .then(|| scope.spawn(|| follow_prefix(&shared, partial.path(), size)));
        // The first session's range is its before any other session can
        // claim: a fresh download's starts at the file's start, where the
        // reads sent with its open are (see `open_first`).
        let first_range = shared.lock().claims.claim(0, spawned);
        let mut first = Some((first, opened));
        let mut joining = joining.into_iter();
        for index in 0..spawned {
            let start = match first.take() {
                Some((connection, file)) => Start::Opened(connection, file, first_range),
                None => joining.next().map_or(Start::Fresh, Start::Joining),
            };
            let shared = &shared;
            scope.spawn(move || worker::worker(shared, index, start));
        }
        // Connections made for sessions that are not wanted after all end
        // on their own threads.
        drop(joining);
        let mut spare: Option<Joining> = None;
        // Synced saves run on a thread of their own (see `journaling`).
        let (sync_requests, to_sync) = mpsc::channel::<RangeSet>();
        scope.spawn(|| {
            for done in to_sync {
                journaling.save_synced(done, || shared.lock().done.clone());
            }
        });
        loop {
            let plan = shared.lock();
            let (mut plan, _) = shared
                .changed
                .wait_timeout(plan, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner());
            let (covered, active, finished) = (plan.done.covered(), plan.active, plan.active == 0);
            let now = Instant::now();
            let left = plan.claims.unclaimed_bytes();
            if !finished && active < ramp.wanted() && left > 0 {
                // A session stopped for good (the server allows no more).
                ramp.lost_one(active);
            }
            match ramp.observe(now, covered, plan.moving, left, floor) {
                Step::Add if !finished && !plan.abort => {
                    plan.active += 1;
                    let (index, shared) = (spawned, &shared);
                    spawned += 1;
                    let start = spare.take().map_or(Start::Fresh, Start::Joining);
                    scope.spawn(move || worker::worker(shared, index, start));
                }
                // The newest session goes; the ramp adds none after it.
                Step::Retire => plan.stop_from = spawned - 1,
                _ => {}
            }
            // The session the ramp may ask for next connects while it
            // measures, and waits for it until the ramp settles (then it
            // closes on its own thread).
            if finished || plan.abort || ramp.settled() {
                spare = None;
            } else if spare.is_none() && ramp.may_add(now, left, floor) {
                spare = Some(connect_beside(spec));
            }
            // Every range in the snapshot was written before it was taken.
            let snapshot = journaling
                .start_synced(covered, active, finished)
                .then(|| plan.done.clone());
            drop(plan);
            if let Some(progress) = meter.observe(covered, active, now, finished) {
                on_progress(progress);
            }
            if let Some(done) = snapshot {
                let _ = sync_requests.send(done);
            }
            if finished {
                break;
            }
        }
        // The last synced save (sent above) ends with the scope.
        drop(sync_requests);
        shared.lock().workers_done = true;
        shared.changed.notify_all();
        hasher.map(|h| {
            h.join()
                .unwrap_or(Err(TransferError::Invalid("the hasher stopped".into())))
        })
    });

    let mut plan = shared.lock();
    if plan.abort
        && let Some(error) = plan.errors.iter().position(|e| !e.is_retryable())
    {
        let error = plan.errors.swap_remove(error);
        drop(plan);
        if matches!(error, TransferError::RemoteChanged(_)) {
            // Not the file that was published: nothing of it is worth keeping.
            partial.discard();
        }
        return Err(error);
    }
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
    let streams_settled = ramp.wanted();
    let first_byte = plan
        .first_byte_at
        .map_or(Duration::ZERO, |at| at.saturating_duration_since(called));
    let last_byte_at = plan.last_byte_at;
    drop(plan);
    let (sha256, hash_tail) = match outcome {
        Some(Ok((hash, hashed_at))) => {
            let tail = last_byte_at.map(|at| hashed_at.saturating_duration_since(at));
            (hash, tail.unwrap_or_default())
        }
        Some(Err(error)) => return Err(error),
        None => (String::new(), Duration::ZERO),
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
        streams_settled,
        first_byte,
        hash_tail,
    })
}

/// A session connecting (and opening the file) beside the first.
type Joining = thread::JoinHandle<Result<(Connected, ssh2::File), TransferError>>;

/// The first session, opened; and the sessions connecting beside it.
struct First {
    connected: Connected,
    file: ssh2::File,
    /// The open's round trip, which sizes the reads.
    rtt: Duration,
    joining: Vec<Joining>,
}

/// The first session: the early connection when it goes where the spec
/// says (its host key checked like any), else a new one; then the file,
/// opened at once without a stat first, which saves a round trip before the
/// first byte: the size is the published one. A shorter file ends early
/// (`RemoteChanged`); in a longer one the published size's prefix does not
/// have the published SHA-256 (`VerificationFailed`); either way nothing
/// of it is kept. (A size check on the open handle costs a round trip too,
/// wherever it is made: made once data flows, it stalls that session's
/// read-ahead for one.)
///
/// Once its handshake is done, the sessions the download will start with
/// (see [`sessions_to_join`]) connect on threads of their own, so that
/// they join when the first byte flows rather than a whole set-up later.
fn open_first(
    spec: &DownloadSpec,
    early: Option<EarlyConnection>,
    no_journal: bool,
    cancel: &CancelToken,
) -> Result<First, TransferError> {
    let options = &spec.options;
    let early = match early.filter(|e| e.reaches(&spec.endpoint)) {
        Some(early) => early,
        None => session::connect_early(&spec.endpoint, &options.timeouts)?,
    };
    let handshake = early.handshake_took();
    let joining = (0..sessions_to_join(spec, handshake))
        .map(|_| connect_beside(spec))
        .collect();
    let first = early.finish(
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
    // A download with no journal starts at the file's start (see
    // `worker::Start::Opened`): its first reads go with the open, as much
    // as a read asks for (libssh2 reads ahead 4 × the read). (Twice that,
    // to fill a 200 ms link until the other sessions join, gained nothing
    // measurable: 11.96 s against 11.94 s.)
    if no_journal {
        let read = claim_sizes(options, handshake_round_trip(handshake)).0;
        first.read_with_the_open(4 * read);
    }
    let asked = Instant::now();
    let file =
        first
            .sftp
            .open(Path::new(&spec.remote_path))
            .map_err(|e| match cancel.is_cancelled() {
                true => TransferError::Cancelled,
                false => map_sftp_error(e, &spec.remote_path),
            })?;
    Ok(First {
        connected: first,
        file,
        rtt: link_round_trip(asked.elapsed(), handshake),
        joining,
    })
}

/// Connects one more session (and opens the file) on a thread of its own,
/// for a session to take over once it is wanted: beside the first one, or
/// while the ramp measures (see [`ramp`]). One that is not wanted after all
/// is closed when its thread ends.
fn connect_beside(spec: &DownloadSpec) -> Joining {
    let (endpoint, key) = (spec.endpoint.clone(), spec.key.clone());
    let (policy, timeouts) = (spec.host_keys.clone(), spec.options.timeouts);
    let path = spec.remote_path.clone();
    thread::spawn(move || {
        let connected = session::connect(&endpoint, &key, &policy, &timeouts)?;
        // Opened now too: once the first session's bytes fill the link,
        // every round trip waits behind them.
        let file = connected
            .sftp
            .open(Path::new(&path))
            .map_err(|e| map_sftp_error(e, &path))?;
        Ok((connected, file))
    })
}

/// The read size for a round trip of `rtt` (the one chosen, if any), and
/// the claim sizes that follow: what one session has in flight is a window
/// of 4 × the read (libssh2 reads ahead that far).
fn claim_sizes(options: &TransferOptions, rtt: Duration) -> (usize, ClaimSizes) {
    let read = match options.read_size {
        0 => read_size_for(rtt),
        chosen => chosen,
    };
    let sizes = ClaimSizes {
        window: 4 * worker::buffer_len(read) as u64,
        largest: options.segment_size,
    };
    (read, sizes)
}

/// How many sessions to connect beside the first, from its handshake (see
/// [`handshake_round_trip`]), where one session cannot fill the link (see
/// [`sessions_to_start`]): with "Automatic", the others it starts with;
/// with a fixed number, all of them; never more than the file has units for.
fn sessions_to_join(spec: &DownloadSpec, handshake: Duration) -> usize {
    let options = &spec.options;
    let rtt = handshake_round_trip(handshake);
    let unit = claim_sizes(options, rtt).1.unit(0, 1);
    let units = usize::try_from(spec.expected_size.div_ceil(unit)).unwrap_or(usize::MAX);
    let start = sessions_to_start(rtt);
    let wanted = match (start > 1, options.adaptive) {
        // A short round trip: the others connect in moments when they start
        // (and, all connected at once beside the first, 16 sessions on
        // loopback peaked at 62 MiB of memory against 32).
        (false, _) => 1,
        (true, true) => start,
        (true, false) => options.streams,
    };
    wanted.min(options.streams).min(units).saturating_sub(1)
}

/// Hashes the file as its completed prefix grows, on a thread of its own,
/// reading through the locked handle the sessions write to (never the path,
/// which could name another file by then); returns the hex SHA-256 and when
/// it was computed.
fn follow_prefix(
    shared: &Shared<'_>,
    part_path: &Path,
    size: u64,
) -> Result<(String, Instant), TransferError> {
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
                    // Incomplete: the caller reports why.
                    return Ok((String::new(), Instant::now()));
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
    Ok((journal::to_hex(&hasher.finalize()), Instant::now()))
}

/// The round trip a handshake of `handshake` shows: it takes two once TCP
/// is connected (the banners and key-exchange offers, the exchange; see
/// `EarlyConnection::handshake_took`), plus the server's work (about 16 ms
/// here for OpenSSH's, most of it starting a process for the connection),
/// half of which this counts as round trip: about 8 ms on loopback, more
/// from a loaded server (so a link of 76 ms may start with two sessions).
fn handshake_round_trip(handshake: Duration) -> Duration {
    handshake / 2
}

/// The link's round trip, from the open's (`open`) and the handshake's
/// times. The open's answer comes with SFTP's first (see
/// `session::start_sftp_eagerly`), so it also waits for the server to start
/// SFTP: about 1 ms for OpenSSH's internal-sftp, 120 ms measured here for
/// an external sftp-server started through the user's shell. The
/// handshake's round trip bounds it.
fn link_round_trip(open: Duration, handshake: Duration) -> Duration {
    open.min(handshake_round_trip(handshake))
}

/// The read size for a link whose SFTP round trip took `rtt`: enough in
/// flight (4 × the read, libssh2's read-ahead) to cover the bandwidth-delay
/// product of a fast link, and no more (big reads cost CPU on a LAN). A
/// session with 256 KiB reads carries 200 MB/s at 5 ms, more than one
/// session's CPU moves here (and a LAN's measured round trip can include
/// the server's SFTP start).
fn read_size_for(rtt: Duration) -> usize {
    match rtt.as_micros() {
        0..=5_000 => 256 * 1024,
        5_001..=10_000 => 1024 * 1024,
        // 4 × 2 MiB = MOST_IN_FLIGHT, libssh2's most per session: 168 MB/s
        // at 50 ms.
        _ => 2 * 1024 * 1024,
    }
}

/// What one session has in flight at most: libssh2 reads ahead 4 × the
/// read, and at most 4 × its channel window (2 MiB).
const MOST_IN_FLIGHT: usize = 8 * 1024 * 1024;

/// The sessions a download starts with: as many as carry 100 MB/s when
/// each has its most in flight ([`MOST_IN_FLIGHT`]): one up to an 80 ms
/// round trip, three at 200 ms. Those beside the first connect with it
/// instead of after a measurement, and the ramp goes on from there.
fn sessions_to_start(rtt: Duration) -> usize {
    let one_session = MOST_IN_FLIGHT as f64 / rtt.as_secs_f64().max(1e-6);
    (100e6 / one_session).ceil().clamp(1.0, 16.0) as usize
}

/// At most this much read ahead in all sessions together (libssh2 keeps
/// four reads in flight per session, plus the session's own buffer), so the
/// engine's memory stays bounded at any session count.
const READ_BUDGET: usize = 48 * 1024 * 1024;

/// The read size of session `index` (numbered from 0 as sessions open) when
/// the link calls for `read`: the first sessions get it whole, while all of
/// theirs fit in [`READ_BUDGET`]; later ones share what is left, and at
/// least 64 KiB each.
fn session_read_size(read: usize, index: usize) -> usize {
    let per_session = 5 * read;
    let used = index.saturating_mul(per_session);
    if used.saturating_add(per_session) <= READ_BUDGET {
        return read;
    }
    let left = READ_BUDGET.saturating_sub(used) / 5;
    (left / (32 * 1024) * (32 * 1024)).clamp(64 * 1024, read.max(64 * 1024))
}

/// How long the ramp measures a session count's rate: several round trips
/// (a session's pipeline refills once per trip), within bounds.
fn ramp_window(rtt: Duration) -> Duration {
    (rtt * 8).clamp(Duration::from_millis(300), Duration::from_secs(2))
}

#[cfg(test)]
mod tests;
