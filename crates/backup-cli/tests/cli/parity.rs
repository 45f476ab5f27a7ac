//! The app and the CLI run the same workflows: a download by either leaves
//! the same record and audit trail, and what the app sets up (its demo)
//! never breaks the CLI.

use std::path::Path;
use std::sync::Arc;

use backup_workflows::{APP_ID, Actor, DeliverRequest, Desk, Outcome, SystemClock};
use test_support::keychain::SecretService;

use crate::world::World;

/// An audit entry with what differs between two machines taken out (the
/// time, the folder the archive was saved in).
fn comparable(entry: &backup_workflows::AuditEntry, dir: &Path) -> String {
    let details = serde_json::to_string(&entry.event).expect("json");
    format!(
        "{} by {}: {}",
        entry.event.kind(),
        entry.actor,
        details.replace(&dir.display().to_string(), "<dir>")
    )
}

fn delivery_trail(desk: &Desk, account: i64, dir: &Path) -> Vec<String> {
    desk.state()
        .audit_log(Some(account))
        .expect("audit")
        .iter()
        .filter(|e| e.event.kind() != "request_made" && e.event.kind() != "terms_accepted")
        .map(|e| comparable(e, dir))
        .collect()
}

#[test]
fn a_download_from_the_app_and_one_from_the_cli_leave_the_same_record_and_trail() {
    let world = World::start();
    world.set_up_untrusted();
    world.expect(&["backups", "request", "--yes"], None, 0);
    let backup = world.complete_pending().remove(0);

    // The app, on its own data folder and keychain, as its commands call it.
    let app_keychain = SecretService::start().expect("Secret Service");
    let _session = app_keychain.enter();
    let app_dir = tempfile::tempdir().expect("app data");
    let app_dest = tempfile::tempdir().expect("app downloads");
    let desk = Desk::open(
        app_dir.path(),
        Arc::new(backup_keychain::KeyringBackend::new(APP_ID)),
        Arc::new(SystemClock),
    )
    .expect("desk");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app_saved = runtime.block_on(async {
        let id = desk
            .add_accounts(&world.base, &world.token, &["acme".into()], false)
            .await
            .expect("account_add")[0]
            .id;
        desk.import_key(id, &world.key.private_path, None)
            .expect("key_import");
        desk.set_connection(id, "127.0.0.1", world.sshd.port, &world.sshd.user)
            .expect("connection_save");
        let terms = desk.terms(id, &backup).await.expect("terms");
        desk.accept_terms(id, &backup, &terms.version, Actor::Person)
            .await
            .expect("terms_accept");
        let request = DeliverRequest {
            account: id,
            backup_id: backup.clone(),
            folder: Some(app_dest.path().to_path_buf()),
            streams: None,
            actor: Actor::Person,
            existing: backup_workflows::ExistingCopy::KeepBoth,
        };
        let quiet: backup_workflows::ProgressSink = Arc::new(|_, _| {});
        match desk
            .deliver(&request, quiet.clone())
            .await
            .expect("download")
        {
            Outcome::HostKey(key) => desk
                .trust_host_key(id, &key.fingerprint)
                .expect("host_key_trust"),
            other => panic!("the window is asked about the server first: {other:?}"),
        };
        match desk.deliver(&request, quiet).await.expect("download again") {
            Outcome::Done(saved) => saved,
            other => panic!("trusted: {other:?}"),
        }
    });
    let app_trail = delivery_trail(&desk, app_saved.account, app_dest.path());
    drop(_session);

    // The CLI, on its own data folder and keychain (set up above).
    let cli_dest = tempfile::tempdir().expect("cli downloads");
    let to = cli_dest.path().display().to_string();
    let fp = &world.sshd.host_key_fingerprints[0];
    world.expect(
        &[
            "backups",
            "download",
            &backup,
            "--accept-terms",
            "--trust-fingerprint",
            fp,
            "--to",
            &to,
        ],
        None,
        0,
    );
    let cli = Desk::open(
        world.cli_dir.path(),
        Arc::new(backup_keychain::MemoryBackend::default()),
        Arc::new(SystemClock),
    )
    .expect("the CLI's state");
    let cli_saved = cli.state().downloads(1).expect("downloads").remove(0);
    let cli_trail = delivery_trail(&cli, cli_saved.account, cli_dest.path());

    let name = |p: &str| Path::new(p).file_name().map(|n| n.to_owned());
    assert_eq!(
        (
            &cli_saved.backup_id,
            cli_saved.size_bytes,
            &cli_saved.sha256,
            name(&cli_saved.path)
        ),
        (
            &app_saved.backup_id,
            app_saved.size_bytes,
            &app_saved.sha256,
            name(&app_saved.path)
        ),
        "the same backup is recorded the same way"
    );
    assert_eq!(
        cli_trail, app_trail,
        "the same audit trail from either front end"
    );
    assert!(
        app_trail
            .iter()
            .any(|e| e.starts_with("host_key_accepted by Olivia"))
            && app_trail
                .iter()
                .any(|e| e.starts_with("download_verified by Olivia")),
        "{app_trail:?}"
    );
}

#[test]
fn a_demo_account_created_by_the_app_does_not_break_auto() {
    let world = World::start();
    world.set_up();
    {
        let _session = world.secrets.enter();
        let desk = Desk::open(
            world.cli_dir.path(),
            Arc::new(backup_keychain::KeyringBackend::new(APP_ID)),
            Arc::new(SystemClock),
        )
        .expect("the app on the same data folder");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            desk.start_demo(false).await.expect("Try the demo");
            desk.stop_demo().await;
        });
    }
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let out = world.expect(&["auto", "--once", "--accept-terms", "--to", &to], None, 0);
    assert!(out.contains("Demo Company: skipped"), "{out}");
    assert!(
        out.contains("Acme Ltda: requested backup"),
        "the real account still works: {out}"
    );
}
