//! Deployment RollingUpdate bounds (SEMANTICS.md §12, Deployment 1–2), counted over the pods of the Deployment's ReplicaSets.
//!
//! During a rolling update that started from a fully available state (active
//! pods = ready pods = `R`), at the end of every instant:
//!
//! * `active pods ≤ R + maxSurge` (`deployment.rollingUpdate.surge`),
//! * `available pods ≥ R − maxUnavailable` (`deployment.rollingUpdate.availability`),
//! * `Σ spec.replicas of its ReplicaSets ≤ R + maxSurge` (`deployment.rollingUpdate.specSurge`),
//!
//! with `maxSurge` / `maxUnavailable` resolved as `ResolveFenceposts` does
//! (surge rounded up, unavailable down, `1` unavailable when both are 0,
//! `maxUnavailable ≤ R`). "Active": neither terminal nor terminating.
//! "Available": Ready; with `minReadySeconds > 0` a pod is available only
//! later than it is Ready, so counting Ready pods checks a necessary condition.
//!
//! The bounds are **armed** when the pod template changes while the
//! Deployment is fully available, and stay armed through later template
//! changes (rollovers). They are disarmed — the moments right after the user
//! changed the spec, or when pods fail by themselves — by a change of
//! `replicas`, of the strategy or of `minReadySeconds`, by deletion, by a Ready
//! pod that stops being Ready (or is removed) without the controllers deleting
//! it, and by [`Invariant::disrupt`].
//!
//! State: per Deployment its counters; per ReplicaSet its owner and counters;
//! per pod its ReplicaSet and flags. Every event moves O(1) counters.

use std::collections::HashMap;
use std::sync::Arc;

use kwarp::api::{Deployment, Kind, Pod, ReplicaSet, Time};
use kwarp::store::AnyResource;
use kwarp::store::{AnyEvent, EventType};

use super::{object_name, AuditSettings, Breach, Findings, Invariant};

/// `replicas`, and the resolved fenceposts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub replicas: i32,
    pub max_surge: i32,
    pub max_unavailable: i32,
    pub min_ready_seconds: i32,
}

impl Bounds {
    /// The bounds of a RollingUpdate Deployment (`None` for Recreate or unusable values).
    pub fn of(d: &Deployment) -> Option<Bounds> {
        let r = d.spec.replicas.unwrap_or(1);
        let strategy = d.spec.strategy.as_ref();
        if strategy.is_some_and(|s| !s.type_.is_empty() && s.type_ != "RollingUpdate") {
            return None;
        }
        let ru = strategy.and_then(|s| s.rolling_update.as_ref());
        let surge = match ru.and_then(|u| u.max_surge.as_ref()) {
            Some(v) => v.scaled_value(r, true).ok()?,
            None => 0,
        };
        let mut unavailable = match ru.and_then(|u| u.max_unavailable.as_ref()) {
            Some(v) => v.scaled_value(r, false).ok()?,
            None => 0,
        };
        if surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        let max_unavailable = if r == 0 { 0 } else { unavailable.min(r) };
        Some(Bounds {
            replicas: r,
            max_surge: surge,
            max_unavailable,
            min_ready_seconds: d.spec.min_ready_seconds.unwrap_or(0),
        })
    }
}

/// Active and Ready pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PodCounts {
    active: i64,
    ready: i64,
}

struct Dep {
    key: String,
    object: Arc<dyn AnyResource>,
    bounds: Option<Bounds>,
    armed: bool,
    pods: PodCounts,
    /// Σ spec.replicas of its ReplicaSets.
    spec_sum: i64,
    dirty: bool,
    surge: Breach,
    available: Breach,
    spec_surge: Breach,
}

impl Dep {
    fn deployment(&self) -> &Deployment {
        self.object.as_any().downcast_ref::<Deployment>().unwrap_or_else(|| unreachable!("stored from a Deployment"))
    }
    fn fully_available(&self) -> bool {
        self.bounds
            .is_some_and(|b| self.pods.active == i64::from(b.replicas) && self.pods.ready == i64::from(b.replicas))
    }
}

#[derive(Default)]
struct Rs {
    /// The owning Deployment's uid (empty: none).
    owner: String,
    spec: i64,
    pods: PodCounts,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct PodFlags {
    active: bool,
    ready: bool,
}

/// The Deployment RollingUpdate bounds. See the module doc.
pub struct RollingUpdateBounds {
    settings: AuditSettings,
    /// By uid.
    deployments: HashMap<String, Dep>,
    /// By uid.
    replica_sets: HashMap<String, Rs>,
    /// Pod uid → (its ReplicaSet's uid, flags).
    pods: HashMap<String, (String, PodFlags)>,
    /// Uids of Deployments to evaluate at the end of the instant (`Dep::dirty` set).
    dirty: Vec<String>,
}

impl std::fmt::Debug for RollingUpdateBounds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RollingUpdateBounds").field("deployments", &self.deployments.len()).finish_non_exhaustive()
    }
}

impl RollingUpdateBounds {
    pub fn new(settings: AuditSettings) -> Self {
        RollingUpdateBounds {
            settings,
            deployments: HashMap::new(),
            replica_sets: HashMap::new(),
            pods: HashMap::new(),
            dirty: Vec::new(),
        }
    }

    fn mark(&mut self, dep_uid: &str) {
        if let Some(d) = self.deployments.get_mut(dep_uid) {
            if !d.dirty {
                d.dirty = true;
                self.dirty.push(dep_uid.to_string());
            }
        }
    }

    fn deployment(&mut self, ev: &AnyEvent) {
        let Some(d) = ev.object.as_any().downcast_ref::<Deployment>() else { return };
        let uid = d.metadata.uid.clone();
        if ev.type_ == EventType::Deleted {
            self.deployments.remove(&uid);
            return;
        }
        let bounds = Bounds::of(d);
        match self.deployments.get_mut(&uid) {
            None => {
                // Its ReplicaSets may be known already (adoption): count them.
                let (mut pods, mut spec_sum) = (PodCounts::default(), 0);
                for rs in self.replica_sets.values().filter(|rs| rs.owner == uid) {
                    pods.active += rs.pods.active;
                    pods.ready += rs.pods.ready;
                    spec_sum += rs.spec;
                }
                let dep = Dep {
                    key: d.metadata.key(),
                    object: Arc::clone(&ev.object),
                    bounds,
                    armed: false,
                    pods,
                    spec_sum,
                    dirty: false,
                    surge: Breach::default(),
                    available: Breach::default(),
                    spec_surge: Breach::default(),
                };
                self.deployments.insert(uid, dep);
            }
            Some(dep) => {
                let old = dep.deployment();
                let template_changed = old.spec.template != d.spec.template;
                if bounds != dep.bounds || d.metadata.deletion_timestamp.is_some() {
                    dep.armed = false;
                } else if template_changed {
                    dep.armed = dep.armed || dep.fully_available();
                }
                dep.bounds = bounds;
                dep.object = Arc::clone(&ev.object);
                self.mark(&uid);
            }
        }
    }

    fn replica_set(&mut self, ev: &AnyEvent) {
        let Some(rs) = ev.object.as_any().downcast_ref::<ReplicaSet>() else { return };
        let uid = &rs.metadata.uid;
        let deleted = ev.type_ == EventType::Deleted;
        let owner = match rs.metadata.controller_ref() {
            Some(r) if r.kind == "Deployment" && !deleted => r.uid.clone(),
            _ => String::new(),
        };
        let spec = if deleted { 0 } else { i64::from(rs.spec.replicas.unwrap_or(1)) };
        let entry = self.replica_sets.entry(uid.clone()).or_default();
        let (old_owner, old_spec, pods) = (std::mem::replace(&mut entry.owner, owner.clone()), entry.spec, entry.pods);
        entry.spec = spec;
        if deleted && pods == PodCounts::default() {
            self.replica_sets.remove(uid);
        }
        if let Some(d) = self.deployments.get_mut(&old_owner) {
            d.spec_sum -= old_spec;
            d.pods.active -= pods.active;
            d.pods.ready -= pods.ready;
        }
        if let Some(d) = self.deployments.get_mut(&owner) {
            d.spec_sum += spec;
            d.pods.active += pods.active;
            d.pods.ready += pods.ready;
        }
        self.mark(&old_owner);
        self.mark(&owner);
    }

    fn pod(&mut self, ev: &AnyEvent) {
        let Some(p) = ev.object.as_any().downcast_ref::<Pod>() else { return };
        let deleted = ev.type_ == EventType::Deleted;
        let rs_uid = match p.metadata.controller_ref() {
            Some(r) if r.kind == "ReplicaSet" => r.uid.clone(),
            _ => String::new(),
        };
        let new = if deleted {
            PodFlags::default()
        } else {
            let active = p.is_active();
            PodFlags { active, ready: active && p.is_ready() }
        };
        let (old_rs, old) = self.pods.remove(&p.metadata.uid).unwrap_or_default();
        if !deleted && !rs_uid.is_empty() {
            self.pods.insert(p.metadata.uid.clone(), (rs_uid.clone(), new));
        }
        if old_rs == rs_uid && old == new {
            return;
        }
        // A Ready pod that stops being Ready without a deletion by a controller
        // (a crash, a forced delete) is not the rollout's doing.
        let disrupted = old.ready && !new.ready && p.metadata.deletion_timestamp.is_none();
        self.move_pod(&old_rs, old, -1, disrupted);
        self.move_pod(&rs_uid, new, 1, false);
    }

    fn move_pod(&mut self, rs_uid: &str, f: PodFlags, sign: i64, disrupted: bool) {
        if rs_uid.is_empty() {
            return;
        }
        let (da, dr) = (sign * i64::from(f.active), sign * i64::from(f.ready));
        let rs = self.replica_sets.entry(rs_uid.to_string()).or_default();
        rs.pods.active += da;
        rs.pods.ready += dr;
        let owner = rs.owner.clone();
        if let Some(d) = self.deployments.get_mut(&owner) {
            d.pods.active += da;
            d.pods.ready += dr;
            if disrupted {
                d.armed = false;
            }
        }
        self.mark(&owner);
    }

    fn evaluate(&mut self, uid: &str, now: Time, next: Option<Time>, out: &mut Findings) -> bool {
        let grace = self.settings.grace;
        let Some(d) = self.deployments.get_mut(uid) else { return false };
        d.dirty = false;
        let Some(b) = d.bounds.filter(|_| d.armed) else {
            d.surge = Breach::default();
            d.available = Breach::default();
            d.spec_surge = Breach::default();
            return false;
        };
        let (r, surge, unavail) = (i64::from(b.replicas), i64::from(b.max_surge), i64::from(b.max_unavailable));
        let what = || object_name("Deployment", &d.key);
        out.checked();
        if let Some(at) = d.surge.update(d.pods.active > r + surge, now, next, grace) {
            out.violation(
                "deployment.rollingUpdate.surge",
                what(),
                at,
                format!(
                    "{} active pods > replicas {r} + maxSurge {surge} = {} during a rolling update",
                    d.pods.active,
                    r + surge
                ),
            );
        }
        out.checked();
        if let Some(at) = d.available.update(d.pods.ready < r - unavail, now, next, grace) {
            out.violation(
                "deployment.rollingUpdate.availability",
                what(),
                at,
                format!(
                    "{} available pods < replicas {r} − maxUnavailable {unavail} = {} during a rolling update \
                     ({} active pods)",
                    d.pods.ready,
                    r - unavail,
                    d.pods.active
                ),
            );
        }
        out.checked();
        if let Some(at) = d.spec_surge.update(d.spec_sum > r + surge, now, next, grace) {
            out.violation(
                "deployment.rollingUpdate.specSurge",
                what(),
                at,
                format!(
                    "Σ spec.replicas of its ReplicaSets = {} > replicas {r} + maxSurge {surge} = {}",
                    d.spec_sum,
                    r + surge
                ),
            );
        }
        d.surge.pending() || d.available.pending() || d.spec_surge.pending()
    }
}

impl Invariant for RollingUpdateBounds {
    fn names(&self) -> &'static [&'static str] {
        &[
            "deployment.rollingUpdate.availability",
            "deployment.rollingUpdate.specSurge",
            "deployment.rollingUpdate.surge",
        ]
    }

    fn observe(&mut self, ev: &AnyEvent, _out: &mut Findings) {
        match ev.kind {
            Kind::Pod => self.pod(ev),
            Kind::ReplicaSet => self.replica_set(ev),
            Kind::Deployment => self.deployment(ev),
            _ => {}
        }
    }

    fn settle(&mut self, now: Time, next: Option<Time>, out: &mut Findings) {
        if self.dirty.is_empty() {
            return;
        }
        let mut dirty: Vec<(String, String)> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|uid| self.deployments.get(&uid).map(|d| (d.key.clone(), uid)))
            .collect();
        dirty.sort();
        for (_, uid) in dirty {
            if self.evaluate(&uid, now, next, out) {
                self.mark(&uid);
            }
        }
    }

    fn disrupt(&mut self, _now: Time) {
        for d in self.deployments.values_mut() {
            d.armed = false;
        }
    }
}
