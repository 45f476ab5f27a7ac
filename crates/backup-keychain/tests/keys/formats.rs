//! Every file ssh-keygen, openssl and puttygen write for RSA, ECDSA and
//! Ed25519 is read with the type and fingerprint `ssh-keygen -l` prints —
//! also when an editor saved it with a byte-order mark and CRLF — and is
//! converted to the one form that is stored.

use backup_keychain::{KeyError, inspect, read_key};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;

use crate::tools::{Made, Putty, Workshop, set_private};

pub const PASS: Option<&str> = Some("open sesame");

/// Reads `key` as written and as an editor re-saved it; checks what the
/// user is shown and what is stored.
pub fn check(key: &Made) {
    for (variant, bytes) in [
        ("as written", key.private.clone()),
        ("with a BOM and CRLF", key.with_bom()),
    ] {
        let read = read_key(&bytes, key.passphrase)
            .unwrap_or_else(|e| panic!("{} ({variant}) was refused: {e}", key.label));
        assert_eq!(
            read.info.fingerprint, key.fingerprint,
            "{} ({variant}): the fingerprint ssh-keygen -l prints, which providers compare",
            key.label
        );
        assert_eq!(
            read.info.key_type, key.key_type,
            "{} ({variant})",
            key.label
        );
        assert_eq!(
            read.info.encrypted,
            key.passphrase.is_some(),
            "{} ({variant})",
            key.label
        );
        assert!(
            read.pem().starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{}: stored as unencrypted PKCS#8, the one form the engine is given",
            key.label
        );
        let stored = inspect(read.pem().as_bytes(), None).expect("the stored form reads back");
        assert_eq!(
            stored.fingerprint, key.fingerprint,
            "{}: the stored form is the same key",
            key.label
        );
    }
}

#[test]
fn keys_from_ssh_keygen_show_the_type_and_fingerprint_it_prints() {
    let shop = Workshop::new();
    let cases: &[&[&str]] = &[
        &["-t", "rsa", "-b", "2048"],
        &["-t", "rsa", "-b", "2048", "-m", "PEM"],
        &["-t", "rsa", "-b", "2048", "-m", "PKCS8"],
        &["-t", "ecdsa", "-b", "256"],
        &["-t", "ecdsa", "-b", "384"],
        &["-t", "ecdsa", "-b", "521"],
        &["-t", "ecdsa", "-b", "384", "-m", "PEM"],
        &["-t", "ecdsa", "-b", "521", "-m", "PKCS8"],
        &["-t", "ed25519"],
    ];
    for args in cases {
        for passphrase in [None, PASS] {
            check(&shop.ssh_keygen(args, passphrase));
        }
    }
    // Ciphers other than the default aes256-ctr, including the two with a tag.
    for cipher in [
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
        "aes128-cbc",
    ] {
        check(&shop.ssh_keygen(&["-t", "ed25519", "-Z", cipher], PASS));
    }
}

#[test]
fn keys_from_openssl_show_the_type_and_fingerprint_ssh_keygen_prints() {
    let shop = Workshop::new();
    let pass_out = format!("pass:{}", PASS.unwrap_or_default());
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let rsa = owned(&[
        "genpkey",
        "-algorithm",
        "rsa",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
    ]);
    let p256 = owned(&["ecparam", "-name", "prime256v1", "-genkey"]);
    let p521 = owned(&[
        "genpkey",
        "-algorithm",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-521",
    ]);
    let ed25519 = owned(&["genpkey", "-algorithm", "ed25519"]);
    let encrypt = |traditional: bool| {
        let mut step = owned(&["pkey", "-aes256", "-passout", &pass_out]);
        if traditional {
            step.push("-traditional".into());
        }
        step
    };
    let cases = [
        (vec![rsa.clone()], None),
        (vec![rsa.clone(), owned(&["pkey", "-traditional"])], None),
        (vec![rsa.clone(), encrypt(false)], PASS),
        (vec![rsa, encrypt(true)], PASS),
        // `ecparam -genkey` writes an EC PARAMETERS block before the key.
        (vec![p256.clone()], None),
        (vec![p256, encrypt(true)], PASS),
        (vec![p521.clone()], None),
        (vec![p521, encrypt(false)], PASS),
        (vec![ed25519.clone()], None),
        (vec![ed25519, encrypt(false)], PASS),
    ];
    for (steps, passphrase) in cases {
        check(&shop.openssl_steps(&steps, passphrase));
    }
}

#[test]
fn keys_from_puttygen_show_the_type_and_fingerprint_ssh_keygen_prints() {
    let shop = Workshop::new();
    let types: &[&[&str]] = &[
        &["-t", "rsa", "-b", "2048"],
        &["-t", "ecdsa", "-b", "256"],
        &["-t", "ecdsa", "-b", "384"],
        &["-t", "ecdsa", "-b", "521"],
        &["-t", "ed25519"],
    ];
    for args in types {
        // One key per type (RSA takes puttygen a while), saved every way.
        let made = shop.puttygen(args, Putty::Ppk(3), None);
        let source = shop.path("source.ppk");
        std::fs::write(&source, &made.private).expect("source");
        let source = source.to_str().expect("path");
        for version in [2, 3] {
            for passphrase in [None, PASS] {
                check(&shop.puttygen(&[source], Putty::Ppk(version), passphrase));
            }
        }
        // What our old `.ppk` hint told people to make, and the PEM export.
        // (PuTTYgen's bcrypt rounds are slow unoptimised: one encrypted export.)
        check(&shop.puttygen(&[source], Putty::OpenSshNew, None));
        if args[1] == "ed25519" {
            check(&shop.puttygen(&[source], Putty::OpenSshNew, PASS));
        } else {
            check(&shop.puttygen(&[source], Putty::OpenSshPem, PASS));
        }
    }
}

#[test]
fn a_ppk_with_puttygens_own_argon2_settings_opens() {
    // One read: Argon2 at PuTTYgen's defaults takes seconds unoptimised.
    let shop = Workshop::new();
    let key = shop.puttygen_with(&["-t", "ecdsa", "-b", "256"], Putty::Ppk(3), PASS, "");
    assert!(
        String::from_utf8_lossy(&key.private).contains("Argon2-Memory: 8192"),
        "PuTTYgen's defaults, as Windows admins' files have them"
    );
    let info = inspect(&key.private, key.passphrase).expect("opens");
    assert_eq!(info.fingerprint, key.fingerprint);
}

/// An OpenSSH key whose private scalar OpenSSH writes shorter than the
/// curve's width: what the old parser refused ("length invalid", or "The
/// passphrase is wrong" when encrypted).
pub fn short_scalar_key(shop: &Workshop, nid: Nid, passphrase: Option<&'static str>) -> Made {
    let group = EcGroup::from_curve_name(nid).expect("curve");
    let width = (group.degree() as usize).div_ceil(8);
    let mut ctx = BigNumContext::new().expect("ctx");
    let mut order = openssl::bn::BigNum::new().expect("bn");
    group.order(&mut order, &mut ctx).expect("order");
    let key = loop {
        let key = EcKey::generate(&group).expect("key");
        let scalar = key.private_key().to_vec();
        // Shorter than the width even as an mpint, which adds a sign byte
        // before a first byte of 0x80 or more.
        if scalar.len() + usize::from(scalar[0] >= 0x80) < width {
            break key;
        }
    };
    let path = shop.path("short.pem");
    std::fs::write(&path, key.private_key_to_pem().expect("pem")).expect("write");
    set_private(&path);
    // `ssh-keygen -p` rewrites the key in OpenSSH's own format.
    let out = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-p",
            "-a",
            "2",
            "-P",
            "",
            "-N",
            passphrase.unwrap_or(""),
            "-f",
        ])
        .arg(&path)
        .output()
        .expect("ssh-keygen -p");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = shop.describe_file(format!("short {nid:?} scalar"), &path, passphrase);
    assert!(
        String::from_utf8_lossy(&made.private).starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"),
        "ssh-keygen -p writes OpenSSH's format"
    );
    made
}

#[test]
fn ecdsa_keys_with_a_short_private_scalar_are_read_not_called_damaged() {
    let shop = Workshop::new();
    for nid in [Nid::X9_62_PRIME256V1, Nid::SECP384R1, Nid::SECP521R1] {
        for passphrase in [None, PASS] {
            let key = short_scalar_key(&shop, nid, passphrase);
            let text = String::from_utf8(key.private.clone()).expect("text");
            let old = ssh_key::PrivateKey::from_openssh(&text).and_then(|k| match passphrase {
                Some(pass) => k.decrypt(pass),
                None => Ok(k),
            });
            assert!(
                old.is_err(),
                "{}: the case the old parser refused is the one tested",
                key.label
            );
            check(&key);
            if passphrase.is_some() {
                assert_eq!(
                    inspect(&key.private, Some("not it")),
                    Err(KeyError::WrongPassphrase),
                    "{}: a wrong passphrase is still told",
                    key.label
                );
            }
        }
    }
}

#[test]
fn many_p521_keys_from_ssh_keygen_are_all_read() {
    // OpenSSH writes about one P-521 scalar in four shorter than 66 bytes;
    // 40 keys all of full width, which the old parser read, has odds of
    // (3/4)^40, about 1 in 100,000.
    let shop = Workshop::new();
    for n in 0..40 {
        let passphrase = if n % 8 == 0 { PASS } else { None };
        let key = shop.ssh_keygen(&["-t", "ecdsa", "-b", "521"], passphrase);
        let info = inspect(&key.private, key.passphrase)
            .unwrap_or_else(|e| panic!("P-521 key {n} refused: {e}"));
        assert_eq!(info.fingerprint, key.fingerprint, "P-521 key {n}");
        assert_eq!(info.key_type, "ECDSA P-521");
    }
}
