//! Cache keys: `namespace/name` hashed once; the hash picks the shard and the slot.
//!
//! The shard comes from bits 32.. of the hash and the slot inside the shard's
//! table from the low bits, so one hash serves both. [`KeyHasher`] gives the
//! same hash whether the key's bytes arrive as one slice (`get("ns/name")`:
//! no split, one pass) or as pieces (`get_ns_name(ns, name)`: no joined copy).
//! Neither lookup writes the key anywhere: a key joined into a buffer first
//! makes the hash wait on those stores, which costs a cold lookup its overlap
//! with the previous one (measured: 2× slower); splitting the text and hashing
//! the pieces instead cost ~30 ns per cold lookup.

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::fast::FixedState;

const SEED: u64 = 0x243F_6A88_85A3_08D3;
const MUL: u64 = 0x9E37_79B9_7F4A_7C15;
const FIN: u64 = 0xD6E8_FEB8_6659_FD93;

#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// Streaming hash of key bytes in 8-byte words (little-endian), by absolute
/// position: feeding `"ns/a"` whole or as `"ns"`, `"/"`, `"a"` gives the same
/// value. Not DoS-resistant (keys are not attacker-controlled); well spread
/// in every bit (a folded multiply per word and at the end).
#[derive(Clone, Copy, Debug)]
pub struct KeyHasher {
    h: u64,
    /// Bytes not yet folded in, low byte first; `filled` (< 8) of them, the rest zero.
    word: u64,
    filled: u32,
    len: u64,
}

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher { h: SEED, word: 0, filled: 0, len: 0 }
    }
}

/// The first `b.len()` (< 8) bytes as a little-endian integer, from at most two overlapping loads.
#[inline(always)]
fn load_partial(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let lo = u64::from(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
        let hi = u64::from(u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")));
        lo | hi << (8 * (n - 4))
    } else if n >= 2 {
        let lo = u64::from(u16::from_le_bytes(b[..2].try_into().expect("2 bytes")));
        let hi = u64::from(u16::from_le_bytes(b[n - 2..].try_into().expect("2 bytes")));
        lo | hi << (8 * (n - 2))
    } else {
        b.first().map_or(0, |&x| u64::from(x))
    }
}

impl KeyHasher {
    #[inline]
    pub fn write(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.filled != 0 {
            let need = (8 - self.filled) as usize;
            if bytes.len() < need {
                self.word |= load_partial(bytes) << (8 * self.filled);
                self.filled += bytes.len() as u32;
                return;
            }
            let word = self.word | load_partial(&bytes[..need]) << (8 * self.filled);
            self.h = folded_multiply(self.h ^ word, MUL);
            (self.word, self.filled) = (0, 0);
            bytes = &bytes[need..];
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.h = folded_multiply(self.h ^ u64::from_le_bytes(w.try_into().expect("8 bytes")), MUL);
        }
        let rest = words.remainder();
        (self.word, self.filled) = (load_partial(rest), rest.len() as u32);
    }

    #[inline]
    pub fn finish(&self) -> u64 {
        let h = if self.filled > 0 { folded_multiply(self.h ^ self.word, MUL) } else { self.h };
        folded_multiply(h ^ self.len, FIN)
    }
}

/// Hash of a key given whole (`namespace/name`, or `name` when cluster-scoped).
#[inline]
pub fn hash_key(key: &str) -> u64 {
    let mut h = KeyHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

/// Hash of the key of `name` in `namespace` (`""` = cluster-scoped): equals `hash_key` of the joined text.
#[inline]
pub fn hash_parts(namespace: &str, name: &str) -> u64 {
    let mut h = KeyHasher::default();
    if !namespace.is_empty() {
        h.write(namespace.as_bytes());
        h.write(b"/");
    }
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

/// A key to look up, with its hash: the joined text, or its pieces. Borrows, never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef<'a> {
    pub hash: u64,
    form: Form<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form<'a> {
    Joined(&'a str),
    Pieces(&'a str, &'a str),
}

impl<'a> KeyRef<'a> {
    /// The key of `name` in `namespace` (`""` = cluster-scoped).
    #[inline]
    pub fn new(namespace: &'a str, name: &'a str) -> Self {
        let form = if namespace.is_empty() { Form::Joined(name) } else { Form::Pieces(namespace, name) };
        KeyRef { hash: hash_parts(namespace, name), form }
    }

    /// From `ns/name` (or `name` for a cluster-scoped object), as given.
    #[inline]
    pub fn parse(key: &'a str) -> Self {
        KeyRef { hash: hash_key(key), form: Form::Joined(key) }
    }

    /// The same key with another hash (tests that force collisions).
    #[cfg(test)]
    pub(crate) fn with_hash(self, hash: u64) -> Self {
        KeyRef { hash, ..self }
    }

    /// Length of the joined text.
    pub fn len(&self) -> usize {
        match self.form {
            Form::Joined(k) => k.len(),
            Form::Pieces(ns, name) => ns.len() + 1 + name.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `joined` (`ns/name` bytes) is this key.
    #[inline]
    pub fn matches(&self, joined: &[u8]) -> bool {
        match self.form {
            Form::Joined(k) => joined == k.as_bytes(),
            Form::Pieces(ns, name) => {
                let (ns, name) = (ns.as_bytes(), name.as_bytes());
                joined.len() == ns.len() + 1 + name.len()
                    && &joined[..ns.len()] == ns
                    && joined[ns.len()] == b'/'
                    && &joined[ns.len() + 1..] == name
            }
        }
    }

    /// Writes the joined text into `buf[..self.len()]`.
    pub fn write_joined(&self, buf: &mut [u8]) {
        match self.form {
            Form::Joined(k) => buf[..k.len()].copy_from_slice(k.as_bytes()),
            Form::Pieces(ns, name) => {
                buf[..ns.len()].copy_from_slice(ns.as_bytes());
                buf[ns.len()] = b'/';
                buf[ns.len() + 1..self.len()].copy_from_slice(name.as_bytes());
            }
        }
    }

    /// The joined text.
    pub fn joined(&self) -> String {
        match self.form {
            Form::Joined(k) => k.to_owned(),
            Form::Pieces(ns, name) => format!("{ns}/{name}"),
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
        for (ns, name) in [("ns", "a"), ("", "node-1"), ("kube-system", "coredns-5d78c9869d-abcde"), ("a", "")] {
            let joined = if ns.is_empty() { name.to_owned() } else { format!("{ns}/{name}") };
            let (whole, pieces) = (KeyRef::parse(&joined), KeyRef::new(ns, name));
            assert_eq!(whole.hash, pieces.hash, "{joined}");
            assert!(whole.matches(joined.as_bytes()) && pieces.matches(joined.as_bytes()));
            assert_eq!((whole.joined(), pieces.joined(), pieces.len()), (joined.clone(), joined.clone(), joined.len()));
        }
    }

    #[test]
    fn the_hash_does_not_depend_on_how_bytes_are_fed() {
        let text = b"some-namespace/a-pod-name-with-several-words-0123456789";
        let whole = {
            let mut h = KeyHasher::default();
            h.write(text);
            h.finish()
        };
        for cut1 in 0..text.len() {
            for cut2 in [cut1, (cut1 + 9).min(text.len()), text.len()] {
                let mut h = KeyHasher::default();
                h.write(&text[..cut1]);
                h.write(&text[cut1..cut2]);
                h.write(&text[cut2..]);
                assert_eq!(h.finish(), whole, "cuts {cut1} {cut2}");
            }
        }
    }

    #[test]
    fn partial_loads_read_exactly_the_bytes_given() {
        let b = [1u8, 2, 3, 4, 5, 6, 7];
        for n in 0..8 {
            let want = b[..n].iter().enumerate().fold(0u64, |w, (i, &x)| w | u64::from(x) << (8 * i));
            assert_eq!(load_partial(&b[..n]), want, "{n} bytes");
        }
    }

    #[test]
    fn the_split_point_is_part_of_the_key() {
        assert_ne!(hash_parts("ab", "c"), hash_parts("a", "bc"));
        assert_ne!(hash_key("ab/c"), hash_key("abc"));
        let k = KeyRef::new("ab", "c");
        assert!(k.matches(b"ab/c"));
        assert!(!k.matches(b"a/bc") && !k.matches(b"ab/cd") && !k.matches(b"abc"));
        assert!(KeyRef::new("", "n").matches(b"n") && !KeyRef::new("", "n").matches(b"/n"));
    }

    #[test]
    fn hashes_spread_over_shards_and_slots() {
        // 100k pod-like keys into 16 shards of 8192 slots: every shard near 1/16, most homes distinct.
        let mut per_shard = [0usize; 16];
        let mut homes = std::collections::HashSet::new();
        for i in 0..100_000 {
            let h = hash_parts(&format!("ns-{}", i % 10), &format!("web-{:04}-x{i}", i / 100));
            per_shard[shard_of(h, 16)] += 1;
            homes.insert((shard_of(h, 16), h & 8191));
        }
        assert!(per_shard.iter().all(|&n| (5_800..6_700).contains(&n)), "{per_shard:?}");
        assert!(homes.len() > 65_000, "{} distinct homes", homes.len()); // ideal ≈ 69.9k
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
