//! What the app talks to in the end-to-end tests: the real provider (on a
//! movable clock, seeded with a history), real OpenSSH sshd serving its
//! archives, a real Secret Service, and a private home for the app.

use std::path::{Path, PathBuf};

use backup_domain::{BackupPolicy, BackupStatus, Role};
use backup_provider::api::SftpEndpoint;
use backup_provider::store::{Account, Person, RequestOutcome, Store};
use backup_provider::{RunningServer, ServeOptions, clock, lifecycle};
use chrono::TimeDelta;
use test_support::keychain::SecretService;
use test_support::sshd::{ClientKey, KeyKind, SshServer};

pub struct World {
    _secrets: SecretService,
    pub sshd: SshServer,
    pub key: ClientKey,
    pub provider_dir: tempfile::TempDir,
    _home: tempfile::TempDir,
    pub env: Vec<(String, String)>,
    pub token: String,
    /// A second person's token for the same account, with the Viewer role.
    pub viewer_token: String,
    pub base: String,
    pub downloads: PathBuf,
    _server: RunningServer,
    _runtime: tokio::runtime::Runtime,
}

pub const ACCOUNT: &str = "acme";

impl World {
    /// Starts everything; the history has an expired backup, a server
    /// error and one in a status this app does not know.
    pub fn start(language: &str) -> World {
        let secrets = SecretService::start().expect("Secret Service");
        let key = ClientKey::generate(KeyKind::RsaPem, None).expect("a .pem key");
        let sshd = SshServer::start(&[&key]).expect("sshd");
        let provider_dir = tempfile::tempdir().expect("provider data");
        let store = Store::open(provider_dir.path()).expect("store");
        clock::make_movable(&store).expect("movable clock");
        let now = clock::now(&store).expect("now");
        let account = Account {
            id: ACCOUNT.into(),
            name: "Acme Ltda".into(),
            policy: BackupPolicy::reference_default(),
        };
        store
            .create_account(&account, now - TimeDelta::days(200))
            .expect("account");
        let olivia = Person {
            id: "olivia".into(),
            name: "Olivia Owner".into(),
            email: "o@example.com".into(),
        };
        store.add_person(&olivia).expect("person");
        store.grant(ACCOUNT, "olivia", Role::Owner).expect("grant");
        let token = store.issue_token("olivia", now).expect("token");
        let bruno = Person {
            id: "bruno".into(),
            name: "Bruno Viewer".into(),
            email: "b@example.com".into(),
        };
        store.add_person(&bruno).expect("person");
        store.grant(ACCOUNT, "bruno", Role::Viewer).expect("grant");
        let viewer_token = store.issue_token("bruno", now).expect("token");
        let request = |days: i64, key: &str| match store
            .request_backup(
                &account,
                &olivia,
                Role::Owner,
                key,
                now - TimeDelta::days(days),
            )
            .expect("request")
        {
            RequestOutcome::Created(row) => row.id,
            _ => panic!("the seed request was refused"),
        };
        let failed = request(150, "seed-1");
        store
            .transition(
                &failed,
                &[BackupStatus::AwaitingRelease],
                BackupStatus::ServerError,
                now - TimeDelta::days(150),
                Some("The database dump failed."),
            )
            .expect("server error");
        let old = request(120, "seed-2");
        store
            .transition(
                &old,
                &[BackupStatus::AwaitingRelease],
                BackupStatus::Expired,
                now - TimeDelta::days(100),
                None,
            )
            .expect("expired");
        let odd = request(60, "seed-3");
        store
            .transition(
                &odd,
                &[BackupStatus::AwaitingRelease],
                BackupStatus::Unknown("archived_cold".into()),
                now - TimeDelta::days(59),
                None,
            )
            .expect("a status from a newer provider");
        drop(store);
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let server = runtime
            .block_on(backup_provider::start(ServeOptions::loopback(
                provider_dir.path().to_path_buf(),
                sshd.served_dir.clone(),
                SftpEndpoint {
                    host: "127.0.0.1".into(),
                    port: sshd.port,
                    host_key_fingerprints: sshd.host_key_fingerprints.clone(),
                },
            )))
            .expect("provider");
        let base = format!("http://{}", server.addr);
        // The keychain's bus, then the app's own private home (which wins).
        let (home, home_env) = super::private_home();
        let mut env = secrets.env();
        env.extend(home_env);
        for var in ["LANG", "LC_ALL", "LC_MESSAGES"] {
            env.push((var.into(), language.into()));
        }
        env.push(("TZ".into(), "UTC".into()));
        let downloads = home.path().join("Backups");
        World {
            _secrets: secrets,
            sshd,
            key,
            provider_dir,
            _home: home,
            env,
            token,
            viewer_token,
            base,
            downloads,
            _server: server,
            _runtime: runtime,
        }
    }

    /// The provider's own database, as its operator tools open it.
    pub fn store(&self) -> Store {
        Store::open(self.provider_dir.path()).expect("store")
    }

    /// The cloud team releases and completes the newest awaiting backup.
    pub fn operator_completes(&self) -> String {
        let store = self.store();
        let pending = store
            .list_backups(ACCOUNT, 10, None)
            .expect("list")
            .into_iter()
            .find(|b| b.status == BackupStatus::AwaitingRelease)
            .expect("an awaiting backup");
        lifecycle::release(&store, &pending.id).expect("release");
        lifecycle::complete(&store, &self.sshd.served_dir, &pending.id, None).expect("complete");
        pending.id
    }

    /// A ready backup, requested now by Olivia and completed by the operator.
    pub fn a_ready_backup(&self) -> String {
        let store = self.store();
        let now = clock::now(&store).expect("now");
        let account = store.account(ACCOUNT).expect("lookup").expect("account");
        let olivia = store.person("olivia").expect("lookup").expect("person");
        match store
            .request_backup(&account, &olivia, Role::Owner, "e2e-ready", now)
            .expect("request")
        {
            RequestOutcome::Created(_) => {}
            _ => panic!("the request was refused"),
        }
        drop(store);
        self.operator_completes()
    }

    /// When the provider allows the next request (the newest request plus the cooldown).
    pub fn next_allowed_at(&self) -> chrono::DateTime<chrono::Utc> {
        let newest = self
            .store()
            .list_backups(ACCOUNT, 1, None)
            .expect("list")
            .into_iter()
            .next()
            .expect("a backup");
        newest.requested_at + BackupPolicy::reference_default().cooldown
    }

    /// The published SHA-256 of a backup.
    pub fn published_sha256(&self, id: &str) -> String {
        self.store()
            .backup(ACCOUNT, id)
            .expect("lookup")
            .and_then(|b| b.sha256)
            .expect("a ready backup has a checksum")
    }
}

/// Lowercase hex SHA-256 of a file.
pub fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).expect("read the download");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
