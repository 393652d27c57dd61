//! The challenges of an ACME order (RFC 8555 §8) as certdesk keeps them: what must be published
//! for each name, and where the CA says it stands.

use serde::{Deserialize, Serialize};

/// One challenge as the administrator must publish it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[derive(ts_rs::TS)]
pub enum Challenge {
    /// Serve `key_authorization` at `url`.
    #[serde(rename = "http-01")]
    Http01 {
        domain: String,
        token: String,
        key_authorization: String,
        url: String,
    },
    /// Publish a TXT record `record_name` with `record_value`.
    #[serde(rename = "dns-01")]
    Dns01 {
        domain: String,
        record_name: String,
        record_value: String,
        /// `token.THUMBPRINT` (RFC 8555 §8.4), whose digest `record_value` is: what an agent is
        /// sent, so that it can refuse an account it was not paired with. Empty in orders placed
        /// before certdesk kept it.
        #[serde(default)]
        key_authorization: String,
    },
    /// Serve, on port 443 of `domain` and to the `acme-tls/1` protocol, a self-signed
    /// certificate for `domain` whose acmeIdentifier extension holds the SHA-256 digest of
    /// `key_authorization` (RFC 8737 §3).
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01 {
        domain: String,
        key_authorization: String,
    },
}

/// A challenge of the current order and where it stands at the CA.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct OrderChallenge {
    #[serde(flatten)]
    pub challenge: Challenge,
    /// `pending`, `valid` (also when the CA reused an earlier authorization) or `invalid`.
    pub status: String,
}
