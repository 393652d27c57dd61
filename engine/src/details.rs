//! A repository entry in full, for a details view: the current certificate, each issuer of its
//! chain read out, and the request it was issued for.

use serde::Serialize;

use crate::certinfo::{split_chain, CertInfo};
use crate::error::{Error, Result};
use crate::repository::{CertSummary, Revocation};
use crate::request::RequestInfo;
use crate::Engine;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct CertDetails {
    #[serde(flatten)]
    pub summary: CertSummary,
    /// The leaf, PEM.
    pub certificate_pem: String,
    /// The issuers, leaf excluded, nearest first.
    pub chain: Vec<CertInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// The request's settings (key, keystore, challenge, key policy); none if it was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestInfo>,
}

impl Engine {
    pub fn cert_details(&self, id: &str) -> Result<CertDetails> {
        let summary = self.cert(id)?;
        let current = self.current_version(id)?;
        let chain = if current.chain_pem.trim().is_empty() {
            Vec::new()
        } else {
            split_chain(&current.chain_pem)?
                .iter()
                .map(|der| CertInfo::from_der(der))
                .collect::<Result<_>>()?
        };
        let request = match self.request(id) {
            Ok(r) => Some(r),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(CertDetails {
            summary,
            certificate_pem: current.certificate_pem,
            chain,
            revoked: current.revoked,
            request,
        })
    }
}
