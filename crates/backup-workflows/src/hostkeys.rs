//! The SFTP server's identity: a key presented and not trusted yet is kept
//! for the person to decide; only that very key can then be trusted. A key
//! the provider did not publish is refused, never offered.

use backup_state::AccountRecord;
use backup_transfer::{HostKeyPolicy, TransferError};

use crate::error::{Error, Result};
use crate::{Desk, lock};

/// A server key the person must decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey {
    pub account: i64,
    pub host: String,
    pub port: u16,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// "Ed25519", "ECDSA P-256", "RSA"…
    pub key_type: String,
    /// The key trusted until now, when this one replaces it (the provider
    /// publishes the new one).
    pub replaces: Option<String>,
    /// The provider publishes this key for its server.
    pub published: bool,
}

/// What the engine's host key check decided, seen from the workflow.
pub(crate) enum KeyVerdict {
    /// Ask the person (already remembered as presented).
    Ask(PresentedKey),
    /// Refused (and recorded): stop with this error.
    Refused(Error),
    /// Not a host key matter.
    Other(TransferError),
}

impl Desk {
    /// What the engine is told about the server of `account` at `host:port`.
    /// A trusted key that the provider no longer publishes is not trusted
    /// forever: it is left out, so the server's key is checked against
    /// what the provider publishes now (and asked about, or refused).
    pub(crate) fn host_key_policy(
        &self,
        account: i64,
        host: &str,
        port: u16,
        published: Vec<String>,
    ) -> Result<HostKeyPolicy> {
        let pinned = self
            .state
            .pinned_host_key(account, host, port)?
            .filter(|pin| published.is_empty() || published.contains(pin));
        Ok(HostKeyPolicy {
            pinned,
            published,
            accept: None,
        })
    }

    /// Sorts a failed engine run: an unknown key, or a new key that the
    /// provider publishes, becomes a question; a key that differs from the
    /// trusted one and is not published is refused and audited.
    pub(crate) fn host_key_verdict(
        &self,
        account: &AccountRecord,
        (host, port): (&str, u16),
        policy: &HostKeyPolicy,
        error: TransferError,
    ) -> KeyVerdict {
        let presented =
            |fingerprint: &str, key_type: &str, replaces: Option<String>| PresentedKey {
                account: account.id,
                host: host.to_owned(),
                port,
                fingerprint: fingerprint.to_owned(),
                key_type: key_type.to_owned(),
                replaces,
                published: policy.published.iter().any(|p| p == fingerprint),
            };
        match error {
            TransferError::UnknownHostKey {
                fingerprint,
                key_type,
                ..
            } => {
                // A trusted key the provider stopped publishing is replaced.
                let stale = self
                    .state
                    .pinned_host_key(account.id, host, port)
                    .ok()
                    .flatten()
                    .filter(|pin| *pin != fingerprint);
                let key = presented(&fingerprint, &key_type, stale);
                lock(&self.presented).insert(account.id, key.clone());
                KeyVerdict::Ask(key)
            }
            TransferError::HostKeyChanged {
                actual, key_type, ..
            } if policy.pinned.is_some() && policy.published.contains(&actual) => {
                let key = presented(&actual, &key_type, policy.pinned.clone());
                lock(&self.presented).insert(account.id, key.clone());
                KeyVerdict::Ask(key)
            }
            TransferError::HostKeyChanged {
                actual,
                expected,
                key_type,
            } => {
                let now = self.now();
                let refused = self.state.refuse_host_key(
                    account.id,
                    &account.person_name,
                    host,
                    port,
                    &actual,
                    now,
                );
                let error = Error::from(TransferError::HostKeyChanged {
                    expected,
                    actual,
                    key_type,
                });
                KeyVerdict::Refused(match refused {
                    Ok(()) => error,
                    Err(state) => state.into(),
                })
            }
            other => KeyVerdict::Other(other),
        }
    }

    /// Trusts the key the server of `account` just presented — only if it is
    /// `fingerprint` — pins it (replacing an older one) and audits it.
    pub fn trust_host_key(&self, account: i64, fingerprint: &str) -> Result<PresentedKey> {
        let record = self.account(account)?;
        let key = {
            let mut presented = lock(&self.presented);
            match presented.get(&account) {
                Some(key) if key.fingerprint == fingerprint => presented.remove(&account),
                _ => None,
            }
        }
        .ok_or_else(|| {
            Error::Invalid(
                "This is not the key the server presented. Start the download or the connection test again.".into(),
            )
        })?;
        self.state.trust_host_key(
            account,
            &record.person_name,
            &key.host,
            key.port,
            &key.fingerprint,
            self.now(),
        )?;
        Ok(key)
    }

    /// The person declined the key the server of `account` presented (only
    /// if it is `fingerprint`): recorded in the audit log, forgotten.
    pub fn decline_host_key(&self, account: i64, fingerprint: &str) -> Result<()> {
        let presented = lock(&self.presented)
            .get(&account)
            .filter(|key| key.fingerprint == fingerprint)
            .cloned();
        match presented {
            Some(key) => self.refuse_host_key(&key),
            None => Err(Error::Invalid(
                "This is not the key the server presented. Start the download or the connection test again.".into(),
            )),
        }
    }

    /// The person declined the key the server presented: recorded, forgotten.
    pub fn refuse_host_key(&self, key: &PresentedKey) -> Result<()> {
        let record = self.account(key.account)?;
        lock(&self.presented).remove(&key.account);
        Ok(self.state.refuse_host_key(
            key.account,
            &record.person_name,
            &key.host,
            key.port,
            &key.fingerprint,
            self.now(),
        )?)
    }

    /// Forgets the trusted key of the account's SFTP server (the next
    /// connection asks again); `None` when none was trusted.
    pub fn forget_host_key(&self, account: i64) -> Result<Option<String>> {
        self.account(account)?;
        self.preferences().clear_checked(account)?;
        let Some(connection) = self.state.connection(account)? else {
            return Ok(None);
        };
        let pinned = self
            .state
            .pinned_host_key(account, &connection.host, connection.port)?;
        if pinned.is_some() {
            self.state
                .forget_host_key(account, &connection.host, connection.port)?;
        }
        Ok(pinned)
    }
}
