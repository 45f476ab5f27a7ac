//! Starts `backup-provider` on a temp data dir and talks to it, checking
//! every response against the contract.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use test_support::sshd::SshServer;

const BIN: &str = env!("CARGO_BIN_EXE_backup-provider");

/// Tokens of the seeded people: `acme` has an owner, an admin and a viewer;
/// `globex` is another account whose owner is not in `acme`.
#[derive(Debug)]
pub struct Tokens {
    pub owner: String,
    pub admin: String,
    pub viewer: String,
    pub outsider: String,
}

/// A running provider.
#[derive(Debug)]
pub struct Provider {
    pub data: TempDir,
    pub base: String,
    pub tokens: Tokens,
    child: Child,
    serve_args: Vec<String>,
}

impl Provider {
    /// A provider with seeded accounts, serving archives from `sftp`'s directory when given.
    pub fn start(sftp: Option<&SshServer>) -> Provider {
        Self::start_with_policy(sftp, &[])
    }

    /// Like [`Provider::start`], with extra `account create` options for `acme`.
    pub fn start_with_policy(sftp: Option<&SshServer>, policy: &[&str]) -> Provider {
        Self::start_serving_with(sftp, policy, &[])
    }

    /// Like [`Provider::start_with_policy`], with extra `serve` options.
    pub fn start_serving_with(
        sftp: Option<&SshServer>,
        policy: &[&str],
        serve: &[&str],
    ) -> Provider {
        let data = tempfile::tempdir().expect("data dir");
        let admin = |args: &[&str]| run_admin(data.path(), args);
        match sftp {
            Some(server) => admin(&[
                "init",
                "--movable-clock",
                "--archive-dir",
                &server.served_dir.display().to_string(),
            ]),
            None => admin(&["init", "--movable-clock"]),
        };
        let mut create = vec!["account", "create", "acme", "--name", "Acme Ltda"];
        create.extend_from_slice(policy);
        admin(&create);
        admin(&[
            "account",
            "create",
            "globex",
            "--name",
            "Globex",
            "--plan",
            "starter",
            "--cooldown",
            "7d",
            "--window",
            "14d",
        ]);
        for (id, name) in [
            ("olivia", "Olivia Owner"),
            ("adam", "Adam Admin"),
            ("vera", "Vera Viewer"),
            ("gina", "Gina Globex"),
        ] {
            admin(&[
                "person",
                "add",
                id,
                "--name",
                name,
                "--email",
                &format!("{id}@example.com"),
            ]);
        }
        admin(&[
            "person",
            "grant",
            "--account",
            "acme",
            "--person",
            "olivia",
            "--role",
            "owner",
        ]);
        admin(&[
            "person",
            "grant",
            "--account",
            "acme",
            "--person",
            "adam",
            "--role",
            "admin",
        ]);
        admin(&[
            "person",
            "grant",
            "--account",
            "acme",
            "--person",
            "vera",
            "--role",
            "viewer",
        ]);
        admin(&[
            "person",
            "grant",
            "--account",
            "globex",
            "--person",
            "gina",
            "--role",
            "owner",
        ]);
        admin(&[
            "person",
            "grant",
            "--account",
            "globex",
            "--person",
            "olivia",
            "--role",
            "admin",
        ]);
        let token = |person: &str| admin(&["token", "--person", person]).trim().to_owned();
        let tokens = Tokens {
            owner: token("olivia"),
            admin: token("adam"),
            viewer: token("vera"),
            outsider: token("gina"),
        };
        let mut serve_args: Vec<String> =
            vec!["serve".into(), "--listen".into(), "127.0.0.1:0".into()];
        if let Some(server) = sftp {
            serve_args.push("--sftp-port".into());
            serve_args.push(server.port.to_string());
            for fp in &server.host_key_fingerprints {
                serve_args.push("--sftp-fingerprint".into());
                serve_args.push(fp.clone());
            }
        } else {
            serve_args.push("--sftp-fingerprint".into());
            serve_args.push("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into());
        }
        serve_args.extend(serve.iter().map(|s| s.to_string()));
        let (child, base) = spawn_server(data.path(), &serve_args);
        Provider {
            data,
            base,
            tokens,
            child,
            serve_args,
        }
    }

    /// Stops the server process and starts a new one on the same data.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base) = spawn_server(self.data.path(), &self.serve_args);
        self.child = child;
        self.base = base;
    }

    /// Runs an admin/operator subcommand on this provider's data; returns stdout.
    pub fn admin(&self, args: &[&str]) -> String {
        run_admin(self.data.path(), args)
    }

    /// Runs an admin subcommand expected to fail; returns stderr.
    pub fn admin_fails(&self, args: &[&str]) -> String {
        let out = Command::new(BIN)
            .arg("--data")
            .arg(self.data.path())
            .args(args)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{args:?} must fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Moves the provider's clock forward (e.g. "28d").
    pub fn advance(&self, by: &str) {
        self.admin(&["clock", "advance", "--by", by]);
    }

    /// Sends a request and checks the response against the contract.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut builder = http_request(method, &url);
        if let Some(token) = token {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(body.unwrap_or("").as_bytes().to_vec())
            .expect("request");
        let mut response = agent.run(request).expect("the provider must answer");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.body_mut().read_to_string().expect("body");
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} → {status}: not JSON ({e}): {text:?}"));
        if status >= 400 {
            assert_eq!(
                content_type, "application/problem+json",
                "{method} {path} problems use RFC 9457"
            );
        }
        crate::contract::check_response(method, path, status, &value);
        (status, value)
    }

    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", path, Some(token), &[], None)
    }

    /// Requests a backup of `acme` with a fresh idempotency key.
    pub fn request(&self, token: &str) -> (u16, Value) {
        let key = format!("idem-key-{:08}", unique());
        self.call(
            "POST",
            "/v1/accounts/acme/backups",
            Some(token),
            &[("Idempotency-Key", &key)],
            None,
        )
    }

    /// Requests, releases and completes a backup of `acme`; returns its id.
    pub fn ready_backup(&self) -> String {
        let (status, backup) = self.request(&self.tokens.owner);
        assert_eq!(status, 201, "request: {backup}");
        let id = backup["id"].as_str().expect("id").to_owned();
        self.admin(&["backup", "release", &id]);
        self.admin(&["backup", "complete", &id]);
        id
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_request(method: &str, url: &str) -> ureq::http::request::Builder {
    ureq::http::Request::builder().method(method).uri(url)
}

fn spawn_server(data: &Path, args: &[String]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start provider");
    let mut line = String::new();
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    reader.read_line(&mut line).expect("read address");
    // Keep draining the server's output so it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = line.trim().rsplit(' ').next().expect("address").to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "unexpected banner {line:?}"
    );
    (child, base)
}

fn run_admin(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run backup-provider");
    assert!(
        out.status.success(),
        "backup-provider {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A process-unique number for idempotency keys.
pub fn unique() -> u64 {
    static NEXT: OnceLock<std::sync::atomic::AtomicU64> = OnceLock::new();
    NEXT.get_or_init(|| std::sync::atomic::AtomicU64::new(1))
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// Parses an RFC 3339 time from a JSON value.
pub fn time_of(value: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("a time string"))
        .expect("RFC 3339")
        .to_utc()
}
