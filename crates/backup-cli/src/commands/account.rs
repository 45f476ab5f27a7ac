//! `backup-desk account add|list|remove|use`.

use backup_api::{ApiClient, Token, check_provider_url};
use backup_state::AccountRecord;
use serde_json::json;

use crate::context::Context;
use crate::fail::{CliError, CliResult, Exit};
use crate::prompt;

/// Adds an account: the token comes from stdin or a hidden prompt, never argv.
pub async fn add(ctx: &Context, provider: &str, account: Option<&str>) -> CliResult {
    check_provider_url(provider)?;
    let token = prompt::secret(
        "API token (input hidden): ",
        "Pipe the token on stdin, e.g. backup-desk account add --provider URL < token.txt",
    )?;
    let client = ApiClient::new(provider, Token::new(token.clone()))?;
    let me = client.me().await?;
    if me.accounts.is_empty() {
        return Err(CliError::new(
            Exit::Auth,
            "This token opens no account at the provider.",
        ));
    }
    let chosen = match account {
        Some(wanted) => me
            .accounts
            .iter()
            .find(|m| m.account_id == wanted)
            .ok_or_else(|| {
                CliError::usage(format!("This token does not open an account {wanted:?}."))
            })?,
        None if me.accounts.len() == 1 => &me.accounts[0],
        None => {
            let options: Vec<String> = me
                .accounts
                .iter()
                .map(|m| format!("{} ({})", m.account_name, m.account_id))
                .collect();
            let index = prompt::choose(
                ctx.interactive,
                "This token opens several accounts",
                &options,
                "--account ID",
            )?;
            &me.accounts[index]
        }
    };
    let record = AccountRecord {
        id: 0,
        provider_url: client.base_url().as_str().trim_end_matches('/').to_owned(),
        account_id: chosen.account_id.clone(),
        display_name: chosen.account_name.clone(),
        role: chosen.role,
        person_name: me.person.name.clone(),
    };
    let id = ctx.state.upsert_account(&record, ctx.now())?;
    let saved = AccountRecord { id, ..record };
    if let Err(error) = ctx.keys.set_token(&Context::scope(&saved), &token) {
        let _ = ctx.state.remove_account(id);
        return Err(error.into());
    }
    if ctx.state.setting("current_account")?.is_none() {
        ctx.state.set_setting("current_account", &id.to_string())?;
    }
    let role = saved.role.map(|r| r.as_wire()).unwrap_or("unknown role");
    if ctx.json {
        println!(
            "{}",
            json!({"id": id, "account_id": saved.account_id, "name": saved.display_name, "role": role})
        );
    } else {
        println!(
            "Added {} ({}) as {role}; local id {id}.",
            saved.display_name, saved.account_id
        );
    }
    Ok(())
}

pub fn list(ctx: &Context) -> CliResult {
    let current = ctx.state.setting("current_account")?;
    let accounts = ctx.state.accounts()?;
    if ctx.json {
        let rows: Vec<_> = accounts
            .iter()
            .map(|a| {
                json!({"id": a.id, "provider": a.provider_url, "account_id": a.account_id, "name": a.display_name,
                       "role": a.role.map(|r| r.as_wire()), "current": current.as_deref() == Some(&a.id.to_string())})
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if accounts.is_empty() {
        println!("No accounts yet. Add one with: backup-desk account add --provider URL");
    }
    for a in accounts {
        let mark = if current.as_deref() == Some(&a.id.to_string()) {
            "*"
        } else {
            " "
        };
        let role = a.role.map(|r| r.as_wire()).unwrap_or("unknown role");
        println!(
            "{mark} {:>3}  {} ({})  {role}  {}",
            a.id, a.display_name, a.account_id, a.provider_url
        );
    }
    Ok(())
}

pub fn remove(ctx: &Context, selector: &str) -> CliResult {
    let account = ctx.account(Some(selector))?;
    let scope = Context::scope(&account);
    ctx.keys.remove(&scope)?;
    ctx.keys.remove_token(&scope)?;
    ctx.state.remove_account(account.id)?;
    if ctx.state.setting("current_account")?.as_deref() == Some(&account.id.to_string()) {
        ctx.state.unset_setting("current_account")?;
    }
    println!(
        "Removed {} ({}), its token and its key.",
        account.display_name, account.account_id
    );
    Ok(())
}

pub fn use_account(ctx: &Context, selector: &str) -> CliResult {
    let account = ctx.account(Some(selector))?;
    ctx.state
        .set_setting("current_account", &account.id.to_string())?;
    println!(
        "Now using {} ({}).",
        account.display_name, account.account_id
    );
    Ok(())
}
