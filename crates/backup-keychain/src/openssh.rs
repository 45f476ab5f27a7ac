//! OpenSSH's own private key format (`BEGIN OPENSSH PRIVATE KEY`, described
//! in OpenSSH's PROTOCOL.key), read as leniently as OpenSSH reads it.
//!
//! The ssh-key crate's decoder refuses files that OpenSSH writes and reads:
//! an ECDSA private scalar written minimal (about one P-521 key in four;
//! then, when encrypted, its error looked like a wrong passphrase), the
//! 16-byte padding PuTTYgen adds, and base64 wrapped at 64 characters. So
//! the container and the private section are read here, with ssh-key's
//! bcrypt-pbkdf and ciphers for the decryption, and the numbers go to OpenSSL.

use ssh_key::{Cipher, Kdf};
use zeroize::Zeroizing;

use crate::armor;
use crate::error::KeyError;
use crate::keypair::{Keypair, Parsed};
use crate::wire::{Wire, damaged};

/// The label of the PEM-like block.
pub(crate) const LABEL: &str = "OPENSSH PRIVATE KEY";
const MAGIC: &[u8] = b"openssh-key-v1\0";
/// `ssh-keygen -a` defaults to 16; a file asking for far more would hang
/// the import instead of failing it.
const MAX_BCRYPT_ROUNDS: u32 = 10_000;

/// Reads an OpenSSH private key file's text.
pub(crate) fn read(text: &str, passphrase: Option<&str>) -> Result<Parsed, KeyError> {
    let armor = armor::block(text, LABEL)?;
    let mut wire = Wire::new(&armor.body);
    if wire.bytes(MAGIC.len()).ok() != Some(MAGIC) {
        return Err(damaged("it does not start as an OpenSSH key does"));
    }
    let cipher_name = wire.text()?;
    let kdf_name = wire.text()?;
    let kdf_options = wire.string()?;
    if wire.u32()? != 1 {
        return Err(KeyError::UnsupportedFormat(
            "a file holding several keys".into(),
        ));
    }
    let public = wire.string()?;
    let private = wire.string()?;
    let key_type = Wire::new(public).text()?;
    check_type(key_type)?;
    let encrypted = cipher_name != "none";
    let section = if encrypted {
        let pass = passphrase.ok_or(KeyError::NeedsPassphrase)?;
        decrypt(cipher_name, kdf_name, kdf_options, private, &mut wire, pass)?
    } else {
        Zeroizing::new(private.to_vec())
    };
    let keypair = read_private(&section, key_type, encrypted)?;
    keypair.check_public(public)?;
    Ok(Parsed {
        keypair,
        format: "OpenSSH",
        encrypted,
    })
}

/// Refuses, before any passphrase is asked, the types SSH logins here cannot use.
fn check_type(key_type: &str) -> Result<(), KeyError> {
    match key_type {
        "ssh-rsa" | "ssh-ed25519" => Ok(()),
        t if t.starts_with("ecdsa-sha2-nistp") => Ok(()),
        "ssh-dss" => Err(KeyError::UnsupportedDsa),
        t if t.starts_with("sk-") => Err(KeyError::UnsupportedType(
            "a FIDO security key (sk-…), which needs the hardware token at every login".into(),
        )),
        other => Err(KeyError::UnsupportedType(other.chars().take(60).collect())),
    }
}

fn decrypt(
    cipher_name: &str,
    kdf_name: &str,
    kdf_options: &[u8],
    private: &[u8],
    after: &mut Wire<'_>,
    pass: &str,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let cipher = Cipher::new(cipher_name)
        .map_err(|_| KeyError::UnsupportedFormat(format!("a key encrypted with {cipher_name}")))?;
    if kdf_name != "bcrypt" {
        return Err(KeyError::UnsupportedFormat(format!(
            "a key protected with {kdf_name}"
        )));
    }
    let mut options = Wire::new(kdf_options);
    let salt = options.string()?.to_vec();
    let rounds = options.u32()?;
    if rounds > MAX_BCRYPT_ROUNDS {
        return Err(KeyError::UnsupportedFormat(format!(
            "a passphrase hashed with {rounds} bcrypt rounds (at most {MAX_BCRYPT_ROUNDS})"
        )));
    }
    if !private.len().is_multiple_of(cipher.block_size()) {
        return Err(damaged("the key data is cut short"));
    }
    let tag = if cipher.has_tag() {
        let bytes = after.bytes(16)?;
        let mut tag = [0u8; 16];
        tag.copy_from_slice(bytes);
        Some(tag)
    } else {
        None
    };
    let (key, iv) = Kdf::Bcrypt { salt, rounds }
        .derive_key_and_iv(cipher, pass)
        .map_err(|_| damaged("its passphrase settings cannot be used"))?;
    let mut section = Zeroizing::new(private.to_vec());
    cipher
        .decrypt(&key, &iv, &mut section, tag)
        .map_err(|_| KeyError::WrongPassphrase)?;
    Ok(section)
}

/// The private section: two equal check numbers (unequal after decryption
/// means a wrong passphrase), the key, a comment and padding.
fn read_private(section: &[u8], key_type: &str, encrypted: bool) -> Result<Keypair, KeyError> {
    let mut wire = Wire::new(section);
    if wire.u32()? != wire.u32()? {
        return Err(if encrypted {
            KeyError::WrongPassphrase
        } else {
            damaged("its check numbers differ")
        });
    }
    if wire.text()? != key_type {
        return Err(damaged(
            "its private and public parts are of different types",
        ));
    }
    match key_type {
        "ssh-rsa" => {
            let n = wire.mpint()?;
            let e = wire.mpint()?;
            let d = wire.mpint()?;
            let iqmp = wire.mpint()?;
            let p = wire.mpint()?;
            let q = wire.mpint()?;
            Keypair::rsa(n, e, d, p, q, iqmp)
        }
        "ssh-ed25519" => {
            let public = wire.string()?;
            let secret = wire.string()?;
            if secret.len() != 64 || secret[32..] != *public {
                return Err(damaged("the Ed25519 private key is malformed"));
            }
            Keypair::ed25519(&secret[..32], public)
        }
        ecdsa => {
            let curve = wire.text()?;
            if ecdsa.strip_prefix("ecdsa-sha2-") != Some(curve) {
                return Err(damaged("its curve does not match its type"));
            }
            let point = wire.string()?;
            // Minimal (OpenSSH), full width or with a sign byte: all the same number.
            let scalar = wire.mpint()?;
            Keypair::ecdsa(curve, point, &scalar)
        }
    }
}

#[cfg(test)]
mod tests {
    use openssl::pkey::{Id, PKey};

    use super::*;
    use crate::wire::put_string;

    /// An unencrypted Ed25519 key file with `padding` bytes of padding and
    /// the given check numbers.
    fn key_file(padding: u8, checks: (u32, u32)) -> String {
        let seed = [7u8; 32];
        let point = PKey::private_key_from_raw_bytes(&seed, Id::ED25519)
            .and_then(|k| k.raw_public_key())
            .expect("key");
        let mut public = Vec::new();
        put_string(&mut public, b"ssh-ed25519").expect("put");
        put_string(&mut public, &point).expect("put");
        let mut private = Vec::new();
        private.extend_from_slice(&checks.0.to_be_bytes());
        private.extend_from_slice(&checks.1.to_be_bytes());
        put_string(&mut private, b"ssh-ed25519").expect("put");
        put_string(&mut private, &point).expect("put");
        put_string(&mut private, &[&seed[..], &point].concat()).expect("put");
        put_string(&mut private, b"comment").expect("put");
        private.extend(1..=padding);
        let mut body = MAGIC.to_vec();
        for part in [&b"none"[..], b"none", b""] {
            put_string(&mut body, part).expect("put");
        }
        body.extend_from_slice(&1u32.to_be_bytes());
        put_string(&mut body, &public).expect("put");
        put_string(&mut body, &private).expect("put");
        format!(
            "-----BEGIN {LABEL}-----\n{}-----END {LABEL}-----\n",
            armor::wrap(&body).as_str()
        )
    }

    #[test]
    fn puttygens_padding_up_to_a_whole_block_is_read() {
        // ssh-keygen pads to 8 bytes; PuTTYgen to 16, adding 16 when the
        // data already fills its blocks. OpenSSH reads both.
        for padding in [0, 7, 15, 16] {
            let parsed = read(&key_file(padding, (9, 9)), None)
                .unwrap_or_else(|e| panic!("padding {padding}: {e}"));
            assert_eq!(parsed.keypair.key_type(), "Ed25519");
        }
    }

    #[test]
    fn unequal_check_numbers_in_a_plain_key_are_damage() {
        assert_eq!(
            read(&key_file(3, (1, 2)), None).err(),
            Some(KeyError::Garbled("its check numbers differ".into())),
            "no passphrase was involved, so it cannot be a wrong one"
        );
    }
}
