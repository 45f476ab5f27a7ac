//! Tests of the reference provider against its running binary, real SQLite
//! and (for delivery) a real OpenSSH sshd; every response is checked
//! against `api/openapi.yaml`.

mod access;
mod auto;
mod bad_input;
mod contract;
mod cooldown;
mod embedded;
mod gate_parity;
mod lifecycle;
mod records;
mod support;
