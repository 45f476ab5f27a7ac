//! The app runs automatic mode: a slow timer (every 30 s, and at once when
//! woken by Check now, a saved setting or Resume) asks the application
//! layer for one tick. The tick does nothing while no pass is due — no
//! file, no network — so the app idles in the tray at ~0% CPU. After each
//! pass the window gets `automatic-changed` and the tray its status line;
//! news (verified, failed) comes through the watcher's events (`news.rs`).

use std::sync::Arc;
use std::time::Duration;

use backup_workflows::{Desk, ProgressSink, Tick};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::views::AutomaticStatusView;

/// The window event sent after each pass and on pause and resume.
pub const AUTOMATIC_CHANGED: &str = "automatic-changed";

/// How often the timer looks at the schedule (cheap: a clock read).
const TICK_EVERY: Duration = Duration::from_secs(30);

/// Starts the timer of automatic passes.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let Some(desk) = app.try_state::<Desk>() else {
                return;
            };
            if desk.is_stopping() {
                return;
            }
            tick(&app).await;
            tokio::select! {
                () = tokio::time::sleep(TICK_EVERY) => {}
                () = desk.automatic_woken() => {}
            }
        }
    });
}

/// One tick of the timer: runs a pass when one is due, then tells the
/// window and the tray. `None` when the shell is not installed.
pub async fn tick<R: Runtime>(app: &AppHandle<R>) -> Option<Tick> {
    let desk = app.try_state::<Desk>()?;
    // No progress is shown for unattended downloads (the window's history polls).
    let quiet: ProgressSink = Arc::new(|_, _| {});
    match desk.automatic_tick(quiet).await {
        Ok(tick) => {
            if matches!(tick, Tick::Ran(_)) {
                announce(app);
            }
            Some(tick)
        }
        Err(error) => {
            log::warn!("automatic pass: {error}");
            announce(app);
            None
        }
    }
}

/// Sends the status to the window (`automatic-changed`) and the tray.
pub fn announce<R: Runtime>(app: &AppHandle<R>) {
    let Some(desk) = app.try_state::<Desk>() else {
        return;
    };
    match desk.automatic_status() {
        Ok(status) => {
            if let Err(error) = app.emit(AUTOMATIC_CHANGED, AutomaticStatusView::from(&status)) {
                log::warn!("automatic-changed not sent: {error}");
            }
            crate::tray::refresh(app, &status);
        }
        Err(error) => log::warn!("automatic status: {error}"),
    }
}
