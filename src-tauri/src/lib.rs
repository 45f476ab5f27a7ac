//! The Tauri shell: wires the core crates to the web UI and stays thin.
//!
//! [`build_app`] is generic over the runtime so `tauri::test::mock_builder()`
//! can drive the same setup in unit tests without a desktop.

mod commands;

use tauri::{Builder, Runtime};

pub use commands::AppInfo;

/// Registers the app's commands and plugins on `builder`.
pub fn build_app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

/// Runs the desktop app until its last window closes.
pub fn run() {
    if let Err(error) = build_app(Builder::default()).run(tauri::generate_context!()) {
        eprintln!("Backup Desk could not start: {error}");
        std::process::exit(1);
    }
}
