//! Writes zips into a temp dir, damages them, and runs the check.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use backup_archive::{ArchiveCheck, EntryCheck, Limits, check};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

pub use zip::CompressionMethod::{Deflated, Stored};

/// Writes `entries` (name, contents, method) to `dir/name`.
pub fn write_zip(dir: &Path, name: &str, entries: &[(&str, &[u8], CompressionMethod)]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = ZipWriter::new(fs::File::create(&path).expect("create the zip"));
    for (entry, contents, method) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(*method)
            .large_file(contents.len() > u32::MAX as usize);
        zip.start_file(*entry, options).expect("start an entry");
        zip.write_all(contents).expect("write an entry");
    }
    zip.finish().expect("finish the zip");
    path
}

/// Where `entry`'s data starts in the file, and its compressed length.
pub fn data_of(path: &Path, entry: &str) -> (u64, u64) {
    let mut archive =
        zip::ZipArchive::new(fs::File::open(path).expect("open")).expect("a valid zip");
    let file = archive.by_name(entry).expect("the entry exists");
    (
        file.data_start()
            .expect("the data start is known once opened"),
        file.compressed_size(),
    )
}

/// Flips every bit of the byte at `offset`.
pub fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).expect("read the zip");
    let at = usize::try_from(offset).expect("a small zip");
    bytes[at] ^= 0xff;
    fs::write(path, bytes).expect("write the zip");
}

/// Checks with the default limits, ignoring progress, never cancelled.
pub fn run(path: &Path) -> ArchiveCheck {
    run_with(path, &Limits::default())
}

pub fn run_with(path: &Path, limits: &Limits) -> ArchiveCheck {
    check(path, limits, &mut |_, _| {}, &|| false).expect("a readable local file gives an answer")
}

/// The entry named `name` in a check.
pub fn entry<'a>(check: &'a ArchiveCheck, name: &str) -> &'a EntryCheck {
    check
        .entries
        .iter()
        .find(|e| e.entry == name)
        .unwrap_or_else(|| panic!("{name} must be listed: {check:#?}"))
}

/// `n` CSV rows of made-up contacts under a header, "\r\n" line ends.
pub fn contacts_csv(n: usize) -> Vec<u8> {
    let mut out = b"id,name,email\r\n".to_vec();
    for i in 0..n {
        out.extend_from_slice(format!("{i},Person {i},p{i}@example.com\r\n").as_bytes());
    }
    out
}
