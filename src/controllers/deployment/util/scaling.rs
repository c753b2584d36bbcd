//! Proportional scaling and history cleanup (SEMANTICS §3.i).

use super::*;

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
