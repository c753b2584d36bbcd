//! The Deployment controller's event handlers: Deployment, ReplicaSet and Pod events mapped to Deployment keys.

use std::sync::Arc;

use super::util::is_recreate;
use super::DeploymentController;
use crate::api::pod::Pod;
use crate::api::{Deployment, Kind, OwnerReference, ReplicaSet};
use crate::controllers::client::ApiClient;
use crate::controllers::controller::Enqueuer;
use crate::informer::EventHandler;

impl<C: ApiClient> DeploymentController<C> {
    /// The Deployment a controller reference names, if cached with that uid.
    fn resolve(&self, namespace: &str, r: &OwnerReference) -> Option<Arc<Deployment>> {
        if r.kind != Kind::Deployment.as_str() {
            return None;
        }
        self.caches().deployments.get_ns_name(namespace, &r.name).filter(|d| d.metadata.uid == r.uid)
    }

    /// Deployments of the RS's namespace whose (non-empty) selector selects it, by name (`getDeploymentsForReplicaSet`).
    fn selecting(&self, rs: &ReplicaSet) -> Vec<Arc<Deployment>> {
        let labels = &rs.metadata.labels;
        if labels.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<Arc<Deployment>> = self
            .caches()
            .deployments
            .by_namespace(&rs.metadata.namespace)
            .into_iter()
            .filter(|d| d.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(labels)))
            .collect();
        out.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        out
    }

    /// The Deployment controlling a pod's ReplicaSet (`getDeploymentForPod`).
    fn deployment_of_pod(&self, pod: &Pod) -> Option<Arc<Deployment>> {
        let r = pod.metadata.controller_ref()?;
        if r.kind != Kind::ReplicaSet.as_str() {
            return None;
        }
        let ns = &pod.metadata.namespace;
        let rs = self.caches().replica_sets.get_ns_name(ns, &r.name).filter(|rs| rs.metadata.uid == r.uid)?;
        self.resolve(ns, rs.metadata.controller_ref()?)
    }

    /// Whether any pod is controlled by an RS this Deployment controls.
    fn has_pods(&self, d: &Deployment) -> bool {
        let c = self.caches();
        c.replica_sets.by_owner(&d.metadata.uid).iter().any(|rs| !c.pods.by_owner(&rs.metadata.uid).is_empty())
    }
}

/// Maps Deployment, ReplicaSet and Pod events to Deployment keys (`addDeployment` … `deletePod`).
pub(super) struct Handlers<C> {
    pub(super) dc: Arc<DeploymentController<C>>,
    pub(super) queue: Enqueuer,
}

impl<C: ApiClient> Handlers<C> {
    fn enqueue(&self, d: &Deployment) {
        self.queue.add_ns_name(&d.metadata.namespace, &d.metadata.name);
    }

    fn enqueue_owner(&self, namespace: &str, r: &OwnerReference) {
        if let Some(d) = self.dc.resolve(namespace, r) {
            self.enqueue(&d);
        }
    }
}

impl<C: ApiClient> EventHandler<Deployment> for Handlers<C> {
    fn on_add(&self, d: &Arc<Deployment>) {
        self.enqueue(d);
    }
    fn on_update(&self, _old: &Arc<Deployment>, cur: &Arc<Deployment>) {
        self.enqueue(cur);
    }
    fn on_delete(&self, d: &Arc<Deployment>) {
        self.enqueue(d);
    }
}

impl<C: ApiClient> EventHandler<ReplicaSet> for Handlers<C> {
    fn on_add(&self, rs: &Arc<ReplicaSet>) {
        if rs.metadata.deletion_timestamp.is_some() {
            self.on_delete(rs);
            return;
        }
        match rs.metadata.controller_ref() {
            Some(r) => self.enqueue_owner(&rs.metadata.namespace, r),
            None => self.dc.selecting(rs).iter().for_each(|d| self.enqueue(d)),
        }
    }

    fn on_update(&self, old: &Arc<ReplicaSet>, cur: &Arc<ReplicaSet>) {
        if old.metadata.resource_version == cur.metadata.resource_version {
            return;
        }
        let (old_ref, cur_ref) = (old.metadata.controller_ref(), cur.metadata.controller_ref());
        let ref_changed = old_ref != cur_ref;
        if ref_changed {
            if let Some(r) = old_ref {
                self.enqueue_owner(&old.metadata.namespace, r);
            }
        }
        match cur_ref {
            Some(r) => self.enqueue_owner(&cur.metadata.namespace, r),
            None if ref_changed || old.metadata.labels != cur.metadata.labels => {
                self.dc.selecting(cur).iter().for_each(|d| self.enqueue(d))
            }
            None => {}
        }
    }

    fn on_delete(&self, rs: &Arc<ReplicaSet>) {
        if let Some(r) = rs.metadata.controller_ref() {
            self.enqueue_owner(&rs.metadata.namespace, r);
        }
    }
}

impl<C: ApiClient> EventHandler<Pod> for Handlers<C> {
    fn on_add(&self, _pod: &Arc<Pod>) {}
    fn on_update(&self, _old: &Arc<Pod>, _cur: &Arc<Pod>) {}

    /// A Recreate Deployment waits for its old pods to be gone: look again when none is left.
    fn on_delete(&self, pod: &Arc<Pod>) {
        let Some(d) = self.dc.deployment_of_pod(pod) else { return };
        if is_recreate(&d) && !self.dc.has_pods(&d) {
            self.enqueue(&d);
        }
    }
}
