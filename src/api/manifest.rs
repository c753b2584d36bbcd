//! Reading and writing ordinary Kubernetes manifests: multi-document YAML, or JSON
//! (one object, several, or a `List` / `<Kind>List` with `items`).
//!
//! Every object is decoded by [`AnyObject::from_json_value`]: strict about
//! unknown fields, old apiVersion spellings converted (see `any::legacy`). YAML is
//! first read into JSON values, as Kubernetes itself does (sigs.k8s.io/yaml), so
//! YAML and JSON manifests mean exactly the same thing.
//!
//! Positions, in [`Manifest`] and in every [`ManifestError`]: `document` counts
//! from 1 (the nth YAML document, or the nth top-level JSON value), `item` is the
//! 0-based index in a List's `items` (as in the path `items[3]`), and `line` and
//! `column` count from 1 in the original file — later documents included. Error
//! messages read `file:line:column (2nd document): field.path: what is wrong`.
//! Empty documents (only `---`, comments or `null`) are skipped, but counted.
//!
//! Cost: objects are decoded without tracking field paths; only a failing one is
//! read again and decoded with paths, and only then is its source walked for the
//! line (`locate`). Document start lines come from a line scanner checked against
//! the parser's document count. YAML anchors, aliases and merge keys (`<<`) work
//! as in Kubernetes; a document with a merge key is read a second time to expand it.

pub mod locate;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use self::locate::LineCol;
use super::any::{raw_type_meta, FieldPath, ObjectError, PathSegment};
use super::{AnyObject, Kind};

/// One object read from a manifest file, with where it was.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub object: AnyObject,
    /// The document it came from, counted from 1.
    pub document: usize,
    /// Its index in the document's List `items` (0-based), when the document is a List.
    pub item: Option<usize>,
    /// The line it starts on (1-based).
    pub line: usize,
}

/// Where in which file something is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    /// Counted from 1.
    pub document: usize,
    /// 0-based index in a List's `items`.
    pub item: Option<usize>,
    /// Counted from 1.
    pub line: usize,
    /// Counted from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{} ({} document", self.file, self.line, self.column, Ordinal(self.document))?;
        if let Some(i) = self.item {
            write!(f, ", items[{i}]")?;
        }
        f.write_str(")")
    }
}

/// `1st`, `2nd`, `3rd`, `11th`, `22nd`.
struct Ordinal(usize);

impl fmt::Display for Ordinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let suffix = match (n % 10, n % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        write!(f, "{n}{suffix}")
    }
}

/// Why a manifest could not be read. Every variant but `Io` carries its [`Location`].
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{at}: invalid YAML: {message}")]
    Yaml { at: Location, message: String },
    #[error("{at}: invalid JSON: {message}")]
    Json { at: Location, message: String },
    /// The document parsed, but is not an object kwarp can read (kind, apiVersion, fields).
    #[error("{at}: {error}")]
    Object { at: Location, error: ObjectError },
}

pub type Result<T, E = ManifestError> = std::result::Result<T, E>;

impl ManifestError {
    pub fn location(&self) -> Option<&Location> {
        match self {
            ManifestError::Io { .. } => None,
            ManifestError::Yaml { at, .. } | ManifestError::Json { at, .. } | ManifestError::Object { at, .. } => {
                Some(at)
            }
        }
    }
}

/// Reads the manifests in the file at `path` (YAML or JSON, by content).
pub fn load_manifests(path: impl AsRef<Path>) -> Result<Vec<Manifest>> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io { file: file.clone(), source })?;
    parse_manifests(&file, &text)
}

/// Reads every object in `text`; `source_name` names the file in errors. Text
/// whose first character is `{` or `[` is JSON, anything else YAML.
pub fn parse_manifests(source_name: &str, text: &str) -> Result<Vec<Manifest>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with(['{', '[']) {
        parse_json(source_name, text)
    } else {
        parse_yaml(source_name, text)
    }
}

/// Multi-document YAML: one `---` document per object, in order.
pub fn to_yaml<'a>(objects: impl IntoIterator<Item = &'a AnyObject>) -> String {
    let mut out = String::new();
    for obj in objects {
        out.push_str("---\n");
        out.push_str(&obj.to_yaml());
    }
    out
}

/// A `v1` `List` of the objects, as `kubectl get -o json` prints several (pretty, newline-terminated).
pub fn to_json_list<'a>(objects: impl IntoIterator<Item = &'a AnyObject>) -> String {
    let items: Vec<Value> = objects.into_iter().map(AnyObject::to_json_value).collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut out = serde_json::to_string_pretty(&list).expect("JSON values always serialize");
    out.push('\n');
    out
}

// ------------------------------------------------------------------ decoding

/// Decodes an object without tracking field paths; only when that fails is the
/// value read again (`again`) and decoded with paths, for a precise error.
fn decode(value: Value, again: impl FnOnce() -> Value) -> std::result::Result<AnyObject, ObjectError> {
    AnyObject::from_json_value_untracked(value).or_else(|_| AnyObject::from_json_value(again()))
}

// ------------------------------------------------------------------ YAML

fn parse_yaml(file: &str, text: &str) -> Result<Vec<Manifest>> {
    let file: Arc<str> = file.into();
    let starts = locate::yaml_document_lines(text);
    let mut out = Vec::new();
    let mut documents = 0;
    for (i, de) in serde_norway::Deserializer::from_str(text).enumerate() {
        documents = i + 1;
        let at = |(line, column): LineCol| Location { file: file.clone(), document: i + 1, item: None, line, column };
        let start = starts.get(i).copied().unwrap_or(1);
        let yaml_error = |e: serde_norway::Error| {
            let pos = e.location().map_or((start, 1), |l| (l.line(), l.column()));
            let message = e.to_string().replacen(&format!(" at line {} column {}", pos.0, pos.1), "", 1);
            ManifestError::Yaml { at: at(pos), message }
        };
        let doc = YamlDocument { text, index: i, start };
        let mut value = Value::deserialize(de).map_err(yaml_error)?;
        if value.is_null() {
            continue;
        }
        if has_merge_key(&value) {
            value = doc.merged_value().map_err(yaml_error)?;
        }
        let object_error = |item: Option<usize>, error: ObjectError| {
            let pos = doc.locate(&item_path(item, &error.field_path())).unwrap_or((doc.start, 1));
            ManifestError::Object { at: Location { item, ..at(pos) }, error }
        };
        match list_info(&value).map_err(|e| object_error(None, e))? {
            None => {
                let object = decode(value, || doc.value()).map_err(|e| object_error(None, e))?;
                out.push(Manifest { object, document: i + 1, item: None, line: doc.start });
            }
            Some(info) => {
                let Value::Object(mut map) = value else { unreachable!("list_info checked the shape") };
                let Some(Value::Array(items)) = map.remove("items") else { unreachable!("list_info checked items") };
                let lines = doc.item_lines(items.len());
                for (n, mut item) in items.into_iter().enumerate() {
                    info.fill_type_meta(&mut item);
                    let again = || {
                        let mut item = doc.value()["items"][n].take();
                        info.fill_type_meta(&mut item);
                        item
                    };
                    let object = decode(item, again).map_err(|e| object_error(Some(n), e))?;
                    out.push(Manifest { object, document: i + 1, item: Some(n), line: lines[n] });
                }
            }
        }
    }
    if documents != starts.len() {
        // The line scanner and the parser disagree on the documents: ask the parser.
        for m in &mut out {
            let doc = YamlDocument { text, index: m.document - 1, start: m.line };
            m.line = doc.locate(&item_path(m.item, &FieldPath::root())).map_or(m.line, |p| p.0);
        }
    }
    Ok(out)
}

struct YamlDocument<'a> {
    text: &'a str,
    /// 0-based.
    index: usize,
    /// Line of the document's first content.
    start: usize,
}

impl YamlDocument<'_> {
    /// The document read again (it parsed once, so it parses again).
    fn value(&self) -> Value {
        let de = serde_norway::Deserializer::from_str(self.text).nth(self.index).expect("the document exists");
        let value = Value::deserialize(de).expect("the document parsed before");
        if has_merge_key(&value) {
            self.merged_value().expect("the document merged before")
        } else {
            value
        }
    }

    /// The document with its merge keys (`<<: *defaults`) expanded, as YAML 1.1 and Kubernetes do.
    fn merged_value(&self) -> std::result::Result<Value, serde_norway::Error> {
        let de = serde_norway::Deserializer::from_str(self.text).nth(self.index).expect("the document exists");
        let mut yaml = serde_norway::Value::deserialize(de)?;
        yaml.apply_merge()?;
        serde_json::to_value(yaml).map_err(serde::de::Error::custom)
    }

    fn locate(&self, path: &[PathSegment]) -> Option<LineCol> {
        locate::yaml(self.text, self.index, path)
    }

    /// Lines of the `n` items of the document's List: by indentation when the
    /// list is a plain block sequence, else one lookup per item.
    fn item_lines(&self, n: usize) -> Vec<usize> {
        let item = |k: usize| item_path(Some(k), &FieldPath::root());
        if n == 0 {
            return Vec::new();
        }
        let Some(first) = self.locate(&item(0)) else { return vec![self.start; n] };
        locate::yaml_block_sequence_lines(self.text, first, n)
            .unwrap_or_else(|| (0..n).map(|k| self.locate(&item(k)).map_or(self.start, |p| p.0)).collect())
    }
}

/// Whether a `<<` key appears anywhere (rare: only then is the document read again to merge).
fn has_merge_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("<<") || m.values().any(has_merge_key),
        Value::Array(a) => a.iter().any(has_merge_key),
        _ => false,
    }
}

/// `items[n]` + `path` for a List item, else `path`.
fn item_path(item: Option<usize>, path: &FieldPath) -> Vec<PathSegment> {
    let mut out = Vec::with_capacity(path.segments().len() + 2);
    if let Some(n) = item {
        out.push(PathSegment::Key("items".to_owned()));
        out.push(PathSegment::Index(n));
    }
    out.extend_from_slice(path.segments());
    out
}

// ------------------------------------------------------------------ JSON

fn parse_json(file: &str, text: &str) -> Result<Vec<Manifest>> {
    let file: Arc<str> = file.into();
    let lines = locate::LineIndex::new(text);
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    for (i, raw) in stream.enumerate() {
        let document = i + 1;
        let at = |(line, column): LineCol| Location { file: file.clone(), document, item: None, line, column };
        let raw = raw.map_err(|e| {
            let pos = (e.line(), e.column());
            let message = e.to_string().replacen(&format!(" at line {} column {}", pos.0, pos.1), "", 1);
            ManifestError::Json { at: at(pos), message }
        })?;
        let object_error = |item: Option<usize>, raw: &RawValue, error: ObjectError| {
            let rel = locate::json(raw.get(), error.field_path().segments()).unwrap_or((1, 1));
            ManifestError::Object {
                at: Location { item, ..at(locate::offset_by(lines.position_of(raw.get()), rel)) },
                error,
            }
        };
        let parse = |raw: &RawValue| -> Value { serde_json::from_str(raw.get()).expect("a RawValue is valid JSON") };
        match json_list(raw).map_err(|e| object_error(None, raw, e))? {
            None => {
                let object = decode(parse(raw), || parse(raw)).map_err(|e| object_error(None, raw, e))?;
                out.push(Manifest { object, document, item: None, line: lines.position_of(raw.get()).0 });
            }
            Some((info, items)) => {
                for (n, item_raw) in items.into_iter().enumerate() {
                    let read = || {
                        let mut item = parse(item_raw);
                        info.fill_type_meta(&mut item);
                        item
                    };
                    let object = decode(read(), read).map_err(|e| object_error(Some(n), item_raw, e))?;
                    out.push(Manifest { object, document, item: Some(n), line: lines.position_of(item_raw.get()).0 });
                }
            }
        }
    }
    Ok(out)
}

/// The items of a JSON List, found without building the whole List as a value:
/// only its top-level fields are read, each kept as raw text.
fn json_list(raw: &RawValue) -> std::result::Result<Option<(ListInfo, Vec<&RawValue>)>, ObjectError> {
    // Not a map: not a List (decoding the object will say what it is).
    let Ok(fields) = serde_json::from_str::<BTreeMap<Cow<'_, str>, &RawValue>>(raw.get()) else { return Ok(None) };
    let parse = |v: &RawValue| -> Value { serde_json::from_str(v.get()).expect("a RawValue is valid JSON") };
    // The List's shape in small: type fields as values, an `items` array as `[]`, anything else as null.
    let shape: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| {
            let value = match k.as_ref() {
                "apiVersion" | "kind" => parse(v),
                "items" if v.get().trim_start().starts_with('[') => Value::Array(Vec::new()),
                "items" => parse(v),
                _ => Value::Null,
            };
            (k.to_string(), value)
        })
        .collect();
    let Some(info) = list_info(&Value::Object(shape))? else { return Ok(None) };
    let items = serde_json::from_str(fields["items"].get()).expect("list_info checked that items is an array");
    Ok(Some((info, items)))
}

// ------------------------------------------------------------------ Lists

/// A `List` (items name their own kind) or a `<Kind>List` (items may leave
/// `apiVersion` and `kind` out, as the API server's list responses do).
#[derive(Debug)]
struct ListInfo {
    item_kind: Option<Kind>,
    api_version: String,
}

impl ListInfo {
    fn fill_type_meta(&self, item: &mut Value) {
        let (Some(kind), Some(map)) = (self.item_kind, item.as_object_mut()) else { return };
        map.entry("kind").or_insert_with(|| kind.as_str().into());
        map.entry("apiVersion").or_insert_with(|| self.api_version.clone().into());
    }
}

/// `Some` when `value` is a list (kind `List` or `*List`), after checking its shape.
fn list_info(value: &Value) -> std::result::Result<Option<ListInfo>, ObjectError> {
    let Ok((api_version, kind)) = raw_type_meta(value) else { return Ok(None) };
    let Some(prefix) = kind.strip_suffix("List") else { return Ok(None) };
    let item_kind =
        match prefix {
            "" => None,
            k => Some(Kind::from_name(k).ok_or_else(|| ObjectError::UnknownKind {
                kind: kind.to_owned(),
                api_version: api_version.to_owned(),
            })?),
        };
    let map = value.as_object().expect("raw_type_meta checked it is a map");
    const LIST_FIELDS: [&str; 4] = ["apiVersion", "kind", "metadata", "items"];
    if let Some(field) = map.keys().find(|k| !LIST_FIELDS.contains(&k.as_str())) {
        return Err(ObjectError::UnknownField {
            path: FieldPath::root().key(field.clone()),
            expected: "one of `apiVersion`, `kind`, `metadata`, `items`".to_owned(),
        });
    }
    match map.get("items") {
        Some(Value::Array(_)) => Ok(Some(ListInfo { item_kind, api_version: api_version.to_owned() })),
        other => Err(ObjectError::InvalidValue {
            path: FieldPath::root().key("items"),
            message: format!(
                "invalid type: {}, expected a sequence of objects",
                other.map_or("nothing", super::any::json_type)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_read_naturally() {
        let s: Vec<String> =
            [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].iter().map(|&n| Ordinal(n).to_string()).collect();
        assert_eq!(s, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]);
    }

    #[test]
    fn yaml_and_json_lists_give_one_manifest_per_item() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: b}\n";
        let got = parse_manifests("l.yaml", yaml).unwrap();
        assert_eq!(got.iter().map(|m| (m.item, m.line)).collect::<Vec<_>>(), [(Some(0), 4), (Some(1), 7)]);
        let json = "{\"apiVersion\": \"apps/v1\", \"kind\": \"DeploymentList\", \"items\": [\n  {\"metadata\": {\"name\": \"a\"}},\n  {\"metadata\": {\"name\": \"b\"}}\n]}";
        let got = parse_manifests("l.json", json).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].object.kind(), Kind::Deployment);
        assert_eq!((got[1].item, got[1].line), (Some(1), 3));
    }

    #[test]
    fn list_errors_point_into_the_item() {
        let json = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Node\"},\n  {\"apiVersion\": \"v1\", \"kind\": \"Node\",\n   \"spec\": {\"unschedulable\": \"yes\"}}\n]}";
        let err = parse_manifests("l.json", json).unwrap_err();
        assert_eq!(
            err.to_string(),
            "l.json:4:13 (1st document, items[1]): spec.unschedulable: invalid type: string \"yes\", expected a boolean"
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys_expand() {
        let text = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n\n  labels: &common\n    zone: a\n  annotations:\n    <<: *common\n    owner: me\n";
        let got = parse_manifests("m.yaml", text).unwrap();
        let meta = got[0].object.meta();
        assert_eq!(meta.labels.get("zone").map(String::as_str), Some("a"));
        assert_eq!(meta.annotations.len(), 2, "{:?}", meta.annotations);
        assert_eq!(meta.annotations.get("zone").map(String::as_str), Some("a"));
    }

    #[test]
    fn writers_produce_what_the_reader_reads() {
        let text =
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: b\n";
        let objs: Vec<AnyObject> = parse_manifests("n.yaml", text).unwrap().into_iter().map(|m| m.object).collect();
        let again =
            |t: &str| -> Vec<AnyObject> { parse_manifests("x", t).unwrap().into_iter().map(|m| m.object).collect() };
        assert_eq!(again(&to_yaml(&objs)), objs);
        assert_eq!(again(&to_json_list(&objs)), objs);
    }
}
