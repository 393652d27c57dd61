//! PKCS#12 (.p12/.pfx) with AES-256 and an HMAC-SHA256 MAC, the modern profile that OpenSSL 3
//! opens without `-legacy` and Java 9+ reads natively.

use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKeyChain,
};

use super::import::Contents;
use super::{CertBundle, Keystore};
use crate::error::{Error, Result};
use crate::keys::{unexpected, PrivateKey};

pub(super) struct Pkcs12;

impl Keystore for Pkcs12 {
    fn label(&self) -> &'static str {
        "PKCS#12 keystore"
    }

    fn file_extension(&self) -> &'static str {
        "p12"
    }

    fn needs_password(&self) -> bool {
        true
    }

    /// One key entry, named by the alias, holding the key and the whole chain (leaf first).
    fn encode(&self, bundle: &CertBundle, password: &str) -> Result<Vec<u8>> {
        let failed = |e| unexpected("could not write the PKCS#12 keystore", e);
        let alias = bundle.checked_alias()?;
        let certificates = bundle
            .certificates_der()?
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        // The local key id only pairs the key with its certificate inside the file; OpenSSL uses
        // a digest of the leaf too (SHA-1).
        let local_key_id =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificates[0].as_der());
        let key = p12_keystore::PrivateKey::from_der(bundle.key.pkcs8_der()).map_err(failed)?;
        let chain = PrivateKeyChain::new(local_key_id.as_ref(), key, certificates);
        let mut store = KeyStore::new();
        store.add_entry(alias, KeyStoreEntry::PrivateKeyChain(chain));
        store
            .writer(password)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
            .mac_algorithm(MacAlgorithm::HmacSha256)
            .write()
            .map_err(failed)
    }
}

/// The certificates and keys of a PKCS#12 file someone else wrote: OpenSSL 3's AES profile,
/// OpenSSL's `-legacy` (RC2 and 3DES, SHA-1 MAC) and Java's. The library bounds the key
/// derivation's iterations, so a hostile file cannot make the read take forever.
pub(super) fn read(bytes: &[u8], password: &str) -> Result<Contents> {
    let archive =
        p12_keystore::Pkcs12Archive::from_pkcs12(bytes, password).map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => {
                Error::input("wrong password: the PKCS#12 file does not open with it")
            }
            p12_keystore::error::Error::UnpadError | p12_keystore::error::Error::Pkcs5Error(_) => {
                Error::input("wrong password: the PKCS#12 file's contents do not decrypt with it")
            }
            e => Error::input(format!("the PKCS#12 file is damaged or not PKCS#12: {e}")),
        })?;
    let keys = archive
        .keys
        .iter()
        .map(|bag| PrivateKey::from_pkcs8_der(bag.key.as_der().to_vec()))
        .collect::<Result<Vec<_>>>()?;
    let certificates = archive
        .certs
        .iter()
        .map(|bag| bag.cert.as_der().to_vec())
        .collect();
    Ok(Contents { certificates, keys })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::keys::testing::{openssl, run};
    use crate::keys::KeyAlgorithm;
    use crate::keystore::testing::{bundle, ALIAS, PASSWORD};
    use crate::keystore::ExportFormat;

    #[test]
    fn opens_with_openssl_3_and_keytool() {
        let dir = tempfile::tempdir().unwrap();
        let pass = format!("pass:{PASSWORD}");
        for algorithm in KeyAlgorithm::ALL {
            let bundle = bundle(algorithm);
            let path = dir.path().join(format!("{algorithm}.p12"));
            let written = ExportFormat::Pkcs12.write(&bundle, Some(PASSWORD)).unwrap();
            fs::write(&path, written).unwrap();

            let info = openssl(
                &["pkcs12", "-passin", &pass, "-noout", "-info", "-in"],
                &path,
            );
            assert!(info.contains("MAC: sha256"), "{info}");
            assert!(info.contains("AES-256-CBC"), "{info}");

            let pem = dir.path().join(format!("{algorithm}.pem"));
            openssl(
                &[
                    "pkcs12",
                    "-passin",
                    &pass,
                    "-nodes",
                    "-out",
                    pem.to_str().unwrap(),
                    "-in",
                ],
                &path,
            );
            let text = fs::read_to_string(&pem).unwrap();
            assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 2, "{text}");
            assert!(text.contains(&format!("friendlyName: {ALIAS}")), "{text}");
            let from_certificate = openssl(&["x509", "-noout", "-pubkey", "-in"], &pem);
            let from_key = openssl(&["pkey", "-pubout", "-in"], &pem);
            assert_eq!(from_certificate, from_key, "{algorithm}");

            let listed = run(
                "keytool",
                &[
                    "-list",
                    "-v",
                    "-storetype",
                    "PKCS12",
                    "-storepass",
                    PASSWORD,
                    "-keystore",
                    path.to_str().unwrap(),
                ],
            );
            assert!(listed.contains(&format!("Alias name: {ALIAS}")), "{listed}");
            assert!(listed.contains("Entry type: PrivateKeyEntry"), "{listed}");
            assert!(listed.contains("Certificate chain length: 2"), "{listed}");
        }
    }
}
