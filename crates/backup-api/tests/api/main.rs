//! The API client against the real reference provider (in-process, real
//! SQLite) and, for retries and redirects, a scripted HTTP server.

mod provider;
mod resilience;
mod scripted;
