//! Bad input gets a problem response with a code: never a 500, never a panic.

use crate::support::Provider;

#[test]
fn malformed_bodies_unknown_fields_wrong_types_and_huge_bodies_are_refused_cleanly() {
    let provider = Provider::start(None);
    let id = provider.ready_backup();
    let owner = provider.tokens.owner.clone();
    let path = format!("/v1/accounts/acme/backups/{id}/terms-acceptance");
    let huge = format!("{{\"terms_version\": \"{}\"}}", "x".repeat(70_000));
    let cases: Vec<(&str, u16, &str)> = vec![
        ("{not json", 400, "invalid_request"),
        (
            "{\"terms_version\": \"2026-01\", \"admin\": true}",
            400,
            "invalid_request",
        ),
        ("{\"terms_version\": 42}", 400, "invalid_request"),
        ("[1, 2, 3]", 400, "invalid_request"),
        ("{}", 400, "invalid_request"),
        (&huge, 413, "payload_too_large"),
    ];
    for (body, want_status, want_code) in cases {
        let (status, problem) = provider.call("POST", &path, Some(&owner), &[], Some(body));
        assert_eq!(
            (status, problem["code"].as_str()),
            (want_status, Some(want_code)),
            "body {:.40}",
            body
        );
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "a problem says what to do"
        );
    }
    let (status, problem) = provider.call(
        "POST",
        "/v1/accounts/acme/backups",
        Some(&owner),
        &[("Idempotency-Key", "k-000001")],
        Some("{\"plan\":\"x\"}"),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_request")),
        "the request body has no fields"
    );
}

#[test]
fn missing_or_bad_idempotency_keys_are_refused() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    for headers in [
        vec![],
        vec![("Idempotency-Key", "short")],
        vec![("Idempotency-Key", "has spaces in it")],
    ] {
        let (status, problem) = provider.call(
            "POST",
            "/v1/accounts/acme/backups",
            Some(&owner),
            &headers,
            None,
        );
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_request")),
            "{headers:?}"
        );
    }
}

#[test]
fn path_tricks_in_ids_are_not_found() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    for path in [
        "/v1/accounts/acme/backups/..%2F..%2Fetc%2Fpasswd",
        "/v1/accounts/acme/backups/%2e%2e",
        "/v1/accounts/..%2Facme/backups",
        "/v1/accounts/acme/backups/bk_x%00y/delivery",
        "/v1/accounts/acme/backups/a.b.c",
        "/v1/accounts/acme%20/backups",
    ] {
        let (status, problem) = provider.get(path, &owner);
        assert_eq!(
            (status, problem["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
}

#[test]
fn bad_pagination_parameters_are_invalid_requests() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "cursor=garbage",
        "cursor=1-",
    ] {
        let (status, problem) = provider.get(&format!("/v1/accounts/acme/backups?{query}"), &owner);
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_request")),
            "{query}"
        );
    }
}

#[test]
fn unknown_routes_and_methods_get_problems() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    let (status, problem) = provider.get("/v1/nothing-here", &owner);
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
    let (status, problem) = provider.call("DELETE", "/v1/me", Some(&owner), &[], None);
    assert_eq!(status, 405);
    assert_eq!(problem["code"], "invalid_request");
}

#[test]
fn terms_of_an_old_version_are_refused_with_the_current_one() {
    let provider = Provider::start(None);
    let id = provider.ready_backup();
    provider.admin(&[
        "terms",
        "publish",
        "--version",
        "2026-07",
        "--text",
        "New terms.",
    ]);
    let body = serde_json::json!({"terms_version": "2026-01"}).to_string();
    let (status, problem) = provider.call(
        "POST",
        &format!("/v1/accounts/acme/backups/{id}/terms-acceptance"),
        Some(&provider.tokens.owner),
        &[],
        Some(&body),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("terms_version_mismatch"))
    );
    assert_eq!(problem["terms_version"], "2026-07");
}

#[test]
fn a_database_from_a_newer_provider_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    drop(backup_provider::store::Store::open(dir.path()).expect("create"));
    let file = dir.path().join("provider.sqlite3");
    let raw = rusqlite::Connection::open(&file).expect("raw");
    raw.pragma_update(None, "user_version", 99)
        .expect("future schema");
    drop(raw);
    let error = backup_provider::store::Store::open(dir.path()).expect_err("refused");
    assert!(
        error.to_string().contains("newer backup-provider"),
        "{error}"
    );
    let raw = rusqlite::Connection::open(&file).expect("raw");
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, 99, "left as it was");
}
