//! Request options: store construction, list filters, delete options.

use std::sync::Arc;

use crate::api::selector::Selector;
use crate::api::{Kind, Resource};

/// How a [`Store`](super::Store) is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Seeds the generator of uids and generateName suffixes.
    pub seed: u64,
    /// Events kept per kind for resuming watches; a watch from before them gets Gone.
    pub history_limit: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { seed: 0, history_limit: 10_000 }
    }
}

/// Filters of a LIST (and of nothing else: watches deliver every event of a kind).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Only this namespace (`None` or `Some("")`, client-go's `NamespaceAll`: all namespaces).
    pub namespace: Option<String>,
    /// Only objects whose labels match.
    pub label_selector: Option<Selector>,
    /// Field selector `spec.nodeName=<name>` (pods); `Some("")` selects unbound pods.
    pub node_name: Option<String>,
}

impl ListOptions {
    /// Every object of the kind.
    pub fn all() -> Self {
        Self::default()
    }
    pub fn in_namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }
    pub fn with_labels(mut self, selector: Selector) -> Self {
        self.label_selector = Some(selector);
        self
    }
    pub fn on_node(mut self, node: impl Into<String>) -> Self {
        self.node_name = Some(node.into());
        self
    }

    pub(crate) fn matches<T: Resource>(&self, obj: &T) -> bool {
        let meta = obj.meta();
        if let Some(ns) = &self.namespace {
            if !ns.is_empty() && T::KIND.is_namespaced() && meta.namespace != *ns {
                return false;
            }
        }
        if let Some(node) = &self.node_name {
            if obj.node_name().unwrap_or("") != node {
                return false;
            }
        }
        match &self.label_selector {
            Some(sel) => sel.matches(&meta.labels),
            None => true,
        }
    }
}

/// The answer to a LIST: the matching objects sorted by key, and the revision the
/// list reflects (watch from it to see every later change with no gap).
#[derive(Clone, Debug)]
pub struct ListResult<T> {
    pub items: Vec<Arc<T>>,
    pub revision: u64,
}

/// `propagationPolicy` of a DELETE, recorded for the garbage collector as finalizers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Propagation {
    /// Dependents are left alone: adds finalizer `orphan`.
    Orphan,
    /// The owner goes now, the GC deletes dependents later.
    Background,
    /// The owner stays until its blocking dependents are gone: adds `foregroundDeletion`.
    Foreground,
}

impl Propagation {
    /// The API server's default policy per kind: batch/v1 Jobs orphan (kept for
    /// compatibility), every other kind kwarp serves deletes in the background.
    pub fn default_for(kind: Kind) -> Propagation {
        match kind {
            Kind::Job => Propagation::Orphan,
            _ => Propagation::Background,
        }
    }
}

/// Finalizer recording [`Propagation::Orphan`].
pub const FINALIZER_ORPHAN: &str = "orphan";
/// Finalizer recording [`Propagation::Foreground`].
pub const FINALIZER_FOREGROUND: &str = "foregroundDeletion";

/// Must hold at the moment of the delete, else Conflict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

/// `metav1.DeleteOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `None`: the kind's default (pods: `terminationGracePeriodSeconds`). Negative means 1.
    pub grace_period_seconds: Option<i64>,
    pub preconditions: Preconditions,
    /// `None`: [`Propagation::default_for`] unless the object already carries a GC finalizer.
    pub propagation_policy: Option<Propagation>,
}

impl DeleteOptions {
    /// Grace period 0: delete now (what the kubelet sends once a pod's containers stopped).
    pub fn now() -> Self {
        Self::default().grace(0)
    }
    pub fn grace(mut self, seconds: i64) -> Self {
        self.grace_period_seconds = Some(seconds);
        self
    }
    pub fn uid(mut self, uid: impl Into<String>) -> Self {
        self.preconditions.uid = Some(uid.into());
        self
    }
    pub fn resource_version(mut self, rv: impl Into<String>) -> Self {
        self.preconditions.resource_version = Some(rv.into());
        self
    }
    pub fn propagation(mut self, policy: Propagation) -> Self {
        self.propagation_policy = Some(policy);
        self
    }
}
