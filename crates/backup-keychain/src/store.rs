//! The key store proper: per-scope (per account) key and token; keys stored
//! by earlier versions may also have their passphrase beside them.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::backend::SecretBackend;
use crate::error::KeyError;
use crate::keyfile::{KeyInfo, read_key, read_key_file};

const MAGIC: &[u8; 4] = b"BDK1";

/// A key ready for the download engine. `Debug` never prints it.
pub struct UnlockedKey {
    /// Unencrypted PKCS#8 PEM for keys imported by this version; the
    /// original file for keys stored by earlier versions.
    pub pem: String,
    /// Only for keys stored by earlier versions, which kept the file as it
    /// was and its passphrase beside it.
    pub passphrase: Option<String>,
}

impl fmt::Debug for UnlockedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnlockedKey(<redacted>)")
    }
}

/// Keys, passphrases and tokens per scope (an account's local id).
#[derive(Clone)]
pub struct KeyStore {
    dir: PathBuf,
    backend: Arc<dyn SecretBackend>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| KeyError::Keychain(format!("no randomness from the OS: {e}")))?;
    Ok(bytes)
}

impl KeyStore {
    /// Encrypted key files go to `dir` (the app's data dir); small secrets to `backend`.
    pub fn new(dir: impl Into<PathBuf>, backend: Arc<dyn SecretBackend>) -> KeyStore {
        KeyStore {
            dir: dir.into(),
            backend,
        }
    }

    fn check_scope(scope: &str) -> Result<(), KeyError> {
        let ok = !scope.is_empty()
            && scope.len() <= 64
            && scope
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(())
        } else {
            Err(KeyError::Keychain(format!(
                "{scope:?} is not a valid key scope"
            )))
        }
    }

    fn key_path(&self, scope: &str) -> PathBuf {
        self.dir.join(format!("{scope}.key"))
    }

    fn info_path(&self, scope: &str) -> PathBuf {
        self.dir.join(format!("{scope}.key.json"))
    }

    /// Imports the key file at `path` (see [`KeyStore::import`]).
    pub fn import_file(
        &self,
        scope: &str,
        path: &Path,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeyError> {
        self.import(scope, &read_key_file(path)?, passphrase)
    }

    /// Reads, converts and stores a key, replacing the scope's previous one
    /// (and any passphrase an earlier version kept for it). The keychain is
    /// written first: if it is unavailable nothing is stored.
    pub fn import(
        &self,
        scope: &str,
        bytes: &[u8],
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeyError> {
        Self::check_scope(scope)?;
        let key = read_key(bytes, passphrase)?;
        let data_key: [u8; 32] = random()?;
        let nonce: [u8; 12] = random()?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&data_key));
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.pem().as_bytes(),
                    aad: scope.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Corrupt("encryption failed".into()))?;
        self.backend
            .set(&format!("key:{scope}"), &STANDARD.encode(data_key))?;
        self.backend.delete(&format!("passphrase:{scope}"))?;
        let mut file = Vec::with_capacity(4 + 12 + sealed.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&sealed);
        write_private(&self.key_path(scope), &file)?;
        let json =
            serde_json::to_vec_pretty(&key.info).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        write_private(&self.info_path(scope), &json)?;
        Ok(key.info)
    }

    /// What the user may see of the scope's key, if one is stored.
    pub fn info(&self, scope: &str) -> Result<Option<KeyInfo>, KeyError> {
        Self::check_scope(scope)?;
        match fs::read(self.info_path(scope)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| KeyError::Corrupt(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KeyError::Io {
                path: self.info_path(scope).display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// Opens the scope's key with the keychain, for the download engine.
    pub fn unlock(&self, scope: &str) -> Result<UnlockedKey, KeyError> {
        Self::check_scope(scope)?;
        let file = match fs::read(self.key_path(scope)) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::NotFound),
            Err(e) => {
                return Err(KeyError::Io {
                    path: self.key_path(scope).display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        if file.len() < 16 || &file[..4] != MAGIC {
            return Err(KeyError::Corrupt(
                "the key file is not one Backup Desk wrote".into(),
            ));
        }
        let encoded = self.backend.get(&format!("key:{scope}"))?.ok_or_else(|| {
            KeyError::Corrupt("the keychain no longer holds this key's unlock secret".into())
        })?;
        let data_key = STANDARD
            .decode(encoded)
            .map_err(|e| KeyError::Corrupt(e.to_string()))?;
        if data_key.len() != 32 {
            return Err(KeyError::Corrupt(
                "the keychain's unlock secret has the wrong size".into(),
            ));
        }
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&data_key));
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&file[4..16]),
                Payload {
                    msg: &file[16..],
                    aad: scope.as_bytes(),
                },
            )
            .map_err(|_| {
                KeyError::Corrupt("the key file was changed or belongs to another account".into())
            })?;
        let pem = String::from_utf8(plain).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        let passphrase = self.backend.get(&format!("passphrase:{scope}"))?;
        Ok(UnlockedKey { pem, passphrase })
    }

    /// Removes the scope's key and passphrase.
    pub fn remove(&self, scope: &str) -> Result<(), KeyError> {
        Self::check_scope(scope)?;
        self.backend.delete(&format!("key:{scope}"))?;
        self.backend.delete(&format!("passphrase:{scope}"))?;
        for path in [self.key_path(scope), self.info_path(scope)] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(KeyError::Io {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Keeps the scope's API token in the keychain.
    pub fn set_token(&self, scope: &str, token: &str) -> Result<(), KeyError> {
        Self::check_scope(scope)?;
        self.backend.set(&format!("token:{scope}"), token)
    }

    /// The scope's API token.
    pub fn token(&self, scope: &str) -> Result<Option<String>, KeyError> {
        Self::check_scope(scope)?;
        self.backend.get(&format!("token:{scope}"))
    }

    /// Forgets the scope's API token.
    pub fn remove_token(&self, scope: &str) -> Result<(), KeyError> {
        Self::check_scope(scope)?;
        self.backend.delete(&format!("token:{scope}"))
    }
}

/// Writes a user-only file atomically (temp file, fsync, rename).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let io = |e: std::io::Error| KeyError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = backup_owner_only::read_write_options()
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io)?;
    // User-only before a byte is written (an owner-only ACL on Windows).
    backup_owner_only::restrict(&file).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}
