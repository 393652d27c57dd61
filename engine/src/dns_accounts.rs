//! DNS accounts: the credentials certdesk publishes dns-01 TXT records with, at most one per
//! provider, each enabled or disabled.
//!
//! Every field is checked against the provider's declaration ([`crate::dns::ProviderSpec`]),
//! the same one the window draws its form from. Secret fields are sealed in the vault and never
//! returned: [`DnsAccountInfo`] lists which secrets are set, not their values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dns::{self, Config, ProviderSpec};
use crate::error::{Error, Result};
use crate::form::SecretChange;
use crate::next_step::Listing;
use crate::request::RequestRecord;
use crate::store::{Change, Record, Table};
use crate::vault::Sealed;
use crate::Engine;

/// What the faces show of a DNS account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DnsAccountInfo {
    pub name: String,
    pub provider: String,
    pub enabled: bool,
    /// The non-secret fields.
    pub fields: BTreeMap<String, String>,
    /// The names of the secret fields that hold a value.
    pub secrets_set: Vec<String>,
}

/// A DNS account form as submitted, for a new account or an edit.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct DnsAccountForm {
    /// The account being edited (it may be renamed); none for a new one.
    #[serde(default)]
    pub original_name: Option<String>,
    pub name: String,
    pub provider: String,
    pub enabled: bool,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretChange>,
}

impl DnsAccountForm {
    /// A form from a configuration file's JSON object (the CLI's `--config`): secret fields are
    /// set, the others given as they are. Lists of strings become comma-separated text and other
    /// structures (RFC 2136 `zones`) their JSON. Editing keeps what the file leaves out.
    pub fn from_config(
        provider: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&DnsAccountInfo>,
    ) -> Result<Self> {
        let spec = dns::provider(provider)?;
        let (fields, secrets) = crate::form::from_config(
            spec.label,
            &spec.fields().copied().collect::<Vec<_>>(),
            config,
            existing.map(|e| e.fields.clone()).unwrap_or_default(),
        )?;
        Ok(Self {
            original_name: existing.map(|e| e.name.clone()),
            name: name.to_owned(),
            provider: spec.id.to_owned(),
            enabled: existing.is_none_or(|e| e.enabled),
            fields,
            secrets,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredAccount {
    #[serde(flatten)]
    info: DnsAccountInfo,
    secrets: BTreeMap<String, Sealed>,
}

impl Record for StoredAccount {
    const TABLE: Table = Table::DnsAccounts;
    fn key(&self) -> &str {
        &self.info.name
    }
}

impl crate::sealing::Sealing for StoredAccount {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        crate::form::sealed_fields(&mut self.secrets)
    }
}

impl Engine {
    pub fn dns_accounts(&self) -> Result<Vec<DnsAccountInfo>> {
        Ok(self
            .scan_sealed::<StoredAccount>()?
            .records
            .into_iter()
            .map(|a| a.info)
            .collect())
    }

    pub fn dns_account(&self, name: &str) -> Result<DnsAccountInfo> {
        self.stored_dns_account(name).map(|a| a.info)
    }

    fn stored_dns_account(&self, name: &str) -> Result<StoredAccount> {
        self.store
            .get::<StoredAccount>(name)?
            .ok_or_else(|| not_found(name))
    }

    /// Adds or edits a DNS account: every field is checked against the provider's declaration,
    /// secrets are sealed, kept or cleared as the form asks, and the result must make a working
    /// provider configuration. A rename carries the requests that use the account along.
    pub async fn save_dns_account(&self, form: DnsAccountForm) -> Result<DnsAccountInfo> {
        let spec = dns::provider(&form.provider)?;
        crate::labels::validate_account_name(&form.name)?;
        let existing = form
            .original_name
            .as_deref()
            .map(|n| self.stored_dns_account(n))
            .transpose()?;
        let others: Vec<DnsAccountInfo> = self
            .dns_accounts()?
            .into_iter()
            .filter(|a| Some(&a.name) != form.original_name.as_ref())
            .collect();
        if others.iter().any(|a| a.name == form.name) {
            return Err(Error::input(format!(
                "a DNS account named {:?} exists already",
                form.name
            )));
        }
        if let Some(same) = others.iter().find(|a| a.provider == spec.id) {
            return Err(Error::input(format!(
                "DNS account {:?} already uses {}: certdesk keeps one account per provider; edit \
                 that one",
                same.name, spec.label
            )));
        }
        let stored_secrets = match &existing {
            Some(a) if a.info.provider == spec.id => a.secrets.clone(),
            _ => BTreeMap::new(),
        };
        let secrets = crate::form::Secrets {
            vault: &self.vault,
            table: StoredAccount::TABLE,
            from: form.original_name.as_deref().unwrap_or(&form.name),
            to: &form.name,
            sealed: stored_secrets,
        };
        let (fields, secrets) = crate::form::apply(
            spec.label,
            &spec.fields().copied().collect::<Vec<_>>(),
            &form.fields,
            &form.secrets,
            secrets,
            |field| missing(spec, field),
        )?;
        let stored = StoredAccount {
            info: DnsAccountInfo {
                name: form.name,
                provider: spec.id.to_owned(),
                enabled: form.enabled,
                fields,
                secrets_set: secrets.keys().cloned().collect(),
            },
            secrets,
        };
        self.open_config(&stored)?.check()?;
        let mut change = Change::new().put(&stored);
        if let Some(old) = existing.filter(|old| old.info.name != stored.info.name) {
            change = change.delete::<StoredAccount>(&old.info.name);
            for mut request in self.requests_using(&old.info.name)? {
                request.info.dns_account = Some(stored.info.name.clone());
                change = change.put(&request);
            }
        }
        self.store.commit(change).await?;
        Ok(stored.info)
    }

    /// Deletes an account no request uses.
    pub async fn delete_dns_account(&self, name: &str) -> Result<DnsAccountInfo> {
        let stored = self.stored_dns_account(name)?;
        let users = self.requests_using(name)?;
        if !users.is_empty() {
            return Err(Error::input(format!(
                "DNS account {name:?} is used by request{} {}: assign {} another account (certdesk \
                 request assign-dns ID ACCOUNT) or delete {} first",
                if users.len() == 1 { "" } else { "s" },
                users
                    .iter()
                    .map(|r| r.info.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if users.len() == 1 { "it" } else { "them" },
                if users.len() == 1 { "it" } else { "them" },
            )));
        }
        self.store
            .commit(Change::new().delete::<StoredAccount>(name))
            .await?;
        Ok(stored.info)
    }

    /// A disabled account is kept with its credentials but publishes nothing.
    pub async fn set_dns_account_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<DnsAccountInfo> {
        let mut stored = self.stored_dns_account(name)?;
        stored.info.enabled = enabled;
        self.store.commit(Change::new().put(&stored)).await?;
        Ok(stored.info)
    }

    /// Checks the account's credentials (and its access to `zone`); what each provider changes
    /// while it does is in [`crate::dns::DnsProvider::test`].
    pub async fn test_dns_account(&self, name: &str, zone: Option<&str>) -> Result<String> {
        let config = self.open_config(&self.stored_dns_account(name)?)?;
        let provider = (config.spec.build)(&config)?;
        provider.test(zone).await
    }

    /// The enabled account `name`, opened for publishing.
    pub(crate) fn dns_config(&self, name: &str) -> Result<Config> {
        let stored = self.stored_dns_account(name)?;
        if !stored.info.enabled {
            return Err(Error::input(format!(
                "DNS account {name:?} is disabled: enable it (certdesk dns enable {name}) or \
                 assign another"
            )));
        }
        self.open_config(&stored)
    }

    fn open_config(&self, stored: &StoredAccount) -> Result<Config> {
        let spec = dns::provider(&stored.info.provider)?;
        let values = crate::form::open(
            &self.vault,
            StoredAccount::TABLE,
            &stored.info.name,
            &stored.info.fields,
            &stored.secrets,
        )?;
        Ok(Config::new(spec, stored.info.name.clone(), values))
    }

    fn requests_using(&self, name: &str) -> Result<Vec<RequestRecord>> {
        Ok(self
            .store
            .list::<RequestRecord>()?
            .into_iter()
            .filter(|r| r.info.dns_account.as_deref() == Some(name))
            .collect())
    }
}

fn not_found(name: &str) -> Error {
    Error::NotFound {
        what: "DNS account",
        id: name.to_owned(),
        listing: Listing::DnsAccounts,
    }
}

fn missing(spec: &ProviderSpec, field: &dns::FieldSpec) -> Error {
    Error::input(format!(
        "{} needs {}: {}",
        spec.label, field.label, field.help
    ))
}
