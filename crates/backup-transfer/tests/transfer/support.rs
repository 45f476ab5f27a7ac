//! A served file, a key that may fetch it, and a spec pointing at it.

use std::path::Path;
use std::time::Duration;

use backup_transfer::{
    DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, Timeouts, TransferOptions,
};
use sha2::{Digest, Sha256};
use test_support::sshd::{ClientKey, KeyKind, SshServer};

/// Deterministic pseudo-random bytes (incompressible enough, reproducible).
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The backup id the served file is downloaded as.
pub const BACKUP_ID: &str = "bk_acme-1";

/// A server with one key and one file.
pub struct Served {
    pub server: SshServer,
    pub key: ClientKey,
    pub remote: String,
    pub contents: Vec<u8>,
}

impl Served {
    pub fn new(len: usize) -> Served {
        Self::with_key(
            ClientKey::generate(KeyKind::Ed25519, None).expect("key"),
            len,
        )
    }

    pub fn with_key(key: ClientKey, len: usize) -> Served {
        let server = SshServer::start(&[&key]).expect("sshd");
        let contents = payload(len, len as u64 + 1);
        let remote = server
            .put_file("backups/acme-archive.zip", &contents)
            .expect("put");
        Served {
            server,
            key,
            remote,
            contents,
        }
    }

    /// A spec that trusts the server's real host key (pinned), into `dest`.
    pub fn spec(&self, dest: &Path) -> DownloadSpec {
        self.spec_via(self.server.port, dest)
    }

    /// Like [`Served::spec`] but from `server`, another server (its host
    /// key accepted), into `dest`.
    pub fn spec_for(&self, server: &SshServer, dest: &Path) -> DownloadSpec {
        let mut spec = self.spec_via(server.port, dest);
        spec.host_keys = HostKeyPolicy {
            accept: Some(server.host_key_fingerprints[0].clone()),
            ..HostKeyPolicy::default()
        };
        spec
    }

    /// Like [`Served::spec`] but connecting to `port` (a proxy in front of the server).
    pub fn spec_via(&self, port: u16, dest: &Path) -> DownloadSpec {
        let pem = String::from_utf8(self.key.private_pem.clone()).expect("pem text");
        DownloadSpec {
            endpoint: Endpoint {
                host: "127.0.0.1".into(),
                port,
                username: self.server.user.clone(),
            },
            key: PrivateKey::new(pem, self.key.passphrase.clone()),
            host_keys: HostKeyPolicy {
                pinned: Some(self.server.host_key_fingerprints[0].clone()),
                published: self.server.host_key_fingerprints.clone(),
                accept: None,
            },
            remote_path: self.remote.clone(),
            expected_size: self.contents.len() as u64,
            expected_sha256: sha256_hex(&self.contents),
            dest_dir: dest.to_path_buf(),
            backup_id: BACKUP_ID.into(),
            file_name: "acme-archive.zip".into(),
            replace: None,
            options: TransferOptions {
                // The session count these tests set, from the start (the
                // ramp has its own tests, in sessions.rs).
                adaptive: false,
                segment_size: 1024 * 1024,
                read_size: 256 * 1024,
                retry_delay: Duration::from_millis(50),
                timeouts: Timeouts {
                    operation: Duration::from_secs(10),
                    ..Timeouts::default()
                },
                ..TransferOptions::default()
            },
        }
    }
}

/// Files in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
