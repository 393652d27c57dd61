//! Credentialed configurations declared as data: DNS accounts and deploy mappings are each a
//! list of [`FieldSpec`]s, which the CLI checks a configuration file against and the window draws
//! its form from. This module holds what both do with such a form: read a configuration file
//! into it, seal its secrets, and open them again for use; [`credentialed`] holds the named,
//! stored configuration built on it, which both are instances of.

pub(crate) mod credentialed;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::store::Table;

use crate::vault::{Place, Sealed, Vault};
pub use credentialed::{Actions, ConfigForm, Configured, Credentialed, Kind, TestResult};

/// Declared in certdesk-base, below the DNS providers that declare their fields with it too.
pub use certdesk_base::field::FieldSpec;

/// What to do with a stored secret when a form is saved: a secret field of a DNS account or a
/// deploy mapping, or the SMTP password.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "action", content = "value", rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum SecretChange {
    /// Leave it as it is (the form showed "set" and the field was not touched).
    #[default]
    Keep,
    Set(String),
    Clear,
}

/// A configuration file's JSON object as a form: secret fields are set, the others given as they
/// are. Lists of strings become comma-separated text and other structures their JSON. `fields`
/// starts from the values being edited, so an edit keeps what the file leaves out. `owner` names
/// what is configured in messages (e.g. "Cloudflare", "SSH mapping").
pub(crate) fn from_config(
    owner: &str,
    specs: &[FieldSpec],
    config: &serde_json::Map<String, serde_json::Value>,
    mut fields: BTreeMap<String, String>,
) -> Result<(BTreeMap<String, String>, BTreeMap<String, SecretChange>)> {
    let mut secrets = BTreeMap::new();
    for (key, value) in config {
        let field = specs.iter().find(|f| f.name == key).ok_or_else(|| {
            Error::input(format!(
                "{owner} has no field {key:?}; its fields are: {}",
                specs.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            serde_json::Value::Array(items) if items.iter().all(|v| v.is_string()) => items
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        if field.secret {
            secrets.insert(key.clone(), SecretChange::Set(text));
        } else {
            fields.insert(key.clone(), text);
        }
    }
    Ok((fields, secrets))
}

/// The field under which a form's secret `name` is sealed in its record.
fn secret_field(name: &str) -> String {
    format!("secrets/{name}")
}

/// A record's sealed secrets, each with its field, for [`crate::sealing::Sealing`].
pub(crate) fn sealed_fields(secrets: &mut BTreeMap<String, Sealed>) -> Vec<(String, &mut Sealed)> {
    secrets
        .iter_mut()
        .map(|(name, sealed)| (secret_field(name), sealed))
        .collect()
}

/// The stored secrets of a record being saved: sealed for the record `from` (its key as stored;
/// the new key for a new record), to be sealed for `to` (its key once saved: another on a
/// rename), in `table`.
pub(crate) struct Secrets<'a> {
    pub vault: &'a Vault,
    pub table: Table,
    pub from: &'a str,
    pub to: &'a str,
    pub sealed: BTreeMap<String, Sealed>,
}

impl Secrets<'_> {
    fn place<'p>(&self, record: &'p str, field: &'p str) -> Place<'p> {
        Place {
            table: self.table.name(),
            record,
            field,
        }
    }

    /// The kept secrets sealed again for the record's new key (a forgotten one stays forgotten).
    fn moved(mut self) -> Result<Self> {
        if self.from == self.to {
            return Ok(self);
        }
        let mut moved = BTreeMap::new();
        for (name, sealed) in &self.sealed {
            let field = secret_field(name);
            let sealed = match sealed.is_forgotten() {
                true => sealed.clone(),
                false => {
                    let plain = self
                        .vault
                        .open_sealed(&self.place(self.from, &field), sealed)?;
                    self.vault.seal(&self.place(self.to, &field), &plain)
                }
            };
            moved.insert(name.clone(), sealed);
        }
        self.sealed = moved;
        self.from = self.to;
        Ok(self)
    }

    /// `value` sealed as the record's secret `name`.
    fn seal(&self, name: &str, value: &str) -> Sealed {
        let field = secret_field(name);
        self.vault.seal_str(&self.place(self.to, &field), value)
    }
}

/// A submitted form checked against `specs` and applied to the `stored` secrets: every field
/// must be declared, required ones must hold a value, and secrets are sealed, kept or cleared as
/// the form asks. Returns the plain fields (trimmed, empty ones left out) and the sealed secrets.
pub(crate) fn apply(
    owner: &str,
    specs: &[FieldSpec],
    form_fields: &BTreeMap<String, String>,
    form_secrets: &BTreeMap<String, SecretChange>,
    stored: Secrets,
    missing: impl Fn(&FieldSpec) -> Error,
) -> Result<(BTreeMap<String, String>, BTreeMap<String, Sealed>)> {
    for name in form_fields.keys().chain(form_secrets.keys()) {
        if !specs.iter().any(|f| f.name == name) {
            return Err(Error::input(format!("{owner} has no field {name:?}")));
        }
    }
    let mut stored = stored.moved()?;
    let mut fields = BTreeMap::new();
    for field in specs {
        if field.secret {
            match form_secrets.get(field.name).cloned().unwrap_or_default() {
                SecretChange::Keep => {}
                SecretChange::Clear => {
                    stored.sealed.remove(field.name);
                }
                SecretChange::Set(v) if v.trim().is_empty() => {
                    stored.sealed.remove(field.name);
                }
                SecretChange::Set(v) => {
                    let sealed = stored.seal(field.name, v.trim());
                    stored.sealed.insert(field.name.to_owned(), sealed);
                }
            }
            if field.required && !stored.sealed.contains_key(field.name) {
                return Err(missing(field));
            }
        } else {
            let value = form_fields
                .get(field.name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default();
            if value.is_empty() {
                if field.required {
                    return Err(missing(field));
                }
            } else {
                fields.insert(field.name.to_owned(), value);
            }
        }
    }
    Ok((fields, stored.sealed))
}

/// The plain fields and the unsealed secrets together, for the short time they are used.
pub(crate) fn open(
    vault: &Vault,
    table: Table,
    record: &str,
    fields: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, Sealed>,
) -> Result<BTreeMap<String, Zeroizing<String>>> {
    let mut values: BTreeMap<String, Zeroizing<String>> = fields
        .iter()
        .map(|(k, v)| (k.clone(), Zeroizing::new(v.clone())))
        .collect();
    for (k, sealed) in secrets {
        let field = secret_field(k);
        let place = Place {
            table: table.name(),
            record,
            field: &field,
        };
        values.insert(k.clone(), vault.open_string(&place, sealed)?);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: [FieldSpec; 2] = [
        FieldSpec::new("server", "Server", "where"),
        FieldSpec::new("token", "Token", "the API token").secret(),
    ];

    fn save(
        vault: &Vault,
        from: &str,
        to: &str,
        sealed: BTreeMap<String, Sealed>,
        token: SecretChange,
    ) -> BTreeMap<String, Sealed> {
        let fields = BTreeMap::from([("server".to_owned(), "ns1".to_owned())]);
        let secrets = BTreeMap::from([("token".to_owned(), token)]);
        let stored = Secrets {
            vault,
            table: Table::DnsAccounts,
            from,
            to,
            sealed,
        };
        apply("a test form", &SPECS, &fields, &secrets, stored, |f| {
            Error::input(f.name)
        })
        .unwrap()
        .1
    }

    fn token_of(vault: &Vault, record: &str, sealed: &BTreeMap<String, Sealed>) -> String {
        let values = open(vault, Table::DnsAccounts, record, &BTreeMap::new(), sealed).unwrap();
        values["token"].as_str().to_owned()
    }

    #[test]
    fn a_rename_takes_the_kept_secrets_to_the_new_record() {
        let vault = Vault::from_key([4; 32]);
        let old = save(
            &vault,
            "a",
            "a",
            BTreeMap::new(),
            SecretChange::Set("s3cret".into()),
        );
        assert_eq!(token_of(&vault, "a", &old), "s3cret");
        let renamed = save(&vault, "a", "b", old.clone(), SecretChange::Keep);
        assert_eq!(token_of(&vault, "b", &renamed), "s3cret");
        assert!(open(&vault, Table::DnsAccounts, "b", &BTreeMap::new(), &old).is_err());
        assert!(open(&vault, Table::DnsAccounts, "a", &BTreeMap::new(), &renamed).is_err());
    }
}
