//! `backup-desk key import|show|remove`: only the type and fingerprint are ever shown.

use std::path::Path;

use backup_keychain::{KeyError, inspect, read_key_file};
use serde_json::json;

use crate::context::Context;
use crate::fail::CliResult;
use crate::prompt;

pub fn import(
    ctx: &Context,
    account: Option<&str>,
    file: &Path,
    passphrase_stdin: bool,
) -> CliResult {
    let account = ctx.account(account)?;
    let bytes = read_key_file(file)?;
    let passphrase = match inspect(&bytes, None) {
        Err(KeyError::NeedsPassphrase) => Some(if passphrase_stdin || ctx.interactive {
            prompt::secret(
                "Key passphrase (input hidden): ",
                "Pipe the passphrase on stdin with --passphrase-stdin.",
            )?
        } else {
            return Err(KeyError::NeedsPassphrase.into());
        }),
        Err(other) => return Err(other.into()),
        Ok(_) => None,
    };
    let info = ctx
        .keys
        .import(&Context::scope(&account), &bytes, passphrase.as_deref())?;
    if ctx.json {
        println!(
            "{}",
            json!({"type": info.key_type, "fingerprint": info.fingerprint, "encrypted": info.encrypted})
        );
    } else {
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
    let account = ctx.account(account)?;
    match ctx.keys.info(&Context::scope(&account))? {
        Some(info) if ctx.json => {
            println!(
                "{}",
                json!({"type": info.key_type, "fingerprint": info.fingerprint, "encrypted": info.encrypted})
            )
        }
        Some(info) => println!(
            "{} {}{}",
            info.key_type,
            info.fingerprint,
            if info.encrypted {
                " (passphrase kept in the keychain)"
            } else {
                ""
            }
        ),
        None => return Err(KeyError::NotFound.into()),
    }
    Ok(())
}

pub fn remove(ctx: &Context, account: Option<&str>) -> CliResult {
    let account = ctx.account(account)?;
    ctx.keys.remove(&Context::scope(&account))?;
    println!("Removed the key of {}.", account.display_name);
    Ok(())
}
