//! RFC 9457 problem responses with the contract's stable `code`s.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::error::ProviderError;

/// A problem to send back; never a bare 500 or a panic.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub next_allowed_at: Option<DateTime<Utc>>,
    pub terms_version: Option<String>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            status,
            code,
            title,
            detail: detail.into(),
            next_allowed_at: None,
            terms_version: None,
        }
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for your role",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid request",
            detail,
        )
    }

    pub fn too_large() -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body too large",
            "Request bodies are limited to 64 KiB.",
        )
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "The provider failed to handle this request; try again later.",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": format!("https://backup-desk.example/problems/{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Some(at) = self.next_allowed_at {
            body["next_allowed_at"] = Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        if let Some(version) = &self.terms_version {
            body["terms_version"] = Value::String(version.clone());
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"backup-desk\""),
            );
        }
        response
    }
}

impl From<ProviderError> for Problem {
    fn from(error: ProviderError) -> Problem {
        match error {
            ProviderError::NotFound(detail) => Problem::not_found(detail),
            ProviderError::Invalid(detail) => Problem::invalid(detail),
            ProviderError::IdempotencyConflict => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_conflict",
                "Idempotency key reused",
                "This Idempotency-Key was already used for another account; use a new key per request.",
            ),
            ProviderError::Conflict(_)
            | ProviderError::Database(_)
            | ProviderError::Io(_)
            | ProviderError::Internal => Problem::internal(),
        }
    }
}
