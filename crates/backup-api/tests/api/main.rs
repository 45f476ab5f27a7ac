//! The API client against the real reference provider (in-process, real
//! SQLite) and, for retries, redirects, limits and TLS, a scripted HTTP server.

mod limits;
mod provider;
mod resilience;
mod scripted;
mod tls;
