//! DNS accounts: the credentials certdesk uses to publish dns-01 TXT records through a DNS
//! provider's API, one named account per zone owner.
//!
//! Each provider declares its fields as data ([`ProviderSpec`]: name, label, secret or not,
//! required, help), as lego does in its TOML files, so that the CLI can check a configuration and
//! the window can draw the form from the same declaration. Adding a provider is one entry in
//! [`PROVIDERS`] plus its code. The providers themselves arrive with the DNS work; until then the
//! list is empty and the faces say so.
//!
//! Secret fields are sealed in the vault and never returned: [`DnsAccountInfo`] lists which
//! secrets are set, not their values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::SecretChange;
use crate::store::{Change, Record, Table};
use crate::vault::Sealed;
use crate::Engine;

/// The key of the DNS accounts record in the settings tree.
const KEY: &str = "dns_accounts";

/// One field of a provider's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// The key in the configuration, e.g. `api_token`.
    pub name: &'static str,
    pub label: &'static str,
    /// Sealed in the vault and never shown again once saved.
    pub secret: bool,
    pub required: bool,
    /// One sentence on where to find the value.
    pub help: &'static str,
}

/// A DNS provider certdesk can publish TXT records with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProviderSpec {
    /// The id stored with an account, e.g. `cloudflare`.
    pub id: &'static str,
    pub label: &'static str,
    pub fields: &'static [FieldSpec],
}

/// Every provider certdesk supports. Empty until the DNS providers are implemented.
pub const PROVIDERS: &[ProviderSpec] = &[];

/// The provider with the id `id`.
pub fn provider(id: &str) -> Result<&'static ProviderSpec> {
    PROVIDERS.iter().find(|p| p.id == id).ok_or_else(|| {
        if PROVIDERS.is_empty() {
            Error::input(
                "certdesk has no DNS providers yet: publish dns-01 TXT records by hand for now",
            )
        } else {
            Error::input(format!(
                "unknown DNS provider {id:?}: choose one of {}",
                PROVIDERS
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    })
}

/// What the faces show of a DNS account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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

#[derive(Serialize, Deserialize)]
struct StoredAccount {
    #[serde(flatten)]
    info: DnsAccountInfo,
    secrets: BTreeMap<String, Sealed>,
}

#[derive(Serialize, Deserialize, Default)]
struct DnsAccounts {
    accounts: Vec<StoredAccount>,
}

impl Record for DnsAccounts {
    const TABLE: Table = Table::Settings;
    fn key(&self) -> &str {
        KEY
    }
}

impl Engine {
    fn dns_record(&self) -> Result<DnsAccounts> {
        Ok(self.store.get::<DnsAccounts>(KEY)?.unwrap_or_default())
    }

    pub fn dns_accounts(&self) -> Result<Vec<DnsAccountInfo>> {
        Ok(self
            .dns_record()?
            .accounts
            .into_iter()
            .map(|a| a.info)
            .collect())
    }

    /// Adds or edits a DNS account: every field is checked against the provider's declaration,
    /// and secrets are sealed, kept or cleared as the form asks.
    pub async fn save_dns_account(&self, form: DnsAccountForm) -> Result<DnsAccountInfo> {
        let spec = provider(&form.provider)?;
        crate::account::validate_account_name(&form.name)?;
        let mut all = self.dns_record()?;
        let existing = match &form.original_name {
            Some(original) => Some(
                all.accounts
                    .iter()
                    .position(|a| &a.info.name == original)
                    .ok_or_else(|| not_found(original))?,
            ),
            None => None,
        };
        if all
            .accounts
            .iter()
            .enumerate()
            .any(|(i, a)| a.info.name == form.name && Some(i) != existing)
        {
            return Err(Error::input(format!(
                "a DNS account named {:?} exists already",
                form.name
            )));
        }
        let mut secrets = match existing {
            Some(i) if all.accounts[i].info.provider == spec.id => all.accounts[i].secrets.clone(),
            _ => BTreeMap::new(),
        };
        let mut fields = BTreeMap::new();
        for name in form.fields.keys().chain(form.secrets.keys()) {
            if !spec.fields.iter().any(|f| f.name == name) {
                return Err(Error::input(format!(
                    "{} has no field {name:?}",
                    spec.label
                )));
            }
        }
        for field in spec.fields {
            if field.secret {
                match form.secrets.get(field.name).cloned().unwrap_or_default() {
                    SecretChange::Keep => {}
                    SecretChange::Clear => {
                        secrets.remove(field.name);
                    }
                    SecretChange::Set(v) if v.trim().is_empty() => {
                        secrets.remove(field.name);
                    }
                    SecretChange::Set(v) => {
                        secrets.insert(field.name.to_owned(), self.vault.seal_str(v.trim()));
                    }
                }
                if field.required && !secrets.contains_key(field.name) {
                    return Err(missing(spec, field));
                }
            } else {
                let value = form
                    .fields
                    .get(field.name)
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default();
                if value.is_empty() {
                    if field.required {
                        return Err(missing(spec, field));
                    }
                } else {
                    fields.insert(field.name.to_owned(), value);
                }
            }
        }
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
        let info = stored.info.clone();
        match existing {
            Some(i) => all.accounts[i] = stored,
            None => all.accounts.push(stored),
        }
        self.store.commit(Change::new().put(&all)).await?;
        Ok(info)
    }

    pub async fn delete_dns_account(&self, name: &str) -> Result<DnsAccountInfo> {
        let mut all = self.dns_record()?;
        let i = all
            .accounts
            .iter()
            .position(|a| a.info.name == name)
            .ok_or_else(|| not_found(name))?;
        let removed = all.accounts.remove(i);
        self.store.commit(Change::new().put(&all)).await?;
        Ok(removed.info)
    }

    /// A disabled account is kept with its credentials but not used for new requests.
    pub async fn set_dns_account_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<DnsAccountInfo> {
        let mut all = self.dns_record()?;
        let account = all
            .accounts
            .iter_mut()
            .find(|a| a.info.name == name)
            .ok_or_else(|| not_found(name))?;
        account.info.enabled = enabled;
        let info = account.info.clone();
        self.store.commit(Change::new().put(&all)).await?;
        Ok(info)
    }
}

fn not_found(name: &str) -> Error {
    Error::NotFound {
        what: "DNS account",
        id: name.to_owned(),
        hint: "see the DNS accounts list",
    }
}

fn missing(spec: &ProviderSpec, field: &FieldSpec) -> Error {
    Error::input(format!(
        "{} needs {}: {}",
        spec.label, field.label, field.help
    ))
}
