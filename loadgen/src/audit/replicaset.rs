//! ReplicaSet contracts (SEMANTICS.md §12, ReplicaSet 13).
//!
//! * `replicaset.status` — on every ReplicaSet write: `0 ≤ availableReplicas ≤
//!   readyReplicas ≤ replicas`.
//! * `replicaset.converged` — at the end of every instant, when instants are
//!   quiescent (the virtual clock), for every ReplicaSet that changed or whose
//!   pods changed, that is not being deleted and has observed its generation:
//!   its active pods (owned through the controller reference, neither terminal
//!   nor terminating) number `spec.replicas`, and `status.replicas` counts them.
//!
//! State: per ReplicaSet its figures and active-pod count; per pod its
//! ReplicaSet and whether it is active.

use std::collections::HashMap;

use kwarp::api::{Kind, Pod, ReplicaSet, Time};
use kwarp::store::{AnyEvent, EventType};

use super::{object_name, Findings, Invariant};

#[derive(Default)]
struct Rs {
    key: String,
    known: bool,
    spec: i64,
    status_replicas: i64,
    /// observedGeneration ≥ generation and not being deleted.
    settled_spec: bool,
    active: i64,
    dirty: bool,
}

/// The ReplicaSet contracts. See the module doc.
#[derive(Default)]
pub struct ReplicaSetContracts {
    /// By uid.
    replica_sets: HashMap<String, Rs>,
    /// Pod uid → (ReplicaSet uid, active).
    pods: HashMap<String, (String, bool)>,
    dirty: Vec<String>,
}

impl std::fmt::Debug for ReplicaSetContracts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaSetContracts").field("replica_sets", &self.replica_sets.len()).finish_non_exhaustive()
    }
}

impl ReplicaSetContracts {
    pub fn new() -> Self {
        Self::default()
    }

    fn mark(&mut self, uid: &str) {
        let rs = self.replica_sets.entry(uid.to_string()).or_default();
        if !rs.dirty {
            rs.dirty = true;
            self.dirty.push(uid.to_string());
        }
    }

    fn replica_set(&mut self, ev: &AnyEvent, out: &mut Findings) {
        let Some(rs) = ev.object.as_any().downcast_ref::<ReplicaSet>() else { return };
        let uid = rs.metadata.uid.clone();
        if ev.type_ == EventType::Deleted {
            if let Some(e) = self.replica_sets.get_mut(&uid) {
                e.known = false;
                if e.active == 0 && !e.dirty {
                    self.replica_sets.remove(&uid);
                }
            }
            return;
        }
        let s = &rs.status;
        out.checked();
        if !(0 <= s.available_replicas && s.available_replicas <= s.ready_replicas && s.ready_replicas <= s.replicas) {
            out.violation(
                "replicaset.status",
                object_name("ReplicaSet", &rs.metadata.key()),
                ev.time,
                format!(
                    "status availableReplicas {} ≤ readyReplicas {} ≤ replicas {} does not hold",
                    s.available_replicas, s.ready_replicas, s.replicas
                ),
            );
        }
        self.mark(&uid);
        let e = self.replica_sets.entry(uid).or_default();
        if e.key.is_empty() {
            e.key = rs.metadata.key();
        }
        e.known = true;
        e.spec = i64::from(rs.spec.replicas.unwrap_or(1));
        e.status_replicas = i64::from(s.replicas);
        e.settled_spec = rs.metadata.deletion_timestamp.is_none() && s.observed_generation >= rs.metadata.generation;
    }

    fn pod(&mut self, ev: &AnyEvent) {
        let Some(p) = ev.object.as_any().downcast_ref::<Pod>() else { return };
        let rs_uid = match p.metadata.controller_ref() {
            Some(r) if r.kind == "ReplicaSet" => r.uid.clone(),
            _ => String::new(),
        };
        let active = ev.type_ != EventType::Deleted && p.is_active();
        let (old_rs, old_active) = self.pods.remove(&p.metadata.uid).unwrap_or_default();
        if ev.type_ != EventType::Deleted && !rs_uid.is_empty() {
            self.pods.insert(p.metadata.uid.clone(), (rs_uid.clone(), active));
        }
        if old_rs == rs_uid && old_active == active {
            return;
        }
        if old_active && !old_rs.is_empty() {
            self.mark(&old_rs);
            if let Some(e) = self.replica_sets.get_mut(&old_rs) {
                e.active -= 1;
            }
        }
        if active && !rs_uid.is_empty() {
            self.mark(&rs_uid);
            if let Some(e) = self.replica_sets.get_mut(&rs_uid) {
                e.active += 1;
            }
        }
    }
}

impl Invariant for ReplicaSetContracts {
    fn names(&self) -> &'static [&'static str] {
        &["replicaset.converged", "replicaset.status"]
    }

    fn observe(&mut self, ev: &AnyEvent, out: &mut Findings) {
        match ev.kind {
            Kind::Pod => self.pod(ev),
            Kind::ReplicaSet => self.replica_set(ev, out),
            _ => {}
        }
    }

    fn settle(&mut self, now: Time, _next: Option<Time>, out: &mut Findings) {
        if self.dirty.is_empty() {
            return;
        }
        let quiescent = out.settings().quiescent_instants;
        let mut dirty: Vec<(String, String)> = Vec::with_capacity(self.dirty.len());
        for uid in std::mem::take(&mut self.dirty) {
            let Some(e) = self.replica_sets.get_mut(&uid) else { continue };
            e.dirty = false;
            if !e.known {
                if e.active == 0 {
                    self.replica_sets.remove(&uid);
                }
                continue;
            }
            if quiescent && e.settled_spec {
                dirty.push((e.key.clone(), uid));
            }
        }
        dirty.sort();
        for (key, uid) in dirty {
            let Some(e) = self.replica_sets.get(&uid) else { continue };
            out.checked();
            if e.active != e.spec || e.status_replicas != e.active {
                out.violation(
                    "replicaset.converged",
                    object_name("ReplicaSet", &key),
                    now,
                    format!(
                        "at rest with spec.replicas {}: {} active pods, status.replicas {}",
                        e.spec, e.active, e.status_replicas
                    ),
                );
            }
        }
    }
}
