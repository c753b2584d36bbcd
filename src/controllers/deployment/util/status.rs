//! Deployment status and conditions (SEMANTICS §3.g): counts, Available, Progressing, ReplicaFailure, the deadline.

use super::*;

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
