//! The challenge types a request proves its names with. Below the errors and the next steps,
//! which both name them, so that neither needs the other's module to say which.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How the names will be proven to the CA. It matters here because the CA issues a wildcard
/// only to whoever controls the DNS zone, so wildcards need dns-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChallengeType {
    /// A file served over HTTP on port 80 of each name (RFC 8555 §8.3).
    #[serde(rename = "http-01")]
    Http01,
    /// A TXT record at `_acme-challenge.<name>` (RFC 8555 §8.4).
    #[serde(rename = "dns-01")]
    Dns01,
    /// A self-signed certificate served over TLS on port 443 of each name to the `acme-tls/1`
    /// protocol (RFC 8737).
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
    /// dns-01's TXT value at an account-scoped name, `_<label>._acme-challenge.<name>`
    /// (draft-ietf-acme-dns-account-label): several accounts can prove one name side by side.
    #[serde(rename = "dns-account-01")]
    DnsAccount01,
    /// One standing TXT record at `_validation-persist.<name>` naming the CA and the account
    /// (draft-ietf-acme-dns-persist): no DNS change per order.
    #[serde(rename = "dns-persist-01")]
    DnsPersist01,
}

impl ChallengeType {
    /// Every challenge type, in the order a user is offered them.
    pub const ALL: [ChallengeType; 5] = [
        ChallengeType::Http01,
        ChallengeType::Dns01,
        ChallengeType::TlsAlpn01,
        ChallengeType::DnsAccount01,
        ChallengeType::DnsPersist01,
    ];

    /// The ACME identifier of the challenge type, as the CA and the user write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http01 => "http-01",
            Self::Dns01 => "dns-01",
            Self::TlsAlpn01 => "tls-alpn-01",
            Self::DnsAccount01 => "dns-account-01",
            Self::DnsPersist01 => "dns-persist-01",
        }
    }

    /// Whether names proven this way may be wildcards: only the DNS challenges prove control of
    /// a zone (dns-persist-01 only with the record's `policy=wildcard`, which the CA checks).
    pub fn allows_wildcards(self) -> bool {
        self.uses_dns()
    }

    /// Whether the names are proven by TXT records in their zone, where a DNS account writes
    /// them (dns-persist-01: once, and its nameservers are where the standing record is checked).
    pub fn uses_dns(self) -> bool {
        matches!(self, Self::Dns01 | Self::DnsAccount01 | Self::DnsPersist01)
    }
}

impl fmt::Display for ChallengeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChallengeType {
    type Err = UnknownChallenge;

    /// Parses a challenge type's ACME identifier (`http-01`, …), ignoring case and surrounding blanks, as a user may type it.
    fn from_str(s: &str) -> Result<Self, UnknownChallenge> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownChallenge(wanted.to_owned()))
    }
}

/// A challenge type certdesk does not know, as typed; an [`Error::Input`](crate::Error) once
/// it reaches the engine's error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown challenge type {0:?}: use \"http-01\", \"dns-01\", \"tls-alpn-01\", \
     \"dns-account-01\" or \"dns-persist-01\""
)]
pub struct UnknownChallenge(pub String);
