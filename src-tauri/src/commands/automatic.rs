//! Automatic mode, start at login and the log folder: each command unpacks,
//! calls one function of the application layer (or one plugin) and returns
//! the new status; pause, resume and saved settings also reach the tray and
//! other listeners through `automatic-changed`.

use backup_workflows::Desk;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::views::{AutomaticInput, AutomaticStatusView, TermsView};

fn status(desk: &Desk) -> AppResult<AutomaticStatusView> {
    Ok(AutomaticStatusView::from(&desk.automatic_status()?))
}

/// Paused or not, the next check, and each account's settings and last pass.
#[tauri::command]
pub async fn automatic_status(desk: State<'_, Desk>) -> AppResult<AutomaticStatusView> {
    status(&desk)
}

/// Saves `account`'s automatic settings (keep 1–100); a terms version
/// that differs from the one consented to is the person's consent (audited);
/// null withdraws it. A pass runs at once when one is due.
#[tauri::command]
pub async fn automatic_save<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    account: i64,
    settings: AutomaticInput,
) -> AppResult<AutomaticStatusView> {
    desk.save_automatic_settings(account, &settings.into())?;
    crate::automatic::announce(&app);
    status(&desk)
}

/// The provider's download terms in force, to consent to; null while the
/// account has no backup yet.
#[tauri::command]
pub async fn automatic_terms(desk: State<'_, Desk>, account: i64) -> AppResult<Option<TermsView>> {
    Ok(desk.automatic_terms(account).await?.map(TermsView::from))
}

/// Pauses or resumes automatic mode (kept across launches); resuming checks at once.
#[tauri::command]
pub async fn automatic_pause<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    paused: bool,
) -> AppResult<AutomaticStatusView> {
    desk.set_automatic_paused(paused)?;
    crate::automatic::announce(&app);
    status(&desk)
}

/// Check now (the tray's item too): the timer runs a pass at once unless
/// paused; the result comes with `automatic-changed`.
#[tauri::command]
pub async fn automatic_run_now(desk: State<'_, Desk>) -> AppResult<AutomaticStatusView> {
    desk.automatic_check_now();
    status(&desk)
}

fn no_autostart(error: impl std::fmt::Display) -> AppError {
    log::warn!("start at login: {error}");
    AppError::new(
        ErrorCode::Failed,
        "Start at login is not available on this computer.",
    )
}

/// Whether the app starts at login.
#[tauri::command]
pub async fn autostart_get<R: Runtime>(app: AppHandle<R>) -> AppResult<bool> {
    use tauri_plugin_autostart::ManagerExt;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return Err(no_autostart("the autostart plugin is not installed"));
    }
    app.autolaunch().is_enabled().map_err(no_autostart)
}

/// Starts the app at login, or stops doing so (opt-in; off by default).
#[tauri::command]
pub async fn autostart_set<R: Runtime>(app: AppHandle<R>, enabled: bool) -> AppResult<bool> {
    use tauri_plugin_autostart::ManagerExt;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return Err(no_autostart("the autostart plugin is not installed"));
    }
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable().map_err(no_autostart)?;
    } else {
        launcher.disable().map_err(no_autostart)?;
    }
    launcher.is_enabled().map_err(no_autostart)
}

/// The app's log folder, created if missing.
pub fn log_folder<R: Runtime>(app: &AppHandle<R>) -> AppResult<std::path::PathBuf> {
    let dir = app.path().app_log_dir().map_err(|e| {
        AppError::new(
            ErrorCode::Failed,
            format!("No log folder is known for this user: {e}"),
        )
    })?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        AppError::new(
            ErrorCode::Disk,
            format!("Cannot create the log folder {}: {e}", dir.display()),
        )
        .with_path(&dir)
    })?;
    Ok(dir)
}

/// Opens the app's log folder in the file manager: `failed` with its
/// `path` when no file manager opens it.
#[tauri::command]
pub async fn log_folder_open<R: Runtime>(app: AppHandle<R>) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let dir = log_folder(&app)?;
    app.opener()
        .open_path(dir.display().to_string(), None::<&str>)
        .map_err(|e| {
            log::warn!("open_path of the log folder failed: {e}");
            AppError::new(
                ErrorCode::Failed,
                format!(
                    "Could not open the file manager. The logs are in {}.",
                    dir.display()
                ),
            )
            .with_path(&dir)
        })
}
