//! [`AnyObject`]: an object of any kind kwarp models, decoded from Kubernetes JSON by `kind` and `apiVersion`.
//!
//! Decoding is strict, as `kubectl apply --validate=strict` is: an unknown field
//! in a typed part of an object (where the model has no verbatim `extra` map) is
//! an error naming the field, its path and the fields that are allowed. Old
//! apiVersion spellings are converted to the current one as the API server did
//! when it served them (`any/legacy.rs` has the table).

mod legacy;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{
    ControllerRevision, CronJob, DaemonSet, Deployment, Invalid, Job, Kind, Node, ObjectMeta, PersistentVolumeClaim,
    Pod, ReplicaSet, Resource, Service, StatefulSet,
};
use crate::api::error::FieldError;

pub use legacy::{convert_legacy, DEPRECATED_ROLLBACK_TO_ANNOTATION};

/// Why a JSON value is not an object kwarp can read. Every variant knows the
/// field it is about ([`ObjectError::field_path`]) so a caller holding the
/// source text can point at the line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("expected an object (a mapping with apiVersion and kind), found {found}")]
    NotAnObject { found: &'static str },
    #[error("missing `{field}`: every object names its apiVersion and kind")]
    MissingTypeField { field: &'static str },
    #[error("{field}: invalid type: {found}, expected a string")]
    TypeFieldNotString { field: &'static str, found: &'static str },
    #[error("unknown kind {kind:?} (apiVersion {api_version:?}); kwarp reads {}", known_kinds())]
    UnknownKind { kind: String, api_version: String },
    #[error(
        "apiVersion {api_version:?} is not served for kind {kind}; accepted: {}",
        kind.accepted_api_versions().join(", ")
    )]
    UnsupportedApiVersion { kind: Kind, api_version: String },
    /// `path` ends with the unknown field itself (the message names its parent);
    /// `expected` is serde's list of the allowed fields (`one of `a`, `b``).
    #[error("{}unknown field `{}`, expected {expected}", parent_prefix(path), path.last_key())]
    UnknownField { path: FieldPath, expected: String },
    /// A value of the wrong type or shape (`invalid type: string "three", expected i32`).
    #[error("{path}: {message}")]
    InvalidValue { path: FieldPath, message: String },
    /// A field the old apiVersion had and the current one does not (and that cannot be converted).
    #[error("{path}: unknown field in {api_version} ({hint})")]
    NotInVersion { path: FieldPath, api_version: &'static str, hint: &'static str },
}

pub type Result<T, E = ObjectError> = std::result::Result<T, E>;

/// `"spec: "` for `spec.replica`, nothing at the top level.
fn parent_prefix(path: &FieldPath) -> String {
    match path.0.split_last() {
        Some((_, parent)) if !parent.is_empty() => format!("{}: ", FieldPath(parent.to_vec())),
        _ => String::new(),
    }
}

fn known_kinds() -> String {
    Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

impl ObjectError {
    /// The field the error is about (the root for a missing apiVersion or kind).
    pub fn field_path(&self) -> FieldPath {
        match self {
            ObjectError::NotAnObject { .. } | ObjectError::MissingTypeField { .. } => FieldPath::root(),
            ObjectError::TypeFieldNotString { field, .. } => FieldPath::root().key(*field),
            ObjectError::UnknownKind { .. } => FieldPath::root().key("kind"),
            ObjectError::UnsupportedApiVersion { .. } => FieldPath::root().key("apiVersion"),
            ObjectError::UnknownField { path, .. }
            | ObjectError::InvalidValue { path, .. }
            | ObjectError::NotInVersion { path, .. } => path.clone(),
        }
    }
}

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// Where a field sits in an object: `spec.template.spec.containers[0].image`.
/// Map keys that are not plain identifiers print in brackets, as Kubernetes
/// prints them: `metadata.labels[app.kubernetes.io/name]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(pub Vec<PathSegment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathSegment::Key(key.into()));
        self
    }
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// The last map key on the path (the field an error is about), or `""`.
    pub fn last_key(&self) -> &str {
        match self.0.iter().rev().find_map(|s| if let PathSegment::Key(k) = s { Some(k) } else { None }) {
            Some(k) => k,
            None => "",
        }
    }

    fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        let mut out = FieldPath::root();
        for seg in path.iter() {
            match seg {
                Segment::Seq { index } => out.0.push(PathSegment::Index(*index)),
                Segment::Map { key } => out.0.push(PathSegment::Key(key.clone())),
                Segment::Enum { .. } => {}
                Segment::Unknown => break,
            }
        }
        out
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<object>");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Index(n) => write!(f, "[{n}]")?,
                PathSegment::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathSegment::Key(k) => write!(f, "[{k}]")?,
            }
        }
        Ok(())
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$')
}

/// Typed kinds that can be wrapped into and taken out of [`AnyObject`].
pub trait AnyKind: Resource + Into<AnyObject> {
    fn from_any(obj: AnyObject) -> std::result::Result<Self, AnyObject>;
    fn from_any_ref(obj: &AnyObject) -> Option<&Self>;
}

macro_rules! any_object {
    ($($variant:ident),* $(,)?) => {
        /// An object of any kind kwarp models. Serializes as the inner object
        /// (Kubernetes JSON with the current `apiVersion`). Boxed: the kinds
        /// differ a lot in size (a Node is small, a DaemonSet is not).
        #[derive(Clone, Debug, PartialEq)]
        pub enum AnyObject {
            $($variant(Box<$variant>),)*
        }

        impl AnyObject {
            pub fn kind(&self) -> Kind {
                match self {
                    $(AnyObject::$variant(_) => Kind::$variant,)*
                }
            }
            pub fn meta(&self) -> &ObjectMeta {
                match self {
                    $(AnyObject::$variant(o) => o.meta(),)*
                }
            }
            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self {
                    $(AnyObject::$variant(o) => o.meta_mut(),)*
                }
            }
            /// The API server's defaults for this kind ([`Resource::apply_defaults`]).
            pub fn apply_defaults(&mut self) {
                match self {
                    $(AnyObject::$variant(o) => o.apply_defaults(),)*
                }
            }
            /// Validates a create (`old == None`) or an update; an update may not change the kind.
            pub fn validate(&self, old: Option<&AnyObject>) -> std::result::Result<(), Invalid> {
                match (self, old) {
                    $(
                        (AnyObject::$variant(o), None) => o.validate(None),
                        (AnyObject::$variant(o), Some(AnyObject::$variant(old))) => o.validate(Some(&**old)),
                    )*
                    (_, Some(old)) => Err(Invalid {
                        kind: self.kind(),
                        name: self.meta().name.clone(),
                        errors: vec![FieldError::invalid("kind", old.kind(), "may not be changed")],
                    }),
                }
            }
        }

        impl Serialize for AnyObject {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                match self {
                    $(AnyObject::$variant(o) => o.serialize(s),)*
                }
            }
        }

        $(
            impl From<$variant> for AnyObject {
                fn from(o: $variant) -> Self {
                    AnyObject::$variant(Box::new(o))
                }
            }

            impl AnyKind for $variant {
                fn from_any(obj: AnyObject) -> std::result::Result<Self, AnyObject> {
                    match obj {
                        AnyObject::$variant(o) => Ok(*o),
                        other => Err(other),
                    }
                }
                fn from_any_ref(obj: &AnyObject) -> Option<&Self> {
                    match obj {
                        AnyObject::$variant(o) => Some(o),
                        _ => None,
                    }
                }
            }
        )*

        /// Decodes `value` as `kind` (apiVersion already checked).
        fn decode_as(kind: Kind, value: Value, track: Track) -> Result<AnyObject> {
            match kind {
                $(Kind::$variant => decode::<$variant>(value, track).map(AnyObject::from),)*
            }
        }
    };
}

any_object!(
    Node,
    Pod,
    Service,
    PersistentVolumeClaim,
    ReplicaSet,
    Deployment,
    StatefulSet,
    DaemonSet,
    ControllerRevision,
    Job,
    CronJob,
);

impl AnyObject {
    /// Decodes one Kubernetes object: checks `kind` and `apiVersion`, decodes
    /// strictly into the typed model, and converts old apiVersion spellings.
    pub fn from_json_value(value: Value) -> Result<AnyObject> {
        Self::decode(value, Track::Paths)
    }

    /// [`AnyObject::from_json_value`] without tracking field paths: a decoding
    /// error says what is wrong but not where (its path is the root). Faster, as
    /// serde_path_to_error copies every map key it passes; for callers that can
    /// decode again for the details when something fails, as the manifest reader does.
    pub fn from_json_value_untracked(value: Value) -> Result<AnyObject> {
        Self::decode(value, Track::Nothing)
    }

    fn decode(value: Value, track: Track) -> Result<AnyObject> {
        let (kind, api_version) = type_meta(&value)?;
        let api_version = api_version.to_owned();
        let mut obj = decode_as(kind, value, track)?;
        convert_legacy(&mut obj, &api_version)?;
        Ok(obj)
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    pub fn key(&self) -> String {
        self.meta().key()
    }

    /// The typed object, or `self` back when it is another kind.
    pub fn downcast<T: AnyKind>(self) -> std::result::Result<T, AnyObject> {
        T::from_any(self)
    }

    pub fn downcast_ref<T: AnyKind>(&self) -> Option<&T> {
        T::from_any_ref(self)
    }

    /// Kubernetes JSON (compact), with the current apiVersion.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("API objects always serialize to JSON")
    }

    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(self).expect("API objects always serialize to JSON")
    }

    /// One YAML document (no leading `---`).
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("API objects always serialize to YAML")
    }
}

/// Reads any object, as [`AnyObject::from_json_value`] does (the error loses its
/// structure: it becomes the deserializer's message).
impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        AnyObject::from_json_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Reads and checks `kind` and `apiVersion` of an object: the kind must be one
/// kwarp models and the apiVersion one of [`Kind::accepted_api_versions`].
pub fn type_meta(value: &Value) -> Result<(Kind, &str)> {
    let (api_version, kind) = raw_type_meta(value)?;
    let k = Kind::from_name(kind)
        .ok_or_else(|| ObjectError::UnknownKind { kind: kind.to_owned(), api_version: api_version.to_owned() })?;
    if !k.accepts_api_version(api_version) {
        return Err(ObjectError::UnsupportedApiVersion { kind: k, api_version: api_version.to_owned() });
    }
    Ok((k, api_version))
}

/// `(apiVersion, kind)` as written, both required to be strings.
pub fn raw_type_meta(value: &Value) -> Result<(&str, &str)> {
    let map = value.as_object().ok_or(ObjectError::NotAnObject { found: json_type(value) })?;
    let field = |name: &'static str| match map.get(name) {
        None | Some(Value::Null) => Err(ObjectError::MissingTypeField { field: name }),
        Some(Value::String(s)) if s.is_empty() => Err(ObjectError::MissingTypeField { field: name }),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(other) => Err(ObjectError::TypeFieldNotString { field: name, found: json_type(other) }),
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    Ok((api_version, kind))
}

/// `"a string"`, `"a sequence"`: how serde names a JSON value's type in messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a map",
    }
}

/// Whether decoding records the path to a failing field (serde_path_to_error
/// captures every map key on the way, which costs an allocation per key).
#[derive(Clone, Copy, Debug)]
enum Track {
    Paths,
    Nothing,
}

fn decode<T: Resource>(value: Value, track: Track) -> Result<T> {
    if let Track::Nothing = track {
        return T::deserialize(value)
            .map_err(|e| ObjectError::InvalidValue { path: FieldPath::root(), message: e.to_string() });
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = FieldPath::from_serde(e.path());
        let message = e.into_inner().to_string();
        match parse_unknown_field(&message) {
            Some((field, expected)) => {
                // serde's path already ends with the field; make sure, for the location.
                let path = if path.last_key() == field { path } else { path.key(field) };
                ObjectError::UnknownField { path, expected: expected.to_owned() }
            }
            None => ObjectError::InvalidValue { path, message },
        }
    })
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" (or "..., there are no fields").
fn parse_unknown_field(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest.strip_prefix(", expected ").or_else(|| rest.strip_prefix(", "))?;
    Some((field, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_paths_print_like_kubernetes() {
        let p = FieldPath::root().key("spec").key("containers").index(0).key("image");
        assert_eq!(p.to_string(), "spec.containers[0].image");
        let p = FieldPath::root().key("metadata").key("labels").key("app.kubernetes.io/name");
        assert_eq!(p.to_string(), "metadata.labels[app.kubernetes.io/name]");
        assert_eq!(FieldPath::root().to_string(), "<object>");
    }

    #[test]
    fn decodes_by_kind_and_round_trips() {
        let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                       "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        let obj = AnyObject::from_json_value(v.clone()).unwrap();
        assert_eq!(obj.kind(), Kind::Pod);
        assert_eq!(obj.meta().name, "p");
        assert_eq!(obj.to_json_value(), v);
        let pod: &Pod = obj.downcast_ref().unwrap();
        assert_eq!(pod.spec.containers[0].image, "nginx");
        assert!(obj.clone().downcast::<Node>().is_err());
    }

    #[test]
    fn type_meta_errors_name_the_problem() {
        let err = |v: Value| AnyObject::from_json_value(v).unwrap_err();
        assert_eq!(err(json!([1])), ObjectError::NotAnObject { found: "a sequence" });
        assert_eq!(err(json!({"kind": "Pod"})), ObjectError::MissingTypeField { field: "apiVersion" });
        assert_eq!(err(json!({"apiVersion": "v1"})), ObjectError::MissingTypeField { field: "kind" });
        assert_eq!(
            err(json!({"apiVersion": "v1", "kind": 3})),
            ObjectError::TypeFieldNotString { field: "kind", found: "a number" }
        );
        assert_eq!(
            err(json!({"apiVersion": "v1", "kind": "Deployment"})).to_string(),
            r#"apiVersion "v1" is not served for kind Deployment; accepted: apps/v1, apps/v1beta2, apps/v1beta1, extensions/v1beta1"#
        );
        assert!(err(json!({"apiVersion": "v1", "kind": "Secret"})).to_string().starts_with(
            r#"unknown kind "Secret" (apiVersion "v1"); kwarp reads Node, Pod, Service, PersistentVolumeClaim, ReplicaSet"#
        ));
    }

    #[test]
    fn decode_errors_carry_the_field_path() {
        let e = AnyObject::from_json_value(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "spec": {"replicas": "three"}}))
        .unwrap_err();
        assert_eq!(e.to_string(), r#"spec.replicas: invalid type: string "three", expected i32"#);
        let e = AnyObject::from_json_value(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "spec": {"replica": 3}}))
        .unwrap_err();
        match &e {
            ObjectError::UnknownField { path, expected } => {
                assert_eq!(path.to_string(), "spec.replica");
                assert_eq!(path.last_key(), "replica");
                assert!(expected.starts_with("one of `replicas`, `selector`, `template`"), "{expected}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn any_object_is_a_serde_type() {
        let obj: AnyObject = serde_norway::from_str("apiVersion: v1\nkind: Node\nmetadata: {name: n}\n").unwrap();
        assert_eq!(obj.kind(), Kind::Node);
        let err = serde_json::from_str::<AnyObject>(r#"{"apiVersion": "v1", "kind": "Node", "spec": 1}"#).unwrap_err();
        assert!(err.to_string().starts_with("spec: invalid type: integer `1`, expected struct NodeSpec"), "{err}");
    }

    #[test]
    fn validate_rejects_a_kind_change() {
        let pod = AnyObject::from(Pod::default());
        let node = AnyObject::from(Node::default());
        let e = pod.validate(Some(&node)).unwrap_err();
        assert_eq!(e.errors[0].path, "kind");
    }
}
