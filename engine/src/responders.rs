//! The built-in responders a verification answers with: http-01 on port 80
//! ([`Http01Responder`]) and tls-alpn-01 on port 443 ([`TlsAlpnResponder`]). A face binds them
//! from its flags (`--http-listen`, `--tls-alpn-listen`), automated renewals from the settings
//! (`http01.listen`, `tls_alpn01.listen`).

use std::sync::Arc;

use certdesk_base::tls_alpn::TlsAlpnResponder;

use crate::acme::{Challenge, OrderChallenge};
use crate::error::Result;
use crate::http01::Http01Responder;
use crate::names::ChallengeType;

/// The responders bound for one verification (or pass); either may be absent.
#[derive(Clone, Default)]
pub struct Responders {
    pub http01: Option<Arc<Http01Responder>>,
    pub tls_alpn01: Option<Arc<TlsAlpnResponder>>,
}

impl Responders {
    /// Binds a responder at each address given; none at all without addresses.
    pub async fn bind(http01: Option<&str>, tls_alpn01: Option<&str>) -> Result<Self> {
        let http01 = match http01 {
            Some(addr) => Some(Http01Responder::bind(addr).await?),
            None => None,
        };
        let tls_alpn01 = match tls_alpn01 {
            Some(addr) => Some(TlsAlpnResponder::bind(addr).await?),
            None => None,
        };
        Ok(Self { http01, tls_alpn01 })
    }

    /// Whether a built-in responder answers `challenge`.
    pub fn answers(&self, challenge: ChallengeType) -> bool {
        match challenge {
            ChallengeType::Http01 => self.http01.is_some(),
            ChallengeType::TlsAlpn01 => self.tls_alpn01.is_some(),
            _ => false,
        }
    }
}

/// Serves the tls-alpn-01 challenges among `challenges` on `responder` for as long as the guard
/// lives; none of them when one is refused.
pub fn publish_tls_alpn(
    responder: &Arc<TlsAlpnResponder>,
    challenges: &[OrderChallenge],
) -> Result<Published<TlsAlpnResponder>> {
    let mut publication = Published {
        responder: responder.clone(),
        keys: Vec::new(),
        remove: TlsAlpnResponder::remove,
    };
    for c in challenges {
        if let Challenge::TlsAlpn01 {
            domain,
            key_authorization,
        } = &c.challenge
        {
            responder.add(domain, key_authorization)?;
            publication.keys.push(domain.clone());
        }
    }
    Ok(publication)
}

/// What a built-in responder serves for one verification (the http-01 tokens of
/// [`crate::http01::publish`], the tls-alpn-01 identifiers of [`publish_tls_alpn`]), removed
/// with the responder's own `remove` when dropped, whatever the outcome of the validation.
pub struct Published<R> {
    pub(crate) responder: Arc<R>,
    pub(crate) keys: Vec<String>,
    pub(crate) remove: fn(&R, &str),
}

impl<R> Drop for Published<R> {
    fn drop(&mut self) {
        for key in &self.keys {
            (self.remove)(&self.responder, key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_alpn(domain: &str, token: &str) -> OrderChallenge {
        OrderChallenge {
            challenge: Challenge::TlsAlpn01 {
                domain: domain.into(),
                key_authorization: format!("{token}.thumbprint"),
            },
            status: "pending".into(),
        }
    }

    #[tokio::test]
    async fn identifiers_are_answered_while_published_and_none_after_a_refusal() {
        let responder = TlsAlpnResponder::bind("127.0.0.1:0").await.unwrap();
        let token = "a".repeat(43);
        let challenges = [
            tls_alpn("example.com", &token),
            tls_alpn("127.0.0.1", &token),
        ];
        let publication = publish_tls_alpn(&responder, &challenges).unwrap();
        let mut names = responder.server_names();
        names.sort();
        assert_eq!(names, ["1.0.0.127.in-addr.arpa", "example.com"]);
        drop(publication);
        assert!(responder.server_names().is_empty());
        let hostile = [
            tls_alpn("example.com", &token),
            tls_alpn("example.org", "../x"),
        ];
        assert!(publish_tls_alpn(&responder, &hostile).is_err());
        assert!(responder.server_names().is_empty());
    }
}
