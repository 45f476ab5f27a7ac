//! What every command needs: the shared app-data dir (the same as the
//! desktop app's), the local state, the key store, the clock, and whether a
//! person is at the terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use backup_api::{ApiClient, Token};
use backup_keychain::{KeyStore, KeyringBackend};
use backup_state::{AccountRecord, LocalState};
use chrono::{DateTime, Utc};

use crate::fail::{CliError, CliResult, Exit};

/// The desktop app's identifier: its data dir and keychain service.
pub const APP_ID: &str = "app.backupdesk.desktop";

pub struct Context {
    pub data_dir: PathBuf,
    pub state: LocalState,
    pub keys: KeyStore,
    /// A person can answer prompts (stdin and stderr are terminals).
    pub interactive: bool,
    pub json: bool,
}

impl Context {
    pub fn open(data_dir: Option<PathBuf>, json: bool) -> CliResult<Context> {
        let data_dir = match data_dir {
            Some(dir) => dir,
            None => dirs::data_dir().map(|d| d.join(APP_ID)).ok_or_else(|| {
                CliError::new(
                    Exit::Failure,
                    "No data directory for this user; pass --data-dir.",
                )
            })?,
        };
        let state = LocalState::open_in(&data_dir)?;
        let keys = KeyStore::new(data_dir.join("keys"), Arc::new(KeyringBackend::new(APP_ID)));
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        Ok(Context {
            data_dir,
            state,
            keys,
            interactive,
            json,
        })
    }

    /// The CLI's one reading of the wall clock; everything below takes `now`.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// The account a command acts on: `selector` (local id or provider
    /// account id), else the one chosen with `account use`, else the only one.
    pub fn account(&self, selector: Option<&str>) -> CliResult<AccountRecord> {
        let accounts = self.state.accounts()?;
        if accounts.is_empty() {
            return Err(CliError::usage(
                "No account is set up. Add one with: backup-desk account add --provider URL",
            ));
        }
        let wanted = match selector {
            Some(s) => Some(s.to_owned()),
            None => self.state.setting("current_account")?,
        };
        match wanted {
            Some(s) => accounts
                .into_iter()
                .find(|a| a.id.to_string() == s || a.account_id == s)
                .ok_or_else(|| {
                    CliError::usage(format!("No account {s:?}; see backup-desk account list."))
                }),
            None if accounts.len() == 1 => Ok(accounts.into_iter().next().expect("one account")),
            None => Err(CliError::usage(
                "Several accounts are set up: pick one with --account ID or backup-desk account use ID.",
            )),
        }
    }

    /// The keychain scope of an account's key and token.
    pub fn scope(account: &AccountRecord) -> String {
        format!("acct-{}", account.id)
    }

    /// An API client for the account, with its token from the keychain.
    pub fn client(&self, account: &AccountRecord) -> CliResult<ApiClient> {
        let token = self.keys.token(&Self::scope(account))?.ok_or_else(|| {
            CliError::new(
                Exit::Auth,
                "No token is stored for this account; add it again with backup-desk account add.",
            )
        })?;
        Ok(ApiClient::new(&account.provider_url, Token::new(token))?)
    }
}
