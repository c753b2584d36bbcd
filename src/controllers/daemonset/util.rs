//! The DaemonSet controller's pure decisions (SEMANTICS §6): node eligibility, per-node pod plans, rolling updates, status.
//!
//! Nothing here reads a cache or a clock: the shell passes nodes, pods grouped
//! by node (name order), the current hash and `now`. The one piece of state,
//! the failed-pod back-off, is a value the shell owns ([`FailedPodsBackoff`]).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::api::apps::{DaemonSetStatus, DaemonSetUpdateStrategy};
use crate::api::node_affinity::{affinity_target_node_name, node_selector_matches, CompiledNodeSelector};
use crate::api::pod::{Pod, PodPhase, PodSpec, PodTemplateSpec};
use crate::api::taint::{
    find_untolerated_taint, is_no_schedule_or_no_execute, TaintEffect, Toleration, TAINT_NODE_DISK_PRESSURE,
    TAINT_NODE_MEMORY_PRESSURE, TAINT_NODE_NETWORK_UNAVAILABLE, TAINT_NODE_NOT_READY, TAINT_NODE_PID_PRESSURE,
    TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE,
};
use crate::api::{DaemonSet, Node, StringMap, Time};

/// Most creations (and deletions) one sync issues (DaemonSet `BurstReplicas`).
pub const BURST_REPLICAS: usize = 250;
/// Status writes are retried once (two attempts), then the sync fails (the same constant as the ReplicaSet controller's).
pub use crate::controllers::replicaset::util::STATUS_UPDATE_RETRIES;
/// Pod label with the current revision's hash (`DefaultDaemonSetUniqueLabelKey`).
pub const CONTROLLER_REVISION_HASH_LABEL: &str = "controller-revision-hash";
/// Pod label with the DaemonSet's template generation (`DaemonSetTemplateGenerationKey`).
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// The annotation apps/v1 DaemonSets carry their template generation in.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";
/// First back-off before a failed daemon pod on the same node is deleted again.
pub const FAILED_POD_BACKOFF_INITIAL: Duration = Duration::from_secs(1);
/// Longest such back-off.
pub const FAILED_POD_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// Event reasons.
pub const FAILED_DAEMON_POD: &str = "FailedDaemonPod";
pub const SUCCEEDED_DAEMON_POD: &str = "SucceededDaemonPod";
pub const SELECTING_ALL: &str = "SelectingAll";

// ---------------------------------------------------------------- eligibility

/// The tolerations every daemon pod gets (`AddOrUpdateDaemonPodTolerations`), all `Exists`.
pub fn daemon_pod_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut out = vec![
        Toleration::exists(TAINT_NODE_NOT_READY, Some(TaintEffect::NoExecute)),
        Toleration::exists(TAINT_NODE_UNREACHABLE, Some(TaintEffect::NoExecute)),
        Toleration::exists(TAINT_NODE_DISK_PRESSURE, Some(TaintEffect::NoSchedule)),
        Toleration::exists(TAINT_NODE_MEMORY_PRESSURE, Some(TaintEffect::NoSchedule)),
        Toleration::exists(TAINT_NODE_PID_PRESSURE, Some(TaintEffect::NoSchedule)),
        Toleration::exists(TAINT_NODE_UNSCHEDULABLE, Some(TaintEffect::NoSchedule)),
    ];
    if host_network {
        out.push(Toleration::exists(TAINT_NODE_NETWORK_UNAVAILABLE, Some(TaintEffect::NoSchedule)));
    }
    out
}

/// `spec.hostNetwork` (kept verbatim among the spec's other fields).
pub fn host_network(spec: &PodSpec) -> bool {
    spec.extra.get("hostNetwork").and_then(serde_json::Value::as_bool).unwrap_or(false)
}

/// Adds the daemon tolerations to `spec` (`AddOrUpdateTolerationInPodSpec` for each): one with the
/// same key, operator, value and effect is replaced, otherwise it is appended.
pub fn add_daemon_pod_tolerations(spec: &mut PodSpec) {
    let host_network = host_network(spec);
    add_tolerations(&mut spec.tolerations, host_network);
}

fn add_tolerations(tolerations: &mut Vec<Toleration>, host_network: bool) {
    for t in daemon_pod_tolerations(host_network) {
        let same =
            |e: &Toleration| e.key == t.key && e.operator == t.operator && e.value == t.value && e.effect == t.effect;
        match tolerations.iter_mut().find(|e| same(e)) {
            Some(existing) => *existing = t,
            None => tolerations.push(t),
        }
    }
}

/// `(shouldRun, shouldContinueRunning)` of a DaemonSet on one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub should_run: bool,
    pub should_continue_running: bool,
}

impl Verdict {
    pub const RUN: Verdict = Verdict { should_run: true, should_continue_running: true };
    pub const NEVER: Verdict = Verdict { should_run: false, should_continue_running: false };
}

/// What `NodeShouldRunDaemonPod` looks at in a template, compiled once per
/// template: the template's `nodeName`, `nodeSelector`, required node affinity
/// and tolerations (plus the daemon ones).
#[derive(Clone, Debug, PartialEq)]
pub struct Eligibility {
    node_name: String,
    node_selector: StringMap,
    /// `None`: no required node affinity.
    required: Option<CompiledNodeSelector>,
    tolerations: Vec<Toleration>,
}

impl Eligibility {
    pub fn of(template: &PodTemplateSpec) -> Self {
        let spec = &template.spec;
        let required = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref())
            .map(|ns| ns.compile());
        let mut tolerations = spec.tolerations.clone();
        add_tolerations(&mut tolerations, host_network(spec));
        Eligibility {
            node_name: spec.node_name.clone(),
            node_selector: spec.node_selector.clone(),
            required,
            tolerations,
        }
    }

    /// `NodeShouldRunDaemonPod`: only the node's name, labels and taints matter
    /// (`spec.unschedulable` is tolerated by every daemon pod).
    pub fn verdict(&self, node: &Node) -> Verdict {
        let name = node.metadata.name.as_str();
        if !self.node_name.is_empty() && self.node_name != name {
            return Verdict::NEVER;
        }
        let labels = &node.metadata.labels;
        let affinity_ok = node_selector_matches(&self.node_selector, labels)
            && self.required.as_ref().is_none_or(|r| r.matches(name, labels));
        if !affinity_ok {
            return Verdict::NEVER;
        }
        let taints = &node.spec.taints;
        if find_untolerated_taint(taints, &self.tolerations, is_no_schedule_or_no_execute).is_none() {
            return Verdict::RUN;
        }
        let no_execute = |t: &crate::api::taint::Taint| t.effect == TaintEffect::NoExecute;
        Verdict {
            should_run: false,
            should_continue_running: find_untolerated_taint(taints, &self.tolerations, no_execute).is_none(),
        }
    }
}

/// True when an update of a node from `old` to `cur` cannot change any verdict:
/// name, labels and taints are the same.
pub fn same_eligibility_inputs(old: &Node, cur: &Node) -> bool {
    old.metadata.name == cur.metadata.name
        && old.metadata.labels == cur.metadata.labels
        && old.spec.taints == cur.spec.taints
}

/// Whether a node update can matter to a DaemonSet (`updateNode`): some input of the
/// verdict changed and the verdict with it.
pub fn node_update_changes_verdict(e: &Eligibility, old: &Node, cur: &Node) -> bool {
    !same_eligibility_inputs(old, cur) && e.verdict(old) != e.verdict(cur)
}

// ---------------------------------------------------------------- pods and revisions

/// The template generation: `spec.templateGeneration` or the apps/v1 annotation.
pub fn template_generation(ds: &DaemonSet) -> Option<i64> {
    ds.spec
        .template_generation
        .or_else(|| ds.metadata.annotations.get(TEMPLATE_GENERATION_ANNOTATION).and_then(|v| v.parse().ok()))
}

/// `IsPodUpdated`: the pod carries the current hash or the current template generation.
pub fn is_pod_updated(pod: &Pod, hash: &str, generation: Option<i64>) -> bool {
    let labels = &pod.metadata.labels;
    let hash_matches = !hash.is_empty() && labels.get(CONTROLLER_REVISION_HASH_LABEL).is_some_and(|h| h == hash);
    let generation_matches = generation
        .is_some_and(|g| labels.get(TEMPLATE_GENERATION_LABEL).is_some_and(|l| l.parse::<i64>().ok() == Some(g)));
    hash_matches || generation_matches
}

/// The template daemon pods are created from (`CreatePodTemplate`): daemon
/// tolerations added, `pod-template-generation` and `controller-revision-hash` labels set.
pub fn daemon_pod_template(template: &PodTemplateSpec, generation: Option<i64>, hash: &str) -> PodTemplateSpec {
    let mut t = template.clone();
    add_daemon_pod_tolerations(&mut t.spec);
    if let Some(g) = generation {
        t.metadata.labels.insert(TEMPLATE_GENERATION_LABEL.to_string(), g.to_string());
    }
    if !hash.is_empty() {
        t.metadata.labels.insert(CONTROLLER_REVISION_HASH_LABEL.to_string(), hash.to_string());
    }
    t
}

/// The node a daemon pod belongs to (`GetTargetNodeName`): its `nodeName`, or the node its
/// required affinity pins it to.
pub fn target_node_name(pod: &Pod) -> Option<&str> {
    if !pod.spec.node_name.is_empty() {
        return Some(&pod.spec.node_name);
    }
    affinity_target_node_name(pod.spec.affinity.as_ref())
}

/// Whether a claimed pod takes part in a sync (`getNodesToDaemonPods(…, false)`):
/// terminal pods that are already being deleted do not.
pub fn counts_for_sync(pod: &Pod) -> bool {
    !(pod.is_terminal() && pod.metadata.deletion_timestamp.is_some())
}

/// Some non-deleting pod is not up to date (a rolling-update step could act on the node).
pub fn has_outdated_pod(pods: &[Arc<Pod>], hash: &str, generation: Option<i64>) -> bool {
    pods.iter().any(|p| p.metadata.deletion_timestamp.is_none() && !is_pod_updated(p, hash, generation))
}

/// `podByCreationTimestampAndPhase`: scheduled before unscheduled, then older, then name.
pub fn oldest_first(a: &Pod, b: &Pod) -> Ordering {
    let (sa, sb) = (a.spec.node_name.is_empty(), b.spec.node_name.is_empty());
    sa.cmp(&sb)
        .then_with(|| a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

// ---------------------------------------------------------------- rollout numbers

fn rolling(strategy: Option<&DaemonSetUpdateStrategy>) -> Option<&crate::api::apps::RollingUpdateDaemonSet> {
    strategy.filter(|s| s.type_ == "RollingUpdate")?.rolling_update.as_ref()
}

/// `SurgeCount`: maxSurge scaled against `desired`, rounded up (0 unless RollingUpdate).
pub fn surge_count(ds: &DaemonSet, desired: i32) -> i32 {
    rolling(ds.spec.update_strategy.as_ref())
        .and_then(|r| r.max_surge.as_ref())
        .map_or(0, |v| v.scaled_value(desired, true).unwrap_or(0))
}

/// `UnavailableCount`: maxUnavailable scaled against `desired`, rounded **up** (0 unless RollingUpdate).
pub fn unavailable_count(ds: &DaemonSet, desired: i32) -> i32 {
    rolling(ds.spec.update_strategy.as_ref())
        .and_then(|r| r.max_unavailable.as_ref())
        .map_or(0, |v| v.scaled_value(desired, true).unwrap_or(0))
}

/// `AllowsSurge`: maxSurge of one node is positive.
pub fn allows_surge(ds: &DaemonSet) -> bool {
    surge_count(ds, 1) > 0
}

/// Whether the strategy is RollingUpdate (else OnDelete).
pub fn is_rolling_update(ds: &DaemonSet) -> bool {
    ds.spec.update_strategy.as_ref().is_none_or(|s| s.type_ == "RollingUpdate")
}

/// `updatedDesiredNodeCounts` numbers: `(maxSurge, maxUnavailable)` for `desired`
/// nodes; both 0 with desired > 0 → maxUnavailable 1.
pub fn surge_and_unavailable(ds: &DaemonSet, desired: i32) -> (i32, i32) {
    let (surge, unavailable) = (surge_count(ds, desired), unavailable_count(ds, desired));
    if desired > 0 && surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

// ---------------------------------------------------------------- per-node plan

/// The failed-pod back-off (client-go `flowcontrol.Backoff`, 1 s doubling to 15 min), keyed by
/// (DS uid, observedGeneration, node). Times come from the caller.
#[derive(Debug, Default)]
pub struct FailedPodsBackoff {
    /// key → (current back-off, last update).
    entries: Mutex<HashMap<String, (Duration, Time)>>,
}

impl FailedPodsBackoff {
    /// Time left in the key's back-off at `now` (`IsInBackOffSinceUpdate`), if any.
    pub fn remaining(&self, key: &str, now: Time) -> Option<Duration> {
        let entries = self.entries.lock();
        let (backoff, last) = entries.get(key)?;
        let elapsed = u64::try_from(now.as_nanos().saturating_sub(last.as_nanos())).unwrap_or(0);
        let backoff_ns = u64::try_from(backoff.as_nanos()).unwrap_or(u64::MAX);
        (elapsed < backoff_ns).then(|| Duration::from_nanos(backoff_ns - elapsed))
    }

    /// Starts or doubles the key's back-off at `now` (`Next`): a fresh or long-expired
    /// entry (idle over twice the maximum) starts at the initial delay.
    pub fn next(&self, key: &str, now: Time) -> Duration {
        let mut entries = self.entries.lock();
        let max_ns = FAILED_POD_BACKOFF_MAX.as_nanos();
        let entry = entries.entry(key.to_string()).or_insert((Duration::ZERO, now));
        let idle = u128::try_from(now.as_nanos().saturating_sub(entry.1.as_nanos())).unwrap_or(0);
        entry.0 = if entry.0.is_zero() || idle > 2 * max_ns {
            FAILED_POD_BACKOFF_INITIAL
        } else {
            (entry.0 * 2).min(FAILED_POD_BACKOFF_MAX)
        };
        entry.1 = now;
        entry.0
    }

    /// The key's current back-off (zero when none).
    pub fn get(&self, key: &str) -> Duration {
        self.entries.lock().get(key).map_or(Duration::ZERO, |e| e.0)
    }

    /// Drops entries idle for over twice the maximum back-off (`GC`).
    pub fn gc(&self, now: Time) {
        let max_ns = i64::try_from(FAILED_POD_BACKOFF_MAX.as_nanos() * 2).unwrap_or(i64::MAX);
        self.entries.lock().retain(|_, (_, last)| now.as_nanos().saturating_sub(last.as_nanos()) <= max_ns);
    }
}

/// What one node needs (`podsShouldBeOnNode`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodePlan {
    /// A daemon pod must be created on the node.
    pub create: bool,
    /// Pods to delete, in decision order.
    pub delete: Vec<Arc<Pod>>,
    /// Events to emit: (reason, pod name).
    pub events: Vec<(&'static str, String)>,
    /// A failed pod is kept because of the back-off: look again after this long.
    pub requeue_after: Option<Duration>,
}

/// `podsShouldBeOnNode` for one node: `pods` are the DS's pods targeting it;
/// `failed_backoff` is asked once per Failed pod and answers `Some(remaining)`
/// while the node's back-off holds (the pod is kept), or records the next
/// back-off and answers `None` (the pod is deleted).
pub fn pods_should_be_on_node(
    verdict: Verdict,
    pods: &[Arc<Pod>],
    surge: bool,
    hash: &str,
    min_ready_seconds: i32,
    now: Time,
    mut failed_backoff: impl FnMut() -> Option<Duration>,
) -> NodePlan {
    let mut plan = NodePlan::default();
    if verdict.should_run && pods.is_empty() {
        plan.create = true;
        return plan;
    }
    if !verdict.should_continue_running {
        plan.delete = pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).cloned().collect();
        return plan;
    }
    let mut running: Vec<&Arc<Pod>> = Vec::new();
    for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        match pod.phase() {
            PodPhase::Failed => match failed_backoff() {
                Some(remaining) => {
                    plan.requeue_after = Some(plan.requeue_after.map_or(remaining, |r| r.min(remaining)));
                }
                None => {
                    plan.events.push((FAILED_DAEMON_POD, pod.metadata.name.clone()));
                    plan.delete.push(Arc::clone(pod));
                }
            },
            PodPhase::Succeeded => {
                plan.events.push((SUCCEEDED_DAEMON_POD, pod.metadata.name.clone()));
                plan.delete.push(Arc::clone(pod));
            }
            _ => running.push(pod),
        }
    }
    running.sort_by(|a, b| oldest_first(a, b));
    if !surge {
        plan.delete.extend(running.iter().skip(1).map(|p| Arc::clone(p)));
        return plan;
    }
    if running.len() <= 1 {
        plan.create = running.is_empty() && verdict.should_run;
        return plan;
    }
    // Keep the oldest current-hash pod and the oldest other one; delete the rest.
    let (mut oldest_new, mut oldest_old): (Option<&Arc<Pod>>, Option<&Arc<Pod>>) = (None, None);
    for pod in running {
        let current = pod.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL).is_some_and(|h| h == hash);
        let slot = if current { &mut oldest_new } else { &mut oldest_old };
        if slot.is_none() {
            *slot = Some(pod);
        } else {
            plan.delete.push(Arc::clone(pod));
        }
    }
    if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
        if !old.is_ready() || new.is_available(min_ready_seconds, now) {
            plan.delete.push(Arc::clone(old));
        }
    }
    plan
}

// ---------------------------------------------------------------- rolling update

/// One node as the rolling update sees it: its verdict and the DS's pods there.
#[derive(Clone, Copy, Debug)]
pub struct NodePods<'a> {
    pub name: &'a str,
    /// `false` also for a node that no longer exists.
    pub should_run: bool,
    pub pods: &'a [Arc<Pod>],
}

/// `findUpdatedPodsOnNode`: the one new and the one old non-deleting pod; `None` when
/// there are two of either kind.
#[allow(clippy::type_complexity)]
pub fn updated_pods_on_node<'p>(
    pods: &'p [Arc<Pod>],
    hash: &str,
    generation: Option<i64>,
) -> Option<(Option<&'p Arc<Pod>>, Option<&'p Arc<Pod>>)> {
    let (mut new, mut old) = (None, None);
    for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let slot = if is_pod_updated(pod, hash, generation) { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(pod);
    }
    Some((new, old))
}

/// What a rolling-update step does: pods to delete and nodes to create a new pod on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RolloutPlan {
    pub delete: Vec<Arc<Pod>>,
    pub create: Vec<String>,
}

/// The rollout knobs of one DaemonSet for one step.
#[derive(Clone, Copy, Debug)]
pub struct Rollout<'a> {
    pub hash: &'a str,
    pub generation: Option<i64>,
    pub max_surge: i32,
    pub max_unavailable: i32,
    pub desired: i32,
    pub min_ready_seconds: i32,
    pub now: Time,
}

/// `rollingUpdate` over `nodes` (every node with pods or with shouldRun, in name order).
pub fn rolling_update(nodes: &[NodePods<'_>], r: &Rollout<'_>) -> RolloutPlan {
    let available = |p: &Pod| p.is_available(r.min_ready_seconds, r.now);
    let mut plan = RolloutPlan::default();
    if r.max_surge == 0 {
        let mut unavailable = 0;
        let mut candidates = Vec::new();
        for node in nodes {
            let Some((new, old)) = updated_pods_on_node(node.pods, r.hash, r.generation) else {
                unavailable += 1; // the manage loop cleans the node up first
                continue;
            };
            match (new, old) {
                (None, None) | (Some(_), Some(_)) => unavailable += 1,
                (Some(new), None) => unavailable += i32::from(!available(new)),
                (None, Some(old)) if !available(old) => plan.delete.push(Arc::clone(old)),
                (None, Some(_)) if unavailable >= r.max_unavailable => {}
                (None, Some(old)) => candidates.push(old),
            }
        }
        let room = usize::try_from((r.max_unavailable - unavailable).max(0)).unwrap_or(0).min(candidates.len());
        plan.delete.extend(candidates[..room].iter().map(|p| Arc::clone(p)));
        return plan;
    }
    let (mut surging, mut num_available) = (0, 0);
    let mut allowed = Vec::new();
    let mut candidates = Vec::new();
    let mut should_not_run = Vec::new();
    for node in nodes {
        let Some((new, old)) = updated_pods_on_node(node.pods, r.hash, r.generation) else {
            surging += 1; // the manage loop cleans the node up first
            continue;
        };
        if let Some(p) = old.or(new) {
            num_available += i32::from(available(p));
        }
        match (new, old) {
            (_, None) => {}
            (None, Some(old)) if !available(old) => {
                if node.should_run {
                    allowed.push(node.name.to_string());
                } else {
                    plan.delete.push(Arc::clone(old));
                }
            }
            (None, Some(old)) => {
                if !node.should_run {
                    should_not_run.push(old);
                } else if surging < r.max_surge {
                    candidates.push(node.name.to_string());
                }
            }
            (Some(new), Some(_)) if !available(new) => surging += 1,
            (Some(_), Some(old)) => plan.delete.push(Arc::clone(old)),
        }
    }
    // Pods on nodes that should no longer run them go only once enough pods are available elsewhere.
    let deletable = usize::try_from((num_available - r.desired).max(0)).unwrap_or(0).min(should_not_run.len());
    plan.delete.extend(should_not_run[..deletable].iter().map(|p| Arc::clone(p)));
    let room = usize::try_from((r.max_surge - surging).max(0)).unwrap_or(0).min(candidates.len());
    plan.create = allowed;
    plan.create.extend(candidates.into_iter().take(room));
    plan
}

// ---------------------------------------------------------------- status

/// The counts of `status` a sync computes (`updateDaemonSetStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub desired_number_scheduled: i32,
    pub current_number_scheduled: i32,
    pub number_misscheduled: i32,
    pub number_ready: i32,
    pub updated_number_scheduled: i32,
    pub number_available: i32,
    pub number_unavailable: i32,
}

impl StatusCounts {
    /// Adds one node: `should_run` and the DS's pods there (any order).
    pub fn add_node(
        &mut self,
        should_run: bool,
        pods: &[Arc<Pod>],
        hash: &str,
        generation: Option<i64>,
        min_ready: i32,
        now: Time,
    ) {
        let oldest = pods.iter().min_by(|a, b| oldest_first(a, b));
        match (should_run, oldest) {
            (true, None) => self.desired_number_scheduled += 1,
            (true, Some(pod)) => {
                self.desired_number_scheduled += 1;
                self.current_number_scheduled += 1;
                if pod.is_ready() {
                    self.number_ready += 1;
                    self.number_available += i32::from(pod.is_available(min_ready, now));
                }
                self.updated_number_scheduled += i32::from(is_pod_updated(pod, hash, generation));
            }
            (false, Some(_)) => self.number_misscheduled += 1,
            (false, None) => {}
        }
        self.number_unavailable = self.desired_number_scheduled - self.number_available;
    }

    /// Field-wise sum.
    pub fn plus(&self, o: &StatusCounts) -> StatusCounts {
        self.zip(o, |a, b| a + b)
    }

    /// Field-wise difference.
    pub fn minus(&self, o: &StatusCounts) -> StatusCounts {
        self.zip(o, |a, b| a - b)
    }

    fn zip(&self, o: &StatusCounts, f: impl Fn(i32, i32) -> i32) -> StatusCounts {
        StatusCounts {
            desired_number_scheduled: f(self.desired_number_scheduled, o.desired_number_scheduled),
            current_number_scheduled: f(self.current_number_scheduled, o.current_number_scheduled),
            number_misscheduled: f(self.number_misscheduled, o.number_misscheduled),
            number_ready: f(self.number_ready, o.number_ready),
            updated_number_scheduled: f(self.updated_number_scheduled, o.updated_number_scheduled),
            number_available: f(self.number_available, o.number_available),
            number_unavailable: f(self.number_unavailable, o.number_unavailable),
        }
    }

    /// Whether `status` already shows these counts with an observedGeneration ≥ `generation`
    /// (`None`: the generation is not raised this time).
    pub fn shown_in(&self, status: &DaemonSetStatus, generation: Option<i64>) -> bool {
        self.desired_number_scheduled == status.desired_number_scheduled
            && self.current_number_scheduled == status.current_number_scheduled
            && self.number_misscheduled == status.number_misscheduled
            && self.number_ready == status.number_ready
            && self.updated_number_scheduled == status.updated_number_scheduled
            && self.number_available == status.number_available
            && self.number_unavailable == status.number_unavailable
            && generation.is_none_or(|g| status.observed_generation >= g)
    }

    /// `status` with these counts (and the observedGeneration, when raised).
    pub fn apply(&self, status: &mut DaemonSetStatus, generation: Option<i64>) {
        status.desired_number_scheduled = self.desired_number_scheduled;
        status.current_number_scheduled = self.current_number_scheduled;
        status.number_misscheduled = self.number_misscheduled;
        status.number_ready = self.number_ready;
        status.updated_number_scheduled = self.updated_number_scheduled;
        status.number_available = self.number_available;
        status.number_unavailable = self.number_unavailable;
        if let Some(g) = generation {
            status.observed_generation = g;
        }
    }
}
