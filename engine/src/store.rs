//! The data folder: typed records, one tree per record kind, kept by sled on disk ([`sled`]) or,
//! for unit tests, in memory ([`memory`]).
//!
//! Records are JSON (readable in a crash investigation, tolerant of added fields). Every change
//! goes through [`Store::commit`], which applies all of its writes in one transaction across the
//! trees and flushes before returning: a caller that reports success has its data on disk, and a
//! kill in the middle leaves either all of a change or none of it.

#[cfg(test)]
mod memory;
mod sled;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::sealed::Sealed;

/// The layout of the records. Bump it with a migration when a record changes incompatibly.
/// 2: sealed secrets are bound to their table, record and field, and a sealed canary in the
/// meta tree proves the master key (see [`crate::sealing`]).
/// 3: each certificate has a small view beside its record ([`Table::CertificateViews`]), written
/// from the records when a schema 2 folder opens.
pub const SCHEMA_VERSION: u32 = 3;

/// The trees of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Accounts,
    Requests,
    Certificates,
    Settings,
    DnsAccounts,
    /// Deploy mappings (SSH end servers, paired agents).
    Deployments,
    /// The renewal scheduler's per-certificate state (next attempt, failures, ARI window).
    Renewals,
    /// Notice channels (webhooks, Slack, Teams, ntfy).
    NoticeChannels,
    /// The activity log, keyed by time ([`crate::activity`]). A data folder from before it has
    /// no such tree: an empty one is opened, so it needs no new schema version.
    Activity,
    /// The endpoints to watch and their last checks ([`crate::endpoints`]).
    Endpoints,
    /// What the list and the scheduler read of each certificate, without its PEM chains and
    /// sealed keys ([`crate::repository::CertView`]).
    CertificateViews,
}

const TABLES: usize = 11;

impl Table {
    /// The sled tree's name, also the table's name in sealed secrets' places.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Requests => "requests",
            Self::Certificates => "certificates",
            Self::Settings => "settings",
            Self::DnsAccounts => "dns_accounts",
            Self::Deployments => "deployments",
            Self::Renewals => "renewals",
            Self::NoticeChannels => "notice_channels",
            Self::Activity => "activity",
            Self::Endpoints => "endpoints",
            Self::CertificateViews => "certificate_views",
        }
    }

    pub(crate) const ALL: [Self; TABLES] = [
        Self::Accounts,
        Self::Requests,
        Self::Certificates,
        Self::Settings,
        Self::DnsAccounts,
        Self::Deployments,
        Self::Renewals,
        Self::NoticeChannels,
        Self::Activity,
        Self::Endpoints,
        Self::CertificateViews,
    ];
}

/// One tree of the store: a table's, or the meta tree. One transaction spans them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tree {
    Table(Table),
    Meta,
}

impl Tree {
    /// Its place among the trees: the tables in [`Table`] order, then the meta tree.
    const fn index(self) -> usize {
        match self {
            Self::Table(table) => table as usize,
            Self::Meta => TABLES,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Table(table) => table.name(),
            Self::Meta => "meta",
        }
    }

    fn all() -> impl Iterator<Item = Self> {
        Table::ALL.into_iter().map(Self::Table).chain([Self::Meta])
    }

    /// The tree called `name`, for tests that write what a damaged or old data folder holds.
    #[cfg(test)]
    fn named(name: &str) -> Self {
        Self::all()
            .find(|tree| tree.name() == name)
            .unwrap_or_else(|| panic!("the store has no tree {name:?}"))
    }
}

/// The entries of the meta tree: what the data folder is, not what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meta {
    SchemaVersion,
    /// A random id of the data folder, naming its master key in the keychain.
    StoreId,
    /// A known text sealed under the master key: proves at open that the keychain's key is this
    /// data folder's.
    Canary,
}

impl Meta {
    const fn key(self) -> &'static str {
        match self {
            Self::SchemaVersion => "schema_version",
            Self::StoreId => "store_id",
            Self::Canary => "canary",
        }
    }
}

/// What [`Store::layout`] found in the meta tree.
pub(crate) enum Layout {
    /// Nothing yet: no record, no schema, no master key. Only such a store gets a new key.
    New,
    Existing {
        version: u32,
        store_id: String,
        /// Absent before schema 2.
        canary: Option<Sealed>,
    },
}

/// A record that could not be read: its key and what failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Damaged {
    pub id: String,
    pub damaged: String,
}

/// The records of a table that read, and those that did not.
pub struct Scan<R> {
    pub records: Vec<R>,
    pub damaged: Vec<Damaged>,
}

/// A record kept in the store under a string key.
pub trait Record: Serialize + DeserializeOwned {
    const TABLE: Table;
    fn key(&self) -> &str;
}

/// One write of a [`Change`], as a backend applies it.
enum Op {
    Put {
        tree: Tree,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        tree: Tree,
        key: String,
    },
}

/// What [`Backend::visit_from`] calls with each key and value; it breaks to stop the visit.
type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> ControlFlow<()> + 'a;

/// Where the trees are kept. A backend keeps each tree's keys in byte order and applies the
/// writes of one [`Store::commit`] all or none; [`Backend::flush`] makes them durable.
#[async_trait::async_trait]
trait Backend: Send + Sync {
    fn get(&self, tree: Tree, key: &str) -> Result<Option<Vec<u8>>>;

    /// Calls `f` with the entries of `tree` in key order from the first key at or after
    /// `from`, until `f` breaks.
    fn visit_from(&self, tree: Tree, from: &[u8], f: &mut Visitor<'_>) -> Result<()>;

    /// The entry of `tree` with the greatest key.
    fn last(&self, tree: Tree) -> Result<Option<Vec<u8>>>;

    fn is_empty(&self, tree: Tree) -> Result<bool>;

    /// Applies `ops` in order in one transaction: a reader, or a kill, sees all of them or none.
    fn apply(&self, ops: &[Op]) -> Result<()>;

    /// Returns once everything applied so far is on disk.
    async fn flush(&self) -> Result<()>;
}

/// A set of writes applied together by [`Store::commit`].
#[derive(Default)]
#[must_use]
pub struct Change {
    ops: Vec<Op>,
}

impl Change {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put<R: Record>(self, record: &R) -> Self {
        // Our record types always serialise (plain structs, string map keys); writing an empty
        // value instead would destroy the record, so an impossible failure stops here.
        let value = serde_json::to_vec(record).expect("certdesk records serialise to JSON");
        self.op(Op::Put {
            tree: Tree::Table(R::TABLE),
            key: record.key().to_owned(),
            value,
        })
    }

    /// Nothing to write: a caller can leave such a change uncommitted, and spare the flush.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn delete<R: Record>(self, key: &str) -> Self {
        self.op(Op::Delete {
            tree: Tree::Table(R::TABLE),
            key: key.to_owned(),
        })
    }

    pub(crate) fn store_id(self, id: &str) -> Self {
        self.meta(Meta::StoreId, id.as_bytes().to_vec())
    }

    /// Marks the data folder as written in this certdesk's layout, [`SCHEMA_VERSION`].
    pub(crate) fn schema_version(self) -> Self {
        self.meta(Meta::SchemaVersion, SCHEMA_VERSION.to_be_bytes().to_vec())
    }

    pub(crate) fn canary(self, canary: &Sealed) -> Self {
        let value = serde_json::to_vec(canary).expect("a sealed value serialises to JSON");
        self.meta(Meta::Canary, value)
    }

    fn meta(self, entry: Meta, value: Vec<u8>) -> Self {
        self.op(Op::Put {
            tree: Tree::Meta,
            key: entry.key().to_owned(),
            value,
        })
    }

    fn op(mut self, op: Op) -> Self {
        self.ops.push(op);
        self
    }
}

pub struct Store {
    /// One commit at a time. sled 0.34 deadlocks when a transaction is staged while another
    /// commit's flush is in flight (seen here with ten concurrent issuances in one process), so
    /// each transaction and its flush run alone.
    writer: tokio::sync::Mutex<()>,
    backend: Box<dyn Backend>,
    path: PathBuf,
}

/// Sets the page cache of the stores opened after this call, in bytes (32 MiB unless set). The
/// cache keeps what a pass over every certificate read; a process that reads the repository
/// rarely (the tray) holds less with a smaller one, at the cost of reading pages again.
pub fn set_cache_capacity(bytes: u64) {
    sled::set_cache_capacity(bytes)
}

fn store_err(e: impl std::fmt::Display) -> Error {
    Error::Store(e.to_string())
}

impl Store {
    /// Opens the store in `dir`, creating the folder on first use. Writes no record: what the
    /// data folder is ([`Store::layout`]) is for the caller to check.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
        restrict_permissions(dir)?;
        Ok(Self::over(sled::SledTrees::open(dir)?, dir.to_owned()))
    }

    /// An empty store in memory, for unit tests: no data folder, nothing on disk. Its
    /// [`Store::dir`] is a name, not a folder.
    #[cfg(test)]
    pub(crate) fn memory() -> Self {
        Self::over(memory::MemoryTrees::new(), PathBuf::from("(memory)"))
    }

    fn over(backend: impl Backend + 'static, path: PathBuf) -> Self {
        Self {
            writer: tokio::sync::Mutex::new(()),
            backend: Box::new(backend),
            path,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.path
    }

    fn meta(&self, entry: Meta) -> Result<Option<Vec<u8>>> {
        self.backend.get(Tree::Meta, entry.key())
    }

    /// What the meta tree says the data folder is. A folder written by a newer certdesk is
    /// refused here, before anything reads its records.
    pub(crate) fn layout(&self) -> Result<Layout> {
        let Some(version) = self.meta(Meta::SchemaVersion)? else {
            for table in Table::ALL {
                if !self.backend.is_empty(Tree::Table(table))? {
                    return Err(store_err(
                        "the data folder holds records but not its schema version: it is \
                         damaged; restore it from a backup",
                    ));
                }
            }
            return Ok(Layout::New);
        };
        let version = <[u8; 4]>::try_from(version.as_slice())
            .map(u32::from_be_bytes)
            .map_err(|_| store_err("the schema version record is damaged"))?;
        if version > SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "this data folder was written by a newer certdesk (schema {version}, this one \
                 reads {SCHEMA_VERSION}); update certdesk"
            )));
        }
        let store_id = self
            .meta(Meta::StoreId)?
            .ok_or_else(|| store_err("the store id is missing"))?;
        let store_id =
            String::from_utf8(store_id).map_err(|_| store_err("the store id is damaged"))?;
        let canary = self
            .meta(Meta::Canary)?
            .map(|bytes| serde_json::from_slice(&bytes))
            .transpose()
            .map_err(|_| store_err("the master key's canary is damaged"))?;
        Ok(Layout::Existing {
            version,
            store_id,
            canary,
        })
    }

    /// Writes `value` as is under `key` of the tree `tree`: what a damaged or old data folder
    /// holds, for tests.
    #[cfg(test)]
    pub(crate) fn write_raw(&self, tree: &str, key: &str, value: &[u8]) {
        let op = Op::Put {
            tree: Tree::named(tree),
            key: key.to_owned(),
            value: value.to_vec(),
        };
        self.backend
            .apply(&[op])
            .expect("the test record is written");
    }

    #[cfg(test)]
    pub(crate) fn read_raw(&self, tree: &str, key: &str) -> Option<Vec<u8>> {
        self.backend
            .get(Tree::named(tree), key)
            .expect("the test record reads")
    }

    pub fn get<R: Record>(&self, key: &str) -> Result<Option<R>> {
        self.backend
            .get(Tree::Table(R::TABLE), key)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| {
                    store_err(format!(
                        "record {key:?} of {} is damaged: {e}",
                        R::TABLE.name()
                    ))
                })
            })
            .transpose()
    }

    /// All records of a kind that read, in key order; damaged ones are left out (see
    /// [`Store::scan`]).
    pub fn list<R: Record>(&self) -> Result<Vec<R>> {
        Ok(self.scan()?.records)
    }

    /// All records of a kind in key order, each read or listed as damaged: one record that does
    /// not parse does not hide the others.
    pub fn scan<R: Record>(&self) -> Result<Scan<R>> {
        self.scan_from("", usize::MAX)
    }

    /// At most `limit` records of a kind in key order from the first key at or after `from`,
    /// each read or listed as damaged: a range read that costs what it returns.
    pub fn scan_from<R: Record>(&self, from: &str, limit: usize) -> Result<Scan<R>> {
        let mut scan = Scan {
            records: Vec::new(),
            damaged: Vec::new(),
        };
        let mut left = limit;
        self.backend
            .visit_from(Tree::Table(R::TABLE), from.as_bytes(), &mut |key, value| {
                if left == 0 {
                    return ControlFlow::Break(());
                }
                left -= 1;
                match serde_json::from_slice(value) {
                    Ok(record) => scan.records.push(record),
                    Err(e) => scan.damaged.push(Damaged {
                        id: String::from_utf8_lossy(key).into_owned(),
                        damaged: format!("its record in {} does not read: {e}", R::TABLE.name()),
                    }),
                }
                ControlFlow::Continue(())
            })?;
        Ok(scan)
    }

    /// The record of a kind with the greatest key, if it reads.
    pub fn last<R: Record>(&self) -> Result<Option<R>> {
        self.backend
            .last(Tree::Table(R::TABLE))?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| {
                    store_err(format!(
                        "the last record of {} is damaged: {e}",
                        R::TABLE.name()
                    ))
                })
            })
            .transpose()
    }

    /// Applies every write of `change` in one transaction, then flushes to disk.
    pub async fn commit(&self, change: Change) -> Result<()> {
        let _alone = self.writer.lock().await;
        self.backend.apply(&change.ops)?;
        self.backend.flush().await
    }
}

/// The data folder holds certificates and sealed secrets: keep it to its owner.
fn restrict_permissions(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::file(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use serde::Deserialize;

    use super::*;

    /// A record of the settings table.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    struct Note {
        id: String,
        text: String,
    }

    impl Record for Note {
        const TABLE: Table = Table::Settings;
        fn key(&self) -> &str {
            &self.id
        }
    }

    /// A record of another table, to see one commit span two.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    struct Mark {
        id: String,
    }

    impl Record for Mark {
        const TABLE: Table = Table::Renewals;
        fn key(&self) -> &str {
            &self.id
        }
    }

    fn note(id: &str, text: &str) -> Note {
        Note {
            id: id.to_owned(),
            text: text.to_owned(),
        }
    }

    fn ids(notes: &[Note]) -> Vec<&str> {
        notes.iter().map(|n| n.id.as_str()).collect()
    }

    /// Runs `contract` over a sled store in a fresh folder, then over a memory store: what
    /// holds for one must hold for the other.
    async fn on_both<F, Fut>(contract: F)
    where
        F: Fn(&'static str, Store) -> Fut,
        Fut: Future<Output = ()>,
    {
        let dir = tempfile::tempdir().unwrap();
        contract("sled", Store::open(dir.path()).unwrap()).await;
        contract("memory", Store::memory()).await;
    }

    #[tokio::test]
    async fn a_commit_spans_tables_and_applies_its_writes_in_order() {
        on_both(|backend, store| async move {
            store
                .commit(
                    Change::new()
                        .put(&note("a", "first"))
                        .put(&Mark { id: "a".into() })
                        .put(&note("gone", "put, then deleted"))
                        .delete::<Note>("gone")
                        .delete::<Note>("back")
                        .put(&note("back", "deleted, then put"))
                        .put(&note("a", "second")),
                )
                .await
                .unwrap();
            assert_eq!(
                store.get::<Note>("a").unwrap(),
                Some(note("a", "second")),
                "{backend}: the last write of a key wins"
            );
            assert_eq!(
                store.get::<Mark>("a").unwrap(),
                Some(Mark { id: "a".into() }),
                "{backend}: the same key in another table is another record"
            );
            assert_eq!(store.get::<Note>("gone").unwrap(), None, "{backend}");
            assert_eq!(
                store.get::<Note>("back").unwrap(),
                Some(note("back", "deleted, then put")),
                "{backend}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn delete_removes_its_record_only_and_a_missing_one_is_no_error() {
        on_both(|backend, store| async move {
            store
                .commit(Change::new().put(&note("a", "1")).put(&note("b", "2")))
                .await
                .unwrap();
            store
                .commit(Change::new().delete::<Note>("a").delete::<Note>("never"))
                .await
                .unwrap();
            assert_eq!(store.get::<Note>("a").unwrap(), None, "{backend}");
            assert_eq!(ids(&store.list::<Note>().unwrap()), ["b"], "{backend}");
            assert!(store.list::<Mark>().unwrap().is_empty(), "{backend}");
        })
        .await;
    }

    #[tokio::test]
    async fn records_list_in_byte_order_of_their_keys() {
        on_both(|backend, store| async move {
            let mut change = Change::new();
            for id in ["b", "a10", "a2", "B", "a"] {
                change = change.put(&note(id, id));
            }
            store.commit(change).await.unwrap();
            assert_eq!(
                ids(&store.list::<Note>().unwrap()),
                ["B", "a", "a10", "a2", "b"],
                "{backend}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn a_damaged_record_is_listed_as_such_and_hides_no_other() {
        on_both(|backend, store| async move {
            store
                .commit(Change::new().put(&note("a", "1")).put(&note("c", "3")))
                .await
                .unwrap();
            store.write_raw("settings", "b", b"{not json");
            let scan = store.scan::<Note>().unwrap();
            assert_eq!(ids(&scan.records), ["a", "c"], "{backend}");
            assert_eq!(scan.damaged.len(), 1, "{backend}");
            assert_eq!(scan.damaged[0].id, "b", "{backend}");
            assert!(
                scan.damaged[0]
                    .damaged
                    .contains("its record in settings does not read"),
                "{backend}: {:?}",
                scan.damaged
            );
            assert_eq!(ids(&store.list::<Note>().unwrap()), ["a", "c"], "{backend}");
            let e = store.get::<Note>("b").unwrap_err();
            assert!(
                e.to_string()
                    .contains("record \"b\" of settings is damaged"),
                "{backend}: {e}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn the_layout_is_new_until_the_meta_records_are_committed() {
        on_both(|backend, store| async move {
            assert!(matches!(store.layout().unwrap(), Layout::New), "{backend}");
            let canary = crate::sealed::Sealed::forgotten("2026-12-02T00:00:00Z");
            store
                .commit(
                    Change::new()
                        .store_id("0123")
                        .canary(&canary)
                        .schema_version(),
                )
                .await
                .unwrap();
            let Layout::Existing {
                version,
                store_id,
                canary: stored,
            } = store.layout().unwrap()
            else {
                panic!("{backend}: the store is still new");
            };
            assert_eq!(
                (version, store_id.as_str(), stored),
                (SCHEMA_VERSION, "0123", Some(canary)),
                "{backend}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn a_folder_with_records_but_no_schema_or_a_newer_schema_is_refused() {
        on_both(|backend, store| async move {
            store.write_raw("certificates", "c0ffee", b"{}");
            let e = store.layout().err().expect("records without a schema");
            assert!(
                e.to_string()
                    .contains("holds records but not its schema version"),
                "{backend}: {e}"
            );
            store.write_raw(
                "meta",
                "schema_version",
                &(SCHEMA_VERSION + 1).to_be_bytes(),
            );
            let e = store.layout().err().expect("a newer schema");
            assert!(
                e.to_string().contains("written by a newer certdesk"),
                "{backend}: {e}"
            );
            store.write_raw("meta", "schema_version", b"\x02");
            let e = store.layout().err().expect("a damaged schema version");
            assert!(e.to_string().contains("is damaged"), "{backend}: {e}");
        })
        .await;
    }

    #[tokio::test]
    async fn a_sled_commit_is_on_disk_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .commit(Change::new().put(&note("kept", "on disk")))
            .await
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.get::<Note>("kept").unwrap(),
            Some(note("kept", "on disk"))
        );
    }
}
