//! Pure scheduling decisions: kube-scheduler's filters in plugin order, least-allocated scoring, the FitError message.
//!
//! Filters run in the default profile's order and stop at the first plugin that
//! rejects the node (its reasons are what the FitError message counts):
//!
//! 1. **NodeUnschedulable**: `spec.unschedulable` unless the pod tolerates
//!    `node.kubernetes.io/unschedulable:NoSchedule` (DaemonSet pods do).
//! 2. **TaintToleration**: the first NoSchedule / NoExecute taint the pod does
//!    not tolerate. kwarp has no node lifecycle controller yet, so a node whose
//!    Ready condition is not True is treated as carrying the taint that
//!    controller would add: `node.kubernetes.io/not-ready:NoSchedule` (Ready
//!    False or absent) or `node.kubernetes.io/unreachable:NoSchedule` (Unknown).
//!    PreferNoSchedule taints never filter; they lower the score.
//! 3. **NodeAffinity**: `nodeSelector` and required node affinity
//!    (`matchExpressions` on labels, `matchFields` on `metadata.name`).
//! 4. **NodeResourcesFit**: pod count against allocatable `pods`, then cpu and
//!    memory requests against allocatable minus what pods bound or assumed on
//!    the node request. Allocatable falls back to capacity; a node reporting no
//!    `pods` at all gets the kubelet's default of 110.
//!
//! Score = least-allocated (NodeResourcesFit, weight 1: mean over cpu and memory
//! of `(allocatable − requested) · 100 / allocatable`, with the scheduler's
//! non-zero defaults of 100m cpu and 200Mi memory for containers that request
//! nothing) + 3 × TaintToleration (100 for the nodes with the fewest untolerated
//! PreferNoSchedule taints, scaled down to 0 for the most). Other score plugins
//! (balanced allocation, image locality, spreading) are not modelled.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use crate::api::node_affinity::{node_selector_matches, pinned_node_name, CompiledNodeSelector};
use crate::api::pod::{find_condition, ConditionStatus, Container, Pod, PodSpec};
use crate::api::taint::{
    find_untolerated_taint, is_no_schedule_or_no_execute, tolerations_tolerate_taint, Taint, TaintEffect, Toleration,
    TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE,
};
use crate::api::{Node, StringMap};

/// `DefaultMilliCPURequest`: what a container without a cpu request counts as when scoring.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// `DefaultMemoryRequest` (200 MiB) in milli-bytes.
pub const DEFAULT_MEMORY_REQUEST_MILLI: i64 = 200 * 1024 * 1024 * 1000;
/// The kubelet's default `--max-pods`, for nodes that report no `pods`.
pub const DEFAULT_MAX_PODS: i64 = 110;
/// Weight of the TaintToleration score in the default profile.
const TAINT_SCORE_WEIGHT: i64 = 3;

/// cpu and memory in milli-units, pods as a count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu: i64,
    pub memory: i64,
    pub pods: i64,
}

/// A pod's effective requests (max of the containers' sum and any init container), plus the
/// non-zero variant used for scoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodRequest {
    pub cpu: i64,
    pub memory: i64,
    pub nonzero_cpu: i64,
    pub nonzero_memory: i64,
}

impl PodRequest {
    pub fn of(spec: &PodSpec) -> Self {
        let get = |c: &Container, r: &str, default: i64| {
            let q = c.resources.requests.get(r).map(|q| q.milli_value());
            (q.unwrap_or(0), q.unwrap_or(default))
        };
        let fold = |cs: &[Container], r: &str, default: i64, sum: bool| {
            cs.iter().map(|c| get(c, r, default)).fold((0i64, 0i64), |acc, (v, nz)| {
                if sum {
                    (acc.0.saturating_add(v), acc.1.saturating_add(nz))
                } else {
                    (acc.0.max(v), acc.1.max(nz))
                }
            })
        };
        let eff = |r: &str, default: i64| {
            let (s, snz) = fold(&spec.containers, r, default, true);
            let (i, inz) = fold(&spec.init_containers, r, default, false);
            (s.max(i), snz.max(inz))
        };
        let (cpu, nonzero_cpu) = eff("cpu", DEFAULT_MILLI_CPU_REQUEST);
        let (memory, nonzero_memory) = eff("memory", DEFAULT_MEMORY_REQUEST_MILLI);
        PodRequest { cpu, memory, nonzero_cpu, nonzero_memory }
    }
}

/// What is handed out on a node: the requests of the pods bound or assumed to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// `pods` = number of pods.
    pub requested: Resources,
    pub nonzero_cpu: i64,
    pub nonzero_memory: i64,
}

impl Usage {
    pub fn add(&mut self, r: &PodRequest) {
        self.requested.cpu += r.cpu;
        self.requested.memory += r.memory;
        self.requested.pods += 1;
        self.nonzero_cpu += r.nonzero_cpu;
        self.nonzero_memory += r.nonzero_memory;
    }
    pub fn sub(&mut self, r: &PodRequest) {
        self.requested.cpu -= r.cpu;
        self.requested.memory -= r.memory;
        self.requested.pods -= 1;
        self.nonzero_cpu -= r.nonzero_cpu;
        self.nonzero_memory -= r.nonzero_memory;
    }
    pub fn is_empty(&self) -> bool {
        self.requested.pods == 0
    }
}

/// A node as the filters see it, computed once per node change. The flags keep a
/// plain pod's filter pass on this struct (the node index scans it contiguously)
/// without touching the `Node` behind the `Arc`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFit {
    pub node: Arc<Node>,
    pub allocatable: Resources,
    /// The NoSchedule taint a not-Ready node would carry (see the module doc).
    pub condition_taint: Option<&'static Taint>,
    unschedulable: bool,
    /// Some NoSchedule or NoExecute taint.
    blocking_taints: bool,
    /// Some PreferNoSchedule taint.
    prefer_taints: bool,
}

static NOT_READY: LazyLock<Taint> = LazyLock::new(|| Taint::new(TAINT_NODE_NOT_READY, "", TaintEffect::NoSchedule));
static UNREACHABLE: LazyLock<Taint> = LazyLock::new(|| Taint::new(TAINT_NODE_UNREACHABLE, "", TaintEffect::NoSchedule));

impl NodeFit {
    pub fn new(node: Arc<Node>) -> Self {
        let st = &node.status;
        let get = |r: &str| st.allocatable.get(r).or_else(|| st.capacity.get(r));
        let allocatable = Resources {
            cpu: get("cpu").map_or(0, |q| q.milli_value()),
            memory: get("memory").map_or(0, |q| q.milli_value()),
            pods: get("pods").map_or(DEFAULT_MAX_PODS, |q| q.value()),
        };
        let condition_taint = match find_condition(&st.conditions, "Ready").map(|c| c.status) {
            Some(ConditionStatus::True) => None,
            Some(ConditionStatus::Unknown) => Some(&*UNREACHABLE),
            Some(ConditionStatus::False) | None => Some(&*NOT_READY),
        };
        let taints = &node.spec.taints;
        NodeFit {
            allocatable,
            condition_taint,
            unschedulable: node.spec.unschedulable,
            blocking_taints: taints.iter().any(is_no_schedule_or_no_execute),
            prefer_taints: taints.iter().any(|t| t.effect == TaintEffect::PreferNoSchedule),
            node,
        }
    }

    pub fn name(&self) -> &str {
        &self.node.metadata.name
    }

    /// Whether a change from `old` to `self` can make a pod fit that did not (a parked pod is worth retrying).
    pub fn may_admit_more_than(&self, old: &NodeFit) -> bool {
        let (n, o) = (&self.node, &old.node);
        self.allocatable != old.allocatable
            || self.condition_taint != old.condition_taint
            || n.spec.unschedulable != o.spec.unschedulable
            || n.spec.taints != o.spec.taints
            || n.metadata.labels != o.metadata.labels
    }
}

/// A pod prepared for filtering many nodes (its required affinity compiled once).
#[derive(Debug)]
pub struct PodFit<'a> {
    pub request: PodRequest,
    node_selector: &'a StringMap,
    required: Option<CompiledNodeSelector>,
    tolerations: &'a [Toleration],
    tolerates_unschedulable: bool,
    /// The only node the pod's required affinity admits (`matchFields metadata.name In [x]`).
    pub pinned: Option<&'a str>,
}

impl<'a> PodFit<'a> {
    pub fn new(pod: &'a Pod) -> Self {
        let spec = &pod.spec;
        let required = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref());
        let unschedulable = Taint::new(TAINT_NODE_UNSCHEDULABLE, "", TaintEffect::NoSchedule);
        PodFit {
            request: PodRequest::of(spec),
            node_selector: &spec.node_selector,
            required: required.map(|r| r.compile()),
            tolerations: &spec.tolerations,
            tolerates_unschedulable: tolerations_tolerate_taint(&spec.tolerations, &unschedulable),
            pinned: required.and_then(pinned_node_name),
        }
    }

    /// Runs the filters in order; `None` = the node fits, else the first plugin's failure.
    pub fn filter<'n>(&self, node: &'n NodeFit, used: &Usage) -> Option<Failure<'n>> {
        if node.unschedulable && !self.tolerates_unschedulable {
            return Some(Failure::Unschedulable);
        }
        if node.blocking_taints {
            let taints = &node.node.spec.taints;
            if let Some(t) = find_untolerated_taint(taints, self.tolerations, is_no_schedule_or_no_execute) {
                return Some(Failure::Taint(t));
            }
        }
        if let Some(t) = node.condition_taint {
            if !tolerations_tolerate_taint(self.tolerations, t) {
                return Some(Failure::Taint(t));
            }
        }
        if !self.node_selector.is_empty() || self.required.is_some() {
            let n = &*node.node;
            let labels = &n.metadata.labels;
            if !node_selector_matches(self.node_selector, labels)
                || self.required.as_ref().is_some_and(|r| !r.matches(&n.metadata.name, labels))
            {
                return Some(Failure::NodeAffinity);
            }
        }
        let (alloc, req, r) = (&node.allocatable, &used.requested, &self.request);
        let pods = req.pods + 1 > alloc.pods;
        let cpu = r.cpu > 0 && r.cpu > alloc.cpu - req.cpu;
        let memory = r.memory > 0 && r.memory > alloc.memory - req.memory;
        (pods || cpu || memory).then_some(Failure::Resources { pods, cpu, memory })
    }

    /// Least-allocated score, 0–100.
    pub fn least_allocated(&self, node: &NodeFit, used: &Usage) -> i64 {
        let one =
            |cap: i64, requested: i64| if cap <= 0 || requested > cap { 0 } else { (cap - requested) * 100 / cap };
        let r = &self.request;
        (one(node.allocatable.cpu, used.nonzero_cpu + r.nonzero_cpu)
            + one(node.allocatable.memory, used.nonzero_memory + r.nonzero_memory))
            / 2
    }

    /// Untolerated PreferNoSchedule taints (tolerations with that effect or none count).
    pub fn intolerable_prefer_no_schedule(&self, node: &NodeFit) -> i64 {
        if !node.prefer_taints {
            return 0;
        }
        let tolerated = |t: &Taint| {
            self.tolerations
                .iter()
                .any(|tol| tol.effect.is_none_or(|e| e == TaintEffect::PreferNoSchedule) && tol.tolerates(t))
        };
        let taints = node.node.spec.taints.iter();
        taints.filter(|t| t.effect == TaintEffect::PreferNoSchedule && !tolerated(t)).count() as i64
    }
}

/// Why a node was filtered out (the first failing plugin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure<'n> {
    Unschedulable,
    Taint(&'n Taint),
    NodeAffinity,
    Resources { pods: bool, cpu: bool, memory: bool },
}

/// One counted reason of a FitError (a resource failure counts each insufficient resource).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason<'n> {
    Unschedulable,
    Taint { key: &'n str, value: &'n str },
    NodeAffinity,
    TooManyPods,
    InsufficientCpu,
    InsufficientMemory,
}

impl<'n> Failure<'n> {
    pub fn reasons(self) -> impl Iterator<Item = Reason<'n>> {
        let list: [Option<Reason<'n>>; 3] = match self {
            Failure::Unschedulable => [Some(Reason::Unschedulable), None, None],
            Failure::Taint(t) => [Some(Reason::Taint { key: &t.key, value: &t.value }), None, None],
            Failure::NodeAffinity => [Some(Reason::NodeAffinity), None, None],
            Failure::Resources { pods, cpu, memory } => [
                pods.then_some(Reason::TooManyPods),
                cpu.then_some(Reason::InsufficientCpu),
                memory.then_some(Reason::InsufficientMemory),
            ],
        };
        list.into_iter().flatten()
    }
}

impl Reason<'_> {
    /// kube-scheduler's wording.
    pub fn text(&self) -> String {
        match self {
            Reason::Unschedulable => "node(s) were unschedulable".into(),
            Reason::Taint { key, value } => format!("node(s) had untolerated taint {{{key}: {value}}}"),
            Reason::NodeAffinity => "node(s) didn't match Pod's node affinity/selector".into(),
            Reason::TooManyPods => "Too many pods".into(),
            Reason::InsufficientCpu => "Insufficient cpu".into(),
            Reason::InsufficientMemory => "Insufficient memory".into(),
        }
    }
}

/// Reason → number of nodes, for one failed attempt.
pub type Diagnosis<'n> = BTreeMap<Reason<'n>, usize>;

/// `FitError.Error()`: `0/3 nodes are available: 1 node(s) didn't match Pod's node
/// affinity/selector, 2 Insufficient cpu.` — the "count reason" strings sorted.
pub fn fit_error_message(total_nodes: usize, diagnosis: &Diagnosis<'_>) -> String {
    if total_nodes == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let mut parts: Vec<String> = diagnosis.iter().map(|(r, n)| format!("{n} {}", r.text())).collect();
    parts.sort();
    format!("0/{total_nodes} nodes are available: {}.", parts.join(", "))
}

/// A feasible node's total score: least-allocated + 3 × its normalized PreferNoSchedule score
/// (`max_count` = the most untolerated PreferNoSchedule taints on any feasible node).
pub fn total_score(least_allocated: i64, count: i64, max_count: i64) -> i64 {
    let taint = if max_count == 0 { 100 } else { 100 - count * 100 / max_count };
    least_allocated + TAINT_SCORE_WEIGHT * taint
}

/// kube-scheduler's `numFeasibleNodesToFind`: all nodes below 100 (or at 100%); otherwise
/// `percentage` of them (0 = adaptive: 50% − nodes/125, at least 5%), at least 100.
pub fn num_feasible_nodes_to_find(total: usize, percentage: u32) -> usize {
    const MIN_FEASIBLE: usize = 100;
    if total < MIN_FEASIBLE || percentage >= 100 {
        return total;
    }
    let pct = if percentage == 0 { (50 - (total / 125) as i64).max(5) as usize } else { percentage as usize };
    (total * pct / 100).max(MIN_FEASIBLE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node_affinity::{
        Affinity, NodeAffinity, NodeSelector, NodeSelectorOperator as Op, NodeSelectorRequirement, NodeSelectorTerm,
    };
    use crate::api::pod::{Condition, ResourceRequirements};
    use crate::api::{ObjectMeta, Quantity};

    fn node(name: &str, cpu: &str, mem: &str, pods: &str) -> Node {
        let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
        for (r, q) in [("cpu", cpu), ("memory", mem), ("pods", pods)] {
            n.status.allocatable.insert(r.into(), Quantity::parse(q).unwrap());
        }
        n.status.conditions.push(Condition::new(
            "Ready",
            ConditionStatus::True,
            "KubeletReady",
            "",
            Default::default(),
        ));
        n
    }

    fn pod(cpu: Option<&str>, mem: Option<&str>) -> Pod {
        let mut c = Container { name: "c".into(), ..Default::default() };
        let mut res = ResourceRequirements::default();
        if let Some(q) = cpu {
            res.requests.insert("cpu".into(), Quantity::parse(q).unwrap());
        }
        if let Some(q) = mem {
            res.requests.insert("memory".into(), Quantity::parse(q).unwrap());
        }
        c.resources = res;
        let mut p = Pod { metadata: ObjectMeta::named("ns", "p"), ..Default::default() };
        p.spec.containers.push(c);
        p
    }

    fn affinity(term: NodeSelectorTerm) -> Option<Affinity> {
        Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![term],
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    fn check(p: &Pod, n: Node, used: Usage) -> Option<Vec<String>> {
        let nf = NodeFit::new(Arc::new(n));
        PodFit::new(p).filter(&nf, &used).map(|f| f.reasons().map(|r| r.text()).collect())
    }

    #[test]
    fn filter_truth_table() {
        let fits = node("n1", "4", "8Gi", "110");
        let base = pod(Some("1"), Some("1Gi"));
        let none = Usage::default();
        let taint = |key: &str, effect| {
            let mut n = fits.clone();
            n.spec.taints.push(Taint::new(key, "v", effect));
            n
        };
        let tolerate = |key: &str, effect| {
            let mut p = base.clone();
            p.spec.tolerations.push(Toleration::equal(key, "v", effect));
            p
        };
        let mut labelled = fits.clone();
        labelled.metadata.labels.insert("zone".into(), "a".into());
        let mut selecting = base.clone();
        selecting.spec.node_selector.insert("zone".into(), "a".into());
        let mut in_b = base.clone();
        in_b.spec.affinity = affinity(NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement::new("zone", Op::In, &["b"])],
            ..Default::default()
        });
        let pinned = |name: &str| {
            let mut p = base.clone();
            p.spec.affinity = affinity(NodeSelectorTerm {
                match_fields: vec![NodeSelectorRequirement::new("metadata.name", Op::In, &[name])],
                ..Default::default()
            });
            p
        };
        let mut cordoned = fits.clone();
        cordoned.spec.unschedulable = true;
        let mut daemon = base.clone();
        daemon.spec.tolerations.push(Toleration::exists(TAINT_NODE_UNSCHEDULABLE, Some(TaintEffect::NoSchedule)));
        let mut not_ready = fits.clone();
        not_ready.status.conditions[0].status = ConditionStatus::False;
        let mut unknown = fits.clone();
        unknown.status.conditions[0].status = ConditionStatus::Unknown;
        let mut tolerates_all = base.clone();
        tolerates_all.spec.tolerations.push(Toleration::exists("", None));
        let half = Usage { requested: Resources { cpu: 3500, memory: 0, pods: 3 }, ..Default::default() };
        let full = Usage { requested: Resources { cpu: 0, memory: 0, pods: 110 }, ..Default::default() };
        let mem_full = Usage { requested: Resources { cpu: 3500, memory: 8 << 40, pods: 1 }, ..Default::default() };
        let s = |v: &[&str]| Some(v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        let affinity_msg = "node(s) didn't match Pod's node affinity/selector";
        type Case = (&'static str, Pod, Node, Usage, Option<Vec<String>>);
        let cases: Vec<Case> = vec![
            ("fits", base.clone(), fits.clone(), none, None),
            ("selector matches", selecting.clone(), labelled.clone(), none, None),
            ("selector misses", selecting.clone(), fits.clone(), none, s(&[affinity_msg])),
            ("affinity misses", in_b.clone(), labelled.clone(), none, s(&[affinity_msg])),
            ("matchFields hits", pinned("n1"), fits.clone(), none, None),
            ("matchFields misses", pinned("n2"), fits.clone(), none, s(&[affinity_msg])),
            (
                "NoSchedule",
                base.clone(),
                taint("k", TaintEffect::NoSchedule),
                none,
                s(&["node(s) had untolerated taint {k: v}"]),
            ),
            (
                "NoExecute",
                base.clone(),
                taint("k", TaintEffect::NoExecute),
                none,
                s(&["node(s) had untolerated taint {k: v}"]),
            ),
            ("PreferNoSchedule", base.clone(), taint("k", TaintEffect::PreferNoSchedule), none, None),
            (
                "tolerated",
                tolerate("k", Some(TaintEffect::NoSchedule)),
                taint("k", TaintEffect::NoSchedule),
                none,
                None,
            ),
            (
                "other effect",
                tolerate("k", Some(TaintEffect::NoExecute)),
                taint("k", TaintEffect::NoSchedule),
                none,
                s(&["node(s) had untolerated taint {k: v}"]),
            ),
            ("cordoned", base.clone(), cordoned.clone(), none, s(&["node(s) were unschedulable"])),
            ("cordoned, daemon", daemon.clone(), cordoned, none, None),
            (
                "not ready",
                base.clone(),
                not_ready.clone(),
                none,
                s(&["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]),
            ),
            (
                "unknown",
                base.clone(),
                unknown,
                none,
                s(&["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"]),
            ),
            ("not ready, tolerated", tolerates_all.clone(), not_ready, none, None),
            ("cpu", base.clone(), fits.clone(), half, s(&["Insufficient cpu"])),
            ("pods", base.clone(), fits.clone(), full, s(&["Too many pods"])),
            ("cpu and memory", base.clone(), fits.clone(), mem_full, s(&["Insufficient cpu", "Insufficient memory"])),
            ("no requests on a full cpu node", pod(None, None), fits.clone(), half, None),
        ];
        for (name, p, n, used, want) in cases {
            assert_eq!(check(&p, n, used), want, "{name}");
        }
    }

    #[test]
    fn pinned_name_comes_from_match_fields() {
        let mut p = pod(None, None);
        p.spec.affinity = affinity(NodeSelectorTerm {
            match_fields: vec![NodeSelectorRequirement::new("metadata.name", Op::In, &["n7"])],
            ..Default::default()
        });
        assert_eq!(PodFit::new(&p).pinned, Some("n7"));
        assert_eq!(PodFit::new(&pod(None, None)).pinned, None);
    }

    #[test]
    fn requests_use_the_scheduler_defaults_only_for_scoring() {
        let r = PodRequest::of(&pod(None, Some("1Gi")).spec);
        assert_eq!((r.cpu, r.nonzero_cpu), (0, DEFAULT_MILLI_CPU_REQUEST));
        assert_eq!(r.memory, r.nonzero_memory);
        let mut p = pod(Some("500m"), None);
        p.spec.init_containers.push(pod(Some("2"), None).spec.containers[0].clone());
        assert_eq!(PodRequest::of(&p.spec).cpu, 2000);
    }

    #[test]
    fn least_allocated_prefers_the_emptier_node() {
        let n = NodeFit::new(Arc::new(node("n", "4", "8Gi", "110")));
        let p = pod(Some("1"), Some("2Gi"));
        let f = PodFit::new(&p);
        assert_eq!(f.least_allocated(&n, &Usage::default()), 75);
        let mut used = Usage::default();
        used.add(&PodRequest::of(&p.spec));
        assert_eq!(f.least_allocated(&n, &used), 50);
    }

    #[test]
    fn messages_read_like_kube_scheduler() {
        let t = Taint::new("dedicated", "gpu", TaintEffect::NoSchedule);
        let mut d = Diagnosis::new();
        d.insert(Reason::InsufficientCpu, 2);
        d.insert(Reason::NodeAffinity, 1);
        assert_eq!(
            fit_error_message(3, &d),
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu."
        );
        d.insert(Reason::Taint { key: &t.key, value: &t.value }, 12);
        assert_eq!(
            fit_error_message(15, &d),
            "0/15 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
             12 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu."
        );
        assert_eq!(fit_error_message(0, &Diagnosis::new()), "no nodes available to schedule pods");
    }

    #[test]
    fn feasible_nodes_to_find_follows_kube_scheduler() {
        assert_eq!(num_feasible_nodes_to_find(50, 0), 50);
        assert_eq!(num_feasible_nodes_to_find(1000, 0), 420); // 50 - 8 = 42%
        assert_eq!(num_feasible_nodes_to_find(5000, 0), 500); // 10%
        assert_eq!(num_feasible_nodes_to_find(100_000, 0), 5000); // floor of 5%
        assert_eq!(num_feasible_nodes_to_find(150, 10), 100); // at least 100
        assert_eq!(num_feasible_nodes_to_find(1000, 100), 1000);
    }

    #[test]
    fn prefer_no_schedule_lowers_the_score() {
        let feasible = [(50, 0), (60, 2), (40, 1)];
        let scores: Vec<i64> = feasible.iter().map(|&(la, n)| total_score(la, n, 2)).collect();
        assert_eq!(scores, vec![350, 60, 190]);
        assert_eq!(total_score(50, 0, 0), 350);
    }
}
