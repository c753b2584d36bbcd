//! Validation errors shaped like Kubernetes' `field.Error` / `StatusError` (`is invalid: ...`).

use std::fmt;

use super::Kind;

/// What is wrong with one field, as `k8s.io/apimachinery/pkg/util/validation/field` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// `Invalid value: <value>: <detail>`
    Invalid { value: String },
    /// `Required value[: <detail>]`
    Required,
    /// `Unsupported value: <value>: supported values: "a", "b"`
    NotSupported { value: String, supported: Vec<String> },
    /// `Forbidden: <detail>`
    Forbidden,
    /// `Duplicate value: <value>`
    Duplicate { value: String },
    /// `Too long: may not be more than <max> bytes` (detail carries the message)
    TooLong,
}

/// A field path built without allocating: `spec.containers[0].name` is
/// rendered only if an error needs it (valid objects never pay for it).
/// Made with [`PathExt`] from a `&str` root or another `FieldPath`.
#[derive(Clone, Copy)]
pub struct FieldPath<'a, P: ?Sized> {
    parent: &'a P,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Dot(&'a str),
    At(usize),
    Key(&'a str),
    DotAt(&'a str, usize),
    DotKey(&'a str, &'a str),
}

impl<P: fmt::Display + ?Sized> fmt::Display for FieldPath<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parent.fmt(f)?;
        match self.seg {
            Seg::Dot(field) => write!(f, ".{field}"),
            Seg::At(i) => write!(f, "[{i}]"),
            Seg::Key(k) => write!(f, "[{k}]"),
            Seg::DotAt(field, i) => write!(f, ".{field}[{i}]"),
            Seg::DotKey(field, k) => write!(f, ".{field}[{k}]"),
        }
    }
}

impl<P: fmt::Display + ?Sized> fmt::Debug for FieldPath<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldPath({self})")
    }
}

/// Extends any path (a `&str` root or a [`FieldPath`]) by a segment.
pub trait PathExt: fmt::Display {
    /// `path.field`
    fn dot<'a>(&'a self, field: &'a str) -> FieldPath<'a, Self> {
        FieldPath { parent: self, seg: Seg::Dot(field) }
    }
    /// `path[i]`
    fn at(&self, i: usize) -> FieldPath<'_, Self> {
        FieldPath { parent: self, seg: Seg::At(i) }
    }
    /// `path[key]`
    fn key<'a>(&'a self, key: &'a str) -> FieldPath<'a, Self> {
        FieldPath { parent: self, seg: Seg::Key(key) }
    }
    /// `path.field[i]`
    fn dot_at<'a>(&'a self, field: &'a str, i: usize) -> FieldPath<'a, Self> {
        FieldPath { parent: self, seg: Seg::DotAt(field, i) }
    }
    /// `path.field[key]`
    fn dot_key<'a>(&'a self, field: &'a str, key: &'a str) -> FieldPath<'a, Self> {
        FieldPath { parent: self, seg: Seg::DotKey(field, key) }
    }
}

impl<T: fmt::Display + ?Sized> PathExt for T {}

/// One violation: the field path (`spec.template.metadata.labels`), what is wrong, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub kind: FieldErrorKind,
    pub detail: String,
}

impl FieldError {
    pub fn invalid(path: impl fmt::Display, value: impl fmt::Display, detail: impl Into<String>) -> Self {
        FieldError {
            path: path.to_string(),
            kind: FieldErrorKind::Invalid { value: value.to_string() },
            detail: detail.into(),
        }
    }
    pub fn required(path: impl fmt::Display, detail: impl Into<String>) -> Self {
        FieldError { path: path.to_string(), kind: FieldErrorKind::Required, detail: detail.into() }
    }
    pub fn forbidden(path: impl fmt::Display, detail: impl Into<String>) -> Self {
        FieldError { path: path.to_string(), kind: FieldErrorKind::Forbidden, detail: detail.into() }
    }
    pub fn not_supported(path: impl fmt::Display, value: impl fmt::Display, supported: &[&str]) -> Self {
        FieldError {
            path: path.to_string(),
            kind: FieldErrorKind::NotSupported {
                value: value.to_string(),
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
            detail: String::new(),
        }
    }
    pub fn duplicate(path: impl fmt::Display, value: impl fmt::Display) -> Self {
        FieldError {
            path: path.to_string(),
            kind: FieldErrorKind::Duplicate { value: value.to_string() },
            detail: String::new(),
        }
    }
    pub fn too_long(path: impl fmt::Display, max: usize) -> Self {
        FieldError {
            path: path.to_string(),
            kind: FieldErrorKind::TooLong,
            detail: format!("may not be more than {max} bytes"),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.kind {
            FieldErrorKind::Invalid { value } => write!(f, "Invalid value: {value}")?,
            FieldErrorKind::Required => f.write_str("Required value")?,
            FieldErrorKind::NotSupported { value, supported } => {
                write!(f, "Unsupported value: {value:?}")?;
                if !supported.is_empty() {
                    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
                    write!(f, ": supported values: {}", list.join(", "))?;
                }
            }
            FieldErrorKind::Forbidden => f.write_str("Forbidden")?,
            FieldErrorKind::Duplicate { value } => write!(f, "Duplicate value: {value}")?,
            FieldErrorKind::TooLong => f.write_str("Too long")?,
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// Every violation found in one object: `Deployment.apps "web" is invalid: [a, b]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub kind: Kind,
    pub name: String,
    pub errors: Vec<FieldError>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?} is invalid: ", self.kind.qualified_name(), self.name)?;
        match self.errors.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", parts.join(", "))
            }
        }
    }
}

/// Collects field errors while validating; turned into [`Invalid`] at the end.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }
    /// `Ok(())` when empty, else the `Invalid` error for the object.
    pub fn into_result(self, kind: Kind, name: &str) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid { kind, name: name.to_string(), errors: self.0 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_reads_like_kubernetes() {
        let one = Invalid {
            kind: Kind::Deployment,
            name: "web".into(),
            errors: vec![FieldError::invalid("spec.replicas", -1, "must be greater than or equal to 0")],
        };
        assert_eq!(
            one.to_string(),
            r#"Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#
        );
        let two = Invalid {
            kind: Kind::Pod,
            name: "p".into(),
            errors: vec![
                FieldError::required("spec.containers", ""),
                FieldError::not_supported("spec.restartPolicy", "Sometimes", &["Always", "OnFailure", "Never"]),
            ],
        };
        assert_eq!(
            two.to_string(),
            r#"Pod "p" is invalid: [spec.containers: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"]"#
        );
    }

    #[test]
    fn field_paths_render_like_kubernetes() {
        let spec = "spec.template".dot("spec");
        let c = spec.dot_at("containers", 2);
        assert_eq!(
            c.dot("resources").dot_key("limits", "cpu").to_string(),
            "spec.template.spec.containers[2].resources.limits[cpu]"
        );
        assert_eq!("spec.tolerations".at(0).dot("key").to_string(), "spec.tolerations[0].key");
        assert_eq!("metadata.labels".key("app").to_string(), "metadata.labels[app]");
        let e = FieldError::required(c.dot("name"), "");
        assert_eq!(e.path, "spec.template.spec.containers[2].name");
    }
}
