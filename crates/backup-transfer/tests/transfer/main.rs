//! The engine against a real OpenSSH sshd, with the fault proxy between
//! when the network must misbehave.

mod basics;
mod early;
mod faults;
mod file_order;
mod hostkeys;
mod kills;
mod ownership;
mod resume;
mod sessions;
mod support;
