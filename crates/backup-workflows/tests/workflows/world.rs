//! Everything a workflow test talks to, started fresh per test: a provider
//! (movable clock) whose deliveries point at a private sshd, a Secret
//! Service, and a [`Desk`] on a temporary data folder, pointed at that
//! keychain for the whole test (tests of this binary run one at a time).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use backup_domain::{BackupPolicy, Role};
use backup_provider::api::SftpEndpoint;
use backup_provider::lifecycle::CompleteOptions;
use backup_provider::store::{Account, Person, Store};
use backup_provider::{RunningServer, ServeOptions, clock, lifecycle};
use backup_workflows::{
    Actor, Answers, DeliverRequest, Desk, DeskEvent, DownloadRecord, DownloadTerms, ExistingCopy,
    Phase, PresentedKey, ProgressSink, Result, SystemClock,
};
use test_support::keychain::{SecretService, SessionGuard};
use test_support::sshd::{ClientKey, KeyKind, SshServer};

pub struct World {
    pub desk: Desk,
    pub sshd: SshServer,
    pub key: ClientKey,
    pub provider_dir: tempfile::TempDir,
    pub data_dir: tempfile::TempDir,
    pub token: String,
    pub base: String,
    pub runtime: tokio::runtime::Runtime,
    secrets: &'static SecretService,
    _session: SessionGuard<'static>,
    server: Option<RunningServer>,
}

/// What the provider publishes as its SFTP server's keys.
pub enum Published {
    /// The sshd's real keys.
    Real,
    /// A key that is not the server's (a provider whose word differs from its server).
    Other,
}

impl World {
    pub fn start() -> World {
        World::start_publishing(Published::Real)
    }

    pub fn start_publishing(published: Published) -> World {
        // The Secret Service lives as long as the test process needs it.
        let secrets: &'static SecretService =
            Box::leak(Box::new(SecretService::start().expect("Secret Service")));
        let session = secrets.enter();
        let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
        let sshd = SshServer::start(&[&key]).expect("sshd");
        let provider_dir = tempfile::tempdir().expect("provider data");
        let store = Store::open(provider_dir.path()).expect("store");
        clock::make_movable(&store).expect("movable clock");
        let now = clock::now(&store).expect("now");
        store
            .create_account(
                &Account {
                    id: "acme".into(),
                    name: "Acme Ltda".into(),
                    policy: BackupPolicy::reference_default(),
                },
                now,
            )
            .expect("account");
        store
            .add_person(&Person {
                id: "olivia".into(),
                name: "Olivia".into(),
                email: "o@example.com".into(),
            })
            .expect("person");
        store.grant("acme", "olivia", Role::Owner).expect("grant");
        let token = store.issue_token("olivia", now).expect("token");
        let fingerprints = match published {
            Published::Real => sshd.host_key_fingerprints.clone(),
            Published::Other => vec!["SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into()],
        };
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let server = runtime
            .block_on(backup_provider::start(ServeOptions::loopback(
                provider_dir.path().to_path_buf(),
                sshd.served_dir.clone(),
                SftpEndpoint {
                    host: "127.0.0.1".into(),
                    port: sshd.port,
                    host_key_fingerprints: fingerprints,
                },
            )))
            .expect("provider");
        let base = format!("http://{}", server.addr);
        let data_dir = tempfile::tempdir().expect("app data");
        let desk = Desk::open(
            data_dir.path(),
            Arc::new(backup_keychain::KeyringBackend::new(
                backup_workflows::APP_ID,
            )),
            Arc::new(SystemClock),
        )
        .expect("desk");
        World {
            desk,
            sshd,
            key,
            provider_dir,
            data_dir,
            token,
            base,
            runtime,
            secrets,
            _session: session,
            server: Some(server),
        }
    }

    /// The Secret Service stops (a crash, a session ending): every keychain
    /// call fails from now on.
    pub fn stop_keychain(&self) {
        self.secrets.stop_keyring().expect("stop the keyring");
    }

    /// Whether the keychain's daemon runs, or how it ended (see
    /// [`SecretService::state`]).
    pub fn keychain_state(&self) -> String {
        self.secrets.state()
    }

    /// The keychain's collection is locked (screen lock, idle timeout); its
    /// unlock prompt cannot be answered here, so a read is refused.
    pub fn lock_keychain(&self) {
        self.secrets.lock().expect("lock the collection");
    }

    pub fn run<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// Adds acme with its key and SFTP server; returns its local id.
    pub fn set_up(&self) -> i64 {
        self.set_up_at(&self.base)
    }

    /// [`World::set_up`], with the SFTP server reached through a proxy the
    /// test controls (counts connections, stalls, cuts); returns it too.
    pub fn set_up_behind_proxy(&self) -> (i64, test_support::proxy::FaultProxy) {
        let proxy = test_support::proxy::FaultProxy::to_local_port(self.sshd.port).expect("proxy");
        let id = self.set_up();
        self.desk
            .set_connection(id, "127.0.0.1", proxy.port, &self.sshd.user)
            .expect("the SFTP server behind the proxy");
        (id, proxy)
    }

    /// [`World::set_up`], with the provider's API reached at `base` (a proxy).
    pub fn set_up_at(&self, base: &str) -> i64 {
        let added = self
            .run(
                self.desk
                    .add_accounts(base, &self.token, &["acme".into()], false),
            )
            .expect("add acme");
        let id = added[0].id;
        self.desk
            .import_key(id, &self.key.private_path, None)
            .expect("import key");
        self.desk
            .set_connection(id, "127.0.0.1", self.sshd.port, &self.sshd.user)
            .expect("connection");
        id
    }

    pub fn store(&self) -> Store {
        Store::open(self.provider_dir.path()).expect("store")
    }

    /// Requests a backup of `account` (as the person) and has the cloud team
    /// release and complete it; returns its id.
    pub fn ready_backup(&self, account: i64) -> String {
        let backup = self
            .run(self.desk.request_backup(account, Actor::Person))
            .expect("request");
        self.complete(&backup.id);
        backup.id
    }

    /// The cloud team releases and completes a requested backup.
    pub fn complete(&self, id: &str) {
        let store = self.store();
        lifecycle::release(&store, id).expect("release");
        lifecycle::complete(&store, &self.sshd.served_dir, id, None).expect("complete");
    }

    /// Requests a backup of `account` that the cloud team completes with a
    /// damaged archive (its published SHA-256 is the damaged file's).
    pub fn damaged_backup(&self, account: i64) -> String {
        let backup = self
            .run(self.desk.request_backup(account, Actor::Person))
            .expect("request");
        let store = self.store();
        lifecycle::release(&store, &backup.id).expect("release");
        lifecycle::complete_with(
            &store,
            &self.sshd.served_dir,
            &backup.id,
            CompleteOptions {
                pad_to: None,
                damaged: true,
            },
        )
        .expect("complete damaged");
        backup.id
    }

    /// Delivers `backup_id` into `folder` as a person who accepts the terms
    /// and trusts the server's real key.
    pub fn deliver(
        &self,
        account: i64,
        backup_id: &str,
        folder: &std::path::Path,
    ) -> Result<DownloadRecord> {
        let mut person = Answering::trusting(Some(&self.sshd.host_key_fingerprints[0]));
        let (sink, _) = recorder();
        let request = DeliverRequest {
            account,
            backup_id: backup_id.to_owned(),
            folder: Some(folder.to_path_buf()),
            streams: Some(2),
            actor: Actor::Person,
            existing: ExistingCopy::KeepBoth,
        };
        self.run(self.desk.deliver_answering(&request, &mut person, sink))
    }

    /// A second account at the provider, named `name`, opened by the same
    /// person's token, added here (no key or server: enough to be listed,
    /// requested and judged); returns its local id.
    pub fn add_account(&self, account_id: &str, name: &str, policy: BackupPolicy) -> i64 {
        let store = self.store();
        let now = clock::now(&store).expect("now");
        store
            .create_account(
                &Account {
                    id: account_id.into(),
                    name: name.into(),
                    policy,
                },
                now,
            )
            .expect("account");
        store
            .grant(account_id, "olivia", Role::Owner)
            .expect("grant");
        let added = self
            .run(
                self.desk
                    .add_accounts(&self.base, &self.token, &[account_id.into()], false),
            )
            .expect("add the account");
        added[0].id
    }

    /// The provider stops answering (an outage): its API refuses connections.
    pub fn stop_provider(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }

    pub fn advance(&self, days: i64) {
        clock::advance(&self.store(), chrono::TimeDelta::days(days)).expect("advance");
    }

    pub fn folder(&self, name: &str) -> PathBuf {
        let dir = self.data_dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("folder");
        dir
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // The service was leaked so the session guard could borrow it for
        // the whole test: stop its daemons here, or they outlive the test.
        self.secrets.shutdown();
    }
}

/// Collects the phases a delivery reported.
pub fn recorder() -> (ProgressSink, Arc<Mutex<Vec<Phase>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        Arc::new(move |phase, _| sink.lock().expect("phases").push(phase)),
        seen,
    )
}

/// Every event published since the last call (without waiting).
pub fn published(news: &mut tokio::sync::broadcast::Receiver<DeskEvent>) -> Vec<DeskEvent> {
    std::iter::from_fn(|| news.try_recv().ok()).collect()
}

/// Answers like a person who accepts the terms and trusts exactly `trust`.
pub struct Answering {
    pub trust: Option<String>,
    pub asked_terms: usize,
    pub asked_keys: Vec<PresentedKey>,
}

impl Answering {
    pub fn trusting(fingerprint: Option<&str>) -> Answering {
        Answering {
            trust: fingerprint.map(str::to_owned),
            asked_terms: 0,
            asked_keys: Vec::new(),
        }
    }
}

impl Answers for Answering {
    fn accept_terms(&mut self, _terms: &DownloadTerms) -> Result<bool> {
        self.asked_terms += 1;
        Ok(true)
    }

    fn trust_host_key(&mut self, key: &PresentedKey) -> Result<bool> {
        self.asked_keys.push(key.clone());
        Ok(self.trust.as_deref() == Some(key.fingerprint.as_str()))
    }
}

pub use test_support::zips;
