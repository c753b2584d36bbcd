//! Orderings (SEMANTICS §1.f, §1.g): ActivePods, ActivePodsWithRanks (scale-down victims first), ReplicaSet orderings.
//!
//! Each Kubernetes `Less` is reproduced as a plain function and table-tested.
//! Some of them are not strict weak orders (ActivePodsWithRanks' UID
//! tie-break inside a log2 bucket, ByRevision when a revision does not parse),
//! and `slice::sort_by` may panic on such comparators; so every sort here goes
//! through [`sort_by_less`], a stable merge sort that only asks `less(a, b)`,
//! never panics, and — fed a deterministic input order — gives a
//! deterministic result whatever the comparator.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use crate::api::pod::{Pod, PodPhase};
use crate::api::{ReplicaSet, Time};

/// Pod annotation read by ActivePodsWithRanks (feature PodDeletionCost).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// ReplicaSet annotation holding a Deployment revision.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// Sorts `v` stably by `less` (a bottom-up merge sort on positions). Never
/// panics, whatever `less` answers; equal elements keep their input order.
pub fn sort_by_less<T>(v: &mut Vec<T>, mut less: impl FnMut(&T, &T) -> bool) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut buf = order.clone();
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut l, mut r) = (lo, mid);
            for slot in &mut buf[lo..hi] {
                // Take from the right run only when strictly less: stable.
                let take_right = l == mid || (r < hi && less(&v[order[r]], &v[order[l]]));
                if take_right {
                    *slot = order[r];
                    r += 1;
                } else {
                    *slot = order[l];
                    l += 1;
                }
            }
            lo = hi;
        }
        std::mem::swap(&mut order, &mut buf);
        width *= 2;
    }
    let mut items: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.into_iter().map(|i| items[i].take().expect("a permutation takes each item once")));
}

/// [`sort_by_less`] with a three-way comparison (`Less` means "goes first").
pub fn sort_by_ordering<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    sort_by_less(v, |a, b| cmp(a, b) == Ordering::Less);
}

// ---------------------------------------------------------------- pods

/// `podPhaseToOrdinal`: Pending 0 < Unknown 1 < Running 2; anything else 0.
pub fn phase_ordinal(phase: PodPhase) -> u8 {
    match phase {
        PodPhase::Unknown => 1,
        PodPhase::Running => 2,
        _ => 0,
    }
}

/// When a Ready pod became Ready (`None`: not ready, or no transition time — Go's zero time).
pub fn pod_ready_time(pod: &Pod) -> Option<Time> {
    pod.ready_condition().filter(|c| c.is_true()).and_then(|c| c.last_transition_time)
}

/// `afterOrZero`: a zero time goes first; otherwise the later one does.
pub fn after_or_zero(t1: Option<Time>, t2: Option<Time>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        _ => t1.is_none(),
    }
}

/// The pod's deletion cost annotation as an int32 (absent or invalid: 0).
pub fn deletion_cost(pod: &Pod) -> i32 {
    pod.metadata.annotations.get(POD_DELETION_COST).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// One pod's ranking facts, computed once per sort instead of once per comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankKey<'a> {
    pub unassigned: bool,
    pub phase: u8,
    pub ready: bool,
    pub ready_time: Option<Time>,
    pub cost: i32,
    /// Active related pods on the pod's node (ActivePodsWithRanks only).
    pub rank: usize,
    pub restarts: i32,
    pub created: Option<Time>,
    pub uid: &'a str,
}

impl<'a> RankKey<'a> {
    pub fn of(pod: &'a Pod, rank: usize) -> Self {
        RankKey {
            unassigned: pod.spec.node_name.is_empty(),
            phase: phase_ordinal(pod.phase()),
            ready: pod.is_ready(),
            ready_time: pod_ready_time(pod),
            cost: deletion_cost(pod),
            rank,
            restarts: pod.max_restarts(),
            created: pod.metadata.creation_timestamp,
            uid: &pod.metadata.uid,
        }
    }
}

/// `ActivePods.Less` (first = better deletion candidate): unassigned,
/// Pending < Unknown < Running, not ready, shorter ready, more restarts, newer.
pub fn active_pods_less(a: &RankKey<'_>, b: &RankKey<'_>) -> bool {
    if a.unassigned != b.unassigned {
        return a.unassigned;
    }
    if a.phase != b.phase {
        return a.phase < b.phase;
    }
    if a.ready != b.ready {
        return !a.ready;
    }
    if a.ready && b.ready && a.ready_time != b.ready_time {
        return after_or_zero(a.ready_time, b.ready_time);
    }
    if a.restarts != b.restarts {
        return a.restarts > b.restarts;
    }
    if a.created != b.created {
        return after_or_zero(a.created, b.created);
    }
    false
}

/// Feature gates ActivePodsWithRanks consults (both on by default in 1.28).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankGates {
    pub pod_deletion_cost: bool,
    pub logarithmic_scale_down: bool,
}

impl Default for RankGates {
    fn default() -> Self {
        RankGates { pod_deletion_cost: true, logarithmic_scale_down: true }
    }
}

/// `logarithmicRankDiff`: ⌊log2(age)⌋ of `t1` minus that of `t2` (ages in
/// nanoseconds relative to `now`; a non-positive age ranks −1).
pub fn logarithmic_rank_diff(t1: Time, t2: Time, now: Time) -> i64 {
    let rank = |t: Time| {
        let age = now.as_nanos().saturating_sub(t.as_nanos());
        if age > 0 {
            (age as f64).log2() as i64
        } else {
            -1
        }
    };
    rank(t1) - rank(t2)
}

/// Compares two times as ActivePodsWithRanks does: log2 buckets of their age
/// (ties broken by UID) when enabled and every time is set, else `afterOrZero`.
fn time_less(
    t1: Option<Time>,
    t2: Option<Time>,
    a: &RankKey<'_>,
    b: &RankKey<'_>,
    now: Option<Time>,
    log: bool,
) -> bool {
    match (log, t1, t2, now) {
        (true, Some(x), Some(y), Some(now)) => match logarithmic_rank_diff(x, y, now) {
            0 => a.uid < b.uid,
            d => d < 0,
        },
        _ => after_or_zero(t1, t2),
    }
}

/// `ActivePodsWithRanks.Less`: like [`active_pods_less`], with, after
/// readiness, lower deletion cost first and higher rank (more co-located
/// related pods) first; times compared on a log2 scale of their age.
pub fn active_pods_with_ranks_less(a: &RankKey<'_>, b: &RankKey<'_>, now: Option<Time>, gates: RankGates) -> bool {
    if a.unassigned != b.unassigned {
        return a.unassigned;
    }
    if a.phase != b.phase {
        return a.phase < b.phase;
    }
    if a.ready != b.ready {
        return !a.ready;
    }
    if gates.pod_deletion_cost && a.cost != b.cost {
        return a.cost < b.cost;
    }
    if a.rank != b.rank {
        return a.rank > b.rank;
    }
    if a.ready && b.ready && a.ready_time != b.ready_time {
        return time_less(a.ready_time, b.ready_time, a, b, now, gates.logarithmic_scale_down);
    }
    if a.restarts != b.restarts {
        return a.restarts > b.restarts;
    }
    if a.created != b.created {
        return time_less(a.created, b.created, a, b, now, gates.logarithmic_scale_down);
    }
    false
}

/// Sorts pods by [`active_pods_less`] (stable: pass them in name order for a reproducible result).
pub fn sort_active_pods(pods: &mut Vec<Arc<Pod>>) {
    let mut keyed: Vec<(RankKey<'_>, usize)> = pods.iter().enumerate().map(|(i, p)| (RankKey::of(p, 0), i)).collect();
    sort_by_less(&mut keyed, |a, b| active_pods_less(&a.0, &b.0));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(pods, &order);
}

/// Sorts pods by [`active_pods_with_ranks_less`]; `ranks[i]` belongs to `pods[i]`.
pub fn sort_active_pods_with_ranks(pods: &mut Vec<Arc<Pod>>, ranks: &[usize], now: Option<Time>, gates: RankGates) {
    assert_eq!(pods.len(), ranks.len(), "one rank per pod");
    let mut keyed: Vec<(RankKey<'_>, usize)> =
        pods.iter().zip(ranks).enumerate().map(|(i, (p, &r))| (RankKey::of(p, r), i)).collect();
    sort_by_less(&mut keyed, |a, b| active_pods_with_ranks_less(&a.0, &b.0, now, gates));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(pods, &order);
}

/// Reorders `v` so that position `k` holds what was at `order[k]`.
fn permute<T>(v: &mut Vec<T>, order: &[usize]) {
    let mut items: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.iter().map(|&i| items[i].take().expect("a permutation takes each item once")));
}

/// The rank of each pod: active `related` pods on its node (`getPodsRankedByRelatedPodsOnSameNode`;
/// unassigned pods share the node name "").
pub fn related_pod_ranks(pods: &[Arc<Pod>], related: &[Arc<Pod>]) -> Vec<usize> {
    let mut on_node: HashMap<&str, usize> = HashMap::new();
    for p in related.iter().filter(|p| p.is_active()) {
        *on_node.entry(p.spec.node_name.as_str()).or_default() += 1;
    }
    pods.iter().map(|p| on_node.get(p.spec.node_name.as_str()).copied().unwrap_or(0)).collect()
}

// ---------------------------------------------------------------- ReplicaSets

/// `spec.replicas`, with the API default (1) when unset.
pub fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(1)
}

/// `ReplicaSetsByCreationTimestamp`: older first (unset first); tie → name ascending.
pub fn rs_by_creation_timestamp(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    a.metadata
        .creation_timestamp
        .cmp(&b.metadata.creation_timestamp)
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// `ReplicaSetsBySizeOlder`: larger `spec.replicas` first; tie → older first (proportional scale-down).
pub fn rs_by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    spec_replicas(b).cmp(&spec_replicas(a)).then_with(|| rs_by_creation_timestamp(a, b))
}

/// `ReplicaSetsBySizeNewer`: larger `spec.replicas` first; tie → newer first (proportional scale-up).
pub fn rs_by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    spec_replicas(b).cmp(&spec_replicas(a)).then_with(|| rs_by_creation_timestamp(b, a))
}

/// The Deployment revision of an RS (`deploymentutil.Revision`): absent → 0, unparsable → `None`.
pub fn revision(rs: &ReplicaSet) -> Option<i64> {
    match rs.metadata.annotations.get(REVISION_ANNOTATION) {
        None => Some(0),
        Some(v) => v.parse().ok(),
    }
}

/// `ReplicaSetsByRevision`: smaller revision first; unparsable or equal → by creation timestamp.
pub fn rs_by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    match (revision(a), revision(b)) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        _ => rs_by_creation_timestamp(a, b),
    }
}

/// `FilterActiveReplicaSets`: those with `spec.replicas > 0`, in input order.
pub fn filter_active_replica_sets<R: Borrow<ReplicaSet>>(rss: impl IntoIterator<Item = R>) -> Vec<R> {
    rss.into_iter().filter(|rs| spec_replicas(rs.borrow()) > 0).collect()
}

#[cfg(test)]
mod tests;
