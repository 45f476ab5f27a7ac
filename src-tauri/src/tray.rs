//! The tray: Open Backup Desk, a status line ("Next check 10:15 · last:
//! bk_… verified 09:58"), Check now, Pause/Resume automatic mode, Quit —
//! in the app's language. When the tray cannot be created (a Linux desktop
//! without a tray), no [`TrayMenu`] is managed and closing the window
//! behaves as without automatic mode: the person is never left with no
//! window and no tray.

use std::fmt::Display;

use backup_workflows::{AutomaticStatus, Desk};
use chrono::{DateTime, TimeZone, Utc};
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

/// The tray's menu items, kept to update their texts.
#[allow(missing_debug_implementations)] // Tauri's menu handles have no Debug.
pub struct TrayMenu<R: Runtime> {
    _icon: TrayIcon<R>,
    open: MenuItem<R>,
    status: MenuItem<R>,
    check_now: MenuItem<R>,
    pause: MenuItem<R>,
    quit: MenuItem<R>,
}

/// The texts of the tray's menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayLabels {
    pub open: String,
    pub status: String,
    pub check_now: String,
    /// "Pause automatic mode" or "Resume automatic mode", following the state.
    pub pause: String,
    pub quit: String,
    /// Check now does something (not paused, an account is on).
    pub check_enabled: bool,
}

fn hhmm<Tz: TimeZone>(at: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: Display,
{
    at.with_timezone(tz).format("%H:%M").to_string()
}

/// The menu's texts for `status`, in Portuguese (`pt`) or English, times in `tz`.
pub fn labels<Tz: TimeZone>(status: &AutomaticStatus, pt: bool, tz: &Tz) -> TrayLabels
where
    Tz::Offset: Display,
{
    let on = status.any_enabled();
    let line = if status.running {
        if pt {
            "Verificando agora…"
        } else {
            "Checking now…"
        }
        .to_owned()
    } else if status.paused {
        if pt {
            "Modo automático pausado"
        } else {
            "Automatic mode paused"
        }
        .to_owned()
    } else if !on {
        if pt {
            "Modo automático desligado"
        } else {
            "Automatic mode is off"
        }
        .to_owned()
    } else {
        let next = status
            .next_check_at
            .map(|at| hhmm(at, tz))
            .unwrap_or_else(|| "—".into());
        let mut line = if pt {
            format!("Próxima verificação {next}")
        } else {
            format!("Next check {next}")
        };
        let failed = status
            .accounts
            .iter()
            .filter_map(|a| a.last_pass.as_ref())
            .filter(|p| p.error.is_some())
            .map(|p| p.at)
            .max();
        match (status.last_download(), failed) {
            (Some((_, pass, _)), Some(failed_at)) if failed_at > pass.at => {
                push_failed(&mut line, failed_at, pt, tz)
            }
            (Some((_, pass, item)), _) => {
                let at = hhmm(pass.at, tz);
                let id = &item.backup_id;
                line.push_str(&if pt {
                    format!(" · último: {id} verificado {at}")
                } else {
                    format!(" · last: {id} verified {at}")
                });
            }
            (None, Some(failed_at)) => push_failed(&mut line, failed_at, pt, tz),
            (None, None) => {}
        }
        line
    };
    let t = |en: &str, pt_text: &str| if pt { pt_text } else { en }.to_owned();
    TrayLabels {
        open: t("Open Backup Desk", "Abrir o Backup Desk"),
        status: line,
        check_now: t("Check now", "Verificar agora"),
        pause: if status.paused {
            t("Resume automatic mode", "Retomar o modo automático")
        } else {
            t("Pause automatic mode", "Pausar o modo automático")
        },
        quit: t("Quit", "Sair"),
        check_enabled: on && !status.paused && !status.running,
    }
}

fn push_failed<Tz: TimeZone>(line: &mut String, at: DateTime<Utc>, pt: bool, tz: &Tz)
where
    Tz::Offset: Display,
{
    let at = hhmm(at, tz);
    line.push_str(&if pt {
        format!(" · última verificação falhou {at}")
    } else {
        format!(" · last check failed {at}")
    });
}

/// Shows, unminimizes and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn current_labels<R: Runtime>(app: &AppHandle<R>, status: &AutomaticStatus) -> TrayLabels {
    labels(status, crate::news::speaks_portuguese(app), &chrono::Local)
}

/// Creates the tray; `Err` when the desktop has none (then nothing is
/// managed and closing the window quits as before).
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let desk = app.state::<Desk>();
    let status = desk
        .automatic_status()
        .map_err(|e| tauri::Error::Io(std::io::Error::other(e.to_string())))?;
    let l = current_labels(app, &status);
    let open = MenuItem::with_id(app, "open", &l.open, true, None::<&str>)?;
    let line = MenuItem::with_id(app, "status", &l.status, false, None::<&str>)?;
    let check_now = MenuItem::with_id(
        app,
        "check_now",
        &l.check_now,
        l.check_enabled,
        None::<&str>,
    )?;
    let pause = MenuItem::with_id(app, "pause", &l.pause, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", &l.quit, true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &PredefinedMenuItem::separator(app)?,
            &line,
            &check_now,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Backup Desk")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu_event)
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    app.manage(TrayMenu {
        _icon: icon,
        open,
        status: line,
        check_now,
        pause,
        quit,
    });
    Ok(())
}

/// Creates the tray, or logs why there is none: then no [`TrayMenu`] is
/// managed and the window stays the way in. On Linux a desktop without
/// the AppIndicator library makes the tray crate panic instead of failing;
/// that is caught here (setup runs on the main thread).
pub fn create_or_warn<R: Runtime>(app: &AppHandle<R>) {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| create(app))) {
        Ok(Ok(())) => {}
        Ok(Err(error)) => log::warn!("no tray icon: {error}; closing the window quits"),
        Err(_) => {
            log::warn!("no tray icon (no tray library on this desktop); closing the window quits")
        }
    }
}

/// Updates the menu's texts (after a pass, pause, resume, a language change).
pub fn refresh<R: Runtime>(app: &AppHandle<R>, status: &AutomaticStatus) {
    let Some(menu) = app.try_state::<TrayMenu<R>>() else {
        return;
    };
    let l = current_labels(app, status);
    let results = [
        menu.open.set_text(&l.open),
        menu.status.set_text(&l.status),
        menu.check_now.set_text(&l.check_now),
        menu.check_now.set_enabled(l.check_enabled),
        menu.pause.set_text(&l.pause),
        menu.quit.set_text(&l.quit),
    ];
    for result in results {
        if let Err(error) = result {
            log::warn!("tray menu not updated: {error}");
        }
    }
}

/// Whether the tray is shown (closing the window may then hide it there).
pub fn is_shown<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<TrayMenu<R>>().is_some() && crate::trayhost::tray_host_present()
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let Some(desk) = app.try_state::<Desk>() else {
        return;
    };
    match event.id().as_ref() {
        "open" => show_main(app),
        "check_now" => desk.automatic_check_now(),
        "pause" => {
            let paused = desk.automatic_paused().unwrap_or(false);
            if let Err(error) = desk.set_automatic_paused(!paused) {
                log::warn!("pause/resume: {error}");
            }
            crate::automatic::announce(app);
        }
        "quit" => crate::quit::quit_from_tray(app),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_workflows::{
        AccountAutomatic, AccountRecord, AutomaticSettings, ErrorKind, LastPass, PassDownload,
        PassFailure,
    };
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .expect("time")
    }

    fn account(id: i64, enabled: bool, last_pass: Option<LastPass>) -> AccountAutomatic {
        AccountAutomatic {
            account: AccountRecord {
                id,
                provider_url: "https://p".into(),
                account_id: format!("a{id}"),
                display_name: format!("Account {id}"),
                role: None,
                person_name: "Olivia".into(),
            },
            settings: AutomaticSettings {
                enabled,
                ..AutomaticSettings::default()
            },
            last_pass,
        }
    }

    fn downloaded(at: DateTime<Utc>) -> LastPass {
        LastPass {
            at,
            requested: None,
            downloaded: vec![PassDownload {
                backup_id: "bk_7".into(),
                path: "/b/acme.zip".into(),
                size_bytes: 10,
            }],
            error: None,
        }
    }

    fn status(accounts: Vec<AccountAutomatic>) -> AutomaticStatus {
        AutomaticStatus {
            paused: false,
            running: false,
            next_check_at: Some(at(10, 15)),
            accounts,
        }
    }

    #[test]
    fn the_status_line_says_the_next_check_and_the_last_verified_backup_in_both_languages() {
        let s = status(vec![account(1, true, Some(downloaded(at(9, 58))))]);
        let en = labels(&s, false, &Utc);
        assert_eq!(en.status, "Next check 10:15 · last: bk_7 verified 09:58");
        assert_eq!(en.pause, "Pause automatic mode");
        assert!(en.check_enabled);
        let pt = labels(&s, true, &Utc);
        assert_eq!(
            pt.status,
            "Próxima verificação 10:15 · último: bk_7 verificado 09:58"
        );
        assert_eq!(pt.quit, "Sair");
        let zone = chrono::FixedOffset::west_opt(3 * 3600).expect("UTC-3");
        assert_eq!(
            labels(&s, true, &zone).status,
            "Próxima verificação 07:15 · último: bk_7 verificado 06:58",
            "times in the person's zone"
        );
    }

    #[test]
    fn a_newer_failure_a_pause_and_nothing_on_are_what_the_tray_says() {
        let failed = LastPass {
            at: at(10, 0),
            requested: None,
            downloaded: Vec::new(),
            error: Some(PassFailure {
                kind: ErrorKind::Network,
                message: "unreachable".into(),
            }),
        };
        let s = status(vec![
            account(1, true, Some(downloaded(at(9, 58)))),
            account(2, true, Some(failed)),
        ]);
        assert_eq!(
            labels(&s, false, &Utc).status,
            "Next check 10:15 · last check failed 10:00"
        );
        let paused = AutomaticStatus {
            paused: true,
            next_check_at: None,
            ..s.clone()
        };
        let l = labels(&paused, false, &Utc);
        assert_eq!(l.status, "Automatic mode paused");
        assert_eq!(
            l.pause, "Resume automatic mode",
            "the label follows the state"
        );
        assert!(!l.check_enabled, "Check now does nothing while paused");
        let off = status(vec![account(1, false, None)]);
        assert_eq!(labels(&off, true, &Utc).status, "Modo automático desligado");
        assert!(!labels(&off, false, &Utc).check_enabled);
    }
}
