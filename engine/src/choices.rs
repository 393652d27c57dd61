//! The closed sets a form offers (key algorithms, signatures, keystores, export formats,
//! challenge types, key policies, revocation reasons, well-known CAs), with the ids the engine
//! parses and the labels people read. The window draws its selects from this, so a new key type
//! or format appears in every face at once.

use serde::Serialize;

use crate::acme::directory::{Ca, LETS_ENCRYPT, LETS_ENCRYPT_STAGING};
use crate::keys::{KeyAlgorithm, SignatureAlgorithm};
use crate::keystore::{ExportFormat, KeystoreType};
use crate::names::{CaScope, ChallengeType, MAX_NAMES};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Choice {
    pub id: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KeyChoice {
    pub id: &'static str,
    pub label: &'static str,
    /// The signature ids this key can sign with; the first is the default.
    pub signatures: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct FormatChoice {
    pub id: &'static str,
    pub label: &'static str,
    pub extension: &'static str,
    pub needs_password: bool,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct CaChoice {
    /// `lets_encrypt`, `lets_encrypt_staging` or `directory` (a URL the user gives).
    pub kind: &'static str,
    pub label: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Choices {
    pub keys: Vec<KeyChoice>,
    pub signatures: Vec<Choice>,
    pub keystores: Vec<FormatChoice>,
    pub export_formats: Vec<FormatChoice>,
    pub challenges: Vec<Choice>,
    pub key_policies: Vec<Choice>,
    pub revocation_reasons: Vec<Choice>,
    pub cas: Vec<CaChoice>,
    pub max_names: usize,
}

fn format_choice(f: ExportFormat) -> FormatChoice {
    FormatChoice {
        id: f.id(),
        label: f.label(),
        extension: f.file_extension(),
        needs_password: f.needs_password(),
    }
}

pub fn choices() -> Choices {
    Choices {
        keys: KeyAlgorithm::ALL
            .iter()
            .map(|k| KeyChoice {
                id: k.id(),
                label: k.label(),
                signatures: k.signatures().iter().map(|s| s.id()).collect(),
            })
            .collect(),
        signatures: SignatureAlgorithm::ALL
            .iter()
            .map(|s| Choice {
                id: s.id(),
                label: s.label(),
            })
            .collect(),
        keystores: KeystoreType::ALL
            .iter()
            .map(|k| format_choice(k.export_format()))
            .collect(),
        export_formats: ExportFormat::ALL
            .iter()
            .copied()
            .map(format_choice)
            .collect(),
        challenges: ChallengeType::ALL
            .iter()
            .map(|c| Choice {
                id: c.as_str(),
                label: match c {
                    ChallengeType::Http01 => "HTTP (http-01): a file on each name's web server",
                    ChallengeType::Dns01 => "DNS (dns-01): a TXT record per name; wildcards",
                    ChallengeType::TlsAlpn01 => {
                        "TLS (tls-alpn-01): a certificate served on port 443 of each name"
                    }
                    ChallengeType::DnsAccount01 => {
                        "DNS (dns-account-01): a TXT record per name at this account's own label"
                    }
                    ChallengeType::DnsPersist01 => {
                        "DNS (dns-persist-01): one standing TXT record per name, no change per order"
                    }
                },
            })
            .collect(),
        key_policies: vec![
            Choice {
                id: "new",
                label: "New key at every renewal",
            },
            Choice {
                id: "same",
                label: "Same key at every renewal",
            },
            Choice {
                id: "import",
                label: "Import a key",
            },
        ],
        revocation_reasons: vec![
            Choice {
                id: "unspecified",
                label: "Unspecified",
            },
            Choice {
                id: "keyCompromise",
                label: "Key compromise",
            },
            Choice {
                id: "superseded",
                label: "Superseded",
            },
            Choice {
                id: "cessationOfOperation",
                label: "Cessation of operation",
            },
            Choice {
                id: "affiliationChanged",
                label: "Affiliation changed",
            },
        ],
        cas: vec![
            CaChoice {
                kind: "lets_encrypt",
                label: "Let's Encrypt (production)",
                url: Some(LETS_ENCRYPT),
            },
            CaChoice {
                kind: "lets_encrypt_staging",
                label: "Let's Encrypt (staging, test certificates)",
                url: Some(LETS_ENCRYPT_STAGING),
            },
            CaChoice {
                kind: "directory",
                label: "Another ACME CA (directory URL)",
                url: None,
            },
        ],
        max_names: MAX_NAMES,
    }
}

/// The directories of the well-known public CAs besides Let's Encrypt: ZeroSSL, Google Trust
/// Services, Buypass and SSL.com. They follow the Baseline Requirements, as Let's Encrypt does.
const PUBLIC_DIRECTORIES: &[&str] = &[
    "https://acme.zerossl.com/v2/DV90",
    "https://dv.acme-v02.api.pki.goog/directory",
    "https://dv.acme-v02.test-api.pki.goog/directory",
    "https://api.buypass.com/acme/directory",
    "https://api.test4.buypass.no/acme/directory",
    "https://acme.ssl.com/sslcom-dv-rsa",
    "https://acme.ssl.com/sslcom-dv-ecc",
];

/// Whether `ca` is a public CA, which issues only for public names and addresses, or a private
/// one (any other directory: step-ca, an internal PKI), which also issues for internal ones.
pub fn name_scope(ca: &Ca) -> CaScope {
    match ca {
        Ca::LetsEncrypt | Ca::LetsEncryptStaging => CaScope::Public,
        Ca::Directory(url) => {
            let url = url.trim_end_matches('/');
            match PUBLIC_DIRECTORIES
                .iter()
                .any(|d| d.eq_ignore_ascii_case(url))
            {
                true => CaScope::Public,
                false => CaScope::Private,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id offered must be one the engine parses back, or a form would send what the
    /// engine refuses.
    #[test]
    fn every_offered_id_parses() {
        let c = choices();
        for k in &c.keys {
            assert!(k.id.parse::<KeyAlgorithm>().is_ok(), "{}", k.id);
        }
        for s in &c.signatures {
            assert!(s.id.parse::<SignatureAlgorithm>().is_ok(), "{}", s.id);
        }
        for k in &c.keystores {
            assert!(k.id.parse::<KeystoreType>().is_ok(), "{}", k.id);
        }
        for f in &c.export_formats {
            assert!(f.id.parse::<ExportFormat>().is_ok(), "{}", f.id);
        }
        for ch in &c.challenges {
            assert!(ch.id.parse::<ChallengeType>().is_ok(), "{}", ch.id);
        }
        for p in &c.key_policies {
            assert!(
                p.id.parse::<crate::request::KeyPolicy>().is_ok(),
                "{}",
                p.id
            );
        }
        for r in &c.revocation_reasons {
            assert!(
                r.id.parse::<crate::repository::RevocationReason>().is_ok(),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn only_the_well_known_public_cas_hold_names_to_the_public_rule() {
        assert_eq!(name_scope(&Ca::LetsEncrypt), CaScope::Public);
        assert_eq!(name_scope(&Ca::LetsEncryptStaging), CaScope::Public);
        let zerossl = Ca::Directory("https://acme.zerossl.com/v2/DV90/".into());
        assert_eq!(name_scope(&zerossl), CaScope::Public);
        let step_ca = Ca::Directory("https://ca.internal:9000/acme/acme/directory".into());
        assert_eq!(name_scope(&step_ca), CaScope::Private);
    }
}
