//! The private sshd serves SFTP to the keys it was given, and only to them.

use std::process::Command;
use std::time::Duration;

use test_support::sshd::{ClientKey, KeyKind, SshServer};

#[test]
fn serves_files_byte_exact_over_sftp_to_every_unencrypted_key_kind() {
    let keys: Vec<ClientKey> = KeyKind::ALL
        .iter()
        .map(|&kind| ClientKey::generate(kind, None).expect("generate key"))
        .collect();
    let server = SshServer::start(&keys.iter().collect::<Vec<_>>()).expect("start sshd");
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let remote = server
        .put_file("archives/sample.bin", &payload)
        .expect("put file");
    let local_dir = tempfile::tempdir().expect("tempdir");
    for key in &keys {
        let local = local_dir.path().join(format!("{:?}.bin", key.kind));
        server
            .sftp_get(key, &remote, &local)
            .unwrap_or_else(|e| panic!("{:?} key must be able to download: {e:#}", key.kind));
        assert_eq!(
            std::fs::read(&local).expect("read download"),
            payload,
            "a {:?} download must be byte-exact",
            key.kind
        );
    }
}

#[test]
fn refuses_a_key_it_was_not_given() {
    let known = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let stranger = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let server = SshServer::start(&[&known]).expect("start sshd");
    let remote = server.put_file("a.txt", b"secret archive").expect("put");
    let local = tempfile::tempdir().expect("tempdir").path().join("a.txt");
    let result = server.sftp_get(&stranger, &remote, &local);
    assert!(result.is_err(), "an unknown key must not log in");
    assert!(
        !local.exists(),
        "nothing may be downloaded with an unknown key"
    );
}

#[test]
fn publishes_the_host_key_fingerprints_clients_see() {
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let server = SshServer::start(&[&key]).expect("start sshd");
    let scan = Command::new("ssh-keyscan")
        .args(["-p", &server.port.to_string(), "127.0.0.1"])
        .output()
        .expect("run ssh-keyscan");
    let dir = tempfile::tempdir().expect("tempdir");
    let scanned = dir.path().join("scanned");
    std::fs::write(&scanned, &scan.stdout).expect("write scan");
    let listed = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&scanned)
        .output()
        .expect("ssh-keygen -l");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(
        server.host_key_fingerprints.len(),
        3,
        "ed25519, ecdsa and rsa host keys"
    );
    for fingerprint in &server.host_key_fingerprints {
        assert!(
            fingerprint.starts_with("SHA256:"),
            "OpenSSH notation: {fingerprint}"
        );
        assert!(
            listed.contains(fingerprint.as_str()),
            "the server must present {fingerprint}; ssh-keyscan saw:\n{listed}"
        );
    }
}

#[test]
fn encrypted_keys_open_only_with_their_passphrase() {
    for kind in [
        KeyKind::RsaPem,
        KeyKind::RsaOpenSsh,
        KeyKind::Ecdsa,
        KeyKind::Ed25519,
    ] {
        let key = ClientKey::generate(kind, Some("correct horse")).expect("key");
        let derive = |pass: &str| {
            Command::new("ssh-keygen")
                .args(["-y", "-P", pass, "-f"])
                .arg(&key.private_path)
                .output()
                .expect("ssh-keygen -y")
                .status
                .success()
        };
        assert!(
            derive("correct horse"),
            "{kind:?} must open with its passphrase"
        );
        assert!(
            !derive("wrong"),
            "{kind:?} must not open with a wrong passphrase"
        );
    }
}

#[test]
fn stops_on_drop_and_restarts_on_the_same_port() {
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let mut server = SshServer::start(&[&key]).expect("start sshd");
    let port = server.port;
    server.stop();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "a stopped server must not accept connections"
    );
    server.restart().expect("restart");
    test_support::wait_for_port(port, Duration::from_secs(5)).expect("listening again");
    drop(server);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "a dropped server must not accept connections"
    );
}
