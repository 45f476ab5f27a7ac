//! Reading and validating a private key file before anything is stored:
//! its format, type, whether it is encrypted, that the passphrase opens it,
//! and its OpenSSH SHA256 fingerprint.

use std::path::Path;

use openssl::pkey::{Id, PKey, Private};
use ssh_key::public::{EcdsaPublicKey, KeyData, RsaPublicKey};
use ssh_key::{Algorithm, HashAlg, Mpint, PrivateKey, PublicKey};

use crate::error::KeyError;

/// Private key files are a few KiB; anything far larger is the wrong file.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// What the user may see of a key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyInfo {
    /// "RSA 4096", "ECDSA P-256", "Ed25519".
    pub key_type: String,
    /// `SHA256:…` as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub encrypted: bool,
    /// "OpenSSH", "PEM (PKCS#1)", "PEM (PKCS#8)", "PEM (SEC1)".
    pub format: String,
}

/// Reads a key file with the checks a user needs: not a folder, not empty,
/// not absurdly large.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    let unreadable = |e: std::io::Error| KeyError::Unreadable {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(KeyError::IsDirectory(path.display().to_string()));
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(KeyError::TooLarge(meta.len()));
    }
    std::fs::read(path).map_err(unreadable)
}

/// Validates key bytes (opening them with `passphrase` when encrypted).
pub fn inspect(bytes: &[u8], passphrase: Option<&str>) -> Result<KeyInfo, KeyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(KeyError::Empty);
    }
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(KeyError::TooLarge(bytes.len() as u64));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| KeyError::Garbled("it is not a text key file".into()))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with("PuTTY-User-Key-File-") {
        return Err(KeyError::PuttyKey);
    }
    let public_markers = [
        "ssh-rsa ",
        "ssh-ed25519 ",
        "ecdsa-sha2-",
        "ssh-dss ",
        "---- BEGIN SSH2 PUBLIC KEY",
        "-----BEGIN PUBLIC KEY",
        "-----BEGIN RSA PUBLIC KEY",
    ];
    if public_markers.iter().any(|m| trimmed.starts_with(m)) {
        return Err(KeyError::PublicKey);
    }
    if trimmed.starts_with("-----BEGIN DSA PRIVATE KEY") {
        return Err(KeyError::UnsupportedDsa);
    }
    if trimmed.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return inspect_openssh(trimmed, passphrase);
    }
    if trimmed.starts_with("-----BEGIN ") && trimmed.contains("PRIVATE KEY-----") {
        return inspect_pem(trimmed, passphrase);
    }
    Err(KeyError::Garbled(
        "it is not a PEM or OpenSSH private key".into(),
    ))
}

fn inspect_openssh(text: &str, passphrase: Option<&str>) -> Result<KeyInfo, KeyError> {
    let key = PrivateKey::from_openssh(text).map_err(|e| KeyError::Garbled(e.to_string()))?;
    let key_type = match key.algorithm() {
        Algorithm::Dsa => return Err(KeyError::UnsupportedDsa),
        Algorithm::Rsa { .. } => match key.public_key().key_data() {
            KeyData::Rsa(rsa) => format!("RSA {}", mpint_bits(&rsa.n)),
            _ => "RSA".into(),
        },
        Algorithm::Ecdsa { curve } => format!("ECDSA {}", curve_name(curve.as_str())),
        Algorithm::Ed25519 => "Ed25519".into(),
        other => return Err(KeyError::UnsupportedType(other.to_string())),
    };
    let encrypted = key.is_encrypted();
    if encrypted {
        let pass = passphrase
            .filter(|p| !p.is_empty())
            .ok_or(KeyError::NeedsPassphrase)?;
        key.decrypt(pass).map_err(|_| KeyError::WrongPassphrase)?;
    }
    Ok(KeyInfo {
        key_type,
        fingerprint: key.public_key().fingerprint(HashAlg::Sha256).to_string(),
        encrypted,
        format: "OpenSSH".into(),
    })
}

fn inspect_pem(text: &str, passphrase: Option<&str>) -> Result<KeyInfo, KeyError> {
    if !text.contains("-----END ") {
        return Err(KeyError::Garbled("the end of the key is missing".into()));
    }
    let encrypted = text.contains("ENCRYPTED");
    let format = if text.starts_with("-----BEGIN RSA PRIVATE KEY") {
        "PEM (PKCS#1)"
    } else if text.starts_with("-----BEGIN EC PRIVATE KEY") {
        "PEM (SEC1)"
    } else {
        "PEM (PKCS#8)"
    };
    let pass = match (encrypted, passphrase.filter(|p| !p.is_empty())) {
        (true, None) => return Err(KeyError::NeedsPassphrase),
        (true, Some(pass)) => pass,
        (false, _) => "",
    };
    let key: PKey<Private> =
        PKey::private_key_from_pem_passphrase(text.as_bytes(), pass.as_bytes()).map_err(|e| {
            if encrypted {
                KeyError::WrongPassphrase
            } else {
                KeyError::Garbled(first_line(&e.to_string()))
            }
        })?;
    let (key_type, data) = match key.id() {
        Id::RSA => {
            let rsa = key.rsa().map_err(|e| KeyError::Garbled(e.to_string()))?;
            let public = RsaPublicKey {
                e: Mpint::from_positive_bytes(&rsa.e().to_vec())
                    .map_err(|e| KeyError::Garbled(e.to_string()))?,
                n: Mpint::from_positive_bytes(&rsa.n().to_vec())
                    .map_err(|e| KeyError::Garbled(e.to_string()))?,
            };
            (format!("RSA {}", rsa.n().num_bits()), KeyData::Rsa(public))
        }
        Id::EC => {
            let ec = key.ec_key().map_err(|e| KeyError::Garbled(e.to_string()))?;
            let mut ctx =
                openssl::bn::BigNumContext::new().map_err(|e| KeyError::Garbled(e.to_string()))?;
            let point = ec
                .public_key()
                .to_bytes(
                    ec.group(),
                    openssl::ec::PointConversionForm::UNCOMPRESSED,
                    &mut ctx,
                )
                .map_err(|e| KeyError::Garbled(e.to_string()))?;
            let public = EcdsaPublicKey::from_sec1_bytes(&point).map_err(|_| {
                KeyError::UnsupportedType(
                    "an elliptic curve other than P-256, P-384 or P-521".into(),
                )
            })?;
            let name = curve_name(public.curve().as_str());
            (format!("ECDSA {name}"), KeyData::Ecdsa(public))
        }
        Id::ED25519 => {
            let raw = key
                .raw_public_key()
                .map_err(|e| KeyError::Garbled(e.to_string()))?;
            let bytes: [u8; 32] = raw
                .try_into()
                .map_err(|_| KeyError::Garbled("bad Ed25519 key".into()))?;
            (
                "Ed25519".into(),
                KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(bytes)),
            )
        }
        Id::DSA => return Err(KeyError::UnsupportedDsa),
        other => return Err(KeyError::UnsupportedType(format!("{other:?}"))),
    };
    Ok(KeyInfo {
        key_type,
        fingerprint: PublicKey::from(data)
            .fingerprint(HashAlg::Sha256)
            .to_string(),
        encrypted,
        format: format.into(),
    })
}

fn mpint_bits(n: &Mpint) -> usize {
    let bytes = n.as_positive_bytes().unwrap_or_default();
    let lead = bytes
        .first()
        .map(|b| 8 - b.leading_zeros() as usize)
        .unwrap_or(0);
    bytes.len().saturating_sub(1) * 8 + lead
}

fn curve_name(ssh_name: &str) -> &'static str {
    match ssh_name {
        "nistp256" => "P-256",
        "nistp384" => "P-384",
        "nistp521" => "P-521",
        _ => "curve",
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or(text)
        .chars()
        .take(120)
        .collect()
}
