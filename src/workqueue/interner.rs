//! `KeyInterner`: string keys ↔ dense `ItemId`s, for callers whose keys are strings.

use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;

use super::ItemId;

/// Gives each distinct string key a dense id (0, 1, 2, …) and maps it back.
/// Thread-safe; ids are never reused, so an id stays valid for the interner's
/// lifetime. Lookups of known keys take only a read lock.
#[derive(Default)]
pub struct KeyInterner {
    inner: RwLock<Inner>,
}

/// Invariant: `ids[keys[i]] == i` for every `i`, and `ids.len() == keys.len()`.
#[derive(Default)]
struct Inner {
    ids: foldhash::HashMap<Arc<str>, ItemId>,
    keys: Vec<Arc<str>>,
}

impl KeyInterner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The key's id, giving it the next free id if it has none yet.
    ///
    /// Panics after `u32::MAX` distinct keys.
    pub fn intern(&self, key: &str) -> ItemId {
        if let Some(&id) = self.inner.read().ids.get(key) {
            return id;
        }
        let mut inner = self.inner.write();
        if let Some(&id) = inner.ids.get(key) {
            return id; // interned by another thread between the two locks
        }
        let id = ItemId::try_from(inner.keys.len()).expect("more than u32::MAX keys interned");
        let key: Arc<str> = Arc::from(key);
        inner.keys.push(Arc::clone(&key));
        inner.ids.insert(key, id);
        id
    }

    /// The key's id, if it has one.
    pub fn id(&self, key: &str) -> Option<ItemId> {
        self.inner.read().ids.get(key).copied()
    }

    /// The key with this id.
    pub fn key(&self, id: ItemId) -> Option<Arc<str>> {
        self.inner.read().keys.get(id as usize).cloned()
    }

    /// Number of interned keys (= the next id).
    pub fn len(&self) -> usize {
        self.inner.read().keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for KeyInterner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyInterner").field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_get_dense_stable_ids_and_map_back() {
        let i = KeyInterner::new();
        assert!(i.is_empty());
        assert_eq!(i.intern("ns/a"), 0);
        assert_eq!(i.intern("ns/b"), 1);
        assert_eq!(i.intern("ns/a"), 0);
        assert_eq!(i.id("ns/b"), Some(1));
        assert_eq!(i.id("ns/c"), None);
        assert_eq!(i.key(1).as_deref(), Some("ns/b"));
        assert_eq!(i.key(2), None);
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn concurrent_interning_gives_each_key_one_id() {
        let i = Arc::new(KeyInterner::new());
        let ids: Vec<Vec<ItemId>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let i = &i;
                    s.spawn(move || (0..1000).map(|k| i.intern(&format!("ns/pod-{k}"))).collect())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(i.len(), 1000);
        for (k, &id) in ids[0].iter().enumerate() {
            assert_eq!(i.key(id).as_deref(), Some(format!("ns/pod-{k}").as_str()));
        }
    }
}
