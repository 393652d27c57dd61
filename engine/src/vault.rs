//! Secrets at rest. Every secret certdesk keeps (account keys, private keys, keystore and API
//! passwords) is sealed with AES-256-GCM under one master key per data folder, and that master key
//! lives only in the OS keychain (Secret Service, Keychain, Credential Manager). The data folder
//! therefore never holds a secret in clear, and the keychain holds one small entry: Windows'
//! Credential Manager caps a secret at 2,560 bytes, which a JKS or an RSA-4096 key would overflow.
//!
//! Each secret is sealed for its [`Place`] (table, record, field) as AES-GCM associated data: a
//! blob copied into another record or field does not open there. Which key belongs to which data
//! folder, and what happens when it is missing, is [`crate::sealing`]'s.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::next_step::NextStep;
use crate::sealed::Content;
/// Sealed secrets are [`crate::sealed`]'s; here at their old path.
pub use crate::sealed::Sealed;
use crate::store::{Damaged, Record, Scan, Store};

const SERVICE: &str = "certdesk";
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// Where a sealed secret lives: its table, record and field. Sealing binds a secret to its place
/// (the AES-GCM associated data), so a blob copied into another record or field does not open
/// there.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'static str,
    pub record: &'a str,
    pub field: &'a str,
}

impl<'a> Place<'a> {
    /// The field `field` of record `record` of `R`'s table.
    pub fn of<R: Record>(record: &'a str, field: &'a str) -> Self {
        Self {
            table: R::TABLE.name(),
            record,
            field,
        }
    }

    /// Each part length-prefixed, so no two places give the same bytes.
    fn associated_data(&self) -> Vec<u8> {
        let mut aad = b"certdesk-sealed-v2".to_vec();
        for part in [self.table, self.record, self.field] {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} {:?}", self.field, self.table, self.record)
    }
}

/// How a forgotten secret of a place is entered again: the administrator's step, or (where no
/// step does it) words that name no face's command. The layer that knows the tables gives it
/// ([`crate::sealing::reentry`]), so the vault names none.
pub(crate) type Reentry = fn(&Place) -> std::result::Result<NextStep, &'static str>;

/// The master key of one data folder, fetched from the keychain once per process.
pub struct Vault {
    cipher: Aes256Gcm,
    reentry: Reentry,
}

/// The re-entry of a vault that was told none: enter it again where asked.
fn anywhere(_: &Place) -> std::result::Result<NextStep, &'static str> {
    Err("where certdesk asks for it")
}

/// A master key made for a data folder, not yet in the keychain: a new store and a reset store
/// it only once the data folder is ready for it.
pub(crate) struct NewKey(Zeroizing<Vec<u8>>);

impl NewKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new(vec![0u8; KEY_LEN]);
        rand::rng().fill_bytes(&mut key);
        Self(key)
    }

    pub fn vault(&self) -> Result<Vault> {
        Vault::from_bytes(&self.0)
    }
}

/// The keychain entry of one data folder's master key.
pub(crate) struct KeychainEntry {
    user: String,
}

impl KeychainEntry {
    pub fn of(store_id: &str) -> Self {
        Self {
            user: format!("master-key/{store_id}"),
        }
    }

    /// How the user finds it, e.g. with `secret-tool search service certdesk username …`.
    pub fn describe(&self) -> String {
        format!("service {SERVICE:?}, username {:?}", self.user)
    }
}

/// Where the master keys live: the OS keychain ([`OsKeychain`]) for certdesk, a map in memory
/// ([`MemoryKeychain`]) for unit tests of what lies above it.
pub(crate) trait Keychain {
    /// The master key under `entry`, or `None` when the keychain has no such entry.
    async fn load(&self, entry: &KeychainEntry) -> Result<Option<Vault>>;

    /// Stores `key` under `entry`, replacing any there.
    async fn save(&self, entry: &KeychainEntry, key: &NewKey) -> Result<()>;
}

/// The OS keychain: Secret Service, Keychain, Credential Manager.
pub(crate) struct OsKeychain;

impl Keychain for OsKeychain {
    /// The keychain is called on a blocking thread: Secret Service clients block on D-Bus, and
    /// some of them panic when driven from inside a tokio task.
    async fn load(&self, entry: &KeychainEntry) -> Result<Option<Vault>> {
        let user = entry.user.clone();
        let key = blocking(move || {
            let entry = keyring::Entry::new(SERVICE, &user).map_err(keychain_error)?;
            match entry.get_secret() {
                Ok(key) => Ok(Some(Zeroizing::new(key))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(keychain_error(e)),
            }
        })
        .await?;
        key.map(|k| Vault::from_bytes(&k)).transpose()
    }

    async fn save(&self, entry: &KeychainEntry, key: &NewKey) -> Result<()> {
        let (user, key) = (entry.user.clone(), key.0.clone());
        blocking(move || {
            keyring::Entry::new(SERVICE, &user)
                .and_then(|entry| entry.set_secret(&key))
                .map_err(keychain_error)
        })
        .await
    }
}

/// A keychain in memory, empty at first, for unit tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryKeychain {
    keys: std::sync::Mutex<std::collections::HashMap<String, Zeroizing<Vec<u8>>>>,
}

#[cfg(test)]
impl Keychain for MemoryKeychain {
    async fn load(&self, entry: &KeychainEntry) -> Result<Option<Vault>> {
        let keys = self.keys.lock().expect("the test keychain's lock");
        keys.get(&entry.user)
            .map(|k| Vault::from_bytes(k))
            .transpose()
    }

    async fn save(&self, entry: &KeychainEntry, key: &NewKey) -> Result<()> {
        let mut keys = self.keys.lock().expect("the test keychain's lock");
        keys.insert(entry.user.clone(), key.0.clone());
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Keychain(format!("the keychain call did not finish: {e}")))?
}

impl Vault {
    fn from_bytes(key: &[u8]) -> Result<Self> {
        let cipher = Aes256Gcm::new_from_slice(key)
            .map_err(|_| Error::Keychain("the master key in the keychain is damaged".into()))?;
        Ok(Self {
            cipher,
            reentry: anywhere,
        })
    }

    /// This vault, saying with `reentry` how a forgotten secret is entered again.
    pub(crate) fn reentering(self, reentry: Reentry) -> Self {
        Self { reentry, ..self }
    }

    /// A vault over a key of the test's own, without a keychain.
    #[cfg(test)]
    pub(crate) fn from_key(key: [u8; KEY_LEN]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&key.into()),
            reentry: anywhere,
        }
    }

    /// A secret sealed as certdesk did before schema 2, bound to no place.
    #[cfg(test)]
    pub(crate) fn seal_unbound(&self, plaintext: &[u8]) -> Sealed {
        let nonce = [3u8; NONCE_LEN];
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-256-GCM encrypts a test secret");
        Sealed::blob(BASE64_STANDARD.encode([&nonce[..], &ciphertext].concat()))
    }

    pub fn seal(&self, place: &Place, plaintext: &[u8]) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = place.associated_data();
        // AES-GCM fails only for inputs over 64 GiB; a silent empty ciphertext would lose the
        // secret, so an impossible failure stops here instead.
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-256-GCM encrypts any secret certdesk keeps");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Sealed::blob(BASE64_STANDARD.encode(out))
    }

    pub fn seal_str(&self, place: &Place, plaintext: &str) -> Sealed {
        self.seal(place, plaintext.as_bytes())
    }

    /// The secret sealed at `place`. A blob sealed elsewhere (another record, field or data
    /// folder) or changed does not open.
    pub fn open_sealed(&self, place: &Place, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>> {
        self.decrypt(sealed, &place.associated_data())
            .map_err(|e| e.at(place, self.reentry))
    }

    pub fn open_string(&self, place: &Place, sealed: &Sealed) -> Result<Zeroizing<String>> {
        let bytes = self.open_sealed(place, sealed)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| {
                Error::Damaged(format!(
                    "the secret {place} is not text: restore the data folder from a backup, or \
                     enter the secret again"
                ))
            })
    }

    /// The records of `R` in `store` that read and whose secrets open, and the damaged ones (a
    /// record that does not parse, a secret that does not open where it is), in key order. A
    /// forgotten secret is not damage: using it says to enter it again.
    pub(crate) fn scan<R: Record + crate::sealed::Sealing>(
        &self,
        store: &Store,
    ) -> Result<Scan<R>> {
        let Scan {
            records,
            mut damaged,
        } = store.scan::<R>()?;
        let mut sound = Vec::with_capacity(records.len());
        for mut record in records {
            match self.unopened(&mut record) {
                None => sound.push(record),
                Some(why) => damaged.push(Damaged {
                    id: record.key().to_owned(),
                    damaged: why,
                }),
            }
        }
        damaged.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Scan {
            records: sound,
            damaged,
        })
    }

    fn unopened<R: Record + crate::sealed::Sealing>(&self, record: &mut R) -> Option<String> {
        let key = record.key().to_owned();
        record
            .sealed_fields()
            .into_iter()
            .filter(|(_, sealed)| !sealed.is_forgotten())
            .find_map(|(field, sealed)| {
                self.open_sealed(&Place::of::<R>(&key, &field), sealed)
                    .err()
                    .map(|e| e.to_string())
            })
    }

    /// A secret sealed by certdesk before secrets were bound to their place (schema 1), for the
    /// migration only.
    pub(crate) fn open_unbound(
        &self,
        sealed: &Sealed,
    ) -> std::result::Result<Zeroizing<Vec<u8>>, Unopened> {
        self.decrypt(sealed, &[])
    }

    fn decrypt(
        &self,
        sealed: &Sealed,
        aad: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, Unopened> {
        let blob = match sealed.content() {
            Content::Blob(blob) => blob,
            Content::Forgotten(at) => return Err(Unopened::Forgotten(at.to_owned())),
        };
        let raw = BASE64_STANDARD
            .decode(blob)
            .map_err(|_| Unopened::Damaged)?;
        if raw.len() < NONCE_LEN {
            return Err(Unopened::Damaged);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Unopened::Damaged)
    }
}

/// Why a sealed secret did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unopened {
    /// Not sealed for this place under this key: changed, copied from elsewhere, or sealed
    /// under another master key.
    Damaged,
    /// A reset of the secrets forgot it (at this RFC 3339 time).
    Forgotten(String),
}

impl Unopened {
    fn at(self, place: &Place, reentry: Reentry) -> Error {
        match self {
            Self::Damaged => Error::Damaged(format!(
                "the secret {place} does not open: it was changed, or copied there from another \
                 record; restore the data folder from a backup, or enter the secret again"
            )),
            Self::Forgotten(at) => {
                let forgotten = format!(
                    "the secret {place} was forgotten when this data folder's secrets were reset \
                     ({at}): enter it again"
                );
                match reentry(place) {
                    Ok(step) => Error::blocked(forgotten, step),
                    Err(how) => Error::input(format!("{forgotten} ({how})")),
                }
            }
        }
    }
}

fn keychain_error(e: keyring::Error) -> Error {
    Error::Keychain(format!(
        "the OS keychain is not available ({e}). certdesk keeps its master key there: on Linux, \
         run a Secret Service (gnome-keyring or KeePassXC) in your session and unlock it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNTS_LE: Place<'static> = Place {
        table: "accounts",
        record: "le",
        field: "credentials",
    };

    #[test]
    fn a_secret_opens_only_where_it_was_sealed() {
        let vault = Vault::from_key([7; KEY_LEN]);
        let sealed = vault.seal(&ACCOUNTS_LE, b"the account key");
        assert_eq!(
            vault.open_sealed(&ACCOUNTS_LE, &sealed).unwrap().as_slice(),
            b"the account key"
        );
        for elsewhere in [
            Place {
                record: "zerossl",
                ..ACCOUNTS_LE
            },
            Place {
                field: "imported_key",
                ..ACCOUNTS_LE
            },
            Place {
                table: "requests",
                ..ACCOUNTS_LE
            },
        ] {
            let e = vault.open_sealed(&elsewhere, &sealed).unwrap_err();
            assert!(e.to_string().contains("does not open"), "{elsewhere}: {e}");
        }
        assert!(vault.open_unbound(&sealed).is_err());
    }

    #[test]
    fn places_whose_parts_run_together_differ() {
        let (a, b) = (
            Place {
                table: "t",
                record: "ab",
                field: "c",
            },
            Place {
                table: "t",
                record: "a",
                field: "bc",
            },
        );
        assert_ne!(a.associated_data(), b.associated_data());
    }

    #[test]
    fn another_key_does_not_open_it() {
        let sealed = Vault::from_key([1; KEY_LEN]).seal(&ACCOUNTS_LE, b"secret");
        assert!(Vault::from_key([2; KEY_LEN])
            .open_sealed(&ACCOUNTS_LE, &sealed)
            .is_err());
    }

    #[test]
    fn a_forgotten_secret_says_to_enter_it_again() {
        let vault = Vault::from_key([7; KEY_LEN]);
        let forgotten = Sealed::forgotten("2026-12-01T22:00:00Z");
        let json = serde_json::to_string(&forgotten).unwrap();
        assert_eq!(json, r#"{"forgotten":"2026-12-01T22:00:00Z"}"#);
        let back: Sealed = serde_json::from_str(&json).unwrap();
        assert!(back.is_forgotten());
        let e = vault.open_sealed(&ACCOUNTS_LE, &back).unwrap_err();
        assert!(e.to_string().contains("enter it again"), "{e}");
        assert_eq!(e.kind(), crate::ErrorKind::Input);
        assert_eq!(e.next_step(), None, "{e}");
    }

    #[test]
    fn a_forgotten_secret_s_step_is_the_one_its_place_says() {
        fn by_record(place: &Place) -> std::result::Result<NextStep, &'static str> {
            match place.record {
                "le" => Ok(NextStep::ReplaceAccount {
                    account: place.record.to_owned(),
                }),
                _ => Err("with its key"),
            }
        }
        let vault = Vault::from_key([7; KEY_LEN]).reentering(by_record);
        let forgotten = Sealed::forgotten("2026-12-01T22:00:00Z");
        let e = vault.open_sealed(&ACCOUNTS_LE, &forgotten).unwrap_err();
        assert_eq!(
            e.next_step(),
            Some(NextStep::ReplaceAccount {
                account: "le".into()
            })
        );
        assert_eq!(e.kind(), crate::ErrorKind::Input);
        assert!(!e.to_string().contains("certdesk"), "no command: {e}");
        let elsewhere = Place {
            record: "zerossl",
            ..ACCOUNTS_LE
        };
        let e = vault.open_sealed(&elsewhere, &forgotten).unwrap_err();
        assert_eq!(e.next_step(), None);
        assert!(
            e.to_string().ends_with("enter it again (with its key)"),
            "{e}"
        );
    }
}
