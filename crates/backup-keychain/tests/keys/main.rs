//! Key import with keys made at test time by the real tools (ssh-keygen,
//! openssl, puttygen), checked against what `ssh-keygen -l` prints and what
//! a real sshd accepts; the keychain is in memory here (see
//! `secret_service.rs` for the real one).

mod formats;
mod login;
mod refusals;
mod store;
mod tools;
