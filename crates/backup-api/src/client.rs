//! The HTTP client of the provider API.
//!
//! Reads are retried with exponential backoff and jitter, honouring
//! `Retry-After` (seconds or HTTP date, capped); a backup request carries an
//! `Idempotency-Key` and is retried only with that same key, so a retry can
//! never create a second backup. Plain `http://` is accepted only for a
//! provider on this computer, and redirects never leave the provider's host
//! nor https, so the token cannot leak. The token is never printed.
//!
//! Everything a provider sends is untrusted, so every call is bounded: one
//! deadline covers all its attempts and waits, answers are read up to a size
//! limit, and the history's cursors are followed only so far.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use crate::body::{self, ANSWER_LIMIT, BodyError, PROBLEM_LIMIT};
use crate::error::ApiError;
use crate::paging::CursorWalk;
use crate::problem::problem;
use crate::redirect;
use crate::retry::{backoff, retry_after};
use crate::tls::{self, TlsFailure};
use crate::token::{Token, check_provider_url};
use crate::types::{Backup, BackupPage, Delivery, DownloadTerms, Me, TermsAcceptance};

/// Timeouts, retry limits and how far the history is followed.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub connect_timeout: Duration,
    /// Longest wait for each read from the connection.
    pub read_timeout: Duration,
    /// Longest time one call may take, all its attempts, waits and reading
    /// included; past it the call fails with [`ApiError::Network`].
    pub deadline: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First backoff delay (doubled per attempt, with ±50% jitter).
    pub base_delay: Duration,
    /// Longest `Retry-After` the client honours before giving up.
    pub max_retry_after: Duration,
    /// Most pages [`ApiClient::all_backups`] reads before calling the history endless.
    pub max_pages: u32,
    /// Most backups [`ApiClient::all_backups`] collects before calling the history endless.
    pub max_backups: usize,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(90),
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(30),
            max_pages: 1_000,
            max_backups: 100_000,
        }
    }
}

/// A client for one provider and one token.
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: Token,
    config: ClientConfig,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base.as_str())
            .field("token", &self.token)
            .finish()
    }
}

impl ApiClient {
    /// A client with default timeouts and retries.
    pub fn new(base_url: &str, token: Token) -> Result<ApiClient, ApiError> {
        Self::with_config(base_url, token, ClientConfig::default())
    }

    /// A client with `config`. Fails when `base_url` may not carry the token
    /// (see [`check_provider_url`]). It verifies certificates with the
    /// system's certificate store, where the system has one.
    pub fn with_config(
        base_url: &str,
        token: Token,
        config: ClientConfig,
    ) -> Result<ApiClient, ApiError> {
        let base = check_provider_url(base_url)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .redirect(redirect::policy(base.clone()))
            .user_agent(concat!("BackupDesk/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = tls::platform_config() {
            builder = builder.use_preconfigured_tls(tls);
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::InvalidUrl(format!("cannot build the HTTP client: {e}")))?;
        Ok(ApiClient {
            http,
            base,
            token,
            config,
        })
    }

    /// The provider's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    fn host(&self) -> String {
        self.base.host_str().unwrap_or("the provider").to_owned()
    }

    /// Sends a request and decodes the contract's answer or its problem,
    /// within the call's deadline.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ApiError> {
        let until = Instant::now() + self.config.deadline;
        let exchange = async {
            let response = self.send(method, url, body, idempotency_key, until).await?;
            self.decode(response).await
        };
        tokio::time::timeout_at(until, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::Network {
                    host: self.host(),
                    message: format!(
                        "it did not answer within {}",
                        duration_text(self.config.deadline)
                    ),
                })
            })
    }

    /// Sends a request, retrying what is safe to retry while time is left
    /// before `until`.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        until: Instant,
    ) -> Result<reqwest::Response, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(self.token.expose())
                .header(
                    reqwest::header::ACCEPT,
                    "application/json, application/problem+json",
                );
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let last = attempt >= self.config.max_attempts;
            // Whether waiting `wait` still leaves time to try again.
            let room_for = |wait: Duration| Instant::now() + wait < until;
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let transient = matches!(
                        status,
                        StatusCode::TOO_MANY_REQUESTS
                            | StatusCode::BAD_GATEWAY
                            | StatusCode::SERVICE_UNAVAILABLE
                            | StatusCode::GATEWAY_TIMEOUT
                    );
                    if !transient || last {
                        return Ok(response);
                    }
                    let wait = match retry_after(response.headers()) {
                        Some(wait) if wait > self.config.max_retry_after => return Ok(response),
                        Some(wait) => wait,
                        None => backoff(self.config.base_delay, attempt),
                    };
                    if !room_for(wait) {
                        return Ok(response);
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(error) => {
                    if let Some(failure) = tls::failure(&error) {
                        // A refused certificate does not heal by retrying.
                        return Err(self.tls_error(failure));
                    }
                    if error.is_redirect() {
                        return Err(redirect::refused(&error));
                    }
                    let wait = backoff(self.config.base_delay, attempt);
                    let retryable = error.is_connect() || error.is_timeout() || error.is_request();
                    if !retryable || last || !room_for(wait) {
                        return Err(self.network(&error));
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The contract's answer, or the problem the provider answered instead.
    async fn decode<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, ApiError> {
        let status = response.status();
        if status.is_success() {
            let bytes = match body::read_limited(response, ANSWER_LIMIT).await {
                Ok(bytes) => bytes,
                Err(BodyError::TooLarge) => {
                    return Err(ApiError::AnswerTooLarge {
                        limit_bytes: ANSWER_LIMIT as u64,
                    });
                }
                Err(BodyError::Read(error)) => return Err(self.network(&error)),
            };
            return serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode(e.to_string()));
        }
        // A problem body too long to be one is ignored: its status still says what failed.
        let bytes = match body::read_limited(response, PROBLEM_LIMIT).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge) => Vec::new(),
            Err(BodyError::Read(error)) => return Err(self.network(&error)),
        };
        Err(problem(status, &bytes))
    }

    fn network(&self, error: &reqwest::Error) -> ApiError {
        ApiError::Network {
            host: self.host(),
            message: describe(error),
        }
    }

    fn tls_error(&self, failure: TlsFailure) -> ApiError {
        match failure {
            TlsFailure::Certificate(reason) => ApiError::Certificate {
                host: self.host(),
                reason,
            },
            TlsFailure::Handshake(reason) => ApiError::Network {
                host: self.host(),
                message: format!("a secure connection could not be set up ({reason})"),
            },
        }
    }

    /// `GET` of the path made of `segments`.
    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ApiError> {
        self.call(Method::GET, self.url(segments), None, None).await
    }

    /// The person and every account they belong to.
    pub async fn me(&self) -> Result<Me, ApiError> {
        self.get(&["v1", "me"]).await
    }

    /// One page of the history (newest first) with the request gate.
    pub async fn backups(
        &self,
        account: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<BackupPage, ApiError> {
        let mut url = self.url(&["v1", "accounts", account, "backups"]);
        {
            let mut query = url.query_pairs_mut();
            if let Some(limit) = limit {
                query.append_pair("limit", &limit.to_string());
            }
            if let Some(cursor) = cursor {
                query.append_pair("cursor", cursor);
            }
        }
        self.call(Method::GET, url, None, None).await
    }

    /// The whole history, following cursors; the gate and policy of the first page.
    ///
    /// Fails with [`ApiError::EndlessHistory`] when a cursor comes back or the
    /// history passes [`ClientConfig::max_pages`] or [`ClientConfig::max_backups`].
    pub async fn all_backups(&self, account: &str) -> Result<BackupPage, ApiError> {
        let mut walk = CursorWalk::new(self.config.max_pages, self.config.max_backups);
        let mut page = self.backups(account, None, Some(PAGE_SIZE)).await?;
        let mut cursor = walk.next(page.next_cursor.take(), page.backups.len())?;
        while let Some(next) = cursor {
            let more = self.backups(account, Some(&next), Some(PAGE_SIZE)).await?;
            cursor = walk.next(more.next_cursor, more.backups.len())?;
            page.backups.extend(more.backups);
        }
        Ok(page)
    }

    /// One backup.
    pub async fn backup(&self, account: &str, id: &str) -> Result<Backup, ApiError> {
        self.get(&["v1", "accounts", account, "backups", id]).await
    }

    /// Requests a backup. `idempotency_key` must be new for a new request and
    /// reused when repeating one (see [`new_idempotency_key`]).
    pub async fn request_backup(
        &self,
        account: &str,
        idempotency_key: &str,
    ) -> Result<Backup, ApiError> {
        self.call(
            Method::POST,
            self.url(&["v1", "accounts", account, "backups"]),
            Some(&json!({})),
            Some(idempotency_key),
        )
        .await
    }

    /// The current download terms for this person.
    pub async fn terms(&self, account: &str, id: &str) -> Result<DownloadTerms, ApiError> {
        self.get(&["v1", "accounts", account, "backups", id, "terms"])
            .await
    }

    /// Accepts the terms of `version`.
    pub async fn accept_terms(
        &self,
        account: &str,
        id: &str,
        version: &str,
    ) -> Result<TermsAcceptance, ApiError> {
        let body = json!({"terms_version": version});
        self.call(
            Method::POST,
            self.url(&["v1", "accounts", account, "backups", id, "terms-acceptance"]),
            Some(&body),
            None,
        )
        .await
    }

    /// Where and how to download a ready backup.
    pub async fn delivery(&self, account: &str, id: &str) -> Result<Delivery, ApiError> {
        self.get(&["v1", "accounts", account, "backups", id, "delivery"])
            .await
    }
}

/// Backups asked for per page of the history.
const PAGE_SIZE: u32 = 100;

/// A fresh idempotency key (128 random bits, hex).
pub fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "it did not answer in time".into()
    } else if error.is_connect() {
        "the connection was refused or could not be made".into()
    } else {
        // reqwest's message may contain the URL, never the token.
        error.to_string()
    }
}

/// `90 s`, `1.5 s` or `300 ms`.
fn duration_text(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) {
        format!("{} s", duration.as_secs_f64())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let client =
            ApiClient::new("https://p.example", Token::new("bdp_supersecret")).expect("client");
        let shown = format!("{client:?} {:?}", Token::new("bdp_supersecret"));
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
