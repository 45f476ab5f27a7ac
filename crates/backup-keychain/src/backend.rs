//! Where small secrets live: the OS keychain through `keyring`, or memory
//! (for tests of the layers above).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::KeyError;

/// A store of small named secrets.
pub trait SecretBackend: Send + Sync {
    fn set(&self, name: &str, secret: &str) -> Result<(), KeyError>;
    fn get(&self, name: &str) -> Result<Option<String>, KeyError>;
    fn delete(&self, name: &str) -> Result<(), KeyError>;
}

/// The OS keychain: macOS Keychain, Windows Credential Manager, or the
/// Secret Service (gnome-keyring, KWallet) on Linux.
#[derive(Debug, Clone)]
pub struct KeyringBackend {
    service: String,
}

impl KeyringBackend {
    /// Secrets are filed under `service` (e.g. the app's identifier).
    pub fn new(service: impl Into<String>) -> KeyringBackend {
        KeyringBackend {
            service: service.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, KeyError> {
        keyring::Entry::new(&self.service, name).map_err(map_keyring_error)
    }
}

/// Whether a keychain's refusal means "locked" (or its unlock prompt was
/// dismissed or cancelled) rather than "not there": the Secret Service says
/// "object locked" / "unlock prompt was dismissed", macOS "User canceled"
/// or "interaction is not allowed".
fn is_locked_reason(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "locked",
        "prompt",
        "dismissed",
        "cancel",
        "interaction is not allowed",
    ]
    .iter()
    .any(|word| reason.contains(word))
}

/// Turns keyring's errors into ours; an unavailable keychain says what to
/// do, a locked one is [`KeyError::Locked`].
pub fn map_keyring_error(error: keyring::Error) -> KeyError {
    match error {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner)
            if is_locked_reason(&inner.to_string()) =>
        {
            KeyError::Locked
        }
        keyring::Error::NoStorageAccess(inner) => KeyError::NoKeychain(inner.to_string()),
        keyring::Error::PlatformFailure(inner) => KeyError::NoKeychain(inner.to_string()),
        keyring::Error::NoEntry => KeyError::NotFound,
        other => KeyError::Keychain(other.to_string()),
    }
}

impl SecretBackend for KeyringBackend {
    fn set(&self, name: &str, secret: &str) -> Result<(), KeyError> {
        self.entry(name)?
            .set_password(secret)
            .map_err(map_keyring_error)
    }

    fn get(&self, name: &str) -> Result<Option<String>, KeyError> {
        match self.entry(name)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(other) => Err(map_keyring_error(other)),
        }
    }

    fn delete(&self, name: &str) -> Result<(), KeyError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(other) => Err(map_keyring_error(other)),
        }
    }
}

/// Secrets in memory, for tests of the layers above the keychain.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    secrets: Mutex<HashMap<String, String>>,
}

impl MemoryBackend {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.secrets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretBackend for MemoryBackend {
    fn set(&self, name: &str, secret: &str) -> Result<(), KeyError> {
        self.lock().insert(name.to_owned(), secret.to_owned());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<String>, KeyError> {
        Ok(self.lock().get(name).cloned())
    }

    fn delete(&self, name: &str) -> Result<(), KeyError> {
        self.lock().remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_keychain_says_what_to_install_or_unlock() {
        // keyring's mock store, made to fail like a missing Secret Service.
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
        let entry = keyring::Entry::new("backup-desk-test", "k").expect("mock entry");
        let mock: &keyring::mock::MockCredential = entry
            .get_credential()
            .downcast_ref()
            .expect("a mock credential");
        mock.set_error(keyring::Error::NoStorageAccess(Box::new(
            std::io::Error::other("no Secret Service on the bus"),
        )));
        let error = map_keyring_error(entry.set_password("x").expect_err("injected failure"));
        let text = error.to_string();
        assert!(matches!(error, KeyError::NoKeychain(_)), "{error:?}");
        assert!(
            text.contains("gnome-keyring") && text.contains("never stores keys in plain text"),
            "{text}"
        );
    }

    #[test]
    fn a_locked_keychain_or_a_dismissed_prompt_is_locked_not_missing() {
        for reason in [
            "Secret Service: object locked",
            "Secret Service: unlock prompt was dismissed",
        ] {
            let error = map_keyring_error(keyring::Error::NoStorageAccess(Box::new(
                std::io::Error::other(reason),
            )));
            assert_eq!(error, KeyError::Locked, "{reason}");
        }
        let missing = map_keyring_error(keyring::Error::PlatformFailure(Box::new(
            std::io::Error::other("org.freedesktop.DBus.Error.ServiceUnknown"),
        )));
        assert!(matches!(missing, KeyError::NoKeychain(_)), "{missing:?}");
    }

    #[test]
    fn the_memory_backend_keeps_and_forgets() {
        let backend = MemoryBackend::default();
        backend.set("a", "1").expect("set");
        assert_eq!(backend.get("a").expect("get").as_deref(), Some("1"));
        backend.delete("a").expect("delete");
        assert_eq!(backend.get("a").expect("get"), None);
    }
}
