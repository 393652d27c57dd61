//! Reading issued certificates: the facts the repository lists and the checks on what the CA sent.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::error::{Error, Result};
use crate::keys::PrivateKey;

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CertInfo {
    /// Serial number, lower-case hex without separators.
    pub serial: String,
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub not_after: OffsetDateTime,
    /// "RSA 2048", "ECDSA P-256", …
    pub key_type: String,
    pub sha256_fingerprint: String,
}

/// The PEM blocks of a chain as DER, leaf first.
pub fn split_chain(pem_chain: &str) -> Result<Vec<Vec<u8>>> {
    let blocks = pem::parse_many(pem_chain)
        .map_err(|e| Error::Network(format!("the CA sent a chain that is not PEM: {e}")))?;
    let ders: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .collect();
    if ders.is_empty() {
        return Err(Error::Network("the CA sent no certificate".into()));
    }
    Ok(ders)
}

pub fn to_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| Error::Network(format!("the certificate does not parse: {e}")))
}

impl CertInfo {
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = parse(der)?;
        let names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|ext| {
                ext.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        GeneralName::DNSName(d) => Some(d.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let time = |t: x509_parser::time::ASN1Time| {
            OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
        };
        Ok(Self {
            serial: hex::encode(cert.raw_serial())
                .trim_start_matches("00")
                .to_owned(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            names,
            not_before: time(cert.validity().not_before),
            not_after: time(cert.validity().not_after),
            key_type: key_type(&cert),
            sha256_fingerprint: hex::encode(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref(),
            ),
        })
    }

    /// Whole days from `now` to expiry; negative once expired.
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }
}

fn key_type(cert: &X509Certificate<'_>) -> String {
    use x509_parser::public_key::PublicKey;
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(ec)) => match ec.key_size() {
            256 => "ECDSA P-256".into(),
            384 => "ECDSA P-384".into(),
            n => format!("ECDSA {n}"),
        },
        _ => "other".into(),
    }
}

/// The leaf of `chain_pem` must carry `key`'s public key: a CA bug or a mixed-up key would
/// otherwise produce a keystore that no server can use.
pub fn check_key_matches(chain_pem: &str, key: &PrivateKey) -> Result<()> {
    let ders = split_chain(chain_pem)?;
    let leaf = parse(&ders[0])?;
    if leaf.public_key().raw != key.public_key_der()?.as_slice() {
        return Err(Error::Network(
            "the CA's certificate does not carry this request's key; start a new order".into(),
        ));
    }
    Ok(())
}
