//! Everything a CLI test talks to, started fresh per test.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use backup_domain::{BackupPolicy, Role};
use backup_provider::api::SftpEndpoint;
use backup_provider::store::{Account, Person, Store};
use backup_provider::{RunningServer, ServeOptions, clock, lifecycle};
use test_support::keychain::SecretService;
use test_support::sshd::{ClientKey, KeyKind, SshServer};

pub struct World {
    pub secrets: SecretService,
    pub sshd: SshServer,
    pub key: ClientKey,
    pub provider_dir: tempfile::TempDir,
    pub cli_dir: tempfile::TempDir,
    pub token: String,
    pub base: String,
    _server: RunningServer,
    _runtime: tokio::runtime::Runtime,
}

impl World {
    pub fn start() -> World {
        World::start_publishing(None)
    }

    /// A provider that publishes `fingerprints` for its SFTP server instead
    /// of the sshd's real keys (when given).
    pub fn start_publishing(fingerprints: Option<Vec<String>>) -> World {
        let secrets = SecretService::start().expect("Secret Service");
        let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
        let sshd = SshServer::start(&[&key]).expect("sshd");
        let provider_dir = tempfile::tempdir().expect("provider data");
        let store = Store::open(provider_dir.path()).expect("store");
        clock::make_movable(&store).expect("movable clock");
        let now = clock::now(&store).expect("now");
        let account = Account {
            id: "acme".into(),
            name: "Acme Ltda".into(),
            policy: BackupPolicy::reference_default(),
        };
        store.create_account(&account, now).expect("account");
        store
            .add_person(&Person {
                id: "olivia".into(),
                name: "Olivia".into(),
                email: "o@example.com".into(),
            })
            .expect("person");
        store.grant("acme", "olivia", Role::Owner).expect("grant");
        let token = store.issue_token("olivia", now).expect("token");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let server = runtime
            .block_on(backup_provider::start(ServeOptions::loopback(
                provider_dir.path().to_path_buf(),
                sshd.served_dir.clone(),
                SftpEndpoint {
                    host: "127.0.0.1".into(),
                    port: sshd.port,
                    host_key_fingerprints: fingerprints
                        .unwrap_or_else(|| sshd.host_key_fingerprints.clone()),
                },
            )))
            .expect("provider");
        let base = format!("http://{}", server.addr);
        World {
            secrets,
            sshd,
            key,
            provider_dir,
            cli_dir: tempfile::tempdir().expect("cli data"),
            token,
            base,
            _server: server,
            _runtime: runtime,
        }
    }

    /// Runs `backup-desk` with `stdin` (closed when `None`); fails the test
    /// if it does not finish in 60 s (a prompt must never hang a script).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backup-desk"))
            .args(args)
            .envs(self.secrets.env())
            .env("BACKUP_DESK_DATA_DIR", self.cli_dir.path())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start backup-desk");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        // Read the output while waiting, so a chatty command never blocks on a full pipe.
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("backup-desk {args:?} hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: stdout.join().expect("stdout"),
            stderr: stderr.join().expect("stderr"),
        }
    }

    /// Runs and expects exit code `code`; returns stdout + stderr.
    pub fn expect(&self, args: &[&str], stdin: Option<&str>, code: i32) -> String {
        let out = self.run(args, stdin);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "backup-desk {args:?} → {text}\n(the test's keychain: {})",
            self.secrets.state()
        );
        text
    }

    /// Adds the account, imports the key, sets and trusts the connection.
    pub fn set_up(&self) {
        self.set_up_untrusted();
        let fp = &self.sshd.host_key_fingerprints[0];
        self.expect(&["connection", "test", "--trust-fingerprint", fp], None, 0);
    }

    /// Adds the account, imports the key and sets the connection.
    pub fn set_up_untrusted(&self) {
        self.set_up_at(&self.base, &self.token);
    }

    /// Adds the account of `token` at `provider`, imports the key and sets
    /// the connection to the sshd.
    pub fn set_up_at(&self, provider: &str, token: &str) {
        self.expect(
            &["account", "add", "--provider", provider],
            Some(&format!("{token}\n")),
            0,
        );
        let key = self.key.private_path.display().to_string();
        self.expect(&["key", "import", &key], None, 0);
        let port = self.sshd.port.to_string();
        let user = self.sshd.user.as_str();
        let connection = [
            "connection",
            "set",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            user,
        ];
        self.expect(&connection, None, 0);
    }

    /// `backups download --latest --accept-terms --to DIR`, expecting exit `code`.
    pub fn download_latest(&self, dir: &Path, code: i32) -> String {
        let to = dir.display().to_string();
        self.expect(
            &[
                "backups",
                "download",
                "--latest",
                "--accept-terms",
                "--to",
                &to,
            ],
            None,
            code,
        )
    }

    pub fn store(&self) -> Store {
        Store::open(self.provider_dir.path()).expect("store")
    }

    /// The cloud team releases and completes every pending backup.
    pub fn complete_pending(&self) -> Vec<String> {
        self.complete_pending_with(lifecycle::CompleteOptions::default())
    }

    /// [`World::complete_pending`] with the operator's options (a damaged archive…).
    pub fn complete_pending_with(&self, options: lifecycle::CompleteOptions) -> Vec<String> {
        let store = self.store();
        let now = clock::now(&store).expect("now");
        let pending = store
            .due(&backup_domain::BackupStatus::AwaitingRelease, now)
            .expect("due");
        for id in &pending {
            lifecycle::release(&store, id).expect("release");
            lifecycle::complete_with(&store, &self.sshd.served_dir, id, options).expect("complete");
        }
        pending
    }

    /// `backups download ID --accept-terms --to DIR`, run (any exit code).
    pub fn download(&self, id: &str, dir: &Path) -> Output {
        let to = dir.display().to_string();
        self.run(
            &["backups", "download", id, "--accept-terms", "--to", &to],
            None,
        )
    }

    pub fn advance(&self, days: i64) {
        clock::advance(&self.store(), chrono::TimeDelta::days(days)).expect("advance");
    }

    pub fn zips(dir: &Path) -> Vec<PathBuf> {
        test_support::zips(dir)
    }
}
