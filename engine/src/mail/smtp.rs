//! Handing a message to the administrator's SMTP server with the settings' security, credentials
//! and addresses. Server certificates are checked against the system's roots (and
//! `SSL_CERT_FILE`), since a company relay's certificate is often from an in-house CA.

use std::net::SocketAddr;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{bounded, MailSent};
use crate::error::{Error, Result};
use crate::next_step::{NextStep, SmtpPart};

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// How long one read or write to the server may wait: a server that accepts the connection but
/// never answers must not hang a renewal run.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long handing over one mail may take, from connecting to the server's last answer: a
/// server that answers each line just in time, or drips one byte at a time, cannot stretch it
/// further. (What the server may send in that time is bounded by [`bounded::Relay`].)
const DEADLINE: Duration = Duration::from_secs(60);

/// The SMTP server as the settings hold it and the faces see it (the password sealed apart).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub from: String,
    pub to: String,
    #[serde(
        default,
        alias = "starttls",
        deserialize_with = "SmtpSecurity::or_starttls_flag"
    )]
    pub security: SmtpSecurity,
    /// Collect renewal notices into one mail a day instead of one mail each.
    #[serde(default)]
    pub digest: bool,
    /// A password is stored (it is never shown again).
    pub password_set: bool,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(ts_rs::TS)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption: only for a relay on this machine or a trusted network (port 25).
    #[serde(rename = "none")]
    Plain,
}

impl SmtpSecurity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Starttls => "STARTTLS",
            Self::Tls => "TLS",
            Self::Plain => "no encryption",
        }
    }
}

impl SmtpSecurity {
    /// A login (`username`) is refused without encryption: the password would cross the network
    /// in clear. Checked when the settings are saved and again before a mail is sent.
    pub(crate) fn check_login(self, username: &str) -> Result<()> {
        if self == Self::Plain && !username.is_empty() {
            return Err(Error::input(format!(
                "smtp.security is none while smtp.username is {username:?}: the password would \
                 cross the network unencrypted, which certdesk never does. Set smtp.security to \
                 starttls (port 587) or tls (port 465), or clear smtp.username for a relay that \
                 takes mail without a login"
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for SmtpSecurity {
    /// The id settings and the command line use.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Starttls => "starttls",
            Self::Tls => "tls",
            Self::Plain => "none",
        })
    }
}

impl std::str::FromStr for SmtpSecurity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(Self::Starttls),
            "tls" | "smtps" | "ssl" => Ok(Self::Tls),
            "none" | "plain" => Ok(Self::Plain),
            _ => Err(Error::input(format!(
                "SMTP security {s:?} is not one of: starttls (port 587), tls (port 465), none \
                 (port 25, unencrypted)"
            ))),
        }
    }
}

impl SmtpSecurity {
    /// Settings saved before TLS was a choice held `starttls: true|false`; they read as STARTTLS
    /// or no encryption, and forms of the older window that still send the flag keep working.
    pub(crate) fn or_starttls_flag<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Flag(bool),
            Security(SmtpSecurity),
        }
        Ok(match Either::deserialize(d)? {
            Either::Flag(true) => Self::Starttls,
            Either::Flag(false) => Self::Plain,
            Either::Security(s) => s,
        })
    }
}

/// What a mail carries.
pub(crate) enum Body {
    Text(String),
    /// Text and one attached file.
    WithFile {
        text: String,
        filename: String,
        content_type: &'static str,
        data: Vec<u8>,
    },
}

fn address(value: &str, what: &str) -> Result<Address> {
    value.parse().map_err(|_| {
        Error::input(format!(
            "the {what} {value:?} is not an e-mail address such as admin@example.com"
        ))
    })
}

fn message(smtp: &SmtpView, to: &str, subject: &str, body: Body) -> Result<Message> {
    let from = Mailbox::new(
        Some("certdesk".into()),
        address(&smtp.from, "sender (smtp.from)")?,
    );
    // A Message-ID (relays would add one, but spam filters score mail that arrives without).
    let builder = Message::builder()
        .message_id(None)
        .user_agent(format!("certdesk {}", env!("CARGO_PKG_VERSION")))
        .from(from)
        .to(Mailbox::new(None, address(to, "recipient")?))
        .subject(subject);
    let built = match body {
        Body::Text(text) => builder.singlepart(SinglePart::plain(text)),
        Body::WithFile {
            text,
            filename,
            content_type,
            data,
        } => {
            let content_type = ContentType::parse(content_type)
                .map_err(|e| Error::System(format!("bad attachment type {content_type}: {e}")))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(text))
                    .singlepart(Attachment::new(filename).body(data, content_type)),
            )
        }
    };
    built.map_err(|e| Error::input(format!("the mail could not be composed: {e}")))
}

/// lettre's transport for `smtp`, connecting to `relay` ([`bounded::Relay`]): TLS is checked
/// against the server's own name, end to end through the relay.
fn transport(smtp: &SmtpView, password: Option<&str>, relay: SocketAddr) -> Result<Transport> {
    let tls = || {
        TlsParameters::new(smtp.host.clone()).map_err(|e| {
            Error::input(format!(
                "TLS cannot be set up for the SMTP server {:?}: {e}",
                smtp.host
            ))
        })
    };
    let builder = Transport::builder_dangerous(relay.ip().to_string())
        .port(relay.port())
        .timeout(Some(TIMEOUT));
    let builder = match smtp.security {
        SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
        SmtpSecurity::Plain => builder,
    };
    let builder = match (smtp.username.is_empty(), password) {
        (true, _) => builder,
        (false, Some(password)) => {
            builder.credentials(Credentials::new(smtp.username.clone(), password.to_owned()))
        }
        (false, None) => {
            return Err(Error::blocked(
                format!(
                    "the SMTP user {:?} has no password: set one or clear the user",
                    smtp.username
                ),
                NextStep::ConfigureSmtp {
                    part: SmtpPart::Password,
                },
            ))
        }
    };
    Ok(builder.build())
}

/// The TLS handshake failed: lettre reports that as a connection error, with rustls' error
/// somewhere down the chain of sources (inside an I/O error).
fn tls_failed(e: &lettre::transport::smtp::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(source) = next {
        let inner = source
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if source.is::<rustls::Error>() || inner.is_some_and(|i| i.is::<rustls::Error>()) {
            return true;
        }
        next = inner.or_else(|| source.source());
    }
    e.is_tls()
}

/// What to check when the server could not be reached or refused.
fn hint(e: &lettre::transport::smtp::Error) -> &'static str {
    if tls_failed(e) {
        "check the security setting (STARTTLS on 587, TLS on 465) and that the server's \
         certificate is trusted by this system"
    } else if e.is_timeout() {
        "the server did not answer in time: check the host, the port and any firewall"
    } else if e.is_permanent() {
        "the server refused: check the user, the password and that it lets this sender relay"
    } else if e.is_client() {
        "the server does not offer what the security setting asks for (STARTTLS, or a login): \
         check smtp.security"
    } else if e.is_transient() {
        "the server is busy or refused for now: try again later"
    } else {
        "check the host and the port (587 for STARTTLS, 465 for TLS, 25 for none) and that the \
         server is running"
    }
}

/// Sends `subject` and `body` from the settings' sender to `to`.
pub(crate) async fn send(
    smtp: &SmtpView,
    password: Option<&str>,
    to: &str,
    subject: &str,
    body: Body,
) -> Result<MailSent> {
    let message = message(smtp, to, subject, body)?;
    let server = format!("{}:{}", smtp.host, smtp.port);
    // Settings saved before the rule (or written by hand) are refused here too, before connecting.
    smtp.security.check_login(&smtp.username)?;
    let timed_out = || {
        Error::Network(format!(
            "timed out: the SMTP server {server} did not take the mail within {} seconds; \
             check that it is an SMTP server and not overloaded",
            DEADLINE.as_secs()
        ))
    };
    tokio::time::timeout(DEADLINE, hand_over(smtp, password, &server, message))
        .await
        .map_err(|_| timed_out())??;
    Ok(MailSent {
        server,
        from: smtp.from.clone(),
        to: to.to_owned(),
        subject: subject.to_owned(),
    })
}

/// One SMTP session through a [`bounded::Relay`].
async fn hand_over(
    smtp: &SmtpView,
    password: Option<&str>,
    server: &str,
    message: Message,
) -> Result<()> {
    let relay = bounded::Relay::open(&smtp.host, smtp.port, TIMEOUT)
        .await
        .map_err(|e| {
            Error::Network(format!(
                "the SMTP server {server} did not take the mail: it cannot be reached ({e}); \
                 check the host and the port (587 for STARTTLS, 465 for TLS, 25 for none) and \
                 that the server is running"
            ))
        })?;
    let sent = transport(smtp, password, relay.local())?
        .send(message)
        .await;
    match sent {
        Ok(_) => Ok(()),
        Err(_) if relay.overflowed() => Err(Error::Network(format!(
            "the SMTP server {server} sent more than the size limit of {} MiB without finishing \
             its answers; certdesk stopped reading it. Check that it is an SMTP server",
            bounded::MAX_FROM_SERVER >> 20
        ))),
        Err(e) => Err(Error::Network(format!(
            "the SMTP server {server} did not take the mail: {e}; {}",
            hint(&e)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_login_without_encryption_is_refused_before_connecting() {
        // Something listens, so that a connection would be seen.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let smtp = SmtpView {
            host: "127.0.0.1".into(),
            port: listener.local_addr().expect("address").port(),
            username: "certdesk".into(),
            from: "certdesk@example.com".into(),
            security: SmtpSecurity::Plain,
            ..SmtpView::default()
        };
        let body = Body::Text("hello".into());
        let e = send(&smtp, Some("secret"), "admin@example.com", "s", body)
            .await
            .expect_err("a plain login was let through");
        assert!(e.to_string().contains("unencrypted"), "{e}");
        assert!(listener.accept().is_err(), "it connected");
    }
}
