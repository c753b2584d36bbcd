//! The API object model: Kubernetes-shaped types for every kind kwarp simulates.
//!
//! Objects serialize with Kubernetes' own JSON field names, so a manifest a user
//! would `kubectl apply` parses into these types and `state.json` reads like
//! `kubectl get -o json`. Once stored, objects are immutable and shared as `Arc`.
//!
//! Layout: [`meta`] (ObjectMeta, owner references, time), [`kind`] (the kinds and
//! their groups), [`quantity`] and [`intstr`] (resource quantities, int-or-percent),
//! [`selector`], [`node_affinity`] and [`taint`] (matching), [`error`] (validation
//! errors worded like the API server's), [`any`] (one type for every kind, decoded
//! by `kind` + `apiVersion`) and [`manifest`] (multi-document YAML / JSON files
//! with file, document and line in every error).

pub mod any;
pub mod apps;
pub mod batch;
pub mod defaults;
pub mod error;
pub mod hash;
pub mod intstr;
pub mod kind;
pub mod manifest;
pub mod meta;
pub mod names;
pub mod node;
pub mod node_affinity;
pub(crate) mod object;
pub mod pod;
pub mod quantity;
pub mod selector;
pub mod storage;
pub mod taint;
pub mod validation;

pub use any::{AnyKind, AnyObject, FieldPath, ObjectError, PathSegment};
pub use apps::{ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet};
pub use batch::{CronJob, Job};
pub use error::{FieldError, FieldErrorKind, FieldErrors, Invalid};
pub use intstr::IntOrString;
pub use kind::Kind;
pub use manifest::{load_manifests, parse_manifests, Manifest, ManifestError};
pub use meta::{ObjectMeta, OwnerReference, StringMap, Time};
pub use node::Node;
pub use pod::{Pod, PodSpec, PodTemplateSpec};
pub use quantity::Quantity;
pub use selector::{LabelSelector, Selector};
pub use storage::{PersistentVolumeClaim, Service};

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// What every stored kind offers the store, informers and controllers.
///
/// Invariant: `spec_eq` and `set_status_from` split an object into metadata,
/// spec (everything that is neither) and status, the way the API server's
/// status subresource does.
pub trait Resource: Clone + Debug + PartialEq + Send + Sync + Serialize + DeserializeOwned + 'static {
    const KIND: Kind;

    fn meta(&self) -> &ObjectMeta;
    fn meta_mut(&mut self) -> &mut ObjectMeta;

    /// True when the desired state (spec) of both objects is the same.
    fn spec_eq(&self, other: &Self) -> bool;
    /// Replace this object's status with `other`'s (status subresource write).
    fn set_status_from(&mut self, other: &Self);
    /// Replace this object's spec with `other`'s (main resource write keeps the stored status).
    fn set_spec_from(&mut self, other: &Self);

    /// Fill in the API server's defaults (`SetDefaults_*`).
    fn apply_defaults(&mut self);
    /// Validate a create (`old == None`) or an update; every violation is listed.
    fn validate(&self, old: Option<&Self>) -> Result<(), Invalid>;

    /// Validate a status-subresource write from `old` to `self` (counts, collisionCount monotonic, ...).
    fn validate_status(&self, _old: &Self) -> Result<(), Invalid> {
        Ok(())
    }
    /// Whether an update from `old` to `self` increments `metadata.generation`
    /// (spec changes; Deployments also count annotation changes).
    fn bumps_generation(&self, old: &Self) -> bool {
        !self.spec_eq(old)
    }
    /// `spec.nodeName` for pods (the field selector the kubelet and scheduler use); `None` for other kinds.
    fn node_name(&self) -> Option<&str> {
        None
    }
    /// Grace period a DELETE without an explicit one gets (pods:
    /// `spec.terminationGracePeriodSeconds`, default 30); `None` = deleted at once.
    fn default_grace_period_seconds(&self) -> Option<i64> {
        None
    }
}
