//! A real Secret Service (gnome-keyring) in a private D-Bus session.
//!
//! The app keeps keys and tokens in the OS keychain; on Linux that is the
//! Secret Service. Each [`SecretService`] runs its own `dbus-daemon` and an
//! unlocked `gnome-keyring-daemon` with a temporary `HOME` and XDG dirs, so
//! tests never touch the developer's keyring and never race each other's
//! collections.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::find_program;

/// A running private D-Bus session with an unlocked Secret Service.
#[derive(Debug)]
pub struct SecretService {
    /// `DBUS_SESSION_BUS_ADDRESS` of the private bus.
    pub bus_address: String,
    dir: TempDir,
    bus: Child,
    /// Behind a lock so that [`SecretService::state`] can ask how it ended.
    keyring: Mutex<Child>,
}

impl SecretService {
    /// Starts `dbus-daemon` and `gnome-keyring-daemon --unlock`, and waits
    /// until `org.freedesktop.secrets` answers with an unlocked collection.
    pub fn start() -> anyhow::Result<SecretService> {
        let dbus_daemon =
            find_program("dbus-daemon").context("dbus-daemon not found: install dbus")?;
        let gnome_keyring = find_program("gnome-keyring-daemon")
            .context("gnome-keyring-daemon not found: install gnome-keyring")?;
        let dir = tempfile::tempdir()?;
        for sub in ["home", "data", "config", "cache", "runtime"] {
            fs::create_dir_all(dir.path().join(sub))?;
        }
        set_user_only(&dir.path().join("runtime"))?;
        let socket = dir.path().join("bus");
        // A bus without service activation: if anything asked for the
        // Secret Service before our daemon owns the name, the standard
        // session config would start a second, locked gnome-keyring.
        let config = dir.path().join("bus.conf");
        fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:path={}</listen>\
                 <auth>EXTERNAL</auth><policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
                socket.display()
            ),
        )?;
        let mut bus = Command::new(dbus_daemon)
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("start dbus-daemon")?;
        let mut line = String::new();
        BufReader::new(bus.stdout.take().context("dbus-daemon stdout")?)
            .read_line(&mut line)
            .context("read the bus address")?;
        let bus_address = line.trim().to_owned();
        if bus_address.is_empty() {
            let _ = bus.kill();
            bail!("dbus-daemon printed no address");
        }
        // What it says goes to a log beside it, for a test that fails
        // because it went away (see `state`).
        let log = fs::File::create(dir.path().join(KEYRING_LOG))?;
        let mut keyring = Command::new(gnome_keyring)
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(env_for(dir.path(), &bus_address))
            .env("G_MESSAGES_DEBUG", "all")
            .stdin(Stdio::piped())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("start gnome-keyring-daemon")?;
        {
            let mut stdin = keyring.stdin.take().context("gnome-keyring stdin")?;
            stdin.write_all(b"test-keyring-password")?;
        }
        let service = SecretService {
            bus_address,
            dir,
            bus,
            keyring: Mutex::new(keyring),
        };
        service.wait_ready()?;
        Ok(service)
    }

    /// The environment a child process needs to use this Secret Service.
    pub fn env(&self) -> Vec<(String, String)> {
        env_for(self.dir.path(), &self.bus_address)
    }

    /// The temporary `HOME` of this session.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Points *this* process at the private session until the guard drops.
    ///
    /// Tests in one binary that take the guard are serialized by a global
    /// lock, since the environment is process-wide.
    pub fn enter(&self) -> SessionGuard<'_> {
        let lock = ENV_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let saved = self
            .env()
            .into_iter()
            .map(|(key, value)| {
                let old = std::env::var_os(&key);
                set_env(&key, Some(value.as_ref()));
                (key, old)
            })
            .collect();
        SessionGuard {
            _lock: lock,
            saved,
            _service: self,
        }
    }

    /// Stops both daemons now, for a service that is never dropped (one
    /// leaked to live as long as a test needs it); dropping it does the same.
    pub fn shutdown(&self) {
        for pid in [self.keyring_pid(), self.bus.id()] {
            let _ = Command::new("kill")
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
        }
    }

    fn keyring_pid(&self) -> u32 {
        self.keyring().id()
    }

    fn keyring(&self) -> MutexGuard<'_, Child> {
        self.keyring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How gnome-keyring-daemon ended, `None` while it runs.
    fn ended(&self) -> std::io::Result<Option<ExitStatus>> {
        self.keyring().try_wait()
    }

    /// Whether gnome-keyring-daemon still runs and, if not, how it ended
    /// and what it logged: for the message of a test that failed because
    /// the keychain went away.
    pub fn state(&self) -> String {
        match self.ended() {
            Ok(None) => "gnome-keyring-daemon runs".into(),
            Ok(Some(status)) => {
                let text =
                    fs::read_to_string(self.dir.path().join(KEYRING_LOG)).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                format!(
                    "gnome-keyring-daemon has ended ({status}); the end of its log:\n{}",
                    lines[lines.len().saturating_sub(40)..].join("\n")
                )
            }
            Err(e) => format!("gnome-keyring-daemon: {e}"),
        }
    }

    /// Stops the keyring daemon, as when the Secret Service crashes or is
    /// shut down: the bus stays, every keychain call fails from now on.
    pub fn stop_keyring(&self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(self.keyring_pid().to_string())
            .status()
            .context("run kill")?;
        if !status.success() {
            bail!("kill of gnome-keyring-daemon failed: {status}");
        }
        // It exits, and the bus sees its name go.
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.ended(), Ok(None)) || self.owns_name() {
            if Instant::now() > deadline {
                bail!("gnome-keyring-daemon did not go 10 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Locks the default collection (as a screen lock or an idle timeout
    /// does): reading a secret then needs an unlock prompt, which nobody
    /// can answer here (no prompter on the private bus).
    pub fn lock(&self) -> anyhow::Result<()> {
        let out = Command::new("dbus-send")
            .envs(self.env())
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .output()
            .context("run dbus-send")?;
        if !out.status.success() {
            bail!(
                "locking the collection failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Reads a secret with `secret-tool`, independent of the code under test.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> anyhow::Result<Option<String>> {
        let mut cmd = Command::new("secret-tool");
        cmd.arg("lookup").envs(self.env());
        for (key, value) in attributes {
            cmd.arg(key).arg(value);
        }
        let out = cmd
            .output()
            .context("run secret-tool (install libsecret-tools)")?;
        if out.status.success() {
            Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
        } else {
            Ok(None)
        }
    }

    /// The `username` attributes of every secret of `service`, read with
    /// `secret-tool search` independently of the code under test.
    pub fn usernames(&self, service: &str) -> anyhow::Result<Vec<String>> {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", service])
            .envs(self.env())
            .output()
            .context("run secret-tool (install libsecret-tools)")?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Ok(text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("attribute.username = "))
            .map(str::to_owned)
            .collect())
    }

    /// Stores a secret with `secret-tool` (used by the readiness probe).
    pub fn store(
        &self,
        label: &str,
        attributes: &[(&str, &str)],
        secret: &str,
    ) -> anyhow::Result<()> {
        let mut cmd = Command::new("secret-tool");
        cmd.arg("store")
            .arg(format!("--label={label}"))
            .envs(self.env());
        for (key, value) in attributes {
            cmd.arg(key).arg(value);
        }
        let mut child = cmd.stdin(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        child
            .stdin
            .take()
            .context("secret-tool stdin")?
            .write_all(secret.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "secret-tool store failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Whether our gnome-keyring owns `org.freedesktop.secrets` on the bus
    /// (asked without activating anything).
    fn owns_name(&self) -> bool {
        Command::new("dbus-send")
            .envs(self.env())
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.owns_name() {
            if Instant::now() > deadline {
                bail!("gnome-keyring-daemon never took org.freedesktop.secrets on the private bus");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let probe = [("backup-desk-harness", "probe")];
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.store("harness probe", &probe, "ready") {
                Ok(()) if self.lookup(&probe)?.as_deref() == Some("ready") => return Ok(()),
                Ok(()) => last = "stored secret did not read back".into(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("the Secret Service did not become ready: {last}")
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let keyring = self
            .keyring
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for child in [keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// gnome-keyring-daemon's output, in the service's directory.
const KEYRING_LOG: &str = "keyring.log";

/// Serializes the tests of one binary that point the process at a bus.
static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Points this process at a session bus where nothing listens — a machine
/// without a Secret Service — until the guard drops.
pub fn no_secret_service() -> NoServiceGuard {
    let lock = ENV_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = tempfile::tempdir().expect("temp dir for a dead bus address");
    let address = format!("unix:path={}", dir.path().join("no-bus-here").display());
    let old = std::env::var_os("DBUS_SESSION_BUS_ADDRESS");
    set_env("DBUS_SESSION_BUS_ADDRESS", Some(address.as_ref()));
    NoServiceGuard {
        _lock: lock,
        old,
        _dir: dir,
    }
}

/// Restores the bus address when dropped.
#[derive(Debug)]
pub struct NoServiceGuard {
    _lock: MutexGuard<'static, ()>,
    old: Option<std::ffi::OsString>,
    _dir: TempDir,
}

impl Drop for NoServiceGuard {
    fn drop(&mut self) {
        set_env("DBUS_SESSION_BUS_ADDRESS", self.old.as_deref());
    }
}

/// Restores the process environment when dropped.
#[derive(Debug)]
pub struct SessionGuard<'a> {
    _lock: MutexGuard<'static, ()>,
    saved: Vec<(String, Option<std::ffi::OsString>)>,
    _service: &'a SecretService,
}

impl Drop for SessionGuard<'_> {
    fn drop(&mut self) {
        for (key, old) in self.saved.drain(..) {
            set_env(&key, old.as_deref());
        }
    }
}

fn env_for(dir: &Path, bus_address: &str) -> Vec<(String, String)> {
    let sub = |name: &str| dir.join(name).display().to_string();
    vec![
        ("DBUS_SESSION_BUS_ADDRESS".into(), bus_address.to_owned()),
        ("HOME".into(), sub("home")),
        ("XDG_DATA_HOME".into(), sub("data")),
        ("XDG_CONFIG_HOME".into(), sub("config")),
        ("XDG_CACHE_HOME".into(), sub("cache")),
        ("XDG_RUNTIME_DIR".into(), sub("runtime")),
    ]
}

#[allow(unsafe_code)]
fn set_env(key: &str, value: Option<&std::ffi::OsStr>) {
    // SAFETY: only test code calls this, under the global lock in
    // `SecretService::enter`; tests that read these variables take that lock.
    unsafe {
        match value {
            Some(value) => std::env::set_var(key, value),
            None => std::env::remove_var(key),
        }
    }
}

#[cfg(unix)]
fn set_user_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn set_user_only(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
