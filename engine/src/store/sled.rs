//! The store's trees on disk: one sled database in the data folder, one sled tree per [`Tree`].

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use ::sled::transaction::{ConflictableTransactionError, TransactionError};
use ::sled::Transactional;

use super::{store_err, Backend, Op, Tree, Visitor};
use crate::error::{Error, Result};

/// The page cache of the databases opened from now on ([`super::set_cache_capacity`]). sled's
/// default is 1 GiB; a repository of 10,000 certificates is a few tens of MiB, and the window
/// shares the machine with everything else the administrator runs.
static CACHE_BYTES: AtomicU64 = AtomicU64::new(32 * 1024 * 1024);

pub(super) fn set_cache_capacity(bytes: u64) {
    CACHE_BYTES.store(bytes, Ordering::Relaxed);
}

pub(super) struct SledTrees {
    db: ::sled::Db,
    /// In [`Tree::index`] order: one transaction spans them all.
    trees: Vec<::sled::Tree>,
}

impl SledTrees {
    /// The database of the data folder `dir`. A folder another process holds is
    /// [`Error::InUse`].
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let db = ::sled::Config::new()
            .path(dir.join("store"))
            .cache_capacity(CACHE_BYTES.load(Ordering::Relaxed))
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
        let trees = Tree::all()
            .map(|tree| db.open_tree(tree.name()).map_err(store_err))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { db, trees })
    }

    fn tree(&self, tree: Tree) -> &::sled::Tree {
        &self.trees[tree.index()]
    }
}

#[async_trait::async_trait]
impl Backend for SledTrees {
    fn get(&self, tree: Tree, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree(tree)
            .get(key)
            .map_err(store_err)?
            .map(|v| v.to_vec()))
    }

    fn visit_from(&self, tree: Tree, from: &[u8], f: &mut Visitor<'_>) -> Result<()> {
        for entry in self.tree(tree).range(from..) {
            let (key, value) = entry.map_err(store_err)?;
            if f(&key, &value).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn last(&self, tree: Tree) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree(tree)
            .last()
            .map_err(store_err)?
            .map(|(_, value)| value.to_vec()))
    }

    fn is_empty(&self, tree: Tree) -> Result<bool> {
        Ok(self.tree(tree).is_empty())
    }

    fn apply(&self, ops: &[Op]) -> Result<()> {
        self.trees[..]
            .transaction(|trees| {
                for op in ops {
                    match op {
                        Op::Put { tree, key, value } => {
                            trees[tree.index()].insert(key.as_bytes(), value.as_slice())?
                        }
                        Op::Delete { tree, key } => trees[tree.index()].remove(key.as_bytes())?,
                    };
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e: TransactionError<()>| store_err(format!("{e:?}")))
    }

    async fn flush(&self) -> Result<()> {
        self.db.flush_async().await.map_err(store_err)?;
        Ok(())
    }
}
