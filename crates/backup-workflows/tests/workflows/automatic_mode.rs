//! The app's automatic mode around the shared pass: the timer's tick, the
//! lock shared with `backup-desk auto`, each account's last pass kept
//! across launches, pause kept across launches, and the consent to accept
//! a terms version recorded in the audit log (a new version stops, once).

use std::sync::Arc;

use backup_workflows::{
    AuditEvent, AutomaticChoice, Desk, DeskEvent, ErrorKind, Outcome, SystemClock, Tick,
};

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

fn tick(world: &World) -> Tick {
    let (sink, _) = recorder();
    world
        .run(world.desk.automatic_tick(sink))
        .expect("the tick runs")
}

fn choice(version: Option<&str>) -> AutomaticChoice {
    AutomaticChoice {
        enabled: true,
        request_when_allowed: false,
        download_when_ready: true,
        keep: 3,
        accept_terms_version: version.map(str::to_owned),
    }
}

/// Acme set up with a trusted server, a ready backup, its archives going to
/// a folder of the test; returns (account, backup, folder).
fn ready_account(world: &World) -> (i64, String, std::path::PathBuf) {
    let id = world.set_up();
    trust_server(world, id);
    let dest = world.folder("dest");
    world
        .desk
        .save_download_preferences(id, &dest.display().to_string(), 4)
        .expect("folder");
    let backup = world.ready_backup(id);
    (id, backup, dest)
}

fn consents(world: &World, account: i64) -> Vec<AuditEvent> {
    world
        .desk
        .audit_log(Some(account))
        .expect("audit")
        .into_iter()
        .map(|e| e.event)
        .filter(|e| {
            matches!(
                e,
                AuditEvent::AutomaticTermsConsented { .. }
                    | AuditEvent::AutomaticTermsWithdrawn { .. }
            )
        })
        .collect()
}

#[test]
fn the_apps_tick_downloads_keeps_the_last_pass_across_launches_and_then_waits() {
    let world = World::start();
    let (id, backup, dest) = ready_account(&world);
    assert!(
        matches!(tick(&world), Tick::NothingOn),
        "no account is switched on: no pass"
    );
    let terms = world
        .run(world.desk.automatic_terms(id))
        .expect("terms")
        .expect("a backup exists, so the terms can be read");
    world
        .desk
        .save_automatic_settings(id, &choice(Some(&terms.version)))
        .expect("switch on with consent");
    let Tick::Ran(report) = tick(&world) else {
        panic!("a changed setting makes a pass due at once");
    };
    assert!(report.first_error().is_none(), "{:?}", report.first_error());
    assert_eq!(zips(&dest).len(), 1, "downloaded with no click");
    assert!(
        matches!(tick(&world), Tick::Idle),
        "nothing due until the interval has passed"
    );
    let status = world.desk.automatic_status().expect("status");
    assert!(!status.running && !status.paused);
    let next = status.next_check_at.expect("a next check");
    let wait = next - world.desk.now();
    assert!(
        wait > chrono::TimeDelta::minutes(14) && wait <= chrono::TimeDelta::minutes(15),
        "the interval: {wait}"
    );
    // A relaunch (a new desk on the same data) still shows the last pass.
    let relaunched = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::MemoryBackend::default()),
        Arc::new(SystemClock),
    )
    .expect("relaunch");
    let last = relaunched
        .automatic_status()
        .expect("status")
        .accounts
        .into_iter()
        .find(|a| a.account.id == id)
        .and_then(|a| a.last_pass)
        .expect("the last pass is kept");
    assert_eq!(last.downloaded.len(), 1);
    assert_eq!(last.downloaded[0].backup_id, backup);
    assert!(last.downloaded[0].size_bytes > 0);
    assert_eq!(last.error, None);
}

#[test]
fn the_apps_tick_skips_while_backup_desk_auto_holds_the_lock() {
    let world = World::start();
    let (id, _, dest) = ready_account(&world);
    let terms = world
        .run(world.desk.automatic_terms(id))
        .expect("terms")
        .expect("terms");
    world
        .desk
        .save_automatic_settings(id, &choice(Some(&terms.version)))
        .expect("on");
    let cli = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::MemoryBackend::default()),
        Arc::new(SystemClock),
    )
    .expect("the CLI's desk");
    let held = cli.automatic_lock().expect("the CLI's pass holds the lock");
    assert!(
        matches!(tick(&world), Tick::Busy),
        "two passes never run at once"
    );
    assert!(zips(&dest).is_empty());
    assert!(
        matches!(tick(&world), Tick::Idle),
        "a busy lock is tried again later, not at every tick"
    );
    drop(held);
    world.desk.automatic_check_now();
    assert!(matches!(tick(&world), Tick::Ran(_)));
    assert_eq!(zips(&dest).len(), 1);
}

#[test]
fn pause_is_kept_across_launches_and_stops_the_timer() {
    let world = World::start();
    let (id, _, dest) = ready_account(&world);
    world
        .desk
        .save_automatic_settings(id, &choice(None))
        .expect("on");
    world.desk.set_automatic_paused(true).expect("pause");
    world.desk.automatic_check_now();
    assert!(matches!(tick(&world), Tick::Idle), "paused: no pass");
    assert!(zips(&dest).is_empty());
    let status = world.desk.automatic_status().expect("status");
    assert!(status.paused);
    assert_eq!(status.next_check_at, None, "no next check while paused");
    let relaunched = Desk::open(
        world.data_dir.path(),
        Arc::new(backup_keychain::MemoryBackend::default()),
        Arc::new(SystemClock),
    )
    .expect("relaunch");
    assert!(relaunched.automatic_paused().expect("paused"), "kept");
    world.desk.set_automatic_paused(false).expect("resume");
    assert!(
        matches!(tick(&world), Tick::Ran(_)),
        "resuming checks at once"
    );
}

#[test]
fn consent_to_a_terms_version_is_audited_once_and_its_withdrawal_too() {
    let world = World::start();
    let id = world.set_up();
    assert_eq!(
        world.run(world.desk.automatic_terms(id)).expect("terms"),
        None,
        "no backup yet: no terms to read"
    );
    for keep in [0, 101] {
        let refused = world
            .desk
            .save_automatic_settings(
                id,
                &AutomaticChoice {
                    keep,
                    ..choice(None)
                },
            )
            .expect_err("keep out of range");
        assert_eq!(refused.kind(), ErrorKind::InvalidInput);
        assert!(
            refused.to_string().contains("between 1 and 100"),
            "{refused}"
        );
    }
    let blank = world
        .desk
        .save_automatic_settings(id, &choice(Some("  ")))
        .expect_err("a blank version is no consent");
    assert_eq!(blank.kind(), ErrorKind::InvalidInput);
    let missing = world
        .desk
        .save_automatic_settings(9999, &choice(None))
        .expect_err("no such account");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(consents(&world, id).is_empty(), "nothing was consented yet");

    world
        .desk
        .save_automatic_settings(id, &choice(Some("v1")))
        .expect("consent");
    world
        .desk
        .save_automatic_settings(id, &choice(Some("v1")))
        .expect("saved again");
    world
        .desk
        .save_automatic_settings(id, &choice(None))
        .expect("withdrawn");
    assert_eq!(
        consents(&world, id),
        [
            AuditEvent::AutomaticTermsConsented {
                version: "v1".into()
            },
            AuditEvent::AutomaticTermsWithdrawn {
                version: "v1".into()
            },
        ],
        "the consent is explicit and recorded once; so is its withdrawal"
    );
}

#[test]
fn new_terms_stop_the_account_and_are_announced_once() {
    let world = World::start();
    let (id, _, dest) = ready_account(&world);
    let terms = world
        .run(world.desk.automatic_terms(id))
        .expect("terms")
        .expect("terms");
    world
        .desk
        .save_automatic_settings(id, &choice(Some(&terms.version)))
        .expect("on");
    let store = world.store();
    store
        .set_setting("terms_version", "2099-01")
        .expect("new terms");
    let mut news = world.desk.subscribe();
    assert!(matches!(tick(&world), Tick::Ran(_)));
    assert!(
        zips(&dest).is_empty(),
        "new terms are never accepted unattended"
    );
    let last = world
        .desk
        .last_pass(id)
        .expect("read")
        .expect("a last pass");
    let failure = last.error.expect("stopped");
    assert_eq!(failure.kind, ErrorKind::TermsRequired);
    assert!(
        failure.message.contains("Review the new terms in Settings"),
        "{}",
        failure.message
    );
    match news.try_recv() {
        Ok(DeskEvent::AutomaticFailed { kind, .. }) => assert_eq!(kind, ErrorKind::TermsRequired),
        other => panic!("the failure is announced: {other:?}"),
    }
    world.desk.automatic_check_now();
    assert!(matches!(tick(&world), Tick::Ran(_)));
    assert!(
        news.try_recv().is_err(),
        "the same failure is not announced at every pass"
    );
}
