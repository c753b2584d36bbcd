//! The ReplicaSet controller's pure decisions (SEMANTICS §4.b, §4.c): how many pods to create or delete, which to delete, the status.

use std::sync::Arc;
use std::time::Duration;

use crate::api::apps::ReplicaSetStatus;
use crate::api::pod::{find_condition, Condition, ConditionStatus, Pod};
use crate::api::selector::Selector;
use crate::api::{ReplicaSet, StringMap, Time};
use crate::controllers::ranking::{related_pod_ranks, sort_active_pods_with_ranks, spec_replicas, RankGates};

/// Most creations (and deletions) one sync issues (`BurstReplicas`).
pub const BURST_REPLICAS: usize = 500;
/// Status writes are retried once (two attempts), then the sync fails.
pub const STATUS_UPDATE_RETRIES: usize = 1;
/// The condition type set when creating or deleting pods failed.
pub const REPLICA_FAILURE: &str = "ReplicaFailure";
pub const FAILED_CREATE: &str = "FailedCreate";
pub const FAILED_DELETE: &str = "FailedDelete";

/// What `manageReplicas` does in one sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Create(usize),
    Delete(usize),
    Steady,
}

/// `diff = active − replicas`, capped at `burst` either way.
pub fn scale(active: usize, replicas: i32, burst: usize) -> Scale {
    let diff = i64::try_from(active).unwrap_or(i64::MAX) - i64::from(replicas);
    let capped = |d: i64| usize::try_from(d).unwrap_or(usize::MAX).min(burst);
    match diff {
        0 => Scale::Steady,
        d if d < 0 => Scale::Create(capped(-d)),
        d => Scale::Delete(capped(d)),
    }
}

/// `getPodsToDelete`: the first `diff` pods by ActivePodsWithRanks (rank =
/// active `related` pods on the same node); when every pod goes, the input
/// order is kept and nothing is sorted.
pub fn pods_to_delete(
    mut pods: Vec<Arc<Pod>>,
    related: &[Arc<Pod>],
    diff: usize,
    now: Time,
    gates: RankGates,
) -> Vec<Arc<Pod>> {
    if diff < pods.len() {
        let ranks = related_pod_ranks(&pods, related);
        sort_active_pods_with_ranks(&mut pods, &ranks, Some(now), gates);
    }
    pods.truncate(diff);
    pods
}

/// True when every requirement of `selector` holds for any label set that
/// contains `template` (each key is a template key and the template satisfies
/// it): then a fully-labeled pod is selected without evaluating the selector.
pub fn template_implies_selector(template: &StringMap, selector: &Selector) -> bool {
    !selector.is_nothing()
        && selector.requirements().iter().all(|r| template.contains_key(r.key()) && r.matches(template))
}

/// Whether `labels` carries every template label (`fullyLabeledReplicas`).
pub fn fully_labeled(template: &StringMap, labels: &StringMap) -> bool {
    template.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// What a sync needs to know of one pod, for one RS (its template labels and selector).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodFacts {
    /// Not terminal, not being deleted.
    pub active: bool,
    /// The RS's selector selects its labels.
    pub selected: bool,
    /// Its labels include every template label.
    pub fully_labeled: bool,
    /// Ready condition True.
    pub ready: bool,
    /// The Ready condition's transition time, when ready.
    pub ready_since: Option<Time>,
}

impl PodFacts {
    /// `implied`: [`template_implies_selector`] for this template and selector.
    pub fn of(pod: &Pod, template: &StringMap, selector: &Selector, implied: bool) -> Self {
        let labels = &pod.metadata.labels;
        let fully_labeled = fully_labeled(template, labels);
        let ready_condition = pod.ready_condition().filter(|c| c.is_true());
        PodFacts {
            active: pod.is_active(),
            selected: (implied && fully_labeled) || selector.matches(labels),
            fully_labeled,
            ready: ready_condition.is_some(),
            ready_since: ready_condition.and_then(|c| c.last_transition_time),
        }
    }

    /// `IsPodAvailable`: ready, and ready since strictly before `now − minReadySeconds`.
    pub fn available(&self, min_ready_seconds: i32, now: Time) -> bool {
        self.ready
            && (min_ready_seconds <= 0
                || self.ready_since.is_some_and(|t| t.add_secs(i64::from(min_ready_seconds)) < now))
    }
}

/// The counts of a status, over the claimed pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub replicas: i32,
    pub fully_labeled: i32,
    pub ready: i32,
    pub available: i32,
}

impl PodCounts {
    /// Counts these pods, availability judged at `now`.
    pub fn of(pods: impl IntoIterator<Item = PodFacts>, min_ready_seconds: i32, now: Time) -> Self {
        let mut c = PodCounts::default();
        for f in pods {
            c.replicas += 1;
            c.fully_labeled += i32::from(f.fully_labeled);
            c.ready += i32::from(f.ready);
            c.available += i32::from(f.available(min_ready_seconds, now));
        }
        c
    }

    pub fn plus(self, o: PodCounts) -> PodCounts {
        PodCounts {
            replicas: self.replicas + o.replicas,
            fully_labeled: self.fully_labeled + o.fully_labeled,
            ready: self.ready + o.ready,
            available: self.available + o.available,
        }
    }
}

/// `calculateStatus`: the counts over the claimed active pods, and the
/// ReplicaFailure condition added (failed manageReplicas, none yet) or removed
/// (manageReplicas succeeded). `observedGeneration` is left as it was.
pub fn calculate_status(rs: &ReplicaSet, counts: PodCounts, manage_error: Option<&str>, now: Time) -> ReplicaSetStatus {
    let mut status = rs.status.clone();
    let has_failure = find_condition(&status.conditions, REPLICA_FAILURE).is_some();
    match manage_error {
        Some(message) if !has_failure => {
            let diff = i64::from(counts.replicas) - i64::from(spec_replicas(rs));
            let reason = match diff {
                d if d < 0 => FAILED_CREATE,
                d if d > 0 => FAILED_DELETE,
                _ => "",
            };
            status.conditions.push(Condition::new(REPLICA_FAILURE, ConditionStatus::True, reason, message, now));
        }
        None if has_failure => status.conditions.retain(|c| c.type_ != REPLICA_FAILURE),
        _ => {}
    }
    status.replicas = counts.replicas;
    status.fully_labeled_replicas = counts.fully_labeled;
    status.ready_replicas = counts.ready;
    status.available_replicas = counts.available;
    status
}

/// `updateReplicaSetStatus`'s skip test: counts and conditions unchanged and the generation observed.
pub fn status_unchanged(rs: &ReplicaSet, new: &ReplicaSetStatus) -> bool {
    let old = &rs.status;
    old.replicas == new.replicas
        && old.fully_labeled_replicas == new.fully_labeled_replicas
        && old.ready_replicas == new.ready_replicas
        && old.available_replicas == new.available_replicas
        && rs.metadata.generation == old.observed_generation
        && old.conditions == new.conditions
}

/// After a sync: with minReadySeconds, all replicas ready but not all
/// available → look again after minReadySeconds.
pub fn requeue_for_availability(rs: &ReplicaSet) -> Option<Duration> {
    let min_ready = rs.spec.min_ready_seconds.unwrap_or(0);
    let (replicas, st) = (spec_replicas(rs), &rs.status);
    (min_ready > 0 && st.ready_replicas == replicas && st.available_replicas != replicas)
        .then(|| Duration::from_secs(u64::try_from(min_ready).unwrap_or(0)))
}
