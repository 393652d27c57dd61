//! The generic webhook: the [`Message`] as JSON, POSTed to the receiver's URL and signed with
//! the shared secret, so that the receiver can tell certdesk's notices from anyone's:
//! `X-Certdesk-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>` (as GitHub
//! signs its webhooks). `X-Certdesk-Event` carries the message's event.

use aws_lc_rs::hmac;
use url::Url;
use zeroize::Zeroizing;

use super::{ChannelSpec, Delivery, FieldSpec, Message, NoticeChannel, Opened};
use crate::error::{Error, Result};

pub(super) const SPEC: ChannelSpec = ChannelSpec {
    kind: "webhook",
    label: "Webhook",
    own_fields: &[
        FieldSpec::new(
            "url",
            "URL",
            "The https:// address the receiver takes POSTed JSON notices at.",
        ),
        FieldSpec::new(
            "secret",
            "Signing secret",
            "A secret shared with the receiver: each notice carries X-Certdesk-Signature, the \
             HMAC-SHA256 of its body under it.",
        )
        .secret(),
    ],
    build,
};

/// The header that carries the body's signature.
pub(super) const SIGNATURE: &str = "X-Certdesk-Signature";

struct Webhook {
    url: Url,
    secret: Zeroizing<String>,
}

fn build(opened: &Opened) -> Result<Box<dyn NoticeChannel>> {
    Ok(Box::new(Webhook {
        url: opened.https_url("url")?,
        secret: Zeroizing::new(opened.required("secret")?.to_owned()),
    }))
}

impl NoticeChannel for Webhook {
    fn delivery(&self, message: &Message) -> Result<Delivery> {
        let body = serde_json::to_vec(message)
            .map_err(|e| Error::System(format!("cannot write the notice as JSON: {e}")))?;
        Ok(Delivery {
            url: self.url.clone(),
            content_type: "application/json",
            headers: vec![
                (SIGNATURE, format!("sha256={}", sign(&self.secret, &body))),
                ("X-Certdesk-Event", message.event.to_owned()),
            ],
            body,
        })
    }
}

/// The hex HMAC-SHA256 of `body` under `secret`.
fn sign(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hex::encode(hmac::sign(&key, body).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::tests::{failed, opened};

    #[test]
    fn the_signature_is_rfc_4231_s_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_body_is_the_message_and_its_signature_is_in_the_header() {
        let hook = build(&opened(
            "Webhook",
            &[("url", "https://hooks.example/in"), ("secret", "s3cret")],
        ))
        .expect("a webhook");
        let delivery = hook.delivery(&failed()).expect("a delivery");
        let json: serde_json::Value = serde_json::from_slice(&delivery.body).expect("JSON");
        assert_eq!(json["event"], "failed");
        assert_eq!(json["certificates"][0]["id"], "c1");
        let signature = &delivery.headers[0];
        assert_eq!(signature.0, SIGNATURE);
        assert_eq!(
            signature.1,
            format!("sha256={}", sign("s3cret", &delivery.body))
        );
        assert!(build(&opened("Webhook", &[("url", "https://hooks.example/in")])).is_err());
    }
}
