//! Per-set memo of the pods one sync placed by ordinal, with their facts, patched from pod events between syncs.
//!
//! A sync of an N-replica set needs every pod's facts; re-reading N pods from
//! the owner index and recomputing their facts on every sync makes a rolling
//! update O(N²). Instead the pod handlers record, per set, the names of the
//! pods that changed ([`Dirty`]); the next sync re-reads only those from the
//! cache and patches the memo. The memo is rebuilt from the cache whenever it
//! may be stale: another set uid or generation, other current / update
//! revisions, a pod that needs adoption or release, or facts that depend on
//! something other than the pod (claims in the PVC cache, minReadySeconds and
//! the clock) — such sets are never memoized.
//!
//! Invariant: after a sync, the memo holds exactly the pods the set claims in
//! the cache as of the moment its dirty names were taken, or later.

use std::sync::Arc;

use super::util::{self, PodFacts};
use crate::api::pod::Pod;
use crate::api::StatefulSet;

/// Pod names that changed since the set's last sync.
#[derive(Debug, Default)]
pub(super) struct Dirty {
    pub names: Vec<String>,
}

/// The pods of one set, placed as `updateStatefulSet` places them.
#[derive(Debug, Default)]
pub(super) struct PodMemo {
    uid: String,
    generation: i64,
    current: String,
    update: String,
    /// Whether this memo may be patched (else it is rebuilt every sync).
    reusable: bool,
    /// In-range slots by ordinal − start, and their facts (missing slots included).
    pub replicas: Vec<Option<Arc<Pod>>>,
    pub facts: Vec<PodFacts>,
    /// Out-of-range pods with a valid ordinal, descending ordinal, and their facts.
    pub condemned: Vec<Arc<Pod>>,
    pub condemned_facts: Vec<PodFacts>,
    /// Claimed pods whose name has no ordinal.
    pub others: Vec<Arc<Pod>>,
}

/// Whether a set's pod facts depend on its pods alone (no claims to look up, no minReadySeconds clock).
pub(super) fn memoizable(set: &StatefulSet) -> bool {
    set.spec.volume_claim_templates.is_empty() && set.spec.min_ready_seconds.unwrap_or(0) == 0
}

impl PodMemo {
    /// Places `pods` (claimed, in any order) for `set`; `facts(pod or None, ordinal)` computes a slot's facts.
    pub fn build(
        set: &StatefulSet,
        current: &str,
        update: &str,
        pods: &[Arc<Pod>],
        mut facts: impl FnMut(Option<&Arc<Pod>>, i32) -> PodFacts,
    ) -> PodMemo {
        let start = util::start_ordinal(set);
        let count = usize::try_from(util::replicas(set)).unwrap_or(0);
        let mut m = PodMemo {
            uid: set.metadata.uid.clone(),
            generation: set.metadata.generation,
            current: current.to_string(),
            update: update.to_string(),
            reusable: memoizable(set),
            replicas: vec![None; count],
            ..PodMemo::default()
        };
        for pod in pods {
            let ordinal = util::ordinal_of(pod);
            if util::in_ordinal_range(ordinal, set) {
                m.replicas[usize::try_from(ordinal - start).expect("in range")] = Some(Arc::clone(pod));
            } else if ordinal >= 0 {
                m.condemned.push(Arc::clone(pod));
            } else {
                m.others.push(Arc::clone(pod));
            }
        }
        m.condemned.sort_by_key(|p| std::cmp::Reverse(util::ordinal_of(p)));
        m.facts = (0..count).map(|i| facts(m.replicas[i].as_ref(), start + ordinal_offset(i))).collect();
        m.condemned_facts = m.condemned.iter().map(|p| facts(Some(p), util::ordinal_of(p))).collect();
        m
    }

    /// Whether the memo can be patched for this sync of `set` at these revisions.
    pub fn fits(&self, set: &StatefulSet, current: &str, update: &str) -> bool {
        self.reusable
            && memoizable(set)
            && self.uid == set.metadata.uid
            && self.generation == set.metadata.generation
            && self.generation != 0
            && self.current == current
            && self.update == update
    }

    /// The (current, update) revision names the facts were computed against.
    #[cfg(test)]
    pub fn revisions(&self) -> (&str, &str) {
        (&self.current, &self.update)
    }

    /// Every placed pod.
    pub fn pods(&self) -> impl Iterator<Item = &Arc<Pod>> {
        self.replicas.iter().flatten().chain(&self.condemned).chain(&self.others)
    }

    /// Replaces what the memo holds under `name` by `pod` (`None`: not ours any more).
    /// `false` when the change cannot be patched in (two pods claim one ordinal): rebuild.
    pub fn patch(
        &mut self,
        set: &StatefulSet,
        name: &str,
        pod: Option<Arc<Pod>>,
        mut facts: impl FnMut(Option<&Arc<Pod>>, i32) -> PodFacts,
    ) -> bool {
        let start = util::start_ordinal(set);
        let ordinal = util::parent_name_and_ordinal(name).1;
        // Remove the old entry.
        if util::in_ordinal_range(ordinal, set) {
            let i = usize::try_from(ordinal - start).expect("in range");
            if self.replicas[i].as_ref().is_some_and(|p| p.metadata.name == name) {
                self.replicas[i] = None;
                self.facts[i] = facts(None, ordinal);
            }
        } else if let Some(j) = self.condemned.iter().position(|p| p.metadata.name == name) {
            self.condemned.remove(j);
            self.condemned_facts.remove(j);
        } else {
            self.others.retain(|p| p.metadata.name != name);
        }
        // Insert the new one.
        let Some(pod) = pod else { return true };
        if util::in_ordinal_range(ordinal, set) {
            let i = usize::try_from(ordinal - start).expect("in range");
            if self.replicas[i].is_some() {
                return false;
            }
            self.facts[i] = facts(Some(&pod), ordinal);
            self.replicas[i] = Some(pod);
        } else if ordinal >= 0 {
            let at = self.condemned.partition_point(|p| util::ordinal_of(p) > ordinal);
            if self.condemned.get(at).is_some_and(|p| util::ordinal_of(p) == ordinal) {
                return false;
            }
            self.condemned_facts.insert(at, facts(Some(&pod), ordinal));
            self.condemned.insert(at, pod);
        } else {
            self.others.push(pod);
        }
        true
    }
}

fn ordinal_offset(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}
