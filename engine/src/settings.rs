//! The administrator's settings of one data folder: when to renew, which desktop notifications to
//! show, the address of the built-in http-01 responder, and the SMTP server that later mail
//! reports use.
//!
//! Settings live in the store's settings tree as one record, so a change is one transaction. The
//! SMTP password is sealed like every other secret and never leaves the engine again: the faces
//! get [`SettingsView`], which only says whether a password is set.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{Change, Record, Table};
use crate::vault::Sealed;
use crate::Engine;

/// The key of the settings record in the settings tree.
const KEY: &str = "settings";

/// Renew this many days before expiry unless the administrator chose otherwise: Let's Encrypt
/// certificates last 90 days and its own clients renew with 30 days left.
pub const DEFAULT_RENEW_DAYS: u32 = 30;

/// The longest renewal window that makes sense: certificates of public CAs last at most 398 days.
pub const MAX_RENEW_DAYS: u32 = 397;

/// The settings as the faces see them (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// Renew a certificate once it has this many days left or fewer.
    pub renew_days_before: u32,
    pub notify_issued: bool,
    pub notify_failed: bool,
    pub notify_renewed: bool,
    /// Where the built-in http-01 responder listens during verification (`IP:PORT`); none means
    /// the administrator publishes the tokens.
    pub http_listen: Option<String>,
    pub smtp: SmtpView,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub from: String,
    pub to: String,
    pub starttls: bool,
    /// A password is stored (it is never shown again).
    pub password_set: bool,
}

/// What to do with a stored secret when a form is saved.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "action", content = "value", rename_all = "snake_case")]
pub enum SecretChange {
    /// Leave it as it is (the form showed "set" and the field was not touched).
    #[default]
    Keep,
    Set(String),
    Clear,
}

/// A settings form as submitted: the view's fields plus what to do with the SMTP password.
#[derive(Debug, Clone, Deserialize)]
pub struct SettingsUpdate {
    pub renew_days_before: u32,
    pub notify_issued: bool,
    pub notify_failed: bool,
    pub notify_renewed: bool,
    pub http_listen: Option<String>,
    pub smtp: SmtpUpdate,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpUpdate {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub from: String,
    pub to: String,
    pub starttls: bool,
    #[serde(default)]
    pub password: SecretChange,
}

#[derive(Serialize, Deserialize)]
struct SettingsRecord {
    #[serde(flatten)]
    view: SettingsView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    smtp_password: Option<Sealed>,
}

impl Record for SettingsRecord {
    const TABLE: Table = Table::Settings;
    fn key(&self) -> &str {
        KEY
    }
}

impl Default for SettingsView {
    fn default() -> Self {
        Self {
            renew_days_before: DEFAULT_RENEW_DAYS,
            notify_issued: true,
            notify_failed: true,
            notify_renewed: true,
            http_listen: None,
            smtp: SmtpView {
                port: 587,
                starttls: true,
                ..SmtpView::default()
            },
        }
    }
}

impl SettingsUpdate {
    /// Checks the fields and returns them normalised (blanks trimmed, empty address = none).
    fn validate(mut self) -> Result<Self> {
        if self.renew_days_before == 0 || self.renew_days_before > MAX_RENEW_DAYS {
            return Err(Error::input(format!(
                "renew between 1 and {MAX_RENEW_DAYS} days before expiry (certificates of public \
                 CAs last at most 398 days)"
            )));
        }
        self.http_listen = self
            .http_listen
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if let Some(addr) = &self.http_listen {
            addr.parse::<std::net::SocketAddr>().map_err(|_| {
                Error::input(format!(
                    "{addr:?} is not an address to listen on: write it as IP:PORT, e.g. 0.0.0.0:80"
                ))
            })?;
        }
        let smtp = &mut self.smtp;
        for field in [
            &mut smtp.host,
            &mut smtp.username,
            &mut smtp.from,
            &mut smtp.to,
        ] {
            *field = field.trim().to_owned();
        }
        if !smtp.host.is_empty() {
            if smtp.port == 0 {
                return Err(Error::input(
                    "the SMTP port is 0: use 587 (STARTTLS), 465 or 25",
                ));
            }
            for (label, value) in [("sender", &smtp.from), ("recipient", &smtp.to)] {
                crate::account::validate_email(value).map_err(|_| {
                    Error::input(format!(
                        "the SMTP {label} {value:?} is not an e-mail address such as \
                         admin@example.com"
                    ))
                })?;
            }
        }
        Ok(self)
    }
}

impl Engine {
    /// The settings, or the defaults when none were saved.
    pub fn settings(&self) -> Result<SettingsView> {
        Ok(self.settings_record()?.view)
    }

    fn settings_record(&self) -> Result<SettingsRecord> {
        Ok(self
            .store
            .get::<SettingsRecord>(KEY)?
            .unwrap_or_else(|| SettingsRecord {
                view: SettingsView::default(),
                smtp_password: None,
            }))
    }

    /// Validates and stores the settings; the SMTP password is sealed, kept or cleared as asked.
    pub async fn update_settings(&self, update: SettingsUpdate) -> Result<SettingsView> {
        let update = update.validate()?;
        let mut record = self.settings_record()?;
        match update.smtp.password {
            SecretChange::Keep => {}
            SecretChange::Clear => record.smtp_password = None,
            SecretChange::Set(p) if p.is_empty() => {
                return Err(Error::input(
                    "the SMTP password is empty: clear it instead, or type the password",
                ))
            }
            SecretChange::Set(p) => record.smtp_password = Some(self.vault.seal_str(&p)),
        }
        record.view = SettingsView {
            renew_days_before: update.renew_days_before,
            notify_issued: update.notify_issued,
            notify_failed: update.notify_failed,
            notify_renewed: update.notify_renewed,
            http_listen: update.http_listen,
            smtp: SmtpView {
                host: update.smtp.host,
                port: update.smtp.port,
                username: update.smtp.username,
                from: update.smtp.from,
                to: update.smtp.to,
                starttls: update.smtp.starttls,
                password_set: record.smtp_password.is_some(),
            },
        };
        self.store.commit(Change::new().put(&record)).await?;
        Ok(record.view)
    }
}
