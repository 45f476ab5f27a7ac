//! Who may do what: tokens, roles, and other accounts' data.

use crate::support::Provider;

#[test]
fn me_lists_every_account_of_the_person_with_the_role() {
    let provider = Provider::start(None);
    let (status, me) = provider.get("/v1/me", &provider.tokens.owner);
    assert_eq!(status, 200);
    assert_eq!(me["person"]["id"], "olivia");
    let accounts = me["accounts"].as_array().expect("accounts");
    let roles: Vec<(String, String)> = accounts
        .iter()
        .map(|a| {
            (
                a["account_id"].as_str().expect("id").into(),
                a["role"].as_str().expect("role").into(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            ("acme".into(), "owner".into()),
            ("globex".into(), "admin".into())
        ]
    );
}

#[test]
fn a_viewer_may_list_but_not_request_accept_or_download() {
    let provider = Provider::start(None);
    let id = provider.ready_backup();
    let viewer = provider.tokens.viewer.clone();
    let (status, page) = provider.get("/v1/accounts/acme/backups", &viewer);
    assert_eq!(status, 200);
    assert_eq!(page["gate"]["reason"], "forbidden");
    let (status, problem) = provider.request(&viewer);
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let body = serde_json::json!({"terms_version": "2026-01"}).to_string();
    let path = format!("/v1/accounts/acme/backups/{id}");
    let (status, _) = provider.call(
        "POST",
        &format!("{path}/terms-acceptance"),
        Some(&viewer),
        &[],
        Some(&body),
    );
    assert_eq!(status, 403);
    let (status, problem) = provider.get(&format!("{path}/delivery"), &viewer);
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
}

#[test]
fn another_accounts_backups_are_invisible() {
    let provider = Provider::start(None);
    let id = provider.ready_backup();
    let outsider = provider.tokens.outsider.clone();
    for path in [
        "/v1/accounts/acme/backups".to_owned(),
        "/v1/accounts/acme/backup-policy".to_owned(),
        format!("/v1/accounts/acme/backups/{id}"),
        format!("/v1/accounts/acme/backups/{id}/delivery"),
    ] {
        let (status, problem) = provider.get(&path, &outsider);
        assert_eq!(
            (status, problem["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (status, _) = provider.get(&format!("/v1/accounts/globex/backups/{id}"), &outsider);
    assert_eq!(status, 404, "a backup id of acme does not exist in globex");
    let (status, missing) = provider.get("/v1/accounts/no-such-account/backups", &outsider);
    assert_eq!(status, 404);
    assert_eq!(
        missing["code"], "not_found",
        "unknown and not-a-member answer the same"
    );
}

#[test]
fn missing_malformed_and_unknown_tokens_are_unauthenticated() {
    let provider = Provider::start(None);
    for (token, header) in [
        (None, None),
        (Some("bdp_not_a_real_token"), None),
        (None, Some("Basic dXNlcjpwdw==")),
    ] {
        let headers: Vec<(&str, &str)> = header
            .map(|h| vec![("Authorization", h)])
            .unwrap_or_default();
        let (status, problem) = provider.call("GET", "/v1/me", token, &headers, None);
        assert_eq!(
            (status, problem["code"].as_str()),
            (401, Some("unauthenticated"))
        );
    }
}

#[test]
fn an_owner_cannot_be_demoted() {
    let provider = Provider::start(None);
    let err = provider.admin_fails(&[
        "person",
        "grant",
        "--account",
        "acme",
        "--person",
        "olivia",
        "--role",
        "viewer",
    ]);
    assert!(err.contains("cannot be edited"), "{err}");
}

#[test]
fn tokens_are_stored_hashed_never_in_plain_text() {
    let provider = Provider::start(None);
    let db = std::fs::read(provider.data.path().join("provider.sqlite3")).expect("db");
    let wal = std::fs::read(provider.data.path().join("provider.sqlite3-wal")).unwrap_or_default();
    for token in [&provider.tokens.owner, &provider.tokens.admin] {
        let needle = token.as_bytes();
        for file in [&db, &wal] {
            assert!(
                !file.windows(needle.len()).any(|w| w == needle),
                "a token is stored in plain text"
            );
        }
    }
}
