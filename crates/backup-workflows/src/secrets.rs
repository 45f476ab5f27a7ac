//! The keychain as the desk sees it: a token read once is kept in memory
//! (the history refresh reads it every few seconds, and a locked keychain
//! would prompt each time), and once the keychain answered "locked" (or its
//! unlock prompt was dismissed) it is not asked again until the person
//! chooses Try again ([`crate::Desk::keychain_retry`]). Another process on
//! the same data folder (the CLI, the app) may write a token too: every
//! token write is announced in the local state (see
//! [`crate::Desk::tokens_changed`]) and the cache is dropped when that
//! announcement differs from the one it was filled under.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use backup_keychain::{KeyError, SecretBackend};

use crate::lock;

/// Only API tokens are kept in memory; key material is read when a
/// download or a connection test needs it.
fn is_cached(name: &str) -> bool {
    name.starts_with("token:")
}

/// A [`SecretBackend`] in front of the OS keychain with a token cache and
/// a "locked" flag. `Debug` never prints a secret.
pub(crate) struct GuardedSecrets {
    inner: Arc<dyn SecretBackend>,
    tokens: Mutex<HashMap<String, Option<String>>>,
    /// The token-write announcement the cache was filled under.
    generation: Mutex<Option<String>>,
    locked: AtomicBool,
}

impl fmt::Debug for GuardedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedSecrets")
            .field("cached_tokens", &lock(&self.tokens).len())
            .field("locked", &self.is_locked())
            .finish_non_exhaustive()
    }
}

impl GuardedSecrets {
    pub(crate) fn new(inner: Arc<dyn SecretBackend>) -> GuardedSecrets {
        GuardedSecrets {
            inner,
            tokens: Mutex::default(),
            generation: Mutex::default(),
            locked: AtomicBool::new(false),
        }
    }

    /// Drops the cached tokens if a token was written (by any process)
    /// since the cache was filled: `generation` is the latest announcement.
    pub(crate) fn follow(&self, generation: Option<String>) {
        let mut seen = lock(&self.generation);
        if *seen != generation {
            lock(&self.tokens).clear();
            *seen = generation;
        }
    }

    /// Whether the keychain answered "locked" and was not retried since.
    pub(crate) fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    /// The person unlocked the keychain (or wants to be asked again).
    pub(crate) fn retry(&self) {
        self.locked.store(false, Ordering::SeqCst);
    }

    /// Runs `call` on the keychain unless it is known to be locked; a
    /// "locked" answer is remembered.
    fn ask<T>(&self, call: impl FnOnce() -> Result<T, KeyError>) -> Result<T, KeyError> {
        if self.is_locked() {
            return Err(KeyError::Locked);
        }
        let answer = call();
        if matches!(answer, Err(KeyError::Locked)) {
            self.locked.store(true, Ordering::SeqCst);
        }
        answer
    }
}

impl SecretBackend for GuardedSecrets {
    fn set(&self, name: &str, secret: &str) -> Result<(), KeyError> {
        // Whatever happens, the cached value may no longer be the stored one.
        lock(&self.tokens).remove(name);
        self.ask(|| self.inner.set(name, secret))?;
        if is_cached(name) {
            lock(&self.tokens).insert(name.to_owned(), Some(secret.to_owned()));
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<String>, KeyError> {
        if let Some(cached) = lock(&self.tokens).get(name) {
            return Ok(cached.clone());
        }
        let value = self.ask(|| self.inner.get(name))?;
        if is_cached(name) {
            lock(&self.tokens).insert(name.to_owned(), value.clone());
        }
        Ok(value)
    }

    fn delete(&self, name: &str) -> Result<(), KeyError> {
        lock(&self.tokens).remove(name);
        self.ask(|| self.inner.delete(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A keychain that counts its reads and can be locked.
    #[derive(Default)]
    struct Fake {
        reads: AtomicUsize,
        locked: AtomicBool,
        store: backup_keychain::MemoryBackend,
    }

    impl SecretBackend for Fake {
        fn set(&self, name: &str, secret: &str) -> Result<(), KeyError> {
            if self.locked.load(Ordering::SeqCst) {
                return Err(KeyError::Locked);
            }
            self.store.set(name, secret)
        }
        fn get(&self, name: &str) -> Result<Option<String>, KeyError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            if self.locked.load(Ordering::SeqCst) {
                return Err(KeyError::Locked);
            }
            self.store.get(name)
        }
        fn delete(&self, name: &str) -> Result<(), KeyError> {
            self.store.delete(name)
        }
    }

    #[test]
    fn a_token_is_read_from_the_keychain_once_and_follows_changes() {
        let fake = Arc::new(Fake::default());
        fake.store.set("token:a", "t1").expect("set");
        let guarded = GuardedSecrets::new(fake.clone());
        for _ in 0..5 {
            assert_eq!(guarded.get("token:a").expect("get").as_deref(), Some("t1"));
        }
        assert_eq!(
            fake.reads.load(Ordering::SeqCst),
            1,
            "a refresh every 15 s must not ask the keychain every time"
        );
        fake.store
            .set("token:a", "by another process")
            .expect("set");
        guarded.follow(None);
        assert_eq!(guarded.get("token:a").expect("get").as_deref(), Some("t1"));
        guarded.follow(Some("written elsewhere".into()));
        assert_eq!(
            guarded.get("token:a").expect("get").as_deref(),
            Some("by another process"),
            "a token another process wrote is read again"
        );
        guarded.set("token:a", "t2").expect("replace");
        assert_eq!(guarded.get("token:a").expect("get").as_deref(), Some("t2"));
        guarded.delete("token:a").expect("delete");
        assert_eq!(guarded.get("token:a").expect("get"), None);
        assert!(
            !format!("{guarded:?}").contains("t2"),
            "Debug never prints a token"
        );
    }

    #[test]
    fn a_locked_keychain_is_asked_once_until_retry() {
        let fake = Arc::new(Fake::default());
        fake.store.set("token:a", "t1").expect("set");
        fake.store.set("key:a", "k").expect("set");
        fake.locked.store(true, Ordering::SeqCst);
        let guarded = GuardedSecrets::new(fake.clone());
        for _ in 0..3 {
            assert_eq!(guarded.get("token:a"), Err(KeyError::Locked));
            assert_eq!(guarded.get("key:a"), Err(KeyError::Locked));
        }
        assert_eq!(
            fake.reads.load(Ordering::SeqCst),
            1,
            "a locked keychain prompts once, not at every refresh"
        );
        fake.locked.store(false, Ordering::SeqCst);
        assert_eq!(
            guarded.get("token:a"),
            Err(KeyError::Locked),
            "still not asked until the person retries"
        );
        guarded.retry();
        assert_eq!(guarded.get("token:a").expect("get").as_deref(), Some("t1"));
        assert_eq!(guarded.get("key:a").expect("get").as_deref(), Some("k"));
    }
}
