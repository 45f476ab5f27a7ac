//! `backup-desk` as a user runs it: a subprocess against the real provider
//! (in-process, real SQLite), a real OpenSSH sshd and a real Secret Service.

mod auto;
mod choices;
mod contents;
mod demo;
mod flow;
mod health;
mod hostile;
mod parity;
mod report;
mod world;
