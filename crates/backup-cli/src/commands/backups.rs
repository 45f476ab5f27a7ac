//! `backup-desk backups list|request|download`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backup_api::{ApiClient, Backup, new_idempotency_key};
use backup_domain::{BackupStatus, GateReason};
use backup_state::{AccountRecord, AuditEvent, DownloadRecord};
use backup_transfer::{
    CancelToken, DownloadSpec, Endpoint, HostKeyPolicy, PrivateKey, TransferError, TransferOptions,
};
use serde_json::json;

use crate::commands::connection::decide_host_key;
use crate::context::Context;
use crate::fail::{CliError, CliResult, Exit};
use crate::{prompt, render};

pub async fn list(ctx: &Context, account: Option<&str>) -> CliResult {
    let account = ctx.account(account)?;
    let page = ctx
        .client(&account)?
        .all_backups(&account.account_id)
        .await?;
    let now = ctx.now();
    if ctx.json {
        let rows: Vec<_> = page
            .backups
            .iter()
            .map(|b| {
                json!({"id": b.id, "status": b.status.as_wire(), "status_label": render::status_word(&b.status),
                       "requested_at": render::date(b.requested_at), "requested_by": b.requested_by.name,
                       "expires": render::window(b, now), "size_bytes": b.size_bytes})
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
        println!(
            "  {:<22} {:<18} requested {} by {:<16} {:>9}  {}",
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
    let account = ctx.account(account)?;
    let client = ctx.client(&account)?;
    let page = client.backups(&account.account_id, None, Some(1)).await?;
    if !page.gate.allowed {
        let exit = if page.gate.reason == Some(GateReason::Forbidden) {
            Exit::Auth
        } else {
            Exit::Cooldown
        };
        return Err(CliError::new(exit, gate_sentence(&page.gate)));
    }
    if !yes
        && !prompt::confirm(
            ctx.interactive,
            &format!("Request a backup of {}?", account.display_name),
            "--yes",
        )?
    {
        return Err(CliError::usage("Nothing was requested."));
    }
    let backup = client
        .request_backup(&account.account_id, &new_idempotency_key())
        .await?;
    ctx.state.audit(
        Some(account.id),
        &account.person_name,
        &AuditEvent::RequestMade {
            backup_id: backup.id.clone(),
        },
        ctx.now(),
    )?;
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

/// What to download and how.
pub struct DownloadArgs<'a> {
    pub id: Option<&'a str>,
    pub latest: bool,
    pub to: Option<PathBuf>,
    pub streams: usize,
    pub accept_terms: bool,
    pub trust_fingerprint: Option<&'a str>,
}

pub async fn download(ctx: &Context, account: Option<&str>, args: &DownloadArgs<'_>) -> CliResult {
    let account = ctx.account(account)?;
    let client = ctx.client(&account)?;
    let backup = match (args.id, args.latest) {
        (Some(id), false) => client.backup(&account.account_id, id).await?,
        (None, true) => client
            .all_backups(&account.account_id)
            .await?
            .backups
            .into_iter()
            .find(|b| b.status == BackupStatus::Ready)
            .ok_or_else(|| CliError::new(Exit::NotReady, "No backup is ready to download."))?,
        _ => return Err(CliError::usage("Give a backup ID or --latest.")),
    };
    let dir = args
        .to
        .clone()
        .unwrap_or_else(|| default_download_dir(ctx, &account));
    let saved = fetch(ctx, &client, &account, &backup, &dir, args).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"id": backup.id, "path": saved.path, "sha256": saved.sha256, "size_bytes": saved.size_bytes})
        );
    } else {
        println!("Verified {} ({}): {}", backup.id, saved.sha256, saved.path);
    }
    Ok(())
}

/// Where archives go when `--to` is not given (the app's default too).
pub fn default_download_dir(ctx: &Context, account: &AccountRecord) -> PathBuf {
    backup_state::default_download_dir(&ctx.data_dir, &account.account_id)
}

/// Accepts the terms if needed, then downloads, verifies and records `backup`.
pub async fn fetch(
    ctx: &Context,
    client: &ApiClient,
    account: &AccountRecord,
    backup: &Backup,
    dir: &Path,
    args: &DownloadArgs<'_>,
) -> CliResult<DownloadRecord> {
    let actor = account.person_name.clone();
    let terms = client.terms(&account.account_id, &backup.id).await?;
    if !terms.accepted {
        if !args.accept_terms {
            if ctx.interactive {
                eprintln!(
                    "Download terms (version {}):\n{}\n",
                    terms.version, terms.text
                );
            }
            if !prompt::confirm(
                ctx.interactive,
                "Do you accept the download terms?",
                "--accept-terms",
            )? {
                return Err(CliError::usage(
                    "The terms were not accepted; nothing was downloaded.",
                ));
            }
        }
        client
            .accept_terms(&account.account_id, &backup.id, &terms.version)
            .await?;
        let event = AuditEvent::TermsAccepted {
            backup_id: backup.id.clone(),
            version: terms.version.clone(),
        };
        ctx.state
            .audit(Some(account.id), &actor, &event, ctx.now())?;
    }
    let delivery = client.delivery(&account.account_id, &backup.id).await?;
    let connection = ctx.state.connection(account.id)?.ok_or_else(|| {
        CliError::usage("Set the SFTP connection first: backup-desk connection set --host H --port 22 --user NAME")
    })?;
    let key = ctx.keys.unlock(&Context::scope(account))?;
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("Cannot create {}: {e}", dir.display()),
        )
    })?;
    let file_name = backup.local_file_name();
    let mut spec = DownloadSpec {
        endpoint: Endpoint {
            host: connection.host.clone(),
            port: connection.port,
            username: connection.username.clone(),
        },
        key: PrivateKey::new(key.pem, key.passphrase),
        host_keys: HostKeyPolicy::default(),
        remote_path: delivery.sftp.remote_path.clone(),
        expected_size: delivery.sftp.size_bytes,
        expected_sha256: delivery.sftp.sha256.clone(),
        dest_dir: dir.to_path_buf(),
        file_name,
        options: TransferOptions {
            streams: args.streams,
            ..TransferOptions::default()
        },
    };
    let event = AuditEvent::download_begins(
        &backup.id,
        backup_transfer::resumable_bytes(dir, &spec.file_name),
    );
    ctx.state
        .audit(Some(account.id), &actor, &event, ctx.now())?;
    for _ in 0..2 {
        spec.host_keys = HostKeyPolicy {
            pinned: ctx
                .state
                .pinned_host_key(account.id, &connection.host, connection.port)?,
            published: delivery.sftp.host_key_fingerprints.clone(),
            accept: None,
        };
        match run_engine(spec.clone(), ctx.json).await {
            Ok(done) => {
                let record = DownloadRecord {
                    account: account.id,
                    backup_id: backup.id.clone(),
                    path: done.path.display().to_string(),
                    size_bytes: done.size,
                    sha256: done.sha256,
                    verified_at: ctx.now(),
                };
                ctx.state.record_verified(&record, &actor)?;
                return Ok(record);
            }
            Err(TransferError::UnknownHostKey { fingerprint, .. }) => {
                if !decide_host_key(
                    ctx,
                    account.id,
                    &actor,
                    &connection.host,
                    connection.port,
                    &fingerprint,
                    args.trust_fingerprint,
                )? {
                    return Err(CliError::new(
                        Exit::HostKey,
                        "The server was not trusted; nothing was downloaded.",
                    ));
                }
            }
            Err(error) => {
                if let TransferError::HostKeyChanged { actual, .. } = &error {
                    ctx.state.refuse_host_key(
                        account.id,
                        &actor,
                        &connection.host,
                        connection.port,
                        actual,
                        ctx.now(),
                    )?;
                }
                let failed = AuditEvent::DownloadFailed {
                    backup_id: backup.id.clone(),
                    reason: error.to_string(),
                };
                ctx.state
                    .audit(Some(account.id), &actor, &failed, ctx.now())?;
                return Err(error.into());
            }
        }
    }
    Err(CliError::new(
        Exit::HostKey,
        "The server's key could not be confirmed.",
    ))
}

/// Runs the blocking engine off the async runtime, with a progress bar on a
/// terminal and plain lines otherwise; Ctrl-C cancels (the partial stays).
async fn run_engine(
    spec: DownloadSpec,
    quiet: bool,
) -> Result<backup_transfer::Downloaded, TransferError> {
    let cancel = CancelToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let result = tokio::task::spawn_blocking(move || {
        let tty = std::io::stderr().is_terminal() && !quiet;
        let bar = tty.then(|| {
            let bar = indicatif::ProgressBar::new(spec.expected_size);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {percent:>3}% {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let mut last_line = Instant::now() - Duration::from_secs(10);
        let mut report = |p: backup_transfer::Progress| match &bar {
            Some(bar) => bar.set_position(p.done),
            None if !quiet
                && (last_line.elapsed() >= Duration::from_secs(2) || p.done == p.total) =>
            {
                last_line = Instant::now();
                let percent = if p.total == 0 {
                    100.0
                } else {
                    p.done as f64 * 100.0 / p.total as f64
                };
                eprintln!(
                    "{:5.1}%  {} of {}  {}/s",
                    percent,
                    render::size(Some(p.done)),
                    render::size(Some(p.total)),
                    render::size(Some(p.rate as u64))
                );
            }
            None => {}
        };
        let result = backup_transfer::download(&spec, &mut report, &cancel);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        result
    })
    .await
    .unwrap_or_else(|e| Err(TransferError::Invalid(format!("the download stopped: {e}"))));
    watcher.abort();
    result
}
