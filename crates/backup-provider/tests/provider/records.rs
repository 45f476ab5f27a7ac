//! The operator commands that change an account's data (`records drop`,
//! `records clear`) and publish a damaged archive (`backup complete
//! --damaged`), as a test harness drives them; `backup show` reports the
//! manifest each check relies on.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::Provider;

/// Rows per object in the manifest `backup show` prints.
fn manifest(provider: &Provider, id: &str) -> BTreeMap<String, u64> {
    let shown: Value =
        serde_json::from_str(&provider.admin(&["backup", "show", id])).expect("JSON");
    shown["manifest"]
        .as_array()
        .expect("a ready backup shows its manifest")
        .iter()
        .map(|entry| {
            (
                entry["object"].as_str().expect("object").to_owned(),
                entry["rows"].as_u64().expect("rows"),
            )
        })
        .collect()
}

#[test]
fn dropped_and_cleared_records_show_in_the_next_archive() {
    let provider = Provider::start_with_policy(None, &["--cooldown", "1d"]);
    let first = manifest(&provider, &provider.ready_backup());
    let dropped: Value = serde_json::from_str(&provider.admin(&[
        "records",
        "drop",
        "--account",
        "acme",
        "--object",
        "contacts",
        "--percent",
        "31",
    ]))
    .expect("JSON");
    assert_eq!(dropped["before"].as_u64(), Some(first["contacts"]));
    assert_eq!(
        dropped["after"].as_u64(),
        Some(first["contacts"] - (first["contacts"] * 31 + 50) / 100)
    );
    let cleared: Value = serde_json::from_str(&provider.admin(&[
        "records",
        "clear",
        "--account",
        "acme",
        "--object",
        "tickets",
    ]))
    .expect("JSON");
    assert_eq!(cleared["after"], 0);

    provider.advance("1d");
    let second = manifest(&provider, &provider.ready_backup());
    assert!(
        (second["contacts"] as f64) < first["contacts"] as f64 * 0.9,
        "a drop the app warns about: {first:?} → {second:?}"
    );
    assert!(!second.contains_key("tickets"), "{second:?}");
    assert!(second["deals"] > first["deals"], "the rest lives on");
}

#[test]
fn record_commands_refuse_unknown_objects_and_shares() {
    let provider = Provider::start(None);
    let err = provider.admin_fails(&[
        "records",
        "drop",
        "--account",
        "acme",
        "--object",
        "leads",
        "--percent",
        "10",
    ]);
    assert!(
        err.contains("\"leads\" is not an object") && err.contains("contacts"),
        "the error lists the objects: {err}"
    );
    let err = provider.admin_fails(&[
        "records",
        "drop",
        "--account",
        "acme",
        "--object",
        "contacts",
        "--percent",
        "150",
    ]);
    assert!(err.contains("150"), "{err}");
    let err = provider.admin_fails(&[
        "records",
        "clear",
        "--account",
        "nobody",
        "--object",
        "contacts",
    ]);
    assert!(err.contains("no account nobody"), "{err}");
}

#[test]
fn a_damaged_archive_is_published_with_the_hash_of_the_broken_file() {
    let provider = Provider::start(None);
    let (status, backup) = provider.request(&provider.tokens.owner);
    assert_eq!(status, 201, "{backup}");
    let id = backup["id"].as_str().expect("id");
    provider.admin(&["backup", "release", id]);
    let row: Value =
        serde_json::from_str(&provider.admin(&["backup", "complete", id, "--damaged"]))
            .expect("JSON");
    assert_eq!(row["status"], "ready");
    let path = provider
        .data
        .path()
        .join("archives/acme")
        .join(row["file_name"].as_str().expect("file name"));
    let bytes = std::fs::read(&path).expect("the archive is published");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        row["sha256"].as_str(),
        Some(sha.as_str()),
        "a download verifies"
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the directory reads");
    let mut sink = Vec::new();
    assert!(
        zip.by_index(0)
            .expect("entry")
            .read_to_end(&mut sink)
            .is_err(),
        "but the first entry does not"
    );
    assert!(
        zip.by_index(1)
            .expect("entry")
            .read_to_end(&mut sink)
            .is_ok()
    );
}
