//! `backup-desk backups list|show|request|discard|download`.

use std::path::PathBuf;

use backup_domain::GateReason;
use backup_workflows::{Actor, ChangeRecord, DeliverRequest, ErrorKind, ExistingCopy, History};
use serde_json::json;

use crate::answers::TerminalAnswers;
use crate::context::Context;
use crate::fail::{CliError, CliResult, Exit};
use crate::{contents, progress, prompt, render};

/// What this computer knows of a backup's copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CopyState {
    /// Downloaded, verified, and its archive read to its end.
    Checked,
    /// Its archive is damaged (the copy sits under a `.damaged` name).
    Damaged,
    /// Downloaded and verified; its archive was not checked.
    Unchecked,
}

impl CopyState {
    /// `None`: not downloaded here.
    fn of(history: &History, backup_id: &str) -> Option<CopyState> {
        let verdict = history
            .archives
            .iter()
            .find(|(id, _)| id == backup_id)
            .map(|(_, intact)| *intact);
        let downloaded = history.downloads.iter().any(|d| d.backup_id == backup_id);
        match (downloaded, verdict) {
            (_, Some(false)) => Some(CopyState::Damaged),
            (true, Some(true)) => Some(CopyState::Checked),
            (true, None) => Some(CopyState::Unchecked),
            (false, _) => None,
        }
    }

    fn as_wire(self) -> &'static str {
        match self {
            CopyState::Checked => "checked",
            CopyState::Damaged => "damaged",
            CopyState::Unchecked => "unchecked",
        }
    }

    fn words(self) -> &'static str {
        match self {
            CopyState::Checked => "downloaded, verified ✓ checked",
            CopyState::Damaged => "DAMAGED",
            CopyState::Unchecked => "downloaded, verified",
        }
    }
}

/// The marks after a backup in the list: its copy, and a change alert.
fn marks(history: &History, backup_id: &str) -> String {
    let mut marks = CopyState::of(history, backup_id)
        .map(|state| format!("  {}", state.words()))
        .unwrap_or_default();
    if history.alerts.iter().any(|a| a.backup_id == backup_id) {
        marks.push_str("  ⚠ change alert");
    }
    marks
}

fn alerts_of(history: &History, backup_id: &str) -> Vec<ChangeRecord> {
    history
        .alerts
        .iter()
        .filter(|a| a.backup_id == backup_id)
        .cloned()
        .collect()
}

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
                       "downloaded_to": history.downloads.iter().find(|d| d.backup_id == b.id).map(|d| &d.path),
                       "archive": CopyState::of(&history, &b.id).map(CopyState::as_wire),
                       "alerts": contents::alerts_json(&alerts_of(&history, &b.id))})
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
        let mark = marks(&history, &b.id);
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

/// What is inside a backup downloaded here, as its archive check found it.
pub fn show(ctx: &Context, account: Option<&str>, id: &str) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let found = ctx.desk.backup_contents(account.id, id)?;
    if ctx.json {
        println!("{}", contents::contents_json(&account.account_id, &found));
        return Ok(());
    }
    println!(
        "Backup {} of {} ({}), made {}",
        found.archive.backup_id,
        account.display_name,
        account.account_id,
        render::date(found.archive.backup_at)
    );
    for line in contents::lines(&found) {
        println!("{line}");
    }
    Ok(())
}

/// `backups check ID`: reads the copy on disk again and says what it holds;
/// a damaged copy (set aside as `….damaged.zip`) exits 7.
pub async fn check(ctx: &Context, account: Option<&str>, id: &str) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let found = ctx
        .desk
        .check_backup(
            account.id,
            id,
            Actor::Person,
            std::sync::Arc::new(|_, _| {}),
        )
        .await?;
    if ctx.json {
        println!("{}", contents::contents_json(&account.account_id, &found));
    } else {
        for line in contents::lines(&found) {
            println!("{line}");
        }
    }
    if found.archive.intact {
        return Ok(());
    }
    let kept = found
        .path
        .as_ref()
        .map(|p| format!(" It was set aside as {}.", p.display()))
        .unwrap_or_default();
    Err(CliError::new(
        Exit::Verification,
        format!(
            "Backup {id} is damaged: {}.{kept} Download it again, or request a new backup.",
            found.archive.problem.clone().unwrap_or_default()
        ),
    ))
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
    // The copy is verified and kept whatever this finds; a check that was
    // interrupted (Ctrl-C while reading the archive) left no record.
    let checked = match ctx.desk.backup_contents(account.id, &saved.backup_id) {
        Ok(found) => Some(found),
        Err(error) if error.kind() == ErrorKind::NotFound => None,
        Err(error) => {
            eprintln!("warning: the archive check could not be read back: {error}");
            None
        }
    };
    if let Some(found) = &checked {
        contents::warn_alerts(&found.alerts);
    }
    if ctx.json {
        println!(
            "{}",
            json!({"id": saved.backup_id, "path": saved.path, "sha256": saved.sha256, "size_bytes": saved.size_bytes,
                   "archive": checked.as_ref().map(|c| contents::archive_json(&c.archive)),
                   "alerts": checked.as_ref().map_or_else(|| json!([]), |c| contents::alerts_json(&c.alerts))})
        );
        return Ok(());
    }
    println!(
        "Verified {} ({}): {}",
        saved.backup_id, saved.sha256, saved.path
    );
    match &checked {
        Some(found) => println!("Archive checked: {}", contents::summary(&found.archive)),
        None => println!("The archive was not checked (interrupted); its contents are unknown."),
    }
    Ok(())
}
