//! The command line, as clap declares it.

use std::path::PathBuf;

use certdesk_engine::keys::{KeyAlgorithm, SignatureAlgorithm};
use certdesk_engine::keystore::{ExportFormat, KeystoreType};
use certdesk_engine::names::ChallengeType;
use certdesk_engine::repository::RevocationReason;
use certdesk_engine::request::KeyPolicy;
use clap::{Args, Parser, Subcommand};

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
    Store(crate::store::StoreCmd),
}

/// The commands that work through the opened data folder's engine.
#[derive(Subcommand)]
pub enum EngineCommand {
    /// ACME accounts, one per CA.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Certificate requests and their challenges.
    #[command(subcommand)]
    Request(RequestCmd),
    /// The certificate repository.
    #[command(subcommand)]
    Cert(CertCmd),
    /// DNS accounts that publish dns-01 records through a provider's API.
    #[command(subcommand)]
    Dns(DnsCmd),
    /// E-mail through the SMTP server of the settings.
    #[command(subcommand)]
    Mail(crate::mail::MailCmd),
    /// Show or change the settings (renewal, SMTP, digest).
    #[command(subcommand)]
    Settings(crate::settings::SettingsCmd),
    /// Renew the saved certificates that are due, once (for cron, systemd timers, Task
    /// Scheduler).
    Renew(crate::renew::RenewArgs),
    /// Renew on its own in the foreground where nobody opens the window (a systemd service):
    /// the app's scheduler, and `renew --due` from cron forwarded to it. Stops on SIGINT/SIGTERM.
    Daemon,
    /// certdesk agents on end servers: pair, list, remove.
    #[command(subcommand)]
    Agent(crate::agent::AgentCmd),
    /// Deploy mappings: answer http-01 and install certificates on end servers.
    #[command(subcommand)]
    Deploy(crate::deploy::DeployCmd),
}

#[derive(Subcommand)]
pub enum DnsCmd {
    /// Add a DNS account from a JSON file of the provider's fields (secrets go to the keychain;
    /// certdesk keeps no copy of the file).
    Add {
        #[arg(long)]
        provider: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "FILE.json")]
        config: PathBuf,
        /// Add it disabled.
        #[arg(long)]
        disabled: bool,
    },
    List,
    Show {
        name: String,
    },
    /// Change fields (those the file leaves out stay as they are).
    Edit {
        name: String,
        #[arg(long, value_name = "FILE.json")]
        config: PathBuf,
        /// Rename the account (requests using it follow).
        #[arg(long)]
        rename: Option<String>,
    },
    Enable {
        name: String,
    },
    Disable {
        name: String,
    },
    Delete {
        #[arg(long)]
        yes: bool,
        name: String,
    },
    /// Check the credentials (and access to a zone), leaving every record as it was (RFC 2136
    /// adds a test value at _acme-challenge.ZONE and removes it).
    Test {
        name: String,
        #[arg(long)]
        zone: Option<String>,
    },
    /// The providers and the fields each one takes.
    Providers,
}

#[derive(Args)]
pub struct CaArgs {
    /// Let's Encrypt production.
    #[arg(long)]
    pub production: bool,
    /// Let's Encrypt staging (test certificates).
    #[arg(long)]
    pub staging: bool,
    /// Any RFC 8555 directory URL.
    #[arg(long, value_name = "URL")]
    pub directory: Option<String>,
    /// A PEM root to trust for this CA's HTTPS (a private CA).
    #[arg(long, value_name = "PEM")]
    pub ca_root: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Register a new account at a CA.
    Register {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// I accept the CA's terms of service (see `account terms`).
        #[arg(long)]
        agree_tos: bool,
        #[command(flatten)]
        ca: CaArgs,
        /// External Account Binding key id.
        #[arg(long)]
        eab_kid: Option<String>,
        /// External Account Binding HMAC key (base64url).
        #[arg(long)]
        eab_hmac: Option<String>,
    },
    /// Show a CA's terms of service URL and requirements.
    Terms {
        #[command(flatten)]
        ca: CaArgs,
    },
    /// Add an existing account back from its key file.
    Import {
        #[arg(long)]
        name: String,
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        ca: CaArgs,
    },
    /// Show the accounts (or one).
    Show {
        #[arg(long)]
        account: Option<String>,
    },
    /// Change the account's e-mail at the CA.
    UpdateEmail {
        email: String,
        #[arg(long)]
        account: Option<String>,
    },
    /// Write the account key (PEM, mode 0600).
    ExportKey {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        account: Option<String>,
    },
    /// Forget the account here (it stays active at the CA).
    Delete {
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        account: Option<String>,
    },
    /// Deactivate the account at the CA (final).
    Deactivate {
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(Args)]
pub struct CreateArgs {
    /// A name for the certificate; repeat for more (the first is the common name).
    #[arg(long, required = true)]
    pub domain: Vec<String>,
    #[arg(long)]
    pub key: KeyAlgorithm,
    #[arg(long)]
    pub signature: Option<SignatureAlgorithm>,
    #[arg(long)]
    pub keystore: KeystoreType,
    /// A file whose first line is the keystore password (pkcs12 and jks).
    #[arg(long)]
    pub keystore_password_file: Option<PathBuf>,
    #[arg(long)]
    pub challenge: ChallengeType,
    /// Publish the dns-01 records through this DNS account (and verify at once).
    #[arg(long, value_name = "NAME")]
    pub dns_account: Option<String>,
    /// What key a renewal uses: new, same or import.
    #[arg(long, default_value = "new")]
    pub key_policy: KeyPolicy,
    /// The PEM key to use with --key-policy import.
    #[arg(long)]
    pub import_key: Option<PathBuf>,
    #[arg(long)]
    pub account: Option<String>,
    /// An account at another CA (its name or directory URL) that renews after failed attempts
    /// in a row at the first.
    #[arg(long, value_name = "ACCOUNT")]
    pub fallback_account: Option<String>,
    /// An ACME profile the CA's directory lists.
    #[arg(long)]
    pub profile: Option<String>,
    /// Prefer the CA's alternate chain whose root's name contains this (e.g. "ISRG Root X1").
    #[arg(long, value_name = "ISSUER")]
    pub preferred_chain: Option<String>,
    /// Verify at once, answering http-01 with the built-in responder on ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT")]
    pub http_listen: Option<String>,
    /// With --http-listen or --dns-account: save the issued certificate to the repository too.
    #[arg(long)]
    pub save: bool,
    /// One request (and certificate) per --domain instead of one with all the names; with
    /// --http-listen they are issued concurrently.
    #[arg(long)]
    pub each: bool,
}

#[derive(Subcommand)]
pub enum RequestCmd {
    /// Raise a request: places the order and shows the challenges to publish.
    Create(CreateArgs),
    List,
    Show {
        id: String,
    },
    /// Answer the challenges and download the certificate.
    Verify {
        /// Answer http-01 with the built-in responder on ADDR:PORT.
        #[arg(long, value_name = "ADDR:PORT")]
        http_listen: Option<String>,
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Start over with a fresh order (same names and settings).
    NewChallenge {
        id: String,
    },
    /// Publish a dns-01 request's records (now and at every renewal) through a DNS account.
    AssignDns {
        id: String,
        /// The DNS account; leave out with --none to publish by hand again.
        #[arg(required_unless_present = "none")]
        account: Option<String>,
        #[arg(long, conflicts_with = "account")]
        none: bool,
    },
    /// Renew through an account at another CA after failed attempts in a row at the request's
    /// own (its next renewal goes to its own CA first again).
    SetFallback {
        id: String,
        /// The account's name or its CA's directory URL; leave out with --none for no fallback.
        #[arg(required_unless_present = "none")]
        account: Option<String>,
        #[arg(long, conflicts_with = "account")]
        none: bool,
    },
    /// Publish an http-01 request's tokens (now and at every renewal) through a deploy mapping,
    /// and with --auto deploy every certificate it gets.
    SetDeploy(crate::deploy::SetDeployArgs),
}

#[derive(Subcommand)]
pub enum CertCmd {
    List,
    Show {
        id: String,
    },
    /// Save an issued certificate to the repository.
    Save {
        id: String,
        /// Also write the request's keystore (PEM, PKCS#12 or JKS) to this file (mode 0600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the current certificate in a format (mode 0600).
    Export {
        id: String,
        #[arg(long)]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Renew now with the request's settings.
    Renew {
        id: String,
        #[arg(long, value_name = "ADDR:PORT")]
        http_listen: Option<String>,
    },
    /// Revoke at the CA.
    Revoke {
        id: String,
        #[arg(long, default_value = "unspecified")]
        reason: RevocationReason,
    },
    /// Remove from the repository (it stays valid at the CA).
    Delete {
        #[arg(long)]
        yes: bool,
        id: String,
    },
    /// Every version of a certificate.
    History {
        id: String,
    },
    /// E-mail the current certificate (a private key only inside a PKCS#12 or JKS keystore).
    Mail(crate::mail::CertMailArgs),
}
