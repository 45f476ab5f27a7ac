//! Every endpoint against the real reference provider (in-process, real
//! SQLite): typed results, problems as typed codes, unknown statuses.

use std::path::PathBuf;

use backup_api::{ApiClient, ApiError, ProblemCode, Token, new_idempotency_key};
use backup_domain::{BackupPolicy, BackupStatus, GateReason, Role};
use backup_provider::api::SftpEndpoint;
use backup_provider::store::{Account, Person, Store};
use backup_provider::{RunningServer, ServeOptions, clock, lifecycle};
use chrono::TimeDelta;

const FINGERPRINT: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

struct Fixture {
    dir: tempfile::TempDir,
    server: RunningServer,
    owner: Token,
    viewer: Token,
}

impl Fixture {
    async fn start() -> Fixture {
        let dir = tempfile::tempdir().expect("data");
        let store = Store::open(dir.path()).expect("store");
        clock::make_movable(&store).expect("movable");
        let now = clock::now(&store).expect("now");
        let policy = BackupPolicy::reference_default();
        store
            .create_account(
                &Account {
                    id: "acme".into(),
                    name: "Acme".into(),
                    policy,
                },
                now,
            )
            .expect("account");
        for (id, role) in [("olivia", Role::Owner), ("vera", Role::Viewer)] {
            let person = Person {
                id: id.into(),
                name: id.into(),
                email: format!("{id}@example.com"),
            };
            store.add_person(&person).expect("person");
            store.grant("acme", id, role).expect("grant");
        }
        let owner = Token::new(store.issue_token("olivia", now).expect("token"));
        let viewer = Token::new(store.issue_token("vera", now).expect("token"));
        let server = backup_provider::start(ServeOptions::loopback(
            dir.path().to_path_buf(),
            dir.path().join("archives"),
            SftpEndpoint {
                host: "127.0.0.1".into(),
                port: 2222,
                host_key_fingerprints: vec![FINGERPRINT.into()],
            },
        ))
        .await
        .expect("provider");
        Fixture {
            dir,
            server,
            owner,
            viewer,
        }
    }

    fn client(&self, token: &Token) -> ApiClient {
        ApiClient::new(&format!("http://{}", self.server.addr), token.clone()).expect("client")
    }

    fn store(&self) -> Store {
        Store::open(self.dir.path()).expect("store")
    }

    /// The cloud team releases `id` and generates its archive.
    fn make_ready(&self, id: &str) {
        lifecycle::release(&self.store(), id).expect("release");
        lifecycle::complete(&self.store(), &self.archives(), id, None).expect("complete");
    }

    fn archives(&self) -> PathBuf {
        self.dir.path().join("archives")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn me_lists_the_accounts_and_roles() {
    let fx = Fixture::start().await;
    let me = fx.client(&fx.owner).me().await.expect("me");
    assert_eq!(me.person.id, "olivia");
    assert_eq!(me.accounts.len(), 1);
    assert_eq!(me.accounts[0].role, Some(Role::Owner));
    let page = fx
        .client(&fx.owner)
        .backups("acme", None, Some(1))
        .await
        .expect("history");
    assert_eq!(
        page.policy,
        BackupPolicy::reference_default(),
        "the plan's policy comes with the history"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_is_created_once_replayed_by_key_and_then_refused_with_the_date() {
    let fx = Fixture::start().await;
    let client = fx.client(&fx.owner);
    let key = new_idempotency_key();
    let first = client.request_backup("acme", &key).await.expect("created");
    assert_eq!(first.status, BackupStatus::AwaitingRelease);
    let replay = client.request_backup("acme", &key).await.expect("replayed");
    assert_eq!(
        replay.id, first.id,
        "the same key never makes a second backup"
    );
    let page = client.all_backups("acme").await.expect("list");
    assert_eq!(page.backups.len(), 1);
    assert_eq!(page.gate.reason, Some(GateReason::RequestInProgress));
    fx.make_ready(&first.id);
    match client.request_backup("acme", &new_idempotency_key()).await {
        Err(ApiError::Problem {
            code: ProblemCode::CooldownActive,
            next_allowed_at: Some(next),
            ..
        }) => {
            assert_eq!(next, first.requested_at + TimeDelta::days(28));
        }
        other => panic!("a cooldown refusal with its date: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_arrive_as_typed_codes() {
    let fx = Fixture::start().await;
    let viewer = fx.client(&fx.viewer);
    let forbidden = viewer
        .request_backup("acme", &new_idempotency_key())
        .await
        .expect_err("viewer");
    assert_eq!(forbidden.code(), Some(&ProblemCode::Forbidden));
    let stranger = fx.client(&Token::new("bdp_not_a_token"));
    assert_eq!(
        stranger.me().await.expect_err("bad token").code(),
        Some(&ProblemCode::Unauthenticated)
    );
    let owner = fx.client(&fx.owner);
    assert_eq!(
        owner
            .backup("acme", "bk_missing")
            .await
            .expect_err("missing")
            .code(),
        Some(&ProblemCode::NotFound)
    );
    let created = owner
        .request_backup("acme", &new_idempotency_key())
        .await
        .expect("created");
    let not_ready = owner
        .delivery("acme", &created.id)
        .await
        .expect_err("not ready");
    assert_eq!(not_ready.code(), Some(&ProblemCode::NotReady));
}

#[tokio::test(flavor = "multi_thread")]
async fn terms_then_delivery_then_expiry() {
    let fx = Fixture::start().await;
    let client = fx.client(&fx.owner);
    let backup = client
        .request_backup("acme", &new_idempotency_key())
        .await
        .expect("created");
    fx.make_ready(&backup.id);
    let refused = client
        .delivery("acme", &backup.id)
        .await
        .expect_err("terms first");
    assert!(
        matches!(
            &refused,
            ApiError::Problem {
                code: ProblemCode::TermsNotAccepted,
                terms_version: Some(_),
                ..
            }
        ),
        "{refused:?}"
    );
    let terms = client.terms("acme", &backup.id).await.expect("terms");
    assert!(!terms.accepted);
    let accepted = client
        .accept_terms("acme", &backup.id, &terms.version)
        .await
        .expect("accept");
    assert_eq!(accepted.accepted_by.id, "olivia");
    let delivery = client.delivery("acme", &backup.id).await.expect("delivery");
    assert_eq!(delivery.sftp.port, 2222);
    assert_eq!(
        delivery.sftp.host_key_fingerprints,
        vec![FINGERPRINT.to_owned()]
    );
    assert_eq!(
        Some(delivery.sftp.size_bytes),
        client
            .backup("acme", &backup.id)
            .await
            .expect("b")
            .size_bytes
    );
    clock::advance(&fx.store(), TimeDelta::days(10)).expect("advance");
    let gone = client
        .delivery("acme", &backup.id)
        .await
        .expect_err("expired");
    assert_eq!(gone.code(), Some(&ProblemCode::Expired));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_the_client_does_not_know_is_kept_not_rejected() {
    let fx = Fixture::start().await;
    let client = fx.client(&fx.owner);
    let backup = client
        .request_backup("acme", &new_idempotency_key())
        .await
        .expect("created");
    let now = clock::now(&fx.store()).expect("now");
    fx.store()
        .transition(
            &backup.id,
            &[BackupStatus::AwaitingRelease],
            BackupStatus::Unknown("archived_to_tape".into()),
            now,
            None,
        )
        .expect("a provider-specific status");
    let listed = client
        .all_backups("acme")
        .await
        .expect("the list still parses");
    assert_eq!(
        listed.backups[0].status,
        BackupStatus::Unknown("archived_to_tape".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_history_is_read_across_pages() {
    let fx = Fixture::start().await;
    let client = fx.client(&fx.owner);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let b = client
            .request_backup("acme", &new_idempotency_key())
            .await
            .expect("created");
        lifecycle::fail(&fx.store(), &b.id, "disk").expect("fail"); // server error: re-opens at once
        ids.push(b.id);
    }
    let first = client.backups("acme", None, Some(2)).await.expect("page");
    assert_eq!(first.backups.len(), 2);
    assert!(first.next_cursor.is_some());
    let all = client.all_backups("acme").await.expect("all");
    let mut got: Vec<String> = all.backups.iter().map(|b| b.id.clone()).collect();
    got.sort();
    ids.sort();
    assert_eq!(got, ids);
}
