//! The audit report an auditor asks for: for a date range, who requested,
//! who accepted which terms, who downloaded what and when, its SHA-256, the
//! archive check's result and where the copy is stored — exactly the audit
//! log's events in the range, as CSV or as a printable HTML page.

use std::io::Write;
use std::path::{Path, PathBuf};

use backup_state::{AuditEntry, AuditEvent};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::Desk;
use crate::error::{Error, Result};

/// The formats a report is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Html,
}

impl ReportFormat {
    /// Parses `csv` or `html`.
    pub fn parse(value: &str) -> Result<ReportFormat> {
        match value.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ReportFormat::Csv),
            "html" => Ok(ReportFormat::Html),
            other => Err(Error::Invalid(format!(
                "Unknown report format {other:?}; choose csv or html."
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Html => "html",
        }
    }
}

/// One event of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub at: DateTime<Utc>,
    /// The account's name and its id at the provider (none for app-wide events).
    pub account: Option<(String, String)>,
    pub actor: String,
    /// The audit event's kind (`download_verified`…).
    pub event: &'static str,
    pub backup_id: Option<String>,
    pub terms_version: Option<String>,
    pub sha256: Option<String>,
    /// `intact`, or `damaged: …` (for `archive_checked`); a change alert in words.
    pub check: Option<String>,
    /// Where a downloaded copy was stored.
    pub path: Option<String>,
    /// Anything else the event says (a failure's reason, a server key…).
    pub details: Option<String>,
}

/// The audit events of `[from, to)`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    pub rows: Vec<ReportRow>,
}

/// The instants of a report over whole days: from the start of `from` to
/// the end of `to` (UTC), both days included.
pub fn report_days(from: NaiveDate, to: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    if to < from {
        return Err(Error::Invalid(format!(
            "The report ends ({to}) before it starts ({from}); swap the dates."
        )));
    }
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = to.and_time(chrono::NaiveTime::MIN).and_utc() + TimeDelta::days(1);
    Ok((start, end))
}

fn row(entry: &AuditEntry, account: Option<(String, String)>) -> ReportRow {
    let mut row = ReportRow {
        at: entry.at,
        account,
        actor: entry.actor.clone(),
        event: entry.event.kind(),
        backup_id: None,
        terms_version: None,
        sha256: None,
        check: None,
        path: None,
        details: None,
    };
    match &entry.event {
        AuditEvent::RequestMade { backup_id } | AuditEvent::DownloadStarted { backup_id } => {
            row.backup_id = Some(backup_id.clone());
        }
        AuditEvent::TermsAccepted { backup_id, version } => {
            row.backup_id = Some(backup_id.clone());
            row.terms_version = Some(version.clone());
        }
        AuditEvent::HostKeyAccepted { host, fingerprint }
        | AuditEvent::HostKeyRejected { host, fingerprint } => {
            row.details = Some(format!("{host} {fingerprint}"));
        }
        AuditEvent::DownloadResumed {
            backup_id,
            from_bytes,
        } => {
            row.backup_id = Some(backup_id.clone());
            row.details = Some(format!("resumed from byte {from_bytes}"));
        }
        AuditEvent::DownloadFinished { backup_id, path } => {
            row.backup_id = Some(backup_id.clone());
            row.path = Some(path.clone());
        }
        AuditEvent::DownloadVerified { backup_id, sha256 } => {
            row.backup_id = Some(backup_id.clone());
            row.sha256 = Some(sha256.clone());
        }
        AuditEvent::DownloadFailed { backup_id, reason } => {
            row.backup_id = Some(backup_id.clone());
            row.details = Some(reason.clone());
        }
        AuditEvent::ArchiveChecked {
            backup_id,
            intact,
            problem,
            rows,
        } => {
            row.backup_id = Some(backup_id.clone());
            row.check = Some(match (intact, problem) {
                (true, _) => format!("intact, {rows} records"),
                (false, Some(problem)) => format!("damaged: {problem}"),
                (false, None) => "damaged".into(),
            });
        }
        AuditEvent::ChangeAlert {
            backup_id,
            previous_backup_id,
            object,
            before,
            after,
        } => {
            row.backup_id = Some(backup_id.clone());
            row.check = Some(
                backup_domain::ChangeAlert {
                    object: object.clone(),
                    before: *before,
                    after: *after,
                }
                .describe(),
            );
            row.details = Some(format!("compared with {previous_backup_id}"));
        }
        AuditEvent::AutomaticTermsConsented { version }
        | AuditEvent::AutomaticTermsWithdrawn { version } => {
            row.terms_version = Some(version.clone());
        }
    }
    row
}

const COLUMNS: [&str; 11] = [
    "time_utc",
    "account",
    "account_id",
    "actor",
    "event",
    "backup_id",
    "terms_version",
    "sha256",
    "archive_check",
    "stored_at",
    "details",
];

impl ReportRow {
    fn cells(&self) -> [String; 11] {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            self.account
                .as_ref()
                .map(|a| a.0.clone())
                .unwrap_or_default(),
            self.account
                .as_ref()
                .map(|a| a.1.clone())
                .unwrap_or_default(),
            self.actor.clone(),
            self.event.to_owned(),
            text(&self.backup_id),
            text(&self.terms_version),
            text(&self.sha256),
            text(&self.check),
            text(&self.path),
            text(&self.details),
        ]
    }
}

/// One CSV field (RFC 4180). A value a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` first: names come from the provider) is kept as text.
fn csv_field(value: &str) -> String {
    let value = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl AuditReport {
    /// The report as CSV: a header line, then one line per event.
    pub fn to_csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        out.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row.cells().iter().map(|c| csv_field(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// The report as a self-contained printable HTML page (no script, no
    /// external resource; every value escaped).
    pub fn to_html(&self) -> String {
        let day = |at: DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
        let mut body = String::new();
        for row in &self.rows {
            body.push_str("<tr>");
            for cell in row.cells() {
                body.push_str(&format!("<td>{}</td>", html_escape(&cell)));
            }
            body.push_str("</tr>\n");
        }
        let head: String = COLUMNS
            .iter()
            .map(|c| format!("<th>{}</th>", c.replace('_', " ")))
            .collect();
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>Backup Desk audit report {from} – {to}</title>\
<style>body{{font:10pt system-ui,sans-serif;margin:1.5cm}}h1{{font-size:14pt}}\
table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #999;padding:2pt 4pt;text-align:left;vertical-align:top;word-break:break-all}}\
th{{background:#eee}}@page{{size:A4 landscape;margin:1cm}}@media print{{body{{margin:0}}tr{{break-inside:avoid}}}}</style>\
</head><body>\n<h1>Backup Desk audit report</h1>\n\
<p>From {from} to {to} (end excluded). Generated {generated}. {count} events.</p>\n\
<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n</body></html>\n",
            from = day(self.from),
            to = day(self.to),
            generated = day(self.generated_at),
            count = self.rows.len(),
        )
    }

    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Csv => self.to_csv(),
            ReportFormat::Html => self.to_html(),
        }
    }
}

impl Desk {
    /// The audit events of every account in `[from, to)`, in the order they were recorded.
    pub fn audit_report(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<AuditReport> {
        if to <= from {
            return Err(Error::Invalid(
                "The report's end must come after its start.".into(),
            ));
        }
        let accounts = self.state.accounts()?;
        let rows = self
            .state
            .audit_log(None)?
            .iter()
            .filter(|e| e.at >= from && e.at < to)
            .map(|entry| {
                let account = entry
                    .account
                    .and_then(|id| accounts.iter().find(|a| a.id == id))
                    .map(|a| (a.display_name.clone(), a.account_id.clone()));
                row(entry, account)
            })
            .collect();
        Ok(AuditReport {
            from,
            to,
            generated_at: self.now(),
            rows,
        })
    }

    /// Writes the report to `path` in `format`, whole or not at all (a
    /// temporary file beside it, renamed when complete).
    pub fn save_audit_report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        format: ReportFormat,
        path: &Path,
    ) -> Result<PathBuf> {
        let text = self.audit_report(from, to)?.render(format);
        write_whole(path, text.as_bytes())?;
        Ok(path.to_path_buf())
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let disk = |e: std::io::Error| {
        Error::Disk(format!(
            "Cannot save the report as {}: {e}. Choose another place.",
            path.display()
        ))
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let (tmp, mut file) = tempfile_in(dir).map_err(disk)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path)
        });
    written.map_err(|e| {
        // Nothing half-written stays behind, under either name.
        let _ = std::fs::remove_file(&tmp);
        disk(e)
    })
}

/// A new hidden file in `dir` that nobody else writes.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    for n in 0..100u32 {
        let path = dir.join(format!(
            ".backup-desk-report-{}-{n}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_run_as_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(
            csv_field("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\"",
            "a provider's name starting with = must not become a formula in a spreadsheet"
        );
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn html_values_are_escaped() {
        assert_eq!(
            html_escape("<script>&\"'"),
            "&lt;script&gt;&amp;&quot;&#39;"
        );
    }

    #[test]
    fn a_day_range_covers_both_days_whole() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        let (from, to) = report_days(day(1), day(30)).expect("range");
        assert_eq!(from.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert!(
            report_days(day(2), day(1)).is_err(),
            "an end before the start is refused"
        );
    }

    #[test]
    fn a_format_is_csv_or_html() {
        assert_eq!(
            ReportFormat::parse("HTML").expect("html"),
            ReportFormat::Html
        );
        assert!(ReportFormat::parse("pdf").is_err());
    }
}
