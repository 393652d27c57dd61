//! dns-01 on autopilot: DNS providers that publish and remove `_acme-challenge` TXT records, and
//! the DNS lookups around them (the zone of a name, delegation by CNAME, propagation).
//!
//! A provider is one file here with a [`ProviderSpec`]: its id, its form (fields as data, which
//! the CLI checks and the DNS tab draws) and a constructor for its [`DnsProvider`]. Adding a
//! provider is that file plus one line in [`PROVIDERS`].
//!
//! This crate sits between certdesk-base and the engine: it needs nothing of the engine's, and the
//! agent, which links only certdesk-base, links none of its HTTP and DNS clients.

mod azure;
pub mod body;
pub mod caa;
mod cloudflare;
mod cloudns;
mod godaddy;
mod http;
pub mod lookup;
mod publish;
mod rfc2136;
mod route53;
mod script;
mod tsig;
mod tsig_legacy;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::ser::SerializeStruct;
use serde::Serialize;
use zeroize::Zeroizing;

use certdesk_base::error::{Error, Result};
use certdesk_base::next_step::NextStep;

pub use certdesk_base::dns::{command, TxtSet};

/// Public for the engine's issuance, which publishes a request's dns-01 records through it.
pub use publish::Publication;

/// The field declarations are shared with deploy mappings.
pub use certdesk_base::field::FieldSpec;

/// Every provider certdesk can publish TXT records with, in the order the faces list them.
pub const PROVIDERS: &[ProviderSpec] = &[
    rfc2136::SPEC,
    cloudflare::SPEC,
    godaddy::SPEC,
    azure::SPEC,
    route53::SPEC,
    cloudns::SPEC,
    script::SPEC,
];

/// How long to wait for the TXT records to reach every nameserver unless the account says.
pub const DEFAULT_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(300);

/// A DNS service certdesk writes `_acme-challenge` TXT records to.
///
/// Implementations add and remove only certdesk's own values: other TXT values at the same name
/// (another client's challenge, an SPF record) stay as they are, also with APIs that replace a
/// name's whole set on write.
#[async_trait::async_trait]
pub trait DnsProvider: Send + Sync {
    /// Adds `set.values` to the TXT records at `set.fqdn`. Returns once the provider has
    /// accepted them (Route 53: once the change is in sync).
    async fn present(&self, set: &TxtSet) -> Result<()>;

    /// Removes `set.values` from the TXT records at `set.fqdn`; values already gone are fine.
    async fn cleanup(&self, set: &TxtSet) -> Result<()>;

    /// Checks the credentials and, given a zone, access to it, leaving every record as it was
    /// (RFC 2136 proves the key by adding a test value at `_acme-challenge.ZONE` and removing it).
    async fn test(&self, zone: Option<&str>) -> Result<String>;

    /// The TTL written with the records: the provider's minimum where it has one.
    fn ttl(&self) -> u32 {
        120
    }
}

/// How long to wait for the TXT records and where to look: fields every provider takes, and deploy
/// mappings that publish dns-01 records too.
pub const PROPAGATION_FIELDS: [FieldSpec; 2] = [
    FieldSpec::new(
        "propagation_timeout",
        "Propagation timeout (seconds)",
        "How long to wait for the TXT records to reach every nameserver; 300 unless set.",
    )
    .optional(),
    FieldSpec::new(
        "nameservers",
        "Nameservers to check",
        "IP:PORT list, comma separated: asked for zones and propagation instead of the system \
         resolver and the zone's own servers (split-horizon DNS, tests).",
    )
    .optional(),
];

/// What [`PROPAGATION_FIELDS`] say: where the zone and the propagation are looked up, and for
/// how long certdesk waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    /// Asked instead of the system's resolvers and the zone's own servers; empty: those.
    pub nameservers: Vec<std::net::SocketAddr>,
    pub timeout: Duration,
}

impl Propagation {
    /// The settings from a configuration's fields (`get` returns a field's value when set).
    pub fn from_fields<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self> {
        let timeout = match get("propagation_timeout") {
            None => DEFAULT_PROPAGATION_TIMEOUT,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(secs) if (1..=86_400).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(Error::input(format!(
                        "propagation_timeout {text:?} is not a number of seconds from 1 to 86400"
                    )))
                }
            },
        };
        let nameservers = get("nameservers")
            .map(lookup::parse_servers)
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            nameservers,
            timeout,
        })
    }
}

/// The field HTTP providers add for sovereign clouds, proxies and local test servers.
const ENDPOINT_FIELD: FieldSpec = FieldSpec::new(
    "endpoint",
    "API endpoint",
    "Leave empty for the provider's public API; set it for a sovereign cloud or a proxy.",
)
.optional();

/// The field HTTP providers add for an endpoint whose certificate a private CA issued.
const CA_FIELD: FieldSpec = FieldSpec::new(
    "ca_certificate",
    "Extra trusted CA (PEM file)",
    "Only for an endpoint behind a TLS-inspecting proxy or a private CA.",
)
.optional();

/// A DNS provider certdesk can publish TXT records with.
#[derive(Clone, Copy)]
pub struct ProviderSpec {
    /// The id stored with an account and given to `certdesk dns add --provider`.
    pub id: &'static str,
    pub label: &'static str,
    /// The provider's own fields; [`ProviderSpec::fields`] adds the common ones.
    pub own_fields: &'static [FieldSpec],
    /// Speaks HTTP(S): takes an `endpoint` and an extra CA.
    pub http: bool,
    /// What least privilege to grant the credentials, for the form and the README.
    pub privilege: &'static str,
    pub build: fn(&Config) -> Result<Box<dyn DnsProvider>>,
}

impl std::fmt::Debug for ProviderSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl ProviderSpec {
    /// Every field of the provider's form, its own first.
    pub fn fields(&self) -> impl Iterator<Item = &'static FieldSpec> {
        let http: &'static [FieldSpec] = if self.http {
            &[ENDPOINT_FIELD, CA_FIELD]
        } else {
            &[]
        };
        self.own_fields
            .iter()
            .chain(http)
            .chain(&PROPAGATION_FIELDS)
    }
}

impl Serialize for ProviderSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("ProviderSpec", 4)?;
        out.serialize_field("id", self.id)?;
        out.serialize_field("label", self.label)?;
        out.serialize_field("privilege", self.privilege)?;
        out.serialize_field("fields", &self.fields().collect::<Vec<_>>())?;
        out.end()
    }
}

/// The provider with the id `id`.
pub fn provider(id: &str) -> Result<&'static ProviderSpec> {
    PROVIDERS.iter().find(|p| p.id == id).ok_or_else(|| {
        Error::input(format!(
            "unknown DNS provider {id:?}: choose one of {}",
            PROVIDERS
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A DNS account's configuration opened for use: its fields with the secrets unsealed. Lives
/// only as long as a publication or a test.
pub struct Config {
    pub spec: &'static ProviderSpec,
    /// The account's name, for messages.
    pub account: String,
    values: BTreeMap<String, Zeroizing<String>>,
}

impl Config {
    pub fn new(
        spec: &'static ProviderSpec,
        account: String,
        values: BTreeMap<String, Zeroizing<String>>,
    ) -> Self {
        Self {
            spec,
            account,
            values,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|v| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| {
            let label = self
                .spec
                .fields()
                .find(|f| f.name == name)
                .map_or(name, |f| f.label);
            Error::blocked(
                format!(
                    "DNS account {:?} ({}) has no {label}",
                    self.account, self.spec.label
                ),
                NextStep::EditDnsAccount {
                    account: self.account.clone(),
                    field: Some(name.to_owned()),
                },
            )
        })
    }

    /// The API base URL: the account's `endpoint`, else the provider's public one.
    pub fn endpoint(&self, default: &str) -> Result<url::Url> {
        let text = self.get("endpoint").unwrap_or(default);
        let url = url::Url::parse(text.trim_end_matches('/')).map_err(|e| {
            Error::input(format!(
                "the endpoint {text:?} of DNS account {:?} is not a URL ({e})",
                self.account
            ))
        })?;
        if url.scheme() != "https" {
            return Err(Error::input(format!(
                "the endpoint {text:?} of DNS account {:?} is not https: credentials are never \
                 sent in clear",
                self.account
            )));
        }
        Ok(url)
    }

    /// Where to look up the zone and the propagation, and for how long.
    pub fn propagation(&self) -> Result<Propagation> {
        Propagation::from_fields(|name| self.get(name))
    }

    /// Checks what can be checked without the network, so that a bad value is refused when the
    /// account is saved rather than at the first renewal.
    pub fn check(&self) -> Result<()> {
        self.propagation()?;
        if self.spec.http {
            self.endpoint("https://localhost")?;
        }
        (self.spec.build)(self).map(drop)
    }
}

/// A provider's refusal or failure, naming the provider, what it was doing and its own words.
pub(crate) fn provider_error(label: &str, doing: &str, text: impl std::fmt::Display) -> Error {
    Error::Dns(format!("{label} failed {doing}: {text}"))
}
