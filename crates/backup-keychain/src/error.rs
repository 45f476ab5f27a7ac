//! Every way a key import or a keychain access can fail, each with words
//! that say what to do.

/// A key or keychain problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "The file is empty. Choose your private key file (often id_ed25519, id_rsa or a .pem file)."
    )]
    Empty,
    #[error("{0} is a folder. Choose the private key file inside it.")]
    IsDirectory(String),
    #[error("This file is {0} bytes: too large to be a private key. Choose the key file itself.")]
    TooLarge(u64),
    #[error("Cannot read {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error(
        "This key file format is not supported ({0}). Save the key again in a current format, then import the new file: in PuTTYgen, load it and use File → Save private key or Conversions → Export OpenSSH key; for an OpenSSH key, run `ssh-keygen -p -f` on the file."
    )]
    UnsupportedFormat(String),
    #[error(
        "This is a public key. Import the private key: the file without .pub (it starts with -----BEGIN … PRIVATE KEY----- or PuTTY-User-Key-File)."
    )]
    PublicKey,
    #[error(
        "This is a certificate: the public part of a key, signed by an authority. Import the private key it was made for (for an OpenSSH certificate, the file without -cert.pub)."
    )]
    Certificate,
    #[error(
        "DSA keys are not supported: they are insecure and OpenSSH no longer accepts them. Create a new key with `ssh-keygen -t ed25519` and give its public part to your provider."
    )]
    UnsupportedDsa,
    #[error("This key type is not supported ({0}); use an RSA, ECDSA or Ed25519 key.")]
    UnsupportedType(String),
    #[error(
        "This RSA key has only {0} bits, and SSH servers refuse RSA keys under 1024 bits. Create a new key with `ssh-keygen -t ed25519` and give its public part to your provider."
    )]
    RsaTooShort(u32),
    #[error("This key is protected by a passphrase. Enter the passphrase to import it.")]
    NeedsPassphrase,
    #[error("The passphrase is wrong. Enter it again.")]
    WrongPassphrase,
    #[error("The key file is damaged or incomplete ({0}). Choose the original file again.")]
    Garbled(String),
    #[error("No key is stored for this account. Import your private key in Settings.")]
    NotFound,
    #[error(
        "No keychain is available: {0}. On Linux, install and unlock a Secret Service (gnome-keyring or KWallet, e.g. `sudo apt install gnome-keyring` and log in to a desktop session); on macOS and Windows, unlock your login keychain. Backup Desk never stores keys in plain text."
    )]
    NoKeychain(String),
    /// The keychain is locked, or its unlock prompt was dismissed: asking
    /// again would prompt again, so callers wait for the person to retry.
    #[error("The keychain is locked. Unlock it, then choose Try again.")]
    Locked,
    #[error("The keychain refused the operation: {0}")]
    Keychain(String),
    #[error("The stored key cannot be opened: {0}. Import the key again.")]
    Corrupt(String),
    #[error("Cannot write {path}: {message}")]
    Io { path: String, message: String },
}
