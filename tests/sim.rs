//! The scheduler and the kubelet against the store and shared informers, on the virtual clock (no sleeping).

use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::Component;
use kwarp::api::node_affinity::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
};
use kwarp::api::pod::{find_condition, Condition, ConditionStatus, Container, PodPhase, RestartPolicy};
use kwarp::api::taint::{Taint, TaintEffect, Toleration, TAINT_NODE_UNSCHEDULABLE};
use kwarp::api::{Node, ObjectMeta, Pod, Quantity, Time};
use kwarp::clock::{Clock, VirtualClock};
use kwarp::informer::SharedInformerFactory;
use kwarp::sim::{CrashMode, Dist, Kubelet, KubeletConfig, Scheduler, SchedulerConfig};
use kwarp::store::{Client, DeleteOptions, Store, StoreOptions};

const S: Duration = Duration::from_secs(1);

/// A store, informers, the scheduler and (optionally) the kubelet, driven by hand.
struct Cluster {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    api: Client,
    factory: SharedInformerFactory,
    scheduler: Arc<Scheduler>,
    kubelet: Option<Arc<Kubelet>>,
    t0: Time,
}

impl Cluster {
    fn new(kubelet: Option<KubeletConfig>) -> Self {
        Self::with(SchedulerConfig::default(), kubelet, 7)
    }

    fn with(sched: SchedulerConfig, kubelet: Option<KubeletConfig>, seed: u64) -> Self {
        let clock = Arc::new(VirtualClock::new());
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let store = Store::new(dyn_clock.clone(), StoreOptions { seed, history_limit: 100_000 });
        let factory = SharedInformerFactory::new(store.client("informers"));
        let scheduler = Scheduler::new(&factory, store.client("scheduler"), dyn_clock.clone(), sched);
        let kubelet = kubelet.map(|cfg| Kubelet::new(&factory, store.client("kubelet"), dyn_clock, cfg, seed));
        let t0 = clock.now();
        Cluster { api: store.client("test"), clock, store, factory, scheduler, kubelet, t0 }
    }

    fn kubelet(&self) -> &Kubelet {
        self.kubelet.as_ref().expect("cluster with a kubelet")
    }

    /// Delivers events and runs components until nothing is ready; time does not move.
    fn settle(&self) {
        for _ in 0..100_000 {
            let pumped = self.factory.pump_all();
            let mut worked = self.scheduler.run_ready(usize::MAX);
            if let Some(k) = &self.kubelet {
                worked += k.run_ready(usize::MAX);
            }
            if pumped == 0 && worked == 0 && !self.factory.has_pending() {
                return;
            }
        }
        panic!("the system never settles");
    }

    /// Settles, then jumps from timer to timer until `t` (or forever with `None`).
    fn run_until(&self, t: Option<Time>) {
        for _ in 0..1_000_000 {
            self.settle();
            match self.clock.next_deadline() {
                Some(at) if t.is_none_or(|t| at <= t) => {
                    self.clock.advance_to_next();
                }
                _ => {
                    if let Some(t) = t {
                        self.clock.advance_to(t);
                        self.settle();
                    }
                    return;
                }
            }
        }
        panic!("timers never run out");
    }

    fn run_idle(&self) {
        self.run_until(None);
    }

    fn run_to(&self, secs: f64) {
        self.run_until(Some(self.at(secs)));
    }

    fn at(&self, secs: f64) -> Time {
        self.t0.add_nanos((secs * 1e9).round() as i64)
    }

    fn add_node(&self, n: Node) {
        self.api.create(n).unwrap();
    }

    fn create(&self, p: Pod) {
        self.api.create(p).unwrap();
    }

    fn pod(&self, name: &str) -> Arc<Pod> {
        self.api.get("default", name).unwrap()
    }

    fn node_of(&self, name: &str) -> String {
        self.pod(name).spec.node_name.clone()
    }

    fn gone(&self, name: &str) -> bool {
        self.api.get::<Pod>("default", name).is_err()
    }
}

fn quantities(cpu: &str, mem: &str, pods: &str) -> kwarp::api::pod::ResourceList {
    [("cpu", cpu), ("memory", mem), ("pods", pods)]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
        .collect()
}

fn node(name: &str, cpu: &str) -> Node {
    let mut n = unready_node(name, cpu);
    n.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "KubeletReady", "", Time::default()));
    n
}

fn unready_node(name: &str, cpu: &str) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.capacity = quantities(cpu, "32Gi", "110");
    n.status.allocatable = n.status.capacity.clone();
    n
}

fn labelled(mut n: Node, k: &str, v: &str) -> Node {
    n.metadata.labels.insert(k.into(), v.into());
    n
}

fn pod(name: &str, cpu: &str) -> Pod {
    let mut c = Container { name: "app".into(), image: "nginx".into(), ..Default::default() };
    if !cpu.is_empty() {
        c.resources.requests.insert("cpu".into(), Quantity::parse(cpu).unwrap());
    }
    let mut p = Pod { metadata: ObjectMeta::named("default", name), ..Default::default() };
    p.spec.containers.push(c);
    p
}

fn pinned(mut p: Pod, node: &str) -> Pod {
    let req = NodeSelectorRequirement::new("metadata.name", NodeSelectorOperator::In, &[node]);
    let term = NodeSelectorTerm { match_fields: vec![req], ..Default::default() };
    p.spec.affinity = Some(Affinity {
        node_affinity: Some(NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector { node_selector_terms: vec![term] }),
            ..Default::default()
        }),
        ..Default::default()
    });
    p
}

fn job_pod(name: &str, policy: RestartPolicy) -> Pod {
    let mut p = pod(name, "");
    p.spec.restart_policy = Some(policy);
    p
}

fn condition(p: &Pod, type_: &str) -> Option<Condition> {
    find_condition(&p.status.conditions, type_).cloned()
}

fn fixed(secs: u64) -> Dist {
    Dist::fixed(Duration::from_secs(secs))
}

fn kubelet_cfg(startup: u64, ready: u64) -> KubeletConfig {
    KubeletConfig { startup: fixed(startup), ready: fixed(ready), ..KubeletConfig::default() }
}

// ------------------------------------------------------------------ scheduler

#[test]
fn pods_go_to_the_least_allocated_node_and_ties_break_by_name() {
    let c = Cluster::new(None);
    c.add_node(node("b", "4"));
    c.add_node(node("a", "4"));
    c.add_node(node("big", "16"));
    c.create(pod("p1", "2"));
    c.settle();
    assert_eq!(c.node_of("p1"), "big");
    let c = Cluster::new(None);
    c.add_node(node("b", "4"));
    c.add_node(node("a", "4"));
    c.create(pod("p1", "1"));
    c.settle();
    assert_eq!(c.node_of("p1"), "a", "equal scores: the smaller name");
    let mut soft = node("aa", "16");
    soft.spec.taints.push(Taint::new("spot", "", TaintEffect::PreferNoSchedule));
    c.add_node(soft);
    c.create(pod("p2", "1"));
    c.settle();
    assert_eq!(c.node_of("p2"), "b", "PreferNoSchedule outweighs free room");
}

/// Scale smoke test: `cargo test --release --test sim -- --ignored --nocapture`.
#[test]
#[ignore]
fn schedules_onto_100k_nodes() {
    let c = Cluster::new(None);
    let t = std::time::Instant::now();
    for i in 0..100_000 {
        c.add_node(node(&format!("node-{i:06}"), "8"));
    }
    c.settle();
    eprintln!("100k nodes created and indexed: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for i in 0..2_000 {
        c.create(pod(&format!("p{i}"), "100m"));
    }
    for i in 0..2_000 {
        c.create(pinned(pod(&format!("d{i}"), "100m"), &format!("node-{:06}", i * 37)));
    }
    c.settle();
    let m = c.scheduler.metrics();
    eprintln!("4k pods scheduled: {:?}, {} nodes examined", t.elapsed(), m.nodes_examined);
    assert_eq!(m.scheduled, 4_000);
    assert_eq!(m.nodes_examined, 2_000 * 5_000 + 2_000);
}

#[test]
fn back_to_back_binds_see_each_others_requests_before_the_informer_does() {
    let c = Cluster::new(None);
    c.add_node(node("a", "2"));
    c.add_node(node("b", "2"));
    c.settle();
    for i in 0..4 {
        c.create(pod(&format!("p{i}"), "1"));
    }
    c.factory.pump_all();
    assert_eq!(c.scheduler.run_ready(usize::MAX), 4); // no pump in between
    let nodes: Vec<String> = (0..4).map(|i| c.node_of(&format!("p{i}"))).collect();
    assert_eq!(nodes, ["a", "b", "a", "b"]);
    c.create(pod("p4", "1"));
    c.settle();
    assert_eq!(c.node_of("p4"), "");
    assert_eq!(c.scheduler.metrics().scheduled, 4);
}

#[test]
fn an_unplaceable_pod_stays_pending_with_the_reason_until_a_node_fits() {
    let c = Cluster::new(None);
    c.add_node(labelled(node("n1", "1"), "zone", "a"));
    c.add_node(labelled(node("n2", "4"), "zone", "b"));
    c.add_node(labelled(node("n3", "1"), "zone", "b"));
    let mut p = pod("web", "8");
    p.spec.node_selector.insert("zone".into(), "b".into());
    c.create(p);
    c.run_idle();
    let p = c.pod("web");
    assert_eq!((p.spec.node_name.as_str(), p.phase()), ("", PodPhase::Pending));
    let cond = condition(&p, "PodScheduled").unwrap();
    assert_eq!((cond.status, cond.reason.as_str()), (ConditionStatus::False, "Unschedulable"));
    assert_eq!(
        cond.message,
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu."
    );
    // A node change that does not help: retried, same message, not written again.
    c.api
        .patch::<Node>("", "n1", |n| {
            n.metadata.labels.insert("rack".into(), "r1".into());
        })
        .unwrap();
    c.run_idle();
    let m = c.scheduler.metrics();
    assert_eq!((m.unschedulable_attempts, m.status_writes), (2, 1));
    assert_eq!(c.scheduler.parked(), 1);
    c.add_node(labelled(node("n4", "16"), "zone", "b"));
    c.run_idle();
    assert_eq!(c.node_of("web"), "n4");
    assert_eq!(c.scheduler.parked(), 0);
}

#[test]
fn taints_cordons_and_readiness_filter_nodes_unless_tolerated() {
    let c = Cluster::new(None);
    let mut tainted = node("t", "4");
    tainted.spec.taints.push(Taint::new("dedicated", "gpu", TaintEffect::NoSchedule));
    c.add_node(tainted);
    let mut cordoned = node("u", "4");
    cordoned.spec.unschedulable = true;
    c.add_node(cordoned);
    c.add_node(unready_node("v", "4"));
    c.create(pod("plain", ""));
    let mut gpu = pod("gpu", "");
    gpu.spec.tolerations.push(Toleration::equal("dedicated", "gpu", Some(TaintEffect::NoSchedule)));
    c.create(gpu);
    let mut daemon = pinned(pod("daemon", ""), "u");
    daemon.spec.tolerations.push(Toleration::exists(TAINT_NODE_UNSCHEDULABLE, Some(TaintEffect::NoSchedule)));
    c.create(daemon);
    c.run_idle();
    assert_eq!(c.node_of("gpu"), "t");
    assert_eq!(c.node_of("daemon"), "u");
    assert_eq!(
        condition(&c.pod("plain"), "PodScheduled").unwrap().message,
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, \
         1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable."
    );
    c.api.patch::<Node>("", "u", |n| n.spec.unschedulable = false).unwrap();
    c.run_idle();
    assert_eq!(c.node_of("plain"), "u");
}

#[test]
fn a_pinned_pod_examines_only_its_node_and_others_a_bounded_sample() {
    let c = Cluster::new(None);
    for i in 0..1000 {
        c.add_node(node(&format!("node-{i:04}"), "4"));
    }
    c.settle();
    c.create(pinned(pod("daemon", "1"), "node-0500"));
    c.settle();
    assert_eq!(c.node_of("daemon"), "node-0500");
    assert_eq!(c.scheduler.metrics().nodes_examined, 1);
    c.create(pod("p1", "1"));
    c.settle();
    assert_eq!(c.scheduler.metrics().nodes_examined, 1 + 420, "adaptive: 42% of 1000 nodes");
    c.create(pinned(pod("nowhere", "1"), "node-x"));
    c.settle();
    let msg = condition(&c.pod("nowhere"), "PodScheduled").unwrap().message;
    assert_eq!(msg, "0/1000 nodes are available: 1000 node(s) didn't match Pod's node affinity/selector.");
    assert_eq!(c.scheduler.metrics().nodes_examined, 1 + 420 + 1);
}

#[test]
fn a_deleted_pod_frees_room_for_a_parked_one() {
    let c = Cluster::new(None);
    c.add_node(node("n", "1"));
    c.create(pod("first", "1"));
    c.run_idle();
    c.create(pod("second", "1"));
    c.run_idle();
    assert_eq!((c.node_of("first").as_str(), c.node_of("second").as_str()), ("n", ""));
    c.api.delete::<Pod>("default", "first", &DeleteOptions::now()).unwrap();
    c.run_idle();
    assert_eq!(c.node_of("second"), "n");
}

#[test]
fn a_bind_that_conflicts_is_retried_on_the_fresh_pod() {
    let c = Cluster::new(None);
    c.add_node(node("n", "1"));
    c.create(pod("p", ""));
    c.factory.pump_all();
    c.api
        .patch::<Pod>("default", "p", |p| {
            p.metadata.labels.insert("touched".into(), "yes".into());
        })
        .unwrap();
    c.scheduler.run_ready(usize::MAX); // the cached pod is stale now
    let p = c.pod("p");
    assert_eq!((p.spec.node_name.as_str(), p.metadata.labels.get("touched").map(String::as_str)), ("n", Some("yes")));
    assert_eq!(c.scheduler.metrics().bind_conflicts, 1);
}

// ------------------------------------------------------------------ kubelet

#[test]
fn a_pod_starts_and_becomes_ready_at_exact_virtual_times() {
    let c = Cluster::new(Some(kubelet_cfg(2, 3)));
    c.add_node(node("n", "4"));
    c.create(pod("web", "1"));
    c.settle();
    let p = c.pod("web");
    assert_eq!(p.phase(), PodPhase::Pending);
    assert_eq!(condition(&p, "PodScheduled").unwrap().status, ConditionStatus::True);
    assert_eq!(p.status.container_statuses[0].state.as_ref().unwrap()["waiting"]["reason"], "ContainerCreating");
    assert!(!p.status.host_ip.is_empty());
    c.run_to(2.0);
    let p = c.pod("web");
    assert_eq!((p.phase(), p.is_ready()), (PodPhase::Running, false));
    let started = &p.status.container_statuses[0].state.as_ref().unwrap()["running"]["startedAt"];
    assert_eq!(started, &serde_json::to_value(c.at(2.0)).unwrap());
    assert_eq!(p.status.start_time, Some(c.t0));
    c.run_idle();
    let p = c.pod("web");
    let ready = condition(&p, "Ready").unwrap();
    assert_eq!((ready.status, ready.last_transition_time), (ConditionStatus::True, Some(c.at(5.0))));
    assert_eq!(condition(&p, "ContainersReady").unwrap().status, ConditionStatus::True);
    assert!(p.status.container_statuses[0].ready);
    let h = c.kubelet().startup_histogram();
    assert_eq!(h.len(), 1);
    assert!((h.max() as f64 / 1e9 - 5.0).abs() < 0.01, "start-up latency {} ns", h.max());
    assert_eq!(c.kubelet().metrics().pods_started, 1);
}

#[test]
fn pods_wait_for_their_node_to_be_made_ready() {
    let cfg = KubeletConfig { node_ready: fixed(10), ..kubelet_cfg(1, 1) };
    let c = Cluster::new(Some(cfg));
    let mut n = unready_node("n", "4");
    n.status.allocatable.clear();
    c.add_node(n);
    c.create(pod("web", "1"));
    c.run_to(9.0);
    assert_eq!(c.node_of("web"), "", "not Ready yet: filtered");
    c.run_idle();
    let n: Arc<Node> = c.api.get("", "n").unwrap();
    assert!(n.is_ready());
    assert_eq!(n.status.allocatable, n.status.capacity, "allocatable defaults to capacity");
    assert_eq!(condition(&c.pod("web"), "Ready").unwrap().last_transition_time, Some(c.at(12.0)));
}

#[test]
fn job_pods_succeed_or_fail_by_the_seeded_probability() {
    let run = |seed| {
        let cfg = KubeletConfig { run_time: fixed(30), failure_probability: 0.3, ..kubelet_cfg(1, 1) };
        let c = Cluster::with(SchedulerConfig::default(), Some(cfg), seed);
        c.add_node(node("n", "4"));
        for i in 0..100 {
            c.create(job_pod(&format!("job-{i}"), RestartPolicy::Never));
        }
        c.run_to(31.0);
        let phases: Vec<PodPhase> = (0..100).map(|i| c.pod(&format!("job-{i}")).phase()).collect();
        let p = c.pod("job-0");
        let exit = &p.status.container_statuses[0].state.as_ref().unwrap()["terminated"]["exitCode"];
        assert_eq!(exit, if p.phase() == PodPhase::Failed { 1 } else { 0 });
        assert!(!p.is_ready());
        phases
    };
    let a = run(1);
    let failed = a.iter().filter(|p| **p == PodPhase::Failed).count();
    assert_eq!(a.iter().filter(|p| **p == PodPhase::Succeeded).count() + failed, 100);
    assert!((15..=45).contains(&failed), "{failed} of 100 failed");
    assert_eq!(a, run(1), "same seed, same outcomes");
    assert_ne!(a, run(2));
}

#[test]
fn on_failure_pods_restart_in_place_until_they_succeed() {
    let cfg = KubeletConfig { run_time: fixed(10), failure_probability: 0.5, ..kubelet_cfg(1, 1) };
    let c = Cluster::new(Some(cfg));
    c.add_node(node("n", "4"));
    for i in 0..20 {
        c.create(job_pod(&format!("job-{i}"), RestartPolicy::OnFailure));
    }
    c.run_idle();
    let pods: Vec<Arc<Pod>> = (0..20).map(|i| c.pod(&format!("job-{i}"))).collect();
    assert!(pods.iter().all(|p| p.phase() == PodPhase::Succeeded));
    let restarts: i32 = pods.iter().map(|p| p.max_restarts()).sum();
    assert!(restarts > 0);
    assert_eq!(c.kubelet().metrics().container_restarts, restarts as u64);
}

#[test]
fn graceful_deletion_waits_for_shutdown_capped_by_the_grace_period() {
    let cfg = KubeletConfig { shutdown: fixed(5), ..kubelet_cfg(1, 1) };
    let c = Cluster::new(Some(cfg));
    c.add_node(node("n", "4"));
    c.create(pod("quick", ""));
    let mut slow = pod("slow", "");
    slow.spec.termination_grace_period_seconds = Some(3);
    c.create(slow);
    c.run_to(10.0);
    c.api.delete::<Pod>("default", "quick", &DeleteOptions::default()).unwrap();
    c.api.delete::<Pod>("default", "slow", &DeleteOptions::default()).unwrap();
    c.run_to(12.9);
    assert!(!c.gone("quick") && !c.gone("slow"));
    assert!(c.pod("quick").metadata.deletion_timestamp.is_some());
    c.run_to(13.0);
    assert!(c.gone("slow") && !c.gone("quick"), "grace period 3 s caps the 5 s shutdown");
    c.run_to(15.0);
    assert!(c.gone("quick"));
    assert_eq!(c.kubelet().metrics().pods_deleted, 2);
}

#[test]
fn crash_faults_fail_or_restart_and_flaps_take_readiness_away() {
    let c = Cluster::new(Some(kubelet_cfg(1, 2)));
    c.add_node(node("n", "4"));
    for name in ["a", "b", "c"] {
        c.create(pod(name, ""));
    }
    c.run_to(10.0);
    c.kubelet().crash_pod("default/a", CrashMode::Fail).unwrap();
    c.kubelet().crash_pod("default/b", CrashMode::Restart).unwrap();
    c.kubelet().flap_readiness("default/c", Duration::from_secs(30)).unwrap();
    c.settle();
    assert_eq!(c.pod("a").phase(), PodPhase::Failed);
    let b = c.pod("b");
    assert_eq!((b.phase(), b.is_ready(), b.max_restarts()), (PodPhase::Running, false, 1));
    assert!(b.status.container_statuses[0].extra.contains_key("lastState"));
    let cp = c.pod("c");
    assert_eq!((cp.phase(), cp.is_ready()), (PodPhase::Running, false));
    c.run_idle();
    assert_eq!(condition(&c.pod("b"), "Ready").unwrap().last_transition_time, Some(c.at(12.0)));
    assert_eq!(condition(&c.pod("c"), "Ready").unwrap().last_transition_time, Some(c.at(40.0)));
    assert!(c.pod("c").is_ready());
    let err = c.kubelet().crash_pod("default/a", CrashMode::Fail).unwrap_err();
    assert_eq!(err.to_string(), "pod \"default/a\" has no running containers");
    assert!(c.kubelet().crash_pod("default/zzz", CrashMode::Fail).is_err());
}

#[test]
fn pods_of_a_deleted_node_are_garbage_collected() {
    let c = Cluster::new(Some(kubelet_cfg(1, 1)));
    c.add_node(node("n", "4"));
    c.create(pod("web", ""));
    c.create(pinned(pod("orphan", ""), "ghost"));
    let mut ghost = pod("bound-to-ghost", "");
    ghost.spec.node_name = "ghost".into();
    c.create(ghost);
    c.run_to(5.0);
    c.api.delete::<Node>("", "n", &DeleteOptions::default()).unwrap();
    c.run_to(44.0);
    assert!(!c.gone("web") && c.gone("bound-to-ghost"), "a pod on a node that never existed goes after 40 s");
    c.run_to(45.0);
    assert!(c.gone("web"));
    assert!(!c.gone("orphan"), "an unbound pod is the scheduler's");
}

#[test]
fn a_stopped_kubelet_freezes_its_pods_until_restarted() {
    let c = Cluster::new(Some(kubelet_cfg(5, 1)));
    c.add_node(node("n", "4"));
    c.create(pod("web", ""));
    c.settle();
    c.kubelet().stop_node("n").unwrap();
    c.run_to(60.0);
    let n: Arc<Node> = c.api.get("", "n").unwrap();
    assert_eq!(condition_of_node(&n).status, ConditionStatus::Unknown);
    assert_eq!(c.pod("web").phase(), PodPhase::Pending);
    c.kubelet().start_node("n").unwrap();
    c.run_idle();
    let p = c.pod("web");
    assert_eq!(
        condition(&p, "Ready").unwrap().last_transition_time,
        Some(c.at(61.0)),
        "late start at 60 s, ready 1 s later"
    );
}

fn condition_of_node(n: &Node) -> Condition {
    find_condition(&n.status.conditions, "Ready").unwrap().clone()
}

#[test]
fn the_same_seed_gives_the_same_event_log() {
    let run = || {
        let cfg = KubeletConfig {
            startup: Dist::Lognormal { p50: S, p99: 5 * S },
            ready: Dist::Uniform { min: S, max: 3 * S },
            ..KubeletConfig::default()
        };
        let c = Cluster::with(SchedulerConfig::default(), Some(cfg), 42);
        let events = c.store.subscribe_all();
        for i in 0..10 {
            c.add_node(node(&format!("n{i}"), "2"));
        }
        for i in 0..40 {
            c.create(pod(&format!("p{i}"), "300m"));
        }
        c.run_idle();
        for i in (0..40).step_by(3) {
            c.api.delete::<Pod>("default", &format!("p{i}"), &DeleteOptions::default()).unwrap();
        }
        c.run_idle();
        events.try_iter().map(|e| e.to_json_line(c.t0).to_string()).collect::<Vec<_>>()
    };
    let (a, b) = (run(), run());
    assert!(a.len() > 200, "{} events", a.len());
    assert_eq!(a, b);
}

#[test]
fn configs_read_from_yaml_with_defaults_and_refuse_impossible_values() {
    let k: KubeletConfig = serde_norway::from_str(
        "startup: {lognormal: {p50: 1s, p99: 5s}}\nrunTime: 2m\nfailureProbability: 0.25\npodGc: 0\n",
    )
    .unwrap();
    assert_eq!(k.startup, Dist::Lognormal { p50: S, p99: 5 * S });
    assert_eq!((&k.run_time, k.failure_probability, &k.pod_gc), (&fixed(120), 0.25, &Dist::zero()));
    assert_eq!(k.shutdown, KubeletConfig::default().shutdown);
    assert!(k.validate().is_ok());
    for (yaml, want) in [
        ("failureProbability: 1.5\n", "1.5 is not a probability"),
        ("ready: {uniform: {min: 3s, max: 1s}}\n", "uniform: min (3s) must not exceed max (1s)"),
        ("startupp: 1s\n", "unknown field `startupp`"),
    ] {
        let e = serde_norway::from_str::<KubeletConfig>(yaml).unwrap_err().to_string();
        assert!(e.contains(want), "{yaml}: {e}");
    }
    let s: SchedulerConfig = serde_norway::from_str("percentageOfNodesToScore: 10\npodMaxBackoff: 30s\n").unwrap();
    assert_eq!(
        (s.percentage_of_nodes_to_score, s.pod_max_backoff, s.scheduler_name.as_str()),
        (10, 30 * S, "default-scheduler")
    );
    let bad = SchedulerConfig { percentage_of_nodes_to_score: 101, ..SchedulerConfig::default() };
    assert_eq!(bad.validate().unwrap_err().to_string(), "percentageOfNodesToScore: must be between 0 and 100");
}
