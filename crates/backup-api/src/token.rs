//! The token and the addresses it may be sent to. The token is a secret: it
//! never prints, and it travels only over https (or plain http to a provider
//! on this very computer, where it never crosses a network).

use std::fmt;

use url::{Host, Url};

use crate::error::ApiError;

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
}
