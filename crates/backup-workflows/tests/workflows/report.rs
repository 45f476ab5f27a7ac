//! The audit report an auditor receives: exactly the audit log's events in
//! the range asked for, as CSV a spreadsheet reads back whole (quoted line
//! breaks included) or as an escaped HTML page, saved whole or not at all.

use std::time::Duration;

use backup_domain::BackupPolicy;
use backup_workflows::{Actor, AuditEntry, AuditEvent, ErrorKind, ReportFormat};
use chrono::{SubsecRound, TimeDelta};

use crate::world::World;

/// The records of a CSV report (header first), read by a real CSV reader.
fn records(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| {
            r.expect("the report is valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn kinds(entries: &[AuditEntry]) -> Vec<&'static str> {
    entries.iter().map(|e| e.event.kind()).collect()
}

#[test]
fn a_report_holds_exactly_the_audit_events_of_its_range() {
    let world = World::start();
    let id = world.set_up();
    let beta = world.add_account(
        "beta",
        "Beta <Labs> & Co",
        BackupPolicy::reference_default(),
    );
    let early = world
        .run(world.desk.request_backup(beta, Actor::Person))
        .expect("request");
    // The log keeps whole seconds: the cut falls between two of them.
    std::thread::sleep(Duration::from_millis(1100));
    let cut = world.desk.now().trunc_subsecs(0);
    let backup = world.ready_backup(id);
    let saved = world
        .deliver(id, &backup, &world.folder("dest"))
        .expect("delivered");
    let reason = "The server closed the connection.\nTry again, \"later\".";
    world
        .desk
        .state()
        .audit(
            Some(id),
            "Olivia",
            &AuditEvent::DownloadFailed {
                backup_id: backup.clone(),
                reason: reason.into(),
            },
            world.desk.now(),
        )
        .expect("a failure with a line break");
    let all = world.desk.audit_log(None).expect("audit log");
    let start = all[0].at;
    let end = world.desk.now() + TimeDelta::seconds(1);

    let none = world
        .desk
        .audit_report(start - TimeDelta::hours(1), start)
        .expect("report");
    assert!(
        none.rows.is_empty(),
        "nothing before the first event (the end is excluded)"
    );
    assert_eq!(records(&none.to_csv()).len(), 1, "the header alone");

    let whole = world.desk.audit_report(start, end).expect("report");
    let kinds_all = kinds(&all);
    assert_eq!(
        whole.rows.iter().map(|r| r.event).collect::<Vec<_>>(),
        kinds_all,
        "a report covering everything holds every audit event, in order"
    );
    let csv = whole.to_csv();
    let table = records(&csv);
    assert_eq!(
        table.len(),
        all.len() + 1,
        "one CSV record per event, plus the header"
    );
    assert!(
        csv.lines().count() > table.len(),
        "a reason with a line break is in the report, or the quoting is not exercised"
    );
    assert_eq!(table[0][4], "event");
    assert_eq!(
        table[1..].iter().map(|r| r[4].as_str()).collect::<Vec<_>>(),
        kinds_all,
        "the CSV's events are the audit log's, in order"
    );
    assert!(
        table
            .iter()
            .any(|r| r[4] == "download_failed" && r[10] == reason),
        "a reason spanning lines reads back whole"
    );
    assert!(
        table
            .iter()
            .any(|r| r[5] == early.id && r[1] == "Beta <Labs> & Co" && r[2] == "beta"),
        "each event names its account as the provider does"
    );
    assert!(
        table
            .iter()
            .any(|r| r[4] == "download_verified" && r[7] == saved.sha256),
        "the auditor finds each download's checksum"
    );

    let before = world.desk.audit_report(start, cut).expect("report");
    let after = world.desk.audit_report(cut, end).expect("report");
    let split = all.iter().filter(|e| e.at < cut).count();
    assert!(
        0 < split && split < all.len(),
        "the cut must fall inside the log for this test to mean anything"
    );
    assert_eq!(
        before.rows.iter().map(|r| r.event).collect::<Vec<_>>(),
        kinds_all[..split],
        "a range holds the events before its end only"
    );
    assert_eq!(
        after.rows.iter().map(|r| r.event).collect::<Vec<_>>(),
        kinds_all[split..],
        "and those from its start on"
    );

    let html = whole.to_html();
    for named in [&early.id, &backup] {
        assert!(
            html.contains(named.as_str()),
            "the page names backup {named}"
        );
    }
    assert!(
        html.contains("Beta &lt;Labs&gt; &amp; Co") && !html.contains("<Labs>"),
        "a name from the provider is text, never markup, on the auditor's page"
    );
    assert_eq!(
        html.matches("<tr>").count(),
        all.len() + 1,
        "one table row per event, plus the header"
    );

    let reversed = world
        .desk
        .audit_report(end, start)
        .expect_err("an end before the start");
    assert_eq!(reversed.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_saved_report_is_written_whole_with_no_temporary_file_left() {
    let world = World::start();
    let id = world.set_up();
    world
        .run(world.desk.request_backup(id, Actor::Person))
        .expect("request");
    let start = world.desk.audit_log(None).expect("audit")[0].at;
    let end = world.desk.now() + TimeDelta::seconds(1);
    let dir = world.folder("reports");
    let csv_path = dir.join("audit.csv");
    std::fs::write(
        &csv_path,
        "an older report, longer than the new one ".repeat(100),
    )
    .expect("an older file");
    let saved = world
        .desk
        .save_audit_report(start, end, ReportFormat::Csv, &csv_path)
        .expect("saved");
    assert_eq!(saved, csv_path);
    assert_eq!(
        std::fs::read_to_string(&csv_path).expect("the report"),
        world
            .desk
            .audit_report(start, end)
            .expect("report")
            .to_csv(),
        "the file is the report, replacing the older one whole"
    );
    let html_path = dir.join("audit.html");
    world
        .desk
        .save_audit_report(start, end, ReportFormat::Html, &html_path)
        .expect("saved");
    assert!(
        std::fs::read_to_string(&html_path)
            .expect("the page")
            .starts_with("<!doctype html>")
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["audit.csv", "audit.html"],
        "no temporary file is left beside a saved report"
    );
    let refused = world
        .desk
        .save_audit_report(
            start,
            end,
            ReportFormat::Csv,
            &dir.join("missing").join("audit.csv"),
        )
        .expect_err("a folder that does not exist");
    assert_eq!(refused.kind(), ErrorKind::Disk, "{refused}");
}
