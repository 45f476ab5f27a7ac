//! The history: list (the window polls it; a query, nothing announced),
//! request, terms.

use backup_workflows::{Actor, Desk};
use tauri::State;

use crate::error::AppResult;
use crate::views::{BackupsView, TermsView};

/// The history of `account` with the request gate.
#[tauri::command]
pub async fn backups(desk: State<'_, Desk>, account: i64) -> AppResult<BackupsView> {
    Ok(BackupsView::from(&desk.history(account).await?))
}

/// Requests a new backup (the window asked for confirmation); the
/// provider's refusal comes back as is (`cooldown` with its date…).
#[tauri::command]
pub async fn backup_request(desk: State<'_, Desk>, account: i64) -> AppResult<BackupsView> {
    desk.request_backup(account, Actor::Person).await?;
    Ok(BackupsView::from(&desk.history(account).await?))
}

/// The download terms in force for a backup and whether they were accepted.
#[tauri::command]
pub async fn terms(desk: State<'_, Desk>, account: i64, backup_id: String) -> AppResult<TermsView> {
    Ok(TermsView::from(desk.terms(account, &backup_id).await?))
}

/// Accepts the terms version the person read.
#[tauri::command]
pub async fn terms_accept(
    desk: State<'_, Desk>,
    account: i64,
    backup_id: String,
    version: String,
) -> AppResult<()> {
    Ok(desk
        .accept_terms(account, &backup_id, &version, Actor::Person)
        .await?)
}
