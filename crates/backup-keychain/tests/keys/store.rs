//! The key store: what is kept, where, and what opens it.

use std::sync::Arc;

use backup_keychain::{KeyError, KeyStore, MemoryBackend, SecretBackend, inspect};
use test_support::sshd::{ClientKey, KeyKind};

#[test]
fn a_stored_key_opens_only_with_the_keychain_and_never_sits_on_disk_in_clear() {
    let dir = tempfile::tempdir().expect("dir");
    let backend = Arc::new(MemoryBackend::default());
    let store = KeyStore::new(dir.path(), backend.clone());
    let key = ClientKey::generate(KeyKind::RsaPem, Some("pass phrase")).expect("key");
    let info = store
        .import("acct-1", &key.private_pem, Some("pass phrase"))
        .expect("import");
    assert_eq!(store.info("acct-1").expect("info"), Some(info));
    let unlocked = store.unlock("acct-1").expect("unlock");
    assert!(
        unlocked.pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "kept as unencrypted PKCS#8, the form the engine reads"
    );
    assert_eq!(
        inspect(unlocked.pem.as_bytes(), None).map(|i| i.fingerprint),
        Ok(key.fingerprint.clone()),
        "the same key comes back"
    );
    assert_eq!(
        unlocked.passphrase, None,
        "the converted key needs no passphrase"
    );
    assert_eq!(
        backend.get("passphrase:acct-1").expect("get"),
        None,
        "the user's passphrase, perhaps used elsewhere too, is not kept"
    );
    assert!(
        !format!("{unlocked:?}").contains("PRIVATE"),
        "Debug never shows the key"
    );
    let original = String::from_utf8(key.private_pem.clone()).expect("pem");
    for text in [original.as_str(), unlocked.pem.as_str()] {
        let secret_line = text.lines().max_by_key(|l| l.len()).expect("a key line");
        for entry in std::fs::read_dir(dir.path()).expect("dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("file");
            let found = bytes
                .windows(secret_line.len())
                .any(|w| w == secret_line.as_bytes());
            assert!(!found, "key material on disk in clear");
            assert!(
                !bytes.windows(11).any(|w| w == b"pass phrase"),
                "passphrase on disk"
            );
        }
    }
    #[cfg(unix)]
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        use std::os::unix::fs::PermissionsExt;
        let path = entry.expect("entry").path();
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is the user's only", path.display());
    }
    // Without the keychain's secret the file is useless.
    backend
        .set("key:acct-1", &base64_of([7u8; 32]))
        .expect("tamper");
    assert!(matches!(store.unlock("acct-1"), Err(KeyError::Corrupt(_))));
    store.remove("acct-1").expect("remove");
    assert_eq!(store.info("acct-1").expect("info"), None);
    assert_eq!(store.unlock("acct-1").err(), Some(KeyError::NotFound));
}

#[test]
fn replacing_a_key_drops_the_old_passphrase_and_tokens_are_kept_per_account() {
    let dir = tempfile::tempdir().expect("dir");
    let backend = Arc::new(MemoryBackend::default());
    let store = KeyStore::new(dir.path(), backend.clone());
    let first = ClientKey::generate(KeyKind::Ed25519, Some("old")).expect("key");
    store
        .import("a", &first.private_pem, Some("old"))
        .expect("import");
    // What an earlier version kept beside an encrypted key.
    backend
        .set("passphrase:a", "old")
        .expect("legacy passphrase");
    let second = ClientKey::generate(KeyKind::Ecdsa, None).expect("key");
    let info = store
        .import("a", &second.private_pem, None)
        .expect("replace");
    assert_eq!(info.fingerprint, second.fingerprint);
    assert_eq!(store.unlock("a").expect("unlock").passphrase, None);
    store.set_token("a", "bdp_token_a").expect("token");
    store.set_token("b", "bdp_token_b").expect("token");
    assert_eq!(
        store.token("a").expect("token").as_deref(),
        Some("bdp_token_a")
    );
    store.remove_token("a").expect("remove");
    assert_eq!(store.token("a").expect("token"), None);
    assert_eq!(
        store.token("b").expect("token").as_deref(),
        Some("bdp_token_b")
    );
    assert!(
        store
            .import("../escape", &second.private_pem, None)
            .is_err(),
        "scopes cannot be paths"
    );
}

fn base64_of(bytes: [u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_damaged_key_file_is_reported_not_misread() {
    let dir = tempfile::tempdir().expect("dir");
    let store = KeyStore::new(dir.path(), Arc::new(MemoryBackend::default()));
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    store.import("a", &key.private_pem, None).expect("import");
    std::fs::write(dir.path().join("a.key"), b"not ours").expect("damage");
    assert!(
        matches!(store.unlock("a"), Err(KeyError::Corrupt(_))),
        "foreign file"
    );
    store
        .import("a", &key.private_pem, None)
        .expect("import again");
    let mut sealed = std::fs::read(dir.path().join("a.key")).expect("read");
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    std::fs::write(dir.path().join("a.key"), sealed).expect("flip a bit");
    assert!(
        matches!(store.unlock("a"), Err(KeyError::Corrupt(_))),
        "tampered file"
    );
    std::fs::write(dir.path().join("a.key.json"), b"{").expect("damage info");
    assert!(matches!(store.info("a"), Err(KeyError::Corrupt(_))));
}
