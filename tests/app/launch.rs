//! The app starts, paints its window and answers over IPC under the strict CSP.

use std::time::{Duration, Instant};

use test_support::webdriver::TauriDriver;

#[test]
#[ignore = "needs the built app, tauri-driver and an X display: run by `make test`"]
fn the_app_window_shows_its_heading_and_reaches_the_backend() {
    let app = super::app_binary();
    assert!(
        app.is_file(),
        "build the app first (make test does): {}",
        app.display()
    );
    let (home, env) = super::private_home();
    let driver = TauriDriver::start(&env).expect("start tauri-driver");
    let launched = Instant::now();
    let session = driver
        .session(&app)
        .expect("open a WebDriver session on the app");
    let shots = test_support::artifacts_dir("e2e");
    let heading = session
        .wait_for_text("h1", "Backup Desk", Duration::from_secs(30))
        .inspect_err(|_| session.capture(&shots, "01-launch-failed"))
        .expect("the window shows the app's name");
    assert_eq!(heading.trim(), "Backup Desk");
    let status = session
        .wait_for_text(
            "[data-testid=app-status]",
            "Connected to",
            Duration::from_secs(15),
        )
        .expect("the UI reaches the Rust backend over IPC");
    assert!(
        status.contains("Demo provider"),
        "no account configured → the demo: {status}"
    );
    let painted = launched.elapsed();
    let demo_db = home
        .path()
        .join("data/app.backupdesk.desktop/demo-provider/provider.sqlite3");
    assert!(
        demo_db.is_file(),
        "the built-in demo provider runs from the app's data dir: {}",
        demo_db.display()
    );
    let shots = test_support::artifacts_dir("e2e");
    session
        .screenshot(&shots.join("01-launch.png"))
        .expect("screenshot");
    println!(
        "launch to first painted status: {:.2} s",
        painted.as_secs_f64()
    );
}
