//! The pod garbage collector (kube-controller-manager's PodGC, `pkg/controller/podgc`):
//! force-deletes pods bound to nodes that no longer exist, and the oldest
//! terminated pods beyond `--terminated-pod-gc-threshold`.
//!
//! Upstream runs every 20 s over all pods; kwarp is event-driven with the same
//! outcome and no perpetual timer (a virtual run still goes idle):
//! * **Orphaned pods.** A pod bound (`spec.nodeName`) to a node absent from the
//!   Node cache is queued (on its own events, and for every pod of a node when
//!   the node is deleted). A node must stay missing for [`QUARANTINE`] (40 s, as
//!   upstream) and then be confirmed missing by a live read; then each of its
//!   pods is marked Failed with condition `DisruptionTarget` (reason
//!   `DeletionByPodGC`) unless already terminal, and deleted with grace 0.
//! * **Terminating pods nobody will finish** (`gcTerminating`,
//!   `gcUnscheduledTerminating`): a pod with a deletionTimestamp that is not
//!   bound, or bound to a node that is not Ready and carries the
//!   `node.kubernetes.io/out-of-service` taint, is marked Failed and deleted with grace 0.
//! * **Terminated pods.** Handlers count Succeeded/Failed pods; above the
//!   threshold (default 12500; `<= 0` disables) one sync deletes the excess,
//!   evicted pods first, then oldest by creationTimestamp, then by name.
//!
//! Keys: `namespace/name` of a pod, or [`TERMINATED_KEY`].

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;

use super::client::ApiClient;
use super::controller::Enqueuer;
use super::{Action, Ctx, ReconcileError, Reconciler, Result};
use crate::api::pod::{Condition, ConditionStatus, PodPhase};
use crate::api::{Node, Pod, Time};
use crate::clock::Clock;
use crate::informer::key::split_key;
use crate::informer::{Cache, FnHandler, SharedInformerFactory};
use crate::store::{Client, DeleteOptions};

/// `--terminated-pod-gc-threshold` default.
pub const DEFAULT_TERMINATED_POD_THRESHOLD: i64 = 12_500;
/// How long a node must be missing before its pods are deleted (upstream `quarantineTime`).
pub const QUARANTINE: Duration = Duration::from_secs(40);
/// The queue key of the terminated-pods sweep (no pod key lacks a `/`).
pub const TERMINATED_KEY: &str = "#terminated";
/// Condition PodGC sets on a pod it fails.
pub const DISRUPTION_TARGET: &str = "DisruptionTarget";
/// Reason of that condition.
pub const DELETION_BY_POD_GC: &str = "DeletionByPodGC";

/// The taint an operator puts on a node that is shut down for good (`v1.TaintNodeOutOfService`).
pub const TAINT_NODE_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";

/// Not Ready and tainted out-of-service: its terminating pods will never be confirmed by a kubelet.
pub fn out_of_service(node: &Node) -> bool {
    !node.is_ready() && node.spec.taints.iter().any(|t| t.key == TAINT_NODE_OUT_OF_SERVICE)
}

/// What PodGC makes of one pod, given its node as cached (`None`: not in the cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodVerdict {
    /// Nothing to do.
    Keep,
    /// Bound to a node missing from the cache: quarantine, confirm, then delete ([`orphan_step`]).
    NodeMissing,
    /// Terminating and unbound, or terminating on an out-of-service node: mark Failed, delete now.
    ForceDelete,
}

/// Judges `pod` (`gcUnscheduledTerminating`, `gcTerminating`, the first half of `gcOrphaned`).
pub fn judge(pod: &Pod, node: Option<&Node>) -> PodVerdict {
    let terminating = pod.metadata.deletion_timestamp.is_some();
    if pod.spec.node_name.is_empty() {
        return if terminating { PodVerdict::ForceDelete } else { PodVerdict::Keep };
    }
    match node {
        None => PodVerdict::NodeMissing,
        Some(n) if terminating && out_of_service(n) => PodVerdict::ForceDelete,
        Some(_) => PodVerdict::Keep,
    }
}

/// What to do about a pod bound to `spec.nodeName`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrphanStep {
    /// The node is in the cache: nothing.
    NodeExists,
    /// Missing for less than the quarantine: look again after this long.
    Wait(Duration),
    /// Missing long enough: confirm with a live read, then delete.
    Confirm,
}

/// `node_cached`: the node is in the Node cache; `missing_since`: when it was first found missing.
pub fn orphan_step(node_cached: bool, missing_since: Time, now: Time, quarantine: Duration) -> OrphanStep {
    if node_cached {
        return OrphanStep::NodeExists;
    }
    let due = missing_since.add_nanos(i64::try_from(quarantine.as_nanos()).unwrap_or(i64::MAX));
    if now < due {
        OrphanStep::Wait(Duration::from_nanos(u64::try_from(due.as_nanos() - now.as_nanos()).unwrap_or(0)))
    } else {
        OrphanStep::Confirm
    }
}

/// Failed with reason `Evicted` (`eviction.PodIsEvicted`).
pub fn is_evicted(p: &Pod) -> bool {
    p.phase() == PodPhase::Failed && p.status.reason == "Evicted"
}

/// The terminated pods to delete so at most `threshold` remain (`gcTerminated`):
/// evicted first, then oldest creationTimestamp, then name. `threshold <= 0`: none.
pub fn terminated_to_delete(pods: &[Arc<Pod>], threshold: i64) -> Vec<Arc<Pod>> {
    if threshold <= 0 {
        return Vec::new();
    }
    let mut terminated: Vec<Arc<Pod>> = pods.iter().filter(|p| p.is_terminal()).cloned().collect();
    let excess = i64::try_from(terminated.len()).unwrap_or(i64::MAX) - threshold;
    if excess <= 0 {
        return Vec::new();
    }
    terminated.sort_by(|a, b| {
        is_evicted(b)
            .cmp(&is_evicted(a))
            .then(a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
            .then_with(|| a.metadata.namespace.cmp(&b.metadata.namespace))
    });
    terminated.truncate(usize::try_from(excess).unwrap_or(usize::MAX));
    terminated
}

struct Caches {
    pods: Arc<Cache<Pod>>,
    nodes: Arc<Cache<Node>>,
}

/// The PodGC [`Reconciler`], generic over its client.
pub struct PodGc<C = Client> {
    client: C,
    clock: Arc<dyn Clock>,
    threshold: i64,
    quarantine: Duration,
    caches: OnceLock<Caches>,
    /// Node name → when PodGC first found it missing, and whether a live read confirmed it gone.
    missing_since: Mutex<HashMap<String, (Time, bool)>>,
    /// Succeeded or Failed pods in the cache, kept by the handlers.
    terminated: Arc<AtomicI64>,
}

impl<C> fmt::Debug for PodGc<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PodGc")
            .field("threshold", &self.threshold)
            .field("terminated", &self.terminated.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<C: ApiClient> PodGc<C> {
    /// A PodGC with the default threshold and quarantine.
    pub fn new(client: C, clock: Arc<dyn Clock>) -> Self {
        PodGc {
            client,
            clock,
            threshold: DEFAULT_TERMINATED_POD_THRESHOLD,
            quarantine: QUARANTINE,
            caches: OnceLock::new(),
            missing_since: Mutex::new(HashMap::new()),
            terminated: Arc::new(AtomicI64::new(0)),
        }
    }

    /// `--terminated-pod-gc-threshold` (`<= 0` disables the terminated-pods sweep).
    pub fn with_threshold(mut self, threshold: i64) -> Self {
        self.threshold = threshold;
        self
    }

    pub fn with_quarantine(mut self, quarantine: Duration) -> Self {
        self.quarantine = quarantine;
        self
    }

    pub fn client(&self) -> &C {
        &self.client
    }

    fn caches(&self) -> &Caches {
        self.caches.get().expect("PodGc reads caches only once registered")
    }

    /// Marks `pod` Failed (with `condition`, unless already terminal) and deletes it with grace 0 (`markFailedAndDeletePod`).
    fn fail_and_delete(&self, pod: &Pod, condition: Option<Condition>, key: &str) -> Result<()> {
        let m = &pod.metadata;
        if !pod.is_terminal() {
            let mut failed = pod.clone();
            failed.status.phase = Some(PodPhase::Failed);
            if let Some(c) = condition {
                failed.status.conditions.retain(|x| x.type_ != c.type_);
                failed.status.conditions.push(c);
            }
            match self.client.update_status(failed) {
                Ok(_) => {}
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(ReconcileError::api(key, e)),
            }
        }
        match self.client.delete::<Pod>(&m.namespace, &m.name, &DeleteOptions::now().uid(m.uid.clone())) {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(ReconcileError::api(key, e)),
        }
    }

    /// One pod: orphaned, terminating forever, or fine.
    fn gc_pod(&self, key: &str) -> Result<Action> {
        let (namespace, name) = split_key(key);
        let Some(pod) = self.caches().pods.get_ns_name(namespace, name) else { return Ok(Action::Done) };
        let node_name = pod.spec.node_name.as_str();
        let node = (!node_name.is_empty()).then(|| self.caches().nodes.get(node_name)).flatten();
        if node.is_some() {
            self.missing_since.lock().remove(node_name);
        }
        match judge(&pod, node.as_deref()) {
            PodVerdict::Keep => Ok(Action::Done),
            PodVerdict::ForceDelete => self.fail_and_delete(&pod, None, key).map(|()| Action::Done),
            PodVerdict::NodeMissing => self.gc_orphaned(&pod, key),
        }
    }

    fn gc_orphaned(&self, pod: &Pod, key: &str) -> Result<Action> {
        let node = pod.spec.node_name.as_str();
        let now = self.clock.now();
        let (since, confirmed) = *self.missing_since.lock().entry(node.to_string()).or_insert((now, false));
        match orphan_step(false, since, now, self.quarantine) {
            OrphanStep::NodeExists => Ok(Action::Done),
            OrphanStep::Wait(d) => Ok(Action::RequeueAfter(d)),
            OrphanStep::Confirm => {
                if !confirmed {
                    // One live read per node, not per pod (`discoverDeletedNodes`).
                    match self.client.get::<Node>("", node) {
                        Ok(_) => {
                            self.missing_since.lock().remove(node);
                            return Ok(Action::Done);
                        }
                        Err(e) if e.is_not_found() => {
                            self.missing_since.lock().insert(node.to_string(), (since, true));
                        }
                        Err(e) => return Err(ReconcileError::api(key, e)),
                    }
                }
                let condition = Condition::new(
                    DISRUPTION_TARGET,
                    ConditionStatus::True,
                    DELETION_BY_POD_GC,
                    "PodGC: node no longer exists",
                    now,
                );
                self.fail_and_delete(pod, Some(condition), key)?;
                Ok(Action::Done)
            }
        }
    }

    fn gc_terminated(&self) -> Result<Action> {
        let victims = terminated_to_delete(&self.caches().pods.list(), self.threshold);
        let errors: Vec<ReconcileError> = victims
            .iter()
            .filter_map(|p| {
                self.fail_and_delete(p, None, &format!("{}/{}", p.metadata.namespace, p.metadata.name)).err()
            })
            .collect();
        ReconcileError::aggregate(errors).map_or(Ok(Action::Done), Err)
    }
}

impl<C: ApiClient> Reconciler for PodGc<C> {
    fn name(&self) -> &'static str {
        "podgc"
    }

    fn reconcile(&self, key: &str, _ctx: &Ctx<'_>) -> Result<Action> {
        if key == TERMINATED_KEY {
            self.gc_terminated()
        } else {
            self.gc_pod(key)
        }
    }

    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        let (pods, nodes) = (informers.informer::<Pod>(), informers.informer::<Node>());
        let _ = self.caches.set(Caches { pods: pods.cache().clone(), nodes: nodes.cache().clone() });
        let terminal = |p: &Pod| i64::from(p.is_terminal());
        let over = {
            let (terminated, threshold, q) = (Arc::clone(&self.terminated), self.threshold, queue.clone());
            move |delta: i64| {
                let n = terminated.fetch_add(delta, Ordering::Relaxed) + delta;
                if delta > 0 && threshold > 0 && n > threshold {
                    q.add(TERMINATED_KEY);
                }
            }
        };
        let over = Arc::new(over);
        let judge_pod = {
            let (nodes, q) = (nodes.cache().clone(), queue.clone());
            move |p: &Pod| {
                let node = p.spec.node_name.as_str();
                let cached = (!node.is_empty()).then(|| nodes.get(node)).flatten();
                if judge(p, cached.as_deref()) != PodVerdict::Keep {
                    q.add_ns_name(&p.metadata.namespace, &p.metadata.name);
                }
            }
        };
        let judge_pod = Arc::new(judge_pod);
        let (j1, j2, c1, c2, c3) = (judge_pod.clone(), judge_pod, over.clone(), over.clone(), over);
        pods.add_event_handler(Arc::new(
            FnHandler::<Pod>::new()
                .on_add(move |p| {
                    c1(terminal(p));
                    j1(p);
                })
                .on_update(move |old, new| {
                    c2(terminal(new) - terminal(old));
                    let (o, n) = (&old.metadata, &new.metadata);
                    if old.spec.node_name != new.spec.node_name || o.deletion_timestamp != n.deletion_timestamp {
                        j2(new);
                    }
                })
                .on_delete(move |p| c3(-terminal(p))),
        ));
        let pod_cache = pods.cache().clone();
        let podgc = Arc::clone(self);
        let (pods_gone, pods_oos, q2) = (pod_cache.clone(), pod_cache, queue.clone());
        let handler = FnHandler::<Node>::new()
            .on_add(move |n| {
                podgc.missing_since.lock().remove(&n.metadata.name); // a new quarantine if it goes again
            })
            .on_update(move |old, new| {
                if out_of_service(new) && !out_of_service(old) {
                    enqueue_bound(&pods_oos, &q2, &new.metadata.name, |p| p.metadata.deletion_timestamp.is_some());
                }
            })
            .on_delete(move |n| enqueue_bound(&pods_gone, &queue, &n.metadata.name, |_| true));
        nodes.add_event_handler(Arc::new(handler));
    }
}

/// Queues the pods bound to `node` that `filter` keeps, in key order.
fn enqueue_bound(pods: &Cache<Pod>, queue: &Enqueuer, node: &str, filter: impl Fn(&Pod) -> bool) {
    let mut bound: Vec<Arc<Pod>> = pods.by_node(node).into_iter().filter(|p| filter(p)).collect();
    bound.sort_by(|a, b| (&a.metadata.namespace, &a.metadata.name).cmp(&(&b.metadata.namespace, &b.metadata.name)));
    for p in bound {
        queue.add_ns_name(&p.metadata.namespace, &p.metadata.name);
    }
}

#[cfg(test)]
mod tests;
