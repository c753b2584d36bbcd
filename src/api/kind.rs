//! The kinds kwarp simulates, with their API groups and versions.

use std::fmt;

/// One Kubernetes kind. Ordered and small so it can index arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
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
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Node,
        Kind::Pod,
        Kind::Service,
        Kind::PersistentVolumeClaim,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ControllerRevision,
        Kind::Job,
        Kind::CronJob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::Service => "Service",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::ControllerRevision => "ControllerRevision",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// API group ("" for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Kind::Node | Kind::Pod | Kind::Service | Kind::PersistentVolumeClaim => "",
            Kind::ReplicaSet | Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ControllerRevision => {
                "apps"
            }
            Kind::Job | Kind::CronJob => "batch",
        }
    }

    /// The apiVersion kwarp stores and serializes (`v1`, `apps/v1`, `batch/v1`).
    pub fn api_version(self) -> &'static str {
        match self.group() {
            "" => "v1",
            "apps" => "apps/v1",
            _ => "batch/v1",
        }
    }

    /// `Deployment.apps`, or `Pod` for the core group: the name in API error messages.
    pub fn qualified_name(self) -> String {
        match self.group() {
            "" => self.as_str().to_string(),
            g => format!("{}.{g}", self.as_str()),
        }
    }

    /// Lower-case plural resource name (`deployments`), as in URLs and metrics.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Node => "nodes",
            Kind::Pod => "pods",
            Kind::Service => "services",
            Kind::PersistentVolumeClaim => "persistentvolumeclaims",
            Kind::ReplicaSet => "replicasets",
            Kind::Deployment => "deployments",
            Kind::StatefulSet => "statefulsets",
            Kind::DaemonSet => "daemonsets",
            Kind::ControllerRevision => "controllerrevisions",
            Kind::Job => "jobs",
            Kind::CronJob => "cronjobs",
        }
    }

    /// Every apiVersion a manifest may use for this kind, current first. Besides
    /// the current version, the older spellings found in old manifests and
    /// tutorials (`extensions/v1beta1`, `apps/v1beta1`, `apps/v1beta2`,
    /// `batch/v1beta1`, `batch/v2alpha1`) are read and mapped to the current one.
    pub fn accepted_api_versions(self) -> &'static [&'static str] {
        match self {
            Kind::Node | Kind::Pod | Kind::Service | Kind::PersistentVolumeClaim => &["v1"],
            Kind::Deployment => &["apps/v1", "apps/v1beta2", "apps/v1beta1", "extensions/v1beta1"],
            Kind::DaemonSet | Kind::ReplicaSet => &["apps/v1", "apps/v1beta2", "extensions/v1beta1"],
            Kind::StatefulSet | Kind::ControllerRevision => &["apps/v1", "apps/v1beta2", "apps/v1beta1"],
            Kind::Job => &["batch/v1"],
            Kind::CronJob => &["batch/v1", "batch/v1beta1", "batch/v2alpha1"],
        }
    }

    /// Whether a manifest may spell this kind's apiVersion as `v` (one of [`Kind::accepted_api_versions`]).
    pub fn accepts_api_version(self, v: &str) -> bool {
        self.accepted_api_versions().contains(&v)
    }

    pub fn is_namespaced(self) -> bool {
        self != Kind::Node
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
