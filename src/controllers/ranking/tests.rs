//! Table tests of the orderings (SEMANTICS §1.i cases 4–8, [TestSortingActivePods], [TestSortingActivePodsWithRanks]).

use super::*;
use crate::api::pod::{Condition, ConditionStatus, ContainerStatus};
use crate::api::ObjectMeta;

const HOUR: i64 = 3600;
fn now() -> Time {
    Time::from_secs(1_704_067_200)
}
fn ago(secs: i64) -> Option<Time> {
    Some(now().add_secs(-secs))
}
const MONTH: i64 = 31 * 24 * HOUR;

/// A pod as the upstream tests build them: ready pods get a Ready condition and one container's restarts.
fn pod(
    name: &str,
    node: &str,
    phase: PodPhase,
    ready: bool,
    restarts: i32,
    ready_since: Option<Time>,
    created: Option<Time>,
) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named("ns", name), ..Default::default() };
    p.metadata.creation_timestamp = created;
    p.spec.node_name = node.into();
    p.status.phase = Some(phase);
    if ready {
        let mut c = Condition::new("Ready", ConditionStatus::True, "", "", now());
        c.last_transition_time = ready_since;
        p.status.conditions.push(c);
        p.status.container_statuses.push(ContainerStatus { restart_count: restarts, ..Default::default() });
    }
    p
}

fn with_cost(mut p: Pod, cost: &str) -> Pod {
    p.metadata.annotations.insert(POD_DELETION_COST.into(), cost.into());
    p
}

fn names(pods: &[Arc<Pod>]) -> Vec<&str> {
    pods.iter().map(|p| p.metadata.name.as_str()).collect()
}

/// §1.i case 4: every rotation and the reverse of the input sort to exactly the list order.
#[test]
fn active_pods_sort_unassigned_pending_unready_short_ready_restarts_newer_first() {
    use PodPhase::*;
    let restarts3 = |name: &str, since: Option<Time>| {
        let mut p = pod(name, "foo", Running, true, 3, since, None);
        p.status.container_statuses.push(ContainerStatus::default());
        p
    };
    let want = vec![
        pod("unscheduled", "", Pending, false, 0, None, None),
        pod("scheduledButPending", "foo", Pending, false, 0, None, None),
        pod("unknownPhase", "foo", Unknown, false, 0, None, None),
        pod("runningButNotReady", "foo", Running, false, 0, None, None),
        restarts3("runningNoLastTransitionTime", None),
        restarts3("runningWithLastTransitionTime", Some(now())),
        restarts3("runningLongerTime", ago(MONTH)),
        pod("lowerContainerRestartCount", "foo", Running, true, 2, ago(MONTH), Some(now())),
        pod("oldest", "foo", Running, true, 2, ago(MONTH), ago(MONTH)),
    ];
    let want: Vec<Arc<Pod>> = want.into_iter().map(Arc::new).collect();
    for shift in 0..want.len() {
        for reverse in [false, true] {
            let mut pods = want.clone();
            pods.rotate_left(shift);
            if reverse {
                pods.reverse();
            }
            sort_active_pods(&mut pods);
            assert_eq!(names(&pods), names(&want), "rotation {shift}, reversed {reverse}");
        }
    }
}

/// §1.i cases 5–7 [TestSortingActivePodsWithRanks]: (lesser, rank), (greater, rank), gates.
#[test]
fn ranked_pairs_order_as_upstream() {
    use PodPhase::*;
    let unscheduled = pod("unscheduled", "", Pending, false, 0, None, None);
    let pending = pod("pending", "node", Pending, false, 0, None, None);
    let unknown = pod("unknown-phase", "node", Unknown, false, 0, None, None);
    let not_ready = pod("not-ready", "node", Running, false, 0, None, None);
    let ready_no_time = pod("ready-no-last-transition-time", "node", Running, true, 0, None, None);
    let ready_now = pod("ready-now", "node", Running, true, 0, Some(now()), Some(now()));
    let ready_then = pod("ready-then", "node", Running, true, 0, ago(MONTH), ago(MONTH));
    let high_restarts = pod("ready-high-restarts", "node", Running, true, 9001, Some(now()), Some(now()));
    let created_then = pod("ready-now-created-then", "node", Running, true, 0, Some(now()), ago(MONTH));
    let low_cost = with_cost(created_then.clone(), "10");
    let high_cost = with_cost(created_then.clone(), "100");
    let ready_2h = pod("ready-2-hours", "", Running, true, 0, ago(2 * HOUR), ago(MONTH));
    let ready_5h = pod("ready-5-hours", "", Running, true, 0, ago(5 * HOUR), ago(MONTH));
    let ready_8h = pod("ready-8-hours", "", Running, true, 0, ago(8 * HOUR), ago(MONTH));
    let unscheduled_5h = pod("unscheduled-5-hours", "", Pending, false, 0, None, ago(5 * HOUR));
    let unscheduled_8h = pod("unscheduled-8-hours", "", Pending, false, 0, None, ago(8 * HOUR));
    let on = RankGates::default();
    let no_cost = RankGates { pod_deletion_cost: false, ..on };
    let no_log = RankGates { logarithmic_scale_down: false, ..on };

    let lesser_greater = [
        ((&unscheduled, 1), (&pending, 2), on),
        ((&unscheduled, 2), (&pending, 1), on),
        ((&pending, 1), (&unknown, 2), on),
        ((&unknown, 1), (&not_ready, 2), on),
        ((&not_ready, 1), (&ready_no_time, 1), on),
        ((&ready_no_time, 1), (&ready_now, 1), on),
        ((&ready_now, 2), (&ready_no_time, 1), on),
        ((&ready_now, 1), (&ready_then, 1), on),
        ((&ready_now, 2), (&ready_then, 1), on),
        ((&high_restarts, 1), (&ready_now, 1), on),
        ((&ready_now, 2), (&high_restarts, 1), on),
        ((&ready_now, 1), (&created_then, 1), on),
        ((&created_then, 2), (&ready_now, 1), on),
        ((&low_cost, 2), (&high_cost, 1), on),      // case 5: cost before rank
        ((&high_cost, 2), (&low_cost, 1), no_cost), // case 5, gate off: rank decides
        ((&ready_2h, 1), (&ready_5h, 1), on),       // case 7: different log2 buckets
        ((&ready_5h, 1), (&ready_8h, 1), no_log),   // without the log scale: plain times
        ((&unscheduled_5h, 1), (&unscheduled_8h, 1), no_log),
    ];
    for (i, ((a, ra), (b, rb), gates)) in lesser_greater.into_iter().enumerate() {
        let (ka, kb) = (RankKey::of(a, ra), RankKey::of(b, rb));
        assert!(
            active_pods_with_ranks_less(&ka, &kb, Some(now()), gates),
            "case {i}: {} < {}",
            a.metadata.name,
            b.metadata.name
        );
        assert!(
            !active_pods_with_ranks_less(&kb, &ka, Some(now()), gates),
            "case {i}: not {} < {}",
            b.metadata.name,
            a.metadata.name
        );
    }

    let equivalent = [
        (&unscheduled, &unscheduled),
        (&pending, &pending),
        (&not_ready, &not_ready),
        (&ready_now, &ready_now),
        (&created_then, &created_then),
        (&unscheduled_5h, &unscheduled_8h), // same log2 bucket, same (empty) uid
        (&ready_5h, &ready_8h),             // case 7
    ];
    for (a, b) in equivalent {
        let (ka, kb) = (RankKey::of(a, 1), RankKey::of(b, 1));
        assert!(!active_pods_with_ranks_less(&ka, &kb, Some(now()), on), "{} ~ {}", a.metadata.name, b.metadata.name);
        assert!(!active_pods_with_ranks_less(&kb, &ka, Some(now()), on), "{} ~ {}", b.metadata.name, a.metadata.name);
    }
}

/// §1.i case 6 and the UID tie-break inside a log2 bucket.
#[test]
fn doubled_up_pods_go_first_and_a_bucket_tie_breaks_by_uid() {
    let a = pod("a", "n1", PodPhase::Running, true, 0, ago(5 * HOUR), ago(MONTH));
    let b = pod("b", "n2", PodPhase::Running, true, 0, ago(5 * HOUR), ago(MONTH));
    let gates = RankGates::default();
    assert!(active_pods_with_ranks_less(&RankKey::of(&b, 2), &RankKey::of(&a, 1), Some(now()), gates));
    let mut x = pod("x", "n", PodPhase::Running, true, 0, ago(5 * HOUR), None);
    let mut y = pod("y", "n", PodPhase::Running, true, 0, ago(8 * HOUR), None);
    x.metadata.uid = "uid-b".into();
    y.metadata.uid = "uid-a".into();
    let (kx, ky) = (RankKey::of(&x, 0), RankKey::of(&y, 0));
    assert!(active_pods_with_ranks_less(&ky, &kx, Some(now()), gates), "same bucket: smaller uid first");
    assert!(active_pods_with_ranks_less(&kx, &ky, Some(now()), RankGates { logarithmic_scale_down: false, ..gates }));
    assert!(active_pods_with_ranks_less(&kx, &ky, None, gates), "no `now`: plain times");
}

#[test]
fn logarithmic_rank_diff_buckets_ages_by_powers_of_two() {
    let n = now();
    assert_eq!(logarithmic_rank_diff(n.add_secs(-5 * HOUR), n.add_secs(-8 * HOUR), n), 0);
    assert!(logarithmic_rank_diff(n.add_secs(-2 * HOUR), n.add_secs(-5 * HOUR), n) < 0);
    assert_eq!(logarithmic_rank_diff(n, n.add_nanos(-1), n), -1, "age 0 ranks -1, age 1 ns ranks 0");
}

#[test]
fn deletion_cost_reads_an_int32_annotation() {
    let p = pod("p", "", PodPhase::Pending, false, 0, None, None);
    assert_eq!(deletion_cost(&p), 0);
    assert_eq!(deletion_cost(&with_cost(p.clone(), "-7")), -7);
    assert_eq!(deletion_cost(&with_cost(p.clone(), "2147483648")), 0, "out of int32 range");
    assert_eq!(deletion_cost(&with_cost(p, "x")), 0);
}

#[test]
fn related_ranks_count_active_pods_per_node() {
    let p = |name: &str, node: &str| Arc::new(pod(name, node, PodPhase::Running, true, 0, None, None));
    let mut gone = pod("gone", "n2", PodPhase::Running, true, 0, None, None);
    gone.metadata.deletion_timestamp = Some(now());
    let related = vec![p("r1", "n1"), p("r2", "n2"), p("r3", "n2"), Arc::new(gone), p("r4", "")];
    let pods = vec![p("a", "n1"), p("b", "n2"), p("c", "n3"), p("d", "")];
    assert_eq!(related_pod_ranks(&pods, &related), [1, 2, 0, 1]);
}

#[test]
fn sort_by_less_is_stable_and_survives_an_inconsistent_comparator() {
    let mut v: Vec<(u8, char)> = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
    sort_by_less(&mut v, |a, b| a.0 < b.0);
    assert_eq!(v, [(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    // rock < paper < scissors < rock: any order, but every element kept, no panic.
    let mut cycle: Vec<u8> = (0..50).map(|i| i % 3).collect();
    sort_by_less(&mut cycle, |a, b| (a + 1) % 3 == *b);
    assert_eq!(cycle.iter().filter(|&&x| x == 0).count(), 17);
}

// ---------------------------------------------------------------- ReplicaSets

fn rs(name: &str, replicas: i32, created: Option<Time>, revision: Option<&str>) -> Arc<ReplicaSet> {
    let mut r = ReplicaSet { metadata: ObjectMeta::named("ns", name), ..Default::default() };
    r.spec.replicas = Some(replicas);
    r.metadata.creation_timestamp = created;
    if let Some(v) = revision {
        r.metadata.annotations.insert(REVISION_ANNOTATION.into(), v.into());
    }
    Arc::new(r)
}

fn sorted(mut v: Vec<Arc<ReplicaSet>>, cmp: fn(&ReplicaSet, &ReplicaSet) -> Ordering) -> Vec<String> {
    sort_by_ordering(&mut v, |a, b| cmp(a, b));
    v.iter().map(|r| r.metadata.name.clone()).collect()
}

/// §1.g: the four orderings, each on the same set.
#[test]
fn replica_set_orderings() {
    let set = || {
        vec![
            rs("b-new", 1, ago(0), Some("3")),
            rs("a-old", 1, ago(100), Some("10")),
            rs("big", 5, ago(50), Some("2")),
            rs("a-new", 1, ago(0), Some("x")),
        ]
    };
    assert_eq!(sorted(set(), rs_by_creation_timestamp), ["a-old", "big", "a-new", "b-new"]);
    assert_eq!(sorted(set(), rs_by_size_older), ["big", "a-old", "a-new", "b-new"]);
    assert_eq!(sorted(set(), rs_by_size_newer), ["big", "b-new", "a-new", "a-old"]);
    let by_rev = vec![rs("r3", 1, ago(0), Some("3")), rs("r10", 1, ago(9), Some("10")), rs("none", 1, ago(5), None)];
    assert_eq!(sorted(by_rev, rs_by_revision), ["none", "r3", "r10"], "absent revision = 0");
    let a = rs("a", 1, ago(0), Some("x"));
    let b = rs("b", 1, ago(10), Some("1"));
    assert_eq!(rs_by_revision(&a, &b), Ordering::Greater, "unparsable: by creation (b is older)");
}

/// §1.i case 8 [TestActiveReplicaSetsFiltering]: nil cannot be expressed; `None`s are dropped by the caller.
#[test]
fn filter_active_replica_sets_keeps_those_with_replicas() {
    let input = [Some(rs("zero", 0, None, None)), None, Some(rs("foo", 1, None, None)), Some(rs("bar", 2, None, None))];
    let active = filter_active_replica_sets(input.into_iter().flatten());
    let names: Vec<&str> = active.iter().map(|r| r.metadata.name.as_str()).collect();
    assert_eq!(names, ["foo", "bar"]);
}

/// §1.i case 9 [TestComputeHash] lives with the hash (`api::hash`); checked here against its public API.
#[test]
fn template_hashes_differ_by_collision_count() {
    use crate::api::hash::compute_hash;
    use crate::api::pod::PodTemplateSpec;
    let t = PodTemplateSpec::default();
    assert_ne!(compute_hash(&t, Some(1)), compute_hash(&t, Some(2)));
    assert_ne!(compute_hash(&t, None), compute_hash(&t, Some(i32::MAX)));
    assert_eq!(compute_hash(&t, Some(1)), compute_hash(&t, Some(1)));
}
