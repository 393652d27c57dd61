//! The built-in http-01 responder is certdesk-base's (re-exported here, the agents on end
//! servers reuse it); publishing an order's challenges on it is the engine's.

use std::sync::Arc;

pub use certdesk_base::http01::*;

use crate::acme::checks::check_token;
use crate::acme::{Challenge, OrderChallenge};
use crate::error::Result;
use crate::responders::Published;

/// Serves the http-01 challenges among `challenges` on `responder` for as long as the guard
/// lives; none of them when one token is refused.
pub fn publish(
    responder: &Arc<Http01Responder>,
    challenges: &[OrderChallenge],
) -> Result<Published<Http01Responder>> {
    let tokens: Vec<(&str, &str)> = challenges
        .iter()
        .filter_map(|c| match &c.challenge {
            Challenge::Http01 {
                token,
                key_authorization,
                ..
            } => Some((token.as_str(), key_authorization.as_str())),
            _ => None,
        })
        .collect();
    for (token, _) in &tokens {
        check_token(token)?;
    }
    for (token, key_authorization) in &tokens {
        responder.add(token, key_authorization)?;
    }
    Ok(Published {
        responder: responder.clone(),
        keys: tokens.iter().map(|(t, _)| (*t).to_owned()).collect(),
        remove: Http01Responder::remove,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http01(token: &str) -> OrderChallenge {
        OrderChallenge {
            challenge: Challenge::Http01 {
                domain: "example.com".into(),
                token: token.into(),
                key_authorization: format!("{token}.thumbprint"),
                url: format!("http://example.com/.well-known/acme-challenge/{token}"),
            },
            status: "pending".into(),
        }
    }

    #[tokio::test]
    async fn one_refused_token_publishes_none_and_the_guard_removes_its_tokens() {
        let responder = Http01Responder::bind("127.0.0.1:0").await.unwrap();
        // One bad token stops the whole publication, the good one included.
        let refused = publish(&responder, &[http01("good_-1"), http01("a/../b")]);
        assert!(refused.is_err());
        assert!(responder.tokens().is_empty());
        let publication = publish(&responder, &[http01("good_-1")]).unwrap();
        assert_eq!(responder.tokens(), ["good_-1"]);
        drop(publication);
        assert!(responder.tokens().is_empty());
    }
}
