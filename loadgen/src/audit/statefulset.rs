//! StatefulSet contracts (SEMANTICS.md §12, StatefulSet 15–21), checked at each pod write.
//!
//! * `statefulset.identity` (15): every pod a StatefulSet controls is named
//!   `<set>-<ordinal>` and carries `statefulset.kubernetes.io/pod-name=<name>`
//!   when it has that label. (Two pods with one ordinal would share a name,
//!   which the store refuses.)
//! * `statefulset.orderedCreation` (16): under `OrderedReady`, pod `N > start` is
//!   created only while every pod `start..N−1` exists, is Running and Ready and
//!   is not terminating.
//! * `statefulset.orderedScaleDown` (17): under `OrderedReady`, a pod beyond
//!   the replicas is deleted only when no pod with a higher ordinal exists.
//! * `statefulset.updateOrder` (19, 21): a Running and Ready pod within the
//!   replicas is deleted (for an update) only with RollingUpdate, only at or
//!   above `partition`, and — without `maxUnavailable` — only when every
//!   higher pod within the replicas exists and is Running and Ready.
//!
//! Deletions the load generator makes ([`Invariant::disrupt`]: killPods, a
//! delete step) in the same instant are not the controller's and are not
//! checked. Pods of a StatefulSet not (or no longer) stored are not checked.
//!
//! State: per StatefulSet its spec figures and, by ordinal, whether each pod
//! is healthy (Running, Ready, not terminating). A creation check walks the
//! lower ordinals of its set; everything else is O(log n) per event.

use std::collections::{BTreeMap, HashMap};

use kwarp::api::pod::PodPhase;
use kwarp::api::{Kind, Pod, StatefulSet, Time};
use kwarp::store::{AnyEvent, EventType};

use super::{object_name, Findings, Invariant};

/// The label holding a StatefulSet pod's own name.
const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";

#[derive(Clone, Copy, Debug, Default)]
struct Spec {
    replicas: i32,
    start: i32,
    ordered: bool,
    rolling: bool,
    partition: i32,
    max_unavailable: bool,
}

impl Spec {
    fn of(s: &StatefulSet) -> Spec {
        let strategy = s.spec.update_strategy.as_ref();
        let ru = strategy.and_then(|u| u.rolling_update.as_ref());
        Spec {
            replicas: s.spec.replicas.unwrap_or(1),
            start: s.spec.ordinals.as_ref().map_or(0, |o| o.start),
            ordered: s.spec.pod_management_policy.is_empty() || s.spec.pod_management_policy == "OrderedReady",
            rolling: strategy.is_none_or(|u| u.type_.is_empty() || u.type_ == "RollingUpdate"),
            partition: ru.and_then(|r| r.partition).unwrap_or(0),
            max_unavailable: ru.is_some_and(|r| r.max_unavailable.is_some()),
        }
    }

    /// One past the highest ordinal within the replicas.
    fn end(&self) -> i32 {
        self.start.saturating_add(self.replicas)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    healthy: bool,
    terminating: bool,
}

#[derive(Default)]
struct Set {
    key: String,
    /// `None` until the StatefulSet is seen, and after it is gone or being deleted.
    spec: Option<Spec>,
    pods: BTreeMap<i32, Slot>,
}

/// The StatefulSet contracts. See the module doc.
#[derive(Default)]
pub struct StatefulSetContracts {
    /// By uid.
    sets: HashMap<String, Set>,
    /// Pod uid → (set uid, ordinal).
    pods: HashMap<String, (String, i32)>,
    /// The instant of the load generator's last disruption.
    disrupted_at: Option<Time>,
}

impl std::fmt::Debug for StatefulSetContracts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatefulSetContracts").field("sets", &self.sets.len()).finish_non_exhaustive()
    }
}

fn healthy(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none() && p.phase() == PodPhase::Running && p.is_ready()
}

impl StatefulSetContracts {
    pub fn new() -> Self {
        Self::default()
    }

    fn set(&mut self, ev: &AnyEvent) {
        let Some(s) = ev.object.as_any().downcast_ref::<StatefulSet>() else { return };
        let entry = self.sets.entry(s.metadata.uid.clone()).or_default();
        entry.key = s.metadata.key();
        let gone = ev.type_ == EventType::Deleted || s.metadata.deletion_timestamp.is_some();
        entry.spec = (!gone).then(|| Spec::of(s));
        if ev.type_ == EventType::Deleted && entry.pods.is_empty() {
            self.sets.remove(&s.metadata.uid);
        }
    }

    fn pod(&mut self, ev: &AnyEvent, out: &mut Findings) {
        let Some(p) = ev.object.as_any().downcast_ref::<Pod>() else { return };
        let uid = &p.metadata.uid;
        let Some(owner) = p.metadata.controller_ref().filter(|r| r.kind == "StatefulSet") else {
            // Released by its set (or never one's): forget it.
            if let Some((set, o)) = self.pods.remove(uid) {
                if let Some(s) = self.sets.get_mut(&set) {
                    s.pods.remove(&o);
                }
            }
            return;
        };
        let key = p.metadata.key();
        let ordinal = p.metadata.name.strip_prefix(&format!("{}-", owner.name)).and_then(|o| o.parse::<i32>().ok());
        let Some(ordinal) = ordinal.filter(|o| *o >= 0) else {
            if ev.type_ == EventType::Added {
                out.checked();
                out.violation(
                    "statefulset.identity",
                    object_name("Pod", &key),
                    ev.time,
                    format!("a pod of StatefulSet {} is not named {}-<ordinal>", owner.name, owner.name),
                );
            }
            return;
        };
        if ev.type_ == EventType::Added {
            out.checked();
            if p.metadata.labels.get(POD_NAME_LABEL).is_some_and(|l| *l != p.metadata.name) {
                out.violation(
                    "statefulset.identity",
                    object_name("Pod", &key),
                    ev.time,
                    format!("label {POD_NAME_LABEL}={} differs from its name", p.metadata.labels[POD_NAME_LABEL]),
                );
            }
        }
        let set = self.sets.entry(owner.uid.clone()).or_default();
        if ev.type_ == EventType::Deleted {
            set.pods.remove(&ordinal);
            self.pods.remove(uid);
            return;
        }
        let new = Slot { healthy: healthy(p), terminating: p.metadata.deletion_timestamp.is_some() };
        let old = set.pods.insert(ordinal, new);
        self.pods.insert(uid.clone(), (owner.uid.clone(), ordinal));
        let Some(spec) = set.spec else { return };
        let what = || object_name("Pod", &key);
        if old.is_none() && !new.terminating && spec.ordered && ordinal > spec.start {
            out.checked();
            let missing = (spec.start..ordinal).find(|o| !set.pods.get(o).is_some_and(|s| s.healthy));
            if let Some(m) = missing {
                let state = match set.pods.get(&m) {
                    None => "does not exist",
                    Some(s) if s.terminating => "is terminating",
                    Some(_) => "is not Running and Ready",
                };
                out.violation(
                    "statefulset.orderedCreation",
                    what(),
                    ev.time,
                    format!("created under OrderedReady while pod {}-{m} {state}", owner.name),
                );
            }
        }
        let deleted_now = new.terminating && old.is_some_and(|o| !o.terminating);
        if !deleted_now || self.disrupted_at == Some(ev.time) {
            return;
        }
        if ordinal >= spec.end() {
            if spec.ordered {
                out.checked();
                if let Some((higher, _)) = set.pods.range(ordinal + 1..).next() {
                    out.violation(
                        "statefulset.orderedScaleDown",
                        what(),
                        ev.time,
                        format!("deleted (replicas {}) while pod {}-{higher} still exists", spec.replicas, owner.name),
                    );
                }
            }
            return;
        }
        if !old.is_some_and(|o| o.healthy) || ordinal < spec.start {
            return;
        }
        out.checked();
        let why = if !spec.rolling {
            Some("a Running and Ready pod deleted under OnDelete".to_string())
        } else if ordinal < spec.partition {
            Some(format!("a Running and Ready pod below partition {} deleted", spec.partition))
        } else if spec.max_unavailable {
            None
        } else {
            (ordinal + 1..spec.end()).find(|o| !set.pods.get(o).is_some_and(|s| s.healthy)).map(|h| {
                format!(
                    "a Running and Ready pod deleted for update while pod {}-{h} is not Running and Ready",
                    owner.name
                )
            })
        };
        if let Some(why) = why {
            out.violation("statefulset.updateOrder", what(), ev.time, why);
        }
    }
}

impl Invariant for StatefulSetContracts {
    fn names(&self) -> &'static [&'static str] {
        &[
            "statefulset.identity",
            "statefulset.orderedCreation",
            "statefulset.orderedScaleDown",
            "statefulset.updateOrder",
        ]
    }

    fn observe(&mut self, ev: &AnyEvent, out: &mut Findings) {
        match ev.kind {
            Kind::Pod => self.pod(ev, out),
            Kind::StatefulSet => self.set(ev),
            _ => {}
        }
    }

    fn settle(&mut self, _now: Time, _next: Option<Time>, _out: &mut Findings) {}

    fn disrupt(&mut self, now: Time) {
        self.disrupted_at = Some(now);
    }
}
