//! The DaemonSet controller (SEMANTICS §6): one daemon pod on every eligible node, rolled out by RollingUpdate or OnDelete.
//!
//! One sync, top to bottom (`syncDaemonSet`):
//! 1. the DS from the cache (gone → drop its expectations); an empty selector
//!    → a `SelectingAll` warning and nothing else; being deleted → nothing;
//! 2. history (§9.c): the current revision's hash, the old revisions;
//! 3. the DS's pods (owner index + adopted orphans of its namespace), grouped
//!    by target node; every node's verdict from an [`util::Eligibility`]
//!    compiled once per DS generation;
//! 4. expectations unsatisfied → status only (observedGeneration kept);
//! 5. manage ([`util::pods_should_be_on_node`] per node, ≤ 250 creates and
//!    ≤ 250 deletes, slow-start creates pinned to their node through required
//!    node affinity — the scheduler binds them); then, if nothing is in
//!    flight and the strategy is RollingUpdate, one [`util::rolling_update`]
//!    step; then history cleanup;
//! 6. status last, written only when changed (one retry); requeue after
//!    minReadySeconds while ready ≠ available, or after a failed-pod back-off.
//!
//! Event handlers: a node add enqueues the DaemonSets that should run there
//! (O(#DaemonSets)); a node update only when its name, labels or taints
//! changed and some verdict moved; pod events enqueue their controller
//! (orphans: the DaemonSets selecting them). Decisions never depend on hash
//! order: nodes are visited in name order.

mod history;
mod memo;
pub mod util;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use foldhash::fast::FixedState;
use parking_lot::{Mutex, RwLock};

use super::claim::{recheck_deletion_timestamp, ControllerRefManager};
use super::client::{update_status_with_retries, ApiClient};
use super::controller::Enqueuer;
use super::expectations::ControllerExpectations;
use super::pod_control::SLOW_START_INITIAL_BATCH_SIZE;
use super::pod_control::{check_labels, controller_ref, pod_from_template, pod_key, slow_start_batch};
use super::replicaset::ORPHAN_POD_INDEX;
use super::{Action, Ctx, ReconcileError, Reconciler, Result};
use crate::api::apps::ControllerRevision;
use crate::api::node_affinity::replace_daemon_set_pod_node_name_node_affinity;
use crate::api::pod::Pod;
use crate::api::selector::{label_selector_as_selector, Selector};
use crate::api::{DaemonSet, Kind, Node, OwnerReference, Time};
use crate::clock::Clock;
use crate::informer::key::split_key;
use crate::informer::{Cache, EventHandler, SharedInformerFactory};
use crate::store::{Client, DeleteOptions};
use crate::workqueue::ItemId;
use memo::{Memos, NodeShare, Summary};
use util::{
    allows_surge, counts_for_sync, daemon_pod_template, has_outdated_pod, is_rolling_update, pods_should_be_on_node,
    rolling_update, surge_and_unavailable, target_node_name, template_generation, Eligibility, FailedPodsBackoff,
    NodePods, Rollout, StatusCounts, Verdict, BURST_REPLICAS, SELECTING_ALL, STATUS_UPDATE_RETRIES,
};

/// An event the controller emitted (kwarp keeps the last [`MAX_EVENTS`] in memory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonSetEvent {
    /// `namespace/name` of the DaemonSet.
    pub daemon_set: String,
    /// `Normal` or `Warning`.
    pub type_: &'static str,
    pub reason: &'static str,
    pub message: String,
}

/// How many events are kept.
pub const MAX_EVENTS: usize = 1024;

/// The caches a DaemonSet controller reads.
struct Caches {
    daemon_sets: Arc<Cache<DaemonSet>>,
    pods: Arc<Cache<Pod>>,
    nodes: Arc<Cache<Node>>,
    revisions: Arc<Cache<ControllerRevision>>,
}

/// What a DS's template implies, computed once per (uid, generation).
#[derive(Debug)]
struct Compiled {
    generation: i64,
    eligibility: Eligibility,
    /// The data of the revision matching the template (`getPatch`).
    patch: Arc<serde_json::Value>,
    /// The pod daemon pods are cloned from, for the hash it was built with.
    proto: Mutex<Option<Proto>>,
}

/// A daemon pod prototype and the (hash, template generation) it carries.
type Proto = (String, Option<i64>, Arc<Pod>);

impl Compiled {
    /// The pod to create (template + daemon tolerations + hash and generation labels,
    /// owner reference), built once per (generation, hash); each create only pins it to a node.
    fn proto(&self, ds: &DaemonSet, hash: &str) -> Arc<Pod> {
        let mut slot = self.proto.lock();
        let generation = template_generation(ds);
        if let Some((h, g, pod)) = slot.as_ref() {
            if h == hash && *g == generation {
                return Arc::clone(pod);
            }
        }
        let template = daemon_pod_template(&ds.spec.template, generation, hash);
        let owner_ref = controller_ref(&ds.metadata, Kind::DaemonSet);
        let pod = Arc::new(pod_from_template(&template, &ds.metadata, Some(owner_ref)));
        *slot = Some((hash.to_string(), generation, Arc::clone(&pod)));
        pod
    }
}

/// The DaemonSet [`Reconciler`], generic over its client (`store::Client`, or a `FakeClient` in tests).
pub struct DaemonSetController<C = Client> {
    client: C,
    clock: Arc<dyn Clock>,
    caches: OnceLock<Caches>,
    /// Keyed by the DS key's queue id; deletions tracked by pod key.
    expectations: ControllerExpectations<ItemId>,
    backoff: FailedPodsBackoff,
    /// When the back-off entries were last garbage-collected (`BackoffGCInterval`: every minute).
    last_backoff_gc: Mutex<Time>,
    /// By DS uid.
    compiled: Mutex<HashMap<String, Arc<Compiled>>>,
    events: Mutex<Vec<DaemonSetEvent>>,
    burst_replicas: usize,
    /// Per-DS summaries and the nodes marked since (incremental syncs).
    memos: Memos,
    /// Full and marked-nodes-only syncs so far.
    full_syncs: AtomicU64,
    marked_syncs: AtomicU64,
    /// Every node by name, kept by the node handlers (a full sync visits them in order without sorting).
    node_index: RwLock<BTreeMap<String, Arc<Node>>>,
}

impl<C> fmt::Debug for DaemonSetController<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaemonSetController")
            .field("registered", &self.caches.get().is_some())
            .field("expectations", &self.expectations)
            .field("burst_replicas", &self.burst_replicas)
            .finish_non_exhaustive()
    }
}

/// The DS's pods of one sync, by target node (names borrowed from the pods).
type PodsByNode<'a> = HashMap<&'a str, Vec<Arc<Pod>>, FixedState>;

/// Groups claimed pods by target node (`getNodesToDaemonPods`); terminal pods being deleted are left out.
fn group_by_node(claimed: &[Arc<Pod>]) -> PodsByNode<'_> {
    let mut by_node = PodsByNode::with_capacity_and_hasher(claimed.len(), FixedState::default());
    for pod in claimed.iter().filter(|p| counts_for_sync(p)) {
        if let Some(node) = target_node_name(pod) {
            by_node.entry(node).or_default().push(Arc::clone(pod));
        }
    }
    by_node
}

/// The targets in `by_node` that are not among `nodes` (name-sorted), in name order;
/// `found` = how many targets the caller already matched to a node.
fn extra_targets<'m>(by_node: &'m PodsByNode<'_>, nodes: &[Arc<Node>], found: usize) -> Vec<&'m str> {
    if found == by_node.len() {
        return Vec::new();
    }
    let mut extra: Vec<&str> = by_node
        .keys()
        .copied()
        .filter(|t| nodes.binary_search_by(|n| n.metadata.name.as_str().cmp(t)).is_err())
        .collect();
    extra.sort_unstable();
    extra
}

/// Pod index the controller registers: `<DS uid>/<target node>` of every pod a DaemonSet controls.
pub const DAEMON_POD_INDEX: &str = "kwarp.io/daemon-pods-by-owner-node";

/// What the per-node plans of one sync add up to.
#[derive(Debug, Default)]
struct Plans {
    creates: Vec<String>,
    deletes: Vec<Arc<Pod>>,
    requeue: Option<Duration>,
    /// Nodes whose failed pod was kept for its back-off: revisit them on the requeue.
    backed_off: Vec<String>,
}

impl<C: ApiClient> DaemonSetController<C> {
    /// A controller writing through `client`; it reads the DaemonSet, Pod, Node and
    /// ControllerRevision caches of the informers it is registered with.
    pub fn new(client: C, clock: Arc<dyn Clock>) -> Self {
        DaemonSetController {
            client,
            expectations: ControllerExpectations::new(Arc::clone(&clock)),
            clock,
            caches: OnceLock::new(),
            backoff: FailedPodsBackoff::default(),
            last_backoff_gc: Mutex::new(Time::default()),
            compiled: Mutex::new(HashMap::new()),
            events: Mutex::new(Vec::new()),
            burst_replicas: BURST_REPLICAS,
            memos: Memos::default(),
            full_syncs: AtomicU64::new(0),
            marked_syncs: AtomicU64::new(0),
            node_index: RwLock::new(BTreeMap::new()),
        }
    }

    /// Caps creations and deletions per sync (default [`BURST_REPLICAS`]).
    pub fn with_burst_replicas(mut self, burst: usize) -> Self {
        self.burst_replicas = burst;
        self
    }

    fn caches(&self) -> &Caches {
        self.caches.get().expect("a DaemonSetController reads caches only once registered")
    }

    /// Expectations by DS queue id.
    pub fn expectations(&self) -> &ControllerExpectations<ItemId> {
        &self.expectations
    }

    /// The failed-pod back-off.
    pub fn backoff(&self) -> &FailedPodsBackoff {
        &self.backoff
    }

    pub fn client(&self) -> &C {
        &self.client
    }

    /// The events emitted so far (the last [`MAX_EVENTS`]), oldest first.
    pub fn events(&self) -> Vec<DaemonSetEvent> {
        self.events.lock().clone()
    }

    fn event(&self, ds: &DaemonSet, type_: &'static str, reason: &'static str, message: String) {
        let mut events = self.events.lock();
        if events.len() >= MAX_EVENTS {
            events.remove(0);
        }
        events.push(DaemonSetEvent { daemon_set: ds.metadata.key(), type_, reason, message });
    }

    /// The DS's eligibility rules, compiled once per generation.
    fn compiled(&self, ds: &DaemonSet) -> Arc<Compiled> {
        let mut map = self.compiled.lock();
        match map.get(&ds.metadata.uid) {
            Some(c) if c.generation == ds.metadata.generation => Arc::clone(c),
            _ => {
                let c = Arc::new(Compiled {
                    generation: ds.metadata.generation,
                    eligibility: Eligibility::of(&ds.spec.template),
                    patch: Arc::new(history::patch(ds)),
                    proto: Mutex::new(None),
                });
                map.insert(ds.metadata.uid.clone(), Arc::clone(&c));
                c
            }
        }
    }

    /// How many syncs so far visited every node, and how many only the marked ones.
    pub fn sync_counts(&self) -> (u64, u64) {
        (self.full_syncs.load(Ordering::Relaxed), self.marked_syncs.load(Ordering::Relaxed))
    }

    /// Every node, in name order.
    fn nodes(&self) -> Vec<Arc<Node>> {
        self.node_index.read().values().cloned().collect()
    }

    /// Makes the next sync of the DS with queue id `id` visit every node (`full`) or
    /// the node `node`, as after an event. For benches.
    #[doc(hidden)]
    pub fn invalidate(&self, id: ItemId, full: bool, node: &str) {
        if full {
            self.memos.mark_full(id);
        } else {
            self.memos.mark(id, node);
        }
    }

    /// The pods this DS claims (`getDaemonPods`): those it controls and selects, plus adopted orphans.
    fn claim_pods(&self, ds: &DaemonSet, selector: &Selector) -> Result<Vec<Arc<Pod>>> {
        let pods = &self.caches().pods;
        let m = &ds.metadata;
        let owned = pods.by_owner(&m.uid);
        let mut claimed: Vec<Arc<Pod>> = Vec::with_capacity(owned.len());
        let mut writes: Vec<Arc<Pod>> = Vec::new();
        for pod in owned {
            if selector.matches(&pod.metadata.labels) || m.deletion_timestamp.is_some() {
                claimed.push(pod);
            } else {
                writes.push(pod); // to release
            }
        }
        let orphans = match pods.try_by_index(ORPHAN_POD_INDEX, &m.namespace) {
            Ok(o) => o,
            Err(_) => pods.by_namespace(&m.namespace),
        };
        writes.extend(orphans.into_iter().filter(|p| p.metadata.controller_ref().is_none()));
        if !writes.is_empty() {
            let recheck = || recheck_deletion_timestamp::<DaemonSet>(&self.client, m);
            let mut manager = ControllerRefManager::new(&self.client, m, Kind::DaemonSet, recheck);
            let (adopted, errors) = manager.claim(writes, |p: &Pod| selector.matches(&p.metadata.labels));
            if let Some(e) = ReconcileError::aggregate(errors) {
                return Err(e);
            }
            claimed.extend(adopted);
        }
        Ok(claimed)
    }

    /// Steps 2–6 of a sync: full, or over the marked nodes only (see [`memo`]).
    fn sync(&self, ds: &Arc<DaemonSet>, key: &str, id: ItemId) -> Result<Action> {
        let Ok(selector) = label_selector_as_selector(ds.spec.selector.as_ref()) else {
            return Ok(Action::Done); // apps/v1 selectors are immutable: retrying cannot help
        };
        let marks = self.memos.take_marks(id);
        let (hash, old_revisions) = match history::construct(self, ds, key) {
            Ok(h) => h,
            Err(e) => {
                self.memos.mark_full(id); // the marks taken above must not be lost
                return Err(e);
            }
        };
        let needs_sync = self.expectations.satisfied(&id);
        let generation = template_generation(ds);
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        let limit = usize::try_from(ds.spec.revision_history_limit.unwrap_or(10).max(0)).unwrap_or(0);
        let m = &ds.metadata;
        let summary = self.memos.take_summary(id).filter(|s| {
            !marks.full
                && s.uid == m.uid
                && s.generation == m.generation
                && s.hash == hash
                && s.template_generation == generation
                && s.outdated == 0
                && min_ready == 0
                && old_revisions.len() <= limit
        });
        let counter = if summary.is_some() { &self.marked_syncs } else { &self.full_syncs };
        counter.fetch_add(1, Ordering::Relaxed);
        match summary {
            Some(summary) => self.sync_marked(ds, summary, marks.nodes, needs_sync, &hash, key, id),
            None => self.sync_full(ds, &selector, &hash, &old_revisions, needs_sync, key, id),
        }
    }

    /// A sync over every node (`syncDaemonSet`); rebuilds the DS's summary.
    #[allow(clippy::too_many_arguments)]
    fn sync_full(
        &self,
        ds: &Arc<DaemonSet>,
        selector: &Selector,
        hash: &str,
        old_revisions: &[Arc<ControllerRevision>],
        needs_sync: bool,
        key: &str,
        id: ItemId,
    ) -> Result<Action> {
        let claimed = self.claim_pods(ds, selector)?;
        let by_node = group_by_node(&claimed);
        let nodes = self.nodes();
        let compiled = self.compiled(ds);
        let verdicts: Vec<Verdict> = nodes.iter().map(|n| compiled.eligibility.verdict(n)).collect();
        let now = self.clock.now();
        let mut plans = Plans::default();
        let mut result = Ok(());
        if needs_sync {
            result = self.manage(ds, &nodes, &verdicts, &by_node, hash, key, id, &mut plans);
            if result.is_ok() && self.expectations.satisfied(&id) && is_rolling_update(ds) {
                result = self.rolling_update(ds, &nodes, &verdicts, &by_node, hash, key, id, now);
            }
            if result.is_ok() {
                result = history::cleanup(self, ds, old_revisions, &by_node, key);
            }
        } else {
            self.memos.mark_full(id); // nothing was acted on: look at everything again
        }
        let generation = template_generation(ds);
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        let m = &ds.metadata;
        let mut summary = Summary::new(&m.uid, m.generation, hash, generation);
        for (node, verdict) in nodes.iter().zip(&verdicts) {
            let pods = by_node.get(node.metadata.name.as_str()).map_or(&[][..], Vec::as_slice);
            let mut counts = StatusCounts::default();
            counts.add_node(verdict.should_run, pods, hash, generation, min_ready, now);
            let outdated = has_outdated_pod(pods, hash, generation);
            summary.set(&node.metadata.name, Some(NodeShare { counts, outdated }));
        }
        self.finish(ds, summary, plans, needs_sync, result, key, id)
    }

    /// A sync over the nodes marked since the last one (the summary fits the DS, see [`memo`]).
    #[allow(clippy::too_many_arguments)]
    fn sync_marked(
        &self,
        ds: &Arc<DaemonSet>,
        mut summary: Summary,
        marked: BTreeSet<String>,
        needs_sync: bool,
        hash: &str,
        key: &str,
        id: ItemId,
    ) -> Result<Action> {
        let compiled = self.compiled(ds);
        let generation = template_generation(ds);
        let surge = allows_surge(ds);
        let now = self.clock.now();
        let mut plans = Plans::default();
        for name in &marked {
            let pods: Vec<Arc<Pod>> =
                self.pods_on_node(&ds.metadata.uid, name).into_iter().filter(|p| counts_for_sync(p)).collect();
            let Some(node) = self.caches().nodes.get_ns_name("", name) else {
                summary.set(name, None);
                if needs_sync {
                    let unscheduled =
                        |p: &&Arc<Pod>| p.spec.node_name.is_empty() && p.metadata.deletion_timestamp.is_none();
                    plans.deletes.extend(pods.iter().filter(unscheduled).cloned());
                }
                continue;
            };
            let verdict = compiled.eligibility.verdict(&node);
            let mut counts = StatusCounts::default();
            counts.add_node(verdict.should_run, &pods, hash, generation, 0, now);
            let outdated = has_outdated_pod(&pods, hash, generation);
            summary.set(name, Some(NodeShare { counts, outdated }));
            if needs_sync && (verdict.should_run || !pods.is_empty()) {
                self.plan_node(ds, name, verdict, &pods, surge, hash, now, &mut plans);
            }
        }
        let result = if needs_sync {
            self.sync_nodes(ds, &plans.creates, &plans.deletes, hash, key, id)
        } else {
            for name in &marked {
                self.memos.mark(id, name); // nothing was acted on: look again next time
            }
            Ok(())
        };
        self.finish(ds, summary, plans, needs_sync, result, key, id)
    }

    /// Status last (from the summary), then the requeue; keeps the summary and re-marks backed-off nodes.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        ds: &Arc<DaemonSet>,
        summary: Summary,
        plans: Plans,
        needs_sync: bool,
        result: Result<()>,
        key: &str,
        id: ItemId,
    ) -> Result<Action> {
        let counts = summary.totals;
        self.memos.put_summary(id, summary);
        if result.is_err() {
            // Some planned creations or deletions may not have happened: no node may be skipped next time.
            self.memos.mark_full(id);
        } else {
            // Beyond the burst: those nodes wait for the next sync.
            for node in plans.creates.iter().skip(self.burst_replicas) {
                self.memos.mark(id, node);
            }
            for pod in plans.deletes.iter().skip(self.burst_replicas) {
                match target_node_name(pod) {
                    Some(node) => self.memos.mark(id, node),
                    None => self.memos.mark_full(id),
                }
            }
        }
        for node in &plans.backed_off {
            self.memos.mark(id, node);
        }
        let status = self.update_status(ds, &counts, needs_sync.then_some(ds.metadata.generation), key);
        result?;
        status?;
        let mut requeue = plans.requeue;
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        if min_ready > 0 && counts.number_ready != counts.number_available {
            let d = Duration::from_secs(u64::try_from(min_ready).unwrap_or(0));
            requeue = Some(requeue.map_or(d, |r| r.min(d)));
        }
        Ok(requeue.map_or(Action::Done, Action::RequeueAfter))
    }

    /// The DS's pods targeting `node` (from the daemon-pod index).
    fn pods_on_node(&self, uid: &str, node: &str) -> Vec<Arc<Pod>> {
        let pods = &self.caches().pods;
        match pods.try_by_index(DAEMON_POD_INDEX, &format!("{uid}/{node}")) {
            Ok(p) => p,
            Err(_) => pods.by_owner(uid).into_iter().filter(|p| target_node_name(p) == Some(node)).collect(),
        }
    }

    /// One node's plan (`podsShouldBeOnNode`), added to `plans`; emits its events.
    #[allow(clippy::too_many_arguments)]
    fn plan_node(
        &self,
        ds: &DaemonSet,
        name: &str,
        verdict: Verdict,
        pods: &[Arc<Pod>],
        surge: bool,
        hash: &str,
        now: Time,
        plans: &mut Plans,
    ) {
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        let backoff_key = || format!("{}/{}/{}", ds.metadata.uid, ds.status.observed_generation, name);
        let plan = pods_should_be_on_node(verdict, pods, surge, hash, min_ready, now, || {
            let k = backoff_key();
            match self.backoff.remaining(&k, now) {
                Some(left) => Some(left),
                None => {
                    self.backoff.next(&k, now);
                    None
                }
            }
        });
        if plan.create {
            plans.creates.push(name.to_string());
        }
        for (reason, pod) in plan.events {
            let (type_, what) = if reason == util::FAILED_DAEMON_POD {
                ("Warning", "Found failed daemon pod")
            } else {
                ("Normal", "Found succeeded daemon pod")
            };
            let ns = &ds.metadata.namespace;
            self.event(ds, type_, reason, format!("{what} {ns}/{pod} on node {name}, will try to delete it"));
        }
        plans.deletes.extend(plan.delete);
        if let Some(d) = plan.requeue_after {
            plans.requeue = Some(plans.requeue.map_or(d, |r| r.min(d)));
            plans.backed_off.push(name.to_string());
        }
    }

    /// `manage`: per-node plans, plus unscheduled pods aimed at nodes that are gone.
    #[allow(clippy::too_many_arguments)]
    fn manage(
        &self,
        ds: &DaemonSet,
        nodes: &[Arc<Node>],
        verdicts: &[Verdict],
        by_node: &PodsByNode<'_>,
        hash: &str,
        key: &str,
        id: ItemId,
        plans: &mut Plans,
    ) -> Result<()> {
        let surge = allows_surge(ds);
        let now = self.clock.now();
        let mut found = 0;
        for (node, &verdict) in nodes.iter().zip(verdicts) {
            let name = node.metadata.name.as_str();
            let pods = match by_node.get(name) {
                Some(p) => {
                    found += 1;
                    p.as_slice()
                }
                None => &[],
            };
            if pods.is_empty() && !verdict.should_run {
                continue;
            }
            self.plan_node(ds, name, verdict, pods, surge, hash, now, plans);
        }
        // Unscheduled pods whose node is gone (`getUnscheduledPodsWithoutNode`).
        for target in extra_targets(by_node, nodes, found) {
            let unscheduled = |p: &&Arc<Pod>| p.spec.node_name.is_empty() && p.metadata.deletion_timestamp.is_none();
            plans.deletes.extend(by_node[target].iter().filter(unscheduled).cloned());
        }
        self.sync_nodes(ds, &plans.creates, &plans.deletes, hash, key, id)
    }

    /// One rolling-update step (`rollingUpdate`) over every node with pods or with shouldRun.
    #[allow(clippy::too_many_arguments)]
    fn rolling_update(
        &self,
        ds: &DaemonSet,
        nodes: &[Arc<Node>],
        verdicts: &[Verdict],
        by_node: &PodsByNode<'_>,
        hash: &str,
        key: &str,
        id: ItemId,
        now: Time,
    ) -> Result<()> {
        // Nodes in name order, then targets of pods whose node is gone.
        let mut view: Vec<NodePods<'_>> = Vec::new();
        let (mut desired, mut found) = (0, 0);
        for (node, verdict) in nodes.iter().zip(verdicts) {
            let name = node.metadata.name.as_str();
            let pods = match by_node.get(name) {
                Some(p) => {
                    found += 1;
                    p.as_slice()
                }
                None => &[],
            };
            desired += i32::from(verdict.should_run);
            if verdict.should_run || !pods.is_empty() {
                view.push(NodePods { name, should_run: verdict.should_run, pods });
            }
        }
        for target in extra_targets(by_node, nodes, found) {
            view.push(NodePods { name: target, should_run: false, pods: &by_node[target] });
        }
        let (max_surge, max_unavailable) = surge_and_unavailable(ds, desired);
        let rollout = Rollout {
            hash,
            generation: template_generation(ds),
            max_surge,
            max_unavailable,
            desired,
            min_ready_seconds: ds.spec.min_ready_seconds.unwrap_or(0),
            now,
        };
        let plan = rolling_update(&view, &rollout);
        self.sync_nodes(ds, &plan.create, &plan.delete, hash, key, id)
    }

    /// `syncNodes`: sets expectations, creates (slow start) and deletes, each capped at the burst.
    fn sync_nodes(
        &self,
        ds: &DaemonSet,
        creates: &[String],
        deletes: &[Arc<Pod>],
        hash: &str,
        key: &str,
        id: ItemId,
    ) -> Result<()> {
        let creates = &creates[..creates.len().min(self.burst_replicas)];
        let deletes = &deletes[..deletes.len().min(self.burst_replicas)];
        self.expectations.expect_deletions_of(id, deletes.iter().map(|p| pod_key(p)));
        self.expectations.raise(&id, i64::try_from(creates.len()).unwrap_or(i64::MAX), 0);
        let mut errors = Vec::new();
        if !creates.is_empty() {
            let proto = self.compiled(ds).proto(ds, hash);
            let mut next = creates.iter();
            let (created, err) = slow_start_batch(creates.len(), SLOW_START_INITIAL_BATCH_SIZE, || {
                check_labels(&proto).map_err(|m| ReconcileError::failed(key, m))?;
                let node = next.next().expect("one node per call");
                let mut pod = (*proto).clone();
                pod.spec.affinity =
                    Some(replace_daemon_set_pod_node_name_node_affinity(pod.spec.affinity.take(), node));
                self.client.create(pod).map(drop).map_err(|e| ReconcileError::api(key, e))
            });
            if created < creates.len() {
                // The informer will never see the skipped or failed creations.
                self.expectations.lower(&id, i64::try_from(creates.len() - created).unwrap_or(i64::MAX), 0);
            }
            errors.extend(err);
        }
        for pod in deletes {
            let m = &pod.metadata;
            if let Err(e) = self.client.delete::<Pod>(&m.namespace, &m.name, &DeleteOptions::default()) {
                self.expectations.deletion_observed_of(&id, &pod_key(pod));
                if !e.is_not_found() {
                    errors.push(ReconcileError::api(key, e));
                }
            }
        }
        ReconcileError::aggregate(errors).map_or(Ok(()), Err)
    }

    /// `storeDaemonSetStatus`: writes the counts unless the status already shows them;
    /// one retry after re-reading the DS.
    fn update_status(
        &self,
        ds: &Arc<DaemonSet>,
        counts: &StatusCounts,
        generation: Option<i64>,
        key: &str,
    ) -> Result<()> {
        if counts.shown_in(&ds.status, generation) {
            return Ok(());
        }
        update_status_with_retries(&self.client, ds, STATUS_UPDATE_RETRIES, key, |next| {
            counts.apply(&mut next.status, generation)
        })
        .map(drop)
    }

    /// The DS that `r` (a controller reference) names, if it is cached with that uid.
    fn resolve(&self, namespace: &str, r: &OwnerReference) -> Option<Arc<DaemonSet>> {
        if r.kind != Kind::DaemonSet.as_str() {
            return None;
        }
        self.caches().daemon_sets.get_ns_name(namespace, &r.name).filter(|ds| ds.metadata.uid == r.uid)
    }

    /// DaemonSets of the pod's namespace whose non-empty selector selects it, by name.
    fn selecting(&self, pod: &Pod) -> Vec<Arc<DaemonSet>> {
        let labels = &pod.metadata.labels;
        if labels.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<Arc<DaemonSet>> = self
            .caches()
            .daemon_sets
            .by_namespace(&pod.metadata.namespace)
            .into_iter()
            .filter(|ds| ds.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(labels)))
            .collect();
        out.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        out
    }

    /// Every cached DaemonSet with its compiled rules, by key.
    fn all_compiled(&self) -> Vec<(Arc<DaemonSet>, Arc<Compiled>)> {
        let mut all: Vec<_> = self
            .caches()
            .daemon_sets
            .list()
            .into_iter()
            .map(|ds| {
                let c = self.compiled(&ds);
                (ds, c)
            })
            .collect();
        all.sort_by(|a, b| {
            (&a.0.metadata.namespace, &a.0.metadata.name).cmp(&(&b.0.metadata.namespace, &b.0.metadata.name))
        });
        all
    }
}

impl<C: ApiClient> Reconciler for DaemonSetController<C> {
    fn name(&self) -> &'static str {
        "daemonset"
    }

    fn reconcile(&self, key: &str, ctx: &Ctx<'_>) -> Result<Action> {
        let (namespace, name) = split_key(key);
        let Some(ds) = self.caches().daemon_sets.get_ns_name(namespace, name) else {
            self.expectations.delete(&ctx.id);
            return Ok(Action::Done);
        };
        if ds.spec.selector.as_ref().is_some_and(|s| s.is_empty()) {
            let msg = "This daemon set is selecting all pods. A non-empty selector is required.".to_string();
            self.event(&ds, "Warning", SELECTING_ALL, msg);
            return Ok(Action::Done);
        }
        if ds.metadata.deletion_timestamp.is_some() {
            return Ok(Action::Done);
        }
        let now = self.clock.now();
        let due = {
            let mut last = self.last_backoff_gc.lock();
            let due = now.as_nanos().saturating_sub(last.as_nanos()) >= 60 * Time::NANOS_PER_SEC;
            if due {
                *last = now;
            }
            due
        };
        if due {
            self.backoff.gc(now);
        }
        self.sync(&ds, key, ctx.id)
    }

    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        let pods = informers.informer::<Pod>();
        // Already there (the ReplicaSet controller's) is fine; too late falls back to the namespace.
        let _ = pods.add_index(ORPHAN_POD_INDEX, |p: &Pod| match p.metadata.controller_ref() {
            None if !p.metadata.namespace.is_empty() => vec![p.metadata.namespace.clone()],
            _ => Vec::new(),
        });
        let _ = pods.add_index(DAEMON_POD_INDEX, |p: &Pod| match p.metadata.controller_ref() {
            Some(r) if r.kind == Kind::DaemonSet.as_str() => {
                target_node_name(p).map(|n| vec![format!("{}/{n}", r.uid)]).unwrap_or_default()
            }
            _ => Vec::new(),
        });
        let daemon_sets = informers.informer::<DaemonSet>();
        let nodes = informers.informer::<Node>();
        self.node_index.write().extend(nodes.cache().list().into_iter().map(|n| (n.metadata.name.clone(), n)));
        let revisions = informers.informer::<ControllerRevision>();
        super::history::register_orphan_index(&revisions);
        let caches = Caches {
            daemon_sets: Arc::clone(daemon_sets.cache()),
            pods: Arc::clone(pods.cache()),
            nodes: Arc::clone(nodes.cache()),
            revisions: Arc::clone(revisions.cache()),
        };
        assert!(self.caches.set(caches).is_ok(), "a DaemonSetController is registered once");
        let handlers = Arc::new(Handlers { dsc: Arc::clone(self), queue });
        daemon_sets.add_event_handler(handlers.clone());
        pods.add_event_handler(handlers.clone());
        nodes.add_event_handler(handlers.clone());
        revisions.add_event_handler(handlers);
    }
}

/// Maps DaemonSet, Pod, Node and ControllerRevision events to DS keys.
struct Handlers<C> {
    dsc: Arc<DaemonSetController<C>>,
    queue: Enqueuer,
}

impl<C: ApiClient> Handlers<C> {
    fn enqueue(&self, ds: &DaemonSet) -> ItemId {
        self.queue.add_ns_name(&ds.metadata.namespace, &ds.metadata.name)
    }

    fn id_of(&self, ds: &DaemonSet) -> ItemId {
        self.queue.intern_ns_name(&ds.metadata.namespace, &ds.metadata.name)
    }
}

impl<C: ApiClient> EventHandler<DaemonSet> for Handlers<C> {
    fn on_add(&self, ds: &Arc<DaemonSet>) {
        self.enqueue(ds);
    }

    fn on_update(&self, old: &Arc<DaemonSet>, cur: &Arc<DaemonSet>) {
        if old.metadata.uid != cur.metadata.uid {
            self.on_delete(old);
        }
        self.enqueue(cur);
    }

    fn on_delete(&self, ds: &Arc<DaemonSet>) {
        let id = self.id_of(ds);
        self.dsc.expectations.delete(&id);
        self.dsc.memos.forget(id);
        self.dsc.compiled.lock().remove(&ds.metadata.uid);
        self.queue.add_id(id);
    }
}

impl<C: ApiClient> Handlers<C> {
    /// The DS controlling `pod` per `r`, with its queue id.
    fn controller_of(&self, pod: &Pod, r: &OwnerReference) -> Option<(ItemId, Arc<DaemonSet>)> {
        let ds = self.dsc.resolve(&pod.metadata.namespace, r)?;
        Some((self.id_of(&ds), ds))
    }

    /// Marks the pod's node for its DS and enqueues it; `None` when no cached DS controls it.
    fn touch(&self, pod: &Pod) -> Option<(ItemId, Arc<DaemonSet>)> {
        let (id, ds) = self.controller_of(pod, pod.metadata.controller_ref()?)?;
        match target_node_name(pod) {
            Some(node) => self.dsc.memos.mark(id, node),
            None => self.dsc.memos.mark_full(id),
        }
        self.queue.add_id(id);
        Some((id, ds))
    }

    /// Orphans (and pods whose labels or controller changed) may be adopted or released: full syncs.
    fn touch_selecting(&self, pod: &Pod) {
        for ds in self.dsc.selecting(pod) {
            let id = self.id_of(&ds);
            self.dsc.memos.mark_full(id);
            self.queue.add_id(id);
        }
    }
}

impl<C: ApiClient> EventHandler<Pod> for Handlers<C> {
    fn on_add(&self, pod: &Arc<Pod>) {
        if pod.metadata.deletion_timestamp.is_some() {
            self.on_delete(pod);
            return;
        }
        if pod.metadata.controller_ref().is_some() {
            if let Some((id, _)) = self.touch(pod) {
                self.dsc.expectations.creation_observed(&id);
            }
            return;
        }
        self.touch_selecting(pod);
    }

    fn on_update(&self, old: &Arc<Pod>, cur: &Arc<Pod>) {
        if old.metadata.resource_version == cur.metadata.resource_version {
            return;
        }
        if cur.metadata.deletion_timestamp.is_some() {
            // Counts as deleted now: the replacement need not wait for the grace period.
            self.on_delete(cur);
            return;
        }
        let (old_ref, cur_ref) = (old.metadata.controller_ref(), cur.metadata.controller_ref());
        let changed = old_ref != cur_ref || old.metadata.labels != cur.metadata.labels;
        if changed {
            for (pod, r) in [(old, old_ref), (cur, cur_ref)] {
                if let Some((id, _)) = r.and_then(|r| self.controller_of(pod, r)) {
                    self.dsc.memos.mark_full(id);
                    self.queue.add_id(id);
                }
            }
        }
        if cur_ref.is_none() {
            if changed {
                self.touch_selecting(cur);
            }
            return;
        }
        if target_node_name(old) != target_node_name(cur) {
            self.touch(old);
        }
        let Some((id, ds)) = self.touch(cur) else { return };
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        if min_ready > 0 && !old.is_ready() && cur.is_ready() {
            let secs = u64::try_from(min_ready).unwrap_or(0) + 1;
            self.queue.add_after(id, Duration::from_secs(secs));
        }
    }

    fn on_delete(&self, pod: &Arc<Pod>) {
        if let Some((id, _)) = self.touch(pod) {
            self.dsc.expectations.deletion_observed_of(&id, &pod_key(pod));
        }
    }
}

impl<C: ApiClient> Handlers<C> {
    /// Marks `node` for every DS whose verdict there passes `relevant`, and enqueues those.
    fn touch_node(&self, node: &Node, relevant: impl Fn(&Eligibility) -> bool) {
        for (ds, compiled) in self.dsc.all_compiled() {
            if relevant(&compiled.eligibility) {
                let id = self.id_of(&ds);
                self.dsc.memos.mark(id, &node.metadata.name);
                self.queue.add_id(id);
            }
        }
    }
}

impl<C: ApiClient> EventHandler<Node> for Handlers<C> {
    fn on_add(&self, node: &Arc<Node>) {
        self.dsc.node_index.write().insert(node.metadata.name.clone(), Arc::clone(node));
        self.touch_node(node, |e| e.verdict(node).should_run);
    }

    fn on_update(&self, old: &Arc<Node>, cur: &Arc<Node>) {
        self.dsc.node_index.write().insert(cur.metadata.name.clone(), Arc::clone(cur));
        if util::same_eligibility_inputs(old, cur) {
            return; // status, heartbeats, capacity: no verdict can change
        }
        self.touch_node(cur, |e| util::node_update_changes_verdict(e, old, cur));
    }

    fn on_delete(&self, node: &Arc<Node>) {
        self.dsc.node_index.write().remove(&node.metadata.name);
        self.touch_node(node, |e| e.verdict(node) != Verdict::NEVER);
    }
}

impl<C: ApiClient> EventHandler<ControllerRevision> for Handlers<C> {
    fn on_add(&self, rev: &Arc<ControllerRevision>) {
        self.enqueue_owner(rev);
    }

    fn on_update(&self, _old: &Arc<ControllerRevision>, cur: &Arc<ControllerRevision>) {
        self.enqueue_owner(cur);
    }

    fn on_delete(&self, rev: &Arc<ControllerRevision>) {
        self.enqueue_owner(rev);
    }
}

impl<C: ApiClient> Handlers<C> {
    /// The DS controlling a revision (orphans: none; the next DS sync adopts them).
    fn enqueue_owner(&self, rev: &ControllerRevision) {
        if let Some(ds) = rev.metadata.controller_ref().and_then(|r| self.dsc.resolve(&rev.metadata.namespace, r)) {
            self.enqueue(&ds);
        }
    }
}

#[cfg(test)]
mod tests;
