//! Generates a backup's archive: a `.zip` with one CSV per non-empty object,
//! made from the account's rows in the database, written atomically into the
//! directory SFTP serves, with its size and SHA-256 computed once, and the
//! manifest of what it holds, so tests can check what a client counted.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::error::ProviderError;
use crate::sample::{OBJECTS, contact_row};

/// A published archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// File name inside the archive directory (also the remote path).
    pub file_name: String,
    pub size_bytes: u64,
    /// Lowercase hex SHA-256 of the whole file.
    pub sha256: String,
    /// What each entry holds, in the archive's order.
    pub manifest: Vec<ManifestEntry>,
}

/// One entry of an archive as the provider wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Entry name inside the zip (`contacts.csv`).
    pub name: String,
    /// The CRM object it exports (`contacts`).
    pub object: String,
    /// CSV records after the header (a record with a quoted line break is
    /// one record; padding rows count).
    pub rows: u64,
    /// Size of the entry once decompressed, header and line ends included.
    pub uncompressed_bytes: u64,
}

/// How to write an archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// Pad `contacts.csv` (stored, uncompressed) until the archive holds
    /// about this many bytes, for benchmarks that need 1–4 GiB.
    pub pad_to: Option<u64>,
    /// Flip one byte inside the first entry's compressed data before the
    /// SHA-256 is computed: the published hash matches a broken file, as
    /// when a provider archives from a failing disk.
    pub damaged: bool,
}

/// The folder of one account's archives inside the served directory: an
/// SFTP login sees only its own account's folder (one tenant per folder).
pub fn account_dir(archive_dir: &Path, account_id: &str) -> PathBuf {
    archive_dir.join(account_id)
}

/// Where a published archive is, relative to the served directory: the
/// delivery's `remote_path`.
pub fn remote_path(account_id: &str, file_name: &str) -> String {
    format!("{account_id}/{file_name}")
}

/// Moves archives published before accounts had their own folders (flat in
/// `archive_dir`) into their account's folder, so earlier deliveries still
/// resolve. `published` lists (account, file name) of ready backups.
pub fn adopt_flat_layout(archive_dir: &Path, published: &[(String, String)]) {
    for (account, name) in published {
        let (flat, owned) = (archive_dir.join(name), account_dir(archive_dir, account));
        if flat.is_file() && !owned.join(name).exists() && fs::create_dir_all(&owned).is_ok() {
            let _ = fs::rename(&flat, owned.join(name));
        }
    }
}

/// The archive's file name: `<account>-<YYYYMMDD-HHMMSS>-<backup>.zip`.
pub fn file_name(account_id: &str, backup_id: &str, at: DateTime<Utc>) -> String {
    format!(
        "{account_id}-{:04}{:02}{:02}-{:02}{:02}{:02}-{backup_id}.zip",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Writes the archive of `records` (object → CSV rows) to `dir/name`.
///
/// With `pad_to`, `contacts.csv` is padded with generated rows (stored,
/// uncompressed) until the archive reaches about that many bytes, for
/// benchmarks that need 1–4 GiB.
pub fn generate(
    dir: &Path,
    name: &str,
    records: &[(String, Vec<String>)],
    pad_to: Option<u64>,
) -> Result<Archive, ProviderError> {
    generate_with(
        dir,
        name,
        records,
        ArchiveOptions {
            pad_to,
            damaged: false,
        },
    )
}

/// [`generate`] with every option; fails on I/O errors only.
pub fn generate_with(
    dir: &Path,
    name: &str,
    records: &[(String, Vec<String>)],
    options: ArchiveOptions,
) -> Result<Archive, ProviderError> {
    let pad_to = options.pad_to;
    let io = |what: &str, e: std::io::Error| ProviderError::Io(format!("{what}: {e}"));
    fs::create_dir_all(dir).map_err(|e| io("create the archive dir", e))?;
    let final_path = dir.join(name);
    let tmp_path = dir.join(format!(".{name}.tmp"));
    let file = File::create(&tmp_path).map_err(|e| io("create the archive", e))?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, file));
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let zip_err = |e: zip::result::ZipError| ProviderError::Io(format!("write the archive: {e}"));
    let mut written: u64 = 0;
    let mut manifest = Vec::new();
    for (object, header) in OBJECTS {
        let rows = records
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[]);
        let padding = *object == "contacts" && pad_to.is_some();
        if rows.is_empty() && !padding {
            continue; // an object with no records has no file
        }
        let options = if padding {
            deflated
                .compression_method(CompressionMethod::Stored)
                .large_file(true)
        } else {
            deflated
        };
        let entry_name = format!("{object}.csv");
        zip.start_file(entry_name.as_str(), options)
            .map_err(zip_err)?;
        let entry_start = written;
        write_line(&mut zip, header, &mut written)?;
        for row in rows {
            write_line(&mut zip, row, &mut written)?;
        }
        let mut row_count = rows.len() as u64;
        if let (true, Some(target)) = (padding, pad_to) {
            let mut i = rows.len() + 1;
            while written < target {
                write_line(&mut zip, &contact_row(i, 0x5eed), &mut written)?;
                i += 1;
                row_count += 1;
            }
        }
        manifest.push(ManifestEntry {
            name: entry_name,
            object: (*object).to_owned(),
            rows: row_count,
            uncompressed_bytes: written - entry_start,
        });
    }
    let mut out = zip.finish().map_err(zip_err)?;
    out.flush().map_err(|e| io("flush the archive", e))?;
    let file = out
        .into_inner()
        .map_err(|e| io("flush the archive", e.into_error()))?;
    file.sync_all().map_err(|e| io("sync the archive", e))?;
    drop(file);
    if options.damaged {
        damage_first_entry(&tmp_path)?;
    }
    fs::rename(&tmp_path, &final_path).map_err(|e| io("publish the archive", e))?;
    let (size_bytes, sha256) = hash_file(&final_path).map_err(|e| io("hash the archive", e))?;
    Ok(Archive {
        file_name: name.to_owned(),
        size_bytes,
        sha256,
        manifest,
    })
}

/// Flips one byte in the middle of the first entry's compressed data (found
/// from the zip's own headers, not guessed), so that entry fails its CRC or
/// its deflate stream while the zip's directory and other entries stay
/// readable. Fails when the archive has no entry with data.
fn damage_first_entry(path: &Path) -> Result<(), ProviderError> {
    let fail = |e: &dyn std::fmt::Display| ProviderError::Io(format!("damage the archive: {e}"));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| fail(&e))?;
    let offset = {
        let mut zip = zip::ZipArchive::new(&mut file).map_err(|e| fail(&e))?;
        let entry = zip.by_index_raw(0).map_err(|e| fail(&e))?;
        let start = entry
            .data_start()
            .ok_or_else(|| fail(&"the first entry's data offset is unknown"))?;
        if entry.compressed_size() == 0 {
            return Err(fail(&"the first entry has no data"));
        }
        start + entry.compressed_size() / 2
    };
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(offset)).map_err(|e| fail(&e))?;
    file.read_exact(&mut byte).map_err(|e| fail(&e))?;
    byte[0] ^= 0xff;
    file.seek(SeekFrom::Start(offset)).map_err(|e| fail(&e))?;
    file.write_all(&byte).map_err(|e| fail(&e))?;
    file.sync_all().map_err(|e| fail(&e))
}

fn write_line<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    text: &str,
    written: &mut u64,
) -> Result<(), ProviderError> {
    let io = |e: std::io::Error| ProviderError::Io(format!("write the archive: {e}"));
    zip.write_all(text.as_bytes()).map_err(io)?;
    zip.write_all(b"\r\n").map_err(io)?;
    *written += text.len() as u64 + 2;
    Ok(())
}

/// Size and lowercase hex SHA-256 of a file.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, crate::ids::hex(&hasher.finalize())))
}

#[cfg(test)]
pub(crate) mod tests;
