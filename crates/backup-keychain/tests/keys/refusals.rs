//! Files that cannot be used are refused with a message that says what to
//! do: a missing or wrong passphrase, a public key or certificate, DSA, a
//! damaged or foreign file — in plain words, never a library's error code.

use backup_keychain::{KeyError, inspect, read_key_file};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::formats::PASS;
use crate::tools::{Putty, Workshop};

#[test]
fn wrong_and_missing_passphrases_are_told_apart_in_every_format() {
    let shop = Workshop::new();
    let keys = [
        shop.ssh_keygen(&["-t", "ed25519"], PASS),
        shop.ssh_keygen(&["-t", "ecdsa", "-b", "521"], PASS),
        shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PEM"], PASS),
        shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PKCS8"], PASS),
        shop.ssh_keygen(&["-t", "ecdsa", "-b", "256", "-m", "PEM"], PASS),
        shop.puttygen(&["-t", "ed25519"], Putty::Ppk(2), PASS),
        shop.puttygen(&["-t", "ecdsa", "-b", "384"], Putty::Ppk(3), PASS),
        shop.puttygen(&["-t", "ed25519"], Putty::OpenSshNew, PASS),
    ];
    for key in &keys {
        assert_eq!(
            inspect(&key.private, Some("wrong")),
            Err(KeyError::WrongPassphrase),
            "{}",
            key.label
        );
        for missing in [None, Some("")] {
            assert_eq!(
                inspect(&key.private, missing),
                Err(KeyError::NeedsPassphrase),
                "{}: the user is asked for it",
                key.label
            );
        }
    }
}

fn is_garbled(result: Result<backup_keychain::KeyInfo, KeyError>) -> bool {
    matches!(result, Err(KeyError::Garbled(_)))
}

#[test]
fn cut_and_garbled_files_are_called_damaged() {
    let shop = Workshop::new();
    let pem = shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PEM"], None);
    let text = String::from_utf8(pem.private.clone()).expect("pem");
    assert!(
        is_garbled(inspect(&text.as_bytes()[..text.len() / 2], None)),
        "cut PEM"
    );
    let garbled = text.replace(&text[80..120], &"!".repeat(40));
    assert!(is_garbled(inspect(garbled.as_bytes(), None)), "garbled PEM");
    for key in [
        shop.ssh_keygen(&["-t", "ed25519"], None),
        shop.ssh_keygen(&["-t", "ecdsa", "-b", "384"], PASS),
        shop.puttygen(&["-t", "ed25519"], Putty::Ppk(3), None),
        shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PKCS8"], PASS),
    ] {
        let half = &key.private[..key.private.len() / 2];
        assert!(
            is_garbled(inspect(half, key.passphrase)),
            "{}: a cut file is damaged, not a wrong passphrase",
            key.label
        );
    }
    assert!(is_garbled(inspect(b"hello, I am not a key", None)));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let error = inspect(&utf16, None).expect_err("UTF-16");
    assert!(error.to_string().contains("UTF-16"), "{error}");
}

#[test]
fn a_corrupt_pem_is_explained_in_plain_words_not_openssl_codes() {
    let shop = Workshop::new();
    let key = shop.ssh_keygen(&["-t", "rsa", "-b", "2048", "-m", "PKCS8"], None);
    let text = String::from_utf8(key.private.clone()).expect("pem");
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body).expect("base64");
    // A wrong type tag inside (unparseable), and a changed modulus byte
    // (parseable, but the numbers no longer fit together).
    for (offset, what) in [(4, "a changed tag"), (40, "a changed modulus")] {
        let mut bad = der.clone();
        bad[offset] ^= 0x5a;
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(&bad)
        );
        let error = inspect(pem.as_bytes(), None).expect_err(what);
        let message = error.to_string();
        assert!(matches!(error, KeyError::Garbled(_)), "{what}: {message}");
        assert!(
            !message.contains("error:") && !message.contains("routines"),
            "{what}: no OpenSSL internals in what the user reads: {message}"
        );
        assert!(message.contains("damaged"), "{message}");
    }
}

#[test]
fn a_changed_ppk_fails_its_integrity_check() {
    let shop = Workshop::new();
    let key = shop.puttygen(&["-t", "ed25519"], Putty::Ppk(3), None);
    let text = String::from_utf8(key.private.clone()).expect("ppk");
    let changed = text.replacen("Comment: ", "Comment: x", 1);
    let error = inspect(changed.as_bytes(), None).expect_err("changed");
    assert!(
        error.to_string().contains("Private-MAC"),
        "a changed plain .ppk is damaged, not a key to trust: {error}"
    );
}

#[test]
fn public_keys_and_certificates_are_named_as_such() {
    let shop = Workshop::new();
    let key = shop.ssh_keygen(&["-t", "ed25519"], None);
    assert_eq!(
        inspect(key.public_line.as_bytes(), None),
        Err(KeyError::PublicKey)
    );
    let in_authorized_keys = format!("from=\"10.0.0.1\" {}", key.public_line);
    assert_eq!(
        inspect(in_authorized_keys.as_bytes(), None),
        Err(KeyError::PublicKey)
    );
    // A certificate made as `ssh-keygen -s ca -I id key.pub` makes it.
    let ca = shop.ssh_keygen(&["-t", "ed25519"], None);
    let ca_path = shop.path("ca");
    std::fs::write(&ca_path, &ca.private).expect("ca");
    crate::tools::set_private(&ca_path);
    let user_pub = shop.path("user.pub");
    std::fs::write(&user_pub, &key.public_line).expect("pub");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-s"])
        .arg(&ca_path)
        .args(["-I", "id"])
        .arg(&user_pub)
        .status()
        .expect("ssh-keygen -s");
    assert!(status.success());
    let cert_path = user_pub.with_file_name(
        user_pub
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.replace(".pub", "-cert.pub"))
            .expect("name"),
    );
    let cert = std::fs::read(&cert_path).expect("-cert.pub");
    let error = inspect(&cert, None).expect_err("certificate");
    assert_eq!(error, KeyError::Certificate);
    assert!(error.to_string().contains("-cert.pub"), "{error}");
    let pkcs8_public = openssl::pkey::PKey::generate_ed25519()
        .and_then(|k| k.public_key_to_pem())
        .expect("public PEM");
    assert_eq!(inspect(&pkcs8_public, None), Err(KeyError::PublicKey));
    let rfc4716 = std::process::Command::new("ssh-keygen")
        .args(["-e", "-f"])
        .arg(&user_pub)
        .output()
        .expect("ssh-keygen -e");
    assert_eq!(inspect(&rfc4716.stdout, None), Err(KeyError::PublicKey));
}

fn write(shop: &Workshop, bytes: &[u8]) -> std::path::PathBuf {
    let path = shop.path("file");
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn dsa_ssh1_and_ssh_com_keys_are_refused_with_what_to_do() {
    let shop = Workshop::new();
    let dsa = openssl::dsa::Dsa::generate(1024).expect("dsa");
    let pkcs8 = openssl::pkey::PKey::from_dsa(dsa.clone())
        .and_then(|k| k.private_key_to_pem_pkcs8())
        .expect("pkcs8");
    let legacy = dsa.private_key_to_pem().expect("pem");
    let ppk = shop.puttygen(&["-t", "dsa", "-b", "1024"], Putty::Ppk(3), None);
    for (what, bytes) in [("PEM", legacy), ("PKCS#8", pkcs8), (".ppk", ppk.private)] {
        let error = inspect(&bytes, None).expect_err(what);
        assert_eq!(error, KeyError::UnsupportedDsa, "{what}");
        assert!(
            error.to_string().contains("ssh-keygen -t ed25519"),
            "{error}"
        );
    }
    assert_eq!(
        inspect(b"SSH PRIVATE KEY FILE FORMAT 1.1\n\0\0", None),
        Err(KeyError::UnsupportedFormat("an SSH-1 key".into()))
    );
    let rsa = shop.puttygen(&["-t", "rsa", "-b", "2048"], Putty::Ppk(3), None);
    let ppk_path = write(&shop, &rsa.private);
    let sshcom = shop.path("sshcom");
    let status = std::process::Command::new("puttygen")
        .arg(&ppk_path)
        .args(["-O", "private-sshcom", "-o"])
        .arg(&sshcom)
        .status()
        .expect("puttygen");
    assert!(status.success());
    assert!(matches!(
        inspect(&std::fs::read(&sshcom).expect("read"), None),
        Err(KeyError::UnsupportedFormat(_))
    ));
    // ssh-keygen itself refuses to read it ("Invalid key length").
    let short = openssl::rsa::Rsa::generate(768)
        .and_then(openssl::pkey::PKey::from_rsa)
        .and_then(|k| k.private_key_to_pem_pkcs8())
        .expect("RSA 768");
    assert_eq!(
        inspect(&short, None),
        Err(KeyError::RsaTooShort(768)),
        "sshd refuses it; say so at import, not at every download"
    );
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
    assert_eq!(inspect(b"\xEF\xBB\xBF \n", None), Err(KeyError::Empty));
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
