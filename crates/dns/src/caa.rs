//! CAA lookups (RFC 8659 §3): the Relevant RRset of a name is the CAA RRset of the name itself
//! or, when it has none, of its closest ancestor that has one. The resolver follows CNAMEs, as a
//! CA's does; what the records allow is the engine's policy (`certdesk_engine::caa`).
//!
//! The lookups go through a [`Lookup`]: a DNS account's `nameservers` when it sets them (tests
//! point them at a local BIND), else the system's resolvers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use hickory_client::proto::op::ResponseCode;
use hickory_client::proto::rr::{Name, RData, RecordType};

use certdesk_base::error::{Error, Result};

use crate::lookup::{parse_name, plain, Lookup};

/// The CAA records at one name, as one pass of orders reads them: kept this long, so that the
/// concurrent orders of a batch ask once for `example.com` and `com` rather than once each, and
/// a later pass (the app's next scheduler run) reads the records again.
const ANSWER_LIFETIME: Duration = Duration::from_secs(30);

/// One name's records as read through some resolvers, shared by everyone asking at once.
type Answer = Arc<tokio::sync::OnceCell<Vec<CaaRecord>>>;

/// Whose answer it is: the resolvers asked and the name.
type AnswerKey = (Vec<SocketAddr>, String);

/// The answers of this process, with when they were asked.
static ANSWERS: LazyLock<Mutex<HashMap<AnswerKey, (Instant, Answer)>>> =
    LazyLock::new(Default::default);

/// The whole climb for one name gives up after this long: CAs refuse when CAA cannot be read,
/// and so does certdesk, without hanging an order on a dead resolver.
pub const CLIMB_TIMEOUT: Duration = Duration::from_secs(20);

/// More records than this at one name are not a policy anyone wrote.
const MAX_RECORDS: usize = 64;

/// One CAA record as it was served: flags, tag and value, the value as text (lossy for bytes
/// that are not UTF-8, which no issuer domain has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaaRecord {
    pub flags: u8,
    pub tag: String,
    pub value: String,
}

impl CaaRecord {
    /// The issuer critical flag (RFC 8659 §4.1): a CA that does not know the tag must not issue.
    pub fn critical(&self) -> bool {
        self.flags & 0b1000_0000 != 0
    }
}

impl std::fmt::Display for CaaRecord {
    /// Zone-file presentation: `0 issue "letsencrypt.org"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} \"{}\"",
            self.flags,
            self.tag,
            self.value.escape_default()
        )
    }
}

/// The Relevant RRset of a name: where it was found and its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaaSet {
    /// The name the records live at (the name itself or an ancestor), without the final dot.
    pub domain: String,
    pub records: Vec<CaaRecord>,
}

/// The Relevant RRset for `name` (a wildcard `*.example.com` is looked up at `example.com`, as
/// CAs do), or `None` when no name up to the top-level domain has CAA records. A resolver that
/// fails (SERVFAIL, no answer, an answer that cannot be read) is an error naming the name asked.
pub async fn relevant(lookup: &Lookup, name: &str) -> Result<Option<CaaSet>> {
    let base = name.strip_prefix("*.").unwrap_or(name);
    tokio::time::timeout(CLIMB_TIMEOUT, climb(lookup, base))
        .await
        .map_err(|_| {
            Error::Dns(format!(
                "the CAA lookup for {name} took longer than {}s: the resolvers do not answer \
                 (CAs refuse to issue when CAA cannot be read); check the DNS, or set the DNS \
                 account's nameservers",
                CLIMB_TIMEOUT.as_secs()
            ))
        })?
}

async fn climb(lookup: &Lookup, fqdn: &str) -> Result<Option<CaaSet>> {
    let mut name = parse_name(fqdn)?;
    while !name.is_root() {
        let records = records_at(lookup, &name, fqdn).await?;
        if records.len() > MAX_RECORDS {
            return Err(Error::Dns(format!(
                "{} has more than {MAX_RECORDS} CAA records: that is no policy certdesk reads",
                plain(&name)
            )));
        }
        if !records.is_empty() {
            return Ok(Some(CaaSet {
                domain: plain(&name),
                records,
            }));
        }
        name = name.base_name();
    }
    Ok(None)
}

/// The CAA records at `name` itself (none: NXDOMAIN, or no CAA there), read once per
/// [`ANSWER_LIFETIME`] through `lookup`'s resolvers; a failure is not kept.
async fn records_at(lookup: &Lookup, name: &Name, fqdn: &str) -> Result<Vec<CaaRecord>> {
    let cell = {
        let mut answers = ANSWERS.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        answers.retain(|_, (at, _)| now.duration_since(*at) < ANSWER_LIFETIME);
        answers
            .entry((lookup.resolvers().to_vec(), plain(name)))
            .or_insert_with(|| (now, Answer::default()))
            .1
            .clone()
    };
    cell.get_or_try_init(|| ask(lookup, name, fqdn))
        .await
        .cloned()
}

async fn ask(lookup: &Lookup, name: &Name, fqdn: &str) -> Result<Vec<CaaRecord>> {
    let answer = lookup.ask(name, RecordType::CAA).await?;
    Ok(match answer.response_code() {
        ResponseCode::NoError => answer
            .answers()
            .iter()
            .filter_map(|r| match r.data() {
                RData::CAA(caa) => Some(CaaRecord {
                    flags: caa.flags(),
                    tag: caa.tag().as_str().to_owned(),
                    value: String::from_utf8_lossy(caa.raw_value()).into_owned(),
                }),
                _ => None,
            })
            .take(MAX_RECORDS + 1)
            .collect(),
        ResponseCode::NXDomain => Vec::new(),
        // An account's own servers are authoritative for their zones only and refuse the
        // names above them: nothing is published for those there.
        ResponseCode::Refused if lookup.is_pinned() => Vec::new(),
        code => {
            return Err(Error::Dns(format!(
                "the CAA lookup for {} was answered {code} (CAs refuse to issue when CAA \
                 cannot be read): check the DNS of {fqdn}",
                plain(name)
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_as_in_a_zone_file() {
        let r = CaaRecord {
            flags: 128,
            tag: "issue".into(),
            value: "ca.example; accounturi=\"x\"".into(),
        };
        assert!(r.critical());
        assert_eq!(r.to_string(), r#"128 issue "ca.example; accounturi=\"x\"""#);
    }
}
