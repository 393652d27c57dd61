//! Deploy mappings: how certdesk reaches one end server, kept in the deployments tree with their
//! secrets sealed, and the last deployment's result for the Deploy tab.
//!
//! A mapping is set once; a request that names it (`certdesk request set-deploy`) has its http-01
//! tokens (and, when the mapping answers dns-01, its TXT records) published through it and, with
//! automatic deployment on, its certificate installed after validation and after every renewal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Bundle, DeployTarget, Deployed, Dns01Source, Probe, TargetConfig, TargetSpec};
use crate::dns::Propagation;
use crate::error::{Error, Result};
use crate::form::FieldSpec;
use crate::form::SecretChange;
use crate::keystore::CertBundle;
use crate::names::ChallengeType;
use crate::next_step::{Listing, NextStep, Publisher};
use crate::request::{RequestInfo, RequestRecord, RequestStatus};
use crate::store::{Change, Record, Table};
use crate::vault::Sealed;
use crate::Engine;

/// The outcome of a mapping's latest deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LastDeploy {
    pub ok: bool,
    /// The certificate (repository id) that was deployed.
    pub cert: String,
    /// What happened, in words: the summary, or the error.
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
}

/// What the faces show of a mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct MappingInfo {
    pub name: String,
    /// `ssh` or `agent`.
    pub kind: String,
    /// The non-secret fields.
    pub fields: BTreeMap<String, String>,
    /// The names of the secret fields that hold a value.
    pub secrets_set: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deploy: Option<LastDeploy>,
    /// How the mapping publishes dns-01 TXT records, in words; none when it does not (dns-01 then
    /// goes to the request's DNS account, else to the administrator). An agent's answer is the
    /// one it gave last (see [`Dns01Source::Server`]).
    #[serde(default)]
    pub dns01: Option<String>,
}

/// A mapping form as submitted, for a new mapping or an edit.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct MappingForm {
    /// The mapping being edited (it may be renamed); none for a new one.
    #[serde(default)]
    pub original_name: Option<String>,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretChange>,
}

impl MappingForm {
    /// A form from a configuration file's JSON object (the CLI's `--config`); editing keeps what
    /// the file leaves out.
    pub fn from_config(
        kind: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&MappingInfo>,
    ) -> Result<Self> {
        let spec = super::kind(kind)?;
        let (fields, secrets) = crate::form::from_config(
            &format!("a {} mapping", spec.label),
            spec.fields,
            config,
            existing.map(|e| e.fields.clone()).unwrap_or_default(),
        )?;
        Ok(Self {
            original_name: existing.map(|e| e.name.clone()),
            name: name.to_owned(),
            kind: spec.kind.to_owned(),
            fields,
            secrets,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredMapping {
    #[serde(flatten)]
    info: MappingInfo,
    secrets: BTreeMap<String, Sealed>,
}

impl Record for StoredMapping {
    const TABLE: Table = Table::Deployments;
    fn key(&self) -> &str {
        &self.info.name
    }
}

impl crate::sealing::Sealing for StoredMapping {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        crate::form::sealed_fields(&mut self.secrets)
    }
}

impl Engine {
    pub fn deployments(&self) -> Result<Vec<MappingInfo>> {
        Ok(self
            .scan_sealed::<StoredMapping>()?
            .records
            .into_iter()
            .map(|m| m.info)
            .collect())
    }

    pub fn deployment(&self, name: &str) -> Result<MappingInfo> {
        self.stored_mapping(name).map(|m| m.info)
    }

    fn stored_mapping(&self, name: &str) -> Result<StoredMapping> {
        self.store
            .get::<StoredMapping>(name)?
            .ok_or_else(|| Error::NotFound {
                what: "deploy mapping",
                id: name.to_owned(),
                listing: Listing::Deployments,
            })
    }

    /// Adds or edits a mapping: every field is checked against its kind's declaration, secrets
    /// are sealed, kept or cleared as the form asks, and the result must make a target (checked
    /// without the network). A rename carries the requests that use the mapping along.
    pub async fn save_deployment(&self, form: MappingForm) -> Result<MappingInfo> {
        let spec = super::kind(&form.kind)?;
        crate::labels::validate_name("mapping", &form.name)?;
        let existing = form
            .original_name
            .as_deref()
            .map(|n| self.stored_mapping(n))
            .transpose()?;
        if form.original_name.as_deref() != Some(form.name.as_str())
            && self.store.get::<StoredMapping>(&form.name)?.is_some()
        {
            return Err(Error::input(format!(
                "a deploy mapping named {:?} exists already: choose another name or edit it",
                form.name
            )));
        }
        let stored_secrets = match &existing {
            Some(m) if m.info.kind == spec.kind => m.secrets.clone(),
            _ => BTreeMap::new(),
        };
        let owner = format!("a {} mapping", spec.label);
        let secrets = crate::form::Secrets {
            vault: &self.vault,
            table: StoredMapping::TABLE,
            from: form.original_name.as_deref().unwrap_or(&form.name),
            to: &form.name,
            sealed: stored_secrets,
        };
        let (fields, secrets) = crate::form::apply(
            &owner,
            spec.fields,
            &form.fields,
            &form.secrets,
            secrets,
            |field| missing(spec, field),
        )?;
        let mut stored = StoredMapping {
            info: MappingInfo {
                name: form.name,
                kind: spec.kind.to_owned(),
                fields,
                secrets_set: secrets.keys().cloned().collect(),
                last_deploy: existing.as_ref().and_then(|m| m.info.last_deploy.clone()),
                dns01: None,
            },
            secrets,
        };
        let (target, _) = self.open_target(&stored)?;
        stored.info.dns01 = match spec.dns01 {
            Dns01Source::Mapping => target.dns01().await?,
            Dns01Source::Server => existing
                .as_ref()
                .filter(|m| m.info.kind == spec.kind)
                .and_then(|m| m.info.dns01.clone()),
        };
        let mut change = Change::new().put(&stored);
        if let Some(old) = existing.filter(|old| old.info.name != stored.info.name) {
            change = change.delete::<StoredMapping>(&old.info.name);
            for mut request in self.requests_deploying_to(&old.info.name)? {
                request.info.deploy = Some(stored.info.name.clone());
                change = change.put(&request);
            }
        }
        self.store.commit(change).await?;
        Ok(stored.info)
    }

    /// Deletes a mapping no request uses.
    pub async fn delete_deployment(&self, name: &str) -> Result<MappingInfo> {
        let stored = self.stored_mapping(name)?;
        let users = self.requests_deploying_to(name)?;
        if !users.is_empty() {
            let ids: Vec<&str> = users.iter().map(|r| r.info.id.as_str()).collect();
            return Err(Error::input(format!(
                "deploy mapping {name:?} is used by request(s) {}: give them another mapping or \
                 none (certdesk request set-deploy ID MAPPING, or --none) first",
                ids.join(", ")
            )));
        }
        self.store
            .commit(Change::new().delete::<StoredMapping>(name))
            .await?;
        Ok(stored.info)
    }

    /// Connects and authenticates without changing anything on the server. With `accept`, an
    /// identity the server presented that the mapping does not pin yet (the SSH host key) is
    /// pinned: the administrator has seen it and confirms it.
    pub async fn test_deployment(&self, name: &str, accept: bool) -> Result<Probe> {
        let mut stored = self.stored_mapping(name)?;
        let mut target = self.open_target(&stored)?.0;
        let mut probe = target.test().await?;
        if let Some(pin) = probe.unpinned.take_if(|_| accept) {
            stored.info.fields.insert(pin.field.to_owned(), pin.value);
            self.store.commit(Change::new().put(&stored)).await?;
            // Now that the identity is pinned, the test can log in.
            target = self.open_target(&stored)?.0;
            probe = target.test().await?;
        }
        if probe.unpinned.is_none() {
            self.remember_dns01(name, target.dns01().await?).await?;
        }
        Ok(probe)
    }

    /// Remembers how mapping `name` answers dns-01 as the end server said just now, for the
    /// faces and the renewal plan.
    pub(crate) async fn remember_dns01(&self, name: &str, answer: Option<String>) -> Result<()> {
        let mut current = self.stored_mapping(name)?;
        if current.info.dns01 != answer {
            current.info.dns01 = answer;
            self.store.commit(Change::new().put(&current)).await?;
        }
        Ok(())
    }

    /// Gives a request a mapping (or, with `None`, takes it away). Its http-01 tokens are then
    /// published through the mapping; with `auto`, its certificate is deployed after validation
    /// and after every renewal.
    pub async fn set_deploy(
        &self,
        id: &str,
        mapping: Option<&str>,
        auto: bool,
    ) -> Result<RequestInfo> {
        let mut record = self.request_record(id)?;
        let stored =
            match mapping {
                Some(name) => Some(self.stored_mapping(name)?),
                None if auto => return Err(Error::input(
                    "automatic deployment needs a mapping: name one (certdesk request set-deploy \
                     ID MAPPING --auto)",
                )),
                None => None,
            };
        record.info.deploy = mapping.map(str::to_owned);
        record.info.auto_deploy = auto;
        record.info.updated = OffsetDateTime::now_utc();
        let waiting = record.info.status == RequestStatus::Pending;
        if let (true, ChallengeType::Dns01, Some(stored)) =
            (waiting, record.info.challenge_type, &stored)
        {
            let name = &stored.info.name;
            // An agent is asked now; when it cannot be reached, its last answer stands.
            let answers = match self.open_target(stored)?.0.dns01().await {
                Ok(answer) => {
                    let answers = answer.is_some();
                    self.remember_dns01(name, answer).await?;
                    answers
                }
                Err(_) => stored.info.dns01.is_some(),
            };
            let declined = (!answers).then(|| self.dns01_declined(name)).transpose()?;
            let verify = |by| NextStep::Verify {
                request: id.to_owned(),
                by,
            };
            record.info.next_step = Some(match (declined, &record.info.dns_account) {
                (None, _) => verify(Publisher::Mapping {
                    mapping: name.clone(),
                }),
                (Some(declined), Some(account)) => verify(Publisher::DnsAccountInstead {
                    declined,
                    account: account.clone(),
                }),
                (Some(declined), None) => NextStep::publish_by_hand(declined, id),
            });
        }
        self.store.commit(Change::new().put(&record)).await?;
        Ok(record.info)
    }

    /// Deploys the current version of certificate `cert_id` through mapping `name` now, and
    /// records the outcome as the mapping's last deployment.
    pub async fn deploy_now(&self, name: &str, cert_id: &str) -> Result<Deployed> {
        let stored = self.stored_mapping(name)?;
        let bundle = self.bundle(cert_id)?;
        let outcome = match self.open_target(&stored) {
            Ok((target, _)) => target.deploy(&bundle).await,
            Err(e) => Err(e),
        };
        let last = LastDeploy {
            ok: outcome.is_ok(),
            cert: cert_id.to_owned(),
            message: match &outcome {
                Ok(done) => done.summary.clone(),
                Err(e) => e.to_string(),
            },
            at: OffsetDateTime::now_utc(),
        };
        // Reread: a test may have pinned a key while the deployment ran.
        let mut current = self.stored_mapping(name)?;
        current.info.last_deploy = Some(last);
        self.store.commit(Change::new().put(&current)).await?;
        outcome
    }

    /// The mapping `name`, opened for publishing or deploying.
    pub(crate) fn deploy_target(&self, name: &str) -> Result<Box<dyn DeployTarget>> {
        self.open_target(&self.stored_mapping(name)?)
            .map(|(target, _)| target)
    }

    /// The mapping `name` opened for publishing dns-01 records, with where it looks them up.
    pub(crate) fn dns01_target(&self, name: &str) -> Result<(Box<dyn DeployTarget>, Propagation)> {
        self.open_target(&self.stored_mapping(name)?)
    }

    /// The mapping's target and its dns-01 lookup settings, both checked without the network.
    fn open_target(&self, stored: &StoredMapping) -> Result<(Box<dyn DeployTarget>, Propagation)> {
        let spec = super::kind(&stored.info.kind)?;
        let values = crate::form::open(
            &self.vault,
            StoredMapping::TABLE,
            &stored.info.name,
            &stored.info.fields,
            &stored.secrets,
        )?;
        let config = TargetConfig::new(spec, stored.info.name.clone(), values);
        Ok(((spec.build)(&config)?, config.propagation()?))
    }

    /// The current certificate of `cert_id` with its key and its request's keystore password.
    pub(crate) fn bundle(&self, cert_id: &str) -> Result<Bundle> {
        let version = self.current_version(cert_id)?;
        let key = self.current_key(&self.cert_record(cert_id)?)?;
        let request = self.request_record(cert_id)?;
        let password = request
            .keystore_password
            .as_ref()
            .map(|sealed| {
                let place = request.place(RequestRecord::KEYSTORE_PASSWORD);
                self.vault.open_string(&place, sealed)
            })
            .transpose()?;
        let names = version.info.names.clone();
        Ok(Bundle {
            cert: CertBundle {
                certificate_pem: version.certificate_pem,
                chain_pem: version.chain_pem,
                key,
                alias: names.first().cloned().unwrap_or_else(|| cert_id.to_owned()),
            },
            password,
            id: cert_id.to_owned(),
            serial: version.info.serial,
            names,
        })
    }

    fn requests_deploying_to(&self, name: &str) -> Result<Vec<RequestRecord>> {
        Ok(self
            .store
            .list::<RequestRecord>()?
            .into_iter()
            .filter(|r| r.info.deploy.as_deref() == Some(name))
            .collect())
    }
}

fn missing(spec: &TargetSpec, field: &FieldSpec) -> Error {
    Error::input(format!(
        "a {} mapping needs {} ({}): {}",
        spec.label, field.label, field.name, field.help
    ))
}
