//! The sharded informer cache: many lock-light readers, one [`Writer`].
//!
//! Readers take one shard's read lock for the length of a hash lookup (or of
//! copying a bucket's `Arc`s) and get `Arc<T>`s that share the store's
//! allocation. The single [`Writer`] (the reflector's) takes one shard's write
//! lock per primary change and one index shard's per index value it touches.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};

use super::index::{Index, IndexFunc, Indexer, NAMESPACE_INDEX, NODE_NAME_INDEX, OWNER_INDEX};
use super::key::{shard_of, KeyRef};
use super::table::Table;
use super::{InformerError, Result};
use crate::api::Resource;

/// Shard count when none is given.
pub const DEFAULT_SHARDS: usize = 16;

/// Keeps each shard's lock on its own cache lines (no false sharing between shards).
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct Padded<X>(pub X);

/// A sharded, indexed, read-mostly map of `namespace/name` → `Arc<T>`.
///
/// Invariants: every object lives in shard `shard_of(hash_parts(ns, name))`; after
/// each [`Writer`] call returns, every index holds exactly the objects of the
/// primary map under exactly the values its function yields; `len` is the
/// number of objects in the primary map.
pub struct Cache<T> {
    shards: Box<[Padded<RwLock<Table<T>>>]>,
    len: AtomicUsize,
    synced: AtomicBool,
    builtin: [Index<T>; 3],
    /// User-defined indexes, frozen when the writer is taken.
    custom: OnceLock<Box<[Index<T>]>>,
    pending: Mutex<Vec<(String, IndexFunc<T>)>>,
}

impl<T> fmt::Debug for Cache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("shards", &self.shards.len())
            .field("len", &self.len.load(Ordering::Relaxed))
            .field("synced", &self.synced.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T: Resource> Default for Cache<T> {
    fn default() -> Self {
        Self::new(DEFAULT_SHARDS)
    }
}

impl<T: Resource> Cache<T> {
    /// An empty cache with `shards` shards (rounded up to a power of two, at least 1).
    pub fn new(shards: usize) -> Self {
        let n = shards.max(1).next_power_of_two();
        Cache {
            shards: (0..n).map(|_| Padded(RwLock::new(Table::default()))).collect(),
            len: AtomicUsize::new(0),
            synced: AtomicBool::new(false),
            builtin: [
                Index::new(NAMESPACE_INDEX, Indexer::Namespace, n),
                Index::new(OWNER_INDEX, Indexer::Owner, n),
                Index::new(NODE_NAME_INDEX, Indexer::NodeName, n),
            ],
            custom: OnceLock::new(),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Registers a user-defined index. Only before the writer is taken (before the informer starts).
    pub fn add_index(&self, name: &str, f: impl Fn(&T) -> Vec<String> + Send + Sync + 'static) -> Result<()> {
        let mut pending = self.pending.lock();
        if self.custom.get().is_some() {
            return Err(InformerError::IndexAfterStart { index: name.to_owned() });
        }
        if self.builtin.iter().any(|i| i.name == name) || pending.iter().any(|(n, _)| n == name) {
            return Err(InformerError::DuplicateIndex { index: name.to_owned() });
        }
        pending.push((name.to_owned(), Arc::new(f)));
        Ok(())
    }

    /// The cache's only writer; freezes the set of indexes. `Err` if already taken.
    pub fn writer(self: &Arc<Self>) -> Result<Writer<T>> {
        let pending = std::mem::take(&mut *self.pending.lock());
        let n = self.shards.len();
        let custom = pending.into_iter().map(|(name, f)| Index::new(name, Indexer::Custom(f), n)).collect();
        match self.custom.set(custom) {
            Ok(()) => Ok(Writer { cache: self.clone() }),
            Err(_) => Err(InformerError::WriterTaken { kind: T::KIND.as_str() }),
        }
    }

    fn shard(&self, hash: u64) -> &RwLock<Table<T>> {
        &self.shards[shard_of(hash, self.shards.len())].0
    }

    /// The object with key `namespace/name` (or `name` when cluster-scoped).
    #[inline]
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        self.lookup(&KeyRef::parse(key))
    }

    /// The object `name` in `namespace` (`""` for cluster-scoped); builds no key string.
    #[inline]
    pub fn get_ns_name(&self, namespace: &str, name: &str) -> Option<Arc<T>> {
        self.lookup(&KeyRef::new(namespace, name))
    }

    #[inline]
    fn lookup(&self, key: &KeyRef<'_>) -> Option<Arc<T>> {
        self.shard(key.hash).read().get(key).cloned()
    }

    /// Every cached object (shard by shard: not one atomic snapshot while the writer runs).
    pub fn list(&self) -> Vec<Arc<T>> {
        let mut out = Vec::with_capacity(self.len());
        for s in self.shards.iter() {
            out.extend(s.0.read().values().cloned());
        }
        out
    }

    /// Every key (`namespace/name`).
    pub fn keys(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.len());
        for s in self.shards.iter() {
            out.extend(s.0.read().iter().map(|(k, _, _)| k.to_owned()));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// True once the first full list has been applied.
    pub fn has_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    fn indexes(&self) -> impl Iterator<Item = &Index<T>> {
        self.builtin.iter().chain(self.custom.get().into_iter().flat_map(|c| c.iter()))
    }

    fn index(&self, name: &str) -> Option<&Index<T>> {
        self.indexes().find(|i| i.name == name)
    }

    /// Names of every index (built-in first, then user-defined once frozen).
    pub fn index_names(&self) -> Vec<String> {
        self.indexes().map(|i| i.name.clone()).collect()
    }

    /// Objects filed under `value` in index `index`.
    ///
    /// # Panics
    /// If no index has that name (a programming error; see [`Cache::try_by_index`]).
    pub fn by_index(&self, index: &str, value: &str) -> Vec<Arc<T>> {
        self.try_by_index(index, value).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Objects filed under `value` in index `index`; `Err` if there is no such index.
    pub fn try_by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<T>>> {
        match self.index(index) {
            Some(i) => Ok(i.get(value)),
            None => Err(InformerError::UnknownIndex { index: index.to_owned() }),
        }
    }

    /// Every value of index `index` that has objects (empty for an unknown index).
    pub fn index_values(&self, index: &str) -> Vec<String> {
        self.index(index).map(Index::values).unwrap_or_default()
    }

    /// Objects in `namespace`.
    pub fn by_namespace(&self, namespace: &str) -> Vec<Arc<T>> {
        self.builtin[0].get(namespace)
    }

    /// Objects whose controller owner has uid `uid`.
    pub fn by_owner(&self, uid: &str) -> Vec<Arc<T>> {
        self.builtin[1].get(uid)
    }

    /// Pods bound to node `node`.
    pub fn by_node(&self, node: &str) -> Vec<Arc<T>> {
        self.builtin[2].get(node)
    }
}

/// What a full replace changed, in the order handlers are told: deletions (by
/// key), then additions and updates in list order. Unchanged objects (same
/// resourceVersion) are not reported.
#[derive(Debug)]
pub struct Replaced<T> {
    pub deleted: Vec<Arc<T>>,
    /// `(Some(old), new)` for an update, `(None, new)` for an addition.
    pub applied: Vec<(Option<Arc<T>>, Arc<T>)>,
}

impl<T> Replaced<T> {
    pub fn len(&self) -> usize {
        self.deleted.len() + self.applied.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The single writer of a [`Cache`] (not `Clone`): applies changes to the primary map, then to the indexes.
pub struct Writer<T> {
    cache: Arc<Cache<T>>,
}

impl<T> fmt::Debug for Writer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").field("cache", &self.cache).finish()
    }
}

impl<T: Resource> Writer<T> {
    pub fn cache(&self) -> &Arc<Cache<T>> {
        &self.cache
    }

    /// Inserts or replaces `obj`; returns the object it replaced.
    pub fn upsert(&mut self, obj: Arc<T>) -> Option<Arc<T>> {
        let c = &*self.cache;
        let key = KeyRef::new(&obj.meta().namespace, &obj.meta().name);
        let (hash, old) = (key.hash, c.shard(key.hash).write().insert(&key, obj.clone()));
        if old.is_none() {
            c.len.fetch_add(1, Ordering::Release);
        }
        for i in c.indexes() {
            i.update(hash, old.as_ref(), Some(&obj));
        }
        old
    }

    /// Removes the object `namespace/name`; returns it.
    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<Arc<T>> {
        let c = &*self.cache;
        let key = KeyRef::new(namespace, name);
        let (hash, old) = (key.hash, c.shard(key.hash).write().remove(&key)?);
        c.len.fetch_sub(1, Ordering::Release);
        for i in c.indexes() {
            i.update(hash, Some(&old), None);
        }
        Some(old)
    }

    /// Replaces the whole content with `items` (a fresh list): new maps are
    /// built aside, then swapped in shard by shard; marks the cache synced.
    /// A key listed twice keeps its last object.
    pub fn replace(&mut self, items: Vec<Arc<T>>) -> Replaced<T> {
        let c = &*self.cache;
        let n = c.shards.len();
        let (mut hashes, mut maps, duplicates) = build_tables(&items, n);
        let mut items = items;
        if duplicates {
            items = dedup_last(items);
            (hashes, maps, _) = build_tables(&items, n);
        }
        let objects: Vec<(u64, Arc<T>)> = hashes.iter().copied().zip(items.iter().cloned()).collect();
        let index_maps: Vec<_> = c.indexes().map(|i| i.build(&objects)).collect();
        drop(objects);

        let count = maps.iter().map(Table::len).sum();
        let mut old_maps: Vec<Table<T>> = Vec::with_capacity(n);
        for (shard, map) in c.shards.iter().zip(maps) {
            old_maps.push(std::mem::replace(&mut *shard.0.write(), map));
        }
        c.len.store(count, Ordering::Release);
        for (i, m) in c.indexes().zip(index_maps) {
            i.swap(m);
        }
        c.synced.store(true, Ordering::Release);

        // Diff against the old content, which only this writer holds now.
        let mut applied = Vec::new();
        for (obj, hash) in items.into_iter().zip(hashes) {
            let m = obj.meta();
            let key = KeyRef::new(&m.namespace, &m.name);
            match old_maps[shard_of(hash, n)].remove(&key) {
                None => applied.push((None, obj)),
                Some(old) if old.meta().resource_version != m.resource_version => applied.push((Some(old), obj)),
                Some(_) => {}
            }
        }
        let mut deleted: Vec<(Box<str>, Arc<T>)> = old_maps.into_iter().flat_map(Table::into_entries).collect();
        deleted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Replaced { deleted: deleted.into_iter().map(|(_, o)| o).collect(), applied }
    }
}

/// Each item's key hash and the shard tables holding them; `true` if a key repeats.
fn build_tables<T: Resource>(items: &[Arc<T>], n: usize) -> (Vec<u64>, Vec<Table<T>>, bool) {
    let hashes: Vec<u64> = items.iter().map(|o| KeyRef::new(&o.meta().namespace, &o.meta().name).hash).collect();
    let mut per_shard = vec![0usize; n];
    hashes.iter().for_each(|h| per_shard[shard_of(*h, n)] += 1);
    let mut maps: Vec<Table<T>> = per_shard.into_iter().map(Table::with_capacity).collect();
    let mut duplicates = false;
    for (obj, &hash) in items.iter().zip(&hashes) {
        let key = KeyRef::new(&obj.meta().namespace, &obj.meta().name);
        duplicates |= maps[shard_of(hash, n)].insert(&key, obj.clone()).is_some();
    }
    (hashes, maps, duplicates)
}

/// `items` with only the last object of each key, in list order.
fn dedup_last<T: Resource>(items: Vec<Arc<T>>) -> Vec<Arc<T>> {
    let key = |o: &T| o.meta().key();
    let last: std::collections::HashMap<String, usize> = items.iter().enumerate().map(|(i, o)| (key(o), i)).collect();
    items.into_iter().enumerate().filter(|(i, o)| last.get(&key(o)) == Some(i)).map(|(_, o)| o).collect()
}
