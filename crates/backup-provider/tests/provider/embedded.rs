//! The provider's own SFTP server delivers archives that OpenSSH `sftp`
//! downloads byte-exact, to the authorized key only.

use sha2::{Digest, Sha256};
use test_support::sshd::{ClientKey, KeyKind, sftp_get};

use crate::support::Provider;

#[test]
fn the_embedded_sftp_server_delivers_ready_archives_to_the_authorized_key_only() {
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let stranger = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let keys_dir = tempfile::tempdir().expect("dir");
    let authorized = keys_dir.path().join("authorized_keys");
    std::fs::write(&authorized, format!("acme {}\n", key.public_line)).expect("authorized_keys");
    let authorized = authorized.display().to_string();
    let provider = Provider::start_serving_with(
        None,
        &[],
        &[
            "--embedded-sftp",
            "127.0.0.1:0",
            "--sftp-authorized-keys",
            &authorized,
        ],
    );
    let id = provider.ready_backup();
    let owner = provider.tokens.owner.clone();
    let path = format!("/v1/accounts/acme/backups/{id}");
    let body = serde_json::json!({"terms_version": "2026-01"}).to_string();
    provider.call(
        "POST",
        &format!("{path}/terms-acceptance"),
        Some(&owner),
        &[],
        Some(&body),
    );
    let (status, delivery) = provider.get(&format!("{path}/delivery"), &owner);
    assert_eq!(status, 200, "{delivery}");
    let sftp = &delivery["sftp"];
    let port = sftp["port"].as_u64().expect("port");
    let fingerprints = sftp["host_key_fingerprints"].as_array().expect("fps");
    assert_eq!(
        fingerprints.len(),
        1,
        "the embedded server's own Ed25519 key"
    );
    let remote = sftp["remote_path"].as_str().expect("path");
    let local = keys_dir.path().join("download.zip");
    let port = u16::try_from(port).expect("a port");
    sftp_get(port, "downloader", &key, remote, &local).expect("OpenSSH sftp downloads it");
    let bytes = std::fs::read(&local).expect("downloaded");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, sftp["sha256"].as_str().expect("sha"));
    let refused = keys_dir.path().join("refused.zip");
    let result = sftp_get(port, "downloader", &stranger, remote, &refused);
    assert!(
        result.is_err() && !refused.exists(),
        "an unknown key gets nothing"
    );
}

#[test]
fn the_embedded_server_needs_at_least_one_authorized_key() {
    let provider = Provider::start(None);
    let empty = provider.data.path().join("empty_keys");
    std::fs::write(&empty, "# nobody\n").expect("file");
    let err = provider.admin_fails(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--embedded-sftp",
        "127.0.0.1:0",
        "--sftp-authorized-keys",
        &empty.display().to_string(),
    ]);
    assert!(err.contains("ACCOUNT_ID PUBLIC_KEY"), "{err}");
}

#[test]
fn an_authorized_key_without_its_account_is_refused_with_the_line_format() {
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let provider = Provider::start(None);
    let bare = provider.data.path().join("bare_keys");
    // The old format, a plain authorized_keys line: whose folder would it read?
    std::fs::write(&bare, format!("{}\n", key.public_line)).expect("file");
    let err = provider.admin_fails(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--embedded-sftp",
        "127.0.0.1:0",
        "--sftp-authorized-keys",
        &bare.display().to_string(),
    ]);
    assert!(
        err.contains("ACCOUNT_ID ssh-ed25519"),
        "says how a line must look: {err}"
    );
}
