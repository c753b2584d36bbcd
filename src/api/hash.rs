//! Template hashes in Kubernetes' format (`pod-template-hash`, `controller-revision-hash`).
//!
//! Kubernetes' `ComputeHash` runs 32-bit FNV-1a over a deep dump of the pod
//! template (plus the collision count, when set, as a little-endian u32 in 8
//! bytes) and re-encodes the decimal digits of the sum into a vowel-free
//! alphabet. kwarp hashes the template's canonical JSON instead of Go's dump
//! (maps are sorted, so equal templates give equal bytes): the same format and
//! stability, not the same values as upstream (SEMANTICS.md §1.h allows this).

use std::io::{self, Write};

use serde::Serialize;

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand.SafeEncodeString` (no vowels, no confusable digits).
pub const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// 32-bit FNV-1a, usable as an `io::Write` sink so a serializer can stream into it.
#[derive(Clone, Copy, Debug)]
pub struct Fnv32a(u32);

impl Default for Fnv32a {
    fn default() -> Self {
        Fnv32a(0x811c_9dc5)
    }
}

impl Fnv32a {
    pub fn update(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
        self.0 = h;
    }
    pub fn finish(self) -> u32 {
        self.0
    }
}

impl Write for Fnv32a {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `rand.SafeEncodeString`: maps every byte of `s` into [`SAFE_ALPHABET`].
pub fn safe_encode(s: &str) -> String {
    s.bytes().map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char).collect()
}

/// Encodes a 32-bit hash the way Kubernetes names things with it: decimal digits, safe-encoded.
pub fn encode_hash(sum: u32) -> String {
    safe_encode(&sum.to_string())
}

/// `controller.ComputeHash(template, collisionCount)`: the `pod-template-hash` of a
/// Deployment's template. Equal templates hash equal; any change changes it (up to
/// the 32-bit collisions Kubernetes resolves with `collisionCount`).
pub fn compute_hash<T: Serialize + ?Sized>(template: &T, collision_count: Option<i32>) -> String {
    let mut h = Fnv32a::default();
    serde_json::to_writer(&mut h, template).expect("serializing an API object into a hasher cannot fail");
    if let Some(c) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(c as u32).to_le_bytes());
        h.update(&bytes);
    }
    encode_hash(h.finish())
}

/// Hash of raw revision data (StatefulSet / DaemonSet ControllerRevision names):
/// FNV-1a over the bytes, plus the collision count as decimal text when set.
pub fn hash_bytes(data: &[u8], collision_count: Option<i32>) -> String {
    let mut h = Fnv32a::default();
    h.update(data);
    if let Some(c) = collision_count {
        h.update(c.to_string().as_bytes());
    }
    encode_hash(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Container, PodTemplateSpec};

    fn template(image: &str) -> PodTemplateSpec {
        let mut t = PodTemplateSpec::default();
        t.metadata.labels.insert("app".into(), "web".into());
        t.spec.containers.push(Container { name: "c".into(), image: image.into(), ..Default::default() });
        t
    }

    #[test]
    fn fnv32a_matches_reference_vectors() {
        let hash = |s: &str| {
            let mut h = Fnv32a::default();
            h.update(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash(""), 0x811c_9dc5);
        assert_eq!(hash("a"), 0xe40c_292c);
        assert_eq!(hash("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn safe_encode_uses_only_the_alphabet() {
        let s = encode_hash(u32::MAX);
        assert_eq!(s.len(), 10);
        assert!(s.bytes().all(|b| SAFE_ALPHABET.contains(&b)));
        assert_eq!(safe_encode("0"), "4"); // '0' = 48, 48 % 27 = 21 → '4'
    }

    #[test]
    fn equal_templates_hash_equal_and_changes_change_the_hash() {
        let a = compute_hash(&template("nginx:1.25"), None);
        assert_eq!(a, compute_hash(&template("nginx:1.25"), None));
        assert_ne!(a, compute_hash(&template("nginx:1.26"), None));
        let mut t = template("nginx:1.25");
        t.spec.extra.insert("dnsPolicy".into(), "Default".into());
        assert_ne!(a, compute_hash(&t, None), "verbatim fields take part in the hash");
    }

    #[test]
    fn collision_count_changes_the_hash() {
        // SEMANTICS §1.i case 9: empty template, 1 vs 2 and nil vs MaxInt32 differ.
        let t = PodTemplateSpec::default();
        assert_ne!(compute_hash(&t, Some(1)), compute_hash(&t, Some(2)));
        assert_ne!(compute_hash(&t, None), compute_hash(&t, Some(i32::MAX)));
        assert_ne!(hash_bytes(b"x", Some(1)), hash_bytes(b"x", Some(2)));
    }
}
