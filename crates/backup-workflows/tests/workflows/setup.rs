//! What a download needs set up, and the choices around it: the missing
//! connection or key prefilled from the delivery answer (after the terms),
//! the "checked" mark, the visible default folder (the old one kept where
//! it was used), an existing verified copy (ask, replace, keep both), an
//! account added twice, and the count of running downloads for quitting.

use std::path::Path;
use std::sync::{Arc, mpsc};

use backup_workflows::{
    Actor, DeliverRequest, Desk, ErrorKind, ExistingCopy, Outcome, ProgressSink,
};

use crate::world::{Answering, World, recorder};

fn request(account: i64, backup_id: &str, existing: ExistingCopy) -> DeliverRequest {
    DeliverRequest {
        account,
        backup_id: backup_id.to_owned(),
        folder: None,
        streams: Some(2),
        actor: Actor::Person,
        existing,
    }
}

/// Adds acme with nothing else set up; returns its local id.
fn bare_account(world: &World) -> i64 {
    world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["acme".into()], false),
        )
        .expect("add acme")[0]
        .id
}

/// Delivers `backup` answering every question (terms, the server's key).
fn deliver(
    world: &World,
    id: i64,
    backup: &str,
    existing: ExistingCopy,
) -> backup_workflows::Result<backup_workflows::DownloadRecord> {
    let mut answers = Answering::trusting(Some(&world.sshd.host_key_fingerprints[0]));
    let (sink, _) = recorder();
    world.run(
        world
            .desk
            .deliver_answering(&request(id, backup, existing), &mut answers, sink),
    )
}

#[test]
fn a_missing_connection_or_key_is_asked_after_the_terms_with_the_providers_server() {
    let world = World::start();
    let id = bare_account(&world);
    let backup = world.ready_backup(id);
    let (sink, _) = recorder();
    let first = world.run(
        world
            .desk
            .deliver(&request(id, &backup, ExistingCopy::Ask), sink.clone()),
    );
    let terms = match first {
        Ok(Outcome::TermsRequired(terms)) => terms,
        other => panic!("the terms come first (the delivery answer needs them): {other:?}"),
    };
    world
        .run(
            world
                .desk
                .accept_terms(id, &backup, &terms.version, Actor::Person),
        )
        .expect("accept");
    let missing = world
        .run(
            world
                .desk
                .deliver(&request(id, &backup, ExistingCopy::Ask), sink.clone()),
        )
        .expect_err("no SFTP server set");
    assert_eq!(missing.kind(), ErrorKind::ConnectionMissing);
    let hint = missing.setup().expect("what to fill in");
    assert_eq!(
        (hint.host.as_str(), hint.port),
        ("127.0.0.1", world.sshd.port),
        "the person does not type what the provider already said"
    );
    assert_eq!(hint.username, "");
    assert!(!hint.has_connection && !hint.has_key);
    let text = missing.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{}", world.sshd.port))
            && text.contains("backup-desk connection set"),
        "the CLI names the server to set: {text}"
    );
    world
        .desk
        .set_connection(id, "127.0.0.1", world.sshd.port, &world.sshd.user)
        .expect("connection");
    let no_key = world
        .run(
            world
                .desk
                .deliver(&request(id, &backup, ExistingCopy::Ask), sink),
        )
        .expect_err("no key imported");
    assert_eq!(no_key.kind(), ErrorKind::KeyMissing);
    let hint = no_key.setup().expect("what to fill in");
    assert_eq!(hint.username, world.sshd.user, "from the saved connection");
    assert!(hint.has_connection && !hint.has_key);
    assert!(
        crate::world::zips(
            &world
                .desk
                .settings(id)
                .expect("settings")
                .preferences
                .download_dir
        )
        .is_empty(),
        "nothing written"
    );
}

#[test]
fn checked_is_set_by_a_test_or_a_download_and_cleared_by_any_change() {
    let world = World::start();
    let id = world.set_up();
    let checked = |w: &World| w.desk.settings(id).expect("settings").checked_at;
    assert_eq!(checked(&world), None, "never tested");
    let fingerprint = world.sshd.host_key_fingerprints[0].clone();
    let mut answers = Answering::trusting(Some(&fingerprint));
    let step = async || world.desk.test_connection(id).await;
    world
        .run(
            world
                .desk
                .settle(id, None, Actor::Person, &mut answers, step),
        )
        .expect("the connection works");
    assert!(
        checked(&world).is_some(),
        "a passed test checks the account"
    );
    world
        .desk
        .set_connection(id, "127.0.0.1", world.sshd.port, &world.sshd.user)
        .expect("the same server again");
    assert!(
        checked(&world).is_some(),
        "saving the same server changes nothing"
    );
    world
        .desk
        .set_connection(id, "127.0.0.1", world.sshd.port, "someone-else")
        .expect("another user");
    assert_eq!(checked(&world), None, "another connection is not checked");
    world
        .desk
        .set_connection(id, "127.0.0.1", world.sshd.port, &world.sshd.user)
        .expect("back");
    let backup = world.ready_backup(id);
    deliver(&world, id, &backup, ExistingCopy::KeepBoth).expect("download");
    assert!(
        checked(&world).is_some(),
        "a verified download checks it too"
    );
    world.desk.forget_host_key(id).expect("forget");
    assert_eq!(checked(&world), None, "forgetting the server key clears it");
    let step = async || world.desk.test_connection(id).await;
    let mut answers = Answering::trusting(Some(&fingerprint));
    world
        .run(
            world
                .desk
                .settle(id, None, Actor::Person, &mut answers, step),
        )
        .expect("checked again");
    world
        .desk
        .import_key(id, &world.key.private_path, None)
        .expect("key again");
    assert_eq!(checked(&world), None, "a new key is not checked");
    world
        .run(
            world
                .desk
                .settle(id, None, Actor::Person, &mut answers, step),
        )
        .expect("checked again");
    world.desk.remove_key(id).expect("remove");
    assert_eq!(checked(&world), None, "no key, nothing checked");
}

#[test]
fn the_default_folder_is_in_sight_and_an_account_that_used_the_old_one_keeps_it() {
    let world = World::start();
    let id = world.set_up();
    let prefs = world.desk.settings(id).expect("settings").preferences;
    let home = dirs::home_dir().expect("the test's HOME");
    assert_eq!(prefs.download_dir, home.join("Backups").join("Acme Ltda"));
    assert!(prefs.download_dir_is_default);
    let backup = world.ready_backup(id);
    let saved = deliver(&world, id, &backup, ExistingCopy::KeepBoth).expect("download");
    assert!(
        Path::new(&saved.path).starts_with(home.join("Backups").join("Acme Ltda")),
        "{}",
        saved.path
    );
    // Reopening never moves an account that downloaded into the new default.
    let again = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::KeyringBackend::new(
            backup_workflows::APP_ID,
        )),
        Arc::new(backup_workflows::SystemClock),
    )
    .expect("reopen");
    let prefs = again.settings(id).expect("settings").preferences;
    assert_eq!(prefs.download_dir, home.join("Backups").join("Acme Ltda"));
    assert!(
        prefs.download_dir_is_default,
        "pinned once, at the upgrade only"
    );
}

#[test]
fn an_upgrade_pins_the_old_default_of_an_account_with_downloads_only() {
    let world = World::start();
    let with = world.set_up();
    // As an earlier version left the data folder: a download in the old
    // default, no folder chosen, no upgrade done yet.
    let state = world.desk.state();
    let old = backup_workflows::legacy_download_dir(world.data_dir.path(), "acme").expect("old");
    state
        .record_verified(
            &backup_workflows::DownloadRecord {
                account: with,
                backup_id: "bk_1".into(),
                path: old.join("acme.zip").display().to_string(),
                size_bytes: 1,
                sha256: "0".repeat(64),
                verified_at: world.desk.now(),
            },
            "Olivia",
        )
        .expect("an old download");
    state
        .unset_setting("legacy_download_dirs_pinned")
        .expect("before the upgrade");
    let upgraded = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::KeyringBackend::new(
            backup_workflows::APP_ID,
        )),
        Arc::new(backup_workflows::SystemClock),
    )
    .expect("the new version opens the folder");
    let prefs = upgraded.settings(with).expect("settings").preferences;
    assert_eq!(
        prefs.download_dir, old,
        "its archives stay together in the folder it used"
    );
    assert!(!prefs.download_dir_is_default);
}

#[test]
fn an_existing_copy_is_asked_about_replaced_in_place_or_kept_beside() {
    let world = World::start();
    let id = world.set_up();
    let backup = world.ready_backup(id);
    let first = deliver(&world, id, &backup, ExistingCopy::Ask).expect("first download");
    let audit_before = world.desk.state().audit_log(Some(id)).expect("audit").len();
    let asked = deliver(&world, id, &backup, ExistingCopy::Ask).expect_err("a copy exists");
    assert_eq!(asked.kind(), ErrorKind::CopyExists);
    assert_eq!(asked.path(), Some(Path::new(&first.path)));
    assert_eq!(
        world.desk.state().audit_log(Some(id)).expect("audit").len(),
        audit_before,
        "asked before anything started"
    );
    let both = deliver(&world, id, &backup, ExistingCopy::KeepBoth).expect("keep both");
    assert_ne!(both.path, first.path);
    assert!(both.path.ends_with(" (1).zip"), "{}", both.path);
    // Replace takes the newest copy's place, at the same path.
    std::fs::write(&both.path, b"edited by hand").expect("touch the copy");
    let replaced = deliver(&world, id, &backup, ExistingCopy::Replace).expect("replace");
    assert_eq!(replaced.path, both.path, "recorded at the same path");
    let bytes = std::fs::read(&replaced.path).expect("read");
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert_eq!(digest, replaced.sha256, "the verified file took its place");
    assert!(
        Path::new(&first.path).exists(),
        "the other copy is untouched"
    );
    let files = std::fs::read_dir(Path::new(&first.path).parent().expect("dir"))
        .expect("list")
        .count();
    assert_eq!(files, 2, "no third file, no leftover partial");
}

/// Overwrites every file under `dir` with as many other bytes.
fn garble(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("served") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            garble(&path);
        } else if path.is_file() {
            let len = std::fs::metadata(&path).expect("meta").len() as usize;
            std::fs::write(&path, vec![b'x'; len]).expect("garble");
        }
    }
}

#[test]
fn a_replacing_download_that_fails_leaves_the_old_copy_intact() {
    let world = World::start();
    let id = world.set_up();
    let backup = world.ready_backup(id);
    let first = deliver(&world, id, &backup, ExistingCopy::KeepBoth).expect("download");
    let before = std::fs::read(&first.path).expect("read");
    // The server now serves other bytes than the published checksum's.
    garble(&world.sshd.served_dir);
    let failed = deliver(&world, id, &backup, ExistingCopy::Replace).expect_err("garbled");
    assert_eq!(failed.kind(), ErrorKind::VerifyFailed, "{failed}");
    assert_eq!(
        std::fs::read(&first.path).expect("read"),
        before,
        "the verified copy must survive a failed replacement"
    );
}

#[test]
fn adding_an_account_that_exists_changes_nothing_until_confirmed() {
    let world = World::start();
    let id = world.set_up();
    let probe = world
        .run(world.desk.probe(&world.base, &world.token))
        .expect("probe");
    let existing = probe.existing("acme").expect("acme is set up here");
    assert_eq!(existing.id, id);
    assert_eq!(existing.person_name, "Olivia");
    let before = world.desk.accounts().expect("accounts");
    let refused = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["acme".into()], false),
        )
        .expect_err("already set up");
    assert_eq!(refused.kind(), ErrorKind::AccountExists);
    assert!(refused.to_string().contains("Acme Ltda"), "{refused}");
    assert_eq!(world.desk.accounts().expect("accounts"), before);
    let again = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["acme".into()], true),
        )
        .expect("replaced once confirmed");
    assert_eq!(again[0].id, id, "the same account, its settings kept");
    world.run(world.desk.history(id)).expect("its token works");
}

#[test]
fn a_running_download_is_counted_and_stopping_it_while_connecting_says_cancelled() {
    let world = World::start();
    let id = world.set_up();
    let backup = world.ready_backup(id);
    // Accept the terms and trust the server first, so the next run downloads.
    deliver(&world, id, &backup, ExistingCopy::KeepBoth).expect("first download");
    let (started_tx, started) = mpsc::channel::<()>();
    let (go, wait) = mpsc::channel::<()>();
    let wait = std::sync::Mutex::new(wait);
    let sink: ProgressSink = Arc::new(move |phase, _| {
        if phase == backup_workflows::Phase::Connecting {
            let _ = started_tx.send(());
            let _ = wait.lock().expect("wait").recv();
        }
    });
    std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            world.run(
                world
                    .desk
                    .deliver(&request(id, &backup, ExistingCopy::KeepBoth), sink),
            )
        });
        started.recv().expect("the download started");
        assert_eq!(
            world.desk.running_deliveries(),
            1,
            "the window asks before quitting"
        );
        world.desk.stop();
        go.send(()).expect("go on");
        let stopped = running.join().expect("thread");
        assert_eq!(stopped.expect_err("cancelled").kind(), ErrorKind::Cancelled);
    });
    assert_eq!(
        world.desk.running_deliveries(),
        0,
        "nothing keeps the quit waiting"
    );
}
