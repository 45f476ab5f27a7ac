//! What is stored logs in: every accepted kind of key, imported and
//! unlocked, is given to libssh2 exactly as the SFTP engine gives it
//! (`userauth_pubkey_memory`, the same bundled libssh2 on OpenSSL) and a
//! real OpenSSH sshd accepts it.

use std::net::TcpStream;
use std::sync::Arc;

use backup_keychain::{KeyStore, MemoryBackend};
use openssl::nid::Nid;
use test_support::sshd::SshServer;

use crate::formats::{PASS, short_scalar_key};
use crate::tools::{Made, Putty, Workshop};

/// Logs in with libssh2 as the engine does; `Err` says why not.
fn login(server: &SshServer, pem: &str, passphrase: Option<&str>) -> Result<(), String> {
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).map_err(|e| e.to_string())?;
    let mut session = ssh2::Session::new().map_err(|e| e.to_string())?;
    session.set_timeout(15_000);
    session.set_tcp_stream(tcp);
    session.handshake().map_err(|e| e.to_string())?;
    session
        .userauth_pubkey_memory(&server.user, None, pem, passphrase)
        .map_err(|e| e.to_string())?;
    if session.authenticated() {
        Ok(())
    } else {
        Err("not authenticated".into())
    }
}

#[test]
fn every_accepted_kind_of_key_logs_in_to_a_real_sshd_once_stored() {
    let shop = Workshop::new();
    let keys: Vec<Made> = vec![
        shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PEM"], PASS),
        shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PKCS8"], None),
        shop.ssh_keygen(&["-t", "ecdsa", "-b", "256"], PASS),
        shop.ssh_keygen(&["-t", "ecdsa", "-b", "384", "-m", "PEM"], None),
        shop.ssh_keygen(&["-t", "ed25519"], PASS),
        shop.openssl_steps(
            &[vec![
                "genpkey".into(),
                "-algorithm".into(),
                "ed25519".into(),
            ]],
            None,
        ),
        shop.puttygen(&["-t", "rsa", "-b", "2048"], Putty::Ppk(2), PASS),
        shop.puttygen(&["-t", "ecdsa", "-b", "521"], Putty::Ppk(3), None),
        shop.puttygen(&["-t", "ed25519"], Putty::Ppk(3), PASS),
        shop.puttygen(&["-t", "ed25519"], Putty::OpenSshNew, None),
    ];
    // The keys the old parser refused: ECDSA scalars OpenSSH wrote short.
    let short = [
        short_scalar_key(&shop, Nid::SECP521R1, PASS),
        short_scalar_key(&shop, Nid::X9_62_PRIME256V1, None),
    ];
    let stranger = shop.ssh_keygen(&["-t", "ed25519"], None);

    let authorized = shop.path("authorized_keys");
    let lines: Vec<&str> = keys
        .iter()
        .chain(&short)
        .map(|k| k.public_line.as_str())
        .collect();
    std::fs::write(&authorized, lines.join("\n") + "\n").expect("authorized_keys");
    // A Match block overrides the harness's AuthorizedKeysFile: ours is used.
    let server = SshServer::start_with(
        &[],
        &format!("Match all\n    AuthorizedKeysFile {}", authorized.display()),
    )
    .expect("sshd");

    let dir = tempfile::tempdir().expect("dir");
    let store = KeyStore::new(dir.path(), Arc::new(MemoryBackend::default()));
    for (n, key) in keys.iter().chain(&short).enumerate() {
        let scope = format!("key-{n}");
        store
            .import(&scope, &key.private, key.passphrase)
            .unwrap_or_else(|e| panic!("{}: {e}", key.label));
        let unlocked = store.unlock(&scope).expect("unlock");
        login(&server, &unlocked.pem, unlocked.passphrase.as_deref())
            .unwrap_or_else(|e| panic!("{} did not log in once stored: {e}", key.label));
    }

    store
        .import("stranger", &stranger.private, None)
        .expect("import");
    let unlocked = store.unlock("stranger").expect("unlock");
    assert!(
        login(&server, &unlocked.pem, None).is_err(),
        "a key the server does not know must fail, or this test proves nothing"
    );
}
