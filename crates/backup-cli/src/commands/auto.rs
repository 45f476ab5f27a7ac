//! `backup-desk auto`: for every account, request a backup as soon as the
//! gate allows, download each ready backup not yet downloaded, verify it,
//! and keep the newest N verified archives — older ones are deleted only
//! after a newer one verified, so the only good copy is never lost.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use backup_api::new_idempotency_key;
use backup_domain::BackupStatus;
use backup_state::{AccountRecord, AuditEvent};

use crate::commands::backups::{self, DownloadArgs};
use crate::context::Context;
use crate::fail::{CliError, CliResult, Exit};

pub struct AutoArgs {
    pub keep: usize,
    pub once: bool,
    pub interval: Duration,
    pub to: Option<PathBuf>,
    pub accept_terms: bool,
}

pub async fn run(ctx: &Context, args: &AutoArgs) -> CliResult {
    std::fs::create_dir_all(&ctx.data_dir)
        .map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
    let lock_path = ctx.data_dir.join("auto.lock");
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
    if lock.try_lock().is_err() {
        return Err(CliError::new(
            Exit::Failure,
            "Another `backup-desk auto` is already running for this user; it does the work (nothing is requested twice).",
        ));
    }
    loop {
        let outcome = pass(ctx, args).await;
        if args.once {
            return outcome;
        }
        if let Err(error) = outcome {
            eprintln!("backup-desk auto: {error}");
        }
        tokio::select! {
            _ = tokio::time::sleep(args.interval) => {}
            _ = tokio::signal::ctrl_c() => {
                eprintln!("backup-desk auto: stopped.");
                return Ok(());
            }
        }
    }
}

/// One pass over every account; the first failure is returned after all
/// accounts were tried.
async fn pass(ctx: &Context, args: &AutoArgs) -> CliResult {
    let mut first_error = None;
    for account in ctx.state.accounts()? {
        if let Err(error) = one_account(ctx, &account, args).await {
            eprintln!("{}: {error}", account.display_name);
            first_error.get_or_insert(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

async fn one_account(ctx: &Context, account: &AccountRecord, args: &AutoArgs) -> CliResult {
    let client = ctx.client(account)?;
    let page = client.all_backups(&account.account_id).await?;
    if page.gate.allowed && account.role.is_some_and(|r| r.may_request()) {
        let backup = client
            .request_backup(&account.account_id, &new_idempotency_key())
            .await?;
        ctx.state.audit(
            Some(account.id),
            "auto",
            &AuditEvent::RequestMade {
                backup_id: backup.id.clone(),
            },
            ctx.now(),
        )?;
        println!("{}: requested backup {}.", account.display_name, backup.id);
    }
    let done: HashSet<String> = ctx
        .state
        .downloads(account.id)?
        .into_iter()
        .map(|d| d.backup_id)
        .collect();
    let dir = args
        .to
        .clone()
        .map(|d| d.join(&account.account_id))
        .unwrap_or_else(|| backups::default_download_dir(ctx, account));
    let download_args = DownloadArgs {
        id: None,
        latest: false,
        to: None,
        streams: 4,
        accept_terms: args.accept_terms,
        trust_fingerprint: None,
    };
    // Oldest first, so a backup close to its expiry is fetched first.
    let mut ready: Vec<_> = page
        .backups
        .iter()
        .filter(|b| b.status == BackupStatus::Ready && !done.contains(&b.id))
        .collect();
    ready.sort_by_key(|b| b.expires_at);
    for backup in ready {
        let saved = backups::fetch(ctx, &client, account, backup, &dir, &download_args).await?;
        println!(
            "{}: downloaded and verified {} → {}",
            account.display_name, backup.id, saved.path
        );
        rotate(ctx, account, args.keep)?;
    }
    Ok(())
}

/// Deletes verified archives beyond the newest `keep` (called right after a
/// new one verified).
fn rotate(ctx: &Context, account: &AccountRecord, keep: usize) -> CliResult {
    let present: Vec<_> = ctx
        .state
        .downloads(account.id)?
        .into_iter()
        .filter(|d| std::path::Path::new(&d.path).exists())
        .collect();
    for old in present.iter().skip(keep.max(1)) {
        if std::fs::remove_file(&old.path).is_ok() {
            println!(
                "{}: removed the older archive {}",
                account.display_name, old.path
            );
        }
    }
    Ok(())
}
