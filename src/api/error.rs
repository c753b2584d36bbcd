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

/// One violation: the field path (`spec.template.metadata.labels`), what is wrong, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub kind: FieldErrorKind,
    pub detail: String,
}

impl FieldError {
    pub fn invalid(path: impl Into<String>, value: impl fmt::Display, detail: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::Invalid { value: value.to_string() },
            detail: detail.into(),
        }
    }
    pub fn required(path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError { path: path.into(), kind: FieldErrorKind::Required, detail: detail.into() }
    }
    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError { path: path.into(), kind: FieldErrorKind::Forbidden, detail: detail.into() }
    }
    pub fn not_supported(path: impl Into<String>, value: impl fmt::Display, supported: &[&str]) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::NotSupported {
                value: value.to_string(),
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
            detail: String::new(),
        }
    }
    pub fn duplicate(path: impl Into<String>, value: impl fmt::Display) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::Duplicate { value: value.to_string() },
            detail: String::new(),
        }
    }
    pub fn too_long(path: impl Into<String>, max: usize) -> Self {
        FieldError {
            path: path.into(),
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
}
