//! Lines and columns in the source text, for manifests and their errors.
//!
//! Neither YAML nor JSON deserializers say where a value was once it parsed
//! fine; both stamp their current position on an error raised while visiting a
//! node. [`Seek`] walks a document along a field path and raises such an error at
//! the target — at the key for a map entry, at the element for a sequence item —
//! so the position is the one the parser itself reports. Walking costs a re-parse,
//! so it runs only for errors and for the rare layouts the line scanners below
//! cannot vouch for.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::api::any::PathSegment;

/// Message of the error [`Seek`] raises at its target.
const FOUND: &str = "kwarp: located";

/// (line, column), both counted from 1.
pub type LineCol = (usize, usize);

/// Position of `path` in the `document`-th (0-based) YAML document of `text`
/// (re-parses the text: for error messages only). A path that leaves the
/// document stops at the deepest node that exists.
pub fn yaml(text: &str, document: usize, path: &[PathSegment]) -> Option<LineCol> {
    let doc = serde_norway::Deserializer::from_str(text).nth(document)?;
    let err = Seek { path }.deserialize(doc).err()?;
    let loc = err.location()?;
    err.to_string().contains(FOUND).then_some((loc.line(), loc.column()))
}

/// Position of `path` in the JSON value `raw`, relative to `raw` (line 1 is its first line).
pub(super) fn json(raw: &str, path: &[PathSegment]) -> Option<LineCol> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let err = Seek { path }.deserialize(&mut de).err()?;
    if !err.to_string().contains(FOUND) || err.line() == 0 {
        return None;
    }
    // serde_json stands on the last character it read: the closing quote of a key.
    let back = match path.last() {
        Some(PathSegment::Key(k)) => k.chars().count() + 1,
        _ => 0,
    };
    Some((err.line(), err.column().saturating_sub(back).max(1)))
}

/// Line starts of a text, for turning byte offsets into lines and columns in O(log n).
pub(super) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of every line's first character; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// Line and column of byte `offset`.
    pub(super) fn line_col(&self, offset: usize) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }

    /// Line and column where `part`, a slice of the indexed text, begins.
    pub(super) fn position_of(&self, part: &str) -> LineCol {
        self.line_col(part.as_ptr() as usize - self.text.as_ptr() as usize)
    }
}

/// Adds a position found inside a value that starts at `base` in the file.
pub(super) fn offset_by(base: LineCol, rel: LineCol) -> LineCol {
    if rel.0 == 1 {
        (base.0, base.1 + rel.1 - 1)
    } else {
        (base.0 + rel.0 - 1, rel.1)
    }
}

/// The line each YAML document of `text` starts on (its first line of content,
/// else its `---`), in the order the parser yields documents.
///
/// Mirrors the YAML stream rules: `---` at the start of a line opens a document,
/// `...` closes one, content outside any document opens an implicit one, and an
/// explicit document with no content is still a (null) document. Callers check
/// the count against the parser's and fall back to [`yaml`] when they differ.
pub(super) fn yaml_document_lines(text: &str) -> Vec<usize> {
    struct Open {
        explicit: bool,
        marker: usize,
        content: Option<usize>,
    }
    fn close(open: Option<Open>, out: &mut Vec<usize>) {
        if let Some(o) = open {
            if o.explicit || o.content.is_some() {
                out.push(o.content.unwrap_or(o.marker));
            }
        }
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(rest) = marker(line, "---") {
            close(open.take(), &mut out);
            let inline = rest.trim();
            let content = (!inline.is_empty() && !inline.starts_with('#')).then_some(n);
            open = Some(Open { explicit: true, marker: n, content });
        } else if marker(line, "...").is_some() {
            close(open.take(), &mut out);
        } else {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || (open.is_none() && t.starts_with('%')) {
                continue;
            }
            match &mut open {
                Some(o) => {
                    o.content.get_or_insert(n);
                }
                None => open = Some(Open { explicit: false, marker: n, content: Some(n) }),
            }
        }
    }
    close(open, &mut out);
    out
}

/// `Some(rest)` when `line` is the document marker `m` followed by nothing or whitespace.
fn marker<'a>(line: &'a str, m: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(m)?;
    (rest.is_empty() || rest.starts_with([' ', '\t', '\r'])).then_some(rest)
}

/// Lines of the `n` entries of the block sequence whose first entry sits at
/// `first` (as [`yaml`] located it): the lines that start with `-` at the same
/// indentation, up to the first line indented less. `None` when the layout is not
/// that simple (flow style, or a count that does not match).
pub(super) fn yaml_block_sequence_lines(text: &str, first: LineCol, n: usize) -> Option<Vec<usize>> {
    let lines: Vec<&str> = text.lines().collect();
    let first_line = lines.get(first.0.checked_sub(1)?)?;
    let before: String = first_line.chars().take(first.1.saturating_sub(1)).collect();
    let dash = before.rfind('-')?;
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let is_entry = |l: &str| indent(l) == dash && marker(&l[dash..], "-").is_some();
    if !is_entry(first_line) {
        return None;
    }
    let mut out = vec![first.0];
    for (i, l) in lines.iter().enumerate().skip(first.0) {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if marker(l, "---").is_some() || marker(l, "...").is_some() || indent(l) < dash {
            break;
        }
        if indent(l) == dash {
            if !is_entry(l) {
                break;
            }
            out.push(i + 1);
        }
    }
    (out.len() == n).then_some(out)
}

/// Walks a document along `path` and fails at the target (see the module doc).
struct Seek<'p> {
    path: &'p [PathSegment],
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn found<E: de::Error>() -> E {
    E::custom(FOUND)
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
    // YAML keys that read as numbers or booleans match their text.
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

    const YAML: &str = "# leading comment\napiVersion: v1\nkind: Pod\n---\n# only a comment\n---\nspec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n";

    #[test]
    fn finds_keys_items_and_the_deepest_existing_node() {
        let text = "name: x\nsteps:\n  - sleep: 1s\n  - scale:\n      replicas: -1\n";
        assert_eq!(yaml(text, 0, &[key("name")]), Some((1, 1)));
        assert_eq!(yaml(text, 0, &[key("steps"), PathSegment::Index(1)]), Some((4, 5)));
        assert_eq!(yaml(text, 0, &[key("steps"), PathSegment::Index(1), key("scale"), key("replicas")]), Some((5, 7)));
        // `target` is missing: the position of the map that lacks it.
        let (line, _) = yaml(text, 0, &[key("steps"), PathSegment::Index(1), key("scale"), key("target")]).unwrap();
        assert_eq!(line, 5);
    }

    #[test]
    fn document_lines_follow_the_stream_rules() {
        assert_eq!(yaml_document_lines(YAML), vec![2, 4, 7]);
        assert_eq!(yaml_document_lines("---\na: 1\n"), vec![2]);
        assert_eq!(yaml_document_lines("a: 1\n---\n"), vec![1, 2]);
        assert_eq!(yaml_document_lines("--- {a: 1}\n...\n# c\nb: 2\n"), vec![1, 4]);
        assert_eq!(yaml_document_lines("%YAML 1.2\n---\na: 1\n"), vec![3]);
        assert_eq!(yaml_document_lines("# nothing\n"), Vec::<usize>::new());
        let parsed = serde_norway::Deserializer::from_str(YAML).count();
        assert_eq!(parsed, 3, "the parser agrees");
    }

    #[test]
    fn seek_points_at_keys_and_elements() {
        assert_eq!(yaml(YAML, 0, &[key("kind")]), Some((3, 1)));
        assert_eq!(yaml(YAML, 2, &[key("spec"), key("containers"), PathSegment::Index(1)]), Some((11, 5)));
        assert_eq!(
            yaml(YAML, 2, &[key("spec"), key("containers"), PathSegment::Index(0), key("image")]),
            Some((10, 5))
        );
        assert_eq!(yaml(YAML, 2, &[key("spec"), key("nope")]), Some((8, 3)), "a missing key points at its map");
        assert_eq!(yaml(YAML, 2, &[]), Some((7, 1)));
    }

    #[test]
    fn seek_works_on_json_too() {
        let raw = "{\n  \"spec\": {\n    \"replicas\": \"3\"\n  }\n}";
        assert_eq!(json(raw, &[key("spec"), key("replicas")]).map(|p| p.0), Some(3));
        assert_eq!(offset_by((10, 5), (1, 3)), (10, 7));
        assert_eq!(offset_by((10, 5), (2, 3)), (11, 3));
        let text = "ab\ncd\n\nx";
        let index = LineIndex::new(text);
        assert_eq!([0, 2, 3, 4, 7].map(|o| index.line_col(o)), [(1, 1), (1, 3), (2, 1), (2, 2), (4, 1)]);
        assert_eq!(index.position_of(&text[4..]), (2, 2));
    }

    #[test]
    fn block_sequence_lines_are_found_by_indentation() {
        let text = "kind: List\nitems:\n- a: 1\n  b: 2\n-   a: 3\n\n- a: 4\nmetadata: {}\n";
        assert_eq!(yaml_block_sequence_lines(text, (3, 3), 3), Some(vec![3, 5, 7]));
        assert_eq!(yaml_block_sequence_lines(text, (3, 3), 4), None);
        assert_eq!(yaml_block_sequence_lines("items: [{a: 1}, {a: 2}]\n", (1, 9), 2), None);
    }
}
