//! What is inside a downloaded backup (the archive check's manifest and
//! change alerts), checking a copy again, every account's health, and the
//! audit report saved where the person chooses.

use std::sync::Arc;

use backup_workflows::{Actor, Desk, ReportFormat, report_days};
use chrono::NaiveDate;
use tauri::{AppHandle, Runtime, State};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::views::{ContentsView, HealthView};

/// The contents of a downloaded backup; `not_found` when it was not
/// downloaded (and checked) on this computer.
#[tauri::command]
pub async fn backup_contents(
    desk: State<'_, Desk>,
    account: i64,
    backup_id: String,
) -> AppResult<ContentsView> {
    Ok(ContentsView::from(
        &desk.backup_contents(account, &backup_id)?,
    ))
}

/// Checks the copy on disk again (one downloaded before archives were
/// checked, or whose check was interrupted) and returns what it found.
#[tauri::command]
pub async fn backup_check(
    desk: State<'_, Desk>,
    account: i64,
    backup_id: String,
) -> AppResult<ContentsView> {
    let contents = desk
        .check_backup(account, &backup_id, Actor::Person, Arc::new(|_, _| {}))
        .await?;
    Ok(ContentsView::from(&contents))
}

/// Every account's health, worst first.
#[tauri::command]
pub async fn health(desk: State<'_, Desk>) -> AppResult<HealthView> {
    Ok(HealthView::from(&desk.health().await?))
}

fn day(value: &str, which: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("Choose the report's {which} date."),
        )
    })
}

/// The native "Save as" dialog for a report; `None` when cancelled.
#[tauri::command]
pub async fn report_pick<R: Runtime>(
    app: AppHandle<R>,
    from: String,
    to: String,
    format: String,
) -> AppResult<Option<String>> {
    use tauri_plugin_dialog::{DialogExt, FilePath};
    let format = ReportFormat::parse(&format)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let ext = format.extension();
    app.dialog()
        .file()
        .set_title("Save the audit report")
        .set_file_name(format!("backup-desk-audit-{from}-to-{to}.{ext}"))
        .add_filter(ext.to_uppercase(), &[ext])
        .save_file(move |picked: Option<FilePath>| {
            let _ = tx.send(picked);
        });
    Ok(rx
        .await
        .ok()
        .flatten()
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Saves the audit report of `from`–`to` (whole days, both included) as
/// `format` ("csv" or "html") at `path`, whole or not at all; returns the path.
#[tauri::command]
pub async fn report_save(
    desk: State<'_, Desk>,
    from: String,
    to: String,
    format: String,
    path: String,
) -> AppResult<String> {
    let (start, end) = report_days(day(&from, "first")?, day(&to, "last")?)?;
    let format = ReportFormat::parse(&format)?;
    let saved = desk.save_audit_report(start, end, format, std::path::Path::new(&path))?;
    Ok(saved.display().to_string())
}
