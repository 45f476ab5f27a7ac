//! `backup-desk backups list|request|download`.

use std::path::PathBuf;

use backup_domain::GateReason;
use backup_workflows::{Actor, DeliverRequest, ExistingCopy};
use serde_json::json;

use crate::answers::TerminalAnswers;
use crate::context::Context;
use crate::fail::{CliError, CliResult};
use crate::{progress, prompt, render};

pub async fn list(ctx: &Context, account: Option<&str>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let history = ctx.desk.history(account.id).await?;
    let page = &history.page;
    let now = ctx.desk.now();
    if ctx.json {
        let rows: Vec<_> = page
            .backups
            .iter()
            .map(|b| {
                json!({"id": b.id, "status": b.status.as_wire(), "status_label": render::status_word(&b.status),
                       "requested_at": render::date(b.requested_at), "requested_by": b.requested_by.name,
                       "expires": render::window(b, now), "size_bytes": b.size_bytes,
                       "downloaded_to": history.downloads.iter().find(|d| d.backup_id == b.id).map(|d| &d.path)})
            })
            .collect();
        let gate = json!({"allowed": page.gate.allowed, "reason": page.gate.reason.map(|r| r.as_wire()),
                          "next_allowed_at": page.gate.next_allowed_at.map(render::date)});
        println!(
            "{}",
            json!({"account": account.account_id, "backups": rows, "gate": gate})
        );
        return Ok(());
    }
    println!("{} ({})", account.display_name, account.account_id);
    if page.backups.is_empty() {
        println!("  No backups yet.");
    }
    for b in &page.backups {
        let mark = if history.downloads.iter().any(|d| d.backup_id == b.id) {
            "  downloaded"
        } else {
            ""
        };
        println!(
            "  {:<22} {:<18} requested {} by {:<16} {:>9}  {}{mark}",
            b.id,
            render::status_word(&b.status),
            render::date(b.requested_at),
            b.requested_by.name,
            render::size(b.size_bytes),
            render::window(b, now)
        );
    }
    println!("{}", gate_sentence(&page.gate));
    Ok(())
}

fn gate_sentence(gate: &backup_domain::RequestGate) -> String {
    match (gate.allowed, gate.reason, gate.next_allowed_at) {
        (true, _, _) => "A new backup can be requested now.".into(),
        (false, Some(GateReason::CooldownActive), Some(at)) => {
            format!("The next backup can be requested on {}.", render::date(at))
        }
        (false, Some(GateReason::RequestInProgress), _) => {
            "A backup is being prepared; wait until it finishes.".into()
        }
        (false, Some(GateReason::Forbidden), _) => "Your role may only list backups.".into(),
        _ => "A new backup cannot be requested now.".into(),
    }
}

pub async fn request(ctx: &Context, account: Option<&str>, yes: bool) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    ctx.desk.check_request_allowed(account.id).await?;
    if !yes
        && !prompt::confirm(
            ctx.interactive,
            &format!("Request a backup of {}?", account.display_name),
            "--yes",
        )?
    {
        return Err(CliError::usage("Nothing was requested."));
    }
    let backup = ctx.desk.request_backup(account.id, Actor::Person).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"id": backup.id, "status": backup.status.as_wire()})
        );
    } else {
        println!(
            "Requested backup {} ({}).",
            backup.id,
            render::status_word(&backup.status)
        );
    }
    Ok(())
}

pub fn discard(ctx: &Context, account: Option<&str>, id: &str, to: Option<PathBuf>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    if ctx.desk.discard_partial(account.id, id, to)? {
        println!("Deleted the interrupted download of {id}.");
    } else {
        println!("There was no interrupted download of {id}.");
    }
    Ok(())
}

/// What to download and how.
#[derive(Debug)]
pub struct DownloadArgs<'a> {
    pub id: Option<&'a str>,
    pub latest: bool,
    pub to: Option<PathBuf>,
    pub streams: Option<u8>,
    pub accept_terms: bool,
    pub trust_fingerprint: Option<&'a str>,
    /// Replace a verified copy on disk instead of keeping both.
    pub replace: bool,
}

pub async fn download(ctx: &Context, account: Option<&str>, args: &DownloadArgs<'_>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let backup_id = match (args.id, args.latest) {
        (Some(id), false) => id.to_owned(),
        (None, true) => ctx.desk.latest_ready(account.id).await?.id,
        _ => return Err(CliError::usage("Give a backup ID or --latest.")),
    };
    let request = DeliverRequest {
        account: account.id,
        backup_id,
        folder: args.to.clone(),
        streams: args.streams,
        actor: Actor::Person,
        existing: if args.replace {
            ExistingCopy::Replace
        } else {
            ExistingCopy::KeepBoth
        },
    };
    let mut answers = TerminalAnswers {
        interactive: ctx.interactive,
        accept_terms: args.accept_terms,
        trust_fingerprint: args.trust_fingerprint.map(str::to_owned),
    };
    let work = ctx
        .desk
        .deliver_answering(&request, &mut answers, progress::sink(ctx.json));
    let saved = ctx.cancellable(work).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"id": saved.backup_id, "path": saved.path, "sha256": saved.sha256, "size_bytes": saved.size_bytes})
        );
    } else {
        println!(
            "Verified {} ({}): {}",
            saved.backup_id, saved.sha256, saved.path
        );
    }
    Ok(())
}
