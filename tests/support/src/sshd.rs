//! A private OpenSSH `sshd` serving SFTP from a temporary directory.
//!
//! Real providers deliver archives with OpenSSH's `internal-sftp`, so the
//! engine and the provider are tested against exactly that. Each server has
//! its own host keys, config, `AuthorizedKeysFile` and served directory, all
//! under a temp dir, listens on a free loopback port and is killed on drop.
//! Client keys are generated with `ssh-keygen` at test time: no private key is
//! ever committed.

use std::fs;
use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::{find_program, free_port};

/// The private key formats a user may bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA 2048 in the classic PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`).
    RsaPem,
    /// RSA 2048 in PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    RsaPkcs8,
    /// RSA 4096 in PKCS#1 PEM: the size that overflows Windows' credential store.
    Rsa4096Pem,
    /// RSA 2048 in OpenSSH's own format.
    RsaOpenSsh,
    /// ECDSA P-256 in OpenSSH format.
    Ecdsa,
    /// ECDSA P-256 in PEM (`BEGIN EC PRIVATE KEY`).
    EcdsaPem,
    /// Ed25519 (OpenSSH format is the only one).
    Ed25519,
}

impl KeyKind {
    /// Every kind, for tests that loop over all of them.
    pub const ALL: [KeyKind; 7] = [
        KeyKind::RsaPem,
        KeyKind::RsaPkcs8,
        KeyKind::Rsa4096Pem,
        KeyKind::RsaOpenSsh,
        KeyKind::Ecdsa,
        KeyKind::EcdsaPem,
        KeyKind::Ed25519,
    ];

    fn keygen_args(self) -> &'static [&'static str] {
        match self {
            KeyKind::RsaPem => &["-t", "rsa", "-b", "2048", "-m", "PEM"],
            KeyKind::RsaPkcs8 => &["-t", "rsa", "-b", "2048", "-m", "PKCS8"],
            KeyKind::Rsa4096Pem => &["-t", "rsa", "-b", "4096", "-m", "PEM"],
            KeyKind::RsaOpenSsh => &["-t", "rsa", "-b", "2048"],
            KeyKind::Ecdsa => &["-t", "ecdsa", "-b", "256"],
            KeyKind::EcdsaPem => &["-t", "ecdsa", "-b", "256", "-m", "PEM"],
            KeyKind::Ed25519 => &["-t", "ed25519"],
        }
    }
}

/// A client key pair made by `ssh-keygen` in a temp dir.
#[derive(Debug)]
pub struct ClientKey {
    pub kind: KeyKind,
    /// Path of the private key file.
    pub private_path: PathBuf,
    /// The private key file's bytes.
    pub private_pem: Vec<u8>,
    /// The `authorized_keys` line of the public key.
    pub public_line: String,
    /// The passphrase, when the key is encrypted.
    pub passphrase: Option<String>,
    /// `SHA256:…` as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    _dir: TempDir,
}

impl ClientKey {
    /// Generates a key of `kind`, encrypted with `passphrase` when given.
    pub fn generate(kind: KeyKind, passphrase: Option<&str>) -> anyhow::Result<ClientKey> {
        let dir = tempfile::tempdir()?;
        let private_path = dir.path().join("id_test");
        let status = Command::new("ssh-keygen")
            .args(kind.keygen_args())
            .args([
                "-q",
                "-C",
                "backup-desk-test",
                "-N",
                passphrase.unwrap_or(""),
            ])
            .arg("-f")
            .arg(&private_path)
            .stdin(Stdio::null())
            .status()
            .context("run ssh-keygen (install openssh-client)")?;
        if !status.success() {
            bail!("ssh-keygen failed for {kind:?}: {status}");
        }
        let public_line = fs::read_to_string(private_path.with_extension("pub"))?
            .trim()
            .to_owned();
        let fingerprint = fingerprint_of(&private_path.with_extension("pub"))?;
        Ok(ClientKey {
            kind,
            private_pem: fs::read(&private_path)?,
            private_path,
            public_line,
            passphrase: passphrase.map(str::to_owned),
            fingerprint,
            _dir: dir,
        })
    }
}

/// `SHA256:…` fingerprint of a public key file, as `ssh-keygen -l` prints it.
pub fn fingerprint_of(public_key: &Path) -> anyhow::Result<String> {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_key)
        .output()
        .context("run ssh-keygen -l")?;
    if !out.status.success() {
        bail!(
            "ssh-keygen -l failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8(out.stdout)?;
    text.split_whitespace()
        .find(|word| word.starts_with("SHA256:"))
        .map(str::to_owned)
        .context("ssh-keygen -l printed no SHA256 fingerprint")
}

/// A running private `sshd`.
#[derive(Debug)]
pub struct SshServer {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// The user to log in as (the user running the tests).
    pub user: String,
    /// The directory served over SFTP; remote relative paths start here.
    pub served_dir: PathBuf,
    /// `SHA256:…` fingerprints of the server's host keys (ed25519, ecdsa, rsa).
    pub host_key_fingerprints: Vec<String>,
    dir: TempDir,
    child: Option<Child>,
}

impl SshServer {
    /// Starts a server that accepts the given client public keys.
    pub fn start(authorized: &[&ClientKey]) -> anyhow::Result<SshServer> {
        Self::start_with(authorized, "")
    }

    /// Like [`SshServer::start`], with extra `sshd_config` lines appended
    /// (e.g. `MaxSessions 2`; `{served}` in them is replaced with the
    /// served directory).
    pub fn start_with(authorized: &[&ClientKey], extra_config: &str) -> anyhow::Result<SshServer> {
        Self::start_serving(authorized, Some("internal-sftp -d {served}"), extra_config)
    }

    /// A server with no SFTP subsystem: it logs users in and refuses the
    /// `sftp` subsystem request (`SSH_MSG_CHANNEL_FAILURE`).
    pub fn start_refusing_sftp(authorized: &[&ClientKey]) -> anyhow::Result<SshServer> {
        Self::start_serving(authorized, None, "")
    }

    /// A server whose SFTP subsystem is a program that does not exist: it
    /// logs users in and accepts the `sftp` subsystem request, whose
    /// channel then ends before any answer.
    pub fn start_without_sftp(authorized: &[&ClientKey]) -> anyhow::Result<SshServer> {
        Self::start_with_sftp_program(authorized, Path::new("/nonexistent/sftp-server"))
    }

    /// A server whose SFTP subsystem is `program` (a stand-in that speaks
    /// the protocol wrongly, say).
    pub fn start_with_sftp_program(
        authorized: &[&ClientKey],
        program: &Path,
    ) -> anyhow::Result<SshServer> {
        Self::start_with_sftp_command(authorized, &program.display().to_string())
    }

    /// [`SshServer::start`], with `command` (run by the user's shell) as
    /// the SFTP subsystem; `{served}` in it is replaced with the served
    /// directory.
    pub fn start_with_sftp_command(
        authorized: &[&ClientKey],
        command: &str,
    ) -> anyhow::Result<SshServer> {
        Self::start_serving(authorized, Some(command), "")
    }

    /// `subsystem` is the `Subsystem sftp` command (`{served}` is
    /// replaced); `None`: no SFTP.
    fn start_serving(
        authorized: &[&ClientKey],
        subsystem: Option<&str>,
        extra_config: &str,
    ) -> anyhow::Result<SshServer> {
        let sshd = find_program("sshd").context("sshd not found: install openssh-server")?;
        let dir = tempfile::tempdir()?;
        let served_dir = dir.path().join("served");
        fs::create_dir_all(&served_dir)?;
        let (host_keys, host_key_fingerprints) = make_host_keys(dir.path())?;
        let authorized_keys = dir.path().join("authorized_keys");
        let lines: Vec<&str> = authorized.iter().map(|k| k.public_line.as_str()).collect();
        fs::write(&authorized_keys, lines.join("\n") + "\n")?;
        if is_root() {
            fs::create_dir_all("/run/sshd")?;
        }
        let user = current_user();
        let served = served_dir.display().to_string();
        let mut last_error = None;
        for _attempt in 0..5 {
            let port = free_port();
            let config = dir.path().join("sshd_config");
            let mut text = format!(
                "Port {port}\nListenAddress 127.0.0.1\nPidFile {pid}\n",
                pid = dir.path().join("sshd.pid").display()
            );
            for key in &host_keys {
                text.push_str(&format!("HostKey {}\n", key.display()));
            }
            text.push_str(&format!(
                "AuthorizedKeysFile {ak}\nAuthenticationMethods publickey\nPubkeyAuthentication yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nPermitRootLogin prohibit-password\nAllowUsers {user}\n\
                 {subsystem}LogLevel INFO\nMaxSessions 32\n\
                 MaxStartups 64:30:128\nClientAliveInterval 0\n{extra}\n",
                ak = authorized_keys.display(),
                extra = extra_config.replace("{served}", &served),
                subsystem = subsystem.map_or(String::new(), |command| format!(
                    "Subsystem sftp {}\n",
                    command.replace("{served}", &served)
                )),
            ));
            fs::write(&config, text)?;
            match launch(&sshd, &config, port) {
                Ok(child) => {
                    return Ok(SshServer {
                        port,
                        user,
                        served_dir,
                        host_key_fingerprints,
                        dir,
                        child: Some(child),
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("sshd did not start")))
    }

    /// Writes a file into the served directory and returns its remote path.
    /// How many public-key logins the server has accepted so far (from its
    /// log, at `LogLevel INFO`).
    pub fn logins(&self) -> usize {
        fs::read_to_string(self.dir.path().join("sshd.log"))
            .unwrap_or_default()
            .matches("Accepted publickey for ")
            .count()
    }

    pub fn put_file(&self, name: &str, contents: &[u8]) -> anyhow::Result<String> {
        let path = self.served_dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, contents)?;
        Ok(name.to_owned())
    }

    /// Downloads `remote` to `local` with OpenSSH's `sftp` client (the peer tool).
    pub fn sftp_get(&self, key: &ClientKey, remote: &str, local: &Path) -> anyhow::Result<()> {
        sftp_get(self.port, &self.user, key, remote, local)
    }

    /// The `-o`/`-P` options that point OpenSSH clients at this server.
    pub fn ssh_options(&self) -> Vec<String> {
        vec![
            "-P".into(),
            self.port.to_string(),
            "-o".into(),
            "StrictHostKeyChecking=no".into(),
            "-o".into(),
            format!(
                "UserKnownHostsFile={}",
                self.dir.path().join("known_hosts").display()
            ),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
        ]
    }

    /// Stops the server (as a crash or a restart would); [`SshServer::restart`]
    /// brings it back on the same port with the same keys.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Gives the server new host keys and restarts it on the same port: what
    /// a reinstalled server, or an impostor on its address, looks like.
    pub fn replace_host_keys(&mut self) -> anyhow::Result<()> {
        self.stop();
        let (_, fingerprints) = make_host_keys(self.dir.path())?;
        self.host_key_fingerprints = fingerprints;
        self.restart()
    }

    /// Starts the server again on the same port, host keys and served dir.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        let sshd = find_program("sshd").context("sshd not found")?;
        let child = launch(&sshd, &self.dir.path().join("sshd_config"), self.port)?;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates fresh ed25519, ecdsa and rsa host keys in `dir` (replacing any);
/// returns their paths and fingerprints.
fn make_host_keys(dir: &Path) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let mut host_keys = Vec::new();
    let mut host_key_fingerprints = Vec::new();
    for kind in ["ed25519", "ecdsa", "rsa"] {
        let path = dir.join(format!("ssh_host_{kind}_key"));
        let _ = fs::remove_file(&path);
        let _ = fs::remove_file(path.with_extension("pub"));
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-f"])
            .arg(&path)
            .stdin(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("ssh-keygen could not make a {kind} host key");
        }
        host_key_fingerprints.push(fingerprint_of(&path.with_extension("pub"))?);
        host_keys.push(path);
    }
    Ok((host_keys, host_key_fingerprints))
}

/// Starts `sshd` on `config` and waits for its banner on `port`. Its log
/// goes to a file beside the config (a pipe nobody reads could fill up and
/// block the server); on failure the log is part of the error.
fn launch(sshd: &Path, config: &Path, port: u16) -> anyhow::Result<Child> {
    let log_path = config.with_file_name("sshd.log");
    let log = fs::File::create(&log_path)?;
    let mut child = Command::new(sshd)
        .args(["-D", "-e", "-f"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("start sshd")?;
    if let Err(e) = wait_for_banner(port, &mut child) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e.context(fs::read_to_string(&log_path).unwrap_or_default()));
    }
    Ok(child)
}

fn wait_for_banner(port: u16, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("sshd exited early: {status}");
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream.set_read_timeout(Some(Duration::from_secs(2)))?;
            let mut banner = [0u8; 8];
            if stream.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-2.0") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    bail!("sshd did not answer on port {port}")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// The login name of the user running the tests.
pub fn current_user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".to_owned())
}

/// Downloads `remote` to `local` with OpenSSH's `sftp` from any SFTP server
/// on `127.0.0.1:port` (the peer tool of the benchmark and the tests).
/// The host key is not checked: these servers are the tests' own.
pub fn sftp_get(
    port: u16,
    user: &str,
    key: &ClientKey,
    remote: &str,
    local: &Path,
) -> anyhow::Result<()> {
    let mut batch = local.as_os_str().to_owned();
    batch.push(".sftp-batch");
    let batch = std::path::PathBuf::from(batch);
    fs::write(
        &batch,
        format!("get \"{remote}\" \"{}\"\n", local.display()),
    )?;
    let out = Command::new("sftp")
        .args(["-q", "-b"])
        .arg(&batch)
        .arg("-i")
        .arg(&key.private_path)
        .args(["-P", &port.to_string(), "-o", "StrictHostKeyChecking=no"])
        .args([
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .arg(format!("{user}@127.0.0.1"))
        .stdin(Stdio::null())
        .output()
        .context("run sftp (install openssh-client)")?;
    let _ = fs::remove_file(&batch);
    if !out.status.success() {
        bail!("sftp get failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
