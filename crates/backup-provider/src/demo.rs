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
use crate::lifecycle::{self, AutoDelays, CompleteOptions};
use crate::store::{Account, Person, RequestOutcome, Store};
use crate::{RunningServer, ServeOptions, clock};

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
///
/// The archives tell a story a client can check: the first three grow a
/// little each time, the fresh one has about 31% fewer contacts than the
/// one about to expire (a mass deletion), and every archive after it has
/// no tickets at all (the object vanished).
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
        lifecycle::complete_at(
            store,
            archive_dir,
            id,
            at + TimeDelta::hours(2),
            CompleteOptions::default(),
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
    // 42% of the contacts go; with the contacts added since, the fresh
    // archive holds about 31% fewer than the one before.
    store.drop_records(DEMO_ACCOUNT, "contacts", 42)?;
    let recent = request(now - TimeDelta::days(3), "demo-seed-0005")?;
    publish(&recent, now - TimeDelta::days(3))?;
    store.clear_records(DEMO_ACCOUNT, "tickets")?;
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

    /// Rows per object in the manifest of backup `id`.
    fn counts(store: &Store, id: &str) -> std::collections::BTreeMap<String, u64> {
        store
            .manifest(id)
            .expect("read")
            .expect("a published backup has a manifest")
            .into_iter()
            .map(|entry| (entry.object, entry.rows))
            .collect()
    }

    #[tokio::test]
    async fn the_demo_archives_show_growth_a_mass_deletion_and_a_vanished_object() {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = start(dir.path(), None).await.expect("demo starts");
        demo.server.stop().await;
        let store = Store::open(dir.path()).expect("store");
        let mut history = store.list_backups(DEMO_ACCOUNT, 10, None).expect("list");
        history.reverse();
        let published: Vec<_> = history
            .iter()
            .filter(|b| b.ready_at.is_some())
            .map(|b| counts(&store, &b.id))
            .collect();
        assert_eq!(published.len(), 4, "four archives were published");
        let contacts: Vec<u64> = published.iter().map(|c| c["contacts"]).collect();
        assert!(
            contacts[0] < contacts[1] && contacts[1] < contacts[2],
            "the account grows between the first archives: {contacts:?}"
        );
        let lost = 1.0 - contacts[3] as f64 / contacts[2] as f64;
        assert!(
            (0.28..=0.34).contains(&lost),
            "the two ready archives differ by a mass deletion of about 31% of the contacts: {contacts:?}"
        );
        assert!(
            published
                .iter()
                .all(|c| c.get("tickets").is_some_and(|&n| n > 0)),
            "tickets exist in every seeded archive"
        );

        // The request just made (auto mode completes it in the demo) has no tickets.
        let pending = history.last().expect("the pending request").id.clone();
        let archives = dir.path().join("archives");
        if store.backup_any(&pending).expect("read").map(|b| b.status)
            == Some(BackupStatus::AwaitingRelease)
        {
            lifecycle::release(&store, &pending).expect("release");
        }
        if store.backup_any(&pending).expect("read").map(|b| b.status)
            == Some(BackupStatus::InProgress)
        {
            lifecycle::complete(&store, &archives, &pending, None).expect("complete");
        }
        let next = counts(&store, &pending);
        assert_eq!(next.get("tickets"), None, "tickets vanished: {next:?}");
        assert!(
            next["contacts"] > contacts[3],
            "the other objects live on: {next:?}"
        );
    }
}
