//! RFC 2136 dynamic updates signed with TSIG (RFC 8945): BIND, PowerDNS, Knot and any server
//! that takes `nsupdate`. Two modes: one server and key for every zone, or a list of zones each
//! with its own server and key.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_client::client::{Client, ClientHandle};
use hickory_client::proto::op::{Message, ResponseCode};
use hickory_client::proto::rr::rdata::TXT;
use hickory_client::proto::rr::{Name, RData, Record, RecordSet, RecordType};
use hickory_client::proto::runtime::TokioRuntimeProvider;
use hickory_client::proto::tcp::TcpClientStream;
use rand::RngCore;
use serde::Deserialize;

use super::lookup::parse_name;
use super::tsig::{Key, TsigError, FUDGE};
use super::{provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

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
    privilege: "A TSIG key that may change TXT records at `_acme-challenge` names only. BIND: \
                an update-policy with `grant KEY name _acme-challenge.ZONE. TXT;` (one per name; \
                `grant KEY zonesub TXT;` allows every TXT). Knot: an acl with `action: update`, `update-type: [TXT]`, \
                `update-owner: name`, `update-owner-match: equal` and `update-owner-name: \
                [_acme-challenge]` (add `_acme-challenge.www` for www.ZONE).",
    build: |config| Ok(Box::new(Rfc2136::new(config)?)),
};

/// Servers that take this long to answer an update count as unreachable.
const UPDATE_TIMEOUT: Duration = Duration::from_secs(10);

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
    key: Key,
}

/// What an update does to a TXT name's values.
#[derive(Clone, Copy)]
enum Change {
    Add,
    Remove,
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

    /// Adds or removes `set.values` at `set.fqdn` (other values there stay), through the
    /// server and key of `set.zone`.
    async fn update(&self, set: &TxtSet, change: Change) -> Result<()> {
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
        let doing = match change {
            Change::Add => format!("adding TXT {}", set.fqdn),
            Change::Remove => format!("removing TXT {}", set.fqdn),
        };
        let mut client = connect(target).await.map_err(|e| {
            provider_error(
                SPEC.label,
                &doing,
                format!("cannot reach the DNS server {}: {e}", target.server),
            )
        })?;
        let sent = match change {
            Change::Add => client.append(rrset, zone, false).await,
            Change::Remove => client.delete_by_rdata(rrset, zone).await,
        };
        let response = sent.map_err(|e| {
            provider_error(
                SPEC.label,
                &doing,
                format!("the DNS server {}: {}", target.server, client_error(&e)),
            )
        })?;
        match response.response_code() {
            ResponseCode::NoError => Ok(()),
            _ => Err(provider_error(
                SPEC.label,
                &doing,
                refusal(target, &response, set),
            )),
        }
    }
}

#[async_trait::async_trait]
impl DnsProvider for Rfc2136 {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        self.update(set, Change::Add).await
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        self.update(set, Change::Remove).await
    }

    /// Adds a random value at `_acme-challenge.ZONE` and removes it again: the one name a
    /// least-privilege key may certainly write (a probe elsewhere would fail with such a key,
    /// and a dry run proves nothing about the server's policy). Other values there stay.
    async fn test(&self, zone: Option<&str>) -> Result<String> {
        let zone = zone
            .map(|z| z.trim().trim_end_matches('.'))
            .filter(|z| !z.is_empty())
            .ok_or_else(|| {
                Error::input("RFC 2136: a test needs a zone: name one of the account's zones")
            })?;
        let target = self.target(zone)?;
        let set = TxtSet {
            fqdn: format!("_acme-challenge.{zone}"),
            zone: zone.to_owned(),
            values: vec![test_value()],
        };
        self.update(&set, Change::Add).await?;
        self.update(&set, Change::Remove).await.map_err(|e| {
            Error::Dns(format!(
                "{e}; the test value {:?} is still at {}: remove it with `nsupdate` or the \
                 server's tools",
                set.values[0], set.fqdn
            ))
        })?;
        Ok(format!(
            "{} accepts updates of TXT at {} signed with the key {} ({}): a test value was \
             added and removed",
            target.server,
            set.fqdn,
            target.key.name(),
            target.key.algorithm()
        ))
    }
}

/// A value no one else writes, so removing it cannot remove anyone else's.
fn test_value() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("certdesk-test-{}", hex::encode(bytes))
}

fn target(key: ZoneKey) -> Result<Target> {
    let server = key.server.trim();
    if server.is_empty() {
        return Err(Error::input(
            "RFC 2136: the server is empty: give host:port",
        ));
    }
    Ok(Target {
        zone: key.zone.as_deref().map(parse_name).transpose()?,
        server: server.to_owned(),
        key: Key::new(&key.key_name, &key.key_secret, key.algorithm.as_deref())?,
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
        Client::with_timeout(stream, sender, UPDATE_TIMEOUT, Some(target.key.signer()))
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

/// The server's refusal of an update of `set`: its rcode and TSIG error, what they mean and
/// what to check.
fn refusal(target: &Target, answer: &Message, set: &TxtSet) -> String {
    let code = answer.response_code();
    let tsig = TsigError::of(answer);
    let (key, algorithm, zone, fqdn) = (
        target.key.name(),
        target.key.algorithm(),
        &set.zone,
        &set.fqdn,
    );
    let policy = format!(
        "the server's policy must allow TXT at {fqdn} for the key {key} (BIND: `grant {key} \
         name {fqdn}. TXT;`; Knot: an acl for the key with `update-type: [TXT]`, \
         `update-owner: name`, `update-owner-name: [_acme-challenge]`)"
    );
    let what = match (code, tsig) {
        (_, Some(TsigError::BadSig)) => format!(
            "the key's secret or algorithm does not match the server's key {key}; check that \
             key_secret is the key's secret and that the server's key uses {algorithm}"
        ),
        (_, Some(TsigError::BadKey)) => format!(
            "the server knows no key {key} with the algorithm {algorithm}, or (Knot) its acl \
             does not let the key update {fqdn}; check the key name and algorithm against the \
             server's; if they match, {policy}"
        ),
        (_, Some(TsigError::BadTime)) => format!(
            "the clocks of this machine and the server differ by more than {FUDGE} s; set both \
             right (NTP)"
        ),
        (_, Some(TsigError::BadTrunc)) => {
            "the server wants a longer MAC than it got; check its minimum MAC length".to_owned()
        }
        (_, Some(TsigError::Other(_))) => "see the server's log".to_owned(),
        (ResponseCode::Refused, None) => format!("the key may not update this name: {policy}"),
        (ResponseCode::NotAuth, None) => format!(
            "the server is not authoritative for {zone}; point `server` at the zone's primary \
             nameserver"
        ),
        (ResponseCode::NotZone, None) => {
            format!("{fqdn} is not in the server's zone {zone}; check the zone")
        }
        (ResponseCode::ServFail, None) => {
            "the server could not apply the update; see its log".to_owned()
        }
        (_, None) => "see the server's log".to_owned(),
    };
    let tsig = tsig.map_or(String::new(), |e| format!(", TSIG error {e}"));
    format!(
        "the DNS server {} refused the update: {}{tsig} — {what}",
        target.server,
        rcode_name(code)
    )
}

/// The rcode's mnemonic, as `dig` and the RFCs write it.
fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::YXDomain => "YXDOMAIN".to_owned(),
        ResponseCode::YXRRSet => "YXRRSET".to_owned(),
        ResponseCode::NXRRSet => "NXRRSET".to_owned(),
        ResponseCode::NotAuth => "NOTAUTH".to_owned(),
        ResponseCode::NotZone => "NOTZONE".to_owned(),
        other => format!("rcode {}", u16::from(other)),
    }
}

/// A failure before any answer (connection, timeout, an answer that does not verify), in the
/// words of hickory's error minus its framing.
fn client_error(e: &hickory_client::ClientError) -> String {
    match e.kind() {
        hickory_client::ClientErrorKind::Proto(p) => p.to_string(),
        _ => e.to_string(),
    }
}
