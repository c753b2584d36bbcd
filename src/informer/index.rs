//! Secondary indexes: index value → the cached objects that have it, sharded by value hash.
//!
//! An index maps each value its function yields (a namespace, a controller
//! owner's uid, a node name, anything user-defined) to a `Bucket` holding the
//! very `Arc`s the primary map holds, so `by_index` is one lookup and a run of
//! `Arc` clones — not one primary lookup per key as in client-go. A bucket is
//! keyed by the object's key hash (16-byte entries); the rare object whose key
//! hash equals another's in the same bucket goes to a small `collided` list,
//! so the index stays exact.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;

use foldhash::fast::FixedState;

use super::key::{hash_value, shard_of, PassThrough};
use crate::api::Resource;

/// Name of the built-in index on `metadata.namespace` (cluster-scoped objects are not in it).
pub const NAMESPACE_INDEX: &str = "namespace";
/// Name of the built-in index on the controller owner's uid (`metadata.ownerReferences[controller=true].uid`).
pub const OWNER_INDEX: &str = "controller-owner";
/// Name of the built-in index on `spec.nodeName` (pods that are bound; see [`Resource::node_name`]).
pub const NODE_NAME_INDEX: &str = "spec.nodeName";

/// A user-defined index function: the values an object is filed under.
pub type IndexFunc<T> = Arc<dyn Fn(&T) -> Vec<String> + Send + Sync>;

/// How an index computes its values.
pub(crate) enum Indexer<T> {
    Namespace,
    Owner,
    NodeName,
    Custom(IndexFunc<T>),
}

/// The values of one object under one index (built-ins yield at most one and never allocate).
pub(crate) enum Values<'a> {
    One(Option<&'a str>),
    Many(Vec<String>),
}

impl Values<'_> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let (one, many) = match self {
            Values::One(v) => (*v, &[][..]),
            Values::Many(v) => (None, &v[..]),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
    fn contains(&self, value: &str) -> bool {
        self.iter().any(|v| v == value)
    }
}

impl<T: Resource> Indexer<T> {
    pub(crate) fn values<'a>(&self, obj: &'a T) -> Values<'a> {
        match self {
            Indexer::Namespace => Values::One(Some(obj.meta().namespace.as_str()).filter(|ns| !ns.is_empty())),
            Indexer::Owner => Values::One(obj.meta().controller_ref().map(|r| r.uid.as_str())),
            Indexer::NodeName => Values::One(obj.node_name()),
            Indexer::Custom(f) => {
                let mut v = f(obj);
                v.sort_unstable();
                v.dedup();
                Values::Many(v)
            }
        }
    }
}

/// Same `namespace/name`?
fn same_key<T: Resource>(a: &Arc<T>, b: &Arc<T>) -> bool {
    a.meta().name == b.meta().name && a.meta().namespace == b.meta().namespace
}

/// The objects filed under one index value.
///
/// Invariants: every object appears once (in `items` or in `collided`);
/// `collided` only holds objects whose key hash is also a key of `items`.
pub(crate) struct Bucket<T> {
    items: HashMap<u64, Arc<T>, PassThrough>,
    collided: Vec<(u64, Arc<T>)>,
}

impl<T> Default for Bucket<T> {
    fn default() -> Self {
        Bucket { items: HashMap::default(), collided: Vec::new() }
    }
}

impl<T: Resource> Bucket<T> {
    /// Files `new` (key hash `hash`), replacing the entry for the same key if any.
    /// `old` is the object the primary map held for that key (a pointer check
    /// spares comparing names in the common case).
    pub(crate) fn upsert(&mut self, hash: u64, new: &Arc<T>, old: Option<&Arc<T>>) {
        use std::collections::hash_map::Entry;
        match self.items.entry(hash) {
            Entry::Vacant(e) => {
                e.insert(new.clone());
            }
            Entry::Occupied(mut e) => {
                let cur = e.get();
                if old.is_some_and(|o| Arc::ptr_eq(o, cur)) || same_key(cur, new) {
                    e.insert(new.clone());
                } else if let Some(slot) = self.collided.iter_mut().find(|(h, o)| *h == hash && same_key(o, new)) {
                    slot.1 = new.clone();
                } else {
                    self.collided.push((hash, new.clone()));
                }
            }
        }
    }

    /// Unfiles the object with `obj`'s key; `obj` is what the primary map held.
    pub(crate) fn remove(&mut self, hash: u64, obj: &Arc<T>) {
        let Some(cur) = self.items.get(&hash) else { return };
        if Arc::ptr_eq(cur, obj) || same_key(cur, obj) {
            self.items.remove(&hash);
            if let Some(i) = self.collided.iter().position(|(h, _)| *h == hash) {
                let (_, promoted) = self.collided.swap_remove(i);
                self.items.insert(hash, promoted);
            }
        } else if let Some(i) = self.collided.iter().position(|(h, o)| *h == hash && same_key(o, obj)) {
            self.collided.swap_remove(i);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len() + self.collided.len()
    }

    pub(crate) fn extend_into(&self, out: &mut Vec<Arc<T>>) {
        out.reserve(self.len());
        out.extend(self.items.values().cloned());
        out.extend(self.collided.iter().map(|(_, o)| o.clone()));
    }
}

type ValueMap<T> = HashMap<Box<str>, Bucket<T>, FixedState>;

/// One named index, its value map split into shards (each behind its own lock).
pub(crate) struct Index<T> {
    pub(crate) name: String,
    pub(crate) indexer: Indexer<T>,
    shards: Box<[super::cache::Padded<RwLock<ValueMap<T>>>]>,
}

impl<T> fmt::Debug for Index<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index").field("name", &self.name).field("shards", &self.shards.len()).finish()
    }
}

impl<T: Resource> Index<T> {
    pub(crate) fn new(name: impl Into<String>, indexer: Indexer<T>, shards: usize) -> Self {
        let shards = (0..shards).map(|_| super::cache::Padded(RwLock::new(ValueMap::default()))).collect();
        Index { name: name.into(), indexer, shards }
    }

    fn shard(&self, value: &str) -> &RwLock<ValueMap<T>> {
        &self.shards[shard_of(hash_value(value), self.shards.len())].0
    }

    /// Every object filed under `value` (read lock on one shard for the copy of the `Arc`s).
    pub(crate) fn get(&self, value: &str) -> Vec<Arc<T>> {
        let mut out = Vec::new();
        if let Some(b) = self.shard(value).read().get(value) {
            b.extend_into(&mut out);
        }
        out
    }

    /// Every value with at least one object.
    pub(crate) fn values(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in self.shards.iter() {
            out.extend(s.0.read().keys().map(|k| k.to_string()));
        }
        out
    }

    /// Moves the object with key hash `hash` from `old`'s values to `new`'s.
    pub(crate) fn update(&self, hash: u64, old: Option<&Arc<T>>, new: Option<&Arc<T>>) {
        let old_vals = old.map(|o| self.indexer.values(o));
        let new_vals = new.map(|n| self.indexer.values(n));
        if let (Some(o), Some(ov)) = (old, &old_vals) {
            for v in ov.iter().filter(|v| !new_vals.as_ref().is_some_and(|nv| nv.contains(v))) {
                let mut shard = self.shard(v).write();
                if let Some(b) = shard.get_mut(v) {
                    b.remove(hash, o);
                    if b.len() == 0 {
                        shard.remove(v);
                    }
                }
            }
        }
        if let (Some(n), Some(nv)) = (new, &new_vals) {
            for v in nv.iter() {
                let mut shard = self.shard(v).write();
                match shard.get_mut(v) {
                    Some(b) => b.upsert(hash, n, old),
                    None => {
                        let mut b = Bucket::default();
                        b.upsert(hash, n, None);
                        shard.insert(v.into(), b);
                    }
                }
            }
        }
    }

    /// Builds the value maps for `objects` (key hash, object) without touching the live ones.
    pub(crate) fn build(&self, objects: &[(u64, Arc<T>)]) -> Vec<ValueMap<T>> {
        let mut maps: Vec<ValueMap<T>> = (0..self.shards.len()).map(|_| ValueMap::default()).collect();
        for (hash, obj) in objects {
            for v in self.indexer.values(obj).iter() {
                let map = &mut maps[shard_of(hash_value(v), self.shards.len())];
                match map.get_mut(v) {
                    Some(b) => b.upsert(*hash, obj, None),
                    None => {
                        let mut b = Bucket::default();
                        b.upsert(*hash, obj, None);
                        map.insert(v.into(), b);
                    }
                }
            }
        }
        maps
    }

    /// Swaps in maps made by [`Index::build`], shard by shard.
    pub(crate) fn swap(&self, maps: Vec<ValueMap<T>>) {
        for (shard, map) in self.shards.iter().zip(maps) {
            let old = std::mem::replace(&mut *shard.0.write(), map);
            drop(old); // freed outside the lock
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Pod;
    use crate::api::ObjectMeta;

    fn pod(ns: &str, name: &str, rv: &str) -> Arc<Pod> {
        let mut p = Pod { metadata: ObjectMeta::named(ns, name), ..Default::default() };
        p.metadata.resource_version = rv.into();
        Arc::new(p)
    }

    fn names(b: &Bucket<Pod>) -> Vec<String> {
        let mut out = Vec::new();
        b.extend_into(&mut out);
        let mut n: Vec<_> =
            out.iter().map(|p| format!("{}@{}", p.metadata.key(), p.metadata.resource_version)).collect();
        n.sort();
        n
    }

    #[test]
    fn colliding_key_hashes_stay_distinct_objects() {
        let mut b = Bucket::default();
        let (a1, b1) = (pod("ns", "a", "1"), pod("ns", "b", "2"));
        b.upsert(7, &a1, None);
        b.upsert(7, &b1, None);
        assert_eq!(names(&b), ["ns/a@1", "ns/b@2"]);
        // Updating the collided one replaces it, not its hash twin.
        let b2 = pod("ns", "b", "3");
        b.upsert(7, &b2, Some(&b1));
        assert_eq!(names(&b), ["ns/a@1", "ns/b@3"]);
        // Removing the one in `items` promotes the collided one.
        b.remove(7, &a1);
        assert_eq!(names(&b), ["ns/b@3"]);
        b.remove(7, &b2);
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn removing_the_collided_one_keeps_the_other() {
        let mut b = Bucket::default();
        let (a1, b1) = (pod("ns", "a", "1"), pod("ns", "b", "2"));
        b.upsert(7, &a1, None);
        b.upsert(7, &b1, None);
        b.remove(7, &b1);
        assert_eq!(names(&b), ["ns/a@1"]);
        b.remove(7, &pod("ns", "zzz", "9")); // not filed: no-op
        assert_eq!(names(&b), ["ns/a@1"]);
    }

    #[test]
    fn custom_values_are_deduplicated() {
        let f: IndexFunc<Pod> = Arc::new(|_| vec!["x".into(), "y".into(), "x".into()]);
        let idx = Index::new("dup", Indexer::Custom(f), 4);
        let p = pod("ns", "a", "1");
        idx.update(crate::informer::key::hash_parts("ns", "a"), None, Some(&p));
        assert_eq!(idx.get("x").len(), 1);
        let mut vals = idx.values();
        vals.sort();
        assert_eq!(vals, ["x", "y"]);
    }
}
