//! The garbage collector (SEMANTICS §10): deletes objects whose owners are all
//! gone, carries out foreground deletion and orphaning.
//!
//! Hosted as a [`Reconciler`] whose keys are object **uids**: informer handlers
//! on every kind that can own or be owned (`Kind::ALL`) keep a dependency
//! [`Graph`] (owner uid → dependents, never a scan of all objects)
//! and enqueue the uids a change concerns (`GraphBuilder.processGraphChanges`).
//! One queue serves upstream's two (`attemptToDelete`, `attemptToOrphan`):
//! a sync reads the object live and [`plan_item`] says which it is.
//!
//! One sync of uid `u`, top to bottom:
//! 1. `u` not in the graph → done; in a plain (graceful) deletion → done, no read;
//! 2. the latest copy, read live (gone, or another uid → done);
//! 3. orphaning → remove `u` from every dependent's owner references, then the
//!    `orphan` finalizer;
//! 4. foreground deletion → no blocking dependent left: remove
//!    `foregroundDeletion`; else look at the blocking ones (they get deleted);
//! 5. a dependent → classify each owner (absent-owner cache, else a live read
//!    at the owner's location, compared by uid) and apply [`decide_dependent`]:
//!    trim references, or delete with the propagation it names (uid precondition).
//!
//! Failures (a conflict, a refused write) return an error: the key is retried
//! through the rate limiter. Writes go in uid order; nothing depends on hash order.

mod graph;
pub mod util;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::Mutex;

use super::client::ApiClient;
use super::controller::Enqueuer;
use super::{Action, Ctx, ReconcileError, Reconciler, Result};
use crate::api::{
    ControllerRevision, CronJob, DaemonSet, Deployment, Job, Kind, Node, ObjectMeta, PersistentVolumeClaim, Pod,
    ReplicaSet, Resource, Service, StatefulSet,
};
use crate::informer::{EventHandler, SharedInformerFactory};
use crate::store::{Client, DeleteOptions, Propagation, StoreError, FINALIZER_FOREGROUND, FINALIZER_ORPHAN};
pub use graph::{Graph, Node as GraphNode};
use util::{
    classify_owner, decide_dependent, foreground_step, owner_location, plan_item, unblocked, without_finalizer,
    without_references, DependentAction, ForegroundStep, ItemPlan, OwnerLocation, OwnerStatus, ABSENT_OWNER_CACHE_SIZE,
};

/// Runs `$body` with `$t` the Rust type of the runtime kind `$kind`.
macro_rules! with_kind {
    ($kind:expr, $t:ident => $body:expr) => {
        match $kind {
            Kind::Node => {
                type $t = Node;
                $body
            }
            Kind::Pod => {
                type $t = Pod;
                $body
            }
            Kind::Service => {
                type $t = Service;
                $body
            }
            Kind::PersistentVolumeClaim => {
                type $t = PersistentVolumeClaim;
                $body
            }
            Kind::ReplicaSet => {
                type $t = ReplicaSet;
                $body
            }
            Kind::Deployment => {
                type $t = Deployment;
                $body
            }
            Kind::StatefulSet => {
                type $t = StatefulSet;
                $body
            }
            Kind::DaemonSet => {
                type $t = DaemonSet;
                $body
            }
            Kind::ControllerRevision => {
                type $t = ControllerRevision;
                $body
            }
            Kind::Job => {
                type $t = Job;
                $body
            }
            Kind::CronJob => {
                type $t = CronJob;
                $body
            }
        }
    };
}

/// The garbage-collector [`Reconciler`], generic over its client.
pub struct GarbageCollector<C = Client> {
    client: C,
    graph: Mutex<Graph>,
}

impl<C> fmt::Debug for GarbageCollector<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GarbageCollector").field("objects", &self.graph.lock().len()).finish_non_exhaustive()
    }
}

/// An object's identity in the store.
struct Ident {
    kind: Kind,
    namespace: String,
    name: String,
    uid: String,
}

impl<C: ApiClient> GarbageCollector<C> {
    /// A GC writing (and reading live) through `client`.
    pub fn new(client: C) -> Self {
        GarbageCollector { client, graph: Mutex::new(Graph::new(ABSENT_OWNER_CACHE_SIZE)) }
    }

    pub fn client(&self) -> &C {
        &self.client
    }

    /// The dependency graph (for tests and reports; handlers keep it current).
    pub fn graph(&self) -> parking_lot::MutexGuard<'_, Graph> {
        self.graph.lock()
    }

    /// The latest metadata of `kind` `namespace/name`, read live; `None` when not found.
    fn get_meta(&self, kind: Kind, namespace: &str, name: &str) -> std::result::Result<Option<ObjectMeta>, StoreError> {
        let got = with_kind!(kind, T => self.client.get::<T>(namespace, name).map(|o| o.meta().clone()));
        match got {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Patches the metadata of `id` unless the stored object has another uid; not found is fine.
    fn patch_meta(&self, id: &Ident, f: &dyn Fn(&mut ObjectMeta)) -> std::result::Result<(), StoreError> {
        let uid = id.uid.as_str();
        let out = with_kind!(id.kind, T => self.client.patch::<T>(&id.namespace, &id.name, &mut |o: &mut T| {
            if o.meta().uid == uid {
                f(o.meta_mut());
            }
        }).map(drop));
        match out {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// Deletes `id` (uid precondition) with `policy`; not found is fine.
    fn delete(&self, id: &Ident, policy: Propagation) -> std::result::Result<(), StoreError> {
        let opts = DeleteOptions::default().uid(id.uid.clone()).propagation(policy);
        let out = with_kind!(id.kind, T => self.client.delete::<T>(&id.namespace, &id.name, &opts).map(drop));
        match out {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// How the owner reference `r` of a dependent in `namespace` stands (`isDangling`).
    fn owner_status(&self, namespace: &str, r: &crate::api::OwnerReference, key: &str) -> Result<OwnerStatus> {
        let (kind, ns) = match owner_location(namespace, r) {
            OwnerLocation::UnknownKind => {
                return Err(ReconcileError::failed(key, format!("cannot resolve owner kind {:?}", r.kind)))
            }
            OwnerLocation::InvalidNamespace => return Ok(OwnerStatus::Dangling),
            OwnerLocation::At { kind, namespace } => (kind, namespace),
        };
        // Deleted uids are absent everywhere; a failed lookup only for this very reference.
        let reference = format!("{}|{kind}|{ns}|{}", r.uid, r.name);
        if self.graph.lock().is_absent_any(&[&r.uid, &reference]) {
            return Ok(OwnerStatus::Dangling);
        }
        let found = self.get_meta(kind, &ns, &r.name).map_err(|e| ReconcileError::api(key, e))?;
        let status = classify_owner(r, found.as_ref());
        if status == OwnerStatus::Dangling {
            self.graph.lock().mark_absent(&reference);
        }
        Ok(status)
    }

    /// Step 3: drop the references to `owner` from its dependents, then its `orphan` finalizer.
    fn orphan_dependents(&self, owner: &Ident, key: &str) -> Result<Action> {
        let dependents = self.graph.lock().dependent_nodes(&owner.uid);
        let uids = [owner.uid.clone()];
        let mut errors = Vec::new();
        for (uid, n) in dependents {
            let id = Ident { kind: n.kind, namespace: n.namespace, name: n.name, uid };
            let drop_ref = |m: &mut ObjectMeta| m.owner_references = without_references(&m.owner_references, &uids);
            if let Err(e) = self.patch_meta(&id, &drop_ref) {
                errors.push(ReconcileError::api(key, e));
            }
        }
        if let Some(e) = ReconcileError::aggregate(errors) {
            return Err(e);
        }
        self.remove_finalizer(owner, FINALIZER_ORPHAN, key)
    }

    /// Step 4: finish a foreground deletion of `owner`, or look at its blocking dependents.
    fn finish_foreground(&self, owner: &Ident, ctx: &Ctx<'_>, key: &str) -> Result<Action> {
        let step = {
            let g = self.graph.lock();
            let blocking: Vec<(String, bool)> = g
                .blocking_dependents(&owner.uid)
                .into_iter()
                .map(|(uid, n)| {
                    let busy = n.deleting_dependents || n.deletion_in_progress();
                    (uid, busy)
                })
                .collect();
            foreground_step(&blocking)
        };
        match step {
            ForegroundStep::RemoveFinalizer => self.remove_finalizer(owner, FINALIZER_FOREGROUND, key),
            ForegroundStep::Wait { attempt } => {
                for uid in attempt {
                    ctx.queue.add(&uid);
                }
                Ok(Action::Done)
            }
        }
    }

    fn remove_finalizer(&self, id: &Ident, finalizer: &str, key: &str) -> Result<Action> {
        let f = |m: &mut ObjectMeta| m.finalizers = without_finalizer(&m.finalizers, finalizer);
        self.patch_meta(id, &f).map_err(|e| ReconcileError::api(key, e))?;
        Ok(Action::Done)
    }

    /// Step 5: the dependent `id`, whose latest metadata is `m`.
    fn attempt_to_delete(&self, id: &Ident, m: &ObjectMeta, key: &str) -> Result<Action> {
        let mut statuses = Vec::with_capacity(m.owner_references.len());
        for r in &m.owner_references {
            statuses.push(self.owner_status(&m.namespace, r, key)?);
        }
        let facts = self.graph.lock().facts(&id.uid);
        match decide_dependent(m, &statuses, facts) {
            DependentAction::Keep => {}
            DependentAction::RemoveReferences(uids) => {
                let f = |m: &mut ObjectMeta| m.owner_references = without_references(&m.owner_references, &uids);
                self.patch_meta(id, &f).map_err(|e| ReconcileError::api(key, e))?;
            }
            DependentAction::Delete { propagation, unblock_first } => {
                if unblock_first {
                    let f = |m: &mut ObjectMeta| m.owner_references = unblocked(&m.owner_references);
                    self.patch_meta(id, &f).map_err(|e| ReconcileError::api(key, e))?;
                }
                self.delete(id, propagation).map_err(|e| ReconcileError::api(key, e))?;
            }
        }
        Ok(Action::Done)
    }

    /// Subscribes the graph to kind `T`'s informer.
    fn watch<T: Resource>(self: &Arc<Self>, informers: &SharedInformerFactory, queue: &Enqueuer) {
        let h = GraphHandler::<C, T> { gc: Arc::clone(self), queue: queue.clone(), kind: PhantomData };
        informers.informer::<T>().add_event_handler(Arc::new(h));
    }
}

impl<C: ApiClient> Reconciler for GarbageCollector<C> {
    fn name(&self) -> &'static str {
        "garbagecollector"
    }

    fn reconcile(&self, key: &str, ctx: &Ctx<'_>) -> Result<Action> {
        let id = {
            let g = self.graph.lock();
            let Some(n) = g.node(key) else { return Ok(Action::Done) };
            if n.deletion_in_progress() {
                return Ok(Action::Done);
            }
            Ident { kind: n.kind, namespace: n.namespace.clone(), name: n.name.clone(), uid: key.to_string() }
        };
        let latest = self.get_meta(id.kind, &id.namespace, &id.name).map_err(|e| ReconcileError::api(key, e))?;
        let Some(latest) = latest.filter(|m| m.uid == id.uid) else { return Ok(Action::Done) };
        match plan_item(&latest) {
            ItemPlan::Nothing => Ok(Action::Done),
            ItemPlan::OrphanDependents => self.orphan_dependents(&id, key),
            ItemPlan::FinishForeground => self.finish_foreground(&id, ctx, key),
            ItemPlan::CheckOwners => self.attempt_to_delete(&id, &latest, key),
        }
    }

    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        for kind in Kind::ALL {
            with_kind!(kind, T => self.watch::<T>(informers, &queue));
        }
    }
}

/// Feeds one kind's events into the graph and enqueues the uids they concern.
struct GraphHandler<C, T> {
    gc: Arc<GarbageCollector<C>>,
    queue: Enqueuer,
    kind: PhantomData<fn() -> T>,
}

impl<C, T: Resource> GraphHandler<C, T> {
    fn enqueue(&self, uids: Vec<String>) {
        for uid in uids {
            self.queue.add(&uid);
        }
    }
}

impl<C: ApiClient, T: Resource> EventHandler<T> for GraphHandler<C, T> {
    fn on_add(&self, obj: &Arc<T>) {
        let uids = self.gc.graph.lock().observe(T::KIND, obj.meta());
        self.enqueue(uids);
    }

    fn on_update(&self, old: &Arc<T>, new: &Arc<T>) {
        let uids = {
            let mut g = self.gc.graph.lock();
            let mut uids = Vec::new();
            if old.meta().uid != new.meta().uid {
                uids = g.forget(old.meta()); // deleted and re-created under the same name
            }
            uids.extend(g.observe(T::KIND, new.meta()));
            uids
        };
        self.enqueue(uids);
    }

    fn on_delete(&self, obj: &Arc<T>) {
        let uids = self.gc.graph.lock().forget(obj.meta());
        self.enqueue(uids);
    }
}

#[cfg(test)]
mod tests;
