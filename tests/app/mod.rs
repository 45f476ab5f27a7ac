//! The real desktop app binary, driven through tauri-driver + WebKitWebDriver
//! under Xvfb. `make test` builds the app once and runs these with
//! `--run-ignored`; they are ignored in a plain `cargo test`, which has no
//! display or app build.

mod automatic;
mod flow;
mod launch;
mod world;

use std::path::PathBuf;

/// The self-contained release binary built by `make test` and `make run`
/// (`BACKUP_DESK_APP` overrides).
pub fn app_binary() -> PathBuf {
    std::env::var_os("BACKUP_DESK_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| test_support::workspace_root().join("target/release/backup-desk-app"))
}

/// A private `HOME` and XDG dirs so the app never touches the tester's files.
pub fn private_home() -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().expect("temp home");
    let sub = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(&path).expect("create xdg dir");
        path.display().to_string()
    };
    let env = vec![
        ("HOME".to_owned(), sub("home")),
        ("XDG_DATA_HOME".to_owned(), sub("data")),
        ("XDG_CONFIG_HOME".to_owned(), sub("config")),
        ("XDG_CACHE_HOME".to_owned(), sub("cache")),
    ];
    (dir, env)
}
