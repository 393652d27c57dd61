//! `certdesk account register | terms | profiles | import | show | update-email | export-key |
//! delete | deactivate`: ACME accounts, one per CA.

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::account::{Eab, Registration};
use certdesk_engine::acme::Ca;
use certdesk_engine::next_step::Listing;
use certdesk_engine::{Engine, Error, Result};
use clap::{Args, Subcommand};

use crate::input::{read_file, refuse_without_yes};
use crate::output::Out;

#[derive(Args)]
pub struct CaArgs {
    /// Let's Encrypt production.
    #[arg(long)]
    production: bool,
    /// Let's Encrypt staging (test certificates).
    #[arg(long)]
    staging: bool,
    /// Any RFC 8555 directory URL.
    #[arg(long, value_name = "URL")]
    directory: Option<String>,
    /// A PEM root to trust for this CA's HTTPS (a private CA).
    #[arg(long, value_name = "PEM")]
    ca_root: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Register a new account at a CA.
    Register {
        #[arg(long)]
        name: String,
        /// A contact for the CA (optional). The CA no longer sends expiry warnings (Let's Encrypt
        /// stopped in 2025 and keeps no contacts): certdesk's own notices are the expiry
        /// warnings (`certdesk settings set notify.failed true`, e-mail through `smtp.*`).
        #[arg(long)]
        email: Option<String>,
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
    /// The certificate profiles the account's CA offers, with their descriptions (for
    /// `request create --profile`).
    Profiles {
        #[arg(long)]
        account: Option<String>,
    },
    /// The CAA records that bind each domain to this account (and the methods given), and what
    /// CAA allows today.
    Caa {
        #[arg(long = "domain", value_name = "D", required = true)]
        domains: Vec<String>,
        #[arg(long)]
        account: Option<String>,
        /// Bind to these challenge types too (validationmethods); repeatable.
        #[arg(long = "challenge", value_name = "TYPE")]
        challenges: Vec<certdesk_engine::names::ChallengeType>,
        /// Look CAA up at these servers (IP:PORT, comma separated) instead of the system's.
        #[arg(long, value_name = "LIST")]
        nameservers: Option<String>,
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

fn ca_of(args: &CaArgs) -> Result<Ca> {
    match (args.production, args.staging, &args.directory) {
        (true, false, None) => Ok(Ca::LetsEncrypt),
        (false, true, None) => Ok(Ca::LetsEncryptStaging),
        (false, false, Some(url)) => Ca::custom(url),
        _ => Err(Error::input(
            "choose exactly one CA: --production, --staging or --directory URL",
        )),
    }
}

fn ca_root(args: &CaArgs) -> Result<Option<String>> {
    args.ca_root.as_deref().map(read_file).transpose()
}

pub async fn run(engine: &Engine, cmd: AccountCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        AccountCmd::Register {
            name,
            email,
            agree_tos,
            ca,
            eab_kid,
            eab_hmac,
        } => {
            let eab = match (eab_kid, eab_hmac) {
                (Some(kid), Some(hmac_b64)) => Some(Eab { kid, hmac_b64 }),
                (None, None) => None,
                _ => {
                    return Err(Error::input(
                        "External Account Binding needs both --eab-kid and --eab-hmac",
                    ))
                }
            };
            let info = engine
                .register_account(Registration {
                    name,
                    email,
                    ca: ca_of(&ca)?,
                    ca_root_pem: ca_root(&ca)?,
                    eab,
                    agree_tos,
                })
                .await?;
            out.account(&info, "registered");
        }
        AccountCmd::Terms { ca } => {
            let terms = engine
                .ca_terms(&ca_of(&ca)?, ca_root(&ca)?.as_deref())
                .await?;
            out.terms(&terms);
        }
        AccountCmd::Profiles { account } => {
            out.profiles(&engine.account_profiles(account.as_deref()).await?);
        }
        AccountCmd::Caa {
            domains,
            account,
            challenges,
            nameservers,
        } => {
            let servers = nameservers
                .as_deref()
                .map(certdesk_engine::dns::lookup::parse_servers)
                .transpose()?
                .unwrap_or_default();
            let reports = engine
                .account_caa(account.as_deref(), &domains, &challenges, servers)
                .await?;
            let text: Vec<String> = reports.iter().map(|r| r.text()).collect();
            out.value(&reports, &text.join("\n\n"));
        }
        AccountCmd::Import { name, key, ca } => {
            let pem = read_file(&key)?;
            let info = engine
                .import_account(&name, &pem, ca_of(&ca)?, ca_root(&ca)?)
                .await?;
            out.account(&info, "added from its key");
        }
        AccountCmd::Show { account } => match account {
            Some(name) => out.account(&engine.account(Some(&name))?, ""),
            None => out.accounts(&engine.accounts()?, &engine.damaged(Listing::Accounts)?),
        },
        AccountCmd::UpdateEmail { email, account } => {
            let info = engine
                .update_account_email(account.as_deref(), &email)
                .await?;
            out.account(&info, "e-mail updated at the CA");
        }
        AccountCmd::ExportKey { out: path, account } => {
            let pem = engine.export_account_key(account.as_deref()).await?;
            certdesk_engine::keystore::write_file_0600(&path, pem.as_bytes())?;
            out.done(&format!(
                "account key written to {} (mode 0600)",
                path.display()
            ));
        }
        AccountCmd::Delete { yes, account } => {
            refuse_without_yes(
                yes,
                "this forgets the account on this machine; it stays active at the CA",
            )?;
            let info = engine.delete_account(account.as_deref()).await?;
            out.account(
                &info,
                "deleted here; it stays active at the CA (deactivate it there to close it)",
            );
        }
        AccountCmd::Deactivate { yes, account } => {
            refuse_without_yes(
                yes,
                "deactivation is final: the CA will never accept this account again",
            )?;
            let info = engine.deactivate_account(account.as_deref()).await?;
            out.account(&info, "deactivated at the CA (final)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
