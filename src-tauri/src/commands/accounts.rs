//! Accounts: the app's info, adding one with a token (validated with
//! `/v1/me`), picking among the accounts a token opens, switching,
//! removing, and the built-in demo.

use backup_api::{ApiClient, Token};
use backup_domain::Role;
use backup_state::AccountRecord;
use tauri::State;

use crate::error::{AppError, AppResult};
use crate::shell::{DEMO_URL, Shell};
use crate::views::{AccountView, AccountsView, AppInfo, MembershipView, ProbeView};

const CURRENT: &str = "current_account";
pub const LANGUAGE: &str = "language";

/// Name, version and language of the app.
#[tauri::command]
pub fn app_info(shell: State<'_, Shell>) -> AppResult<AppInfo> {
    Ok(AppInfo {
        name: "Backup Desk".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        os_locale: sys_locale::get_locale().unwrap_or_else(|| "en-US".to_owned()),
        language: shell
            .db(|s| s.setting(LANGUAGE))?
            .unwrap_or_else(|| "system".to_owned()),
    })
}

/// The accounts and the current one (the first if none was chosen).
pub fn accounts_view(shell: &Shell) -> AppResult<AccountsView> {
    let records = shell.db(|s| s.accounts())?;
    let chosen = shell
        .db(|s| s.setting(CURRENT))?
        .and_then(|c| c.parse::<i64>().ok())
        .filter(|id| records.iter().any(|a| a.id == *id));
    Ok(AccountsView {
        current: chosen.or_else(|| records.first().map(|a| a.id)),
        accounts: records
            .iter()
            .map(|a| AccountView::new(a, Shell::is_demo(a)))
            .collect(),
    })
}

/// Every account set up; with none and `make run`'s demo flag, the demo.
#[tauri::command]
pub async fn accounts(shell: State<'_, Shell>) -> AppResult<AccountsView> {
    let view = accounts_view(&shell)?;
    if view.accounts.is_empty() && shell.auto_demo() {
        return start_demo(&shell).await;
    }
    Ok(view)
}

fn client_for(provider_url: &str, token: &str) -> AppResult<ApiClient> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::invalid(
            "Enter the API token your provider gave you.",
        ));
    }
    Ok(ApiClient::new(provider_url.trim(), Token::new(token))?)
}

/// Who `token` belongs to at `provider_url`, and the accounts it opens.
#[tauri::command]
pub async fn account_probe(provider_url: String, token: String) -> AppResult<ProbeView> {
    let me = client_for(&provider_url, &token)?.me().await?;
    if me.accounts.is_empty() {
        return Err(AppError::new(
            crate::error::ErrorCode::Forbidden,
            "This token opens no account. Ask the account's owner to add you.",
        ));
    }
    Ok(ProbeView {
        person_name: me.person.name,
        accounts: me.accounts.iter().map(MembershipView::from).collect(),
    })
}

/// Adds the chosen accounts `token` opens (validated again with `/v1/me`);
/// the token goes to the keychain, the first added becomes current.
#[tauri::command]
pub async fn account_add(
    shell: State<'_, Shell>,
    provider_url: String,
    token: String,
    account_ids: Vec<String>,
) -> AppResult<AccountsView> {
    let client = client_for(&provider_url, &token)?;
    let me = client.me().await?;
    if account_ids.is_empty() {
        return Err(AppError::invalid("Choose at least one account to add."));
    }
    let base = client.base_url().as_str().trim_end_matches('/').to_owned();
    let now = shell.now();
    let existing = shell.db(|s| s.accounts())?;
    let mut first = None;
    for wanted in &account_ids {
        let membership = me
            .accounts
            .iter()
            .find(|m| &m.account_id == wanted)
            .ok_or_else(|| {
                AppError::invalid(format!("This token does not open the account {wanted}."))
            })?;
        let record = AccountRecord {
            id: 0,
            provider_url: base.clone(),
            account_id: membership.account_id.clone(),
            display_name: membership.account_name.clone(),
            role: membership.role,
            person_name: me.person.name.clone(),
        };
        let id = shell.db(|s| s.upsert_account(&record, now))?;
        if let Err(error) = shell.keys.set_token(&Shell::scope(id), token.trim()) {
            // Without a keychain a new account would be useless: take it back
            // (one that was already set up keeps its old token).
            if !existing.iter().any(|a| a.id == id) {
                let _ = shell.db(|s| s.remove_account(id));
            }
            return Err(error.into());
        }
        first.get_or_insert(id);
    }
    if let Some(id) = first {
        shell.db(|s| s.set_setting(CURRENT, &id.to_string()))?;
    }
    accounts_view(&shell)
}

/// Makes `id` the account the window shows.
#[tauri::command]
pub fn account_use(shell: State<'_, Shell>, id: i64) -> AppResult<AccountsView> {
    shell.account(id)?;
    shell.db(|s| s.set_setting(CURRENT, &id.to_string()))?;
    accounts_view(&shell)
}

/// Removes an account, its token and its key from this computer.
#[tauri::command]
pub async fn account_remove(shell: State<'_, Shell>, id: i64) -> AppResult<AccountsView> {
    shell.account(id)?;
    let scope = Shell::scope(id);
    shell.keys.remove(&scope)?;
    shell.keys.remove_token(&scope)?;
    shell.db(|s| s.remove_account(id))?;
    if shell.db(|s| s.setting(CURRENT))? == Some(id.to_string()) {
        shell.db(|s| s.unset_setting(CURRENT))?;
    }
    accounts_view(&shell)
}

/// "Try the demo": the built-in provider with its SFTP server, as an account.
#[tauri::command]
pub async fn demo_start(shell: State<'_, Shell>) -> AppResult<AccountsView> {
    start_demo(&shell).await
}

async fn start_demo(shell: &Shell) -> AppResult<AccountsView> {
    let record = AccountRecord {
        id: 0,
        provider_url: DEMO_URL.into(),
        account_id: backup_provider::demo::DEMO_ACCOUNT.into(),
        display_name: "Demo Company".into(),
        role: Some(Role::Owner),
        person_name: "Demo Admin".into(),
    };
    let now = shell.now();
    let existed = shell.db(|s| s.accounts())?.iter().any(Shell::is_demo);
    let id = shell.db(|s| s.upsert_account(&record, now))?;
    if let Err(error) = shell.ensure_demo(id).await {
        if !existed {
            let _ = shell.db(|s| s.remove_account(id));
        }
        return Err(error);
    }
    shell.db(|s| s.set_setting(CURRENT, &id.to_string()))?;
    accounts_view(shell)
}
