//! Notice channels: where a renewal [`Notice`] goes besides e-mail and the desktop — a generic
//! JSON webhook signed with HMAC-SHA256, Slack and Microsoft Teams incoming webhooks, and ntfy.
//!
//! A channel is one use of the credentialed configuration ([`crate::form::credentialed`]), so its
//! secrets (the webhook's signing secret, the Slack or Teams URL, which is the credential there,
//! the ntfy token) are sealed in the vault, and saving, listing, deleting, enabling and recording
//! a test come from there. Each kind is one file with a [`ChannelSpec`] (its fields and a
//! constructor of its [`NoticeChannel`]) and one line in [`CHANNELS`]; a kind only says what its
//! request looks like ([`Delivery`]). Sending is here once, for all of them: HTTPS only, no
//! redirect followed (a webhook URL that moved should be fixed, not chased with the payload),
//! [`TIMEOUT`] for the whole exchange and at most [`MAX_ANSWER`] of the answer read.

mod ntfy;
mod slack;
mod teams;
mod webhook;

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;
use zeroize::Zeroizing;

use crate::activity::Action;
use crate::dns::body::{read_limited, BodyError};
use crate::error::{Error, Result};
use crate::form::credentialed::{Actions, ConfigForm, Configured, Credentialed, Kind, Stored};
use crate::form::FieldSpec;
use crate::mail::Notice;
use crate::next_step::Listing;
use crate::store::Table;
use crate::Engine;

/// The kinds of notice channel there are.
pub static CHANNELS: &[&ChannelSpec] = &[&webhook::SPEC, &slack::SPEC, &teams::SPEC, &ntfy::SPEC];

/// One exchange with a service (connecting, sending, reading the answer) may take this long: a
/// notice must not hold a renewal pass up, and every service answers in well under a second.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer certdesk reads: services answer "ok" or a short error.
const MAX_ANSWER: usize = 64 << 10;
/// How much of a refusal's body an error quotes.
const QUOTED: usize = 300;

/// The field every kind has: a CA to trust beside the system's, for a receiver inside the
/// organisation (or a test's) whose certificate no public CA issued.
const CA_CERTIFICATE: FieldSpec = FieldSpec::new(
    "ca_certificate",
    "CA certificate",
    "A PEM file of the CA that issued the receiver's HTTPS certificate, when it is not one the \
     system trusts.",
)
.optional();

/// A kind of notice channel: its fields and how a configuration of it becomes a channel.
pub struct ChannelSpec {
    /// The `--kind` of `certdesk notify add`, e.g. `slack`.
    pub kind: &'static str,
    pub label: &'static str,
    /// Its own fields; [`ChannelSpec::fields`] adds the ones every kind has.
    pub own_fields: &'static [FieldSpec],
    /// The channel of a configuration, checked without the network.
    pub build: fn(&Opened) -> Result<Box<dyn NoticeChannel>>,
}

impl ChannelSpec {
    pub fn fields(&self) -> impl Iterator<Item = &'static FieldSpec> {
        self.own_fields
            .iter()
            .chain(std::iter::once(&CA_CERTIFICATE))
    }
}

/// A kind as the faces show it (the window draws the form from its fields).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ChannelKind {
    pub kind: String,
    pub label: String,
    pub fields: Vec<FieldSpec>,
}

/// The kind `kind`, or an error listing the kinds there are.
pub fn channel_spec(kind: &str) -> Result<&'static ChannelSpec> {
    CHANNELS
        .iter()
        .copied()
        .find(|s| s.kind == kind)
        .ok_or_else(|| {
            Error::input(format!(
                "there is no notice channel kind {kind:?}; the kinds are: {}",
                CHANNELS
                    .iter()
                    .map(|s| s.kind)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// One service notices go to: how a message looks on its wire.
pub trait NoticeChannel: Send + Sync {
    /// The HTTPS request that carries `message`, in the shape the service documents.
    fn delivery(&self, message: &Message) -> Result<Delivery>;
}

/// An HTTPS request to a service: where, with what body and headers.
pub struct Delivery {
    pub url: Url,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What a notice says, as every channel words it. The generic webhook sends it as it is (see
/// the README for the fields).
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// `renewed`, `failed`, `expiring_soon`, `endpoint_findings`, or `test`.
    pub event: &'static str,
    /// One line: what happened to which certificate or endpoint.
    pub subject: String,
    /// The subject and the details, as the e-mail notice says them.
    pub text: String,
    /// The certificate it is about; none for an endpoint's findings or a test.
    pub certificates: Vec<CertificateRef>,
    /// The notice whole, for a receiver that wants its dates and reason as data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

/// A certificate a message is about.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateRef {
    pub id: String,
    pub names: Vec<String>,
}

impl Message {
    pub fn of(notice: &Notice) -> Self {
        let certificates = notice.certificate().map(|(id, names)| CertificateRef {
            id: id.to_owned(),
            names: names.to_vec(),
        });
        Self {
            event: match notice {
                Notice::Renewed { .. } => "renewed",
                Notice::Failed { .. } => "failed",
                Notice::ExpiringSoon { .. } => "expiring_soon",
                Notice::Endpoint(_) => "endpoint_findings",
            },
            subject: notice.headline(),
            text: notice.text(),
            certificates: certificates.into_iter().collect(),
            notice: Some(notice.clone()),
        }
    }

    /// What `certdesk notify test` and the Test button send.
    fn test(channel: &str) -> Self {
        let subject = format!("certdesk test notice ({channel})");
        Self {
            event: "test",
            text: format!(
                "{subject}\nThis channel will receive certdesk's notices: renewals, failures, \
                 expiry warnings and what checks of watched endpoints find.\n"
            ),
            subject,
            certificates: Vec::new(),
            notice: None,
        }
    }

    /// A failure or a certificate about to expire wants attention; a renewal is news.
    pub fn urgent(&self) -> bool {
        matches!(self.event, "failed" | "expiring_soon" | "endpoint_findings")
    }
}

/// A channel's configuration opened for use: its plain fields and unsealed secrets.
pub struct Opened {
    /// How messages name the channel's kind, e.g. "Slack".
    pub label: &'static str,
    values: BTreeMap<String, Zeroizing<String>>,
}

impl Opened {
    /// The value of `name`, none when it is empty or unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|v| v.as_str().trim())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str> {
        self.get(name)
            .ok_or_else(|| Error::input(format!("{} needs {name}", self.label)))
    }

    /// The field `name` as an `https://` URL with a host. The URL is not quoted: for Slack and
    /// Teams it is the credential.
    pub fn https_url(&self, name: &str) -> Result<Url> {
        let url = Url::parse(self.required(name)?)
            .map_err(|e| Error::input(format!("{}: {name} is not a URL ({e})", self.label)))?;
        if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
            return Err(Error::input(format!(
                "{}: {name} must be an https:// URL with a host (certdesk sends notices over \
                 HTTPS only)",
                self.label
            )));
        }
        Ok(url)
    }
}

/// What the faces show of a notice channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChannelInfo {
    pub name: String,
    /// `webhook`, `slack`, `teams` or `ntfy`.
    pub kind: String,
    #[serde(flatten)]
    pub config: Configured,
}

impl Deref for ChannelInfo {
    type Target = Configured;
    fn deref(&self) -> &Configured {
        &self.config
    }
}

impl DerefMut for ChannelInfo {
    fn deref_mut(&mut self) -> &mut Configured {
        &mut self.config
    }
}

impl Credentialed for ChannelInfo {
    const TABLE: Table = Table::NoticeChannels;
    const WHAT: &'static str = "notice channel";
    const LISTING: Listing = Listing::NoticeChannels;
    const ACTIONS: Actions = Actions {
        add: Action::AddNoticeChannel,
        edit: Action::EditNoticeChannel,
        delete: Action::DeleteNoticeChannel,
        enable: Action::EnableNoticeChannel,
        disable: Action::DisableNoticeChannel,
        test: Action::TestNoticeChannel,
    };

    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        &self.kind
    }

    fn kind_of(kind: &str) -> Result<Kind> {
        let spec = channel_spec(kind)?;
        Ok(Kind {
            id: spec.kind,
            owner: format!("a {} channel", spec.label),
            fields: spec.fields().collect(),
        })
    }

    fn validate_name(name: &str) -> Result<()> {
        crate::labels::validate_name("notice channel", name)
    }

    fn made(name: String, kind: &'static str, config: Configured, _: Option<&Self>) -> Self {
        Self {
            name,
            kind: kind.to_owned(),
            config,
        }
    }

    fn missing(kind: &Kind, field: &FieldSpec) -> Error {
        Error::input(format!(
            "{} needs {} ({}): {}",
            kind.owner, field.label, field.name, field.help
        ))
    }

    fn disabled(name: &str) -> Error {
        Error::input(format!(
            "notice channel {name:?} is disabled: enable it to send through it"
        ))
    }
}

/// The stored record of a notice channel.
pub(crate) type StoredChannel = Stored<ChannelInfo>;

/// A configured channel ready to send: its kind's channel and the client that reaches it.
struct Ready {
    label: &'static str,
    channel: Box<dyn NoticeChannel>,
    client: reqwest::Client,
}

impl Ready {
    /// Sends `message`; the answer's status in words, or what went wrong.
    async fn send(&self, message: &Message) -> Result<String> {
        let delivery = self.channel.delivery(message)?;
        // Only the host is ever quoted: a Slack or Teams URL is the credential.
        let host = delivery.url.host_str().unwrap_or_default().to_owned();
        let mut request = self
            .client
            .post(delivery.url)
            .header(reqwest::header::CONTENT_TYPE, delivery.content_type)
            .body(delivery.body);
        for (name, value) in delivery.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| {
            let e = e.without_url();
            let cause = std::error::Error::source(&e)
                .map(|s| format!("{e}: {s}"))
                .unwrap_or_else(|| e.to_string());
            Error::Network(format!("{}: cannot reach {host} ({cause})", self.label))
        })?;
        let status = response.status();
        let answer = match read_limited(response, MAX_ANSWER).await {
            Ok(body) => String::from_utf8_lossy(&body).into_owned(),
            Err(BodyError::TooLarge) => {
                format!("(an answer over {} KiB, unread)", MAX_ANSWER >> 10)
            }
            Err(BodyError::Broken(e)) => format!("(the answer broke off: {})", e.without_url()),
        };
        let quoted: String = answer.trim().chars().take(QUOTED).collect();
        if status.is_success() {
            return Ok(format!(
                "{} at {host} accepted it (HTTP {status})",
                self.label
            ));
        }
        let redirect = match status.is_redirection() {
            true => " (a redirect, which certdesk does not follow: give the URL it moved to)",
            false => "",
        };
        Err(Error::Network(format!(
            "{}: {host} answered HTTP {status}{redirect}: {quoted}",
            self.label
        )))
    }
}

impl Engine {
    pub fn notice_channels(&self) -> Result<Vec<ChannelInfo>> {
        self.configurations.all()
    }

    pub fn notice_channel(&self, name: &str) -> Result<ChannelInfo> {
        self.configurations
            .stored(name)
            .map(|c: StoredChannel| c.info)
    }

    /// The kinds of channel, with their fields, for a face's form.
    pub fn notice_channel_kinds(&self) -> Vec<ChannelKind> {
        CHANNELS
            .iter()
            .map(|s| ChannelKind {
                kind: s.kind.to_owned(),
                label: s.label.to_owned(),
                fields: s.fields().copied().collect(),
            })
            .collect()
    }

    /// Adds or edits a channel: its fields are checked against its kind's declaration, its
    /// secrets sealed, and it must make a channel (an https URL, a signing secret, …), checked
    /// without the network.
    pub async fn save_notice_channel(&self, form: ConfigForm) -> Result<ChannelInfo> {
        let action = ChannelInfo::ACTIONS.saving(&form);
        let name = form.name.clone();
        let saving = self
            .configurations
            .saving::<ChannelInfo>(form)
            .and_then(|saving| {
                self.ready(&saving.stored)?;
                Ok(saving)
            });
        self.save_configuration(action, &name, saving).await
    }

    pub async fn delete_notice_channel(&self, name: &str) -> Result<ChannelInfo> {
        self.delete_configuration::<ChannelInfo>(None, name).await
    }

    /// A disabled channel keeps its configuration but gets no notices.
    pub async fn set_notice_channel_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<ChannelInfo> {
        self.enable_configuration(name, enabled).await
    }

    /// Sends a test notice through the channel (enabled or not: testing comes before enabling)
    /// and remembers the outcome as its last test.
    pub async fn test_notice_channel(&self, name: &str) -> Result<String> {
        let outcome = match self
            .configurations
            .stored::<ChannelInfo>(name)
            .and_then(|stored| self.ready(&stored))
        {
            Ok(ready) => ready.send(&Message::test(name)).await,
            Err(e) => Err(e),
        };
        self.record_test::<ChannelInfo, _>(name, outcome, String::as_str)
            .await
    }

    /// Sends `notice` through every enabled channel at once. A channel that fails does not stop
    /// the others: the failures come back in words, one per channel, for the caller to report.
    pub async fn notify_channels(&self, notice: &Notice) -> Vec<String> {
        let channels = match self.notice_channels() {
            Ok(channels) => channels,
            Err(e) => return vec![format!("the notice channels could not be read: {e}")],
        };
        let message = Message::of(notice);
        let sends = channels.into_iter().filter(|c| c.enabled).map(|c| {
            let message = &message;
            async move {
                let outcome = match self.configurations.usable::<ChannelInfo>(&c.name) {
                    Ok(stored) => match self.ready(&stored) {
                        Ok(ready) => ready.send(message).await,
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                outcome
                    .err()
                    .map(|e| format!("notice channel {:?} ({}) failed: {e}", c.name, c.kind))
            }
        });
        futures::future::join_all(sends)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// The channel of a stored configuration with its HTTPS client.
    fn ready(&self, stored: &StoredChannel) -> Result<Ready> {
        let spec = channel_spec(&stored.info.kind)?;
        let opened = Opened {
            label: spec.label,
            values: self.configurations.opened(stored)?,
        };
        Ok(Ready {
            label: spec.label,
            channel: (spec.build)(&opened)?,
            client: client(&opened)?,
        })
    }
}

/// An HTTPS-only client that follows no redirect, bounded by [`TIMEOUT`], trusting the
/// channel's extra CA when it names one.
fn client(opened: &Opened) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT / 2)
        .user_agent(concat!("certdesk/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = opened.get(CA_CERTIFICATE.name) {
        let pem = std::fs::read(path).map_err(|e| Error::file(std::path::Path::new(path), e))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::input(format!("{path} holds no PEM certificate")))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::System(format!("cannot set up the HTTPS client: {e}")))
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    pub(super) fn opened(label: &'static str, values: &[(&str, &str)]) -> Opened {
        Opened {
            label,
            values: values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Zeroizing::new((*v).to_owned())))
                .collect(),
        }
    }

    pub(super) fn failed() -> Message {
        Message::of(&Notice::Failed {
            id: "c1".into(),
            names: vec!["www.example.com".into()],
            reason: "the CA refused".into(),
            next_attempt: Some(OffsetDateTime::UNIX_EPOCH),
        })
    }

    #[test]
    fn a_failure_is_urgent_and_names_its_certificate() {
        let message = failed();
        assert!(message.urgent());
        assert_eq!(message.event, "failed");
        assert_eq!(message.certificates[0].names, ["www.example.com"]);
        assert!(message.text.contains("the CA refused"), "{}", message.text);
        let json = serde_json::to_value(&message).expect("serialises");
        assert_eq!(json["notice"]["next_attempt"], "1970-01-01T00:00:00Z");
        assert!(!Message::test("ops").urgent());
    }

    #[test]
    fn only_https_urls_with_a_host_are_taken() {
        for bad in [
            "http://example.com/hook",
            "ftp://example.com",
            "not a url",
            "https://",
        ] {
            let e = opened("Slack", &[("url", bad)])
                .https_url("url")
                .unwrap_err();
            assert!(
                !e.to_string().contains("example.com"),
                "the URL is not quoted: {e}"
            );
        }
        assert!(opened("Slack", &[("url", "https://hooks.example/x")])
            .https_url("url")
            .is_ok());
    }

    fn form(kind: &str, name: &str, config: serde_json::Value) -> ConfigForm {
        let serde_json::Value::Object(config) = config else {
            panic!("an object")
        };
        ConfigForm::from_config::<ChannelInfo>(kind, name, &config, None).expect("a form")
    }

    #[tokio::test]
    async fn a_saved_channel_keeps_its_credential_sealed_and_an_http_url_is_refused() {
        let engine = Engine::in_memory().await;
        let url = "https://hooks.example/services/T0/B0/s3cret";
        let saved = engine
            .save_notice_channel(form("slack", "ops", serde_json::json!({ "url": url })))
            .await
            .expect("saved");
        assert_eq!(saved.secrets_set, ["url"]);
        assert!(saved.fields.is_empty(), "{:?}", saved.fields);
        let stored = engine.configurations.stored::<ChannelInfo>("ops").unwrap();
        let record = serde_json::to_string(&stored).unwrap();
        assert!(!record.contains("s3cret"), "{record}");
        assert_eq!(
            engine.configurations.opened(&stored).unwrap()["url"].as_str(),
            url
        );

        let plain = form(
            "webhook",
            "hook",
            serde_json::json!({"url": "http://a.example/", "secret": "x"}),
        );
        let e = engine.save_notice_channel(plain).await.unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
        let e = engine
            .save_notice_channel(form(
                "webhook",
                "hook",
                serde_json::json!({"url": "https://a.example/"}),
            ))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("Signing secret"), "{e}");
    }

    #[test]
    fn every_kind_has_the_ca_certificate_field_once() {
        for spec in CHANNELS {
            let names: Vec<&str> = spec.fields().map(|f| f.name).collect();
            assert_eq!(names.iter().filter(|n| **n == "ca_certificate").count(), 1);
            assert!(channel_spec(spec.kind).is_ok());
        }
        assert!(channel_spec("pager").is_err());
    }
}
