//! Accounts: who a token belongs to, adding the accounts it opens (the token
//! to the keychain), choosing, removing, and an API client for each.

use backup_api::{ApiClient, Me, Token};
use backup_state::AccountRecord;

use crate::error::{Error, Result};
use backup_domain::is_valid_id;

use crate::identity::{self, is_demo};
use crate::{Desk, lock};

/// The accounts set up, and the one chosen with "use" (if it still exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountList {
    pub accounts: Vec<AccountRecord>,
    pub chosen: Option<i64>,
}

impl AccountList {
    /// The account a window shows: the chosen one, else the first.
    pub fn current(&self) -> Option<i64> {
        self.chosen.or_else(|| self.accounts.first().map(|a| a.id))
    }
}

/// Who a token belongs to, the accounts it opens, and which of them are
/// already set up here (adding those again replaces their token and role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub me: Me,
    /// Stored accounts of this provider that the token also opens.
    pub existing: Vec<AccountRecord>,
}

impl Probe {
    /// The stored account with the provider's id `account_id`, if any.
    pub fn existing(&self, account_id: &str) -> Option<&AccountRecord> {
        self.existing.iter().find(|a| a.account_id == account_id)
    }
}

/// Checks a provider address before anything is asked of the person
/// (https, or http on loopback only).
pub fn check_provider_url(provider_url: &str) -> Result<()> {
    backup_api::check_provider_url(provider_url.trim())?;
    Ok(())
}

/// The provider address as accounts are stored under it.
fn base_of(client: &ApiClient) -> String {
    client.base_url().as_str().trim_end_matches('/').to_owned()
}

fn client_for(provider_url: &str, token: &str) -> Result<ApiClient> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::Invalid(
            "Enter the API token your provider gave you.".into(),
        ));
    }
    Ok(ApiClient::new(provider_url.trim(), Token::new(token))?)
}

impl Desk {
    /// Who `token` belongs to at `provider_url`, the accounts it opens (at
    /// least one, else `Forbidden`) and which of them are already set up.
    pub async fn probe(&self, provider_url: &str, token: &str) -> Result<Probe> {
        let client = client_for(provider_url, token)?;
        let me = client.me().await?;
        if me.accounts.is_empty() {
            return Err(Error::Forbidden(
                "This token opens no account. Ask the account's owner to add you.".into(),
            ));
        }
        let ids: Vec<&str> = me.accounts.iter().map(|m| m.account_id.as_str()).collect();
        let existing = self.stored(&base_of(&client), &ids)?;
        Ok(Probe { me, existing })
    }

    /// The stored accounts of the provider at `base` among `account_ids`.
    fn stored(&self, base: &str, account_ids: &[&str]) -> Result<Vec<AccountRecord>> {
        Ok(self
            .state
            .accounts()?
            .into_iter()
            .filter(|a| a.provider_url == base && account_ids.contains(&a.account_id.as_str()))
            .collect())
    }

    /// Adds the accounts `wanted` (provider ids) that `token` opens, checked
    /// again with `/v1/me`; the token goes to the keychain and the first one
    /// added becomes the account in use. If the keychain refuses, the
    /// accounts this call created are taken back; one that existed before
    /// is never removed (it keeps its earlier token). An account already set
    /// up here has its token and role replaced only with `replace`; without
    /// it the call fails with `AccountExists` and changes nothing.
    pub async fn add_accounts(
        &self,
        provider_url: &str,
        token: &str,
        wanted: &[String],
        replace: bool,
    ) -> Result<Vec<AccountRecord>> {
        if wanted.is_empty() {
            return Err(Error::Invalid("Choose at least one account to add.".into()));
        }
        let client = client_for(provider_url, token)?;
        let me = client.me().await?;
        let base = base_of(&client);
        if !replace {
            let ids: Vec<&str> = wanted.iter().map(String::as_str).collect();
            let stored = self.stored(&base, &ids)?;
            if !stored.is_empty() {
                let names: Vec<String> = stored
                    .iter()
                    .map(|a| format!("{} ({})", a.display_name, a.account_id))
                    .collect();
                return Err(Error::AccountExists(format!(
                    "{} is already set up here; adding it again replaces its token and role. Confirm to replace them (backup-desk account add --replace).",
                    names.join(", ")
                )));
            }
        }
        let mut records = Vec::new();
        for id in wanted {
            let membership = me
                .accounts
                .iter()
                .find(|m| &m.account_id == id)
                .ok_or_else(|| {
                    Error::Invalid(format!("This token does not open an account {id:?}."))
                })?;
            if !is_valid_id(&membership.account_id) {
                return Err(Error::Invalid(format!(
                    "The provider named the account {:?}, which is not a valid account id; ask the provider to fix it.",
                    membership.account_id
                )));
            }
            records.push(AccountRecord {
                id: 0,
                provider_url: base.clone(),
                account_id: membership.account_id.clone(),
                display_name: membership.account_name.clone(),
                role: membership.role,
                person_name: me.person.name.clone(),
            });
        }
        let existing: Vec<i64> = self.state.accounts()?.iter().map(|a| a.id).collect();
        let now = self.now();
        let mut added: Vec<AccountRecord> = Vec::new();
        for record in records {
            let stored = self
                .state
                .upsert_account(&record, now)
                .map_err(Error::from)
                .and_then(|id| {
                    self.keys.set_token(&self.scope(id), token.trim())?;
                    self.tokens_changed()?;
                    Ok(id)
                });
            match stored {
                Ok(id) => added.push(AccountRecord { id, ..record }),
                Err(error) => {
                    let created = self
                        .state
                        .accounts()?
                        .into_iter()
                        .filter(|a| !existing.contains(&a.id))
                        .filter(|a| a.provider_url == base);
                    for account in created {
                        let _ = self.keys.remove_token(&self.scope(account.id));
                        let _ = self.state.remove_account(account.id);
                    }
                    return Err(error);
                }
            }
        }
        if let Some(first) = added.first() {
            self.preferences().set_current_account(Some(first.id))?;
        }
        Ok(added)
    }

    /// The accounts and the chosen one.
    pub fn accounts(&self) -> Result<AccountList> {
        let accounts = self.state.accounts()?;
        let chosen = self
            .preferences()
            .current_account()?
            .filter(|id| accounts.iter().any(|a| a.id == *id));
        Ok(AccountList { accounts, chosen })
    }

    /// One account by its local id.
    pub fn account(&self, id: i64) -> Result<AccountRecord> {
        Ok(self.state.account(id)?)
    }

    /// The account a command acts on: `selector` (local id or the provider's
    /// account id), else the chosen one, else the only one.
    pub fn select_account(&self, selector: Option<&str>) -> Result<AccountRecord> {
        let list = self.accounts()?;
        if list.accounts.is_empty() {
            return Err(Error::NoAccount(
                "No account is set up. Add one with: backup-desk account add --provider URL".into(),
            ));
        }
        let wanted = match selector {
            Some(s) => Some(s.to_owned()),
            None => list.chosen.map(|id| id.to_string()),
        };
        match wanted {
            Some(s) => {
                let mut matches = list
                    .accounts
                    .into_iter()
                    .filter(|a| a.id.to_string() == s || a.account_id == s);
                match (matches.next(), matches.next()) {
                    (Some(one), None) => Ok(one),
                    (Some(_), Some(_)) => Err(Error::NoAccount(format!(
                        "{s:?} is the local id of one account and the provider's id of another; see backup-desk account list and name it otherwise."
                    ))),
                    _ => Err(Error::NoAccount(format!(
                        "No account {s:?}; see backup-desk account list."
                    ))),
                }
            }
            None if list.accounts.len() == 1 => list
                .accounts
                .into_iter()
                .next()
                .ok_or_else(|| Error::Internal("one account vanished".into())),
            None => Err(Error::NoAccount(
                "Several accounts are set up: pick one with --account ID or backup-desk account use ID.".into(),
            )),
        }
    }

    /// Makes `id` the account in use.
    pub fn use_account(&self, id: i64) -> Result<AccountRecord> {
        let account = self.account(id)?;
        self.preferences().set_current_account(Some(id))?;
        Ok(account)
    }

    /// Removes an account with its token and key from this computer (a
    /// running demo for it stops).
    pub async fn remove_account(&self, id: i64) -> Result<AccountRecord> {
        let account = self.account(id)?;
        let scope = self.scope(id);
        self.keys.remove(&scope)?;
        self.keys.remove_token(&scope)?;
        self.tokens_changed()?;
        self.state.remove_account(id)?;
        self.preferences().clear_checked(id)?;
        if self.preferences().current_account()? == Some(id) {
            self.preferences().set_current_account(None)?;
        }
        if is_demo(&account) {
            self.stop_demo().await;
        }
        lock(&self.presented).remove(&id);
        Ok(account)
    }

    /// Announces a token write to every desk on this data folder (this
    /// process's and others'), so none keeps using a token from its cache.
    pub(crate) fn tokens_changed(&self) -> Result<()> {
        let stamp = backup_api::new_idempotency_key();
        Ok(self.state.set_setting(identity::TOKENS_CHANGED, &stamp)?)
    }

    /// An API client for `account` with its token from the keychain; the
    /// built-in demo is started first if it is not running.
    pub async fn client(&self, account: &AccountRecord) -> Result<ApiClient> {
        let base = if is_demo(account) {
            self.ensure_demo(account.id).await?
        } else {
            account.provider_url.clone()
        };
        self.secrets
            .follow(self.state.setting(identity::TOKENS_CHANGED)?);
        let token = self.keys.token(&self.scope(account.id))?.ok_or_else(|| {
            Error::Unauthorized(
                "No token is stored for this account. Remove it and add it again.".into(),
            )
        })?;
        Ok(ApiClient::new(&base, Token::new(token))?)
    }
}
