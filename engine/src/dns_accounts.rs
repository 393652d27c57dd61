//! DNS accounts: the credentials certdesk publishes dns-01 TXT records with, at most one per
//! provider, each enabled or disabled.
//!
//! A DNS account is one use of the credentialed configuration ([`crate::form::credentialed`]):
//! every field is checked against the provider's declaration ([`crate::dns::ProviderSpec`]),
//! the same one the window draws its form from. Secret fields are sealed in the vault and never
//! returned: [`DnsAccountInfo`] lists which secrets are set, not their values.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

use crate::activity::Action;
use crate::dns::{self, Config};
use crate::error::{Error, Result};
use crate::form::credentialed::{Actions, ConfigForm, Configured, Credentialed, Kind, Stored};
use crate::form::FieldSpec;
use crate::next_step::{Listing, NextStep};
use crate::request::RequestInfo;
use crate::store::Table;
use crate::Engine;

/// What the faces show of a DNS account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DnsAccountInfo {
    pub name: String,
    pub provider: String,
    #[serde(flatten)]
    pub config: Configured,
}

impl Deref for DnsAccountInfo {
    type Target = Configured;
    fn deref(&self) -> &Configured {
        &self.config
    }
}

impl DerefMut for DnsAccountInfo {
    fn deref_mut(&mut self) -> &mut Configured {
        &mut self.config
    }
}

impl Credentialed for DnsAccountInfo {
    const TABLE: Table = Table::DnsAccounts;
    const WHAT: &'static str = "DNS account";
    const LISTING: Listing = Listing::DnsAccounts;
    const ACTIONS: Actions = Actions {
        add: Action::AddDnsAccount,
        edit: Action::EditDnsAccount,
        delete: Action::DeleteDnsAccount,
        enable: Action::EnableDnsAccount,
        disable: Action::DisableDnsAccount,
        test: Action::TestDnsAccount,
    };

    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        &self.provider
    }

    fn kind_of(kind: &str) -> Result<Kind> {
        let spec = dns::provider(kind)?;
        Ok(Kind {
            id: spec.id,
            owner: spec.label.to_owned(),
            fields: spec.fields().collect(),
        })
    }

    fn validate_name(name: &str) -> Result<()> {
        crate::labels::validate_account_name(name)
    }

    fn made(name: String, kind: &'static str, config: Configured, _: Option<&Self>) -> Self {
        Self {
            name,
            provider: kind.to_owned(),
            config,
        }
    }

    fn missing(kind: &Kind, field: &FieldSpec) -> Error {
        Error::input(format!(
            "{} needs {}: {}",
            kind.owner, field.label, field.help
        ))
    }

    fn refuse_beside(&self, others: &[Self]) -> Result<()> {
        match others.iter().find(|a| a.provider == self.provider) {
            None => Ok(()),
            Some(same) => Err(Error::input(format!(
                "DNS account {:?} already uses {}: certdesk keeps one account per provider; edit \
                 that one",
                same.name,
                dns::provider(&self.provider)?.label
            ))),
        }
    }

    fn named_by(request: &RequestInfo) -> Option<&str> {
        request.dns_account.as_deref()
    }

    fn reference(request: &mut RequestInfo) -> Option<&mut Option<String>> {
        Some(&mut request.dns_account)
    }

    fn in_use(name: &str, users: &[&str]) -> Error {
        let one = users.len() == 1;
        let them = if one { "it" } else { "them" };
        Error::input(format!(
            "DNS account {name:?} is used by request{} {}: assign {them} another account or \
             delete {them} first",
            if one { "" } else { "s" },
            users.join(", "),
        ))
    }

    fn disabled(name: &str) -> Error {
        Error::blocked(
            format!("DNS account {name:?} is disabled"),
            NextStep::EnableDnsAccount {
                account: name.to_owned(),
            },
        )
    }
}

impl Engine {
    pub fn dns_accounts(&self) -> Result<Vec<DnsAccountInfo>> {
        self.configurations.all()
    }

    pub fn dns_account(&self, name: &str) -> Result<DnsAccountInfo> {
        self.configurations
            .stored(name)
            .map(|a: Stored<DnsAccountInfo>| a.info)
    }

    /// Adds or edits a DNS account (the form's kind is the provider): every field is checked
    /// against the provider's declaration, secrets are sealed, kept or cleared as the form asks,
    /// and the result must make a working provider configuration. A rename carries the requests
    /// that use the account along.
    pub async fn save_dns_account(&self, form: ConfigForm) -> Result<DnsAccountInfo> {
        let action = DnsAccountInfo::ACTIONS.saving(&form);
        let name = form.name.clone();
        let saving = self
            .configurations
            .saving::<DnsAccountInfo>(form)
            .and_then(|saving| {
                self.open_config(&saving.stored)?.check()?;
                Ok(saving)
            });
        self.save_configuration(action, &name, saving).await
    }

    /// Deletes an account no request uses.
    pub async fn delete_dns_account(&self, name: &str) -> Result<DnsAccountInfo> {
        self.delete_configuration::<DnsAccountInfo>(None, name)
            .await
    }

    /// A disabled account is kept with its credentials but publishes nothing.
    pub async fn set_dns_account_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<DnsAccountInfo> {
        self.enable_configuration(name, enabled).await
    }

    /// Checks the account's credentials (and its access to `zone`), and remembers the outcome
    /// as its last test; what each provider changes while it does is in
    /// [`crate::dns::DnsProvider::test`].
    pub async fn test_dns_account(&self, name: &str, zone: Option<&str>) -> Result<String> {
        let outcome = match self
            .configurations
            .stored(name)
            .and_then(|s| self.open_config(&s))
        {
            Ok(config) => match (config.spec.build)(&config) {
                Ok(provider) => provider.test(zone).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        self.record_test::<DnsAccountInfo, _>(name, outcome, String::as_str)
            .await
    }

    /// The enabled account `name`, opened for publishing.
    pub(crate) fn dns_config(&self, name: &str) -> Result<Config> {
        self.open_config(&self.configurations.usable(name)?)
    }

    fn open_config(&self, stored: &Stored<DnsAccountInfo>) -> Result<Config> {
        let spec = dns::provider(&stored.info.provider)?;
        Ok(Config::new(
            spec,
            stored.info.name.clone(),
            self.configurations.opened(stored)?,
        ))
    }
}

/// The stored record of a DNS account.
pub(crate) type StoredAccount = Stored<DnsAccountInfo>;
