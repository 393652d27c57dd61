//! ACME accounts, one per CA directory: register, import by key, update the e-mail, export the
//! key, delete locally, deactivate at the CA.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::prelude::{Engine as _, BASE64_STANDARD, BASE64_URL_SAFE_NO_PAD};
use instant_acme::{AccountCredentials, ExternalAccountKey, NewAccount};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::acme::{self, AcmeHttp, Ca, CaProfile, DirectoryMeta};
use crate::error::{Error, Result};
use crate::keys::{KeyAlgorithm, PrivateKey};
use crate::labels::{validate_account_name, validate_email};
use crate::next_step::{Listing, NextStep};
use crate::sealed::Sealing;
use crate::store::{Change, Record, Scan, Store, Table};
use crate::vault::{Place, Sealed, Vault};
use crate::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum AccountStatus {
    Active,
    /// Deactivated at the CA: final, the CA will not accept it again.
    Deactivated,
}

/// What the faces show of an account.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct AccountInfo {
    pub name: String,
    /// The contact given at the CA; empty when none was (it is optional).
    pub email: String,
    pub ca: Ca,
    pub directory_url: String,
    /// The account's URL at the CA (its id).
    pub url: String,
    pub status: AccountStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created: OffsetDateTime,
    /// An extra root trusted for this CA's TLS (a private CA, Pebble).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_root_pem: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    #[serde(flatten)]
    pub info: AccountInfo,
    /// instant-acme's credentials (account URL and PKCS#8 key), sealed.
    credentials: Sealed,
}

impl AccountRecord {
    pub(crate) fn ensure_active(&self) -> Result<()> {
        if self.info.status == AccountStatus::Deactivated {
            return Err(Error::input(format!(
                "account {:?} was deactivated at the CA and cannot be used: register a new one",
                self.info.name
            )));
        }
        Ok(())
    }
}

impl Record for AccountRecord {
    const TABLE: Table = Table::Accounts;
    fn key(&self) -> &str {
        &self.info.name
    }
}

const CREDENTIALS: &str = "credentials";

impl Sealing for AccountRecord {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        vec![(CREDENTIALS.to_owned(), &mut self.credentials)]
    }
}

/// What the CA says about an account (RFC 8555 §7.1.2), as far as certdesk keeps it.
#[derive(Deserialize)]
struct AccountObject {
    /// `valid`, `deactivated` (by its holder) or `revoked` (by the CA).
    status: String,
    #[serde(default)]
    contact: Vec<String>,
}

impl AccountObject {
    fn read(body: &[u8]) -> Result<Self> {
        serde_json::from_slice(body).map_err(|e| {
            Error::CaData(format!(
                "an account object that is not one (RFC 8555 §7.1.2): {e}"
            ))
        })
    }

    /// The first `mailto:` contact that is an e-mail address: the one `update-email` replaces.
    fn email(&self) -> Option<String> {
        self.contact
            .iter()
            .filter_map(|c| c.strip_prefix("mailto:"))
            .find_map(|address| validate_email(address).ok())
    }
}

/// External Account Binding: the key id and HMAC key a CA such as ZeroSSL or Google hands out.
pub struct Eab {
    pub kid: String,
    /// The HMAC key as the CA shows it: base64url (padded or not) or standard base64.
    pub hmac_b64: String,
}

/// A new registration.
pub struct Registration {
    pub name: String,
    /// A contact for the CA (RFC 8555 `contact`); none is fine. Let's Encrypt no longer sends
    /// expiry mail (since June 2025) nor keeps contacts: certdesk's own notices are the expiry
    /// warnings.
    pub email: Option<String>,
    pub ca: Ca,
    pub ca_root_pem: Option<String>,
    pub eab: Option<Eab>,
    /// The administrator accepted the CA's terms of service.
    pub agree_tos: bool,
}

/// What `Engine::terms` tells before registering.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct CaTerms {
    pub directory_url: String,
    pub terms_of_service: Option<String>,
    pub external_account_required: bool,
    /// The certificate profiles the CA offers, with its descriptions (none: it offers no choice).
    pub profiles: Vec<CaProfile>,
}

fn decode_eab_hmac(b64: &str) -> Result<Vec<u8>> {
    let trimmed = b64.trim().trim_end_matches('=');
    BASE64_URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| BASE64_STANDARD.decode(b64.trim()))
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            Error::input("the EAB HMAC key is not base64: copy it exactly as the CA shows it")
        })
}

/// The owner of the Accounts table. Others ask it for accounts by name (or all of them).
pub(crate) struct Accounts {
    store: Arc<Store>,
    vault: Arc<Vault>,
    /// Each account's client, by account name: built at its first use in this process.
    clients: tokio::sync::Mutex<HashMap<String, Arc<CaClient>>>,
}

/// An account's way to its CA: its instant-acme account over one HTTP client (one connection
/// kept open), and the directory read once. Every step of an order, from the CAA check to the
/// download, goes through it, so a process reads the directory once per account, not once per
/// step.
pub(crate) struct CaClient {
    pub account: instant_acme::Account,
    pub http: AcmeHttp,
    pub meta: DirectoryMeta,
    /// What it was built for: a record that says otherwise gets a new client.
    built_for: (String, String, Option<String>),
    built: Instant,
}

/// How long a long-running process (the app, the daemon) trusts a directory it read: the CA may
/// add profiles or move endpoints.
const CLIENT_MAX_AGE: Duration = Duration::from_secs(3600);

impl CaClient {
    fn serves(&self, record: &AccountRecord) -> bool {
        self.built.elapsed() < CLIENT_MAX_AGE && self.built_for == Self::key(record)
    }

    fn key(record: &AccountRecord) -> (String, String, Option<String>) {
        let info = &record.info;
        (
            info.url.clone(),
            info.directory_url.clone(),
            info.ca_root_pem.clone(),
        )
    }
}

impl Accounts {
    pub fn new(store: &Arc<Store>, vault: &Arc<Vault>) -> Self {
        Self {
            store: Arc::clone(store),
            vault: Arc::clone(vault),
            clients: tokio::sync::Mutex::default(),
        }
    }

    /// The client of `record`'s account, built on first use (its directory read, checked and
    /// handed to instant-acme, which then reads none of its own).
    pub async fn client(&self, record: &AccountRecord) -> Result<Arc<CaClient>> {
        record.ensure_active()?;
        let name = &record.info.name;
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(name).filter(|c| c.serves(record)) {
            return Ok(Arc::clone(client));
        }
        let credentials = self.credentials(record)?;
        let url = &record.info.directory_url;
        let http = AcmeHttp::new(record.info.ca_root_pem.as_deref())?;
        let directory = acme::directory::fetch(&http, url).await?;
        let account = instant_acme::Account::builder_with_http(Box::new(http.clone()))
            .from_credentials(credentials)
            .await
            .map_err(|e| acme::error(&format!("contacting {url}"), e))?;
        let client = Arc::new(CaClient {
            account,
            http,
            meta: directory.meta,
            built_for: CaClient::key(record),
            built: Instant::now(),
        });
        clients.insert(name.clone(), Arc::clone(&client));
        Ok(client)
    }

    /// Every account whose record reads, in name order.
    pub fn list(&self) -> Result<Vec<AccountRecord>> {
        self.store.list::<AccountRecord>()
    }

    /// Every account whose record reads and whose credentials open, and the damaged ones.
    pub fn scan(&self) -> Result<Scan<AccountRecord>> {
        self.vault.scan(&self.store)
    }

    /// The account `name`; one that is not there is [`Error::NotFound`].
    pub fn record(&self, name: &str) -> Result<AccountRecord> {
        self.store
            .get::<AccountRecord>(name)?
            .ok_or(Error::NotFound {
                what: "account",
                id: name.to_owned(),
                listing: Listing::Accounts,
            })
    }

    /// A new record of `info` with `credentials` sealed for it.
    pub fn seal(&self, info: AccountInfo, credentials: &[u8]) -> AccountRecord {
        let credentials = self.vault.seal(
            &Place::of::<AccountRecord>(&info.name, CREDENTIALS),
            credentials,
        );
        AccountRecord { info, credentials }
    }

    /// The instant-acme credentials of `record`.
    fn credentials(&self, record: &AccountRecord) -> Result<AccountCredentials> {
        let place = Place::of::<AccountRecord>(&record.info.name, CREDENTIALS);
        let json = self.vault.open_sealed(&place, &record.credentials)?;
        serde_json::from_slice(&json).map_err(|e| {
            Error::Damaged(format!(
                "the credentials of account {:?} do not parse ({e}): restore the data folder \
                     from a backup, or register the account again",
                record.info.name
            ))
        })
    }

    /// Writes `record` alone, in one flushed commit; its client is built anew on next use (new
    /// credentials or status).
    pub async fn save(&self, record: &AccountRecord) -> Result<()> {
        self.clients.lock().await.remove(&record.info.name);
        self.store.commit(Change::new().put(record)).await
    }

    /// Removes account `name`, in one flushed commit.
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.clients.lock().await.remove(name);
        self.store
            .commit(Change::new().delete::<AccountRecord>(name))
            .await
    }
}

impl Engine {
    /// The CA's terms and requirements, shown before registering.
    pub async fn ca_terms(&self, ca: &Ca, ca_root_pem: Option<&str>) -> Result<CaTerms> {
        let http = AcmeHttp::new(ca_root_pem)?;
        let meta = acme::fetch_meta(&http, ca.directory_url()).await?;
        Ok(CaTerms {
            directory_url: ca.directory_url().to_owned(),
            profiles: meta.profile_list(),
            terms_of_service: meta.terms_of_service,
            external_account_required: meta.external_account_required,
        })
    }

    /// The certificate profiles the CA of account `name` (or the only account) offers, read from
    /// its directory now.
    pub async fn account_profiles(&self, name: Option<&str>) -> Result<Vec<CaProfile>> {
        let record = self.account_record(name)?;
        let http = AcmeHttp::new(record.info.ca_root_pem.as_deref())?;
        Ok(acme::fetch_meta(&http, &record.info.directory_url)
            .await?
            .profile_list())
    }

    pub async fn register_account(&self, reg: Registration) -> Result<AccountInfo> {
        let subject = crate::activity::Subject::account(Some(&reg.name));
        let result: Result<AccountInfo> = async {
        validate_account_name(&reg.name).map_err(|e| e.in_field("name"))?;
        let email = reg
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| validate_email(e).map_err(|e| e.in_field("email")))
            .transpose()?;
        self.check_new_account(&reg.name, &reg.ca)?;
        let eab_key = reg
            .eab
            .as_ref()
            .map(|eab| {
                if eab.kid.trim().is_empty() {
                    return Err(Error::input("the EAB key id is empty"));
                }
                Ok(ExternalAccountKey::new(
                    eab.kid.trim().to_owned(),
                    &decode_eab_hmac(&eab.hmac_b64)?,
                ))
            })
            .transpose()?;
        let terms = self.ca_terms(&reg.ca, reg.ca_root_pem.as_deref()).await?;
        if !reg.agree_tos {
            return Err(Error::input(format!(
                "registration needs the CA's terms of service accepted (--agree-tos); read them at {}",
                terms.terms_of_service.as_deref().unwrap_or("(the CA publishes no terms URL)")
            )));
        }
        if terms.external_account_required && eab_key.is_none() {
            return Err(Error::input(
                "this CA requires External Account Binding: give the key id and HMAC key from \
                 your account at the CA (--eab-kid, --eab-hmac)",
            ));
        }
        let contact = email.as_ref().map(|email| format!("mailto:{email}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let new_account = NewAccount {
            contact: &contacts,
            terms_of_service_agreed: true,
            only_return_existing: false,
        };
        let (account, credentials) = acme::retry_bad_nonce(|| async {
            instant_acme::Account::builder_with_http(Box::new(AcmeHttp::new(
                reg.ca_root_pem.as_deref(),
            )?))
            .create(
                &new_account,
                reg.ca.directory_url().to_owned(),
                eab_key.as_ref(),
            )
            .await
            .map_err(|e| acme::error("registering the account", e))
        })
        .await?;
        let info = AccountInfo {
            name: reg.name,
            email: email.unwrap_or_default(),
            directory_url: reg.ca.directory_url().to_owned(),
            ca: reg.ca,
            url: account.id().to_owned(),
            status: AccountStatus::Active,
            created: OffsetDateTime::now_utc(),
            ca_root_pem: reg.ca_root_pem,
        };
        self.put_account(info.clone(), &credentials).await?;
        Ok(info)
        }
        .await;
        self.noted(crate::activity::Action::RegisterAccount, subject, result)
            .await
    }

    /// Adds an existing account back from its key: the CA finds the account by key.
    pub async fn import_account(
        &self,
        name: &str,
        key_pem: &str,
        ca: Ca,
        ca_root_pem: Option<String>,
    ) -> Result<AccountInfo> {
        let subject = crate::activity::Subject::account(Some(name));
        let result: Result<AccountInfo> = async {
            validate_account_name(name)?;
            self.check_new_account(name, &ca)?;
            let key = PrivateKey::from_pem(key_pem)?;
            if key.algorithm() != KeyAlgorithm::EcP256 {
                return Err(Error::input(format!(
                    "an ACME account key must be ECDSA P-256; this key is {}",
                    key.algorithm().label()
                )));
            }
            let der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.pkcs8_der().to_vec());
            let acme_key = instant_acme::Key::from_pkcs8_der(der.clone_key())
                .map_err(|e| Error::input(format!("the account key is not usable: {e}")))?;
            let http = AcmeHttp::new(ca_root_pem.as_deref())?;
            let (account, credentials) = instant_acme::Account::builder_with_http(Box::new(http))
                .from_key((acme_key, der.into()), ca.directory_url().to_owned())
                .await
                .map_err(|e| match e {
                    instant_acme::Error::Api(p)
                        if p.r#type.as_deref()
                            == Some("urn:ietf:params:acme:error:accountDoesNotExist") =>
                    {
                        Error::input(format!(
                            "{} has no account for this key: register a new account instead",
                            ca.label()
                        ))
                    }
                    e => acme::error("looking up the account", e),
                })?;
            let object = acme::chains::Downloader::new(
                AcmeHttp::new(ca_root_pem.as_deref())?,
                ca.directory_url(),
                key.pkcs8_der(),
                account.id(),
            )
            .await?
            .account_object()
            .await?;
            let said = AccountObject::read(&object)?;
            if said.status != "valid" {
                return Err(Error::input(format!(
                    "{} says this account is {}: it cannot be used; register a new account instead",
                    ca.label(),
                    acme::checks::shown(&said.status)
                )));
            }
            let info = AccountInfo {
                name: name.to_owned(),
                email: said.email().unwrap_or_default(),
                directory_url: ca.directory_url().to_owned(),
                ca,
                url: account.id().to_owned(),
                status: AccountStatus::Active,
                created: OffsetDateTime::now_utc(),
                ca_root_pem,
            };
            self.put_account(info.clone(), &credentials).await?;
            Ok(info)
        }
        .await;
        self.noted(crate::activity::Action::ImportAccount, subject, result)
            .await
    }

    fn check_new_account(&self, name: &str, ca: &Ca) -> Result<()> {
        let accounts = self.accounts.list()?;
        if accounts.iter().any(|a| a.info.name == name) {
            return Err(Error::input(format!(
                "an account named {name:?} exists already"
            )));
        }
        if let Some(a) = accounts
            .iter()
            .find(|a| a.info.directory_url == ca.directory_url())
        {
            return Err(Error::input(format!(
                "account {:?} is already registered with {}: certdesk keeps one account per CA",
                a.info.name,
                ca.label()
            )));
        }
        Ok(())
    }

    async fn put_account(&self, info: AccountInfo, credentials: &AccountCredentials) -> Result<()> {
        let json =
            Zeroizing::new(serde_json::to_vec(credentials).map_err(|e| {
                Error::System(format!("account credentials do not serialise: {e}"))
            })?);
        self.accounts.save(&self.accounts.seal(info, &json)).await
    }

    pub fn accounts(&self) -> Result<Vec<AccountInfo>> {
        Ok(self
            .accounts
            .scan()?
            .records
            .into_iter()
            .map(|r| r.info)
            .collect())
    }

    /// The named account, or the only one when no name is given.
    pub fn account(&self, name: Option<&str>) -> Result<AccountInfo> {
        self.account_record(name).map(|r| r.info)
    }

    pub(crate) fn account_record(&self, name: Option<&str>) -> Result<AccountRecord> {
        if let Some(name) = name {
            return self.accounts.record(name);
        }
        let mut all = self.accounts.list()?;
        match all.len() {
            0 => Err(Error::blocked(
                "there is no ACME account yet",
                NextStep::RegisterAccount,
            )),
            1 => Ok(all.remove(0)),
            _ => Err(Error::input(format!(
                "there are several accounts ({}): name one with --account",
                all.iter()
                    .map(|a| a.info.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The instant-acme account for a stored record, ready to talk to its CA.
    pub(crate) async fn acme_account(
        &self,
        record: &AccountRecord,
    ) -> Result<instant_acme::Account> {
        Ok(self.ca_client(record).await?.account.clone())
    }

    /// The account's client: its instant-acme account, HTTP client and directory.
    pub(crate) async fn ca_client(&self, record: &AccountRecord) -> Result<Arc<CaClient>> {
        self.accounts.client(record).await
    }

    /// Signs POST-as-GET downloads the way instant-acme does not offer (alternate chains).
    pub(crate) async fn chain_downloader(
        &self,
        record: &AccountRecord,
    ) -> Result<acme::chains::Downloader> {
        let credentials = self.accounts.credentials(record)?;
        acme::chains::Downloader::new(
            AcmeHttp::new(record.info.ca_root_pem.as_deref())?,
            &record.info.directory_url,
            credentials.private_key().secret_pkcs8_der(),
            &record.info.url,
        )
        .await
    }

    pub async fn update_account_email(
        &self,
        name: Option<&str>,
        email: &str,
    ) -> Result<AccountInfo> {
        let subject = crate::activity::Subject::account(name).target(email);
        let result: Result<AccountInfo> = async {
            let email = validate_email(email).map_err(|e| e.in_field("email"))?;
            let mut record = self.account_record(name)?;
            let account = self.acme_account(&record).await?;
            let contact = format!("mailto:{email}");
            acme::retry_bad_nonce(|| async {
                account
                    .update_contacts(&[&contact])
                    .await
                    .map_err(|e| acme::error("updating the e-mail address", e))
            })
            .await?;
            record.info.email = email;
            self.accounts.save(&record).await?;
            Ok(record.info)
        }
        .await;
        self.noted(crate::activity::Action::UpdateAccount, subject, result)
            .await
    }

    /// The account key as PKCS#8 PEM, for a face to write out, logged as an export.
    pub async fn export_account_key(&self, name: Option<&str>) -> Result<Zeroizing<String>> {
        let result = self.account_key_pem(name);
        let subject = crate::activity::Subject::account(name);
        self.noted(crate::activity::Action::ExportAccountKey, subject, result)
            .await
    }

    /// The account key as PKCS#8 PEM, unlogged: for the engine's own use (an agent's pairing
    /// code carries the key's thumbprint).
    pub(crate) fn account_key_pem(&self, name: Option<&str>) -> Result<Zeroizing<String>> {
        let record = self.account_record(name)?;
        let credentials = self.accounts.credentials(&record)?;
        let key =
            PrivateKey::from_pkcs8_der(credentials.private_key().secret_pkcs8_der().to_vec())?;
        Ok(Zeroizing::new(key.to_pem()))
    }

    /// Forgets the account here. It stays active at the CA.
    pub async fn delete_account(&self, name: Option<&str>) -> Result<AccountInfo> {
        let subject = crate::activity::Subject::account(name);
        let result: Result<AccountInfo> = async {
            let record = self.account_record(name)?;
            self.accounts.delete(&record.info.name).await?;
            Ok(record.info)
        }
        .await;
        self.noted(crate::activity::Action::DeleteAccount, subject, result)
            .await
    }

    /// Deactivates the account at the CA. Final: the CA will refuse it from now on.
    pub async fn deactivate_account(&self, name: Option<&str>) -> Result<AccountInfo> {
        let subject = crate::activity::Subject::account(name);
        let result: Result<AccountInfo> = async {
            let mut record = self.account_record(name)?;
            let account = self.acme_account(&record).await?;
            acme::retry_bad_nonce(|| async {
                account
                    .clone()
                    .deactivate()
                    .await
                    .map_err(|e| acme::error("deactivating the account", e))
            })
            .await?;
            record.info.status = AccountStatus::Deactivated;
            self.accounts.save(&record).await?;
            Ok(record.info)
        }
        .await;
        self.noted(crate::activity::Action::DeactivateAccount, subject, result)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::add_account;

    fn names(accounts: &[AccountInfo]) -> Vec<&str> {
        accounts.iter().map(|a| a.name.as_str()).collect()
    }

    #[tokio::test]
    async fn the_only_account_is_the_default_and_several_must_be_named() {
        let engine = Engine::in_memory().await;
        let e = engine.account(None).unwrap_err();
        assert!(e.to_string().contains("no ACME account yet"), "{e}");
        add_account(&engine, "le").await;
        assert_eq!(engine.account(None).unwrap().name, "le");
        add_account(&engine, "zerossl").await;
        let e = engine.account(None).unwrap_err();
        assert!(
            e.to_string().contains("several accounts (le, zerossl)"),
            "{e}"
        );
        assert_eq!(engine.account(Some("zerossl")).unwrap().name, "zerossl");
        assert!(matches!(
            engine.account(Some("buypass")).unwrap_err(),
            Error::NotFound {
                what: "account",
                ..
            }
        ));
        assert_eq!(names(&engine.accounts().unwrap()), ["le", "zerossl"]);
    }

    #[tokio::test]
    async fn one_account_per_name_and_per_ca() {
        let engine = Engine::in_memory().await;
        let le = add_account(&engine, "le").await;
        let e = engine
            .check_new_account("le", &Ca::custom("https://other.test/directory").unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("exists already"), "{e}");
        let e = engine.check_new_account("le2", &le.ca).unwrap_err();
        assert!(e.to_string().contains("one account per CA"), "{e}");
        assert!(engine
            .check_new_account("le2", &Ca::custom("https://other.test/directory").unwrap())
            .is_ok());
    }

    #[tokio::test]
    async fn a_registration_is_checked_before_the_ca_is_asked() {
        let engine = Engine::in_memory().await;
        let registration = |name: &str, email: &str| Registration {
            name: name.to_owned(),
            email: Some(email.to_owned()),
            ca: Ca::custom("https://ca.test/directory").unwrap(),
            ca_root_pem: None,
            eab: None,
            agree_tos: true,
        };
        let e = engine
            .register_account(registration("my account", "me@example.com"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("account name \"my account\""), "{e}");
        let e = engine
            .register_account(registration("le", "me@localhost"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("must be a domain name"), "{e}");
        assert!(engine.accounts().unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_account_key_is_exported_and_a_deleted_account_is_gone() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let pem = engine.export_account_key(Some("le")).await.unwrap();
        let key = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::EcP256);
        let deleted = engine.delete_account(None).await.unwrap();
        assert_eq!(deleted.name, "le");
        assert!(engine.accounts().unwrap().is_empty());
    }

    #[test]
    fn an_eab_key_reads_in_either_base64() {
        assert_eq!(decode_eab_hmac("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_eab_hmac("+/8=").unwrap(), [0xfb, 0xff]);
        assert!(decode_eab_hmac("not base64!").is_err());
        assert!(decode_eab_hmac("").is_err());
    }
}
