//! Java KeyStore, for Java servers still configured for JKS. The key is protected with the store
//! password, as keytool does unless told otherwise, so one password opens both.

use std::time::SystemTime;

use ::jks::{Certificate, KeyStore, PrivateKeyEntry};

use super::{CertBundle, Keystore};
use crate::error::Result;
use crate::keys::unexpected;

pub(super) struct Jks;

impl Keystore for Jks {
    fn label(&self) -> &'static str {
        "Java KeyStore"
    }

    fn file_extension(&self) -> &'static str {
        "jks"
    }

    fn needs_password(&self) -> bool {
        true
    }

    /// One PrivateKeyEntry under the alias (which JKS, like keytool, lowercases) with the
    /// whole chain, leaf first.
    fn encode(&self, bundle: &CertBundle, password: &str) -> Result<Vec<u8>> {
        let failed = |e| unexpected("could not write the Java KeyStore", e);
        let entry = PrivateKeyEntry {
            creation_time: SystemTime::now(),
            private_key: bundle.key.pkcs8_der().to_vec(),
            certificate_chain: bundle
                .certificates_der()?
                .into_iter()
                .map(|content| Certificate {
                    cert_type: "X.509".to_string(),
                    content,
                })
                .collect(),
        };
        let mut store = KeyStore::new();
        store
            .set_private_key_entry(bundle.checked_alias()?, entry, password.as_bytes())
            .map_err(failed)?;
        let mut bytes = Vec::new();
        store
            .store(&mut bytes, password.as_bytes())
            .map_err(failed)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::keys::testing::{openssl, run};
    use crate::keys::KeyAlgorithm;
    use crate::keystore::testing::{bundle, ALIAS, PASSWORD};
    use crate::keystore::ExportFormat;

    #[test]
    fn opens_with_keytool_and_the_key_decrypts() {
        let dir = tempfile::tempdir().unwrap();
        for algorithm in KeyAlgorithm::ALL {
            let bundle = bundle(algorithm);
            let path = dir.path().join(format!("{algorithm}.jks"));
            let written = ExportFormat::Jks.write(&bundle, Some(PASSWORD)).unwrap();
            fs::write(&path, written).unwrap();
            let store = path.to_str().unwrap();

            let listed = run(
                "keytool",
                &[
                    "-list",
                    "-v",
                    "-storetype",
                    "JKS",
                    "-storepass",
                    PASSWORD,
                    "-keystore",
                    store,
                ],
            );
            assert!(listed.contains(&format!("Alias name: {ALIAS}")), "{listed}");
            assert!(listed.contains("Entry type: PrivateKeyEntry"), "{listed}");
            assert!(listed.contains("Certificate chain length: 2"), "{listed}");

            // Listing does not decrypt the key; converting to PKCS#12 does, with the same
            // password as key password, and openssl then checks the key fits the certificate.
            let converted = dir.path().join(format!("{algorithm}.p12"));
            run(
                "keytool",
                &[
                    "-importkeystore",
                    "-noprompt",
                    "-srckeystore",
                    store,
                    "-srcstoretype",
                    "JKS",
                    "-srcstorepass",
                    PASSWORD,
                    "-destkeystore",
                    converted.to_str().unwrap(),
                    "-deststoretype",
                    "PKCS12",
                    "-deststorepass",
                    PASSWORD,
                ],
            );
            let pem = dir.path().join(format!("{algorithm}.pem"));
            openssl(
                &[
                    "pkcs12",
                    "-passin",
                    &format!("pass:{PASSWORD}"),
                    "-nodes",
                    "-out",
                    pem.to_str().unwrap(),
                    "-in",
                ],
                &converted,
            );
            let from_certificate = openssl(&["x509", "-noout", "-pubkey", "-in"], &pem);
            let from_key = openssl(&["pkey", "-pubout", "-in"], &pem);
            assert_eq!(from_certificate, from_key, "{algorithm}");
        }
    }
}
