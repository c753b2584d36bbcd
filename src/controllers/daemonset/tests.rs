//! Table tests of the DaemonSet controller's pure decisions: every SEMANTICS §6.h case, each
//! for OnDelete and RollingUpdate where §6.h says so.
//!
//! Multi-step cases run through [`Sim`], the world of the upstream unit tests: nodes, the DS's
//! pods by node, and a pod control that applies creates and deletes at once and observes them
//! (so, as upstream, one sync is manage and then — expectations satisfied — one rolling-update step).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::util::*;
use crate::api::apps::{DaemonSetUpdateStrategy, RollingUpdateDaemonSet};
use crate::api::intstr::IntOrString;
use crate::api::node_affinity::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
};
use crate::api::pod::{Condition, ConditionStatus, Pod, PodPhase};
use crate::api::taint::{Taint, TaintEffect, Toleration};
use crate::api::{DaemonSet, LabelSelector, Node, ObjectMeta, StringMap, Time};

const HASH: &str = "55555";

fn labels(pairs: &[(&str, &str)]) -> StringMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn node(name: &str) -> Node {
    Node { metadata: ObjectMeta::named("", name), ..Default::default() }
}

/// `n` nodes `node-0…`; those at `labelled` indexes carry `color=blue`.
fn nodes(n: usize, labelled: impl Fn(usize) -> bool) -> Vec<Node> {
    (0..n)
        .map(|i| {
            let mut nd = node(&format!("node-{i}"));
            if labelled(i) {
                nd.metadata.labels = labels(&[("color", "blue")]);
            }
            nd
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Strategy {
    OnDelete,
    /// maxUnavailable, maxSurge
    Rolling(i32, i32),
}

const BOTH: [Strategy; 2] = [Strategy::OnDelete, Strategy::Rolling(1, 0)];

fn daemon_set(strategy: Strategy) -> DaemonSet {
    let mut ds = DaemonSet { metadata: ObjectMeta::named("ns", "ds"), ..Default::default() };
    ds.metadata.uid = "ds-uid".into();
    ds.spec.selector = Some(LabelSelector::from_labels(labels(&[("app", "d")])));
    ds.spec.template.metadata.labels = labels(&[("app", "d")]);
    ds.spec.update_strategy = Some(match strategy {
        Strategy::OnDelete => DaemonSetUpdateStrategy { type_: "OnDelete".into(), rolling_update: None },
        Strategy::Rolling(u, s) => DaemonSetUpdateStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(RollingUpdateDaemonSet {
                max_unavailable: Some(IntOrString::Int(u)),
                max_surge: Some(IntOrString::Int(s)),
            }),
        },
    });
    ds
}

fn with_node_selector(mut ds: DaemonSet) -> DaemonSet {
    ds.spec.template.spec.node_selector = labels(&[("color", "blue")]);
    ds
}

/// A running, not-ready pod on `node` created at `t` seconds, with `hash` (empty: none).
fn pod(name: &str, node: &str, t: i64, hash: &str) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named("ns", name), ..Default::default() };
    p.metadata.labels = labels(&[("app", "d")]);
    if !hash.is_empty() {
        p.metadata.labels.insert(CONTROLLER_REVISION_HASH_LABEL.into(), hash.into());
    }
    p.metadata.creation_timestamp = Some(Time::from_secs(t));
    p.spec.node_name = node.into();
    p.status.phase = Some(PodPhase::Running);
    p
}

fn ready(mut p: Pod, since: i64) -> Pod {
    p.status.conditions.retain(|c| c.type_ != "Ready");
    p.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", Time::from_secs(since)));
    p
}

fn phase(mut p: Pod, phase: PodPhase) -> Pod {
    p.status.phase = Some(phase);
    p
}

fn deleting(mut p: Pod) -> Pod {
    p.metadata.deletion_timestamp = Some(Time::from_secs(1));
    p
}

/// The upstream test world: nodes, the DS's pods by node, a pod control that acts at once.
struct Sim {
    ds: DaemonSet,
    nodes: Vec<Node>,
    pods: BTreeMap<String, Vec<Arc<Pod>>>,
    hash: String,
    now: Time,
    backoff: FailedPodsBackoff,
    next_pod: usize,
    /// Events of the last sync.
    events: Vec<(&'static str, String)>,
    requeue: Option<Duration>,
}

impl Sim {
    fn new(ds: DaemonSet, nodes: Vec<Node>) -> Sim {
        Sim {
            ds,
            nodes,
            pods: BTreeMap::new(),
            hash: HASH.into(),
            now: Time::from_secs(1_000),
            backoff: FailedPodsBackoff::default(),
            next_pod: 0,
            events: Vec::new(),
            requeue: None,
        }
    }

    fn add(&mut self, p: Pod) {
        let node = target_node_name(&p).unwrap().to_string();
        self.pods.entry(node).or_default().push(Arc::new(p));
    }

    fn all_pods(&self) -> Vec<Arc<Pod>> {
        self.pods.values().flatten().cloned().collect()
    }

    fn count(&self, node: &str) -> usize {
        self.pods.get(node).map_or(0, |p| p.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).count())
    }

    fn apply(&mut self, creates: &[String], deletes: &[Arc<Pod>]) {
        for node in creates {
            self.next_pod += 1;
            let p = pod(&format!("new-{}", self.next_pod), node, self.now.secs(), &self.hash.clone());
            self.pods.entry(node.clone()).or_default().push(Arc::new(p));
        }
        for d in deletes {
            for pods in self.pods.values_mut() {
                pods.retain(|p| p.metadata.name != d.metadata.name);
            }
        }
        self.pods.retain(|_, p| !p.is_empty());
    }

    fn manage(&mut self) -> (Vec<String>, Vec<Arc<Pod>>) {
        let e = Eligibility::of(&self.ds.spec.template);
        let surge = allows_surge(&self.ds);
        let min_ready = self.ds.spec.min_ready_seconds.unwrap_or(0);
        let (mut creates, mut deletes) = (Vec::new(), Vec::new());
        self.events.clear();
        self.requeue = None;
        for n in &self.nodes {
            let name = &n.metadata.name;
            let pods = self.pods.get(name).cloned().unwrap_or_default();
            let pods: Vec<Arc<Pod>> = pods.into_iter().filter(|p| counts_for_sync(p)).collect();
            let key = format!("{}/{}/{name}", self.ds.metadata.uid, self.ds.status.observed_generation);
            let (backoff, now) = (&self.backoff, self.now);
            let plan = pods_should_be_on_node(e.verdict(n), &pods, surge, &self.hash, min_ready, now, || {
                backoff.remaining(&key, now).or_else(|| {
                    backoff.next(&key, now);
                    None
                })
            });
            if plan.create {
                creates.push(name.clone());
            }
            deletes.extend(plan.delete);
            self.events.extend(plan.events);
            self.requeue = self.requeue.or(plan.requeue_after);
        }
        (creates, deletes)
    }

    fn rolling(&self) -> RolloutPlan {
        let e = Eligibility::of(&self.ds.spec.template);
        let verdicts: BTreeMap<&str, bool> =
            self.nodes.iter().map(|n| (n.metadata.name.as_str(), e.verdict(n).should_run)).collect();
        let desired = verdicts.values().filter(|r| **r).count() as i32;
        let mut names: Vec<&str> = verdicts.keys().copied().chain(self.pods.keys().map(String::as_str)).collect();
        names.sort_unstable();
        names.dedup();
        let view: Vec<NodePods<'_>> = names
            .into_iter()
            .map(|name| NodePods {
                name,
                should_run: verdicts.get(name).copied().unwrap_or(false),
                pods: self.pods.get(name).map_or(&[][..], Vec::as_slice),
            })
            .filter(|v| v.should_run || !v.pods.is_empty())
            .collect();
        let (max_surge, max_unavailable) = surge_and_unavailable(&self.ds, desired);
        let r = Rollout {
            hash: &self.hash,
            generation: template_generation(&self.ds),
            max_surge,
            max_unavailable,
            desired,
            min_ready_seconds: self.ds.spec.min_ready_seconds.unwrap_or(0),
            now: self.now,
        };
        rolling_update(&view, &r)
    }

    /// One sync: manage, then (every action observed at once) one rolling-update step. Returns (creates, deletes).
    fn sync(&mut self) -> (usize, usize) {
        let (creates, deletes) = self.manage();
        let (c, d) = (creates.len().min(BURST_REPLICAS), deletes.len().min(BURST_REPLICAS));
        self.apply(&creates[..c], &deletes[..d]);
        if !is_rolling_update(&self.ds) {
            return (c, d);
        }
        let plan = self.rolling();
        self.apply(&plan.create, &plan.delete);
        (c + plan.create.len(), d + plan.delete.len())
    }

    fn mark_ready(&mut self) {
        let now = self.now.secs();
        for pods in self.pods.values_mut() {
            for p in pods.iter_mut() {
                if !p.is_ready() {
                    *p = Arc::new(ready((**p).clone(), now));
                }
            }
        }
    }

    /// Sets the Ready condition (since now) of up to `count` non-deleting pods (node order)
    /// whose readiness differs and that `f(pod, node)` picks; all `count` must be found.
    fn set_readiness(&mut self, is_ready: bool, mut count: usize, f: impl Fn(&Pod, &str) -> bool) {
        let now = self.now;
        for (node, pods) in self.pods.iter_mut() {
            for p in pods.iter_mut() {
                if count == 0 || p.metadata.deletion_timestamp.is_some() || p.is_ready() == is_ready || !f(p, node) {
                    continue;
                }
                let mut next = (**p).clone();
                next.status.conditions.retain(|c| c.type_ != "Ready");
                let status = if is_ready { ConditionStatus::True } else { ConditionStatus::False };
                next.status.conditions.push(Condition::new("Ready", status, "", "", now));
                *p = Arc::new(next);
                count -= 1;
            }
        }
        assert_eq!(count, 0, "not enough pods to mark");
    }

    fn new_template(&mut self, hash: &str) {
        self.ds.spec.template.metadata.annotations.insert("v".into(), hash.into());
        self.hash = hash.into();
    }

    fn status(&self) -> StatusCounts {
        let e = Eligibility::of(&self.ds.spec.template);
        let mut s = StatusCounts::default();
        let min_ready = self.ds.spec.min_ready_seconds.unwrap_or(0);
        let generation = template_generation(&self.ds);
        for n in &self.nodes {
            let pods = self.pods.get(&n.metadata.name).map_or(&[][..], Vec::as_slice);
            s.add_node(e.verdict(n).should_run, pods, &self.hash, generation, min_ready, self.now);
        }
        s
    }
}

// ---------------------------------------------------------------- eligibility (§6.c)

#[test]
fn case_1_five_nodes_without_pods_get_five_pods() {
    for s in BOTH {
        let mut sim = Sim::new(daemon_set(s), nodes(5, |_| false));
        assert_eq!(sim.sync(), (5, 0), "{s:?}");
        assert!((0..5).all(|i| sim.count(&format!("node-{i}")) == 1));
    }
}

#[test]
fn case_2_existing_pods_are_topped_up_and_trimmed_to_one_per_node() {
    for s in [Strategy::OnDelete, Strategy::Rolling(1, 0), Strategy::Rolling(0, 1)] {
        let mut sim = Sim::new(daemon_set(s), nodes(5, |_| false));
        let mut t = 0;
        for (node, n) in [("node-1", 1), ("node-2", 2), ("node-3", 5)] {
            for _ in 0..n {
                t += 1;
                sim.add(pod(&format!("p{t}"), node, t, HASH));
            }
        }
        // node-4's two pods have other labels: not the DS's, so not in its pods at all.
        assert_eq!(sim.sync(), (2, 5), "{s:?}");
        assert!((0..5).all(|i| sim.count(&format!("node-{i}")) == 1), "{s:?}");
        // The oldest survives on node-3 (p4 was the first there).
        assert_eq!(sim.pods["node-3"][0].metadata.name, "p4");
    }
}

#[test]
fn case_3_node_selector_and_required_affinity_pick_labelled_nodes() {
    for s in BOTH {
        let mut sim = Sim::new(with_node_selector(daemon_set(s)), nodes(7, |i| i >= 4));
        assert_eq!(sim.sync(), (3, 0), "nodeSelector {s:?}");
        let mut ds = daemon_set(s);
        ds.spec.template.spec.affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: vec![NodeSelectorRequirement::new(
                            "color",
                            NodeSelectorOperator::In,
                            &["blue"],
                        )],
                        match_fields: Vec::new(),
                    }],
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        let mut sim = Sim::new(ds, nodes(7, |i| i >= 4));
        assert_eq!(sim.sync(), (3, 0), "affinity {s:?}");
    }
}

#[test]
fn case_4_pods_on_unselected_nodes_are_deleted() {
    for s in BOTH {
        let mut sim = Sim::new(with_node_selector(daemon_set(s)), nodes(10, |i| i >= 5));
        // Foreign pods (other labels) are never the DS's: only ours are added.
        for i in 0..3 {
            sim.add(pod(&format!("a{i}"), "node-1", i, HASH));
        }
        sim.add(pod("b", "node-4", 0, HASH));
        assert_eq!(sim.sync(), (5, 4), "{s:?}");
    }
}

#[test]
fn case_5_selector_deals_with_existing_pods() {
    for s in BOTH {
        let mut sim = Sim::new(with_node_selector(daemon_set(s)), nodes(10, |i| i >= 5));
        let mut t = 0;
        for (node, n) in [("node-0", 1), ("node-1", 3), ("node-2", 4), ("node-6", 13), ("node-9", 1)] {
            for _ in 0..n {
                t += 1;
                sim.add(pod(&format!("p{t}"), node, t, HASH));
            }
        }
        assert_eq!(sim.sync(), (3, 20), "{s:?}");
    }
}

#[test]
fn case_6_bad_selectors_and_node_names() {
    for s in BOTH {
        let mut ds = daemon_set(s);
        ds.spec.template.spec.node_selector = labels(&[("color", "green")]);
        assert_eq!(Sim::new(ds, nodes(5, |_| true)).sync(), (0, 0), "no node matches {s:?}");
        let mut ds = daemon_set(s);
        ds.spec.template.spec.node_name = "node-0".into();
        assert_eq!(Sim::new(ds, nodes(5, |_| false)).sync(), (1, 0), "nodeName node-0 {s:?}");
        let mut ds = daemon_set(s);
        ds.spec.template.spec.node_name = "node-10".into();
        assert_eq!(Sim::new(ds, nodes(5, |_| false)).sync(), (0, 0), "absent nodeName {s:?}");
        let mut ds = with_node_selector(daemon_set(s));
        ds.spec.template.spec.node_name = "node-6".into();
        assert_eq!(Sim::new(ds, nodes(10, |i| i >= 5)).sync(), (1, 0), "selector + labelled name {s:?}");
        let mut ds = with_node_selector(daemon_set(s));
        ds.spec.template.spec.node_name = "node-0".into();
        assert_eq!(Sim::new(ds, nodes(10, |i| i >= 5)).sync(), (0, 0), "selector + unlabelled name {s:?}");
    }
}

fn tainted(name: &str, key: &str, value: &str, effect: TaintEffect) -> Node {
    let mut n = node(name);
    n.spec.taints.push(Taint::new(key, value, effect));
    n
}

#[test]
fn case_7_taints_and_tolerations() {
    for s in BOTH {
        let no_schedule = || vec![tainted("node-0", "dedicated", "user1", TaintEffect::NoSchedule)];
        assert_eq!(Sim::new(daemon_set(s), no_schedule()).sync(), (0, 0), "intolerant {s:?}");
        let mut sim = Sim::new(daemon_set(s), no_schedule());
        sim.add(pod("p", "node-0", 1, HASH));
        assert_eq!(sim.sync(), (0, 0), "a running intolerant pod stays on NoSchedule {s:?}");
        let mut sim = Sim::new(daemon_set(s), vec![tainted("node-0", "dedicated", "user1", TaintEffect::NoExecute)]);
        sim.add(pod("p", "node-0", 1, HASH));
        assert_eq!(sim.sync(), (0, 1), "NoExecute evicts {s:?}");
        let mut ds = daemon_set(s);
        ds.spec.template.spec.tolerations.push(Toleration::equal("dedicated", "user1", Some(TaintEffect::NoSchedule)));
        assert_eq!(Sim::new(ds, no_schedule()).sync(), (1, 0), "tolerant {s:?}");
    }
}

#[test]
fn case_8_daemon_tolerations_cover_not_ready_unreachable_pressure_and_cordon() {
    use crate::api::taint::*;
    for s in BOTH {
        for (key, effect) in [
            (TAINT_NODE_NOT_READY, TaintEffect::NoExecute),
            (TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute),
            (TAINT_NODE_DISK_PRESSURE, TaintEffect::NoSchedule),
            (TAINT_NODE_MEMORY_PRESSURE, TaintEffect::NoSchedule),
            (TAINT_NODE_PID_PRESSURE, TaintEffect::NoSchedule),
            (TAINT_NODE_UNSCHEDULABLE, TaintEffect::NoSchedule),
        ] {
            let sim = &mut Sim::new(daemon_set(s), vec![tainted("node-0", key, "", effect)]);
            assert_eq!(sim.sync(), (1, 0), "{key}:{effect} {s:?}");
        }
        let mut cordoned = node("node-0");
        cordoned.spec.unschedulable = true;
        assert_eq!(Eligibility::of(&daemon_set(s).spec.template).verdict(&cordoned), Verdict::RUN);
    }
    // network-unavailable only for hostNetwork pods.
    let n = tainted("node-0", TAINT_NODE_NETWORK_UNAVAILABLE, "", TaintEffect::NoSchedule);
    let mut ds = daemon_set(Strategy::OnDelete);
    assert!(!Eligibility::of(&ds.spec.template).verdict(&n).should_run);
    ds.spec.template.spec.extra.insert("hostNetwork".into(), true.into());
    assert_eq!(Eligibility::of(&ds.spec.template).verdict(&n), Verdict::RUN);
}

#[test]
fn verdicts_follow_the_eligibility_truth_table() {
    let ds = daemon_set(Strategy::OnDelete);
    let e = Eligibility::of(&ds.spec.template);
    let cases = [
        (node("n"), Verdict::RUN),
        (tainted("n", "k", "v", TaintEffect::PreferNoSchedule), Verdict::RUN),
        (tainted("n", "k", "v", TaintEffect::NoSchedule), Verdict { should_run: false, should_continue_running: true }),
        (tainted("n", "k", "v", TaintEffect::NoExecute), Verdict::NEVER),
    ];
    for (n, want) in cases {
        assert_eq!(e.verdict(&n), want, "{:?}", n.spec.taints);
    }
}

// ---------------------------------------------------------------- failed pods (§6.d)

#[test]
fn case_9_failed_pods_are_killed() {
    for s in BOTH {
        for (failed, normal, want, events) in
            [(0, 1, (0, 0), 0), (0, 0, (1, 0), 0), (1, 0, (0, 1), 1), (1, 3, (0, 3), 1)]
        {
            let mut sim = Sim::new(daemon_set(s), nodes(1, |_| false));
            for i in 0..failed {
                sim.add(phase(pod(&format!("f{i}"), "node-0", i, HASH), PodPhase::Failed));
            }
            for i in 0..normal {
                sim.add(pod(&format!("n{i}"), "node-0", 10 + i, HASH));
            }
            assert_eq!(sim.sync(), want, "({failed}, {normal}) {s:?}");
            assert_eq!(sim.events.len(), events);
            assert!(sim.events.iter().all(|(r, _)| *r == FAILED_DAEMON_POD));
        }
    }
}

#[test]
fn case_10_failed_pods_are_deleted_with_back_off() {
    for s in BOTH {
        let mut sim = Sim::new(daemon_set(s), nodes(1, |_| false));
        let failed = phase(pod("f", "node-0", 1, HASH), PodPhase::Failed);
        sim.add(failed.clone());
        assert_eq!(sim.manage().1.len(), 1, "deleted; back-off starts");
        let key = "ds-uid/0/node-0";
        let delay = sim.backoff.get(key);
        assert_eq!(delay, FAILED_POD_BACKOFF_INITIAL);
        // The pod is still there (kubelet recreated it failed): immediate resync → no action.
        let (c, d) = sim.manage();
        assert_eq!((c.len(), d.len()), (0, 0), "{s:?}");
        assert_eq!(sim.requeue, Some(delay));
        assert_eq!(sim.backoff.get(key), delay, "delay unchanged");
        sim.now = sim.now.add_nanos(delay.as_nanos() as i64 - 1);
        assert_eq!(sim.manage().1.len(), 0, "1 ns before the end: still backed off");
        assert_eq!(sim.requeue, Some(Duration::from_nanos(1)));
        sim.now = sim.now.add_nanos(1);
        assert_eq!(sim.manage().1.len(), 1, "at the end: deleted again");
        assert_eq!(sim.backoff.get(key), delay * 2, "and the back-off doubles");
    }
}

#[test]
fn back_off_doubles_to_fifteen_minutes_and_restarts_after_a_long_idle() {
    let b = FailedPodsBackoff::default();
    let mut now = Time::from_secs(0);
    let mut last = Duration::ZERO;
    for _ in 0..15 {
        last = b.next("k", now);
        now = now.add_secs(1);
    }
    assert_eq!(last, FAILED_POD_BACKOFF_MAX);
    let later = now.add_secs(2 * 15 * 60 + 1);
    assert_eq!(b.next("k", later), FAILED_POD_BACKOFF_INITIAL);
    b.gc(later.add_secs(2 * 15 * 60 + 1));
    assert_eq!(b.get("k"), Duration::ZERO);
}

#[test]
fn succeeded_pods_are_deleted_with_a_normal_event() {
    let mut sim = Sim::new(daemon_set(Strategy::OnDelete), nodes(1, |_| false));
    sim.add(phase(pod("s", "node-0", 1, HASH), PodPhase::Succeeded));
    assert_eq!(sim.sync(), (0, 1));
    assert_eq!(sim.events, vec![(SUCCEEDED_DAEMON_POD, "s".to_string())]);
}

#[test]
fn case_11_a_terminating_pod_is_not_replaced_until_gone() {
    for s in BOTH {
        let mut sim = Sim::new(daemon_set(s), nodes(1, |_| false));
        sim.add(deleting(pod("p", "node-0", 1, HASH)));
        assert_eq!(sim.sync(), (0, 0), "{s:?}");
    }
}

#[test]
fn terminal_pods_being_deleted_do_not_count() {
    let p = deleting(phase(pod("p", "node-0", 1, HASH), PodPhase::Failed));
    assert!(!counts_for_sync(&p));
    assert!(counts_for_sync(&deleting(pod("q", "node-0", 1, HASH))));
}

#[test]
fn surplus_pods_go_scheduled_before_unscheduled_then_oldest_first() {
    let mut a = pod("a", "", 5, HASH);
    a.spec.affinity = Some(crate::api::node_affinity::replace_daemon_set_pod_node_name_node_affinity(None, "node-0"));
    let b = pod("b", "node-0", 9, HASH);
    let c = pod("c", "node-0", 9, HASH);
    let mut v = [a.clone(), c.clone(), b.clone()];
    v.sort_by(oldest_first);
    let names: Vec<&str> = v.iter().map(|p| p.metadata.name.as_str()).collect();
    assert_eq!(names, ["b", "c", "a"]);
    assert_eq!(target_node_name(&a), Some("node-0"));
}

// ---------------------------------------------------------------- rolling update (§6.f)

fn ready_world(s: Strategy, n: usize) -> Sim {
    let mut sim = Sim::new(daemon_set(s), nodes(n, |_| false));
    for i in 0..n {
        sim.add(ready(pod(&format!("old-{i}"), &format!("node-{i}"), 1, HASH), 1));
    }
    sim
}

fn steps(sim: &mut Sim, script: &[Option<(usize, usize)>]) {
    for (i, step) in script.iter().enumerate() {
        match step {
            Some(want) => assert_eq!(sim.sync(), *want, "step {i}"),
            None => sim.mark_ready(),
        }
    }
}

#[test]
fn case_12_max_unavailable_two_replaces_two_at_a_time() {
    let mut sim = ready_world(Strategy::Rolling(2, 0), 5);
    sim.new_template("h2");
    let r = None;
    steps(
        &mut sim,
        &[Some((0, 2)), Some((2, 0)), r, Some((0, 2)), Some((2, 0)), r, Some((0, 1)), Some((1, 0)), r, Some((0, 0))],
    );
    assert!(sim.all_pods().iter().all(|p| is_pod_updated(p, "h2", None)));
}

#[test]
fn case_12_on_delete_never_replaces_pods() {
    let mut sim = ready_world(Strategy::OnDelete, 5);
    sim.new_template("h2");
    assert_eq!(sim.sync(), (0, 0));
    assert!(sim.all_pods().iter().all(|p| !is_pod_updated(p, "h2", None)));
    // A manual deletion is replaced from the current template.
    let victim = sim.pods["node-0"][0].clone();
    sim.apply(&[], &[victim]);
    assert_eq!(sim.sync(), (1, 0));
    assert!(is_pod_updated(&sim.pods["node-0"][0], "h2", None));
}

#[test]
fn case_13_max_surge_two_creates_before_deleting() {
    let mut sim = ready_world(Strategy::Rolling(0, 2), 5);
    sim.new_template("h2");
    let r = None;
    steps(
        &mut sim,
        &[
            Some((2, 0)),
            Some((0, 0)),
            r,
            Some((2, 2)),
            Some((0, 0)),
            r,
            Some((1, 2)),
            Some((0, 0)),
            r,
            Some((0, 1)),
            Some((0, 0)),
        ],
    );
}

#[test]
fn case_14_new_pods_that_never_become_ready_stall_the_rollout() {
    let mut sim = ready_world(Strategy::Rolling(3, 0), 5);
    sim.new_template("h2");
    steps(&mut sim, &[Some((0, 3)), Some((3, 0)), Some((0, 0)), Some((0, 0))]);
}

#[test]
fn case_15_unready_old_pods_are_all_replaced_at_once() {
    let mut sim = Sim::new(daemon_set(Strategy::Rolling(3, 0)), nodes(5, |_| false));
    for i in 0..5 {
        sim.add(pod(&format!("old-{i}"), &format!("node-{i}"), 1, HASH));
    }
    sim.new_template("h2");
    steps(&mut sim, &[Some((0, 5)), Some((5, 0)), Some((0, 0))]);
}

#[test]
fn case_16_surge_over_unready_old_pods_then_min_ready_seconds() {
    let mut sim = Sim::new(daemon_set(Strategy::Rolling(0, 3)), nodes(5, |_| false));
    for i in 0..5 {
        sim.add(pod(&format!("old-{i}"), &format!("node-{i}"), 1, HASH));
    }
    sim.new_template("h2");
    sim.now = Time::from_secs(100);
    assert_eq!(sim.sync(), (5, 0), "every old pod is unavailable: surge everywhere");
    sim.now = Time::from_secs(200);
    assert_eq!(sim.sync(), (0, 5), "unready old pods go next to their replacements");
    sim.set_readiness(true, 5, |_, _| true);
    sim.ds.spec.min_ready_seconds = Some(15);
    sim.new_template("h3");
    sim.now = Time::from_secs(300);
    assert_eq!(sim.sync(), (3, 0));
    sim.set_readiness(true, 2, |p, _| is_pod_updated(p, "h3", None));
    let with_new: Vec<String> =
        sim.all_pods().iter().filter(|p| is_pod_updated(p, "h3", None)).map(|p| p.spec.node_name.clone()).collect();
    sim.set_readiness(false, 1, |p, node| !is_pod_updated(p, "h3", None) && !with_new.iter().any(|n| n == node));
    sim.now = Time::from_secs(310);
    assert_eq!(sim.sync(), (1, 0), "new pods not yet available; the unready old pod gets a replacement");
    sim.now = Time::from_secs(320);
    assert_eq!(sim.sync(), (1, 3));
    sim.set_readiness(true, 3, |p, _| is_pod_updated(p, "h3", None));
    sim.now = Time::from_secs(340);
    assert_eq!(sim.sync(), (0, 2));
    sim.now = Time::from_secs(350);
    assert_eq!(sim.sync(), (0, 0));
}

#[test]
fn case_17_surge_and_unavailable_numbers() {
    let rolling = |u: IntOrString, s: IntOrString| {
        let mut ds = daemon_set(Strategy::Rolling(0, 0));
        let ru = ds.spec.update_strategy.as_mut().unwrap().rolling_update.as_mut().unwrap();
        ru.max_unavailable = Some(u);
        ru.max_surge = Some(s);
        ds
    };
    let (i, p) = (IntOrString::Int, |s: &str| IntOrString::String(s.into()));
    let cases = [
        (rolling(i(0), i(0)), 0, (0, 0)),
        (rolling(i(1), i(0)), 2, (0, 1)),
        (rolling(i(0), i(0)), 2, (0, 1)),
        (rolling(i(1), i(0)), 2, (0, 1)),
        (rolling(p("50%"), i(0)), 2, (0, 1)),
        (rolling(i(0), p("50%")), 2, (1, 0)),
        (rolling(i(0), p("100%")), 2, (2, 0)),
        (rolling(p("50%"), i(0)), 3, (0, 2)),
    ];
    for (n, (ds, desired, want)) in cases.into_iter().enumerate() {
        assert_eq!(surge_and_unavailable(&ds, desired), want, "case {n}");
    }
    assert_eq!(surge_and_unavailable(&daemon_set(Strategy::OnDelete), 4), (0, 1));
}

#[test]
fn case_18_is_pod_updated() {
    let with = |pairs: &[(&str, &str)]| {
        let mut p = Pod::default();
        p.metadata.labels = labels(pairs);
        p
    };
    let (g, h) = (TEMPLATE_GENERATION_LABEL, CONTROLLER_REVISION_HASH_LABEL);
    let cases = [
        (with(&[(g, "12345"), (h, "55555")]), true),
        (with(&[(g, "12345"), (h, "66666")]), true),
        (with(&[(g, "54321"), (h, "55555")]), true),
        (with(&[(g, "54321"), (h, "66666")]), false),
        (with(&[]), false),
    ];
    for (n, (pod, want)) in cases.into_iter().enumerate() {
        assert_eq!(is_pod_updated(&pod, "55555", Some(12345)), want, "case {n}");
    }
    assert!(!is_pod_updated(&with(&[(h, "")]), "", None), "an empty hash never matches");
}

fn surge_world(old50_ready: bool, min_ready: i32, now: i64) -> Sim {
    let mut ds = daemon_set(Strategy::Rolling(0, 1));
    ds.spec.min_ready_seconds = Some(min_ready);
    let mut sim = Sim::new(ds, nodes(5, |_| false));
    sim.now = Time::from_secs(now);
    sim.add(ready(pod("new", "node-1", 100, HASH), 50));
    let old50 = pod("old-50", "node-1", 50, "old");
    sim.add(if old50_ready { ready(old50, 0) } else { old50 });
    sim.add(ready(pod("old-60", "node-1", 60, "old"), 0));
    sim.add(pod("other", "node-2", 1, HASH));
    sim
}

fn deleted_names(sim: &mut Sim) -> (usize, Vec<String>) {
    let (c, d) = sim.manage();
    (c.len(), d.iter().map(|p| p.metadata.name.clone()).collect())
}

#[test]
fn case_19_surge_keeps_the_oldest_ready_old_pod_until_the_new_one_is_available() {
    // The new pod is not available: with minReadySeconds 15 it became Ready at 50, now 60.
    let mut sim = surge_world(true, 15, 60);
    assert_eq!(deleted_names(&mut sim), (3, vec!["old-60".to_string()]));
    let mut sim = surge_world(false, 15, 60);
    assert_eq!(deleted_names(&mut sim), (3, vec!["old-60".to_string(), "old-50".to_string()]));
}

#[test]
fn case_20_min_ready_seconds_decides_when_the_old_pod_goes() {
    let mut sim = surge_world(true, 15, 60);
    assert_eq!(deleted_names(&mut sim).1.len(), 1);
    let mut sim = surge_world(true, 15, 70);
    assert_eq!(deleted_names(&mut sim), (3, vec!["old-60".to_string(), "old-50".to_string()]));
}

#[test]
fn case_21_surge_creates_a_pod_where_the_old_one_is_being_deleted() {
    let mut sim = Sim::new(daemon_set(Strategy::Rolling(0, 1)), nodes(5, |_| false));
    sim.add(pod("new-0", "node-0", 10, HASH));
    sim.add(ready(pod("old-0", "node-0", 1, "old"), 1));
    for i in 1..5 {
        let p = ready(pod(&format!("old-{i}"), &format!("node-{i}"), 1, "old"), 1);
        sim.add(if i == 4 { deleting(p) } else { p });
    }
    assert_eq!(sim.sync(), (1, 0));
    assert_eq!(sim.count("node-4"), 1);
}

#[test]
fn surge_deletes_pods_on_nodes_that_should_not_run_only_when_others_are_available() {
    let mut ds = with_node_selector(daemon_set(Strategy::Rolling(0, 1)));
    ds.spec.template.spec.node_selector = labels(&[("color", "blue")]);
    let mut sim = Sim::new(ds, nodes(2, |i| i == 1));
    // node-0 lost its label but its pod continues (NoSchedule-like): shouldRun false, still there.
    sim.add(ready(pod("old-0", "node-0", 1, "old"), 1));
    let plan = sim.rolling();
    assert!(plan.delete.is_empty(), "nothing else is available yet: keep it");
    sim.add(ready(pod("new-1", "node-1", 2, HASH), 1));
    let plan = sim.rolling();
    assert_eq!(plan.delete.len(), 1, "one available elsewhere: it goes");
}

// ---------------------------------------------------------------- status (§6.g)

#[test]
fn case_22_number_ready_follows_the_pods() {
    for s in BOTH {
        let mut sim = Sim::new(with_node_selector(daemon_set(s)), nodes(2, |_| true));
        sim.add(pod("a", "node-0", 1, HASH));
        sim.add(pod("b", "node-1", 1, HASH));
        assert_eq!(sim.status().number_ready, 0);
        sim.mark_ready();
        let st = sim.status();
        assert_eq!((st.number_ready, st.number_available, st.number_unavailable), (2, 2, 0), "{s:?}");
    }
}

#[test]
fn status_counts_every_field() {
    let mut sim = Sim::new(with_node_selector(daemon_set(Strategy::Rolling(1, 0))), nodes(5, |i| i < 4));
    sim.ds.spec.min_ready_seconds = Some(10);
    sim.now = Time::from_secs(100);
    sim.add(ready(pod("avail", "node-0", 1, HASH), 50)); // ready and available
    sim.add(ready(pod("young", "node-1", 1, "old"), 95)); // ready, not yet available, old hash
    sim.add(pod("unready", "node-2", 1, HASH));
    // node-3: desired, no pod. node-4: unlabelled, yet has a pod → misscheduled.
    sim.add(pod("mis", "node-4", 1, HASH));
    let want = StatusCounts {
        desired_number_scheduled: 4,
        current_number_scheduled: 3,
        number_misscheduled: 1,
        number_ready: 2,
        updated_number_scheduled: 2,
        number_available: 1,
        number_unavailable: 3,
    };
    let st = sim.status();
    assert_eq!(st, want);
    let mut status = crate::api::apps::DaemonSetStatus::default();
    assert!(!st.shown_in(&status, Some(1)));
    st.apply(&mut status, Some(1));
    assert!(st.shown_in(&status, Some(1)));
    assert!(!st.shown_in(&status, Some(2)), "a newer generation must be observed");
    assert!(st.shown_in(&status, None));
}

// ---------------------------------------------------------------- node updates (§6.c, case 23)

#[test]
fn case_23_node_updates_enqueue_only_when_a_verdict_moves() {
    let ds = with_node_selector(daemon_set(Strategy::OnDelete));
    let e = Eligibility::of(&ds.spec.template);
    let plain = node("n");
    let mut blue = node("n");
    blue.metadata.labels = labels(&[("color", "blue")]);
    let mut blue_tainted = blue.clone();
    blue_tainted.spec.taints.push(Taint::new("k", "v", TaintEffect::NoSchedule));
    let mut blue_bigger = blue.clone();
    blue_bigger.status.allocatable.insert("cpu".into(), crate::api::Quantity::parse("8").unwrap());
    blue_bigger.metadata.resource_version = "99".into();
    let mut other_label = plain.clone();
    other_label.metadata.labels = labels(&[("zone", "a")]);
    let cases = [
        (&plain, &plain, false, "nothing changed"),
        (&plain, &blue, true, "labels now match the nodeSelector"),
        (&blue_tainted, &blue, true, "NoSchedule taint removed"),
        (&blue, &blue_bigger, false, "allocatable changed only"),
        (&plain, &other_label, false, "a label change that moves no verdict"),
    ];
    for (old, cur, want, what) in cases {
        assert_eq!(node_update_changes_verdict(&e, old, cur), want, "{what}");
    }
}

// ---------------------------------------------------------------- validation (case 24)

#[test]
fn case_24_validation_rejects_bad_rolling_update_settings() {
    let valid = |u: IntOrString, s: IntOrString| {
        let mut ds = daemon_set(Strategy::Rolling(0, 0));
        ds.metadata.uid.clear();
        let ru = ds.spec.update_strategy.as_mut().unwrap().rolling_update.as_mut().unwrap();
        ru.max_unavailable = Some(u);
        ru.max_surge = Some(s);
        ds.spec.template.spec.containers.push(crate::api::pod::Container {
            name: "c".into(),
            image: "i".into(),
            ..Default::default()
        });
        crate::api::Resource::apply_defaults(&mut ds);
        crate::api::validation::daemon_set(&ds, None).map_err(|e| e.to_string())
    };
    let (i, p) = (IntOrString::Int, |s: &str| IntOrString::String(s.into()));
    assert_eq!(valid(i(1), i(0)), Ok(()));
    let both = valid(i(1), i(1)).unwrap_err();
    assert!(both.contains("may not be set when maxUnavailable is non-zero"), "{both}");
    let zero = valid(i(0), i(0)).unwrap_err();
    assert!(zero.contains("cannot be 0 when maxSurge is 0"), "{zero}");
    assert!(valid(p("101%"), i(0)).is_err(), "over 100%");
}

// ---------------------------------------------------------------- pod template (§6.d)

#[test]
fn daemon_pods_carry_the_hash_generation_and_daemon_tolerations() {
    let mut ds = daemon_set(Strategy::OnDelete);
    ds.spec
        .template
        .spec
        .tolerations
        .push(Toleration::exists(crate::api::taint::TAINT_NODE_NOT_READY, Some(TaintEffect::NoExecute)));
    let t = daemon_pod_template(&ds.spec.template, Some(3), HASH);
    assert_eq!(t.metadata.labels.get(TEMPLATE_GENERATION_LABEL).map(String::as_str), Some("3"));
    assert_eq!(t.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL).map(String::as_str), Some(HASH));
    assert_eq!(t.spec.tolerations.len(), 6, "the template's not-ready toleration is not duplicated");
    assert_eq!(daemon_pod_template(&ds.spec.template, None, "").metadata.labels, ds.spec.template.metadata.labels);
}

#[test]
fn template_generation_comes_from_the_spec_or_the_annotation() {
    let mut ds = daemon_set(Strategy::OnDelete);
    assert_eq!(template_generation(&ds), None);
    ds.metadata.annotations.insert(TEMPLATE_GENERATION_ANNOTATION.into(), "4".into());
    assert_eq!(template_generation(&ds), Some(4));
    ds.spec.template_generation = Some(7);
    assert_eq!(template_generation(&ds), Some(7));
}

#[test]
fn creates_and_deletes_are_capped_at_the_burst() {
    let mut sim = Sim::new(daemon_set(Strategy::OnDelete), nodes(600, |_| false));
    assert_eq!(sim.sync(), (250, 0));
    assert_eq!(sim.sync(), (250, 0));
    assert_eq!(sim.sync(), (100, 0));
    assert_eq!(sim.sync(), (0, 0));
}

// ---------------------------------------------------------------- incremental state

#[test]
fn summary_totals_follow_replaced_and_removed_node_shares() {
    use super::memo::{NodeShare, Summary};
    let share = |desired, ready, outdated| NodeShare {
        counts: StatusCounts {
            desired_number_scheduled: desired,
            current_number_scheduled: desired,
            number_ready: ready,
            number_available: ready,
            number_unavailable: desired - ready,
            ..Default::default()
        },
        outdated,
    };
    let mut s = Summary::new("uid", 1, HASH, None);
    s.set("a", Some(share(1, 0, false)));
    s.set("b", Some(share(1, 1, true)));
    assert_eq!((s.totals.desired_number_scheduled, s.totals.number_ready, s.outdated), (2, 1, 1));
    s.set("a", Some(share(1, 1, false)));
    assert_eq!((s.totals.number_ready, s.totals.number_unavailable), (2, 0));
    s.set("b", None);
    assert_eq!((s.totals.desired_number_scheduled, s.totals.number_ready, s.outdated), (1, 1, 0));
    s.set("gone", None);
    assert_eq!(s.totals.desired_number_scheduled, 1, "removing an unknown node changes nothing");
}

#[test]
fn marks_collect_nodes_until_a_full_sync_is_asked_for() {
    use super::memo::Memos;
    use crate::workqueue::ItemId;
    let m = Memos::default();
    let id: ItemId = 3;
    m.mark(id, "b");
    m.mark(id, "a");
    let marks = m.take_marks(id);
    assert!(!marks.full);
    assert_eq!(marks.nodes.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    m.mark(id, "a");
    m.mark_full(id);
    m.mark(id, "c");
    let marks = m.take_marks(id);
    assert!(marks.full && marks.nodes.is_empty());
    assert!(!m.take_marks(id).full, "taken");
}
