//! The account's SFTP server: setting it, and testing that the key logs in,
//! always checked against what the provider publishes.

use backup_domain::BackupStatus;
use backup_state::{AccountRecord, SftpConnection};
use backup_transfer::{Endpoint, PrivateKey, Timeouts};

use crate::error::{Error, Result};
use crate::hostkeys::KeyVerdict;
use crate::{Desk, Outcome};

/// Where the engine connects for a saved SFTP server.
pub(crate) fn endpoint(connection: &SftpConnection) -> Endpoint {
    Endpoint {
        host: connection.host.clone(),
        port: connection.port,
        username: connection.username.clone(),
    }
}

impl Desk {
    /// Sets where the account's archives are downloaded from.
    pub fn set_connection(
        &self,
        account: i64,
        host: &str,
        port: u16,
        username: &str,
    ) -> Result<SftpConnection> {
        self.account(account)?;
        let host = host.trim();
        if host.is_empty() {
            return Err(Error::Invalid(
                "Enter the SFTP server's host name or address (for example sftp.example.com)."
                    .into(),
            ));
        }
        if host.contains(char::is_whitespace) || host.contains('@') {
            return Err(Error::Invalid(
                "Enter the SFTP host name or address only (for example sftp.example.com), without a user name or spaces.".into(),
            ));
        }
        if port == 0 {
            return Err(Error::Invalid(
                "Enter a port between 1 and 65535 (usually 22).".into(),
            ));
        }
        let username = username.trim();
        if username.is_empty() {
            return Err(Error::Invalid(
                "Enter the SFTP user name your provider gave you.".into(),
            ));
        }
        let connection = SftpConnection {
            host: host.to_owned(),
            port,
            username: username.to_owned(),
        };
        if self.state.connection(account)?.as_ref() != Some(&connection) {
            self.preferences().clear_checked(account)?;
        }
        self.state.set_connection(account, &connection)?;
        Ok(connection)
    }

    /// The account's SFTP server, or `ConnectionMissing`.
    pub(crate) fn connection_of(&self, account: i64) -> Result<SftpConnection> {
        self.state
            .connection(account)?
            .ok_or(Error::ConnectionMissing(None))
    }

    /// Connects and logs in as a download would. The server's key is checked
    /// against the trusted one and against the fingerprints the provider
    /// publishes: an unknown key comes back as a question, a key the provider
    /// does not publish is refused. Done with the server's fingerprint.
    pub async fn test_connection(&self, account: i64) -> Result<Outcome<String>> {
        let record = self.account(account)?;
        let published = self.published_fingerprints(&record).await?;
        let connection = self.connection_of(account)?;
        let key = self.keys.unlock(&self.scope(account))?;
        let endpoint = endpoint(&connection);
        let private = PrivateKey::new(key.pem, key.passphrase);
        let policy = self.host_key_policy(account, &connection.host, connection.port, published)?;
        let check = policy.clone();
        let result = tokio::task::spawn_blocking(move || {
            backup_transfer::test_connection(&endpoint, &private, &check, &Timeouts::default())
        })
        .await
        .map_err(Error::from_join)?;
        match result {
            Ok(fingerprint) => {
                self.preferences().set_checked(account, self.now())?;
                Ok(Outcome::Done(fingerprint))
            }
            Err(error) => {
                let server = (connection.host.as_str(), connection.port);
                match self.host_key_verdict(&record, server, &policy, error) {
                    KeyVerdict::Ask(key) => Ok(Outcome::HostKey(key)),
                    KeyVerdict::Refused(error) => Err(error),
                    KeyVerdict::Other(error) => Err(error.into()),
                }
            }
        }
    }

    /// The fingerprints the provider publishes for its SFTP server, read from
    /// the delivery of a ready backup. None when no backup is ready or its
    /// terms are not accepted yet: then only the person's check protects.
    async fn published_fingerprints(&self, record: &AccountRecord) -> Result<Vec<String>> {
        // For the demo, `client` also starts it and sets this run's connection.
        let client = self.client(record).await?;
        let page = client.all_backups(&record.account_id).await?;
        let Some(ready) = page
            .backups
            .iter()
            .find(|b| b.status == BackupStatus::Ready)
        else {
            return Ok(Vec::new());
        };
        Ok(client
            .delivery(&record.account_id, &ready.id)
            .await
            .map(|d| d.sftp.host_key_fingerprints)
            .unwrap_or_default())
    }
}
