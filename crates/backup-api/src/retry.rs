//! When to try again: exponential backoff with jitter, and the provider's
//! `Retry-After` (seconds or an HTTP date).

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

/// `base × 2^(attempt-1)`, ±50% jitter, at most 10 s.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let factor = 0.5 + f64::from(byte[0]) / 255.0;
    exp.mul_f64(factor).min(Duration::from_secs(10))
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
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
}
