//! One session's loop: claim the next range (see [`super::claims`]), read
//! it into place, repeat; reconnect with backoff after network errors.

use std::cell::Cell;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::{Shared, map_sftp_error};
use crate::error::TransferError;
use crate::files;
use crate::io_at;
use crate::session::{self, Connected};

/// How a session starts.
pub(super) enum Start {
    /// The connection the download was opened on, with the file open, and
    /// the range claimed for it first (at the file's start in a fresh
    /// download, where the reads sent with the open are).
    Opened(Connected, ssh2::File, Option<(u64, u64)>),
    /// A connection (and the file) opened since the first session's handshake.
    Joining(super::Joining),
    /// Connects itself.
    Fresh,
}

pub(super) fn worker(shared: &Shared<'_>, index: usize, start: Start) {
    let spec = shared.spec;
    let options = &spec.options;
    let mut buf = vec![0u8; buffer_len(super::session_read_size(shared.read_size, index))];
    let (mut held, mut joining, mut first_range) = match start {
        Start::Opened(connection, file, range) => {
            (Held::new(Some(connection), Some(file)), None, range)
        }
        Start::Joining(connecting) => (Held::new(None, None), Some(connecting), None),
        Start::Fresh => (Held::new(None, None), None, None),
    };
    let mut failures = 0u32;
    let mut connected_once = held.connection.is_some();
    // Whether this session has written a byte (the ramp counts those).
    let moved = Cell::new(false);
    let finish = |error: Option<TransferError>| {
        let mut plan = shared.lock();
        plan.active -= 1;
        if moved.get() {
            plan.moving -= 1;
        }
        if let Some(error) = error {
            if !error.is_retryable() && !matches!(error, TransferError::Cancelled) {
                plan.abort = true; // no point in other sessions going on
            }
            plan.errors.push(error);
        }
        drop(plan);
        shared.changed.notify_all();
    };
    'units: loop {
        let first = first_range.take();
        let claimed = {
            let mut plan = shared.lock();
            if shared.cancel.is_cancelled() || plan.abort || index >= plan.stop_from {
                // Cancelled, failed elsewhere, or the ramp retired this session.
                if let Some((start, _)) = first {
                    plan.claims.release(index, start);
                }
                None
            } else if first.is_some() {
                first
            } else {
                let at_work = plan.active;
                plan.claims.claim(index, at_work)
            }
        };
        let Some((start, mut end)) = claimed else {
            return finish(None);
        };
        // Gives back the rest of the range, from `at`.
        let release = |at: u64| shared.lock().claims.release(index, at);
        if held.connection.is_none() {
            let connected = match joining.take() {
                Some(connecting) => match connecting.join() {
                    Ok(Ok((connected, opened))) => {
                        held.file = Some(opened);
                        Ok(connected)
                    }
                    Ok(Err(error)) => Err(error),
                    Err(_) => Err(TransferError::Network("connecting stopped".into())),
                },
                None => session::connect(
                    &spec.endpoint,
                    &spec.key,
                    &spec.host_keys,
                    &options.timeouts,
                ),
            };
            match connected {
                Ok(c) => {
                    shared.cancel.register(&c.socket);
                    if !connected_once {
                        shared.lock().ever_connected += 1;
                    }
                    connected_once = true;
                    held.connection = Some(c);
                }
                Err(error) => {
                    release(start);
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
                        continue 'units;
                    }
                    return finish(Some(error));
                }
            }
        }
        let Some(conn) = held.connection.as_ref() else {
            continue;
        };
        if held.file.is_none() {
            match conn.sftp.open(Path::new(&spec.remote_path)) {
                Ok(f) => held.file = Some(f),
                Err(error) => {
                    release(start);
                    let error = map_sftp_error(error, &spec.remote_path);
                    if error.is_retryable() && failures < options.max_retries {
                        failures += 1;
                        held.connection = None;
                        backoff(shared.cancel, options.retry_delay, failures);
                        continue 'units;
                    }
                    return finish(Some(error));
                }
            }
        }
        let Some(remote) = held.file.as_mut() else {
            continue;
        };
        if let Err(error) = remote.seek(SeekFrom::Start(start)) {
            release(start);
            held.file = None;
            held.connection = None;
            failures += 1;
            if failures > options.max_retries {
                return finish(Some(TransferError::Network(error.to_string())));
            }
            continue;
        }
        let mut at = start;
        while at < end {
            if shared.cancel.is_cancelled() || shared.lock().abort {
                release(at);
                return finish(None);
            }
            if end - at <= 4 * buf.len() as u64 {
                // Claim the next unit if nobody has: reading on without a
                // seek keeps libssh2's pipeline full instead of tapering.
                let mut plan = shared.lock();
                let at_work = plan.active;
                if let Some(next_end) = plan.claims.extend(index, at_work) {
                    end = next_end;
                }
            }
            let want = read_len(buf.len(), end - at);
            match remote.read(&mut buf[..want]) {
                Ok(0) => {
                    release(at);
                    return finish(Some(TransferError::RemoteChanged(
                        "the file on the server ended early".into(),
                    )));
                }
                Ok(n) => {
                    if let Err(e) = io_at::write_all_at(shared.part, &buf[..n], at) {
                        release(at);
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
                    let mut plan = shared.lock();
                    plan.done.insert(at - n as u64, at);
                    if !moved.replace(true) {
                        plan.moving += 1;
                        plan.first_byte_at.get_or_insert_with(Instant::now);
                    }
                    // Another session may have taken the far part.
                    end = plan.claims.advanced(index, at);
                    if plan.done.prefix() == shared.size {
                        plan.last_byte_at = Some(Instant::now());
                    }
                    // Right after the bytes that made it due (see `journaling`).
                    let due = shared.journaling.after_write(&plan.done, plan.active);
                    drop(plan);
                    shared.changed.notify_all();
                    if let Some(written) = due {
                        shared.journaling.save_unsynced(written);
                    }
                }
                Err(error) => {
                    release(at);
                    held.file = None;
                    held.connection = None;
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
                    continue 'units;
                }
            }
        }
    }
}

/// A session's file handle and connection. Closing them waits for the
/// server's answer to each, a round trip apiece (0.4 s on a 200 ms link),
/// which the download need not wait for once the session's work is done:
/// when the session ends they are closed on a thread of their own.
struct Held {
    connection: Option<Connected>,
    file: Option<ssh2::File>,
}

impl Held {
    fn new(connection: Option<Connected>, file: Option<ssh2::File>) -> Held {
        Held { connection, file }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let (file, connection) = (self.file.take(), self.connection.take());
        if file.is_some() || connection.is_some() {
            // The handle before the connection it lives on.
            thread::spawn(move || drop((file, connection)));
        }
    }
}

/// The buffer a session reads into for reads of `read_size`.
pub(super) fn buffer_len(read_size: usize) -> usize {
    read_size.max(32 * 1024)
}

/// How much to ask libssh2 for with `remaining` bytes left in the unit.
///
/// libssh2 keeps requests in flight up to four times the buffer it is given;
/// near the end of a unit the buffer shrinks so no request runs past it
/// (bytes read ahead past the unit would cross the network for nothing, at
/// every unit a session ends). The last few KiB may run over by a few KiB.
pub(super) fn read_len(buffer: usize, remaining: u64) -> usize {
    let tapered = (remaining / 4).max(remaining.min(4 * 1024));
    buffer.min(usize::try_from(tapered).unwrap_or(buffer))
}

fn backoff(cancel: &crate::progress::CancelToken, base: Duration, attempt: u32) {
    let delay = base
        .saturating_mul(1 << attempt.min(6))
        .min(Duration::from_secs(5));
    let until = Instant::now() + delay;
    while Instant::now() < until && !cancel.is_cancelled() {
        thread::sleep(Duration::from_millis(20));
    }
}
