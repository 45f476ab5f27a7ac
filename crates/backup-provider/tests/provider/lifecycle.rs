//! A backup's whole life: request → awaiting release → in progress → ready
//! (downloaded with OpenSSH sftp, SHA-256 matching) → expired.

use std::io::Read;

use sha2::{Digest, Sha256};
use test_support::sshd::{ClientKey, KeyKind, SshServer};

use crate::support::{Provider, time_of};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_backup_goes_from_request_to_download_to_expiry() {
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let sshd = SshServer::start(&[&key]).expect("sshd");
    let provider = Provider::start(Some(&sshd));
    let owner = provider.tokens.owner.clone();

    let (status, backup) = provider.request(&owner);
    assert_eq!(status, 201);
    assert_eq!(backup["status"], "awaiting_release");
    assert_eq!(backup["requested_by"]["id"], "olivia");
    let id = backup["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/accounts/acme/backups/{id}");

    let (status, problem) = provider.get(&format!("{path}/delivery"), &owner);
    assert_eq!((status, problem["code"].as_str()), (409, Some("not_ready")));

    provider.admin(&["backup", "release", &id]);
    assert_eq!(provider.get(&path, &owner).1["status"], "in_progress");
    provider.admin(&["backup", "complete", &id]);
    let (_, ready) = provider.get(&path, &owner);
    assert_eq!(ready["status"], "ready");
    let ready_at = time_of(&ready["ready_at"]);
    assert_eq!(
        time_of(&ready["expires_at"]) - ready_at,
        chrono::TimeDelta::days(10),
        "default plan: 10-day window"
    );

    let (status, problem) = provider.get(&format!("{path}/delivery"), &owner);
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("terms_not_accepted")),
        "terms first"
    );
    let (_, terms) = provider.get(&format!("{path}/terms"), &owner);
    assert_eq!(terms["accepted"], false);
    let version = terms["version"].as_str().expect("version").to_owned();
    let body = serde_json::json!({"terms_version": version}).to_string();
    let (status, accepted) = provider.call(
        "POST",
        &format!("{path}/terms-acceptance"),
        Some(&owner),
        &[],
        Some(&body),
    );
    assert_eq!(status, 201);
    assert_eq!(accepted["accepted_by"]["id"], "olivia");
    let (status, _) = provider.call(
        "POST",
        &format!("{path}/terms-acceptance"),
        Some(&owner),
        &[],
        Some(&body),
    );
    assert_eq!(status, 200, "accepting again keeps the first record");

    let (status, delivery) = provider.get(&format!("{path}/delivery"), &owner);
    assert_eq!(status, 200, "{delivery}");
    let sftp = &delivery["sftp"];
    assert_eq!(sftp["port"], sshd.port);
    assert_eq!(
        sftp["host_key_fingerprints"].as_array().expect("fps").len(),
        3
    );
    let local = tempfile::tempdir().expect("tmp").keep().join("backup.zip");
    sshd.sftp_get(&key, sftp["remote_path"].as_str().expect("path"), &local)
        .expect("OpenSSH sftp downloads it");
    let bytes = std::fs::read(&local).expect("downloaded");
    assert_eq!(
        bytes.len() as u64,
        sftp["size_bytes"].as_u64().expect("size")
    );
    assert_eq!(
        sha256_hex(&bytes),
        sftp["sha256"].as_str().expect("sha"),
        "published SHA-256 matches the file"
    );
    assert_eq!(ready["sha256"], sftp["sha256"]);

    // The archive is a real zip: one CSV per non-empty object, no file for empty ones.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("utf-8 name").into_owned())
        .collect();
    for object in [
        "companies.csv",
        "contacts.csv",
        "deals.csv",
        "products.csv",
        "tasks.csv",
        "tickets.csv",
    ] {
        assert!(
            names.contains(&object.to_owned()),
            "{object} missing from {names:?}"
        );
    }
    assert!(
        !names.contains(&"calls.csv".to_owned()),
        "an object with no records has no file"
    );
    let mut contacts = String::new();
    zip.by_name("contacts.csv")
        .expect("contacts")
        .read_to_string(&mut contacts)
        .expect("csv");
    assert!(
        contacts.starts_with("id,first_name,last_name,email"),
        "{contacts:.80}"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&provider.admin(&["backup", "show", &id])).expect("JSON");
    let contacts_rows = shown["manifest"]
        .as_array()
        .expect("the operator sees the manifest")
        .iter()
        .find(|entry| entry["name"] == "contacts.csv")
        .and_then(|entry| entry["rows"].as_u64())
        .expect("contacts in the manifest");
    assert_eq!(
        contacts.lines().count() as u64,
        contacts_rows + 1,
        "header + one line per contact, as the manifest says"
    );
    assert!(
        ready.get("manifest").is_none(),
        "the manifest is the operator's, not part of the API"
    );

    provider.advance("10d");
    let (_, expired) = provider.get(&path, &owner);
    assert_eq!(expired["status"], "expired");
    assert_eq!(
        expired["status_changed_at"], expired["expires_at"],
        "expired exactly at the window's end"
    );
    let (status, problem) = provider.get(&format!("{path}/delivery"), &owner);
    assert_eq!((status, problem["code"].as_str()), (410, Some("expired")));
    let remote = sshd
        .served_dir
        .join(sftp["remote_path"].as_str().expect("path"));
    assert!(!remote.exists(), "an expired archive is no longer served");
}

#[test]
fn the_history_lists_newest_first_with_cursor_pagination() {
    let provider = Provider::start_with_policy(None, &["--cooldown", "1d"]);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(provider.ready_backup());
        provider.advance("1d");
    }
    ids.reverse();
    let owner = &provider.tokens.owner;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/accounts/acme/backups?limit=2&cursor={c}"),
            None => "/v1/accounts/acme/backups?limit=2".to_owned(),
        };
        let (status, page) = provider.get(&path, owner);
        assert_eq!(status, 200);
        seen.extend(
            page["backups"]
                .as_array()
                .expect("list")
                .iter()
                .map(|b| b["id"].as_str().expect("id").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every backup once, newest first");
}

#[test]
fn operator_actions_refuse_impossible_transitions() {
    let provider = Provider::start(None);
    let (_, backup) = provider.request(&provider.tokens.owner);
    let id = backup["id"].as_str().expect("id");
    let err = provider.admin_fails(&["backup", "complete", id]);
    assert!(err.contains("release it first"), "{err}");
    provider.admin(&["backup", "release", id]);
    provider.admin(&["backup", "fail", id, "--message", "disk failure"]);
    let err = provider.admin_fails(&["backup", "release", id]);
    assert!(err.contains("server_error"), "{err}");
    let (_, failed) = provider.get(
        &format!("/v1/accounts/acme/backups/{id}"),
        &provider.tokens.owner,
    );
    assert_eq!(failed["status"], "server_error");
    assert_eq!(failed["error_message"], "disk failure");
}

#[test]
fn data_survives_a_restart_of_the_provider() {
    let mut provider = Provider::start(None);
    let id = provider.ready_backup();
    provider.restart();
    let (status, backup) = provider.get(
        &format!("/v1/accounts/acme/backups/{id}"),
        &provider.tokens.owner,
    );
    assert_eq!(
        status, 200,
        "tokens, accounts and backups survive a restart"
    );
    assert_eq!(backup["status"], "ready");
}
