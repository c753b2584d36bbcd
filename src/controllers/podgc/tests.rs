//! PodGC decisions as tables, and syncs against a real store with informers pumped by hand.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::actors::Component;
use crate::api::pod::Container;
use crate::api::taint::{Taint, TaintEffect};
use crate::api::{Kind, ObjectMeta};
use crate::clock::VirtualClock;
use crate::controllers::{Controller, FakeClient};
use crate::store::{Store, StoreOptions, Verb};

const S: Duration = Duration::from_secs(1);

#[test]
fn orphaned_pods_wait_out_the_quarantine() {
    let t0 = Time::from_secs(1000);
    let cases = [
        ("node in the cache", true, 0, OrphanStep::NodeExists),
        ("just found missing", false, 0, OrphanStep::Wait(QUARANTINE)),
        ("missing 39 s", false, 39, OrphanStep::Wait(S)),
        ("missing 40 s", false, 40, OrphanStep::Confirm),
        ("missing 100 s", false, 100, OrphanStep::Confirm),
    ];
    for (name, cached, elapsed, want) in cases {
        assert_eq!(orphan_step(cached, t0, t0.add_secs(elapsed), QUARANTINE), want, "{name}");
    }
}

fn terminated(name: &str, created: i64, phase: PodPhase, reason: &str) -> Arc<Pod> {
    let mut p = Pod { metadata: ObjectMeta::named("ns", name), ..Default::default() };
    p.metadata.creation_timestamp = Some(Time::from_secs(created));
    p.status.phase = Some(phase);
    p.status.reason = reason.into();
    Arc::new(p)
}

#[test]
fn terminated_pods_over_the_threshold_go_evicted_then_oldest_first() {
    let pods = vec![
        terminated("running", 1, PodPhase::Running, ""),
        terminated("new-ok", 50, PodPhase::Succeeded, ""),
        terminated("old-ok", 10, PodPhase::Succeeded, ""),
        terminated("b-failed", 20, PodPhase::Failed, ""),
        terminated("a-failed", 20, PodPhase::Failed, ""),
        terminated("evicted", 90, PodPhase::Failed, "Evicted"),
    ];
    let names = |threshold| -> Vec<String> {
        terminated_to_delete(&pods, threshold).iter().map(|p| p.metadata.name.clone()).collect()
    };
    assert_eq!(names(5), Vec::<String>::new(), "5 terminated, threshold 5");
    assert_eq!(names(4), ["evicted"]);
    assert_eq!(names(2), ["evicted", "old-ok", "a-failed"], "ties by name");
    assert_eq!(names(1), ["evicted", "old-ok", "a-failed", "b-failed"]);
    assert_eq!(names(0), Vec::<String>::new(), "threshold 0 disables the sweep");
    assert!(!is_evicted(&terminated("x", 0, PodPhase::Running, "Evicted")));
}

struct World {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    fake: Arc<FakeClient>,
    informers: SharedInformerFactory,
    podgc: Arc<Controller<PodGc<Arc<FakeClient>>>>,
}

impl World {
    fn new(threshold: i64) -> World {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("pod-garbage-collector")));
        let informers = SharedInformerFactory::new(store.client("informers"));
        let r = PodGc::new(fake.clone(), clock.clone()).with_threshold(threshold);
        let podgc = Controller::new(Arc::new(r), &informers, clock.clone(), 1);
        World { clock, store, fake, informers, podgc }
    }

    fn settle(&self) {
        for _ in 0..10_000 {
            let pumped = self.informers.pump_all();
            let worked = self.podgc.run_ready(usize::MAX);
            if pumped == 0 && worked == 0 && !self.informers.has_pending() {
                return;
            }
        }
        panic!("never settles");
    }

    fn node(&self, name: &str) {
        self.store.create(Node { metadata: ObjectMeta::named("", name), ..Default::default() }).unwrap();
    }

    fn pod(&self, name: &str, node: &str, phase: PodPhase) {
        let mut p = Pod { metadata: ObjectMeta::named("ns", name), ..Default::default() };
        p.spec.containers.push(Container { name: "c".into(), image: "i".into(), ..Default::default() });
        p.spec.node_name = node.into();
        p.status.phase = Some(phase);
        self.store.create(p).unwrap();
    }

    fn exists(&self, name: &str) -> bool {
        self.store.get::<Pod>("ns", name).is_ok()
    }
}

#[test]
fn pods_of_a_deleted_node_are_failed_and_force_deleted_after_the_quarantine() {
    let w = World::new(DEFAULT_TERMINATED_POD_THRESHOLD);
    w.node("n1");
    w.node("n2");
    w.pod("a", "n1", PodPhase::Running);
    w.pod("a2", "n1", PodPhase::Pending);
    w.pod("b", "n2", PodPhase::Running);
    w.settle();
    w.store.delete::<Node>("", "n1", &DeleteOptions::default()).unwrap();
    w.settle();
    assert!(w.exists("a"), "quarantined");
    w.clock.advance(QUARANTINE - S);
    w.settle();
    assert!(w.exists("a"));
    w.clock.advance(S);
    w.settle();
    assert!(!w.exists("a") && !w.exists("a2"));
    assert!(w.exists("b"));
    assert_eq!(w.fake.count(Verb::UpdateStatus, Kind::Pod), 2, "marked Failed first");
    assert_eq!(w.fake.count(Verb::Get, Kind::Node), 1, "confirmed live, once per node");
    assert_eq!(w.fake.count(Verb::Delete, Kind::Pod), 2);
}

#[test]
fn a_node_that_comes_back_within_the_quarantine_keeps_its_pods() {
    let w = World::new(DEFAULT_TERMINATED_POD_THRESHOLD);
    w.node("n1");
    w.pod("a", "n1", PodPhase::Running);
    w.settle();
    w.store.delete::<Node>("", "n1", &DeleteOptions::default()).unwrap();
    w.settle();
    w.clock.advance(10 * S);
    w.node("n1");
    w.settle();
    w.clock.advance(QUARANTINE);
    w.settle();
    assert!(w.exists("a"));
    assert_eq!(w.fake.count(Verb::Delete, Kind::Pod), 0);
}

#[test]
fn a_pod_bound_to_a_node_never_seen_is_collected() {
    let w = World::new(DEFAULT_TERMINATED_POD_THRESHOLD);
    w.pod("a", "ghost", PodPhase::Pending);
    w.settle();
    w.clock.advance(QUARANTINE);
    w.settle();
    assert!(!w.exists("a"));
}

#[test]
fn terminated_pods_beyond_the_threshold_are_deleted_oldest_first() {
    let w = World::new(2);
    w.node("n1");
    for (i, phase) in
        [PodPhase::Succeeded, PodPhase::Failed, PodPhase::Running, PodPhase::Succeeded, PodPhase::Succeeded]
            .into_iter()
            .enumerate()
    {
        w.pod(&format!("p{i}"), "n1", phase);
        w.clock.advance(S);
    }
    w.settle();
    let left: Vec<bool> = (0..5).map(|i| w.exists(&format!("p{i}"))).collect();
    assert_eq!(left, [false, false, true, true, true], "4 terminated, threshold 2: the 2 oldest go");
    assert_eq!(w.fake.count(Verb::UpdateStatus, Kind::Pod), 0, "already terminal: no status write");
}

fn ready_node(name: &str, ready: bool, out_of_service_taint: bool) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    let status = if ready { ConditionStatus::True } else { ConditionStatus::False };
    n.status.conditions.push(Condition::new("Ready", status, "", "", Time::default()));
    if out_of_service_taint {
        n.spec.taints.push(Taint {
            key: TAINT_NODE_OUT_OF_SERVICE.into(),
            effect: TaintEffect::NoExecute,
            ..Default::default()
        });
    }
    n
}

#[test]
fn judge_finds_orphaned_and_never_finishing_pods() {
    use PodVerdict::*;
    let pod = |node: &str, terminating: bool| {
        let mut p = Pod { metadata: ObjectMeta::named("ns", "p"), ..Default::default() };
        p.spec.node_name = node.into();
        p.metadata.deletion_timestamp = terminating.then_some(Time::from_secs(1));
        p
    };
    let up = ready_node("n", true, false);
    let down = ready_node("n", false, false);
    let tainted_up = ready_node("n", true, true);
    let out = ready_node("n", false, true);
    let cases = [
        ("unbound", pod("", false), None, Keep),
        ("unbound, terminating", pod("", true), None, ForceDelete),
        ("bound, node missing", pod("n", false), None, NodeMissing),
        ("bound, terminating, node missing", pod("n", true), None, NodeMissing),
        ("running on a live node", pod("n", false), Some(&up), Keep),
        ("terminating on a not-ready node", pod("n", true), Some(&down), Keep),
        ("terminating on a Ready node with the taint", pod("n", true), Some(&tainted_up), Keep),
        ("running on an out-of-service node", pod("n", false), Some(&out), Keep),
        ("terminating on an out-of-service node", pod("n", true), Some(&out), ForceDelete),
    ];
    for (name, p, node, want) in cases {
        assert_eq!(judge(&p, node), want, "{name}");
    }
}

#[test]
fn terminating_pods_of_an_out_of_service_node_are_force_deleted() {
    let w = World::new(DEFAULT_TERMINATED_POD_THRESHOLD);
    w.store.create(ready_node("n1", true, false)).unwrap();
    w.pod("a", "n1", PodPhase::Running);
    w.pod("b", "n1", PodPhase::Running);
    w.store.delete::<Pod>("ns", "a", &DeleteOptions::default()).unwrap(); // graceful: 30 s
    w.settle();
    assert!(w.exists("a"), "a terminating pod on a live node waits for its kubelet");
    w.store.update(ready_node("n1", true, true)).unwrap();
    w.settle();
    assert!(w.exists("a"), "tainted but still Ready");
    w.store.update_status(ready_node("n1", false, true)).unwrap();
    w.settle();
    assert!(!w.exists("a"), "not Ready and out of service: forced");
    assert!(w.exists("b"), "a pod that is not terminating stays");
    assert_eq!(w.fake.count(Verb::UpdateStatus, Kind::Pod), 1);
}

#[test]
fn an_unscheduled_terminating_pod_is_failed_and_force_deleted() {
    let w = World::new(DEFAULT_TERMINATED_POD_THRESHOLD);
    w.pod("held", "", PodPhase::Pending);
    w.store.patch::<Pod>("ns", "held", |p| p.metadata.finalizers.push("test/hold".into())).unwrap();
    w.store.delete::<Pod>("ns", "held", &DeleteOptions::default()).unwrap();
    w.settle();
    let p = w.store.get::<Pod>("ns", "held").unwrap();
    assert_eq!(p.phase(), PodPhase::Failed, "marked Failed before the delete");
    assert_eq!(w.fake.count(Verb::Delete, Kind::Pod), 1);
    w.store.patch::<Pod>("ns", "held", |p| p.metadata.finalizers.clear()).unwrap();
    assert!(!w.exists("held"));
}
