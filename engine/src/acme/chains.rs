//! Alternate certificate chains (RFC 8555 §7.4.2). A CA may offer the same certificate under
//! several chains (Let's Encrypt did, for old Android); it lists them as `Link: rel="alternate"`
//! on the certificate download. instant-acme 0.8 downloads only the default chain and keeps the
//! headers to itself, so certdesk asks for the alternates itself: a POST-as-GET signed with the
//! account key, as RFC 8555 §6.3 describes.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use serde_json::json;

use super::http::AcmeHttp;
use crate::certinfo;
use crate::error::{Error, Problem, Result};

/// Signs POST-as-GET requests for one account.
pub(crate) struct Downloader {
    http: AcmeHttp,
    key: EcdsaKeyPair,
    kid: String,
    new_nonce: String,
}

impl Downloader {
    /// `pkcs8` is the account's P-256 key, `kid` its URL at the CA.
    pub async fn new(http: AcmeHttp, directory_url: &str, pkcs8: &[u8], kid: &str) -> Result<Self> {
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8).map_err(|_| {
                Error::Damaged(
                    "the saved account key is not a P-256 key: restore the data folder from a \
                     backup, or register the account again"
                        .into(),
                )
            })?;
        let directory = super::directory::fetch(&http, directory_url).await?;
        let new_nonce = directory
            .new_nonce
            .ok_or_else(|| Error::Network(format!("{directory_url} lists no newNonce endpoint")))?;
        Ok(Self {
            http,
            key,
            kid: kid.to_owned(),
            new_nonce,
        })
    }

    fn jws(&self, url: &str, nonce: &str) -> Result<Vec<u8>> {
        let protected = BASE64_URL_SAFE_NO_PAD.encode(
            json!({"alg": "ES256", "kid": self.kid, "nonce": nonce, "url": url}).to_string(),
        );
        let signing_input = format!("{protected}.");
        let signature = self
            .key
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| Error::System("signing with the account key failed".into()))?;
        Ok(json!({
            "protected": protected,
            "payload": "",
            "signature": BASE64_URL_SAFE_NO_PAD.encode(signature.as_ref()),
        })
        .to_string()
        .into_bytes())
    }

    async fn nonce(&self) -> Result<String> {
        let rsp = self.http.head(&self.new_nonce).await?;
        replay_nonce(&rsp).ok_or_else(|| Error::Network("the CA gave no nonce".into()))
    }

    /// The account object (RFC 8555 §7.1.2) as the CA keeps it.
    pub async fn account_object(&self) -> Result<bytes::Bytes> {
        Ok(self.fetch(&self.kid).await?.into_body())
    }

    /// POST-as-GET `url`, signing again with a fresh nonce when the CA rejects one.
    async fn fetch(&self, url: &str) -> Result<http::Response<bytes::Bytes>> {
        let mut nonce = self.nonce().await?;
        for _ in 0..super::NONCE_STEP_RETRIES {
            let rsp = self.http.post_jose(url, self.jws(url, &nonce)?).await?;
            if rsp.status().is_success() {
                return Ok(rsp);
            }
            let problem: Problem = serde_json::from_slice(rsp.body()).unwrap_or_else(|_| Problem {
                detail: Some(format!("HTTP {} from {url}", rsp.status())),
                status: Some(rsp.status().as_u16()),
                ..Problem::default()
            });
            match replay_nonce(&rsp) {
                Some(next) if problem.is_bad_nonce() => nonce = next,
                _ => return Err(Error::Ca(problem)),
            }
        }
        Err(Error::Network(format!(
            "the CA kept rejecting nonces for {url}; try again later"
        )))
    }

    /// The chain whose root (the issuer of its last certificate) has `issuer` in its name,
    /// among the default chain at `cert_url` and its alternates. `None` when none matches.
    pub async fn chain_by_issuer(&self, cert_url: &str, issuer: &str) -> Result<Option<String>> {
        let default = self.fetch(cert_url).await?;
        let alternates = alternate_links(&default);
        let mut chains = vec![String::from_utf8_lossy(default.body()).into_owned()];
        for url in alternates {
            let rsp = self.fetch(&url).await?;
            chains.push(String::from_utf8_lossy(rsp.body()).into_owned());
        }
        for chain in chains {
            if top_issuer(&chain)?.contains(issuer) {
                return Ok(Some(chain));
            }
        }
        Ok(None)
    }
}

/// The issuer of the last certificate of a PEM chain: the root it leads to.
pub(crate) fn top_issuer(chain_pem: &str) -> Result<String> {
    let ders = certinfo::split_chain(chain_pem)?;
    let last = ders.last().map(Vec::as_slice).unwrap_or_default();
    Ok(certinfo::CertInfo::from_der(last)?.issuer)
}

fn replay_nonce<B>(rsp: &http::Response<B>) -> Option<String> {
    rsp.headers()
        .get("Replay-Nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The targets of `Link: <url>;rel="alternate"` headers.
fn alternate_links<B>(rsp: &http::Response<B>) -> Vec<String> {
    rsp.headers()
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|link| {
            let (target, params) = link.trim().split_once(';')?;
            let is_alternate = params
                .split(';')
                .any(|p| p.trim().replace(' ', "") == "rel=\"alternate\"");
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_alternate.then(|| target.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_links_are_read_from_every_link_header() {
        let rsp = http::Response::builder()
            .header("Link", "<https://ca/dir>;rel=\"index\"")
            .header("Link", "<https://ca/cert/1/alt/1>;rel=\"alternate\"")
            .header(
                "Link",
                "<https://ca/cert/1/alt/2>; rel=\"alternate\", <https://ca/x>;rel=\"up\"",
            )
            .body(())
            .unwrap();
        assert_eq!(
            alternate_links(&rsp),
            vec!["https://ca/cert/1/alt/1", "https://ca/cert/1/alt/2"]
        );
    }
}
