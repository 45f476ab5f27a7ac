//! Key validation and the key store, with keys made by ssh-keygen; the
//! keychain is in memory here (see `secret_service.rs` for the real one).

use std::sync::Arc;

use backup_keychain::{KeyError, KeyStore, MemoryBackend, SecretBackend, inspect, read_key_file};
use test_support::sshd::{ClientKey, KeyKind};

#[test]
fn every_key_kind_is_recognised_with_the_fingerprint_ssh_keygen_prints() {
    let cases = [
        (KeyKind::RsaPem, "RSA 2048", "PEM (PKCS#1)"),
        (KeyKind::RsaPkcs8, "RSA 2048", "PEM (PKCS#8)"),
        (KeyKind::Rsa4096Pem, "RSA 4096", "PEM (PKCS#1)"),
        (KeyKind::RsaOpenSsh, "RSA 2048", "OpenSSH"),
        (KeyKind::Ecdsa, "ECDSA P-256", "OpenSSH"),
        (KeyKind::EcdsaPem, "ECDSA P-256", "PEM (SEC1)"),
        (KeyKind::Ed25519, "Ed25519", "OpenSSH"),
    ];
    for (kind, key_type, format) in cases {
        for passphrase in [None, Some("open sesame")] {
            let key = ClientKey::generate(kind, passphrase).expect("ssh-keygen");
            let info = inspect(&key.private_pem, passphrase)
                .unwrap_or_else(|e| panic!("{kind:?} (passphrase {}): {e}", passphrase.is_some()));
            assert_eq!(
                info.fingerprint, key.fingerprint,
                "{kind:?}: the fingerprint ssh-keygen -l prints"
            );
            assert_eq!(info.key_type, key_type, "{kind:?}");
            assert_eq!(info.encrypted, passphrase.is_some(), "{kind:?}");
            if passphrase.is_none() {
                assert_eq!(info.format, format, "{kind:?}");
            }
        }
    }
}

#[test]
fn wrong_and_missing_passphrases_are_told_apart() {
    for kind in [
        KeyKind::RsaPem,
        KeyKind::RsaPkcs8,
        KeyKind::Ed25519,
        KeyKind::EcdsaPem,
    ] {
        let key = ClientKey::generate(kind, Some("right")).expect("key");
        assert_eq!(
            inspect(&key.private_pem, Some("wrong")),
            Err(KeyError::WrongPassphrase),
            "{kind:?}"
        );
        assert_eq!(
            inspect(&key.private_pem, None),
            Err(KeyError::NeedsPassphrase),
            "{kind:?}"
        );
        assert_eq!(
            inspect(&key.private_pem, Some("")),
            Err(KeyError::NeedsPassphrase),
            "{kind:?}"
        );
    }
}

#[test]
fn bad_files_get_a_message_that_says_what_to_do() {
    let key = ClientKey::generate(KeyKind::RsaPem, None).expect("key");
    let text = String::from_utf8(key.private_pem.clone()).expect("pem");
    let truncated = &text[..text.len() / 2];
    assert!(
        matches!(
            inspect(truncated.as_bytes(), None),
            Err(KeyError::Garbled(_))
        ),
        "truncated PEM"
    );
    let garbled = text.replace(&text[80..120], &"!".repeat(40));
    assert!(
        matches!(inspect(garbled.as_bytes(), None), Err(KeyError::Garbled(_))),
        "garbled PEM"
    );
    let openssh = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let half = &openssh.private_pem[..openssh.private_pem.len() / 2];
    assert!(
        matches!(inspect(half, None), Err(KeyError::Garbled(_))),
        "truncated OpenSSH key"
    );
    assert_eq!(
        inspect(key.public_line.as_bytes(), None),
        Err(KeyError::PublicKey)
    );
    assert_eq!(inspect(b"", None), Err(KeyError::Empty));
    assert_eq!(inspect(b"  \n", None), Err(KeyError::Empty));
    let ppk = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\n";
    let error = inspect(ppk.as_bytes(), None).expect_err("ppk");
    assert_eq!(error, KeyError::PuttyKey);
    assert!(
        error.to_string().contains("PuTTYgen"),
        "says how to convert: {error}"
    );
    let dsa = openssl::dsa::Dsa::generate(2048)
        .expect("dsa")
        .private_key_to_pem()
        .expect("pem");
    let error = inspect(&dsa, None).expect_err("dsa");
    assert_eq!(error, KeyError::UnsupportedDsa);
    assert!(
        error.to_string().contains("ssh-keygen -t ed25519"),
        "{error}"
    );
    assert!(matches!(
        inspect(b"hello, I am not a key", None),
        Err(KeyError::Garbled(_))
    ));
}

#[test]
fn empty_files_folders_and_huge_files_are_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("dir");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, b"").expect("empty");
    assert_eq!(
        inspect(&read_key_file(&empty).expect("read"), None),
        Err(KeyError::Empty)
    );
    assert!(matches!(
        read_key_file(dir.path()),
        Err(KeyError::IsDirectory(_))
    ));
    let huge = dir.path().join("huge.pem");
    std::fs::write(&huge, vec![b'A'; 10 * 1024 * 1024]).expect("10 MB");
    assert_eq!(
        read_key_file(&huge),
        Err(KeyError::TooLarge(10 * 1024 * 1024))
    );
    assert!(matches!(
        read_key_file(&dir.path().join("missing.pem")),
        Err(KeyError::Unreadable { .. })
    ));
}

#[test]
fn a_stored_key_opens_only_with_the_keychain_and_never_sits_on_disk_in_clear() {
    let dir = tempfile::tempdir().expect("dir");
    let backend = Arc::new(MemoryBackend::default());
    let store = KeyStore::new(dir.path(), backend.clone());
    let key = ClientKey::generate(KeyKind::Rsa4096Pem, Some("pass phrase")).expect("key");
    let info = store
        .import("acct-1", &key.private_pem, Some("pass phrase"))
        .expect("import");
    assert_eq!(store.info("acct-1").expect("info"), Some(info));
    let unlocked = store.unlock("acct-1").expect("unlock");
    assert_eq!(unlocked.pem.as_bytes(), key.private_pem.as_slice());
    assert_eq!(unlocked.passphrase.as_deref(), Some("pass phrase"));
    assert!(
        !format!("{unlocked:?}").contains("PRIVATE"),
        "Debug never shows the key"
    );
    let body = String::from_utf8(key.private_pem.clone()).expect("pem");
    let secret_line = body.lines().max_by_key(|l| l.len()).expect("a key line");
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
    let store = KeyStore::new(dir.path(), Arc::new(MemoryBackend::default()));
    let first = ClientKey::generate(KeyKind::Ed25519, Some("old")).expect("key");
    store
        .import("a", &first.private_pem, Some("old"))
        .expect("import");
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
