//! Java KeyStore, for Java servers still configured for JKS. The key is protected with the store
//! password, as keytool does unless told otherwise, so one password opens both.

use std::time::SystemTime;

use ::jks::{Certificate, KeyStore, PrivateKeyEntry};

use super::import::Contents;
use super::{CertBundle, Keystore};
use crate::error::{Error, Result};
use crate::keys::{unexpected, PrivateKey};

/// The first bytes of every JKS file.
pub(super) const MAGIC: [u8; 4] = [0xfe, 0xed, 0xfe, 0xed];

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

/// The certificates and keys of a JKS file someone else wrote (keytool's), each key decrypted
/// with the store's password, as keytool protects it unless told otherwise.
pub(super) fn read(bytes: &[u8], password: &str) -> Result<Contents> {
    check_lengths(bytes)?;
    let mut store = KeyStore::new();
    store
        .load(bytes, password.as_bytes())
        .map_err(|e| match e {
            ::jks::KeyStoreError::InvalidDigest => {
                Error::input("wrong password: the Java KeyStore's checksum does not match it")
            }
            e => Error::input(format!("the Java KeyStore is damaged: {e}")),
        })?;
    let mut contents = Contents {
        certificates: Vec::new(),
        keys: Vec::new(),
    };
    for alias in store.aliases() {
        let chain = if store.is_private_key_entry(&alias) {
            let entry = store
                .get_private_key_entry(&alias, password.as_bytes())
                .map_err(|e| {
                    Error::input(format!(
                        "the key {alias:?} of the Java KeyStore does not open with the store's                          password ({e}): give it the store's password with keytool -keypasswd"
                    ))
                })?;
            contents
                .keys
                .push(PrivateKey::from_pkcs8_der(entry.private_key.clone())?);
            entry.certificate_chain
        } else {
            let entry = store
                .get_trusted_certificate_entry(&alias)
                .map_err(|e| Error::input(format!("the Java KeyStore is damaged: {e}")))?;
            vec![entry.certificate]
        };
        contents
            .certificates
            .extend(chain.into_iter().map(|c| c.content));
    }
    Ok(contents)
}

/// Walks the file's structure, checking that every length and count it gives fits in the bytes
/// that follow: the jks library allocates what the file claims before its checksum is checked,
/// so a file claiming a 4 GiB key (or a chain of 4 billion certificates) would abort the process.
fn check_lengths(bytes: &[u8]) -> Result<()> {
    const PRIVATE_KEY: u32 = 1;
    const TRUSTED_CERTIFICATE: u32 = 2;
    let mut file = Cursor(bytes);
    file.skip(MAGIC.len())?;
    let version = file.u32()?;
    for _ in 0..file.u32()? {
        let tag = file.u32()?;
        let alias = usize::from(file.u16()?);
        file.skip(alias + 8)?; // the alias, then the creation time
        let certificates = match tag {
            PRIVATE_KEY => {
                let key = file.u32()?;
                file.skip(key)?;
                file.u32()?
            }
            TRUSTED_CERTIFICATE => 1,
            tag => {
                return Err(Error::input(format!(
                    "the Java KeyStore is damaged: it holds an entry of unknown kind {tag}"
                )))
            }
        };
        for _ in 0..certificates {
            if version == 2 {
                let kind = usize::from(file.u16()?);
                file.skip(kind)?;
            }
            let certificate = file.u32()?;
            file.skip(certificate)?;
        }
    }
    file.skip(20) // the SHA-1 checksum
}

/// The bytes of a JKS file not read yet.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(Error::input(
                "the Java KeyStore is damaged: a length in it runs past its end",
            ));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    fn skip(&mut self, n: impl TryInto<usize>) -> Result<()> {
        self.take(n.try_into().unwrap_or(usize::MAX)).map(|_| ())
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
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
