//! What CAA allows (RFC 8659, with the account and method binding of RFC 8657), checked before
//! every order so that a CA's refusal is foreseen with the records and the fix named, and the
//! records that would bind a domain to an account (`certdesk account caa`, the Account tab).
//!
//! The rule, for each name of a request (IP addresses have no CAA): the Relevant RRset is found
//! by climbing the tree (`certdesk_dns::caa`); none = allowed. A wildcard name reads its
//! `issuewild` records when it has any, else its `issue` records; a set with neither = allowed.
//! A record with the critical flag and a tag certdesk does not know = refused. Otherwise one
//! record must name one of the CA's `caaIdentities`, with an `accounturi` (when it has one) equal
//! to the account's URL and `validationmethods` (when it has them) listing the request's challenge
//! type. A CA whose directory lists no `caaIdentities` is not checked: certdesk cannot tell which
//! records name it, and the CA checks for itself. A lookup that fails refuses, as CAs do.
//!
//! A request with a fallback account is refused at creation when CAA would stop the fallback
//! too: the fallback is kept for an outage, when nobody is there to read a warning. Later orders
//! check only the account that places them, so a CAA change that stops the fallback does not stop
//! the primary's renewals (the fallback's own order is refused with the records named).
//!
//! The lookups go to the request's DNS account's `nameservers` when it sets them, else to the
//! system's resolvers: a request with no DNS account on a machine whose resolver does not answer
//! is refused with the DNS failure's message.

use serde::Serialize;

use crate::account::AccountRecord;
use crate::acme::{self, AcmeHttp};
use crate::dns::caa::{self as lookup, CaaSet};
use crate::dns::lookup::Lookup;
use crate::error::{Error, Result};
use crate::names::ChallengeType;
use crate::request::RequestInfo;
use crate::Engine;

/// Property tags of the IANA registry: only an unknown one with the critical flag stops issuance.
const KNOWN_TAGS: [&str; 7] = [
    "issue",
    "issuewild",
    "iodef",
    "issuemail",
    "issuevmc",
    "contactemail",
    "contactphone",
];

/// Who asks to issue: the CA's issuer domain names, the account's URL and the challenge type.
#[derive(Debug, Clone)]
pub struct Applicant<'a> {
    pub identities: &'a [String],
    pub account_url: &'a str,
    pub method: &'a str,
}

/// What CAA says of one name for an applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No CAA record up the tree, or none of the kind that restricts this name.
    Unrestricted,
    /// A record names the CA (and the account and method, where it binds them).
    Allowed,
    Refused(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No record names the CA (or a record forbids every CA: `issue ";"`).
    Ca,
    /// Records name the CA, but only for other accounts.
    Account,
    /// Records name the CA and account, but not this challenge type.
    Method,
    /// A critical record with a tag certdesk does not know.
    Critical(String),
}

/// One `issue`/`issuewild` value parsed (RFC 8659 §4.2): the issuer domain name, if any, and
/// its parameters. `None` for a value that does not parse: it authorizes no one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IssueValue {
    issuer: Option<String>,
    parameters: Vec<(String, String)>,
}

impl IssueValue {
    fn parse(text: &str) -> Option<Self> {
        let (issuer, rest) = match text.split_once(';') {
            Some((issuer, rest)) => (issuer, Some(rest)),
            None => (text, None),
        };
        let issuer = issuer.trim_matches([' ', '\t']);
        let issuer = match issuer {
            "" => None,
            name if is_domain(name) => Some(name.to_ascii_lowercase()),
            _ => return None,
        };
        let mut parameters = Vec::new();
        let rest = rest.map(|r| r.trim_matches([' ', '\t'])).unwrap_or("");
        if !rest.is_empty() {
            for parameter in rest.split(';') {
                let (tag, value) = parameter.split_once('=')?;
                let tag = tag.trim_matches([' ', '\t']);
                let value = value.trim_matches([' ', '\t']);
                let tag_ok = !tag.is_empty()
                    && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !tag.starts_with('-')
                    && !tag.ends_with('-');
                let value_ok = value
                    .bytes()
                    .all(|b| (0x21..=0x7e).contains(&b) && b != b';');
                if !tag_ok || !value_ok {
                    return None;
                }
                parameters.push((tag.to_ascii_lowercase(), value.to_owned()));
            }
        }
        Some(Self { issuer, parameters })
    }

    fn parameter(&self, tag: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.as_str())
    }
}

fn is_domain(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// The property tag a name's issuance is governed by within `set`: `issuewild` for a wildcard
/// when the set has one, else `issue`.
fn governing_tag(set: &CaaSet, wildcard: bool) -> &'static str {
    let has_wild = set
        .records
        .iter()
        .any(|r| r.tag.eq_ignore_ascii_case("issuewild"));
    if wildcard && has_wild {
        "issuewild"
    } else {
        "issue"
    }
}

/// What `set` (the Relevant RRset, `None`: no CAA anywhere up the tree) allows `who` for a name
/// (`wildcard`: a `*.` name).
pub fn evaluate(set: Option<&CaaSet>, wildcard: bool, who: &Applicant<'_>) -> Verdict {
    let Some(set) = set else {
        return Verdict::Unrestricted;
    };
    if let Some(r) = set
        .records
        .iter()
        .find(|r| r.critical() && !KNOWN_TAGS.iter().any(|t| r.tag.eq_ignore_ascii_case(t)))
    {
        return Verdict::Refused(Refusal::Critical(r.tag.clone()));
    }
    let tag = governing_tag(set, wildcard);
    let values: Vec<Option<IssueValue>> = set
        .records
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case(tag))
        .map(|r| IssueValue::parse(&r.value))
        .collect();
    if values.is_empty() {
        return Verdict::Unrestricted;
    }
    let mut best = Refusal::Ca;
    for value in values.iter().flatten() {
        let names_ca = value
            .issuer
            .as_deref()
            .is_some_and(|i| who.identities.iter().any(|id| id.eq_ignore_ascii_case(i)));
        if !names_ca {
            continue;
        }
        if value
            .parameter("accounturi")
            .is_some_and(|uri| uri != who.account_url)
        {
            if best == Refusal::Ca {
                best = Refusal::Account;
            }
            continue;
        }
        let method_ok = value.parameter("validationmethods").is_none_or(|methods| {
            methods
                .split(',')
                .any(|m| m.trim().eq_ignore_ascii_case(who.method))
        });
        if !method_ok {
            best = Refusal::Method;
            continue;
        }
        return Verdict::Allowed;
    }
    Verdict::Refused(best)
}

/// The record that binds `name` to `who` (`D. CAA 0 issue "ca; accounturi=…; validationmethods=…"`),
/// `methods` empty: any method.
pub fn binding_record(name: &str, identity: &str, account_url: &str, methods: &[&str]) -> String {
    let (tag, base) = match name.strip_prefix("*.") {
        Some(base) => ("issuewild", base),
        None => ("issue", name),
    };
    let mut value = format!("{identity}; accounturi={account_url}");
    if !methods.is_empty() {
        value.push_str(&format!("; validationmethods={}", methods.join(",")));
    }
    format!("{}. CAA 0 {tag} \"{value}\"", base.trim_end_matches('.'))
}

/// The refusal as the administrator reads it: the name, where the records live, the records
/// and what to add.
fn refusal_message(name: &str, set: &CaaSet, why: &Refusal, who: &Applicant<'_>) -> String {
    let records = set
        .records
        .iter()
        .map(|r| format!("{}. CAA {r}", set.domain))
        .collect::<Vec<_>>()
        .join("; ");
    let reason = match why {
        Refusal::Ca => format!("no record allows this CA ({})", who.identities.join(", ")),
        Refusal::Account => format!(
            "the records that name this CA bind it to another account (accounturi is not {})",
            who.account_url
        ),
        Refusal::Method => format!(
            "the records that name this CA and account do not list {} in validationmethods",
            who.method
        ),
        Refusal::Critical(tag) => format!(
            "the record with the tag {tag:?} is marked critical and certdesk does not know that \
             tag, so no CA may issue"
        ),
    };
    let identity = who.identities.first().map_or("", String::as_str);
    let fix = binding_record(
        &if name.starts_with("*.") {
            format!("*.{}", set.domain)
        } else {
            set.domain.clone()
        },
        identity,
        who.account_url,
        &[who.method],
    );
    format!(
        "CAA forbids issuing for {name}: the CAA records at {} are {records}, and {reason}. Add \
         {fix} (or fix the records there), then create the request again",
        set.domain
    )
}

/// What CAA allows today for one domain, and the record that would bind it to an account.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct CaaReport {
    pub domain: String,
    /// The records to publish that allow only this CA, account and method(s).
    pub binding: Vec<String>,
    /// Where the Relevant RRset lives; none: no CAA records up the tree.
    pub found_at: Option<String>,
    /// The records found there, in zone-file form.
    pub records: Vec<String>,
    /// Whether this account may issue for the domain now (by the first method asked, or any).
    pub allowed: bool,
    /// What CAA allows, in words.
    pub summary: String,
}

impl CaaReport {
    /// The report as the CLI prints it: the records to publish, then what CAA says today.
    pub fn text(&self) -> String {
        let mut lines = vec![
            format!("{}:", self.domain),
            "  to bind it to this account:".into(),
        ];
        lines.extend(self.binding.iter().map(|r| format!("    {r}")));
        match &self.found_at {
            Some(at) => {
                lines.push(format!("  CAA today (records at {at}):"));
                lines.extend(self.records.iter().map(|r| format!("    {r}")));
            }
            None => lines.push("  CAA today: no records up the tree".into()),
        }
        let verdict = if self.allowed {
            "may issue"
        } else {
            "may NOT issue"
        };
        lines.push(format!("  this account {verdict}: {}", self.summary));
        lines.join("\n")
    }
}

/// The CA's identities, the account's URL and the resolver: what every check needs once.
struct Context {
    identities: Vec<String>,
    account_url: String,
    lookup: Lookup,
}

impl Engine {
    async fn caa_identities(&self, account: &AccountRecord) -> Result<Vec<String>> {
        let http = AcmeHttp::new(account.info.ca_root_pem.as_deref())?;
        Ok(acme::fetch_meta(&http, &account.info.directory_url)
            .await?
            .caa_identities)
    }

    fn caa_context(
        account: &AccountRecord,
        identities: Vec<String>,
        nameservers: Vec<std::net::SocketAddr>,
    ) -> Result<Context> {
        Ok(Context {
            identities,
            account_url: account.info.url.clone(),
            lookup: Lookup::new(nameservers)?,
        })
    }

    /// [`Engine::check_caa`] for the account that places `info`'s next order.
    pub(crate) async fn check_order_caa(&self, info: &RequestInfo) -> Result<()> {
        let account = self.account_record(Some(info.ordering_account()))?;
        let names: Vec<String> = info.names.iter().map(|n| n.as_str().to_owned()).collect();
        let role = match info.order_account {
            Some(_) => "the fallback account",
            None => "",
        };
        self.check_caa(
            &names,
            info.challenge_type,
            &account,
            info.dns_account.as_deref(),
            role,
        )
        .await
    }

    /// Refuses before an order when CAA would stop the CA from issuing for one of `names` to
    /// `account` by `method`; `role` names the account in the message ("the fallback account").
    pub(crate) async fn check_caa(
        &self,
        names: &[String],
        method: ChallengeType,
        account: &AccountRecord,
        dns_account: Option<&str>,
        role: &str,
    ) -> Result<()> {
        let nameservers = match dns_account {
            Some(dns) => self.dns_config(dns)?.propagation()?.nameservers,
            None => Vec::new(),
        };
        // A directory that cannot be read now fails the order itself, with the CA's words.
        let Ok(client) = self.ca_client(account).await else {
            return Ok(());
        };
        let identities = client.meta.caa_identities.clone();
        if identities.is_empty() {
            return Ok(());
        }
        let ctx = Self::caa_context(account, identities, nameservers)?;
        let who = Applicant {
            identities: &ctx.identities,
            account_url: &ctx.account_url,
            method: method.as_str(),
        };
        for name in names
            .iter()
            .filter(|n| n.parse::<std::net::IpAddr>().is_err())
        {
            let set = lookup::relevant(&ctx.lookup, name).await?;
            if let (Verdict::Refused(why), Some(set)) =
                (evaluate(set.as_ref(), name.starts_with("*."), &who), &set)
            {
                let message = refusal_message(name, set, &why, &who);
                return Err(Error::input(if role.is_empty() {
                    message
                } else {
                    format!("{role} {:?}: {message}", account.info.name)
                }));
            }
        }
        Ok(())
    }

    /// The CAA records that bind each of `domains` to account `name` (or the only account) and
    /// `methods`, and what CAA allows today, looked up through `nameservers` (none: the system's
    /// resolvers).
    pub async fn account_caa(
        &self,
        name: Option<&str>,
        domains: &[String],
        methods: &[ChallengeType],
        nameservers: Vec<std::net::SocketAddr>,
    ) -> Result<Vec<CaaReport>> {
        if domains.is_empty() {
            return Err(Error::input("name at least one domain (--domain D)"));
        }
        let account = self.account_record(name)?;
        let identities = self.caa_identities(&account).await?;
        let ctx = Self::caa_context(&account, identities, nameservers)?;
        let Some(identity) = ctx.identities.first() else {
            return Err(Error::input(format!(
                "the CA of account {:?} lists no caaIdentities in its directory, so no CAA \
                 record can name it",
                account.info.name
            )));
        };
        let labels: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
        let mut reports = Vec::new();
        for domain in domains {
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            let set = lookup::relevant(&ctx.lookup, &domain).await?;
            let who = Applicant {
                identities: &ctx.identities,
                account_url: &ctx.account_url,
                method: labels.first().copied().unwrap_or(""),
            };
            let wildcard = domain.starts_with("*.");
            let verdict = evaluate(set.as_ref(), wildcard, &who);
            let (allowed, summary) = match (&verdict, &set) {
                (Verdict::Unrestricted, None) => (
                    true,
                    "no CAA records up the tree: every CA may issue".to_owned(),
                ),
                (Verdict::Unrestricted, Some(set)) => (
                    true,
                    format!(
                        "the CAA records at {} do not restrict this name: every CA may issue",
                        set.domain
                    ),
                ),
                (Verdict::Allowed, Some(set)) => (
                    true,
                    format!(
                        "the CAA records at {} allow account {:?} to issue",
                        set.domain, account.info.name
                    ),
                ),
                (Verdict::Refused(why), Some(set)) => {
                    (false, refusal_message(&domain, set, why, &who))
                }
                (_, None) => (true, String::new()),
            };
            reports.push(CaaReport {
                binding: vec![binding_record(&domain, identity, &ctx.account_url, &labels)],
                found_at: set.as_ref().map(|s| s.domain.clone()),
                records: set
                    .iter()
                    .flat_map(|s| s.records.iter().map(|r| format!("{}. CAA {r}", s.domain)))
                    .collect(),
                allowed,
                summary,
                domain,
            });
        }
        Ok(reports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::caa::CaaRecord;

    const LE: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/123";

    fn set(records: &[(u8, &str, &str)]) -> CaaSet {
        CaaSet {
            domain: "example.com".into(),
            records: records
                .iter()
                .map(|(flags, tag, value)| CaaRecord {
                    flags: *flags,
                    tag: (*tag).into(),
                    value: (*value).into(),
                })
                .collect(),
        }
    }

    fn verdict(records: &[(u8, &str, &str)], wildcard: bool, method: &str) -> Verdict {
        let identities = vec!["letsencrypt.org".to_owned()];
        let who = Applicant {
            identities: &identities,
            account_url: LE,
            method,
        };
        evaluate(Some(&set(records)), wildcard, &who)
    }

    use Refusal::*;
    use Verdict::*;

    #[test]
    fn no_records_or_no_issue_records_leave_issuance_open() {
        let identities = vec!["letsencrypt.org".to_owned()];
        let who = Applicant {
            identities: &identities,
            account_url: LE,
            method: "dns-01",
        };
        assert_eq!(evaluate(None, false, &who), Unrestricted);
        assert_eq!(
            verdict(&[(0, "iodef", "mailto:a@example.com")], false, "dns-01"),
            Unrestricted
        );
    }

    #[test]
    fn issue_names_the_ca_or_another() {
        assert_eq!(
            verdict(&[(0, "issue", "letsencrypt.org")], false, "http-01"),
            Allowed
        );
        assert_eq!(
            verdict(&[(0, "issue", " LetsEncrypt.org ")], false, "http-01"),
            Allowed
        );
        assert_eq!(
            verdict(
                &[(0, "issue", "sectigo.com"), (0, "issue", "letsencrypt.org")],
                false,
                "dns-01"
            ),
            Allowed
        );
        assert_eq!(
            verdict(&[(0, "issue", "sectigo.com")], false, "dns-01"),
            Refused(Ca)
        );
        assert_eq!(verdict(&[(0, "issue", ";")], false, "dns-01"), Refused(Ca));
        assert_eq!(verdict(&[(0, "issue", "")], false, "dns-01"), Refused(Ca));
    }

    #[test]
    fn wildcards_read_issuewild_first_and_issue_without_it() {
        let both = [
            (0, "issue", "letsencrypt.org"),
            (0, "issuewild", "sectigo.com"),
        ];
        assert_eq!(verdict(&both, false, "dns-01"), Allowed);
        assert_eq!(verdict(&both, true, "dns-01"), Refused(Ca));
        assert_eq!(
            verdict(&[(0, "issue", "letsencrypt.org")], true, "dns-01"),
            Allowed
        );
        assert_eq!(
            verdict(
                &[
                    (0, "issue", "sectigo.com"),
                    (0, "issuewild", "letsencrypt.org")
                ],
                true,
                "dns-01"
            ),
            Allowed
        );
        // issuewild ";" forbids wildcards only.
        let no_wild = [(0, "issue", "letsencrypt.org"), (0, "issuewild", ";")];
        assert_eq!(verdict(&no_wild, true, "dns-01"), Refused(Ca));
        assert_eq!(verdict(&no_wild, false, "dns-01"), Allowed);
    }

    #[test]
    fn accounturi_binds_the_account() {
        let mine = format!("letsencrypt.org; accounturi={LE}");
        assert_eq!(verdict(&[(0, "issue", &mine)], false, "dns-01"), Allowed);
        let other = "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/9";
        assert_eq!(
            verdict(&[(0, "issue", other)], false, "dns-01"),
            Refused(Account)
        );
        assert_eq!(
            verdict(&[(0, "issue", other), (0, "issue", &mine)], false, "dns-01"),
            Allowed
        );
    }

    #[test]
    fn validationmethods_bind_the_method() {
        let dns = format!("letsencrypt.org; accounturi={LE}; validationmethods=dns-01");
        assert_eq!(verdict(&[(0, "issue", &dns)], false, "dns-01"), Allowed);
        assert_eq!(
            verdict(&[(0, "issue", &dns)], false, "http-01"),
            Refused(Method)
        );
        let both = "letsencrypt.org;validationmethods=dns-01,http-01";
        assert_eq!(verdict(&[(0, "issue", both)], false, "http-01"), Allowed);
        // Unknown parameters are ignored.
        assert_eq!(
            verdict(
                &[(0, "issue", "letsencrypt.org; foo=bar")],
                false,
                "http-01"
            ),
            Allowed
        );
    }

    #[test]
    fn critical_unknown_tags_forbid_and_known_ones_do_not() {
        let crit = [(128, "issue", "letsencrypt.org"), (128, "tbs", "x")];
        assert_eq!(
            verdict(&crit, false, "dns-01"),
            Refused(Critical("tbs".into()))
        );
        assert_eq!(
            verdict(
                &[(0, "issue", "letsencrypt.org"), (0, "tbs", "x")],
                false,
                "dns-01"
            ),
            Allowed
        );
        assert_eq!(
            verdict(&[(128, "issue", "letsencrypt.org")], false, "dns-01"),
            Allowed
        );
    }

    #[test]
    fn malformed_values_authorize_no_one_and_never_panic() {
        for hostile in [
            "letsencrypt.org; accounturi",
            "letsencrypt.org; =x",
            "letsencrypt.org; a b=c",
            "lets encrypt.org",
            "letsencrypt.org;; x=y",
            "letsencrypt.org; x=\u{7f}",
            "letsencrypt.org; -x=y",
            "\u{fffd}\u{0}",
            "-bad-.org",
        ] {
            assert_eq!(
                verdict(&[(0, "issue", hostile)], false, "dns-01"),
                Refused(Ca),
                "{hostile:?}"
            );
        }
        let long = "a".repeat(100_000);
        assert_eq!(
            verdict(&[(0, "issue", &long)], false, "dns-01"),
            Refused(Ca)
        );
    }

    #[test]
    fn the_refusal_names_the_records_and_the_fix() {
        let identities = vec!["letsencrypt.org".to_owned()];
        let who = Applicant {
            identities: &identities,
            account_url: LE,
            method: "dns-01",
        };
        let s = set(&[(0, "issue", "sectigo.com")]);
        let m = refusal_message("www.example.com", &s, &Ca, &who);
        assert!(m.contains("CAA forbids issuing for www.example.com"), "{m}");
        assert!(
            m.contains(r#"example.com. CAA 0 issue "sectigo.com""#),
            "{m}"
        );
        assert!(m.contains(&format!(
            r#"Add example.com. CAA 0 issue "letsencrypt.org; accounturi={LE}; validationmethods=dns-01""#
        )), "{m}");
        let m = refusal_message("*.example.com", &s, &Ca, &who);
        assert!(m.contains("example.com. CAA 0 issuewild"), "{m}");
    }

    #[test]
    fn binding_records_use_issuewild_for_wildcards() {
        assert_eq!(
            binding_record("example.com", "letsencrypt.org", LE, &["dns-01"]),
            format!(
                r#"example.com. CAA 0 issue "letsencrypt.org; accounturi={LE}; validationmethods=dns-01""#
            )
        );
        assert_eq!(
            binding_record("*.example.com", "letsencrypt.org", LE, &[]),
            format!(r#"example.com. CAA 0 issuewild "letsencrypt.org; accounturi={LE}""#)
        );
    }
}
