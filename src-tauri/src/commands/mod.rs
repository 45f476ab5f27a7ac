//! The commands the UI may invoke. Each unpacks state, calls one function of
//! the application layer (`backup-workflows`) and maps its result to a view
//! and its error to [`crate::error::AppError`]; none returns a key, a
//! passphrase or a token, and none announces anything (the watcher does,
//! see [`crate::news`]). Every name here is declared in `build.rs` and
//! granted to the main window in `capabilities/main-window.json`.

pub mod accounts;
pub mod automatic;
pub mod backups;
pub mod contents;
pub mod download;
pub mod settings;
