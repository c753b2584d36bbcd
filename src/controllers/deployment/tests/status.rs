//! Table tests of the Deployment status and conditions (SEMANTICS §3.j cases 47–54, 66).

use super::*;

fn status(replicas: i32, updated: i32, ready: i32, available: i32) -> DeploymentStatus {
    DeploymentStatus {
        observed_generation: 1,
        replicas,
        updated_replicas: updated,
        ready_replicas: ready,
        available_replicas: available,
        ..Default::default()
    }
}

#[test]
fn deployment_complete_cases() {
    // case 47: (R, replicas, updated, available, maxUnavailable, maxSurge)
    let cases = [
        (5, 5, 5, 4, "1", "0", false),
        (5, 5, 5, 3, "1", "0", false),
        (5, 5, 5, 5, "0", "1", true),
        (5, 5, 4, 5, "0", "1", false),
        (1, 2, 1, 1, "0", "1", false),
        (1, 1, 1, 0, "1", "1", false),
    ];
    for (r, replicas, updated, available, unavailable, surge, want) in cases {
        let d = rolling(r, surge, unavailable);
        assert_eq!(deployment_complete(&d, &status(replicas, updated, available, available)), want);
    }
    let mut d = rolling(1, "1", "0");
    d.metadata.generation = 2;
    assert!(!deployment_complete(&d, &status(1, 1, 1, 1)), "generation not observed yet");
}

#[test]
fn deployment_progressing_cases() {
    // case 48
    let cases = [
        ((10, 4, 4, 4), (10, 6, 4, 4), true),
        ((10, 4, 4, 4), (10, 4, 4, 4), false),
        ((10, 4, 6, 6), (8, 4, 6, 6), true),
        ((10, 7, 3, 3), (10, 6, 3, 3), false),
        ((10, 4, 7, 7), (8, 8, 5, 5), true),
        ((10, 10, 9, 8), (10, 10, 10, 8), true),
        ((10, 10, 10, 9), (10, 10, 10, 10), true),
    ];
    for (old, new, want) in cases {
        let mut d = rolling(10, "1", "1");
        d.status = status(old.0, old.1, old.2, old.3);
        assert_eq!(deployment_progressing(&d, &status(new.0, new.1, new.2, new.3)), want, "{old:?} → {new:?}");
    }
}

fn progressing(status: ConditionStatus, reason: &str, updated: Time) -> Condition {
    new_condition(PROGRESSING, status, reason, "", updated)
}

#[test]
fn deployment_timed_out_cases() {
    // case 49
    let now = Time::from_secs(80);
    let with = |deadline: Option<i32>, reason: &str, updated: i64| {
        let mut d = rolling(1, "1", "0");
        d.spec.progress_deadline_seconds = deadline;
        let mut s = status(1, 0, 0, 0);
        s.conditions.push(progressing(ConditionStatus::True, reason, Time::from_secs(updated)));
        deployment_timed_out(&d, &s, now)
    };
    assert!(with(Some(10), RS_UPDATED, 69));
    assert!(!with(Some(10), RS_UPDATED, 71));
    assert!(!with(Some(10), RS_UPDATED, 70), "exactly at the deadline is not past it");
    assert!(!with(None, RS_UPDATED, 0));
    assert!(!with(Some(i32::MAX), RS_UPDATED, 0));
    assert!(!with(Some(10), NEW_RS_AVAILABLE, 0));
    assert!(with(Some(10), TIMED_OUT, 79));
}

#[test]
fn requeue_stuck_deployment_cases() {
    // case 50: deadline 60 s, lastUpdate 18:49:00 (t=0 here), 3 updated, 1 available.
    let t0 = Time::from_secs(67_740);
    let d = |deadline: Option<i32>, cond: Option<&str>| {
        let mut d = rolling(3, "1", "0");
        d.spec.progress_deadline_seconds = deadline;
        if let Some(reason) = cond {
            d.status.conditions.push(progressing(ConditionStatus::True, reason, t0));
        }
        d
    };
    let stuck = status(3, 3, 1, 1);
    let at = |secs: i64, nanos: i64| t0.add_secs(secs).add_nanos(nanos);
    let cases = [
        (at(30, 0), Some(Duration::from_secs(30))),
        (at(59, 0), Some(Duration::from_secs(1))),
        (at(59, 1), Some(Duration::ZERO)),
        (at(60, 0), Some(Duration::ZERO)),
        (at(61, 0), Some(Duration::ZERO)),
        (at(120, 0), Some(Duration::ZERO)),
    ];
    for (now, want) in cases {
        assert_eq!(requeue_stuck(&d(Some(60), Some(RS_UPDATED)), &stuck, now), want, "at {now:?}");
    }
    assert_eq!(requeue_stuck(&d(None, Some(RS_UPDATED)), &stuck, at(1, 0)), None);
    assert_eq!(requeue_stuck(&d(Some(i32::MAX), Some(RS_UPDATED)), &stuck, at(1, 0)), None);
    assert_eq!(requeue_stuck(&d(Some(60), None), &stuck, at(1, 0)), None);
    assert_eq!(requeue_stuck(&d(Some(60), Some(RS_UPDATED)), &status(3, 3, 3, 3), at(1, 0)), None);
    assert_eq!(requeue_stuck(&d(Some(60), Some(TIMED_OUT)), &stuck, at(1, 0)), None);
}

#[test]
fn rollout_status_without_a_deadline_drops_progressing() {
    // case 51
    let mut d = rolling(1, "1", "0");
    d.spec.progress_deadline_seconds = None;
    d.status.conditions.push(progressing(ConditionStatus::True, RS_UPDATED, Time::from_secs(1)));
    let new = rs("v1", 1, 1, 0);
    let s = rollout_status(&d, &[&new], Some(&new), Time::from_secs(5));
    assert!(get_condition(&s, PROGRESSING).is_none());
    assert_eq!(get_condition(&s, AVAILABLE).unwrap().reason, MINIMUM_REPLICAS_AVAILABLE);
}

#[test]
fn rollout_status_completes_keeping_or_resetting_times() {
    // case 52
    let t_old = Time::from_secs(10);
    let now = Time::from_secs(1000);
    let new = rs("v1", 3, 3, 0);
    let mut d = rolling(3, "1", "0");
    d.status.conditions.push(progressing(ConditionStatus::True, RS_UPDATED, t_old));
    let s = rollout_status(&d, &[&new], Some(&new), now);
    let c = get_condition(&s, PROGRESSING).unwrap();
    assert_eq!((c.status, c.reason.as_str()), (ConditionStatus::True, NEW_RS_AVAILABLE));
    assert_eq!((c.last_transition_time, c.last_update_time), (Some(t_old), Some(now)));
    d.status.conditions = vec![progressing(ConditionStatus::False, TIMED_OUT, t_old)];
    let c = get_condition(&rollout_status(&d, &[&new], Some(&new), now), PROGRESSING).cloned().unwrap();
    assert_eq!(
        (c.status, c.reason.as_str(), c.last_transition_time),
        (ConditionStatus::True, NEW_RS_AVAILABLE, Some(now))
    );
}

#[test]
fn rollout_status_times_out_once() {
    // case 53: new RS 3 spec / 2 actual / 2 available, old RS 0 / 1 / 1.
    let t_old = Time::from_secs(10);
    let now = Time::from_secs(10_000);
    let mut new = rs("v2", 3, 2, 60);
    new.status.replicas = 2;
    let mut old = rs("v1", 0, 1, 0);
    old.status.replicas = 1;
    let mut d = rolling(3, "1", "0");
    d.status = status(3, 2, 3, 3);
    d.status.conditions.push(progressing(ConditionStatus::True, RS_UPDATED, t_old));
    let c = get_condition(&rollout_status(&d, &[&old, &new], Some(&new), now), PROGRESSING).cloned().unwrap();
    assert_eq!((c.status, c.reason.as_str()), (ConditionStatus::False, TIMED_OUT));
    d.status.conditions = vec![progressing(ConditionStatus::False, TIMED_OUT, t_old)];
    let c = get_condition(&rollout_status(&d, &[&old, &new], Some(&new), now), PROGRESSING).cloned().unwrap();
    assert_eq!(c, progressing(ConditionStatus::False, TIMED_OUT, t_old), "kept as it was");
}

#[test]
fn rollout_status_of_an_empty_deployment_is_complete() {
    // case 54
    let mut d = rolling(0, "1", "0");
    d.status.conditions.push(progressing(ConditionStatus::True, RS_UPDATED, Time::from_secs(1)));
    let only = rs("v1", 0, 0, 0);
    let s = rollout_status(&d, &[&only], None, Time::from_secs(2));
    assert_eq!(get_condition(&s, PROGRESSING).unwrap().reason, NEW_RS_AVAILABLE);
}

#[test]
fn status_counts_and_replica_failure() {
    // case 66: spec sum 3, actual sum 5.
    let (mut a, mut b) = (rs("a", 1, 1, 0), rs("b", 2, 2, 1));
    a.status.replicas = 2;
    b.status.replicas = 3;
    let d = rolling(3, "1", "0");
    let s = calculate_status(&d, &[&a, &b], Some(&b), Time(0));
    assert_eq!((s.replicas, s.updated_replicas, s.available_replicas, s.unavailable_replicas), (5, 3, 3, 0));
    // ReplicaFailure comes from the new RS first, then any RS.
    let fail = |r: &mut ReplicaSet, reason: &str| {
        r.status.conditions.push(Condition::new(REPLICA_FAILURE, ConditionStatus::True, reason, "", Time(5)))
    };
    fail(&mut a, "FailedCreate");
    assert_eq!(replica_failure(&[&a, &b], Some(&b)).unwrap().reason, "FailedCreate");
    fail(&mut b, "FailedDelete");
    let c = replica_failure(&[&a, &b], Some(&b)).unwrap();
    assert_eq!((c.reason.as_str(), c.last_update_time), ("FailedDelete", Some(Time(5))));
    assert!(replica_failure(&[], None).is_none());
}

#[test]
fn paused_conditions() {
    let now = Time::from_secs(3);
    let mut d = rolling(1, "1", "0");
    d.spec.paused = true;
    assert_eq!(paused_condition(&d, now).unwrap().reason, PAUSED);
    d.status.conditions.push(paused_condition(&d, now).unwrap());
    assert!(paused_condition(&d, now).is_none());
    d.spec.paused = false;
    let c = paused_condition(&d, now).unwrap();
    assert_eq!((c.status, c.reason.as_str()), (ConditionStatus::Unknown, RESUMED));
    d.spec.paused = true;
    d.status.conditions = vec![progressing(ConditionStatus::False, TIMED_OUT, now)];
    assert!(paused_condition(&d, now).is_none(), "never over ProgressDeadlineExceeded");
    d.spec.progress_deadline_seconds = Some(i32::MAX);
    d.status.conditions.clear();
    assert!(paused_condition(&d, now).is_none());
}

#[test]
fn set_condition_keeps_times_for_the_same_status() {
    let mut s = DeploymentStatus::default();
    set_condition(&mut s, progressing(ConditionStatus::True, RS_UPDATED, Time(1)));
    set_condition(&mut s, progressing(ConditionStatus::True, RS_UPDATED, Time(2)));
    assert_eq!(s.conditions[0].last_update_time, Some(Time(1)), "same status and reason: no-op");
    set_condition(&mut s, progressing(ConditionStatus::True, NEW_RS_AVAILABLE, Time(3)));
    assert_eq!(
        (s.conditions[0].last_transition_time, s.conditions[0].last_update_time),
        (Some(Time(1)), Some(Time(3)))
    );
    set_condition(&mut s, progressing(ConditionStatus::False, TIMED_OUT, Time(4)));
    assert_eq!(s.conditions[0].last_transition_time, Some(Time(4)));
    assert_eq!(s.conditions.len(), 1);
}

#[test]
fn the_unchanged_fast_path_agrees_with_the_full_status() {
    let now = Time::from_secs(500);
    let new = rs("v2", 3, 3, 60);
    let old = rs("v1", 0, 0, 0);
    let mut d = rolling(3, "1", "0");
    // Converge: apply the full status until it no longer changes.
    for _ in 0..3 {
        d.status = rollout_status(&d, &[&old, &new], Some(&new), now);
    }
    assert!(rollout_status_unchanged(&d, &[&old, &new], Some(&new)), "steady: {:?}", d.status);
    let mut variants: Vec<(Deployment, ReplicaSet, ReplicaSet)> = Vec::new();
    let mut v = d.clone();
    v.metadata.generation = 2;
    variants.push((v, old.clone(), new.clone()));
    let mut n = new.clone();
    n.status.available_replicas = 2;
    variants.push((d.clone(), old.clone(), n));
    let mut o = old.clone();
    o.status.conditions.push(Condition::new(REPLICA_FAILURE, ConditionStatus::True, "FailedCreate", "", now));
    variants.push((d.clone(), o, new.clone()));
    let mut v = d.clone();
    v.spec.progress_deadline_seconds = None;
    variants.push((v, old.clone(), new.clone()));
    let mut v = d.clone();
    v.status.conditions.retain(|c| c.type_ != AVAILABLE);
    variants.push((v, old.clone(), new.clone()));
    for (i, (d, o, n)) in variants.iter().enumerate() {
        let unchanged = rollout_status_unchanged(d, &[o, n], Some(n));
        assert!(!unchanged, "variant {i} changes the status");
        assert_ne!(rollout_status(d, &[o, n], Some(n), now), d.status, "variant {i}");
    }
}
