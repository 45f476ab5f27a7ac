//! The key store against a real Secret Service (gnome-keyring) in a private
//! D-Bus session, and on a machine without one.

use std::sync::Arc;

use backup_keychain::{KeyError, KeyStore, KeyringBackend};
use test_support::keychain::{SecretService, no_secret_service};
use test_support::sshd::{ClientKey, KeyKind};

const SERVICE: &str = "app.backupdesk.test";

#[test]
fn an_rsa_4096_key_and_a_token_live_in_the_real_keychain() {
    let service = SecretService::start().expect("Secret Service");
    let _session = service.enter();
    let dir = tempfile::tempdir().expect("dir");
    let store = KeyStore::new(dir.path(), Arc::new(KeyringBackend::new(SERVICE)));
    let key = ClientKey::generate(KeyKind::Rsa4096Pem, Some("four thousand")).expect("key");
    assert!(
        key.private_pem.len() > 2560,
        "bigger than Windows' credential limit"
    );
    let info = store
        .import("acct-7", &key.private_pem, Some("four thousand"))
        .expect("import");
    assert_eq!(info.key_type, "RSA 4096");
    let unlocked = store.unlock("acct-7").expect("unlock");
    assert!(
        unlocked.pem.len() > 2560,
        "what is kept is still too big for the credential store itself"
    );
    assert_eq!(
        backup_keychain::inspect(unlocked.pem.as_bytes(), None).map(|i| i.fingerprint),
        Ok(key.fingerprint.clone()),
        "the key comes back whole"
    );
    assert_eq!(unlocked.passphrase, None, "the converted key needs none");
    // The keychain holds the small unlock secret, readable by other Secret Service clients.
    let held = service
        .lookup(&[("service", SERVICE), ("username", "key:acct-7")])
        .expect("secret-tool");
    assert!(held.is_some_and(|s| s.len() == 44), "a 256-bit key, base64");
    store
        .set_token("acct-7", "bdp_real_keychain_token")
        .expect("token");
    assert_eq!(
        store.token("acct-7").expect("token").as_deref(),
        Some("bdp_real_keychain_token")
    );
    store.remove("acct-7").expect("remove");
    store.remove_token("acct-7").expect("remove token");
    assert_eq!(
        service
            .lookup(&[("service", SERVICE), ("username", "key:acct-7")])
            .expect("lookup"),
        None
    );
    assert_eq!(store.token("acct-7").expect("token"), None);
}

#[test]
fn without_a_keychain_import_fails_clearly_and_writes_nothing() {
    let _nothing = no_secret_service();
    let dir = tempfile::tempdir().expect("dir");
    let store = KeyStore::new(dir.path(), Arc::new(KeyringBackend::new(SERVICE)));
    let key = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    match store.import("acct-1", &key.private_pem, None) {
        Err(error @ KeyError::NoKeychain(_)) => {
            assert!(
                error
                    .to_string()
                    .contains("install and unlock a Secret Service"),
                "{error}"
            )
        }
        other => panic!("no silent fallback to plain text: {other:?}"),
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
    assert!(matches!(
        store.set_token("acct-1", "t"),
        Err(KeyError::NoKeychain(_))
    ));
}
