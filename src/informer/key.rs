//! Cache keys: `namespace/name`, hashed piecewise with foldhash; the hash picks the shard and the slot.
//!
//! The shard comes from bits 32.. of the hash and the slot inside the shard's
//! table from the low bits, so one hash serves both. A lookup never writes the
//! key anywhere: `get("ns/name")` splits the text, `get_ns_name(ns, name)`
//! takes the pieces, and both hash and compare the pieces where they lie (a
//! key joined into a buffer first would make the hash wait on those stores,
//! which costs a cold lookup its overlap with the previous one — measured 2×).

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::fast::FixedState;

/// Hash of the key of `name` in `namespace` (`""` = cluster-scoped); fixed seed, stable in a process.
#[inline]
pub fn hash_parts(namespace: &str, name: &str) -> u64 {
    let mut h = FixedState::default().build_hasher();
    h.write(namespace.as_bytes());
    h.write_u8(b'/');
    h.write(name.as_bytes());
    h.finish()
}

/// Hash of an index value (a node name, an owner uid ...).
#[inline]
pub fn hash_value(value: &str) -> u64 {
    let mut h = FixedState::default().build_hasher();
    h.write(value.as_bytes());
    h.finish()
}

/// `ns/name` split into its pieces (`("", name)` for cluster-scoped keys).
#[inline]
pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("", key))
}

/// The shard a hash belongs to (`shards` is a power of two).
#[inline]
pub fn shard_of(hash: u64, shards: usize) -> usize {
    (hash >> 32) as usize & (shards - 1)
}

/// A key given as pieces, with its hash; borrows, never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef<'a> {
    pub hash: u64,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl<'a> KeyRef<'a> {
    #[inline]
    pub fn new(namespace: &'a str, name: &'a str) -> Self {
        KeyRef { hash: hash_parts(namespace, name), namespace, name }
    }

    /// From `ns/name` (or `name` for a cluster-scoped object).
    #[inline]
    pub fn parse(key: &'a str) -> Self {
        let (ns, name) = split_key(key);
        Self::new(ns, name)
    }

    /// Length of the joined text.
    pub fn len(&self) -> usize {
        if self.namespace.is_empty() {
            self.name.len()
        } else {
            self.namespace.len() + 1 + self.name.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `joined` (`ns/name` bytes) is this key.
    #[inline]
    pub fn matches(&self, joined: &[u8]) -> bool {
        let (ns, name) = (self.namespace.as_bytes(), self.name.as_bytes());
        if ns.is_empty() {
            return joined == name;
        }
        joined.len() == ns.len() + 1 + name.len()
            && &joined[..ns.len()] == ns
            && joined[ns.len()] == b'/'
            && &joined[ns.len() + 1..] == name
    }

    /// Writes the joined text into `buf[..self.len()]`.
    pub fn write_joined(&self, buf: &mut [u8]) {
        if self.namespace.is_empty() {
            buf[..self.name.len()].copy_from_slice(self.name.as_bytes());
        } else {
            let n = self.namespace.len();
            buf[..n].copy_from_slice(self.namespace.as_bytes());
            buf[n] = b'/';
            buf[n + 1..self.len()].copy_from_slice(self.name.as_bytes());
        }
    }

    /// The joined text.
    pub fn joined(&self) -> String {
        if self.namespace.is_empty() {
            self.name.to_owned()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

/// A `Hasher` that passes a precomputed `u64` through (maps keyed by a key's hash).
#[derive(Clone, Copy, Debug, Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than a `u64` is hashed: fold it in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Build-hasher for maps keyed by a precomputed `u64` hash.
pub type PassThrough = BuildHasherDefault<PassThroughHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_pieces_give_the_same_key() {
        assert_eq!(KeyRef::parse("ns/a"), KeyRef::new("ns", "a"));
        assert_eq!(KeyRef::parse("node-1"), KeyRef::new("", "node-1"));
        assert_eq!(KeyRef::new("ns", "a").joined(), "ns/a");
        assert_eq!(KeyRef::new("", "node-1").joined(), "node-1");
    }

    #[test]
    fn the_split_point_is_part_of_the_key() {
        assert_ne!(hash_parts("ab", "c"), hash_parts("a", "bc"));
        assert_ne!(hash_parts("", "ns/a"), hash_parts("ns", "a"));
        let k = KeyRef::new("ab", "c");
        assert!(k.matches(b"ab/c"));
        assert!(!k.matches(b"a/bc") && !k.matches(b"ab/cd") && !k.matches(b"abc"));
        assert!(KeyRef::new("", "n").matches(b"n") && !KeyRef::new("", "n").matches(b"/n"));
    }

    #[test]
    fn joined_text_is_written_in_place() {
        let mut buf = [0u8; 16];
        let k = KeyRef::new("ns", "pod");
        k.write_joined(&mut buf);
        assert_eq!(&buf[..k.len()], b"ns/pod");
    }

    #[test]
    fn shards_use_bits_the_table_does_not() {
        let h = 0xABCD_0005_0000_0003u64;
        assert_eq!(shard_of(h, 16), 5);
        assert_eq!(shard_of(h, 1), 0);
    }
}
