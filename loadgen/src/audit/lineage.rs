//! Contracts on single writes: names and labels of a Deployment's ReplicaSets, and numbers that only go forward.
//!
//! * `deployment.replicaSetNaming` (SEMANTICS.md §12, Deployment 4): a
//!   ReplicaSet a Deployment controls is created named `<deployment>-<hash>`,
//!   with `pod-template-hash=<hash>` in its labels, its selector and its
//!   template labels.
//! * `deployment.revisionMonotonic` (5): a ReplicaSet's
//!   `deployment.kubernetes.io/revision` never decreases.
//! * `status.observedGeneration` (9): the observedGeneration of a Deployment,
//!   ReplicaSet, StatefulSet or DaemonSet never decreases.
//!
//! State: per object uid its last observedGeneration and revision; O(1) per event.

use std::collections::HashMap;

use kwarp::api::{DaemonSet, Deployment, Kind, ReplicaSet, StatefulSet, Time};
use kwarp::store::{AnyEvent, EventType};

use super::{object_name, Findings, Invariant};
use crate::rollout::{rs_revision, POD_TEMPLATE_HASH};

/// The single-write contracts. See the module doc.
#[derive(Debug, Default)]
pub struct Lineage {
    /// Uid → (observedGeneration, revision).
    seen: HashMap<String, (i64, Option<i64>)>,
}

impl Lineage {
    pub fn new() -> Self {
        Self::default()
    }

    fn naming(rs: &ReplicaSet, ev: &AnyEvent, out: &mut Findings) {
        let Some(owner) = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment") else { return };
        out.checked();
        let hash = rs.metadata.labels.get(POD_TEMPLATE_HASH).map(String::as_str).unwrap_or("");
        let selector = rs.spec.selector.as_ref().and_then(|s| s.match_labels.get(POD_TEMPLATE_HASH));
        let template = rs.spec.template.metadata.labels.get(POD_TEMPLATE_HASH);
        let problem = if hash.is_empty() {
            Some(format!("has no {POD_TEMPLATE_HASH} label"))
        } else if rs.metadata.name != format!("{}-{hash}", owner.name) {
            Some(format!("is not named {}-{hash} after its {POD_TEMPLATE_HASH} label", owner.name))
        } else if selector.map(String::as_str) != Some(hash) || template.map(String::as_str) != Some(hash) {
            Some(format!(
                "{POD_TEMPLATE_HASH} {hash} is not in both its selector ({}) and its template labels ({})",
                selector.map_or("none", String::as_str),
                template.map_or("none", String::as_str)
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            out.violation(
                "deployment.replicaSetNaming",
                object_name("ReplicaSet", &rs.metadata.key()),
                ev.time,
                format!("a ReplicaSet of Deployment {} {p}", owner.name),
            );
        }
    }
}

impl Invariant for Lineage {
    fn names(&self) -> &'static [&'static str] {
        &["deployment.replicaSetNaming", "deployment.revisionMonotonic", "status.observedGeneration"]
    }

    fn observe(&mut self, ev: &AnyEvent, out: &mut Findings) {
        let any = ev.object.as_any();
        let (observed, revision) = match ev.kind {
            Kind::Deployment => (any.downcast_ref::<Deployment>().map(|d| d.status.observed_generation), None),
            Kind::StatefulSet => (any.downcast_ref::<StatefulSet>().map(|s| s.status.observed_generation), None),
            Kind::DaemonSet => (any.downcast_ref::<DaemonSet>().map(|d| d.status.observed_generation), None),
            Kind::ReplicaSet => match any.downcast_ref::<ReplicaSet>() {
                Some(rs) => {
                    if ev.type_ == EventType::Added {
                        Lineage::naming(rs, ev, out);
                    }
                    (Some(rs.status.observed_generation), rs_revision(rs))
                }
                None => (None, None),
            },
            _ => return,
        };
        let Some(observed) = observed else { return };
        let meta = ev.object.meta();
        if ev.type_ == EventType::Deleted {
            self.seen.remove(&meta.uid);
            return;
        }
        let what = || object_name(ev.kind.as_str(), &meta.key());
        if let Some((old_observed, old_revision)) = self.seen.insert(meta.uid.clone(), (observed, revision)) {
            out.checked();
            if observed < old_observed {
                out.violation(
                    "status.observedGeneration",
                    what(),
                    ev.time,
                    format!("status.observedGeneration went back from {old_observed} to {observed}"),
                );
            }
            if let (Some(old), Some(new)) = (old_revision, revision) {
                out.checked();
                if new < old {
                    out.violation(
                        "deployment.revisionMonotonic",
                        what(),
                        ev.time,
                        format!("deployment.kubernetes.io/revision went back from {old} to {new}"),
                    );
                }
            }
        }
    }

    fn settle(&mut self, _now: Time, _next: Option<Time>, _out: &mut Findings) {}
}
