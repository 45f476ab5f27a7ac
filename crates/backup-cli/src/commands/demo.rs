//! `backup-desk demo`: the built-in demo provider, with its own SFTP server,
//! as the account in use, to try everything headless.

use crate::context::Context;
use crate::fail::CliResult;

pub async fn run(ctx: &Context) -> CliResult {
    let demo = ctx.desk.start_demo(true).await?;
    say(&format!(
        "Demo provider running at {} (SFTP on {}:{}).",
        demo.base_url, demo.sftp_host, demo.sftp_port
    ));
    say(&format!(
        "{} is your current account now. In another terminal, try:",
        demo.account.display_name
    ));
    say("  backup-desk backups list");
    say("  backup-desk backups download --latest --accept-terms");
    say("  backup-desk backups request --yes   (the demo moves it to ready within seconds)");
    say("Press Ctrl-C to stop the demo (the account stays; any command starts the demo again).");
    let _ = tokio::signal::ctrl_c().await;
    ctx.desk.stop_demo().await;
    say("Demo stopped.");
    Ok(())
}

/// Prints a line; a reader that went away (a closed pipe) must not stop the demo.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
