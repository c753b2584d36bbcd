//! Pods and pod templates: the fields the simulation acts on are typed, the rest kept verbatim.

use serde::{Deserialize, Serialize};

use super::meta::{ObjectMeta, StringMap, Time};
use super::node_affinity::Affinity;
use super::quantity::Quantity;
use super::taint::Toleration;

/// Untyped JSON fields kept verbatim (they still take part in template hashing).
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// `core/v1.PodTemplateSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateSpec {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PodSpec,
}

/// `core/v1.PodSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    #[serde(default)]
    pub containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub node_selector: StringMap,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subdomain: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scheduler_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Every other PodSpec field, verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `spec.restartPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// `core/v1.Container`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "ResourceRequirements::is_empty")]
    pub resources: ResourceRequirements,
    /// Every other Container field (ports, env, probes, ...), verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Resource name → quantity (`cpu: 100m`, `memory: 1Gi`, `pods: 110`).
pub type ResourceList = std::collections::BTreeMap<String, Quantity>;

/// `core/v1.ResourceRequirements`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirements {
    #[serde(default, skip_serializing_if = "ResourceList::is_empty")]
    pub requests: ResourceList,
    #[serde(default, skip_serializing_if = "ResourceList::is_empty")]
    pub limits: ResourceList,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl ResourceRequirements {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty() && self.extra.is_empty()
    }
}

/// `core/v1.Volume`: the claim reference is typed, every other source verbatim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<PvcVolumeSource>,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `core/v1.PersistentVolumeClaimVolumeSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PvcVolumeSource {
    pub claim_name: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// `True`, `False` or `Unknown`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConditionStatus {
    True,
    False,
    #[default]
    Unknown,
}

/// A status condition. One shape for every kind: the time fields a kind does
/// not use stay `None` (Pods and Jobs use lastProbeTime, Deployments lastUpdateTime).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: ConditionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_probe_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Condition {
    pub fn new(type_: &str, status: ConditionStatus, reason: &str, message: &str, now: Time) -> Self {
        Condition {
            type_: type_.to_string(),
            status,
            last_probe_time: None,
            last_update_time: None,
            last_transition_time: Some(now),
            reason: reason.to_string(),
            message: message.to_string(),
        }
    }
    pub fn is_true(&self) -> bool {
        self.status == ConditionStatus::True
    }
}

/// Finds the condition of a type in a condition list.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// `status.phase` of a pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PodPhase {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    /// Ranking used by controllers' ActivePods ordering: Pending < Unknown < Running.
    pub fn rank(self) -> u8 {
        match self {
            PodPhase::Pending => 0,
            PodPhase::Unknown => 1,
            PodPhase::Running => 2,
            PodPhase::Succeeded | PodPhase::Failed => 3,
        }
    }
}

/// `core/v1.ContainerStatus` (the parts the kubelet simulation writes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<bool>,
    /// `state` (waiting / running / terminated), verbatim JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `core/v1.PodStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<PodPhase>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_statuses: Vec<ContainerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host_ip: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod_ip: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl PodStatus {
    pub fn is_empty(&self) -> bool {
        *self == PodStatus::default()
    }
}

/// `core/v1.Pod`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
    pub status: PodStatus,
}

impl Pod {
    pub fn phase(&self) -> PodPhase {
        self.status.phase.unwrap_or_default()
    }
    /// The pod's `Ready` condition, if reported.
    pub fn ready_condition(&self) -> Option<&Condition> {
        find_condition(&self.status.conditions, "Ready")
    }
    /// Ready condition is True (Kubernetes' `IsPodReady`).
    pub fn is_ready(&self) -> bool {
        self.ready_condition().is_some_and(Condition::is_true)
    }
    /// Ready and, with `min_ready_seconds > 0`, Ready since strictly before `now − minReadySeconds`.
    pub fn is_available(&self, min_ready_seconds: i32, now: Time) -> bool {
        match self.ready_condition() {
            Some(c) if c.is_true() => {
                if min_ready_seconds <= 0 {
                    return true;
                }
                match c.last_transition_time {
                    Some(t) => t.add_secs(i64::from(min_ready_seconds)) < now,
                    None => false,
                }
            }
            _ => false,
        }
    }
    /// Not Succeeded, not Failed, no deletionTimestamp.
    pub fn is_active(&self) -> bool {
        !matches!(self.phase(), PodPhase::Succeeded | PodPhase::Failed) && self.metadata.deletion_timestamp.is_none()
    }
    pub fn is_terminal(&self) -> bool {
        matches!(self.phase(), PodPhase::Succeeded | PodPhase::Failed)
    }
    /// Highest restart count over its containers.
    pub fn max_restarts(&self) -> i32 {
        self.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0)
    }
    /// Sum of container requests for `resource` in milli-units (max with any init container, as the scheduler does).
    pub fn request_milli(&self, resource: &str) -> i64 {
        pod_request_milli(&self.spec, resource)
    }
}

/// Effective request of a pod spec: max(sum over containers, max over init containers), in milli-units.
pub fn pod_request_milli(spec: &PodSpec, resource: &str) -> i64 {
    let get = |c: &Container| c.resources.requests.get(resource).map(Quantity::milli_value).unwrap_or(0);
    let sum: i64 = spec.containers.iter().map(get).sum();
    let init = spec.init_containers.iter().map(get).max().unwrap_or(0);
    sum.max(init)
}

super::object::k8s_resource!(
    Pod,
    super::Kind::Pod,
    PodSpec,
    PodStatus,
    defaults = super::defaults::pod,
    validate = super::validation::pod,
    {
        fn node_name(&self) -> Option<&str> {
            if self.spec.node_name.is_empty() {
                None
            } else {
                Some(&self.spec.node_name)
            }
        }
        fn default_grace_period_seconds(&self) -> Option<i64> {
            Some(
                self.spec
                    .termination_grace_period_seconds
                    .unwrap_or(super::defaults::DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS),
            )
        }
    }
);
