//! The built-in demo: the reference provider started in-process on
//! loopback, with a demo account whose history shows backups in several
//! statuses. The desktop app and the CLI open on it when no account is
//! configured.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use backup_domain::{BackupPolicy, BackupStatus, Role};
use chrono::{DateTime, TimeDelta, Utc};

use crate::api::SftpEndpoint;
use crate::error::ProviderError;
use crate::lifecycle::AutoDelays;
use crate::store::{Account, Person, RequestOutcome, Store};
use crate::{RunningServer, ServeOptions, archive, clock};

/// The demo account's id.
pub const DEMO_ACCOUNT: &str = "demo";
const DEMO_PERSON: &str = "demo-admin";

/// A running demo provider.
#[derive(Debug)]
pub struct Demo {
    pub server: RunningServer,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A token of the demo account's owner (keep it out of logs and the web view).
    pub token: String,
    pub account_id: String,
}

/// Starts the demo provider on a free loopback port, seeding `data_dir` the
/// first time; with `sftp_keys` (OpenSSH public key lines) it also serves
/// the archives with the embedded SFTP server to those keys.
pub async fn start(data_dir: &Path, sftp_keys: Option<Vec<String>>) -> Result<Demo, ProviderError> {
    let store = Store::open(data_dir)?;
    let now = clock::now(&store)?;
    let archive_dir: PathBuf = data_dir.join("archives");
    if store.account(DEMO_ACCOUNT)?.is_none() {
        seed(&store, &archive_dir, now)?;
    }
    let token = store.reissue_token(DEMO_PERSON, now)?;
    drop(store);
    let server = crate::start(ServeOptions {
        auto: Some(AutoDelays {
            release_after: TimeDelta::seconds(5),
            complete_after: TimeDelta::seconds(10),
        }),
        embedded_sftp: sftp_keys.map(|keys| crate::EmbeddedSftp {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            authorized_keys: keys
                .into_iter()
                .map(|key| (DEMO_ACCOUNT.to_owned(), key))
                .collect(),
        }),
        // Deliveries point at the embedded server when it runs; port 22 otherwise.
        ..ServeOptions::loopback(
            data_dir.to_path_buf(),
            archive_dir,
            SftpEndpoint {
                host: "127.0.0.1".into(),
                port: 22,
                host_key_fingerprints: Vec::new(),
            },
        )
    })
    .await?;
    Ok(Demo {
        base_url: format!("http://{}", server.addr),
        server,
        token,
        account_id: DEMO_ACCOUNT.into(),
    })
}

/// Creates the demo account and a history in every status: expired
/// backups, a server error, one ready backup about to expire and one fresh,
/// and a request just made (the auto mode releases it after 5 s and
/// completes it 10 s later). The demo plan's cooldown is two minutes, so a
/// person trying it sees the button wait with its date, then can request.
fn seed(store: &Store, archive_dir: &Path, now: DateTime<Utc>) -> Result<(), ProviderError> {
    let policy = BackupPolicy {
        plan: "demo".into(),
        cooldown: TimeDelta::minutes(2),
        ..BackupPolicy::reference_default()
    };
    let account = Account {
        id: DEMO_ACCOUNT.into(),
        name: "Demo Company".into(),
        policy: policy.clone(),
    };
    let start = now - TimeDelta::days(75);
    store.create_account(&account, start)?;
    let person = Person {
        id: DEMO_PERSON.into(),
        name: "Demo Admin".into(),
        email: "admin@demo.example".into(),
    };
    store.add_person(&person)?;
    store.grant(DEMO_ACCOUNT, DEMO_PERSON, Role::Owner)?;
    let request = |at: DateTime<Utc>, key: &str| -> Result<String, ProviderError> {
        match store.request_backup(&account, &person, Role::Owner, key, at)? {
            RequestOutcome::Created(row) => Ok(row.id),
            _ => Err(ProviderError::Internal),
        }
    };
    let publish = |id: &str, at: DateTime<Utc>| -> Result<(), ProviderError> {
        store.transition(
            id,
            &[BackupStatus::AwaitingRelease],
            BackupStatus::InProgress,
            at,
            None,
        )?;
        let name = archive::file_name(DEMO_ACCOUNT, id, at);
        let dir = archive::account_dir(archive_dir, DEMO_ACCOUNT);
        let published = archive::generate(&dir, &name, &store.records(DEMO_ACCOUNT)?, None)?;
        store.mark_ready(
            id,
            &published,
            at + TimeDelta::hours(2),
            policy.download_window,
        )?;
        Ok(())
    };
    let first = request(now - TimeDelta::days(70), "demo-seed-0001")?;
    publish(&first, now - TimeDelta::days(70))?;
    let failed = request(now - TimeDelta::days(40), "demo-seed-0002")?;
    store.transition(
        &failed,
        &[BackupStatus::AwaitingRelease],
        BackupStatus::ServerError,
        now - TimeDelta::days(40) + TimeDelta::hours(3),
        Some("The database dump failed; request the backup again."),
    )?;
    let retried = request(now - TimeDelta::days(39), "demo-seed-0003")?;
    publish(&retried, now - TimeDelta::days(39))?;
    let closing = request(
        now - TimeDelta::days(8) - TimeDelta::hours(3),
        "demo-seed-0004",
    )?;
    publish(&closing, now - TimeDelta::days(8) - TimeDelta::hours(3))?;
    let recent = request(now - TimeDelta::days(3), "demo-seed-0005")?;
    publish(&recent, now - TimeDelta::days(3))?;
    request(now, "demo-seed-0006")?;
    for name in store.expire_due(now)? {
        let _ = std::fs::remove_file(archive_dir.join(name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_serves_a_history_in_every_status() {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = start(dir.path(), None).await.expect("demo starts");
        let store = Store::open(dir.path()).expect("store");
        let statuses: Vec<String> = store
            .list_backups(DEMO_ACCOUNT, 10, None)
            .expect("list")
            .iter()
            .map(|b| b.status.as_wire().to_owned())
            .collect();
        assert_eq!(
            statuses,
            [
                "awaiting_release",
                "ready",
                "ready",
                "expired",
                "server_error",
                "expired"
            ],
            "newest first"
        );
        assert!(demo.base_url.starts_with("http://127.0.0.1:"));
        let person = store
            .person_by_token(&demo.token)
            .expect("lookup")
            .expect("the token works");
        assert_eq!(person.id, DEMO_PERSON);
        demo.server.stop().await;
        let again = start(dir.path(), None)
            .await
            .expect("restart on the same data");
        assert_eq!(
            store
                .list_backups(DEMO_ACCOUNT, 10, None)
                .expect("list")
                .len(),
            6,
            "seeded once"
        );
        assert_eq!(
            store.person_by_token(&demo.token).expect("lookup"),
            None,
            "a restart revokes the previous run's token"
        );
        assert!(
            store
                .person_by_token(&again.token)
                .expect("lookup")
                .is_some()
        );
        again.server.stop().await;
    }
}
