//! StatefulSet rolling update on the real clock: the latency-bound chain controller → store → informer → kubelet →
//! store → informer → controller, one ordinal at a time.
//!
//! * `rolling_update/replicas_{1000,10000}`: an OrderedReady set of N Running+Ready
//!   pods in a whole `kwarp::system::Cluster` (real clock, one arbiter thread,
//!   kubelet start-up / ready / shutdown latencies zero, 100 pods per node). One iteration flips
//!   the image and runs until the rollout is complete (every pod updated and
//!   Ready, `currentRevision == updateRevision`). Before timing, one rollout is
//!   checked against the event log: pods were deleted for the update in
//!   strictly decreasing ordinal order, each exactly once. Reported: wall time
//!   per rollout; the bench also prints ordinals per second and µs per ordinal step.
//! * `steady_sync/replicas_1000`: one reconcile of a converged 1,000-replica
//!   set (store + informers on the virtual clock, no runtime); it must write nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use kwarp::actors::ClockMode;
use kwarp::api::pod::{Condition, ConditionStatus, Container, Pod, PodPhase};
use kwarp::api::{Kind, LabelSelector, Node, ObjectMeta, Quantity, StatefulSet, StringMap, Time};
use kwarp::clock::{Clock, VirtualClock};
use kwarp::controllers::statefulset::util::parent_name_and_ordinal;
use kwarp::controllers::{Action, Controller, FakeClient, StatefulSetController};
use kwarp::informer::SharedInformerFactory;
use kwarp::sim::{Dist, KubeletConfig};
use kwarp::store::{AnyEvent, Client, EventType, Store, StoreOptions};
use kwarp::system::{Cluster, ClusterConfig};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const NS: &str = "bench";

fn labels() -> StringMap {
    [("app".to_string(), "web".to_string())].into()
}

fn stateful_set(replicas: i32) -> StatefulSet {
    let mut s = StatefulSet { metadata: ObjectMeta::named(NS, "web"), ..Default::default() };
    s.spec.replicas = Some(replicas);
    s.spec.service_name = "web".into();
    s.spec.selector = Some(LabelSelector::from_labels(labels()));
    s.spec.template.metadata.labels = labels();
    let c = Container { name: "app".into(), image: "registry.k8s.io/pause:3.9".into(), ..Default::default() };
    s.spec.template.spec.containers.push(c);
    s
}

fn node(name: &str) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.capacity = [("cpu", "1000"), ("memory", "1000Gi"), ("pods", "110")]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).expect("quantity")))
        .collect();
    n.status.allocatable = n.status.capacity.clone();
    n.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "KubeletReady", "", Time::default()));
    n
}

fn complete(api: &Client, n: i32, image: &str) -> bool {
    let s = api.get::<StatefulSet>(NS, "web").expect("the set");
    let st = &s.status;
    s.spec.template.spec.containers[0].image == image
        && st.observed_generation == s.metadata.generation
        && st.updated_replicas == n
        && st.ready_replicas == n
        && st.current_revision == st.update_revision
}

/// A real-clock cluster with a converged N-replica set.
struct Fixture {
    cluster: Cluster,
    api: Client,
    events: crossbeam_channel::Receiver<AnyEvent>,
    replicas: i32,
    flips: usize,
}

impl Fixture {
    fn new(replicas: i32) -> Fixture {
        let zero = Dist::zero();
        let kubelet =
            KubeletConfig { startup: zero.clone(), ready: zero.clone(), shutdown: zero, ..Default::default() };
        let mut cfg = ClusterConfig { kubelet, record_events: true, ..ClusterConfig::default() };
        cfg.runtime.clock = ClockMode::Real;
        cfg.runtime.threads = 1;
        let cluster = Cluster::start(cfg);
        let api = cluster.runtime().client("bench");
        let events = cluster.events().expect("recording");
        // 100 pods per node, as in a real cluster (a node's pod count bounds the scheduler's and kubelet's work).
        for i in 0..(replicas + 99) / 100 {
            api.create(node(&format!("node-{i}"))).expect("node");
        }
        api.create(stateful_set(replicas)).expect("set");
        let image = "registry.k8s.io/pause:3.9";
        let timeout = Duration::from_secs(3600);
        cluster.runtime().run_until(|| complete(&api, replicas, image), timeout).expect("initial rollout");
        while events.try_recv().is_ok() {}
        Fixture { cluster, api, events, replicas, flips: 0 }
    }

    /// Changes the image and runs the rollout to completion; answers its wall time.
    fn rollout(&mut self) -> Duration {
        self.flips += 1;
        let image = format!("registry.k8s.io/pause:v{}", self.flips);
        let mut s = (*self.api.get::<StatefulSet>(NS, "web").expect("the set")).clone();
        s.spec.template.spec.containers[0].image.clone_from(&image);
        let start = Instant::now();
        self.api.update(s).expect("update");
        let (api, n) = (&self.api, self.replicas);
        self.cluster.runtime().run_until(|| complete(api, n, &image), Duration::from_secs(3600)).expect("rollout");
        start.elapsed()
    }

    /// The ordinals whose pods were deleted since the last call, in order.
    fn deletions(&self) -> Vec<i32> {
        let mut out = Vec::new();
        for e in self.events.try_iter() {
            if e.kind != Kind::Pod {
                continue;
            }
            let pod = e.object.as_any().downcast_ref::<Pod>().expect("a pod");
            let started = match e.type_ {
                EventType::Modified => pod.metadata.deletion_timestamp.is_some(),
                EventType::Deleted => true,
                EventType::Added => false,
            };
            if started && out.last() != Some(&parent_name_and_ordinal(&pod.metadata.name).1) {
                out.push(parent_name_and_ordinal(&pod.metadata.name).1);
            }
        }
        out
    }
}

fn rolling_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("rolling_update");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for replicas in [1_000, 10_000] {
        let mut f = Fixture::new(replicas);
        let took = f.rollout();
        let order = f.deletions();
        let want: Vec<i32> = (0..replicas).rev().collect();
        assert_eq!(order, want, "pods deleted for the update in decreasing ordinal order, once each");
        let per_step = took.as_secs_f64() * 1e6 / f64::from(replicas);
        eprintln!(
            "rolling_update/replicas_{replicas}: checked rollout {took:?}: {:.0} ordinals/s, {per_step:.1} µs per ordinal step",
            f64::from(replicas) / took.as_secs_f64()
        );
        g.bench_function(format!("replicas_{replicas}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += f.rollout();
                    while f.events.try_recv().is_ok() {}
                }
                total
            })
        });
        f.cluster.shutdown();
    }
    g.finish();
}

fn steady_sync(c: &mut Criterion) {
    let replicas = 1_000;
    let clock = Arc::new(VirtualClock::new());
    let store = Store::new(clock.clone(), StoreOptions::default());
    let fake = Arc::new(FakeClient::new(store.client("statefulset-controller")));
    let informers = SharedInformerFactory::new(store.client("informers"));
    let ssc = StatefulSetController::new(fake.clone(), clock.clone());
    let controller = Controller::new(Arc::new(ssc), &informers, clock.clone(), 1);
    store.create(stateful_set(replicas)).expect("set");
    informers.start_all();
    let pump = || while informers.pump_all() > 0 {};
    pump();
    // Drive the set to convergence by hand: sync, mark the new pod Running+Ready, repeat.
    for o in 0..replicas {
        controller.sync(&format!("{NS}/web")).expect("sync");
        pump();
        let mut p = (*store.get::<Pod>(NS, &format!("web-{o}")).expect("created")).clone();
        p.spec.node_name = "node-0".into();
        p.status.phase = Some(PodPhase::Running);
        p.status.conditions = vec![Condition::new("Ready", ConditionStatus::True, "", "", clock.now())];
        store.update_status(p).expect("ready");
        pump();
    }
    controller.sync(&format!("{NS}/web")).expect("sync");
    pump();
    let s = store.get::<StatefulSet>(NS, "web").expect("set");
    assert_eq!((s.status.ready_replicas, s.status.updated_replicas), (replicas, replicas));
    fake.take_calls();
    assert_eq!(controller.sync(&format!("{NS}/web")), Ok(Action::Done));
    assert!(fake.take_calls().is_empty(), "a converged sync writes nothing");
    let mut g = c.benchmark_group("steady_sync");
    g.bench_function("replicas_1000", |b| b.iter(|| controller.sync("bench/web").expect("sync")));
    g.finish();
}

criterion_group!(benches, steady_sync, rolling_update);
criterion_main!(benches);
