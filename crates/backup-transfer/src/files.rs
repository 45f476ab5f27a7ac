//! The local side: safe file names, free space, and the atomic,
//! never-overwriting, user-only finalization of a verified download, done
//! on the very handle that was written and hashed.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::TransferError;
use crate::io_at;
use backup_owner_only as owner_only;

pub use crate::names::{sanitize_file_name, sanitize_folder_name};

/// `name`, or `name (1).ext`, `name (2).ext`… — the first that does not exist in `dir`.
pub fn unique_path(dir: &Path, name: &str) -> PathBuf {
    // `symlink_metadata`: a dangling link is taken too (`exists()` would call
    // it free, and linking onto it would fail again and again).
    let taken = |p: &Path| p.symlink_metadata().is_ok();
    let candidate = dir.join(name);
    if !taken(&candidate) {
        return candidate;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (1..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !taken(p))
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

/// Whether an I/O error means the disk is full.
pub fn is_no_space(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(28)
}

/// Whether `path` names the very file `file` is open on: not a symlink,
/// not a file that replaced it, not nothing.
pub fn is_same_file(file: &File, path: &Path) -> bool {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let (Ok(ours), Ok(named)) = (file.try_clone(), same_file::Handle::from_path(path)) else {
        return false;
    };
    same_file::Handle::from_file(ours).is_ok_and(|ours| ours == named)
}

/// Makes a verified download final, from `part`, the open handle whose
/// bytes were written and hashed (opened for writing: Windows flushes only
/// through such a handle): flush to disk, user-only rights, a name in `dir`
/// that overwrites nothing, flush of the folder. Returns the final path.
///
/// `part_path` is linked (or, where the file system has no hard links,
/// renamed) into place only while it still names `part`; if something
/// replaced or removed it, the bytes are copied out of the handle instead,
/// so the final file always holds what was verified.
pub fn finalize(
    part: &File,
    part_path: &Path,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, TransferError> {
    part.sync_all()
        .map_err(|e| TransferError::local(part_path, e))?;
    owner_only::restrict(part).map_err(|e| TransferError::local(part_path, e))?;
    let final_path = if is_same_file(part, part_path) {
        link_into_place(part, part_path, dir, name)?
    } else {
        copy_into_place(part, dir, name)?
    };
    sync_dir(dir);
    Ok(final_path)
}

/// Makes a verified download final in place of `target`, an older copy in
/// `dir`: as [`finalize`], then one rename over `target`, so at every moment
/// `target` is either the old file or the new one. If `target` is no longer
/// a plain file in `dir` (gone, a link, elsewhere), nothing is replaced and
/// the file gets a free name as [`finalize`] gives.
pub fn finalize_replacing(
    part: &File,
    part_path: &Path,
    dir: &Path,
    target: &Path,
    name: &str,
) -> Result<PathBuf, TransferError> {
    let replaceable =
        target.parent() == Some(dir) && fs::symlink_metadata(target).is_ok_and(|m| m.is_file());
    if !replaceable {
        return finalize(part, part_path, dir, name);
    }
    part.sync_all()
        .map_err(|e| TransferError::local(part_path, e))?;
    owner_only::restrict(part).map_err(|e| TransferError::local(part_path, e))?;
    // The verified bytes under a free name first (the partial itself when
    // it still names them), then that name renamed over the old copy.
    let staging = format!(".{name}.replacing");
    let staged = if is_same_file(part, part_path) {
        part_path.to_path_buf()
    } else {
        copy_into_place(part, dir, &staging)?
    };
    fs::rename(&staged, target).map_err(|e| TransferError::local(target, e))?;
    if !is_same_file(part, target) && staged == part_path {
        // The partial path was swapped between the check and the rename:
        // the verified bytes, copied out of the handle, take the place.
        let copy = copy_into_place(part, dir, &staging)?;
        fs::rename(&copy, target).map_err(|e| TransferError::local(target, e))?;
    }
    sync_dir(dir);
    Ok(target.to_path_buf())
}

/// Gives `part_path` (which names `part`) a free name in `dir`.
fn link_into_place(
    part: &File,
    part_path: &Path,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, TransferError> {
    loop {
        let candidate = unique_path(dir, name);
        // A hard link fails if the target exists, so no file is ever
        // overwritten, even if one appears between the check and the link.
        match fs::hard_link(part_path, &candidate) {
            Ok(()) if is_same_file(part, &candidate) => {
                if is_same_file(part, part_path) {
                    fs::remove_file(part_path).map_err(|e| TransferError::local(part_path, e))?;
                }
                return Ok(candidate);
            }
            Ok(()) => {
                // The partial path was replaced between the check and the
                // link: take back that link, keep the verified bytes.
                let _ = fs::remove_file(&candidate);
                return copy_into_place(part, dir, name);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) if !candidate.exists() => {
                // File systems without hard links: a plain rename.
                fs::rename(part_path, &candidate)
                    .map_err(|e| TransferError::local(&candidate, e))?;
                if is_same_file(part, &candidate) {
                    return Ok(candidate);
                }
                let _ = fs::rename(&candidate, part_path);
                return copy_into_place(part, dir, name);
            }
            Err(e) => return Err(TransferError::local(&candidate, e)),
        }
    }
}

/// Writes the bytes of `part` to a new, user-only file with a free name in `dir`.
fn copy_into_place(part: &File, dir: &Path, name: &str) -> Result<PathBuf, TransferError> {
    loop {
        let candidate = unique_path(dir, name);
        let mut options = owner_only::read_write_options();
        let copy = match options.create_new(true).open(&candidate) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(TransferError::local(&candidate, e)),
        };
        let written = copy_at(part, &copy)
            .and_then(|()| copy.sync_all())
            .and_then(|()| owner_only::restrict(&copy));
        if let Err(e) = written {
            drop(copy);
            let _ = fs::remove_file(&candidate);
            return Err(if is_no_space(&e) {
                TransferError::DiskFull {
                    dir: dir.to_path_buf(),
                    needed: part.metadata().map_or(0, |m| m.len()),
                    available: 0,
                }
            } else {
                TransferError::local(&candidate, e)
            });
        }
        return Ok(candidate);
    }
}

/// Copies every byte of `from` to the same offsets in `to`, by position (the
/// handles' cursors are not used).
fn copy_at(from: &File, to: &File) -> io::Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    loop {
        let n = io_at::read_at(from, &mut buf, at)?;
        if n == 0 {
            return Ok(());
        }
        io_at::write_all_at(to, &buf[..n], at)?;
        at += n as u64;
    }
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

    /// A partial file with `bytes`, open as the engine holds it.
    fn partial(dir: &Path, bytes: &[u8]) -> (File, PathBuf) {
        let path = dir.join(".bk-1.part");
        let file = owner_only::read_write_options()
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("open");
        io_at::write_all_at(&file, bytes, 0).expect("write");
        (file, path)
    }

    fn assert_user_only(path: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "archives are user-only: {}", path.display());
        }
        #[cfg(not(unix))]
        let _ = path;
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_link_under_the_name_is_skipped_not_retried_forever() {
        let dir = tempfile::tempdir().expect("tmp");
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("b.zip"))
            .expect("a dangling link");
        assert_eq!(
            unique_path(dir.path(), "b.zip"),
            dir.path().join("b (1).zip")
        );
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tmp");
        fs::write(dir.path().join("b.zip"), b"old").expect("existing");
        fs::write(dir.path().join("b (1).zip"), b"older").expect("existing");
        let (file, part) = partial(dir.path(), b"new");
        let final_path = finalize(&file, &part, dir.path(), "b.zip").expect("finalize");
        assert_eq!(final_path, dir.path().join("b (2).zip"));
        assert_eq!(fs::read(dir.path().join("b.zip")).expect("read"), b"old");
        assert_eq!(fs::read(&final_path).expect("read"), b"new");
        // Windows without POSIX delete semantics (FAT, exFAT, network shares,
        // Wine) frees a removed name only when its last handle closes; the
        // engine closes it as `Partial::finalize` returns.
        drop(file);
        assert!(!part.exists(), "the partial name is gone once final");
        assert_user_only(&final_path);
    }

    #[test]
    fn finalize_keeps_the_verified_bytes_when_the_partial_path_was_replaced() {
        let dir = tempfile::tempdir().expect("tmp");
        let (file, part) = partial(dir.path(), b"the verified bytes");
        // Another program puts its own file under the partial's name.
        let intruder = dir.path().join("intruder");
        fs::write(&intruder, b"someone else's bytes").expect("intruder");
        fs::rename(&intruder, &part).expect("replace the partial path");
        let final_path = finalize(&file, &part, dir.path(), "b.zip").expect("finalize");
        assert_eq!(
            fs::read(&final_path).expect("read"),
            b"the verified bytes",
            "the file recorded as verified must hold the bytes that were hashed"
        );
        assert_eq!(
            fs::read(&part).expect("read"),
            b"someone else's bytes",
            "a file that is not ours is left alone"
        );
        assert_user_only(&final_path);
    }

    #[test]
    fn finalize_keeps_the_verified_bytes_when_the_partial_path_was_removed() {
        let dir = tempfile::tempdir().expect("tmp");
        let (file, part) = partial(dir.path(), b"the verified bytes");
        fs::remove_file(&part).expect("remove");
        fs::write(dir.path().join("b.zip"), b"taken").expect("name taken");
        let final_path = finalize(&file, &part, dir.path(), "b.zip").expect("finalize");
        assert_eq!(final_path, dir.path().join("b (1).zip"));
        assert_eq!(fs::read(&final_path).expect("read"), b"the verified bytes");
        assert_eq!(fs::read(dir.path().join("b.zip")).expect("read"), b"taken");
    }

    #[test]
    fn a_replacing_download_takes_the_old_copys_place_and_only_that() {
        let dir = tempfile::tempdir().expect("tmp");
        let old = dir.path().join("b (1).zip");
        fs::write(&old, b"old").expect("old copy");
        fs::write(dir.path().join("b.zip"), b"another").expect("another file");
        let (file, part) = partial(dir.path(), b"new");
        let final_path =
            finalize_replacing(&file, &part, dir.path(), &old, "b.zip").expect("replace");
        assert_eq!(final_path, old, "recorded at the same path");
        assert_eq!(fs::read(&old).expect("read"), b"new");
        assert_eq!(
            fs::read(dir.path().join("b.zip")).expect("read"),
            b"another",
            "no other file is touched"
        );
        assert!(!part.exists());
        assert_user_only(&old);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    #[test]
    fn a_replacing_download_whose_old_copy_is_gone_takes_a_free_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let gone = dir.path().join("b.zip");
        let (file, part) = partial(dir.path(), b"new");
        let final_path =
            finalize_replacing(&file, &part, dir.path(), &gone, "b.zip").expect("finalize");
        assert_eq!(final_path, gone);
        assert_eq!(fs::read(&final_path).expect("read"), b"new");
        let elsewhere = tempfile::tempdir().expect("tmp");
        let outside = elsewhere.path().join("b.zip");
        fs::write(&outside, b"not in this folder").expect("outside");
        let (file, part) = partial(dir.path(), b"newer");
        let final_path =
            finalize_replacing(&file, &part, dir.path(), &outside, "b.zip").expect("finalize");
        assert_eq!(final_path, dir.path().join("b (1).zip"));
        assert_eq!(fs::read(&outside).expect("read"), b"not in this folder");
    }

    #[test]
    fn a_symlink_is_not_the_same_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let (file, part) = partial(dir.path(), b"x");
        assert!(is_same_file(&file, &part));
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&part, &link).expect("symlink");
            assert!(
                !is_same_file(&file, &link),
                "a symlink could be pointed elsewhere between the check and the use"
            );
        }
    }
}
