//! The account's SSH private key, kept so that only the OS keychain unlocks
//! it; only its type and fingerprint ever come back.

use std::path::Path;

use backup_keychain::KeyInfo;

use crate::Desk;
use crate::error::{Error, Result};

impl Desk {
    /// Imports the key file at `path` for `account` (replacing its key). An
    /// encrypted key without `passphrase` fails with `PassphraseRequired`,
    /// so the caller can ask and call again.
    pub fn import_key(
        &self,
        account: i64,
        path: &Path,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo> {
        self.account(account)?;
        if path.as_os_str().is_empty() {
            return Err(Error::Invalid(
                "Choose your private key file (.pem or id_ed25519…).".into(),
            ));
        }
        let passphrase = passphrase.filter(|p| !p.is_empty());
        let info = self
            .keys
            .import_file(&self.scope(account), path, passphrase)?;
        self.preferences().clear_checked(account)?;
        Ok(info)
    }

    /// The type and fingerprint of the account's key, if one is imported.
    pub fn key_info(&self, account: i64) -> Result<Option<KeyInfo>> {
        self.account(account)?;
        Ok(self.keys.info(&self.scope(account))?)
    }

    /// Removes the account's key from this computer.
    pub fn remove_key(&self, account: i64) -> Result<()> {
        self.account(account)?;
        self.preferences().clear_checked(account)?;
        Ok(self.keys.remove(&self.scope(account))?)
    }
}
