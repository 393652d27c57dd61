//! The data folder: a sled database of typed records, one tree per record kind.
//!
//! Records are JSON (readable in a crash investigation, tolerant of added fields). Every change
//! goes through [`Store::commit`], which applies all of its writes in one transaction across the
//! trees and flushes before returning: a caller that reports success has its data on disk, and a
//! kill in the middle leaves either all of a change or none of it.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::vault::Sealed;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::error::{Error, Result};

/// The layout of the records. Bump it with a migration when a record changes incompatibly.
/// 2: sealed secrets are bound to their table, record and field, and a sealed canary in the
/// meta tree proves the master key (see [`crate::sealing`]).
pub const SCHEMA_VERSION: u32 = 2;

const STORE_CACHE_BYTES: u64 = 32 * 1024 * 1024;

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
}

const TABLES: usize = 7;

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
    ];
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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

enum Op {
    Put(Table, String, Vec<u8>),
    Delete(Table, String),
    PutMeta(Meta, Vec<u8>),
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

    pub fn put<R: Record>(mut self, record: &R) -> Self {
        // Our record types always serialise (plain structs, string map keys); writing an empty
        // value instead would destroy the record, so an impossible failure stops here.
        let bytes = serde_json::to_vec(record).expect("certdesk records serialise to JSON");
        self.ops
            .push(Op::Put(R::TABLE, record.key().to_owned(), bytes));
        self
    }

    pub fn delete<R: Record>(mut self, key: &str) -> Self {
        self.ops.push(Op::Delete(R::TABLE, key.to_owned()));
        self
    }

    pub(crate) fn store_id(mut self, id: &str) -> Self {
        self.ops
            .push(Op::PutMeta(Meta::StoreId, id.as_bytes().to_vec()));
        self
    }

    /// Marks the data folder as written in this certdesk's layout, [`SCHEMA_VERSION`].
    pub(crate) fn schema_version(mut self) -> Self {
        self.ops.push(Op::PutMeta(
            Meta::SchemaVersion,
            SCHEMA_VERSION.to_be_bytes().to_vec(),
        ));
        self
    }

    pub(crate) fn canary(mut self, canary: &Sealed) -> Self {
        let bytes = serde_json::to_vec(canary).expect("a sealed value serialises to JSON");
        self.ops.push(Op::PutMeta(Meta::Canary, bytes));
        self
    }
}

pub struct Store {
    /// One commit at a time. sled 0.34 deadlocks when a transaction is staged while another
    /// commit's flush is in flight (seen here with ten concurrent issuances in one process), so
    /// each transaction and its flush run alone.
    writer: tokio::sync::Mutex<()>,
    db: sled::Db,
    /// The record trees in [`Table`] order, then the meta tree: one transaction spans them all.
    trees: [sled::Tree; TABLES + 1],
    path: PathBuf,
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
        let path = dir.join("store");
        // sled's default page cache is 1 GiB; a repository of 10,000 certificates is a few tens
        // of MiB, and the window shares the machine with everything else the administrator runs.
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(STORE_CACHE_BYTES)
            .open()
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("lock") || text.contains("WouldBlock") {
                    // Whether the holder serves a control socket is for the caller to find out.
                    Error::InUse {
                        dir: dir.display().to_string(),
                        served: false,
                    }
                } else {
                    store_err(e)
                }
            })?;
        let open = |name: &str| db.open_tree(name).map_err(store_err);
        let [a, b, c, d, e, f, g] = Table::ALL.map(Table::name);
        let trees = [
            open(a)?,
            open(b)?,
            open(c)?,
            open(d)?,
            open(e)?,
            open(f)?,
            open(g)?,
            open("meta")?,
        ];
        Ok(Self {
            writer: tokio::sync::Mutex::new(()),
            db,
            trees,
            path: dir.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.path
    }

    fn meta(&self, key: Meta) -> Result<Option<sled::IVec>> {
        self.trees[TABLES].get(key.key()).map_err(store_err)
    }

    /// What the meta tree says the data folder is. A folder written by a newer certdesk is
    /// refused here, before anything reads its records.
    pub(crate) fn layout(&self) -> Result<Layout> {
        let Some(version) = self.meta(Meta::SchemaVersion)? else {
            if Table::ALL.iter().any(|&t| !self.tree(t).is_empty()) {
                return Err(store_err(
                    "the data folder holds records but not its schema version: it is damaged; \
                     restore it from a backup",
                ));
            }
            return Ok(Layout::New);
        };
        let version = <[u8; 4]>::try_from(version.as_ref())
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
        let store_id = String::from_utf8(store_id.to_vec())
            .map_err(|_| store_err("the store id is damaged"))?;
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
        let tree = self.db.open_tree(tree).expect("the tree opens");
        tree.insert(key, value).expect("the test record is written");
    }

    #[cfg(test)]
    pub(crate) fn read_raw(&self, tree: &str, key: &str) -> Option<Vec<u8>> {
        let tree = self.db.open_tree(tree).expect("the tree opens");
        tree.get(key)
            .expect("the test record reads")
            .map(|v| v.to_vec())
    }

    fn tree(&self, table: Table) -> &sled::Tree {
        &self.trees[table as usize]
    }

    pub fn get<R: Record>(&self, key: &str) -> Result<Option<R>> {
        self.tree(R::TABLE)
            .get(key)
            .map_err(store_err)?
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
        let mut scan = Scan {
            records: Vec::new(),
            damaged: Vec::new(),
        };
        for entry in self.tree(R::TABLE).iter() {
            let (key, value) = entry.map_err(store_err)?;
            match serde_json::from_slice(&value) {
                Ok(record) => scan.records.push(record),
                Err(e) => scan.damaged.push(Damaged {
                    id: String::from_utf8_lossy(&key).into_owned(),
                    damaged: format!("its record in {} does not read: {e}", R::TABLE.name()),
                }),
            }
        }
        Ok(scan)
    }

    /// Applies every write of `change` in one transaction, then flushes to disk.
    pub async fn commit(&self, change: Change) -> Result<()> {
        let _alone = self.writer.lock().await;
        self.trees[..]
            .transaction(|trees| {
                for op in &change.ops {
                    match op {
                        Op::Put(t, key, value) => {
                            trees[*t as usize].insert(key.as_bytes(), value.as_slice())?
                        }
                        Op::Delete(t, key) => trees[*t as usize].remove(key.as_bytes())?,
                        Op::PutMeta(m, value) => trees[TABLES].insert(m.key(), value.as_slice())?,
                    };
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e: TransactionError<()>| store_err(format!("{e:?}")))?;
        self.db.flush_async().await.map_err(store_err)?;
        Ok(())
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
