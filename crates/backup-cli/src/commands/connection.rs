//! `backup-desk connection set|test|forget`: where archives are downloaded
//! from, and the server's key.

use backup_workflows::Actor;

use crate::answers::TerminalAnswers;
use crate::context::Context;
use crate::fail::CliResult;

pub fn set(ctx: &Context, account: Option<&str>, host: &str, port: u16, user: &str) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let c = ctx.desk.set_connection(account.id, host, port, user)?;
    println!(
        "{} downloads from {}@{}:{}.",
        account.display_name, c.username, c.host, c.port
    );
    Ok(())
}

pub async fn test(ctx: &Context, account: Option<&str>, trust: Option<&str>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    let mut answers = TerminalAnswers {
        interactive: ctx.interactive,
        trust_fingerprint: trust.map(str::to_owned),
        ..TerminalAnswers::default()
    };
    let step = async || ctx.desk.test_connection(account.id).await;
    let fingerprint = ctx
        .desk
        .settle(account.id, None, Actor::Person, &mut answers, step)
        .await?;
    println!("Connected ({fingerprint}); the key was accepted.");
    Ok(())
}

pub fn forget(ctx: &Context, account: Option<&str>) -> CliResult {
    let account = ctx.desk.select_account(account)?;
    match ctx.desk.forget_host_key(account.id)? {
        Some(old) => {
            println!("Forgot the trusted server key {old}; the next connection asks again.")
        }
        None => println!("No server key was trusted for {}.", account.display_name),
    }
    Ok(())
}
