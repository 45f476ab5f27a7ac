//! The app's ears on the application layer's watcher: every minute it looks
//! at the accounts, and each piece of news becomes a window event and a
//! desktop notification in the app's language. Commands announce nothing.

use std::time::Duration;

use backup_workflows::{Desk, DeskEvent};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::views::{BackupReadyEvent, DownloadFinishedEvent};

/// How often the watcher looks at the accounts.
const WATCH_EVERY: Duration = Duration::from_secs(60);

/// Starts the watcher and the listener that presents its news.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Some(desk) = app.try_state::<Desk>() else {
        return;
    };
    let mut news = desk.subscribe();
    let listener = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match news.recv().await {
                Ok(event) => present(&listener, &event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let watcher = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let desk = watcher.state::<Desk>();
            desk.watch().await;
            tokio::time::sleep(WATCH_EVERY).await;
        }
    });
}

/// Tells the window and the person about `event`.
pub fn present<R: Runtime>(app: &AppHandle<R>, event: &DeskEvent) {
    match event {
        DeskEvent::BackupReady {
            account, backup_id, ..
        } => {
            let _ = app.emit(
                "backup-ready",
                BackupReadyEvent {
                    account: *account,
                    backup_id: backup_id.clone(),
                },
            );
        }
        DeskEvent::DownloadVerified {
            account, record, ..
        } => {
            let _ = app.emit(
                "download-finished",
                DownloadFinishedEvent {
                    account: *account,
                    backup_id: record.backup_id.clone(),
                    path: record.path.clone(),
                    sha256: record.sha256.clone(),
                },
            );
        }
        DeskEvent::ExpiringSoon { .. } => {}
    }
    let portuguese = app.try_state::<Desk>().is_some_and(|desk| {
        desk.preferences()
            .language()
            .unwrap_or_default()
            .is_portuguese(sys_locale::get_locale().as_deref())
    });
    let (title, body) = text(event, portuguese);
    notify(app, &title, &body);
}

/// Title and body of a notification, in Portuguese (`pt`) or English.
pub fn text(event: &DeskEvent, pt: bool) -> (String, String) {
    match (event, pt) {
        (
            DeskEvent::BackupReady {
                account_name,
                backup_id,
                ..
            },
            false,
        ) => (
            "Backup ready".into(),
            format!("A backup of {account_name} is ready to download ({backup_id})."),
        ),
        (
            DeskEvent::BackupReady {
                account_name,
                backup_id,
                ..
            },
            true,
        ) => (
            "Backup pronto".into(),
            format!("Um backup de {account_name} está pronto para baixar ({backup_id})."),
        ),
        (
            DeskEvent::ExpiringSoon {
                account_name,
                backup_id,
                ..
            },
            false,
        ) => (
            "Backup expiring soon".into(),
            format!(
                "A ready backup of {account_name} can be downloaded for less than two days ({backup_id})."
            ),
        ),
        (
            DeskEvent::ExpiringSoon {
                account_name,
                backup_id,
                ..
            },
            true,
        ) => (
            "Backup prestes a expirar".into(),
            format!(
                "Um backup pronto de {account_name} pode ser baixado por menos de dois dias ({backup_id})."
            ),
        ),
        (DeskEvent::DownloadVerified { record, .. }, false) => (
            "Download verified".into(),
            format!(
                "{} was saved and matches the provider's checksum.",
                record.path
            ),
        ),
        (DeskEvent::DownloadVerified { record, .. }, true) => (
            "Download verificado".into(),
            format!(
                "{} foi salvo e confere com o checksum do provedor.",
                record.path
            ),
        ),
    }
}

/// A desktop without a notification service only loses the popup (the
/// window shows the same news).
fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_none()
    {
        return;
    }
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        log::warn!("notification not shown: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_workflows::DownloadRecord;

    #[test]
    fn notifications_speak_both_languages() {
        let ready = DeskEvent::BackupReady {
            account: 1,
            account_name: "Acme".into(),
            backup_id: "bk_1".into(),
        };
        assert_eq!(text(&ready, false).0, "Backup ready");
        assert_eq!(text(&ready, true).0, "Backup pronto");
        let verified = DeskEvent::DownloadVerified {
            account: 1,
            account_name: "Acme".into(),
            record: DownloadRecord {
                account: 1,
                backup_id: "bk_1".into(),
                path: "/d/a.zip".into(),
                size_bytes: 1,
                sha256: "ab".into(),
                verified_at: chrono::DateTime::UNIX_EPOCH,
            },
        };
        assert!(text(&verified, true).1.contains("/d/a.zip"));
        assert!(text(&verified, true).1.contains("confere"));
    }
}
