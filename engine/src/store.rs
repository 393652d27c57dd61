//! The data folder: a sled database of typed records, one tree per record kind.
//!
//! Records are JSON (readable in a crash investigation, tolerant of added fields). Every change
//! goes through [`Store::commit`], which applies all of its writes in one transaction across the
//! trees and flushes before returning: a caller that reports success has its data on disk, and a
//! kill in the middle leaves either all of a change or none of it.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::error::{Error, Result};

/// The layout of the records. Bump it with a migration when a record changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

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

/// A record kept in the store under a string key.
pub trait Record: Serialize + DeserializeOwned {
    const TABLE: Table;
    fn key(&self) -> &str;
}

enum Op {
    Put(Table, String, Vec<u8>),
    Delete(Table, String),
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
}

pub struct Store {
    /// One commit at a time. sled 0.34 deadlocks when a transaction is staged while another
    /// commit's flush is in flight (seen here with ten concurrent issuances in one process), so
    /// each transaction and its flush run alone.
    writer: tokio::sync::Mutex<()>,
    db: sled::Db,
    trees: [sled::Tree; 7],
    meta: sled::Tree,
    path: PathBuf,
}

fn store_err(e: impl std::fmt::Display) -> Error {
    Error::Store(e.to_string())
}

impl Store {
    /// Opens the store in `dir`, creating it on first use, and checks its schema version.
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
                    Error::InUse {
                        dir: dir.display().to_string(),
                        served: crate::control::is_served(dir),
                    }
                } else {
                    store_err(e)
                }
            })?;
        let open = |name: &str| db.open_tree(name).map_err(store_err);
        let trees = [
            open("accounts")?,
            open("requests")?,
            open("certificates")?,
            open("settings")?,
            open("dns_accounts")?,
            open("deployments")?,
            open("renewals")?,
        ];
        let meta = open("meta")?;
        let store = Self {
            writer: tokio::sync::Mutex::new(()),
            db,
            trees,
            meta,
            path: dir.to_owned(),
        };
        store.check_schema()?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.path
    }

    fn check_schema(&self) -> Result<()> {
        match self.meta.get("schema_version").map_err(store_err)? {
            None => {
                let id = crate::ids::random_hex(16);
                self.meta
                    .transaction(|meta| {
                        meta.insert("schema_version", &SCHEMA_VERSION.to_be_bytes())?;
                        meta.insert("store_id", id.as_bytes())?;
                        Ok::<_, ConflictableTransactionError<()>>(())
                    })
                    .map_err(|e| store_err(format!("{e:?}")))?;
                self.db.flush().map_err(store_err)?;
                Ok(())
            }
            Some(v) => {
                let version = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| store_err("the schema version record is damaged"))?;
                if version > SCHEMA_VERSION {
                    return Err(Error::Store(format!(
                        "this data folder was written by a newer certdesk (schema {version}, this \
                         one reads {SCHEMA_VERSION}); update certdesk"
                    )));
                }
                Ok(())
            }
        }
    }

    /// A random id of this data folder, naming its master key in the keychain.
    pub fn store_id(&self) -> Result<String> {
        let id = self
            .meta
            .get("store_id")
            .map_err(store_err)?
            .ok_or_else(|| store_err("the store id is missing"))?;
        String::from_utf8(id.to_vec()).map_err(store_err)
    }

    fn tree(&self, table: Table) -> &sled::Tree {
        &self.trees[table as usize]
    }

    pub fn get<R: Record>(&self, key: &str) -> Result<Option<R>> {
        self.tree(R::TABLE)
            .get(key)
            .map_err(store_err)?
            .map(|bytes| serde_json::from_slice(&bytes).map_err(store_err))
            .transpose()
    }

    /// All records of a kind, in key order.
    pub fn list<R: Record>(&self) -> Result<Vec<R>> {
        self.tree(R::TABLE)
            .iter()
            .values()
            .map(|v| {
                let bytes = v.map_err(store_err)?;
                serde_json::from_slice(&bytes).map_err(store_err)
            })
            .collect()
    }

    /// Applies every write of `change` in one transaction, then flushes to disk.
    pub async fn commit(&self, change: Change) -> Result<()> {
        let _alone = self.writer.lock().await;
        let [a, b, c, d, e, f, g] = &self.trees;
        (a, b, c, d, e, f, g)
            .transaction(|(a, b, c, d, e, f, g)| {
                for op in &change.ops {
                    let (table, key) = match op {
                        Op::Put(t, k, _) | Op::Delete(t, k) => (*t, k),
                    };
                    let tree = match table {
                        Table::Accounts => a,
                        Table::Requests => b,
                        Table::Certificates => c,
                        Table::Settings => d,
                        Table::DnsAccounts => e,
                        Table::Deployments => f,
                        Table::Renewals => g,
                    };
                    match op {
                        Op::Put(_, _, value) => tree.insert(key.as_bytes(), value.as_slice())?,
                        Op::Delete(..) => tree.remove(key.as_bytes())?,
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
