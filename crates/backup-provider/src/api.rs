//! The HTTP API of `api/openapi.yaml`, on axum.
//!
//! Every failure is a problem response with a stable code: unknown routes,
//! bad ids, malformed or oversized bodies included. Expiry is applied before
//! each read, so a moved clock is reflected at once.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use backup_domain::{BackupStatus, GateReason, RequestGate, Role};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::problem::Problem;
use crate::store::{Account, BackupRow, Person, RequestOutcome, Store};
use crate::{archive, clock, ids};

/// The contract document, served at `/v1/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../../api/openapi.yaml");

const BODY_LIMIT: usize = 64 * 1024;

/// Where the archives are served over SFTP, as published in deliveries.
#[derive(Debug, Clone)]
pub struct SftpEndpoint {
    pub host: String,
    pub port: u16,
    /// `SHA256:…` fingerprints of the SFTP server's host keys.
    pub host_key_fingerprints: Vec<String>,
}

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Arc<Store>,
    pub sftp: SftpEndpoint,
    pub archive_dir: std::path::PathBuf,
}

type ApiResult = Result<Response, Problem>;

/// The router of the whole API.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.yaml", get(openapi))
        .route("/v1/me", get(me))
        .route("/v1/accounts/{account}/backup-policy", get(policy))
        .route(
            "/v1/accounts/{account}/backups",
            get(list_backups).post(request_backup),
        )
        .route(
            "/v1/accounts/{account}/backups/{backup_id}",
            get(get_backup),
        )
        .route(
            "/v1/accounts/{account}/backups/{backup_id}/terms",
            get(get_terms),
        )
        .route(
            "/v1/accounts/{account}/backups/{backup_id}/terms-acceptance",
            post(accept_terms),
        )
        .route(
            "/v1/accounts/{account}/backups/{backup_id}/delivery",
            get(delivery),
        )
        .fallback(|| async { Problem::not_found("No such endpoint; see /v1/openapi.yaml.") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                "Method not allowed",
                "This endpoint does not accept that method; see /v1/openapi.yaml.",
            )
        })
        .with_state(state)
}

fn internal(error: impl std::fmt::Display) -> Problem {
    eprintln!("backup-provider: internal error: {error}");
    Problem::internal()
}

fn rfc3339(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn opt_time(at: Option<DateTime<Utc>>) -> Value {
    at.map(rfc3339).unwrap_or(Value::Null)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The contract's `Backup` object.
pub fn backup_json(row: &BackupRow) -> Value {
    json!({
        "id": row.id,
        "status": row.status.as_wire(),
        "requested_at": rfc3339(row.requested_at),
        "requested_by": {"id": row.requested_by.id, "name": row.requested_by.name},
        "status_changed_at": rfc3339(row.status_changed_at),
        "ready_at": opt_time(row.ready_at),
        "expires_at": opt_time(row.expires_at),
        "size_bytes": row.size_bytes,
        "sha256": row.sha256,
        "file_name": row.file_name,
        "error_message": row.error_message,
    })
}

fn gate_json(gate: &RequestGate) -> Value {
    json!({
        "allowed": gate.allowed,
        "reason": gate.reason.map(GateReason::as_wire),
        "next_allowed_at": opt_time(gate.next_allowed_at),
        "last_requested_at": opt_time(gate.last_requested_at),
    })
}

fn policy_json(account: &Account) -> Value {
    serde_json::to_value(&account.policy).unwrap_or(Value::Null)
}

/// Resolves the bearer token to a person.
fn authenticate(state: &ApiState, headers: &HeaderMap) -> Result<Person, Problem> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        Problem::unauthenticated("Send your API token as `Authorization: Bearer <token>`.")
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| {
            Problem::unauthenticated("The Authorization header must be `Bearer <token>`.")
        })?;
    state
        .store
        .person_by_token(token)
        .map_err(internal)?
        .ok_or_else(|| {
            Problem::unauthenticated(
                "This token is not valid (revoked or mistyped); ask your provider for a new one.",
            )
        })
}

/// The account, if `person` is a member (else the same 404 as a missing account).
fn membership(
    state: &ApiState,
    person: &Person,
    account_id: &str,
) -> Result<(Account, Role), Problem> {
    let missing = || Problem::not_found(format!("No account {account_id:?} is visible to you."));
    if !ids::is_valid_id(account_id) {
        return Err(missing());
    }
    let role = state
        .store
        .role(account_id, &person.id)
        .map_err(internal)?
        .ok_or_else(missing)?;
    let account = state
        .store
        .account(account_id)
        .map_err(internal)?
        .ok_or_else(missing)?;
    Ok((account, role))
}

/// The provider's now, after applying expiry.
fn now_expired(state: &ApiState) -> Result<DateTime<Utc>, Problem> {
    let now = clock::now(&state.store).map_err(internal)?;
    for name in state.store.expire_due(now).map_err(internal)? {
        // The window is over: the archive is no longer offered.
        let _ = std::fs::remove_file(state.archive_dir.join(name));
    }
    Ok(now)
}

fn find_backup(state: &ApiState, account: &Account, backup_id: &str) -> Result<BackupRow, Problem> {
    let missing = || Problem::not_found(format!("No backup {backup_id:?} in this account."));
    if !ids::is_valid_id(backup_id) {
        return Err(missing());
    }
    state
        .store
        .backup(&account.id, backup_id)
        .map_err(internal)?
        .ok_or_else(missing)
}

fn path_one(path: Result<Path<String>, PathRejection>) -> Result<String, Problem> {
    path.map(|Path(p)| p)
        .map_err(|_| Problem::not_found("No such resource."))
}

fn path_two(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String), Problem> {
    path.map(|Path(p)| p)
        .map_err(|_| Problem::not_found("No such resource."))
}

/// Reads a JSON object body of at most 64 KiB; empty means `{}`.
async fn read_json<T: for<'de> Deserialize<'de>>(body: Body) -> Result<T, Problem> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Problem::too_large())?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::invalid(format!("The request body is not valid: {e}.")))
}

async fn health() -> Response {
    json_response(
        StatusCode::OK,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
    )
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/yaml"),
        )],
        OPENAPI_YAML,
    )
        .into_response()
}

async fn me(State(state): State<ApiState>, headers: HeaderMap) -> ApiResult {
    let person = authenticate(&state, &headers)?;
    let accounts: Vec<Value> = state
        .store
        .memberships(&person.id)
        .map_err(internal)?
        .into_iter()
        .map(|(account, role)| {
            json!({"account_id": account.id, "account_name": account.name,
                   "plan": account.policy.plan, "role": role.as_wire()})
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        json!({"person": {"id": person.id, "name": person.name, "email": person.email}, "accounts": accounts}),
    ))
}

async fn policy(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let person = authenticate(&state, &headers)?;
    let (account, _) = membership(&state, &person, &path_one(path)?)?;
    Ok(json_response(StatusCode::OK, policy_json(&account)))
}

fn parse_cursor(cursor: &str) -> Option<(i64, i64)> {
    let (at, seq) = cursor.split_once('-')?;
    Some((at.parse().ok()?, seq.parse().ok()?))
}

async fn list_backups(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult {
    let person = authenticate(&state, &headers)?;
    let (account, role) = membership(&state, &person, &path_one(path)?)?;
    let Query(query) = query.map_err(|_| Problem::invalid("The query string is not valid."))?;
    let limit = match query.get("limit") {
        None => 50,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| Problem::invalid("`limit` must be a whole number from 1 to 100."))?,
    };
    let after = match query.get("cursor") {
        None => None,
        Some(raw) => Some(parse_cursor(raw).ok_or_else(|| {
            Problem::invalid("`cursor` is not one this server issued; start again without it.")
        })?),
    };
    let now = now_expired(&state)?;
    let mut rows = state
        .store
        .list_backups(&account.id, limit + 1, after)
        .map_err(internal)?;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|r| format!("{}-{}", r.requested_at.timestamp(), r.seq))
    } else {
        None
    };
    let gate = state.store.gate(&account, role, now).map_err(internal)?;
    Ok(json_response(
        StatusCode::OK,
        json!({
            "backups": rows.iter().map(backup_json).collect::<Vec<_>>(),
            "next_cursor": next_cursor,
            "gate": gate_json(&gate),
            "policy": policy_json(&account),
            "server_time": rfc3339(now),
        }),
    ))
}

/// The (empty) body of a backup request: no properties are accepted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupRequest {}

async fn request_backup(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> ApiResult {
    let person = authenticate(&state, &headers)?;
    let (account, role) = membership(&state, &person, &path_one(path)?)?;
    let _: BackupRequest = read_json(body).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| (8..=128).contains(&k.len()) && ids::is_valid_id(k))
        .ok_or_else(|| {
            Problem::invalid("Send an `Idempotency-Key` header of 8–128 letters, digits, `-` or `_` (e.g. a UUID).")
        })?;
    if !role.may_request() {
        return Err(Problem::forbidden(
            "Your role in this account may only list backups; ask an owner or admin.",
        ));
    }
    let now = now_expired(&state)?;
    let outcome = state
        .store
        .request_backup(&account, &person, role, key, now)
        .map_err(Problem::from)?;
    let (status, row) = match outcome {
        RequestOutcome::Created(row) => (StatusCode::CREATED, row),
        RequestOutcome::Replayed(row) => (StatusCode::OK, row),
        RequestOutcome::Refused(gate) => return Err(refusal(&gate)),
    };
    let mut response = json_response(status, backup_json(&row));
    let location = format!("/v1/accounts/{}/backups/{}", account.id, row.id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

fn refusal(gate: &RequestGate) -> Problem {
    match gate.reason {
        Some(GateReason::Forbidden) => Problem::forbidden(
            "Your role in this account may only list backups; ask an owner or admin.",
        ),
        Some(GateReason::RequestInProgress) => Problem::new(
            StatusCode::CONFLICT,
            "request_in_progress",
            "A backup is already in progress",
            "A backup of this account is awaiting release or in progress; wait until it finishes.",
        ),
        _ => {
            let mut problem = Problem::new(
                StatusCode::CONFLICT,
                "cooldown_active",
                "Too soon for another backup",
                "This account's plan allows another backup request from next_allowed_at on.",
            );
            problem.next_allowed_at = gate.next_allowed_at;
            problem
        }
    }
}

/// The caller, the account (with their role) and the backup a
/// `/accounts/{account}/backups/{backup_id}/…` path names, expiry applied.
struct BackupScope {
    person: Person,
    account: Account,
    role: Role,
    row: BackupRow,
}

fn backup_scope(
    state: &ApiState,
    headers: &HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<BackupScope, Problem> {
    let person = authenticate(state, headers)?;
    let (account_id, backup_id) = path_two(path)?;
    let (account, role) = membership(state, &person, &account_id)?;
    now_expired(state)?;
    let row = find_backup(state, &account, &backup_id)?;
    Ok(BackupScope {
        person,
        account,
        role,
        row,
    })
}

async fn get_backup(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let scope = backup_scope(&state, &headers, path)?;
    Ok(json_response(StatusCode::OK, backup_json(&scope.row)))
}

async fn get_terms(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let BackupScope {
        person, account, ..
    } = backup_scope(&state, &headers, path)?;
    let (version, text) = state.store.terms().map_err(internal)?;
    let accepted_at = state
        .store
        .acceptance(&account.id, &person.id, &version)
        .map_err(internal)?;
    Ok(json_response(
        StatusCode::OK,
        json!({"version": version, "text": text, "accepted": accepted_at.is_some(),
               "accepted_at": opt_time(accepted_at)}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsAcceptanceRequest {
    terms_version: String,
}

async fn accept_terms(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Body,
) -> ApiResult {
    let BackupScope {
        person,
        account,
        role,
        ..
    } = backup_scope(&state, &headers, path)?;
    let request: TermsAcceptanceRequest = read_json(body).await?;
    if !role.may_download() {
        return Err(Problem::forbidden(
            "Your role in this account may not download backups.",
        ));
    }
    let (version, _) = state.store.terms().map_err(internal)?;
    if request.terms_version != version {
        let mut problem = Problem::new(
            StatusCode::CONFLICT,
            "terms_version_mismatch",
            "These are not the current terms",
            "The download terms changed; read the current version and accept that one.",
        );
        problem.terms_version = Some(version);
        return Err(problem);
    }
    let now = clock::now(&state.store).map_err(internal)?;
    let (accepted_at, new) = state
        .store
        .accept_terms(&account.id, &person.id, &version, now)
        .map_err(internal)?;
    Ok(json_response(
        if new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        json!({"terms_version": version, "accepted_at": rfc3339(accepted_at),
               "accepted_by": {"id": person.id, "name": person.name}}),
    ))
}

async fn delivery(
    State(state): State<ApiState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let BackupScope {
        person,
        account,
        role,
        row,
    } = backup_scope(&state, &headers, path)?;
    if !role.may_download() {
        return Err(Problem::forbidden(
            "Your role in this account may not download backups.",
        ));
    }
    match row.status {
        BackupStatus::Ready => {}
        BackupStatus::Expired => {
            return Err(Problem::new(
                StatusCode::GONE,
                "expired",
                "The download window has passed",
                "This backup can no longer be downloaded; request a new one when the cooldown allows.",
            ));
        }
        _ => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "not_ready",
                "Not ready yet",
                "Only backups that are ready can be downloaded; wait until its status is ready.",
            ));
        }
    }
    let (version, text) = state.store.terms().map_err(internal)?;
    if state
        .store
        .acceptance(&account.id, &person.id, &version)
        .map_err(internal)?
        .is_none()
    {
        let mut problem = Problem::new(
            StatusCode::FORBIDDEN,
            "terms_not_accepted",
            "Accept the download terms first",
            "Read the current download terms and accept them before downloading.",
        );
        problem.terms_version = Some(version);
        return Err(problem);
    }
    let (Some(file_name), Some(size), Some(sha256)) = (&row.file_name, row.size_bytes, &row.sha256)
    else {
        return Err(internal(format!("ready backup {} has no archive", row.id)));
    };
    Ok(json_response(
        StatusCode::OK,
        json!({
            "backup_id": row.id,
            "terms": {"version": version, "text": text},
            "sftp": {
                "host": state.sftp.host,
                "port": state.sftp.port,
                "remote_path": archive::remote_path(&row.account_id, file_name),
                "size_bytes": size,
                "sha256": sha256,
                "host_key_fingerprints": state.sftp.host_key_fingerprints,
            },
            "expires_at": opt_time(row.expires_at),
        }),
    ))
}
