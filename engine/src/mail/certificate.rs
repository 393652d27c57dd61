//! E-mailing a certificate of the repository. Mail is neither private nor deleted, so a private
//! key travels only inside a password-protected keystore (PKCS#12 or JKS) whose password is not
//! in the mail; the PEM choice carries the certificate and its chain and never the key.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{smtp, MailSent};
use crate::error::{Error, Result};
use crate::keystore::ExportFormat;
use crate::Engine;

/// The forms a certificate can be mailed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(ts_rs::TS)]
pub enum MailFormat {
    /// Certificate, chain and private key in a password-protected PKCS#12 keystore.
    Pkcs12,
    /// Certificate, chain and private key in a password-protected Java KeyStore.
    Jks,
    /// The certificate and its chain as PEM, without the private key.
    Pem,
}

impl MailFormat {
    /// The keystore export that carries the key, for the formats that have one.
    fn keystore(self) -> Option<ExportFormat> {
        match self {
            Self::Pkcs12 => Some(ExportFormat::Pkcs12),
            Self::Jks => Some(ExportFormat::Jks),
            Self::Pem => None,
        }
    }

    fn file_suffix(self) -> &'static str {
        match self {
            Self::Pkcs12 => ".p12",
            Self::Jks => ".jks",
            Self::Pem => "-chain.pem",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Pkcs12 => "application/x-pkcs12",
            Self::Jks => "application/x-java-keystore",
            Self::Pem => "application/x-pem-file",
        }
    }

    /// What the attachment holds, in the mail's words.
    fn description(self) -> &'static str {
        match self {
            Self::Pkcs12 => {
                "a PKCS#12 keystore with the certificate, its chain and the private key. Its \
                 password is not in this mail: ask the sender for it"
            }
            Self::Jks => {
                "a Java KeyStore with the certificate, its chain and the private key. Its \
                 password is not in this mail: ask the sender for it"
            }
            Self::Pem => {
                "the certificate and its chain as PEM. It holds no private key: the server's \
                 key stays where it is"
            }
        }
    }
}

impl fmt::Display for MailFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pkcs12 => "pkcs12",
            Self::Jks => "jks",
            Self::Pem => "pem",
        })
    }
}

impl FromStr for MailFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pkcs12" | "p12" | "pfx" => Ok(Self::Pkcs12),
            "jks" => Ok(Self::Jks),
            "pem" => Ok(Self::Pem),
            _ => Err(Error::input(format!(
                "{s:?} cannot be mailed: choose pkcs12 or jks (with the private key, password \
                 protected) or pem (certificate and chain, no key)"
            ))),
        }
    }
}

/// A certificate mail as the administrator asked for it.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct CertMail {
    pub to: String,
    pub format: MailFormat,
    /// The keystore's password; none uses the request's keystore password.
    #[serde(default)]
    pub password: Option<String>,
    /// The administrator's words above the description of the attachment.
    #[serde(default)]
    pub message: Option<String>,
}

/// A file name from the certificate's first name: `*.example.com` becomes
/// `wildcard.example.com`, and nothing a mail client would trip over survives.
fn file_stem(name: &str) -> String {
    name.replace('*', "wildcard")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Engine {
    /// Mails the current version of certificate `id` to `mail.to` as `mail.format`.
    pub async fn mail_cert(&self, id: &str, mail: &CertMail) -> Result<MailSent> {
        let subject = crate::activity::Subject::request(id).target(&mail.to);
        let result: Result<MailSent> = async {
            let to = crate::labels::validate_email(&mail.to)?;
            if mail.password.as_deref() == Some("") {
                return Err(Error::input(
                    "the keystore password is empty: a private key is mailed only inside a \
                 password-protected keystore",
                ));
            }
            let current = self.current_version(id)?;
            let data = match mail.format.keystore() {
                Some(format) => self
                    .certificate_in(id, format, mail.password.as_deref())?
                    .to_vec(),
                None => format!("{}{}", current.certificate_pem, current.chain_pem).into_bytes(),
            };
            let first = current.info.names.first().map_or(id, String::as_str);
            let filename = format!("{}{}", file_stem(first), mail.format.file_suffix());
            let mut text = String::new();
            if let Some(message) = mail.message.as_deref().map(str::trim) {
                if !message.is_empty() {
                    text.push_str(message);
                    text.push_str("\n\n");
                }
            }
            text.push_str(&format!(
            "Attached: {filename}, {}.\n\nNames: {}\nValid from {} until {}\nSerial number: {}\n",
            mail.format.description(),
            current.info.names.join(", "),
            current.info.not_before.date(),
            current.info.not_after.date(),
            current.info.serial,
        ));
            let subject = format!(
                "Certificate for {first} (valid until {})",
                current.info.not_after.date()
            );
            self.send_mail(
                Some(&to),
                &subject,
                smtp::Body::WithFile {
                    text,
                    filename,
                    content_type: mail.format.content_type(),
                    data,
                },
            )
            .await
        }
        .await;
        self.noted(crate::activity::Action::MailCertificate, subject, result)
            .await
    }
}
