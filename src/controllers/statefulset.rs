//! The StatefulSet controller (SEMANTICS §5): stable pod identities `<set>-<ordinal>`, per-ordinal claims, ordered
//! or parallel creation and scale-down, rolling updates by ControllerRevision.
//!
//! One sync, top to bottom (`sync` → `UpdateStatefulSet`):
//! 1. the set from the cache (gone → forget its memo); an invalid selector is
//!    not retried;
//! 2. its ControllerRevisions (owner index + orphans, adopted), then the
//!    current and update revisions ([`history::plan_update_revision`]: reuse,
//!    renumber on rollback, or create — bumping `collisionCount` on a name
//!    clash). The revision data and hash of a set are memoized per
//!    (uid, generation, collisionCount): an unchanged set is never re-serialised;
//! 3. its pods (owner index + orphans of the namespace whose name parses as
//!    `<set>-<ordinal>`, adopted / released through `ControllerRefManager`),
//!    placed by ordinal with their facts. Between syncs a per-set memo is
//!    patched with only the pods whose events arrived (`memo`), so a sync of
//!    an N-replica set re-reads O(changed) pods, not N;
//! 4. the pure [`util::plan`] over per-slot [`util::PodFacts`]: replicas in
//!    ordinal order (delete Failed, create claims then pod, fix identity /
//!    storage / claim owners), claim owners of condemned pods, scale-down from
//!    the highest ordinal, then the rolling update. OrderedReady stops at the
//!    first step that must wait; Parallel runs each phase in slow-start batches;
//! 5. status last, written only when it differs; then history truncation.
//!
//! Reads: caches only (plus the uncached re-read of the set before an
//! adoption). Writes: the [`ApiClient`]. Decisions never depend on hash order:
//! pods are placed by ordinal, revisions sorted by number.

mod memo;
pub mod util;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;

use super::claim::{recheck_deletion_timestamp, ControllerRefManager};
use super::client::ApiClient;
use super::controller::Enqueuer;
use super::history::{self, UpdatePlan};
use super::replicaset::ORPHAN_POD_INDEX;
use super::{Action, Ctx, ReconcileError, Reconciler, Result};
use crate::api::apps::StatefulSetStatus;
use crate::api::pod::{Pod, PodPhase, PodTemplateSpec};
use crate::api::selector::label_selector_as_selector;
use crate::api::{ControllerRevision, Kind, OwnerReference, PersistentVolumeClaim, Selector, StatefulSet, Time};
use crate::clock::Clock;
use crate::informer::key::split_key;
use crate::informer::{Cache, EventHandler, SharedInformerFactory};
use crate::store::{Client, DeleteOptions};
use crate::workqueue::ItemId;
use memo::{Dirty, PodMemo};
use util::{Counts, PodFacts, Policy, Retention, Step};

/// The caches a StatefulSet controller reads.
struct Caches {
    sets: Arc<Cache<StatefulSet>>,
    pods: Arc<Cache<Pod>>,
    claims: Arc<Cache<PersistentVolumeClaim>>,
    revisions: Arc<Cache<ControllerRevision>>,
}

/// A set's revision data and its hash, valid for one (uid, generation, collisionCount).
struct RevisionMemo {
    uid: String,
    generation: i64,
    collision_count: i32,
    data: Arc<serde_json::Value>,
    /// `hash_revision(data, collision_count)`.
    hash: Arc<str>,
}

/// The StatefulSet [`Reconciler`], generic over its client (`store::Client`, or a `FakeClient` in tests).
pub struct StatefulSetController<C = Client> {
    client: C,
    clock: Arc<dyn Clock>,
    caches: OnceLock<Caches>,
    /// Revision data by set queue id.
    memos: Mutex<HashMap<ItemId, RevisionMemo>>,
    /// The pods each set's last sync placed, by set queue id.
    pod_memos: Mutex<HashMap<ItemId, PodMemo>>,
    /// Pods changed since each set's last sync (filled by the pod handlers).
    dirty: Mutex<HashMap<ItemId, Dirty>>,
    /// MaxUnavailableStatefulSet (alpha in 1.28, off by default).
    max_unavailable_gate: bool,
}

impl<C> fmt::Debug for StatefulSetController<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatefulSetController")
            .field("registered", &self.caches.get().is_some())
            .field("max_unavailable_gate", &self.max_unavailable_gate)
            .finish_non_exhaustive()
    }
}

/// What one sync works on: the set, its pods placed by ordinal, its revisions.
struct Sync<'a> {
    set: &'a StatefulSet,
    key: &'a str,
    /// In-range slots, by ordinal − start (`None`: missing).
    replicas: &'a [Option<Arc<Pod>>],
    /// Out-of-range pods with a valid ordinal, descending ordinal.
    condemned: &'a [Arc<Pod>],
    current: Arc<ControllerRevision>,
    update: Arc<ControllerRevision>,
    retention: Retention,
}

impl<C: ApiClient> StatefulSetController<C> {
    /// A controller writing through `client`; it reads the StatefulSet, Pod,
    /// PersistentVolumeClaim and ControllerRevision caches of the informers it is registered with.
    pub fn new(client: C, clock: Arc<dyn Clock>) -> Self {
        StatefulSetController {
            client,
            clock,
            caches: OnceLock::new(),
            memos: Mutex::new(HashMap::new()),
            pod_memos: Mutex::new(HashMap::new()),
            dirty: Mutex::new(HashMap::new()),
            max_unavailable_gate: false,
        }
    }

    /// Turns the MaxUnavailableStatefulSet feature gate on or off (default off, as in 1.28).
    pub fn with_max_unavailable(mut self, on: bool) -> Self {
        self.max_unavailable_gate = on;
        self
    }

    pub fn client(&self) -> &C {
        &self.client
    }

    fn caches(&self) -> &Caches {
        self.caches.get().expect("a StatefulSetController reads caches only once registered")
    }

    /// The set's revision data and hash for `collision_count`, serialised once per (uid, generation, collisionCount).
    fn revision_data(&self, id: ItemId, set: &StatefulSet, collision_count: i32) -> (Arc<serde_json::Value>, Arc<str>) {
        let mut memos = self.memos.lock();
        if let Some(m) = memos.get(&id) {
            let m_fits = m.uid == set.metadata.uid && m.generation == set.metadata.generation && m.generation != 0;
            if m_fits && m.collision_count == collision_count {
                return (Arc::clone(&m.data), Arc::clone(&m.hash));
            }
        }
        let data = Arc::new(util::revision_data(&set.spec.template));
        let hash: Arc<str> = history::hash_revision(&data, Some(collision_count)).into();
        let memo = RevisionMemo {
            uid: set.metadata.uid.clone(),
            generation: set.metadata.generation,
            collision_count,
            data: Arc::clone(&data),
            hash: Arc::clone(&hash),
        };
        memos.insert(id, memo);
        (data, hash)
    }

    /// The set's pods placed by ordinal with their facts: the last sync's memo
    /// patched with the pods changed since, or (when it may be stale, or pods
    /// need adopting or releasing) claimed afresh from the cache.
    fn pod_memo(&self, id: ItemId, base: &Sync<'_>, selector: &Selector, now: Time) -> Result<PodMemo> {
        let set = base.set;
        let (current, update) = (base.current.metadata.name.as_str(), base.update.metadata.name.as_str());
        let dirty = self.dirty.lock().remove(&id).unwrap_or_default();
        let old = self.pod_memos.lock().remove(&id);
        let facts = |slot: Option<&Arc<Pod>>, ordinal: i32| self.facts(base, slot, ordinal, now);
        let selected = |p: &Pod| util::is_member_of(set, p) && selector.matches(&p.metadata.labels);
        if let Some(mut memo) = old.filter(|m| m.fits(set, current, update)) {
            if !self.orphans(set).iter().any(|p| selected(p)) && self.patch(&mut memo, set, dirty, &selected, facts) {
                return Ok(memo);
            }
        }
        let pods = self.claim_pods(set, selector)?;
        Ok(PodMemo::build(set, current, update, &pods, facts))
    }

    /// Patches `memo` with the pods named in `dirty`; `false` when a rebuild is needed (a pod to release).
    fn patch(
        &self,
        memo: &mut PodMemo,
        set: &StatefulSet,
        dirty: Dirty,
        selected: &impl Fn(&Pod) -> bool,
        mut facts: impl FnMut(Option<&Arc<Pod>>, i32) -> PodFacts,
    ) -> bool {
        let pods = &self.caches().pods;
        let mut names = dirty.names;
        names.sort_unstable();
        names.dedup();
        for name in names {
            let pod = pods.get_ns_name(&set.metadata.namespace, &name);
            let ours = pod.filter(|p| p.metadata.controller_ref().is_some_and(|r| r.uid == set.metadata.uid));
            if ours.as_ref().is_some_and(|p| !selected(p)) {
                return false;
            }
            if !memo.patch(set, &name, ours, &mut facts) {
                return false;
            }
        }
        true
    }

    /// Pods of the set's namespace without a controller.
    fn orphans(&self, set: &StatefulSet) -> Vec<Arc<Pod>> {
        let pods = &self.caches().pods;
        match pods.try_by_index(ORPHAN_POD_INDEX, &set.metadata.namespace) {
            Ok(o) => o,
            Err(_) => pods
                .by_namespace(&set.metadata.namespace)
                .into_iter()
                .filter(|p| p.metadata.controller_ref().is_none())
                .collect(),
        }
    }

    /// `getPodsForStatefulSet`: pods it controls and orphans of its namespace,
    /// claimed for pods whose name parses as `<set>-<ordinal>` and that the selector selects.
    fn claim_pods(&self, set: &StatefulSet, selector: &Selector) -> Result<Vec<Arc<Pod>>> {
        let pods = &self.caches().pods;
        let owned = pods.by_owner(&set.metadata.uid);
        let orphans = self.orphans(set);
        let selected = |p: &Pod| util::is_member_of(set, p) && selector.matches(&p.metadata.labels);
        let adoptable = orphans.iter().any(|p| selected(p));
        if !adoptable && owned.iter().all(|p| selected(p)) {
            return Ok(owned); // nothing to adopt or release
        }
        let recheck = || recheck_deletion_timestamp::<StatefulSet>(&self.client, &set.metadata);
        let mut manager = ControllerRefManager::new(&self.client, &set.metadata, Kind::StatefulSet, recheck);
        let (claimed, errors) = manager.claim(owned.into_iter().chain(orphans), selected);
        ReconcileError::aggregate(errors).map_or(Ok(claimed), Err)
    }

    /// `getStatefulSetRevisions`: (current, update, collisionCount), creating or renumbering the update revision.
    fn set_revisions(
        &self,
        id: ItemId,
        set: &StatefulSet,
        revisions: &[Arc<ControllerRevision>],
        key: &str,
    ) -> Result<(Arc<ControllerRevision>, Arc<ControllerRevision>, i32)> {
        let mut collision_count = set.status.collision_count.unwrap_or(0);
        let (data, hash) = self.revision_data(id, set, collision_count);
        let api = |e| ReconcileError::api(key, e);
        // Fast path: the newest revision is this set's template under the name it would get now.
        if let Some(last) = revisions.last() {
            let n = set.metadata.name.len().min(history::MAX_PREFIX_LEN);
            let named = last.metadata.name.len() == n + 1 + hash.len()
                && set.metadata.name.get(..n).is_some_and(|p| last.metadata.name.starts_with(p))
                && last.metadata.name.ends_with(&*hash)
                && last.metadata.name.as_bytes()[n] == b'-';
            if named && last.data == *data {
                let update = Arc::clone(last);
                return Ok((self.current_of(set, revisions, &update), update, collision_count));
            }
        }
        let labels = &set.spec.template.metadata.labels;
        let next = history::next_revision(revisions);
        let mut candidate = history::new_revision(
            &set.metadata,
            Kind::StatefulSet,
            labels,
            (*data).clone(),
            next,
            Some(collision_count),
        );
        candidate.metadata.annotations.clone_from(&set.metadata.annotations);
        let update = match history::plan_update_revision(revisions, &candidate) {
            UpdatePlan::Latest(i) => Arc::clone(&revisions[i]),
            UpdatePlan::Renumber(i, n) => {
                history::update_revision_number(&self.client, &revisions[i], n).map_err(api)?
            }
            UpdatePlan::Create => {
                history::create_revision(&self.client, &set.metadata, &candidate, &mut collision_count).map_err(api)?
            }
        };
        Ok((self.current_of(set, revisions, &update), update, collision_count))
    }

    fn current_of(
        &self,
        set: &StatefulSet,
        revisions: &[Arc<ControllerRevision>],
        update: &Arc<ControllerRevision>,
    ) -> Arc<ControllerRevision> {
        revisions
            .iter()
            .find(|r| r.metadata.name == set.status.current_revision)
            .map_or_else(|| Arc::clone(update), Arc::clone)
    }

    /// The cached claim of `name` in the set's namespace.
    fn claim(&self, set: &StatefulSet, name: &str) -> Option<Arc<PersistentVolumeClaim>> {
        self.caches().claims.get_ns_name(&set.metadata.namespace, name)
    }

    /// `ClaimsMatchRetentionPolicy`: every existing claim of the pod has the owner references the policy wants.
    fn claims_match(&self, s: &Sync<'_>, pod: &Pod) -> bool {
        let ordinal = util::ordinal_of(pod);
        let in_range = util::in_ordinal_range(ordinal, s.set);
        s.set.spec.volume_claim_templates.iter().all(|t| {
            let name = util::claim_name(&t.metadata.name, &s.set.metadata.name, ordinal);
            self.claim(s.set, &name)
                .is_none_or(|c| util::claim_owner_matches(&c, s.retention, &s.set.metadata, &pod.metadata, in_range))
        })
    }

    /// The facts of one slot.
    fn facts(&self, s: &Sync<'_>, slot: Option<&Arc<Pod>>, ordinal: i32, now: Time) -> PodFacts {
        let has_claims = !s.set.spec.volume_claim_templates.is_empty();
        let stale = |uid: &str| {
            has_claims
                && s.retention.delete_when_scaled
                && util::claims_for(s.set, ordinal).iter().any(|c| {
                    self.claim(s.set, &c.metadata.name).is_some_and(|stored| {
                        util::has_stale_owner_ref(&stored, &util::pod_name(&s.set.metadata.name, ordinal), uid)
                    })
                })
        };
        let new_at_update =
            !util::uses_current_revision(s.set, ordinal) || s.current.metadata.name == s.update.metadata.name;
        let Some(pod) = slot else {
            return PodFacts { stale_claims: stale(""), ..PodFacts::missing(new_at_update) };
        };
        let phase = pod.status.phase;
        let failed = phase == Some(PodPhase::Failed);
        let running_ready = phase == Some(PodPhase::Running) && pod.is_ready();
        let min_ready = s.set.spec.min_ready_seconds.unwrap_or(0);
        let revision = util::pod_revision(pod);
        PodFacts {
            created: true,
            failed,
            pending: matches!(phase, None | Some(PodPhase::Pending)),
            terminating: pod.metadata.deletion_timestamp.is_some(),
            running_ready,
            available: running_ready && pod.is_available(min_ready, now),
            consistent: util::identity_matches(s.set, pod)
                && util::storage_matches(s.set, pod)
                && (!has_claims || self.claims_match(s, pod)),
            stale_claims: failed && stale(""),
            current: revision == s.current.metadata.name,
            updated: revision == s.update.metadata.name,
            new_at_update,
        }
    }

    /// `createPersistentVolumeClaims`: creates the pod's claims missing from the cache.
    fn create_claims(&self, s: &Sync<'_>, ordinal: i32) -> Result<()> {
        let mut errors = Vec::new();
        for claim in util::claims_for(s.set, ordinal) {
            match self.claim(s.set, &claim.metadata.name) {
                None => {
                    let name = claim.metadata.name.clone();
                    if let Err(e) = self.client.create(claim) {
                        errors.push(ReconcileError::failed(s.key, format!("failed to create PVC {name}: {e}")));
                    }
                }
                Some(c) if c.metadata.deletion_timestamp.is_some() => {
                    errors.push(ReconcileError::failed(s.key, format!("pvc {} is being deleted", c.metadata.name)));
                }
                Some(_) => {}
            }
        }
        ReconcileError::aggregate(errors).map_or(Ok(()), Err)
    }

    /// `UpdatePodClaimForRetentionPolicy`: fixes the owner references of the pod's cached claims.
    fn update_claims_for_retention(&self, s: &Sync<'_>, pod: &Pod) -> Result<()> {
        let ordinal = util::ordinal_of(pod);
        let in_range = util::in_ordinal_range(ordinal, s.set);
        for t in &s.set.spec.volume_claim_templates {
            let name = util::claim_name(&t.metadata.name, &s.set.metadata.name, ordinal);
            let Some(stored) = self.claim(s.set, &name) else { continue };
            if util::claim_owner_matches(&stored, s.retention, &s.set.metadata, &pod.metadata, in_range) {
                continue;
            }
            let mut claim = (*stored).clone();
            if util::update_claim_owner_refs(&mut claim, s.retention, &s.set.metadata, &pod.metadata, in_range) {
                self.client.update(claim).map_err(|e| {
                    ReconcileError::failed(
                        s.key,
                        format!("could not update claim {name} for delete policy ownerRefs: {e}"),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// The pod for the missing slot at `ordinal`, at the current revision below the partition, else the update revision.
    fn pod_for(&self, s: &Sync<'_>, ordinal: i32) -> Result<Pod> {
        let current = util::uses_current_revision(s.set, ordinal) && s.current.metadata.name != s.update.metadata.name;
        if !current {
            return Ok(util::new_pod(s.set, &s.set.spec.template, ordinal, &s.update.metadata.name));
        }
        let template: PodTemplateSpec = util::revision_template(&s.current).ok_or_else(|| {
            ReconcileError::failed(s.key, format!("revision {} holds no pod template", s.current.metadata.name))
        })?;
        Ok(util::new_pod(s.set, &template, ordinal, &s.current.metadata.name))
    }

    /// `CreateStatefulPod`: claims first, then the pod, then claim owner references.
    fn create_pod(&self, s: &Sync<'_>, ordinal: i32) -> Result<()> {
        let pod = self.pod_for(s, ordinal)?;
        self.create_claims(s, ordinal)?;
        self.client.create(pod.clone()).map_err(|e| ReconcileError::api(s.key, e))?;
        self.update_claims_for_retention(s, &pod)
    }

    fn delete_pod(&self, s: &Sync<'_>, pod: &Pod) -> Result<()> {
        let m = &pod.metadata;
        self.client
            .delete::<Pod>(&m.namespace, &m.name, &DeleteOptions::default())
            .map(drop)
            .map_err(|e| ReconcileError::api(s.key, e))
    }

    /// `UpdateStatefulPod`: identity, storage (creating missing claims) and claim owners; one pod write if needed.
    fn fix_pod(&self, s: &Sync<'_>, stored: &Pod) -> Result<()> {
        let mut pod = stored.clone();
        for attempt in 0..2 {
            let mut consistent = true;
            if !util::identity_matches(s.set, &pod) {
                util::update_identity(s.set, &mut pod);
                consistent = false;
            }
            if !util::storage_matches(s.set, &pod) {
                util::update_storage(s.set, &mut pod);
                consistent = false;
                self.create_claims(s, util::ordinal_of(&pod))?;
            }
            if !s.set.spec.volume_claim_templates.is_empty() && !self.claims_match(s, &pod) {
                self.update_claims_for_retention(s, &pod)?;
                consistent = false;
            }
            if consistent {
                return Ok(());
            }
            match self.client.update(pod.clone()) {
                Ok(_) => return Ok(()),
                Err(e) if e.is_conflict() && attempt == 0 => {
                    let m = &stored.metadata;
                    pod =
                        (*self.client.get::<Pod>(&m.namespace, &m.name).map_err(|e| ReconcileError::api(s.key, e))?)
                            .clone();
                }
                Err(e) => return Err(ReconcileError::api(s.key, e)),
            }
        }
        Ok(())
    }

    /// Runs one step; `effects` records what the status must know.
    fn run_step(&self, s: &Sync<'_>, step: Step, effects: &Mutex<Effects>) -> Result<()> {
        let start = util::start_ordinal(s.set);
        let ordinal = |i: usize| start + i32::try_from(i).unwrap_or(i32::MAX);
        match step {
            Step::DeleteFailed(i) => {
                let pod = s.replicas[i].as_ref().expect("a failed pod exists");
                self.delete_pod(s, pod)?;
                effects.lock().failed_deleted.push(i);
                Ok(())
            }
            Step::Create(i) => self.create_pod(s, ordinal(i)),
            Step::CreateMissingClaims(i) => {
                let pod = s.replicas[i].as_ref().expect("a pending pod exists");
                self.create_claims(s, ordinal(i))?;
                self.update_claims_for_retention(s, pod)
            }
            Step::Fix(i) => self.fix_pod(s, s.replicas[i].as_ref().expect("an inconsistent pod exists")),
            Step::FixCondemnedClaims(j) => self.update_claims_for_retention(s, &s.condemned[j]),
            Step::DeleteCondemned(j) => self.delete_pod(s, &s.condemned[j]),
            Step::DeleteForUpdate(i) => {
                let pod = s.replicas[i].as_ref().expect("an outdated pod exists");
                match self.delete_pod(s, pod) {
                    Err(ReconcileError::Api { source, .. }) if source.is_not_found() => {}
                    other => other?,
                }
                effects.lock().update_deleted += 1;
                Ok(())
            }
        }
    }

    /// Executes a plan phase by phase; the first error ends it.
    fn execute(&self, s: &Sync<'_>, plan: &util::Plan, monotonic: bool, effects: &Mutex<Effects>) -> Result<()> {
        for phase in &plan.phases {
            if monotonic {
                for step in phase.units.iter().flat_map(|(_, u)| u) {
                    self.run_step(s, *step, effects)?;
                }
                continue;
            }
            let mut units = phase.units.iter().peekable();
            let mut end = 0;
            for batch in util::parallel_batches(phase.len) {
                end += batch;
                let mut errors = Vec::new();
                while let Some((_, unit)) = units.next_if(|(i, _)| *i < end) {
                    if let Err(e) = unit.iter().try_for_each(|step| self.run_step(s, *step, effects)) {
                        errors.push(e);
                    }
                }
                if let Some(e) = ReconcileError::aggregate(errors) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// `UpdateStatefulSet`: revisions, the plan, status, history truncation.
    fn update_stateful_set(&self, id: ItemId, set: &StatefulSet, selector: &Selector, key: &str) -> Result<Action> {
        let caches = self.caches();
        let recheck = || recheck_deletion_timestamp::<StatefulSet>(&self.client, &set.metadata);
        let mut revisions = history::claim_revisions(
            &self.client,
            &caches.revisions,
            &set.metadata,
            Kind::StatefulSet,
            selector,
            recheck,
        )?;
        history::sort_revisions(&mut revisions);
        let (current, update, collision_count) = self.set_revisions(id, set, &revisions, key)?;

        let now = self.clock.now();
        let base = Sync {
            set,
            key,
            replicas: &[],
            condemned: &[],
            current: Arc::clone(&current),
            update: Arc::clone(&update),
            retention: Retention::of(set),
        };
        let memo = self.pod_memo(id, &base, selector, now)?;
        let s = Sync { replicas: &memo.replicas, condemned: &memo.condemned, ..base };
        let (replica_facts, condemned_facts) = (&memo.facts, &memo.condemned_facts);

        let effects = Mutex::new(Effects::default());
        let monotonic = util::is_monotonic(set);
        let result = if set.metadata.deletion_timestamp.is_some() {
            Ok(())
        } else {
            let max_unavailable = match self.max_unavailable_gate {
                false => None,
                true => {
                    let value = set.spec.update_strategy.as_ref().and_then(|s| s.rolling_update.as_ref());
                    let value = value.and_then(|r| r.max_unavailable.as_ref());
                    Some(
                        util::max_unavailable(value, util::replicas(set))
                            .map_err(|e| ReconcileError::failed(key, e.to_string()))?,
                    )
                }
            };
            let policy = Policy {
                monotonic,
                on_delete: util::is_on_delete(set),
                partition: util::partition(set),
                max_unavailable,
                has_claims: !set.spec.volume_claim_templates.is_empty(),
            };
            let plan = util::plan(replica_facts, condemned_facts, &policy);
            self.execute(&s, &plan, monotonic, &effects)
        };

        let effects = effects.into_inner();
        let counts = if set.metadata.deletion_timestamp.is_some() {
            let all: Vec<PodFacts> = memo.pods().map(|p| self.facts(&s, Some(p), util::ordinal_of(p), now)).collect();
            Counts::of(&all)
        } else {
            let mut c = Counts::of(replica_facts.iter().chain(condemned_facts));
            for &i in &effects.failed_deleted {
                // A deleted Failed pod counts as the (not yet created) pod that replaces it.
                c = c.minus(Counts::of([&replica_facts[i]])).plus(Counts::of([&PodFacts::missing(true)]));
            }
            c.current -= effects.update_deleted;
            c
        };
        let status = util::compute_status(set, counts, &current.metadata.name, &update.metadata.name, collision_count);
        let written = self.update_status(set, &status, key);
        let truncated = self.truncate_history(set, &memo, &revisions, &current, &update, key);
        self.pod_memos.lock().insert(id, memo);
        result?;
        written?;
        truncated?;
        let min_ready = set.spec.min_ready_seconds.unwrap_or(0);
        if min_ready > 0 && status.available_replicas != util::replicas(set) {
            return Ok(Action::RequeueAfter(Duration::from_secs(u64::try_from(min_ready).unwrap_or(0))));
        }
        Ok(Action::Done)
    }

    /// `updateStatefulSetStatus`: writes `status` unless nothing written changed; retries on Conflict.
    fn update_status(&self, set: &StatefulSet, status: &StatefulSetStatus, key: &str) -> Result<()> {
        if !util::status_changed(set, status) {
            return Ok(());
        }
        let mut next = set.clone();
        for attempt in 1..=util::STATUS_UPDATE_ATTEMPTS {
            next.status = status.clone();
            match self.client.update_status(next) {
                Ok(_) => return Ok(()),
                Err(e) if e.is_conflict() && attempt < util::STATUS_UPDATE_ATTEMPTS => {
                    let m = &set.metadata;
                    next = (*self
                        .client
                        .get::<StatefulSet>(&m.namespace, &m.name)
                        .map_err(|e| ReconcileError::api(key, e))?)
                    .clone();
                }
                Err(e) => return Err(ReconcileError::api(key, e)),
            }
        }
        Ok(())
    }

    /// `truncateHistory`: deletes the oldest non-live revisions beyond `revisionHistoryLimit`.
    fn truncate_history(
        &self,
        set: &StatefulSet,
        memo: &PodMemo,
        revisions: &[Arc<ControllerRevision>],
        current: &ControllerRevision,
        update: &ControllerRevision,
        key: &str,
    ) -> Result<()> {
        let limit = set.spec.revision_history_limit.unwrap_or(10);
        if revisions.len() <= usize::try_from(limit).unwrap_or(0) {
            return Ok(()); // cannot exceed the limit: skip building the live set
        }
        let mut live: HashSet<&str> = memo.pods().map(|p| util::pod_revision(p)).collect();
        live.insert(&current.metadata.name);
        live.insert(&update.metadata.name);
        for r in history::revisions_to_truncate(revisions, &live, limit) {
            history::delete_revision(&self.client, r).map_err(|e| ReconcileError::api(key, e))?;
        }
        Ok(())
    }

    /// The set that `r` (a pod's controller reference) names, if it is cached with that uid.
    fn resolve(&self, namespace: &str, r: &OwnerReference) -> Option<Arc<StatefulSet>> {
        if r.kind != Kind::StatefulSet.as_str() {
            return None;
        }
        self.caches().sets.get_ns_name(namespace, &r.name).filter(|s| s.metadata.uid == r.uid)
    }

    /// `getPodStatefulSets`: sets of the pod's namespace whose (non-empty) selector selects it, by name.
    fn selecting(&self, pod: &Pod) -> Vec<Arc<StatefulSet>> {
        let labels = &pod.metadata.labels;
        if labels.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<Arc<StatefulSet>> = self
            .caches()
            .sets
            .by_namespace(&pod.metadata.namespace)
            .into_iter()
            .filter(|s| s.spec.selector.as_ref().is_some_and(|sel| !sel.is_empty() && sel.matches(labels)))
            .collect();
        out.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        out
    }
}

/// What executed steps changed that the status must reflect.
#[derive(Default)]
struct Effects {
    /// Replica indexes whose Failed pod was deleted (counted as missing).
    failed_deleted: Vec<usize>,
    /// Pods deleted for the rolling update (`status.currentReplicas--` each).
    update_deleted: i32,
}

impl<C: ApiClient> Reconciler for StatefulSetController<C> {
    fn name(&self) -> &'static str {
        "statefulset"
    }

    fn reconcile(&self, key: &str, ctx: &Ctx<'_>) -> Result<Action> {
        let (namespace, name) = split_key(key);
        let Some(set) = self.caches().sets.get_ns_name(namespace, name) else {
            self.memos.lock().remove(&ctx.id);
            self.pod_memos.lock().remove(&ctx.id);
            self.dirty.lock().remove(&ctx.id);
            return Ok(Action::Done);
        };
        // A non-transient error: apps/v1 selectors are immutable, retrying cannot help.
        let Ok(selector) = label_selector_as_selector(set.spec.selector.as_ref()) else {
            return Ok(Action::Done);
        };
        self.update_stateful_set(ctx.id, &set, &selector, key)
    }

    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        let pods = informers.informer::<Pod>();
        // Shared with the ReplicaSet controller (same name, same function): already there is fine.
        let _ = pods.add_index(ORPHAN_POD_INDEX, |p: &Pod| match p.metadata.controller_ref() {
            None if !p.metadata.namespace.is_empty() => vec![p.metadata.namespace.clone()],
            _ => Vec::new(),
        });
        let revisions = informers.informer::<ControllerRevision>();
        history::register_orphan_index(&revisions);
        let sets = informers.informer::<StatefulSet>();
        let claims = informers.informer::<PersistentVolumeClaim>();
        let caches = Caches {
            sets: Arc::clone(sets.cache()),
            pods: Arc::clone(pods.cache()),
            claims: Arc::clone(claims.cache()),
            revisions: Arc::clone(revisions.cache()),
        };
        assert!(self.caches.set(caches).is_ok(), "a StatefulSetController is registered once");
        let handlers = Arc::new(Handlers { ssc: Arc::clone(self), queue });
        sets.add_event_handler(handlers.clone());
        pods.add_event_handler(handlers);
    }
}

/// Maps StatefulSet and Pod events to set keys (`addStatefulset` … `deletePod`).
struct Handlers<C> {
    ssc: Arc<StatefulSetController<C>>,
    queue: Enqueuer,
}

impl<C: ApiClient> Handlers<C> {
    fn enqueue(&self, set: &StatefulSet) -> ItemId {
        self.queue.add_ns_name(&set.metadata.namespace, &set.metadata.name)
    }

    /// The set controlling `pod`, if cached; marks the pod changed for that set's memo.
    fn controller_of(&self, pod: &Pod) -> Option<Arc<StatefulSet>> {
        let set = pod.metadata.controller_ref().and_then(|r| self.ssc.resolve(&pod.metadata.namespace, r))?;
        let id = self.queue.intern_ns_name(&set.metadata.namespace, &set.metadata.name);
        self.ssc.dirty.lock().entry(id).or_default().names.push(pod.metadata.name.clone());
        Some(set)
    }
}

impl<C: ApiClient> EventHandler<StatefulSet> for Handlers<C> {
    fn on_add(&self, set: &Arc<StatefulSet>) {
        self.enqueue(set);
    }

    fn on_update(&self, _old: &Arc<StatefulSet>, cur: &Arc<StatefulSet>) {
        self.enqueue(cur);
    }

    fn on_delete(&self, set: &Arc<StatefulSet>) {
        self.enqueue(set);
    }
}

impl<C: ApiClient> EventHandler<Pod> for Handlers<C> {
    fn on_add(&self, pod: &Arc<Pod>) {
        if pod.metadata.deletion_timestamp.is_some() {
            self.on_delete(pod); // seen for the first time already terminating
            return;
        }
        if pod.metadata.controller_ref().is_some() {
            if let Some(set) = self.controller_of(pod) {
                self.enqueue(&set);
            }
            return;
        }
        for set in self.ssc.selecting(pod) {
            self.enqueue(&set);
        }
    }

    fn on_update(&self, old: &Arc<Pod>, cur: &Arc<Pod>) {
        if old.metadata.resource_version == cur.metadata.resource_version {
            return; // a resync: nothing changed
        }
        let labels_changed = old.metadata.labels != cur.metadata.labels;
        let (old_ref, cur_ref) = (old.metadata.controller_ref(), cur.metadata.controller_ref());
        let ref_changed = old_ref != cur_ref;
        if ref_changed {
            if let Some(set) = self.controller_of(old) {
                self.enqueue(&set);
            }
        }
        if cur_ref.is_some() {
            let Some(set) = self.controller_of(cur) else { return };
            let id = self.enqueue(&set);
            let min_ready = set.spec.min_ready_seconds.unwrap_or(0);
            if min_ready > 0 && !old.is_ready() && cur.is_ready() {
                let secs = u64::try_from(min_ready).unwrap_or(0) + 1;
                self.queue.add_after(id, Duration::from_secs(secs));
            }
            return;
        }
        if labels_changed || ref_changed {
            for set in self.ssc.selecting(cur) {
                self.enqueue(&set);
            }
        }
    }

    fn on_delete(&self, pod: &Arc<Pod>) {
        if let Some(set) = self.controller_of(pod) {
            self.enqueue(&set);
        }
    }
}

#[cfg(test)]
mod tests;
