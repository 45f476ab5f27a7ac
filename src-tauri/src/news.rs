//! The app's ears on the application layer's watcher: every minute it looks
//! at the accounts, and each piece of news becomes a window event and a
//! desktop notification in the app's language. Commands announce nothing.

use std::time::Duration;

use backup_workflows::{Desk, DeskEvent, ErrorKind};
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
        DeskEvent::ArchiveDamaged {
            account, backup_id, ..
        }
        | DeskEvent::ChangeAlert {
            account, backup_id, ..
        } => {
            let _ = app.emit(
                "backup-checked",
                BackupReadyEvent {
                    account: *account,
                    backup_id: backup_id.clone(),
                },
            );
        }
        DeskEvent::ExpiringSoon { .. } | DeskEvent::AutomaticFailed { .. } => {}
    }
    let pt = speaks_portuguese(app);
    let (title, body) = text(event, pt);
    let target = match event {
        DeskEvent::BackupReady {
            account, backup_id, ..
        }
        | DeskEvent::ExpiringSoon {
            account, backup_id, ..
        }
        | DeskEvent::ArchiveDamaged {
            account, backup_id, ..
        }
        | DeskEvent::ChangeAlert {
            account, backup_id, ..
        } => Some((*account, Some(backup_id.clone()))),
        DeskEvent::DownloadVerified {
            account, record, ..
        } => Some((*account, Some(record.backup_id.clone()))),
        DeskEvent::AutomaticFailed { account, .. } => Some((*account, None)),
    };
    notify_opening(app, &title, &body, target, pt);
}

/// Shows a notification whose click brings the window forward on
/// `target` (its account, and backup when there is one): the window
/// receives `backup-focus`. Where clicks cannot be heard, a plain one.
pub fn notify_opening<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    body: &str,
    target: Option<(i64, Option<String>)>,
    pt: bool,
) {
    #[cfg(target_os = "linux")]
    if let Some((account, backup_id)) = target
        && app
            .try_state::<tauri_plugin_notification::Notification<R>>()
            .is_some()
    {
        let (app, title, body) = (app.clone(), title.to_owned(), body.to_owned());
        let open = if pt { "Abrir" } else { "Open" };
        std::thread::spawn(move || {
            let shown = dbus::blocking::Connection::new_session()
                .map_err(|e| e.to_string())
                .and_then(|bus| {
                    let watch = crate::clickable::Watch::start(&bus).map_err(|e| e.to_string())?;
                    crate::clickable::show(&bus, &title, &body, open)
                        .map(|id| (bus, watch, id))
                        .map_err(|e| e.to_string())
                });
            match shown {
                Ok((bus, watch, id)) => {
                    if crate::clickable::wait_for_click(&bus, &watch, id, CLICK_WAIT) {
                        crate::tray::show_main(&app);
                        let focus = crate::views::BackupFocusEvent { account, backup_id };
                        let _ = app.emit("backup-focus", focus);
                    }
                }
                Err(error) => {
                    log::info!("no clickable notification ({error}); a plain one instead");
                    notify(&app, &title, &body);
                }
            }
        });
        return;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (target, pt);
    notify(app, title, body);
}

/// How long a clickable notification's click is waited for.
#[cfg(target_os = "linux")]
const CLICK_WAIT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether the app speaks Portuguese (the saved language, else the OS's).
pub fn speaks_portuguese<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<Desk>().is_some_and(|desk| {
        desk.preferences()
            .language()
            .unwrap_or_default()
            .is_portuguese(sys_locale::get_locale().as_deref())
    })
}

/// A size as people read it: "512 KB", "1.4 GB" (decimal units).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn file_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

/// What to do about an automatic pass's failure, by its kind.
fn what_to_do(kind: ErrorKind, pt: bool) -> &'static str {
    match (kind, pt) {
        (ErrorKind::TermsRequired, false) => {
            "The provider published new download terms: review them in Settings to resume automatic downloads."
        }
        (ErrorKind::TermsRequired, true) => {
            "O provedor publicou novos termos de download: revise-os em Configurações para retomar os downloads automáticos."
        }
        (ErrorKind::Network, false) => {
            "The provider could not be reached; Backup Desk tries again by itself. Check the internet connection."
        }
        (ErrorKind::Network, true) => {
            "Não foi possível falar com o provedor; o Backup Desk tenta de novo sozinho. Verifique a conexão com a internet."
        }
        (ErrorKind::Unauthorized, false) => {
            "The provider no longer accepts the token: add the account again."
        }
        (ErrorKind::Unauthorized, true) => {
            "O provedor não aceita mais o token: adicione a conta de novo."
        }
        (ErrorKind::ConnectionMissing | ErrorKind::KeyMissing | ErrorKind::SftpAuth, false) => {
            "The SFTP server or key is not set up: complete them in Settings."
        }
        (ErrorKind::ConnectionMissing | ErrorKind::KeyMissing | ErrorKind::SftpAuth, true) => {
            "O servidor SFTP ou a chave não estão configurados: complete-os em Configurações."
        }
        (ErrorKind::UnknownHostKey | ErrorKind::HostKeyChanged, false) => {
            "The SFTP server's key must be checked: open Backup Desk and download once by hand."
        }
        (ErrorKind::UnknownHostKey | ErrorKind::HostKeyChanged, true) => {
            "A chave do servidor SFTP precisa ser conferida: abra o Backup Desk e baixe uma vez manualmente."
        }
        (ErrorKind::Disk, false) => {
            "The download folder cannot be written: free space or choose another folder in Settings."
        }
        (ErrorKind::Disk, true) => {
            "Não é possível gravar na pasta de download: libere espaço ou escolha outra pasta em Configurações."
        }
        (_, false) => "Open Backup Desk to see what happened.",
        (_, true) => "Abra o Backup Desk para ver o que aconteceu.",
    }
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
                "{} ({}) was saved in {} and matches the provider's checksum.",
                file_name(&record.path),
                human_size(record.size_bytes),
                folder_of(&record.path),
            ),
        ),
        (DeskEvent::DownloadVerified { record, .. }, true) => (
            "Download verificado".into(),
            format!(
                "{} ({}) foi salvo em {} e confere com o checksum do provedor.",
                file_name(&record.path),
                human_size(record.size_bytes),
                folder_of(&record.path),
            ),
        ),
        (
            DeskEvent::ArchiveDamaged {
                account_name,
                backup_id,
                problem,
                ..
            },
            false,
        ) => (
            "Backup damaged".into(),
            format!(
                "The backup {backup_id} of {account_name} matches the provider's checksum but does not open ({problem}). Request a new backup and tell the provider."
            ),
        ),
        (
            DeskEvent::ArchiveDamaged {
                account_name,
                backup_id,
                problem,
                ..
            },
            true,
        ) => (
            "Backup danificado".into(),
            format!(
                "O backup {backup_id} de {account_name} confere com o checksum do provedor, mas não abre ({problem}). Solicite um novo backup e avise o provedor."
            ),
        ),
        (
            DeskEvent::ChangeAlert {
                account_name,
                alerts,
                ..
            },
            false,
        ) => (
            format!("Data dropped in {account_name}"),
            format!(
                "Since the previous backup: {}. Check for a mass deletion or a broken export.",
                alerts.join("; ")
            ),
        ),
        (
            DeskEvent::ChangeAlert {
                account_name,
                alerts,
                ..
            },
            true,
        ) => (
            format!("Dados diminuíram em {account_name}"),
            format!(
                "Desde o backup anterior: {}. Verifique se houve exclusão em massa ou exportação com falha.",
                alerts.join("; ")
            ),
        ),
        (
            DeskEvent::AutomaticFailed {
                account_name,
                kind,
                message,
                ..
            },
            false,
        ) => (
            format!("Automatic mode stopped for {account_name}"),
            format!("{} ({message})", what_to_do(*kind, false)),
        ),
        (
            DeskEvent::AutomaticFailed {
                account_name,
                kind,
                message,
                ..
            },
            true,
        ) => (
            format!("O modo automático parou para {account_name}"),
            format!("{} ({message})", what_to_do(*kind, true)),
        ),
    }
}

fn folder_of(path: &str) -> String {
    std::path::Path::new(path)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// The first time the window is closed into the tray, says so.
pub fn hidden_to_tray_text(pt: bool) -> (String, String) {
    if pt {
        (
            "O Backup Desk continua na bandeja".into(),
            "O modo automático segue baixando os backups. Para sair, use Sair no ícone da bandeja."
                .into(),
        )
    } else {
        (
            "Backup Desk keeps running in the tray".into(),
            "Automatic mode keeps downloading your backups. To quit, choose Quit from the tray icon.".into(),
        )
    }
}

/// A desktop without a notification service only loses the popup (the
/// window shows the same news).
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
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
        assert!(
            text(&verified, true)
                .1
                .contains("a.zip (1 B) foi salvo em /d")
        );
        assert!(text(&verified, true).1.contains("confere"));
        let failed = DeskEvent::AutomaticFailed {
            account: 1,
            account_name: "Acme".into(),
            kind: ErrorKind::TermsRequired,
            message: "new terms 2099-01".into(),
        };
        let (title, body) = text(&failed, false);
        assert!(title.contains("Acme"), "{title}");
        assert!(
            body.contains("review them in Settings"),
            "says what to do: {body}"
        );
        assert!(body.contains("2099-01"), "and why: {body}");
        assert!(text(&failed, true).1.contains("Configurações"));
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_400_000), "1.4 MB");
        assert_eq!(human_size(250_000_000_000), "250 GB");
    }
}
