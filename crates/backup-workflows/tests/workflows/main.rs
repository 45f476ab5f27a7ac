//! The workflows of the application layer against the real things: the
//! reference provider, OpenSSH sshd and a Secret Service in a private
//! D-Bus session. One binary, a module per area.

mod accounts;
mod automatic;
mod automatic_mode;
mod automatic_resume;
mod contents;
mod deliver;
mod health;
mod keychain;
mod report;
mod setup;
mod watcher;
mod world;
