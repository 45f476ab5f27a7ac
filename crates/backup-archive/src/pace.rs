//! The two readers a check runs through, and the state they share: the archive
//! file as the zip crate sees it (buffered, counting compressed bytes, polling
//! cancellation, reporting progress, remembering local I/O failures) and each
//! entry's decompressed stream (counting bytes against the zip-bomb budget).
//!
//! The zip crate and the record counter only see `io::Error`s; whether an error meant
//! "cancelled", "too big", "the disk failed" or "the archive is damaged" is
//! recorded here, so the check can tell them apart afterwards.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// The archive is read through a buffer of this size.
const BUFFER: usize = 1 << 20;
/// Progress is reported and cancellation polled at least every this many
/// bytes, compressed or decompressed.
pub(crate) const STEP: u64 = 1 << 20;

/// Why a check stopped before its end, for reasons other than damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The caller cancelled.
    Cancelled,
    /// The entries expanded past [`Pace::budget`].
    Expands,
}

/// What the readers of one check share.
pub(crate) struct Pace<'f> {
    /// Size of the archive file in bytes.
    size: u64,
    /// Decompressed bytes that may be read in all (see `Limits::max_inflated`).
    budget: u64,
    cancelled: &'f dyn Fn() -> bool,
    progress: RefCell<&'f mut dyn FnMut(u64, u64)>,
    /// Off while the central directory is read (it sits at the end of the
    /// file, so its position says nothing about progress).
    reporting: Cell<bool>,
    /// Highest archive offset read while reporting.
    consumed: Cell<u64>,
    reported: Cell<u64>,
    polled: Cell<u64>,
    inflated: Cell<u64>,
    inflated_polled: Cell<u64>,
    stop: Cell<Option<Stop>>,
    local_error: Cell<Option<io::Error>>,
}

impl<'f> Pace<'f> {
    pub(crate) fn new(
        size: u64,
        budget: u64,
        progress: &'f mut dyn FnMut(u64, u64),
        cancelled: &'f dyn Fn() -> bool,
    ) -> Pace<'f> {
        Pace {
            size,
            budget,
            cancelled,
            progress: RefCell::new(progress),
            reporting: Cell::new(false),
            consumed: Cell::new(0),
            reported: Cell::new(0),
            polled: Cell::new(0),
            inflated: Cell::new(0),
            inflated_polled: Cell::new(0),
            stop: Cell::new(None),
            local_error: Cell::new(None),
        }
    }

    /// The decompressed-bytes budget.
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }

    /// From now on, reads are entry data: track and report them.
    pub(crate) fn start_reporting(&self) {
        self.reporting.set(true);
    }

    /// Reports the whole archive as consumed.
    pub(crate) fn finish(&self) {
        self.report(self.size);
    }

    /// Whether the caller cancelled; remembers it so readers fail too.
    pub(crate) fn poll_cancelled(&self) -> bool {
        if self.stop.get() == Some(Stop::Cancelled) || (self.cancelled)() {
            self.stop.set(Some(Stop::Cancelled));
            return true;
        }
        false
    }

    /// Why the readers stopped, if they did so on purpose.
    pub(crate) fn stop(&self) -> Option<Stop> {
        self.stop.get()
    }

    /// The error the archive file itself gave, if any (taken once).
    pub(crate) fn take_local_error(&self) -> Option<io::Error> {
        self.local_error.take()
    }

    fn report(&self, consumed: u64) {
        let consumed = consumed.min(self.size);
        self.reported.set(consumed);
        if let Ok(mut progress) = self.progress.try_borrow_mut() {
            (*progress)(consumed, self.size);
        }
    }

    /// The archive has been read up to offset `end`.
    fn read_to(&self, end: u64) -> io::Result<()> {
        if !self.reporting.get() || end <= self.consumed.get() {
            return Ok(());
        }
        self.consumed.set(end);
        if end - self.reported.get() >= STEP {
            self.report(end);
        }
        if end - self.polled.get() >= STEP {
            self.polled.set(end);
            if self.poll_cancelled() {
                return Err(stopped());
            }
        }
        Ok(())
    }

    /// `n` more decompressed bytes have been read.
    fn inflate(&self, n: u64) -> io::Result<()> {
        let total = self.inflated.get().saturating_add(n);
        self.inflated.set(total);
        if total > self.budget {
            self.stop.set(Some(Stop::Expands));
            return Err(stopped());
        }
        if total - self.inflated_polled.get() >= STEP {
            self.inflated_polled.set(total);
            if self.poll_cancelled() {
                return Err(stopped());
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Pace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pace")
            .field("size", &self.size)
            .field("budget", &self.budget)
            .field("consumed", &self.consumed.get())
            .field("inflated", &self.inflated.get())
            .field("stop", &self.stop.get())
            .finish_non_exhaustive()
    }
}

/// The error a reader returns after recording a [`Stop`].
fn stopped() -> io::Error {
    io::Error::other("the check stopped")
}

/// The archive file as the zip crate reads it.
///
/// Buffered, and a seek that lands inside the buffer keeps it: the zip crate
/// seeks to every entry's local header and then to its data, which with a
/// plain `BufReader` would refill the whole buffer twice per entry.
pub(crate) struct ArchiveReader<'p, 'f> {
    inner: BufReader<File>,
    /// Logical offset in the file.
    pos: u64,
    pace: &'p Pace<'f>,
}

impl<'p, 'f> ArchiveReader<'p, 'f> {
    pub(crate) fn new(file: File, pace: &'p Pace<'f>) -> ArchiveReader<'p, 'f> {
        ArchiveReader {
            inner: BufReader::with_capacity(BUFFER, file),
            pos: 0,
            pace,
        }
    }

    /// Remembers an error of the file itself and hands the zip crate a copy.
    fn local<T>(&self, result: io::Result<T>) -> io::Result<T> {
        result.map_err(|e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            self.pace.local_error.set(Some(e));
            copy
        })
    }

    fn seek_to(&mut self, target: u64) -> io::Result<u64> {
        let delta = i128::from(target) - i128::from(self.pos);
        let moved = match i64::try_from(delta) {
            Ok(delta) => self.inner.seek_relative(delta),
            Err(_) => self.inner.seek(SeekFrom::Start(target)).map(|_| ()),
        };
        self.local(moved)?;
        self.pos = target;
        Ok(target)
    }
}

impl Read for ArchiveReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf);
        let n = self.local(read)?;
        self.pos += n as u64;
        self.pace.read_to(self.pos)?;
        Ok(n)
    }
}

impl Seek for ArchiveReader<'_, '_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match to {
            SeekFrom::Start(target) => self.seek_to(target),
            SeekFrom::Current(delta) => match self.pos.checked_add_signed(delta) {
                Some(target) => self.seek_to(target),
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a seek before the start of the archive",
                )),
            },
            SeekFrom::End(_) => {
                let sought = self.inner.seek(to);
                self.pos = self.local(sought)?;
                Ok(self.pos)
            }
        }
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

/// One entry's decompressed stream, counted.
pub(crate) struct Meter<'p, 'f, R> {
    inner: R,
    pace: &'p Pace<'f>,
    bytes: u64,
}

impl<'p, 'f, R: Read> Meter<'p, 'f, R> {
    pub(crate) fn new(inner: R, pace: &'p Pace<'f>) -> Meter<'p, 'f, R> {
        Meter {
            inner,
            pace,
            bytes: 0,
        }
    }

    /// Decompressed bytes read so far.
    pub(crate) fn inflated(&self) -> u64 {
        self.bytes
    }
}

impl<R: Read> Read for Meter<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        self.pace.inflate(n as u64)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_longer_than_the_budget_stops_just_past_it() {
        let mut progress = |_: u64, _: u64| {};
        let never = || false;
        let pace = Pace::new(0, 10 * STEP, &mut progress, &never);
        let mut meter = Meter::new(io::repeat(b'a'), &pace);
        let outcome = io::copy(&mut meter, &mut io::sink());
        assert!(
            outcome.is_err(),
            "an endless stream must be cut off by the budget, not read forever"
        );
        assert_eq!(
            pace.stop(),
            Some(Stop::Expands),
            "the cut is a zip-bomb stop"
        );
        assert!(
            meter.inflated() > pace.budget() && meter.inflated() <= pace.budget() + (64 << 10),
            "reading stops within one buffer of the budget, read {}",
            meter.inflated()
        );
    }

    #[test]
    fn a_long_stream_is_cancelled_within_a_few_mib() {
        let mut progress = |_: u64, _: u64| {};
        let cancel = || true;
        let pace = Pace::new(0, u64::MAX, &mut progress, &cancel);
        let mut meter = Meter::new(io::repeat(b'a'), &pace);
        assert!(io::copy(&mut meter, &mut io::sink()).is_err());
        assert_eq!(pace.stop(), Some(Stop::Cancelled));
        assert!(
            meter.inflated() <= STEP + (64 << 10),
            "cancellation is polled every {STEP} bytes, read {}",
            meter.inflated()
        );
    }
}
