//! The check itself: open the zip, apply the limits, read every entry to its
//! end, and say in plain words what was wrong.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use zip::ZipArchive;
use zip::result::ZipError;

use crate::pace::{ArchiveReader, Meter, Pace, Stop};
use crate::records::RecordCounter;
use crate::{ArchiveCheck, ArchiveError, EntryCheck, Limits, csv_stem, object_of};

/// The CSV reader's buffer.
const CSV_BUFFER: usize = 256 << 10;
/// At most this many damaged entries are named in a problem.
const NAMED_DAMAGE: usize = 3;

/// Checks the archive at `path`: reads every entry to its end (so its CRC is
/// checked) and counts the records of each `*.csv` entry.
///
/// `progress` gets (compressed bytes consumed, archive size) at least every
/// few MiB and, for a check that reached its end, `(size, size)` last.
/// `cancelled` is polled before every entry and at least every few MiB.
///
/// A damaged or suspicious archive is `Ok` with a `problem`: not a zip,
/// an entry whose data is corrupt or cut short (the other entries are still
/// read), more entries than `limits.max_entries`, or more uncompressed bytes
/// than `limits.max_inflated(size)` (reading stops there). `Err` only when the
/// local file cannot be opened or read, or on cancellation.
pub fn check(
    path: &Path,
    limits: &Limits,
    progress: &mut dyn FnMut(u64, u64),
    cancelled: &dyn Fn() -> bool,
) -> Result<ArchiveCheck, ArchiveError> {
    if cancelled() {
        return Err(ArchiveError::Cancelled);
    }
    let read_error = |source| ArchiveError::Read {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(|source| ArchiveError::Open {
        path: path.to_owned(),
        source,
    })?;
    let size = file.metadata().map_err(read_error)?.len();
    let pace = Pace::new(size, limits.max_inflated(size), progress, cancelled);

    let mut archive = match ZipArchive::new(ArchiveReader::new(file, &pace)) {
        Ok(archive) => archive,
        Err(e) => {
            settle(&pace, path)?;
            let problem = format!(
                "the file is not a readable zip archive: {} ({e})",
                "its table of contents is missing or damaged, so it may be cut short or corrupt"
            );
            return Ok(broken(Vec::new(), problem));
        }
    };
    // The zip crate may have worked around a failed read; the disk failed all the same.
    settle(&pace, path)?;
    if archive.len() > limits.max_entries {
        let problem = format!(
            "the archive has {} entries, more than the {} allowed — it may be a zip bomb, so it was not read",
            grouped(archive.len() as u64),
            grouped(limits.max_entries as u64)
        );
        return Ok(broken(Vec::new(), problem));
    }
    if let Some(declared) = archive.decompressed_size()
        && declared > u128::from(pace.budget())
    {
        return Ok(broken(Vec::new(), expands_problem(pace.budget())));
    }

    pace.start_reporting();
    let mut entries = Vec::with_capacity(archive.len());
    let mut damaged = Vec::new();
    for index in 0..archive.len() {
        if pace.poll_cancelled() {
            return Err(ArchiveError::Cancelled);
        }
        let (entry, damage) = check_entry(&mut archive, index, &pace);
        if let Some(detail) = damage {
            settle(&pace, path)?;
            if pace.stop() == Some(Stop::Expands) {
                entries.push(entry);
                return Ok(broken(entries, expands_problem(pace.budget())));
            }
            damaged.push((entry.entry.clone(), detail));
        }
        entries.push(entry);
    }
    pace.finish();
    let problem = damage_problem(&damaged);
    Ok(ArchiveCheck { entries, problem })
}

/// Turns a reader failure that was not damage into the check's outcome:
/// `Err` for cancellation or a local I/O error, `Ok` otherwise.
fn settle(pace: &Pace<'_>, path: &Path) -> Result<(), ArchiveError> {
    if pace.stop() == Some(Stop::Cancelled) {
        return Err(ArchiveError::Cancelled);
    }
    match pace.take_local_error() {
        Some(source) => Err(ArchiveError::Read {
            path: path.to_owned(),
            source,
        }),
        None => Ok(()),
    }
}

/// Reads entry `index` to its end. The second value says what was wrong
/// with it, if anything (the caller asks `pace` whether that was damage).
fn check_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    pace: &Pace<'_>,
) -> (EntryCheck, Option<String>) {
    let failed = |entry: String, bytes, detail| {
        let object = object_of(&entry);
        let check = EntryCheck {
            entry,
            object,
            rows: None,
            bytes,
            crc_ok: false,
        };
        (check, Some(detail))
    };
    let entry = match archive.name_for_index(index) {
        Some(Ok(name)) => name.into_owned(),
        _ => format!("entry #{}", index + 1),
    };
    let mut file = match archive.by_index(index) {
        Ok(file) => file,
        Err(e) => return failed(entry, 0, describe_zip_error(&e)),
    };
    let is_csv = csv_stem(&entry).is_some();
    let mut meter = Meter::new(&mut file, pace);
    let read = if is_csv {
        count_rows(&mut meter).map(Some)
    } else {
        io::copy(&mut meter, &mut io::sink())
            .map(|_| None)
            .map_err(|e| describe_io_error(&e))
    };
    let bytes = meter.inflated();
    match read {
        Ok(rows) => {
            let object = object_of(&entry);
            let check = EntryCheck {
                entry,
                object,
                rows,
                bytes,
                crc_ok: true,
            };
            (check, None)
        }
        Err(detail) => failed(entry, bytes, detail),
    }
}

/// Counts the CSV records of `entry` (header excluded), reading it to its
/// end (where the zip crate compares the CRC).
fn count_rows(entry: &mut impl Read) -> Result<u64, String> {
    let mut counter = RecordCounter::default();
    let mut buf = vec![0u8; CSV_BUFFER];
    loop {
        match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => counter.feed(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(describe_io_error(&e)),
        }
    }
    Ok(counter.finish().saturating_sub(1))
}

fn describe_zip_error(e: &ZipError) -> String {
    match e {
        ZipError::Io(e) => describe_io_error(e),
        ZipError::UnsupportedArchive(what) => format!("it cannot be read: {what}"),
        ZipError::CompressionMethodNotSupported(method) => {
            format!("it uses compression method {method}, which cannot be read here")
        }
        other => format!("its header is damaged: {other}"),
    }
}

fn describe_io_error(e: &io::Error) -> String {
    // The zip crate's own wording of a CRC mismatch; anything else is shown as is.
    if e.to_string() == "Invalid checksum" {
        return "its contents do not match their checksum".into();
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => format!("its data ends early: {e}"),
        _ => format!("its data cannot be decompressed: {e}"),
    }
}

fn damage_problem(damaged: &[(String, String)]) -> Option<String> {
    let advice = "download the archive again or ask the provider for a new backup";
    match damaged {
        [] => None,
        [(entry, detail)] => Some(format!("{entry} is damaged ({detail}); {advice}")),
        many => {
            let named: Vec<String> = many
                .iter()
                .take(NAMED_DAMAGE)
                .map(|(entry, detail)| format!("{entry} ({detail})"))
                .collect();
            let more = match many.len().saturating_sub(NAMED_DAMAGE) {
                0 => String::new(),
                rest => format!(" and {} more", grouped(rest as u64)),
            };
            Some(format!(
                "{} entries are damaged: {}{more}; {advice}",
                grouped(many.len() as u64),
                named.join("; ")
            ))
        }
    }
}

fn expands_problem(budget: u64) -> String {
    format!(
        "the archive expands to more than {} — it may be a zip bomb, so it was not read further",
        human_bytes(budget)
    )
}

fn broken(entries: Vec<EntryCheck>, problem: String) -> ArchiveCheck {
    ArchiveCheck {
        entries,
        problem: Some(problem),
    }
}

/// `12345` → `12,345`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1536` → `1.5 KiB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_problems_read_like_an_admin_writes_them() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(10_000), "10,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(64 << 20), "64.0 MiB");
        assert_eq!(human_bytes((3 << 30) / 2), "1.5 GiB");
    }

    #[test]
    fn many_damaged_entries_are_named_up_to_three() {
        let damaged: Vec<(String, String)> = (1..=5)
            .map(|i| (format!("e{i}.csv"), "bad".into()))
            .collect();
        let problem = damage_problem(&damaged).expect("damage is a problem");
        assert!(
            problem.starts_with(
                "5 entries are damaged: e1.csv (bad); e2.csv (bad); e3.csv (bad) and 2 more"
            ),
            "a long list would bury the message: {problem}"
        );
    }
}
