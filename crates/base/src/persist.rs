//! The dns-persist-01 record (draft-ietf-acme-dns-persist-01, CA/B Forum method 3.2.2.4.22): one
//! standing TXT record at `_validation-persist.<name>` that names the CA (an issuer domain name
//! from the directory's `caaIdentities`) and the ACME account allowed to prove the name, so that
//! no order needs a DNS change.
//!
//! The value is an RFC 8659 issue-value: `issuer; accounturi=URL[; policy=wildcard]
//! [; persistUntil=UNIX-SECONDS]`. Parsing follows what the CA does (Pebble 2.10's VA): blanks
//! around parameters are dropped, tags are case-insensitive and unique, a value is printable ASCII
//! without `;`, an unknown tag is ignored and a `policy` other than `wildcard` counts as absent.

use std::fmt;

use time::OffsetDateTime;

/// The label in front of the name the record is published at.
pub const LABEL: &str = "_validation-persist";

/// A value longer than this is not a record certdesk writes or reads: an account URL is well
/// under 200 characters, and a TXT value this long is a mistake or hostile.
pub const MAX_VALUE_LEN: usize = 1024;

/// The TXT name for `domain`: a wildcard is proven at its base name, as with dns-01.
pub fn record_name(domain: &str) -> String {
    let base = domain.strip_prefix("*.").unwrap_or(domain);
    format!("{LABEL}.{}", base.trim_end_matches('.'))
}

/// One dns-persist-01 record as certdesk writes and reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistRecord {
    /// The CA's issuer domain name (e.g. `letsencrypt.org`), lower case.
    pub issuer: String,
    /// The ACME account URL allowed to use the record.
    pub account_uri: String,
    /// `policy=wildcard`: the record also proves `*.<name>` (and, per the draft, subdomains).
    pub wildcard: bool,
    /// `persistUntil`: the CA stops accepting the record after this time.
    pub persist_until: Option<OffsetDateTime>,
}

/// Why a TXT value is not a usable dns-persist-01 record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("it is longer than {MAX_VALUE_LEN} characters")]
    TooLong,
    #[error("it names no issuer domain before the first \";\"")]
    NoIssuer,
    #[error("the issuer domain name {0:?} is not a domain name")]
    BadIssuer(String),
    #[error("it has an empty parameter (two \";\" in a row, or one at the end)")]
    EmptyParameter,
    #[error("the parameter {0:?} is not tag=value")]
    NotTagValue(String),
    #[error("the tag {0:?} appears twice")]
    Duplicate(String),
    #[error("the value of {0:?} has a blank, a control, a non-ASCII character or a \";\"")]
    BadValue(String),
    #[error("it has no accounturi=")]
    NoAccount,
    #[error("persistUntil={0:?} is not a number of seconds since 1970")]
    BadUntil(String),
}

impl PersistRecord {
    /// A record to publish, its parts checked so that [`PersistRecord::parse`] reads back the
    /// same record (an account URL with a blank or a `;` could not be written in one).
    pub fn new(
        issuer: &str,
        account_uri: &str,
        wildcard: bool,
        persist_until: Option<OffsetDateTime>,
    ) -> Result<Self, Malformed> {
        let record = Self {
            issuer: check_issuer(issuer)?,
            account_uri: check_value("accounturi", account_uri)?.to_owned(),
            wildcard,
            persist_until: persist_until.map(whole_seconds),
        };
        if record.account_uri.is_empty() {
            return Err(Malformed::NoAccount);
        }
        if record.value().len() > MAX_VALUE_LEN {
            return Err(Malformed::TooLong);
        }
        Ok(record)
    }

    /// The TXT value, parameters in the draft's order.
    pub fn value(&self) -> String {
        let mut value = format!("{}; accounturi={}", self.issuer, self.account_uri);
        if self.wildcard {
            value.push_str("; policy=wildcard");
        }
        if let Some(until) = self.persist_until {
            value.push_str(&format!("; persistUntil={}", until.unix_timestamp()));
        }
        value
    }

    /// Reads one TXT value (its strings joined, as the CA joins them).
    pub fn parse(text: &str) -> Result<Self, Malformed> {
        if text.len() > MAX_VALUE_LEN {
            return Err(Malformed::TooLong);
        }
        let mut parts = text.split(';');
        let issuer = check_issuer(parts.next().unwrap_or_default())?;
        let mut seen: Vec<String> = Vec::new();
        let (mut account_uri, mut wildcard, mut persist_until) = (None, false, None);
        for param in parts {
            let param = trim_wsp(param);
            if param.is_empty() {
                return Err(Malformed::EmptyParameter);
            }
            let Some((tag, value)) = param.split_once('=') else {
                return Err(Malformed::NotTagValue(param.to_owned()));
            };
            let (tag, value) = (trim_wsp(tag), trim_wsp(value));
            if tag.is_empty() {
                return Err(Malformed::NotTagValue(param.to_owned()));
            }
            let canonical = tag.to_ascii_lowercase();
            if seen.contains(&canonical) {
                return Err(Malformed::Duplicate(tag.to_owned()));
            }
            seen.push(canonical.clone());
            let value = check_value(tag, value)?;
            match canonical.as_str() {
                "accounturi" if value.is_empty() => return Err(Malformed::NoAccount),
                "accounturi" => account_uri = Some(value.to_owned()),
                "policy" => wildcard = value.eq_ignore_ascii_case("wildcard"),
                "persistuntil" => {
                    let until = value
                        .parse::<i64>()
                        .ok()
                        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
                        .ok_or_else(|| Malformed::BadUntil(value.to_owned()))?;
                    persist_until = Some(until);
                }
                _ => {}
            }
        }
        Ok(Self {
            issuer,
            account_uri: account_uri.ok_or(Malformed::NoAccount)?,
            wildcard,
            persist_until,
        })
    }

    /// Whether the CA would take this record for `account_uri` and a name that is (or is not)
    /// a wildcard, at `now`: `None` when it would, else why not.
    pub fn refusal(
        &self,
        issuers: &[String],
        account_uri: &str,
        wildcard: bool,
        now: OffsetDateTime,
    ) -> Option<Refusal> {
        if !issuers.iter().any(|i| i.eq_ignore_ascii_case(&self.issuer)) {
            return Some(Refusal::OtherIssuer(self.issuer.clone()));
        }
        if self.account_uri != account_uri {
            return Some(Refusal::OtherAccount(self.account_uri.clone()));
        }
        if wildcard && !self.wildcard {
            return Some(Refusal::NoWildcardPolicy);
        }
        match self.persist_until {
            Some(until) if until < now => Some(Refusal::Expired(until)),
            _ => None,
        }
    }
}

impl fmt::Display for PersistRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value())
    }
}

/// Why the CA would not take a well-formed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The record names another CA.
    OtherIssuer(String),
    /// The record names another account.
    OtherAccount(String),
    /// A wildcard was asked for but the record has no `policy=wildcard`.
    NoWildcardPolicy,
    /// `persistUntil` has passed.
    Expired(OffsetDateTime),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OtherIssuer(i) => write!(f, "it names another CA ({i})"),
            Self::OtherAccount(a) => write!(f, "it names another account ({a})"),
            Self::NoWildcardPolicy => {
                f.write_str("it has no policy=wildcard, which a wildcard needs")
            }
            Self::Expired(t) => write!(f, "its persistUntil ({}) has passed", rfc3339(*t)),
        }
    }
}

/// A time as the faces write it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// RFC 8659 WSP: space and tab.
fn trim_wsp(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// An issuer domain name: letters, digits, hyphens and dots, not empty; lower-cased.
fn check_issuer(text: &str) -> Result<String, Malformed> {
    let issuer = trim_wsp(text);
    if issuer.is_empty() {
        return Err(Malformed::NoIssuer);
    }
    let fine = issuer.len() <= 253
        && issuer.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !fine {
        return Err(Malformed::BadIssuer(issuer.to_owned()));
    }
    Ok(issuer.to_ascii_lowercase())
}

/// RFC 8659's value: `%x21-3A / %x3C-7E`, printable ASCII without `;`.
fn check_value<'a>(tag: &str, value: &'a str) -> Result<&'a str, Malformed> {
    if value
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b';')
    {
        Ok(value)
    } else {
        Err(Malformed::BadValue(tag.to_owned()))
    }
}

/// `persistUntil` holds whole seconds.
fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "https://acme.example/acme/acct/1234";

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn the_name_is_the_label_over_the_base_name() {
        assert_eq!(
            record_name("example.com"),
            "_validation-persist.example.com"
        );
        assert_eq!(
            record_name("*.example.com"),
            "_validation-persist.example.com"
        );
        assert_eq!(
            record_name("www.example.com."),
            "_validation-persist.www.example.com"
        );
    }

    #[test]
    fn a_record_is_written_in_the_drafts_order_and_reads_back() {
        let plain = PersistRecord::new("LetsEncrypt.org", ACCOUNT, false, None).unwrap();
        assert_eq!(
            plain.value(),
            format!("letsencrypt.org; accounturi={ACCOUNT}")
        );
        let full =
            PersistRecord::new("letsencrypt.org", ACCOUNT, true, Some(at(1_767_225_600))).unwrap();
        assert_eq!(
            full.value(),
            format!(
                "letsencrypt.org; accounturi={ACCOUNT}; policy=wildcard; persistUntil=1767225600"
            )
        );
        assert_eq!(PersistRecord::parse(&full.value()).unwrap(), full);
        assert_eq!(PersistRecord::parse(&plain.value()).unwrap(), plain);
    }

    #[test]
    fn parsing_takes_what_the_ca_takes() {
        let r = PersistRecord::parse(&format!(
            " letsencrypt.org ;\tAccountURI = {ACCOUNT} ;POLICY=WildCard;other=thing"
        ))
        .unwrap();
        assert_eq!(r.account_uri, ACCOUNT);
        assert!(r.wildcard, "tags and the policy value ignore case");
        let r = PersistRecord::parse(&format!(
            "ca.example;accounturi={ACCOUNT};policy=subdomains"
        ))
        .unwrap();
        assert!(!r.wildcard, "another policy counts as none");
    }

    #[test]
    fn hostile_and_broken_values_are_refused_with_the_reason() {
        let cases = [
            (String::new(), Malformed::NoIssuer),
            ("; accounturi=x".into(), Malformed::NoIssuer),
            ("ca.example".into(), Malformed::NoAccount),
            ("ca.example; policy=wildcard".into(), Malformed::NoAccount),
            ("ca.example; accounturi=".into(), Malformed::NoAccount),
            (
                "ca.example; accounturi=x;".into(),
                Malformed::EmptyParameter,
            ),
            (
                "ca.example;; accounturi=x".into(),
                Malformed::EmptyParameter,
            ),
            (
                "ca.example; accounturi".into(),
                Malformed::NotTagValue("accounturi".into()),
            ),
            ("ca.example; =x".into(), Malformed::NotTagValue("=x".into())),
            (
                "ca.example; accounturi=x; ACCOUNTURI=y".into(),
                Malformed::Duplicate("ACCOUNTURI".into()),
            ),
            (
                "ca.example; accounturi=a b".into(),
                Malformed::BadValue("accounturi".into()),
            ),
            (
                "ca.example; accounturi=h\u{e9}llo".into(),
                Malformed::BadValue("accounturi".into()),
            ),
            (
                "ca.example; accounturi=x\u{0}".into(),
                Malformed::BadValue("accounturi".into()),
            ),
            (
                "ca.example; accounturi=x; persistUntil=soon".into(),
                Malformed::BadUntil("soon".into()),
            ),
            (
                "ca.example; accounturi=x; persistUntil=99999999999999999999".into(),
                Malformed::BadUntil("99999999999999999999".into()),
            ),
            (
                "ca example; accounturi=x".into(),
                Malformed::BadIssuer("ca example".into()),
            ),
            (
                "ca..example; accounturi=x".into(),
                Malformed::BadIssuer("ca..example".into()),
            ),
            (
                format!("ca.example; accounturi={}", "x".repeat(MAX_VALUE_LEN)),
                Malformed::TooLong,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(PersistRecord::parse(&text), Err(want), "{text:?}");
        }
    }

    #[test]
    fn a_record_that_could_not_be_read_back_is_not_made() {
        assert_eq!(
            PersistRecord::new("ca.example", "https://a.example/x;y", false, None),
            Err(Malformed::BadValue("accounturi".into()))
        );
        assert_eq!(
            PersistRecord::new("ca.example", "", false, None),
            Err(Malformed::NoAccount)
        );
        assert_eq!(
            PersistRecord::new("not a domain", ACCOUNT, false, None),
            Err(Malformed::BadIssuer("not a domain".into()))
        );
        let long = format!("https://a.example/{}", "x".repeat(MAX_VALUE_LEN));
        assert_eq!(
            PersistRecord::new("ca.example", &long, false, None),
            Err(Malformed::TooLong)
        );
    }

    #[test]
    fn the_ca_refuses_another_issuer_account_a_wildcard_without_policy_and_a_past_date() {
        let issuers = vec!["pebble.letsencrypt.org".to_owned()];
        let now = at(2_000_000_000);
        let r = PersistRecord::new(
            "pebble.letsencrypt.org",
            ACCOUNT,
            false,
            Some(at(2_000_000_001)),
        )
        .unwrap();
        assert_eq!(r.refusal(&issuers, ACCOUNT, false, now), None);
        assert_eq!(
            r.refusal(&issuers, ACCOUNT, true, now),
            Some(Refusal::NoWildcardPolicy)
        );
        assert_eq!(
            r.refusal(&issuers, "https://other/acct/2", false, now),
            Some(Refusal::OtherAccount(ACCOUNT.into()))
        );
        assert_eq!(
            r.refusal(&["letsencrypt.org".into()], ACCOUNT, false, now),
            Some(Refusal::OtherIssuer("pebble.letsencrypt.org".into()))
        );
        let later = at(2_000_000_002);
        assert_eq!(
            r.refusal(&issuers, ACCOUNT, false, later),
            Some(Refusal::Expired(at(2_000_000_001)))
        );
        assert!(Refusal::Expired(at(0))
            .to_string()
            .contains("1970-01-01T00:00:00Z"));
    }
}
