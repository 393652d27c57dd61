//! What the agent shares of the engine's DNS side: the TXT records of a dns-01 challenge and
//! the administrator's DNS commands. The providers stay in the engine.

pub mod command;

/// One TXT name and the values certdesk puts there: a wildcard and its base name (or two
/// challenges of one name) share one `_acme-challenge` name with several values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtSet {
    /// The name the record is written at, after following any CNAME, without the final dot.
    pub fqdn: String,
    /// The zone that holds `fqdn` (found by SOA lookup), without the final dot.
    pub zone: String,
    pub values: Vec<String>,
}

impl TxtSet {
    /// `fqdn` relative to the zone: `_acme-challenge.www` in `example.com`, `@` at the apex.
    pub fn relative_name(&self) -> String {
        match self.fqdn.strip_suffix(&self.zone) {
            Some("") => "@".to_owned(),
            Some(rest) => rest.trim_end_matches('.').to_owned(),
            None => self.fqdn.clone(),
        }
    }
}
