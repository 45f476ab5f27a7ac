//! The key store: a private key (PEM, OpenSSH or PuTTY `.ppk`) is read and
//! checked once at import, converted to the one form the download engine
//! reads (unencrypted PKCS#8 PEM), then kept so that only the OS keychain
//! unlocks it; the API token is kept in the keychain too. The passphrase
//! that opened the file is not kept: once converted the key no longer
//! needs it. Callers only ever see a key's type and SHA256 fingerprint,
//! until the download engine asks for the key itself.
//!
//! Why not the key itself in the keychain: Windows' Credential Manager caps
//! a secret at 2,560 bytes and an RSA-4096 PEM is larger. So the key is
//! encrypted (ChaCha20-Poly1305) into the app's data dir with a random
//! 256-bit key, and that small key is what the keychain holds. Without the
//! keychain the file is useless; without a keychain there is no fallback to
//! plain text — import fails and says what to install or unlock.

mod armor;
mod backend;
mod error;
mod keyfile;
mod keypair;
mod openssh;
mod pem;
mod ppk;
mod store;
mod wire;

pub use backend::{KeyringBackend, MemoryBackend, SecretBackend};
pub use error::KeyError;
pub use keyfile::{ImportedKey, KeyInfo, inspect, read_key, read_key_file};
pub use store::{KeyStore, UnlockedKey};

/// A new Ed25519 key pair: (OpenSSH private key, `authorized_keys` line).
/// Used by the demo, whose embedded SFTP server must know the key.
pub fn generate_ed25519(comment: &str) -> Result<(String, String), KeyError> {
    let mut key =
        ssh_key::PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519)
            .map_err(|e| KeyError::Keychain(format!("cannot make a key: {e}")))?;
    key.set_comment(comment);
    let private = key
        .to_openssh(ssh_key::LineEnding::LF)
        .map_err(|e| KeyError::Keychain(e.to_string()))?;
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| KeyError::Keychain(e.to_string()))?;
    Ok((private.to_string(), public))
}
