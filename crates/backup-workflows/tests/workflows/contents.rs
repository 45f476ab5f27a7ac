//! What is inside a delivered backup, against the provider's real archives:
//! the manifest recorded is the one the provider wrote (multi-line CSV
//! records counted once), a damaged archive is set aside and never taken
//! for a good backup, and a sharp drop or a missing object is an alert.

use std::io::Read;
use std::path::Path;

use backup_workflows::{
    AuditEvent, AutomaticOptions, ChangeRecord, Contents, DeskEvent, Error, ErrorKind, HealthReason,
};

use crate::world::{World, published, recorder};

/// (entry, object, rows, bytes) of each entry, in the archive's order.
type Listing = Vec<(String, Option<String>, Option<u64>, u64)>;

fn recorded(contents: &Contents) -> Listing {
    contents
        .archive
        .entries
        .iter()
        .map(|e| (e.entry.clone(), e.object.clone(), e.rows, e.bytes))
        .collect()
}

/// What the provider says it wrote into the archive of `backup_id`.
fn written(world: &World, backup_id: &str) -> Listing {
    world
        .store()
        .manifest(backup_id)
        .expect("the provider's manifest")
        .expect("a ready backup has a manifest")
        .into_iter()
        .map(|e| (e.name, Some(e.object), Some(e.rows), e.uncompressed_bytes))
        .collect()
}

fn rows(listing: &Listing, object: &str) -> Option<u64> {
    listing
        .iter()
        .find(|e| e.1.as_deref() == Some(object))
        .and_then(|e| e.2)
}

fn entry_text(zip_path: &str, entry: &str) -> String {
    let file = std::fs::File::open(zip_path).expect("the downloaded archive");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut text = String::new();
    archive
        .by_name(entry)
        .expect("the entry")
        .read_to_string(&mut text)
        .expect("UTF-8 CSV");
    text
}

fn alerts_audited(world: &World, account: i64, backup_id: &str) -> Vec<ChangeRecord> {
    world
        .desk
        .audit_log(Some(account))
        .expect("audit log")
        .into_iter()
        .filter_map(|e| match e.event {
            AuditEvent::ChangeAlert {
                backup_id,
                previous_backup_id,
                object,
                before,
                after,
            } => Some(ChangeRecord {
                backup_id,
                previous_backup_id,
                object,
                before,
                after,
            }),
            _ => None,
        })
        .filter(|a| a.backup_id == backup_id)
        .collect()
}

fn alert_events(events: &[DeskEvent]) -> Vec<(String, Vec<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            DeskEvent::ChangeAlert {
                backup_id, alerts, ..
            } => Some((backup_id.clone(), alerts.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_manifest_recorded_is_what_the_provider_wrote_with_multi_line_records_counted_once() {
    let world = World::start();
    let id = world.set_up();
    let backup = world.ready_backup(id);
    let saved = world
        .deliver(id, &backup, &world.folder("dest"))
        .expect("delivered");
    let contents = world
        .desk
        .backup_contents(id, &backup)
        .expect("a delivered backup's contents are known");
    assert!(
        contents.archive.intact && contents.archive.problem.is_none(),
        "a good archive must be reported intact, or the admin distrusts every backup: {:?}",
        contents.archive.problem
    );
    assert!(
        contents.archive.entries.iter().all(|e| e.crc_ok),
        "every entry of a good archive passes its CRC"
    );
    let written = written(&world, &backup);
    assert_eq!(
        recorded(&contents),
        written,
        "the admin's record of what a backup holds must be exactly what the provider exported"
    );
    assert_eq!(rows(&written, "calls"), None, "an empty object has no file");

    let tickets = written
        .iter()
        .find(|e| e.1.as_deref() == Some("tickets"))
        .expect("tickets are exported");
    let csv = entry_text(&saved.path, &tickets.0);
    let lines = csv.lines().count() as u64;
    let records = tickets.2.expect("ticket rows");
    assert!(
        records + 1 < lines,
        "the sample must hold tickets with quoted line breaks ({records} records, {lines} lines), or this test proves nothing about them"
    );

    assert_eq!(
        contents.path.as_deref(),
        Some(Path::new(&saved.path)),
        "the admin is shown where the copy is"
    );
    assert!(contents.alerts.is_empty() && contents.compared_with.is_none());
    let total: u64 = written.iter().filter_map(|e| e.2).sum();
    let checked: Vec<AuditEvent> = world
        .desk
        .audit_log(Some(id))
        .expect("audit log")
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.kind() == "archive_checked")
        .collect();
    assert_eq!(
        checked,
        [AuditEvent::ArchiveChecked {
            backup_id: backup.clone(),
            intact: true,
            problem: None,
            rows: total,
        }],
        "an auditor sees the check once, with the records it counted"
    );
}

#[test]
fn a_damaged_archive_is_set_aside_announced_audited_and_never_compared_with() {
    let world = World::start();
    let id = world.set_up();
    let dest = world.folder("dest");
    let first = world.ready_backup(id);
    world.deliver(id, &first, &dest).expect("the first is good");

    world.advance(28);
    let damaged = world.damaged_backup(id);
    let original_name = world
        .run(world.desk.history(id))
        .expect("history")
        .page
        .backups
        .iter()
        .find(|b| b.id == damaged)
        .expect("listed")
        .local_file_name();
    let mut news = world.desk.subscribe();
    let error = world
        .deliver(id, &damaged, &dest)
        .expect_err("a damaged archive is not a good delivery, even with a matching checksum");
    assert_eq!(error.kind(), ErrorKind::ArchiveDamaged, "{error}");
    let Error::ArchiveDamaged {
        backup_id,
        problem,
        path,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(backup_id, &damaged);
    assert!(!problem.is_empty(), "the admin is told what is wrong");
    assert!(
        path.is_file()
            && path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".damaged.zip")),
        "the damaged file is kept as evidence, under a name that says so: {}",
        path.display()
    );
    assert!(
        !dest.join(&original_name).exists(),
        "no file may keep the name of a good backup of {damaged}"
    );
    let events = published(&mut news);
    assert!(
        matches!(
            events.as_slice(),
            [DeskEvent::ArchiveDamaged { backup_id, path: told, .. }]
                if *backup_id == damaged && told == path
        ),
        "the app is told of the damage (and never that the download was verified): {events:?}"
    );
    assert!(
        world
            .desk
            .audit_log(Some(id))
            .expect("audit")
            .iter()
            .any(|e| matches!(
                &e.event,
                AuditEvent::ArchiveChecked { backup_id, intact: false, problem: Some(_), .. }
                    if *backup_id == damaged
            )),
        "the auditor sees the damaged check"
    );
    let known = world.desk.damaged_backups(id).expect("damaged");
    assert!(known.contains(&damaged) && !known.contains(&first));
    let history = world.run(world.desk.history(id)).expect("history");
    assert!(
        history.archives.contains(&(damaged.clone(), false))
            && history.archives.contains(&(first.clone(), true)),
        "the history shows which copy is damaged: {:?}",
        history.archives
    );
    assert_eq!(
        world.desk.verified_copy(id, &damaged).expect("copy"),
        None,
        "a damaged file is no copy worth keeping instead of a new download"
    );
    let contents = world.desk.backup_contents(id, &damaged).expect("contents");
    assert!(!contents.archive.intact);
    assert_eq!(contents.path.as_deref(), Some(path.as_path()));
    let health = world.run(world.desk.health()).expect("health");
    assert_eq!(
        health.accounts[0]
            .last_copy
            .as_ref()
            .map(|c| c.download.backup_id.as_str()),
        Some(first.as_str()),
        "a damaged archive is not the account's last good copy"
    );

    // A good backup later, fetched by the automatic pass that keeps one.
    world.advance(28);
    let options = AutomaticOptions {
        keep: Some(1),
        folder: Some(dest.clone()),
        accept_terms: true,
        ..AutomaticOptions::default()
    };
    let lock = world.desk.automatic_lock().expect("lock");
    let (sink, _) = recorder();
    let requesting = world
        .run(world.desk.automatic_pass(&lock, &options, sink.clone()))
        .expect("pass");
    let third = requesting.accounts[0]
        .requested
        .clone()
        .expect("28 days later the pass requests");
    world.complete(&third);
    let fetching = world
        .run(world.desk.automatic_pass(&lock, &options, sink))
        .expect("pass");
    assert!(
        fetching.first_error().is_none(),
        "{:?}",
        fetching.first_error()
    );
    let downloaded: Vec<&str> = fetching.accounts[0]
        .downloaded
        .iter()
        .map(|d| d.backup_id.as_str())
        .collect();
    assert_eq!(
        downloaded,
        [third.as_str()],
        "the good backup is fetched, the damaged one not retried"
    );
    let contents = world.desk.backup_contents(id, &third).expect("contents");
    assert!(contents.archive.intact);
    assert_eq!(
        contents.compared_with.as_deref(),
        Some(first.as_str()),
        "a new backup is compared with the last intact one, never with a damaged archive"
    );
    assert!(contents.alerts.is_empty(), "{:?}", contents.alerts);
    assert_eq!(
        fetching.accounts[0].removed.len(),
        1,
        "keep 1: the older good copy goes"
    );
    assert!(
        path.is_file(),
        "rotation never deletes a damaged archive: it is the evidence for the provider"
    );
}

#[test]
fn a_sharp_drop_or_a_missing_object_is_an_alert_and_the_threshold_is_the_accounts() {
    let world = World::start();
    let id = world.set_up();
    let dest = world.folder("dest");
    let store = world.store();
    let first = world.ready_backup(id);
    world.deliver(id, &first, &dest).expect("first");

    store.drop_records("acme", "contacts", 31).expect("drop");
    store.clear_records("acme", "tickets").expect("clear");
    world.advance(28);
    let second = world.ready_backup(id);
    let mut news = world.desk.subscribe();
    world.deliver(id, &second, &dest).expect("second");
    let (was, now) = (written(&world, &first), written(&world, &second));
    let before = rows(&was, "contacts").expect("contacts before");
    let after = rows(&now, "contacts").expect("contacts after");
    assert!(
        before.saturating_sub(after) * 100 >= 10 * before
            && before.saturating_sub(after) * 100 < 50 * before,
        "the provider's drop ({before} → {after}) must cross 10% and not 50% for this test to mean anything"
    );
    assert_eq!(rows(&now, "tickets"), None, "tickets are gone");
    let expected = vec![
        ChangeRecord {
            backup_id: second.clone(),
            previous_backup_id: first.clone(),
            object: "contacts".into(),
            before,
            after: Some(after),
        },
        ChangeRecord {
            backup_id: second.clone(),
            previous_backup_id: first.clone(),
            object: "tickets".into(),
            before: rows(&was, "tickets").expect("tickets before"),
            after: None,
        },
    ];
    let contents = world.desk.backup_contents(id, &second).expect("contents");
    assert_eq!(
        contents.alerts, expected,
        "a mass deletion and a vanished object are what the admin must hear of"
    );
    assert_eq!(contents.compared_with.as_deref(), Some(first.as_str()));
    assert_eq!(
        alerts_audited(&world, id, &second),
        expected,
        "an auditor sees each alert"
    );
    let events = published(&mut news);
    let told = alert_events(&events);
    assert!(
        matches!(told.as_slice(), [(backup, alerts)]
            if *backup == second
                && alerts.len() == 2
                && alerts[0].starts_with("contacts")
                && alerts[1].starts_with("tickets")),
        "the app is told of both alerts at once: {events:?}"
    );
    let health = world.run(world.desk.health()).expect("health");
    assert!(
        health.accounts[0]
            .reasons
            .contains(&HealthReason::ChangeAlert { count: 2 })
            && health.worst() >= backup_workflows::HealthLevel::Amber,
        "an account with change alerts is at least amber: {:?}",
        health.accounts[0].reasons
    );

    // The account lives on: normal growth is no alert.
    world.advance(28);
    let third = world.ready_backup(id);
    world.deliver(id, &third, &dest).expect("third");
    let contents = world.desk.backup_contents(id, &third).expect("contents");
    assert!(
        contents.alerts.is_empty(),
        "growth is never an alert: {:?}",
        contents.alerts
    );
    assert_eq!(contents.compared_with.as_deref(), Some(second.as_str()));
    assert!(alert_events(&published(&mut news)).is_empty());
    let health = world.run(world.desk.health()).expect("health");
    assert_eq!(
        health.worst(),
        backup_workflows::HealthLevel::Green,
        "the alert belongs to the backup that had it: {:?}",
        health.accounts[0].reasons
    );

    // A threshold of 50%: a smaller drop is quiet, a missing object is not.
    world
        .desk
        .preferences()
        .save_drop_alert(id, 50)
        .expect("threshold");
    store.drop_records("acme", "contacts", 31).expect("drop");
    store.clear_records("acme", "products").expect("clear");
    world.advance(28);
    let fourth = world.ready_backup(id);
    world.deliver(id, &fourth, &dest).expect("fourth");
    let (was, now) = (written(&world, &third), written(&world, &fourth));
    let before = rows(&was, "contacts").expect("contacts before");
    let after = rows(&now, "contacts").expect("contacts after");
    assert!(
        before.saturating_sub(after) * 100 >= 10 * before,
        "the drop ({before} → {after}) would alert at the default 10%: the threshold is what silences it"
    );
    let contents = world.desk.backup_contents(id, &fourth).expect("contents");
    assert_eq!(
        contents.alerts,
        [ChangeRecord {
            backup_id: fourth.clone(),
            previous_backup_id: third.clone(),
            object: "products".into(),
            before: rows(&was, "products").expect("products before"),
            after: None,
        }],
        "the admin's threshold silences a smaller drop, never a vanished object"
    );
}

#[test]
fn a_copy_checked_again_that_turns_out_damaged_is_set_aside_and_announced() {
    let world = World::start();
    let account = world.set_up();
    let folder = world.folder("recheck");
    let backup = world.ready_backup(account);
    let saved = world
        .deliver(account, &backup, &folder)
        .expect("a good download");
    let again = world
        .run(world.desk.check_backup(
            account,
            &backup,
            backup_workflows::Actor::Person,
            recorder().0,
        ))
        .expect("checked again");
    assert!(again.archive.intact, "an untouched copy is still intact");
    // The disk rots a byte in the first entry's data (bit rot, a bad sector).
    let mut bytes = std::fs::read(&saved.path).expect("the copy");
    let first_data = 30
        + u16::from_le_bytes([bytes[26], bytes[27]]) as usize
        + u16::from_le_bytes([bytes[28], bytes[29]]) as usize;
    bytes[first_data + 8] ^= 0xff;
    std::fs::write(&saved.path, &bytes).expect("rot");
    let mut news = world.desk.subscribe();
    let found = world
        .run(world.desk.check_backup(
            account,
            &backup,
            backup_workflows::Actor::Person,
            recorder().0,
        ))
        .expect("checked again");
    assert!(!found.archive.intact, "the rotten copy is found damaged");
    assert!(
        !Path::new(&saved.path).exists(),
        "a damaged copy no longer keeps a good backup's name"
    );
    let aside = found
        .path
        .expect("the copy is still known, where it was set aside");
    assert!(
        aside.to_string_lossy().ends_with(".damaged.zip"),
        "{}",
        aside.display()
    );
    assert!(
        world
            .desk
            .damaged_backups(account)
            .expect("damaged")
            .contains(&backup)
    );
    assert!(
        published(&mut news).iter().any(
            |e| matches!(e, DeskEvent::ArchiveDamaged { backup_id, .. } if *backup_id == backup)
        ),
        "the person is told"
    );
    let twice = world
        .run(world.desk.check_backup(
            account,
            &backup,
            backup_workflows::Actor::Person,
            recorder().0,
        ))
        .expect("checked a third time");
    assert_eq!(
        twice.path,
        Some(aside),
        "a copy set aside is not renamed again"
    );
}
