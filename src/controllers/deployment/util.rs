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

// ---------------------------------------------------------------- annotations and revisions (§3.c)

/// Annotations never copied between a Deployment and its ReplicaSets.
pub fn skip_copy_annotation(key: &str) -> bool {
    matches!(
        key,
        LAST_APPLIED_ANNOTATION
            | REVISION_ANNOTATION
            | REVISION_HISTORY_ANNOTATION
            | DESIRED_REPLICAS_ANNOTATION
            | MAX_REPLICAS_ANNOTATION
            | ROLLBACK_TO_ANNOTATION
    )
}

fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.metadata.annotations.get(key).and_then(|v| v.parse().ok())
}

/// `GetDesiredReplicasAnnotation`.
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    int_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
}

/// `getMaxReplicasAnnotation`.
pub fn max_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    int_annotation(rs, MAX_REPLICAS_ANNOTATION)
}

/// `ReplicasAnnotationsNeedUpdate`.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    desired_replicas_annotation(rs) != Some(desired) || max_replicas_annotation(rs) != Some(max)
}

/// `SetReplicasAnnotations`: true when something changed.
pub fn set_replicas_annotations(annotations: &mut StringMap, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (key, value) in [(DESIRED_REPLICAS_ANNOTATION, desired), (MAX_REPLICAS_ANNOTATION, max)] {
        let value = value.to_string();
        if annotations.get(key) != Some(&value) {
            annotations.insert(key.to_string(), value);
            changed = true;
        }
    }
    changed
}

/// `IsSaturated`: the RS holds all R replicas, all available, and was scaled for R.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let r = replicas(d);
    desired_replicas_annotation(rs) == Some(r) && spec_replicas(rs) == r && rs.status.available_replicas == r
}

/// `copyDeploymentAnnotationsToReplicaSet`: true when something changed.
pub fn copy_deployment_annotations_to_rs(d: &Deployment, rs: &mut StringMap) -> bool {
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if skip_copy_annotation(k) || rs.get(k) == Some(v) {
            continue;
        }
        rs.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises
/// (never lowers) the revision to `new_revision`, appends the former revision to
/// the history when raising one that was set (a rollback), and for an RS about to
/// be created (`exists` false) sets the replicas annotations. True when something changed.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
    history_limit_chars: usize,
) -> bool {
    let a = &mut rs.metadata.annotations;
    let mut changed = copy_deployment_annotations_to_rs(d, a);
    let old_revision = a.get(REVISION_ANNOTATION).cloned();
    let old_int = match old_revision.as_deref() {
        None | Some("") => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    if old_int < new_revision {
        a.insert(REVISION_ANNOTATION.to_string(), new_revision.to_string());
        changed = true;
        if let Some(old) = old_revision {
            append_revision_history(a, &old, history_limit_chars);
        }
    }
    if !exists && set_replicas_annotations(a, replicas(d), replicas(d) + max_surge(d)) {
        changed = true;
    }
    changed
}

fn append_revision_history(a: &mut StringMap, old: &str, limit: usize) {
    let history = a.get(REVISION_HISTORY_ANNOTATION).cloned().unwrap_or_default();
    if history.is_empty() {
        a.insert(REVISION_HISTORY_ANNOTATION.to_string(), old.to_string());
        return;
    }
    let entries: Vec<&str> = history.split(',').collect();
    let mut total = history.len() + old.len() + 1;
    let mut start = 0;
    while total > limit && start < entries.len() {
        total -= entries[start].len() + 1;
        start += 1;
    }
    if total <= limit {
        let mut kept: Vec<&str> = entries[start..].to_vec();
        kept.push(old);
        a.insert(REVISION_HISTORY_ANNOTATION.to_string(), kept.join(","));
    }
}

/// Whether [`set_new_replica_set_annotations`] on an existing RS would change
/// anything, without copying it: a copied Deployment annotation differs, or the
/// revision is below `new_revision` (an unparsable revision: nothing changes).
pub fn new_rs_annotations_stale(d: &Deployment, rs: &ReplicaSet, new_revision: i64) -> bool {
    let a = &rs.metadata.annotations;
    let old = match a.get(REVISION_ANNOTATION).map(String::as_str) {
        None | Some("") => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    old < new_revision || d.metadata.annotations.iter().any(|(k, v)| !skip_copy_annotation(k) && a.get(k) != Some(v))
}

/// `MaxRevision`: the highest parsable revision (0 if none).
pub fn max_revision<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i64 {
    rss.into_iter().filter_map(revision).max().unwrap_or(0).max(0)
}

/// `LastRevision`: the second highest revision (the one a rollback to "0" targets).
pub fn last_revision<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i64 {
    let (mut max, mut second) = (0, 0);
    for v in rss.into_iter().filter_map(revision) {
        if v >= max {
            second = max;
            max = v;
        } else if v > second {
            second = v;
        }
    }
    second
}

/// `SetDeploymentAnnotationsTo` (rollback): keep only the Deployment's skipped
/// annotations, then take every non-skipped annotation of the RS.
pub fn set_deployment_annotations_to(d: &mut Deployment, rs: &ReplicaSet) {
    d.metadata.annotations.retain(|k, _| skip_copy_annotation(k));
    for (k, v) in &rs.metadata.annotations {
        if !skip_copy_annotation(k) {
            d.metadata.annotations.insert(k.clone(), v.clone());
        }
    }
}

/// `SetFromReplicaSetTemplate` (rollback): the RS template without its hash label.
pub fn set_from_replica_set_template(d: &mut Deployment, template: &PodTemplateSpec) {
    d.spec.template = template.clone();
    d.spec.template.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
}

// ---------------------------------------------------------------- identity (§3.c)

/// `EqualIgnoreHash`: templates equal once their `pod-template-hash` labels are dropped.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    a.spec == b.spec && meta_equal_ignoring_label(&a.metadata, &b.metadata, POD_TEMPLATE_HASH_LABEL)
}

fn meta_equal_ignoring_label(a: &ObjectMeta, b: &ObjectMeta, label: &str) -> bool {
    let ObjectMeta {
        name,
        generate_name,
        namespace,
        uid,
        resource_version,
        generation,
        creation_timestamp,
        deletion_timestamp,
        deletion_grace_period_seconds,
        labels,
        annotations,
        owner_references,
        finalizers,
        extra,
    } = a;
    *name == b.name
        && *generate_name == b.generate_name
        && *namespace == b.namespace
        && *uid == b.uid
        && *resource_version == b.resource_version
        && *generation == b.generation
        && *creation_timestamp == b.creation_timestamp
        && *deletion_timestamp == b.deletion_timestamp
        && *deletion_grace_period_seconds == b.deletion_grace_period_seconds
        && *annotations == b.annotations
        && *owner_references == b.owner_references
        && *finalizers == b.finalizers
        && *extra == b.extra
        && labels_equal_ignoring(labels, &b.labels, label)
}

fn labels_equal_ignoring(a: &StringMap, b: &StringMap, label: &str) -> bool {
    let mut ia = a.iter().filter(|(k, _)| k.as_str() != label);
    let mut ib = b.iter().filter(|(k, _)| k.as_str() != label);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// `FindNewReplicaSet`: the oldest (by creation, then name) RS whose template equals the Deployment's.
pub fn find_new_replica_set<'a>(d: &Deployment, rss: &[&'a ReplicaSet]) -> Option<&'a ReplicaSet> {
    rss.iter()
        .filter(|rs| equal_ignore_hash(&rs.spec.template, &d.spec.template))
        .min_by(|a, b| rs_by_creation_timestamp(a, b))
        .copied()
}

/// The ReplicaSet a Deployment creates for its current template (`getNewReplicaSet`):
/// `<name>-<hash>`, hash label on labels, selector and template, owned by `owner`
/// (the controller reference), `replicas` pods; annotations are set by the caller.
pub fn new_replica_set(d: &Deployment, hash: &str, owner: crate::api::OwnerReference, replicas: i32) -> ReplicaSet {
    let mut template = d.spec.template.clone();
    template.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.to_string(), hash.to_string());
    let mut selector = d.spec.selector.clone().unwrap_or_default();
    selector.match_labels.insert(POD_TEMPLATE_HASH_LABEL.to_string(), hash.to_string());
    let mut rs = ReplicaSet {
        metadata: ObjectMeta::named(&d.metadata.namespace, format!("{}-{hash}", d.metadata.name)),
        ..Default::default()
    };
    rs.metadata.owner_references.push(owner);
    rs.metadata.labels = template.metadata.labels.clone();
    rs.spec.replicas = Some(replicas);
    rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
    rs.spec.selector = Some(selector);
    rs.spec.template = template;
    rs
}

// ---------------------------------------------------------------- proportional scaling (§3.i)

/// One write of `scale`: set `rs` to `replicas` (with the replicas annotations).
/// `keep_annotations`: also write when only the annotations are stale (`scaleReplicaSet`);
/// otherwise an RS already at `replicas` is left alone (`scaleReplicaSetAndRecordEvent`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleTo<'a> {
    pub rs: &'a ReplicaSet,
    pub replicas: i32,
    pub sync_annotations: bool,
}

/// `getReplicaSetFraction` (newer upstream: a missing or zero max-replicas
/// annotation falls back to `status.replicas`, and to no change when that is 0 too).
pub fn replica_set_fraction(rs_replicas: i32, max_annotation: Option<i32>, d: &Deployment) -> i32 {
    if replicas(d) == 0 {
        return -rs_replicas;
    }
    let deployment_replicas = i64::from(replicas(d) + max_surge(d));
    let annotated = match max_annotation {
        Some(a) if a != 0 => i64::from(a),
        _ if d.status.replicas != 0 => i64::from(d.status.replicas),
        _ => return 0,
    };
    let n = i64::from(rs_replicas) * deployment_replicas;
    // math.Round (half away from zero) of n / annotated, exactly.
    let rounded = if (n < 0) == (annotated < 0) {
        (2 * n.abs() + annotated.abs()) / (2 * annotated.abs())
    } else {
        -((2 * n.abs() + annotated.abs()) / (2 * annotated.abs()))
    };
    i32::try_from(rounded).unwrap_or(i32::MAX) - rs_replicas
}

/// `GetProportion`: this RS's share of `to_add`, bounded by what is left.
pub fn proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    let size = spec_replicas(rs);
    if size == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(size, max_replicas_annotation(rs), d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `FindActiveOrLatest`: the only active RS; with none, the new RS or else the newest old one; `None` with several.
pub fn find_active_or_latest<'a>(new: Option<&'a ReplicaSet>, old: &[&'a ReplicaSet]) -> Option<&'a ReplicaSet> {
    if new.is_none() && old.is_empty() {
        return None;
    }
    let mut active = old.iter().copied().chain(new).filter(|rs| spec_replicas(rs) > 0);
    match (active.next(), active.next()) {
        (Some(only), None) => Some(only),
        (Some(_), Some(_)) => None,
        (None, _) => new.or_else(|| old.iter().copied().max_by(|a, b| rs_by_creation_timestamp(a, b))),
    }
}

/// `scale`: the writes that bring the RSs to the Deployment's size — the only
/// active RS takes R; a saturated new RS sends old active ones to 0; otherwise
/// (RollingUpdate) the difference is spread proportionally, leftover to the first.
pub fn proportional_scale<'a>(d: &Deployment, new: Option<&'a ReplicaSet>, old: &[&'a ReplicaSet]) -> Vec<ScaleTo<'a>> {
    let r = replicas(d);
    if let Some(rs) = find_active_or_latest(new, old) {
        return if spec_replicas(rs) == r {
            Vec::new()
        } else {
            vec![ScaleTo { rs, replicas: r, sync_annotations: false }]
        };
    }
    if is_saturated(d, new) {
        return old
            .iter()
            .filter(|rs| spec_replicas(rs) > 0)
            .map(|&rs| ScaleTo { rs, replicas: 0, sync_annotations: false })
            .collect();
    }
    if is_recreate(d) {
        return Vec::new();
    }
    let mut active: Vec<&ReplicaSet> = old.iter().copied().chain(new).filter(|rs| spec_replicas(rs) > 0).collect();
    let total: i32 = active.iter().map(|rs| spec_replicas(rs)).sum();
    let allowed = if r > 0 { r + max_surge(d) } else { 0 };
    let to_add = allowed - total;
    match to_add {
        t if t > 0 => sort_by_ordering(&mut active, |a, b| rs_by_size_newer(a, b)),
        t if t < 0 => sort_by_ordering(&mut active, |a, b| rs_by_size_older(a, b)),
        _ => {}
    }
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(active.len());
    for rs in &active {
        let p = if to_add != 0 { proportion(rs, d, to_add, added) } else { 0 };
        sizes.push(spec_replicas(rs) + p);
        added += p;
    }
    if to_add != 0 {
        if let Some(first) = sizes.first_mut() {
            *first = (*first + to_add - added).max(0);
        }
    }
    active.into_iter().zip(sizes).map(|(rs, replicas)| ScaleTo { rs, replicas, sync_annotations: true }).collect()
}

// ---------------------------------------------------------------- history cleanup (§3.i)

/// `cleanupDeployment`: the old RSs to delete so that at most `revisionHistoryLimit`
/// remain — lowest revisions first among the `diff` surplus, only those with no
/// replicas (spec and status) whose generation was observed.
pub fn history_to_delete<'a>(d: &Deployment, old: &[&'a ReplicaSet]) -> Vec<&'a ReplicaSet> {
    if !has_revision_history_limit(d) {
        return Vec::new();
    }
    let limit = i64::from(d.spec.revision_history_limit.unwrap_or(0));
    let mut alive: Vec<&ReplicaSet> =
        old.iter().copied().filter(|rs| rs.metadata.deletion_timestamp.is_none()).collect();
    let diff = i64::try_from(alive.len()).unwrap_or(i64::MAX) - limit;
    if diff <= 0 {
        return Vec::new();
    }
    sort_by_ordering(&mut alive, |a, b| rs_by_revision(a, b));
    alive
        .into_iter()
        .take(usize::try_from(diff).unwrap_or(usize::MAX))
        .filter(|rs| {
            rs.status.replicas == 0
                && spec_replicas(rs) == 0
                && rs.metadata.generation <= rs.status.observed_generation
                && rs.metadata.deletion_timestamp.is_none()
        })
        .collect()
}

// ---------------------------------------------------------------- status and conditions (§3.g)

/// A Deployment condition (`NewDeploymentCondition`): update and transition time `now`.
pub fn new_condition(
    type_: &str,
    status: ConditionStatus,
    reason: &str,
    message: impl Into<String>,
    now: Time,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status,
        last_probe_time: None,
        last_update_time: Some(now),
        last_transition_time: Some(now),
        reason: reason.to_string(),
        message: message.into(),
    }
}

/// The condition of a type.
pub fn get_condition<'a>(status: &'a DeploymentStatus, type_: &str) -> Option<&'a Condition> {
    status.conditions.iter().find(|c| c.type_ == type_)
}

/// `SetDeploymentCondition`: no-op for the same status and reason; the same status
/// keeps lastTransitionTime; the condition moves to the end.
pub fn set_condition(status: &mut DeploymentStatus, mut cond: Condition) {
    if let Some(cur) = get_condition(status, &cond.type_) {
        if cur.status == cond.status && cur.reason == cond.reason {
            return;
        }
        if cur.status == cond.status {
            cond.last_transition_time = cur.last_transition_time;
        }
    }
    remove_condition(status, &cond.type_);
    status.conditions.push(cond);
}

/// `RemoveDeploymentCondition`.
pub fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    status.conditions.retain(|c| c.type_ != type_);
}

/// `calculateStatus`: counts over the RSs (`new` is among `all` or absent) and the Available condition.
pub fn calculate_status(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>, now: Time) -> DeploymentStatus {
    let available: i32 = all.iter().map(|rs| rs.status.available_replicas).sum();
    let total: i32 = all.iter().map(|rs| spec_replicas(rs)).sum();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: all.iter().map(|rs| rs.status.replicas).sum(),
        updated_replicas: new.map_or(0, |rs| rs.status.replicas),
        ready_replicas: all.iter().map(|rs| rs.status.ready_replicas).sum(),
        available_replicas: available,
        unavailable_replicas: (total - available).max(0),
        conditions: d.status.conditions.clone(),
        collision_count: d.status.collision_count,
    };
    let cond = if available >= replicas(d) - max_unavailable(d) {
        (ConditionStatus::True, MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability.")
    } else {
        (ConditionStatus::False, MINIMUM_REPLICAS_UNAVAILABLE, "Deployment does not have minimum availability.")
    };
    let cur = get_condition(&status, AVAILABLE);
    if !cur.is_some_and(|c| c.status == cond.0 && c.reason == cond.1) {
        set_condition(&mut status, new_condition(AVAILABLE, cond.0, cond.1, cond.2, now));
    }
    status
}

/// `DeploymentComplete`: updated = replicas = available = R and the generation observed.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let r = replicas(d);
    status.updated_replicas == r
        && status.replicas == r
        && status.available_replicas == r
        && status.observed_generation >= d.metadata.generation
}

/// `DeploymentProgressing`: more updated, fewer old, more ready or more available pods than `d.status`.
pub fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = &d.status;
    new.updated_replicas > old.updated_replicas
        || new.replicas - new.updated_replicas < old.replicas - old.updated_replicas
        || new.ready_replicas > old.ready_replicas
        || new.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`: the Progressing condition of `status` was last updated
/// more than the deadline before `now` (already timed out stays; complete never).
pub fn deployment_timed_out(d: &Deployment, status: &DeploymentStatus, now: Time) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_condition(status, PROGRESSING) else { return false };
    match c.reason.as_str() {
        NEW_RS_AVAILABLE => false,
        TIMED_OUT => true,
        _ => {
            let deadline = i64::from(d.spec.progress_deadline_seconds.unwrap_or(0));
            c.last_update_time.unwrap_or_default().add_secs(deadline) < now
        }
    }
}

/// `getReplicaFailures`: the new RS's ReplicaFailure condition, else any RS's, as a Deployment condition.
pub fn replica_failure(all: &[&ReplicaSet], new: Option<&ReplicaSet>) -> Option<Condition> {
    let of = |rs: &ReplicaSet| rs.status.conditions.iter().find(|c| c.type_ == REPLICA_FAILURE).cloned();
    new.and_then(of).or_else(|| all.iter().find_map(|rs| of(rs))).map(|mut c| {
        c.last_update_time = c.last_transition_time;
        c.last_probe_time = None;
        c
    })
}

/// `syncRolloutStatus`'s new status: counts, Available, Progressing (complete /
/// progressing / timed out, when a deadline is set), ReplicaFailure.
pub fn rollout_status(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>, now: Time) -> DeploymentStatus {
    let mut status = calculate_status(d, all, new, now);
    if !has_progress_deadline(d) {
        remove_condition(&mut status, PROGRESSING);
    }
    let current = get_condition(&d.status, PROGRESSING);
    let complete_before =
        status.replicas == status.updated_replicas && current.is_some_and(|c| c.reason == NEW_RS_AVAILABLE);
    if has_progress_deadline(d) && !complete_before {
        let subject = match new {
            Some(rs) => format!("ReplicaSet \"{}\"", rs.metadata.name),
            None => format!("Deployment \"{}\"", d.metadata.name),
        };
        if deployment_complete(d, &status) {
            let msg = format!("{subject} has successfully progressed.");
            set_condition(&mut status, new_condition(PROGRESSING, ConditionStatus::True, NEW_RS_AVAILABLE, msg, now));
        } else if deployment_progressing(d, &status) {
            let mut cond = new_condition(
                PROGRESSING,
                ConditionStatus::True,
                RS_UPDATED,
                format!("{subject} is progressing."),
                now,
            );
            if let Some(cur) = current {
                if cur.status == ConditionStatus::True {
                    cond.last_transition_time = cur.last_transition_time;
                }
                remove_condition(&mut status, PROGRESSING);
            }
            set_condition(&mut status, cond);
        } else if deployment_timed_out(d, &status, now) {
            let msg = format!("{subject} has timed out progressing.");
            set_condition(&mut status, new_condition(PROGRESSING, ConditionStatus::False, TIMED_OUT, msg, now));
        }
    }
    match replica_failure(all, new) {
        Some(c) => set_condition(&mut status, c),
        None => remove_condition(&mut status, REPLICA_FAILURE),
    }
    status
}

/// True when [`rollout_status`] would give `d.status` back unchanged, decided
/// without building a status (the steady-state fast path): same counts and
/// observed generation, Available already as it would be set, Progressing left
/// alone (no deadline and no such condition, or complete before and still all
/// updated), no ReplicaFailure anywhere. `false` means "compute it".
pub fn rollout_status_unchanged(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>) -> bool {
    let s = &d.status;
    let available: i32 = all.iter().map(|rs| rs.status.available_replicas).sum();
    let total: i32 = all.iter().map(|rs| spec_replicas(rs)).sum();
    let actual: i32 = all.iter().map(|rs| rs.status.replicas).sum();
    let updated = new.map_or(0, |rs| rs.status.replicas);
    let counts_same = s.observed_generation == d.metadata.generation
        && s.replicas == actual
        && s.updated_replicas == updated
        && s.ready_replicas == all.iter().map(|rs| rs.status.ready_replicas).sum::<i32>()
        && s.available_replicas == available
        && s.unavailable_replicas == (total - available).max(0);
    if !counts_same {
        return false;
    }
    let want = if available >= replicas(d) - max_unavailable(d) {
        (ConditionStatus::True, MINIMUM_REPLICAS_AVAILABLE)
    } else {
        (ConditionStatus::False, MINIMUM_REPLICAS_UNAVAILABLE)
    };
    let available_same = get_condition(s, AVAILABLE).is_some_and(|c| c.status == want.0 && c.reason == want.1);
    let progressing = get_condition(s, PROGRESSING);
    let progressing_same = if has_progress_deadline(d) {
        actual == updated && progressing.is_some_and(|c| c.reason == NEW_RS_AVAILABLE)
    } else {
        progressing.is_none()
    };
    let no_failure = get_condition(s, REPLICA_FAILURE).is_none()
        && all.iter().chain(new.as_ref()).all(|rs| rs.status.conditions.iter().all(|c| c.type_ != REPLICA_FAILURE));
    available_same && progressing_same && no_failure
}

/// When the controller re-queues a rollout that shows no progress
/// (`requeueStuckDeployment`): `None` (no deadline, no condition, complete or
/// timed out); `Some(ZERO)` for a rate-limited requeue now (< 1 s left);
/// otherwise the time left until the deadline (the caller adds 1 s).
pub fn requeue_stuck(d: &Deployment, new: &DeploymentStatus, now: Time) -> Option<Duration> {
    let cur = get_condition(&d.status, PROGRESSING)?;
    if !has_progress_deadline(d) || deployment_complete(d, new) || cur.reason == TIMED_OUT {
        return None;
    }
    let deadline = cur.last_update_time.unwrap_or_default().add_secs(i64::from(d.spec.progress_deadline_seconds?));
    let after = deadline.as_nanos() - now.as_nanos();
    if after < Time::NANOS_PER_SEC {
        return Some(Duration::ZERO);
    }
    Some(Duration::from_nanos(u64::try_from(after).unwrap_or(0)))
}

/// `checkPausedConditions`: the Progressing condition to set when pausing or
/// resuming (only with a deadline; never over ProgressDeadlineExceeded).
pub fn paused_condition(d: &Deployment, now: Time) -> Option<Condition> {
    if !has_progress_deadline(d) {
        return None;
    }
    let cur = get_condition(&d.status, PROGRESSING);
    if cur.is_some_and(|c| c.reason == TIMED_OUT) {
        return None;
    }
    let paused_exists = cur.is_some_and(|c| c.reason == PAUSED);
    if d.spec.paused && !paused_exists {
        Some(new_condition(PROGRESSING, ConditionStatus::Unknown, PAUSED, "Deployment is paused", now))
    } else if !d.spec.paused && paused_exists {
        Some(new_condition(PROGRESSING, ConditionStatus::Unknown, RESUMED, "Deployment is resumed", now))
    } else {
        None
    }
}
