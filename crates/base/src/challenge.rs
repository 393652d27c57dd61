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
}

impl ChallengeType {
    /// Every challenge type, in the order a user is offered them.
    pub const ALL: [ChallengeType; 3] = [
        ChallengeType::Http01,
        ChallengeType::Dns01,
        ChallengeType::TlsAlpn01,
    ];

    /// The ACME identifier of the challenge type, as the CA and the user write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http01 => "http-01",
            Self::Dns01 => "dns-01",
            Self::TlsAlpn01 => "tls-alpn-01",
        }
    }

    /// Whether names proven this way may be wildcards: only dns-01 proves control of a zone.
    pub fn allows_wildcards(self) -> bool {
        self == Self::Dns01
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
#[error("unknown challenge type {0:?}: use \"http-01\", \"dns-01\" or \"tls-alpn-01\"")]
pub struct UnknownChallenge(pub String);
