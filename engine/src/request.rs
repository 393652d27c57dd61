//! Certificate requests: what the administrator asked for, and where its order stands.
//!
//! A request's record is written before every network step, so a process killed at any point
//! leaves a record that says what happened last; `Engine::verify` continues from there.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::acme::OrderChallenge;
use crate::error::{Error, Problem, Result};
use crate::keys::{KeyAlgorithm, PrivateKey, SignatureAlgorithm};
use crate::keystore::{validate_password, KeystoreType};
use crate::names::{CaScope, ChallengeType, Name};
use crate::next_step::{Listing, NextStep};
use crate::sealed::Sealing;
use crate::store::{Change, Record, Scan, Store, Table};
use crate::vault::{Place, Sealed, Vault};

/// Where a request stands. The faces show these as badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum RequestStatus {
    /// Recorded; the order is not placed at the CA yet (or placing it was interrupted).
    Created,
    /// The order is placed; the challenges wait to be published and verified.
    Pending,
    /// Challenges answered; the CA is validating, or finalisation is under way.
    Verifying,
    /// Issued and downloaded; not yet saved to the repository.
    Available,
    /// The CA refused; see the problem. A new challenge starts a fresh order.
    Failed,
    /// Saved to the repository.
    Saved,
    /// A renewal was issued and saved as a new version.
    Renewed,
    /// The current certificate was revoked.
    Revoked,
}

/// What to do with the private key when the certificate is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum KeyPolicy {
    /// A fresh key for every certificate.
    New,
    /// Keep the key of the current certificate (e.g. for pinned keys).
    Same,
    /// Always the key the administrator imported.
    Import,
}

impl std::str::FromStr for KeyPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "new" => Ok(Self::New),
            "same" => Ok(Self::Same),
            "import" => Ok(Self::Import),
            _ => Err(Error::input(format!(
                "key policy {s:?} is not one of: new, same, import"
            ))),
        }
    }
}

/// What the administrator asks for; validated by [`Engine::create_request`](crate::Engine).
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub names: Vec<String>,
    pub key: KeyAlgorithm,
    pub signature: Option<SignatureAlgorithm>,
    pub keystore: KeystoreType,
    pub keystore_password: Option<String>,
    pub key_policy: KeyPolicy,
    /// The PEM of the key to use when `key_policy` is `Import`.
    pub import_key_pem: Option<String>,
    pub challenge: ChallengeType,
    /// The DNS account that publishes the dns-01 records; none means the administrator does.
    pub dns_account: Option<String>,
    pub account: Option<String>,
    /// A second account (at another CA: a name or a directory URL) that takes over renewals
    /// after failures in a row at the first.
    pub fallback_account: Option<String>,
    pub profile: Option<String>,
    /// Prefer the CA's chain whose root's name contains this (e.g. "ISRG Root X1").
    pub preferred_chain: Option<String>,
}

/// What the faces show of a request.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct RequestInfo {
    pub id: String,
    /// DNS names and IP addresses, all SANs; the first, when a DNS name, is the common name.
    pub names: Vec<Name>,
    /// Why some names were accepted although a public CA refuses them: the account's CA is a
    /// private one (a custom directory). Shown beside the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_notice: Option<String>,
    /// A dns-persist-01 request's standing record stops being accepted soon (its
    /// `persistUntil` within [`persist::WARN_BEFORE`](crate::persist::WARN_BEFORE)) or has: set
    /// when the records are checked before an order is answered, cleared when every name's
    /// record is fresh. Shown beside the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persist_warning: Option<String>,
    pub account: String,
    /// The account (at another CA) that places a renewal's order after
    /// [`FALLBACK_AFTER`](crate::renewal::FALLBACK_AFTER) failed attempts in a row at `account`.
    /// `account` stays the request's CA: the next renewal goes there first again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_account: Option<String>,
    /// The account the current order was placed with, when not `account` (a renewal by the
    /// fallback): the order is driven, and its certificate revoked and asked about (ARI), there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_account: Option<String>,
    pub key: KeyAlgorithm,
    pub signature: SignatureAlgorithm,
    pub keystore: KeystoreType,
    pub key_policy: KeyPolicy,
    pub challenge_type: ChallengeType,
    /// Publishes the dns-01 records of every order (and renewal) of this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_chain: Option<String>,
    /// The deploy mapping that publishes the http-01 tokens of every order (and renewal) on the
    /// end server, and installs the certificate there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<String>,
    /// Deploy through `deploy` after validation (saving the certificate) and every renewal.
    #[serde(default)]
    pub auto_deploy: bool,
    pub status: RequestStatus,
    /// The RFC 9773 identifier of the certificate the current order replaces (a scheduled
    /// renewal at a CA with ARI), sent as the order's `replaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_url: Option<String>,
    #[serde(default)]
    pub challenges: Vec<OrderChallenge>,
    /// The CA's problem document when the request failed, whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// What the administrator should do next; each face words it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::next_step::stored"
    )]
    pub next_step: Option<NextStep>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub updated: OffsetDateTime,
}

impl RequestInfo {
    /// The account of the current order: the fallback's when it placed the order, else the
    /// request's own.
    pub fn ordering_account(&self) -> &str {
        self.order_account.as_deref().unwrap_or(&self.account)
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct RequestRecord {
    #[serde(flatten)]
    pub info: RequestInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_password: Option<Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_key: Option<Sealed>,
    /// The key of the order in flight, written before finalisation so that a resumed order
    /// downloads a certificate whose key we still have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_key: Option<Sealed>,
    /// The issued chain (leaf first) waiting to be saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_pem: Option<String>,
}

impl Record for RequestRecord {
    const TABLE: Table = Table::Requests;
    fn key(&self) -> &str {
        &self.info.id
    }
}

impl RequestRecord {
    pub const KEYSTORE_PASSWORD: &'static str = "keystore_password";
    pub const IMPORTED_KEY: &'static str = "imported_key";
    pub const ORDER_KEY: &'static str = "order_key";

    /// Where the request's secret `field` is sealed.
    pub fn place<'a>(&'a self, field: &'a str) -> Place<'a> {
        Place::of::<Self>(&self.info.id, field)
    }
}

impl Sealing for RequestRecord {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        [
            (Self::KEYSTORE_PASSWORD, &mut self.keystore_password),
            (Self::IMPORTED_KEY, &mut self.imported_key),
            (Self::ORDER_KEY, &mut self.order_key),
        ]
        .into_iter()
        .filter_map(|(field, sealed)| Some((field.to_owned(), sealed.as_mut()?)))
        .collect()
    }
}

/// A request as the renewal scheduler's check reads it: how its challenges are answered.
#[derive(Serialize, Deserialize)]
pub(crate) struct RequestView {
    pub id: String,
    pub account: String,
    pub challenge_type: ChallengeType,
    #[serde(default)]
    pub dns_account: Option<String>,
    /// A deploy mapping that publishes the http-01 tokens (and, when it answers dns-01, the TXT
    /// records) through the end server.
    #[serde(default)]
    pub deploy: Option<String>,
}

impl Record for RequestView {
    const TABLE: Table = Table::Requests;
    fn key(&self) -> &str {
        &self.id
    }
}

/// The owner of the Requests table; issuance ([`crate::issuance`]) carries a request through
/// its lifecycle over it. Others ask it for requests (or their [`RequestView`]s) and add its
/// records to a [`Change`] through it.
pub(crate) struct Requests {
    store: Arc<Store>,
    vault: Arc<Vault>,
}

impl Requests {
    pub fn new(store: &Arc<Store>, vault: &Arc<Vault>) -> Self {
        Self {
            store: Arc::clone(store),
            vault: Arc::clone(vault),
        }
    }

    /// The request `id`; one that is not there is [`Error::NotFound`].
    pub fn record(&self, id: &str) -> Result<RequestRecord> {
        self.store.get::<RequestRecord>(id)?.ok_or(Error::NotFound {
            what: "request",
            id: id.to_owned(),
            listing: Listing::Requests,
        })
    }

    /// Every request whose record reads and whose secrets open, and the damaged ones.
    pub fn scan(&self) -> Result<Scan<RequestRecord>> {
        self.vault.scan(&self.store)
    }

    /// Every request whose record reads, its secrets left sealed.
    pub fn list(&self) -> Result<Vec<RequestRecord>> {
        self.store.list::<RequestRecord>()
    }

    /// The renewal view of every request, and the requests whose record does not read.
    pub fn views(&self) -> Result<Scan<RequestView>> {
        self.store.scan::<RequestView>()
    }

    /// The renewal view of request `id`, if there is one.
    pub fn view(&self, id: &str) -> Result<Option<RequestView>> {
        self.store.get::<RequestView>(id)
    }

    /// `change` with `record` written.
    pub fn put(&self, change: Change, record: &RequestRecord) -> Change {
        change.put(record)
    }

    /// `change` with request `id` removed.
    pub fn delete(&self, change: Change, id: &str) -> Change {
        change.delete::<RequestRecord>(id)
    }

    /// `secret` sealed as the field `field` of request `id`.
    pub fn seal(&self, id: &str, field: &str, secret: &[u8]) -> Sealed {
        self.vault
            .seal(&Place::of::<RequestRecord>(id, field), secret)
    }

    /// The secret `sealed` of `record`'s field `field` in clear.
    pub fn open(
        &self,
        record: &RequestRecord,
        field: &str,
        sealed: &Sealed,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        self.vault.open_sealed(&record.place(field), sealed)
    }

    /// `record`'s keystore password in clear, when it has one.
    pub fn keystore_password(
        &self,
        record: &RequestRecord,
    ) -> Result<Option<zeroize::Zeroizing<String>>> {
        let place = record.place(RequestRecord::KEYSTORE_PASSWORD);
        record
            .keystore_password
            .as_ref()
            .map(|sealed| self.vault.open_string(&place, sealed))
            .transpose()
    }

    /// Writes `record` alone, in one flushed commit.
    pub async fn save(&self, record: &RequestRecord) -> Result<()> {
        self.store.commit(self.put(Change::new(), record)).await
    }
}

/// The checked parts of a [`RequestSpec`].
pub(crate) struct ValidSpec {
    pub names: Vec<Name>,
    pub signature: SignatureAlgorithm,
    pub imported_key: Option<PrivateKey>,
}

impl RequestSpec {
    /// Checks everything that can be checked without the network, the names as a CA of `scope`
    /// takes them; every rejected name is listed.
    pub(crate) fn validate(&self, scope: CaScope) -> Result<ValidSpec> {
        let names = crate::names::validate_for(&self.names, self.challenge, scope)?;
        let signature = self.signature.unwrap_or(self.key.default_signature());
        crate::keys::check_signature(self.key, signature)?;
        match (
            self.keystore.export_format().needs_password(),
            &self.keystore_password,
        ) {
            (true, None) => {
                return Err(Error::input(format!(
                    "a {} keystore needs a password (--keystore-password-file)",
                    self.keystore
                )))
            }
            (true, Some(p)) => validate_password(p)?,
            (false, Some(_)) => return Err(Error::input(
                "a PEM keystore has no password: leave the password out or choose pkcs12 or jks",
            )),
            (false, None) => {}
        }
        let imported_key =
            match (self.key_policy, &self.import_key_pem) {
                (KeyPolicy::Import, None) => {
                    return Err(Error::input(
                        "the import key policy needs the key to import (--import-key FILE)",
                    ))
                }
                (KeyPolicy::Import, Some(pem)) => {
                    let key = PrivateKey::from_pem(pem)?;
                    if key.algorithm() != self.key {
                        return Err(Error::input(format!(
                            "the imported key is {} but the request asks for {}: choose --key {}",
                            key.algorithm().label(),
                            self.key.label(),
                            key.algorithm()
                        )));
                    }
                    Some(key)
                }
                (_, Some(_)) => return Err(Error::input(
                    "a key file was given but the key policy is not import (--key-policy import)",
                )),
                (_, None) => None,
            };
        if self.dns_account.is_some() && !self.challenge.uses_dns() {
            return Err(Error::input(
                "a DNS account publishes dns-01 records: choose --challenge dns-01 (or \
                 dns-account-01, dns-persist-01) or leave out the DNS account",
            ));
        }
        if let Some(profile) = &self.profile {
            if profile.trim().is_empty() {
                return Err(Error::input("the ACME profile name is empty"));
            }
        }
        if let Some(issuer) = &self.preferred_chain {
            if issuer.trim().is_empty() {
                return Err(Error::input(
                    "the preferred chain is empty: give (part of) its root's name, e.g. \"ISRG Root X1\"",
                ));
            }
        }
        Ok(ValidSpec {
            names,
            signature,
            imported_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::spec;

    fn refusal(spec: RequestSpec) -> String {
        let e = spec
            .validate(CaScope::Public)
            .err()
            .expect("the spec is refused");
        assert_eq!(e.kind(), crate::ErrorKind::Input, "{e}");
        e.to_string()
    }

    #[test]
    fn a_plain_spec_gets_its_key_s_default_signature() {
        let valid = spec(&["www.example.com", "example.com"])
            .validate(CaScope::Public)
            .unwrap();
        let names: Vec<&str> = valid.names.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["www.example.com", "example.com"]);
        assert_eq!(valid.signature, KeyAlgorithm::EcP256.default_signature());
        assert!(valid.imported_key.is_none());
    }

    #[test]
    fn a_keystore_password_goes_with_a_keystore_that_takes_one() {
        let pkcs12 = RequestSpec {
            keystore: KeystoreType::Pkcs12,
            ..spec(&["www.example.com"])
        };
        assert!(refusal(pkcs12.clone()).contains("needs a password"));
        let with_password = RequestSpec {
            keystore_password: Some("long enough password".into()),
            ..pkcs12
        };
        assert!(with_password.validate(CaScope::Public).is_ok());
        let pem = RequestSpec {
            keystore_password: Some("long enough password".into()),
            ..spec(&["www.example.com"])
        };
        assert!(refusal(pem).contains("a PEM keystore has no password"));
    }

    #[test]
    fn an_imported_key_goes_with_the_import_policy_and_its_algorithm() {
        let key = PrivateKey::generate(KeyAlgorithm::EcP256).unwrap().to_pem();
        let without_key = RequestSpec {
            key_policy: KeyPolicy::Import,
            ..spec(&["www.example.com"])
        };
        assert!(refusal(without_key.clone()).contains("needs the key to import"));
        let imported = RequestSpec {
            import_key_pem: Some(key.clone()),
            ..without_key.clone()
        }
        .validate(CaScope::Public)
        .unwrap()
        .imported_key
        .expect("the imported key");
        assert_eq!(imported.to_pem(), key);
        let other_algorithm = RequestSpec {
            key: KeyAlgorithm::EcP384,
            import_key_pem: Some(key.clone()),
            ..without_key
        };
        assert!(refusal(other_algorithm).contains("the imported key is"));
        let not_import = RequestSpec {
            import_key_pem: Some(key),
            ..spec(&["www.example.com"])
        };
        assert!(refusal(not_import).contains("the key policy is not import"));
    }

    #[test]
    fn what_a_spec_names_must_fit_its_challenge_and_not_be_empty() {
        let dns_account_on_http = RequestSpec {
            dns_account: Some("cloudflare".into()),
            ..spec(&["www.example.com"])
        };
        assert!(refusal(dns_account_on_http).contains("--challenge dns-01"));
        let wildcard_on_http = spec(&["*.example.com"]);
        refusal(wildcard_on_http);
        let empty_profile = RequestSpec {
            profile: Some(" ".into()),
            ..spec(&["www.example.com"])
        };
        assert!(refusal(empty_profile).contains("profile name is empty"));
        let empty_chain = RequestSpec {
            preferred_chain: Some(String::new()),
            ..spec(&["www.example.com"])
        };
        assert!(refusal(empty_chain).contains("preferred chain is empty"));
    }

    #[test]
    fn key_policies_read_by_name() {
        assert_eq!("same".parse::<KeyPolicy>().unwrap(), KeyPolicy::Same);
        assert!("keep".parse::<KeyPolicy>().is_err());
    }

    #[test]
    fn a_record_keeps_its_secrets_by_field() {
        let at = "2026-12-02T00:00:00Z";
        let mut json = crate::testing::record_json("c0ffee", &["www.example.com"], "le", at);
        json["order_key"] = serde_json::json!({ "forgotten": at });
        let mut record: RequestRecord = serde_json::from_value(json).unwrap();
        let fields: Vec<String> = record.sealed_fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [RequestRecord::ORDER_KEY]);
        let place = record.place(RequestRecord::ORDER_KEY);
        assert_eq!(place.to_string(), "order_key of requests \"c0ffee\"");
    }
}
