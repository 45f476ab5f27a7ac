//! `backup-desk key import|show|remove`: only the type and fingerprint are ever shown.

use std::path::Path;

use backup_workflows::{ErrorKind, KeyInfo};
use serde_json::json;

use crate::context::Context;
use crate::fail::{CliError, CliResult};
use crate::prompt;

fn print(ctx: &Context, info: &KeyInfo) {
    if ctx.json {
        println!(
            "{}",
            json!({"type": info.key_type, "fingerprint": info.fingerprint, "encrypted": info.encrypted})
        );
    }
}

pub fn import(
    ctx: &Context,
    account: Option<&str>,
    file: &Path,
    passphrase_stdin: bool,
) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let info = match ctx.desk.import_key(account.id, file, None) {
        Err(error) if error.kind() == ErrorKind::PassphraseRequired => {
            if !passphrase_stdin && !ctx.interactive {
                return Err(CliError::usage(
                    "The key is protected by a passphrase and no one can type it here: pipe it on stdin with --passphrase-stdin.",
                ));
            }
            let passphrase = prompt::passphrase(
                "Key passphrase (input hidden): ",
                "Pipe the passphrase on stdin with --passphrase-stdin.",
            )?;
            ctx.desk.import_key(account.id, file, Some(&passphrase))?
        }
        other => other?,
    };
    print(ctx, &info);
    if !ctx.json {
        println!(
            "Imported a {} key ({}) for {}.",
            info.key_type, info.fingerprint, account.display_name
        );
        println!(
            "It is kept so that only your keychain unlocks it; the original file is no longer needed."
        );
    }
    Ok(())
}

pub fn show(ctx: &Context, account: Option<&str>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let info = ctx.desk.key_info(account.id)?.ok_or_else(|| {
        CliError::usage("No key is imported for this account: backup-desk key import FILE")
    })?;
    print(ctx, &info);
    if !ctx.json {
        let kept = if info.encrypted {
            " (passphrase kept in the keychain)"
        } else {
            ""
        };
        println!("{} {}{kept}", info.key_type, info.fingerprint);
    }
    Ok(())
}

pub fn remove(ctx: &Context, account: Option<&str>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    ctx.desk.remove_key(account.id)?;
    println!("Removed the key of {}.", account.display_name);
    Ok(())
}
