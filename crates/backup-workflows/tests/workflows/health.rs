//! Health across accounts on the provider's moving clock: green after a
//! verified copy, amber when a ready backup is about to expire undownloaded
//! (or nothing was ever downloaded), red when the last copy is older than
//! the cooldown plus the download window; and a verdict even when the
//! provider does not answer.

use backup_domain::BackupPolicy;
use backup_provider::clock;
use backup_workflows::{AccountHealth, HealthLevel, HealthReason, HealthReport};
use chrono::TimeDelta;

use crate::world::World;

fn of(report: &HealthReport, account: i64) -> &AccountHealth {
    report
        .accounts
        .iter()
        .find(|a| a.account.id == account)
        .expect("every account is judged")
}

fn health(world: &World) -> HealthReport {
    let before = clock::now(&world.store()).expect("provider clock");
    let report = world.run(world.desk.health()).expect("health");
    let after = clock::now(&world.store()).expect("provider clock");
    for account in &report.accounts {
        assert!(
            before <= account.as_of && account.as_of <= after,
            "the verdict is for the provider's clock ({before}..{after}), not this computer's: {}",
            account.as_of
        );
    }
    report
}

#[test]
fn health_goes_green_amber_red_with_the_providers_clock() {
    let world = World::start();
    let id = world.set_up();
    let other = world.add_account("beta", "Beta Labs", BackupPolicy::reference_default());
    let first = world.ready_backup(id);
    world
        .deliver(id, &first, &world.folder("dest"))
        .expect("delivered");
    let requested_at = world
        .desk
        .backup_contents(id, &first)
        .expect("contents")
        .archive
        .backup_at;
    let policy = BackupPolicy::reference_default();
    let limit = policy.cooldown + policy.download_window;

    let report = health(&world);
    let acme = of(&report, id);
    assert_eq!(
        (acme.level, acme.reasons.as_slice()),
        (HealthLevel::Green, &[][..]),
        "a verified copy just made is nothing to worry about"
    );
    assert_eq!(acme.limit, limit, "red beyond cooldown + download window");
    let copy = acme.last_copy.as_ref().expect("the last copy");
    assert_eq!(copy.download.backup_id, first);
    assert!(copy.path.as_ref().is_some_and(|p| p.is_file()));
    let beta = of(&report, other);
    assert_eq!(
        (beta.level, beta.reasons.as_slice()),
        (HealthLevel::Amber, &[HealthReason::NoVerifiedCopy][..]),
        "an account never downloaded is a warning from the start"
    );
    assert_eq!(
        report.accounts[0].account.id, other,
        "the worst account comes first"
    );
    assert_eq!(report.worst(), HealthLevel::Amber);

    world.advance(28);
    let second = world.ready_backup(id);
    let report = health(&world);
    let acme = of(&report, id);
    assert_eq!(
        acme.level,
        HealthLevel::Green,
        "a ready backup with its whole window ahead is no warning yet: {:?}",
        acme.reasons
    );
    let expires_at = acme
        .ready_not_downloaded
        .iter()
        .find(|(b, _)| *b == second)
        .map(|(_, at)| *at)
        .expect("the ready backup is listed as not downloaded");

    world.advance(9);
    let report = health(&world);
    let acme = of(&report, id);
    assert!(
        expires_at - acme.as_of <= TimeDelta::days(2) && acme.as_of < expires_at,
        "the clock is within two days of the expiry"
    );
    assert_eq!(
        (acme.level, acme.reasons.as_slice()),
        (
            HealthLevel::Amber,
            &[HealthReason::ExpiresSoon { at: expires_at }][..]
        ),
        "a backup about to be lost undownloaded must be flagged (the last copy is {} old, under the limit)",
        acme.as_of - requested_at
    );

    world.advance(2);
    let report = health(&world);
    let acme = of(&report, id);
    let age = acme.as_of - requested_at;
    assert!(age > limit, "the clock is past the limit: {age}");
    assert_eq!(
        (acme.level, acme.reasons.as_slice()),
        (
            HealthLevel::Red,
            &[HealthReason::CopyTooOld { age, limit }][..]
        ),
        "the newest copy is older than the provider lets a backup be replaced: the admin must act"
    );
    assert!(
        acme.ready_not_downloaded.is_empty(),
        "an expired backup is no longer offered"
    );
    let beta = of(&report, other);
    assert_eq!(
        (beta.level, beta.reasons.as_slice()),
        (HealthLevel::Red, &[HealthReason::NoVerifiedCopy][..]),
        "never downloaded for longer than the limit is red"
    );
    assert_eq!(report.worst(), HealthLevel::Red);
}

/// Regression: the alerts were taken from the newest *checked* backup, so a
/// damaged archive after a mass deletion turned the account green again.
#[test]
fn a_damaged_archive_after_a_change_alert_does_not_hide_the_alert() {
    let world = World::start();
    let id = world.set_up();
    let dest = world.folder("dest");
    let first = world.ready_backup(id);
    world.deliver(id, &first, &dest).expect("first");
    world
        .store()
        .drop_records("acme", "contacts", 31)
        .expect("a mass deletion");
    world.advance(28);
    let second = world.ready_backup(id);
    world.deliver(id, &second, &dest).expect("second");
    let alerted = world
        .desk
        .backup_contents(id, &second)
        .expect("contents")
        .alerts;
    assert_eq!(alerted.len(), 1, "the deletion is an alert: {alerted:?}");

    world.advance(28);
    let damaged = world.damaged_backup(id);
    world
        .deliver(id, &damaged, &dest)
        .expect_err("a damaged archive");
    let report = health(&world);
    let acme = of(&report, id);
    assert_eq!(
        acme.last_copy
            .as_ref()
            .map(|c| c.download.backup_id.as_str()),
        Some(second.as_str()),
        "the last good copy is the one with the alert"
    );
    assert_eq!(
        acme.alerts, alerted,
        "the newest good copy still shows a mass deletion: a damaged download after it must not hide it"
    );
    assert!(
        acme.level >= HealthLevel::Amber
            && acme
                .reasons
                .contains(&HealthReason::ChangeAlert { count: 1 }),
        "{:?} {:?}",
        acme.level,
        acme.reasons
    );
}

#[test]
fn an_unreachable_provider_is_judged_on_what_this_computer_knows() {
    let mut world = World::start();
    let short = BackupPolicy {
        cooldown: TimeDelta::days(7),
        download_window: TimeDelta::days(3),
        ..BackupPolicy::reference_default()
    };
    let id = world.add_account("beta", "Beta Labs", short);
    let seen = health(&world);
    assert_eq!(of(&seen, id).limit, TimeDelta::days(10));
    assert_eq!(of(&seen, id).unreachable, None);

    world.stop_provider();
    let before = world.desk.now();
    let report = world
        .run(world.desk.health())
        .expect("health answers without the provider");
    let beta = of(&report, id);
    assert!(
        beta.unreachable.is_some(),
        "the admin is told the provider did not answer"
    );
    assert_eq!(
        beta.limit,
        TimeDelta::days(10),
        "the account's own policy, as last seen, not a default"
    );
    assert!(
        beta.as_of >= before && beta.as_of <= world.desk.now(),
        "judged at this computer's clock"
    );
    assert_eq!(
        (beta.level, beta.reasons.as_slice()),
        (HealthLevel::Amber, &[HealthReason::NoVerifiedCopy][..])
    );
}
