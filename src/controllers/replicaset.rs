//! The ReplicaSet controller (SEMANTICS §4): keeps `spec.replicas` active pods, adopting, releasing, creating and deleting them.
//!
//! One sync, top to bottom (`syncReplicaSet`):
//! 1. the RS from the cache (gone → drop its expectations);
//! 2. `needs_sync` = expectations satisfied — checked **before** reading pods,
//!    so a pod that appears after the check cannot cause a double create;
//! 3. candidates = active pods it controls (owner index) + active orphans of
//!    its namespace (an index of orphans); claim them (adopt / release). What
//!    a sync derives from the pods it controls is memoized per RS until a pod
//!    event for it arrives (`memo`): a sync with nothing new reads no pod;
//! 4. if `needs_sync` and not being deleted: create or delete (pure
//!    [`util::scale`], at most [`util::BURST_REPLICAS`] per sync, slow-start
//!    creates, ActivePodsWithRanks victims);
//! 5. status last: computed (pure), written only when changed (one retry);
//!    with minReadySeconds, requeue until every ready pod is available.
//!
//! Reads: caches only (plus the uncached re-read of the RS before an
//! adoption). Writes: the [`ApiClient`]. Per-key state: expectations keyed by
//! the key's queue id. Decisions never depend on hash order: victims and
//! adoptions are taken in name order.

mod memo;
pub mod util;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::claim::{recheck_deletion_timestamp, ControllerRefManager};
use super::client::{update_status_with_retries, ApiClient};
use super::controller::Enqueuer;
use super::expectations::ControllerExpectations;
use super::pod_control::{
    check_labels, controller_ref, pod_from_template, pod_key, slow_start_batch, SLOW_START_INITIAL_BATCH_SIZE,
};
use super::ranking::{spec_replicas, RankGates};
use super::{Action, Ctx, ReconcileError, Reconciler, Result};
use crate::api::apps::ReplicaSetStatus;
use crate::api::pod::Pod;
use crate::api::selector::label_selector_as_selector;
use crate::api::{Kind, OwnerReference, ReplicaSet, Time};
use crate::clock::Clock;
use crate::informer::key::split_key;
use crate::informer::{Cache, EventHandler, SharedInformerFactory};
use crate::store::{Client, DeleteOptions};
use crate::workqueue::ItemId;
use memo::{Memo, Memos};
use util::{
    calculate_status, pods_to_delete, requeue_for_availability, scale, status_unchanged, PodCounts, PodFacts, Scale,
};
use util::{template_implies_selector, BURST_REPLICAS, STATUS_UPDATE_RETRIES};

/// Pod index the controller registers: namespace of every pod without a controller.
pub const ORPHAN_POD_INDEX: &str = "kwarp.io/orphans-by-namespace";

type Hook = Box<dyn Fn() + Send + Sync>;

/// The caches a ReplicaSet controller reads.
struct Caches {
    replica_sets: Arc<Cache<ReplicaSet>>,
    pods: Arc<Cache<Pod>>,
}

/// The ReplicaSet [`Reconciler`], generic over its client (`store::Client`, or a `FakeClient` in tests).
pub struct ReplicaSetController<C = Client> {
    client: C,
    clock: Arc<dyn Clock>,
    /// The informer caches it reads, set by `register`.
    caches: OnceLock<Caches>,
    /// Keyed by the RS key's queue id.
    expectations: ControllerExpectations<ItemId>,
    /// What the last sync of each RS read from its pods, and the pod-event versions.
    memos: Memos,
    burst_replicas: usize,
    gates: RankGates,
    /// Test seam: runs right after the expectations check (a pod may "arrive" there).
    after_expectations_check: Option<Hook>,
}

impl<C> fmt::Debug for ReplicaSetController<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplicaSetController")
            .field("registered", &self.caches.get().is_some())
            .field("expectations", &self.expectations)
            .field("burst_replicas", &self.burst_replicas)
            .finish_non_exhaustive()
    }
}

impl<C: ApiClient> ReplicaSetController<C> {
    /// A controller writing through `client`; it reads the ReplicaSet and Pod
    /// caches of the informers it is registered with.
    pub fn new(client: C, clock: Arc<dyn Clock>) -> Self {
        ReplicaSetController {
            client,
            caches: OnceLock::new(),
            expectations: ControllerExpectations::new(Arc::clone(&clock)),
            memos: Memos::default(),
            clock,
            burst_replicas: BURST_REPLICAS,
            gates: RankGates::default(),
            after_expectations_check: None,
        }
    }

    /// Caps creations and deletions per sync (default [`BURST_REPLICAS`]).
    pub fn with_burst_replicas(mut self, burst: usize) -> Self {
        self.burst_replicas = burst;
        self
    }

    /// The feature gates of the scale-down ranking (default: both on, as in 1.28).
    pub fn with_rank_gates(mut self, gates: RankGates) -> Self {
        self.gates = gates;
        self
    }

    #[doc(hidden)]
    pub fn on_expectations_checked(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.after_expectations_check = Some(Box::new(hook));
        self
    }

    /// Makes the next sync of the RS with queue id `id` re-list its pods, as
    /// after a pod event (`recompute`: also recompute every pod's facts, as
    /// on a first sync). For benches.
    #[doc(hidden)]
    pub fn invalidate(&self, id: ItemId, recompute: bool) {
        self.memos.bump(id);
        if recompute {
            self.memos.forget(id);
        }
    }

    fn caches(&self) -> &Caches {
        self.caches.get().expect("a ReplicaSetController reads caches only once registered")
    }

    fn rs_cache(&self) -> &Cache<ReplicaSet> {
        &self.caches().replica_sets
    }

    fn pod_cache(&self) -> &Cache<Pod> {
        &self.caches().pods
    }

    /// Expectations by RS queue id.
    pub fn expectations(&self) -> &ControllerExpectations<ItemId> {
        &self.expectations
    }

    pub fn client(&self) -> &C {
        &self.client
    }

    /// The active pods this RS claims: the selected pods it controls (from
    /// the memo), plus the orphans it adopts; releases the ones it controls
    /// but no longer selects (`claimPods`). Patches go in name order.
    fn claim_pods<'m>(&self, rs: &ReplicaSet, memo: &'m Memo) -> Result<Claimed<'m>> {
        let m = &rs.metadata;
        let template = &rs.spec.template.metadata.labels;
        let releases: Vec<Arc<Pod>> = match (m.deletion_timestamp, memo.releases()) {
            (Some(_), _) | (None, 0) => Vec::new(), // no release while being deleted
            _ => memo.controlled().filter(|(_, f)| f.active && !f.selected).map(|(p, _)| p.clone()).collect(),
        };
        let orphans: Vec<Arc<Pod>> = self.orphans(&m.namespace).into_iter().filter(|p| p.is_active()).collect();
        let mut claimed = Claimed { memo, adopted: Vec::new() };
        if releases.is_empty() && orphans.is_empty() {
            return Ok(claimed);
        }
        let recheck = || recheck_deletion_timestamp::<ReplicaSet>(&self.client, m);
        let mut manager = ControllerRefManager::new(&self.client, m, Kind::ReplicaSet, recheck);
        let selected = |p: &Pod| memo.facts_of(p, template).selected;
        let (adopted, errors) = manager.claim(releases.into_iter().chain(orphans), selected);
        if let Some(e) = ReconcileError::aggregate(errors) {
            return Err(e);
        }
        claimed.adopted = adopted.into_iter().map(|p| (memo.facts_of(&p, template), p)).collect();
        Ok(claimed)
    }

    /// Steps 3–5 of a sync: claim, manage (if `needs_sync`), status.
    fn sync(&self, rs: &Arc<ReplicaSet>, memo: &Memo, needs_sync: bool, key: &str, id: ItemId) -> Result<Action> {
        let claimed = self.claim_pods(rs, memo)?;
        let managed = if needs_sync && rs.metadata.deletion_timestamp.is_none() {
            self.manage_replicas(&claimed, rs, key, id)
        } else {
            Ok(())
        };
        let message = managed.as_ref().err().map(ReconcileError::message);
        let now = self.clock.now();
        let status = calculate_status(rs, claimed.counts(rs, now), message.as_deref(), now);
        let updated = self.update_status(rs, status, key)?;
        managed?;
        Ok(requeue_for_availability(&updated).map_or(Action::Done, Action::RequeueAfter))
    }

    /// Pods of `namespace` without a controller.
    fn orphans(&self, namespace: &str) -> Vec<Arc<Pod>> {
        match self.pod_cache().try_by_index(ORPHAN_POD_INDEX, namespace) {
            Ok(pods) => pods,
            Err(_) => self
                .pod_cache()
                .by_namespace(namespace)
                .into_iter()
                .filter(|p| p.metadata.controller_ref().is_none())
                .collect(),
        }
    }

    /// Creates or deletes pods toward `spec.replicas` (`manageReplicas`).
    fn manage_replicas(&self, claimed: &Claimed<'_>, rs: &ReplicaSet, key: &str, id: ItemId) -> Result<()> {
        match scale(claimed.len(), spec_replicas(rs), self.burst_replicas) {
            Scale::Steady => Ok(()),
            Scale::Create(n) => {
                self.expectations.expect_creations(id, n);
                let owner_ref = controller_ref(&rs.metadata, Kind::ReplicaSet);
                let proto = pod_from_template(&rs.spec.template, &rs.metadata, Some(owner_ref));
                let (created, err) = slow_start_batch(n, SLOW_START_INITIAL_BATCH_SIZE, || {
                    check_labels(&proto).map_err(|m| ReconcileError::failed(key, m))?;
                    self.client.create(proto.clone()).map(drop).map_err(|e| ReconcileError::api(key, e))
                });
                if created < n {
                    // The informer will never see the skipped or failed creations.
                    self.expectations.lower(&id, i64::try_from(n - created).unwrap_or(i64::MAX), 0);
                }
                err.map_or(Ok(()), Err)
            }
            Scale::Delete(n) => {
                let mut candidates = claimed.pods();
                candidates.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
                let related = self.indirectly_related_pods(rs);
                let victims = pods_to_delete(candidates, &related, n, self.clock.now(), self.gates);
                self.expectations.expect_deletions_of(id, victims.iter().map(|p| pod_key(p)));
                let mut first_error = None;
                for pod in &victims {
                    let m = &pod.metadata;
                    if let Err(e) = self.client.delete::<Pod>(&m.namespace, &m.name, &DeleteOptions::default()) {
                        self.expectations.deletion_observed_of(&id, &pod_key(pod));
                        if !e.is_not_found() {
                            first_error.get_or_insert(ReconcileError::api(key, e));
                        }
                    }
                }
                first_error.map_or(Ok(()), Err)
            }
        }
    }

    /// Pods of every RS with the same controller as `rs` (`getIndirectlyRelatedPods`):
    /// for each, its controlled pods and the orphans it selects (kwarp reads
    /// indexes where Kubernetes lists the namespace by selector; pods that
    /// another controller owns but a related selector matches are not counted).
    fn indirectly_related_pods(&self, rs: &ReplicaSet) -> Vec<Arc<Pod>> {
        let Some(owner) = rs.metadata.controller_ref() else { return Vec::new() };
        let mut related_sets = self.rs_cache().by_owner(&owner.uid);
        related_sets.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let orphans = self.orphans(&rs.metadata.namespace);
        let mut seen = HashSet::new();
        let mut related = Vec::new();
        for other in related_sets {
            let Ok(selector) = label_selector_as_selector(other.spec.selector.as_ref()) else { continue };
            let owned = self.pod_cache().by_owner(&other.metadata.uid);
            for pod in owned.into_iter().chain(orphans.iter().cloned()) {
                if selector.matches(&pod.metadata.labels) && seen.insert(Arc::as_ptr(&pod) as usize) {
                    related.push(pod);
                }
            }
        }
        related
    }

    /// Writes `status` unless nothing changed (`updateReplicaSetStatus`): one
    /// retry after re-reading the RS from the API.
    fn update_status(&self, rs: &Arc<ReplicaSet>, mut status: ReplicaSetStatus, key: &str) -> Result<Arc<ReplicaSet>> {
        if status_unchanged(rs, &status) {
            return Ok(Arc::clone(rs));
        }
        status.observed_generation = rs.metadata.generation;
        update_status_with_retries(&self.client, rs, STATUS_UPDATE_RETRIES, key, |next| next.status = status.clone())
    }

    /// The RS that `r` (a pod's controller reference) names, if it is cached with that uid.
    fn resolve(&self, namespace: &str, r: &OwnerReference) -> Option<Arc<ReplicaSet>> {
        if r.kind != Kind::ReplicaSet.as_str() {
            return None;
        }
        self.rs_cache().get_ns_name(namespace, &r.name).filter(|rs| rs.metadata.uid == r.uid)
    }

    /// RSs of the pod's namespace whose (non-empty, valid) selector selects it, by name (`GetPodReplicaSets`).
    fn selecting(&self, pod: &Pod) -> Vec<Arc<ReplicaSet>> {
        let labels = &pod.metadata.labels;
        if labels.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<Arc<ReplicaSet>> = self
            .rs_cache()
            .by_namespace(&pod.metadata.namespace)
            .into_iter()
            .filter(|rs| rs.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(labels)))
            .collect();
        out.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        out
    }
}

impl<C: ApiClient> Reconciler for ReplicaSetController<C> {
    fn name(&self) -> &'static str {
        "replicaset"
    }

    fn reconcile(&self, key: &str, ctx: &Ctx<'_>) -> Result<Action> {
        let (namespace, name) = split_key(key);
        let Some(rs) = self.rs_cache().get_ns_name(namespace, name) else {
            self.expectations.delete(&ctx.id);
            self.memos.forget(ctx.id);
            return Ok(Action::Done);
        };
        let needs_sync = self.expectations.satisfied(&ctx.id);
        if let Some(hook) = &self.after_expectations_check {
            hook();
        }
        let dirty = self.memos.take_dirty(ctx.id); // before the pods are read
        let mut memo = match self.memos.take(ctx.id) {
            Some(memo) if memo.fits(&rs) => memo,
            _ => {
                // An invalid selector cannot be fixed by retrying (apps/v1 selectors are immutable).
                let Ok(selector) = label_selector_as_selector(rs.spec.selector.as_ref()) else {
                    return Ok(Action::Done);
                };
                let implied = template_implies_selector(&rs.spec.template.metadata.labels, &selector);
                Memo::new(&rs, selector, implied)
            }
        };
        memo.refresh(
            dirty,
            || self.pod_cache().by_owner(&rs.metadata.uid),
            |pod| self.pod_cache().get_ns_name(namespace, pod),
            &rs.spec.template.metadata.labels,
        );
        let result = self.sync(&rs, &memo, needs_sync, key, ctx.id);
        self.memos.put(ctx.id, memo);
        result
    }

    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        let pods = informers.informer::<Pod>();
        // Already there (another RS controller) is fine; too late (informer
        // running) falls back to filtering the namespace.
        let _ = pods.add_index(ORPHAN_POD_INDEX, |p: &Pod| match p.metadata.controller_ref() {
            None if !p.metadata.namespace.is_empty() => vec![p.metadata.namespace.clone()],
            _ => Vec::new(),
        });
        let replica_sets = informers.informer::<ReplicaSet>();
        let caches = Caches { replica_sets: Arc::clone(replica_sets.cache()), pods: Arc::clone(pods.cache()) };
        assert!(self.caches.set(caches).is_ok(), "a ReplicaSetController is registered once");
        let handlers = Arc::new(Handlers { rsc: Arc::clone(self), queue });
        replica_sets.add_event_handler(handlers.clone());
        pods.add_event_handler(handlers);
    }
}

/// The pods one sync claims: selected controlled pods (in the memo) and adopted orphans.
struct Claimed<'m> {
    memo: &'m Memo,
    adopted: Vec<(PodFacts, Arc<Pod>)>,
}

impl Claimed<'_> {
    fn len(&self) -> usize {
        self.memo.claimed_len() + self.adopted.len()
    }

    fn counts(&self, rs: &ReplicaSet, now: Time) -> PodCounts {
        let min_ready = rs.spec.min_ready_seconds.unwrap_or(0);
        let adopted = PodCounts::of(self.adopted.iter().map(|(f, _)| *f), min_ready, now);
        self.memo.counts(now).plus(adopted)
    }

    fn pods(&self) -> Vec<Arc<Pod>> {
        self.memo.claimed().map(|(p, _)| p.clone()).chain(self.adopted.iter().map(|(_, p)| p.clone())).collect()
    }
}

/// Maps ReplicaSet and Pod events to RS keys (`addRS` … `deletePod`).
struct Handlers<C> {
    rsc: Arc<ReplicaSetController<C>>,
    queue: Enqueuer,
}

impl<C: ApiClient> Handlers<C> {
    fn enqueue(&self, rs: &ReplicaSet) -> ItemId {
        self.queue.add_ns_name(&rs.metadata.namespace, &rs.metadata.name)
    }

    fn id_of(&self, rs: &ReplicaSet) -> ItemId {
        self.queue.intern_ns_name(&rs.metadata.namespace, &rs.metadata.name)
    }

    /// The RS controlling a pod, per `r` (its controller reference); marks that RS's pods changed.
    fn controller_of(&self, pod: &Pod, r: &OwnerReference) -> Option<(ItemId, Arc<ReplicaSet>)> {
        let rs = self.rsc.resolve(&pod.metadata.namespace, r)?;
        let id = self.id_of(&rs);
        self.rsc.memos.pod_changed(id, &pod.metadata.name);
        Some((id, rs))
    }
}

impl<C: ApiClient> EventHandler<ReplicaSet> for Handlers<C> {
    fn on_add(&self, rs: &Arc<ReplicaSet>) {
        self.enqueue(rs);
    }

    fn on_update(&self, old: &Arc<ReplicaSet>, cur: &Arc<ReplicaSet>) {
        if old.metadata.uid != cur.metadata.uid {
            self.on_delete(old); // deleted and re-created under the same name
        }
        self.enqueue(cur);
    }

    fn on_delete(&self, rs: &Arc<ReplicaSet>) {
        let id = self.id_of(rs);
        self.rsc.expectations.delete(&id);
        self.rsc.memos.forget(id);
        self.queue.add_id(id);
    }
}

impl<C: ApiClient> EventHandler<Pod> for Handlers<C> {
    fn on_add(&self, pod: &Arc<Pod>) {
        if pod.metadata.deletion_timestamp.is_some() {
            // Seen for the first time already terminating: not a creation.
            self.on_delete(pod);
            return;
        }
        if let Some(r) = pod.metadata.controller_ref() {
            if let Some((id, _)) = self.controller_of(pod, r) {
                self.rsc.expectations.creation_observed(&id);
                self.queue.add_id(id);
            }
            return;
        }
        for rs in self.rsc.selecting(pod) {
            self.enqueue(&rs);
        }
    }

    fn on_update(&self, old: &Arc<Pod>, cur: &Arc<Pod>) {
        if old.metadata.resource_version == cur.metadata.resource_version {
            return; // a resync: nothing changed
        }
        let labels_changed = old.metadata.labels != cur.metadata.labels;
        if cur.metadata.deletion_timestamp.is_some() {
            // Counts as deleted now: the replacement need not wait for the grace period.
            self.on_delete(cur);
            if labels_changed {
                self.on_delete(old);
            }
            return;
        }
        let (old_ref, cur_ref) = (old.metadata.controller_ref(), cur.metadata.controller_ref());
        let ref_changed = old_ref != cur_ref;
        if ref_changed {
            if let Some((id, _)) = old_ref.and_then(|r| self.controller_of(old, r)) {
                self.queue.add_id(id);
            }
        }
        if let Some(r) = cur_ref {
            let Some((id, rs)) = self.controller_of(cur, r) else { return };
            self.queue.add_id(id);
            let min_ready = rs.spec.min_ready_seconds.unwrap_or(0);
            if min_ready > 0 && !old.is_ready() && cur.is_ready() {
                let secs = u64::try_from(min_ready).unwrap_or(0) + 1;
                self.queue.add_after(id, Duration::from_secs(secs));
            }
            return;
        }
        if labels_changed || ref_changed {
            for rs in self.rsc.selecting(cur) {
                self.enqueue(&rs);
            }
        }
    }

    fn on_delete(&self, pod: &Arc<Pod>) {
        let Some(r) = pod.metadata.controller_ref() else { return };
        let Some((id, _)) = self.controller_of(pod, r) else { return };
        self.rsc.expectations.deletion_observed_of(&id, &pod_key(pod));
        self.queue.add_id(id);
    }
}

#[cfg(test)]
mod tests;
