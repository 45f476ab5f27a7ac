//! The client's gate (backup-domain, computed from what the API lists) must
//! equal the server's for the same data: one table of cases, run against both.

use backup_domain::{BackupPolicy, BackupStatus, PastRequest, Role, request_gate};
use serde_json::Value;

use crate::support::{Provider, time_of};

/// What happens to the account before the gate is compared.
#[derive(Debug, Clone, Copy)]
enum Step {
    Request,
    Release,
    Complete,
    Fail,
    Advance(&'static str),
}

fn run(provider: &Provider, steps: &[Step]) {
    let mut last_id = String::new();
    for step in steps {
        match step {
            Step::Request => {
                let (status, backup) = provider.request(&provider.tokens.owner);
                assert_eq!(status, 201, "setup request refused: {backup}");
                last_id = backup["id"].as_str().expect("id").to_owned();
            }
            Step::Release => drop(provider.admin(&["backup", "release", &last_id])),
            Step::Complete => drop(provider.admin(&["backup", "complete", &last_id])),
            Step::Fail => drop(provider.admin(&["backup", "fail", &last_id])),
            Step::Advance(by) => provider.advance(by),
        }
    }
}

/// The client's computation from a listing.
fn client_gate(page: &Value, role: Role) -> backup_domain::RequestGate {
    let policy: BackupPolicy = serde_json::from_value(page["policy"].clone()).expect("policy");
    let history: Vec<PastRequest> = page["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .map(|b| PastRequest {
            requested_at: time_of(&b["requested_at"]),
            status: BackupStatus::from_wire(b["status"].as_str().expect("status")),
        })
        .collect();
    request_gate(&policy, role, &history, time_of(&page["server_time"]))
}

#[test]
fn client_and_server_agree_on_every_gate_case() {
    use Step::*;
    let cases: Vec<(&str, Vec<&str>, Vec<Step>)> = vec![
        ("no history", vec![], vec![]),
        ("awaiting release", vec![], vec![Request]),
        ("in progress", vec![], vec![Request, Release]),
        ("ready, day 0", vec![], vec![Request, Release, Complete]),
        (
            "ready, day 27",
            vec![],
            vec![Request, Release, Complete, Advance("27d")],
        ),
        (
            "ready, day 28",
            vec![],
            vec![Request, Release, Complete, Advance("28d")],
        ),
        (
            "expired, day 20",
            vec![],
            vec![Request, Release, Complete, Advance("20d")],
        ),
        ("server error, reopens", vec![], vec![Request, Fail]),
        (
            "server error, no reopen",
            vec!["--server-error-reopens", "false"],
            vec![Request, Fail, Advance("3d")],
        ),
        (
            "7-day plan, day 6",
            vec!["--cooldown", "7d"],
            vec![Request, Release, Complete, Advance("6d")],
        ),
        (
            "24-hour plan, next day",
            vec!["--cooldown", "24h"],
            vec![Request, Fail, Advance("24h")],
        ),
    ];
    for (name, policy, steps) in cases {
        let provider = Provider::start_with_policy(None, &policy);
        run(&provider, &steps);
        for (who, token, role) in [
            ("owner", &provider.tokens.owner, Role::Owner),
            ("viewer", &provider.tokens.viewer, Role::Viewer),
        ] {
            let (_, page) = provider.get("/v1/accounts/acme/backups", token);
            let server = &page["gate"];
            let client = client_gate(&page, role);
            assert_eq!(server["allowed"], client.allowed, "{name} ({who}): allowed");
            assert_eq!(
                server["reason"].as_str(),
                client.reason.map(|r| r.as_wire()),
                "{name} ({who}): reason"
            );
            assert_eq!(
                server["next_allowed_at"]
                    .as_str()
                    .map(|_| time_of(&server["next_allowed_at"])),
                client.next_allowed_at,
                "{name} ({who}): next_allowed_at"
            );
            // And the server acts on it: a request now succeeds exactly when the gate allows it.
            if who == "owner" {
                let (status, _) = provider.request(token);
                assert_eq!(
                    status == 201,
                    client.allowed,
                    "{name}: the refusal agrees with the gate"
                );
            }
        }
    }
}
