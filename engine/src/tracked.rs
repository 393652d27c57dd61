//! Tracked certificates: certificates certdesk did not issue, imported from a file (PEM, DER,
//! PKCS#12, JKS; [`crate::keystore::import`] reads and checks it) so that they are listed,
//! noticed before they expire and exported beside certdesk's own. A key in the file is sealed as
//! an issued certificate's is. The renewal scheduler only reminds about them.

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::activity::{Action, Staged, Subject};
use crate::certinfo::{self, CertInfo};
use crate::error::{Error, Result};
use crate::keys::KeyAlgorithm;
use crate::keystore::import;
use crate::repository::{CertRecord, CertSummary, CertVersion, Origin, Tracked};
use crate::store::Change;
use crate::Engine;

/// The longest label (`--name`) a tracked certificate takes.
const MAX_LABEL: usize = 64;

impl Engine {
    /// Imports the certificate file at `path` (a PKCS#12 or JKS file with `password`) as a new
    /// tracked certificate named `label`: its record and its sealed key are one transaction with
    /// the activity entry, so a refused file leaves nothing behind.
    pub async fn import_cert(
        &self,
        path: &std::path::Path,
        password: Option<&str>,
        label: Option<&str>,
    ) -> Result<CertSummary> {
        let subject = Subject::default().target(&path.display().to_string());
        let staged: Staged<CertSummary> = self.staged_import(path, password, label).into();
        self.commit_noted(Action::ImportCertificate, subject, staged)
            .await
    }

    fn staged_import(
        &self,
        path: &std::path::Path,
        password: Option<&str>,
        label: Option<&str>,
    ) -> Result<(Change, CertSummary)> {
        let label = label.map(checked_label).transpose()?;
        let file = import::read_file(path, password)?;
        let now = OffsetDateTime::now_utc();
        let info = CertInfo::from_der(&file.leaf)
            .map_err(|_| Error::input("the certificate in the file does not parse"))?;
        let version = CertVersion {
            info,
            certificate_pem: certinfo::to_pem(&file.leaf),
            chain_pem: file.chain.iter().map(|d| certinfo::to_pem(d)).collect(),
            saved: now,
            revoked: None,
            issued_by: None,
        };
        let id = self.unused_id()?;
        let mut cert = CertRecord {
            id,
            origin: Origin::Tracked(Tracked {
                label,
                file: path.display().to_string(),
                format: file.format,
                imported: now,
            }),
            versions: Vec::new(),
        };
        let key = file.key.as_ref().map(|k| k.pkcs8_der());
        self.repository.push(&mut cert, version, key);
        let summary = cert.summary(now)?;
        Ok((self.repository.put(Change::new(), &cert), summary))
    }

    /// A new id that is neither a certificate's nor a request's: a tracked certificate's id names
    /// it in the same commands as an issued one's.
    fn unused_id(&self) -> Result<String> {
        loop {
            let id = crate::ids::random_hex(6);
            if !self.repository.has(&id)? && self.requests.view(&id)?.is_none() {
                return Ok(id);
            }
        }
    }
}

/// The key a replacement proposes when the tracked certificate's is not one certdesk issues for.
const DEFAULT_KEY: KeyAlgorithm = KeyAlgorithm::EcP256;

/// What a request that replaces a tracked certificate with one from an ACME CA starts from: the
/// certificate's names and key type, for the faces to fill their request form with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Replacement {
    /// The DNS names and IP addresses of its SANs, then its common name when not among them.
    pub names: Vec<String>,
    pub key: KeyAlgorithm,
    /// Why `key` is not the certificate's own (a key type certdesk does not issue for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Engine {
    /// The request form that replaces tracked certificate `id`: its names and key type. An
    /// issued certificate is refused: certdesk renews it through its own request.
    pub fn replacement(&self, id: &str) -> Result<Replacement> {
        let cert = self.cert_record(id)?;
        if !cert.origin.is_tracked() {
            return Err(Error::input(format!(
                "certificate {id} was issued by certdesk: renew it instead \
                 (certdesk cert renew {id}); only a tracked certificate is replaced with ACME"
            )));
        }
        let version = self
            .history(id)?
            .pop()
            .ok_or_else(|| Error::input(format!("certificate {id} has no version")))?;
        let der = certinfo::split_chain(&version.certificate_pem)?.remove(0);
        let (_, leaf) = X509Certificate::from_der(&der)
            .map_err(|_| Error::input(format!("certificate {id} does not parse")))?;
        let mut names = crate::endpoints::findings::alt_names(&leaf);
        let cn = leaf
            .subject()
            .iter_common_name()
            .find_map(|cn| cn.as_str().ok())
            .map(str::to_ascii_lowercase);
        if let Some(cn) = cn.filter(|cn| looks_like_a_name(cn) && !names.contains(cn)) {
            names.push(cn);
        }
        let own = KeyAlgorithm::ALL
            .into_iter()
            .find(|k| k.label() == version.info.key_type);
        Ok(Replacement {
            names,
            key: own.unwrap_or(DEFAULT_KEY),
            note: own.is_none().then(|| {
                format!(
                    "its key ({}) is not one certdesk issues for; {} is proposed instead",
                    version.info.key_type,
                    DEFAULT_KEY.label()
                )
            }),
        })
    }
}

/// A common name that can be asked for (a host name or an address), not a person's or an
/// organisation's name, which some certificates carry there.
fn looks_like_a_name(cn: &str) -> bool {
    cn.parse::<std::net::IpAddr>().is_ok()
        || (cn.contains('.') && !cn.contains(char::is_whitespace))
}

/// A label as the administrator gave it, trimmed: short, one line.
fn checked_label(label: &str) -> Result<String> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL || label.chars().any(char::is_control)
    {
        return Err(Error::input(format!(
            "the name {label:?} is not valid: use 1 to {MAX_LABEL} characters on one line"
        )));
    }
    Ok(label.to_owned())
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::activity::{Filter, Outcome};
    use crate::keys::PrivateKey;
    use crate::renewal::Action as Renewal;
    use crate::repository::RevocationReason;

    /// A PEM file in `dir` of a chain for `name` expiring in `days`, with its key when `key`.
    fn pem_file(dir: &std::path::Path, name: &str, days: i64, key: bool) -> std::path::PathBuf {
        let private = PrivateKey::generate(KeyAlgorithm::EcP256).expect("a key");
        let not_after = OffsetDateTime::now_utc() + Duration::days(days);
        let (_, chain) = crate::testing::chain(&[name.to_owned()], not_after, &private);
        let path = dir.join(format!("{name}.pem"));
        let text = match key {
            true => format!("{chain}{}", private.to_pem()),
            false => chain,
        };
        std::fs::write(&path, text).expect("the file");
        path
    }

    fn logged(engine: &Engine) -> Vec<(Action, bool)> {
        let read = engine.activity.read(&Filter::default()).expect("the log");
        read.entries
            .into_iter()
            .map(|e| (e.action, matches!(e.outcome, Outcome::Ok { .. })))
            .collect()
    }

    #[tokio::test]
    async fn an_imported_file_is_tracked_with_its_key_sealed_and_logged() {
        let engine = Engine::in_memory().await;
        let dir = tempfile::tempdir().unwrap();
        let path = pem_file(dir.path(), "tracked.example.com", 60, true);
        let summary = engine
            .import_cert(&path, None, Some("  Load balancer "))
            .await
            .unwrap();
        let Origin::Tracked(tracked) = &summary.origin else {
            panic!("{summary:?}");
        };
        assert_eq!(tracked.label.as_deref(), Some("Load balancer"));
        assert_eq!(tracked.format, import::ImportFormat::Pem);
        assert!(summary.private_key);
        assert_eq!(summary.info.names, ["tracked.example.com"]);
        assert_eq!(engine.certs().unwrap().len(), 1);
        let cert = engine.cert_record(&summary.id).unwrap();
        let key = engine.needed_key(&cert).unwrap();
        let version = &engine.history(&summary.id).unwrap()[0];
        certinfo::check_key_matches(&version.certificate_pem, &key).unwrap();
        assert_eq!(version.chain_pem.matches("BEGIN CERTIFICATE").count(), 1);
        assert_eq!(logged(&engine), [(Action::ImportCertificate, true)]);

        let e = engine
            .revoke(&summary.id, RevocationReason::Unspecified)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("is tracked: certdesk did not issue it"),
            "{e}"
        );
        let e = engine
            .renew(&summary.id, Default::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("cannot renew it"), "{e}");

        engine.delete_cert(&summary.id).await.unwrap();
        assert!(engine.certs().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_replacement_has_the_tracked_certificates_names_and_key() {
        let engine = Engine::in_memory().await;
        let dir = tempfile::tempdir().unwrap();
        let path = pem_file(dir.path(), "replaced.example.com", 60, false);
        let summary = engine.import_cert(&path, None, None).await.unwrap();
        let replacement = engine.replacement(&summary.id).unwrap();
        assert_eq!(
            replacement,
            Replacement {
                names: vec!["replaced.example.com".into()],
                key: KeyAlgorithm::EcP256,
                note: None,
            }
        );
        assert!(!looks_like_a_name("Example Corp Server"));
        assert!(looks_like_a_name("192.0.2.7") && looks_like_a_name("a.example.com"));
    }

    #[tokio::test]
    async fn a_refused_file_leaves_nothing_but_its_log_entry() {
        let engine = Engine::in_memory().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.pem");
        std::fs::write(
            &path,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let e = engine.import_cert(&path, None, None).await.unwrap_err();
        assert!(e.to_string().contains("PUBLIC KEY block"), "{e}");
        let good = pem_file(dir.path(), "good.example.com", 60, false);
        let e = engine
            .import_cert(&good, None, Some("two\nlines"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("on one line"), "{e}");
        assert!(engine.certs().unwrap().is_empty());
        assert_eq!(
            logged(&engine),
            [
                (Action::ImportCertificate, false),
                (Action::ImportCertificate, false)
            ]
        );
    }

    #[tokio::test]
    async fn a_tracked_certificate_is_reminded_of_before_it_expires_never_renewed() {
        let engine = Engine::in_memory().await;
        let dir = tempfile::tempdir().unwrap();
        let path = pem_file(dir.path(), "soon.example.com", 5, false);
        let summary = engine.import_cert(&path, None, None).await.unwrap();
        assert!(!summary.private_key);
        let now = OffsetDateTime::now_utc();
        let [plan] = engine.renewal_plans(now).unwrap().try_into().unwrap();
        assert_eq!(plan.id, summary.id);
        assert!(!plan.automated && plan.due(now), "{plan:?}");
        let pass = engine.renew_due_once(now).await.unwrap();
        let actions: Vec<(&str, Renewal)> = pass
            .outcomes
            .iter()
            .map(|o| (o.id.as_str(), o.action))
            .collect();
        assert_eq!(actions, [(summary.id.as_str(), Renewal::Reminder)]);
        let again = engine.renew_due_once(now).await.unwrap();
        assert!(again.outcomes.is_empty(), "reminded once: {again:?}");

        let e = engine
            .export(
                &summary.id,
                crate::keystore::ExportFormat::Pkcs12,
                Some("s3cret pass"),
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("without its private key"), "{e}");
        let pem = engine
            .export(&summary.id, crate::keystore::ExportFormat::Pem, None)
            .await
            .unwrap();
        assert_eq!(pem.windows(5).filter(|w| w == b"BEGIN").count(), 2);
    }
}
