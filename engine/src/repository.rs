//! The certificate repository: saved certificates with their history. A saved certificate keeps
//! its request's id; each renewal adds a version, and the newest version is the current one.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::acme;
use crate::certinfo::{self, CertInfo};
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::keystore::{keystore_for, CertBundle, ExportFormat};
use crate::next_step::Listing;
use crate::request::{RequestRecord, RequestStatus};
use crate::sealed::Sealing;
use crate::store::{Change, Record, Scan, Store, Table};
use crate::vault::{Place, Sealed, Vault};
use crate::Engine;

/// One issued certificate of a repository entry.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct CertVersion {
    #[serde(flatten)]
    pub info: CertInfo,
    pub certificate_pem: String,
    /// The issuers, leaf excluded.
    pub chain_pem: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub saved: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// The account, and so the CA, whose order it came from. Versions saved before certdesk
    /// recorded it have none: they came from the request's own account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<IssuedBy>,
}

/// Which ACME account (and CA directory) issued a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct IssuedBy {
    pub account: String,
    pub directory_url: String,
}

/// A version as stored: what the faces see, and its sealed private key. Every issued version has
/// one; a tracked certificate's has one when its file held it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredVersion {
    #[serde(flatten)]
    pub version: CertVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Sealed>,
}

/// Where a repository entry came from. An issued one is renewed by certdesk through its request
/// (same id); a tracked one was imported from a file, has no request, and is listed, noticed
/// before it expires and exported like an issued one, but never renewed or revoked by certdesk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Issued,
    Tracked(Tracked),
}

impl Origin {
    fn is_issued(&self) -> bool {
        matches!(self, Self::Issued)
    }

    pub fn is_tracked(&self) -> bool {
        matches!(self, Self::Tracked(_))
    }
}

/// What an import recorded of a tracked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Tracked {
    /// The administrator's name for it (`--name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The file it was imported from, as given.
    pub file: String,
    pub format: crate::keystore::import::ImportFormat,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub imported: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct Revocation {
    pub reason: RevocationReason,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
}

/// The RFC 5280 reasons an administrator may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    Superseded,
    CessationOfOperation,
    AffiliationChanged,
}

impl std::str::FromStr for RevocationReason {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "unspecified" => Self::Unspecified,
            "keyCompromise" | "key-compromise" => Self::KeyCompromise,
            "superseded" => Self::Superseded,
            "cessationOfOperation" | "cessation-of-operation" => Self::CessationOfOperation,
            "affiliationChanged" | "affiliation-changed" => Self::AffiliationChanged,
            _ => {
                return Err(Error::input(format!(
                    "revocation reason {s:?} is not one of: unspecified, keyCompromise, \
                     superseded, cessationOfOperation, affiliationChanged"
                )))
            }
        })
    }
}

impl RevocationReason {
    fn acme(self) -> instant_acme::RevocationReason {
        use instant_acme::RevocationReason as R;
        match self {
            Self::Unspecified => R::Unspecified,
            Self::KeyCompromise => R::KeyCompromise,
            Self::Superseded => R::Superseded,
            Self::CessationOfOperation => R::CessationOfOperation,
            Self::AffiliationChanged => R::AffiliationChanged,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CertRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "Origin::is_issued")]
    pub origin: Origin,
    /// Oldest first; the last is current.
    pub versions: Vec<StoredVersion>,
}

impl Record for CertRecord {
    const TABLE: Table = Table::Certificates;
    fn key(&self) -> &str {
        &self.id
    }
}

/// The field of version `index`'s private key: versions are only ever appended, so a version
/// keeps its index.
/// A certificate record is stored with its first version and keeps at least one: one without is
/// damaged.
fn no_versions(id: &str) -> Error {
    Error::Damaged(format!(
        "certificate {id} has no versions: its record in the data folder is damaged; restore \
         the data folder from a backup, or delete the certificate and issue it again"
    ))
}

/// A request is marked issued only with the certificate and key it was issued: one without
/// either is damaged.
fn issued_part_missing(id: &str, part: &str) -> Error {
    Error::Damaged(format!(
        "request {id} is marked issued but its {part} is missing: its record in the data folder \
         is damaged; restore the data folder from a backup, or create the request again"
    ))
}

fn key_field(index: usize) -> String {
    format!("versions/{index}/key")
}

impl Sealing for CertRecord {
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)> {
        self.versions
            .iter_mut()
            .enumerate()
            .filter_map(|(i, v)| Some((key_field(i), v.key.as_mut()?)))
            .collect()
    }
}

/// A row of the repository list: the current version of an entry.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CertSummary {
    pub id: String,
    #[serde(flatten)]
    pub info: CertInfo,
    pub days_left: i64,
    pub status: CertStatus,
    pub versions: usize,
    pub origin: Origin,
    /// Whether certdesk keeps the current version's private key (a tracked certificate's file
    /// may not have held it).
    pub private_key: bool,
}

/// The inventory export's columns (`certdesk cert list --csv`).
pub const INVENTORY_COLUMNS: [&str; 14] = [
    "id",
    "names",
    "origin",
    "label",
    "status",
    "not_before",
    "not_after",
    "days_left",
    "issuer",
    "key_type",
    "serial",
    "sha256_fingerprint",
    "versions",
    "private_key",
];

/// `certs` as CSV ([`crate::csv`]), a row each, issued and tracked alike: what a spreadsheet of
/// every certificate in view needs. Names are separated by spaces.
pub fn inventory_csv(certs: &[CertSummary]) -> String {
    let time = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    crate::csv::table(&INVENTORY_COLUMNS, certs, |c| {
        let (origin, label) = match &c.origin {
            Origin::Issued => ("issued", String::new()),
            Origin::Tracked(t) => ("tracked", t.label.clone().unwrap_or_default()),
        };
        vec![
            c.id.clone(),
            c.info.names.join(" "),
            origin.to_owned(),
            label,
            c.status.name().to_owned(),
            time(c.info.not_before),
            time(c.info.not_after),
            c.days_left.to_string(),
            c.info.issuer.clone(),
            c.info.key_type.clone(),
            c.info.serial.clone(),
            c.info.sha256_fingerprint.clone(),
            c.versions.to_string(),
            c.private_key.to_string(),
        ]
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum CertStatus {
    Valid,
    Expired,
    Revoked,
}

impl CertStatus {
    fn name(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

impl CertRecord {
    /// The account whose CA issued the current version: where it is revoked and its renewal
    /// information asked for. `request_account` for versions that do not record it.
    pub(crate) fn issuing_account<'a>(&'a self, request_account: &'a str) -> &'a str {
        self.versions
            .last()
            .and_then(|v| v.version.issued_by.as_ref())
            .map_or(request_account, |by| by.account.as_str())
    }

    fn current(&self) -> Result<&StoredVersion> {
        self.versions.last().ok_or_else(|| no_versions(&self.id))
    }

    /// Refuses what only certdesk's own certificates can have done (`doing`: "renew", "revoke"):
    /// a tracked one was issued elsewhere.
    pub(crate) fn issued_here(&self, doing: &str) -> Result<()> {
        match self.origin {
            Origin::Issued => Ok(()),
            Origin::Tracked(_) => Err(Error::input(format!(
                "certificate {} is tracked: certdesk did not issue it, so it cannot {doing} it; \
                 {doing} it where it was issued and import the new one, or replace it with ACME: \
                 certdesk request create --from-cert {id} --keystore KEYSTORE --challenge \
                 CHALLENGE",
                self.id,
                id = self.id
            ))),
        }
    }

    pub(crate) fn summary(&self, now: OffsetDateTime) -> Result<CertSummary> {
        Ok(self
            .view()
            .ok_or_else(|| no_versions(&self.id))?
            .summary(now))
    }

    /// Its view, of the current version; `None` without versions (a damaged record).
    fn view(&self) -> Option<CertView> {
        let current = self.versions.last()?;
        let ari_id = certinfo::split_chain(&current.version.certificate_pem)
            .ok()
            .and_then(|ders| acme::ari::cert_id(&ders[0]).ok().flatten());
        Some(CertView {
            id: self.id.clone(),
            origin: self.origin.clone(),
            info: current.version.info.clone(),
            revoked: current.version.revoked.clone(),
            serials: self
                .versions
                .iter()
                .map(|v| v.version.info.serial.clone())
                .collect(),
            private_key: current.key.is_some(),
            issued_by: current
                .version
                .issued_by
                .as_ref()
                .map(|by| by.account.clone()),
            ari_id,
        })
    }
}

/// What the list and the renewal scheduler's passes read of a certificate, kept apart from its
/// record ([`Table::CertificateViews`]) and written in the same change. A record carries every
/// version's PEM chain and sealed key (some 5 KB each), and sled keeps in memory the nodes a
/// pass read: passes over 10,000 records held 70 MB in the window's process, over their views a
/// tenth of that (`src-tauri/src/memory.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CertView {
    pub id: String,
    #[serde(default, skip_serializing_if = "Origin::is_issued")]
    pub origin: Origin,
    /// The current version's.
    #[serde(flatten)]
    pub info: CertInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// Every version's serial, oldest first.
    pub serials: Vec<String>,
    /// Whether the current version's private key is kept.
    pub private_key: bool,
    /// The account that issued the current version, where it records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
    /// The current version's ARI identifier ([`acme::ari::cert_id`]); `None` when the CA's
    /// certificate names no key identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ari_id: Option<String>,
}

impl Record for CertView {
    const TABLE: Table = Table::CertificateViews;
    fn key(&self) -> &str {
        &self.id
    }
}

impl CertView {
    /// See [`CertRecord::issuing_account`].
    pub(crate) fn issuing_account<'a>(&'a self, request_account: &'a str) -> &'a str {
        self.issued_by.as_deref().unwrap_or(request_account)
    }

    /// What renewal planning reads of the current version.
    pub(crate) fn validity(&self) -> crate::renewal::Validity {
        crate::renewal::Validity {
            serial: self.info.serial.clone(),
            names: self.info.names.clone(),
            not_before: self.info.not_before,
            not_after: self.info.not_after,
            revoked: self.revoked.clone(),
        }
    }

    pub(crate) fn summary(&self, now: OffsetDateTime) -> CertSummary {
        CertSummary {
            id: self.id.clone(),
            info: self.info.clone(),
            days_left: self.info.days_left(now),
            status: if self.revoked.is_some() {
                CertStatus::Revoked
            } else if self.info.not_after <= now {
                CertStatus::Expired
            } else {
                CertStatus::Valid
            },
            versions: self.serials.len(),
            origin: self.origin.clone(),
            private_key: self.private_key,
        }
    }
}

/// The owner of the Certificates table: the saved certificates and their history. Others ask it
/// for entries, and add its records to a [`Change`] through it.
pub(crate) struct Repository {
    store: Arc<Store>,
    vault: Arc<Vault>,
}

impl Repository {
    pub fn new(store: &Arc<Store>, vault: &Arc<Vault>) -> Self {
        Self {
            store: Arc::clone(store),
            vault: Arc::clone(vault),
        }
    }

    /// The entry `id`, if there is one.
    pub fn find(&self, id: &str) -> Result<Option<CertRecord>> {
        self.store.get::<CertRecord>(id)
    }

    /// The entry `id`; one that is not there is [`Error::NotFound`].
    pub fn record(&self, id: &str) -> Result<CertRecord> {
        self.find(id)?.ok_or(Error::NotFound {
            what: "certificate",
            id: id.to_owned(),
            listing: Listing::Certificates,
        })
    }

    /// Whether a certificate of request `id` is saved.
    pub fn has(&self, id: &str) -> Result<bool> {
        Ok(self.find(id)?.is_some())
    }

    /// Every entry whose record reads and whose keys open, and the damaged ones.
    pub fn scan(&self) -> Result<Scan<CertRecord>> {
        self.vault.scan(&self.store)
    }

    /// Every entry's view: what the list and the renewal scheduler read. A record that does not
    /// read has none (its damage is listed by [`Repository::scan`]).
    pub fn views(&self) -> Result<Vec<CertView>> {
        self.store.list::<CertView>()
    }

    /// Every entry's view that reads, and the damaged views: what the scheduler's pass skips
    /// and says it skipped. A damaged record whose view reads is skipped once it is due, when
    /// the pass reads it whole.
    pub fn scan_views(&self) -> Result<Scan<CertView>> {
        self.store.scan::<CertView>()
    }

    /// `change` with `cert` and its view written.
    pub fn put(&self, change: Change, cert: &CertRecord) -> Change {
        let change = change.put(cert);
        match cert.view() {
            Some(view) => change.put(&view),
            None => change.delete::<CertView>(&cert.id),
        }
    }

    /// `change` with entry `id` and its view removed.
    pub fn delete(&self, change: Change, id: &str) -> Change {
        change.delete::<CertRecord>(id).delete::<CertView>(id)
    }

    /// Schema 2 → 3: `change` with the view of every record that reads.
    pub(crate) fn with_views(store: &Store, change: Change) -> Result<Change> {
        Ok(store
            .list::<CertRecord>()?
            .iter()
            .filter_map(CertRecord::view)
            .fold(change, |change, view| change.put(&view)))
    }

    /// The private key of `cert`'s current version, if certdesk has it.
    pub fn current_key(&self, cert: &CertRecord) -> Result<Option<PrivateKey>> {
        let current = cert.current()?;
        let Some(sealed) = &current.key else {
            return Ok(None);
        };
        let place = key_field(cert.versions.len() - 1);
        let key = self
            .vault
            .open_sealed(&Place::of::<CertRecord>(&cert.id, &place), sealed)?;
        PrivateKey::from_pkcs8_der(key.to_vec()).map(Some)
    }

    /// `cert` with a new current version holding `key`, sealed for its place there.
    pub fn push(&self, cert: &mut CertRecord, version: CertVersion, key: Option<&[u8]>) {
        let place = key_field(cert.versions.len());
        let key = key.map(|key| {
            self.vault
                .seal(&Place::of::<CertRecord>(&cert.id, &place), key)
        });
        cert.versions.push(StoredVersion { version, key });
    }
}

impl Engine {
    /// Moves an issued certificate into the repository.
    pub async fn save(&self, id: &str) -> Result<CertSummary> {
        let subject = crate::activity::Subject::request(id);
        let result: Result<CertSummary> = async {
            let record = self.request_record(id)?;
            if record.info.status != RequestStatus::Available {
                return Err(Error::input(format!(
                "request {id} has no certificate waiting to be saved (it is {:?}): verify it first",
                record.info.status
            )));
            }
            self.save_record(record).await?;
            self.cert(id)
        }
        .await;
        self.noted(crate::activity::Action::SaveCertificate, subject, result)
            .await
    }

    /// Adds the request's issued certificate to the repository and marks the request, in one
    /// transaction.
    pub(crate) async fn save_record(
        &self,
        mut record: RequestRecord,
    ) -> Result<crate::request::RequestInfo> {
        let chain = record
            .issued_pem
            .take()
            .ok_or_else(|| issued_part_missing(&record.info.id, "certificate"))?;
        let ders = certinfo::split_chain(&chain)?;
        let order_key = record
            .order_key
            .take()
            .ok_or_else(|| issued_part_missing(&record.info.id, "key"))?;
        let key = self
            .requests
            .open(&record, RequestRecord::ORDER_KEY, &order_key)?;
        let account = self.account(Some(record.info.ordering_account()))?;
        let version = CertVersion {
            info: CertInfo::from_der(&ders[0])?,
            certificate_pem: certinfo::to_pem(&ders[0]),
            chain_pem: ders[1..].iter().map(|d| certinfo::to_pem(d)).collect(),
            saved: OffsetDateTime::now_utc(),
            revoked: None,
            issued_by: Some(IssuedBy {
                account: account.name,
                directory_url: account.directory_url,
            }),
        };
        let mut cert = self
            .repository
            .find(&record.info.id)?
            .unwrap_or_else(|| CertRecord {
                id: record.info.id.clone(),
                origin: Origin::Issued,
                versions: Vec::new(),
            });
        // The key moves from the request to the version: sealed again for its new place.
        self.repository.push(&mut cert, version, Some(&key));
        record.info.status = if cert.versions.len() > 1 {
            RequestStatus::Renewed
        } else {
            RequestStatus::Saved
        };
        record.info.next_step = None;
        record.info.updated = OffsetDateTime::now_utc();
        let change = self.repository.put(Change::new(), &cert);
        self.store
            .commit(self.requests.put(change, &record))
            .await?;
        Ok(record.info)
    }

    pub(crate) fn cert_record(&self, id: &str) -> Result<CertRecord> {
        self.repository.record(id)
    }

    pub fn certs(&self) -> Result<Vec<CertSummary>> {
        let now = OffsetDateTime::now_utc();
        let mut all: Vec<CertSummary> = self
            .repository
            .views()?
            .iter()
            .map(|view| view.summary(now))
            .collect();
        all.sort_by_key(|c| c.info.not_after);
        Ok(all)
    }

    pub fn cert(&self, id: &str) -> Result<CertSummary> {
        self.cert_record(id)?.summary(OffsetDateTime::now_utc())
    }

    /// Every version, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<CertVersion>> {
        Ok(self
            .cert_record(id)?
            .versions
            .into_iter()
            .map(|v| v.version)
            .collect())
    }

    /// The newest version of `id`.
    pub(crate) fn current_version(&self, id: &str) -> Result<CertVersion> {
        self.history(id)?.pop().ok_or_else(|| no_versions(id))
    }

    pub(crate) fn current_key(&self, cert: &CertRecord) -> Result<Option<PrivateKey>> {
        self.repository.current_key(cert)
    }

    /// The private key of `cert`'s current version, which a deployment or a renewal with the
    /// same key needs: a tracked certificate imported without one has none to give.
    pub(crate) fn needed_key(&self, cert: &CertRecord) -> Result<PrivateKey> {
        self.current_key(cert)?.ok_or_else(|| {
            Error::input(format!(
                "certificate {} was imported without its private key: import its file again \
                 with the key",
                cert.id
            ))
        })
    }

    /// The current certificate in `format`, for a face to write out, logged as an export. A
    /// keystore format takes `password`, or else the request's keystore password.
    pub async fn export(
        &self,
        id: &str,
        format: ExportFormat,
        password: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.exported(id, Some(format), password)
            .await
            .map(|(_, bytes)| bytes)
    }

    /// The current certificate as the keystore its request asked for (PEM bundle, PKCS#12 or
    /// JKS, with the request's password), and that format, logged as an export.
    pub async fn keystore(&self, id: &str) -> Result<(ExportFormat, Zeroizing<Vec<u8>>)> {
        self.exported(id, None, None).await
    }

    /// An export in `format` (none: the request's keystore's), logged once whatever the face
    /// asked for. Nothing is written to the store, so the entry is the only write.
    async fn exported(
        &self,
        id: &str,
        format: Option<ExportFormat>,
        password: Option<&str>,
    ) -> Result<(ExportFormat, Zeroizing<Vec<u8>>)> {
        let result = (|| {
            let format = match format {
                Some(format) => format,
                None => self.request_record(id)?.info.keystore.export_format(),
            };
            Ok((format, self.certificate_in(id, format, password)?))
        })();
        let subject = crate::activity::Subject::request(id);
        self.noted(crate::activity::Action::ExportCertificate, subject, result)
            .await
    }

    /// The current certificate in `format`, unlogged: the bytes of an export or of a mail.
    pub(crate) fn certificate_in(
        &self,
        id: &str,
        format: ExportFormat,
        password: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let cert = self.cert_record(id)?;
        let current = &cert.current()?.version;
        let Some(key) = self.current_key(&cert)? else {
            return certificates_only(id, current, format).map(Zeroizing::new);
        };
        let stored_password = match (format.needs_password(), password) {
            (true, None) if cert.origin.is_tracked() => {
                return Err(Error::input(format!(
                    "a {format} export needs a password (--password-file)"
                )))
            }
            (true, None) => {
                let request = self.request_record(id)?;
                match self.requests.keystore_password(&request)? {
                    Some(password) => Some(password),
                    None => {
                        return Err(Error::input(format!(
                            "a {format} export needs a password (--password-file)"
                        )))
                    }
                }
            }
            _ => None,
        };
        let password = password.or(stored_password.as_deref().map(|s| s.as_str()));
        let bundle = CertBundle {
            certificate_pem: current.certificate_pem.clone(),
            chain_pem: current.chain_pem.clone(),
            key,
            alias: current
                .info
                .names
                .first()
                .cloned()
                .unwrap_or_else(|| id.to_owned()),
        };
        keystore_for(format)
            .write(&bundle, password)
            .map(Zeroizing::new)
    }

    /// Revokes the current certificate at the CA.
    pub async fn revoke(&self, id: &str, reason: RevocationReason) -> Result<CertSummary> {
        let subject = crate::activity::Subject::request(id);
        let result: Result<CertSummary> = async {
            let mut cert = self.cert_record(id)?;
            cert.issued_here("revoke")?;
            let mut request = self.request_record(id)?;
            let current = &cert.current()?.version;
            if current.revoked.is_some() {
                return Err(Error::input(format!("certificate {id} is revoked already")));
            }
            let der = certinfo::split_chain(&current.certificate_pem)?.remove(0);
            let account_record =
                self.account_record(Some(cert.issuing_account(&request.info.account)))?;
            let account = self.acme_account(&account_record).await?;
            let der = rustls::pki_types::CertificateDer::from(der);
            let revocation = instant_acme::RevocationRequest {
                certificate: &der,
                reason: Some(reason.acme()),
            };
            acme::retry_bad_nonce(|| async {
                account
                    .revoke(&revocation)
                    .await
                    .map_err(|e| acme::error("revoking the certificate", e))
            })
            .await?;
            if let Some(v) = cert.versions.last_mut() {
                v.version.revoked = Some(Revocation {
                    reason,
                    at: OffsetDateTime::now_utc(),
                });
            }
            request.info.status = RequestStatus::Revoked;
            request.info.updated = OffsetDateTime::now_utc();
            let change = self.repository.put(Change::new(), &cert);
            self.store
                .commit(self.requests.put(change, &request))
                .await?;
            cert.summary(OffsetDateTime::now_utc())
        }
        .await;
        self.noted(crate::activity::Action::Revoke, subject, result)
            .await
    }

    /// Removes the entry and its request from this machine. The certificate stays valid at the
    /// CA until it expires (revoke it first if it must stop working).
    pub async fn delete_cert(&self, id: &str) -> Result<CertSummary> {
        let subject = crate::activity::Subject::request(id);
        let result: Result<CertSummary> = async {
            let cert = self.cert_record(id)?;
            let summary = cert.summary(OffsetDateTime::now_utc())?;
            self.store
                .commit(
                    self.requests
                        .delete(self.repository.delete(Change::new(), id), id),
                )
                .await?;
            Ok(summary)
        }
        .await;
        self.noted(crate::activity::Action::DeleteCertificate, subject, result)
            .await
    }
}

/// The export of a certificate whose key certdesk does not have: its certificates only.
fn certificates_only(id: &str, current: &CertVersion, format: ExportFormat) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Pem => {
            Ok(format!("{}{}", current.certificate_pem, current.chain_pem).into_bytes())
        }
        ExportFormat::Der => Ok(certinfo::split_chain(&current.certificate_pem)?.remove(0)),
        _ => Err(Error::input(format!(
            "certificate {id} was imported without its private key, so it exports only as pem \
             (its certificates) or der; import its file again with the key to export a {format}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::testing::{add_account, issue, recorded};

    fn in_days(days: i64) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::days(days)
    }

    /// An engine with account "le" and a request for `names` whose certificate, expiring at
    /// `not_after`, waits to be saved.
    async fn issued(names: &[&str], not_after: OffsetDateTime) -> (Engine, String) {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let id = recorded(&engine, names).await.id;
        issue(&engine, &id, not_after).await;
        (engine, id)
    }

    #[tokio::test]
    async fn a_saved_certificate_has_a_view_beside_its_record_until_it_is_deleted() {
        let (engine, id) = issued(&["www.example.com"], in_days(30)).await;
        engine.save(&id).await.unwrap();
        engine
            .store
            .write_raw("certificates", "broken", b"{not json");
        let [view] = engine.repository.views().unwrap().try_into().unwrap();
        let record = engine.cert_record(&id).unwrap();
        let current = &record.versions[0];
        assert_eq!(view.id, id);
        assert_eq!(view.info.names, ["www.example.com"]);
        assert_eq!(
            view.serials,
            std::slice::from_ref(&current.version.info.serial)
        );
        assert_eq!(view.issued_by.as_deref(), Some("le"));
        let der = certinfo::split_chain(&current.version.certificate_pem).unwrap();
        assert_eq!(view.ari_id, acme::ari::cert_id(&der[0]).unwrap());
        assert!(view.private_key);

        engine.delete_cert(&id).await.unwrap();
        assert!(engine.repository.views().unwrap().is_empty());
        assert!(engine.store.read_raw("certificate_views", &id).is_none());
        assert!(engine.store.read_raw("certificates", &id).is_none());
    }

    #[tokio::test]
    async fn a_saved_certificate_is_listed_with_its_request_marked_saved() {
        let (engine, id) = issued(&["www.example.com", "example.com"], in_days(90)).await;
        let summary = engine.save(&id).await.unwrap();
        assert_eq!(summary.id, id);
        assert_eq!(summary.info.names, ["www.example.com", "example.com"]);
        assert_eq!(summary.status, CertStatus::Valid);
        assert_eq!(summary.versions, 1);
        assert!(
            (89..=90).contains(&summary.days_left),
            "{}",
            summary.days_left
        );
        let listed: Vec<String> = engine.certs().unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(listed, std::slice::from_ref(&id));
        let request = engine.request(&id).unwrap();
        assert_eq!(request.status, RequestStatus::Saved);
        assert!(request.next_step.is_none());
        let record = engine.request_record(&id).unwrap();
        assert!(
            record.order_key.is_none() && record.issued_pem.is_none(),
            "the key and chain moved to the repository"
        );
        let [version] = engine.history(&id).unwrap().try_into().unwrap();
        let account = engine.account(Some("le")).unwrap();
        assert_eq!(
            version.issued_by,
            Some(IssuedBy {
                account: "le".into(),
                directory_url: account.directory_url,
            })
        );
    }

    #[tokio::test]
    async fn only_an_issued_certificate_is_saved() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let id = recorded(&engine, &["www.example.com"]).await.id;
        let e = engine.save(&id).await.unwrap_err();
        assert!(
            e.to_string().contains("no certificate waiting to be saved"),
            "{e}"
        );
        assert!(engine.certs().unwrap().is_empty());
        let e = engine.cert(&id).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotFound {
                    what: "certificate",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_renewal_adds_a_version_whose_key_and_certificate_are_exported() {
        let (engine, id) = issued(&["www.example.com"], in_days(30)).await;
        engine.save(&id).await.unwrap();
        let renewed_leaf = issue(&engine, &id, in_days(90)).await;
        let summary = engine.save(&id).await.unwrap();
        assert_eq!(summary.versions, 2);
        let [listed] = engine.certs().unwrap().try_into().unwrap();
        assert_eq!(
            (listed.versions, listed.info.serial),
            (2, summary.info.serial.clone()),
            "the view is of the new version"
        );
        assert_eq!(engine.request(&id).unwrap().status, RequestStatus::Renewed);
        let history = engine.history(&id).unwrap();
        assert!(
            history[0].info.not_after < history[1].info.not_after,
            "oldest first"
        );
        assert_eq!(
            summary.info.serial, history[1].info.serial,
            "the newest is current"
        );

        let pem = engine.export(&id, ExportFormat::Pem, None).await.unwrap();
        let pem = std::str::from_utf8(&pem).unwrap();
        assert!(pem.contains(renewed_leaf.trim()), "the current leaf: {pem}");
        let cert = engine.cert_record(&id).unwrap();
        let key = engine.needed_key(&cert).unwrap();
        assert!(
            crate::certinfo::check_key_matches(&history[1].certificate_pem, &key).is_ok(),
            "the renewal's key, sealed again at its version's place, opens there"
        );
        assert!(crate::certinfo::check_key_matches(&history[0].certificate_pem, &key).is_err());
    }

    #[tokio::test]
    async fn the_list_runs_by_expiry_and_says_which_expired() {
        let (engine, later) = issued(&["later.example.com"], in_days(60)).await;
        engine.save(&later).await.unwrap();
        let expired = recorded(&engine, &["expired.example.com"]).await.id;
        issue(&engine, &expired, in_days(-1)).await;
        engine.save(&expired).await.unwrap();
        let soon = recorded(&engine, &["soon.example.com"]).await.id;
        issue(&engine, &soon, in_days(5)).await;
        engine.save(&soon).await.unwrap();

        let listed: Vec<(String, CertStatus)> = engine
            .certs()
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.status))
            .collect();
        assert_eq!(
            listed,
            [
                (expired, CertStatus::Expired),
                (soon, CertStatus::Valid),
                (later, CertStatus::Valid),
            ]
        );
    }

    #[tokio::test]
    async fn deleting_a_certificate_forgets_its_request_too() {
        let (engine, id) = issued(&["www.example.com"], in_days(90)).await;
        engine.save(&id).await.unwrap();
        let deleted = engine.delete_cert(&id).await.unwrap();
        assert_eq!(deleted.id, id);
        assert!(engine.certs().unwrap().is_empty());
        assert!(engine.requests().unwrap().is_empty());
        assert!(matches!(
            engine.history(&id).unwrap_err(),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            engine.delete_cert(&id).await.unwrap_err(),
            Error::NotFound { .. }
        ));
    }

    #[tokio::test]
    async fn a_keystore_export_needs_a_password() {
        let (engine, id) = issued(&["www.example.com"], in_days(90)).await;
        engine.save(&id).await.unwrap();
        let e = engine
            .export(&id, ExportFormat::Pkcs12, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("needs a password"), "{e}");
        let p12 = engine
            .export(&id, ExportFormat::Pkcs12, Some("s3cret pass"))
            .await
            .unwrap();
        assert!(!p12.is_empty());
    }

    #[tokio::test]
    async fn a_certificate_is_revoked_only_once() {
        let (engine, id) = issued(&["www.example.com"], in_days(90)).await;
        engine.save(&id).await.unwrap();
        let mut cert = engine.cert_record(&id).unwrap();
        cert.versions[0].version.revoked = Some(Revocation {
            reason: RevocationReason::KeyCompromise,
            at: OffsetDateTime::now_utc(),
        });
        let change = engine.repository.put(Change::new(), &cert);
        engine.store.commit(change).await.unwrap();
        assert_eq!(engine.cert(&id).unwrap().status, CertStatus::Revoked);
        assert_eq!(engine.certs().unwrap()[0].status, CertStatus::Revoked);
        let e = engine
            .revoke(&id, RevocationReason::Superseded)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is revoked already"), "{e}");
    }

    #[test]
    fn revocation_reasons_read_in_both_spellings() {
        for (text, reason) in [
            ("keyCompromise", RevocationReason::KeyCompromise),
            ("key-compromise", RevocationReason::KeyCompromise),
            (
                "cessation-of-operation",
                RevocationReason::CessationOfOperation,
            ),
            ("unspecified", RevocationReason::Unspecified),
        ] {
            assert_eq!(text.parse::<RevocationReason>().unwrap(), reason, "{text}");
        }
        let e = "compromised".parse::<RevocationReason>().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Input);
    }
}
