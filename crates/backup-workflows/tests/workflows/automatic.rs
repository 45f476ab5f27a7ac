//! The automatic pass, the same for `backup-desk auto` and the app:
//! request when allowed, deliver every ready backup once, keep the newest N,
//! terms only with consent, one pass at a time, the demo left alone.

use std::sync::Arc;

use backup_workflows::{AutomaticOptions, AutomaticSettings, Desk, ErrorKind, Outcome};

use crate::world::{World, recorder, zips};

fn trust_server(world: &World, account: i64) {
    match world.run(world.desk.test_connection(account)) {
        Ok(Outcome::HostKey(key)) => {
            world
                .desk
                .trust_host_key(account, &key.fingerprint)
                .expect("trust");
        }
        other => panic!("the first test asks about the server: {other:?}"),
    }
}

fn pass(world: &World, options: &AutomaticOptions) -> backup_workflows::PassReport {
    let lock = world.desk.automatic_lock().expect("lock");
    let (sink, _) = recorder();
    world
        .run(world.desk.automatic_pass(&lock, options, sink))
        .expect("pass")
}

#[test]
fn a_pass_requests_downloads_once_and_keeps_the_newest() {
    let world = World::start();
    let id = world.set_up();
    trust_server(&world, id);
    let dest = world.folder("dest");
    let options = AutomaticOptions {
        keep: Some(1),
        folder: Some(dest.clone()),
        accept_terms: true,
        ..AutomaticOptions::default()
    };
    let first = pass(&world, &options);
    let requested = first.accounts[0]
        .requested
        .clone()
        .expect("the gate was open");
    world.complete(&requested);
    let second = pass(&world, &options);
    assert_eq!(
        second.accounts[0].requested, None,
        "cooldown: no second request"
    );
    assert_eq!(second.accounts[0].downloaded.len(), 1);
    let third = pass(&world, &options);
    assert!(
        third.accounts[0].downloaded.is_empty(),
        "never the same backup twice"
    );
    let old = zips(&dest);
    assert_eq!(old.len(), 1);

    world.advance(28);
    let fourth = pass(&world, &options);
    let newer = fourth.accounts[0].requested.clone().expect("28 days later");
    world.complete(&newer);
    let fifth = pass(&world, &options);
    assert_eq!(fifth.accounts[0].downloaded.len(), 1);
    assert_eq!(fifth.accounts[0].removed.len(), 1, "keep 1");
    let now = zips(&dest);
    assert_eq!(now.len(), 1);
    assert_ne!(now, old, "the newest verified archive is the one kept");
    assert!(fifth.first_error().is_none());
}

#[test]
fn terms_are_accepted_only_with_consent_for_their_version() {
    let world = World::start();
    let id = world.set_up();
    trust_server(&world, id);
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let options = AutomaticOptions {
        folder: Some(dest.clone()),
        ..AutomaticOptions::default()
    };
    let refused = pass(&world, &options);
    let error = refused.accounts[0].error.as_ref().expect("no consent");
    assert_eq!(error.kind(), ErrorKind::TermsRequired, "{error}");
    assert!(zips(&dest).is_empty());
    let terms = world.run(world.desk.terms(id, &backup)).expect("terms");
    let account = world.desk.account(id).expect("account");
    let mut settings = world
        .desk
        .preferences()
        .account(&account)
        .expect("prefs")
        .automatic;
    settings.accepted_terms_version = Some(terms.version.clone());
    world
        .desk
        .preferences()
        .save_automatic(id, &settings)
        .expect("consent");
    let consented = pass(&world, &options);
    assert_eq!(
        consented.accounts[0].downloaded.len(),
        1,
        "{:?}",
        consented.accounts[0].error
    );
}

#[test]
fn one_pass_at_a_time_for_the_app_and_the_cli() {
    let world = World::start();
    let held = world.desk.automatic_lock().expect("first");
    let other = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::MemoryBackend::default()),
        Arc::new(backup_workflows::SystemClock),
    )
    .expect("a second process on the same data");
    let busy = other.automatic_lock().expect_err("held");
    assert_eq!(busy.kind(), ErrorKind::Busy);
    drop(held);
    other.automatic_lock().expect("free again");
}

#[test]
fn a_demo_account_is_left_alone_unless_switched_on() {
    let world = World::start();
    let id = world.set_up();
    trust_server(&world, id);
    let demo = world.run(world.desk.start_demo(false)).expect("demo");
    let report = pass(
        &world,
        &AutomaticOptions {
            accept_terms: true,
            folder: Some(world.folder("dest")),
            ..AutomaticOptions::default()
        },
    );
    let demo_pass = report
        .accounts
        .iter()
        .find(|a| a.account.id == demo.account.id)
        .expect("the demo is listed");
    assert!(
        demo_pass.skipped.is_some() && demo_pass.error.is_none(),
        "{demo_pass:?}"
    );
    assert!(report.first_error().is_none(), "{:?}", report.first_error());
    let only = pass(
        &world,
        &AutomaticOptions {
            only_enabled: true,
            ..AutomaticOptions::default()
        },
    );
    assert!(
        only.accounts.iter().all(|a| a.skipped.is_some()),
        "the app's automatic mode visits only the accounts switched on"
    );
    let on = AutomaticSettings {
        enabled: true,
        ..AutomaticSettings::default()
    };
    world
        .desk
        .preferences()
        .save_automatic(demo.account.id, &on)
        .expect("switch on");
    let with_demo = pass(
        &world,
        &AutomaticOptions {
            only_enabled: true,
            ..AutomaticOptions::default()
        },
    );
    let demo_pass = with_demo
        .accounts
        .iter()
        .find(|a| a.account.id == demo.account.id)
        .expect("listed");
    assert!(demo_pass.skipped.is_none(), "switched on: visited");
    world.run(world.desk.stop_demo());
}

#[test]
fn a_stopped_desk_starts_nothing_new() {
    let world = World::start();
    let id = world.set_up();
    trust_server(&world, id);
    let backup = world.ready_backup(id);
    world.desk.stop();
    let report = pass(
        &world,
        &AutomaticOptions {
            accept_terms: true,
            folder: Some(world.folder("dest")),
            ..AutomaticOptions::default()
        },
    );
    assert!(
        report.accounts.is_empty(),
        "Ctrl-C means stop: no account is visited, nothing requested: {report:?}"
    );
    let dest = world.folder("dest");
    let request = backup_workflows::DeliverRequest {
        account: id,
        backup_id: backup,
        folder: Some(dest.clone()),
        streams: None,
        actor: backup_workflows::Actor::Person,
        existing: backup_workflows::ExistingCopy::KeepBoth,
    };
    let (sink, _) = recorder();
    let refused = world
        .run(world.desk.deliver(&request, sink))
        .expect_err("no new download after stop");
    assert_eq!(refused.kind(), ErrorKind::Cancelled);
    assert!(zips(&dest).is_empty());
}

#[test]
fn the_apps_demo_keeps_working_after_the_cli_ran_its_own() {
    let world = World::start();
    let app = world
        .run(world.desk.start_demo(true))
        .expect("the app's demo");
    // The CLI, on the same data folder and keychain, runs a command on the
    // demo and exits: its demo wrote its own port and key, then stopped.
    let cli = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::KeyringBackend::new(
            backup_workflows::APP_ID,
        )),
        Arc::new(backup_workflows::SystemClock),
    )
    .expect("the CLI's desk");
    world.run(cli.start_demo(true)).expect("the CLI's demo");
    world.run(cli.stop_demo());
    match world.run(world.desk.test_connection(app.account.id)) {
        Ok(Outcome::Done(_)) => {}
        other => panic!("the app's demo must still connect with its own key and port: {other:?}"),
    }
    world.run(world.desk.stop_demo());
}
