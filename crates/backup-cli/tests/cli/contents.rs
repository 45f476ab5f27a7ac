//! What a downloaded backup holds, as the CLI shows it: exactly what the
//! provider put in the archive, the change alerts after a mass deletion
//! (warnings at download, listed by `backups show`), and a damaged archive
//! refused with exit 7 and set aside.

use std::collections::BTreeMap;
use std::process::Output;

use backup_domain::{ChangeAlert, ObjectCount};
use backup_provider::lifecycle::CompleteOptions;

use crate::world::World;

/// entry name → (object, records, uncompressed bytes).
type Manifest = BTreeMap<String, (String, u64, u64)>;

fn provider_manifest(world: &World, id: &str) -> Manifest {
    world
        .store()
        .manifest(id)
        .expect("manifest")
        .expect("a completed backup has a manifest")
        .into_iter()
        .map(|e| (e.name, (e.object, e.rows, e.uncompressed_bytes)))
        .collect()
}

fn shown_manifest(archive: &serde_json::Value) -> Manifest {
    archive["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["entry"].as_str().expect("entry").to_owned(),
                (
                    e["object"].as_str().expect("a CSV object").to_owned(),
                    e["rows"].as_u64().expect("rows"),
                    e["bytes"].as_u64().expect("bytes"),
                ),
            )
        })
        .collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `10,234`, as the CLI groups counts.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn requested_and_completed(world: &World, options: CompleteOptions) -> String {
    world.expect(&["backups", "request", "--yes"], None, 0);
    let mut done = world.complete_pending_with(options);
    assert_eq!(done.len(), 1, "one backup was pending");
    done.remove(0)
}

#[test]
fn backups_show_lists_exactly_what_the_provider_put_in_the_archive() {
    let world = World::start();
    world.set_up();
    let id = requested_and_completed(&world, CompleteOptions::default());
    let expected = provider_manifest(&world, &id);
    assert!(
        expected.len() > 1,
        "the sample account exports several objects: {expected:?}"
    );
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let download = world.expect(
        &[
            "--json",
            "backups",
            "download",
            &id,
            "--accept-terms",
            "--to",
            &to,
        ],
        None,
        0,
    );
    let saved = json(&download);
    assert_eq!(
        shown_manifest(&saved["archive"]),
        expected,
        "download --json reports the archive as checked"
    );
    assert_eq!(saved["archive"]["intact"], true);
    assert_eq!(
        saved["alerts"],
        serde_json::json!([]),
        "a first backup has no alert"
    );

    let shown = json(&world.expect(&["--json", "backups", "show", &id], None, 0));
    assert_eq!(
        shown_manifest(&shown["archive"]),
        expected,
        "every entry of the provider's archive, with its records and size, nothing else"
    );
    let records: u64 = expected.values().map(|(_, rows, _)| rows).sum();
    assert_eq!(shown["archive"]["records"], records);
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(
        shown["path"].as_str(),
        Some(World::zips(dest.path())[0].display().to_string().as_str()),
        "says where the copy is"
    );
    assert_eq!(shown["compared_with"], serde_json::Value::Null);

    let text = world.expect(&["backups", "show", &id], None, 0);
    for (object, rows, bytes) in expected.values() {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{object} ")))
            .unwrap_or_else(|| panic!("a line for {object}: {text}"));
        assert!(
            line.contains(&grouped(*rows))
                && line.contains(&grouped(*bytes))
                && line.ends_with("ok"),
            "{object}: its records, exact bytes and CRC: {line}"
        );
    }
    assert!(
        text.contains(&format!(
            "{} objects, {} records",
            expected.len(),
            grouped(records)
        )) && text.contains("intact"),
        "{text}"
    );
    let listed = world.expect(&["backups", "list"], None, 0);
    assert!(listed.contains("verified ✓ checked"), "{listed}");

    let missing = world.expect(&["backups", "show", "bk_not_here"], None, 1);
    assert!(
        missing.contains("was not downloaded and checked on this computer"),
        "the workflow's NotFound, exit 1: {missing}"
    );
}

#[test]
fn a_mass_deletion_warns_at_download_and_backups_show_lists_the_alerts() {
    let world = World::start();
    world.set_up();
    let first = requested_and_completed(&world, CompleteOptions::default());
    let dest = tempfile::tempdir().expect("dest");
    let out = world.download(&first, dest.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = provider_manifest(&world, &first);
    let records: u64 = before.values().map(|(_, rows, _)| rows).sum();
    assert!(
        stdout(&out).contains(&format!(
            "Archive checked: {} objects, {} records",
            before.len(),
            grouped(records)
        )),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("Checking the archive…"),
        "the progress says what the wait is for: {}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("warning:"),
        "nothing to compare the first backup with: {}",
        stderr(&out)
    );

    world.advance(28);
    let store = world.store();
    store
        .drop_records("acme", "contacts", 31)
        .expect("drop contacts");
    store
        .clear_records("acme", "tickets")
        .expect("clear tickets");
    let second = requested_and_completed(&world, CompleteOptions::default());
    let after = provider_manifest(&world, &second);
    let counts = |m: &Manifest| -> Vec<ObjectCount> {
        m.values()
            .map(|(object, rows, bytes)| ObjectCount {
                object: object.clone(),
                rows: *rows,
                bytes: *bytes,
            })
            .collect()
    };
    let expected: Vec<ChangeAlert> = backup_domain::compare(
        &counts(&before),
        &counts(&after),
        backup_domain::DEFAULT_DROP_ALERT_PERCENT,
    );
    let objects: Vec<&str> = expected.iter().map(|a| a.object.as_str()).collect();
    assert_eq!(
        objects,
        ["contacts", "tickets"],
        "the provider's data dropped as arranged"
    );

    let out = world.download(&second, dest.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "alerts are warnings: {}",
        stderr(&out)
    );
    let warnings: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .map(str::to_owned)
        .collect();
    let wanted: Vec<String> = expected
        .iter()
        .map(|a| format!("warning: {} since {first}", a.describe()))
        .collect();
    assert_eq!(warnings, wanted, "one warning per alert, on stderr");
    assert!(
        !stdout(&out).contains("warning:"),
        "warnings stay off stdout: {}",
        stdout(&out)
    );

    let shown = json(&world.expect(&["--json", "backups", "show", &second], None, 0));
    let alerts: Vec<(String, u64, Option<u64>)> = shown["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| {
            (
                a["object"].as_str().expect("object").to_owned(),
                a["before"].as_u64().expect("before"),
                a["after"].as_u64(),
            )
        })
        .collect();
    let wanted: Vec<(String, u64, Option<u64>)> = expected
        .iter()
        .map(|a| (a.object.clone(), a.before, a.after))
        .collect();
    assert_eq!(alerts, wanted);
    assert_eq!(shown["compared_with"], first.as_str());
    let text = world.expect(&["backups", "show", &second], None, 0);
    for alert in &expected {
        assert!(
            text.contains(&format!(
                "⚠ change alert: {} since {first}",
                alert.describe()
            )),
            "{text}"
        );
    }

    let listed = world.expect(&["backups", "list"], None, 0);
    let line = |id: &str| {
        listed
            .lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("{id} listed: {listed}"))
            .to_owned()
    };
    assert!(line(&second).contains("⚠ change alert"), "{listed}");
    assert!(!line(&first).contains("⚠ change alert"), "{listed}");

    let health = world.run(&["--json", "health"], None);
    assert_eq!(
        health.status.code(),
        Some(0),
        "amber is no failure: {}",
        stderr(&health)
    );
    let health = json(&stdout(&health));
    assert_eq!(health["accounts"][0]["level"], "amber");
    assert_eq!(
        health["accounts"][0]["alerts"].as_array().map(Vec::len),
        Some(expected.len())
    );
}

#[test]
fn a_damaged_archive_fails_the_download_with_exit_7_and_is_set_aside() {
    let world = World::start();
    world.set_up();
    let id = requested_and_completed(
        &world,
        CompleteOptions {
            pad_to: None,
            damaged: true,
        },
    );
    let dest = tempfile::tempdir().expect("dest");
    let out = world.download_latest(dest.path(), 7);
    assert!(
        out.contains(&format!("Backup {id} is damaged")),
        "says the backup is damaged, not just that something failed: {out}"
    );
    let files = World::zips(dest.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.ends_with(".damaged.zip"),
        "a damaged archive never keeps the name of a good backup: {name}"
    );
    assert!(out.contains(&name), "says where it was kept: {out}");

    let listed = world.expect(&["backups", "list"], None, 0);
    let line = listed.lines().find(|l| l.contains(&id)).expect("listed");
    assert!(
        line.contains("DAMAGED") && !line.contains("verified ✓ checked"),
        "{line}"
    );
    let shown = json(&world.expect(&["--json", "backups", "show", &id], None, 0));
    assert_eq!(shown["archive"]["intact"], false);
    assert!(
        shown["archive"]["problem"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "{shown}"
    );
    let text = world.expect(&["backups", "show", &id], None, 0);
    assert!(text.contains("DAMAGED: "), "{text}");
}

#[test]
fn backups_check_reads_the_copy_again_and_exits_7_once_it_rotted() {
    let world = World::start();
    world.set_up();
    let id = requested_and_completed(&world, CompleteOptions::default());
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    world.expect(
        &["backups", "download", &id, "--accept-terms", "--to", &to],
        None,
        0,
    );
    let fine = json(&world.expect(&["--json", "backups", "check", &id], None, 0));
    assert_eq!(
        fine["archive"]["intact"], true,
        "an untouched copy is intact"
    );
    let copy = World::zips(dest.path())[0].clone();
    let mut bytes = std::fs::read(&copy).expect("the copy");
    let data = 30
        + u16::from_le_bytes([bytes[26], bytes[27]]) as usize
        + u16::from_le_bytes([bytes[28], bytes[29]]) as usize;
    bytes[data + 8] ^= 0xff;
    std::fs::write(&copy, &bytes).expect("a byte rots on disk");
    let out = world.run(&["backups", "check", &id], None);
    assert_eq!(
        out.status.code(),
        Some(7),
        "a damaged copy fails for scripts: {out:?}"
    );
    assert!(
        stderr(&out).contains("damaged") && stderr(&out).contains(".damaged.zip"),
        "says it is damaged and where it was set aside: {}",
        stderr(&out)
    );
    assert!(
        !copy.exists(),
        "the damaged copy no longer has a good backup's name"
    );
    let unknown = world.run(&["backups", "check", "bk_nope"], None);
    assert_eq!(
        unknown.status.code(),
        Some(1),
        "no copy of that backup here"
    );
}
