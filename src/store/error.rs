//! Store errors, worded like kube-apiserver's `StatusError`s.

use crate::api::{Invalid, Kind};

/// The message of a Conflict caused by a stale resourceVersion (`OptimisticLockErrorMsg`).
pub const OPTIMISTIC_LOCK_MSG: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// One failed request. Every variant names the kind and, where there is one, the
/// object key (`namespace/name`, or `name` for cluster-scoped kinds).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// 404: `pods "web-1" not found`.
    #[error("{} {:?} not found", resource(*kind), name_of(key))]
    NotFound { kind: Kind, key: String },
    /// 409: `pods "web-1" already exists`.
    #[error("{} {:?} already exists", resource(*kind), name_of(key))]
    AlreadyExists { kind: Kind, key: String },
    /// 409: `Operation cannot be fulfilled on deployments.apps "web": <reason>` — a stale
    /// resourceVersion ([`OPTIMISTIC_LOCK_MSG`]) or a failed delete precondition.
    #[error("Operation cannot be fulfilled on {} {:?}: {reason}", resource(*kind), name_of(key))]
    Conflict { kind: Kind, key: String, reason: String },
    /// 422: the object failed defaulting/validation; nothing was written.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// 410: a watch from `requested` needs events already dropped from the retained
    /// history; `oldest` is the oldest revision a watch may start from now.
    #[error("too old resource version: {requested} ({oldest})")]
    Gone { kind: Kind, requested: u64, oldest: u64 },
    /// 429: reserved for a server-side rate model (the client-side limiter waits instead).
    #[error("the server has received too many requests and has asked us to try again later")]
    TooManyRequests { kind: Kind },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn not_found(kind: Kind, key: &str) -> Self {
        StoreError::NotFound { kind, key: key.to_string() }
    }
    pub(crate) fn conflict(kind: Kind, key: &str, reason: impl Into<String>) -> Self {
        StoreError::Conflict { kind, key: key.to_string(), reason: reason.into() }
    }
    pub(crate) fn stale(kind: Kind, key: &str) -> Self {
        Self::conflict(kind, key, OPTIMISTIC_LOCK_MSG)
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::NotFound { .. })
    }
    pub fn is_already_exists(&self) -> bool {
        matches!(self, StoreError::AlreadyExists { .. })
    }
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
    pub fn is_invalid(&self) -> bool {
        matches!(self, StoreError::Invalid(_))
    }
    pub fn is_gone(&self) -> bool {
        matches!(self, StoreError::Gone { .. })
    }
    pub fn is_too_many_requests(&self) -> bool {
        matches!(self, StoreError::TooManyRequests { .. })
    }

    /// The HTTP status code kube-apiserver answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            StoreError::NotFound { .. } => 404,
            StoreError::AlreadyExists { .. } | StoreError::Conflict { .. } => 409,
            StoreError::Invalid(_) => 422,
            StoreError::Gone { .. } => 410,
            StoreError::TooManyRequests { .. } => 429,
        }
    }

    /// The kind the failed request was about.
    pub fn kind(&self) -> Kind {
        match self {
            StoreError::NotFound { kind, .. }
            | StoreError::AlreadyExists { kind, .. }
            | StoreError::Conflict { kind, .. }
            | StoreError::Gone { kind, .. }
            | StoreError::TooManyRequests { kind } => *kind,
            StoreError::Invalid(inv) => inv.kind,
        }
    }
}

/// `pods`, `deployments.apps`: the resource name used in API error messages.
pub fn resource(kind: Kind) -> String {
    match kind.group() {
        "" => kind.plural().to_string(),
        g => format!("{}.{g}", kind.plural()),
    }
}

fn name_of(key: &str) -> &str {
    key.rsplit_once('/').map_or(key, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_kube_apiserver() {
        let e = StoreError::not_found(Kind::Pod, "default/x");
        assert_eq!(e.to_string(), r#"pods "x" not found"#);
        assert!(e.is_not_found() && e.status_code() == 404);
        let e = StoreError::stale(Kind::Deployment, "default/web");
        assert_eq!(
            e.to_string(),
            r#"Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again"#
        );
        assert!(e.is_conflict() && e.status_code() == 409);
        let e = StoreError::AlreadyExists { kind: Kind::Node, key: "n1".into() };
        assert_eq!(e.to_string(), r#"nodes "n1" already exists"#);
        let e = StoreError::Gone { kind: Kind::Pod, requested: 5, oldest: 17 };
        assert_eq!(e.to_string(), "too old resource version: 5 (17)");
        assert!(e.is_gone() && e.status_code() == 410);
        assert_eq!(resource(Kind::CronJob), "cronjobs.batch");
    }
}
