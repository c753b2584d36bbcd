//! Table tests of the Deployment controller's pure decisions (SEMANTICS §3.j cases 1–68).

use std::time::Duration;

use super::util::*;
use crate::api::apps::{Deployment, DeploymentStatus, DeploymentStrategy, RollingUpdateDeployment};
use crate::api::intstr::IntOrString;
use crate::api::pod::{Condition, ConditionStatus, Container, Pod, PodPhase, PodTemplateSpec};
use crate::api::{ObjectMeta, ReplicaSet, Time};

mod status;

fn is(v: &str) -> IntOrString {
    match v.parse::<i32>() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(v.to_string()),
    }
}

fn template(image: &str) -> PodTemplateSpec {
    let mut t = PodTemplateSpec::default();
    t.metadata.labels.insert("app".into(), "web".into());
    t.spec.containers.push(Container { name: "c".into(), image: image.into(), ..Default::default() });
    t
}

/// A RollingUpdate Deployment of `r` replicas with these fenceposts ("" = unset).
fn rolling(r: i32, surge: &str, unavailable: &str) -> Deployment {
    let mut d = Deployment { metadata: ObjectMeta::named("ns", "web"), ..Default::default() };
    d.metadata.generation = 1;
    d.spec.replicas = Some(r);
    let opt = |v: &str| (!v.is_empty()).then(|| is(v));
    d.spec.strategy = Some(DeploymentStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateDeployment { max_surge: opt(surge), max_unavailable: opt(unavailable) }),
    });
    d.spec.template = template("v1");
    d.spec.progress_deadline_seconds = Some(600);
    d.spec.revision_history_limit = Some(10);
    d
}

fn recreate(r: i32) -> Deployment {
    let mut d = rolling(r, "", "");
    d.spec.strategy = Some(DeploymentStrategy { type_: "Recreate".into(), rolling_update: None });
    d
}

/// An RS `name` with `replicas` of which `available` are available, created `created` seconds after 0.
fn rs(name: &str, replicas: i32, available: i32, created: i64) -> ReplicaSet {
    let mut r = ReplicaSet { metadata: ObjectMeta::named("ns", name), ..Default::default() };
    r.metadata.creation_timestamp = Some(Time::from_secs(created));
    r.metadata.generation = 1;
    r.status.observed_generation = 1;
    r.spec.replicas = Some(replicas);
    r.spec.template = template(name);
    r.status.replicas = replicas;
    r.status.ready_replicas = available;
    r.status.available_replicas = available;
    r
}

fn with_revision(mut r: ReplicaSet, rev: &str) -> ReplicaSet {
    r.metadata.annotations.insert(REVISION_ANNOTATION.into(), rev.into());
    r
}

fn with_max(mut r: ReplicaSet, desired: i32, max: i32) -> ReplicaSet {
    set_replicas_annotations(&mut r.metadata.annotations, desired, max);
    r
}

// ---------------------------------------------------------------- fenceposts, cases 1–7

#[test]
fn fenceposts_round_surge_up_and_unavailable_down() {
    let cases: [(&str, &str, i32, (i32, i32)); 10] = [
        ("0%", "0%", 0, (0, 1)),    // case 1
        ("39%", "39%", 10, (4, 3)), // case 2
        ("", "39%", 10, (0, 3)),    // case 4
        ("39%", "", 10, (4, 0)),
        ("", "", 10, (0, 1)),
        ("25%", "25%", 10, (3, 2)), // case 5 (derived)
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 3, (1, 0)),
        ("25%", "25%", 1, (1, 0)),
        ("200%", "1", 3, (6, 1)),
    ];
    for (surge, unavailable, r, want) in cases {
        let opt = |v: &str| (!v.is_empty()).then(|| is(v));
        let got = resolve_fenceposts(opt(surge).as_ref(), opt(unavailable).as_ref(), r).unwrap();
        assert_eq!(got, want, "surge {surge:?} unavailable {unavailable:?} of {r}");
    }
}

#[test]
fn fenceposts_reject_values_that_are_not_percentages() {
    // case 3
    assert!(resolve_fenceposts(Some(&is("oops")), Some(&is("25%")), 10).is_err());
    assert!(resolve_fenceposts(Some(&is("25%")), Some(&is("urg")), 10).is_err());
}

#[test]
fn max_unavailable_and_min_available() {
    // cases 6 and 7: maxSurge 1; (maxUnavailable, R) → (MaxUnavailable, MinAvailable).
    let cases = [
        ("5", 10, 5, 5),
        ("10", 10, 10, 0),
        ("10", 5, 5, 0),
        ("10", 0, 0, 0),
        ("50%", 10, 5, 5),
        ("60%", 10, 6, 4),
        ("100%", 10, 10, 0),
        ("100%", 5, 5, 0),
    ];
    for (unavailable, r, want_max, want_min) in cases {
        let d = rolling(r, "1", unavailable);
        assert_eq!(max_unavailable(&d), want_max, "MaxUnavailable {unavailable} of {r}");
        assert_eq!(min_available(&d), want_min, "MinAvailable {unavailable} of {r}");
    }
    assert_eq!(max_unavailable(&recreate(10)), 0);
    assert_eq!(min_available(&recreate(10)), 0);
    assert_eq!(max_surge(&recreate(10)), 0);
}

// ---------------------------------------------------------------- new RS sizing, cases 8–15

#[test]
fn new_rs_new_replicas_respects_the_surge() {
    // cases 8–10: the RS list is one other RS of 5 plus the new RS.
    let cases = [(rolling(1, "1", "1"), 5, 5), (rolling(6, "10", "1"), 2, 6), (recreate(3), 1, 3)];
    for (d, new, want) in cases {
        assert_eq!(new_rs_new_replicas(&d, 5 + new, new).unwrap(), want, "R={:?} new={new}", d.spec.replicas);
    }
}

#[test]
fn reconcile_new_replica_set_scales_within_the_surge() {
    // cases 11–15: R=10, maxUnavailable 0; (surge, old, new) → target.
    let cases = [(0, 10, 0, None), (2, 10, 0, Some(2)), (2, 5, 0, Some(7)), (2, 10, 2, None), (2, 2, 11, Some(10))];
    for (surge, old, new, want) in cases {
        let d = rolling(10, &surge.to_string(), "0");
        assert_eq!(reconcile_new_replica_set(&d, old + new, new).unwrap(), want, "surge {surge} old {old} new {new}");
    }
}

// ---------------------------------------------------------------- old RS scale-down, cases 16–24

fn size(replicas: i32, available: i32) -> RsSize {
    RsSize { replicas, available }
}

#[test]
fn reconcile_old_replica_sets_keeps_min_available() {
    // cases 16–20: R=10, maxSurge 0; (maxUnavailable, old, new) → old target.
    let cases = [
        ("0", size(10, 10), size(0, 0), 9),
        ("2", size(10, 10), size(0, 0), 8),
        ("2", size(10, 8), size(0, 0), 8),
        ("2", size(10, 9), size(0, 0), 8),
        ("2", size(8, 8), size(2, 0), 8),
    ];
    for (unavailable, old, new, want) in cases {
        let d = rolling(10, "0", unavailable);
        assert_eq!(reconcile_old_replica_sets(&d, new, &[old]), [want], "{unavailable} {old:?} {new:?}");
    }
}

#[test]
fn cleanup_unhealthy_replicas_removes_unavailable_pods_first() {
    // case 21
    for (available, max, want) in [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)] {
        let (sizes, cleaned) = cleanup_unhealthy_replicas(&[size(10, available)], max);
        assert_eq!(cleaned, want, "{available} available, max {max}");
        assert_eq!(sizes, [10 - want]);
    }
    // oldest first, across RSs
    let (sizes, cleaned) = cleanup_unhealthy_replicas(&[size(3, 1), size(4, 0), size(2, 2)], 3);
    assert_eq!((sizes, cleaned), (vec![1, 3, 2], 3));
}

#[test]
fn scale_down_old_for_rolling_update_stops_at_min_available() {
    // case 22: R=10; (maxUnavailable, available, old) → old target.
    let cases = [("0", 10, 10, 9), ("2", 10, 10, 8), ("2", 8, 10, 10), ("2", 10, 0, 0), ("2", 1, 10, 10)];
    for (unavailable, available, old, want) in cases {
        let d = rolling(10, "0", unavailable);
        let (sizes, _) = scale_down_old_for_rolling_update(min_available(&d), available, &[old]);
        assert_eq!(sizes, [want], "{unavailable} {available} {old}");
    }
    // oldest first, each by min(its replicas, remaining)
    assert_eq!(scale_down_old_for_rolling_update(5, 9, &[1, 0, 6]), (vec![0, 0, 3], 4));
}

/// One rolling step with the pure functions: scale the new RS up, else the old ones down.
fn rolling_step(d: &Deployment, new: &mut RsSize, old: &mut [RsSize]) -> bool {
    let total = new.replicas + old.iter().map(|s| s.replicas).sum::<i32>();
    if let Some(n) = reconcile_new_replica_set(d, total, new.replicas).unwrap() {
        new.replicas = n;
        return true;
    }
    let sizes = reconcile_old_replica_sets(d, *new, old);
    let mut changed = false;
    for (s, n) in old.iter_mut().zip(sizes) {
        changed |= s.replicas != n;
        s.available = s.available.min(n);
        s.replicas = n;
    }
    changed
}

#[test]
fn a_rollout_whose_pods_never_become_available_stalls_at_13_pods() {
    // case 23: R=10, surge 3, unavailable 2, old 10/10.
    let d = rolling(10, "3", "2");
    let (mut new, mut old) = (size(0, 0), [size(10, 10)]);
    let mut trace = Vec::new();
    while rolling_step(&d, &mut new, &mut old) {
        trace.push((new.replicas, old[0].replicas));
    }
    assert_eq!(trace, [(3, 10), (3, 8), (5, 8)]);
    // case 24: one old pod becomes unavailable: still no scale-down (13 − 8 − 5 = 0).
    old[0].available = 7;
    assert!(!rolling_step(&d, &mut new, &mut old));
    // Rolled back: the old RS is new again (1 unavailable), the broken one is old.
    let (restored, broken) = (old[0], [new]);
    assert_eq!(reconcile_old_replica_sets(&d, restored, &broken), [1], "4 broken pods go");
    let total = restored.replicas + 1;
    assert_eq!(reconcile_new_replica_set(&d, total, restored.replicas).unwrap(), Some(10), "then it grows to R");
}

// ---------------------------------------------------------------- proportional scaling, cases 25–41

/// RSs named v1, v2, v3 … oldest first, annotated for the deployment size
/// `old_size` (and its surge) as upstream TestScale does; `new`: index of the new RS.
struct Scale {
    d: Deployment,
    old_size: i32,
    sizes: Vec<i32>,
    new: Option<usize>,
    desired: Vec<(usize, i32)>,
}

fn run_scale(s: Scale) -> Vec<i32> {
    let mut old_d = s.d.clone();
    old_d.spec.replicas = Some(s.old_size);
    let rss: Vec<ReplicaSet> = s
        .sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let desired = s.desired.iter().find(|(j, _)| *j == i).map_or(s.old_size, |(_, v)| *v);
            with_max(rs(&format!("v{}", i + 1), n, n, i as i64 * 60), desired, desired + max_surge(&old_d))
        })
        .collect();
    let new = s.new.map(|i| &rss[i]);
    let old: Vec<&ReplicaSet> = rss.iter().enumerate().filter(|(i, _)| Some(*i) != s.new).map(|(_, r)| r).collect();
    let steps = proportional_scale(&s.d, new, &old);
    rss.iter()
        .map(|r| steps.iter().find(|st| std::ptr::eq(st.rs, r)).map_or(r.spec.replicas.unwrap(), |st| st.replicas))
        .collect()
}

fn scale(r: i32, old_size: i32, sizes: &[i32], new: Option<usize>) -> Vec<i32> {
    let mut d = rolling(r, "0", "1");
    d.status.replicas = sizes.iter().sum();
    run_scale(Scale { d, old_size, sizes: sizes.to_vec(), new, desired: Vec::new() })
}

#[test]
fn proportional_scaling_matches_test_scale() {
    // (R, previous R, sizes oldest first, new index) → sizes.
    assert_eq!(scale(12, 10, &[10], Some(0)), [12]); // case 25
    assert_eq!(scale(5, 10, &[10], Some(0)), [5]);
    assert_eq!(scale(10, 5, &[3, 2], Some(1)), [6, 4]); // case 26
    assert_eq!(scale(3, 5, &[3, 2], Some(1)), [2, 1]); // case 27
    assert_eq!(scale(4, 9, &[1, 8], Some(1)), [0, 4]); // case 28
    assert_eq!(scale(10, 7, &[2, 3, 2], Some(2)), [3, 4, 3]); // case 29
    assert_eq!(scale(8, 13, &[3, 8, 2], Some(2)), [2, 5, 1]); // case 30
    assert_eq!(scale(4, 3, &[1, 1, 1], Some(2)), [1, 1, 2]); // case 31
    assert_eq!(scale(2, 3, &[1, 1, 1], Some(2)), [0, 1, 1]); // case 32
    assert_eq!(scale(5, 4, &[2, 2], None), [2, 3]); // case 33
    assert_eq!(scale(0, 6, &[1, 2, 3], Some(2)), [0, 0, 0]); // case 34
    assert_eq!(scale(6, 6, &[0, 0, 0], Some(2)), [0, 0, 6]); // case 35
}

#[test]
fn proportional_scaling_uses_each_rs_annotation() {
    // case 36: v2 was scaled for 3 replicas; only it changes.
    let mut d = rolling(5, "0", "1");
    d.status.replicas = 4;
    let got = run_scale(Scale { d, old_size: 5, sizes: vec![1, 1, 2], new: Some(2), desired: vec![(1, 3)] });
    assert_eq!(got, [1, 2, 2]);
}

#[test]
fn proportional_scaling_with_surge() {
    // case 37: maxSurge 2, 10 → 20, new 6 and old 6.
    let d = rolling(20, "2", "0");
    assert_eq!(run_scale(Scale { d, old_size: 10, sizes: vec![6, 6], new: Some(1), desired: vec![] }), [11, 11]);
    // case 38: 10 (surge 3) → 50 (surge 6): new 5, old 8.
    let d = rolling(50, "12%", "0");
    let mut old_d = rolling(10, "3", "0");
    old_d.status.replicas = 13;
    let rss = [with_max(rs("v1", 8, 8, 0), 10, 13), with_max(rs("v2", 5, 0, 60), 10, 13)];
    let steps = proportional_scale(&d, Some(&rss[1]), &[&rss[0]]);
    let got: Vec<(String, i32)> = steps.iter().map(|s| (s.rs.metadata.name.clone(), s.replicas)).collect();
    assert_eq!(got, [("v1".to_string(), 34), ("v2".to_string(), 22)]);
    // case 41: docs example R=10 (3, 2) → 15, old 8, new 5 stuck.
    let d = rolling(15, "3", "2");
    let steps = proportional_scale(&d, Some(&rss[1]), &[&rss[0]]);
    let got: Vec<i32> = steps.iter().map(|s| s.replicas).collect();
    assert_eq!(got, [11, 7]);
    assert!(steps.iter().all(|s| s.sync_annotations));
}

#[test]
fn proportional_scaling_on_template_and_size_change_and_unsaturated_new() {
    // case 39: no new RS, 10 → 14, v2 7 (newer), v1 3.
    assert_eq!(scale(14, 10, &[3, 7], None), [4, 10]);
    // case 40: R=2, surge 1, unavailable 1, new 2 with 0 available, old 1: nothing to add.
    let d = rolling(2, "1", "1");
    let rss = [with_max(rs("v1", 1, 1, 0), 2, 3), with_max(rs("v2", 2, 0, 60), 2, 3)];
    let steps = proportional_scale(&d, Some(&rss[1]), &[&rss[0]]);
    assert!(steps.iter().all(|s| s.replicas == crate::controllers::ranking::spec_replicas(s.rs)), "{steps:?}");
    assert!(!is_saturated(&d, Some(&rss[1])));
}

#[test]
fn a_saturated_new_rs_scales_old_ones_to_zero() {
    let d = rolling(3, "1", "0");
    let rss = [with_max(rs("v1", 2, 2, 0), 3, 4), with_max(rs("v2", 3, 3, 60), 3, 4)];
    let steps = proportional_scale(&d, Some(&rss[1]), &[&rss[0]]);
    assert_eq!(steps.len(), 1);
    assert_eq!((steps[0].rs.metadata.name.as_str(), steps[0].replicas), ("v1", 0));
}

#[test]
fn replica_set_fraction_cases() {
    // case 42
    assert_eq!(replica_set_fraction(10, Some(10), &rolling(0, "0", "1")), -10);
    // case 43: annotation missing or 0, status.replicas 0
    let d = rolling(10, "0", "1");
    assert_eq!(replica_set_fraction(5, None, &d), 0);
    assert_eq!(replica_set_fraction(5, Some(0), &d), 0);
    // case 44
    let mut d = rolling(120, "0", "1");
    d.status.replicas = 100;
    assert_eq!(replica_set_fraction(50, None, &d), 10);
    assert_eq!(replica_set_fraction(50, Some(0), &d), 10);
    // case 45
    assert_eq!(replica_set_fraction(50, Some(100), &rolling(120, "0", "1")), 10);
    assert_eq!(replica_set_fraction(50, Some(110), &rolling(120, "10", "1")), 9);
    // case 46
    assert_eq!(replica_set_fraction(6, Some(12), &rolling(10, "0", "1")), -1);
    assert_eq!(replica_set_fraction(50, Some(130), &rolling(100, "10", "1")), -8);
}

// ---------------------------------------------------------------- history cleanup, cases 55–60

fn cleanup(limit: Option<i32>, rss: &[ReplicaSet]) -> Vec<String> {
    let mut d = rolling(1, "1", "0");
    d.spec.revision_history_limit = limit;
    let old: Vec<&ReplicaSet> = rss.iter().collect();
    history_to_delete(&d, &old).into_iter().map(|r| r.metadata.name.clone()).collect::<Vec<_>>()
}

fn spec_status(name: &str, spec: i32, status: i32, created: i64) -> ReplicaSet {
    let mut r = rs(name, spec, status, created);
    r.status.replicas = status;
    r
}

#[test]
fn history_cleanup_deletes_only_empty_rss_beyond_the_limit() {
    let empty = |n: &str, t| spec_status(n, 0, 0, t);
    let three = [empty("a", 0), empty("b", 1), empty("c", 2)];
    assert_eq!(cleanup(Some(1), &three).len(), 2); // case 55
    assert!(cleanup(Some(i32::MAX), &three).is_empty());
    assert!(cleanup(None, &three).is_empty());
    let mixed =
        [spec_status("a", 0, 0, 0), spec_status("b", 0, 1, 1), spec_status("c", 1, 0, 2), spec_status("d", 1, 1, 3)];
    assert_eq!(cleanup(Some(0), &mixed), ["a"]); // case 56
    assert_eq!(cleanup(Some(0), &[empty("a", 0), empty("b", 1)]).len(), 2); // case 57
    assert!(cleanup(Some(0), &[spec_status("a", 1, 1, 0), spec_status("b", 1, 1, 1)]).is_empty());
    let mut deleting = empty("a", 0);
    deleting.metadata.deletion_timestamp = Some(Time(1));
    assert!(cleanup(Some(0), &[deleting]).is_empty());
    let mut unobserved = empty("a", 0);
    unobserved.metadata.generation = 2;
    assert!(cleanup(Some(0), &[unobserved]).is_empty());
}

#[test]
fn history_cleanup_goes_by_revision() {
    let r = |name: &str, rev: &str, spec: i32, t: i64| {
        let base = spec_status(name, spec, spec, t);
        if rev.is_empty() {
            base
        } else {
            with_revision(base, rev)
        }
    };
    // case 58
    assert_eq!(cleanup(Some(1), &[r("rs1", "1", 0, 0), r("rs2", "2", 0, 1)]), ["rs1"]);
    assert_eq!(cleanup(Some(1), &[r("rs1", "2", 0, 0), r("rs2", "1", 0, 1)]), ["rs2"]);
    assert_eq!(cleanup(Some(1), &[r("rs1", "1", 0, 0), r("rs2", "", 0, 1)]), ["rs2"]);
    assert_eq!(cleanup(Some(1), &[r("rs1", "", 0, 0), r("rs2", "2", 0, 1)]), ["rs1"]);
    // case 59
    assert_eq!(cleanup(Some(1), &[r("rs1", "1", 1, 0), r("rs2", "2", 0, 1), r("rs3", "3", 0, 2)]), ["rs2"]);
    assert!(cleanup(Some(1), &[r("rs1", "1", 1, 0), r("rs2", "2", 1, 1), r("rs3", "3", 0, 2)]).is_empty());
    // case 60
    let four = [r("rs1", "3", 0, 0), r("rs2", "1", 0, 1), r("rs3", "4", 0, 2), r("rs4", "2", 0, 3)];
    assert_eq!(cleanup(Some(2), &four), ["rs2", "rs4"]);
}

// ---------------------------------------------------------------- revisions, annotations, identity, cases 61–67

#[test]
fn new_replica_set_annotations_raise_the_revision_and_keep_history() {
    // case 61
    let d = rolling(1, "1", "0");
    let mut r = rs("v1", 1, 1, 0);
    for rev in 11..=20 {
        assert!(set_new_replica_set_annotations(&d, &mut r, rev, true, 5));
        let a = &r.metadata.annotations;
        assert_eq!(a[REVISION_ANNOTATION], rev.to_string());
        match rev {
            11 => assert!(!a.contains_key(REVISION_HISTORY_ANNOTATION)),
            12 => assert_eq!(a[REVISION_HISTORY_ANNOTATION], "11"),
            n => assert_eq!(a[REVISION_HISTORY_ANNOTATION], format!("{},{}", n - 2, n - 1)),
        }
    }
    assert!(!set_new_replica_set_annotations(&d, &mut r, 19, true, 5), "never lowered");
    assert_eq!(r.metadata.annotations[REVISION_ANNOTATION], "20");
}

#[test]
fn the_staleness_check_agrees_with_setting_the_annotations() {
    let mut d = rolling(1, "1", "0");
    let cases = [rs("v1", 1, 1, 0), with_revision(rs("v1", 1, 1, 0), "3"), with_revision(rs("v1", 1, 1, 0), "x")];
    for with_team in [false, true] {
        if with_team {
            d.metadata.annotations.insert("team".into(), "a".into());
        }
        for r in &cases {
            for rev in [1, 3, 4] {
                let mut copy = r.clone();
                let changed = set_new_replica_set_annotations(&d, &mut copy, rev, true, 100);
                assert_eq!(new_rs_annotations_stale(&d, r, rev), changed, "{:?} rev {rev}", r.metadata.annotations);
            }
        }
    }
}

#[test]
fn new_replica_set_annotations_copy_the_deployments_and_size_a_new_rs() {
    let mut d = rolling(4, "1", "0");
    d.metadata.annotations.insert("team".into(), "a".into());
    d.metadata.annotations.insert(LAST_APPLIED_ANNOTATION.into(), "{}".into());
    d.metadata.annotations.insert(REVISION_ANNOTATION.into(), "7".into());
    let mut r = rs("v1", 0, 0, 0);
    assert!(set_new_replica_set_annotations(&d, &mut r, 1, false, MAX_REV_HISTORY_LENGTH_IN_CHARS));
    let a = &r.metadata.annotations;
    assert_eq!(a["team"], "a");
    assert!(!a.contains_key(LAST_APPLIED_ANNOTATION));
    assert_eq!((a[REVISION_ANNOTATION].as_str(), a[DESIRED_REPLICAS_ANNOTATION].as_str()), ("1", "4"));
    assert_eq!(a[MAX_REPLICAS_ANNOTATION], "5");
    let mut bad = with_revision(rs("v1", 0, 0, 0), "x");
    assert!(!set_new_replica_set_annotations(&rolling(1, "1", "0"), &mut bad, 3, true, 100), "unparsable: left");
}

#[test]
fn replicas_annotations() {
    // case 62
    let mut r = rs("v1", 1, 1, 0);
    assert!(set_replicas_annotations(&mut r.metadata.annotations, 10, 11));
    assert_eq!(desired_replicas_annotation(&r), Some(10));
    assert_eq!(max_replicas_annotation(&r), Some(11));
    let sat = with_max(rs("v1", 1, 1, 0), 1, 2);
    assert!(is_saturated(&rolling(1, "1", "0"), Some(&sat)));
    // case 63
    let base = rs("v1", 1, 1, 0);
    assert!(replicas_annotations_need_update(&base, 10, 20));
    assert!(replicas_annotations_need_update(&with_max(base.clone(), 8, 20), 10, 20));
    assert!(replicas_annotations_need_update(&with_max(base.clone(), 10, 16), 10, 20));
    assert!(!replicas_annotations_need_update(&with_max(base, 10, 20), 10, 20));
}

#[test]
fn the_oldest_rs_with_the_template_is_new() {
    // case 64
    let d = rolling(1, "1", "0");
    let mut a = rs("a", 1, 1, 60);
    let mut b = rs("b", 1, 1, 0);
    for (r, h) in [(&mut a, "h1"), (&mut b, "h2")] {
        r.spec.template = d.spec.template.clone();
        r.spec.template.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), h.into());
    }
    let other = rs("c", 1, 1, 30);
    assert_eq!(find_new_replica_set(&d, &[&a, &other, &b]).unwrap().metadata.name, "b");
    assert!(find_new_replica_set(&d, &[&other]).is_none());
}

#[test]
fn equal_ignore_hash_cases() {
    // case 65
    let base = template("v1");
    let mut hashed = base.clone();
    hashed.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "x".into());
    let mut other_hash = base.clone();
    other_hash.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "y".into());
    assert!(equal_ignore_hash(&hashed, &other_hash));
    assert!(equal_ignore_hash(&base, &hashed));
    let changes: [fn(&mut PodTemplateSpec); 4] = [
        |t| {
            t.metadata.labels.insert("k".into(), "v".into());
        },
        |t| {
            t.metadata.annotations.insert("k".into(), "v".into());
        },
        |t| t.metadata.name = "n".into(),
        |t| t.spec.node_name = "node".into(),
    ];
    for change in changes {
        let mut t = hashed.clone();
        change(&mut t);
        assert!(!equal_ignore_hash(&t, &hashed));
    }
}

#[test]
fn max_and_last_revision() {
    // case 67
    let rss = [
        with_revision(rs("a", 0, 0, 0), "1"),
        with_revision(rs("b", 0, 0, 1), "2"),
        with_revision(rs("c", 1, 1, 2), "3"),
    ];
    assert_eq!(max_revision(rss.iter()), 3);
    assert_eq!(last_revision(rss.iter()), 2);
    assert_eq!(last_revision([with_revision(rs("a", 0, 0, 0), "1")].iter()), 0);
    // Rolling back to revision 2: that RS is new again and gets max+1 = 4, history "2".
    let d = rolling(1, "1", "0");
    let mut target = rss[1].clone();
    set_new_replica_set_annotations(&d, &mut target, max_revision([&rss[0], &rss[2]]) + 1, true, 2000);
    assert_eq!(target.metadata.annotations[REVISION_ANNOTATION], "4");
    assert_eq!(target.metadata.annotations[REVISION_HISTORY_ANNOTATION], "2");
}

#[test]
fn rollback_copies_template_and_annotations() {
    let mut d = rolling(1, "1", "0");
    d.metadata.annotations.insert("team".into(), "new".into());
    d.metadata.annotations.insert(ROLLBACK_TO_ANNOTATION.into(), "0".into());
    assert_eq!(rollback_to(&d), Some(0));
    let mut old = rs("v0", 0, 0, 0);
    old.spec.template.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "h".into());
    old.metadata.annotations.insert("team".into(), "old".into());
    old.metadata.annotations.insert(REVISION_ANNOTATION.into(), "1".into());
    set_from_replica_set_template(&mut d, &old.spec.template);
    set_deployment_annotations_to(&mut d, &old);
    assert!(!d.spec.template.metadata.labels.contains_key(POD_TEMPLATE_HASH_LABEL));
    assert_eq!(d.spec.template.spec.containers[0].image, "v0");
    assert_eq!(d.metadata.annotations["team"], "old");
    assert!(!d.metadata.annotations.contains_key(REVISION_ANNOTATION));
    assert!(d.metadata.annotations.contains_key(ROLLBACK_TO_ANNOTATION), "skipped keys stay");
    d.metadata.annotations.insert(ROLLBACK_TO_ANNOTATION.into(), "x".into());
    assert_eq!(rollback_to(&d), None);
}

#[test]
fn new_replica_set_carries_the_hash_everywhere() {
    let mut d = rolling(3, "1", "0");
    d.spec.selector = Some(crate::api::LabelSelector::from_labels([("app".to_string(), "web".to_string())].into()));
    d.spec.min_ready_seconds = Some(5);
    let owner = crate::controllers::pod_control::controller_ref(&d.metadata, crate::api::Kind::Deployment);
    let r = new_replica_set(&d, "abc", owner, 2);
    assert_eq!(r.metadata.name, "web-abc");
    assert_eq!(r.metadata.labels[POD_TEMPLATE_HASH_LABEL], "abc");
    assert_eq!(r.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL], "abc");
    assert_eq!(r.spec.selector.as_ref().unwrap().match_labels[POD_TEMPLATE_HASH_LABEL], "abc");
    assert_eq!((r.spec.replicas, r.spec.min_ready_seconds), (Some(2), Some(5)));
    assert!(r.metadata.controller_ref().is_some());
    assert!(equal_ignore_hash(&r.spec.template, &d.spec.template));
}

// ---------------------------------------------------------------- Recreate, case 68

#[test]
fn old_pods_running_cases() {
    let pod = |phase: PodPhase| {
        let mut p = Pod::default();
        p.status.phase = Some(phase);
        p
    };
    let empty = spec_status("v1", 0, 0, 0);
    let counted = spec_status("v1", 0, 1, 0);
    assert!(!old_pods_running(&[], []));
    assert!(old_pods_running(&[&counted], []));
    let done = [pod(PodPhase::Failed), pod(PodPhase::Succeeded)];
    assert!(!old_pods_running(&[&empty], done.iter()));
    for phase in [PodPhase::Pending, PodPhase::Running, PodPhase::Unknown] {
        let pods = [pod(PodPhase::Failed), pod(phase)];
        assert!(old_pods_running(&[&empty], pods.iter()), "{phase:?}");
    }
}

#[test]
fn find_active_or_latest_cases() {
    let (a, b, z) = (rs("a", 1, 1, 0), rs("b", 2, 2, 1), rs("z", 0, 0, 2));
    assert!(find_active_or_latest(None, &[]).is_none());
    assert_eq!(find_active_or_latest(Some(&z), &[&a]).unwrap().metadata.name, "a");
    assert!(find_active_or_latest(Some(&b), &[&a]).is_none());
    let y = rs("y", 0, 0, 3);
    assert_eq!(find_active_or_latest(Some(&z), &[&y]).unwrap().metadata.name, "z");
    assert_eq!(find_active_or_latest(None, &[&z, &y]).unwrap().metadata.name, "y", "the newest old one");
}
