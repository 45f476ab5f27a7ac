//! How a downloaded backup's contents read: what the archive check found
//! (each object's records and size, each entry's CRC, intact or damaged)
//! and the change alerts against the previous intact backup — on a
//! terminal and as JSON, the same for `backups download` and `backups show`.

use backup_workflows::{ArchiveRecord, ChangeRecord, ChangeRecordExt, Contents, ManifestEntry};
use serde_json::{Value, json};

use crate::render;

/// The CSV objects of the archive (entries that are not a CSV of a safe name are not objects).
pub fn objects(archive: &ArchiveRecord) -> usize {
    archive
        .entries
        .iter()
        .filter(|e| e.object.is_some())
        .count()
}

/// `Archive checked: 5 objects, 12,345 records`.
pub fn summary(archive: &ArchiveRecord) -> String {
    format!(
        "{} objects, {} records",
        objects(archive),
        render::count(archive.rows())
    )
}

/// `contacts: 10,234 → 7,102 (−31%) since bk_…`.
pub fn alert_line(alert: &ChangeRecord) -> String {
    format!("{} since {}", alert.describe(), alert.previous_backup_id)
}

/// Prints each change alert on stderr as a warning.
pub fn warn_alerts(alerts: &[ChangeRecord]) {
    for alert in alerts {
        eprintln!("warning: {}", alert_line(alert));
    }
}

fn entry_json(entry: &ManifestEntry) -> Value {
    json!({"entry": entry.entry, "object": entry.object, "rows": entry.rows,
           "bytes": entry.bytes, "crc_ok": entry.crc_ok})
}

/// The archive check as JSON: `intact`, `problem`, `objects`, `records`, `entries`…
pub fn archive_json(archive: &ArchiveRecord) -> Value {
    json!({"backup_at": render::date(archive.backup_at), "checked_at": render::date(archive.checked_at),
           "intact": archive.intact, "problem": archive.problem, "objects": objects(archive),
           "records": archive.rows(), "entries": archive.entries.iter().map(entry_json).collect::<Vec<_>>()})
}

/// The change alerts as JSON: `object`, `before`, `after` (`null`: missing), `text`.
pub fn alerts_json(alerts: &[ChangeRecord]) -> Value {
    alerts
        .iter()
        .map(|a| {
            json!({"object": a.object, "before": a.before, "after": a.after,
                   "previous_backup_id": a.previous_backup_id, "text": a.describe()})
        })
        .collect()
}

/// Everything `backups show --json` prints about one backup.
pub fn contents_json(account_id: &str, contents: &Contents) -> Value {
    json!({"account": account_id, "id": contents.archive.backup_id, "path": contents.path,
           "compared_with": contents.compared_with, "archive": archive_json(&contents.archive),
           "alerts": alerts_json(&contents.alerts)})
}

/// The lines `backups show` prints, after its heading.
pub fn lines(contents: &Contents) -> Vec<String> {
    let archive = &contents.archive;
    let checked = render::date(archive.checked_at);
    let mut out = vec![match (archive.intact, &archive.problem) {
        (true, _) => {
            format!("Archive:       intact, every entry read to its end (checked {checked})")
        }
        (false, Some(problem)) => format!(
            "Archive:       DAMAGED: {} (checked {checked})",
            render::plain(problem)
        ),
        (false, None) => format!("Archive:       DAMAGED (checked {checked})"),
    }];
    out.push(match &contents.path {
        Some(path) => format!("Copy:          {}", path.display()),
        None => "Copy:          no longer on this computer".into(),
    });
    out.push(match &contents.compared_with {
        Some(id) => format!("Compared with: {id}"),
        None => "Compared with: nothing (no earlier intact backup was checked here)".into(),
    });
    out.push(String::new());
    out.push(format!(
        "  {:<24} {:>12}  {:>10}  {:>17}  CRC",
        "OBJECT", "RECORDS", "SIZE", "BYTES"
    ));
    for entry in &archive.entries {
        let name = entry
            .object
            .clone()
            .unwrap_or_else(|| render::plain(&entry.entry));
        let rows = entry.rows.map_or_else(|| "–".into(), render::count);
        let crc = if entry.crc_ok { "ok" } else { "FAILED" };
        out.push(format!(
            "  {name:<24} {rows:>12}  {:>10}  {:>17}  {crc}",
            render::size(Some(entry.bytes)),
            render::count(entry.bytes)
        ));
    }
    if archive.entries.is_empty() {
        out.push("  (no entry could be read)".into());
    }
    out.push(format!("  {}", summary(archive)));
    out.push(String::new());
    if contents.alerts.is_empty() {
        out.push("No change alert.".into());
    }
    for alert in &contents.alerts {
        out.push(format!("⚠ change alert: {}", alert_line(alert)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn archive(intact: bool) -> ArchiveRecord {
        let entry = |name: &str, object: Option<&str>, rows: Option<u64>, crc_ok| ManifestEntry {
            entry: name.into(),
            object: object.map(str::to_owned),
            rows,
            bytes: 1_234_567,
            crc_ok,
        };
        ArchiveRecord {
            account: 1,
            backup_id: "bk_2".into(),
            backup_at: DateTime::UNIX_EPOCH,
            checked_at: DateTime::UNIX_EPOCH,
            intact,
            problem: (!intact).then(|| "entry deals.csv: invalid checksum".into()),
            entries: vec![
                entry("contacts.csv", Some("contacts"), Some(10_234), true),
                entry("deals.csv", Some("deals"), None, intact),
                entry("README\u{1b}[2J", None, None, true),
            ],
        }
    }

    #[test]
    fn each_object_shows_its_records_size_in_bytes_and_crc() {
        let contents = Contents {
            archive: archive(true),
            alerts: vec![ChangeRecord {
                backup_id: "bk_2".into(),
                previous_backup_id: "bk_1".into(),
                object: "tickets".into(),
                before: 8,
                after: None,
            }],
            compared_with: Some("bk_1".into()),
            path: None,
        };
        let text = lines(&contents).join("\n");
        assert!(text.contains("intact"), "{text}");
        let contacts = text
            .lines()
            .find(|l| l.starts_with("  contacts "))
            .expect("a contacts row");
        for part in ["10,234", "1.2 MB", "1,234,567", "ok"] {
            assert!(contacts.contains(part), "{part} in {contacts}");
        }
        assert!(
            !text.contains('\u{1b}'),
            "an entry's name cannot drive the terminal: {text}"
        );
        assert!(text.contains("2 objects, 10,234 records"), "{text}");
        assert!(
            text.contains("⚠ change alert: tickets: 8 → missing since bk_1"),
            "{text}"
        );
        assert!(text.contains("no longer on this computer"), "{text}");
    }

    #[test]
    fn a_damaged_archive_says_so_with_its_problem_and_the_failed_entry() {
        let contents = Contents {
            archive: archive(false),
            alerts: Vec::new(),
            compared_with: None,
            path: None,
        };
        let text = lines(&contents).join("\n");
        assert!(
            text.contains("DAMAGED: entry deals.csv: invalid checksum"),
            "{text}"
        );
        let deals = text
            .lines()
            .find(|l| l.starts_with("  deals "))
            .expect("a deals row");
        assert!(deals.contains("FAILED"), "{deals}");
        let json = contents_json("acme", &contents);
        assert_eq!(json["archive"]["intact"], false);
        assert_eq!(json["archive"]["entries"][1]["crc_ok"], false);
        assert_eq!(json["archive"]["records"], 10_234);
    }
}
