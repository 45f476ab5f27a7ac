//! Quitting while downloads run: closing the main window (or quitting the
//! app) asks the window first with the `quit-requested` event; `quit_app`
//! then cancels the downloads (their partial files stay for a resume),
//! waits briefly for them to stop, and exits. With nothing running,
//! closing quits as before.

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

/// Closing the main window while downloads run asks first.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && window.label() == "main"
        && let Some(desk) = window.try_state::<Desk>()
        && let Some(question) = quit_question(&desk)
    {
        api.prevent_close();
        if let Err(error) = window.app_handle().emit(QUIT_REQUESTED, question) {
            log::warn!("could not ask the window before quitting: {error}");
        }
    }
}

/// Quitting the app (not through `quit_app`) while downloads run asks first.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
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
