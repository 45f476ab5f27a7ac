//! Archive checks, manifests and change alerts on a real SQLite file.

use backup_domain::Role;
use backup_state::{
    AccountRecord, ArchiveRecord, AuditEvent, ChangeRecord, DownloadRecord, LocalState,
    ManifestEntry,
};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

const NOW: DateTime<Utc> = NaiveDate::from_ymd_opt(2026, 11, 21)
    .expect("a date")
    .and_hms_opt(10, 0, 0)
    .expect("a time")
    .and_utc();

fn setup() -> (tempfile::TempDir, LocalState, i64) {
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    let id = state
        .upsert_account(
            &AccountRecord {
                id: 0,
                provider_url: "https://backups.example.com".into(),
                account_id: "acme".into(),
                display_name: "Acme".into(),
                role: Some(Role::Owner),
                person_name: "Olivia".into(),
            },
            NOW,
        )
        .expect("account");
    (dir, state, id)
}

fn download(account: i64, backup_id: &str) -> DownloadRecord {
    DownloadRecord {
        account,
        backup_id: backup_id.into(),
        path: format!("/b/{backup_id}.zip"),
        size_bytes: 10,
        sha256: "ab".repeat(32),
        verified_at: NOW,
    }
}

fn entry(object: &str, rows: u64) -> ManifestEntry {
    ManifestEntry {
        entry: format!("{object}.csv"),
        object: Some(object.into()),
        rows: Some(rows),
        bytes: rows * 40,
        crc_ok: true,
    }
}

fn archive(
    account: i64,
    backup_id: &str,
    days_ago: i64,
    entries: Vec<ManifestEntry>,
) -> ArchiveRecord {
    ArchiveRecord {
        account,
        backup_id: backup_id.into(),
        backup_at: NOW - TimeDelta::days(days_ago),
        checked_at: NOW,
        intact: entries.iter().all(|e| e.crc_ok),
        problem: None,
        entries,
    }
}

#[test]
fn a_delivered_backup_keeps_its_manifest_alerts_and_audit_trail_in_order() {
    let (_dir, state, id) = setup();
    let old = archive(
        id,
        "bk_1",
        20,
        vec![entry("contacts", 100), entry("tickets", 8)],
    );
    state
        .record_delivered(&download(id, "bk_1"), &old, &[], "Olivia")
        .expect("first");
    let new = archive(id, "bk_2", 10, vec![entry("contacts", 69)]);
    let alerts = vec![
        ChangeRecord {
            backup_id: "bk_2".into(),
            previous_backup_id: "bk_1".into(),
            object: "contacts".into(),
            before: 100,
            after: Some(69),
        },
        ChangeRecord {
            backup_id: "bk_2".into(),
            previous_backup_id: "bk_1".into(),
            object: "tickets".into(),
            before: 8,
            after: None,
        },
    ];
    state
        .record_delivered(&download(id, "bk_2"), &new, &alerts, "Olivia")
        .expect("second");
    assert_eq!(
        state.archive(id, "bk_1").expect("read"),
        Some(old.clone()),
        "the manifest reads back as written"
    );
    assert_eq!(
        state.archive(id, "bk_2").expect("read").map(|a| a.rows()),
        Some(69)
    );
    assert_eq!(
        state.change_alerts(id, Some("bk_2")).expect("alerts"),
        alerts
    );
    assert!(
        state
            .change_alerts(id, Some("bk_1"))
            .expect("alerts")
            .is_empty()
    );
    assert_eq!(
        state
            .previous_intact(id, NOW - TimeDelta::days(10), "bk_2")
            .expect("previous")
            .map(|a| a.backup_id),
        Some("bk_1".into()),
        "a backup is compared with the newest intact one made before it"
    );
    assert_eq!(
        state
            .previous_intact(id, NOW - TimeDelta::days(30), "bk_9")
            .expect("none"),
        None
    );
    let kinds: Vec<&str> = state
        .audit_log(Some(id))
        .expect("log")
        .iter()
        .map(|e| e.event.kind())
        .collect();
    assert_eq!(
        kinds[3..],
        [
            "download_verified",
            "archive_checked",
            "change_alert",
            "change_alert",
            "download_finished"
        ],
        "the audit log says what the check found, between verified and finished"
    );
    assert_eq!(
        state.archive_verdicts(id).expect("verdicts"),
        vec![("bk_2".to_owned(), true), ("bk_1".to_owned(), true)]
    );
}

#[test]
fn a_damaged_archive_is_never_the_previous_one_and_a_recheck_replaces_the_findings() {
    let (_dir, state, id) = setup();
    let mut broken = archive(id, "bk_1", 5, vec![entry("contacts", 10)]);
    broken.entries[0].crc_ok = false;
    broken.intact = false;
    broken.problem = Some("contacts.csv: invalid checksum".into());
    state
        .record_delivered(&download(id, "bk_1"), &broken, &[], "auto")
        .expect("damaged");
    assert_eq!(
        state.previous_intact(id, NOW, "bk_2").expect("none"),
        None,
        "a damaged archive is no baseline"
    );
    let log = state.audit_log(Some(id)).expect("log");
    assert!(log.iter().any(|e| matches!(&e.event,
        AuditEvent::ArchiveChecked { intact: false, problem: Some(p), .. } if p.contains("checksum"))));
    let fixed = archive(
        id,
        "bk_1",
        5,
        vec![entry("contacts", 10), entry("deals", 3)],
    );
    state
        .record_delivered(&download(id, "bk_1"), &fixed, &[], "Olivia")
        .expect("downloaded again");
    assert_eq!(
        state.archive(id, "bk_1").expect("read"),
        Some(fixed),
        "the newest check replaces the old findings"
    );
    state.remove_account(id).expect("remove");
    assert_eq!(
        state.archive(id, "bk_1").expect("read"),
        None,
        "removing the account removes its findings"
    );
}
