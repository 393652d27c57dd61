//! The top of the command line, as clap declares it: the global flags and the command groups.
//! Each group declares its own commands in its module, next to the code that runs them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{
    account, agent, cert, deploy, dns, endpoint, log, mail, notify, renew, request, settings, store,
};

#[derive(Parser)]
#[command(
    name = "certdesk",
    version,
    about = "TLS certificates from ACME CAs, from the command line"
)]
pub struct Cli {
    /// The data folder (default: the platform's data folder, e.g. ~/.local/share/certdesk).
    #[arg(long, global = true, env = "CERTDESK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print results as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// A command: one on the data folder itself, which runs before the folder's engine is opened
/// (its secrets may not open), or one that works through the opened engine. Split so that the
/// engine's commands cannot be handed a store command.
#[derive(Subcommand)]
pub enum Command {
    #[command(flatten)]
    Engine(Box<EngineCommand>),
    /// The data folder itself: forget its secrets when its master key is lost.
    #[command(subcommand)]
    Store(store::StoreCmd),
}

/// The commands that work through the opened data folder's engine.
#[derive(Subcommand)]
pub enum EngineCommand {
    /// ACME accounts, one per CA.
    #[command(subcommand)]
    Account(account::AccountCmd),
    /// Certificate requests and their challenges.
    #[command(subcommand)]
    Request(request::RequestCmd),
    /// The certificate repository.
    #[command(subcommand)]
    Cert(cert::CertCmd),
    /// DNS accounts that publish dns-01 records through a provider's API.
    #[command(subcommand)]
    Dns(dns::DnsCmd),
    /// E-mail through the SMTP server of the settings.
    #[command(subcommand)]
    Mail(mail::MailCmd),
    /// Notice channels beside e-mail: a signed webhook, Slack, Microsoft Teams, ntfy.
    #[command(subcommand)]
    Notify(notify::NotifyCmd),
    /// Show or change the settings (renewal, SMTP, digest).
    #[command(subcommand)]
    Settings(settings::SettingsCmd),
    /// Renew the saved certificates that are due, once (for cron, systemd timers, Task
    /// Scheduler).
    Renew(renew::RenewArgs),
    /// Renew on its own in the foreground where nobody opens the window (a systemd service):
    /// the app's scheduler, and `renew --due` from cron forwarded to it. Stops on SIGINT/SIGTERM.
    Daemon,
    /// certdesk agents on end servers: pair, list, remove.
    #[command(subcommand)]
    Agent(agent::AgentCmd),
    /// Deploy mappings: answer http-01 and install certificates on end servers.
    #[command(subcommand)]
    Deploy(deploy::DeployCmd),
    /// TLS endpoints to watch: what each serves and what is wrong with it.
    #[command(subcommand)]
    Endpoint(endpoint::EndpointCmd),
    /// The activity log: every action and renewal attempt, by which face, how it ended.
    Log(log::LogArgs),
}
