//! Deployment: answering http-01 (and, where the mapping is set up for it, dns-01) through the end
//! server and installing each issued certificate there, after the first issue and after every
//! renewal, with no hand work.
//!
//! A *mapping* (a record in the deployments tree, see [`mappings`]) tells certdesk how to reach
//! one end server: over SSH ([`ssh`]) or through a paired certdesk agent. Each kind is one file
//! with a [`TargetSpec`] (its id, its fields as data, a constructor) and one line in [`KINDS`].
//!
//! # The contract of a [`DeployTarget`]
//!
//! A target is built from a mapping's [`TargetConfig`] (fields with the secrets unsealed) for one
//! piece of work and dropped afterwards; it may hold a connection for its lifetime. It is the
//! installer ([`DeployTarget::deploy`], [`DeployTarget::test`]) and may offer two more roles:
//!
//! - an http-01 solver ([`DeployTarget::http01`]): [`Http01Solver::publish_tokens`] makes
//!   `http://NAME/.well-known/acme-challenge/TOKEN` answer with the key authorization for every
//!   token given, and returns only once they are served (the CA is told right after).
//!   [`Http01Solver::withdraw_tokens`] removes them again; tokens already gone are fine. The
//!   engine withdraws whether validation succeeded or failed.
//! - a dns-01 publisher ([`DeployTarget::dns01_publisher`]), which is a
//!   [`crate::dns::DnsProvider`] like a DNS account's: it adds and removes certdesk's values at
//!   one `_acme-challenge` name, leaving other values alone, and the engine's
//!   [`crate::dns::Publication`] finds the zone beforehand, waits for the nameservers afterwards
//!   and cleans up on every path, as with a DNS account. [`DeployTarget::dns01`] says whether
//!   (and how) the target publishes; a target not set up for it answers `None`, and dns-01 goes
//!   to the request's DNS account or to the administrator.
//! - [`DeployTarget::deploy`] installs a [`Bundle`] so that a server failure never leaves the
//!   server without a working certificate: write each file under a temporary name and rename it
//!   into place, keep the previous files as a backup, reload the service, then check by a TLS
//!   handshake ([`served::served_serial`]) that the served certificate's serial is
//!   [`Bundle::serial`]. When the reload or the check fails, put the backup back, reload again
//!   and return an [`Error::Deploy`] that says what failed and that the old certificate was
//!   restored.
//! - [`DeployTarget::test`] connects and authenticates and changes nothing. An identity the
//!   server presents that the mapping does not pin yet (an SSH host key, an agent's certificate)
//!   is returned as a [`Pin`]; the engine stores it only when the administrator accepts it. A
//!   pinned identity that no longer matches is refused (never replaced silently), by `test` and
//!   by every other call.
//!
//! Errors are [`Error::Deploy`] for what the end server did or refused (connection, login, a
//! command's exit status and output), [`Error::Input`] for a mapping that cannot work as written.
//! Messages name the mapping and say what to do.

pub mod agent;
pub(crate) mod automation;
pub mod mappings;
pub mod ssh;

use std::collections::BTreeMap;

use serde::Serialize;

use zeroize::Zeroizing;

pub use certdesk_base::deploy::{
    bundle, served, Bundle, FileFormat, FileSpec, BACKUP_EXTENSION, STAGED_EXTENSION,
};

use crate::acme::{Challenge, OrderChallenge};
use crate::dns::DnsProvider;
use crate::error::{Error, Result};
use crate::form::FieldSpec;
use crate::next_step::NextStep;

/// Every kind of mapping, in the order the faces list them.
pub const KINDS: &[TargetSpec] = &[ssh::SPEC, agent::SPEC];

/// One http-01 challenge to serve on the end server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http01Token {
    /// The name the CA fetches the token from.
    pub domain: String,
    pub token: String,
    pub key_authorization: String,
}

/// The key authorization behind each dns-01 TXT value of an order: a target that is sent key
/// authorizations rather than values (an agent, which checks the account in each) looks them up
/// here, by the values of the [`TxtSet`] it is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxtKeyAuthorizations {
    /// The request whose order it is, for the step when a value has none.
    request: String,
    keys: BTreeMap<String, String>,
}

impl TxtKeyAuthorizations {
    /// The key authorizations of the dns-01 challenges of request `request`'s order.
    pub fn of(request: &str, challenges: &[OrderChallenge]) -> Self {
        Self {
            request: request.to_owned(),
            keys: challenges
                .iter()
                .filter_map(|c| match &c.challenge {
                    Challenge::Dns01 {
                        record_value,
                        key_authorization,
                        ..
                    } if !key_authorization.is_empty() => {
                        Some((record_value.clone(), key_authorization.clone()))
                    }
                    _ => None,
                })
                .collect(),
        }
    }

    /// The key authorization whose TXT value is `value`.
    pub fn of_value(&self, value: &str) -> Result<&str> {
        self.keys.get(value).map(String::as_str).ok_or_else(|| {
            Error::blocked(
                format!(
                    "the order has no key authorization for the TXT value {value} (it was placed \
                     by an earlier certdesk, which kept only the value)"
                ),
                NextStep::NewChallenge {
                    request: self.request.clone(),
                    cause: None,
                },
            )
        })
    }
}

/// What a successful deployment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct Deployed {
    /// One line for the deploy history, e.g. "3 files to web1:22, nginx reloaded, serving 0a1b…".
    pub summary: String,
    /// The serial the server presented after the reload (lower-case hex), when it was checked.
    pub served_serial: Option<String>,
}

/// A server identity seen by [`DeployTarget::test`] that the mapping does not pin yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Pin {
    /// The mapping field that pins it, e.g. `host_key_sha256`.
    pub field: &'static str,
    /// The value to store there when the administrator accepts it.
    pub value: String,
}

/// The outcome of [`DeployTarget::test`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Probe {
    /// What was checked, in words (e.g. "logged in to web1:22 as deploy; /var/www writable").
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpinned: Option<Pin>,
}

/// An end server certdesk deploys certificates to: the installer, with the solver roles it
/// offers.
#[async_trait::async_trait]
pub trait DeployTarget: Send + Sync {
    /// Installs the bundle: atomic writes, backup, reload, check; restores the backup on failure.
    async fn deploy(&self, bundle: &Bundle) -> Result<Deployed>;

    /// Connects and authenticates without changing anything.
    async fn test(&self) -> Result<Probe>;

    /// The target's http-01 solver, when it answers http-01.
    fn http01(&self) -> Option<&dyn Http01Solver> {
        None
    }

    /// How the target publishes dns-01 TXT records, in words, or `None` when it is not set up
    /// for it. See [`TargetSpec::dns01`] for where the answer comes from.
    async fn dns01(&self) -> Result<Option<String>> {
        Ok(None)
    }

    /// The target as the dns-01 publisher of an order whose key authorizations are `keys` (an
    /// agent is sent those rather than the TXT values), when the kind can publish; it refuses
    /// with what to configure while [`DeployTarget::dns01`] is `None`.
    fn dns01_publisher(
        self: Box<Self>,
        keys: TxtKeyAuthorizations,
    ) -> Option<Box<dyn DnsProvider>> {
        let _ = keys;
        None
    }
}

/// Serves http-01 tokens on an end server.
#[async_trait::async_trait]
pub trait Http01Solver: Send + Sync {
    /// Serves every token's key authorization at its `/.well-known/acme-challenge/` URL.
    async fn publish_tokens(&self, tokens: &[Http01Token]) -> Result<()>;

    /// Stops serving the tokens; tokens already gone are fine.
    async fn withdraw_tokens(&self, tokens: &[Http01Token]) -> Result<()>;
}

/// Where a kind of mapping learns whether it answers dns-01 (and so where its `dns_command` is
/// set, which a next step names).
pub use crate::next_step::Dns01Source;

/// One kind of mapping.
#[derive(Clone, Copy)]
pub struct TargetSpec {
    /// The id stored with a mapping and given to `certdesk deploy add --kind`.
    pub kind: &'static str,
    pub label: &'static str,
    pub fields: &'static [FieldSpec],
    pub dns01: Dns01Source,
    /// Checks what can be checked without the network and builds the target.
    pub build: fn(&TargetConfig) -> Result<Box<dyn DeployTarget>>,
}

impl std::fmt::Debug for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind)
    }
}

impl Serialize for TargetSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("TargetSpec", 3)?;
        out.serialize_field("kind", self.kind)?;
        out.serialize_field("label", self.label)?;
        out.serialize_field("fields", self.fields)?;
        out.end()
    }
}

/// The kind with the id `kind`.
pub fn kind(kind: &str) -> Result<&'static TargetSpec> {
    KINDS.iter().find(|k| k.kind == kind).ok_or_else(|| {
        Error::input(format!(
            "unknown mapping kind {kind:?}: choose one of {}",
            KINDS.iter().map(|k| k.kind).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// A mapping opened for use: its fields with the secrets unsealed. Lives only as long as one
/// publication, deployment or test.
pub struct TargetConfig {
    pub spec: &'static TargetSpec,
    /// The mapping's name, for messages.
    pub name: String,
    values: BTreeMap<String, Zeroizing<String>>,
}

impl TargetConfig {
    pub fn new(
        spec: &'static TargetSpec,
        name: String,
        values: BTreeMap<String, Zeroizing<String>>,
    ) -> Self {
        Self { spec, name, values }
    }

    /// A field's value; empty counts as not set.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values
            .get(field)
            .map(|v| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, field: &str) -> Result<&str> {
        self.get(field).ok_or_else(|| {
            let label = self
                .spec
                .fields
                .iter()
                .find(|f| f.name == field)
                .map_or(field, |f| f.label);
            Error::blocked(
                format!(
                    "mapping {:?} ({}) has no {label}",
                    self.name, self.spec.label
                ),
                NextStep::EditMapping {
                    mapping: self.name.clone(),
                    field: Some(field.to_owned()),
                },
            )
        })
    }

    /// Where the mapping looks up zones and propagation for dns-01, and for how long it waits
    /// ([`crate::dns::PROPAGATION_FIELDS`], which every kind declares).
    pub fn propagation(&self) -> Result<crate::dns::Propagation> {
        crate::dns::Propagation::from_fields(|name| self.get(name))
            .map_err(|e| Error::input(format!("mapping {:?}: {e}", self.name)))
    }

    /// An input error about this mapping's field `field`.
    pub fn invalid(&self, field: &str, why: impl std::fmt::Display) -> Error {
        Error::input(format!("mapping {:?}: {field} {why}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns01(value: &str, key_authorization: &str) -> OrderChallenge {
        OrderChallenge {
            challenge: Challenge::Dns01 {
                domain: "example.net".into(),
                record_name: "_acme-challenge.example.net".into(),
                record_value: value.into(),
                key_authorization: key_authorization.into(),
            },
            status: "pending".into(),
        }
    }

    #[test]
    fn each_txt_value_finds_its_key_authorization_and_an_older_orders_none() {
        let keys = TxtKeyAuthorizations::of("r1", &[dns01("v1", "tok1.a"), dns01("v2", "")]);
        assert_eq!(keys.of_value("v1").unwrap(), "tok1.a");
        let refused = keys.of_value("v2").unwrap_err();
        assert_eq!(
            refused.next_step(),
            Some(NextStep::NewChallenge {
                request: "r1".into(),
                cause: None
            }),
            "{refused}"
        );
        assert!(keys.of_value("v3").is_err());
    }
}
