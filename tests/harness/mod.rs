//! Self-tests of the harness: each helper proves it really works, so the
//! tests built on it can be trusted.

mod keychain;
mod proxy;
mod sshd;
