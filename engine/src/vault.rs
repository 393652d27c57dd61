//! Secrets at rest. Every secret certdesk keeps (account keys, private keys, keystore and API
//! passwords) is sealed with AES-256-GCM under one master key per data folder, and that master key
//! lives only in the OS keychain (Secret Service, Keychain, Credential Manager). The data folder
//! therefore never holds a secret in clear, and the keychain holds one small entry: Windows'
//! Credential Manager caps a secret at 2,560 bytes, which a JKS or an RSA-4096 key would overflow.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const SERVICE: &str = "certdesk";
const NONCE_LEN: usize = 12;

/// A sealed secret as it is stored: base64 of nonce ‖ ciphertext ‖ tag.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(..)")
    }
}

/// The master key of one data folder, fetched from the keychain once per process.
pub struct Vault {
    cipher: Aes256Gcm,
}

impl Vault {
    /// Opens (or, for a new data folder, creates) the master key of the store `store_id`.
    ///
    /// The keychain is called on a blocking thread: Secret Service clients block on D-Bus, and
    /// some of them panic when driven from inside a tokio task.
    pub async fn open(store_id: &str) -> Result<Self> {
        let user = format!("master-key/{store_id}");
        let key = tokio::task::spawn_blocking(move || load_or_create(&user))
            .await
            .map_err(|e| Error::Keychain(format!("the keychain call did not finish: {e}")))??;
        let cipher = Aes256Gcm::new_from_slice(&key)
            .map_err(|_| Error::Keychain("the master key in the keychain is damaged".into()))?;
        Ok(Self { cipher })
    }

    pub fn seal(&self, plaintext: &[u8]) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // AES-GCM fails only for inputs over 64 GiB; a silent empty ciphertext would lose the
        // secret, so an impossible failure stops here instead.
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-256-GCM encrypts any secret certdesk keeps");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Sealed(BASE64_STANDARD.encode(out))
    }

    pub fn seal_str(&self, plaintext: &str) -> Sealed {
        self.seal(plaintext.as_bytes())
    }

    pub fn open_sealed(&self, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>> {
        let damaged = || {
            Error::Keychain(
                "a stored secret cannot be decrypted: the keychain's certdesk master key does not \
                 belong to this data folder (was the keychain reset or the folder copied from \
                 another machine?)"
                    .into(),
            )
        };
        let raw = BASE64_STANDARD.decode(&sealed.0).map_err(|_| damaged())?;
        if raw.len() < NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| damaged())
    }

    pub fn open_string(&self, sealed: &Sealed) -> Result<Zeroizing<String>> {
        let bytes = self.open_sealed(sealed)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| Error::Keychain("a stored secret is not text".into()))
    }
}

fn keychain_error(e: keyring::Error) -> Error {
    Error::Keychain(format!(
        "the OS keychain is not available ({e}). certdesk keeps its master key there: on Linux, \
         run a Secret Service (gnome-keyring or KeePassXC) in your session and unlock it"
    ))
}

fn load_or_create(user: &str) -> Result<Zeroizing<Vec<u8>>> {
    let entry = keyring::Entry::new(SERVICE, user).map_err(keychain_error)?;
    match entry.get_secret() {
        Ok(key) => Ok(Zeroizing::new(key)),
        Err(keyring::Error::NoEntry) => {
            let mut key = Zeroizing::new(vec![0u8; 32]);
            rand::rng().fill_bytes(&mut key);
            entry.set_secret(&key).map_err(keychain_error)?;
            Ok(key)
        }
        Err(e) => Err(keychain_error(e)),
    }
}
