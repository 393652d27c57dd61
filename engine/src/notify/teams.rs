//! Microsoft Teams: a message with one Adaptive Card attachment, the payload Teams documents for
//! both its Workflows webhooks ("When a Teams webhook request is received") and the older
//! incoming webhooks: `{"type": "message", "attachments": [{"contentType":
//! "application/vnd.microsoft.card.adaptive", "content": {AdaptiveCard}}]}`. The URL is the
//! credential, so it is sealed.

use url::Url;

use super::{ChannelSpec, Delivery, FieldSpec, Message, NoticeChannel, Opened};
use crate::error::Result;

pub(super) const SPEC: ChannelSpec = ChannelSpec {
    kind: "teams",
    label: "Microsoft Teams",
    own_fields: &[FieldSpec::new(
        "url",
        "Webhook URL",
        "The channel's Workflows webhook (\"Send webhook alerts to a channel\") or incoming \
         webhook URL (kept in the keychain: it is the credential).",
    )
    .secret()],
    build,
};

struct Teams {
    url: Url,
}

fn build(opened: &Opened) -> Result<Box<dyn NoticeChannel>> {
    Ok(Box::new(Teams {
        url: opened.https_url("url")?,
    }))
}

impl NoticeChannel for Teams {
    fn delivery(&self, message: &Message) -> Result<Delivery> {
        let details = message
            .text
            .strip_prefix(&message.subject)
            .unwrap_or(&message.text)
            .trim();
        let card = serde_json::json!({
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {
                    "type": "TextBlock",
                    "text": message.subject,
                    "weight": "Bolder",
                    "size": "Medium",
                    "wrap": true,
                    "color": if message.urgent() { "Attention" } else { "Default" },
                },
                { "type": "TextBlock", "text": details, "wrap": true },
            ],
        });
        let payload = serde_json::json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card,
            }],
        });
        Ok(Delivery {
            url: self.url.clone(),
            content_type: "application/json",
            headers: Vec::new(),
            body: payload.to_string().into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::tests::{failed, opened};

    #[test]
    fn a_notice_is_one_adaptive_card() {
        let teams = build(&opened("Teams", &[("url", "https://teams.example/w")])).expect("teams");
        let body: serde_json::Value =
            serde_json::from_slice(&teams.delivery(&failed()).expect("delivery").body)
                .expect("JSON");
        assert_eq!(body["type"], "message");
        let attachment = &body["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(attachment["content"]["type"], "AdaptiveCard");
        assert_eq!(attachment["content"]["body"][0]["color"], "Attention");
    }
}
