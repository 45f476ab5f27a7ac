//! One module per command group; each function is one command.

pub mod account;
pub mod audit;
pub mod auto;
pub mod backups;
pub mod connection;
pub mod demo;
pub mod health;
pub mod key;
pub mod report;
