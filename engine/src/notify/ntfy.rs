//! ntfy: the text POSTed to `URL/TOPIC` with the subject in `Title`, `Priority` and `Tags`
//! headers, and the access token, when there is one, as `Authorization: Bearer`. A title that is
//! not ASCII is sent RFC 2047-encoded, which ntfy decodes.

use base64::Engine as _;
use url::Url;
use zeroize::Zeroizing;

use super::{ChannelSpec, Delivery, FieldSpec, Message, NoticeChannel, Opened};
use crate::error::{Error, Result};

pub(super) const SPEC: ChannelSpec = ChannelSpec {
    kind: "ntfy",
    label: "ntfy",
    own_fields: &[
        FieldSpec::new(
            "url",
            "Server URL",
            "The ntfy server, e.g. https://ntfy.sh or your own.",
        ),
        FieldSpec::new(
            "topic",
            "Topic",
            "The topic to publish to (letters, digits, - and _; at most 64).",
        ),
        FieldSpec::new(
            "token",
            "Access token",
            "An access token (tk_…) of a user that may publish to the topic; leave empty for an \
             open topic.",
        )
        .secret()
        .optional(),
    ],
    build,
};

struct Ntfy {
    /// The server's URL with the topic as its last path segment.
    topic_url: Url,
    token: Option<Zeroizing<String>>,
}

fn build(opened: &Opened) -> Result<Box<dyn NoticeChannel>> {
    let topic = opened.required("topic")?;
    let valid = (1..=64).contains(&topic.len())
        && topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Error::input(format!(
            "ntfy: topic {topic:?} is not a topic name (letters, digits, - and _; at most 64)"
        )));
    }
    let mut topic_url = opened.https_url("url")?;
    topic_url
        .path_segments_mut()
        .map_err(|()| Error::input("ntfy: url cannot take a topic"))?
        .pop_if_empty()
        .push(topic);
    Ok(Box::new(Ntfy {
        topic_url,
        token: opened.get("token").map(|t| Zeroizing::new(t.to_owned())),
    }))
}

impl NoticeChannel for Ntfy {
    fn delivery(&self, message: &Message) -> Result<Delivery> {
        let (priority, tags) = match message.event {
            "failed" => ("high", "warning"),
            "expiring_soon" => ("high", "hourglass"),
            "endpoint_findings" => ("high", "mag"),
            "renewed" => ("default", "white_check_mark"),
            _ => ("default", "test_tube"),
        };
        let mut headers = vec![
            ("Title", header_text(&message.subject)),
            ("Priority", priority.to_owned()),
            ("Tags", tags.to_owned()),
        ];
        if let Some(token) = &self.token {
            headers.push(("Authorization", format!("Bearer {}", token.as_str())));
        }
        Ok(Delivery {
            url: self.topic_url.clone(),
            content_type: "text/plain; charset=utf-8",
            headers,
            body: message.text.clone().into_bytes(),
        })
    }
}

/// `text` as a header value: as it is when it is printable ASCII, else RFC 2047-encoded.
fn header_text(text: &str) -> String {
    match text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        true => text.to_owned(),
        false => format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::tests::{failed, opened};

    #[test]
    fn it_posts_to_the_topic_with_the_token() {
        let ntfy = build(&opened(
            "ntfy",
            &[
                ("url", "https://ntfy.example/"),
                ("topic", "certs"),
                ("token", "tk_1"),
            ],
        ))
        .expect("ntfy");
        let delivery = ntfy.delivery(&failed()).expect("delivery");
        assert_eq!(delivery.url.as_str(), "https://ntfy.example/certs");
        assert!(delivery
            .headers
            .contains(&("Authorization", "Bearer tk_1".to_owned())));
        assert!(delivery.headers.contains(&("Priority", "high".to_owned())));
        let bad = opened("ntfy", &[("url", "https://ntfy.example"), ("topic", "a/b")]);
        assert!(build(&bad).is_err());
    }

    #[test]
    fn a_title_that_is_not_ascii_is_encoded() {
        assert_eq!(header_text("Renewed a.example"), "Renewed a.example");
        assert_eq!(header_text("é"), "=?UTF-8?B?w6k=?=");
    }
}
