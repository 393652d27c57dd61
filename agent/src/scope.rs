//! The names this agent serves, from its configuration's `names`: the only names it publishes
//! dns-01 TXT records for and installs certificates for. certdesk cannot widen them; a caller
//! holding the pairing token gets no further than they reach.

use certdesk_base::agent_api::InstallBundle;
use certdesk_base::certinfo::{split_chain, CertInfo};
use certdesk_base::names::{self, ChallengeType, Name};
use certdesk_base::{Error, Result};

/// Where dns-01 records go (RFC 8555 §8.4).
const TXT_LABEL: &str = "_acme-challenge.";

/// The configured names, as in a certificate: `example.com` is that name only, `*.example.com`
/// the wildcard and every name one label below `example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    names: Vec<Name>,
}

impl Scope {
    /// Checks the configured list; an empty one would let the agent serve nothing.
    pub fn parse(names: &[String]) -> std::result::Result<Self, String> {
        if names.is_empty() {
            return Err(
                "names lists no name: give the certificate names this agent serves, \
                 e.g. [\"example.com\", \"*.example.com\"]"
                    .into(),
            );
        }
        let names = names::validate(names, ChallengeType::Dns01).map_err(|e| e.to_string())?;
        Ok(Self { names })
    }

    /// The names, for the agent's start-up lines and health answer.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.names.iter().map(Name::as_str).collect();
        names.join(", ")
    }

    /// Whether `name` (a certificate name, maybe a wildcard) is one the agent serves.
    fn covers(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|serves| {
            name == serves.as_str()
                || (serves.is_wildcard()
                    && name
                        .split_once('.')
                        .is_some_and(|(label, rest)| label != "*" && rest == serves.base()))
        })
    }

    /// A TXT record at `fqdn` is published only at `_acme-challenge.NAME` for a NAME served
    /// (a wildcard's record is at its base name's).
    pub fn check_txt(&self, fqdn: &str) -> Result<()> {
        let lower = fqdn.trim_end_matches('.').to_ascii_lowercase();
        let Some(name) = lower.strip_prefix(TXT_LABEL) else {
            return Err(Error::input(format!(
                "this agent publishes TXT records only at {TXT_LABEL}NAME, not at {fqdn}"
            )));
        };
        let wildcard = format!("*.{name}");
        if self.covers(name) || self.covers(&wildcard) {
            return Ok(());
        }
        Err(self.refusal(&format!("a TXT record at {fqdn}"), name))
    }

    /// Every DNS name in the leaf certificate itself (not the names the caller claims) must be
    /// served.
    pub fn check_certificate(&self, bundle: &InstallBundle) -> Result<()> {
        let leaf = split_chain(&bundle.certificate_pem)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::input("the bundle holds no certificate"))?;
        let info = CertInfo::from_der(&leaf)?;
        match info.names.iter().find(|name| !self.covers(name)) {
            Some(name) => Err(self.refusal("a certificate for", name)),
            None => Ok(()),
        }
    }

    fn refusal(&self, what: &str, name: &str) -> Error {
        Error::input(format!(
            "this agent serves only {} (names in its configuration), so it refuses {what} {name}: \
             add the name to names on the agent's server and restart it, if it is one of its",
            self.describe()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::parse(&["example.com".into(), "*.example.net".into()]).unwrap()
    }

    #[test]
    fn txt_records_only_at_acme_challenge_names_served() {
        let s = scope();
        for good in [
            "_acme-challenge.example.com",
            "_ACME-challenge.Example.com.",
            "_acme-challenge.example.net",
            "_acme-challenge.www.example.net",
        ] {
            s.check_txt(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for (bad, says) in [
            ("example.com", "only at _acme-challenge.NAME"),
            ("_dmarc.example.com", "only at _acme-challenge.NAME"),
            ("_acme-challenge.www.example.com", "serves only example.com"),
            ("_acme-challenge.a.b.example.net", "refuses a TXT record"),
            ("_acme-challenge.example.org", "refuses a TXT record"),
            ("_acme-challenge.evilexample.com", "refuses"),
        ] {
            let e = s.check_txt(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_configuration_without_names_is_refused() {
        assert!(Scope::parse(&[]).unwrap_err().contains("lists no name"));
        assert!(Scope::parse(&["not a name".into()]).is_err());
    }

    #[test]
    fn wildcards_cover_one_label() {
        let s = scope();
        assert!(s.covers("*.example.net") && s.covers("www.example.net"));
        assert!(!s.covers("example.net") && !s.covers("a.www.example.net"));
        assert!(!s.covers("*.example.com"));
    }
}
