//! Completing backups against a real store: each archive sees the account's
//! activity, operator deletions show in the next archive, and a damaged
//! archive is published with the broken file's hash. Expected counts come
//! from the manifests and `sample::activity`, never from fixed numbers.
use std::collections::BTreeMap;

use backup_domain::{BackupPolicy, Role};
use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::archive::tests::read_back;
use crate::sample;
use crate::store::{Account, Person, RequestOutcome};

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    account: Account,
    person: Person,
    requests: std::cell::Cell<i64>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let account = Account {
            id: "acme".into(),
            name: "Acme".into(),
            policy: BackupPolicy::reference_default(),
        };
        let person = Person {
            id: "olivia".into(),
            name: "Olivia".into(),
            email: "olivia@example.com".into(),
        };
        store
            .create_account(&account, DateTime::UNIX_EPOCH)
            .expect("account");
        store.add_person(&person).expect("person");
        store.grant("acme", "olivia", Role::Owner).expect("grant");
        Fixture {
            dir,
            store,
            account,
            person,
            requests: std::cell::Cell::new(0),
        }
    }

    fn archives(&self) -> std::path::PathBuf {
        self.dir.path().join("archives")
    }

    /// A new backup, released: each request is a cooldown after the last.
    fn in_progress(&self) -> String {
        let n = self.requests.get() + 1;
        self.requests.set(n);
        let at: DateTime<Utc> = DateTime::UNIX_EPOCH + TimeDelta::days(60 * n);
        let outcome = self
            .store
            .request_backup(
                &self.account,
                &self.person,
                Role::Owner,
                &format!("k{n}"),
                at,
            )
            .expect("request");
        let RequestOutcome::Created(row) = outcome else {
            panic!("the gate refused: {outcome:?}");
        };
        release(&self.store, &row.id).expect("release");
        row.id
    }

    /// Completes a new backup; returns its row and its manifest's rows per object.
    fn completed(&self, options: CompleteOptions) -> (BackupRow, BTreeMap<String, u64>) {
        let id = self.in_progress();
        let row = complete_with(&self.store, &self.archives(), &id, options).expect("complete");
        (row, self.counts(&id))
    }

    fn counts(&self, id: &str) -> BTreeMap<String, u64> {
        self.store
            .manifest(id)
            .expect("read")
            .expect("a ready backup has a manifest")
            .into_iter()
            .map(|e| (e.object, e.rows))
            .collect()
    }

    fn path_of(&self, row: &BackupRow) -> std::path::PathBuf {
        self.archives().join(archive::remote_path(
            &row.account_id,
            row.file_name.as_deref().expect("a file name"),
        ))
    }

    fn record_counts(&self) -> BTreeMap<String, u64> {
        self.store
            .records("acme")
            .expect("records")
            .into_iter()
            .map(|(object, rows)| (object, rows.len() as u64))
            .collect()
    }
}

#[test]
fn each_archive_sees_a_little_activity_and_no_two_in_a_row_hold_the_same_counts() {
    let fx = Fixture::new();
    let seeded = fx.record_counts();
    let (first_row, first) = fx.completed(CompleteOptions::default());
    let (_, second) = fx.completed(CompleteOptions::default());
    for (round, (before, after)) in [(&seeded, &first), (&first, &second)]
        .into_iter()
        .enumerate()
    {
        for (object, added) in sample::activity(round as u64) {
            assert!((1..=6).contains(&added));
            assert_eq!(
                after[object],
                before[object] + added as u64,
                "archive {round}: {object} grew by the activity"
            );
        }
    }
    for (object, _) in sample::activity(0) {
        assert_ne!(
            first[object] - seeded[object],
            second[object] - first[object],
            "{object}: consecutive archives do not grow alike"
        );
    }
    assert_eq!(
        first["tickets"], seeded["tickets"],
        "tickets see no activity"
    );
    let on_disk: BTreeMap<String, u64> = read_back(&fx.path_of(&first_row))
        .into_iter()
        .map(|e| {
            let rows = e.read.expect("readable").0;
            (e.name.trim_end_matches(".csv").to_owned(), rows)
        })
        .collect();
    assert_eq!(on_disk, first, "the stored manifest is what the file holds");
}

#[test]
fn a_dropped_share_and_a_cleared_object_show_in_the_next_archive() {
    let fx = Fixture::new();
    let (_, first) = fx.completed(CompleteOptions::default());
    let dropped = fx.store.drop_records("acme", "contacts", 31).expect("drop");
    assert_eq!(dropped.before, first["contacts"]);
    let expected_loss = (first["contacts"] * 31 + 50) / 100;
    assert_eq!(
        dropped.after,
        dropped.before - expected_loss,
        "31%, rounded"
    );
    let (_, second) = fx.completed(CompleteOptions::default());
    let [(_, new_contacts), ..] = sample::activity(1);
    assert_eq!(second["contacts"], dropped.after + new_contacts as u64);
    assert!(
        (second["contacts"] as f64) < first["contacts"] as f64 * 0.9,
        "a drop the app must warn about (≥10%): {first:?} → {second:?}"
    );

    let cleared = fx.store.clear_records("acme", "tickets").expect("clear");
    assert_eq!((cleared.before, cleared.after), (second["tickets"], 0));
    let (third_row, third) = fx.completed(CompleteOptions::default());
    assert_eq!(
        third.get("tickets"),
        None,
        "no entry for tickets: {third:?}"
    );
    assert!(
        read_back(&fx.path_of(&third_row))
            .iter()
            .all(|e| e.name != "tickets.csv"),
        "no tickets.csv in the archive"
    );

    let ids: Vec<String> = fx
        .store
        .records("acme")
        .expect("records")
        .into_iter()
        .filter(|(object, _)| object == "contacts")
        .flat_map(|(_, rows)| rows)
        .map(|row| row.split(',').next().unwrap_or_default().to_owned())
        .collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "contacts added after a deletion get new ids"
    );
}

#[test]
fn record_actions_refuse_unknown_objects_accounts_and_shares() {
    let fx = Fixture::new();
    let before = fx.record_counts();
    let err = fx
        .store
        .drop_records("acme", "leads", 10)
        .expect_err("no such object");
    assert!(
        matches!(&err, ProviderError::Invalid(m) if m.contains("\"leads\"") && m.contains("contacts, deals")),
        "the error names the objects that exist: {err}"
    );
    assert!(matches!(
        fx.store.clear_records("acme", "Contacts"),
        Err(ProviderError::Invalid(_))
    ));
    assert!(matches!(
        fx.store.clear_records("nobody", "contacts"),
        Err(ProviderError::NotFound(_))
    ));
    assert!(matches!(
        fx.store.drop_records("acme", "contacts", 101),
        Err(ProviderError::Invalid(_))
    ));
    assert_eq!(
        fx.record_counts(),
        before,
        "a refused action changes nothing"
    );
}

#[test]
fn a_damaged_completion_publishes_an_archive_whose_first_entry_fails() {
    let fx = Fixture::new();
    let (row, counts) = fx.completed(CompleteOptions {
        pad_to: None,
        damaged: true,
    });
    let path = fx.path_of(&row);
    let (size, sha256) = archive::hash_file(&path).expect("hash");
    assert_eq!(
        row.sha256.as_deref(),
        Some(sha256.as_str()),
        "the hash of the broken file"
    );
    assert_eq!(row.size_bytes, Some(size as i64));
    let entries = read_back(&path);
    assert!(entries[0].read.is_err(), "{:?}", entries[0]);
    assert!(entries[1..].iter().all(|e| e.read.is_ok()), "{entries:?}");
    assert_eq!(
        entries.len(),
        counts.len(),
        "the manifest lists every entry"
    );
}

#[test]
fn a_backup_has_a_manifest_only_once_ready() {
    let fx = Fixture::new();
    let id = fx.in_progress();
    assert_eq!(fx.store.manifest(&id).expect("read"), None);
    assert!(matches!(
        fx.store.manifest("bk_missing"),
        Err(ProviderError::NotFound(_))
    ));
    complete(&fx.store, &fx.archives(), &id, None).expect("complete");
    assert!(fx.store.manifest(&id).expect("read").is_some());
}
