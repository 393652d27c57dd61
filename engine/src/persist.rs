//! dns-persist-01 on the engine's side: the standing record for an account and a name (its
//! issuer from the CA's `caaIdentities`, its `accounturi` the account's URL), written once
//! through a DNS account when asked and never removed, and the read-only check that every
//! authoritative nameserver of the zone serves it, which also runs before an order's
//! dns-persist-01 challenges are answered.

use std::net::SocketAddr;

use serde::Serialize;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Duration, OffsetDateTime};

use crate::acme::{self, AcmeHttp, Challenge};
use crate::activity::{Action, Subject};
use crate::dns::lookup::{self, Lookup};
use crate::dns::TxtSet;
use crate::error::{Error, Result};
use crate::names::ChallengeType;
use crate::next_step::NextStep;
use crate::request::RequestRecord;
use crate::Engine;
use certdesk_base::persist::{self as record, PersistRecord};

/// A record whose `persistUntil` is this close is warned about: time to publish a new one.
pub const WARN_BEFORE: Duration = Duration::days(30);

/// The record to publish for one account and name.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct PersistRecordInfo {
    /// The name as asked (`*.example.com` for a wildcard).
    pub domain: String,
    /// The TXT name: `_validation-persist.<base name>`.
    pub name: String,
    /// The TXT value.
    pub value: String,
    pub account: String,
    pub account_url: String,
    pub issuer: String,
    pub wildcard: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub persist_until: Option<OffsetDateTime>,
    /// A warning about `persist_until`, or where the record was written.
    pub notice: Option<String>,
}

/// What one authoritative nameserver serves at the record's name.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ServerAnswer {
    pub server: String,
    /// `serves`, `lacks` (no record for this CA and account), `other` (a record this CA
    /// would refuse) or `unreachable`.
    pub state: String,
    /// What it answered or why it did not, as the administrator reads it.
    pub detail: String,
}

/// The read-only check of a standing record at every authoritative nameserver.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct PersistCheck {
    pub domain: String,
    pub name: String,
    pub zone: String,
    pub servers: Vec<ServerAnswer>,
    /// Every server serves a record this CA takes for this account and name.
    pub ok: bool,
    /// `persistUntil` within [`WARN_BEFORE`] (or past).
    pub warning: Option<String>,
}

impl PersistCheck {
    /// One line per server that does not serve the record.
    pub fn failures(&self) -> String {
        self.servers
            .iter()
            .filter(|s| s.state != "serves")
            .map(|s| format!("{}: {}", s.server, s.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The CA's issuer names and the account's URL, which every record and check is about.
pub(crate) struct Binding {
    pub account: String,
    pub account_url: String,
    pub issuers: Vec<String>,
}

impl Binding {
    /// An order's dns-persist-01 challenge for `name` as the request keeps it: the standing
    /// record to publish once (by hand, or with `certdesk dns persist-record --write`), kept as
    /// a TXT record like dns-01's but never written by an order.
    pub(crate) fn challenge(&self, name: &str) -> Result<Challenge> {
        Ok(Challenge::Dns01 {
            domain: name.to_string(),
            record_name: record::record_name(name),
            record_value: self.value(name)?,
            key_authorization: String::new(),
        })
    }

    /// The standing record's TXT value for `name` (`policy=wildcard` for a `*.` name).
    fn value(&self, name: &str) -> Result<String> {
        PersistRecord::new(
            &self.issuers[0],
            &self.account_url,
            name.starts_with("*."),
            None,
        )
        .map(|made| made.value())
        .map_err(|e| Error::CaData(format!("no dns-persist-01 record can name this CA: {e}")))
    }
}

impl Engine {
    /// The dns-persist-01 record `account` (the only one when `None`) publishes for `domain`;
    /// `wildcard` adds `policy=wildcard` (implied by a `*.` name), `until` a `persistUntil`.
    /// With `write`, the record is also written through that DNS account; it stays: nothing
    /// removes it after an order.
    pub async fn persist_record(
        &self,
        account: Option<&str>,
        domain: &str,
        wildcard: bool,
        until: Option<OffsetDateTime>,
        write: Option<&str>,
    ) -> Result<PersistRecordInfo> {
        let info = self
            .made_persist_record(account, domain, wildcard, until)
            .await?;
        let Some(dns_account) = write else {
            return Ok(info);
        };
        let subject = Subject {
            account: Some(info.account.clone()),
            names: vec![info.domain.clone()],
            ..Subject::default().target(dns_account)
        };
        let written = self.write_persist_record(info, dns_account).await;
        self.noted(Action::WritePersistRecord, subject, written)
            .await
    }

    /// The record of [`Engine::persist_record`], made but not written.
    async fn made_persist_record(
        &self,
        account: Option<&str>,
        domain: &str,
        wildcard: bool,
        until: Option<OffsetDateTime>,
    ) -> Result<PersistRecordInfo> {
        let domain = one_name(domain)?;
        if let Some(until) = until {
            if until <= OffsetDateTime::now_utc() {
                return Err(Error::input(format!(
                    "persistUntil {} has passed: give a time in the future, or none (the record \
                     then stands until you remove it)",
                    record::rfc3339(until)
                )));
            }
        }
        let binding = self.persist_binding(account).await?;
        let wildcard = wildcard || domain.starts_with("*.");
        let made = PersistRecord::new(&binding.issuers[0], &binding.account_url, wildcard, until)
            .map_err(|e| {
            Error::input(format!(
                "no dns-persist-01 record can be made for account {:?}: {e}",
                binding.account
            ))
        })?;
        Ok(PersistRecordInfo {
            name: record::record_name(&domain),
            value: made.value(),
            domain,
            account: binding.account,
            account_url: binding.account_url,
            issuer: made.issuer,
            wildcard,
            persist_until: made.persist_until,
            notice: made.persist_until.and_then(expiry_warning),
        })
    }

    /// Writes a made record through the DNS account `dns_account`, at the end of its CNAMEs.
    async fn write_persist_record(
        &self,
        mut info: PersistRecordInfo,
        dns_account: &str,
    ) -> Result<PersistRecordInfo> {
        let config = self.dns_config(dns_account)?;
        let propagation = config.propagation()?;
        let provider = (config.spec.build)(&config)?;
        let lookup = Lookup::new(propagation.nameservers)?;
        let fqdn = lookup.follow_cnames(&info.name).await?;
        let set = TxtSet {
            zone: lookup.zone_of(&fqdn).await?,
            fqdn,
            values: vec![info.value.clone()],
        };
        provider.present(&set).await?;
        let written = format!("written at {} through DNS account {dns_account}", set.fqdn);
        info.notice = Some(match info.notice.take() {
            Some(warning) => format!("{written}; {warning}"),
            None => written,
        });
        Ok(info)
    }

    /// Checks, reading only, that every authoritative nameserver of `domain`'s zone serves a
    /// dns-persist-01 record the CA takes for `account` (a wildcard needs `policy=wildcard`).
    /// Lookups go to `nameservers`, else to those of `dns_account`, else to the system's
    /// resolvers and the zone's own servers.
    pub async fn check_persist(
        &self,
        account: Option<&str>,
        domain: &str,
        dns_account: Option<&str>,
        nameservers: Vec<SocketAddr>,
    ) -> Result<PersistCheck> {
        let domain = one_name(domain)?;
        let binding = self.persist_binding(account).await?;
        let nameservers = match (nameservers.is_empty(), dns_account) {
            (true, Some(name)) => self.dns_config(name)?.propagation()?.nameservers,
            _ => nameservers,
        };
        check(&binding, &domain, &Lookup::new(nameservers)?).await
    }

    /// The CA's issuer names (its directory's `caaIdentities`) and the account's URL.
    pub(crate) async fn persist_binding(&self, account: Option<&str>) -> Result<Binding> {
        let record = self.account_record(account)?;
        record.ensure_active()?;
        let http = AcmeHttp::new(record.info.ca_root_pem.as_deref())?;
        let meta = acme::fetch_meta(&http, &record.info.directory_url).await?;
        if meta.caa_identities.is_empty() {
            return Err(Error::input(format!(
                "{} names no caaIdentities in its directory, so no dns-persist-01 record can name \
                 it: choose another challenge type",
                record.info.ca.label()
            )));
        }
        Ok(Binding {
            account: record.info.name,
            account_url: record.info.url,
            issuers: meta.caa_identities,
        })
    }
}

impl Engine {
    /// Before a dns-persist-01 order's challenges are answered, each name's standing record is
    /// checked at every authoritative nameserver (through the request's DNS account's
    /// nameservers when it has one; nothing is written): where one is missing the CA is not
    /// asked, and the request's next step says to publish it. A record whose `persistUntil` is
    /// near is warned about on the request (`persist_warning`), and the warning goes once every
    /// record is fresh.
    pub(crate) async fn check_standing(&self, record: &mut RequestRecord) -> Result<()> {
        let info = &record.info;
        let binding = self.persist_binding(Some(info.ordering_account())).await?;
        let nameservers = match &info.dns_account {
            Some(name) => self.dns_config(name)?.propagation()?.nameservers,
            None => Vec::new(),
        };
        let lookup = Lookup::new(nameservers)?;
        let mut missing = Vec::new();
        let mut warnings = Vec::new();
        for name in &info.names {
            let checked = check(&binding, name.as_str(), &lookup).await?;
            if let Some(warning) = &checked.warning {
                warnings.push(format!("{name}: {warning}"));
            }
            if !checked.ok {
                // The exact record, for a name published by hand.
                missing.push(format!(
                    "{} TXT {:?} ({})",
                    checked.name,
                    binding.value(name.as_str())?,
                    checked.failures()
                ));
            }
        }
        let now = OffsetDateTime::now_utc();
        // Dated: the days counted in the warning are those of this check.
        let warning = (!warnings.is_empty())
            .then(|| format!("{} (checked {})", warnings.join("; "), now.date()));
        if missing.is_empty() {
            if record.info.persist_warning != warning {
                record.info.persist_warning = warning;
                record.info.updated = now;
                self.requests.save(&*record).await?;
            }
            return Ok(());
        }
        record.info.persist_warning = warning;
        let step = NextStep::Publish {
            request: record.info.id.clone(),
            challenge: ChallengeType::DnsPersist01,
            declined: None,
        };
        record.info.next_step = Some(step.clone());
        record.info.updated = now;
        self.requests.save(&*record).await?;
        Err(Error::blocked(
            format!(
                "the dns-persist-01 record is not served by every authoritative nameserver, so \
                 the CA was not asked to validate: {}; publish it (certdesk dns persist-record \
                 --domain NAME --write DNS_ACCOUNT, or by hand) and verify again",
                missing.join("; ")
            ),
            step,
        ))
    }
}

/// The check for an account's binding: every server of the zone asked, none written to.
pub(crate) async fn check(
    binding: &Binding,
    domain: &str,
    lookup: &Lookup,
) -> Result<PersistCheck> {
    let wildcard = domain.starts_with("*.");
    let name = record::record_name(domain);
    let fqdn = lookup.follow_cnames(&name).await?;
    let zone = lookup.zone_of(&fqdn).await?;
    let now = OffsetDateTime::now_utc();
    let mut servers = Vec::new();
    let mut earliest: Option<OffsetDateTime> = None;
    for server in lookup.authoritative(&zone).await? {
        let (state, detail) = match lookup::txt_values(server.addr, &fqdn).await {
            Err(e) => ("unreachable", e.to_string()),
            Ok(values) => {
                let (state, detail, until) = judge(binding, wildcard, now, &values);
                if let Some(until) = until {
                    earliest = Some(earliest.map_or(until, |e| e.min(until)));
                }
                (state, detail)
            }
        };
        servers.push(ServerAnswer {
            server: server.to_string(),
            state: state.to_owned(),
            detail,
        });
    }
    Ok(PersistCheck {
        ok: servers.iter().all(|s| s.state == "serves"),
        warning: earliest.and_then(expiry_warning),
        domain: domain.to_owned(),
        name: fqdn,
        zone,
        servers,
    })
}

/// What one server's TXT values at the record's name say: `serves` with the record's
/// `persistUntil` when one of them is a record the CA takes, else why none is. Of several
/// records the CA takes, the one that lasts longest speaks (a new record published beside the
/// old one ends the warning).
fn judge(
    binding: &Binding,
    wildcard: bool,
    now: OffsetDateTime,
    values: &[String],
) -> (&'static str, String, Option<OffsetDateTime>) {
    let mut refusals = Vec::new();
    let mut served: Option<(&String, Option<OffsetDateTime>)> = None;
    for value in values {
        match PersistRecord::parse(value) {
            Ok(r) => match r.refusal(&binding.issuers, &binding.account_url, wildcard, now) {
                None => {
                    // No persistUntil lasts longest of all.
                    let longer = served.is_none_or(|(_, best)| match (best, r.persist_until) {
                        (None, _) => false,
                        (Some(_), None) => true,
                        (Some(best), Some(until)) => until > best,
                    });
                    if longer {
                        served = Some((value, r.persist_until));
                    }
                }
                // A record for another CA is someone else's business, not a fault of ours.
                Some(record::Refusal::OtherIssuer(_)) => {}
                Some(why) => refusals.push(format!("{value:?}: {why}")),
            },
            Err(e) => {
                // Only a record naming this CA is ours to judge, as the CA does.
                let ours = binding.issuers.iter().any(|i| {
                    value
                        .split(';')
                        .next()
                        .is_some_and(|s| s.trim().eq_ignore_ascii_case(i))
                });
                if ours {
                    refusals.push(format!("{:?}: {e}", acme::checks::shown(value)));
                }
            }
        }
    }
    if let Some((value, until)) = served {
        return ("serves", format!("serves {value:?}"), until);
    }
    if refusals.is_empty() {
        let detail = format!(
            "no dns-persist-01 record for {} and this account",
            binding.issuers.join(" or ")
        );
        ("lacks", detail, None)
    } else {
        ("other", refusals.join("; "), None)
    }
}

/// The warning for a record that stops being accepted at `until`, when that is soon or past.
fn expiry_warning(until: OffsetDateTime) -> Option<String> {
    let now = OffsetDateTime::now_utc();
    if until <= now {
        Some(format!(
            "the record's persistUntil ({}) has passed: the CA no longer accepts it; publish a new \
             record (certdesk dns persist-record)",
            record::rfc3339(until)
        ))
    } else if until - now <= WARN_BEFORE {
        Some(format!(
            "the record's persistUntil ({}) is {} days away: publish a new record before then \
             (certdesk dns persist-record)",
            record::rfc3339(until),
            (until - now).whole_days()
        ))
    } else {
        None
    }
}

/// A `persistUntil` as the administrator gives it: RFC 3339, or a date standing for its
/// midnight UTC.
pub fn parse_until(text: &str) -> Result<OffsetDateTime> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    time::Date::parse(text, &Iso8601::DATE)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            Error::input(format!(
                "persistUntil {text:?} is neither an RFC 3339 time (2027-01-31T00:00:00Z) nor a \
                 date (2027-01-31)"
            ))
        })
}

/// One DNS name, checked as a request's names are (a wildcard allowed).
fn one_name(domain: &str) -> Result<String> {
    let [name] = crate::names::validate(&[domain.trim()], ChallengeType::Dns01)?
        .try_into()
        .map_err(|_| Error::input("give one name with --domain"))?;
    Ok(name.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> Binding {
        Binding {
            account: "le".into(),
            account_url: "https://ca.example/acct/1".into(),
            issuers: vec!["ca.example".into()],
        }
    }

    #[test]
    fn a_server_is_judged_by_the_record_the_ca_would_take() {
        let now = OffsetDateTime::now_utc();
        let b = binding();
        let ours = "ca.example; accounturi=https://ca.example/acct/1".to_owned();
        let theirs = "other.example; accounturi=https://other/1".to_owned();
        assert_eq!(
            judge(&b, false, now, &[theirs.clone(), ours.clone()]).0,
            "serves"
        );
        let (state, detail, _) = judge(&b, false, now, std::slice::from_ref(&theirs));
        assert_eq!(state, "lacks");
        assert!(
            detail.contains("no dns-persist-01 record for ca.example"),
            "{detail}"
        );
        let (state, detail, _) = judge(&b, true, now, &[ours]);
        assert_eq!(state, "other");
        assert!(detail.contains("policy=wildcard"), "{detail}");
        let (state, detail, _) = judge(
            &b,
            false,
            now,
            &["ca.example; accounturi=https://ca.example/acct/2".into()],
        );
        assert_eq!(state, "other");
        assert!(detail.contains("another account"), "{detail}");
        let (state, detail, _) = judge(&b, false, now, &["ca.example; accounturi=x;".into()]);
        assert_eq!(state, "other");
        assert!(detail.contains("empty parameter"), "{detail}");
        assert_eq!(judge(&b, false, now, &["spf1 junk".into()]).0, "lacks");
    }

    #[test]
    fn of_several_records_the_ca_takes_the_longest_lasting_speaks() {
        let now = OffsetDateTime::now_utc();
        let until = |days: i64| {
            let at = (now + Duration::days(days)).unix_timestamp();
            format!("ca.example; accounturi=https://ca.example/acct/1; persistUntil={at}")
        };
        let (old, new) = (until(10), until(400));
        let (state, detail, at) = judge(&binding(), false, now, &[old.clone(), new.clone()]);
        assert_eq!(state, "serves");
        assert!(detail.contains(&new), "{detail}");
        assert!(at.is_some_and(|at| at > now + Duration::days(399)));
        let forever = "ca.example; accounturi=https://ca.example/acct/1".to_owned();
        assert_eq!(judge(&binding(), false, now, &[new, forever, old]).2, None);
    }

    #[test]
    fn until_is_a_time_or_a_date() {
        assert_eq!(
            parse_until("2027-01-31").unwrap(),
            parse_until("2027-01-31T00:00:00Z").unwrap()
        );
        let e = parse_until("next week").unwrap_err().to_string();
        assert!(e.contains("neither an RFC 3339 time"), "{e}");
    }

    #[test]
    fn persist_until_is_warned_about_within_thirty_days_and_once_past() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(expiry_warning(now + Duration::days(31)), None);
        let soon = expiry_warning(now + Duration::days(10)).unwrap();
        assert!(soon.contains("days away"), "{soon}");
        let past = expiry_warning(now - Duration::days(1)).unwrap();
        assert!(past.contains("has passed"), "{past}");
    }
}
