//! Reading a private key file before anything is stored: which format it
//! is, that the passphrase opens it, its type and OpenSSH SHA256
//! fingerprint — and converting it to the one form the SFTP engine is given.
//!
//! Whatever OpenSSH, OpenSSL or PuTTY would load is accepted: PEM (PKCS#1,
//! SEC1, PKCS#8) read by OpenSSL, OpenSSH's format and PuTTY's `.ppk` read
//! by this crate's readers; with a byte-order mark, Windows line endings,
//! any base64 line width, notes around a PEM block. Every key ends as an
//! OpenSSL key stored as PKCS#8 (see `keypair`), so nothing reaches the
//! engine that libssh2 might read differently from this import.

use std::fmt;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::keypair::Parsed;
use crate::{armor, openssh, pem, ppk};

/// Private key files are a few KiB; anything far larger is the wrong file.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// What the user may see of a key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyInfo {
    /// "RSA 4096", "ECDSA P-256", "Ed25519".
    pub key_type: String,
    /// `SHA256:…` as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// Whether the file was protected by a passphrase.
    pub encrypted: bool,
    /// "OpenSSH", "PEM (PKCS#1)", "PEM (PKCS#8)", "PEM (SEC1)",
    /// "PuTTY (PPK 2)", "PuTTY (PPK 3)": the file the user chose.
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

/// A key file that was read, checked and converted to the stored form.
/// `Debug` never prints the key.
pub struct ImportedKey {
    /// What the user may see of it.
    pub info: KeyInfo,
    pem: Zeroizing<String>,
}

impl ImportedKey {
    /// The key as unencrypted PKCS#8 PEM, the form the SFTP engine is given.
    pub fn pem(&self) -> &str {
        &self.pem
    }
}

impl fmt::Debug for ImportedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedKey")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Validates key bytes (opening them with `passphrase` when encrypted) and
/// describes the key.
pub fn inspect(bytes: &[u8], passphrase: Option<&str>) -> Result<KeyInfo, KeyError> {
    read_key(bytes, passphrase).map(|key| key.info)
}

/// Reads key bytes in any supported format, opening them with `passphrase`
/// when encrypted (an empty passphrase counts as none). Fails with a
/// [`KeyError`] that says what to do: a missing or wrong passphrase, a
/// public key or certificate instead of a private key, an unsupported type
/// or format, or a damaged file.
pub fn read_key(bytes: &[u8], passphrase: Option<&str>) -> Result<ImportedKey, KeyError> {
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(KeyError::TooLarge(bytes.len() as u64));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(KeyError::Empty);
    }
    if bytes.starts_with(b"SSH PRIVATE KEY FILE FORMAT 1.1") {
        return Err(KeyError::UnsupportedFormat("an SSH-1 key".into()));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(KeyError::Garbled(
            "it was saved as UTF-16 text; save it again as plain or UTF-8 text".into(),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| KeyError::Garbled("it is not a text key file".into()))?;
    let passphrase = passphrase.filter(|p| !p.is_empty());
    let parsed: Parsed = match kind(text) {
        Some(Kind::Ppk) => ppk::read(text, passphrase)?,
        Some(Kind::OpenSsh) => openssh::read(text, passphrase)?,
        Some(Kind::Pem(label)) => pem::read(text, label, passphrase)?,
        Some(Kind::Dsa) => return Err(KeyError::UnsupportedDsa),
        Some(Kind::SshCom) => {
            return Err(KeyError::UnsupportedFormat(
                "an ssh.com (SECSH) private key".into(),
            ));
        }
        Some(Kind::Public) => return Err(KeyError::PublicKey),
        Some(Kind::Certificate) => return Err(KeyError::Certificate),
        None => {
            return Err(KeyError::Garbled(
                "it is not a PEM, OpenSSH or PuTTY private key".into(),
            ));
        }
    };
    Ok(ImportedKey {
        info: KeyInfo {
            key_type: parsed.keypair.key_type().to_owned(),
            fingerprint: parsed.keypair.fingerprint(),
            encrypted: parsed.encrypted,
            format: parsed.format.into(),
        },
        pem: parsed.keypair.to_pem()?,
    })
}

/// What a file holds, judged from its text.
enum Kind<'a> {
    Ppk,
    OpenSsh,
    /// A PEM private key block and its label.
    Pem(&'a str),
    Dsa,
    SshCom,
    Public,
    Certificate,
}

fn kind(text: &str) -> Option<Kind<'_>> {
    if text.trim_start().starts_with(ppk::HEADER) {
        return Some(Kind::Ppk);
    }
    // A private key block wins wherever it is (OpenSSL skips what precedes it).
    for label in armor::labels(text) {
        match label {
            openssh::LABEL => return Some(Kind::OpenSsh),
            "DSA PRIVATE KEY" => return Some(Kind::Dsa),
            l if l.ends_with("PRIVATE KEY") => return Some(Kind::Pem(l)),
            _ => {}
        }
    }
    if text.contains("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----") {
        return Some(Kind::SshCom);
    }
    if armor::labels(text).any(|l| l.ends_with("CERTIFICATE")) {
        return Some(Kind::Certificate);
    }
    if armor::labels(text).any(|l| l.ends_with("PUBLIC KEY"))
        || text.contains("---- BEGIN SSH2 PUBLIC KEY ----")
    {
        return Some(Kind::Public);
    }
    let first = text.lines().find(|line| !line.trim().is_empty())?;
    // `[options] type base64 [comment]`, as in .pub files and authorized_keys.
    let words: Vec<&str> = first.split_whitespace().collect();
    words.windows(2).find_map(|pair| {
        let is_type = ["ssh-", "ecdsa-sha2-", "sk-", "rsa-sha2-"]
            .iter()
            .any(|prefix| pair[0].starts_with(prefix));
        let is_blob = pair[1].starts_with("AAAA");
        (is_type && is_blob).then(|| {
            if pair[0].contains("-cert-v01@openssh.com") {
                Kind::Certificate
            } else {
                Kind::Public
            }
        })
    })
}
