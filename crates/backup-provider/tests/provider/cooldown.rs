//! The cooldown is enforced server-side from the plan and the history, and
//! the gate in the listing says the same thing as a refusal.

use chrono::TimeDelta;
use serde_json::Value;

use crate::support::{Provider, time_of};

fn gate(provider: &Provider, token: &str) -> Value {
    provider.get("/v1/accounts/acme/backups", token).1["gate"].clone()
}

#[test]
fn a_second_request_is_refused_until_exactly_28_days_later() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    assert_eq!(gate(&provider, &owner)["allowed"], true);
    let id = provider.ready_backup();
    let (_, first) = provider.get(&format!("/v1/accounts/acme/backups/{id}"), &owner);
    let expected_next = time_of(&first["requested_at"]) + TimeDelta::days(28);

    let (status, problem) = provider.request(&owner);
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("cooldown_active"))
    );
    assert_eq!(
        time_of(&problem["next_allowed_at"]),
        expected_next,
        "the exact instant"
    );
    let listed = gate(&provider, &owner);
    assert_eq!(listed["allowed"], false);
    assert_eq!(listed["reason"], "cooldown_active");
    assert_eq!(
        time_of(&listed["next_allowed_at"]),
        expected_next,
        "the list's gate agrees with the refusal"
    );

    provider.advance("27d");
    assert_eq!(provider.request(&owner).0, 409, "27 days are not enough");
    provider.advance("1d");
    let (status, second) = provider.request(&owner);
    assert_eq!(
        status, 201,
        "28 days later a request is allowed again: {second}"
    );
}

#[test]
fn a_server_error_reopens_requesting_at_once() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    let (_, backup) = provider.request(&owner);
    let id = backup["id"].as_str().expect("id");
    assert_eq!(gate(&provider, &owner)["reason"], "request_in_progress");
    assert_eq!(provider.request(&owner).1["code"], "request_in_progress");
    provider.admin(&["backup", "fail", id]);
    assert_eq!(
        gate(&provider, &owner)["allowed"],
        true,
        "server error re-opens at once"
    );
    assert_eq!(provider.request(&owner).0, 201);
}

#[test]
fn a_plan_without_reopening_keeps_the_cooldown_after_a_server_error() {
    let provider = Provider::start_with_policy(
        None,
        &["--cooldown", "7d", "--server-error-reopens", "false"],
    );
    let owner = provider.tokens.owner.clone();
    let (_, backup) = provider.request(&owner);
    provider.admin(&["backup", "fail", backup["id"].as_str().expect("id")]);
    let (status, problem) = provider.request(&owner);
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("cooldown_active"))
    );
    assert_eq!(
        time_of(&problem["next_allowed_at"]),
        time_of(&backup["requested_at"]) + TimeDelta::days(7)
    );
    let (_, policy) = provider.get("/v1/accounts/acme/backup-policy", &owner);
    assert_eq!(policy["cooldown_seconds"], 7 * 86_400);
    assert_eq!(policy["server_error_reopens"], false);
}

#[test]
fn replaying_an_idempotency_key_returns_the_same_backup_never_a_second() {
    let provider = Provider::start(None);
    let owner = provider.tokens.owner.clone();
    let headers = [("Idempotency-Key", "replay-key-0001")];
    let (first_status, first) = provider.call(
        "POST",
        "/v1/accounts/acme/backups",
        Some(&owner),
        &headers,
        None,
    );
    let (second_status, second) = provider.call(
        "POST",
        "/v1/accounts/acme/backups",
        Some(&owner),
        &headers,
        None,
    );
    assert_eq!((first_status, second_status), (201, 200));
    assert_eq!(first["id"], second["id"]);
    let (_, page) = provider.get("/v1/accounts/acme/backups", &owner);
    assert_eq!(
        page["backups"].as_array().expect("list").len(),
        1,
        "one backup, not two"
    );
    let (status, problem) = provider.call(
        "POST",
        "/v1/accounts/globex/backups",
        Some(&owner),
        &headers,
        None,
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("idempotency_conflict"))
    );
}

#[test]
fn concurrent_requests_create_exactly_one_backup() {
    let provider = std::sync::Arc::new(Provider::start(None));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let provider = std::sync::Arc::clone(&provider);
            std::thread::spawn(move || provider.request(&provider.tokens.admin).0)
        })
        .collect();
    let mut statuses: Vec<u16> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![201, 409, 409, 409, 409, 409],
        "only one request may win"
    );
}
