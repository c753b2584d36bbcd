//! The line and column of a key path in the scenario's YAML text, for error messages.
//!
//! Once a value has parsed, the YAML parser no longer says where it was; it does
//! stamp its position on an error raised while it visits a node. [`Seek`] walks
//! the document along a path and raises such an error at the target (at the key
//! for a map entry, at the element for a list item), so the position is the
//! parser's own. The same technique as `kwarp::api::manifest`'s locator; walking
//! re-parses the file, so it runs only for errors.

use std::fmt;

use kwarp::api::PathSegment;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

const FOUND: &str = "kwarp-loadgen: located";

/// (line, column) of `path` in the first YAML document of `text`, both from 1.
/// A path that leaves the document stops at the deepest node that exists.
pub(super) fn locate(text: &str, path: &[PathSegment]) -> Option<(usize, usize)> {
    let doc = serde_norway::Deserializer::from_str(text).next()?;
    let err = Seek { path }.deserialize(doc).err()?;
    let loc = err.location()?;
    err.to_string().contains(FOUND).then_some((loc.line(), loc.column()))
}

struct Seek<'p> {
    path: &'p [PathSegment],
}

fn found<E: de::Error>() -> E {
    E::custom(FOUND)
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(found())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(found())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(found())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(found())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(found())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(found())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(found())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(found())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let Some((PathSegment::Key(key), rest)) = self.path.split_first() {
            while let Some(hit) = map.next_key_seed(KeyIs { key, last: rest.is_empty() })? {
                if hit {
                    return map.next_value_seed(Seek { path: rest });
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        Err(found())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some((PathSegment::Index(index), rest)) = self.path.split_first() {
            for _ in 0..*index {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    return Err(found());
                }
            }
            if seq.next_element_seed(Seek { path: rest })?.is_some() {
                return Ok(());
            }
        }
        Err(found())
    }
}

/// A map key: `true` when it is `key` (and fails right there when it is the target).
struct KeyIs<'k> {
    key: &'k str,
    last: bool,
}

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match (v == self.key, self.last) {
            (true, true) => Err(found()),
            (hit, _) => Ok(hit),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.visit_str(if v { "true" } else { "false" })
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PathSegment {
        PathSegment::Key(k.to_owned())
    }

    #[test]
    fn finds_keys_items_and_the_deepest_existing_node() {
        let text = "name: x\nsteps:\n  - sleep: 1s\n  - scale:\n      replicas: -1\n";
        assert_eq!(locate(text, &[key("name")]), Some((1, 1)));
        assert_eq!(locate(text, &[key("steps"), PathSegment::Index(1)]), Some((4, 5)));
        assert_eq!(locate(text, &[key("steps"), PathSegment::Index(1), key("scale"), key("replicas")]), Some((5, 7)));
        // `target` is missing: the position of the map that lacks it.
        let (line, _) = locate(text, &[key("steps"), PathSegment::Index(1), key("scale"), key("target")]).unwrap();
        assert_eq!(line, 5);
    }
}
