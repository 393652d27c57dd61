//! `certdesk dns add | list | show | edit | enable | disable | delete | test | providers`: DNS
//! accounts that publish dns-01 records through a provider's API. Everything but `test`,
//! `providers` and the dns-persist-01 commands (`persist-record`, `persist-check`) is the
//! plumbing the `deploy` group shares ([`crate::configured`]).

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::dns_accounts::DnsAccountInfo;
use certdesk_engine::form::ConfigForm;
use certdesk_engine::next_step::Listing;
use certdesk_engine::persist::{parse_until, PersistCheck, PersistRecordInfo};
use certdesk_engine::{Engine, Result};
use clap::Subcommand;

use crate::configured::{self, Configurations, DeleteArgs, EditArgs};
use crate::output::Out;

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
    Edit(EditArgs),
    Enable {
        name: String,
    },
    Disable {
        name: String,
    },
    Delete(DeleteArgs),
    /// Check the credentials (and access to a zone), leaving every record as it was (RFC 2136
    /// adds a test value at _acme-challenge.ZONE and removes it).
    Test {
        name: String,
        #[arg(long)]
        zone: Option<String>,
    },
    /// The providers and the fields each one takes.
    Providers,
    /// The dns-persist-01 TXT record (name and value) to publish once for an ACME account and a
    /// name: orders with --challenge dns-persist-01 then need no DNS change.
    PersistRecord {
        #[arg(long)]
        domain: String,
        /// Add policy=wildcard: the record also proves *.DOMAIN (implied by a *. name).
        #[arg(long)]
        wildcard: bool,
        /// persistUntil: the CA stops accepting the record then (RFC 3339, or a date YYYY-MM-DD
        /// meaning its midnight UTC).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// The ACME account (the only one when left out).
        #[arg(long)]
        account: Option<String>,
        /// Write it through this DNS account (it stays; nothing removes it after an order).
        #[arg(long, value_name = "DNS_ACCOUNT")]
        write: Option<String>,
    },
    /// Check, reading only, that every authoritative nameserver of DOMAIN's zone serves its
    /// dns-persist-01 record for the account (exit code 1 when one does not).
    PersistCheck {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        account: Option<String>,
        /// Look up through this DNS account's nameservers setting.
        #[arg(long, value_name = "NAME")]
        dns_account: Option<String>,
        /// The servers to ask instead of the zone's NS set (IP:PORT, comma separated).
        #[arg(long, value_name = "IP:PORT,...")]
        nameservers: Option<String>,
    },
}

/// The DNS accounts as the shared plumbing sees them.
struct DnsAccounts;

impl Configurations for DnsAccounts {
    type Info = DnsAccountInfo;
    const WHAT: &'static str = "DNS account";
    const FIELDS: &'static str = "the provider's fields (see `certdesk dns providers`)";
    const LISTING: Listing = Listing::DnsAccounts;

    fn all(engine: &Engine) -> Result<Vec<DnsAccountInfo>> {
        engine.dns_accounts()
    }

    fn one(engine: &Engine, name: &str) -> Result<DnsAccountInfo> {
        engine.dns_account(name)
    }

    fn kind(info: &DnsAccountInfo) -> &str {
        &info.provider
    }

    async fn save(
        engine: &Engine,
        kind: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&DnsAccountInfo>,
        enabled: Option<bool>,
    ) -> Result<DnsAccountInfo> {
        let mut form = ConfigForm::from_config(kind, name, config, existing)?;
        form.enabled = enabled;
        engine.save_dns_account(form).await
    }

    async fn delete(engine: &Engine, name: &str) -> Result<DnsAccountInfo> {
        engine.delete_dns_account(name).await
    }

    async fn set_enabled(engine: &Engine, name: &str, enabled: bool) -> Result<DnsAccountInfo> {
        engine.set_dns_account_enabled(name, enabled).await
    }

    fn line(a: &DnsAccountInfo) -> String {
        format!("{}\t{}\t{}", a.name, a.provider, configured::state(a))
    }

    fn show(out: &Out, a: &DnsAccountInfo) {
        let text = format!(
            "DNS account {} ({}): {}{}",
            a.name,
            a.provider,
            configured::state(a),
            configured::details(a)
        );
        out.value(a, &text);
    }
}

pub async fn run(engine: &Engine, cmd: DnsCmd, out: &Out) -> Result<ExitCode> {
    type C = DnsAccounts;
    match cmd {
        DnsCmd::Add {
            provider,
            name,
            config,
            disabled,
        } => configured::add::<C>(engine, out, &provider, &name, &config, !disabled).await?,
        DnsCmd::List => configured::list::<C>(engine, out)?,
        DnsCmd::Show { name } => configured::show::<C>(engine, out, &name)?,
        DnsCmd::Edit(args) => configured::edit::<C>(engine, out, args).await?,
        DnsCmd::Enable { name } => configured::set_enabled::<C>(engine, out, &name, true).await?,
        DnsCmd::Disable { name } => configured::set_enabled::<C>(engine, out, &name, false).await?,
        DnsCmd::Delete(args) => configured::delete::<C>(engine, out, args).await?,
        DnsCmd::Test { name, zone } => {
            out.done(&engine.test_dns_account(&name, zone.as_deref()).await?)
        }
        DnsCmd::Providers => out.dns_providers(certdesk_engine::dns::PROVIDERS),
        DnsCmd::PersistRecord {
            domain,
            wildcard,
            until,
            account,
            write,
        } => {
            let until = until.as_deref().map(parse_until).transpose()?;
            let info = engine
                .persist_record(
                    account.as_deref(),
                    &domain,
                    wildcard,
                    until,
                    write.as_deref(),
                )
                .await?;
            out.value(&info, &persist_text(&info));
        }
        DnsCmd::PersistCheck {
            domain,
            account,
            dns_account,
            nameservers,
        } => {
            let servers = match nameservers {
                Some(text) => certdesk_engine::dns::lookup::parse_servers(&text)?,
                None => Vec::new(),
            };
            let check = engine
                .check_persist(account.as_deref(), &domain, dns_account.as_deref(), servers)
                .await?;
            out.value(&check, &check_text(&check));
            if !check.ok {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn persist_text(info: &PersistRecordInfo) -> String {
    let mut text = format!(
        "dns-persist-01 record for {} (account {}, CA {}):\n  name:  {}\n  value: {}",
        info.domain, info.account, info.issuer, info.name, info.value
    );
    if let Some(notice) = &info.notice {
        text.push_str(&format!("\nnote: {notice}"));
    }
    text
}

fn check_text(check: &PersistCheck) -> String {
    let mut text = format!(
        "{} in zone {}: {}",
        check.name,
        check.zone,
        if check.ok {
            "every authoritative nameserver serves the record"
        } else {
            "not every authoritative nameserver serves the record"
        }
    );
    for s in &check.servers {
        text.push_str(&format!("\n  {}: {} ({})", s.server, s.state, s.detail));
    }
    if let Some(warning) = &check.warning {
        text.push_str(&format!("\nwarning: {warning}"));
    }
    text
}
