//! The data folder's secrets as a whole: unlocking them at open (the master key must be the
//! data folder's own, proven by a sealed canary), binding them to their places (the migration
//! from schema 1; the schema 2 → 3 migration runs here too), forgetting them all on request, and finding the records whose secrets no
//! longer open.
//!
//! A master key is made only for a new data folder. A folder whose key is missing or wrong (copied
//! to another machine or keychain, a keychain reset) fails at open, before anything is written:
//! carrying on with a new key would seal new secrets under a second key while the old ones stay
//! unreadable.

use std::path::Path;

use time::OffsetDateTime;

use crate::error::{Error, ErrorKind, Result};
use crate::next_step::{Listing, NextStep, SmtpPart};
use crate::repository::Repository;
use crate::request::RequestRecord;
use crate::sealed::{Sealed, Sealing};
use crate::store::{Change, Damaged, Layout, Record, Store, Table, SCHEMA_VERSION};
use crate::vault::{Keychain, KeychainEntry, NewKey, OsKeychain, Place, Vault};
use crate::Engine;

const CANARY_TEXT: &[u8] = b"certdesk master key canary";
const CANARY: Place<'static> = Place {
    table: "meta",
    record: "canary",
    field: "canary",
};

/// The master key of the store's data folder: made for a new store; for an existing one read
/// from `keychain` and proven against the canary; a store of an older schema is migrated here.
pub(crate) async fn unlock(store: &Store, keychain: &impl Keychain) -> Result<Vault> {
    let (version, store_id, canary) = match store.layout()? {
        Layout::New => return create(store, keychain).await,
        Layout::Existing {
            version,
            store_id,
            canary,
        } => (version, store_id, canary),
    };
    let entry = KeychainEntry::of(&store_id);
    let vault = keychain
        .load(&entry)
        .await?
        .ok_or_else(|| missing_key(store.dir(), &entry))?;
    if version >= 2 {
        let canary = canary.ok_or_else(|| {
            Error::Store("the master key's canary is missing: the data folder is damaged".into())
        })?;
        match vault.open_sealed(&CANARY, &canary) {
            Ok(text) if text.as_slice() == CANARY_TEXT => {}
            _ => return Err(wrong_key(store.dir(), &entry)),
        }
    }
    if version < SCHEMA_VERSION {
        migrate(store, &vault, &entry, version).await?;
    }
    Ok(vault)
}

/// A new data folder: its id, its key in the keychain, then its meta records in one commit. A
/// kill before the commit leaves a folder that is still new (and an unused keychain entry).
async fn create(store: &Store, keychain: &impl Keychain) -> Result<Vault> {
    let id = crate::ids::random_hex(16);
    let key = NewKey::generate();
    let vault = key.vault()?;
    keychain.save(&KeychainEntry::of(&id), &key).await?;
    store
        .commit(
            Change::new()
                .store_id(&id)
                .canary(&vault.seal(&CANARY, CANARY_TEXT))
                .schema_version(),
        )
        .await?;
    Ok(vault)
}

/// Brings a data folder of schema `from` to [`SCHEMA_VERSION`] in one transaction with the new
/// schema version, so that a kill leaves the old form or the new one.
/// - 1 → 2: every sealed secret re-sealed bound to its place, and the canary written. A secret
///   that does not open stays as it was (and is listed as damaged from then on); when none
///   opens, the key is not this folder's and nothing is written.
/// - 2 → 3: every certificate's view written from its record.
async fn migrate(store: &Store, vault: &Vault, entry: &KeychainEntry, from: u32) -> Result<()> {
    let change = if from < 2 {
        bind_secrets(store, vault, entry)?
    } else {
        Change::new()
    };
    let change = Repository::with_views(store, change)?;
    store.commit(change.schema_version()).await
}

fn bind_secrets(store: &Store, vault: &Vault, entry: &KeychainEntry) -> Result<Change> {
    let (mut opened, mut unopened) = (0usize, 0usize);
    let change = rewrite_all(store, &mut |place, sealed| {
        match vault.open_unbound(sealed) {
            Ok(plain) => {
                *sealed = vault.seal(place, &plain);
                opened += 1;
            }
            Err(_) => unopened += 1,
        }
        true
    })?;
    if opened == 0 && unopened > 0 {
        return Err(wrong_key(store.dir(), entry));
    }
    Ok(change.canary(&vault.seal(&CANARY, CANARY_TEXT)))
}

/// Applies `f` to every sealed secret of every record that reads, and puts each record for
/// which `f` said it changed something.
fn rewrite_all(store: &Store, f: &mut dyn FnMut(&Place, &mut Sealed) -> bool) -> Result<Change> {
    let change = rewrite::<crate::account::AccountRecord>(store, Change::new(), f)?;
    let change = rewrite::<crate::request::RequestRecord>(store, change, f)?;
    let change = rewrite::<crate::repository::CertRecord>(store, change, f)?;
    let change = rewrite::<crate::dns_accounts::StoredAccount>(store, change, f)?;
    let change = rewrite::<crate::deploy::mappings::StoredMapping>(store, change, f)?;
    let change = rewrite::<crate::notify::StoredChannel>(store, change, f)?;
    rewrite::<crate::settings::SettingsRecord>(store, change, f)
}

fn rewrite<R: Record + Sealing>(
    store: &Store,
    mut change: Change,
    f: &mut dyn FnMut(&Place, &mut Sealed) -> bool,
) -> Result<Change> {
    for mut record in store.list::<R>()? {
        let key = record.key().to_owned();
        let mut changed = false;
        for (field, sealed) in record.sealed_fields() {
            changed |= f(&Place::of::<R>(&key, &field), sealed);
        }
        if changed {
            change = change.put(&record);
        }
    }
    Ok(change)
}

/// How the administrator gives certdesk a forgotten secret of `place` again: the step that does
/// it, or words where none does (the [`crate::vault::Reentry`] of every engine's vault).
pub(crate) fn reentry(place: &Place) -> std::result::Result<NextStep, &'static str> {
    let record = place.record.to_owned();
    let table = Table::ALL.into_iter().find(|t| t.name() == place.table);
    match table {
        Some(Table::Accounts) => Ok(NextStep::ReplaceAccount { account: record }),
        Some(Table::Certificates) => Ok(NextStep::Renew { cert: record }),
        Some(Table::Requests) if place.field == RequestRecord::ORDER_KEY => {
            Ok(NextStep::NewChallenge {
                request: record,
                cause: None,
            })
        }
        Some(Table::Requests) if place.field == RequestRecord::KEYSTORE_PASSWORD => {
            Err("give the keystore password with the export")
        }
        Some(Table::Requests) => Err("create the request again with its key"),
        Some(Table::DnsAccounts) => Ok(NextStep::EditDnsAccount {
            account: record,
            field: Some(form_field(place.field)),
        }),
        Some(Table::Deployments) => Ok(NextStep::EditMapping {
            mapping: record,
            field: Some(form_field(place.field)),
        }),
        Some(Table::Settings) => Ok(NextStep::ConfigureSmtp {
            part: SmtpPart::Password,
        }),
        Some(Table::NoticeChannels) => Err("delete the notice channel and add it again"),
        Some(Table::Renewals | Table::Activity | Table::Endpoints | Table::CertificateViews)
        | None => Err("where certdesk asks for it"),
    }
}

/// The form's name of a configuration's secret sealed under `field` (`secrets/NAME`).
fn form_field(field: &str) -> String {
    field.strip_prefix("secrets/").unwrap_or(field).to_owned()
}

/// Makes a new master key for the data folder in `dir` and forgets every secret stored there
/// (account keys, certificate keys, DNS and deploy credentials, the SMTP password, keystore
/// passwords): the way out for a folder whose key is lost. Without `confirmed` it changes
/// nothing and says what would be lost. Returns the secrets forgotten.
pub async fn reset_secrets(dir: &Path, confirmed: bool) -> Result<Vec<String>> {
    if !dir.join("store").exists() {
        return Err(Error::input(format!(
            "there is no certdesk data folder at {}: nothing to reset",
            dir.display()
        )));
    }
    forget_secrets(&crate::open_store(dir)?, &OsKeychain, confirmed).await
}

/// [`reset_secrets`] of an open store whose master key lives in `keychain`.
async fn forget_secrets(
    store: &Store,
    keychain: &impl Keychain,
    confirmed: bool,
) -> Result<Vec<String>> {
    let dir = store.dir();
    let Layout::Existing { store_id, .. } = store.layout()? else {
        return Err(Error::input(format!(
            "the data folder {} holds nothing yet: nothing to reset",
            dir.display()
        )));
    };
    let at = OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::System(format!("this machine's clock reads no RFC 3339 time: {e}")))?;
    let forgotten_mark = Sealed::forgotten(&at);
    let mut lost = Vec::new();
    let change = rewrite_all(store, &mut |place, sealed| {
        if sealed.is_forgotten() {
            return false;
        }
        lost.push(place.to_string());
        *sealed = forgotten_mark.clone();
        true
    })?;
    if !confirmed {
        return Err(Error::input(format!(
            "refusing to reset the secrets of {} without --yes. It makes a new master key and \
             forgets {}{}; you then enter them again (register or import the accounts, renew the \
             certificates, edit the DNS accounts and deploy mappings, set the SMTP password)",
            dir.display(),
            match lost.len() {
                0 => "no stored secret".to_owned(),
                1 => "1 stored secret".to_owned(),
                n => format!("{n} stored secrets"),
            },
            lost.iter()
                .map(|place| format!("\n  - {place}"))
                .collect::<String>(),
        )));
    }
    let entry = KeychainEntry::of(&store_id);
    // A locked or absent keychain fails here, before a secret is forgotten.
    keychain.load(&entry).await.map(drop)?;
    let key = NewKey::generate();
    let vault = key.vault()?;
    // The folder first, then the keychain: a kill between the two leaves a folder whose key is
    // missing or wrong, and the same reset again recovers it.
    store
        .commit(
            change
                .canary(&vault.seal(&CANARY, CANARY_TEXT))
                .schema_version(),
        )
        .await?;
    keychain.save(&entry, &key).await?;
    Ok(lost)
}

/// What a folder whose master key is lost or wrong can do, after what is wrong; the step
/// ([`NextStep::ResetSecrets`]) says how.
fn way_out(what: String) -> Error {
    Error::Blocked {
        kind: ErrorKind::Local,
        message: format!(
            "{what}. Nothing was changed. Restore the keychain (or that entry) from where the data \
             folder came from, or go on without the stored secrets: a reset of this folder's \
             secrets makes a new master key and forgets every stored secret (ACME account keys, \
             certificates' private keys, DNS and deploy credentials, the SMTP password, keystore \
             passwords), which you then enter again"
        ),
        step: Box::new(NextStep::ResetSecrets),
    }
}

fn missing_key(dir: &Path, entry: &KeychainEntry) -> Error {
    way_out(format!(
        "the master key of the data folder {} is missing from the keychain ({}): the folder was \
         copied from another machine or user, or the keychain was reset",
        dir.display(),
        entry.describe(),
    ))
}

fn wrong_key(dir: &Path, entry: &KeychainEntry) -> Error {
    way_out(format!(
        "the keychain's key does not open this data folder ({}; keychain entry {}): the entry \
         belongs to another copy of the folder or was replaced",
        dir.display(),
        entry.describe(),
    ))
}

impl Engine {
    /// The damaged records of a listing: each with its id and what failed.
    pub fn damaged(&self, listed: Listing) -> Result<Vec<Damaged>> {
        use crate::{deploy::mappings::MappingInfo, dns_accounts::DnsAccountInfo};
        Ok(match listed {
            Listing::Accounts => self.accounts.scan()?.damaged,
            Listing::Requests => self.requests.scan()?.damaged,
            Listing::Certificates => self.repository.scan()?.damaged,
            Listing::DnsAccounts => self.configurations.scan::<DnsAccountInfo>()?.damaged,
            Listing::Deployments => self.configurations.scan::<MappingInfo>()?.damaged,
            Listing::NoticeChannels => {
                self.configurations
                    .scan::<crate::notify::ChannelInfo>()?
                    .damaged
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::account::{AccountInfo, AccountRecord, AccountStatus};
    use crate::acme::Ca;
    use crate::vault::MemoryKeychain;

    const DIRECTORY: &str = "https://ca.test/directory";

    fn account_json(name: &str, credentials: &Sealed) -> Vec<u8> {
        let info = AccountInfo {
            name: name.to_owned(),
            email: String::new(),
            ca: Ca::custom(DIRECTORY).unwrap(),
            directory_url: DIRECTORY.to_owned(),
            url: format!("https://ca.test/acct/{name}"),
            status: AccountStatus::Active,
            created: OffsetDateTime::UNIX_EPOCH,
            ca_root_pem: None,
        };
        let mut json = serde_json::to_value(info).unwrap();
        json["credentials"] = serde_json::to_value(credentials).unwrap();
        serde_json::to_vec(&json).unwrap()
    }

    fn credentials(name: &str) -> Place<'_> {
        Place::of::<AccountRecord>(name, "credentials")
    }

    /// A data folder as certdesk wrote it before schema 2: two accounts sealed under `vault`
    /// with no place, and one record that does not parse.
    fn schema_1(dir: &Path, vault: &Vault) -> Store {
        let store = Store::open(dir).unwrap();
        store.write_raw("meta", "schema_version", &1u32.to_be_bytes());
        store.write_raw("meta", "store_id", b"0123");
        for name in ["le", "zerossl"] {
            let sealed = vault.seal_unbound(format!("credentials of {name}").as_bytes());
            store.write_raw("accounts", name, &account_json(name, &sealed));
        }
        store.write_raw("accounts", "broken", b"{not json");
        store
    }

    /// A data folder at the current schema, its canary sealed under `vault`, and no records.
    async fn current_store(dir: &Path, vault: &Vault) -> Store {
        let store = Store::open(dir).unwrap();
        store
            .commit(
                Change::new()
                    .store_id("0123")
                    .canary(&vault.seal(&CANARY, CANARY_TEXT))
                    .schema_version(),
            )
            .await
            .unwrap();
        store
    }

    fn stored_credentials(store: &Store, name: &str) -> Sealed {
        let json: serde_json::Value =
            serde_json::from_slice(&store.read_raw("accounts", name).unwrap()).unwrap();
        serde_json::from_value(json["credentials"].clone()).unwrap()
    }

    #[tokio::test]
    async fn migration_binds_every_secret_to_its_place_in_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::from_key([5; 32]);
        let store = schema_1(dir.path(), &vault);
        migrate(&store, &vault, &KeychainEntry::of("0123"), 1)
            .await
            .unwrap();
        let Layout::Existing {
            version, canary, ..
        } = store.layout().unwrap()
        else {
            panic!("the migrated store is not new");
        };
        assert_eq!(version, SCHEMA_VERSION);
        let canary = vault.open_sealed(&CANARY, &canary.unwrap()).unwrap();
        assert_eq!(canary.as_slice(), CANARY_TEXT);
        for name in ["le", "zerossl"] {
            let sealed = stored_credentials(&store, name);
            let plain = vault.open_sealed(&credentials(name), &sealed).unwrap();
            assert_eq!(
                plain.as_slice(),
                format!("credentials of {name}").as_bytes()
            );
            assert!(vault.open_unbound(&sealed).is_err(), "{name} is bound now");
        }
        assert!(vault
            .open_sealed(&credentials("zerossl"), &stored_credentials(&store, "le"))
            .is_err());
        assert_eq!(
            store.read_raw("accounts", "broken").unwrap(),
            b"{not json",
            "a record that does not parse is left as it was"
        );
    }

    #[tokio::test]
    async fn migration_under_a_key_that_opens_nothing_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = schema_1(dir.path(), &Vault::from_key([5; 32]));
        let before = store.read_raw("accounts", "le");
        let e = migrate(
            &store,
            &Vault::from_key([6; 32]),
            &KeychainEntry::of("0123"),
            1,
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("the keychain's key does not open this data folder"),
            "{e}"
        );
        assert_eq!(e.kind(), crate::ErrorKind::Local);
        let Layout::Existing {
            version, canary, ..
        } = store.layout().unwrap()
        else {
            panic!("the store is not new");
        };
        assert_eq!((version, canary.is_none()), (1, true));
        assert_eq!(store.read_raw("accounts", "le"), before);
    }

    #[tokio::test]
    async fn damaged_records_are_listed_as_such_and_left_out_of_the_lists() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::from_key([9; 32]);
        let store = current_store(dir.path(), &vault).await;
        let good = vault.seal(&credentials("good"), b"credentials of good");
        store.write_raw("accounts", "good", &account_json("good", &good));
        // The good account's sealed credentials copied into another record's place.
        store.write_raw("accounts", "swapped", &account_json("swapped", &good));
        store.write_raw("accounts", "broken", b"{not json");
        store.write_raw("certificates", "c0ffee", b"\x00\xffgarbage");
        let engine = Engine::with(store, vault, crate::activity::Face::Cli);

        let listed: Vec<String> = engine
            .accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(listed, ["good"]);
        let damaged = engine.damaged(Listing::Accounts).unwrap();
        let ids: Vec<&str> = damaged.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["broken", "swapped"]);
        assert!(damaged[0].damaged.contains("does not read"), "{damaged:?}");
        assert!(
            damaged[1]
                .damaged
                .contains("credentials of accounts \"swapped\" does not open"),
            "{damaged:?}"
        );
        assert!(
            engine.account(Some("swapped")).is_ok(),
            "its plain fields still read"
        );

        // A certificate record that does not read has no view: the list and the scheduler's
        // passes, which read the views, leave it out; the listing's damage names it.
        assert!(engine.certs().unwrap().is_empty());
        let damaged = engine.damaged(Listing::Certificates).unwrap();
        assert_eq!(damaged.len(), 1);
        assert_eq!(damaged[0].id, "c0ffee");
        assert!(damaged[0].damaged.contains("certificates"), "{damaged:?}");
        assert!(engine
            .renewal_plans(OffsetDateTime::now_utc())
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_due_certificate_whose_whole_record_does_not_read_is_skipped_by_the_pass() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::from_key([9; 32]);
        let store = current_store(dir.path(), &vault).await;
        // The view the scheduler's plan reads is there (expired, so due); of the record, only
        // the fields the view repeats.
        let version = serde_json::json!({
            "serial": "01",
            "subject": "CN=half.example.com",
            "issuer": "CN=Pebble Intermediate",
            "names": ["half.example.com"],
            "not_before": "2020-01-01T00:00:00Z",
            "not_after": "2020-03-01T00:00:00Z",
            "key_type": "ECDSA P-256",
            "sha256_fingerprint": "00",
        });
        let mut view = version.clone();
        view["id"] = "half".into();
        view["serials"] = serde_json::json!(["01"]);
        view["private_key"] = true.into();
        store.write_raw("certificate_views", "half", view.to_string().as_bytes());
        let cert = serde_json::json!({"id": "half", "versions": [version]});
        store.write_raw("certificates", "half", cert.to_string().as_bytes());
        let request =
            serde_json::json!({"id": "half", "account": "a", "challenge_type": "http-01"});
        store.write_raw("requests", "half", request.to_string().as_bytes());
        let engine = Engine::with(store, vault, crate::activity::Face::Cli);
        assert!(engine.renewal_plans(OffsetDateTime::now_utc()).unwrap()[0]
            .due(OffsetDateTime::now_utc()));

        let report = engine
            .renew_due_once(OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert!(report.outcomes.is_empty(), "{:?}", report.outcomes);
        assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
        assert_eq!(report.skipped[0].id, "half");
        assert!(
            report.skipped[0].damaged.contains("is damaged"),
            "{:?}",
            report.skipped
        );
    }

    /// A keychain that is locked or absent: every call fails.
    struct Locked;

    impl Keychain for Locked {
        async fn load(&self, _: &KeychainEntry) -> Result<Option<Vault>> {
            Err(Error::Keychain("locked".into()))
        }

        async fn save(&self, _: &KeychainEntry, _: &NewKey) -> Result<()> {
            Err(Error::Keychain("locked".into()))
        }
    }

    fn store_id(store: &Store) -> String {
        match store.layout().unwrap() {
            Layout::Existing { store_id, .. } => store_id,
            Layout::New => panic!("the store is new"),
        }
    }

    #[tokio::test]
    async fn a_new_store_gets_a_key_that_unlocks_it_again() {
        let (store, keychain) = (Store::memory(), MemoryKeychain::default());
        let first = unlock(&store, &keychain).await.unwrap();
        let id = store_id(&store);
        assert_eq!(id.len(), 32, "a random id of 16 bytes in hex: {id}");
        assert!(keychain
            .load(&KeychainEntry::of(&id))
            .await
            .unwrap()
            .is_some());
        let sealed = first.seal(&credentials("le"), b"account key");
        let again = unlock(&store, &keychain).await.unwrap();
        assert_eq!(store_id(&store), id, "an existing store keeps its id");
        assert_eq!(
            again
                .open_sealed(&credentials("le"), &sealed)
                .unwrap()
                .as_slice(),
            b"account key"
        );
    }

    #[tokio::test]
    async fn a_new_store_whose_key_cannot_be_kept_stays_new() {
        let store = Store::memory();
        let e = unlock(&store, &Locked)
            .await
            .err()
            .expect("a locked keychain");
        assert_eq!(e.kind(), crate::ErrorKind::Local);
        assert!(matches!(store.layout().unwrap(), Layout::New));
    }

    #[tokio::test]
    async fn a_store_whose_key_is_missing_is_refused_and_left_as_it_was() {
        let store = Store::memory();
        unlock(&store, &MemoryKeychain::default()).await.unwrap();
        let id = store_id(&store);
        let elsewhere = MemoryKeychain::default();
        let e = unlock(&store, &elsewhere).await.err().expect("no key");
        let text = e.to_string();
        assert!(text.contains("is missing from the keychain"), "{text}");
        assert!(text.contains(&format!("master-key/{id}")), "{text}");
        assert_eq!(e.next_step(), Some(NextStep::ResetSecrets), "{text}");
        assert_eq!(e.kind(), crate::ErrorKind::Local);
        assert_eq!(store_id(&store), id);
        assert!(
            elsewhere
                .load(&KeychainEntry::of(&id))
                .await
                .unwrap()
                .is_none(),
            "no new key is made for an existing store"
        );
    }

    #[tokio::test]
    async fn a_foreign_key_under_the_store_s_entry_is_refused() {
        let (store, keychain) = (Store::memory(), MemoryKeychain::default());
        unlock(&store, &keychain).await.unwrap();
        let entry = KeychainEntry::of(&store_id(&store));
        keychain.save(&entry, &NewKey::generate()).await.unwrap();
        let e = unlock(&store, &keychain)
            .await
            .err()
            .expect("a foreign key");
        assert!(
            e.to_string()
                .contains("the keychain's key does not open this data folder"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_current_store_without_its_canary_is_damaged() {
        let store = Store::memory();
        store
            .commit(Change::new().store_id("0123").schema_version())
            .await
            .unwrap();
        let keychain = MemoryKeychain::default();
        keychain
            .save(&KeychainEntry::of("0123"), &NewKey::generate())
            .await
            .unwrap();
        let e = unlock(&store, &keychain).await.err().expect("no canary");
        assert!(e.to_string().contains("canary is missing"), "{e}");
    }

    #[tokio::test]
    async fn unlocking_a_schema_1_store_migrates_it() {
        let key = NewKey::generate();
        let dir = tempfile::tempdir().unwrap();
        let store = schema_1(dir.path(), &key.vault().unwrap());
        let keychain = MemoryKeychain::default();
        keychain
            .save(&KeychainEntry::of("0123"), &key)
            .await
            .unwrap();
        let vault = unlock(&store, &keychain).await.unwrap();
        let Layout::Existing { version, .. } = store.layout().unwrap() else {
            panic!("the store is new");
        };
        assert_eq!(version, SCHEMA_VERSION);
        let sealed = stored_credentials(&store, "le");
        assert_eq!(
            vault
                .open_sealed(&credentials("le"), &sealed)
                .unwrap()
                .as_slice(),
            b"credentials of le"
        );
        unlock(&store, &keychain)
            .await
            .expect("the migrated store unlocks by its canary");
    }

    #[tokio::test]
    async fn unlocking_a_schema_2_store_writes_every_certificate_s_view() {
        let key = NewKey::generate();
        let vault = key.vault().unwrap();
        let keychain = MemoryKeychain::default();
        keychain
            .save(&KeychainEntry::of("0123"), &key)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = current_store(dir.path(), &vault).await;
        store.write_raw("meta", "schema_version", &2u32.to_be_bytes());
        let version = |serial: &str, not_after: &str| {
            serde_json::json!({
                "serial": serial,
                "subject": "CN=old.example.com",
                "issuer": "CN=Pebble Intermediate",
                "names": ["old.example.com"],
                "not_before": "2026-01-01T00:00:00Z",
                "not_after": not_after,
                "key_type": "ECDSA P-256",
                "sha256_fingerprint": "00",
                "certificate_pem": "",
                "chain_pem": "",
                "saved": "2026-01-01T00:00:00Z",
            })
        };
        let cert = serde_json::json!({"id": "old", "versions": [
            version("01", "2026-04-01T00:00:00Z"),
            version("02", "2026-07-01T00:00:00Z"),
        ]});
        store.write_raw("certificates", "old", cert.to_string().as_bytes());
        store.write_raw("certificates", "broken", b"{not json");
        let engine = Engine::with(store, vault, crate::activity::Face::Cli);
        assert!(engine.certs().unwrap().is_empty(), "no views before");
        let store = &*engine.store;

        unlock(store, &keychain).await.unwrap();
        let Layout::Existing { version, .. } = store.layout().unwrap() else {
            panic!("the store is new");
        };
        assert_eq!(version, SCHEMA_VERSION);
        let [listed] = engine.certs().unwrap().try_into().unwrap();
        assert_eq!(listed.id, "old");
        assert_eq!(
            listed.info.serial, "02",
            "the view is of the current version"
        );
        assert_eq!(listed.versions, 2);
        assert!(!listed.private_key);
        assert!(store.read_raw("certificate_views", "broken").is_none());
        assert_eq!(
            engine.damaged(Listing::Certificates).unwrap()[0].id,
            "broken"
        );
    }

    /// A store unlocked with `keychain` that holds one account with sealed credentials.
    async fn store_with_an_account(keychain: &MemoryKeychain) -> (Store, Vault) {
        let store = Store::memory();
        let vault = unlock(&store, keychain).await.unwrap();
        let sealed = vault.seal(&credentials("le"), b"credentials of le");
        store.write_raw("accounts", "le", &account_json("le", &sealed));
        (store, vault)
    }

    #[tokio::test]
    async fn a_reset_without_confirmation_says_what_it_would_forget_and_changes_nothing() {
        let keychain = MemoryKeychain::default();
        let (store, _) = store_with_an_account(&keychain).await;
        let before = store.read_raw("accounts", "le");
        let e = forget_secrets(&store, &keychain, false).await.unwrap_err();
        let text = e.to_string();
        assert!(text.contains("without --yes"), "{text}");
        assert!(text.contains("1 stored secret"), "{text}");
        assert!(text.contains("credentials of accounts \"le\""), "{text}");
        assert_eq!(store.read_raw("accounts", "le"), before);
        let kept = unlock(&store, &keychain).await.unwrap();
        let sealed = stored_credentials(&store, "le");
        assert!(kept.open_sealed(&credentials("le"), &sealed).is_ok());
    }

    #[tokio::test]
    async fn a_confirmed_reset_forgets_every_secret_under_a_new_key() {
        let keychain = MemoryKeychain::default();
        let (store, old) = store_with_an_account(&keychain).await;
        let lost = forget_secrets(&store, &keychain, true).await.unwrap();
        assert_eq!(lost, ["credentials of accounts \"le\""]);
        assert!(stored_credentials(&store, "le").is_forgotten());
        let new = unlock(&store, &keychain)
            .await
            .expect("the new key opens the canary");
        let probe = new.seal(&credentials("x"), b"x");
        assert!(
            old.open_sealed(&credentials("x"), &probe).is_err(),
            "the key is a new one"
        );
        assert!(
            forget_secrets(&store, &keychain, true)
                .await
                .unwrap()
                .is_empty(),
            "a forgotten secret is not forgotten twice"
        );
    }

    #[tokio::test]
    async fn a_reset_with_a_locked_keychain_forgets_nothing() {
        let keychain = MemoryKeychain::default();
        let (store, _) = store_with_an_account(&keychain).await;
        let before = store.read_raw("accounts", "le");
        let e = forget_secrets(&store, &Locked, true).await.unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Local);
        assert_eq!(store.read_raw("accounts", "le"), before);
        unlock(&store, &keychain)
            .await
            .expect("the old key still opens the store");
    }
}
