//! The scheduler: binds unbound pods to nodes, as kube-scheduler's default profile would.
//!
//! Event handlers on the shared Pod and Node informers keep a `NodeIndex`
//! (nodes in stable slots with the requests of the pods bound to them) and feed
//! unbound pods into a [`WorkQueue`]. One scheduling cycle per queued pod:
//!
//! 1. Read the pod from the informer cache; skip it unless it is unbound, not
//!    terminating, not terminal, and asks for this scheduler (`schedulerName`).
//! 2. Find feasible nodes with the filters of [`fit`](super::fit). A pod pinned
//!    by `matchFields metadata.name In [x]` (DaemonSet pods) checks only node
//!    `x`. Otherwise the scan starts where the previous cycle stopped and stops
//!    once [`num_feasible_nodes_to_find`] nodes fit (`percentageOfNodesToScore`).
//! 3. Pick the best score (ties: the smaller node name), *assume* the pod there
//!    (its requests count on the node at once, so the next cycle sees them before
//!    the informer does), and bind: an update setting `spec.nodeName`. On
//!    Conflict the pod is re-read and the bind retried once; if that fails too
//!    the assumption is dropped and the pod requeued through the rate limiter.
//! 4. No node fits: the pod gets `PodScheduled=False` (reason Unschedulable,
//!    kube-scheduler's "0/N nodes are available: ..." message; written only when
//!    the message changes) and is *parked*. Parked pods are retried, after a
//!    per-pod back-off (1 s doubling to 10 s by default), when a node is added,
//!    when a node changes in a way the filters notice, and when a bound pod
//!    leaves (its resources are freed).
//!
//! Accounting: a pod counts on its node while it is bound and not terminal
//! (terminating pods still count, as upstream). An assumed pod stays counted
//! even if a stale informer event still shows it unbound; the bound event
//! confirms it, a delete event drops it.
//!
//! Locks: one mutex over the state. It is never held across a store call (a
//! paced client blocks on the clock) nor while touching the queue.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use foldhash::fast::FixedState;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::fit::{fit_error_message, num_feasible_nodes_to_find, total_score, Diagnosis, PodFit, PodRequest, Reason};
use super::latency::serde_duration;
use super::node_index::NodeIndex;
use super::{histogram, ConfigError};
use crate::actors::{Component, Waker};
use crate::api::defaults::DEFAULT_SCHEDULER_NAME;
use crate::api::pod::{find_condition, Condition, ConditionStatus, Pod};
use crate::api::{Node, Time};
use crate::clock::{duration_between, Clock};
use crate::informer::{FnHandler, SharedInformer, SharedInformerFactory};
use crate::store::Client;
use crate::workqueue::{ItemId, KeyInterner, Options, WorkQueue};

/// Scheduler settings (the scenario's `scheduler:` block, camelCase keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Pods whose `spec.schedulerName` is this (default `default-scheduler`).
    pub scheduler_name: String,
    /// `percentageOfNodesToScore`: 0 = adaptive (50% − nodes/125, at least 5%), 1–100 fixed.
    pub percentage_of_nodes_to_score: u32,
    /// Back-off of an unschedulable pod's first retry (`podInitialBackoffSeconds`).
    #[serde(with = "serde_duration")]
    pub pod_initial_backoff: Duration,
    /// Longest back-off (`podMaxBackoffSeconds`).
    #[serde(with = "serde_duration")]
    pub pod_max_backoff: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            scheduler_name: DEFAULT_SCHEDULER_NAME.to_string(),
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff: Duration::from_secs(1),
            pod_max_backoff: Duration::from_secs(10),
        }
    }
}

impl SchedulerConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.percentage_of_nodes_to_score > 100 {
            return Err(ConfigError::new("percentageOfNodesToScore", "must be between 0 and 100"));
        }
        if self.pod_initial_backoff > self.pod_max_backoff {
            return Err(ConfigError::new("podInitialBackoff", "must not exceed podMaxBackoff"));
        }
        Ok(())
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self.pod_initial_backoff.saturating_mul(1u32 << attempts.saturating_sub(1).min(30));
        doubled.min(self.pod_max_backoff)
    }
}

/// A snapshot of the scheduler's counters.
#[derive(Clone, Debug)]
pub struct SchedulerMetrics {
    /// Pods bound.
    pub scheduled: u64,
    /// Cycles that found no node.
    pub unschedulable_attempts: u64,
    /// Binds refused with Conflict.
    pub bind_conflicts: u64,
    /// Nodes run through the filters (over all cycles).
    pub nodes_examined: u64,
    /// PodScheduled=False status writes.
    pub status_writes: u64,
    /// Cluster time from pod creation to bind, in nanoseconds.
    pub scheduling_latency: Histogram<u64>,
}

#[derive(Default)]
struct Counters {
    scheduled: AtomicU64,
    unschedulable: AtomicU64,
    conflicts: AtomicU64,
    examined: AtomicU64,
    status_writes: AtomicU64,
}

/// A pod counted on a node.
#[derive(Clone, Copy, Debug)]
struct Placed {
    slot: u32,
    request: PodRequest,
    /// Bound by us, not yet seen bound by the informer.
    assumed: bool,
}

/// An unbound pod that failed at least once.
#[derive(Debug, Default)]
struct Attempts {
    count: u32,
    last: Time,
    /// The Unschedulable message last written to its status.
    message: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    nodes: NodeIndex,
    placed: HashMap<ItemId, Placed, FixedState>,
    pending: HashMap<ItemId, Attempts, FixedState>,
    /// Pods waiting for a cluster change, retried in id order.
    parked: BTreeSet<ItemId>,
    /// Feasible (slot, least-allocated, PreferNoSchedule count) of the current cycle, reused.
    scratch: Vec<(u32, i64, i64)>,
}

enum Decision {
    Bind { node: Arc<str>, slot: u32, request: PodRequest },
    Unschedulable { message: String, write: bool },
}

/// The scheduler component. See the module doc.
pub struct Scheduler {
    config: SchedulerConfig,
    client: Client,
    clock: Arc<dyn Clock>,
    pods: Arc<SharedInformer<Pod>>,
    keys: KeyInterner,
    queue: WorkQueue,
    state: Mutex<State>,
    counters: Counters,
    latency: Mutex<Histogram<u64>>,
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler").field("config", &self.config).field("queue", &self.queue).finish_non_exhaustive()
    }
}

impl Scheduler {
    /// Builds the scheduler and subscribes it to the factory's Pod and Node informers.
    pub fn new(
        factory: &SharedInformerFactory,
        client: Client,
        clock: Arc<dyn Clock>,
        config: SchedulerConfig,
    ) -> Arc<Scheduler> {
        let queue = WorkQueue::new("scheduler", Arc::clone(&clock), Options::default());
        let pods = factory.informer::<Pod>();
        let nodes = factory.informer::<Node>();
        let s = Arc::new(Scheduler {
            config,
            client,
            clock,
            pods: Arc::clone(&pods),
            keys: KeyInterner::new(),
            queue,
            state: Mutex::new(State::default()),
            counters: Counters::default(),
            latency: Mutex::new(histogram()),
        });
        let (w1, w2, w3) = (Arc::downgrade(&s), Arc::downgrade(&s), Arc::downgrade(&s));
        pods.add_event_handler(Arc::new(
            FnHandler::new()
                .on_add(move |p: &Arc<Pod>| with(&w1, |s| s.on_pod(None, p, false)))
                .on_update(move |o: &Arc<Pod>, p: &Arc<Pod>| with(&w2, |s| s.on_pod(Some(o), p, false)))
                .on_delete(move |p: &Arc<Pod>| with(&w3, |s| s.on_pod(None, p, true))),
        ));
        let (w1, w2, w3) = (Arc::downgrade(&s), Arc::downgrade(&s), Arc::downgrade(&s));
        nodes.add_event_handler(Arc::new(
            FnHandler::new()
                .on_add(move |n: &Arc<Node>| with(&w1, |s| s.on_node(n, false)))
                .on_update(move |_: &Arc<Node>, n: &Arc<Node>| with(&w2, |s| s.on_node(n, false)))
                .on_delete(move |n: &Arc<Node>| with(&w3, |s| s.on_node(n, true))),
        ));
        s
    }

    /// The scheduling queue (for its metrics).
    pub fn queue(&self) -> &WorkQueue {
        &self.queue
    }

    pub fn metrics(&self) -> SchedulerMetrics {
        let c = &self.counters;
        SchedulerMetrics {
            scheduled: c.scheduled.load(Ordering::Relaxed),
            unschedulable_attempts: c.unschedulable.load(Ordering::Relaxed),
            bind_conflicts: c.conflicts.load(Ordering::Relaxed),
            nodes_examined: c.examined.load(Ordering::Relaxed),
            status_writes: c.status_writes.load(Ordering::Relaxed),
            scheduling_latency: self.latency.lock().clone(),
        }
    }

    /// Unbound pods waiting for a cluster change.
    pub fn parked(&self) -> usize {
        self.state.lock().parked.len()
    }

    fn wants(&self, pod: &Pod) -> bool {
        let name = pod.spec.scheduler_name.as_str();
        pod.spec.node_name.is_empty()
            && pod.metadata.deletion_timestamp.is_none()
            && !pod.is_terminal()
            && (name == self.config.scheduler_name
                || (name.is_empty() && self.config.scheduler_name == DEFAULT_SCHEDULER_NAME))
    }

    fn on_pod(&self, old: Option<&Pod>, pod: &Pod, deleted: bool) {
        let id = self.keys.intern(&pod.metadata.key());
        let wants = !deleted && self.wants(pod);
        let bound = !deleted && !pod.spec.node_name.is_empty() && !pod.is_terminal();
        let (mut enqueue, mut freed) = (false, false);
        {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            match st.placed.get(&id).copied() {
                Some(p) if bound => {
                    if *st.nodes.slots[p.slot as usize].name != *pod.spec.node_name {
                        st.nodes.sub_usage(p.slot, &p.request);
                        let slot = st.nodes.add_usage(&pod.spec.node_name, &p.request);
                        st.placed.insert(id, Placed { slot, ..p });
                    }
                    st.placed.get_mut(&id).expect("just seen").assumed = false;
                }
                // A stale event of a pod we just bound: keep the assumption.
                Some(p) if p.assumed && wants => {}
                Some(p) => {
                    st.nodes.sub_usage(p.slot, &p.request);
                    st.placed.remove(&id);
                    freed = !p.assumed || deleted;
                }
                None if bound => {
                    let request = PodRequest::of(&pod.spec);
                    let slot = st.nodes.add_usage(&pod.spec.node_name, &request);
                    st.placed.insert(id, Placed { slot, request, assumed: false });
                }
                None => {}
            }
            if wants {
                enqueue = match old {
                    None => true,
                    Some(o) => {
                        !st.pending.contains_key(&id) || o.spec != pod.spec || o.metadata.labels != pod.metadata.labels
                    }
                };
            } else {
                st.pending.remove(&id);
                st.parked.remove(&id);
            }
        }
        if enqueue {
            self.queue.add(id);
        }
        if freed {
            self.requeue_parked();
        }
    }

    fn on_node(&self, node: &Arc<Node>, deleted: bool) {
        let retry = {
            let mut st = self.state.lock();
            if deleted {
                st.nodes.remove(&node.metadata.name);
                false
            } else {
                st.nodes.upsert(Arc::clone(node))
            }
        };
        if retry {
            self.requeue_parked();
        }
    }

    /// Moves every parked pod back to the queue, each after what is left of its back-off.
    fn requeue_parked(&self) {
        let now = self.clock.now();
        let ready: Vec<(ItemId, Duration)> = {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            let parked = std::mem::take(&mut st.parked);
            parked
                .into_iter()
                .map(|id| {
                    let wait = st.pending.get(&id).map_or(Duration::ZERO, |a| {
                        let until = crate::clock::add_duration(a.last, self.config.backoff(a.count));
                        duration_between(now, until)
                    });
                    (id, wait)
                })
                .collect()
        };
        for (id, wait) in ready {
            self.queue.add_after(id, wait);
        }
    }

    /// One scheduling cycle for the pod `id`.
    fn schedule(&self, id: ItemId) {
        let Some(key) = self.keys.key(id) else { return };
        let Some(pod) = self.pods.cache().get(&key) else { return };
        if !self.wants(&pod) {
            return;
        }
        let now = self.clock.now();
        let decision = {
            let mut st = self.state.lock();
            if st.placed.get(&id).is_some_and(|p| p.assumed) {
                return; // bound already; the informer has not caught up
            }
            self.decide(&mut st, id, &pod, now)
        };
        match decision {
            Decision::Bind { node, slot, request } => self.bind(id, &pod, &node, slot, request, now),
            Decision::Unschedulable { message, write } => {
                self.counters.unschedulable.fetch_add(1, Ordering::Relaxed);
                if write && !self.write_unschedulable(&pod, &message, now) {
                    if let Some(a) = self.state.lock().pending.get_mut(&id) {
                        a.message = None;
                    }
                }
            }
        }
    }

    /// Filters and scores under the state lock; on success the pod is assumed on the chosen node.
    fn decide(&self, st: &mut State, id: ItemId, pod: &Pod, now: Time) -> Decision {
        let fit = PodFit::new(pod);
        let total = st.nodes.live();
        let mut diagnosis = Diagnosis::new();
        let mut best: Option<(i64, u32)> = None;
        if let Some(name) = fit.pinned {
            self.counters.examined.fetch_add(1, Ordering::Relaxed);
            let slot = st.nodes.get(name).filter(|&i| st.nodes.slots[i as usize].fit.is_some());
            match slot {
                Some(i) => {
                    let s = &st.nodes.slots[i as usize];
                    match fit.filter(s.fit.as_ref().expect("filtered above"), &s.used) {
                        None => best = Some((0, i)),
                        Some(f) => f.reasons().for_each(|r| *diagnosis.entry(r).or_default() += 1),
                    }
                    if total > 1 {
                        *diagnosis.entry(Reason::NodeAffinity).or_default() += total - 1;
                    }
                }
                None if total > 0 => {
                    diagnosis.insert(Reason::NodeAffinity, total);
                }
                None => {}
            }
        } else {
            let to_find = num_feasible_nodes_to_find(total, self.config.percentage_of_nodes_to_score);
            let n = st.nodes.slots.len();
            let start = if n == 0 { 0 } else { st.nodes.next_start % n };
            let mut feasible = std::mem::take(&mut st.scratch);
            feasible.clear();
            let mut processed = n;
            let mut examined = 0u64;
            for (k, i) in (start..n).chain(0..start).enumerate() {
                if feasible.len() >= to_find {
                    processed = k;
                    break;
                }
                let s = &st.nodes.slots[i];
                let Some(nf) = &s.fit else { continue };
                examined += 1;
                match fit.filter(nf, &s.used) {
                    None => feasible.push((
                        i as u32,
                        fit.least_allocated(nf, &s.used),
                        fit.intolerable_prefer_no_schedule(nf),
                    )),
                    Some(f) => f.reasons().for_each(|r| *diagnosis.entry(r).or_default() += 1),
                }
            }
            self.counters.examined.fetch_add(examined, Ordering::Relaxed);
            if n > 0 {
                st.nodes.next_start = (start + processed) % n;
            }
            let max_prefer = feasible.iter().map(|f| f.2).max().unwrap_or(0);
            for &(i, la, prefer) in &feasible {
                let score = total_score(la, prefer, max_prefer);
                let better = match best {
                    None => true,
                    Some((b, j)) => score > b || (score == b && st.nodes.name_lt(i, j)),
                };
                if better {
                    best = Some((score, i));
                }
            }
            st.scratch = feasible;
        }
        match best {
            Some((_, slot)) => {
                let request = fit.request;
                let node = Arc::clone(&st.nodes.slots[slot as usize].name);
                st.nodes.slots[slot as usize].used.add(&request);
                st.placed.insert(id, Placed { slot, request, assumed: true });
                Decision::Bind { node, slot, request }
            }
            None => {
                let message = fit_error_message(total, &diagnosis);
                drop(diagnosis);
                let a = st.pending.entry(id).or_default();
                a.count += 1;
                a.last = now;
                let shown = find_condition(&pod.status.conditions, "PodScheduled").is_some_and(|c| {
                    c.status == ConditionStatus::False && c.reason == "Unschedulable" && c.message == message
                });
                let write = a.message.as_deref() != Some(&message) && !shown;
                a.message = Some(message.clone());
                st.parked.insert(id);
                Decision::Unschedulable { message, write }
            }
        }
    }

    fn bind(&self, id: ItemId, pod: &Arc<Pod>, node: &str, slot: u32, request: PodRequest, now: Time) {
        let attempt = |p: &Pod| {
            let mut b = p.clone();
            b.spec.node_name = node.to_string();
            self.client.update(b)
        };
        let mut result = attempt(pod);
        if result.as_ref().is_err_and(|e| e.is_conflict()) {
            self.counters.conflicts.fetch_add(1, Ordering::Relaxed);
            result = match self.client.get::<Pod>(&pod.metadata.namespace, &pod.metadata.name) {
                Ok(fresh) if self.wants(&fresh) && fresh.metadata.uid == pod.metadata.uid => {
                    let r = attempt(&fresh);
                    if r.as_ref().is_err_and(|e| e.is_conflict()) {
                        self.counters.conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                    r
                }
                Ok(fresh) => Ok(fresh), // bound, deleted or replaced meanwhile: nothing to do
                Err(e) => Err(e),
            };
        }
        match result {
            Ok(stored) if stored.spec.node_name == node => {
                self.counters.scheduled.fetch_add(1, Ordering::Relaxed);
                if let Some(created) = pod.metadata.creation_timestamp {
                    let ns = duration_between(created, now).as_nanos();
                    let _ = self.latency.lock().record(u64::try_from(ns).unwrap_or(u64::MAX));
                }
                self.queue.forget(id);
                let mut st = self.state.lock();
                st.pending.remove(&id);
                st.parked.remove(&id);
            }
            other => {
                {
                    let mut st = self.state.lock();
                    if st.placed.get(&id).is_some_and(|p| p.assumed && p.slot == slot) {
                        st.placed.remove(&id);
                        st.nodes.sub_usage(slot, &request);
                    }
                }
                if other.is_err_and(|e| !e.is_not_found()) {
                    self.queue.add_rate_limited(id);
                }
            }
        }
    }

    /// Writes PodScheduled=False/Unschedulable; re-reads and retries once on Conflict.
    fn write_unschedulable(&self, pod: &Pod, message: &str, now: Time) -> bool {
        let write = |p: &Pod| {
            let mut p = p.clone();
            let cond = Condition::new("PodScheduled", ConditionStatus::False, "Unschedulable", message, now);
            match p.status.conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
                Some(c) => *c = cond,
                None => p.status.conditions.push(cond),
            }
            p.status.phase.get_or_insert_default();
            self.counters.status_writes.fetch_add(1, Ordering::Relaxed);
            self.client.update_status(p)
        };
        match write(pod) {
            Ok(_) => true,
            Err(e) if e.is_conflict() => match self.client.get::<Pod>(&pod.metadata.namespace, &pod.metadata.name) {
                Ok(fresh) if self.wants(&fresh) => write(&fresh).is_ok(),
                _ => false,
            },
            Err(_) => false,
        }
    }
}

fn with(w: &Weak<Scheduler>, f: impl FnOnce(&Scheduler)) {
    if let Some(s) = w.upgrade() {
        f(&s);
    }
}

impl Component for Scheduler {
    fn name(&self) -> &str {
        "scheduler"
    }

    fn run_ready(&self, budget: usize) -> usize {
        self.queue.process_ready(budget, |id| self.schedule(id))
    }

    fn has_ready_work(&self) -> bool {
        !self.queue.is_empty()
    }

    fn set_waker(&self, waker: Waker) {
        self.queue.set_notify(Box::new(move || waker.wake()));
    }
}
