//! Writing an issued certificate in the forms servers and tools read: PEM, DER, PKCS#12 and Java
//! KeyStore. Each format is one file implementing [`Keystore`]; [`keystore_for`] is the list
//! that maps an [`ExportFormat`] to it, so a new format is a new file, a variant and a line there.
//! Reading a certificate file an administrator brings to track is [`import`], over the readers of
//! the same formats' files.

pub mod import;
mod jks;
mod pem;
mod pkcs12;

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{Error, Result};
use crate::keys::{parse_choice, PrivateKey};

/// An issued certificate with everything needed to install it.
#[derive(Debug, Clone)]
pub struct CertBundle {
    /// The leaf certificate, one PEM block.
    pub certificate_pem: String,
    /// The issuers, leaf's issuer first; any number of PEM blocks, possibly none.
    pub chain_pem: String,
    pub key: PrivateKey,
    /// The entry's name in PKCS#12 (friendly name) and JKS (alias) keystores.
    pub alias: String,
}

impl CertBundle {
    /// The leaf and then its issuers as DER, once each has parsed as X.509 and the leaf has been
    /// found to belong to the key: a keystore pairing a key with someone else's certificate
    /// would only fail later, on the server.
    pub(crate) fn certificates_der(&self) -> Result<Vec<Vec<u8>>> {
        let mut certificates = pem_certificates(&self.certificate_pem, "certificate")?;
        if certificates.len() != 1 {
            return Err(Error::input(format!(
                "the certificate must be one PEM certificate, not {}",
                certificates.len()
            )));
        }
        let (_, leaf) = X509Certificate::from_der(&certificates[0])
            .map_err(|e| Error::input(format!("the certificate is not valid X.509: {e}")))?;
        let key_der = self.key.public_key_der()?;
        let (_, key) = SubjectPublicKeyInfo::from_der(&key_der)
            .map_err(|e| crate::keys::unexpected("could not read the public key", e))?;
        if leaf.public_key().subject_public_key.data != key.subject_public_key.data {
            return Err(Error::input(
                "the certificate does not belong to the private key",
            ));
        }
        certificates.extend(pem_certificates(&self.chain_pem, "chain")?);
        Ok(certificates)
    }

    /// The alias, which keystores need to be non-blank.
    pub(crate) fn checked_alias(&self) -> Result<&str> {
        let alias = self.alias.trim();
        if alias.is_empty() {
            return Err(Error::input("the keystore alias is empty: name the entry"));
        }
        Ok(alias)
    }
}

/// The DER of every PEM block in `text`, each of which must be a certificate that parses.
fn pem_certificates(text: &str, what: &str) -> Result<Vec<Vec<u8>>> {
    let blocks = ::pem::parse_many(text)
        .map_err(|e| Error::input(format!("the {what} is not valid PEM: {e}")))?;
    blocks
        .into_iter()
        .map(|block| {
            if block.tag() != "CERTIFICATE" {
                return Err(Error::input(format!(
                    "the {what} holds a {} where a CERTIFICATE belongs",
                    block.tag()
                )));
            }
            X509Certificate::from_der(block.contents())
                .map_err(|e| Error::input(format!("the {what} is not valid X.509: {e}")))?;
            Ok(block.into_contents())
        })
        .collect()
}

/// The forms a certificate can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExportFormat {
    /// Leaf, chain and key in one PEM file.
    Pem,
    /// The private key alone, as PKCS#8 PEM.
    Key,
    /// The leaf certificate alone, as DER.
    Der,
    /// A password-protected PKCS#12 (.p12/.pfx) keystore.
    Pkcs12,
    /// A password-protected Java KeyStore.
    Jks,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [Self::Pem, Self::Key, Self::Der, Self::Pkcs12, Self::Jks];

    /// The id used in settings, on the command line and in serialized data.
    pub fn id(self) -> &'static str {
        match self {
            Self::Pem => "pem",
            Self::Key => "key",
            Self::Der => "der",
            Self::Pkcs12 => "pkcs12",
            Self::Jks => "jks",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        keystore_for(self).label()
    }

    /// Whether the file is encrypted, so that writing it takes a password.
    pub fn needs_password(self) -> bool {
        keystore_for(self).needs_password()
    }

    /// The usual file name extension, without the dot.
    pub fn file_extension(self) -> &'static str {
        keystore_for(self).file_extension()
    }

    /// The file's bytes; see [`Keystore::write`].
    pub fn write(self, bundle: &CertBundle, password: Option<&str>) -> Result<Vec<u8>> {
        keystore_for(self).write(bundle, password)
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ExportFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_choice("export format", s, &Self::ALL)
    }
}

/// The keystore a certificate request asks for; it decides the file certdesk keeps current. Its
/// ids are those of its export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum KeystoreType {
    Pem,
    Pkcs12,
    Jks,
}

impl KeystoreType {
    pub const ALL: [KeystoreType; 3] = [Self::Pem, Self::Pkcs12, Self::Jks];

    pub fn export_format(self) -> ExportFormat {
        match self {
            Self::Pem => ExportFormat::Pem,
            Self::Pkcs12 => ExportFormat::Pkcs12,
            Self::Jks => ExportFormat::Jks,
        }
    }
}

impl fmt::Display for KeystoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.export_format().fmt(f)
    }
}

impl FromStr for KeystoreType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_choice("keystore type", s, &Self::ALL)
    }
}

/// One export format's writer.
pub trait Keystore: Sync {
    /// The name shown to people.
    fn label(&self) -> &'static str;

    /// The usual file name extension, without the dot.
    fn file_extension(&self) -> &'static str;

    /// Whether the file is encrypted with a password.
    fn needs_password(&self) -> bool;

    /// The file's bytes, given a password already validated when [`Self::needs_password`] and
    /// empty otherwise.
    fn encode(&self, bundle: &CertBundle, password: &str) -> Result<Vec<u8>>;

    /// The file's bytes. A password must be given exactly when the format is encrypted: one
    /// passed to an unencrypted format is refused rather than silently ignored, so nobody
    /// believes a plain PEM file is protected.
    fn write(&self, bundle: &CertBundle, password: Option<&str>) -> Result<Vec<u8>> {
        match (self.needs_password(), password) {
            (true, None) => Err(Error::input(format!("a {} needs a password", self.label()))),
            (true, Some(password)) => {
                validate_password(password)?;
                self.encode(bundle, password)
            }
            (false, None) => self.encode(bundle, ""),
            (false, Some(_)) => Err(Error::input(format!(
                "a {} is not encrypted: leave the password out, or export as pkcs12 or jks",
                self.label()
            ))),
        }
    }
}

/// The writer of each format: the one list to extend with a new format.
pub fn keystore_for(format: ExportFormat) -> &'static dyn Keystore {
    match format {
        ExportFormat::Pem => &pem::FullChain,
        ExportFormat::Key => &pem::KeyOnly,
        ExportFormat::Der => &pem::LeafDer,
        ExportFormat::Pkcs12 => &pkcs12::Pkcs12,
        ExportFormat::Jks => &jks::Jks,
    }
}

/// Refuses a keystore password that some tool would refuse or read differently.
pub fn validate_password(password: &str) -> Result<()> {
    const MIN: usize = 6;
    if password.is_empty() {
        return Err(Error::input("the keystore password is empty: choose one"));
    }
    if !password.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return Err(Error::input(
            "the keystore password may only hold printable ASCII characters \
             (letters, digits, punctuation, spaces): Java, OpenSSL and the JKS format \
             encode other characters differently",
        ));
    }
    if password.len() < MIN {
        return Err(Error::input(format!(
            "the keystore password is too short: use at least {MIN} characters \
             (keytool refuses shorter ones)"
        )));
    }
    if password.trim() != password {
        return Err(Error::input(
            "the keystore password starts or ends with a space: forms and scripts often \
             drop those, so the file would not open",
        ));
    }
    Ok(())
}

/// Writes `bytes` to `path`, creating or truncating it, readable by the owner only.
///
/// On Unix a new file is created with mode 0600, so there is no moment when the key is readable
/// by others; an existing file is narrowed to 0600 through the open handle before anything is
/// written to it.
pub fn write_file_0600(path: &Path, bytes: &[u8]) -> Result<()> {
    let failed = |e| Error::file(path, e);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = file.metadata().map_err(failed)?.permissions();
        if permissions.mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?;
        }
    }
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// A throwaway CA and a leaf it issued for each test key, shared by the format tests.
#[cfg(test)]
pub(crate) mod testing {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    use super::CertBundle;
    use crate::keys::{testing::key, KeyAlgorithm};

    pub(crate) const ALIAS: &str = "www.example.com";
    pub(crate) const PASSWORD: &str = "s3cret pass";

    pub(crate) fn bundle(algorithm: KeyAlgorithm) -> CertBundle {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "certdesk test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca_certificate = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let key = key(algorithm);
        let mut leaf = CertificateParams::new(vec![ALIAS.to_string()]).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, ALIAS);
        let leaf_key = KeyPair::try_from(key.pkcs8_der()).unwrap();
        let leaf_certificate = leaf.signed_by(&leaf_key, &issuer).unwrap();
        CertBundle {
            certificate_pem: leaf_certificate.pem(),
            chain_pem: ca_certificate.pem(),
            key,
            alias: ALIAS.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::testing::{bundle, PASSWORD};
    use super::*;
    use crate::keys::testing::key;
    use crate::keys::KeyAlgorithm;

    #[test]
    fn ids_round_trip_through_display_from_str_and_serde() {
        for format in ExportFormat::ALL {
            let id = format.to_string();
            assert_eq!(id.parse::<ExportFormat>().unwrap(), format);
            assert_eq!(serde_json::to_string(&format).unwrap(), format!("\"{id}\""));
        }
        for kind in KeystoreType::ALL {
            let id = kind.to_string();
            assert_eq!(id.parse::<KeystoreType>().unwrap(), kind);
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{id}\""));
        }
        let ids: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.id()).collect();
        assert_eq!(ids, ["pem", "key", "der", "pkcs12", "jks"]);
        let err = "p12".parse::<KeystoreType>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown keystore type \"p12\": choose one of pem, pkcs12, jks"
        );
        assert_eq!(KeystoreType::Jks.export_format(), ExportFormat::Jks);
    }

    #[test]
    fn only_keystores_take_a_password() {
        let needing: Vec<ExportFormat> = ExportFormat::ALL
            .into_iter()
            .filter(|f| f.needs_password())
            .collect();
        assert_eq!(needing, [ExportFormat::Pkcs12, ExportFormat::Jks]);
        let extensions: Vec<&str> = ExportFormat::ALL
            .iter()
            .map(|f| f.file_extension())
            .collect();
        assert_eq!(extensions, ["pem", "key", "der", "p12", "jks"]);

        let bundle = bundle(KeyAlgorithm::EcP256);
        let err = ExportFormat::Pkcs12.write(&bundle, None).unwrap_err();
        assert_eq!(err.to_string(), "a PKCS#12 keystore needs a password");
        let err = ExportFormat::Jks.write(&bundle, Some("")).unwrap_err();
        assert!(err.to_string().contains("password is empty"), "{err}");
        let err = ExportFormat::Pem
            .write(&bundle, Some(PASSWORD))
            .unwrap_err();
        assert!(err.to_string().contains("is not encrypted"), "{err}");
    }

    #[test]
    fn passwords_every_tool_accepts() {
        validate_password("123456").unwrap();
        validate_password(PASSWORD).unwrap();
        validate_password("!#$%&'()*+,-./:;<=>?@[]^_`{|}~").unwrap();
        let refused = [
            ("", "empty"),
            ("12345", "too short: use at least 6 characters"),
            (" secret", "starts or ends with a space"),
            ("secret ", "starts or ends with a space"),
            ("sécret-pass", "printable ASCII"),
            ("secret\tpass", "printable ASCII"),
        ];
        for (password, message) in refused {
            let err = validate_password(password).unwrap_err();
            assert!(err.to_string().contains(message), "{password:?}: {err}");
            assert!(matches!(err, Error::Input(_)));
        }
    }

    #[test]
    fn refuses_a_certificate_that_is_not_the_keys() {
        let mut mismatched = bundle(KeyAlgorithm::EcP256);
        mismatched.key = key(KeyAlgorithm::EcP384);
        for format in [ExportFormat::Pem, ExportFormat::Der, ExportFormat::Pkcs12] {
            let password = format.needs_password().then_some(PASSWORD);
            let err = format.write(&mismatched, password).unwrap_err();
            assert_eq!(
                err.to_string(),
                "the certificate does not belong to the private key"
            );
        }
    }

    #[test]
    fn refuses_certificates_that_are_not_pem_certificates() {
        let good = bundle(KeyAlgorithm::EcP256);
        let mut two_leaves = good.clone();
        two_leaves.certificate_pem = format!("{}{}", good.certificate_pem, good.chain_pem);
        let mut key_in_chain = good.clone();
        key_in_chain.chain_pem = good.key.to_pem();
        let mut garbage = good.clone();
        garbage.chain_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into();
        let cases = [
            (
                two_leaves,
                "the certificate must be one PEM certificate, not 2",
            ),
            (
                key_in_chain,
                "the chain holds a PRIVATE KEY where a CERTIFICATE belongs",
            ),
            (garbage, "the chain is not valid X.509"),
        ];
        for (bundle, message) in cases {
            let err = bundle.certificates_der().unwrap_err();
            assert!(err.to_string().starts_with(message), "{err}");
        }
        let mut no_chain = good.clone();
        no_chain.chain_pem.clear();
        assert_eq!(no_chain.certificates_der().unwrap().len(), 1);
        let mut blank_alias = good;
        blank_alias.alias = "  ".into();
        let err = ExportFormat::Jks
            .write(&blank_alias, Some(PASSWORD))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the keystore alias is empty: name the entry"
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_written_for_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.key");
        write_file_0600(&path, b"first, longer content").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first, longer content");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_file_0600(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let err = write_file_0600(&dir.path().join("missing/site.key"), b"x").unwrap_err();
        assert!(matches!(err, Error::File { .. }));
        assert!(err.to_string().contains("missing/site.key"), "{err}");
    }
}
