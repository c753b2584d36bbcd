//! The scenario format: what cluster to simulate and which steps to replay on it, as YAML.
//!
//! # Reference
//!
//! Keys are camelCase; an unknown key, a wrong type or an impossible value is an
//! error naming the file, the line and the key path (`steps[2].scale.replicas`).
//! Durations are Go durations (`500ms`, `1.5s`, `2m`); latency distributions are
//! [`Dist`]s: `2s`, `{fixed: 2s}`, `{uniform: {min: 1s, max: 3s}}`,
//! `{exponential: {mean: 2s}}`, `{lognormal: {p50: 1s, p99: 5s}}`.
//!
//! ```yaml
//! name: quickstart                  # required
//! description: one line for `kwarp scenarios`
//! seed: 42                          # default 1; --seed overrides
//! clock: virtual                    # virtual (default) | real; --clock overrides
//! cluster:
//!   nodes:                          # created before the first step, then awaited Ready
//!     count: 100
//!     namePrefix: node-             # names node-0, node-1, ...
//!     labels: {topology.kubernetes.io/zone: a}
//!     taints: [{key: dedicated, value: infra, effect: NoSchedule}]
//!     capacity: {cpu: 32, memory: 128Gi, pods: 110}   # allocatable = capacity; these are the defaults
//!   nodeTemplates:                  # more templates, by name, for addNodes
//!     big: {namePrefix: big-, capacity: {cpu: 96, memory: 384Gi, pods: 250}}
//! kubelet:                          # kwarp::sim::KubeletConfig
//!   startup: {lognormal: {p50: 1s, p99: 5s}}
//!   ready: 0s
//!   runTime: 10s
//!   failureProbability: 0
//!   shutdown: 1s
//!   nodeReady: 0s
//!   podGc: 40s
//! scheduler: {percentageOfNodesToScore: 0, podInitialBackoff: 1s, podMaxBackoff: 10s}
//! api:                              # checked; only the loadgen client is paced so far
//!   latency: {uniform: {min: 1ms, max: 5ms}}        # fixed or uniform
//!   clients: {loadgen: {qps: 50, burst: 100}}
//! controllers:
//!   replicaset: {workers: 5}          # also deployment, statefulset, daemonset, garbageCollector
//! audit: {enabled: true}            # the invariant auditor (default on; --no-audit)
//! steps:
//!   - create:                       # `object:` inline, or `manifest: file.yaml` (relative to this file)
//!       count: 10                   # copies named <name>-0 ... <name>-9; "${index}" and
//!       object: {...}               # "${name}" in any string of the object are replaced
//!   - scale: {target: {kind: ReplicaSet, namePrefix: web-}, replicas: 200}
//!   - patch:                        # or `update:` (read, modify, write with resourceVersion)
//!       target: {kind: ReplicaSet, name: web-0}         # or namePrefix:, selector: {app: web}, namespace:
//!       set: {spec.template.metadata.labels.version: v2, "metadata.labels[app.kubernetes.io/part-of]": shop}
//!   - delete: {target: {kind: Pod, selector: {app: web}}, count: 5, gracePeriod: 0s}
//!   - addNodes: {count: 10, template: big, rate: 5}  # rate: nodes per second of cluster time
//!   - removeNodes: {count: 10, namePrefix: big-}     # highest-numbered first
//!   - killPods: {count: 20, selector: {app: web}, mode: fail}   # fail | restart | delete
//!   - setImage: {target: {kind: Deployment, namePrefix: web-}, container: app, image: nginx:1.28}  # "*": all
//!   - rollback: {target: {kind: Deployment, namePrefix: web-}, count: 50}   # toRevision: N (default previous)
//!   - pause: {target: {kind: Deployment, name: web-0}}   # resume: likewise
//!   - wait: rolloutComplete         # kubectl rollout status, for every Deployment/StatefulSet/DaemonSet
//!   - wait: converged               # or {for: <condition>, timeout: 10m}, or {duration: 30s}
//!   - sleep: 30s                    # cluster time
//!   - measure: {name: scale-up, steps: [...]}          # a named phase in the report
//! ```
//!
//! Wait conditions: `converged` (every ReplicaSet has status.replicas, readyReplicas
//! and the spec's replicas equal, and has observed its generation; no active pod
//! is Pending), `replicaSetsReady`, `podsReady`, `podsRunning`, `noPendingPods`,
//! `nodesReady`, `rolloutComplete` (every Deployment, and every RollingUpdate
//! StatefulSet and DaemonSet, complete as `kubectl rollout status` says; fails at
//! once on a progress deadline exceeded), or a comparison `<metric> <op> <number>` (metrics: `pods`,
//! `pendingPods`, `runningPods`, `readyPods`, `succeededPods`, `failedPods`,
//! `terminatingPods`, `nodes`, `readyNodes`, `replicaSets`, `readyReplicaSets`;
//! ops `== != >= <= > <`). The default timeout is 10m of cluster time; a timeout
//! fails the run with a message naming the step, the condition and the numbers seen.
//!
//! `--set path=value` (repeatable) changes the YAML before it is read:
//! `--set cluster.nodes.count=1000`, `--set steps.1.count=50` (a step's own key
//! may be left out), `--set 'kubelet.startup={fixed: 2s}'`. Values are YAML.

mod condition;
mod load;
mod steps;
mod validate;

use std::collections::BTreeMap;
use std::fmt;

use kwarp::api::taint::Taint;
use kwarp::api::Quantity;
use kwarp::sim::{Dist, KubeletConfig, SchedulerConfig};
use serde::{Deserialize, Deserializer};

pub use condition::{Comparison, Condition, Metric};
pub use load::{load_scenario, parse_scenario, LoadedScenario, Override, Problem, ScenarioError};
pub use steps::{
    stamp, AddNodesStep, CreateStep, DeleteStep, KillMode, KillPodsStep, MeasureStep, RemoveNodesStep, RollbackStep,
    RolloutStep, ScaleStep, SetImageStep, SetStep, Step, Target, WaitFor, WaitStep, DEFAULT_WAIT_TIMEOUT,
};

/// Labels as a plain map (`{app: web}`): every one must match.
pub type Labels = BTreeMap<String, String>;

/// A parsed scenario. Manifests named by `create` steps are read while loading
/// (into [`CreateStep::objects`]), so running does no file IO.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub clock: ClockKind,
    #[serde(default)]
    pub cluster: ClusterSpec,
    #[serde(default)]
    pub kubelet: KubeletConfig,
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    #[serde(default)]
    pub api: ApiSpec,
    #[serde(default)]
    pub controllers: ControllersSpec,
    #[serde(default)]
    pub audit: AuditSpec,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// `audit:` the invariant auditor ([`crate::audit`]).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditSpec {
    /// On by default; `false` for pure speed runs (`--no-audit` does the same).
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for AuditSpec {
    fn default() -> Self {
        AuditSpec { enabled: true }
    }
}

fn yes() -> bool {
    true
}

fn default_seed() -> u64 {
    1
}

/// Which clock the cluster runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockKind {
    /// Discrete-event: time jumps to the next timer whenever the system is quiescent.
    #[default]
    Virtual,
    /// The monotonic wall clock.
    Real,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Virtual => "virtual",
            ClockKind::Real => "real",
        }
    }
}

impl std::str::FromStr for ClockKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "virtual" => Ok(ClockKind::Virtual),
            "real" => Ok(ClockKind::Real),
            _ => Err(format!("unknown clock {s:?}: expected `virtual` or `real`")),
        }
    }
}

/// A count: a whole number, 0 or more (the error for `-3` says so).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(pub u64);

impl Count {
    pub fn get(self) -> u64 {
        self.0
    }
    pub fn as_usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count (a whole number, 0 or more)")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v).map(Count).map_err(|_| E::custom(format!("must not be negative, got {v}")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Count, E> {
                if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
                    Ok(Count(v as u64))
                } else if v < 0.0 {
                    Err(E::custom(format!("must not be negative, got {v}")))
                } else {
                    Err(E::custom(format!("must be a whole number, got {v}")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ cluster

/// The nodes created before the first step, and named templates for `addNodes`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    #[serde(default)]
    pub nodes: NodePool,
    #[serde(default)]
    pub node_templates: BTreeMap<String, NodeTemplate>,
}

/// `cluster.nodes`: how many nodes to start with, and their template.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    #[serde(default)]
    pub count: Count,
    #[serde(default = "default_prefix")]
    pub name_prefix: String,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub taints: Vec<Taint>,
    #[serde(default)]
    pub capacity: BTreeMap<String, Quantity>,
}

impl Default for NodePool {
    fn default() -> Self {
        NodePool {
            count: Count(0),
            name_prefix: default_prefix(),
            labels: Labels::new(),
            taints: Vec::new(),
            capacity: BTreeMap::new(),
        }
    }
}

impl NodePool {
    /// The pool's nodes as a template (for `addNodes` without `template:`).
    pub fn template(&self) -> NodeTemplate {
        NodeTemplate {
            name_prefix: self.name_prefix.clone(),
            labels: self.labels.clone(),
            taints: self.taints.clone(),
            capacity: self.capacity.clone(),
        }
    }
}

/// What a node looks like: name prefix, labels, taints, capacity (= allocatable).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeTemplate {
    #[serde(default = "default_prefix")]
    pub name_prefix: String,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub taints: Vec<Taint>,
    /// Missing resources default to cpu 32, memory 128Gi, pods 110.
    #[serde(default)]
    pub capacity: BTreeMap<String, Quantity>,
}

fn default_prefix() -> String {
    "node-".to_string()
}

/// Default node capacity, per resource.
pub const DEFAULT_CAPACITY: [(&str, &str); 3] = [("cpu", "32"), ("memory", "128Gi"), ("pods", "110")];

// ------------------------------------------------------------------ api, controllers

/// `api:` request latency and per-client pacing.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiSpec {
    /// Latency of every request (fixed or uniform).
    #[serde(default)]
    pub latency: Option<Dist>,
    /// Client-side rate limits by client name (`loadgen`, `replicaset-controller`, `scheduler`, `kubelet`).
    #[serde(default)]
    pub clients: BTreeMap<String, ClientLimits>,
}

/// `--kube-api-qps` / `--kube-api-burst` of one client.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientLimits {
    pub qps: f64,
    #[serde(default = "default_burst")]
    pub burst: Count,
}

fn default_burst() -> Count {
    Count(10)
}

/// `controllers:` settings per controller.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllersSpec {
    #[serde(default)]
    pub replicaset: Option<ControllerSpec>,
    #[serde(default)]
    pub deployment: Option<ControllerSpec>,
    #[serde(default)]
    pub statefulset: Option<ControllerSpec>,
    #[serde(default)]
    pub daemonset: Option<ControllerSpec>,
    #[serde(default)]
    pub garbage_collector: Option<ControllerSpec>,
}

impl ControllersSpec {
    /// Each controller's YAML key and its settings, if given.
    pub fn entries(&self) -> [(&'static str, Option<ControllerSpec>); 5] {
        [
            ("replicaset", self.replicaset),
            ("deployment", self.deployment),
            ("statefulset", self.statefulset),
            ("daemonset", self.daemonset),
            ("garbageCollector", self.garbage_collector),
        ]
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllerSpec {
    /// Concurrent reconciles (kube-controller-manager's `--concurrent-*-syncs`: 5 for ReplicaSets,
    /// Deployments and StatefulSets, 2 for DaemonSets, 20 for the garbage collector).
    pub workers: Count,
}
