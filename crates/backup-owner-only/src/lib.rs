//! Archives hold a whole company's data, and the stored SSH key opens them:
//! those files are readable by the user who owns them and nobody else. On Unix that is
//! mode 0600; on Windows a protected DACL with one entry, for the current
//! user (nothing inherited from the download folder).
//!
//! Everything works on the open handle, never on the path, so the rights
//! land on the very file that is being written.

use std::fs::{File, OpenOptions};
use std::io;

/// Options to open (read and write) a file whose rights [`restrict`] may
/// change afterwards: on Windows the handle must carry `WRITE_DAC`.
pub fn read_write_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Storage::FileSystem::{
            FILE_GENERIC_READ, FILE_GENERIC_WRITE, WRITE_DAC,
        };
        options.access_mode(FILE_GENERIC_READ | FILE_GENERIC_WRITE | WRITE_DAC);
    }
    options
}

/// Makes `file` accessible to the current user only.
#[cfg(unix)]
pub fn restrict(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

/// Makes `file` accessible to the current user only.
#[cfg(windows)]
pub fn restrict(file: &File) -> io::Result<()> {
    windows::restrict(file)
}

/// Makes `file` accessible to the current user only (nothing to do here).
#[cfg(not(any(unix, windows)))]
pub fn restrict(_file: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(windows)]
#[allow(unsafe_code)] // Win32 security calls; each is explained where it is made.
mod windows {
    use std::fs::File;
    use std::io;
    use std::mem::size_of;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
    use std::ptr;

    use windows_sys::Win32::Foundation::{
        ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED, ERROR_SUCCESS, HANDLE,
    };
    use windows_sys::Win32::Security::Authorization::{SE_FILE_OBJECT, SetSecurityInfo};
    use windows_sys::Win32::Security::{
        ACCESS_ALLOWED_ACE, ACL, ACL_REVISION, AddAccessAllowedAce, DACL_SECURITY_INFORMATION,
        GetLengthSid, GetTokenInformation, InitializeAcl, PROTECTED_DACL_SECURITY_INFORMATION,
        TOKEN_QUERY, TOKEN_USER, TokenUser,
    };
    use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// Replaces the file's DACL with one granting the current user full
    /// access, protected from inheritance.
    pub fn restrict(file: &File) -> io::Result<()> {
        let user = current_user()?;
        // The buffer holds a TOKEN_USER followed by the SID it points into.
        let token_user = user.as_ptr().cast::<TOKEN_USER>();
        // SAFETY: `current_user` returned a buffer GetTokenInformation filled
        // with a TOKEN_USER; it is u64-aligned and lives until the end.
        let sid = unsafe { (*token_user).User.Sid };
        // SAFETY: `sid` points to a valid SID inside `user`.
        let sid_len = unsafe { GetLengthSid(sid) } as usize;
        let acl_len =
            size_of::<ACL>() + size_of::<ACCESS_ALLOWED_ACE>() - size_of::<u32>() + sid_len;
        let mut acl_buf = vec![0u64; acl_len.div_ceil(8)];
        let acl = acl_buf.as_mut_ptr().cast::<ACL>();
        let acl_len = u32::try_from(acl_len).map_err(io::Error::other)?;
        // SAFETY: `acl` points to `acl_len` writable, aligned bytes.
        if unsafe { InitializeAcl(acl, acl_len, ACL_REVISION) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the ACL was sized for exactly this one entry and `sid` is valid.
        if unsafe { AddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, sid) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the handle is open (with WRITE_DAC, see `read_write_options`)
        // for the duration of the call; the ACL is initialized.
        let status = unsafe {
            SetSecurityInfo(
                file.as_raw_handle() as HANDLE,
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                ptr::null_mut(),
                ptr::null_mut(),
                acl,
                ptr::null(),
            )
        };
        match status {
            ERROR_SUCCESS => Ok(()),
            // FAT and exFAT volumes (USB drives) keep no rights at all:
            // there is nothing to restrict, and the download must not fail.
            ERROR_NOT_SUPPORTED | ERROR_INVALID_FUNCTION => Ok(()),
            error => Err(io::Error::from_raw_os_error(error as i32)),
        }
    }

    /// The TOKEN_USER of this process, in a u64-aligned buffer.
    fn current_user() -> io::Result<Vec<u64>> {
        let mut raw: HANDLE = ptr::null_mut();
        // SAFETY: the pseudo-handle of the current process needs no closing;
        // `raw` receives a token handle on success.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut raw) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a token handle we own; OwnedHandle closes it.
        let token = unsafe { OwnedHandle::from_raw_handle(raw) };
        let mut needed = 0u32;
        // SAFETY: a size query: no buffer, `needed` receives the size.
        unsafe {
            GetTokenInformation(
                token.as_raw_handle() as HANDLE,
                TokenUser,
                ptr::null_mut(),
                0,
                &mut needed,
            )
        };
        if needed == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0u64; (needed as usize).div_ceil(8)];
        // SAFETY: `buf` has room for `needed` bytes.
        let ok = unsafe {
            GetTokenInformation(
                token.as_raw_handle() as HANDLE,
                TokenUser,
                buf.as_mut_ptr().cast(),
                needed,
                &mut needed,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_owner_keeps_full_use_of_a_restricted_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("archive.zip");
        let file = read_write_options()
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("open");
        restrict(&file).expect("restricting one's own file must work, or every download fails");
        (&file)
            .write_all(b"archive")
            .expect("write after restricting");
        file.sync_all()
            .expect("flush through the handle (on Windows this needs write access)");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            b"archive",
            "the owner can still open and read it"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "nobody else may read a company's archive");
        }
    }
}
