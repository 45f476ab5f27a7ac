//! `backup-desk`: request, follow and download SaaS account backups from
//! the command line, on the same application layer, accounts, keychain and
//! local database as the desktop app — plus `auto`, which never lets a
//! download window pass. Each command parses, asks, calls one workflow of
//! `backup-workflows`, and prints.

mod answers;
mod commands;
mod contents;
mod context;
mod fail;
mod progress;
mod prompt;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::commands::{account, audit, auto, backups, connection, demo, health, key, report};
use crate::context::Context;
use crate::fail::{CliResult, Exit};

/// Request, follow and download your SaaS account backups.
///
/// Exit codes: 0 ok, 1 other failure, 2 usage (a missing flag, nobody to
/// answer a prompt), 3 authentication (token or SSH key refused, role not
/// allowed), 4 host key changed or unknown, 5 cooldown active or a request
/// in progress, 6 not ready or expired, 7 verification failed or archive
/// damaged, 8 network, 9 an account's health is red (`health`).
#[derive(Debug, Parser)]
#[command(name = "backup-desk", version, about, long_about)]
struct Cli {
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Data directory (default: the desktop app's, e.g. ~/.local/share/app.backupdesk.desktop).
    #[arg(long, global = true, env = "BACKUP_DESK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The account to act on: its local id or its id at the provider.
    #[arg(long, global = true)]
    account: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add, list, remove or pick accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Import, show or remove the account's SSH private key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Set or test the SFTP connection.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// List, request and download backups.
    #[command(subcommand)]
    Backups(BackupsCommand),
    /// The audit log: who requested, accepted, trusted and downloaded what, and when.
    Audit {
        /// Every account's log, not only the one in use.
        #[arg(long)]
        all: bool,
    },
    /// Every account at a glance: green, amber or red, and why (exit 9 when one is red).
    ///
    /// All accounts, unless --account names one.
    Health,
    /// The audit report of every account over whole days (UTC), as CSV or printable HTML.
    ///
    /// Every account's events (--account does not narrow it); printed, or
    /// saved with --output.
    Report {
        /// The first day, YYYY-MM-DD (included).
        #[arg(long, value_parser = report::parse_day)]
        from: chrono::NaiveDate,
        /// The last day, YYYY-MM-DD (included).
        #[arg(long, value_parser = report::parse_day)]
        to: chrono::NaiveDate,
        /// csv or html.
        #[arg(long, value_parser = report::parse_format)]
        format: backup_workflows::ReportFormat,
        /// Save it here (whole or not at all) instead of printing it.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Run the built-in demo provider and use it as the current account (Ctrl-C stops it).
    Demo,
    /// Request and download automatically, keeping the newest N archives.
    Auto {
        /// How many verified archives to keep per account (default: the account's setting, 3).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        keep: Option<u16>,
        /// One pass, then exit (for cron, systemd timers, Task Scheduler).
        #[arg(long)]
        once: bool,
        /// Minutes between passes when not --once.
        #[arg(long, default_value_t = 15)]
        interval_minutes: u64,
        /// The folder archives are saved in (default: each account's download folder).
        #[arg(long)]
        to: Option<PathBuf>,
        /// Accept the download terms without asking.
        #[arg(long)]
        accept_terms: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Add an account; the token is read from stdin or a hidden prompt, never from arguments.
    Add {
        /// The provider's address, e.g. https://backups.example.com
        #[arg(long)]
        provider: String,
        /// If the account is already set up, replace its token and role without asking.
        #[arg(long)]
        replace: bool,
    },
    /// List the accounts (* marks the one in use).
    List,
    /// Remove an account with its token and key.
    Remove { id: String },
    /// Use this account when --account is not given.
    Use { id: String },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Import a private key (.pem or OpenSSH); only the keychain unlocks it afterwards.
    Import {
        file: PathBuf,
        /// Read the key's passphrase from stdin.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Show the key's type and fingerprint.
    Show,
    /// Remove the key.
    Remove,
}

#[derive(Debug, Subcommand)]
enum ConnectionCommand {
    /// Set where archives are downloaded from.
    Set {
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 22)]
        port: u16,
        #[arg(long)]
        user: String,
    },
    /// Connect and log in with the key; asks to trust an unknown server.
    Test {
        /// Trust this host key fingerprint without asking (SHA256:…).
        #[arg(long)]
        trust_fingerprint: Option<String>,
    },
    /// Forget the trusted server key (the next connection asks again).
    Forget,
}

#[derive(Debug, Subcommand)]
enum BackupsCommand {
    /// The history with statuses, expiry countdowns and when the next request is allowed.
    List,
    /// What is inside a downloaded backup: objects, records, sizes, the archive check, change alerts.
    Show {
        /// The backup's id.
        id: String,
    },
    /// Check the downloaded copy again (every CRC, every record); exit 7 if it is damaged.
    Check {
        /// The backup's id.
        id: String,
    },
    /// Request a new backup.
    Request {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Delete an interrupted download (its partial file) to free its space.
    Discard {
        /// The backup's id.
        id: String,
        /// The folder it was being saved in (default: the account's download folder).
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Download a ready backup, verify it, and keep it.
    Download {
        /// The backup's id.
        id: Option<String>,
        /// The newest ready backup.
        #[arg(long, conflicts_with = "id")]
        latest: bool,
        /// The folder to save into (default: the account's download folder).
        #[arg(long)]
        to: Option<PathBuf>,
        /// The most parallel SSH sessions, 1–16, or "auto": start with one and add
        /// sessions while the rate still rises, up to 8 (default: the account's
        /// setting, auto).
        #[arg(long, value_parser = parse_streams)]
        streams: Option<u8>,
        /// Accept the download terms without asking.
        #[arg(long)]
        accept_terms: bool,
        /// Trust this host key fingerprint without asking (SHA256:…).
        #[arg(long)]
        trust_fingerprint: Option<String>,
        /// Replace a verified copy already on disk (only once the new one
        /// verified) instead of saving beside it as "name (1).zip".
        #[arg(long)]
        replace: bool,
    },
}

async fn run(cli: Cli) -> CliResult {
    let ctx = Context::open(cli.data_dir, cli.json)?;
    let account = cli.account.as_deref();
    match cli.command {
        Command::Account(AccountCommand::Add { provider, replace }) => {
            account::add(&ctx, &provider, account, replace).await
        }
        Command::Account(AccountCommand::List) => account::list(&ctx),
        Command::Account(AccountCommand::Remove { id }) => account::remove(&ctx, &id).await,
        Command::Account(AccountCommand::Use { id }) => account::use_account(&ctx, &id),
        Command::Key(KeyCommand::Import {
            file,
            passphrase_stdin,
        }) => key::import(&ctx, account, &file, passphrase_stdin),
        Command::Key(KeyCommand::Show) => key::show(&ctx, account),
        Command::Key(KeyCommand::Remove) => key::remove(&ctx, account),
        Command::Connection(ConnectionCommand::Set { host, port, user }) => {
            connection::set(&ctx, account, &host, port, &user)
        }
        Command::Connection(ConnectionCommand::Test { trust_fingerprint }) => {
            connection::test(&ctx, account, trust_fingerprint.as_deref()).await
        }
        Command::Connection(ConnectionCommand::Forget) => connection::forget(&ctx, account),
        Command::Backups(BackupsCommand::List) => backups::list(&ctx, account).await,
        Command::Backups(BackupsCommand::Show { id }) => backups::show(&ctx, account, &id),
        Command::Backups(BackupsCommand::Check { id }) => backups::check(&ctx, account, &id).await,
        Command::Backups(BackupsCommand::Request { yes }) => {
            backups::request(&ctx, account, yes).await
        }
        Command::Backups(BackupsCommand::Discard { id, to }) => {
            backups::discard(&ctx, account, &id, to)
        }
        Command::Backups(BackupsCommand::Download {
            id,
            latest,
            to,
            streams,
            accept_terms,
            trust_fingerprint,
            replace,
        }) => {
            let args = backups::DownloadArgs {
                id: id.as_deref(),
                latest,
                to,
                streams,
                accept_terms,
                trust_fingerprint: trust_fingerprint.as_deref(),
                replace,
            };
            backups::download(&ctx, account, &args).await
        }
        Command::Audit { all } => audit::show(&ctx, account, all),
        Command::Health => health::show(&ctx, account).await,
        Command::Report {
            from,
            to,
            format,
            output,
        } => report::run(
            &ctx,
            &report::ReportArgs {
                from,
                to,
                format,
                output,
            },
        ),
        Command::Demo => demo::run(&ctx).await,
        Command::Auto {
            keep,
            once,
            interval_minutes,
            to,
            accept_terms,
        } => {
            let args = auto::AutoArgs {
                keep,
                once,
                interval: Duration::from_secs(interval_minutes.max(1) * 60),
                to,
                accept_terms,
            };
            auto::run(&ctx, &args).await
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("backup-desk: cannot start: {error}");
            return Exit::Failure.into();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => Exit::Ok.into(),
        Err(error) => {
            eprintln!("backup-desk: {error}");
            error.exit.into()
        }
    }
}

/// `--streams`: "auto" (0) or 1–16.
fn parse_streams(value: &str) -> Result<u8, String> {
    if value.eq_ignore_ascii_case("auto") {
        return Ok(backup_workflows::AUTOMATIC_STREAMS);
    }
    // A number is a maximum, within the range the application layer accepts
    // ("0" is not how Automatic is spelled here).
    let most = value.parse::<u8>().ok();
    match most.filter(|&n| n != backup_workflows::AUTOMATIC_STREAMS) {
        Some(n) if backup_workflows::check_streams(n).is_ok() => Ok(n),
        _ => Err(format!(
            "{value:?} is not a stream count: give 1 to 16, or auto"
        )),
    }
}
