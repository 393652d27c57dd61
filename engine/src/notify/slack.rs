//! Slack's incoming webhook: `{"text": …}` POSTed as JSON to the webhook's URL, which is the
//! credential (anyone who has it can post to the channel), so it is sealed. Slack reads `&`,
//! `<` and `>` as its markup's control characters; they are escaped as its documentation says.

use url::Url;

use super::{ChannelSpec, Delivery, FieldSpec, Message, NoticeChannel, Opened};
use crate::error::Result;

pub(super) const SPEC: ChannelSpec = ChannelSpec {
    kind: "slack",
    label: "Slack",
    own_fields: &[FieldSpec::new(
        "url",
        "Webhook URL",
        "Slack app → Incoming Webhooks → Add New Webhook to Workspace: the https://hooks.slack.com/… \
         URL (kept in the keychain: it is the credential).",
    )
    .secret()],
    build,
};

struct Slack {
    url: Url,
}

fn build(opened: &Opened) -> Result<Box<dyn NoticeChannel>> {
    Ok(Box::new(Slack {
        url: opened.https_url("url")?,
    }))
}

impl NoticeChannel for Slack {
    fn delivery(&self, message: &Message) -> Result<Delivery> {
        let text = message
            .text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        Ok(Delivery {
            url: self.url.clone(),
            content_type: "application/json",
            headers: Vec::new(),
            body: serde_json::json!({ "text": text }).to_string().into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::tests::{failed, opened};

    #[test]
    fn the_text_is_escaped_for_slack() {
        let slack = build(&opened("Slack", &[("url", "https://hooks.example/s")])).expect("slack");
        let mut message = failed();
        message.text = "a <b> & c".into();
        let body: serde_json::Value =
            serde_json::from_slice(&slack.delivery(&message).expect("delivery").body)
                .expect("JSON");
        assert_eq!(body, serde_json::json!({"text": "a &lt;b&gt; &amp; c"}));
    }
}
