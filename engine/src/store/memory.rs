//! The store's trees in memory, for unit tests of what lies above the store: sled's contract
//! (keys in byte order, a commit all or none) without a data folder.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{Backend, Op, Tree, Visitor};
use crate::error::Result;

/// One map per tree, in [`Tree::index`] order.
type Trees = Vec<BTreeMap<Vec<u8>, Vec<u8>>>;

pub(super) struct MemoryTrees {
    trees: Mutex<Trees>,
}

impl MemoryTrees {
    pub(super) fn new() -> Self {
        Self {
            trees: Mutex::new(Tree::all().map(|_| BTreeMap::new()).collect()),
        }
    }

    /// The trees, whole. No write panics halfway through, so a lock poisoned by a test's
    /// panicking reader still guards consistent trees.
    fn trees(&self) -> MutexGuard<'_, Trees> {
        self.trees.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Backend for MemoryTrees {
    fn get(&self, tree: Tree, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.trees()[tree.index()].get(key.as_bytes()).cloned())
    }

    fn visit_from(&self, tree: Tree, from: &[u8], f: &mut Visitor<'_>) -> Result<()> {
        for (key, value) in self.trees()[tree.index()].range(from.to_vec()..) {
            if f(key, value).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn last(&self, tree: Tree) -> Result<Option<Vec<u8>>> {
        Ok(self.trees()[tree.index()]
            .last_key_value()
            .map(|(_, value)| value.clone()))
    }

    fn is_empty(&self, tree: Tree) -> Result<bool> {
        Ok(self.trees()[tree.index()].is_empty())
    }

    /// Under one lock: a reader sees the trees before the commit or after it.
    fn apply(&self, ops: &[Op]) -> Result<()> {
        let mut trees = self.trees();
        for op in ops {
            match op {
                Op::Put { tree, key, value } => {
                    trees[tree.index()].insert(key.as_bytes().to_vec(), value.clone());
                }
                Op::Delete { tree, key } => {
                    trees[tree.index()].remove(key.as_bytes());
                }
            }
        }
        Ok(())
    }

    async fn flush(&self) -> Result<()> {
        Ok(())
    }
}
