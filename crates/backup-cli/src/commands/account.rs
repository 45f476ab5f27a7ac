//! `backup-desk account add|list|remove|use`.

use serde_json::json;

use crate::context::Context;
use crate::fail::{CliError, CliResult};
use crate::prompt;

/// Adds an account: the token comes from stdin or a hidden prompt, never argv.
/// An account already set up has its token and role replaced only once the
/// person confirms what changes (or passes `--replace`).
pub async fn add(ctx: &Context, provider: &str, account: Option<&str>, replace: bool) -> CliResult {
    backup_workflows::check_provider_url(provider)?;
    let token = prompt::secret(
        "API token (input hidden): ",
        "Pipe the token on stdin, e.g. backup-desk account add --provider URL < token.txt",
    )?;
    let probe = ctx.desk.probe(provider, &token).await?;
    let me = &probe.me;
    let chosen = match account {
        Some(wanted) => wanted.to_owned(),
        None if me.accounts.len() == 1 => me.accounts[0].account_id.clone(),
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
            me.accounts[index].account_id.clone()
        }
    };
    if let Some(old) = probe.existing(&chosen)
        && !replace
    {
        let new = me.accounts.iter().find(|m| m.account_id == chosen);
        let question = replacement_question(old, new.and_then(|m| m.role), &me.person.name);
        if !prompt::confirm(ctx.interactive && !ctx.json, &question, "--replace")? {
            return Err(CliError::usage("Nothing was changed."));
        }
    }
    let added = ctx
        .desk
        .add_accounts(provider, &token, &[chosen], true)
        .await?;
    for saved in added {
        let role = saved.role.map(|r| r.as_wire()).unwrap_or("unknown role");
        if ctx.json {
            println!(
                "{}",
                json!({"id": saved.id, "account_id": saved.account_id, "name": saved.display_name, "role": role})
            );
        } else {
            println!(
                "Added {} ({}) as {role}; local id {}. It is the account in use now.",
                saved.display_name, saved.account_id, saved.id
            );
        }
    }
    Ok(())
}

/// "Replace …?" with what changes: the role, whose token.
fn replacement_question(
    old: &backup_workflows::AccountRecord,
    role: Option<backup_domain::Role>,
    person: &str,
) -> String {
    let word = |r: Option<backup_domain::Role>| r.map(|r| r.as_wire()).unwrap_or("unknown role");
    let mut changes = Vec::new();
    if old.role != role {
        changes.push(format!("role {} → {}", word(old.role), word(role)));
    } else {
        changes.push(format!("role stays {}", word(role)));
    }
    if old.person_name == person {
        changes.push(format!("{person}'s token is replaced by the new one"));
    } else {
        changes.push(format!(
            "the token of {} is replaced by {person}'s",
            old.person_name
        ));
    }
    format!(
        "{} ({}) is already set up: {}. Replace it?",
        old.display_name,
        old.account_id,
        changes.join(", ")
    )
}

pub fn list(ctx: &Context) -> CliResult {
    let list = ctx.desk.accounts()?;
    if ctx.json {
        let rows: Vec<_> = list
            .accounts
            .iter()
            .map(|a| {
                json!({"id": a.id, "provider": a.provider_url, "account_id": a.account_id, "name": a.display_name,
                       "role": a.role.map(|r| r.as_wire()), "current": list.chosen == Some(a.id),
                       "demo": backup_workflows::is_demo(a)})
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if list.accounts.is_empty() {
        println!("No accounts yet. Add one with: backup-desk account add --provider URL");
    }
    for a in &list.accounts {
        let mark = if list.chosen == Some(a.id) { "*" } else { " " };
        let role = a.role.map(|r| r.as_wire()).unwrap_or("unknown role");
        println!(
            "{mark} {:>3}  {} ({})  {role}  {}",
            a.id, a.display_name, a.account_id, a.provider_url
        );
    }
    Ok(())
}

pub async fn remove(ctx: &Context, selector: &str) -> CliResult {
    let account = ctx.desk.select_account(Some(selector))?;
    let removed = ctx.desk.remove_account(account.id).await?;
    println!(
        "Removed {} ({}), its token and its key.",
        removed.display_name, removed.account_id
    );
    Ok(())
}

pub fn use_account(ctx: &Context, selector: &str) -> CliResult {
    let account = ctx.desk.select_account(Some(selector))?;
    ctx.desk.use_account(account.id)?;
    println!(
        "Now using {} ({}).",
        account.display_name, account.account_id
    );
    Ok(())
}
