//! Endpoints to watch: `host:port` and the TLS server name to send, kept in the Endpoints table,
//! and their checks — what each serves ([`probe`]) and what is wrong with it ([`findings`]).
//!
//! A check judges the chain (expiry, names, key, signature), whether it reaches a root the
//! administrator's clients trust ([`roots`]) and whether it is an older version of a certificate
//! in the repository ([`drift`]). A discovery [`scan`] probes the hosts or the range and the
//! ports an administrator names for endpoints that answer TLS. The scheduler's passes check
//! every watched endpoint [`CHECK_EVERY`] ([`Engine::check_due_endpoints`]) and report the
//! findings a check has that the one before did not, so that a notice goes out once per
//! finding, not once per pass.

pub mod drift;
pub mod findings;
mod probe;
pub mod roots;
pub mod scan;
pub mod starttls;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use drift::Known;
pub use findings::{Finding, FindingKind};
pub use roots::TrustedRoots;
pub use scan::{ScanReport, Targets};
pub use starttls::Starttls;

use crate::activity::{About, Action, Face, Outcome, Subject};
use crate::error::{Error, Result};
use crate::store::{Change, Record, Scan, Store, Table};
use crate::Engine;

/// How many endpoints one check-all probes at once.
const PARALLEL_CHECKS: usize = 8;

/// How often the scheduler's passes check a watched endpoint. A renewal saved but not installed
/// shows as drift within this; an endpoint checked by hand in between waits from that check.
pub const CHECK_EVERY: time::Duration = time::Duration::hours(6);

/// One watched endpoint, keyed by its `host:port` (`[v6]:port`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub endpoint: String,
    pub host: String,
    pub port: u16,
    /// The TLS server name sent, when it is not the host.
    #[serde(default)]
    pub sni: Option<String>,
    /// The protocol that asks for TLS first, on a mail port that upgrades.
    #[serde(default)]
    pub starttls: Option<Starttls>,
    /// The last check, which the listing shows.
    #[serde(default)]
    pub last: Option<EndpointCheck>,
}

impl Record for Endpoint {
    const TABLE: Table = Table::Endpoints;
    fn key(&self) -> &str {
        &self.endpoint
    }
}

impl Endpoint {
    /// The name the endpoint is reached by: sent as SNI (unless an IP address) and matched
    /// against the leaf's names.
    pub fn name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }

    /// When the scheduler checks it next; `None`: it was never checked, so at once.
    pub fn next_check(&self) -> Option<OffsetDateTime> {
        let checked = self.last.as_ref()?.checked_at?;
        Some(checked.checked_add(CHECK_EVERY).unwrap_or(checked))
    }

    fn check_due(&self, now: OffsetDateTime) -> bool {
        self.next_check().is_none_or(|at| at <= now)
    }

    /// The listing's view: its last check, or one with nothing checked yet.
    pub fn view(&self) -> EndpointCheck {
        self.last.clone().unwrap_or_else(|| EndpointCheck {
            endpoint: self.endpoint.clone(),
            sni: self.name().to_owned(),
            starttls: self.starttls,
            checked_at: None,
            serial: None,
            not_after: None,
            names: Vec::new(),
            findings: Vec::new(),
        })
    }
}

/// What one check found: the served leaf's serial, expiry and names, and the findings. With
/// no handshake, the one finding says why and the leaf's facts are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct EndpointCheck {
    pub endpoint: String,
    /// The name the chain was judged for.
    pub sni: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<Starttls>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(as = "Option<String>")]
    pub checked_at: Option<OffsetDateTime>,
    pub serial: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(as = "Option<String>")]
    pub not_after: Option<OffsetDateTime>,
    pub names: Vec<String>,
    pub findings: Vec<Finding>,
}

/// What a scheduled check of a watched endpoint found that its check before did not (every
/// finding of a first check): what a notice tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct EndpointNews {
    pub endpoint: String,
    pub sni: String,
    /// The new findings, of kinds the check before did not have.
    pub findings: Vec<Finding>,
}

/// Findings' kinds in words, e.g. "expires soon, incomplete chain".
fn kinds_in(findings: &[Finding]) -> String {
    let words: Vec<String> = findings.iter().map(|f| f.kind.words()).collect();
    words.join(", ")
}

impl EndpointCheck {
    /// What the check found, as its activity entry says it: "no findings" or "findings: …".
    fn outcome(&self) -> String {
        match self.findings.as_slice() {
            [] => "no findings".to_owned(),
            findings => format!("findings: {}", kinds_in(findings)),
        }
    }
}

impl EndpointNews {
    /// The new findings' kinds in words, e.g. "expires soon, incomplete chain".
    pub fn kinds(&self) -> String {
        kinds_in(&self.findings)
    }

    /// The findings of `check` whose kind `before` did not have; `None` when there are none.
    fn between(before: Option<&EndpointCheck>, check: &EndpointCheck) -> Option<Self> {
        let had = |kind| before.is_some_and(|b| b.findings.iter().any(|f| f.kind == kind));
        let findings: Vec<Finding> = check
            .findings
            .iter()
            .filter(|f| !had(f.kind))
            .cloned()
            .collect();
        (!findings.is_empty()).then(|| Self {
            endpoint: check.endpoint.clone(),
            sni: check.sni.clone(),
            findings,
        })
    }
}

/// What the scheduler's endpoint checks did in one pass.
#[derive(Debug, Default)]
pub struct EndpointPass {
    /// The endpoints with new findings.
    pub news: Vec<EndpointNews>,
    /// When the next watched endpoint is due for a check.
    pub next_check: Option<OffsetDateTime>,
}

/// `HOST:PORT` (an IPv6 address in brackets) as its lower-case host and port, with a message
/// saying which part is wrong.
pub fn parse_address(address: &str) -> Result<(String, u16)> {
    let address = address.trim();
    let (host, port) = address.rsplit_once(':').ok_or_else(|| {
        Error::input(format!("{address:?} is not HOST:PORT: the port is missing"))
    })?;
    let host = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.strip_suffix(']').ok_or_else(|| {
            Error::input(format!("{address:?}: the IPv6 address's ']' is missing"))
        })?,
        None if host.contains(':') => {
            return Err(Error::input(format!(
                "{address:?}: write an IPv6 address in brackets, [ADDRESS]:PORT"
            )))
        }
        // A fully qualified name is the same endpoint as without its final dot.
        None => host.strip_suffix('.').unwrap_or(host),
    };
    if host.is_empty() {
        return Err(Error::input(format!("{address:?}: the host is empty")));
    }
    let port = match port.parse::<u16>() {
        Ok(port) if port > 0 => port,
        _ => {
            return Err(Error::input(format!(
                "{address:?}: {port:?} is not a port (1 to 65535)"
            )))
        }
    };
    if ServerName::try_from(host).is_err() {
        return Err(Error::input(format!(
            "{address:?}: {host:?} is neither a DNS name nor an IP address"
        )));
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// The key of `host` and `port`: `host:port`, an IPv6 address in brackets.
fn key_of(host: &str, port: u16) -> String {
    match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}

/// What a check judges a served chain against: the trusted roots and the repository's
/// certificates.
pub struct Judged {
    pub roots: TrustedRoots,
    pub known: Vec<Known>,
}

/// The owner of the Endpoints table.
pub struct Endpoints {
    store: Arc<Store>,
}

impl Endpoints {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// Watching `address`, sending `sni` as the server name (else the host) and asking for TLS
    /// in `starttls`'s protocol first, staged; refused when it is watched already.
    fn staged_add(
        &self,
        address: &str,
        sni: Option<&str>,
        starttls: Option<Starttls>,
    ) -> Result<(Change, Endpoint)> {
        let (host, port) = parse_address(address).map_err(|e| e.in_field("address"))?;
        let sni = sni
            .map(parse_sni)
            .transpose()
            .map_err(|e| e.in_field("sni"))?
            .filter(|name| *name != host);
        self.staged_watch(Endpoint {
            endpoint: key_of(&host, port),
            host,
            port,
            sni,
            starttls,
            last: None,
        })
    }

    /// Watching `endpoint`, staged; refused when it is watched already.
    fn staged_watch(&self, endpoint: Endpoint) -> Result<(Change, Endpoint)> {
        if self.store.get::<Endpoint>(&endpoint.endpoint)?.is_some() {
            return Err(Error::input(format!(
                "{} is watched already; delete it first to change how it is checked",
                endpoint.endpoint
            )));
        }
        Ok((Change::new().put(&endpoint), endpoint))
    }

    pub fn scan(&self) -> Result<Scan<Endpoint>> {
        self.store.scan()
    }

    /// The watched endpoint at `address`.
    fn get(&self, address: &str) -> Result<Endpoint> {
        let (host, port) = parse_address(address)?;
        let key = key_of(&host, port);
        self.store
            .get(&key)?
            .ok_or_else(|| Error::input(format!("no endpoint {key} is watched")))
    }

    fn staged_delete(&self, address: &str) -> Result<(Change, Endpoint)> {
        let endpoint = self.get(address)?;
        Ok((
            Change::new().delete::<Endpoint>(&endpoint.endpoint),
            endpoint,
        ))
    }

    /// Checks `address` (a watched one as it is watched, or any other with its host as the
    /// name and no STARTTLS), or every watched endpoint, at `now` against `against`; a watched
    /// endpoint keeps its check for the listing.
    pub async fn check(
        &self,
        address: Option<&str>,
        now: OffsetDateTime,
        against: Arc<Judged>,
    ) -> Result<Vec<EndpointCheck>> {
        let endpoints = match address {
            Some(address) => {
                let (host, port) = parse_address(address)?;
                let endpoint = self.store.get(&key_of(&host, port))?;
                vec![endpoint.unwrap_or_else(|| Endpoint {
                    endpoint: key_of(&host, port),
                    host,
                    port,
                    sni: None,
                    starttls: None,
                    last: None,
                })]
            }
            None => self.scan()?.records,
        };
        let checked = self.checked(endpoints, now, against).await?;
        Ok(checked.into_iter().map(|(_, check)| check).collect())
    }

    /// Checks `endpoints` at `now`, each as it was read, and keeps the check of each that is
    /// still watched as it was, in one transaction.
    async fn checked(
        &self,
        endpoints: Vec<Endpoint>,
        now: OffsetDateTime,
        against: Arc<Judged>,
    ) -> Result<Vec<(Endpoint, EndpointCheck)>> {
        let checked: Vec<(Endpoint, EndpointCheck)> = futures::stream::iter(endpoints)
            .map(|endpoint| {
                let against = against.clone();
                async move {
                    let served = served_chain(&endpoint, probe::TIMEOUT).await;
                    let check = judge(&endpoint, served, now, &against);
                    (endpoint, check)
                }
            })
            .buffered(PARALLEL_CHECKS)
            .collect()
            .await;
        let (mut change, mut watched) = (Change::new(), false);
        for (endpoint, check) in &checked {
            // Read again: one deleted or re-added while it was checked is not overwritten.
            if self.store.get::<Endpoint>(&endpoint.endpoint)?.as_ref() == Some(endpoint) {
                watched = true;
                change = change.put(&Endpoint {
                    last: Some(check.clone()),
                    ..endpoint.clone()
                });
            }
        }
        if watched {
            self.store.commit(change).await?;
        }
        Ok(checked)
    }
}

/// The SNI name an administrator gives, as sent: a DNS name, lower-case, without a final dot.
fn parse_sni(name: &str) -> Result<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    match ServerName::try_from(name.as_str()) {
        Ok(ServerName::DnsName(_)) => Ok(name),
        _ => Err(Error::input(format!(
            "the SNI name {name:?} is not a DNS name"
        ))),
    }
}

/// The chain `endpoint` serves, from a handshake that takes `within` at most, off the async
/// threads; or the finding that says why there is none.
async fn served_chain(endpoint: &Endpoint, within: Duration) -> Result<Vec<Vec<u8>>, Finding> {
    let (host, port, name, starttls) = (
        endpoint.host.clone(),
        endpoint.port,
        endpoint.name().to_owned(),
        endpoint.starttls,
    );
    tokio::task::spawn_blocking(move || probe::served_chain(&host, port, &name, starttls, within))
        .await
        .unwrap_or_else(|e| {
            Err(Finding::new(
                FindingKind::HandshakeFailed,
                format!("the check did not finish: {e}"),
            ))
        })
}

/// The check of `endpoint` at `now`: what is wrong with the chain it `served` (or why it served
/// none).
fn judge(
    endpoint: &Endpoint,
    served: Result<Vec<Vec<u8>>, Finding>,
    now: OffsetDateTime,
    against: &Judged,
) -> EndpointCheck {
    let mut check = EndpointCheck {
        checked_at: Some(now),
        ..endpoint.view()
    };
    check.sni = endpoint.name().to_owned();
    match served.and_then(|chain| findings::assess(&chain, endpoint.name(), now, &against.roots)) {
        Ok(assessment) => {
            check.findings = assessment.findings;
            check
                .findings
                .extend(drift::drift(&assessment.serial, &against.known));
            check.serial = Some(assessment.serial);
            check.not_after = Some(assessment.not_after);
            check.names = assessment.names;
        }
        Err(finding) => {
            check.serial = None;
            check.not_after = None;
            check.names = Vec::new();
            check.findings = vec![finding];
        }
    }
    check
}

impl About for Endpoint {
    fn about(&self) -> Subject {
        Subject::default().target(&self.endpoint)
    }
}

/// A check is logged per endpoint ([`Engine::endpoint_check`]); only its failure as a whole
/// is logged through [`Engine::noted`], with the address asked for as its subject.
impl About for Vec<EndpointCheck> {}

/// The endpoint commands, over the Endpoints table; adding, deleting and checking are logged.
impl Engine {
    fn endpoints(&self) -> Endpoints {
        Endpoints::new(self.store.clone())
    }

    pub async fn endpoint_add(
        &self,
        address: &str,
        sni: Option<&str>,
        starttls: Option<Starttls>,
    ) -> Result<Endpoint> {
        let staged = self.endpoints().staged_add(address, sni, starttls);
        let subject = Subject::default().target(address.trim());
        self.commit_noted(Action::AddEndpoint, subject, staged.into())
            .await
    }

    pub fn endpoint_list(&self) -> Result<Scan<Endpoint>> {
        self.endpoints().scan()
    }

    pub async fn endpoint_delete(&self, address: &str) -> Result<Endpoint> {
        let staged = self.endpoints().staged_delete(address);
        let subject = Subject::default().target(address.trim());
        self.commit_noted(Action::DeleteEndpoint, subject, staged.into())
            .await
    }

    /// Checks as [`Endpoints::check`] does, against the system's and Mozilla's roots and every
    /// account's CA root, and the repository's certificates.
    /// Each endpoint checked is logged with what it found; a check that could not run, once.
    pub async fn endpoint_check(&self, address: Option<&str>) -> Result<Vec<EndpointCheck>> {
        let now = OffsetDateTime::now_utc();
        let checks = async {
            let judged = self.judged().await?;
            self.endpoints().check(address, now, judged).await
        };
        let checks = match checks.await {
            Ok(checks) => checks,
            Err(e) => {
                let subject =
                    address.map_or_else(Subject::default, |a| Subject::default().target(a.trim()));
                return self.noted(Action::CheckEndpoint, subject, Err(e)).await;
            }
        };
        for check in &checks {
            let subject = Subject::default().target(&check.endpoint);
            let outcome = Outcome::Ok {
                detail: Some(check.outcome()),
            };
            self.note(self.face, Action::CheckEndpoint, subject, outcome)
                .await?;
        }
        Ok(checks)
    }

    /// The scheduler's checks at `now`: every watched endpoint never checked or last checked
    /// [`CHECK_EVERY`] before, with what each found that its check before did not. Nothing is
    /// read beyond the table while none is due.
    /// Each endpoint with news is logged as `face`'s check.
    pub(crate) async fn check_due_endpoints(
        &self,
        now: OffsetDateTime,
        face: Face,
    ) -> Result<EndpointPass> {
        let endpoints = self.endpoints();
        let (due, later): (Vec<Endpoint>, Vec<Endpoint>) = endpoints
            .scan()?
            .records
            .into_iter()
            .partition(|e| e.check_due(now));
        let mut pass = EndpointPass {
            news: Vec::new(),
            next_check: later.iter().filter_map(Endpoint::next_check).min(),
        };
        if due.is_empty() {
            return Ok(pass);
        }
        let checked = endpoints.checked(due, now, self.judged().await?).await?;
        for (endpoint, check) in &checked {
            let Some(news) = EndpointNews::between(endpoint.last.as_ref(), check) else {
                continue;
            };
            let detail = format!("new findings: {}", news.kinds());
            let subject = Subject::default().target(&news.endpoint);
            let outcome = Outcome::Ok {
                detail: Some(detail),
            };
            self.note(face, Action::CheckEndpoint, subject, outcome)
                .await?;
            pass.news.push(news);
        }
        let next = now.checked_add(CHECK_EVERY).unwrap_or(now);
        pass.next_check = Some(pass.next_check.map_or(next, |t| t.min(next)));
        Ok(pass)
    }

    /// What checks judge against: the system's and Mozilla's roots and every account's CA
    /// root, and the repository's certificates.
    async fn judged(&self) -> Result<Arc<Judged>> {
        let pems: Vec<String> = self
            .accounts()?
            .into_iter()
            .filter_map(|a| a.ca_root_pem)
            .collect();
        let roots = tokio::task::spawn_blocking(move || TrustedRoots::load(&pems))
            .await
            .map_err(|e| Error::System(format!("the trusted roots were not read: {e}")))?;
        let known = self.known_certificates()?;
        Ok(Arc::new(Judged { roots, known }))
    }

    /// The repository's certificates with every version's serial and their requests' deploy
    /// mappings; a damaged record is left out (the certificate listing reports it).
    fn known_certificates(&self) -> Result<Vec<Known>> {
        let mut known = Vec::new();
        for view in self.repository.views()? {
            let mapping = self.requests.view(&view.id)?.and_then(|r| r.deploy);
            known.push(Known {
                current_not_after: view.info.not_after,
                serials: view.serials,
                id: view.id,
                mapping,
            });
        }
        Ok(known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_part_by_part() {
        assert_eq!(
            parse_address("WWW.Example.com:443").ok(),
            Some(("www.example.com".into(), 443))
        );
        assert_eq!(
            parse_address(" www.example.com.:443 ").ok(),
            Some(("www.example.com".into(), 443))
        );
        assert_eq!(parse_address("[::1]:8443").ok(), Some(("::1".into(), 8443)));
        for (bad, says) in [
            ("example.com", "the port is missing"),
            (":443", "the host is empty"),
            ("example.com:0", "is not a port"),
            ("example.com:70000", "is not a port"),
            ("example.com:https", "is not a port"),
            ("::1:443", "in brackets"),
            ("exa mple.com:443", "neither a DNS name"),
        ] {
            let e = parse_address(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[tokio::test]
    async fn an_endpoint_is_added_once_and_deleted() {
        let engine = Engine::in_memory().await;
        let added = engine
            .endpoint_add("127.0.0.1:8443", Some("www.example.com"), None)
            .await
            .expect("added");
        assert_eq!(added.name(), "www.example.com");
        let again = engine.endpoint_add("127.0.0.1:8443", None, None).await;
        assert!(again
            .expect_err("duplicate")
            .to_string()
            .contains("watched already"));
        assert_eq!(engine.endpoint_list().expect("list").records, vec![added]);
        engine
            .endpoint_delete("127.0.0.1:8443")
            .await
            .expect("deleted");
        assert!(engine.endpoint_list().expect("list").records.is_empty());
        let gone = engine.endpoint_delete("127.0.0.1:8443").await;
        assert!(gone.expect_err("gone").to_string().contains("no endpoint"));
    }

    fn checked(at: Option<OffsetDateTime>, kinds: &[FindingKind]) -> EndpointCheck {
        EndpointCheck {
            endpoint: "127.0.0.1:443".into(),
            sni: "www.example.com".into(),
            starttls: None,
            checked_at: at,
            serial: None,
            not_after: None,
            names: Vec::new(),
            findings: kinds.iter().map(|k| Finding::new(*k, "why")).collect(),
        }
    }

    #[test]
    fn only_kinds_the_check_before_did_not_have_are_news() {
        use FindingKind::{Drift, ExpiresSoon, IncompleteChain};
        let now = OffsetDateTime::UNIX_EPOCH;
        let before = checked(Some(now), &[ExpiresSoon]);
        let after = checked(Some(now), &[ExpiresSoon, IncompleteChain, Drift]);
        let news = EndpointNews::between(Some(&before), &after).expect("news");
        assert_eq!(news.kinds(), "incomplete chain, drift");
        assert_eq!(EndpointNews::between(Some(&after), &before), None);
        let first = EndpointNews::between(None, &before).expect("a first check's findings");
        assert_eq!(first.kinds(), "expires soon");
        assert_eq!(EndpointNews::between(None, &checked(Some(now), &[])), None);
    }

    #[test]
    fn an_endpoint_is_due_every_six_hours_and_at_once_when_never_checked() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let mut endpoint = Endpoint {
            endpoint: "127.0.0.1:443".into(),
            host: "127.0.0.1".into(),
            port: 443,
            sni: None,
            starttls: None,
            last: None,
        };
        assert!(endpoint.check_due(at));
        endpoint.last = Some(checked(Some(at), &[]));
        assert_eq!(endpoint.next_check(), Some(at + CHECK_EVERY));
        assert!(!endpoint.check_due(at + CHECK_EVERY - time::Duration::SECOND));
        assert!(endpoint.check_due(at + CHECK_EVERY));
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        drop(listener);
        let checks = Engine::in_memory()
            .await
            .endpoint_check(Some(&address))
            .await
            .expect("checked");
        assert_eq!(checks[0].findings[0].kind, FindingKind::Unreachable);
    }
}
