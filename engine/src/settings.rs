//! The administrator's settings of one data folder: when to renew, which desktop notifications to
//! show, the address of the built-in http-01 responder, and the SMTP server that later mail
//! reports use.
//!
//! Settings live in the store's settings tree as one record, so a change is one transaction. The
//! SMTP password is sealed like every other secret and never leaves the engine again: the faces
//! get [`SettingsView`], which only says whether a password is set.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::activity::{About, Action, Retention, Subject};
use crate::error::{Error, Result};
use crate::form::SecretChange;
use crate::mail::{SmtpSecurity, SmtpView};
use crate::store::{Change, Record, Store, Table};
use crate::vault::{Place, Sealed, Vault};
use crate::Engine;

/// The key of the settings record in the settings tree.
const KEY: &str = "settings";

/// By default no fixed number of days: the CA's renewal information (ARI) decides, or else a
/// third of the lifetime left (30 days of a 90-day certificate, 15 of a 45-day one), or half the
/// lifetime of a certificate valid under 10 days (3 days of a 6-day one).
pub const DEFAULT_RENEW_DAYS: u32 = 0;

/// The longest renewal window that makes sense: certificates of public CAs last at most 398 days.
pub const MAX_RENEW_DAYS: u32 = 397;

/// The settings as the faces see them (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct SettingsView {
    /// Renew a certificate once it has this many days left or fewer; 0: when the CA's renewal
    /// information (ARI) suggests, or with a third of its lifetime left (half, under 10 days).
    pub renew_days_before: u32,
    pub notify_issued: bool,
    pub notify_failed: bool,
    pub notify_renewed: bool,
    /// Where the built-in http-01 responder listens during verification (`IP:PORT`); none means
    /// the administrator publishes the tokens.
    pub http_listen: Option<String>,
    /// Where the built-in tls-alpn-01 responder listens during verification (`IP:PORT`, port
    /// 443 of the names); none means the administrator serves the validation certificates.
    #[serde(default)]
    pub tls_alpn_listen: Option<String>,
    pub smtp: SmtpView,
    /// How long the activity log keeps its entries.
    #[serde(default)]
    pub activity: Retention,
}

impl About for SettingsView {}

/// A settings form as submitted: the view's fields plus what to do with the SMTP password.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct SettingsUpdate {
    pub renew_days_before: u32,
    pub notify_issued: bool,
    pub notify_failed: bool,
    pub notify_renewed: bool,
    pub http_listen: Option<String>,
    #[serde(default)]
    pub tls_alpn_listen: Option<String>,
    pub smtp: SmtpUpdate,
    /// The activity log's retention; none keeps it as it is (a form that does not show it).
    #[serde(default)]
    pub activity: Option<Retention>,
}

#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct SmtpUpdate {
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
    #[serde(default)]
    pub digest: bool,
    #[serde(default)]
    pub password: SecretChange,
}

impl From<SettingsView> for SettingsUpdate {
    /// The form that saves the settings as they are (the password kept), for changing a field.
    fn from(view: SettingsView) -> Self {
        Self {
            renew_days_before: view.renew_days_before,
            notify_issued: view.notify_issued,
            notify_failed: view.notify_failed,
            notify_renewed: view.notify_renewed,
            http_listen: view.http_listen,
            tls_alpn_listen: view.tls_alpn_listen,
            smtp: SmtpUpdate {
                host: view.smtp.host,
                port: view.smtp.port,
                username: view.smtp.username,
                from: view.smtp.from,
                to: view.smtp.to,
                security: view.smtp.security,
                digest: view.smtp.digest,
                password: SecretChange::Keep,
            },
            activity: Some(view.activity),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct SettingsRecord {
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

const SMTP_PASSWORD: &str = "smtp_password";

impl crate::sealed::Sealing for SettingsRecord {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        self.smtp_password
            .iter_mut()
            .map(|sealed| (SMTP_PASSWORD.to_owned(), sealed))
            .collect()
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
            tls_alpn_listen: None,
            smtp: SmtpView {
                port: 587,
                ..SmtpView::default()
            },
            activity: Retention::default(),
        }
    }
}

/// A responder's listening address as given, trimmed; an empty one is none.
fn listen_address(addr: Option<String>, port: u16) -> Result<Option<String>> {
    let addr = addr.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
    if let Some(addr) = &addr {
        addr.parse::<std::net::SocketAddr>().map_err(|_| {
            Error::input(format!(
                "{addr:?} is not an address to listen on: write it as IP:PORT, e.g. \
                 0.0.0.0:{port}"
            ))
        })?;
    }
    Ok(addr)
}

impl SettingsUpdate {
    /// Checks the fields and returns them normalised (blanks trimmed, empty address = none).
    fn validate(mut self) -> Result<Self> {
        if self.renew_days_before > MAX_RENEW_DAYS {
            return Err(Error::input(format!(
                "renew between 1 and {MAX_RENEW_DAYS} days before expiry (certificates of public \
                 CAs last at most 398 days), or 0 to follow the CA's renewal information and \
                 else renew with a third of the lifetime left (half of a lifetime under 10 days)"
            )));
        }
        self.http_listen = listen_address(self.http_listen, 80)?;
        self.tls_alpn_listen = listen_address(self.tls_alpn_listen, 443)?;
        self.activity = self.activity.map(Retention::validate).transpose()?;
        let smtp = &mut self.smtp;
        for field in [
            &mut smtp.host,
            &mut smtp.username,
            &mut smtp.from,
            &mut smtp.to,
        ] {
            *field = field.trim().to_owned();
        }
        smtp.security.check_login(&smtp.username)?;
        if !smtp.host.is_empty() {
            if smtp.port == 0 {
                return Err(Error::input(
                    "the SMTP port is 0: use 587 (STARTTLS), 465 or 25",
                ));
            }
            for (label, value) in [("sender", &smtp.from), ("recipient", &smtp.to)] {
                crate::labels::validate_email(value).map_err(|_| {
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

/// The owner of the settings record (the Settings table's, beside the digest queue's).
pub(crate) struct Settings {
    store: Arc<Store>,
    vault: Arc<Vault>,
}

impl Settings {
    pub fn new(store: &Arc<Store>, vault: &Arc<Vault>) -> Self {
        Self {
            store: Arc::clone(store),
            vault: Arc::clone(vault),
        }
    }

    /// The stored settings, or the defaults when none were saved.
    fn record(&self) -> Result<SettingsRecord> {
        Ok(self
            .store
            .get::<SettingsRecord>(KEY)?
            .unwrap_or_else(|| SettingsRecord {
                view: SettingsView::default(),
                smtp_password: None,
            }))
    }

    /// The SMTP password in clear.
    fn smtp_password(&self) -> Result<Option<Zeroizing<String>>> {
        self.record()?
            .smtp_password
            .map(|sealed| self.vault.open_string(&smtp_password_place(), &sealed))
            .transpose()
    }

    /// The SMTP password `password` sealed for its place.
    fn seal_smtp_password(&self, password: &str) -> Sealed {
        self.vault.seal_str(&smtp_password_place(), password)
    }

    /// Writes `record`, in one flushed commit.
    async fn save(&self, record: &SettingsRecord) -> Result<()> {
        self.store.commit(Change::new().put(record)).await
    }
}

fn smtp_password_place() -> Place<'static> {
    Place::of::<SettingsRecord>(KEY, SMTP_PASSWORD)
}

impl Engine {
    /// The settings, or the defaults when none were saved.
    pub fn settings(&self) -> Result<SettingsView> {
        Ok(self.settings.record()?.view)
    }

    /// The SMTP password in clear, for the mail module's login only.
    pub(crate) fn smtp_password(&self) -> Result<Option<Zeroizing<String>>> {
        self.settings.smtp_password()
    }

    /// Validates and stores the settings; the SMTP password is sealed, kept or cleared as asked.
    pub async fn update_settings(&self, update: SettingsUpdate) -> Result<SettingsView> {
        let result = self.save_settings(update).await;
        self.noted(Action::UpdateSettings, Subject::default(), result)
            .await
    }

    async fn save_settings(&self, update: SettingsUpdate) -> Result<SettingsView> {
        let update = update.validate()?;
        let mut record = self.settings.record()?;
        match update.smtp.password {
            SecretChange::Keep => {}
            SecretChange::Clear => record.smtp_password = None,
            SecretChange::Set(p) if p.is_empty() => {
                return Err(Error::input(
                    "the SMTP password is empty: clear it instead, or type the password",
                ))
            }
            SecretChange::Set(p) => {
                record.smtp_password = Some(self.settings.seal_smtp_password(&p))
            }
        }
        record.view = SettingsView {
            renew_days_before: update.renew_days_before,
            notify_issued: update.notify_issued,
            notify_failed: update.notify_failed,
            notify_renewed: update.notify_renewed,
            http_listen: update.http_listen,
            tls_alpn_listen: update.tls_alpn_listen,
            smtp: SmtpView {
                host: update.smtp.host,
                port: update.smtp.port,
                username: update.smtp.username,
                from: update.smtp.from,
                to: update.smtp.to,
                security: update.smtp.security,
                digest: update.smtp.digest,
                password_set: record.smtp_password.is_some(),
            },
            activity: update.activity.unwrap_or(record.view.activity),
        };
        self.settings.save(&record).await?;
        Ok(record.view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(security: &str) -> SmtpView {
        let json = format!(
            r#"{{"host":"relay.example.com","port":25,"username":"","from":"","to":"",{security}"password_set":false}}"#
        );
        serde_json::from_str(&json).expect("reads")
    }

    #[test]
    fn smtp_settings_saved_with_the_starttls_flag_read_as_a_security_choice() {
        assert_eq!(smtp(r#""starttls":true,"#).security, SmtpSecurity::Starttls);
        assert_eq!(smtp(r#""starttls":false,"#).security, SmtpSecurity::Plain);
        assert_eq!(smtp(r#""security":"tls","#).security, SmtpSecurity::Tls);
        assert_eq!(smtp("").security, SmtpSecurity::Starttls);
        assert!(!smtp("").digest);
        let written = serde_json::to_string(&smtp(r#""starttls":false,"#)).expect("writes");
        assert!(written.contains(r#""security":"none""#), "{written}");
        assert!(!written.contains("starttls"), "{written}");
    }
}
