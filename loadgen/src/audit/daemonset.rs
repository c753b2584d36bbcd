//! DaemonSet contracts (SEMANTICS.md §12, DaemonSet 23–26, 28).
//!
//! * `daemonset.status` (28) — on every DaemonSet write: `numberAvailable ≤
//!   numberReady ≤ currentNumberScheduled ≤ desiredNumberScheduled` and
//!   `numberUnavailable = desiredNumberScheduled − numberAvailable`.
//! * `daemonset.placement` (24) — a daemon pod, when created, targets exactly
//!   one node by name (`spec.nodeName`, or required affinity
//!   `metadata.name In [node]`), and that node exists.
//! * `daemonset.perNode` (23, 26) — at the end of every instant no node runs
//!   more than one active daemon pod of a DaemonSet whose `maxSurge` resolves
//!   to 0 (OnDelete included), nor more than two with a surge.
//! * `daemonset.rollingUpdate.unavailable` (25) — during a rolling update that
//!   started fully available (status: every desired node has an available pod),
//!   at the end of every instant, `desiredNumberScheduled − nodes with a Ready
//!   active daemon pod ≤ maxUnavailable` (resolved against the desired count,
//!   rounded up, `1` when both it and maxSurge are 0). Ready stands in for
//!   available (a necessary condition). Disarmed by a change of the strategy,
//!   a node added or removed, a Ready daemon pod failing by itself, and
//!   [`Invariant::disrupt`].
//!
//! State: per DaemonSet its figures and, per node, its active and Ready pods;
//! per pod its DaemonSet, node and flags; the names of the nodes.

use std::collections::{BTreeMap, HashMap, HashSet};

use kwarp::api::node_affinity::affinity_target_node_name;
use kwarp::api::{DaemonSet, Kind, Pod, Time};
use kwarp::store::{AnyEvent, EventType};

use super::{object_name, AuditSettings, Breach, Findings, Invariant};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    active: bool,
    ready: bool,
}

#[derive(Default)]
struct Ds {
    key: String,
    known: bool,
    rolling: bool,
    max_surge: Option<kwarp::api::IntOrString>,
    max_unavailable: Option<kwarp::api::IntOrString>,
    desired: i32,
    armed: bool,
    /// Node → (active pods, Ready active pods).
    nodes: BTreeMap<String, (i32, i32)>,
    /// Nodes with at least one Ready active pod.
    ready_nodes: i32,
    dirty: bool,
    crowded: Breach,
    unavailable: Breach,
}

impl Ds {
    /// (maxSurge, maxUnavailable) resolved against the desired count.
    fn fenceposts(&self) -> (i32, i32) {
        if !self.rolling {
            return (0, 0);
        }
        let scale = |v: &Option<kwarp::api::IntOrString>| {
            v.as_ref().map_or(0, |v| v.scaled_value(self.desired, true).unwrap_or(0))
        };
        let (surge, mut unavailable) = (scale(&self.max_surge), scale(&self.max_unavailable));
        if self.desired > 0 && surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        (surge, unavailable)
    }
}

/// The DaemonSet contracts. See the module doc.
#[derive(Default)]
pub struct DaemonSetContracts {
    settings: Option<AuditSettings>,
    /// By uid.
    sets: HashMap<String, Ds>,
    /// Pod uid → (DaemonSet uid, node, flags).
    pods: HashMap<String, (String, String, Flags)>,
    nodes: HashSet<String>,
    dirty: Vec<String>,
}

impl std::fmt::Debug for DaemonSetContracts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonSetContracts").field("sets", &self.sets.len()).finish_non_exhaustive()
    }
}

impl DaemonSetContracts {
    pub fn new(settings: AuditSettings) -> Self {
        DaemonSetContracts { settings: Some(settings), ..Default::default() }
    }

    fn mark(&mut self, uid: &str) {
        let ds = self.sets.entry(uid.to_string()).or_default();
        if !ds.dirty {
            ds.dirty = true;
            self.dirty.push(uid.to_string());
        }
    }

    fn daemon_set(&mut self, ev: &AnyEvent, out: &mut Findings) {
        let Some(d) = ev.object.as_any().downcast_ref::<DaemonSet>() else { return };
        let uid = d.metadata.uid.clone();
        if ev.type_ == EventType::Deleted {
            if let Some(ds) = self.sets.get_mut(&uid) {
                ds.known = false;
                ds.armed = false;
            }
            return;
        }
        let s = &d.status;
        out.checked();
        let ordered = 0 <= s.number_available
            && s.number_available <= s.number_ready
            && s.number_ready <= s.current_number_scheduled
            && s.current_number_scheduled <= s.desired_number_scheduled;
        if !ordered || s.number_unavailable != s.desired_number_scheduled - s.number_available {
            out.violation(
                "daemonset.status",
                object_name("DaemonSet", &d.metadata.key()),
                ev.time,
                format!(
                    "numberAvailable {} ≤ numberReady {} ≤ currentNumberScheduled {} ≤ desiredNumberScheduled {}, \
                     numberUnavailable {} = desired − available does not hold",
                    s.number_available,
                    s.number_ready,
                    s.current_number_scheduled,
                    s.desired_number_scheduled,
                    s.number_unavailable
                ),
            );
        }
        self.mark(&uid);
        let ds = self.sets.entry(uid).or_default();
        let strategy = d.spec.update_strategy.as_ref();
        let rolling = strategy.is_none_or(|u| u.type_.is_empty() || u.type_ == "RollingUpdate");
        let ru = strategy.and_then(|u| u.rolling_update.as_ref());
        let (surge, unavailable) = (ru.and_then(|r| r.max_surge.clone()), ru.and_then(|r| r.max_unavailable.clone()));
        let strategy_changed =
            ds.known && (rolling, &surge, &unavailable) != (ds.rolling, &ds.max_surge, &ds.max_unavailable);
        let fully_available = s.observed_generation > 0
            && s.desired_number_scheduled > 0
            && s.number_available == s.desired_number_scheduled
            && s.number_unavailable == 0;
        let template_changed = ds.known && d.metadata.generation > s.observed_generation;
        if strategy_changed || d.metadata.deletion_timestamp.is_some() {
            ds.armed = false;
        } else if template_changed && !ds.armed {
            // The status still describes the previous template: was it fully rolled out?
            ds.armed = fully_available && ds.ready_nodes == s.desired_number_scheduled;
        }
        ds.key = d.metadata.key();
        ds.known = true;
        ds.rolling = rolling;
        ds.max_surge = surge;
        ds.max_unavailable = unavailable;
        ds.desired = s.desired_number_scheduled;
    }

    fn pod(&mut self, ev: &AnyEvent, out: &mut Findings) {
        let Some(p) = ev.object.as_any().downcast_ref::<Pod>() else { return };
        let uid = &p.metadata.uid;
        let owner = p.metadata.controller_ref().filter(|r| r.kind == "DaemonSet").map(|r| r.uid.clone());
        let node = if p.spec.node_name.is_empty() {
            affinity_target_node_name(p.spec.affinity.as_ref()).unwrap_or("").to_string()
        } else {
            p.spec.node_name.clone()
        };
        if ev.type_ == EventType::Added && owner.is_some() {
            out.checked();
            let problem = if node.is_empty() {
                Some("targets no node (no spec.nodeName, no required affinity metadata.name In [node])".to_string())
            } else if !self.nodes.contains(&node) {
                Some(format!("targets node {node}, which does not exist"))
            } else {
                None
            };
            if let Some(problem) = problem {
                out.violation("daemonset.placement", object_name("Pod", &p.metadata.key()), ev.time, problem);
            }
        }
        let new = match (&owner, ev.type_) {
            (Some(_), t) if t != EventType::Deleted => {
                let active = p.is_active();
                Flags { active, ready: active && p.is_ready() }
            }
            _ => Flags::default(),
        };
        let old = self.pods.remove(uid);
        if let (Some(o), false) = (&owner, node.is_empty() || ev.type_ == EventType::Deleted) {
            self.pods.insert(uid.clone(), (o.clone(), node.clone(), new));
        }
        let disrupted =
            old.as_ref().is_some_and(|(_, _, f)| f.ready) && !new.ready && p.metadata.deletion_timestamp.is_none();
        if let Some((ds, n, f)) = old {
            self.count(&ds, &n, f, -1, disrupted);
        }
        if let Some(ds) = owner.filter(|_| !node.is_empty()) {
            self.count(&ds, &node, new, 1, false);
        }
    }

    fn count(&mut self, ds_uid: &str, node: &str, f: Flags, sign: i32, disrupted: bool) {
        if f == Flags::default() && !disrupted {
            return;
        }
        self.mark(ds_uid);
        let ds = self.sets.entry(ds_uid.to_string()).or_default();
        let slot = ds.nodes.entry(node.to_string()).or_default();
        let was_ready = slot.1 > 0;
        slot.0 += sign * i32::from(f.active);
        slot.1 += sign * i32::from(f.ready);
        let is_ready = slot.1 > 0;
        if *slot == (0, 0) {
            ds.nodes.remove(node);
        }
        ds.ready_nodes += i32::from(is_ready) - i32::from(was_ready);
        if disrupted {
            ds.armed = false;
        }
    }
}

impl Invariant for DaemonSetContracts {
    fn names(&self) -> &'static [&'static str] {
        &["daemonset.perNode", "daemonset.placement", "daemonset.rollingUpdate.unavailable", "daemonset.status"]
    }

    fn observe(&mut self, ev: &AnyEvent, out: &mut Findings) {
        match ev.kind {
            Kind::Pod => self.pod(ev, out),
            Kind::DaemonSet => self.daemon_set(ev, out),
            Kind::Node => {
                let name = ev.object.meta().name.clone();
                let changed =
                    if ev.type_ == EventType::Deleted { self.nodes.remove(&name) } else { self.nodes.insert(name) };
                if changed {
                    self.disrupt(ev.time);
                }
            }
            _ => {}
        }
    }

    fn settle(&mut self, now: Time, next: Option<Time>, out: &mut Findings) {
        if self.dirty.is_empty() {
            return;
        }
        let grace = self.settings.unwrap_or(AuditSettings::VIRTUAL).grace;
        let mut dirty: Vec<(String, String)> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|uid| self.sets.get(&uid).map(|d| (d.key.clone(), uid)))
            .collect();
        dirty.sort();
        let mut again = Vec::new();
        for (key, uid) in dirty {
            let Some(ds) = self.sets.get_mut(&uid) else { continue };
            ds.dirty = false;
            if !ds.known {
                continue;
            }
            let (surge, unavailable) = ds.fenceposts();
            let per_node = if surge > 0 { 2 } else { 1 };
            out.checked();
            let crowded = ds.nodes.iter().find(|(_, (active, _))| *active > per_node);
            let crowd = crowded.map(|(n, (a, _))| (n.clone(), *a));
            if let Some(at) = ds.crowded.update(crowd.is_some(), now, next, grace) {
                let (n, a) = crowd.unwrap_or_default();
                out.violation(
                    "daemonset.perNode",
                    object_name("DaemonSet", &key),
                    at,
                    format!("node {n} runs {a} active daemon pods (at most {per_node} with maxSurge {surge})"),
                );
            }
            if ds.armed {
                out.checked();
                let missing = ds.desired - ds.ready_nodes;
                if let Some(at) = ds.unavailable.update(missing > unavailable, now, next, grace) {
                    out.violation(
                        "daemonset.rollingUpdate.unavailable",
                        object_name("DaemonSet", &key),
                        at,
                        format!(
                            "{missing} of {} desired nodes have no available daemon pod > maxUnavailable {unavailable} \
                             during a rolling update",
                            ds.desired
                        ),
                    );
                }
            } else {
                ds.unavailable = Breach::default();
            }
            if ds.crowded.pending() || ds.unavailable.pending() {
                again.push(uid);
            }
        }
        for uid in again {
            self.mark(&uid);
        }
    }

    fn disrupt(&mut self, _now: Time) {
        for ds in self.sets.values_mut() {
            ds.armed = false;
        }
    }
}
