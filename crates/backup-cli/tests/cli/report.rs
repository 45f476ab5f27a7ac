//! `backup-desk report`: exactly the audit log's events of the days asked
//! for, as CSV or escaped HTML, on stdout or saved to a file; a range or a
//! format that makes no sense is a usage error.

use backup_state::{AuditEvent, LocalState};
use chrono::{DateTime, NaiveDate, Utc};

use crate::world::World;

/// One audit event as both outputs can show it: (minute, actor, kind, backup id).
type Event = (String, String, String, String);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a time")
        .with_timezone(&Utc)
}

/// Records of an RFC 4180 text (quoted fields may hold commas, quotes, line breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "every record ends with a line break"
    );
    records
}

/// The events of a CSV report, after checking its header.
fn csv_events(text: &str) -> Vec<Event> {
    let records = csv_records(text);
    let header = &records[0];
    assert_eq!(
        header[..6],
        [
            "time_utc",
            "account",
            "account_id",
            "actor",
            "event",
            "backup_id"
        ],
        "{text}"
    );
    records[1..]
        .iter()
        .map(|r| {
            let minute = format!("{} UTC", r[0][..16].replace('T', " "));
            (minute, r[3].clone(), r[4].clone(), r[5].clone())
        })
        .collect()
}

/// `audit --all --json`'s events whose day is in `from..=to`.
fn audited(world: &World, from: NaiveDate, to: NaiveDate) -> Vec<Event> {
    world
        .expect(&["--json", "audit", "--all"], None, 0)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .filter(|e| {
            let day = NaiveDate::parse_from_str(&e["at"].as_str().expect("at")[..10], "%Y-%m-%d")
                .expect("a day");
            from <= day && day <= to
        })
        .map(|e| {
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&e["at"]),
                text(&e["actor"]),
                text(&e["event"]["event"]),
                text(&e["event"]["backup_id"]),
            )
        })
        .collect()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a day")
}

fn report(world: &World, from: &str, to: &str, format: &str) -> String {
    let out = world.run(
        &["report", "--from", from, "--to", to, "--format", format],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn the_report_holds_exactly_the_audit_events_of_its_days() {
    let world = World::start();
    world.set_up();
    world.expect(&["backups", "request", "--yes"], None, 0);
    world.complete_pending();
    let dest = tempfile::tempdir().expect("dest");
    world.download_latest(dest.path(), 0);
    // Events of other days, as the app logged them then; one a minute before
    // the range, one a second before its end, one at its end (excluded).
    let state = LocalState::open_in(world.cli_dir.path()).expect("state");
    let account = state.accounts().expect("accounts")[0].id;
    let old = |id: &str| AuditEvent::RequestMade {
        backup_id: id.into(),
    };
    let hostile = "<script>alert(\"x\")</script> & co";
    let events = [
        ("2020-03-01T23:59:00Z", "Olivia", old("bk_before")),
        ("2020-03-02T00:00:00Z", "Olivia", old("bk_first_day")),
        (
            "2020-03-09T23:59:59Z",
            hostile,
            AuditEvent::DownloadFailed {
                backup_id: "bk_last_day".into(),
                reason: "disk full, \"really\"\nsecond line".into(),
            },
        ),
        ("2020-03-10T00:00:00Z", "Olivia", old("bk_after")),
    ];
    for (time, actor, event) in &events {
        state
            .audit(Some(account), actor, event, at(time))
            .expect("audit");
    }

    let csv = report(&world, "2020-03-02", "2020-03-09", "csv");
    let expected = audited(&world, day("2020-03-02"), day("2020-03-09"));
    let ids: Vec<&str> = expected.iter().map(|e| e.3.as_str()).collect();
    assert_eq!(
        ids,
        ["bk_first_day", "bk_last_day"],
        "both days whole, nothing outside"
    );
    assert_eq!(csv_events(&csv), expected);

    // Today's events (the download above), from the audit log's own days.
    let days: Vec<String> = audited(&world, day("2021-01-01"), day("9999-12-31"))
        .iter()
        .map(|e| e.0[..10].to_owned())
        .collect();
    let (first, last) = (
        days.iter().min().expect("events"),
        days.iter().max().expect("events"),
    );
    let csv = report(&world, first, last, "csv");
    let expected = audited(&world, day(first), day(last));
    assert!(
        expected.iter().any(|e| e.2 == "download_verified"),
        "{expected:?}"
    );
    assert_eq!(csv_events(&csv), expected);

    let html = report(&world, "2020-03-02", "2020-03-09", "html");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co")
            && !html.contains("<script>"),
        "every value escaped: {html}"
    );
    assert_eq!(
        html.matches("<tr><td>").count(),
        2,
        "one row per event: {html}"
    );
    assert!(
        html.contains("bk_first_day") && html.contains("bk_last_day") && !html.contains("bk_after"),
        "{html}"
    );

    let saved = tempfile::tempdir().expect("saved");
    let file = saved.path().join("march.csv");
    let path = file.display().to_string();
    let said = world.expect(
        &[
            "report",
            "--from",
            "2020-03-02",
            "--to",
            "2020-03-09",
            "--format",
            "csv",
            "--output",
            &path,
        ],
        None,
        0,
    );
    assert!(said.contains(&path), "says where: {said}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("saved report"),
        report(&world, "2020-03-02", "2020-03-09", "csv"),
        "the file holds what stdout shows"
    );
}

#[test]
fn a_reversed_range_a_wrong_date_or_format_is_a_usage_error() {
    let world = World::start();
    let reversed = world.expect(
        &[
            "report",
            "--from",
            "2020-03-09",
            "--to",
            "2020-03-02",
            "--format",
            "csv",
        ],
        None,
        2,
    );
    assert!(reversed.contains("swap the dates"), "{reversed}");
    let wrong_day = world.expect(
        &[
            "report",
            "--from",
            "2020-02-30",
            "--to",
            "2020-03-02",
            "--format",
            "csv",
        ],
        None,
        2,
    );
    assert!(wrong_day.contains("YYYY-MM-DD"), "{wrong_day}");
    let wrong_format = world.expect(
        &[
            "report",
            "--from",
            "2020-03-01",
            "--to",
            "2020-03-02",
            "--format",
            "pdf",
        ],
        None,
        2,
    );
    assert!(wrong_format.contains("csv or html"), "{wrong_format}");
    let output = tempfile::tempdir().expect("dir");
    let file = output.path().join("r.csv");
    world.expect(
        &[
            "report",
            "--from",
            "2020-03-09",
            "--to",
            "2020-03-02",
            "--format",
            "csv",
            "--output",
            &file.display().to_string(),
        ],
        None,
        2,
    );
    assert!(!file.exists(), "nothing saved for a refused range");
}
