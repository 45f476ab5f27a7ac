//! `backup-desk audit`: the audit log — who requested, accepted the terms,
//! trusted a server and downloaded what, when.

use serde_json::json;

use crate::context::Context;
use crate::fail::CliResult;
use crate::render;

/// Prints the log of `account` (or of every account with `all`).
pub fn show(ctx: &Context, account: Option<&str>, all: bool) -> CliResult {
    let scope = if all {
        None
    } else {
        Some(ctx.desk.select_account(account)?.id)
    };
    let entries = ctx.desk.audit_log(scope)?;
    for entry in &entries {
        let details = serde_json::to_value(&entry.event).unwrap_or_default();
        if ctx.json {
            println!(
                "{}",
                json!({"seq": entry.seq, "at": render::date(entry.at), "account": entry.account,
                       "actor": entry.actor, "event": details})
            );
        } else {
            let mut facts: Vec<String> = details
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| k.as_str() != "event")
                        .map(|(k, v)| {
                            format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_owned))
                        })
                        .collect()
                })
                .unwrap_or_default();
            facts.sort();
            println!(
                "{}  {:<18}  {:<20}  {}",
                render::date(entry.at),
                entry.actor,
                entry.event.kind(),
                facts.join("  ")
            );
        }
    }
    if entries.is_empty() && !ctx.json {
        println!("Nothing recorded yet.");
    }
    Ok(())
}
