//! The local side: safe file names, free space, pre-allocation, and the
//! atomic, never-overwriting, user-only finalization of a verified download.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::TransferError;

/// A file name the server suggested, made safe: only its last component,
/// no separators, control or reserved characters, no leading dots, not a
/// reserved Windows device name, at most 200 bytes.
pub fn sanitize_file_name(suggested: &str) -> String {
    let last = suggested.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"/\\|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned();
    while name.len() > 200 {
        name.pop();
    }
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
        || ((stem.starts_with("COM") || stem.starts_with("LPT")) && stem.len() == 4);
    if reserved {
        name.insert(0, '_');
    }
    if name.is_empty() {
        "backup.zip".to_owned()
    } else {
        name
    }
}

/// `name`, or `name (1).ext`, `name (2).ext`… — the first that does not exist in `dir`.
pub fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let candidate = dir.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (1..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(candidate)
}

/// Fails with `DiskFull` unless `dir` has `needed` bytes free.
pub fn ensure_space(dir: &Path, needed: u64) -> Result<(), TransferError> {
    let available = fs4::available_space(dir).map_err(|e| TransferError::local(dir, e))?;
    if available < needed {
        return Err(TransferError::DiskFull {
            dir: dir.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}

/// Opens (creating, user-only) the partial file and gives it its full size.
pub fn open_part(path: &Path, size: u64, fresh: bool) -> Result<File, TransferError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(fresh);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .map_err(|e| TransferError::local(path, e))?;
    if fresh && size > 0 {
        use fs4::FileExt;
        // Reserve the blocks now so a full disk fails here, not mid-way.
        if let Err(e) = FileExt::allocate(&file, size) {
            let _ = fs::remove_file(path);
            return Err(if is_no_space(&e) {
                TransferError::DiskFull {
                    dir: path.parent().unwrap_or(path).to_path_buf(),
                    needed: size,
                    available: 0,
                }
            } else {
                TransferError::local(path, e)
            });
        }
    }
    file.set_len(size)
        .map_err(|e| TransferError::local(path, e))?;
    Ok(file)
}

/// Whether an I/O error means the disk is full.
pub fn is_no_space(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(28)
}

/// Makes the verified partial file final: fsync, user-only permissions, a
/// name that overwrites nothing, fsync of the directory. Returns the path.
pub fn finalize(part: &Path, dir: &Path, name: &str) -> Result<PathBuf, TransferError> {
    let file = File::open(part).map_err(|e| TransferError::local(part, e))?;
    file.sync_all().map_err(|e| TransferError::local(part, e))?;
    drop(file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(part, fs::Permissions::from_mode(0o600))
            .map_err(|e| TransferError::local(part, e))?;
    }
    // A hard link fails if the target exists, so no file is ever overwritten,
    // even if one appears between the check and the link.
    let final_path = loop {
        let candidate = unique_path(dir, name);
        match fs::hard_link(part, &candidate) {
            Ok(()) => {
                fs::remove_file(part).map_err(|e| TransferError::local(part, e))?;
                break candidate;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) if !candidate.exists() => {
                // File systems without hard links: a plain rename.
                fs::rename(part, &candidate).map_err(|e| TransferError::local(&candidate, e))?;
                break candidate;
            }
            Err(e) => return Err(TransferError::local(&candidate, e)),
        }
    };
    sync_dir(dir);
    Ok(final_path)
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_never_escape_the_download_folder() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_file_name("..\\..\\windows\\system32\\evil.dll"),
            "evil.dll"
        );
        assert_eq!(sanitize_file_name("/abs/path/backup.zip"), "backup.zip");
        assert_eq!(sanitize_file_name(".."), "backup.zip");
        assert_eq!(sanitize_file_name(".hidden.zip"), "hidden.zip");
        assert_eq!(sanitize_file_name("a\u{0}b\nc:d.zip"), "a_b_c_d.zip");
        assert_eq!(sanitize_file_name("CON.zip"), "_CON.zip");
        assert!(sanitize_file_name(&"x".repeat(500)).len() <= 200);
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tmp");
        fs::write(dir.path().join("b.zip"), b"old").expect("existing");
        fs::write(dir.path().join("b (1).zip"), b"older").expect("existing");
        let part = dir.path().join("b.zip.part");
        fs::write(&part, b"new").expect("part");
        let final_path = finalize(&part, dir.path(), "b.zip").expect("finalize");
        assert_eq!(final_path, dir.path().join("b (2).zip"));
        assert_eq!(fs::read(dir.path().join("b.zip")).expect("read"), b"old");
        assert_eq!(fs::read(&final_path).expect("read"), b"new");
        assert!(!part.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&final_path)
                .expect("meta")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "archives are user-only");
        }
    }
}
