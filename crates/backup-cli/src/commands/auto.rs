//! `backup-desk auto`: the application layer's automatic pass, once (for
//! cron, systemd timers, Task Scheduler) or every few minutes.

use std::path::PathBuf;
use std::time::Duration;

use backup_workflows::{AutomaticOptions, PassReport};

use crate::context::Context;
use crate::fail::{CliError, CliResult};
use crate::progress;

#[derive(Debug)]
pub struct AutoArgs {
    pub keep: Option<u16>,
    pub once: bool,
    pub interval: Duration,
    pub to: Option<PathBuf>,
    pub accept_terms: bool,
}

pub async fn run(ctx: &Context, args: &AutoArgs) -> CliResult {
    let lock = ctx.desk.automatic_lock()?;
    let options = AutomaticOptions {
        only_enabled: false,
        keep: args.keep,
        folder: args.to.clone(),
        accept_terms: args.accept_terms,
    };
    loop {
        let pass = ctx
            .desk
            .automatic_pass(&lock, &options, progress::sink(true));
        let outcome = match ctx.cancellable(pass).await {
            Ok(report) => print(&report),
            Err(error) => Err(error.into()),
        };
        if args.once || ctx.desk.is_stopping() {
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

/// Prints what the pass did; the first account's failure is the result
/// (after every account was tried).
fn print(report: &PassReport) -> CliResult {
    for pass in &report.accounts {
        let name = &pass.account.display_name;
        if let Some(why) = &pass.skipped {
            println!("{name}: skipped ({why}).");
        }
        if let Some(id) = &pass.requested {
            println!("{name}: requested backup {id}.");
        }
        for saved in &pass.downloaded {
            println!(
                "{name}: downloaded and verified {} → {}",
                saved.backup_id, saved.path
            );
        }
        for path in &pass.removed {
            println!("{name}: removed the older archive {path}");
        }
        if let Some(error) = &pass.error {
            eprintln!("{name}: {error}");
        }
    }
    match report.accounts.iter().find_map(|a| a.error.as_ref()) {
        Some(error) => Err(CliError::new(error.kind().into(), error.to_string())),
        None => Ok(()),
    }
}
