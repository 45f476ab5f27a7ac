//! The test harness shared by every crate's tests and by the end-to-end suite.
//!
//! Each helper starts a *real* component on 127.0.0.1 with a free port and a
//! temporary directory, and stops it on drop: an OpenSSH `sshd` serving SFTP
//! ([`sshd`]), a Secret Service in a private D-Bus session ([`keychain`]), a
//! TCP fault proxy that emulates latency, bandwidth caps, cuts and stalls
//! ([`proxy`]), and a small WebDriver client for the desktop app
//! ([`webdriver`]).

pub mod http;
pub mod keychain;
pub mod proxy;
pub mod sshd;
pub mod webdriver;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is released before returning, so a server started right after
/// may still lose a race with another process; callers retry on bind errors.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port on loopback");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("nothing listened on 127.0.0.1:{port} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The repository root (the directory holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support sits two levels below the workspace root")
        .to_path_buf()
}

/// The directory where tests leave artifacts (screenshots, logs) for humans.
pub fn artifacts_dir(area: &str) -> PathBuf {
    let dir = workspace_root()
        .join("target")
        .join("test-artifacts")
        .join(area);
    std::fs::create_dir_all(&dir).expect("create the test artifacts directory");
    dir
}

/// Finds an executable on `PATH`, or in the usual sbin directories.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The `.zip` files directly in `dir`, sorted (none when it does not exist):
/// what a download left where a person would look.
pub fn zips(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "zip"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
