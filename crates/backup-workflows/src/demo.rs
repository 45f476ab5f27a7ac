//! The built-in demo: the reference provider and its SFTP server started
//! in-process, set up as an account recorded under [`DEMO_URL`] (its ports
//! change every run), for the app and the CLI alike.

use backup_domain::Role;
use backup_provider::demo::{DEMO_ACCOUNT, Demo};
use backup_state::{AccountRecord, SftpConnection};

use crate::Desk;
use crate::error::{Error, Result};
use crate::identity::{DEMO_URL, is_demo};

/// The SFTP user name of the demo's own server.
const DEMO_USER: &str = "demo";

/// The demo, running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStarted {
    pub account: AccountRecord,
    /// The demo provider's API address of this run.
    pub base_url: String,
    pub sftp_host: String,
    pub sftp_port: u16,
}

/// The demo this process runs, for one local account, with the key its
/// SFTP server lets in.
pub(crate) struct RunningDemo {
    account: i64,
    demo: Demo,
    /// This run's private key (its server accepts only this one).
    key_pem: String,
    key_fingerprint: String,
}

impl std::fmt::Debug for RunningDemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningDemo")
            .field("account", &self.account)
            .field("base_url", &self.demo.base_url)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// The running demo, if this process runs one.
#[derive(Debug, Default)]
pub(crate) struct DemoSlot(tokio::sync::Mutex<Option<RunningDemo>>);

impl Desk {
    /// "Try the demo": the demo account (created if missing) with its
    /// provider running; it becomes the account in use. A demo account
    /// created here is taken back if the demo cannot start. With
    /// `trust_its_server`, the demo's own SFTP server key is trusted at once
    /// (a headless try); otherwise the first download asks, as a real
    /// provider's would.
    pub async fn start_demo(&self, trust_its_server: bool) -> Result<DemoStarted> {
        let record = AccountRecord {
            id: 0,
            provider_url: DEMO_URL.into(),
            account_id: DEMO_ACCOUNT.into(),
            display_name: "Demo Company".into(),
            role: Some(Role::Owner),
            person_name: "Demo Admin".into(),
        };
        let existed = self.state.accounts()?.iter().any(is_demo);
        let id = self.state.upsert_account(&record, self.now())?;
        let base_url = match self.ensure_demo(id).await {
            Ok(base) => base,
            Err(error) => {
                if !existed {
                    let _ = self.state.remove_account(id);
                }
                return Err(error);
            }
        };
        let connection = self.connection_of(id)?;
        if trust_its_server {
            let running = self.demo.0.lock().await;
            let published = running
                .as_ref()
                .map(|run| run.demo.server.sftp.host_key_fingerprints.clone())
                .unwrap_or_default();
            for fingerprint in published {
                self.state.trust_host_key(
                    id,
                    &record.person_name,
                    &connection.host,
                    connection.port,
                    &fingerprint,
                    self.now(),
                )?;
            }
        }
        self.preferences().set_current_account(Some(id))?;
        Ok(DemoStarted {
            account: AccountRecord { id, ..record },
            base_url,
            sftp_host: connection.host,
            sftp_port: connection.port,
        })
    }

    /// Whether this process runs the demo for account `id`.
    pub(crate) async fn demo_runs_for(&self, id: i64) -> bool {
        self.demo
            .0
            .lock()
            .await
            .as_ref()
            .is_some_and(|run| run.account == id)
    }

    /// Stops the demo provider if it runs (the demo account stays).
    pub async fn stop_demo(&self) {
        if let Some(run) = self.demo.0.lock().await.take() {
            run.demo.server.stop().await;
        }
    }

    /// The demo's API address, starting the demo provider and its SFTP
    /// server if they are not running for account `id`: a new token and a
    /// freshly generated key in the keychain, the SFTP port of this run.
    pub(crate) async fn ensure_demo(&self, id: i64) -> Result<String> {
        let mut running = self.demo.0.lock().await;
        if let Some(run) = running.as_ref()
            && run.account == id
        {
            self.reclaim_demo(run)?;
            return Ok(run.demo.base_url.clone());
        }
        // Not running, or running for a demo account that was removed and
        // added again: start afresh (new token, new key) for this one.
        if let Some(old) = running.take() {
            old.demo.server.stop().await;
        }
        let (private_key, public_line) = backup_keychain::generate_ed25519("Backup Desk demo")?;
        let demo = backup_provider::demo::start(
            &self.data_dir.join("demo-provider"),
            Some(vec![public_line]),
        )
        .await
        .map_err(|e| Error::Internal(format!("the demo provider could not start: {e}")))?;
        let scope = self.scope(id);
        self.keys.set_token(&scope, &demo.token)?;
        self.tokens_changed()?;
        let key = self.keys.import(&scope, private_key.as_bytes(), None)?;
        self.point_at_demo_server(id, &demo.server.sftp)?;
        let base = demo.base_url.clone();
        *running = Some(RunningDemo {
            account: id,
            demo,
            key_pem: private_key,
            key_fingerprint: key.fingerprint,
        });
        Ok(base)
    }

    /// Another process (the CLI, while the app runs its demo) may have
    /// started its own demo on the same data: its demo address replaced
    /// ours. Then put back this run's key and SFTP address, so this
    /// process's demo keeps working. What the person changed (a removed key,
    /// another server) is left alone.
    fn reclaim_demo(&self, run: &RunningDemo) -> Result<()> {
        let sftp = &run.demo.server.sftp;
        let replaced = self
            .state
            .connection(run.account)?
            .is_some_and(|c| c.username == DEMO_USER && c.host == sftp.host && c.port != sftp.port);
        if !replaced {
            return Ok(());
        }
        let scope = self.scope(run.account);
        let current = self.keys.info(&scope)?.map(|k| k.fingerprint);
        if current.is_some_and(|f| f != run.key_fingerprint) {
            self.keys.import(&scope, run.key_pem.as_bytes(), None)?;
        }
        self.point_at_demo_server(run.account, sftp)
    }

    /// Sets the demo account's SFTP connection to this run's server, keeping
    /// a trusted server key (it persists across runs) on the new port.
    fn point_at_demo_server(
        &self,
        id: i64,
        sftp: &backup_provider::api::SftpEndpoint,
    ) -> Result<()> {
        let old_pin = match self.state.connection(id)? {
            Some(c) => self.state.pinned_host_key(id, &c.host, c.port)?,
            None => None,
        };
        self.state.set_connection(
            id,
            &SftpConnection {
                host: sftp.host.clone(),
                port: sftp.port,
                username: DEMO_USER.into(),
            },
        )?;
        // Same server key as the last run (it persists): keep it trusted on the new port.
        if let Some(pin) = old_pin.filter(|p| sftp.host_key_fingerprints.contains(p)) {
            self.state
                .pin_host_key(id, &sftp.host, sftp.port, &pin, self.now())?;
        }
        Ok(())
    }
}
