//! RFC 2136 dynamic updates signed with TSIG (RFC 8945): BIND, PowerDNS, Knot and any server
//! that takes `nsupdate`. Two modes: one server and key for every zone, or a list of zones each
//! with its own server and key.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hickory_client::client::{Client, ClientHandle};
use hickory_client::proto::dnssec::rdata::tsig::TsigAlgorithm;
use hickory_client::proto::dnssec::tsig::TSigner;
use hickory_client::proto::op::{MessageFinalizer, ResponseCode};
use hickory_client::proto::rr::rdata::TXT;
use hickory_client::proto::rr::{Name, RData, Record, RecordSet, RecordType};
use hickory_client::proto::runtime::TokioRuntimeProvider;
use hickory_client::proto::tcp::TcpClientStream;
use serde::Deserialize;

use super::lookup::parse_name;
use super::tsig_legacy::{LegacyMac, LegacySigner};
use super::{provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use crate::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "rfc2136",
    label: "RFC 2136 (BIND, PowerDNS, Knot)",
    own_fields: &[
        FieldSpec::new(
            "server",
            "Server (host:port)",
            "The primary nameserver that accepts dynamic updates, e.g. ns1.example.com:53.",
        )
        .optional(),
        FieldSpec::new(
            "key_name",
            "TSIG key name",
            "The key's name as the server knows it (tsig-keygen's `key \"NAME\"`).",
        )
        .optional(),
        FieldSpec::new("key_secret", "TSIG secret", "The key's base64 secret.")
            .secret()
            .optional(),
        FieldSpec::new(
            "algorithm",
            "TSIG algorithm",
            "hmac-sha256 (default), hmac-sha384, hmac-sha512, or the legacy hmac-sha1 and hmac-md5.",
        )
        .optional(),
        FieldSpec::new(
            "zones",
            "Per-domain keys (JSON)",
            "Instead of one server and key: [{\"zone\", \"server\", \"key_name\", \"key_secret\", \
             \"algorithm\"}, …], one per zone.",
        )
        .secret()
        .optional(),
    ],
    http: false,
    privilege: "A TSIG key that the zone's update-policy allows to change TXT records only \
                (BIND: `grant KEY zonesub TXT;`), ideally only `_acme-challenge` names.",
    build: |config| Ok(Box::new(Rfc2136::new(config)?)),
};

/// Servers that take this long to answer an update count as unreachable.
const UPDATE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a signed update stays valid (RFC 8945 recommends 300 s).
const FUDGE: u16 = 300;

/// One server and key, for all zones or for one.
#[derive(Deserialize)]
struct ZoneKey {
    #[serde(default)]
    zone: Option<String>,
    server: String,
    key_name: String,
    key_secret: String,
    #[serde(default)]
    algorithm: Option<String>,
}

struct Target {
    zone: Option<Name>,
    server: String,
    signer: Arc<dyn MessageFinalizer>,
}

struct Rfc2136 {
    targets: Vec<Target>,
}

impl Rfc2136 {
    fn new(config: &Config) -> Result<Self> {
        let keys: Vec<ZoneKey> = match config.get("zones") {
            Some(json) => {
                if config.get("server").is_some() || config.get("key_name").is_some() {
                    return Err(Error::input(
                        "RFC 2136: give either one server and key, or per-domain zones, not both",
                    ));
                }
                let keys: Vec<ZoneKey> = serde_json::from_str(json).map_err(|e| {
                    Error::input(format!(
                        "RFC 2136 zones must be a JSON list of {{zone, server, key_name, \
                         key_secret, algorithm}} ({e})"
                    ))
                })?;
                if keys.is_empty() || keys.iter().any(|k| k.zone.is_none()) {
                    return Err(Error::input("RFC 2136: every entry of zones needs a zone"));
                }
                keys
            }
            None => vec![ZoneKey {
                zone: None,
                server: config.required("server")?.to_owned(),
                key_name: config.required("key_name")?.to_owned(),
                key_secret: config.required("key_secret")?.to_owned(),
                algorithm: config.get("algorithm").map(str::to_owned),
            }],
        };
        let targets = keys.into_iter().map(target).collect::<Result<_>>()?;
        Ok(Self { targets })
    }

    /// The server and key for `zone`: the entry for the zone itself or the closest parent.
    fn target(&self, zone: &str) -> Result<&Target> {
        let name = parse_name(zone)?;
        self.targets
            .iter()
            .filter(|t| t.zone.as_ref().is_none_or(|z| z.zone_of(&name)))
            .max_by_key(|t| t.zone.as_ref().map_or(0, |z| z.num_labels()))
            .ok_or_else(|| {
                Error::input(format!(
                    "RFC 2136: no zone entry covers {zone}: add it to the account's zones"
                ))
            })
    }

    async fn update(&self, set: &TxtSet, add: bool) -> Result<()> {
        let target = self.target(&set.zone)?;
        let zone = parse_name(&set.zone)?;
        let mut rrset = RecordSet::new(parse_name(&set.fqdn)?, RecordType::TXT, 0);
        for value in &set.values {
            rrset.insert(
                Record::from_rdata(
                    rrset.name().clone(),
                    self.ttl(),
                    RData::TXT(TXT::new(vec![value.clone()])),
                ),
                0,
            );
        }
        let doing = if add {
            format!("adding TXT {} via {}", set.fqdn, target.server)
        } else {
            format!("removing TXT {} via {}", set.fqdn, target.server)
        };
        let mut client = connect(target).await.map_err(|e| {
            provider_error(SPEC.label, &doing, format!("cannot reach the server: {e}"))
        })?;
        let sent = if add {
            client.append(rrset, zone, false).await
        } else {
            client.delete_by_rdata(rrset, zone).await
        };
        let response = sent.map_err(|e| provider_error(SPEC.label, &doing, explain_error(&e)))?;
        match response.response_code() {
            ResponseCode::NoError => Ok(()),
            code => Err(provider_error(
                SPEC.label,
                &doing,
                explain_code(code, &set.zone),
            )),
        }
    }
}

#[async_trait::async_trait]
impl DnsProvider for Rfc2136 {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        self.update(set, true).await
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        self.update(set, false).await
    }

    async fn test(&self, zone: Option<&str>) -> Result<String> {
        let zone = zone.ok_or_else(|| {
            Error::input("RFC 2136: name a zone to test (certdesk dns test NAME --zone ZONE)")
        })?;
        let target = self.target(zone)?;
        // An update whose prerequisite can never hold proves the key without changing anything:
        // a good key gets NXRRSET back, a bad one NOTAUTH.
        let name = parse_name(zone)?;
        let mut client = connect(target).await.map_err(|e| {
            provider_error(
                SPEC.label,
                "testing",
                format!("cannot reach the server: {e}"),
            )
        })?;
        let probe = Record::from_rdata(
            parse_name(&format!("_certdesk-test.{zone}"))?,
            0,
            RData::TXT(TXT::new(vec!["certdesk test".into()])),
        );
        let response = client
            .compare_and_swap(probe.clone(), probe, name)
            .await
            .map_err(|e| provider_error(SPEC.label, "testing", explain_error(&e)))?;
        match response.response_code() {
            ResponseCode::NXRRSet | ResponseCode::NoError => Ok(format!(
                "{} accepts updates to {zone} signed with this key",
                target.server
            )),
            code => Err(provider_error(
                SPEC.label,
                "testing",
                explain_code(code, zone),
            )),
        }
    }
}

fn target(key: ZoneKey) -> Result<Target> {
    let algorithm = key.algorithm.as_deref().unwrap_or("hmac-sha256");
    let algorithm = match algorithm.to_ascii_lowercase().trim_end_matches('.') {
        "hmac-sha256" => Ok(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Ok(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Ok(TsigAlgorithm::HmacSha512),
        "hmac-sha1" => Err(LegacyMac::Sha1),
        "hmac-md5" | "hmac-md5.sig-alg.reg.int" => Err(LegacyMac::Md5),
        other => {
            return Err(Error::input(format!(
                "RFC 2136: unknown TSIG algorithm {other:?}: choose hmac-sha256, hmac-sha384, \
                 hmac-sha512, hmac-sha1 or hmac-md5"
            )))
        }
    };
    let secret = base64::engine::general_purpose::STANDARD
        .decode(key.key_secret.trim())
        .map_err(|_| {
            Error::input(format!(
                "RFC 2136: the secret of key {:?} is not base64 (copy the `secret` of the \
                 tsig-keygen output)",
                key.key_name
            ))
        })?;
    let key_name = Name::from_ascii(&key.key_name).map_err(|e| {
        Error::input(format!(
            "RFC 2136: the key name {:?} is not a DNS name ({e})",
            key.key_name
        ))
    })?;
    let signer: Arc<dyn MessageFinalizer> = match algorithm {
        Ok(modern) => Arc::new(
            TSigner::new(secret, modern, key_name, FUDGE)
                .map_err(|e| Error::input(format!("RFC 2136: the TSIG key is unusable ({e})")))?,
        ),
        Err(legacy) => Arc::new(LegacySigner::new(secret, legacy, key_name, FUDGE)),
    };
    if key.server.trim().is_empty() {
        return Err(Error::input(
            "RFC 2136: the server is empty: give host:port",
        ));
    }
    Ok(Target {
        zone: key.zone.as_deref().map(parse_name).transpose()?,
        server: key.server.trim().to_owned(),
        signer,
    })
}

/// A TCP connection (updates are small, but TCP spares us UDP's lost-packet guessing) signing
/// every message with the target's key and checking the server's signature on the answer.
async fn connect(target: &Target) -> Result<Client> {
    let addr = resolve(&target.server).await?;
    let (stream, sender) = TcpClientStream::new(
        addr,
        None,
        Some(UPDATE_TIMEOUT),
        TokioRuntimeProvider::new(),
    );
    let (client, background) =
        Client::with_timeout(stream, sender, UPDATE_TIMEOUT, Some(target.signer.clone()))
            .await
            .map_err(|e| Error::Dns(e.to_string()))?;
    tokio::spawn(background);
    Ok(client)
}

/// `host:port` or `host` (port 53), by IP or by name.
async fn resolve(server: &str) -> Result<SocketAddr> {
    if let Ok(addr) = server.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let with_port = if server
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        server.to_owned()
    } else {
        format!("{server}:53")
    };
    tokio::net::lookup_host(&with_port)
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| Error::Dns(format!("cannot find the address of the server {server:?}")))
}

fn explain_code(code: ResponseCode, zone: &str) -> String {
    match code {
        ResponseCode::NotAuth => format!(
            "the server answered NOTAUTH: it does not accept this TSIG key for {zone} (check the \
             key name, secret and algorithm, and that the server is primary for the zone)"
        ),
        ResponseCode::Refused => format!(
            "the server answered REFUSED: its update-policy does not let this key change TXT \
             records in {zone}"
        ),
        ResponseCode::NotZone => format!("the server answered NOTZONE: it has no zone {zone}"),
        code => format!("the server answered {code}"),
    }
}

/// A signature the server would not verify comes back unsigned, which hickory reports as a
/// TSIG failure: say what it means.
fn explain_error(e: &hickory_client::ClientError) -> String {
    let text = match e.kind() {
        hickory_client::ClientErrorKind::Proto(p) => p.to_string(),
        _ => e.to_string(),
    };
    if text.to_ascii_lowercase().contains("tsig") {
        format!(
            "the server did not accept the TSIG signature ({text}): check the key name, secret \
             and algorithm"
        )
    } else {
        text
    }
}
