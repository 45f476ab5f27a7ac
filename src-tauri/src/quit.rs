//! Quitting while downloads run: closing the main window (or quitting the
//! app) asks the window first with the `quit-requested` event; `quit_app`
//! then cancels the downloads (their partial files stay for a resume),
//! waits briefly for them to stop, and exits. With nothing running,
//! closing quits as before. While automatic mode is on for an account and
//! the tray is shown, closing the window hides it to the tray instead.

use std::time::{Duration, Instant};

use backup_workflows::Desk;
use tauri::{AppHandle, Emitter, Manager, RunEvent, Runtime, State, Window, WindowEvent};

use crate::error::AppResult;
use crate::views::QuitRequestedEvent;

/// The event that asks the window whether to quit.
pub const QUIT_REQUESTED: &str = "quit-requested";

/// How long `quit_app` waits for cancelled downloads to stop.
const STOP_PATIENCE: Duration = Duration::from_secs(3);

/// The question to ask before quitting, when downloads are running (and
/// the desk is not already stopping for a confirmed quit).
pub fn quit_question(desk: &Desk) -> Option<QuitRequestedEvent> {
    if desk.is_stopping() {
        return None;
    }
    let downloads = desk.running_deliveries();
    (downloads > 0).then_some(QuitRequestedEvent { downloads })
}

/// Stops the desk (downloads cancelled, nothing new starts) and waits up
/// to `patience` for the downloads to end; returns how many still run.
pub async fn stop_deliveries(desk: &Desk, patience: Duration) -> usize {
    desk.stop();
    let deadline = Instant::now() + patience;
    while desk.running_deliveries() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    desk.running_deliveries()
}

/// What closing the main window does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseAction {
    /// Nothing keeps the app: it quits.
    Close,
    /// Downloads run: ask the window first.
    Ask(QuitRequestedEvent),
    /// Automatic mode is on and the tray is shown: hide the window there.
    HideToTray,
}

/// What closing the main window does, given whether the tray is shown
/// (without a tray the window is never hidden: it would be lost).
pub fn close_action(desk: &Desk, tray_shown: bool) -> CloseAction {
    if tray_shown && !desk.is_stopping() && desk.automatic_status().is_ok_and(|s| s.any_enabled()) {
        return CloseAction::HideToTray;
    }
    match quit_question(desk) {
        Some(question) => CloseAction::Ask(question),
        None => CloseAction::Close,
    }
}

/// Closing the main window hides it to the tray while automatic mode is
/// on (the first time, a notification says so); otherwise, while
/// downloads run, asks first.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let Some(desk) = window.try_state::<Desk>() else {
        return;
    };
    if window.label() != "main" {
        return;
    }
    let app = window.app_handle();
    match close_action(&desk, crate::tray::is_shown(app)) {
        CloseAction::Close => {}
        CloseAction::Ask(question) => {
            api.prevent_close();
            if let Err(error) = app.emit(QUIT_REQUESTED, question) {
                log::warn!("could not ask the window before quitting: {error}");
            }
        }
        CloseAction::HideToTray => {
            api.prevent_close();
            if let Err(error) = window.hide() {
                log::warn!("could not hide the window: {error}");
            }
            if !desk.preferences().tray_hint_shown().unwrap_or(true) {
                let (title, body) =
                    crate::news::hidden_to_tray_text(crate::news::speaks_portuguese(app));
                crate::news::notify(app, &title, &body);
                if let Err(error) = desk.preferences().set_tray_hint_shown() {
                    log::warn!("tray hint not remembered: {error}");
                }
            }
        }
    }
}

/// Quit from the tray: while downloads run, the window comes forward and
/// asks (`quit-requested`); otherwise the app exits.
pub fn quit_from_tray<R: Runtime>(app: &AppHandle<R>) {
    if let Some(desk) = app.try_state::<Desk>()
        && let Some(question) = quit_question(&desk)
    {
        crate::tray::show_main(app);
        if let Err(error) = app.emit(QUIT_REQUESTED, question) {
            log::warn!("could not ask the window before quitting: {error}");
        }
        return;
    }
    app.exit(0);
}

/// Quitting the app (not through `quit_app`) while downloads run asks
/// first; on macOS, clicking the Dock icon brings the hidden window back.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    #[cfg(target_os = "macos")]
    if let RunEvent::Reopen { .. } = event {
        crate::tray::show_main(app);
        return;
    }
    if let RunEvent::ExitRequested {
        code: None, api, ..
    } = event
        && let Some(desk) = app.try_state::<Desk>()
        && let Some(question) = quit_question(&desk)
    {
        api.prevent_exit();
        if let Err(error) = app.emit(QUIT_REQUESTED, question) {
            log::warn!("could not ask the window before quitting: {error}");
        }
    }
}

/// The person confirmed quitting: cancels every download (partials stay
/// resumable), waits up to 3 s for them to stop, then exits.
#[tauri::command]
pub async fn quit_app<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>) -> AppResult<()> {
    let left = stop_deliveries(&desk, STOP_PATIENCE).await;
    if left > 0 {
        log::warn!("quitting with {left} download(s) still stopping");
    }
    app.exit(0);
    Ok(())
}
