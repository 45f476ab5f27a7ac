//! End-to-end tests: one binary, a module per area, each against real
//! components started by `test-support` (sshd, Secret Service, the app).

mod app;
mod harness;
