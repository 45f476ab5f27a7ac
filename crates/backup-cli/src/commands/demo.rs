//! `backup-desk demo`: the built-in demo provider, with its own SFTP server,
//! set up as an account of this CLI, to try everything headless.

use backup_domain::Role;
use backup_state::{AccountRecord, SftpConnection};

use crate::context::Context;
use crate::fail::{CliError, CliResult, Exit};

pub async fn run(ctx: &Context) -> CliResult {
    let (private_key, public_line) = backup_keychain::generate_ed25519("backup-desk demo")?;
    let demo =
        backup_provider::demo::start(&ctx.data_dir.join("demo-provider"), Some(vec![public_line]))
            .await
            .map_err(|e| {
                CliError::new(
                    Exit::Failure,
                    format!("The demo provider could not start: {e}"),
                )
            })?;
    // The demo listens on new ports each run: replace an earlier demo account.
    for old in ctx.state.accounts()? {
        if old.account_id == demo.account_id && old.provider_url.starts_with("http://127.0.0.1:") {
            let scope = Context::scope(&old);
            ctx.keys.remove(&scope)?;
            ctx.keys.remove_token(&scope)?;
            ctx.state.remove_account(old.id)?;
        }
    }
    let record = AccountRecord {
        id: 0,
        provider_url: demo.base_url.clone(),
        account_id: demo.account_id.clone(),
        display_name: "Demo Company".into(),
        role: Some(Role::Owner),
        person_name: "Demo Admin".into(),
    };
    let id = ctx.state.upsert_account(&record, ctx.now())?;
    let account = AccountRecord { id, ..record };
    let scope = Context::scope(&account);
    ctx.keys.set_token(&scope, &demo.token)?;
    ctx.keys.import(&scope, private_key.as_bytes(), None)?;
    let sftp = &demo.server.sftp;
    ctx.state.set_connection(
        id,
        &SftpConnection {
            host: sftp.host.clone(),
            port: sftp.port,
            username: "demo".into(),
        },
    )?;
    for fingerprint in &sftp.host_key_fingerprints {
        ctx.state
            .pin_host_key(id, &sftp.host, sftp.port, fingerprint, ctx.now())?;
    }
    ctx.state.set_setting("current_account", &id.to_string())?;
    say(&format!(
        "Demo provider running at {} (SFTP on {}:{}).",
        demo.base_url, sftp.host, sftp.port
    ));
    say("It is your current account now. In another terminal, try:");
    say("  backup-desk backups list");
    say("  backup-desk backups download --latest --accept-terms");
    say("  backup-desk backups request --yes   (the demo moves it to ready within seconds)");
    say("Press Ctrl-C to stop the demo.");
    let _ = tokio::signal::ctrl_c().await;
    demo.server.stop().await;
    let _ = ctx.keys.remove(&scope);
    let _ = ctx.keys.remove_token(&scope);
    let _ = ctx.state.remove_account(id);
    say("Demo stopped.");
    Ok(())
}

/// Prints a line; a reader that went away (a closed pipe) must not stop the demo.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
