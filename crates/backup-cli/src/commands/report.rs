//! `backup-desk report`: the audit report an auditor asks for — every
//! account's audit events over whole days (UTC), as CSV or a printable HTML
//! page, on stdout or saved whole to a file.

use std::io::Write;
use std::path::PathBuf;

use backup_workflows::ReportFormat;
use chrono::NaiveDate;
use serde_json::json;

use crate::context::Context;
use crate::fail::{CliError, CliResult};

/// Parses `--from`/`--to` (for clap: a refusal is a usage error).
pub fn parse_day(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{value:?} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-30"))
}

/// Parses `--format` (for clap: a refusal is a usage error).
pub fn parse_format(value: &str) -> Result<ReportFormat, String> {
    ReportFormat::parse(value).map_err(|e| e.to_string())
}

/// What to report on and where.
#[derive(Debug)]
pub struct ReportArgs {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: &ReportArgs) -> CliResult {
    let (from, to) = backup_workflows::report_days(args.from, args.to)?;
    let Some(output) = &args.output else {
        let text = ctx.desk.audit_report(from, to)?.render(args.format);
        return print(&text);
    };
    let saved = ctx.desk.save_audit_report(from, to, args.format, output)?;
    let shown = std::path::absolute(&saved).unwrap_or(saved);
    if ctx.json {
        println!(
            "{}",
            json!({"path": shown, "format": args.format.extension(),
                   "from": args.from.to_string(), "to": args.to.to_string()})
        );
    } else {
        println!(
            "Saved the audit report of {} to {} (UTC, both days included): {}",
            args.from,
            args.to,
            shown.display()
        );
    }
    Ok(())
}

/// Writes the report to stdout; a reader that stopped early (`| head`) is no failure.
fn print(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::new(
            crate::fail::Exit::Failure,
            format!("Cannot write the report: {e}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_year_month_day_and_a_wrong_one_says_how_to_write_it() {
        assert_eq!(
            parse_day("2026-11-30"),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"))
        );
        for wrong in ["30/11/2026", "2026-13-01", "yesterday", ""] {
            let refused = parse_day(wrong).expect_err(wrong);
            assert!(refused.contains("YYYY-MM-DD"), "{refused}");
        }
        assert!(parse_format("pdf").is_err_and(|e| e.contains("csv or html")));
    }
}
