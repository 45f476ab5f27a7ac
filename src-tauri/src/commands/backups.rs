//! The history: list (the window polls it), request, terms.

use backup_api::new_idempotency_key;
use backup_state::AuditEvent;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::commands::settings::download_dir;
use crate::commands::{Notice, announce};
use crate::error::{AppError, AppResult};
use crate::shell::Shell;
use crate::views::{BackupReadyEvent, BackupsView, LocalFacts, TermsView, WindowKind};

/// The history of `account` with the request gate. Emits `backup-ready` and
/// notifies when a backup turned ready since the last call, and once when
/// one will expire within two days.
#[tauri::command]
pub async fn backups<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    account: i64,
) -> AppResult<BackupsView> {
    let record = shell.account(account)?;
    let page = shell
        .client(&record)
        .await?
        .all_backups(&record.account_id)
        .await?;
    let downloads = shell.db(|s| s.downloads(account))?;
    let dir = download_dir(&shell, &record)?;
    let resumable: Vec<String> = page
        .backups
        .iter()
        .filter(|b| {
            backup_transfer::partial_paths(&dir, &b.local_file_name())
                .0
                .exists()
        })
        .map(|b| b.id.clone())
        .collect();
    let downloading = shell.downloading(account);
    let view = BackupsView::new(
        account,
        &page,
        &LocalFacts {
            downloads: &downloads,
            resumable: &resumable,
            downloading: &downloading,
        },
    );
    let statuses: Vec<_> = view
        .backups
        .iter()
        .map(|b| (b.id.clone(), b.status))
        .collect();
    for id in shell.turned_ready(account, &statuses) {
        let _ = app.emit(
            "backup-ready",
            BackupReadyEvent {
                account,
                backup_id: id.clone(),
            },
        );
        let notice = Notice::Ready {
            account: &record.display_name,
            backup: &id,
        };
        announce(&app, &shell, &notice);
    }
    for row in &view.backups {
        if row.window == WindowKind::ExpiringSoon
            && row.downloaded.is_none()
            && shell.first_warning(account, &row.id)
        {
            let notice = Notice::ExpiringSoon {
                account: &record.display_name,
                backup: &row.id,
            };
            announce(&app, &shell, &notice);
        }
    }
    Ok(view)
}

/// Requests a new backup (the window asked for confirmation); the
/// provider's refusal comes back as is (`cooldown` with its date…).
#[tauri::command]
pub async fn backup_request<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    account: i64,
) -> AppResult<BackupsView> {
    let record = shell.account(account)?;
    let client = shell.client(&record).await?;
    let backup = client
        .request_backup(&record.account_id, &new_idempotency_key())
        .await?;
    let event = AuditEvent::RequestMade {
        backup_id: backup.id,
    };
    let now = shell.now();
    shell.db(|s| s.audit(Some(account), &record.person_name, &event, now))?;
    backups(app, shell, account).await
}

/// The download terms in force for a backup and whether they were accepted.
#[tauri::command]
pub async fn terms(
    shell: State<'_, Shell>,
    account: i64,
    backup_id: String,
) -> AppResult<TermsView> {
    let record = shell.account(account)?;
    let terms = shell
        .client(&record)
        .await?
        .terms(&record.account_id, &backup_id)
        .await?;
    Ok(TermsView {
        version: terms.version,
        text: terms.text,
        accepted: terms.accepted,
    })
}

/// Accepts the terms version the person read.
#[tauri::command]
pub async fn terms_accept(
    shell: State<'_, Shell>,
    account: i64,
    backup_id: String,
    version: String,
) -> AppResult<()> {
    if version.trim().is_empty() {
        return Err(AppError::invalid("No terms version was given."));
    }
    let record = shell.account(account)?;
    shell
        .client(&record)
        .await?
        .accept_terms(&record.account_id, &backup_id, &version)
        .await?;
    let event = AuditEvent::TermsAccepted { backup_id, version };
    let now = shell.now();
    shell.db(|s| s.audit(Some(account), &record.person_name, &event, now))?;
    Ok(())
}
