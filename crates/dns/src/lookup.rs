//! DNS lookups around a dns-01 challenge: the zone of a name (by SOA), delegation of
//! `_acme-challenge` by CNAME, the zone's authoritative servers, and whether each of them
//! answers with our TXT values yet.
//!
//! Queries go to explicit servers, never through a cache: the account's `nameservers` when it
//! sets them, else the resolvers of the system's configuration for discovery and the zone's own
//! nameservers for propagation.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_client::client::{Client, ClientHandle};
use hickory_client::proto::op::{Message, ResponseCode};
use hickory_client::proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_client::proto::runtime::TokioRuntimeProvider;
use hickory_client::proto::udp::UdpClientStream;

use certdesk_base::error::{Error, Result};

/// One query waits this long for an answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// A query to a resolver that gets no answer is sent again this many times in all, each
/// waiting [`RESOLVER_TIMEOUT`]: resolvers drop UDP queries past a rate (this machine's drops
/// some of a burst of 30), and a stub resolver retransmits rather than fail at the first loss.
const RESOLVER_ATTEMPTS: usize = 3;
const RESOLVER_TIMEOUT: Duration = Duration::from_secs(2);

/// At most this many queries to resolvers in flight per process: a batch of concurrent orders
/// climbs the tree for every name at once, and a burst is what resolvers drop.
static IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// The system's resolvers, read once per process (every lookup without servers shares them).
static SYSTEM_RESOLVERS: std::sync::OnceLock<std::result::Result<Vec<SocketAddr>, String>> =
    std::sync::OnceLock::new();

/// CNAME chains longer than this are a loop or a mistake.
const MAX_CNAMES: usize = 8;

/// Parses `IP`, `IP:PORT` or `[IPv6]:PORT`, comma or space separated; port 53 when none is given.
pub fn parse_servers(text: &str) -> Result<Vec<SocketAddr>> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<SocketAddr>()
                .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| {
                    Error::input(format!(
                        "nameserver {s:?} is not an IP address with an optional port (e.g. \
                         192.0.2.53 or 192.0.2.53:5353)"
                    ))
                })
        })
        .collect()
}

/// A nameserver to check, with the name it has in the zone's NS records when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nameserver {
    pub name: Option<String>,
    pub addr: SocketAddr,
}

impl std::fmt::Display for Nameserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} ({})", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

/// Where the lookups go.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// Asked for SOA, CNAME and NS records.
    resolvers: Vec<SocketAddr>,
    /// Set by the account: also the servers checked for propagation.
    pinned: bool,
}

impl Lookup {
    /// Lookups through `servers`, or the system's resolvers when there are none.
    pub fn new(servers: Vec<SocketAddr>) -> Result<Self> {
        if !servers.is_empty() {
            return Ok(Self {
                resolvers: servers,
                pinned: true,
            });
        }
        let resolvers = SYSTEM_RESOLVERS
            .get_or_init(system_resolvers)
            .clone()
            .map_err(Error::Dns)?;
        Ok(Self {
            resolvers,
            pinned: false,
        })
    }

    /// The answer of the first resolver that gives one, each asked up to [`RESOLVER_ATTEMPTS`]
    /// times while it does not answer.
    pub(crate) async fn ask(&self, name: &Name, rtype: RecordType) -> Result<Message> {
        let _turn = IN_FLIGHT
            .acquire()
            .await
            .map_err(|e| Error::Dns(format!("DNS lookups stopped: {e}")))?;
        let mut last = None;
        for server in &self.resolvers {
            let mut answer = query(*server, name, rtype, RESOLVER_TIMEOUT).await;
            for _ in 1..RESOLVER_ATTEMPTS {
                if answer.is_ok() {
                    break;
                }
                answer = query(*server, name, rtype, RESOLVER_TIMEOUT).await;
            }
            match answer {
                Ok(m) if m.response_code() != ResponseCode::ServFail => return Ok(m),
                Ok(_) => {
                    last = Some(Error::Dns(format!(
                        "{server} answered SERVFAIL for {rtype} {name}"
                    )))
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Dns("no DNS resolver to ask".into())))
    }

    /// Whether the servers were set by the account (authoritative servers, which refuse names
    /// outside their zones) rather than read from the system's configuration.
    pub(crate) fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// The servers asked, in order.
    pub(crate) fn resolvers(&self) -> &[SocketAddr] {
        &self.resolvers
    }

    /// Follows CNAMEs from `fqdn` (delegated validation: `_acme-challenge.example.com` may point
    /// into a zone kept only for challenges) and returns the name the TXT record belongs at.
    pub async fn follow_cnames(&self, fqdn: &str) -> Result<String> {
        let mut current = parse_name(fqdn)?;
        for _ in 0..MAX_CNAMES {
            let answer = self.ask(&current, RecordType::CNAME).await?;
            let target = answer.answers().iter().find_map(|r| match r.data() {
                RData::CNAME(c) if r.name() == &current => Some(c.0.clone()),
                _ => None,
            });
            match target {
                Some(next) => current = next,
                None => return Ok(plain(&current)),
            }
        }
        Err(Error::Dns(format!(
            "{fqdn} leads through more than {MAX_CNAMES} CNAMEs: check its delegation"
        )))
    }

    /// The zone holding `fqdn`: the closest enclosing name with an SOA record
    /// (`_acme-challenge.a.b.example.co.uk` lives in `example.co.uk`).
    pub async fn zone_of(&self, fqdn: &str) -> Result<String> {
        let mut name = parse_name(fqdn)?;
        loop {
            let answer = self.ask(&name, RecordType::SOA).await?;
            let owner = answer
                .answers()
                .iter()
                .chain(answer.name_servers())
                .find(|r| r.record_type() == RecordType::SOA)
                .map(|r| r.name().clone());
            match owner {
                Some(zone) if zone.zone_of(&parse_name(fqdn)?) && !zone.is_root() => {
                    return Ok(plain(&zone))
                }
                _ if name.num_labels() <= 1 => {
                    return Err(Error::Dns(format!(
                        "no DNS zone holds {fqdn}: the resolvers ({}) know no SOA record above it; \
                         check the name, or set the DNS account's nameservers",
                        list(&self.resolvers)
                    )))
                }
                _ => name = name.base_name(),
            }
        }
    }

    /// The servers to check for propagation: the pinned ones, else every address of each of the
    /// zone's NS records.
    pub async fn authoritative(&self, zone: &str) -> Result<Vec<Nameserver>> {
        if self.pinned {
            return Ok(self
                .resolvers
                .iter()
                .map(|addr| Nameserver {
                    name: None,
                    addr: *addr,
                })
                .collect());
        }
        let zone_name = parse_name(zone)?;
        let answer = self.ask(&zone_name, RecordType::NS).await?;
        let mut servers = Vec::new();
        for record in answer.answers() {
            let RData::NS(ns) = record.data() else {
                continue;
            };
            for rtype in [RecordType::A, RecordType::AAAA] {
                let addrs = self.ask(&ns.0, rtype).await?;
                for r in addrs.answers() {
                    let ip = match r.data() {
                        RData::A(a) => IpAddr::V4(a.0),
                        RData::AAAA(a) => IpAddr::V6(a.0),
                        _ => continue,
                    };
                    servers.push(Nameserver {
                        name: Some(plain(&ns.0)),
                        addr: SocketAddr::new(ip, 53),
                    });
                }
            }
        }
        if servers.is_empty() {
            return Err(Error::Dns(format!(
                "cannot find the nameservers of {zone} (no NS records with addresses): set the \
                 DNS account's nameservers"
            )));
        }
        Ok(servers)
    }
}

/// The TXT values `server` answers for `fqdn` now.
pub async fn txt_values(server: SocketAddr, fqdn: &str) -> Result<Vec<String>> {
    let name = parse_name(fqdn)?;
    let answer = query(server, &name, RecordType::TXT, QUERY_TIMEOUT).await?;
    Ok(answer
        .answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::TXT(txt) => Some(
                txt.txt_data()
                    .iter()
                    .map(|part| String::from_utf8_lossy(part))
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect())
}

/// One query to one server over UDP, waiting `timeout` for the answer.
async fn query(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    timeout: Duration,
) -> Result<Message> {
    let unreachable = |e: &dyn std::fmt::Display| {
        Error::Dns(format!(
            "the nameserver {server} did not answer {rtype} {name}: {e}"
        ))
    };
    let stream = UdpClientStream::builder(server, TokioRuntimeProvider::new())
        .with_timeout(Some(timeout))
        .build();
    let (mut client, background) = Client::connect(stream).await.map_err(|e| unreachable(&e))?;
    let task = tokio::spawn(background);
    let answer = client.query(name.clone(), DNSClass::IN, rtype).await;
    task.abort();
    answer
        .map(|r| r.into_message())
        .map_err(|e| unreachable(&e))
}

/// The resolvers of the system's configuration, or why there are none.
fn system_resolvers() -> std::result::Result<Vec<SocketAddr>, String> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
        format!("cannot read the system's DNS resolvers ({e}): set the DNS account's nameservers")
    })?;
    let resolvers: Vec<SocketAddr> = config
        .name_servers()
        .iter()
        .map(|ns| ns.socket_addr)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if resolvers.is_empty() {
        return Err(
            "the system has no DNS resolver configured: set the DNS account's nameservers".into(),
        );
    }
    Ok(resolvers)
}

/// A domain name for the wire, fully qualified.
pub(super) fn parse_name(text: &str) -> Result<Name> {
    let mut name = Name::from_ascii(text.trim_end_matches('.'))
        .map_err(|e| Error::input(format!("{text:?} is not a DNS name ({e})")))?;
    name.set_fqdn(true);
    Ok(name)
}

/// A name as certdesk shows it: lower case, without the final dot.
pub(crate) fn plain(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn list(servers: &[SocketAddr]) -> String {
    servers
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_take_a_port_or_default_to_53() {
        assert_eq!(
            parse_servers("127.0.0.1:5353, ::1 [::1]:54").unwrap(),
            vec![
                "127.0.0.1:5353".parse().unwrap(),
                "[::1]:53".parse().unwrap(),
                "[::1]:54".parse().unwrap()
            ]
        );
        let e = parse_servers("ns1.example.com").unwrap_err().to_string();
        assert!(
            e.contains("\"ns1.example.com\" is not an IP address"),
            "{e}"
        );
    }
}
