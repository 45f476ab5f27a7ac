//! `backup-provider`: serve the provider API, and the admin and operator
//! commands that act on the same data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use backup_domain::{BackupPolicy, Role};
use backup_provider::api::{SftpEndpoint, backup_json};
use backup_provider::clock::{self, parse_duration};
use backup_provider::lifecycle::{self, AutoDelays, CompleteOptions};
use backup_provider::store::{Account, Person};
use backup_provider::{ProviderError, ServeOptions, Store};
use clap::{Args, Parser, Subcommand};

/// The reference backup provider of Backup Desk.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The provider's data directory (SQLite database and archives).
    #[arg(
        long,
        global = true,
        env = "BACKUP_PROVIDER_DATA",
        default_value = "provider-data"
    )]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the data directory (optionally with a movable clock, for tests and demos).
    Init {
        /// Allow `clock advance` on this data (never on a real provider).
        #[arg(long)]
        movable_clock: bool,
        /// Directory the SFTP server serves archives from (default: DATA/archives).
        #[arg(long)]
        archive_dir: Option<PathBuf>,
    },
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Manage accounts and their plans.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage people and their roles.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Issue an API token for a person (printed once; only its hash is kept).
    Token {
        #[arg(long)]
        person: String,
    },
    /// Operator actions of the cloud team on a backup.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Change an account's CRM records, so the next archive shows it
    /// (a mass deletion, an object that vanished).
    #[command(subcommand)]
    Records(RecordsCommand),
    /// The test clock.
    #[command(subcommand)]
    Clock(ClockCommand),
    /// Download terms.
    #[command(subcommand)]
    Terms(TermsCommand),
}

#[derive(Debug, Subcommand)]
enum TermsCommand {
    /// Publish new download terms (everyone must accept them again).
    Publish {
        #[arg(long)]
        version: String,
        #[arg(long)]
        text: String,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free one; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory the SFTP server serves archives from; remembered for the
    /// operator commands (default: the one given to `init`, else DATA/archives).
    #[arg(long)]
    archive_dir: Option<PathBuf>,
    /// SFTP host published in deliveries.
    #[arg(long, default_value = "127.0.0.1")]
    sftp_host: String,
    /// SFTP port published in deliveries.
    #[arg(long, default_value_t = 22)]
    sftp_port: u16,
    /// Host key fingerprint of the SFTP server (`SHA256:…`); repeat for each key.
    #[arg(long = "sftp-fingerprint")]
    sftp_fingerprints: Vec<String>,
    /// Serve archives with the built-in SFTP server on this address
    /// (read-only, public-key only) instead of an external sshd.
    #[arg(long)]
    embedded_sftp: Option<SocketAddr>,
    /// Who may log in to the built-in SFTP server: one `ACCOUNT_ID PUBLIC_KEY` per line
    /// (each key reads only its account's archives).
    #[arg(long, requires = "embedded_sftp")]
    sftp_authorized_keys: Option<PathBuf>,
    /// Move new requests through the lifecycle automatically (demos).
    #[arg(long)]
    auto: bool,
    /// In auto mode, time from request to release.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    auto_release_after: chrono::TimeDelta,
    /// In auto mode, time from release to a ready archive.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    auto_complete_after: chrono::TimeDelta,
}

#[derive(Debug, Args)]
struct PolicyArgs {
    /// Plan name.
    #[arg(long, default_value = "enterprise")]
    plan: String,
    /// Time between requests (e.g. 28d, 7d, 24h).
    #[arg(long, default_value = "28d", value_parser = parse_duration)]
    cooldown: chrono::TimeDelta,
    /// How long a ready backup can be downloaded (e.g. 10d, 14d).
    #[arg(long, default_value = "10d", value_parser = parse_duration)]
    window: chrono::TimeDelta,
    /// Whether a server error re-opens requesting at once.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    server_error_reopens: bool,
}

impl PolicyArgs {
    fn policy(&self) -> BackupPolicy {
        BackupPolicy {
            plan: self.plan.clone(),
            cooldown: self.cooldown,
            download_window: self.window,
            server_error_reopens: self.server_error_reopens,
        }
    }
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account (seeded with sample CRM data).
    Create {
        id: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Change an account's plan policy.
    Policy {
        id: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

#[derive(Debug, Subcommand)]
enum PersonCommand {
    /// Add a person.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// Give a person a role in an account (owner, admin or viewer).
    Grant {
        #[arg(long)]
        account: String,
        #[arg(long)]
        person: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
enum BackupCommand {
    /// Release an awaiting backup (it moves to in progress).
    Release { id: String },
    /// Same as release: start preparing an awaiting backup.
    Start { id: String },
    /// Generate the archive of an in-progress backup and make it ready.
    Complete {
        id: String,
        /// Pad the archive to about this many bytes (benchmarks).
        #[arg(long)]
        pad_to: Option<u64>,
        /// Publish a damaged archive (its first entry fails its CRC; the
        /// published SHA-256 is the damaged file's), for tests.
        #[arg(long)]
        damaged: bool,
    },
    /// Mark an awaiting or in-progress backup as failed (server error).
    Fail {
        id: String,
        #[arg(long, default_value = "The server failed while generating the backup.")]
        message: String,
    },
    /// Expire a ready backup now.
    Expire { id: String },
    /// Show a backup as JSON, with the manifest of its archive.
    Show { id: String },
}

#[derive(Debug, Subcommand)]
enum RecordsCommand {
    /// Delete the newest share of an object's records (a mass deletion).
    Drop {
        #[arg(long)]
        account: String,
        /// One of the objects of an archive (contacts, deals, tickets…).
        #[arg(long)]
        object: String,
        /// Share of the records to delete, 0 to 100.
        #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
        percent: u8,
    },
    /// Delete every record of an object: the next archive has no file for it.
    Clear {
        #[arg(long)]
        account: String,
        #[arg(long)]
        object: String,
    },
}

#[derive(Debug, Subcommand)]
enum ClockCommand {
    /// Move the clock forward (only with a data dir made by `init --movable-clock`).
    Advance {
        #[arg(long, value_parser = parse_duration)]
        by: chrono::TimeDelta,
    },
    /// Print the provider's current time.
    Show,
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::from_wire(raw).ok_or_else(|| format!("{raw:?} is not a role: use owner, admin or viewer"))
}

/// Prints a backup as the API shows it, plus the manifest of its archive
/// (operators and tests only: the API does not publish it).
fn print_backup(
    store: &Store,
    row: &backup_provider::store::BackupRow,
) -> Result<(), ProviderError> {
    let mut json = backup_json(row);
    json["manifest"] =
        serde_json::to_value(store.manifest(&row.id)?).map_err(|_| ProviderError::Internal)?;
    println!("{json}");
    Ok(())
}

fn run(cli: Cli) -> Result<(), ProviderError> {
    let data = cli.data;
    match cli.command {
        Command::Init {
            movable_clock,
            archive_dir,
        } => {
            let store = Store::open(&data)?;
            if movable_clock {
                clock::make_movable(&store)?;
            }
            if let Some(dir) = archive_dir {
                remember_archive_dir(&store, &dir)?;
            }
            println!("provider data ready in {}", data.display());
        }
        Command::Serve(args) => serve(data, args)?,
        Command::Account(AccountCommand::Create { id, name, policy }) => {
            if !backup_provider::ids::is_valid_id(&id) {
                return Err(ProviderError::Invalid(format!(
                    "{id:?}: account ids use letters, digits, - and _"
                )));
            }
            let store = Store::open(&data)?;
            let now = clock::now(&store)?;
            store.create_account(
                &Account {
                    id: id.clone(),
                    name,
                    policy: policy.policy(),
                },
                now,
            )?;
            println!("account {id} created");
        }
        Command::Account(AccountCommand::Policy { id, policy }) => {
            Store::open(&data)?.set_policy(&id, &policy.policy())?;
            println!("account {id} policy updated");
        }
        Command::Person(PersonCommand::Add { id, name, email }) => {
            if !backup_provider::ids::is_valid_id(&id) {
                return Err(ProviderError::Invalid(format!(
                    "{id:?}: person ids use letters, digits, - and _"
                )));
            }
            Store::open(&data)?.add_person(&Person {
                id: id.clone(),
                name,
                email,
            })?;
            println!("person {id} added");
        }
        Command::Person(PersonCommand::Grant {
            account,
            person,
            role,
        }) => {
            Store::open(&data)?.grant(&account, &person, role)?;
            println!("{person} is now {} of {account}", role.as_wire());
        }
        Command::Token { person } => {
            let store = Store::open(&data)?;
            let now = clock::now(&store)?;
            println!("{}", store.issue_token(&person, now)?);
        }
        Command::Backup(command) => {
            let store = Store::open(&data)?;
            let archives = archive_dir(&store, &data)?;
            let row = match command {
                BackupCommand::Release { id } | BackupCommand::Start { id } => {
                    lifecycle::release(&store, &id)?
                }
                BackupCommand::Complete {
                    id,
                    pad_to,
                    damaged,
                } => lifecycle::complete_with(
                    &store,
                    &archives,
                    &id,
                    CompleteOptions { pad_to, damaged },
                )?,
                BackupCommand::Fail { id, message } => lifecycle::fail(&store, &id, &message)?,
                BackupCommand::Expire { id } => lifecycle::expire(&store, &archives, &id)?,
                BackupCommand::Show { id } => store
                    .backup_any(&id)?
                    .ok_or_else(|| ProviderError::NotFound(format!("no backup {id}")))?,
            };
            print_backup(&store, &row)?;
        }
        Command::Records(command) => {
            let store = Store::open(&data)?;
            let change = match command {
                RecordsCommand::Drop {
                    account,
                    object,
                    percent,
                } => store.drop_records(&account, &object, percent)?,
                RecordsCommand::Clear { account, object } => {
                    store.clear_records(&account, &object)?
                }
            };
            println!(
                "{}",
                serde_json::to_string(&change).map_err(|_| ProviderError::Internal)?
            );
        }
        Command::Clock(ClockCommand::Advance { by }) => {
            let now = clock::advance(&Store::open(&data)?, by)?;
            println!("{}", now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        Command::Clock(ClockCommand::Show) => {
            let now = clock::now(&Store::open(&data)?)?;
            println!("{}", now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        Command::Terms(TermsCommand::Publish { version, text }) => {
            let store = Store::open(&data)?;
            store.set_setting("terms_version", &version)?;
            store.set_setting("terms_text", &text)?;
            println!("terms {version} published");
        }
    }
    Ok(())
}

/// The archive directory of this data dir (`init`/`serve --archive-dir`, else DATA/archives).
fn archive_dir(store: &Store, data: &std::path::Path) -> Result<PathBuf, ProviderError> {
    Ok(store
        .setting("archive_dir")?
        .map(PathBuf::from)
        .unwrap_or_else(|| data.join("archives")))
}

fn remember_archive_dir(store: &Store, dir: &std::path::Path) -> Result<(), ProviderError> {
    let absolute = std::path::absolute(dir).map_err(|e| ProviderError::Io(e.to_string()))?;
    store.set_setting("archive_dir", &absolute.display().to_string())
}

fn serve(data: PathBuf, args: ServeArgs) -> Result<(), ProviderError> {
    let archive_dir = {
        let store = Store::open(&data)?;
        if let Some(dir) = &args.archive_dir {
            remember_archive_dir(&store, dir)?;
        }
        archive_dir(&store, &data)?
    };
    let embedded_sftp = match args.embedded_sftp {
        None => None,
        Some(listen) => {
            let authorized_keys = match &args.sftp_authorized_keys {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| {
                        ProviderError::Invalid(format!("cannot read {}: {e}", path.display()))
                    })?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(|line| match line.split_once(char::is_whitespace) {
                        // A bare key line (its first word is the key type) names no account.
                        Some((account, key))
                            if backup_provider::ids::is_valid_id(account)
                                && !["ssh-", "ecdsa-", "sk-"]
                                    .iter()
                                    .any(|t| account.starts_with(t)) =>
                        {
                            Ok((account.to_owned(), key.trim().to_owned()))
                        }
                        _ => Err(ProviderError::Invalid(format!(
                            "{}: each line must be `ACCOUNT_ID ssh-ed25519 AAAA…` (the account whose archives the key may read), not {line:?}",
                            path.display()
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            if authorized_keys.is_empty() {
                return Err(ProviderError::Invalid(
                    "the embedded SFTP server needs --sftp-authorized-keys FILE with at least one line `ACCOUNT_ID PUBLIC_KEY`".into(),
                ));
            }
            Some(backup_provider::EmbeddedSftp {
                listen,
                authorized_keys,
            })
        }
    };
    let embedded = embedded_sftp.is_some();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| ProviderError::Io(e.to_string()))?;
    runtime.block_on(async move {
        let options = ServeOptions {
            archive_dir,
            data_dir: data,
            listen: args.listen,
            sftp: SftpEndpoint {
                host: args.sftp_host,
                port: args.sftp_port,
                host_key_fingerprints: args.sftp_fingerprints,
            },
            auto: args.auto.then_some(AutoDelays {
                release_after: args.auto_release_after,
                complete_after: args.auto_complete_after,
            }),
            embedded_sftp,
        };
        let server = backup_provider::start(options).await?;
        say(&format!(
            "backup-provider listening on http://{}",
            server.addr
        ));
        if embedded {
            say(&format!(
                "embedded SFTP on {}:{} ({})",
                server.sftp.host,
                server.sftp.port,
                server.sftp.host_key_fingerprints.join(", ")
            ));
        }
        let _ = tokio::signal::ctrl_c().await;
        server.stop().await;
        Ok(())
    })
}

/// Prints a status line; a closed stdout (a supervisor that stopped
/// reading) must not bring the server down.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("backup-provider: {error}");
            ExitCode::FAILURE
        }
    }
}
