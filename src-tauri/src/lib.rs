//! The Tauri shell: wires the core crates to the web UI and stays thin.
//!
//! [`build_app`] is generic over the runtime so `tauri::test::mock_builder()`
//! can drive the same setup in unit tests without a desktop.

mod commands;

use std::sync::Mutex;

use tauri::{Builder, Manager, Runtime};

pub use commands::{AppInfo, ProviderConnection};

/// Registers the app's commands and plugins on `builder`.
pub fn build_app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

/// Keeps the in-process demo provider running for the app's lifetime.
struct DemoProvider(#[allow(dead_code)] Mutex<backup_provider::demo::Demo>);

/// Starts the built-in demo provider in the app's data dir (no account is
/// configured yet, so the app opens on the demo).
fn start_demo<R: Runtime>(app: &mut tauri::App<R>) -> Result<(), Box<dyn std::error::Error>> {
    let dir = app.path().app_data_dir()?.join("demo-provider");
    let demo = tauri::async_runtime::block_on(backup_provider::demo::start(&dir, None))?;
    app.manage(ProviderConnection {
        label: "Demo provider".into(),
        base_url: demo.base_url.clone(),
    });
    app.manage(DemoProvider(Mutex::new(demo)));
    Ok(())
}

/// Runs the desktop app until its last window closes.
pub fn run() {
    let app = build_app(Builder::default()).setup(start_demo);
    if let Err(error) = app.run(tauri::generate_context!()) {
        eprintln!("Backup Desk could not start: {error}");
        std::process::exit(1);
    }
}
