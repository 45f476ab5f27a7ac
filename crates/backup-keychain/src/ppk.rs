//! PuTTY private key files (`.ppk`, formats 2 and 3), which Windows admins
//! get from PuTTYgen and WinSCP, read as the PuTTY manual (appendix C)
//! documents them:
//!
//! - format 2: AES-256-CBC, zero IV, key = SHA-1(0‖pass) ‖ SHA-1(1‖pass)
//!   cut to 32 bytes; MAC = HMAC-SHA-1 keyed by
//!   SHA-1("putty-private-key-file-mac-key" ‖ pass), pass empty if plain.
//! - format 3: Argon2 (the file's flavour, memory, passes, parallelism and
//!   salt) makes 80 bytes: AES key, IV and HMAC-SHA-256 key; a plain file's
//!   MAC key is empty.
//!
//! The MAC covers algorithm, encryption, comment, public blob and decrypted
//! private blob; it is checked in constant time before the key is used. On
//! an encrypted file a bad MAC is how a wrong passphrase shows.
//!
//! Written here because the one maintained Rust reader (ssh-key's `ppk`
//! feature) exists only in a 0.7 release candidate; the format is small.

use argon2::Argon2;
use hmac::{Hmac, Mac};
use openssl::symm::{Cipher, Crypter, Mode};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::armor::decode_lenient;
use crate::error::KeyError;
use crate::keypair::{Keypair, Parsed};
use crate::wire::{Wire, damaged, put_string};

/// How every `.ppk` file starts.
pub(crate) const HEADER: &str = "PuTTY-User-Key-File-";
/// Argon2 costs beyond these would exhaust memory or hang the import;
/// PuTTYgen's defaults are 8 MiB and a pass count tuned to about 0.1 s.
const MAX_ARGON2_KIB: u32 = 1024 * 1024;
const MAX_ARGON2_PASSES: u32 = 1_000;
const MAX_ARGON2_LANES: u32 = 64;

/// The fields of a `.ppk` file, base64 blobs decoded.
struct PpkFile<'a> {
    version: u8,
    algorithm: &'a str,
    fields: Vec<(&'a str, &'a str)>,
    public: Vec<u8>,
    private: Zeroizing<Vec<u8>>,
}

impl<'a> PpkFile<'a> {
    fn field(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    fn required(&self, name: &str) -> Result<&'a str, KeyError> {
        self.field(name)
            .ok_or_else(|| KeyError::Garbled(format!("its {name} line is missing")))
    }
}

/// Reads a `.ppk` file's text.
pub(crate) fn read(text: &str, passphrase: Option<&str>) -> Result<Parsed, KeyError> {
    let file = parse(text)?;
    let key_type = file.algorithm;
    match key_type {
        "ssh-rsa" | "ssh-ed25519" => {}
        t if t.starts_with("ecdsa-sha2-nistp") => {}
        "ssh-dss" => return Err(KeyError::UnsupportedDsa),
        "ssh-ed448" => return Err(KeyError::UnsupportedType("Ed448".into())),
        t if t.contains("-cert-") => {
            return Err(KeyError::UnsupportedFormat(
                "a PuTTY key with a certificate built in; remove the certificate in PuTTYgen"
                    .into(),
            ));
        }
        other => return Err(KeyError::UnsupportedType(other.chars().take(60).collect())),
    }
    let encryption = file.required("Encryption")?;
    let encrypted = match encryption {
        "none" => false,
        "aes256-cbc" => true,
        other => {
            return Err(KeyError::UnsupportedFormat(format!(
                "a PuTTY key encrypted with {other}"
            )));
        }
    };
    let pass = match (encrypted, passphrase) {
        (true, None) => return Err(KeyError::NeedsPassphrase),
        (true, Some(pass)) => pass,
        (false, _) => "",
    };
    let secrets = derive(&file, encrypted, pass)?;
    let mut private = file.private.clone();
    if let Some((key, iv)) = &secrets.cipher {
        private = decrypt(&private, key, iv)?;
    }
    let mut signed = Vec::new();
    for part in [
        key_type.as_bytes(),
        encryption.as_bytes(),
        file.field("Comment").unwrap_or("").as_bytes(),
        &file.public,
        &private,
    ] {
        put_string(&mut signed, part)?;
    }
    let mac = hex(file.required("Private-MAC")?)
        .ok_or_else(|| damaged("its Private-MAC line is not hexadecimal"))?;
    let genuine = match file.version {
        2 => Hmac::<Sha1>::new_from_slice(&secrets.mac_key)
            .map(|m| m.chain_update(&signed).verify_slice(&mac).is_ok()),
        _ => Hmac::<Sha256>::new_from_slice(&secrets.mac_key)
            .map(|m| m.chain_update(&signed).verify_slice(&mac).is_ok()),
    }
    .unwrap_or(false);
    if !genuine {
        return Err(if encrypted {
            KeyError::WrongPassphrase
        } else {
            damaged("its integrity check (Private-MAC) fails: the file was changed")
        });
    }
    let keypair = read_key(key_type, &file.public, &private)?;
    keypair.check_public(&file.public)?;
    Ok(Parsed {
        keypair,
        format: if file.version == 2 {
            "PuTTY (PPK 2)"
        } else {
            "PuTTY (PPK 3)"
        },
        encrypted,
    })
}

fn parse(text: &str) -> Result<PpkFile<'_>, KeyError> {
    // `lines` drops "\n" and "\r\n"; values keep their spaces, which the MAC covers.
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header = lines.next().unwrap_or_default().trim();
    let (version, algorithm) = header
        .strip_prefix(HEADER)
        .and_then(|rest| rest.split_once(':'))
        .ok_or_else(|| damaged("its first line is not a PuTTY key header"))?;
    let version: u8 = version
        .parse()
        .map_err(|_| damaged("its first line is not a PuTTY key header"))?;
    match version {
        2 | 3 => {}
        1 => {
            return Err(KeyError::UnsupportedFormat(
                "PuTTY key format 1, from PuTTY 0.52 or older".into(),
            ));
        }
        v => {
            return Err(KeyError::UnsupportedFormat(format!(
                "PuTTY key format {v}, newer than this version of Backup Desk knows"
            )));
        }
    }
    let mut file = PpkFile {
        version,
        algorithm: algorithm.trim(),
        fields: Vec::new(),
        public: Vec::new(),
        private: Zeroizing::new(Vec::new()),
    };
    while let Some(line) = lines.next() {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| damaged("a line in it is not of the form Name: value"))?;
        let value = value.strip_prefix(' ').unwrap_or(value);
        let blob = match name {
            "Public-Lines" | "Private-Lines" => {
                let count: usize = value
                    .trim()
                    .parse()
                    .map_err(|_| KeyError::Garbled(format!("its {name} count is not a number")))?;
                let mut encoded = Zeroizing::new(String::new());
                for _ in 0..count {
                    let line = lines
                        .next()
                        .ok_or_else(|| damaged("the file is cut short: key lines are missing"))?;
                    encoded.push_str(line.trim());
                }
                decode_lenient(encoded.as_bytes())
                    .map_err(|_| KeyError::Garbled(format!("its {name} are not valid base64")))?
            }
            _ => {
                let value = if name == "Comment" {
                    value
                } else {
                    value.trim()
                };
                file.fields.push((name.trim(), value));
                continue;
            }
        };
        if name == "Public-Lines" {
            file.public = blob;
        } else {
            file.private = Zeroizing::new(blob);
        }
    }
    if file.public.is_empty() || file.private.is_empty() {
        return Err(damaged("the file is cut short: a key part is missing"));
    }
    Ok(file)
}

/// What the passphrase unlocks: AES key and IV (when encrypted), MAC key.
struct Secrets {
    cipher: Option<(Zeroizing<Vec<u8>>, Vec<u8>)>,
    mac_key: Zeroizing<Vec<u8>>,
}

fn derive(file: &PpkFile<'_>, encrypted: bool, pass: &str) -> Result<Secrets, KeyError> {
    if file.version == 2 {
        let mut key = Zeroizing::new(Vec::with_capacity(40));
        for counter in [0u32, 1] {
            key.extend_from_slice(
                &Sha1::new()
                    .chain_update(counter.to_be_bytes())
                    .chain_update(pass)
                    .finalize(),
            );
        }
        key.truncate(32);
        let mac_key = Sha1::new()
            .chain_update("putty-private-key-file-mac-key")
            .chain_update(pass)
            .finalize();
        return Ok(Secrets {
            cipher: encrypted.then(|| (key, vec![0u8; 16])),
            mac_key: Zeroizing::new(mac_key.to_vec()),
        });
    }
    if !encrypted {
        return Ok(Secrets {
            cipher: None,
            mac_key: Zeroizing::new(Vec::new()),
        });
    }
    let flavour = match file.required("Key-Derivation")? {
        "Argon2id" => argon2::Algorithm::Argon2id,
        "Argon2i" => argon2::Algorithm::Argon2i,
        "Argon2d" => argon2::Algorithm::Argon2d,
        other => {
            return Err(KeyError::UnsupportedFormat(format!(
                "a PuTTY key protected with {other}"
            )));
        }
    };
    let number = |name: &str, max: u32| -> Result<u32, KeyError> {
        let value: u32 = file
            .required(name)?
            .parse()
            .map_err(|_| KeyError::Garbled(format!("its {name} is not a number")))?;
        if value > max {
            return Err(KeyError::UnsupportedFormat(format!(
                "a PuTTY key whose {name} is {value} (at most {max})"
            )));
        }
        Ok(value)
    };
    let memory = number("Argon2-Memory", MAX_ARGON2_KIB)?;
    let passes = number("Argon2-Passes", MAX_ARGON2_PASSES)?;
    let lanes = number("Argon2-Parallelism", MAX_ARGON2_LANES)?;
    let salt = hex(file.required("Argon2-Salt")?)
        .ok_or_else(|| damaged("its Argon2-Salt is not hexadecimal"))?;
    let invalid = |_| damaged("its Argon2 settings are not valid");
    let params = argon2::Params::new(memory, passes, lanes, Some(80)).map_err(invalid)?;
    let mut out = Zeroizing::new(vec![0u8; 80]);
    Argon2::new(flavour, argon2::Version::V0x13, params)
        .hash_password_into(pass.as_bytes(), &salt, &mut out)
        .map_err(invalid)?;
    Ok(Secrets {
        cipher: Some((Zeroizing::new(out[..32].to_vec()), out[32..48].to_vec())),
        mac_key: Zeroizing::new(out[48..].to_vec()),
    })
}

fn decrypt(blob: &[u8], key: &[u8], iv: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if !blob.len().is_multiple_of(16) {
        return Err(damaged("the key data is cut short"));
    }
    let failed = |_| damaged("the key data cannot be decrypted");
    let mut crypter =
        Crypter::new(Cipher::aes_256_cbc(), Mode::Decrypt, key, Some(iv)).map_err(failed)?;
    crypter.pad(false);
    let mut out = Zeroizing::new(vec![0u8; blob.len() + 16]);
    let mut len = crypter.update(blob, &mut out).map_err(failed)?;
    len += crypter.finalize(&mut out[len..]).map_err(failed)?;
    out.truncate(len);
    Ok(out)
}

/// The key from its public and (decrypted) private blobs; trailing bytes
/// in the private blob are the encryption's padding.
fn read_key(key_type: &str, public: &[u8], private: &[u8]) -> Result<Keypair, KeyError> {
    let mut public = Wire::new(public);
    if public.text()? != key_type {
        return Err(damaged(
            "its public key is of another type than its header says",
        ));
    }
    let mut private = Wire::new(private);
    match key_type {
        "ssh-rsa" => {
            let e = public.mpint()?;
            let n = public.mpint()?;
            let d = private.mpint()?;
            let p = private.mpint()?;
            let q = private.mpint()?;
            let iqmp = private.mpint()?;
            Keypair::rsa(n, e, d, p, q, iqmp)
        }
        "ssh-ed25519" => {
            let point = public.string()?;
            let seed = private.string()?;
            Keypair::ed25519(seed, point)
        }
        ecdsa => {
            let curve = public.text()?;
            if ecdsa.strip_prefix("ecdsa-sha2-") != Some(curve) {
                return Err(damaged("its curve does not match its type"));
            }
            let point = public.string()?;
            let scalar = private.mpint()?;
            Keypair::ecdsa(curve, point, &scalar)
        }
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let digits: Option<Vec<u8>> = text
        .chars()
        .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
        .collect();
    let digits = digits?;
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    Some(
        digits
            .chunks(2)
            .map(|pair| pair[0] << 4 | pair[1])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_reads_both_cases_and_refuses_odd_or_foreign_digits() {
        assert_eq!(hex("00fFa1"), Some(vec![0, 255, 161]));
        assert_eq!(hex("abc"), None, "half a byte is damage");
        assert_eq!(hex("zz"), None);
    }

    #[test]
    fn old_and_future_formats_are_named_not_called_damaged() {
        for header in [
            "PuTTY-User-Key-File-1: ssh-rsa",
            "PuTTY-User-Key-File-4: ssh-rsa",
        ] {
            assert!(
                matches!(
                    read(&format!("{header}\nEncryption: none\n"), None),
                    Err(KeyError::UnsupportedFormat(_))
                ),
                "{header}: the user can re-save it in PuTTYgen"
            );
        }
    }
}
