//! The unencrypted formats: the full-chain PEM bundle, the key alone and the leaf alone as DER.

use super::{CertBundle, Keystore};
use crate::error::Result;
use crate::keys::pem_config;

/// Leaf, issuers and key in one PEM file, the order nginx, HAProxy and most servers take.
pub(super) struct FullChain;

impl Keystore for FullChain {
    fn label(&self) -> &'static str {
        "PEM bundle"
    }

    fn file_extension(&self) -> &'static str {
        "pem"
    }

    fn needs_password(&self) -> bool {
        false
    }

    /// The certificates are re-encoded from their DER, so stray text and line endings from the
    /// CA do not reach the file.
    fn encode(&self, bundle: &CertBundle, _password: &str) -> Result<Vec<u8>> {
        let certificates: Vec<::pem::Pem> = bundle
            .certificates_der()?
            .into_iter()
            .map(|der| ::pem::Pem::new("CERTIFICATE", der))
            .collect();
        let mut text = ::pem::encode_many_config(&certificates, pem_config());
        text.push_str(&bundle.key.to_pem());
        Ok(text.into_bytes())
    }
}

/// The private key alone, as PKCS#8 PEM.
pub(super) struct KeyOnly;

impl Keystore for KeyOnly {
    fn label(&self) -> &'static str {
        "PEM private key"
    }

    fn file_extension(&self) -> &'static str {
        "key"
    }

    fn needs_password(&self) -> bool {
        false
    }

    fn encode(&self, bundle: &CertBundle, _password: &str) -> Result<Vec<u8>> {
        Ok(bundle.key.to_pem().into_bytes())
    }
}

/// The leaf certificate alone, as DER, for Windows and appliances that import .der/.cer files.
pub(super) struct LeafDer;

impl Keystore for LeafDer {
    fn label(&self) -> &'static str {
        "DER certificate"
    }

    fn file_extension(&self) -> &'static str {
        "der"
    }

    fn needs_password(&self) -> bool {
        false
    }

    fn encode(&self, bundle: &CertBundle, _password: &str) -> Result<Vec<u8>> {
        let mut certificates = bundle.certificates_der()?;
        Ok(certificates.swap_remove(0))
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::keys::testing::openssl;
    use crate::keys::KeyAlgorithm;
    use crate::keystore::testing::bundle;
    use crate::keystore::ExportFormat;

    #[test]
    fn the_bundle_holds_the_chain_and_the_matching_key() {
        let dir = tempfile::tempdir().unwrap();
        for algorithm in KeyAlgorithm::ALL {
            let bundle = bundle(algorithm);
            let path = dir.path().join(format!("{algorithm}.pem"));
            fs::write(&path, ExportFormat::Pem.write(&bundle, None).unwrap()).unwrap();
            let text = fs::read_to_string(&path).unwrap();
            assert_eq!(text.matches("-----BEGIN CERTIFICATE-----").count(), 2);
            assert!(text.ends_with("-----END PRIVATE KEY-----\n"), "{text}");

            let from_certificate = openssl(&["x509", "-noout", "-pubkey", "-in"], &path);
            let from_key = openssl(&["pkey", "-pubout", "-in"], &path);
            assert_eq!(from_certificate, from_key, "{algorithm}");
            let leaf = openssl(&["x509", "-noout", "-subject", "-in"], &path);
            assert!(leaf.contains("CN = www.example.com"), "{leaf}");
        }
    }

    #[test]
    fn the_key_file_is_the_key_alone() {
        let bundle = bundle(KeyAlgorithm::EcP384);
        let written = ExportFormat::Key.write(&bundle, None).unwrap();
        assert_eq!(written, bundle.key.to_pem().into_bytes());
    }

    #[test]
    fn the_der_file_is_the_leaf() {
        let dir = tempfile::tempdir().unwrap();
        for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcP256] {
            let bundle = bundle(algorithm);
            let path = dir.path().join(format!("{algorithm}.der"));
            fs::write(&path, ExportFormat::Der.write(&bundle, None).unwrap()).unwrap();
            let shown = openssl(
                &[
                    "x509", "-inform", "DER", "-noout", "-subject", "-issuer", "-in",
                ],
                &path,
            );
            assert!(shown.contains("subject=CN = www.example.com"), "{shown}");
            assert!(shown.contains("issuer=CN = certdesk test CA"), "{shown}");
        }
    }
}
