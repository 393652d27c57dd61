//! `certdesk dns add | list | show | edit | enable | disable | delete | test | providers`: DNS
//! accounts that publish dns-01 records through a provider's API.

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::dns_accounts::DnsAccountForm;
use certdesk_engine::next_step::Listing;
use certdesk_engine::{Engine, Result};
use clap::Subcommand;

use crate::input::{read_config, refuse_without_yes};
use crate::output::Out;

const DNS_FIELDS: &str = "the provider's fields (see `certdesk dns providers`)";

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

pub async fn run(engine: &Engine, cmd: DnsCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        DnsCmd::Add {
            provider,
            name,
            config,
            disabled,
        } => {
            let mut form = DnsAccountForm::from_config(
                &provider,
                &name,
                &read_config(&config, DNS_FIELDS)?,
                None,
            )?;
            form.enabled = !disabled;
            out.dns_account(&engine.save_dns_account(form).await?);
        }
        DnsCmd::List => out.dns_accounts(
            &engine.dns_accounts()?,
            &engine.damaged(Listing::DnsAccounts)?,
        ),
        DnsCmd::Show { name } => out.dns_account(&engine.dns_account(&name)?),
        DnsCmd::Edit {
            name,
            config,
            rename,
        } => {
            let existing = engine.dns_account(&name)?;
            let form = DnsAccountForm::from_config(
                &existing.provider,
                rename.as_deref().unwrap_or(&name),
                &read_config(&config, DNS_FIELDS)?,
                Some(&existing),
            )?;
            out.dns_account(&engine.save_dns_account(form).await?);
        }
        DnsCmd::Enable { name } => {
            out.dns_account(&engine.set_dns_account_enabled(&name, true).await?)
        }
        DnsCmd::Disable { name } => {
            out.dns_account(&engine.set_dns_account_enabled(&name, false).await?)
        }
        DnsCmd::Delete { yes, name } => {
            refuse_without_yes(yes, "deleting a DNS account")?;
            out.dns_account(&engine.delete_dns_account(&name).await?);
        }
        DnsCmd::Test { name, zone } => {
            out.done(&engine.test_dns_account(&name, zone.as_deref()).await?)
        }
        DnsCmd::Providers => out.dns_providers(certdesk_engine::dns::PROVIDERS),
    }
    Ok(ExitCode::SUCCESS)
}
