//! Reading a provider's problem answer (RFC 9457): its `code` survives as a
//! [`ProblemCode`], even one this client does not know, and a body that is
//! not a problem at all still yields one from the HTTP status.

use chrono::DateTime;
use reqwest::StatusCode;
use serde_json::Value;

use crate::error::{ApiError, ProblemCode};

/// The problem a provider answered with `status` and `bytes`.
pub(crate) fn problem(status: StatusCode, bytes: &[u8]) -> ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;

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
