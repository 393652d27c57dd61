//! Deploy mappings: how certdesk reaches one end server, kept in the deployments tree with their
//! secrets sealed, and the last deployment's result for the Deploy tab. A mapping is one use of
//! the credentialed configuration ([`crate::form::credentialed`]).
//!
//! A mapping is set once; a request that names it ([`Engine::set_deploy`]) has its http-01
//! tokens (and, when the mapping answers dns-01, its TXT records) published through it and, with
//! automatic deployment on, its certificate installed after validation and after every renewal.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use std::ops::{Deref, DerefMut};

use super::{Bundle, DeployTarget, Deployed, Dns01Source, Probe, TargetConfig};
use crate::activity::{Action, Subject};
use crate::dns::Propagation;
use crate::error::{Error, Result};
use crate::form::credentialed::{
    Actions, ConfigForm, Configured, Credentialed, Kind, Saving, Stored,
};
use crate::form::FieldSpec;
use crate::keystore::CertBundle;
use crate::names::ChallengeType;
use crate::next_step::{Listing, NextStep, Publisher};
use crate::request::{RequestInfo, RequestStatus};
use crate::store::{Change, Table};
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
    #[serde(flatten)]
    pub config: Configured,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deploy: Option<LastDeploy>,
    /// How the mapping publishes dns-01 TXT records, in words; none when it does not (dns-01 then
    /// goes to the request's DNS account, else to the administrator). An agent's answer is the
    /// one it gave last (see [`Dns01Source::Server`]).
    #[serde(default)]
    pub dns01: Option<String>,
}

impl Deref for MappingInfo {
    type Target = Configured;
    fn deref(&self) -> &Configured {
        &self.config
    }
}

impl DerefMut for MappingInfo {
    fn deref_mut(&mut self) -> &mut Configured {
        &mut self.config
    }
}

impl Credentialed for MappingInfo {
    const TABLE: Table = Table::Deployments;
    const WHAT: &'static str = "deploy mapping";
    const LISTING: Listing = Listing::Deployments;
    const ACTIONS: Actions = Actions {
        add: Action::AddMapping,
        edit: Action::EditMapping,
        delete: Action::DeleteMapping,
        enable: Action::EnableMapping,
        disable: Action::DisableMapping,
        test: Action::TestMapping,
    };

    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        &self.kind
    }

    fn kind_of(kind: &str) -> Result<Kind> {
        let spec = super::kind(kind)?;
        Ok(Kind {
            id: spec.kind,
            owner: format!("a {} mapping", spec.label),
            fields: spec.fields.iter().collect(),
        })
    }

    fn validate_name(name: &str) -> Result<()> {
        crate::labels::validate_name("mapping", name)
    }

    /// The last deployment stays; how it answers dns-01 is asked again by
    /// [`Engine::save_deployment`].
    fn made(name: String, kind: &'static str, config: Configured, previous: Option<&Self>) -> Self {
        Self {
            name,
            kind: kind.to_owned(),
            config,
            last_deploy: previous.and_then(|m| m.last_deploy.clone()),
            dns01: None,
        }
    }

    fn missing(kind: &Kind, field: &FieldSpec) -> Error {
        Error::input(format!(
            "{} needs {} ({}): {}",
            kind.owner, field.label, field.name, field.help
        ))
    }

    fn named_by(request: &RequestInfo) -> Option<&str> {
        request.deploy.as_deref()
    }

    fn reference(request: &mut RequestInfo) -> Option<&mut Option<String>> {
        Some(&mut request.deploy)
    }

    fn in_use(name: &str, users: &[&str]) -> Error {
        Error::blocked(
            format!(
                "deploy mapping {name:?} is used by request(s) {}: give them another mapping or \
                 none first",
                users.join(", ")
            ),
            NextStep::ChooseMapping {
                request: users
                    .first()
                    .map_or_else(String::new, |id| (*id).to_owned()),
            },
        )
    }

    fn disabled(name: &str) -> Error {
        Error::blocked(
            format!("deploy mapping {name:?} is disabled"),
            NextStep::EnableMapping {
                mapping: name.to_owned(),
            },
        )
    }
}

impl Engine {
    pub fn deployments(&self) -> Result<Vec<MappingInfo>> {
        self.configurations.all()
    }

    pub fn deployment(&self, name: &str) -> Result<MappingInfo> {
        self.configurations
            .stored(name)
            .map(|m: StoredMapping| m.info)
    }

    /// Adds or edits a mapping: every field is checked against its kind's declaration, secrets
    /// are sealed, kept or cleared as the form asks, and the result must make a target (checked
    /// without the network). A rename carries the requests that use the mapping along.
    pub async fn save_deployment(&self, form: ConfigForm) -> Result<MappingInfo> {
        let action = MappingInfo::ACTIONS.saving(&form);
        let name = form.name.clone();
        let saving = self.mapping_saving(form).await;
        self.save_configuration(action, &name, saving).await
    }

    /// A mapping form checked, and how the mapping answers dns-01 asked, before it is saved.
    pub(crate) async fn mapping_saving(&self, form: ConfigForm) -> Result<Saving<MappingInfo>> {
        let mut saving = self.configurations.saving::<MappingInfo>(form)?;
        let spec = super::kind(&saving.stored.info.kind)?;
        let (target, _) = self.open_target(&saving.stored)?;
        let dns01 = match spec.dns01 {
            Dns01Source::Mapping => target.dns01().await?,
            Dns01Source::Server => saving
                .previous()
                .filter(|m| m.kind == spec.kind)
                .and_then(|m| m.dns01.clone()),
        };
        saving.stored.info.dns01 = dns01;
        Ok(saving)
    }

    /// Deletes a mapping no request uses.
    pub async fn delete_deployment(&self, name: &str) -> Result<MappingInfo> {
        self.delete_configuration::<MappingInfo>(None, name).await
    }

    /// A disabled mapping is kept with its credentials but publishes and deploys nothing.
    pub async fn set_deployment_enabled(&self, name: &str, enabled: bool) -> Result<MappingInfo> {
        self.enable_configuration(name, enabled).await
    }

    /// Connects and authenticates without changing anything on the server, and remembers the
    /// outcome as the mapping's last test. With `accept`, an identity the server presented that
    /// the mapping does not pin yet (the SSH host key) is pinned: the administrator has seen it
    /// and confirms it.
    pub async fn test_deployment(&self, name: &str, accept: bool) -> Result<Probe> {
        let outcome = self.probe(name, accept).await;
        self.record_test::<MappingInfo, _>(name, outcome, |probe| probe.summary.as_str())
            .await
    }

    async fn probe(&self, name: &str, accept: bool) -> Result<Probe> {
        let mut target = self.open_target(&self.configurations.stored(name)?)?.0;
        let mut probe = target.test().await?;
        if let Some(pin) = probe.unpinned.take_if(|_| accept) {
            self.configurations
                .update::<MappingInfo>(name, |m| {
                    m.fields.insert(pin.field.to_owned(), pin.value);
                })
                .await?;
            // Now that the identity is pinned, the test can log in.
            target = self.open_target(&self.configurations.stored(name)?)?.0;
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
        self.configurations
            .update::<MappingInfo>(name, |m| m.dns01 = answer)
            .await
            .map(drop)
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
        let staged = self.staged_deploy(id, mapping, auto).await;
        let subject = Subject {
            target: mapping.map(str::to_owned),
            ..Subject::request(id)
        };
        self.commit_noted(Action::SetDeploy, subject, staged.into())
            .await
    }

    /// The request `id` with its mapping set, staged for [`Engine::set_deploy`].
    async fn staged_deploy(
        &self,
        id: &str,
        mapping: Option<&str>,
        auto: bool,
    ) -> Result<(Change, RequestInfo)> {
        let mut record = self.request_record(id)?;
        let stored = match mapping {
            Some(name) => Some(self.configurations.stored::<MappingInfo>(name)?),
            None if auto => {
                return Err(Error::blocked(
                    "automatic deployment needs a mapping",
                    NextStep::ChooseMapping {
                        request: id.to_owned(),
                    },
                ))
            }
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
        Ok((self.requests.put(Change::new(), &record), record.info))
    }

    /// Deploys the current version of certificate `cert_id` through mapping `name` now, and
    /// records the outcome as the mapping's last deployment.
    pub async fn deploy_now(&self, name: &str, cert_id: &str) -> Result<Deployed> {
        let subject = crate::activity::Subject::request(cert_id).target(name);
        let result: Result<Deployed> = async {
            let stored = self.configurations.usable::<MappingInfo>(name)?;
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
            self.configurations
                .update::<MappingInfo>(name, |m| m.last_deploy = Some(last))
                .await?;
            outcome
        }
        .await;
        self.noted(crate::activity::Action::Deploy, subject, result)
            .await
    }

    /// The enabled mapping `name`, opened for publishing or deploying.
    pub(crate) fn deploy_target(&self, name: &str) -> Result<Box<dyn DeployTarget>> {
        self.dns01_target(name).map(|(target, _)| target)
    }

    /// The enabled mapping `name` opened for publishing dns-01 records, with where it looks
    /// them up.
    pub(crate) fn dns01_target(&self, name: &str) -> Result<(Box<dyn DeployTarget>, Propagation)> {
        self.open_target(&self.configurations.usable(name)?)
    }

    /// The mapping's target and its dns-01 lookup settings, both checked without the network.
    fn open_target(&self, stored: &StoredMapping) -> Result<(Box<dyn DeployTarget>, Propagation)> {
        let spec = super::kind(&stored.info.kind)?;
        let config = TargetConfig::new(
            spec,
            stored.info.name.clone(),
            self.configurations.opened(stored)?,
        );
        Ok(((spec.build)(&config)?, config.propagation()?))
    }

    /// The current certificate of `cert_id` with its key and its request's keystore password.
    pub(crate) fn bundle(&self, cert_id: &str) -> Result<Bundle> {
        let version = self.current_version(cert_id)?;
        let key = self.needed_key(&self.cert_record(cert_id)?)?;
        let request = self.request_record(cert_id)?;
        let password = self.requests.keystore_password(&request)?;
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
}

/// The stored record of a deploy mapping.
pub(crate) type StoredMapping = Stored<MappingInfo>;
