//! The Deployment controller (SEMANTICS §3): rolls a pod template out through ReplicaSets.
//!
//! One sync, top to bottom (`syncDeployment`, §3.d):
//! 1. the Deployment from the cache (gone → nothing); an empty selector only
//!    records the observed generation;
//! 2. claim ReplicaSets: the ones it controls (owner index) plus orphans of its
//!    namespace (an index of orphan RSs); adopt / release through
//!    [`ControllerRefManager`]. A steady sync reads no pod and lists nothing;
//! 3. being deleted → status only; pausing / resuming → a Progressing Unknown condition;
//! 4. paused → `sync` (proportional scaling, history cleanup, status);
//!    a legacy rollback annotation → rollback; a scaling event (an active RS
//!    scaled for another size) → `sync`;
//! 5. otherwise the strategy: RollingUpdate (scale the new RS up, else old ones
//!    down, else clean up history when complete) or Recreate (old RSs to 0, wait
//!    for their pods to be gone, then the new RS at full size); status last,
//!    written only when changed, with a requeue at the progress deadline.
//!
//! Pure decisions live in [`util`]. Reads: caches only (plus the uncached
//! re-read of the Deployment before an adoption). Writes: the [`ApiClient`].
//! Decisions never depend on hash order: ReplicaSets are taken by creation
//! time, then name. Per-key state: which RS objects matched which Deployment
//! object's template (`TemplateMemo`, by `Arc` identity), so a steady sync
//! compares no template; and the status is rebuilt only when a cheap check
//! ([`util::rollout_status_unchanged`]) says it may have changed.
//!
//! Differences from Kubernetes 1.28:
//! * the Deployment's revision annotation is written with a patch of the
//!   object, which bumps its generation (kwarp's status subresource keeps all
//!   metadata, where Kubernetes' Deployment status strategy lets annotations
//!   through): one extra generation per new revision;
//! * objects written earlier in a sync are used by its later steps (Kubernetes
//!   reuses its stale copies and takes a Conflict, then retries);
//! * a failed key is dropped after [`MAX_RETRIES`] as upstream, but no
//!   Kubernetes Events are recorded (kwarp has no Event objects).

mod handlers;
pub mod util;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;

use super::claim::{recheck_deletion_timestamp, ControllerRefManager};
use super::client::ApiClient;
use super::controller::Enqueuer;
use super::pod_control::controller_ref;
use super::ranking::{revision, rs_by_creation_timestamp, sort_by_ordering, spec_replicas};
use super::{Action, Ctx, ReconcileError, Reconciler, Result};
use crate::api::apps::{Deployment, DeploymentStatus};
use crate::api::hash::compute_hash;
use crate::api::pod::{ConditionStatus, Pod};
use crate::api::{Kind, ReplicaSet};
use crate::clock::Clock;
use crate::informer::key::split_key;
use crate::informer::{Cache, SharedInformerFactory};
use crate::store::{Client, DeleteOptions};
use crate::workqueue::ItemId;
use util::*;

/// A key whose sync failed this many times in a row is dropped (`maxRetries`):
/// delays 5 ms … 81.92 s, then only a new event brings it back.
pub const MAX_RETRIES: u32 = 15;

/// ReplicaSet index the controller registers: namespace of every RS without a controller.
pub const ORPHAN_RS_INDEX: &str = "kwarp.io/orphan-replicasets-by-namespace";

/// The caches a Deployment controller reads.
struct Caches {
    deployments: Arc<Cache<Deployment>>,
    replica_sets: Arc<Cache<ReplicaSet>>,
    pods: Arc<Cache<Pod>>,
}

/// The Deployment [`Reconciler`], generic over its client (`store::Client`, or a `FakeClient` in tests).
pub struct DeploymentController<C = Client> {
    client: C,
    clock: Arc<dyn Clock>,
    /// The informer caches it reads, set by `register`.
    caches: OnceLock<Caches>,
    /// Per Deployment queue id: which RSs had its template when last compared.
    templates: Mutex<HashMap<ItemId, TemplateMemo>>,
}

/// The outcome of `EqualIgnoreHash` between one Deployment object and RS objects.
/// Holding the `Arc`s keeps pointer identity meaningful: a stored object is
/// immutable, so the same pointer means the same template.
#[derive(Default)]
struct TemplateMemo {
    deployment: Option<Arc<Deployment>>,
    rss: Vec<(Arc<ReplicaSet>, bool)>,
}

impl<C> fmt::Debug for DeploymentController<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeploymentController").field("registered", &self.caches.get().is_some()).finish_non_exhaustive()
    }
}

/// The ReplicaSets of one sync: the new one (if any) and the others, oldest first.
struct Sets {
    new: Option<Arc<ReplicaSet>>,
    old: Vec<Arc<ReplicaSet>>,
}

impl Sets {
    fn old_refs(&self) -> Vec<&ReplicaSet> {
        self.old.iter().map(|r| &**r).collect()
    }

    /// Old RSs, then the new one.
    fn all_refs(&self) -> Vec<&ReplicaSet> {
        self.old.iter().chain(&self.new).map(|r| &**r).collect()
    }
}

impl<C: ApiClient> DeploymentController<C> {
    /// A controller writing through `client`; it reads the Deployment, ReplicaSet
    /// and Pod caches of the informers it is registered with.
    pub fn new(client: C, clock: Arc<dyn Clock>) -> Self {
        DeploymentController { client, clock, caches: OnceLock::new(), templates: Mutex::default() }
    }

    pub fn client(&self) -> &C {
        &self.client
    }

    fn caches(&self) -> &Caches {
        self.caches.get().expect("a DeploymentController reads caches only once registered")
    }

    /// `syncDeployment` for the cached Deployment `d`.
    fn sync_deployment(&self, id: ItemId, d: Arc<Deployment>, key: &str) -> Result<Action> {
        if d.spec.selector.as_ref().is_some_and(|s| s.is_empty()) {
            // SelectingAll: only the observed generation moves.
            if d.status.observed_generation < d.metadata.generation {
                let mut status = d.status.clone();
                status.observed_generation = d.metadata.generation;
                self.write_status(&d, status, key)?;
            }
            return Ok(Action::Done);
        }
        let rs_list = self.claim_replica_sets(&d)?;
        if d.metadata.deletion_timestamp.is_some() {
            let (d, sets) = self.sync_revision(id, d, &rs_list, false, key)?;
            self.sync_deployment_status(&d, &sets, key)?;
            return Ok(Action::Done);
        }
        let mut d = d;
        if let Some(cond) = paused_condition(&d, self.clock.now()) {
            let mut status = d.status.clone();
            set_condition(&mut status, cond);
            d = self.write_status(&d, status, key)?;
        }
        if d.spec.paused {
            return self.sync(id, d, &rs_list, key);
        }
        if rollback_to(&d).is_some() {
            return self.rollback(id, d, &rs_list, key);
        }
        let (d, sets) = self.sync_revision(id, d, &rs_list, false, key)?;
        let scaling = sets
            .all_refs()
            .into_iter()
            .filter(|rs| spec_replicas(rs) > 0)
            .any(|rs| desired_replicas_annotation(rs).is_some_and(|desired| desired != util::replicas(&d)));
        if scaling {
            return self.sync_with(d, sets, key);
        }
        if is_recreate(&d) {
            self.rollout_recreate(id, d, sets, &rs_list, key)
        } else {
            self.rollout_rolling(id, d, sets, &rs_list, key)
        }
    }

    /// The RSs this Deployment owns after adoption and release, oldest first (`getReplicaSetsForDeployment`).
    fn claim_replica_sets(&self, d: &Deployment) -> Result<Vec<Arc<ReplicaSet>>> {
        let cache = &self.caches().replica_sets;
        let m = &d.metadata;
        let mut owned = cache.by_owner(&m.uid);
        let orphans = match cache.try_by_index(ORPHAN_RS_INDEX, &m.namespace) {
            Ok(rss) => rss,
            Err(_) => cache
                .by_namespace(&m.namespace)
                .into_iter()
                .filter(|rs| rs.metadata.controller_ref().is_none())
                .collect(),
        };
        let selected = |rs: &ReplicaSet| d.spec.selector.as_ref().is_some_and(|s| s.matches(&rs.metadata.labels));
        if !orphans.is_empty() || !owned.iter().all(|rs| selected(rs)) {
            let recheck = || recheck_deletion_timestamp::<Deployment>(&self.client, m);
            let mut manager = ControllerRefManager::new(&self.client, m, Kind::Deployment, recheck);
            let (claimed, errors) = manager.claim(owned.into_iter().chain(orphans), selected);
            if let Some(e) = ReconcileError::aggregate(errors) {
                return Err(e);
            }
            owned = claimed;
        }
        sort_by_ordering(&mut owned, |a, b| rs_by_creation_timestamp(a, b));
        Ok(owned)
    }

    /// `getAllReplicaSetsAndSyncRevision`: finds the new RS (creating it when
    /// `create`), raises its revision, mirrors it on the Deployment.
    fn sync_revision(
        &self,
        id: ItemId,
        mut d: Arc<Deployment>,
        rs_list: &[Arc<ReplicaSet>],
        create: bool,
        key: &str,
    ) -> Result<(Arc<Deployment>, Sets)> {
        let found = self.find_new(id, &d, rs_list);
        let old: Vec<Arc<ReplicaSet>> =
            rs_list.iter().enumerate().filter(|(i, _)| Some(*i) != found).map(|(_, rs)| Arc::clone(rs)).collect();
        let new_revision = max_revision(old.iter().map(|r| &**r)) + 1;
        if let Some(existing) = found.map(|i| &rs_list[i]) {
            let new = self.sync_existing_new(&mut d, existing, new_revision, key)?;
            return Ok((d, Sets { new: Some(new), old }));
        }
        if !create {
            return Ok((d, Sets { new: None, old }));
        }
        let new = self.create_new(&mut d, &old, new_revision, key)?;
        Ok((d, Sets { new: Some(new), old }))
    }

    /// `FindNewReplicaSet` over `rs_list` (oldest first): the index of the first RS
    /// whose template equals the Deployment's, remembering the comparisons for
    /// the next sync of the same objects.
    fn find_new(&self, id: ItemId, d: &Arc<Deployment>, rs_list: &[Arc<ReplicaSet>]) -> Option<usize> {
        let mut memo = self.templates.lock().remove(&id).unwrap_or_default();
        let same = memo.deployment.as_ref().is_some_and(|m| Arc::ptr_eq(m, d) || m.spec.template == d.spec.template);
        if !same {
            memo.rss.clear();
        }
        memo.deployment = Some(Arc::clone(d));
        let mut rss = Vec::with_capacity(rs_list.len());
        let mut found = None;
        for (i, rs) in rs_list.iter().enumerate() {
            let known = memo.rss.iter().find(|(r, _)| Arc::ptr_eq(r, rs)).map(|(_, eq)| *eq);
            let eq = known.unwrap_or_else(|| equal_ignore_hash(&rs.spec.template, &d.spec.template));
            rss.push((Arc::clone(rs), eq));
            if eq && found.is_none() {
                found = Some(i);
            }
        }
        memo.rss = rss;
        self.templates.lock().insert(id, memo);
        found
    }

    /// The existing new RS: its annotations and minReadySeconds synced; else the
    /// Deployment's revision and a first Progressing condition.
    fn sync_existing_new(
        &self,
        d: &mut Arc<Deployment>,
        rs: &Arc<ReplicaSet>,
        new_revision: i64,
        key: &str,
    ) -> Result<Arc<ReplicaSet>> {
        let stale = new_rs_annotations_stale(d, rs, new_revision);
        if stale || rs.spec.min_ready_seconds != d.spec.min_ready_seconds {
            let mut copy = (**rs).clone();
            set_new_replica_set_annotations(d, &mut copy, new_revision, true, MAX_REV_HISTORY_LENGTH_IN_CHARS);
            copy.spec.min_ready_seconds = d.spec.min_ready_seconds;
            return self.client.update(copy).map_err(|e| ReconcileError::api(key, e));
        }
        if let Some(rev) = rs.metadata.annotations.get(REVISION_ANNOTATION) {
            self.set_deployment_revision(d, rev, key)?;
        }
        if has_progress_deadline(d) && get_condition(&d.status, PROGRESSING).is_none() {
            let msg = format!("Found new replica set \"{}\"", rs.metadata.name);
            let mut status = d.status.clone();
            set_condition(
                &mut status,
                new_condition(PROGRESSING, ConditionStatus::True, FOUND_NEW_RS, msg, self.now()),
            );
            *d = self.write_status(d, status, key)?;
        }
        Ok(Arc::clone(rs))
    }

    /// Creates the new RS `<name>-<hash>`; a name taken by another template bumps
    /// `status.collisionCount` and fails the sync (the retry uses a new hash).
    fn create_new(
        &self,
        d: &mut Arc<Deployment>,
        old: &[Arc<ReplicaSet>],
        new_revision: i64,
        key: &str,
    ) -> Result<Arc<ReplicaSet>> {
        let hash = compute_hash(&d.spec.template, d.status.collision_count);
        let total: i32 = old.iter().map(|r| spec_replicas(r)).sum();
        let size = new_rs_new_replicas(d, total, 0).map_err(|e| ReconcileError::failed(key, e.to_string()))?;
        let mut rs = new_replica_set(d, &hash, controller_ref(&d.metadata, Kind::Deployment), size);
        set_new_replica_set_annotations(d, &mut rs, new_revision, false, MAX_REV_HISTORY_LENGTH_IN_CHARS);
        let name = rs.metadata.name.clone();
        let (created, already_existed) = match self.client.create(rs) {
            Ok(created) => (created, false),
            Err(e) if e.is_already_exists() => {
                // Not cached yet (the informer lags our own create): fail and retry, no collision.
                let Some(cached) = self.caches().replica_sets.get_ns_name(&d.metadata.namespace, &name) else {
                    return Err(ReconcileError::api(key, e));
                };
                let ours = cached.metadata.controller_ref().is_some_and(|r| r.uid == d.metadata.uid)
                    && equal_ignore_hash(&d.spec.template, &cached.spec.template);
                if !ours {
                    let mut status = d.status.clone();
                    status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                    self.write_status(d, status, key)?;
                    return Err(ReconcileError::api(key, e));
                }
                (cached, true)
            }
            Err(e) => {
                if has_progress_deadline(d) {
                    let msg = format!("Failed to create new replica set \"{name}\": {e}");
                    let mut status = d.status.clone();
                    let cond = new_condition(PROGRESSING, ConditionStatus::False, RS_CREATE_ERROR, msg, self.now());
                    set_condition(&mut status, cond);
                    let _ = self.write_status(d, status, key);
                }
                return Err(ReconcileError::api(key, e));
            }
        };
        self.set_deployment_revision(d, &new_revision.to_string(), key)?;
        if !already_existed && has_progress_deadline(d) {
            let msg = format!("Created new replica set \"{}\"", created.metadata.name);
            let mut status = d.status.clone();
            set_condition(
                &mut status,
                new_condition(PROGRESSING, ConditionStatus::True, NEW_RS_CREATED, msg, self.now()),
            );
            *d = self.write_status(d, status, key)?;
        }
        Ok(created)
    }

    /// `SetDeploymentRevision`, written with a patch (see the module doc).
    fn set_deployment_revision(&self, d: &mut Arc<Deployment>, rev: &str, key: &str) -> Result<()> {
        if d.metadata.annotations.get(REVISION_ANNOTATION).map(String::as_str) == Some(rev) {
            return Ok(());
        }
        let m = &d.metadata;
        let uid = m.uid.clone();
        let patched = self
            .client
            .patch::<Deployment>(&m.namespace, &m.name, &mut |o: &mut Deployment| {
                if o.metadata.uid == uid {
                    o.metadata.annotations.insert(REVISION_ANNOTATION.to_string(), rev.to_string());
                }
            })
            .map_err(|e| ReconcileError::api(key, e))?;
        *d = patched;
        Ok(())
    }

    /// `sync`: proportional scaling, history cleanup while paused, status.
    fn sync(&self, id: ItemId, d: Arc<Deployment>, rs_list: &[Arc<ReplicaSet>], key: &str) -> Result<Action> {
        let (d, sets) = self.sync_revision(id, d, rs_list, false, key)?;
        self.sync_with(d, sets, key)
    }

    fn sync_with(&self, d: Arc<Deployment>, sets: Sets, key: &str) -> Result<Action> {
        let old = sets.old_refs();
        for step in proportional_scale(&d, sets.new.as_deref(), &old) {
            if step.sync_annotations {
                self.scale_replica_set(&d, step.rs, step.replicas, key)?;
            } else {
                self.scale_and_record(&d, step.rs, step.replicas, key)?;
            }
        }
        if d.spec.paused && rollback_to(&d).is_none() {
            self.cleanup(&d, &old, key)?;
        }
        self.sync_deployment_status(&d, &sets, key)?;
        Ok(Action::Done)
    }

    /// `rolloutRolling` (§3.e).
    fn rollout_rolling(
        &self,
        id: ItemId,
        d: Arc<Deployment>,
        sets: Sets,
        rs_list: &[Arc<ReplicaSet>],
        key: &str,
    ) -> Result<Action> {
        let (d, sets) = match sets.new {
            Some(_) => (d, sets),
            None => self.sync_revision(id, d, rs_list, true, key)?,
        };
        let new = sets.new.clone().ok_or_else(|| ReconcileError::failed(key, "no new replica set"))?;
        let total: i32 = sets.all_refs().iter().map(|rs| spec_replicas(rs)).sum();
        let target = reconcile_new_replica_set(&d, total, spec_replicas(&new))
            .map_err(|e| ReconcileError::failed(key, e.to_string()))?;
        if let Some(target) = target {
            if self.scale_and_record(&d, &new, target, key)?.is_some() {
                return self.sync_rollout_status(&d, &sets, key);
            }
        }
        if self.reconcile_old(&d, &new, &sets.old, key)? {
            return self.sync_rollout_status(&d, &sets, key);
        }
        if deployment_complete(&d, &d.status) {
            self.cleanup(&d, &sets.old_refs(), key)?;
        }
        self.sync_rollout_status(&d, &sets, key)
    }

    /// `reconcileOldReplicaSets`: unhealthy replicas first, then healthy ones down
    /// to minAvailable, oldest RS first; one write per RS and step. True if any scaled.
    fn reconcile_old(&self, d: &Deployment, new: &ReplicaSet, old: &[Arc<ReplicaSet>], key: &str) -> Result<bool> {
        let mut active: Vec<Arc<ReplicaSet>> = old.iter().filter(|rs| spec_replicas(rs) > 0).cloned().collect();
        let sizes: Vec<RsSize> = active.iter().map(|rs| RsSize::of(rs)).collect();
        let max = max_scaled_down(d, RsSize::of(new), &sizes);
        if max <= 0 {
            return Ok(false);
        }
        let (cleaned, cleaned_count) = cleanup_unhealthy_replicas(&sizes, max);
        for (rs, size) in active.iter_mut().zip(&cleaned) {
            if *size != spec_replicas(rs) {
                if let Some(updated) = self.scale_and_record(d, rs, *size, key)? {
                    *rs = updated;
                }
            }
        }
        let available = sizes.iter().map(|s| s.available).sum::<i32>() + new.status.available_replicas;
        let (down, down_count) = scale_down_old_for_rolling_update(min_available(d), available, &cleaned);
        for (rs, size) in active.iter().zip(&down) {
            if *size != spec_replicas(rs) {
                self.scale_and_record(d, rs, *size, key)?;
            }
        }
        Ok(cleaned_count + down_count > 0)
    }

    /// `rolloutRecreate` (§3.f).
    fn rollout_recreate(
        &self,
        id: ItemId,
        d: Arc<Deployment>,
        sets: Sets,
        rs_list: &[Arc<ReplicaSet>],
        key: &str,
    ) -> Result<Action> {
        let mut scaled = false;
        for rs in sets.old.iter().filter(|rs| spec_replicas(rs) > 0) {
            scaled |= self.scale_and_record(&d, rs, 0, key)?.is_some();
        }
        if scaled || self.old_pods_running(&d, &sets) {
            return self.sync_rollout_status(&d, &sets, key);
        }
        let (d, sets) = match sets.new {
            Some(_) => (d, sets),
            None => self.sync_revision(id, d, rs_list, true, key)?,
        };
        if let Some(new) = &sets.new {
            self.scale_and_record(&d, new, util::replicas(&d), key)?;
        }
        if deployment_complete(&d, &d.status) {
            self.cleanup(&d, &sets.old_refs(), key)?;
        }
        self.sync_rollout_status(&d, &sets, key)
    }

    /// `oldPodsRunning`: pods of the old RSs (the Deployment selects them, they control them).
    fn old_pods_running(&self, d: &Deployment, sets: &Sets) -> bool {
        let old = sets.old_refs();
        if old.iter().map(|rs| rs.status.replicas).sum::<i32>() > 0 {
            return true;
        }
        let pods = &self.caches().pods;
        let selected = |p: &Pod| d.spec.selector.as_ref().is_some_and(|s| s.matches(&p.metadata.labels));
        old.iter().any(|rs| {
            let owned = pods.by_owner(&rs.metadata.uid);
            old_pods_running(&[], owned.iter().map(|p| &**p).filter(|p| selected(p)))
        })
    }

    /// `rollback` (§3.h): copy the target revision's template into the Deployment and drop the request.
    fn rollback(&self, id: ItemId, d: Arc<Deployment>, rs_list: &[Arc<ReplicaSet>], key: &str) -> Result<Action> {
        let (d, sets) = self.sync_revision(id, d, rs_list, true, key)?;
        let all = sets.all_refs();
        let mut target = rollback_to(&d).unwrap_or(0);
        if target == 0 {
            target = last_revision(all.iter().copied());
        }
        let mut next = (*d).clone();
        if target != 0 {
            if let Some(rs) = all.iter().find(|rs| revision(rs) == Some(target)) {
                if !equal_ignore_hash(&d.spec.template, &rs.spec.template) {
                    set_from_replica_set_template(&mut next, &rs.spec.template);
                    set_deployment_annotations_to(&mut next, rs);
                }
            }
        }
        next.metadata.annotations.remove(ROLLBACK_TO_ANNOTATION);
        self.client.update(next).map_err(|e| ReconcileError::api(key, e))?;
        Ok(Action::Done)
    }

    /// `cleanupDeployment`: deletes surplus empty old RSs (§3.i).
    fn cleanup(&self, d: &Deployment, old: &[&ReplicaSet], key: &str) -> Result<()> {
        for rs in history_to_delete(d, old) {
            let m = &rs.metadata;
            match self.client.delete::<ReplicaSet>(&m.namespace, &m.name, &DeleteOptions::default()) {
                Err(e) if !e.is_not_found() => return Err(ReconcileError::api(key, e)),
                _ => {}
            }
        }
        Ok(())
    }

    /// `scaleReplicaSetAndRecordEvent`: nothing when already at `size`; the updated RS when scaled.
    fn scale_and_record(
        &self,
        d: &Deployment,
        rs: &ReplicaSet,
        size: i32,
        key: &str,
    ) -> Result<Option<Arc<ReplicaSet>>> {
        if spec_replicas(rs) == size {
            return Ok(None);
        }
        Ok(self.scale_replica_set(d, rs, size, key)?.1)
    }

    /// `scaleReplicaSet`: writes the size and the replicas annotations when either
    /// is stale. Returns whether the size changed, and the written RS.
    fn scale_replica_set(
        &self,
        d: &Deployment,
        rs: &ReplicaSet,
        size: i32,
        key: &str,
    ) -> Result<(bool, Option<Arc<ReplicaSet>>)> {
        let (desired, max) = (util::replicas(d), util::replicas(d) + max_surge(d));
        let resize = spec_replicas(rs) != size;
        if !resize && !replicas_annotations_need_update(rs, desired, max) {
            return Ok((false, None));
        }
        let mut copy = rs.clone();
        copy.spec.replicas = Some(size);
        set_replicas_annotations(&mut copy.metadata.annotations, desired, max);
        let updated = self.client.update(copy).map_err(|e| ReconcileError::api(key, e))?;
        Ok((resize, Some(updated)))
    }

    /// `syncDeploymentStatus`: counts and Available only.
    fn sync_deployment_status(&self, d: &Arc<Deployment>, sets: &Sets, key: &str) -> Result<()> {
        let status = calculate_status(d, &sets.all_refs(), sets.new.as_deref(), self.now());
        if status != d.status {
            self.write_status(d, status, key)?;
        }
        Ok(())
    }

    /// `syncRolloutStatus`: the full status; when unchanged, a requeue at the progress deadline.
    fn sync_rollout_status(&self, d: &Arc<Deployment>, sets: &Sets, key: &str) -> Result<Action> {
        let now = self.now();
        let all = sets.all_refs();
        let unchanged = rollout_status_unchanged(d, &all, sets.new.as_deref());
        debug_assert!(!unchanged || rollout_status(d, &all, sets.new.as_deref(), now) == d.status);
        if !unchanged {
            let status = rollout_status(d, &all, sets.new.as_deref(), now);
            if status != d.status {
                self.write_status(d, status, key)?;
                return Ok(Action::Done);
            }
        }
        Ok(match requeue_stuck(d, &d.status, now) {
            None => Action::Done,
            Some(Duration::ZERO) => Action::Requeue,
            Some(after) => Action::RequeueAfter(after + Duration::from_secs(1)),
        })
    }

    fn write_status(&self, d: &Deployment, status: DeploymentStatus, key: &str) -> Result<Arc<Deployment>> {
        let mut next = d.clone();
        next.status = status;
        self.client.update_status(next).map_err(|e| ReconcileError::api(key, e))
    }

    fn now(&self) -> crate::api::Time {
        self.clock.now()
    }
}

impl<C: ApiClient> Reconciler for DeploymentController<C> {
    fn name(&self) -> &'static str {
        "deployment"
    }

    fn reconcile(&self, key: &str, ctx: &Ctx<'_>) -> Result<Action> {
        let (namespace, name) = split_key(key);
        match self.caches().deployments.get_ns_name(namespace, name) {
            None => {
                self.templates.lock().remove(&ctx.id);
                Ok(Action::Done)
            }
            Some(d) => match self.sync_deployment(ctx.id, d, key) {
                // `handleErr`: give up after MAX_RETRIES requeues (Done forgets the failures).
                Err(_) if ctx.queue.queue().num_requeues(ctx.id) >= MAX_RETRIES => Ok(Action::Done),
                result => result,
            },
        }
    }

    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        let replica_sets = informers.informer::<ReplicaSet>();
        // Already there (another controller) is fine; too late (informer running)
        // falls back to filtering the namespace.
        let _ = replica_sets.add_index(ORPHAN_RS_INDEX, |rs: &ReplicaSet| match rs.metadata.controller_ref() {
            None if !rs.metadata.namespace.is_empty() => vec![rs.metadata.namespace.clone()],
            _ => Vec::new(),
        });
        let deployments = informers.informer::<Deployment>();
        let pods = informers.informer::<Pod>();
        let caches = Caches {
            deployments: Arc::clone(deployments.cache()),
            replica_sets: Arc::clone(replica_sets.cache()),
            pods: Arc::clone(pods.cache()),
        };
        assert!(self.caches.set(caches).is_ok(), "a DeploymentController is registered once");
        let handlers = Arc::new(handlers::Handlers { dc: Arc::clone(self), queue });
        deployments.add_event_handler(handlers.clone());
        replica_sets.add_event_handler(handlers.clone());
        pods.add_event_handler(handlers);
    }
}

#[cfg(test)]
mod tests;
