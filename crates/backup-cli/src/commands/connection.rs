//! `backup-desk connection set|test`: where archives are downloaded from,
//! and the host key decision.

use backup_state::SftpConnection;
use backup_transfer::{Endpoint, HostKeyPolicy, PrivateKey, Timeouts, TransferError};

use crate::context::Context;
use crate::fail::{CliError, CliResult};
use crate::prompt;

pub fn set(ctx: &Context, account: Option<&str>, host: &str, port: u16, user: &str) -> CliResult {
    let account = ctx.account(account)?;
    ctx.state.set_connection(
        account.id,
        &SftpConnection {
            host: host.into(),
            port,
            username: user.into(),
        },
    )?;
    println!(
        "{} downloads from {user}@{host}:{port}.",
        account.display_name
    );
    Ok(())
}

/// Asks the person (or `--trust-fingerprint`) to trust an unknown host key;
/// pins and records the decision. `Ok(true)` when the key is now pinned.
pub fn decide_host_key(
    ctx: &Context,
    account_id: i64,
    actor: &str,
    host: &str,
    port: u16,
    fingerprint: &str,
    trusted: Option<&str>,
) -> CliResult<bool> {
    let accepted = match trusted {
        Some(given) => given == fingerprint,
        None if ctx.interactive => {
            eprintln!(
                "The server {host}:{port} is not known yet. Its fingerprint is:\n  {fingerprint}"
            );
            prompt::confirm(true, "Trust this server?", "--trust-fingerprint")?
        }
        None => {
            return Err(CliError::new(
                crate::fail::Exit::HostKey,
                format!(
                    "The server {host}:{port} is not known yet (fingerprint {fingerprint}). Check it with your provider, then pass --trust-fingerprint {fingerprint}."
                ),
            ));
        }
    };
    if accepted {
        ctx.state
            .trust_host_key(account_id, actor, host, port, fingerprint, ctx.now())?;
    } else {
        ctx.state
            .refuse_host_key(account_id, actor, host, port, fingerprint, ctx.now())?;
    }
    Ok(accepted)
}

pub async fn test(ctx: &Context, account: Option<&str>, trust: Option<&str>) -> CliResult {
    let account = ctx.account(account)?;
    let connection = ctx.state.connection(account.id)?.ok_or_else(|| {
        CliError::usage("Set the SFTP connection first: backup-desk connection set --host H --port 22 --user NAME")
    })?;
    let key = ctx.keys.unlock(&Context::scope(&account))?;
    let endpoint = Endpoint {
        host: connection.host.clone(),
        port: connection.port,
        username: connection.username.clone(),
    };
    let private = PrivateKey::new(key.pem, key.passphrase);
    for _ in 0..2 {
        let policy = HostKeyPolicy {
            pinned: ctx
                .state
                .pinned_host_key(account.id, &connection.host, connection.port)?,
            ..HostKeyPolicy::default()
        };
        let (e, k) = (endpoint.clone(), private.clone());
        let result = tokio::task::spawn_blocking(move || {
            backup_transfer::test_connection(&e, &k, &policy, &Timeouts::default())
        })
        .await
        .map_err(|e| CliError::new(crate::fail::Exit::Failure, e.to_string()))?;
        match result {
            Ok(fingerprint) => {
                println!(
                    "Connected to {}@{}:{} ({fingerprint}); the key was accepted.",
                    connection.username, connection.host, connection.port
                );
                return Ok(());
            }
            Err(TransferError::UnknownHostKey { fingerprint, .. }) => {
                if !decide_host_key(
                    ctx,
                    account.id,
                    &account.person_name,
                    &connection.host,
                    connection.port,
                    &fingerprint,
                    trust,
                )? {
                    return Err(CliError::new(
                        crate::fail::Exit::HostKey,
                        "The server was not trusted; nothing was changed.",
                    ));
                }
            }
            Err(other) => {
                if let TransferError::HostKeyChanged { actual, .. } = &other {
                    ctx.state.refuse_host_key(
                        account.id,
                        &account.person_name,
                        &connection.host,
                        connection.port,
                        actual,
                        ctx.now(),
                    )?;
                }
                return Err(other.into());
            }
        }
    }
    Err(CliError::new(
        crate::fail::Exit::HostKey,
        "The server's key could not be confirmed.",
    ))
}
