//! Which redirects the client follows. The token rides on every request, so a
//! redirect is followed only to the provider's own scheme, host and port: a
//! provider (or someone between it and us) must never be able to send the
//! token to another host, or over plain http.

use std::fmt;

use reqwest::redirect;
use url::Url;

use crate::error::ApiError;

/// Redirects followed in one request before the client gives up.
const MAX_HOPS: usize = 5;

/// Why a redirect was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// From https to plain http: the token would travel unencrypted.
    PlainHttp(String),
    /// To another host or port (or another scheme than plain http).
    OtherHost(String),
    /// More than [`MAX_HOPS`] redirects in a row.
    TooMany,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::PlainHttp(to) => write!(f, "redirect to plain http: {to}"),
            Refusal::OtherHost(to) => write!(f, "redirect to another host: {to}"),
            Refusal::TooMany => write!(f, "more than {MAX_HOPS} redirects"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Whether a redirect from the provider at `origin` to `to`, after `hops`
/// redirects already followed, may be followed.
pub(crate) fn judge(origin: &Url, to: &Url, hops: usize) -> Result<(), Refusal> {
    if to.scheme() != origin.scheme() {
        return Err(if to.scheme() == "http" {
            Refusal::PlainHttp(to.to_string())
        } else {
            Refusal::OtherHost(to.to_string())
        });
    }
    let same_place = to.host_str() == origin.host_str()
        && to.port_or_known_default() == origin.port_or_known_default();
    if !same_place {
        return Err(Refusal::OtherHost(to.to_string()));
    }
    if hops >= MAX_HOPS {
        return Err(Refusal::TooMany);
    }
    Ok(())
}

/// The redirect policy of a client for the provider at `origin`.
pub(crate) fn policy(origin: Url) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        match judge(&origin, attempt.url(), attempt.previous().len()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}

/// The error for a request that stopped at a refused redirect.
pub(crate) fn refused(error: &reqwest::Error) -> ApiError {
    let refusal = crate::tls::chain(error).find_map(|e| e.downcast_ref::<Refusal>());
    let shown = || {
        error
            .url()
            .map(Url::to_string)
            .unwrap_or_else(|| "another address".into())
    };
    match refusal {
        Some(Refusal::PlainHttp(to)) => ApiError::InsecureRedirect(to.clone()),
        Some(Refusal::OtherHost(to)) => ApiError::RedirectRefused(to.clone()),
        Some(Refusal::TooMany) => {
            ApiError::Decode(format!("it redirected more than {MAX_HOPS} times in a row"))
        }
        None => ApiError::RedirectRefused(shown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a test URL")
    }

    #[test]
    fn a_downgrade_to_plain_http_is_refused_even_on_the_same_host_and_port() {
        let origin = url("https://backups.example.com");
        for to in [
            "http://backups.example.com/v1/me",
            // Same host and port as the origin: only the scheme differs.
            "http://backups.example.com:443/v1/me",
        ] {
            assert_eq!(
                judge(&origin, &url(to), 0),
                Err(Refusal::PlainHttp(to.into())),
                "the token must never be sent unencrypted, whatever the port"
            );
        }
    }

    #[test]
    fn only_the_providers_own_host_and_port_are_followed() {
        let origin = url("https://backups.example.com");
        assert_eq!(
            judge(&origin, &url("https://backups.example.com/v1/me?x=1"), 0),
            Ok(()),
            "a redirect within the provider is ordinary and must keep working"
        );
        assert_eq!(
            judge(&origin, &url("https://backups.example.com:443/v1/me"), 0),
            Ok(()),
            "the default port written out is the same place"
        );
        for to in [
            "https://evil.example.net/v1/me",
            "https://backups.example.com:8443/v1/me",
        ] {
            assert!(
                matches!(judge(&origin, &url(to), 0), Err(Refusal::OtherHost(_))),
                "{to}: the token must not reach another host or port"
            );
        }
    }

    #[test]
    fn a_redirect_loop_stops() {
        let origin = url("https://backups.example.com");
        let to = url("https://backups.example.com/v1/me");
        assert_eq!(judge(&origin, &to, MAX_HOPS - 1), Ok(()));
        assert_eq!(
            judge(&origin, &to, MAX_HOPS),
            Err(Refusal::TooMany),
            "a provider redirecting in a circle must not keep the client busy"
        );
    }
}
