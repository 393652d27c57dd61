//! A credentialed configuration: a named configuration of a declared kind, with plain fields,
//! sealed secrets, an enabled switch and the result of its last test. DNS accounts
//! ([`crate::dns_accounts`]), deploy mappings ([`crate::deploy::mappings`]) and notice channels
//! ([`crate::notify`]) are its uses; each says what differs in a [`Credentialed`] implementation
//! (its table, what it is called, its kinds' fields, the requests that name it), and everything
//! they share is here once: saving
//! with validation and keep/set/clear of secrets, renaming with the requests carried along,
//! deleting, enabling, opening for use and recording a test, each change written in one
//! transaction with its activity entry ([`crate::Engine::commit_noted`]).

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{FieldSpec, SecretChange, Secrets};
use crate::activity::{Action, Staged, Subject};
use crate::error::{Error, Result};
use crate::next_step::Listing;
use crate::request::{RequestInfo, RequestRecord, Requests};
use crate::store::{Change, Record, Scan, Store, Table};
use crate::vault::{Sealed, Vault};

/// The outcome of a configuration's latest test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TestResult {
    pub ok: bool,
    /// What the test found, or the error.
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
}

/// What every credentialed configuration holds besides its name and kind, as the faces see it.
/// Stored flattened into the record, so `enabled` and `last_test` read as their defaults in a
/// record written before they existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct Configured {
    /// A disabled configuration keeps its credentials but is not used.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// The non-secret fields.
    pub fields: BTreeMap<String, String>,
    /// The names of the secret fields that hold a value.
    pub secrets_set: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_test: Option<TestResult>,
}

fn enabled() -> bool {
    true
}

/// A kind of configuration as the generic code needs it: its id, how messages name a
/// configuration of it, and its declared fields.
pub struct Kind {
    pub id: &'static str,
    /// E.g. "Cloudflare", "a SSH mapping".
    pub owner: String,
    pub fields: Vec<&'static FieldSpec>,
}

/// A submitted form, whichever use it is for: a DNS account, a deploy mapping or a notice
/// channel, from the window as it is or from the CLI's `--config` ([`ConfigForm::from_config`]).
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct ConfigForm {
    /// The configuration being edited (it may be renamed); none for a new one.
    #[serde(default)]
    pub original_name: Option<String>,
    pub name: String,
    /// The DNS provider, the mapping's or the channel's kind.
    pub kind: String,
    /// None: as it was (a new one is enabled).
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretChange>,
}

impl ConfigForm {
    /// A form from a configuration file's JSON object (the CLI's `--config`): secret fields are
    /// set, the others given as they are (lists of strings as comma-separated text, other
    /// structures as their JSON); editing `existing` keeps what the file leaves out.
    pub fn from_config<C: Credentialed>(
        kind: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&C>,
    ) -> Result<Self> {
        let kind = C::kind_of(kind)?;
        let specs: Vec<FieldSpec> = kind.fields.iter().map(|f| **f).collect();
        let (fields, secrets) = super::from_config(
            &kind.owner,
            &specs,
            config,
            existing.map(|e| e.fields.clone()).unwrap_or_default(),
        )?;
        Ok(Self {
            original_name: existing.map(|e| e.name().to_owned()),
            name: name.to_owned(),
            kind: kind.id.to_owned(),
            enabled: None,
            fields,
            secrets,
        })
    }
}

/// The activity log's actions on the configurations of one use.
pub struct Actions {
    pub add: Action,
    pub edit: Action,
    pub delete: Action,
    pub enable: Action,
    pub disable: Action,
    pub test: Action,
}

impl Actions {
    /// An add, or an edit of the configuration the form names.
    pub fn saving(&self, form: &ConfigForm) -> Action {
        match form.original_name {
            Some(_) => self.edit,
            None => self.add,
        }
    }
}

/// One use of the credentialed configuration: its info type (what the faces see; the stored
/// record is it with the sealed secrets) and what differs between the uses. Public because the
/// faces name it when they read a configuration file ([`ConfigForm::from_config`]).
pub trait Credentialed:
    Deref<Target = Configured>
    + DerefMut
    + Serialize
    + DeserializeOwned
    + Clone
    + PartialEq
    + Send
    + Sync
{
    const TABLE: Table;
    /// What one is called in messages, e.g. "DNS account".
    const WHAT: &'static str;
    const LISTING: Listing;
    /// What the activity log calls saving, deleting, enabling and testing one.
    const ACTIONS: Actions;

    fn name(&self) -> &str;
    fn kind(&self) -> &str;
    fn kind_of(kind: &str) -> Result<Kind>;
    fn validate_name(name: &str) -> Result<()>;
    /// A new info from a saved form; `previous` is the one edited, if any.
    fn made(name: String, kind: &'static str, config: Configured, previous: Option<&Self>) -> Self;
    /// The error for a required `field` left empty.
    fn missing(kind: &Kind, field: &FieldSpec) -> Error;
    /// Refuses a configuration beside the `others` there are (one DNS account per provider).
    fn refuse_beside(&self, _others: &[Self]) -> Result<()> {
        Ok(())
    }

    /// The configuration of this use the request names, if any. By default requests name
    /// none (a notice channel is no request's).
    fn named_by(_request: &RequestInfo) -> Option<&str> {
        None
    }
    /// The request's reference to a configuration of this use, to carry along a rename; none
    /// where requests name none.
    fn reference(_request: &mut RequestInfo) -> Option<&mut Option<String>> {
        None
    }
    /// The error for deleting `name`, which the requests `users` reference.
    fn in_use(name: &str, users: &[&str]) -> Error {
        Error::input(format!(
            "{} {name:?} is used by request(s) {}",
            Self::WHAT,
            users.join(", ")
        ))
    }
    /// The error for using `name`, which is disabled.
    fn disabled(name: &str) -> Error;
}

/// A configuration as stored: its info and its sealed secrets.
#[derive(Serialize, Deserialize)]
pub(crate) struct Stored<C> {
    #[serde(flatten)]
    pub info: C,
    pub secrets: BTreeMap<String, Sealed>,
}

impl<C: Credentialed> Record for Stored<C> {
    const TABLE: Table = C::TABLE;
    fn key(&self) -> &str {
        self.info.name()
    }
}

impl<C: Credentialed> crate::sealed::Sealing for Stored<C> {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        super::sealed_fields(&mut self.secrets)
    }
}

/// A configuration about to be saved: checked and sealed, not yet committed, so that its use
/// can check it further (build its provider or target) before [`Configurations::commit_saving`].
pub(crate) struct Saving<C> {
    pub stored: Stored<C>,
    previous: Option<Stored<C>>,
}

impl<C: Credentialed> Saving<C> {
    /// The configuration being edited, as stored before.
    pub fn previous(&self) -> Option<&C> {
        self.previous.as_ref().map(|p| &p.info)
    }
}

/// The credentials service: owner of the tables of every use of the credentialed
/// configuration (DNS accounts, deploy mappings). What a rename or a deletion must know of the
/// requests that name a configuration it asks of [`Requests`].
pub(crate) struct Configurations {
    store: Arc<Store>,
    vault: Arc<Vault>,
}

impl Configurations {
    pub fn new(store: &Arc<Store>, vault: &Arc<Vault>) -> Self {
        Self {
            store: Arc::clone(store),
            vault: Arc::clone(vault),
        }
    }

    /// Every configuration of use `C` whose record reads and whose secrets open, and the
    /// damaged ones.
    pub fn scan<C: Credentialed>(&self) -> Result<Scan<Stored<C>>> {
        self.vault.scan(&self.store)
    }

    /// Every sound configuration of use `C` (the damaged ones are in [`Self::scan`]).
    pub fn all<C: Credentialed>(&self) -> Result<Vec<C>> {
        Ok(self
            .scan::<C>()?
            .records
            .into_iter()
            .map(|s| s.info)
            .collect())
    }

    pub fn stored<C: Credentialed>(&self, name: &str) -> Result<Stored<C>> {
        self.store
            .get::<Stored<C>>(name)?
            .ok_or_else(|| Error::NotFound {
                what: C::WHAT,
                id: name.to_owned(),
                listing: C::LISTING,
            })
    }

    /// The enabled configuration `name`, for use.
    pub fn usable<C: Credentialed>(&self, name: &str) -> Result<Stored<C>> {
        let stored = self.stored::<C>(name)?;
        match stored.info.enabled {
            true => Ok(stored),
            false => Err(C::disabled(name)),
        }
    }

    /// Checks a form against its kind's declaration and seals, keeps or clears its secrets as
    /// it asks. A secret survives an edit (and a rename, sealed again for the new name) unless
    /// the kind changes.
    pub fn saving<C: Credentialed>(&self, form: ConfigForm) -> Result<Saving<C>> {
        let kind = C::kind_of(&form.kind)?;
        C::validate_name(&form.name)?;
        let previous = form
            .original_name
            .as_deref()
            .map(|n| self.stored::<C>(n))
            .transpose()?;
        let others: Vec<C> = self
            .all::<C>()?
            .into_iter()
            .filter(|c| Some(c.name()) != form.original_name.as_deref())
            .collect();
        // Asked of the store, not of `others`: a damaged record holds its name too.
        let renamed = form.original_name.as_deref() != Some(form.name.as_str());
        if renamed && self.store.get::<Stored<C>>(&form.name)?.is_some() {
            return Err(Error::input(format!(
                "a {} named {:?} exists already: choose another name or edit it",
                C::WHAT,
                form.name
            )));
        }
        let sealed = match &previous {
            Some(p) if p.info.kind() == kind.id => p.secrets.clone(),
            _ => BTreeMap::new(),
        };
        let secrets = Secrets {
            vault: &self.vault,
            table: C::TABLE,
            from: form.original_name.as_deref().unwrap_or(&form.name),
            to: &form.name,
            sealed,
        };
        let specs: Vec<FieldSpec> = kind.fields.iter().map(|f| **f).collect();
        let (fields, secrets) = super::apply(
            &kind.owner,
            &specs,
            &form.fields,
            &form.secrets,
            secrets,
            |field| C::missing(&kind, field),
        )?;
        let config = Configured {
            enabled: form
                .enabled
                .unwrap_or_else(|| previous.as_ref().is_none_or(|p| p.info.enabled)),
            fields,
            secrets_set: secrets.keys().cloned().collect(),
            last_test: previous
                .as_ref()
                .filter(|p| p.info.kind() == kind.id)
                .and_then(|p| p.info.last_test.clone()),
        };
        let info = C::made(
            form.name,
            kind.id,
            config,
            previous.as_ref().map(|p| &p.info),
        );
        info.refuse_beside(&others)?;
        Ok(Saving {
            stored: Stored { info, secrets },
            previous,
        })
    }

    /// The writes of a checked configuration, staged for one commit with its activity entry;
    /// a rename carries the requests that reference it along, in the same change.
    fn staged_saving<C: Credentialed>(
        &self,
        requests: &Requests,
        saving: Saving<C>,
    ) -> Result<(Change, C)> {
        let Saving { stored, previous } = saving;
        let mut change = Change::new().put(&stored);
        if let Some(old) = previous.filter(|old| old.info.name() != stored.info.name()) {
            change = change.delete::<Stored<C>>(old.info.name());
            for mut request in naming::<C>(requests, old.info.name())? {
                if let Some(reference) = C::reference(&mut request.info) {
                    *reference = Some(stored.info.name().to_owned());
                    change = requests.put(change, &request);
                }
            }
        }
        Ok((change, stored.info))
    }

    /// The deletion of a configuration no request references, staged.
    fn staged_delete<C: Credentialed>(
        &self,
        requests: &Requests,
        name: &str,
    ) -> Result<(Change, C)> {
        let stored = self.stored::<C>(name)?;
        let users = naming::<C>(requests, name)?;
        if !users.is_empty() {
            let ids: Vec<&str> = users.iter().map(|r| r.info.id.as_str()).collect();
            return Err(C::in_use(name, &ids));
        }
        Ok((Change::new().delete::<Stored<C>>(name), stored.info))
    }

    /// Changes the stored configuration `name` as read now (not as read before some network
    /// call: a test may have pinned a key meanwhile), staged; the change is empty when nothing
    /// changed.
    fn staged_update<C: Credentialed>(
        &self,
        name: &str,
        change: impl FnOnce(&mut C),
    ) -> Result<(Change, C)> {
        let mut stored = self.stored::<C>(name)?;
        let before = stored.info.clone();
        change(&mut stored.info);
        let writes = match stored.info != before {
            true => Change::new().put(&stored),
            false => Change::new(),
        };
        Ok((writes, stored.info))
    }

    /// [`Self::staged_update`] committed on its own: what an action does to a configuration
    /// besides the one change its entry is written with (a pinned key, a deployment's outcome).
    pub async fn update<C: Credentialed>(
        &self,
        name: &str,
        change: impl FnOnce(&mut C),
    ) -> Result<C> {
        let (writes, info) = self.staged_update(name, change)?;
        if !writes.is_empty() {
            self.store.commit(writes).await?;
        }
        Ok(info)
    }

    /// The plain fields and the unsealed secrets together, for the short time they are used.
    pub fn opened<C: Credentialed>(
        &self,
        stored: &Stored<C>,
    ) -> Result<BTreeMap<String, Zeroizing<String>>> {
        super::open(
            &self.vault,
            C::TABLE,
            stored.info.name(),
            &stored.info.fields,
            &stored.secrets,
        )
    }
}

/// Saving, deleting, enabling and testing a configuration of any use, each logged as the
/// use's action with its writes in the same transaction ([`crate::Engine::commit_noted`]).
impl crate::Engine {
    /// Commits the form named `form_name` that `saving` checked (its use's own checks
    /// included), logged as `action` (the add or edit [`Actions::saving`] says, or a pairing),
    /// or logs why it was refused.
    pub(crate) async fn save_configuration<C: Credentialed>(
        &self,
        action: Action,
        form_name: &str,
        saving: Result<Saving<C>>,
    ) -> Result<C> {
        let staged = saving.and_then(|s| self.configurations.staged_saving(&self.requests, s));
        self.commit_noted(action, Subject::default().target(form_name), staged.into())
            .await
    }

    /// Deletes a configuration no request uses, logged as `action` (none: its use's delete).
    pub(crate) async fn delete_configuration<C: Credentialed>(
        &self,
        action: Option<Action>,
        name: &str,
    ) -> Result<C> {
        let staged = self.configurations.staged_delete(&self.requests, name);
        let action = action.unwrap_or(C::ACTIONS.delete);
        self.commit_noted(action, Subject::default().target(name), staged.into())
            .await
    }

    /// A disabled configuration keeps its credentials but is not used.
    pub(crate) async fn enable_configuration<C: Credentialed>(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<C> {
        let action = match enabled {
            true => C::ACTIONS.enable,
            false => C::ACTIONS.disable,
        };
        let staged = self
            .configurations
            .staged_update::<C>(name, |info| info.enabled = enabled);
        self.commit_noted(action, Subject::default().target(name), staged.into())
            .await
    }

    /// Remembers a test's outcome as the configuration's last test (`summary` says what a
    /// success found) and logs the test, in one transaction; returns the outcome.
    pub(crate) async fn record_test<C: Credentialed, T: crate::activity::About>(
        &self,
        name: &str,
        outcome: Result<T>,
        summary: impl FnOnce(&T) -> &str,
    ) -> Result<T> {
        let result = TestResult {
            ok: outcome.is_ok(),
            message: match &outcome {
                Ok(found) => summary(found).to_owned(),
                Err(e) => e.to_string(),
            },
            at: OffsetDateTime::now_utc(),
        };
        let staged = match self
            .configurations
            .staged_update::<C>(name, |info| info.last_test = Some(result))
        {
            Ok((change, _)) => Staged {
                change,
                result: outcome,
            },
            Err(e) => Staged {
                change: Change::new(),
                result: outcome.and(Err(e)),
            },
        };
        self.commit_noted(C::ACTIONS.test, Subject::default().target(name), staged)
            .await
    }
}

/// The requests that name configuration `name` of use `C`.
fn naming<C: Credentialed>(requests: &Requests, name: &str) -> Result<Vec<RequestRecord>> {
    Ok(requests
        .list()?
        .into_iter()
        .filter(|r| C::named_by(&r.info) == Some(name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::mappings::{MappingInfo, StoredMapping};
    use crate::testing::{add_account, recorded};
    use crate::Engine;

    fn ssh_form(name: &str, original: Option<&str>, password: SecretChange) -> ConfigForm {
        ConfigForm {
            original_name: original.map(str::to_owned),
            name: name.to_owned(),
            kind: "ssh".into(),
            enabled: None,
            fields: BTreeMap::from([
                ("host".to_owned(), "web1".to_owned()),
                ("user".to_owned(), "deploy".to_owned()),
            ]),
            secrets: BTreeMap::from([("password".to_owned(), password)]),
        }
    }

    #[test]
    fn a_record_written_before_enabled_and_last_test_reads_as_enabled_and_untested() {
        let old = serde_json::json!({
            "name": "web",
            "kind": "ssh",
            "fields": {"host": "web1"},
            "secrets_set": [],
            "secrets": {},
        });
        let stored: StoredMapping = serde_json::from_value(old).expect("an old mapping");
        assert!(stored.info.enabled);
        assert_eq!(stored.info.last_test, None);
        let written = serde_json::to_value(&stored).expect("serialises");
        assert_eq!(written["name"], "web");
        assert_eq!(written["fields"]["host"], "web1");
        assert!(written.get("last_test").is_none(), "{written}");
    }

    #[tokio::test]
    async fn a_rename_carries_the_secrets_and_the_requests_along() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let saved = engine
            .save_deployment(ssh_form("web", None, SecretChange::Set("pw".into())))
            .await
            .unwrap();
        assert!(saved.enabled);
        assert_eq!(saved.secrets_set, ["password"]);
        let id = recorded(&engine, &["www.example.com"]).await.id;
        engine.set_deploy(&id, Some("web"), false).await.unwrap();

        let renamed = engine
            .save_deployment(ssh_form("web2", Some("web"), SecretChange::Keep))
            .await
            .unwrap();
        assert_eq!(renamed.secrets_set, ["password"], "the kept secret moved");
        let stored = engine.configurations.stored::<MappingInfo>("web2").unwrap();
        assert_eq!(
            engine.configurations.opened(&stored).unwrap()["password"].as_str(),
            "pw"
        );
        assert!(engine.deployment("web").is_err());
        let request = engine.request_record(&id).unwrap();
        assert_eq!(request.info.deploy.as_deref(), Some("web2"));

        let refused = engine.delete_deployment("web2").await.unwrap_err();
        assert_eq!(
            refused.next_step(),
            Some(crate::next_step::NextStep::ChooseMapping { request: id }),
        );
    }

    #[tokio::test]
    async fn a_disabled_configuration_is_kept_but_not_used_and_a_test_is_remembered() {
        let engine = Engine::in_memory().await;
        engine
            .save_deployment(ssh_form("web", None, SecretChange::Set("pw".into())))
            .await
            .unwrap();
        let off = engine.set_deployment_enabled("web", false).await.unwrap();
        assert!(!off.enabled);
        assert!(engine.deploy_target("web").is_err());
        let edited = engine
            .save_deployment(ssh_form("web", Some("web"), SecretChange::Keep))
            .await
            .unwrap();
        assert!(!edited.enabled, "an edit keeps it disabled");

        let failed: Result<String> = Err(Error::Deploy("no route".into()));
        let e = engine
            .record_test::<MappingInfo, _>("web", failed, String::as_str)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "no route", "the test's own error comes back");
        let last = engine.deployment("web").unwrap().config.last_test.unwrap();
        assert!(!last.ok);
        assert_eq!(last.message, "no route");
    }

    /// The actions on a configuration as the log has them, oldest first.
    fn logged(engine: &Engine) -> Vec<(Action, bool, Option<String>)> {
        let log = engine.activity_log(&Default::default()).unwrap();
        log.entries
            .into_iter()
            .map(|e| {
                let ok = matches!(e.outcome, crate::activity::Outcome::Ok { .. });
                (e.action, ok, e.subject.target)
            })
            .collect()
    }

    #[tokio::test]
    async fn every_change_to_a_configuration_is_logged_with_it_and_a_refusal_alone() {
        let engine = Engine::in_memory().await;
        let web = || Some("web".to_owned());
        engine
            .save_deployment(ssh_form("web", None, SecretChange::Set("pw".into())))
            .await
            .unwrap();
        engine.set_deployment_enabled("web", false).await.unwrap();
        engine.set_deployment_enabled("web", true).await.unwrap();
        engine
            .save_deployment(ssh_form("web", Some("web"), SecretChange::Keep))
            .await
            .unwrap();
        let mut refused = ssh_form("web2", None, SecretChange::Keep);
        refused.fields.remove("host");
        engine.save_deployment(refused).await.unwrap_err();
        engine.delete_deployment("web").await.unwrap();
        engine.delete_deployment("web").await.unwrap_err();
        assert_eq!(
            logged(&engine),
            [
                (Action::AddMapping, true, web()),
                (Action::DisableMapping, true, web()),
                (Action::EnableMapping, true, web()),
                (Action::EditMapping, true, web()),
                (Action::AddMapping, false, Some("web2".to_owned())),
                (Action::DeleteMapping, true, web()),
                (Action::DeleteMapping, false, web()),
            ]
        );
        assert!(
            engine
                .configurations
                .all::<MappingInfo>()
                .unwrap()
                .is_empty(),
            "the refused form wrote nothing"
        );
    }

    #[tokio::test]
    async fn a_form_is_checked_against_its_kind() {
        let engine = Engine::in_memory().await;
        let mut form = ssh_form("web", None, SecretChange::Set("pw".into()));
        form.fields.insert("colour".into(), "blue".into());
        let e = engine.save_deployment(form).await.unwrap_err();
        assert!(e.to_string().contains("has no field \"colour\""), "{e}");
        let mut form = ssh_form("web", None, SecretChange::Set("pw".into()));
        form.fields.remove("host");
        let e = engine.save_deployment(form).await.unwrap_err();
        assert!(e.to_string().contains("needs Host (host)"), "{e}");
        engine
            .save_deployment(ssh_form("web", None, SecretChange::Set("pw".into())))
            .await
            .unwrap();
        let e = engine
            .save_deployment(ssh_form("web", None, SecretChange::Keep))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("exists already"), "{e}");
    }
}
