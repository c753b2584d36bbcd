//! The shard map: a Robin Hood hash table whose every slot is one 64-byte cache line (hash, object, key).
//!
//! Why not `std::collections::HashMap`: a SwissTable probe reads a control-byte
//! group, then a bucket elsewhere, then (for `String` keys) the key on the heap
//! — dependent cache misses before the object's own line is touched. Here a
//! probe reads one line holding the full hash, the `Arc` and the key bytes
//! (inline up to [`INLINE_KEY`] bytes, which covers ordinary `namespace/name`
//! keys), so a cold `get` costs one miss for the slot and one for the object.
//!
//! Invariants (Robin Hood, linear probing, backward-shift deletion — no tombstones):
//! - `slots.len()` is 0 or a power of two; `len` = occupied slots ≤ 4/5 of it.
//! - An occupied slot at index `i` with home `h = hash & mask` has every slot
//!   from `h` to `i` occupied, and the entries along a probe run are ordered by
//!   non-increasing distance from home after each insert, so a lookup may stop
//!   at the first slot closer to its home than the probe has travelled.
//! - Keys are unique; `hash` is the key's [`hash_parts`](super::key::hash_parts).

use std::sync::Arc;

use super::key::KeyRef;

/// Longest key kept inside the slot.
pub const INLINE_KEY: usize = 46;

enum KeyBytes {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<str>),
}

impl KeyBytes {
    fn new(key: &KeyRef<'_>) -> Self {
        if key.len() <= INLINE_KEY {
            let mut bytes = [0u8; INLINE_KEY];
            key.write_joined(&mut bytes);
            KeyBytes::Inline { len: key.len() as u8, bytes }
        } else {
            KeyBytes::Heap(key.joined().into())
        }
    }
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            KeyBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            KeyBytes::Heap(s) => s.as_bytes(),
        }
    }
}

/// One cache line. Empty when `val` is `None`.
#[repr(align(64))]
struct Slot<T> {
    hash: u64,
    val: Option<Arc<T>>,
    key: KeyBytes,
}

impl<T> Slot<T> {
    fn empty() -> Self {
        Slot { hash: 0, val: None, key: KeyBytes::Inline { len: 0, bytes: [0; INLINE_KEY] } }
    }
}

/// Keys (`namespace/name`) → `Arc<T>`.
pub(crate) struct Table<T> {
    slots: Vec<Slot<T>>,
    len: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { slots: Vec::new(), len: 0 }
    }
}

impl<T> Table<T> {
    /// A table that holds `n` entries without growing.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut t = Table::default();
        t.resize(slots_for(n));
        t
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Probe distance of the entry in slot `i` from its home.
    #[inline]
    fn distance(&self, i: usize) -> usize {
        i.wrapping_sub(self.slots[i].hash as usize) & self.mask()
    }

    /// The slot holding `key`, if any.
    #[inline]
    fn find(&self, key: &KeyRef<'_>) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = key.hash as usize & mask;
        let mut d = 0;
        loop {
            let s = &self.slots[i];
            s.val.as_ref()?;
            if s.hash == key.hash && key.matches(s.key.as_bytes()) {
                return Some(i);
            }
            if self.distance(i) < d {
                return None; // Robin Hood: `key` would have displaced this entry
            }
            i = (i + 1) & mask;
            d += 1;
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: &KeyRef<'_>) -> Option<&Arc<T>> {
        self.find(key).and_then(|i| self.slots[i].val.as_ref())
    }

    /// Inserts or replaces; returns the replaced object.
    pub(crate) fn insert(&mut self, key: &KeyRef<'_>, val: Arc<T>) -> Option<Arc<T>> {
        if let Some(i) = self.find(key) {
            return self.slots[i].val.replace(val);
        }
        if (self.len + 1) * 5 > self.slots.len() * 4 {
            self.resize(slots_for(self.len + 1));
        }
        self.place(Slot { hash: key.hash, val: Some(val), key: KeyBytes::new(key) });
        self.len += 1;
        None
    }

    /// Robin Hood insertion of an entry known to be absent (room is guaranteed).
    fn place(&mut self, mut carry: Slot<T>) {
        let mask = self.mask();
        let mut i = carry.hash as usize & mask;
        let mut d = 0;
        loop {
            if self.slots[i].val.is_none() {
                self.slots[i] = carry;
                return;
            }
            let existing = self.distance(i);
            if existing < d {
                std::mem::swap(&mut self.slots[i], &mut carry);
                d = existing;
            }
            i = (i + 1) & mask;
            d += 1;
        }
    }

    /// Removes `key`; returns its object.
    pub(crate) fn remove(&mut self, key: &KeyRef<'_>) -> Option<Arc<T>> {
        let mut i = self.find(key)?;
        let out = std::mem::replace(&mut self.slots[i], Slot::empty()).val;
        self.len -= 1;
        // Backward shift: pull each displaced follower one step closer to home.
        let mask = self.mask();
        loop {
            let next = (i + 1) & mask;
            if self.slots[next].val.is_none() || self.distance(next) == 0 {
                return out;
            }
            self.slots.swap(i, next);
            i = next;
        }
    }

    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, (0..slots).map(|_| Slot::empty()).collect());
        for s in old.into_iter().filter(|s| s.val.is_some()) {
            self.place(s);
        }
    }

    /// `(key, hash, object)` of every entry, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, u64, &Arc<T>)> + '_ {
        self.slots.iter().filter_map(|s| {
            let key = std::str::from_utf8(s.key.as_bytes()).expect("keys are copied from str");
            s.val.as_ref().map(|v| (key, s.hash, v))
        })
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Arc<T>> + '_ {
        self.slots.iter().filter_map(|s| s.val.as_ref())
    }

    /// Every entry as `(key, object)`, consuming the table.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (Box<str>, Arc<T>)> {
        self.slots.into_iter().filter_map(|s| {
            let key: Box<str> = std::str::from_utf8(s.key.as_bytes()).expect("keys are copied from str").into();
            s.val.map(|v| (key, v))
        })
    }

    /// Checks the Robin Hood invariants (tests).
    #[cfg(test)]
    fn check(&self) {
        let n = self.slots.iter().filter(|s| s.val.is_some()).count();
        assert_eq!(n, self.len);
        for i in 0..self.slots.len() {
            if self.slots[i].val.is_none() {
                continue;
            }
            let d = self.distance(i);
            for back in 1..=d {
                let j = i.wrapping_sub(back) & self.mask();
                assert!(self.slots[j].val.is_some(), "hole inside a probe run");
            }
            let s = &self.slots[i];
            let text = std::str::from_utf8(s.key.as_bytes()).unwrap();
            assert_eq!(self.find(&KeyRef::parse(text).with_hash(s.hash)), Some(i), "every entry is found where it is");
        }
    }
}

/// Power-of-two slot count keeping `n` entries at or under 4/5 load.
fn slots_for(n: usize) -> usize {
    (n * 5 / 4 + 1).next_power_of_two().max(8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Slot<crate::api::pod::Pod>>(), 64);
        assert_eq!(std::mem::align_of::<Slot<crate::api::pod::Pod>>(), 64);
    }

    /// Random inserts, replaces and removes — with deliberately colliding homes —
    /// agree with a `BTreeMap` and keep the invariants.
    #[test]
    fn matches_a_btreemap_under_churn() {
        let mut t: Table<u32> = Table::default();
        let mut m: BTreeMap<String, u32> = BTreeMap::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = (x % 300) as u32;
            let name = if k % 7 == 0 { format!("{}-{k}", "long".repeat(12)) } else { format!("p{k}") };
            let key = format!("ns/{name}");
            // Many keys share a home and a hash.
            let q = KeyRef::new("ns", &name).with_hash(u64::from(k % 50) * 0x1_0000_0001);
            if x % 3 == 0 {
                assert_eq!(t.remove(&q).map(|v| *v), m.remove(&key), "remove {key}");
            } else {
                assert_eq!(t.insert(&q, Arc::new(step)).map(|v| *v), m.insert(key.clone(), step), "insert {key}");
            }
            if step % 997 == 0 {
                t.check();
            }
        }
        t.check();
        let got: BTreeMap<String, u32> = t.iter().map(|(k, _, v)| (k.to_string(), **v)).collect();
        assert_eq!(got, m);
        assert_eq!(t.len(), m.len());
        assert!(t.get(&KeyRef::new("ns", "absent")).is_none());
    }

    #[test]
    fn an_empty_table_finds_nothing_and_grows_on_demand() {
        let mut t: Table<u8> = Table::default();
        assert!(t.get(&KeyRef::new("", "a")).is_none());
        assert!(t.remove(&KeyRef::new("", "a")).is_none());
        for i in 0..1000u64 {
            t.insert(&KeyRef::new("", &format!("k{i}")), Arc::new(1));
        }
        assert_eq!(t.len(), 1000);
        assert!(t.slots.len() * 4 >= t.len() * 5);
        t.check();
        assert_eq!(Table::<u8>::with_capacity(6250).slots.len(), 8192);
    }
}
