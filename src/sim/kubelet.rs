//! The kubelet of every node, as one component: pod start-up, readiness, completion, graceful deletion, node Ready.
//!
//! Handlers on the shared Pod and Node informers put ids into one [`WorkQueue`]
//! (pod keys `ns/name`, node keys `name`: a node name has no `/`). Processing a
//! pod reads it from the cache and steps its [`PodState`] (see
//! [`pod_lifecycle`](super::pod_lifecycle) for the state machine); the next timed
//! transition is an `add_after` on the clock. Processing a node makes a new node
//! Ready after the `nodeReady` latency, as its kubelet registering would.
//!
//! * Status writes are built from the kubelet's own state (not from the possibly
//!   stale cache) and sent with the cached resourceVersion; on Conflict the pod is
//!   re-read and, if it is the same pod (uid), written again.
//! * Deletion is confirmed with grace 0 and a uid precondition, so a pod that
//!   was replaced under the same name (StatefulSet) is never deleted by mistake.
//! * A node that is not Ready, or whose kubelet was stopped ([`Kubelet::stop_node`]),
//!   runs nothing: its pods are left where they are (new ones stay Pending,
//!   deletions stay pending) until it is Ready again. Only *new* nodes are made
//!   Ready by the kubelet; a node someone else marks NotReady stays so.
//! * Pods bound to a node that does not exist (deleted, or never created) are
//!   force-deleted after `podGc`, as kube-controller-manager's PodGC does with
//!   orphaned pods; their controllers then replace them. Marking pods NotReady
//!   and evicting them from NotReady nodes is the node lifecycle's job (not here).
//!
//! Locks: one mutex over the per-pod and per-node state, never held across a
//! store call or a queue operation.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use foldhash::fast::FixedState;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize};

use super::latency::{Dist, SplitMix64};
use super::node_status::{host_ip, report, NodeReport};
pub use super::pod_lifecycle::CrashMode;
use super::pod_lifecycle::{NodeView, PodState};
use super::{histogram, ConfigError};
use crate::actors::{Component, Waker};
use crate::api::pod::{Pod, PodSpec, PodStatus};
use crate::api::{Node, ObjectMeta, Time};
use crate::clock::{add_duration, duration_between, Clock};
use crate::informer::{FnHandler, SharedInformer, SharedInformerFactory};
use crate::store::{Client, DeleteOptions};
use crate::workqueue::{ItemId, KeyInterner, Options, WorkQueue};

/// Kubelet behaviour (the scenario's `kubelet:` block, camelCase keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct KubeletConfig {
    /// Bound pod seen → containers running.
    pub startup: Dist,
    /// Containers running → Ready condition True.
    pub ready: Dist,
    /// restartPolicy Never / OnFailure: containers running → exit.
    pub run_time: Dist,
    /// Chance that such a run exits 1 (Never: pod Failed; OnFailure: containers restart).
    #[serde(deserialize_with = "probability")]
    pub failure_probability: f64,
    /// Deletion seen → containers stopped, deletion confirmed (capped by the grace period).
    pub shutdown: Dist,
    /// A new Node without Ready=True → Ready=True.
    pub node_ready: Dist,
    /// A pod's node is gone → the pod is force-deleted (PodGC).
    pub pod_gc: Dist,
}

impl Default for KubeletConfig {
    fn default() -> Self {
        let s = |secs| Dist::fixed(Duration::from_secs(secs));
        KubeletConfig {
            startup: s(1),
            ready: Dist::zero(),
            run_time: s(10),
            failure_probability: 0.0,
            shutdown: s(1),
            node_ready: Dist::zero(),
            pod_gc: s(40),
        }
    }
}

fn probability<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let p = f64::deserialize(d)?;
    check_probability(p).map_err(serde::de::Error::custom)?;
    Ok(p)
}

fn check_probability(p: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(format!("{p} is not a probability (between 0 and 1)"))
    }
}

impl KubeletConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let dists = [
            ("startup", &self.startup),
            ("ready", &self.ready),
            ("runTime", &self.run_time),
            ("shutdown", &self.shutdown),
            ("nodeReady", &self.node_ready),
            ("podGc", &self.pod_gc),
        ];
        for (field, d) in dists {
            d.validate().map_err(|e| ConfigError::new(field, e.to_string()))?;
        }
        check_probability(self.failure_probability).map_err(|e| ConfigError::new("failureProbability", e))
    }
}

/// A fault that cannot be injected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KubeletError {
    #[error("pod {key:?} is not known to the kubelet")]
    UnknownPod { key: String },
    #[error("pod {key:?} has no running containers")]
    NotRunning { key: String },
    #[error("node {name:?} not found")]
    UnknownNode { name: String },
}

pub type Result<T, E = KubeletError> = std::result::Result<T, E>;

/// A snapshot of the kubelet's counters.
#[derive(Clone, Debug)]
pub struct KubeletMetrics {
    /// Pods whose containers started (first start only).
    pub pods_started: u64,
    /// Pods that became Ready (first time only).
    pub pods_ready: u64,
    pub pods_succeeded: u64,
    pub pods_failed: u64,
    pub container_restarts: u64,
    /// Deletions confirmed (graceful) or forced (orphan GC).
    pub pods_deleted: u64,
    pub nodes_made_ready: u64,
    pub status_writes: u64,
    pub write_conflicts: u64,
    /// Cluster time from pod creation to its first Ready, in nanoseconds.
    pub startup_latency: Histogram<u64>,
}

#[derive(Default)]
struct Counters {
    started: AtomicU64,
    ready: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    restarts: AtomicU64,
    deleted: AtomicU64,
    nodes_ready: AtomicU64,
    status_writes: AtomicU64,
    conflicts: AtomicU64,
}

#[derive(Debug)]
struct NodeState {
    rng: SplitMix64,
    /// When to post Ready=True (new node, or restarted kubelet).
    ready_at: Option<Time>,
    /// Post Ready=Unknown (the kubelet was stopped).
    report_unknown: bool,
}

#[derive(Debug, Default)]
struct State {
    pods: HashMap<ItemId, PodState, FixedState>,
    nodes: HashMap<ItemId, NodeState, FixedState>,
    stopped: HashSet<String, FixedState>,
}

/// The kubelet component. See the module doc.
pub struct Kubelet {
    config: KubeletConfig,
    seed: u64,
    client: Client,
    clock: Arc<dyn Clock>,
    pods: Arc<SharedInformer<Pod>>,
    nodes: Arc<SharedInformer<Node>>,
    keys: KeyInterner,
    queue: WorkQueue,
    state: Mutex<State>,
    counters: Counters,
    startup: Mutex<Histogram<u64>>,
}

impl fmt::Debug for Kubelet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kubelet").field("config", &self.config).field("queue", &self.queue).finish_non_exhaustive()
    }
}

fn with(w: &Weak<Kubelet>, f: impl FnOnce(&Kubelet)) {
    if let Some(k) = w.upgrade() {
        f(&k);
    }
}

impl Kubelet {
    /// Builds the kubelet and subscribes it to the factory's Pod and Node informers.
    /// `seed` seeds every pod's and node's latency draws (mixed with its uid).
    pub fn new(
        factory: &SharedInformerFactory,
        client: Client,
        clock: Arc<dyn Clock>,
        config: KubeletConfig,
        seed: u64,
    ) -> Arc<Kubelet> {
        let queue = WorkQueue::new("kubelet", Arc::clone(&clock), Options::default());
        let (pods, nodes) = (factory.informer::<Pod>(), factory.informer::<Node>());
        let k = Arc::new(Kubelet {
            config,
            seed,
            client,
            clock,
            pods: Arc::clone(&pods),
            nodes: Arc::clone(&nodes),
            keys: KeyInterner::new(),
            queue,
            state: Mutex::new(State::default()),
            counters: Counters::default(),
            startup: Mutex::new(histogram()),
        });
        let (w1, w2, w3) = (Arc::downgrade(&k), Arc::downgrade(&k), Arc::downgrade(&k));
        pods.add_event_handler(Arc::new(
            FnHandler::new()
                .on_add(move |p: &Arc<Pod>| with(&w1, |k| k.on_pod(None, p)))
                .on_update(move |o: &Arc<Pod>, p: &Arc<Pod>| with(&w2, |k| k.on_pod(Some(o), p)))
                .on_delete(move |p: &Arc<Pod>| with(&w3, |k| k.on_pod(None, p))),
        ));
        let (w1, w2, w3) = (Arc::downgrade(&k), Arc::downgrade(&k), Arc::downgrade(&k));
        nodes.add_event_handler(Arc::new(
            FnHandler::new()
                .on_add(move |n: &Arc<Node>| {
                    with(&w1, |k| {
                        k.queue.add(k.keys.intern(&n.metadata.name));
                        k.requeue_pods_on(&n.metadata.name);
                    })
                })
                .on_update(move |o: &Arc<Node>, n: &Arc<Node>| {
                    with(&w2, |k| {
                        if o.is_ready() != n.is_ready() {
                            k.requeue_pods_on(&n.metadata.name);
                        }
                    })
                })
                .on_delete(move |n: &Arc<Node>| {
                    with(&w3, |k| {
                        k.queue.add(k.keys.intern(&n.metadata.name));
                        k.requeue_pods_on(&n.metadata.name);
                    })
                }),
        ));
        k
    }

    pub fn queue(&self) -> &WorkQueue {
        &self.queue
    }

    pub fn metrics(&self) -> KubeletMetrics {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        KubeletMetrics {
            pods_started: get(&c.started),
            pods_ready: get(&c.ready),
            pods_succeeded: get(&c.succeeded),
            pods_failed: get(&c.failed),
            container_restarts: get(&c.restarts),
            pods_deleted: get(&c.deleted),
            nodes_made_ready: get(&c.nodes_ready),
            status_writes: get(&c.status_writes),
            write_conflicts: get(&c.conflicts),
            startup_latency: self.startup_histogram(),
        }
    }

    /// Pod start-up latency (created → first Ready) in cluster-time nanoseconds.
    pub fn startup_histogram(&self) -> Histogram<u64> {
        self.startup.lock().clone()
    }

    /// Crashes the containers of a running pod (`ns/name`).
    pub fn crash_pod(&self, key: &str, mode: CrashMode) -> Result<()> {
        self.inject(key, |st, now| st.inject_crash(now, mode))
    }

    /// Takes a running pod's Ready condition away for `down_for`.
    pub fn flap_readiness(&self, key: &str, down_for: Duration) -> Result<()> {
        self.inject(key, |st, now| st.inject_flap(now, down_for))
    }

    fn inject(&self, key: &str, f: impl FnOnce(&mut PodState, Time)) -> Result<()> {
        let unknown = || KubeletError::UnknownPod { key: key.to_string() };
        let id = self.keys.id(key).ok_or_else(unknown)?;
        {
            let mut st = self.state.lock();
            let pod = st.pods.get_mut(&id).ok_or_else(unknown)?;
            if !pod.is_running() {
                return Err(KubeletError::NotRunning { key: key.to_string() });
            }
            f(pod, self.clock.now());
        }
        self.queue.add(id);
        Ok(())
    }

    /// Stops a node's kubelet: it posts Ready=Unknown and its pods freeze until [`Self::start_node`].
    pub fn stop_node(&self, name: &str) -> Result<()> {
        let node = self.nodes.cache().get(name).ok_or_else(|| KubeletError::UnknownNode { name: name.to_string() })?;
        let id = self.keys.intern(name);
        {
            let mut st = self.state.lock();
            st.stopped.insert(name.to_string());
            let rng = SplitMix64::for_object(self.seed, &node.metadata.uid);
            let ns = st.nodes.entry(id).or_insert(NodeState { rng, ready_at: None, report_unknown: false });
            ns.ready_at = None;
            ns.report_unknown = true;
        }
        self.queue.add(id);
        Ok(())
    }

    /// Restarts a stopped kubelet: the node posts Ready=True after the `nodeReady` latency.
    pub fn start_node(&self, name: &str) -> Result<()> {
        let node = self.nodes.cache().get(name).ok_or_else(|| KubeletError::UnknownNode { name: name.to_string() })?;
        let id = self.keys.intern(name);
        let now = self.clock.now();
        {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            st.stopped.remove(name);
            let rng = SplitMix64::for_object(self.seed, &node.metadata.uid);
            let ns = st.nodes.entry(id).or_insert(NodeState { rng, ready_at: None, report_unknown: false });
            ns.report_unknown = false;
            ns.ready_at = Some(add_duration(now, self.config.node_ready.sample(&mut ns.rng)));
        }
        self.queue.add(id);
        self.requeue_pods_on(name);
        Ok(())
    }

    fn on_pod(&self, old: Option<&Arc<Pod>>, pod: &Arc<Pod>) {
        if pod.spec.node_name.is_empty() {
            return;
        }
        // Our own status writes come back as status-only updates: nothing to do for them.
        if let Some(o) = old {
            let (m, om) = (&pod.metadata, &o.metadata);
            if o.spec == pod.spec && m.uid == om.uid && m.deletion_timestamp == om.deletion_timestamp {
                return;
            }
        }
        self.queue.add(self.keys.intern(&pod.metadata.key()));
    }

    /// Queues every pod bound to `node`, in key order.
    fn requeue_pods_on(&self, node: &str) {
        let mut keys: Vec<String> = self.pods.cache().by_node(node).iter().map(|p| p.metadata.key()).collect();
        keys.sort_unstable();
        self.queue.add_all(keys.iter().map(|k| self.keys.intern(k)));
    }

    fn process(&self, id: ItemId) {
        let Some(key) = self.keys.key(id) else { return };
        if key.contains('/') {
            self.process_pod(id, &key);
        } else {
            self.process_node(id, &key);
        }
    }

    fn process_pod(&self, id: ItemId, key: &str) {
        let pod = self.pods.cache().get(key).filter(|p| !p.spec.node_name.is_empty());
        let Some(pod) = pod else {
            self.state.lock().pods.remove(&id);
            return;
        };
        let node = self.nodes.cache().get(&pod.spec.node_name);
        let now = self.clock.now();
        let (step, status, wake) = {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            let alive = node.as_ref().is_some_and(|n| n.is_ready()) && !st.stopped.contains(&pod.spec.node_name);
            let view = NodeView { exists: node.is_some(), alive };
            if st.pods.get(&id).is_some_and(|s| s.uid != pod.metadata.uid) {
                st.pods.remove(&id); // replaced under the same name
            }
            let ps = match st.pods.entry(id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(_) if pod.is_terminal() => return, // finished before we saw it
                Entry::Vacant(e) => e.insert(PodState::new(&pod, self.seed, host_ip(&pod.spec.node_name))),
            };
            let step = ps.advance(&pod, view, now, &self.config);
            let status = step.write.then(|| ps.render(&pod));
            let wake = ps.next_wake(view);
            if step.delete {
                st.pods.remove(&id);
            }
            (step, status, wake)
        };
        let c = &self.counters;
        for (happened, counter) in [
            (step.started, &c.started),
            (step.first_ready, &c.ready),
            (step.succeeded, &c.succeeded),
            (step.failed, &c.failed),
            (step.restarted, &c.restarts),
        ] {
            if happened {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
        if step.first_ready {
            if let Some(created) = pod.metadata.creation_timestamp {
                let ns = u64::try_from(duration_between(created, now).as_nanos()).unwrap_or(u64::MAX);
                let _ = self.startup.lock().record(ns);
            }
        }
        if let Some(status) = status {
            self.write_status(&pod, status);
        }
        if step.delete {
            let opts = DeleteOptions::now().uid(pod.metadata.uid.clone());
            if self.client.delete::<Pod>(&pod.metadata.namespace, &pod.metadata.name, &opts).is_ok() {
                c.deleted.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(at) = wake {
            self.queue.add_after(id, duration_between(now, at));
        }
    }

    /// Writes `status` with the cached resourceVersion; on Conflict re-reads and retries (same uid only).
    fn write_status(&self, pod: &Pod, status: PodStatus) {
        let meta = &pod.metadata;
        let mut rv = meta.resource_version.clone();
        for _ in 0..3 {
            self.counters.status_writes.fetch_add(1, Ordering::Relaxed);
            let obj = Pod {
                metadata: ObjectMeta { resource_version: rv, ..ObjectMeta::named(&meta.namespace, &meta.name) },
                spec: PodSpec::default(),
                status: status.clone(),
            };
            match self.client.update_status(obj) {
                Err(e) if e.is_conflict() => {
                    self.counters.conflicts.fetch_add(1, Ordering::Relaxed);
                    match self.client.get::<Pod>(&meta.namespace, &meta.name) {
                        Ok(fresh) if fresh.metadata.uid == meta.uid => rv = fresh.metadata.resource_version.clone(),
                        _ => return,
                    }
                }
                _ => return,
            }
        }
    }

    fn process_node(&self, id: ItemId, name: &str) {
        let now = self.clock.now();
        let Some(node) = self.nodes.cache().get(name) else {
            self.state.lock().nodes.remove(&id);
            return;
        };
        let (write, wake) = {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            let stopped = st.stopped.contains(name);
            let ns = st.nodes.entry(id).or_insert_with(|| {
                let mut rng = SplitMix64::for_object(self.seed, &node.metadata.uid);
                let ready_at =
                    (!node.is_ready() && !stopped).then(|| add_duration(now, self.config.node_ready.sample(&mut rng)));
                NodeState { rng, ready_at, report_unknown: false }
            });
            if std::mem::take(&mut ns.report_unknown) {
                (Some(NodeReport::Unknown), None)
            } else {
                match ns.ready_at {
                    Some(at) if at <= now && !stopped => {
                        ns.ready_at = None;
                        ((!node.is_ready()).then_some(NodeReport::Ready), None)
                    }
                    Some(at) if !stopped => (None, Some(at)),
                    _ => (None, None),
                }
            }
        };
        if let Some(w) = write {
            self.write_node(&node, w, now);
        }
        if let Some(at) = wake {
            self.queue.add_after(id, duration_between(now, at));
        }
    }

    /// Posts the node's conditions; on Conflict re-reads and retries once (same uid only).
    fn write_node(&self, node: &Node, r: NodeReport, now: Time) {
        let ok = match self.client.update_status(report(node, r, now)) {
            Err(e) if e.is_conflict() => match self.client.get::<Node>("", &node.metadata.name) {
                Ok(fresh) if fresh.metadata.uid == node.metadata.uid => {
                    self.client.update_status(report(&fresh, r, now)).is_ok()
                }
                _ => false,
            },
            res => res.is_ok(),
        };
        if ok && r == NodeReport::Ready {
            self.counters.nodes_ready.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Component for Kubelet {
    fn name(&self) -> &str {
        "kubelet"
    }

    fn run_ready(&self, budget: usize) -> usize {
        self.queue.process_ready(budget, |id| self.process(id))
    }

    fn has_ready_work(&self) -> bool {
        !self.queue.is_empty()
    }

    fn set_waker(&self, waker: Waker) {
        self.queue.set_notify(Box::new(move || waker.wake()));
    }
}
