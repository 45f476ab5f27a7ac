//! Accounts: the app's info, adding one with a token (validated with
//! `/v1/me`), picking among the accounts a token opens, switching,
//! removing, and the built-in demo.

use backup_workflows::Desk;
use tauri::State;

use crate::Launch;
use crate::error::AppResult;
use crate::views::{AccountsView, AppInfo, ProbeView};

/// Name, version and language of the app.
#[tauri::command]
pub async fn app_info(desk: State<'_, Desk>) -> AppResult<AppInfo> {
    Ok(AppInfo {
        name: "Backup Desk".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        os_locale: sys_locale::get_locale().unwrap_or_else(|| "en-US".to_owned()),
        language: desk.preferences().language()?.as_setting().to_owned(),
    })
}

/// Every account set up; with none and `make run`'s demo flag, the demo.
#[tauri::command]
pub async fn accounts(desk: State<'_, Desk>, launch: State<'_, Launch>) -> AppResult<AccountsView> {
    let list = desk.accounts()?;
    if list.accounts.is_empty() && launch.auto_demo {
        desk.start_demo(false).await?;
        return Ok(AccountsView::from(&desk.accounts()?));
    }
    Ok(AccountsView::from(&list))
}

/// Who `token` belongs to at `provider_url`, the accounts it opens, and
/// for each one already set up here what is stored now (`existing`).
#[tauri::command]
pub async fn account_probe(
    desk: State<'_, Desk>,
    provider_url: String,
    token: String,
) -> AppResult<ProbeView> {
    Ok(ProbeView::from(&desk.probe(&provider_url, &token).await?))
}

/// Adds the chosen accounts `token` opens; the first becomes current. One
/// already set up fails with `account_exists` (nothing changed) unless
/// `replace`: then its token and role are replaced.
#[tauri::command]
pub async fn account_add(
    desk: State<'_, Desk>,
    provider_url: String,
    token: String,
    account_ids: Vec<String>,
    replace: bool,
) -> AppResult<AccountsView> {
    desk.add_accounts(&provider_url, &token, &account_ids, replace)
        .await?;
    Ok(AccountsView::from(&desk.accounts()?))
}

/// Makes `id` the account the window shows.
#[tauri::command]
pub async fn account_use(desk: State<'_, Desk>, id: i64) -> AppResult<AccountsView> {
    desk.use_account(id)?;
    Ok(AccountsView::from(&desk.accounts()?))
}

/// Removes an account, its token and its key from this computer.
#[tauri::command]
pub async fn account_remove(desk: State<'_, Desk>, id: i64) -> AppResult<AccountsView> {
    desk.remove_account(id).await?;
    Ok(AccountsView::from(&desk.accounts()?))
}

/// The person unlocked the keychain and chose Try again: after a
/// `keychain_locked` answer the keychain is not asked until this.
#[tauri::command]
pub async fn keychain_retry(desk: State<'_, Desk>) -> AppResult<()> {
    desk.keychain_retry();
    Ok(())
}

/// "Try the demo": the built-in provider with its SFTP server, as an account.
#[tauri::command]
pub async fn demo_start(desk: State<'_, Desk>) -> AppResult<AccountsView> {
    desk.start_demo(false).await?;
    Ok(AccountsView::from(&desk.accounts()?))
}
