//! ACME Renewal Information (RFC 9773): a certificate's identifier at the CA and the renewal
//! window the CA suggests for it, fetched through instant-acme.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use instant_acme::CertificateIdentifier;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The RFC 9773 §4.1 identifier of a certificate (`base64url(AKI keyIdentifier).base64url(serial
/// DER)`): the path of its renewalInfo and the `replaces` value of the order that renews it.
/// `None` when the certificate has no Authority Key Identifier (then ARI cannot name it).
pub(crate) fn cert_id(der: &[u8]) -> Result<Option<String>> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| {
        Error::Damaged(format!(
            "a saved certificate does not parse ({e}): restore the data folder from a backup, \
                 or delete the certificate and issue it again"
        ))
    })?;
    let aki = cert
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref(),
            _ => None,
        });
    Ok(aki.map(|aki| {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(aki.0),
            URL_SAFE_NO_PAD.encode(cert.tbs_certificate.raw_serial())
        )
    }))
}

/// instant-acme's form of an identifier made by [`cert_id`].
pub(crate) fn identifier(id: &str) -> Result<CertificateIdentifier<'_>> {
    let (aki, serial) = id.split_once('.').ok_or_else(|| {
        Error::Damaged(format!(
            "the request's saved {id:?} is not an ARI certificate identifier: create the \
                 request again"
        ))
    })?;
    Ok(CertificateIdentifier {
        authority_key_identifier: Cow::Borrowed(aki),
        serial: Cow::Borrowed(serial),
    })
}

/// A suggested renewal window as the CA last answered it (RFC 9773 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AriWindow {
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// The CA's page explaining the window (e.g. a mass revocation notice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation_url: Option<String>,
}

/// What the CA said about one certificate.
pub(crate) enum Answer {
    /// Its window, and how long the CA asks us to wait before asking again (Retry-After).
    Window(AriWindow, std::time::Duration),
    /// The CA's directory has no renewalInfo: the lifetime rule decides.
    Unsupported,
}

/// Asks the CA for the renewal window of the certificate `id` ([`cert_id`]).
pub(crate) async fn fetch(account: &instant_acme::Account, id: &str) -> Result<Answer> {
    match account.renewal_info(&identifier(id)?).await {
        Ok((info, retry_after)) => Ok(Answer::Window(
            AriWindow {
                start: info.suggested_window.start,
                end: info.suggested_window.end,
                explanation_url: info.explanation_url,
            },
            retry_after,
        )),
        Err(instant_acme::Error::Unsupported(_)) => Ok(Answer::Unsupported),
        Err(e) => Err(crate::acme::error(
            "asking the CA for the renewal window",
            e,
        )),
    }
}
