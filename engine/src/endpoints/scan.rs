//! Discovery: probing the hosts, or the one address range (CIDR), and the ports an administrator
//! names — nothing else — for endpoints that answer TLS, each found one judged as a check judges
//! it. Bounded so a typo cannot become a sweep: at most [`MAX_ADDRESSES`] addresses,
//! [`MAX_PORTS`] ports and [`MAX_PROBES`] probes, [`PARALLEL_PROBES`] at once, each given
//! [`PROBE_TIMEOUT`] (shorter than a check's: a scan mostly meets closed or silent ports).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use futures::StreamExt;
use rustls::pki_types::ServerName;
use serde::Serialize;
use time::OffsetDateTime;

use super::{judge, key_of, served_chain, Endpoint, EndpointCheck, FindingKind};
use crate::activity::{Action, Subject};
use crate::error::{Error, Result};
use crate::Engine;

/// The most addresses one scan probes: a /22 of IPv4, a /118 of IPv6.
pub const MAX_ADDRESSES: usize = 1024;
/// The most ports one scan probes on each address.
pub const MAX_PORTS: usize = 32;
/// The most probes (addresses times ports) one scan makes.
pub const MAX_PROBES: usize = 4096;
/// How many probes run at once.
const PARALLEL_PROBES: usize = 16;
/// How long one probe may take, from the connection attempt to the end of the handshake.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What a scan probes, exactly as the administrator named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Targets {
    /// The host list, or the range as its network (`127.0.0.0/29`).
    pub hosts: String,
    pub addresses: usize,
    pub ports: Vec<u16>,
    pub probes: usize,
    /// Every address or name probed, in order.
    #[serde(skip)]
    #[ts(skip)]
    list: Vec<String>,
}

impl Targets {
    /// `hosts` (`H[,H…]` or one `CIDR`) and `ports` (`P[,P…]`), refused with a message that
    /// says which part is wrong or which bound it passes.
    pub fn parse(hosts: &str, ports: &str) -> Result<Targets> {
        let (shown, list) = parse_hosts(hosts)?;
        let ports = parse_ports(ports)?;
        let probes = list.len() * ports.len();
        if probes > MAX_PROBES {
            return Err(Error::input(format!(
                "{} addresses x {} ports is {probes} probes; a scan makes at most {MAX_PROBES}",
                list.len(),
                ports.len()
            )));
        }
        Ok(Targets {
            hosts: shown,
            addresses: list.len(),
            ports,
            probes,
            list,
        })
    }
}

/// How the probes went: `tls` answered a TLS handshake, `not_tls` accepted the connection and
/// spoke something else (or closed it), `no_answer` refused it, did not answer, or timed out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ScanSummary")]
pub struct Summary {
    pub probed: usize,
    pub tls: usize,
    pub not_tls: usize,
    pub no_answer: usize,
}

/// A scan's result: what it probed, the endpoints that answer TLS with their checks, how the
/// probes went, and (with tracking) the endpoints it started watching and those watched
/// already.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ScanReport {
    pub scanned: Targets,
    pub found: Vec<EndpointCheck>,
    pub summary: Summary,
    pub tracked: Vec<String>,
    pub watched_already: Vec<String>,
}

/// What one probe met.
enum Answer {
    Tls(Box<EndpointCheck>),
    NotTls,
    Nothing,
}

impl Engine {
    /// Probes every address of `targets` on every port, [`PARALLEL_PROBES`] at once, telling
    /// `progress` the probes done (of all) as each ends; with `track`, each endpoint found that
    /// is not watched yet is watched with its check, each added (and logged) as `endpoint add`
    /// adds one.
    pub async fn endpoint_scan(
        &self,
        targets: Targets,
        track: bool,
        progress: impl Fn(usize, usize),
    ) -> Result<ScanReport> {
        let against = self.judged().await?;
        let total = targets.probes;
        // Owned probes: a stream over borrowed ones is not `Send` for every lifetime, which a
        // command run on the app's async threads needs.
        let probes: Vec<Endpoint> = targets
            .list
            .iter()
            .flat_map(|host| {
                targets.ports.iter().map(move |&port| Endpoint {
                    endpoint: key_of(host, port),
                    host: host.clone(),
                    port,
                    sni: None,
                    starttls: None,
                    last: None,
                })
            })
            .collect();
        let mut done = 0;
        let mut answers: Vec<(usize, Answer)> =
            futures::stream::iter(probes.into_iter().enumerate())
                .map(|(at, endpoint)| {
                    let against = against.clone();
                    async move {
                        let now = OffsetDateTime::now_utc();
                        let answer = match served_chain(&endpoint, PROBE_TIMEOUT).await {
                            Ok(chain) => {
                                Answer::Tls(Box::new(judge(&endpoint, Ok(chain), now, &against)))
                            }
                            Err(f) if f.kind == FindingKind::HandshakeFailed => Answer::NotTls,
                            Err(_) => Answer::Nothing,
                        };
                        (at, answer)
                    }
                })
                .buffer_unordered(PARALLEL_PROBES)
                .inspect(|_| {
                    done += 1;
                    progress(done, total);
                })
                .collect()
                .await;
        answers.sort_by_key(|(at, _)| *at);

        let mut summary = Summary {
            probed: answers.len(),
            ..Summary::default()
        };
        let mut found = Vec::new();
        for (_, answer) in answers {
            match answer {
                Answer::Tls(check) => found.push(*check),
                Answer::NotTls => summary.not_tls += 1,
                Answer::Nothing => summary.no_answer += 1,
            }
        }
        summary.tls = found.len();
        let (mut tracked, mut watched_already) = (Vec::new(), Vec::new());
        if track {
            for check in &found {
                match self.track(check).await? {
                    true => tracked.push(check.endpoint.clone()),
                    false => watched_already.push(check.endpoint.clone()),
                }
            }
        }
        Ok(ScanReport {
            scanned: targets,
            found,
            summary,
            tracked,
            watched_already,
        })
    }

    /// Watches the endpoint `check` found, with the check as its last, in one transaction
    /// with its activity entry; false when it is watched already.
    async fn track(&self, check: &EndpointCheck) -> Result<bool> {
        let endpoints = self.endpoints();
        if endpoints.store.get::<Endpoint>(&check.endpoint)?.is_some() {
            return Ok(false);
        }
        let (host, port) = super::parse_address(&check.endpoint)?;
        let staged = endpoints.staged_watch(Endpoint {
            endpoint: check.endpoint.clone(),
            host,
            port,
            sni: None,
            starttls: None,
            last: Some(check.clone()),
        });
        let subject = Subject::default().target(&check.endpoint);
        self.commit_noted(Action::AddEndpoint, subject, staged.into())
            .await?;
        Ok(true)
    }
}

/// A host list (`H[,H…]`, each a DNS name or an IP address, an IPv6 one bare or in brackets) or
/// one range (`ADDRESS/PREFIX`): how it is shown and every address or name in it.
fn parse_hosts(spec: &str) -> Result<(String, Vec<String>)> {
    let spec = spec.trim();
    if spec.contains('/') {
        if spec.contains(',') {
            return Err(Error::input(format!(
                "{spec:?}: give one range (CIDR) or a list of hosts, not both"
            )));
        }
        return range(spec);
    }
    let mut list = Vec::new();
    for host in spec.split(',') {
        let host = parse_host(host)?;
        if !list.contains(&host) {
            list.push(host);
        }
    }
    if list.len() > MAX_ADDRESSES {
        return Err(Error::input(format!(
            "{} hosts given; a scan takes at most {MAX_ADDRESSES}",
            list.len()
        )));
    }
    Ok((list.join(","), list))
}

/// One host of a list, lower-case, without a final dot or an IPv6 address's brackets.
fn parse_host(host: &str) -> Result<String> {
    let given = host.trim();
    let bare = given
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(given);
    let bare = bare.strip_suffix('.').unwrap_or(bare);
    if bare.is_empty() {
        return Err(Error::input(
            "a host in the list is empty (write H[,H…] or one CIDR range)",
        ));
    }
    match ServerName::try_from(bare) {
        Ok(_) => Ok(bare.to_ascii_lowercase()),
        Err(_) if bare.contains(':') => Err(Error::input(format!(
            "{given:?} is not a host: give the ports with --ports, not in the host list"
        ))),
        Err(_) => Err(Error::input(format!(
            "{given:?} is neither a DNS name nor an IP address"
        ))),
    }
}

/// Every address of the range `ADDRESS/PREFIX` (its host bits ignored), the network's and the
/// broadcast address included: the administrator named them.
fn range(spec: &str) -> Result<(String, Vec<String>)> {
    let (address, prefix) = spec.split_once('/').unwrap_or((spec, ""));
    let address: IpAddr = address.trim().parse().map_err(|_| {
        Error::input(format!(
            "{spec:?}: {address:?} is not an IP address (a range is ADDRESS/PREFIX)"
        ))
    })?;
    let width: u32 = match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let prefix: u32 = prefix
        .trim()
        .parse()
        .ok()
        .filter(|p| *p <= width)
        .ok_or_else(|| {
            Error::input(format!(
                "{spec:?}: {prefix:?} is not a prefix length (0 to {width})"
            ))
        })?;
    let host_bits = width - prefix;
    let limit_bits = MAX_ADDRESSES.ilog2();
    if host_bits > limit_bits {
        let size = match host_bits {
            0..=63 => (1u64 << host_bits).to_string(),
            _ => format!("2^{host_bits}"),
        };
        return Err(Error::input(format!(
            "{spec} holds {size} addresses; a scan takes at most {MAX_ADDRESSES} (a /{} of \
             IPv4, a /{} of IPv6): name a smaller range",
            32 - limit_bits,
            128 - limit_bits
        )));
    }
    let count = 1u128 << host_bits;
    let (network, list): (IpAddr, Vec<String>) = match address {
        IpAddr::V4(a) => {
            let base = u32::from(a) & (u32::MAX.checked_shl(host_bits).unwrap_or(0));
            let list = (0..count as u32)
                .map(|i| Ipv4Addr::from(base + i).to_string())
                .collect();
            (Ipv4Addr::from(base).into(), list)
        }
        IpAddr::V6(a) => {
            let base = u128::from(a) & (u128::MAX << host_bits);
            let list = (0..count)
                .map(|i| Ipv6Addr::from(base + i).to_string())
                .collect();
            (Ipv6Addr::from(base).into(), list)
        }
    };
    Ok((format!("{network}/{prefix}"), list))
}

/// A port list (`P[,P…]`), each 1 to 65535, at most [`MAX_PORTS`] of them.
fn parse_ports(spec: &str) -> Result<Vec<u16>> {
    let mut ports = Vec::new();
    for port in spec.split(',').map(str::trim) {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {
                if !ports.contains(&p) {
                    ports.push(p);
                }
            }
            _ => return Err(Error::input(format!("{port:?} is not a port (1 to 65535)"))),
        }
    }
    if ports.len() > MAX_PORTS {
        return Err(Error::input(format!(
            "{} ports given; a scan takes at most {MAX_PORTS}",
            ports.len()
        )));
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_every_address_in_it() {
        let t = Targets::parse("127.0.0.5/29", "443, 8443,443").expect("parsed");
        assert_eq!(t.hosts, "127.0.0.0/29");
        assert_eq!(t.list.first().map(String::as_str), Some("127.0.0.0"));
        assert_eq!(t.list.last().map(String::as_str), Some("127.0.0.7"));
        assert_eq!(
            (t.addresses, t.ports.clone(), t.probes),
            (8, vec![443, 8443], 16)
        );
        let t = Targets::parse("fd00::1/126", "443").expect("parsed");
        assert_eq!(t.hosts, "fd00::/126");
        assert_eq!(t.list, ["fd00::", "fd00::1", "fd00::2", "fd00::3"]);
        let t = Targets::parse("10.1.2.3/32", "443").expect("parsed");
        assert_eq!(t.list, ["10.1.2.3"]);
        assert_eq!(
            Targets::parse("10.0.0.0/22", "443")
                .expect("a /22")
                .addresses,
            1024
        );
        let t = Targets::parse("WWW.Example.com., [::1],127.0.0.1,::1", "443").expect("list");
        assert_eq!(t.list, ["www.example.com", "::1", "127.0.0.1"]);
    }

    #[test]
    fn what_passes_a_bound_or_does_not_parse_is_refused() {
        for (hosts, ports, says) in [
            ("10.0.0.0/8", "443", "10.0.0.0/8 holds 16777216 addresses"),
            ("10.0.0.0/21", "443", "at most 1024 (a /22 of IPv4"),
            ("::/0", "443", "holds 2^128 addresses"),
            ("10.0.0.0/33", "443", "is not a prefix length (0 to 32)"),
            ("10.0.0/24", "443", "is not an IP address"),
            ("10.0.0.0/30,10.0.1.0/30", "443", "not both"),
            ("example.com:443", "443", "give the ports with --ports"),
            ("exa mple.com", "443", "neither a DNS name"),
            ("a.example,,b.example", "443", "a host in the list is empty"),
            ("127.0.0.1", "0", "\"0\" is not a port (1 to 65535)"),
            ("127.0.0.1", "70000", "is not a port"),
            ("127.0.0.1", "https", "is not a port"),
            ("127.0.0.1", "", "is not a port"),
            (
                "10.0.0.0/22",
                "1,2,3,4,5",
                "1024 addresses x 5 ports is 5120 probes",
            ),
        ] {
            let e = Targets::parse(hosts, ports).expect_err(hosts).to_string();
            assert!(e.contains(says), "{hosts} {ports}: {e}");
        }
        let many: Vec<String> = (1..=33).map(|p| p.to_string()).collect();
        let e = Targets::parse("127.0.0.1", &many.join(",")).expect_err("33 ports");
        assert!(e
            .to_string()
            .contains("33 ports given; a scan takes at most 32"));
    }

    #[tokio::test]
    async fn a_tls_port_is_found_and_a_plain_one_is_not() {
        let plain = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = plain.local_addr().expect("address").port();
        let answer = std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut tcp, _)) = plain.accept() {
                let _ = tcp.write_all(b"SSH-2.0-test\r\n");
            }
        });
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let closed_port = closed.local_addr().expect("address").port();
        drop(closed);
        let targets =
            Targets::parse("127.0.0.1", &format!("{port},{closed_port}")).expect("parsed");
        let engine = Engine::in_memory().await;
        let seen = std::sync::Mutex::new(Vec::new());
        let report = engine
            .endpoint_scan(targets, true, |done, of| {
                seen.lock().expect("lock").push((done, of))
            })
            .await
            .expect("scanned");
        answer.join().expect("answered");
        assert!(report.found.is_empty(), "{report:?}");
        assert_eq!(
            report.summary,
            Summary {
                probed: 2,
                tls: 0,
                not_tls: 1,
                no_answer: 1
            }
        );
        assert_eq!(*seen.lock().expect("lock"), [(1, 2), (2, 2)]);
        assert!(report.tracked.is_empty());
        assert!(engine.endpoint_list().expect("list").records.is_empty());
    }
}
