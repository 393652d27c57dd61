//! E-mail through the administrator's SMTP server (the settings' host, port, security, user,
//! sealed password, sender and recipient): a test mail, renewal notices and their daily digest,
//! and certificates sent as attachments.

mod bounded;
mod certificate;
pub(crate) mod notice;
mod smtp;

use serde::Serialize;

pub use certificate::{CertMail, MailFormat};
pub use notice::Notice;
pub use smtp::{SmtpSecurity, SmtpView};

use crate::error::{Error, Result};
use crate::next_step::{NextStep, SmtpPart};
use crate::Engine;

/// A mail the SMTP server accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MailSent {
    /// `host:port` of the server that took it.
    pub server: String,
    pub from: String,
    pub to: String,
    pub subject: String,
}

impl Engine {
    /// Sends `subject` and `body` to `to`, or to the settings' recipient.
    async fn send_mail(
        &self,
        to: Option<&str>,
        subject: &str,
        body: smtp::Body,
    ) -> Result<MailSent> {
        let settings = self.settings()?.smtp;
        if settings.host.is_empty() {
            return Err(Error::blocked(
                "no SMTP server is set",
                NextStep::ConfigureSmtp {
                    part: SmtpPart::Server,
                },
            ));
        }
        let to = to.unwrap_or(&settings.to);
        let password = self.smtp_password()?;
        smtp::send(
            &settings,
            password.as_deref().map(|p| p.as_str()),
            to,
            subject,
            body,
        )
        .await
    }

    /// Sends a short mail to the settings' recipient, so the administrator sees that the SMTP
    /// settings work before a renewal depends on them.
    pub async fn send_test_mail(&self) -> Result<MailSent> {
        let sent = self.test_mail().await;
        self.noted(crate::activity::Action::TestMail, Default::default(), sent)
            .await
    }

    async fn test_mail(&self) -> Result<MailSent> {
        let settings = self.settings()?.smtp;
        let text = format!(
            "This is a test mail from certdesk ({}).\n\nRenewal notices and certificates will \
             reach {} through {}:{} ({}).\n",
            self.data_dir().display(),
            settings.to,
            settings.host,
            settings.port,
            settings.security.label()
        );
        self.send_mail(None, "certdesk test mail", smtp::Body::Text(text))
            .await
    }
}
