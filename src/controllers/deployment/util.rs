//! The Deployment controller's pure decisions (SEMANTICS §3): fenceposts, new and old RS sizes, proportional scaling, revisions, status and conditions, history cleanup.
//!
//! Everything here reads objects and returns numbers, flags or new values; the
//! controller (`super`) does the writes. Names follow `deployment/util` upstream.

use std::time::Duration;

use crate::api::apps::{Deployment, DeploymentStatus};
use crate::api::intstr::{IntOrString, IntStrError};
use crate::api::pod::{Condition, ConditionStatus, Pod, PodPhase, PodTemplateSpec};
use crate::api::{ObjectMeta, ReplicaSet, StringMap, Time};
use crate::controllers::ranking::{
    revision, rs_by_creation_timestamp, rs_by_revision, rs_by_size_newer, rs_by_size_older, sort_by_ordering,
    spec_replicas,
};

pub use crate::controllers::ranking::REVISION_ANNOTATION;
pub use revision::*;
pub use scaling::*;
pub use status::*;

mod revision;
mod scaling;
mod status;

/// Label (and selector key) that ties an RS and its pods to one template.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";
/// Former revisions of an RS that was rolled back to, comma separated.
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
/// `spec.replicas` of the Deployment when it last scaled this RS.
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
/// `spec.replicas + maxSurge` of the Deployment when it last scaled this RS.
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// The legacy rollback request (`spec.rollbackTo` of extensions/v1beta1, round-tripped as an annotation).
pub const ROLLBACK_TO_ANNOTATION: &str = "deprecated.deployment.rollback.to";
/// kubectl's apply bookkeeping; never copied to ReplicaSets.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Longest `revision-history` annotation kept (`maxRevHistoryLengthInChars`).
pub const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;

pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const RS_CREATE_ERROR: &str = "ReplicaSetCreateError";
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";

// ---------------------------------------------------------------- spec accessors

/// `spec.replicas` (API default 1).
pub fn replicas(d: &Deployment) -> i32 {
    d.spec.replicas.unwrap_or(1)
}

/// Strategy type `Recreate`.
pub fn is_recreate(d: &Deployment) -> bool {
    d.spec.strategy.as_ref().is_some_and(|s| s.type_ == "Recreate")
}

/// A progress deadline is set and is not MaxInt32 (the legacy "no deadline").
pub fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec.progress_deadline_seconds.is_some_and(|s| s != i32::MAX)
}

/// A history limit is set and is not MaxInt32 (the legacy "unlimited").
pub fn has_revision_history_limit(d: &Deployment) -> bool {
    d.spec.revision_history_limit.is_some_and(|l| l != i32::MAX)
}

/// The revision asked for by the legacy rollback annotation (unparsable: none).
pub fn rollback_to(d: &Deployment) -> Option<i64> {
    d.metadata.annotations.get(ROLLBACK_TO_ANNOTATION).filter(|v| !v.is_empty()).and_then(|v| v.parse().ok())
}

// ---------------------------------------------------------------- fenceposts (§3.e)

/// `ResolveFenceposts`: surge rounds up, unavailable down (missing = 0); both 0 → unavailable 1.
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), IntStrError> {
    let zero = IntOrString::Int(0);
    let surge = max_surge.unwrap_or(&zero).scaled_value(desired, true)?;
    let unavailable = max_unavailable.unwrap_or(&zero).scaled_value(desired, false)?;
    Ok(if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable) })
}

/// The resolved (surge, unavailable) of a RollingUpdate Deployment; (0, 0) for Recreate or a bad value.
fn fenceposts(d: &Deployment) -> (i32, i32) {
    if is_recreate(d) {
        return (0, 0);
    }
    let ru = d.spec.strategy.as_ref().and_then(|s| s.rolling_update.as_ref());
    let (surge, unavailable) = (ru.and_then(|r| r.max_surge.as_ref()), ru.and_then(|r| r.max_unavailable.as_ref()));
    resolve_fenceposts(surge, unavailable, replicas(d)).unwrap_or((0, 0))
}

/// `MaxSurge`: 0 for Recreate.
pub fn max_surge(d: &Deployment) -> i32 {
    fenceposts(d).0
}

/// `MaxUnavailable`: 0 for Recreate or R = 0, else `min(unavailable, R)`.
pub fn max_unavailable(d: &Deployment) -> i32 {
    let r = replicas(d);
    if is_recreate(d) || r == 0 {
        return 0;
    }
    fenceposts(d).1.min(r)
}

/// `MinAvailable`: 0 for Recreate, else `R − MaxUnavailable`.
pub fn min_available(d: &Deployment) -> i32 {
    if is_recreate(d) {
        0
    } else {
        replicas(d) - max_unavailable(d)
    }
}

// ---------------------------------------------------------------- new and old RS sizes (§3.e, §3.f)

/// `NewRSNewReplicas`: the new RS's size, given Σ spec.replicas of all RSs (`total`, the new one included).
pub fn new_rs_new_replicas(d: &Deployment, total: i32, new_replicas: i32) -> Result<i32, IntStrError> {
    let r = replicas(d);
    if is_recreate(d) {
        return Ok(r);
    }
    let ru = d.spec.strategy.as_ref().and_then(|s| s.rolling_update.as_ref());
    let zero = IntOrString::Int(0);
    let surge = ru.and_then(|r| r.max_surge.as_ref()).unwrap_or(&zero).scaled_value(r, true)?;
    let max_total = r + surge;
    if total >= max_total {
        return Ok(new_replicas);
    }
    Ok(new_replicas + (max_total - total).min(r - new_replicas))
}

/// `reconcileNewReplicaSet`: the size to scale the new RS to, if it changes —
/// down to R when above it, else [`new_rs_new_replicas`] (`total`: Σ spec.replicas of all RSs).
pub fn reconcile_new_replica_set(d: &Deployment, total: i32, new_replicas: i32) -> Result<Option<i32>, IntStrError> {
    let r = replicas(d);
    let target = match new_replicas {
        n if n == r => return Ok(None),
        n if n > r => r,
        n => new_rs_new_replicas(d, total, n)?,
    };
    Ok((target != new_replicas).then_some(target))
}

/// The two numbers of an RS the rolling scale-down reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RsSize {
    /// `spec.replicas`.
    pub replicas: i32,
    /// `status.availableReplicas`.
    pub available: i32,
}

impl RsSize {
    pub fn of(rs: &ReplicaSet) -> Self {
        RsSize { replicas: spec_replicas(rs), available: rs.status.available_replicas }
    }
}

/// `cleanupUnhealthyReplicas`: scales the unavailable part of old RSs (oldest
/// first) down, at most `max_cleanup` replicas in all. Returns the new sizes and the total removed.
pub fn cleanup_unhealthy_replicas(old: &[RsSize], max_cleanup: i32) -> (Vec<i32>, i32) {
    let mut sizes: Vec<i32> = old.iter().map(|s| s.replicas).collect();
    let mut total = 0;
    for (size, rs) in sizes.iter_mut().zip(old) {
        if total >= max_cleanup {
            break;
        }
        if rs.replicas == 0 || rs.replicas == rs.available {
            continue;
        }
        let down = (max_cleanup - total).min(rs.replicas - rs.available).max(0);
        *size = rs.replicas - down;
        total += down;
    }
    (sizes, total)
}

/// `scaleDownOldReplicaSetsForRollingUpdate`: removes `available − minAvailable`
/// replicas from old RSs (current sizes `old`, oldest first); `available` is over
/// old and new RSs. Returns the new sizes and the total removed.
pub fn scale_down_old_for_rolling_update(min_available: i32, available: i32, old: &[i32]) -> (Vec<i32>, i32) {
    let mut sizes = old.to_vec();
    if available <= min_available {
        return (sizes, 0);
    }
    let target = available - min_available;
    let mut total = 0;
    for size in &mut sizes {
        if total >= target {
            break;
        }
        if *size == 0 {
            continue;
        }
        let down = (*size).min(target - total);
        *size -= down;
        total += down;
    }
    (sizes, total)
}

/// `reconcileOldReplicaSets`: the new sizes of the active old RSs (`old`, oldest
/// first), given the new RS; equal to the current sizes when nothing can go.
pub fn reconcile_old_replica_sets(d: &Deployment, new: RsSize, old: &[RsSize]) -> Vec<i32> {
    let max_scaled_down = max_scaled_down(d, new, old);
    if max_scaled_down <= 0 {
        return old.iter().map(|s| s.replicas).collect();
    }
    let (cleaned, _) = cleanup_unhealthy_replicas(old, max_scaled_down);
    let available = old.iter().map(|s| s.available).sum::<i32>() + new.available;
    scale_down_old_for_rolling_update(min_available(d), available, &cleaned).0
}

/// How many old replicas a rolling sync may remove at most (`maxScaledDown`):
/// `Σ spec.replicas − minAvailable − new RS unavailable`; 0 when no old RS has replicas.
pub fn max_scaled_down(d: &Deployment, new: RsSize, old: &[RsSize]) -> i32 {
    let old_total: i32 = old.iter().map(|s| s.replicas).sum();
    if old_total == 0 {
        return 0;
    }
    old_total + new.replicas - min_available(d) - (new.replicas - new.available)
}

/// `oldPodsRunning` (Recreate): any old RS still counts pods, or any pod of an
/// old RS is not terminal (`old_pods`: the pods controlled by the old RSs).
pub fn old_pods_running<'a>(old: &[&ReplicaSet], old_pods: impl IntoIterator<Item = &'a Pod>) -> bool {
    old.iter().map(|rs| rs.status.replicas).sum::<i32>() > 0
        || old_pods.into_iter().any(|p| !matches!(p.phase(), PodPhase::Failed | PodPhase::Succeeded))
}
