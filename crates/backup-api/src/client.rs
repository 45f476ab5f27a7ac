//! The HTTP client of the provider API.
//!
//! Reads are retried with exponential backoff and jitter, honouring
//! `Retry-After` (seconds or HTTP date, capped); a backup request carries an
//! `Idempotency-Key` and is retried only with that same key, so a retry can
//! never create a second backup. Plain `http://` is accepted only for a
//! provider on this computer, and redirects never leave the provider's host,
//! so the token cannot leak. The token is never printed.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::{Method, StatusCode, redirect};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::{Host, Url};

use crate::error::{ApiError, ProblemCode};
use crate::types::{Backup, BackupPage, Delivery, DownloadTerms, Me, TermsAcceptance};
use backup_domain::BackupPolicy;

/// An API token. `Debug` prints `<redacted>`; it cannot be serialized.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// The secret itself, for the keychain and the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Timeouts and retry limits.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub connect_timeout: Duration,
    /// Longest wait for each read from the connection.
    pub read_timeout: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First backoff delay (doubled per attempt, with ±50% jitter).
    pub base_delay: Duration,
    /// Longest `Retry-After` the client honours before giving up.
    pub max_retry_after: Duration,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(30),
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

/// Whether `url` may be used with a token: https anywhere, http only on loopback.
pub fn check_provider_url(url: &str) -> Result<Url, ApiError> {
    let parsed = Url::parse(url.trim()).map_err(|e| {
        ApiError::InvalidUrl(format!(
            "{url:?} is not a valid address ({e}); use e.g. https://backups.example.com"
        ))
    })?;
    let loopback = match parsed.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err(ApiError::InvalidUrl(
            "Plain http:// would send your token unencrypted; use the provider's https:// address (http is accepted only for a provider on this computer).".into(),
        )),
        other => Err(ApiError::InvalidUrl(format!("{other}:// is not supported; use https://."))),
    }
}

impl ApiClient {
    /// A client with default timeouts and retries.
    pub fn new(base_url: &str, token: Token) -> Result<ApiClient, ApiError> {
        Self::with_config(base_url, token, ClientConfig::default())
    }

    pub fn with_config(
        base_url: &str,
        token: Token,
        config: ClientConfig,
    ) -> Result<ApiClient, ApiError> {
        let base = check_provider_url(base_url)?;
        let origin = (
            base.host_str().map(str::to_owned),
            base.port_or_known_default(),
        );
        let policy = redirect::Policy::custom(move |attempt| {
            let same = (
                attempt.url().host_str().map(str::to_owned),
                attempt.url().port_or_known_default(),
            ) == origin;
            if !same {
                let to = attempt.url().to_string();
                attempt.error(format!("redirect to another host: {to}"))
            } else if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .redirect(policy)
            .user_agent(concat!("BackupDesk/", env!("CARGO_PKG_VERSION")))
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

    /// Sends a request, retrying what is safe to retry.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
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
                    tokio::time::sleep(wait).await;
                }
                Err(error) if error.is_redirect() => {
                    return Err(ApiError::RedirectRefused(
                        error
                            .url()
                            .map(|u| u.to_string())
                            .unwrap_or_else(|| "another host".into()),
                    ));
                }
                Err(error)
                    if !last
                        && (error.is_connect() || error.is_timeout() || error.is_request()) =>
                {
                    tokio::time::sleep(backoff(self.config.base_delay, attempt)).await;
                }
                Err(error) => {
                    return Err(ApiError::Network {
                        host: self.host(),
                        message: describe(&error),
                    });
                }
            }
        }
    }

    /// Sends a request and decodes the contract's answer or its problem.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ApiError> {
        let response = self.send(method, url, body, idempotency_key).await?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| ApiError::Network {
            host: self.host(),
            message: describe(&e),
        })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode(e.to_string()));
        }
        Err(problem(status, &bytes))
    }

    /// `GET` of the path made of `segments`.
    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ApiError> {
        self.call(Method::GET, self.url(segments), None, None).await
    }

    /// The person and every account they belong to.
    pub async fn me(&self) -> Result<Me, ApiError> {
        self.get(&["v1", "me"]).await
    }

    /// The account's plan policy.
    pub async fn policy(&self, account: &str) -> Result<BackupPolicy, ApiError> {
        self.get(&["v1", "accounts", account, "backup-policy"])
            .await
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
    pub async fn all_backups(&self, account: &str) -> Result<BackupPage, ApiError> {
        let mut page = self.backups(account, None, Some(100)).await?;
        let mut cursor = page.next_cursor.take();
        while let Some(next) = cursor {
            let more = self.backups(account, Some(&next), Some(100)).await?;
            page.backups.extend(more.backups);
            cursor = more.next_cursor;
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

fn problem(status: StatusCode, bytes: &[u8]) -> ApiError {
    let body: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let code = text("code")
        .map(|c| ProblemCode::from_wire(&c))
        .unwrap_or_else(|| ProblemCode::Other(format!("http_{}", status.as_u16())));
    let detail = text("detail")
        .or_else(|| text("title"))
        .unwrap_or_else(|| format!("The provider answered HTTP {}.", status.as_u16()));
    let next_allowed_at = text("next_allowed_at")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.to_utc());
    ApiError::Problem {
        status: status.as_u16(),
        code,
        detail,
        next_allowed_at,
        terms_version: text("terms_version"),
    }
}

/// `base × 2^(attempt-1)`, ±50% jitter, at most 10 s.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let factor = 0.5 + f64::from(byte[0]) / 255.0;
    exp.mul_f64(factor).min(Duration::from_secs(10))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = NaiveDateTime::parse_from_str(value, HTTP_DATE)
        .ok()?
        .and_utc();
    Some((at - wall_clock()).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP date (IMF-fixdate), as `Retry-After` may carry it.
const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

#[allow(clippy::disallowed_methods)] // the client's one reading of the wall clock, for Retry-After dates
fn wall_clock() -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_on_this_computer() {
        assert!(check_provider_url("https://backups.example.com").is_ok());
        assert!(check_provider_url("http://127.0.0.1:8080").is_ok());
        assert!(check_provider_url("http://[::1]:8080").is_ok());
        assert!(check_provider_url("http://localhost:8080").is_ok());
        let refused =
            check_provider_url("http://backups.example.com").expect_err("http to a remote host");
        assert!(refused.to_string().contains("https://"), "{refused}");
        assert!(check_provider_url("ftp://example.com").is_err());
        assert!(check_provider_url("not a url").is_err());
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let client =
            ApiClient::new("https://p.example", Token::new("bdp_supersecret")).expect("client");
        let shown = format!("{client:?} {:?}", Token::new("bdp_supersecret"));
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let soon = wall_clock() + chrono::TimeDelta::seconds(30);
        headers.insert(
            reqwest::header::RETRY_AFTER,
            soon.format(HTTP_DATE).to_string().parse().expect("value"),
        );
        let wait = retry_after(&headers).expect("a date");
        assert!(
            wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28),
            "{wait:?}"
        );
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "soon-ish".parse().expect("value"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 1..6 {
            let d = backoff(Duration::from_millis(100), attempt);
            let nominal = 100u64 << (attempt - 1);
            assert!(
                d.as_millis() as u64 >= nominal / 2 && d.as_millis() as u64 <= nominal * 3 / 2 + 1,
                "{attempt}: {d:?}"
            );
        }
        assert!(backoff(Duration::from_secs(5), 10) <= Duration::from_secs(10));
    }

    #[test]
    fn problems_keep_their_code_and_unknown_codes_survive() {
        let body = br#"{"type":"t","title":"T","status":409,"detail":"wait","code":"cooldown_active","next_allowed_at":"2026-12-19T10:00:00Z"}"#;
        match problem(StatusCode::CONFLICT, body) {
            ApiError::Problem {
                code: ProblemCode::CooldownActive,
                next_allowed_at: Some(_),
                detail,
                ..
            } => {
                assert_eq!(detail, "wait")
            }
            other => panic!("{other:?}"),
        }
        let odd = problem(StatusCode::IM_A_TEAPOT, br#"{"code":"brewing"}"#);
        assert_eq!(odd.code(), Some(&ProblemCode::Other("brewing".into())));
        let html = problem(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert_eq!(html.code(), Some(&ProblemCode::Other("http_502".into())));
    }
}
