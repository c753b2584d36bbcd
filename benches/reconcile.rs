//! Reconcile benches. ReplicaSet: a steady-state sync among 100k cached pods,
//! a 500-pod scale-up sync, and a 10k-replica RS from scratch. Deployment: a
//! steady-state and a mid-rollout sync among 150k cached pods, a 1,000-replica
//! Deployment from scratch, and a rollout of a new image over 1,000 replicas.
//!
//! Fixtures (built outside the timed loops, checked before timing):
//! * `steady/pods_{1k,10k}`: one RS with N Running+Ready pods, status up to
//!   date, plus 100 other RSs × 1,000 pods (100k unrelated pods) in the same
//!   namespace, all in the informer caches; one `sync` must write nothing.
//!   `steady/pods_*` is the sync as it runs when nothing changed (its memo of
//!   the pods stands); `_relist` as after a pod event (the owner index is
//!   re-read, per-pod facts reused); `_cold` as a first sync (every pod read).
//!   Baseline in the same run, `steady/namespace_scan_*`: what client-go's
//!   controller does — list the namespace's pods and filter them by controller
//!   and selector — over the same cache.
//! * `scale_up/create_500`: an RS of 500 replicas with no pods; one sync
//!   issues 500 creates into the store (slow start 1, 2, 4, … 245).
//! * `from_scratch/replicas_10k`: create an RS of 10,000 replicas, then run
//!   informers and the controller event-driven on this thread until 10,000
//!   pods exist and the stored `status.replicas` is 10,000 (no kubelet).
//!   `from_scratch/replicas_10k_ready` adds an in-bench "kubelet" that marks
//!   every new pod Running+Ready (one `update_status` each) and runs until
//!   `status.readyReplicas` is 10,000.
//! * `deployment/steady_1k`: one Deployment of 1,000 replicas over 2
//!   ReplicaSets (the new one holding all 1,000 Ready pods, the old one at 0)
//!   plus 150,000 unrelated pods cached; one `sync` must write nothing.
//!   `deployment/mid_rollout_1k`: the same Deployment stopped mid-rollout
//!   (new pods never become Ready: old RS at 750, new at 500, the surge and
//!   availability bounds reached), where a sync also writes nothing.
//! * `deployment/create_1k`: create a 1,000-replica Deployment and run the
//!   Deployment and ReplicaSet controllers event-driven on this thread, with
//!   an in-bench kubelet that makes every new pod Running+Ready at once, on
//!   the real clock, until the Deployment reports 1,000 available replicas.
//!   `deployment/rollout_1k`: from there, a new image, until the rollout is
//!   complete (1,000 updated and available, the old RS at 0 with no pods).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kwarp::actors::Component;
use kwarp::api::pod::{Condition, ConditionStatus, Container, ContainerStatus, Pod, PodPhase};
use kwarp::api::{Deployment, Kind, LabelSelector, ObjectMeta, Quantity, ReplicaSet, StringMap, Time};
use kwarp::clock::{Clock, RealClock, VirtualClock};
use kwarp::controllers::pod_control::controller_ref;
use kwarp::controllers::{Action, Controller, DeploymentController, ReplicaSetController};
use kwarp::informer::{FnHandler, SharedInformerFactory};
use kwarp::store::{Client, DeleteOptions, ListOptions, Store, StoreOptions, Verb};
use mimalloc::MiMalloc;
use parking_lot::Mutex;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const NS: &str = "bench";
const UNRELATED_SETS: usize = 100;
const PODS_PER_UNRELATED_SET: usize = 1_000;

fn labels(app: &str) -> StringMap {
    [("app".to_string(), app.to_string()), ("pod-template-hash".to_string(), "5d4f8c7b9".to_string())].into()
}

fn replica_set(name: &str, replicas: i32) -> ReplicaSet {
    let mut rs = ReplicaSet { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    rs.spec.replicas = Some(replicas);
    rs.spec.selector = Some(LabelSelector::from_labels(labels(name)));
    rs.spec.template.metadata.labels = labels(name);
    let mut c = Container { name: "app".into(), image: "registry.k8s.io/pause:3.9".into(), ..Default::default() };
    c.resources.requests.insert("cpu".into(), Quantity::parse("100m").expect("quantity"));
    c.resources.requests.insert("memory".into(), Quantity::parse("64Mi").expect("quantity"));
    rs.spec.template.spec.containers.push(c);
    rs
}

/// A Running+Ready pod of `rs`, as a kubelet would have reported it.
fn running_pod(rs: &ReplicaSet, i: usize, now: Time) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named(NS, format!("{}-{i:05}", rs.metadata.name)), ..Default::default() };
    p.metadata.labels = rs.spec.template.metadata.labels.clone();
    p.metadata.owner_references.push(controller_ref(&rs.metadata, Kind::ReplicaSet));
    p.spec = rs.spec.template.spec.clone();
    p.spec.node_name = format!("node-{:04}", i % 1000);
    mark_running(&mut p, now);
    p
}

fn mark_running(p: &mut Pod, now: Time) {
    p.status.phase = Some(PodPhase::Running);
    p.status.conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"]
        .iter()
        .map(|t| Condition::new(t, ConditionStatus::True, "", "", now))
        .collect();
    p.status.container_statuses =
        vec![ContainerStatus { name: "app".into(), ready: true, started: Some(true), ..Default::default() }];
}

/// Store, informers and an RS controller on a virtual clock.
struct World {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    informers: SharedInformerFactory,
    controller: Arc<Controller<ReplicaSetController<Client>>>,
}

impl World {
    fn new() -> World {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions { seed: 1, history_limit: 1_000 });
        let informers = SharedInformerFactory::new(store.client("informers"));
        let rsc = ReplicaSetController::new(store.client("replicaset-controller"), clock.clone());
        let controller = Controller::new(Arc::new(rsc), &informers, clock.clone(), 1);
        World { clock, store, informers, controller }
    }

    fn pump(&self) {
        while self.informers.pump_all() > 0 {}
    }

    /// Informers and controller, event-driven on this thread, until `done`.
    fn run_until(&self, mut step: impl FnMut(&World), done: impl Fn(&World) -> bool) {
        while !done(self) {
            self.pump();
            step(self);
            if self.controller.run_ready(64) == 0 && !self.informers.has_pending() {
                assert!(self.clock.advance_to_next(), "stalled before done");
            }
        }
    }

    fn writes(&self) -> u64 {
        let c = self.store.api_call_counts();
        [Verb::Create, Verb::Update, Verb::UpdateStatus, Verb::Patch, Verb::Delete]
            .iter()
            .map(|&v| {
                c.get("replicaset-controller", v, Kind::Pod) + c.get("replicaset-controller", v, Kind::ReplicaSet)
            })
            .sum()
    }
}

/// A world with the target RS (`pods` replicas, all Running+Ready) and 100k unrelated pods, synced once.
fn steady_world(pods: usize) -> World {
    let w = World::new();
    let now = w.clock.now();
    for s in 0..UNRELATED_SETS {
        let rs = w.store.create(replica_set(&format!("other-{s:03}"), PODS_PER_UNRELATED_SET as i32)).unwrap();
        for i in 0..PODS_PER_UNRELATED_SET {
            w.store.create(running_pod(&rs, i, now)).unwrap();
        }
    }
    let rs = w.store.create(replica_set("web", pods as i32)).unwrap();
    for i in 0..pods {
        w.store.create(running_pod(&rs, i, now)).unwrap();
    }
    w.pump();
    assert_eq!(w.controller.sync("bench/web"), Ok(Action::Done));
    w.pump();
    let st = &w.store.get::<ReplicaSet>(NS, "web").unwrap().status;
    assert_eq!((st.replicas, st.ready_replicas, st.available_replicas), (pods as i32, pods as i32, pods as i32));
    let before = w.writes();
    assert_eq!(w.controller.sync("bench/web"), Ok(Action::Done));
    assert_eq!(w.writes(), before, "a steady sync writes nothing");
    w
}

/// client-go's way: every pod of the namespace, filtered by controller uid and selector, then counted.
fn namespace_scan(w: &World) -> (i32, i32) {
    let rs = w.informers.informer::<ReplicaSet>().cache().get_ns_name(NS, "web").unwrap();
    let selector = rs.spec.selector.as_ref().unwrap().to_selector().unwrap();
    let pods = w.informers.informer::<Pod>().cache().by_namespace(NS);
    let (mut replicas, mut ready) = (0, 0);
    for p in pods.iter().filter(|p| p.is_active()) {
        let ours = p.metadata.controller_ref().is_some_and(|r| r.uid == rs.metadata.uid);
        if ours && selector.matches(&p.metadata.labels) {
            replicas += 1;
            ready += i32::from(p.is_ready());
        }
    }
    (replicas, ready)
}

fn steady(c: &mut Criterion) {
    let mut g = c.benchmark_group("steady");
    for (name, pods) in [("pods_1k", 1_000), ("pods_10k", 10_000)] {
        let w = steady_world(pods);
        g.bench_function(name, |b| b.iter(|| black_box(w.controller.sync(black_box("bench/web")))));
        // After a pod event: the owner index is re-read (facts reused by allocation);
        // cold: every pod's facts recomputed too (a first sync).
        let id = w.controller.enqueuer().intern("bench/web");
        let rsc = w.controller.reconciler();
        for (suffix, recompute) in [("relist", false), ("cold", true)] {
            rsc.invalidate(id, recompute);
            assert_eq!(w.controller.sync("bench/web"), Ok(Action::Done));
            g.bench_function(format!("{name}_{suffix}"), |b| {
                b.iter(|| {
                    rsc.invalidate(id, recompute);
                    black_box(w.controller.sync(black_box("bench/web")))
                })
            });
        }
        assert_eq!(namespace_scan(&w), (pods as i32, pods as i32));
        g.bench_function(format!("namespace_scan_{}", &name[5..]), |b| b.iter(|| black_box(namespace_scan(&w))));
    }
    g.finish();
}

/// An RS of 500 replicas, no pods, caches synced.
fn empty_world(replicas: i32) -> World {
    let w = World::new();
    w.store.create(replica_set("web", replicas)).unwrap();
    w.pump();
    w
}

fn scale_up(c: &mut Criterion) {
    let w = empty_world(500);
    assert_eq!(w.controller.sync("bench/web"), Ok(Action::Done));
    assert_eq!(w.store.count::<Pod>(), 500);
    let mut g = c.benchmark_group("scale_up");
    g.bench_function("create_500", |b| {
        b.iter_batched(
            || empty_world(500),
            |w| {
                let r = w.controller.sync("bench/web");
                debug_assert_eq!(w.store.count::<Pod>(), 500);
                (r, w)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Creates the 10k RS and runs until every pod exists and the status says so.
fn from_scratch_no_kubelet(w: World) -> World {
    w.store.create(replica_set("web", 10_000)).unwrap();
    w.run_until(|_| {}, |w| w.store.get::<ReplicaSet>(NS, "web").unwrap().status.replicas == 10_000);
    w
}

/// Pods the "kubelet" has yet to start.
type Started = Arc<Mutex<Vec<Arc<Pod>>>>;

/// A world whose in-bench kubelet collects every new pod.
fn kubelet_world() -> (World, Started) {
    let w = World::new();
    let new_pods: Started = Arc::default();
    let sink = new_pods.clone();
    let h = FnHandler::<Pod>::new().on_add(move |p: &Arc<Pod>| sink.lock().push(p.clone()));
    w.informers.informer::<Pod>().add_event_handler(Arc::new(h));
    w.pump();
    (w, new_pods)
}

/// Creates the 10k RS; the kubelet marks each new pod Running+Ready; runs until all are ready.
fn from_scratch_with_kubelet(w: World, new_pods: &Started, kubelet: &Client) -> World {
    w.store.create(replica_set("web", 10_000)).unwrap();
    let start = |w: &World| {
        let now = w.clock.now();
        for p in std::mem::take(&mut *new_pods.lock()) {
            let mut running = (*p).clone();
            mark_running(&mut running, now);
            kubelet.update_status(running).unwrap();
        }
    };
    w.run_until(start, |w| w.store.get::<ReplicaSet>(NS, "web").unwrap().status.ready_replicas == 10_000);
    w
}

fn from_scratch(c: &mut Criterion) {
    let w = from_scratch_no_kubelet(World::new());
    assert_eq!(w.store.count::<Pod>(), 10_000);
    assert_eq!(w.controller.metrics().errors, 0);
    let (w, new_pods) = kubelet_world();
    let kubelet = w.store.client("kubelet");
    let w = from_scratch_with_kubelet(w, &new_pods, &kubelet);
    let ready = w.store.list::<Pod>(&ListOptions::default()).items.iter().filter(|p| p.is_ready()).count();
    assert_eq!(ready, 10_000);

    let mut g = c.benchmark_group("from_scratch");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("replicas_10k", |b| b.iter_batched(World::new, from_scratch_no_kubelet, BatchSize::PerIteration));
    g.bench_function("replicas_10k_ready", |b| {
        b.iter_batched(
            kubelet_world,
            |(w, new_pods)| {
                let kubelet = w.store.client("kubelet");
                from_scratch_with_kubelet(w, &new_pods, &kubelet)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

// ------------------------------------------------------------------ Deployment

const DEPLOYMENT_UNRELATED_PODS: usize = 150_000;

fn deployment(replicas: i32, image: &str) -> Deployment {
    let labels: StringMap = [("app".to_string(), "web".to_string())].into();
    let mut d = Deployment { metadata: ObjectMeta::named(NS, "web"), ..Default::default() };
    d.spec.replicas = Some(replicas);
    d.spec.selector = Some(LabelSelector::from_labels(labels.clone()));
    d.spec.template.metadata.labels = labels;
    let mut c = Container { name: "app".into(), image: image.into(), ..Default::default() };
    c.resources.requests.insert("cpu".into(), Quantity::parse("100m").expect("quantity"));
    d.spec.template.spec.containers.push(c);
    d
}

/// Store, informers, the Deployment and ReplicaSet controllers, and an in-bench kubelet, on one thread.
struct DWorld {
    clock: Arc<dyn Clock>,
    store: Arc<Store>,
    informers: SharedInformerFactory,
    rs: Arc<Controller<ReplicaSetController<Client>>>,
    dep: Arc<Controller<DeploymentController<Client>>>,
    new_pods: Started,
    /// Pods being deleted, which the kubelet confirms at once (grace 0).
    terminating: Started,
    kubelet: Client,
    /// Whether the kubelet makes new pods Running+Ready (it always confirms deletions).
    kubelet_on: bool,
}

impl DWorld {
    fn new(clock: Arc<dyn Clock>, unrelated: usize) -> DWorld {
        let store = Store::new(clock.clone(), StoreOptions { seed: 1, history_limit: 1_000 });
        let informers = SharedInformerFactory::new(store.client("informers"));
        let rsc = ReplicaSetController::new(store.client("replicaset-controller"), clock.clone());
        let rs = Controller::new(Arc::new(rsc), &informers, clock.clone(), 1);
        let dc = DeploymentController::new(store.client("deployment-controller"), clock.clone());
        let dep = Controller::new(Arc::new(dc), &informers, clock.clone(), 1);
        let new_pods: Started = Arc::default();
        let terminating: Started = Arc::default();
        let (sink, doomed) = (new_pods.clone(), terminating.clone());
        let h = FnHandler::<Pod>::new().on_add(move |p: &Arc<Pod>| sink.lock().push(p.clone())).on_update(
            move |old: &Arc<Pod>, cur: &Arc<Pod>| {
                if old.metadata.deletion_timestamp.is_none() && cur.metadata.deletion_timestamp.is_some() {
                    doomed.lock().push(cur.clone());
                }
            },
        );
        informers.informer::<Pod>().add_event_handler(Arc::new(h));
        // Unrelated pods: controlled by ReplicaSets that are not cached (nothing syncs them).
        let now = clock.now();
        let other = replica_set("other", 0);
        for i in 0..unrelated {
            let mut owner = other.metadata.clone();
            owner.name = format!("other-{:03}", i / 1_000);
            owner.uid = format!("uid-other-{:03}", i / 1_000);
            let mut p = running_pod(&other, i, now);
            p.metadata.name = format!("{}-{:05}", owner.name, i % 1_000);
            p.metadata.owner_references = vec![controller_ref(&owner, Kind::ReplicaSet)];
            store.create(p).unwrap();
        }
        let kubelet = store.client("kubelet");
        let w = DWorld { clock, store, informers, rs, dep, new_pods, terminating, kubelet, kubelet_on: true };
        w.settle();
        w.new_pods.lock().clear();
        w
    }

    /// Delivers events and runs the kubelet and both controllers until nothing is left to do (time does not move).
    fn settle(&self) {
        loop {
            let mut worked = 0;
            while self.informers.pump_all() > 0 {
                worked += 1;
            }
            if self.kubelet_on {
                let now = self.clock.now();
                for p in std::mem::take(&mut *self.new_pods.lock()) {
                    let mut running = (*p).clone();
                    mark_running(&mut running, now);
                    self.kubelet.update_status(running).unwrap();
                    worked += 1;
                }
            }
            for p in std::mem::take(&mut *self.terminating.lock()) {
                let m = &p.metadata;
                let _ = self.kubelet.delete::<Pod>(&m.namespace, &m.name, &DeleteOptions::now());
                worked += 1;
            }
            worked += self.dep.run_ready(64) + self.rs.run_ready(64);
            if worked == 0 && !self.informers.has_pending() {
                return;
            }
        }
    }

    fn deployment(&self) -> Arc<Deployment> {
        self.store.get::<Deployment>(NS, "web").unwrap()
    }

    fn complete(&self, image: &str) -> bool {
        let d = self.deployment();
        let st = &d.status;
        d.spec.template.spec.containers[0].image == image
            && st.observed_generation >= d.metadata.generation
            && (st.replicas, st.updated_replicas, st.available_replicas) == (1_000, 1_000, 1_000)
    }

    fn set_image(&self, image: &str) {
        self.store.patch::<Deployment>(NS, "web", |d| d.spec.template.spec.containers[0].image = image.into()).unwrap();
    }

    fn writes(&self) -> u64 {
        let c = self.store.api_call_counts();
        let verbs = [Verb::Create, Verb::Update, Verb::UpdateStatus, Verb::Patch, Verb::Delete];
        let kinds = [Kind::Pod, Kind::ReplicaSet, Kind::Deployment];
        let mut n = 0;
        for v in verbs {
            for k in kinds {
                n += c.get("deployment-controller", v, k);
            }
        }
        n
    }

    fn replica_sets(&self) -> Vec<(i32, String)> {
        let mut out: Vec<(i32, String)> = self
            .store
            .list::<ReplicaSet>(&ListOptions::default())
            .items
            .iter()
            .map(|rs| (rs.spec.replicas.unwrap_or(0), rs.spec.template.spec.containers[0].image.clone()))
            .collect();
        out.sort();
        out
    }
}

/// A 1,000-replica Deployment rolled out from v1 to v2 (`mid_rollout`: the v2 pods never become Ready), among 150k pods.
fn deployment_world(mid_rollout: bool) -> DWorld {
    let mut w = DWorld::new(Arc::new(VirtualClock::new()), DEPLOYMENT_UNRELATED_PODS);
    w.store.create(deployment(1_000, "app:v1")).unwrap();
    w.settle();
    assert!(w.complete("app:v1"));
    w.kubelet_on = !mid_rollout;
    w.set_image("app:v2");
    w.settle();
    if mid_rollout {
        assert_eq!(w.replica_sets(), vec![(500, "app:v2".to_string()), (750, "app:v1".to_string())]);
    } else {
        assert!(w.complete("app:v2"));
        assert_eq!(w.replica_sets(), vec![(0, "app:v1".to_string()), (1_000, "app:v2".to_string())]);
    }
    assert_eq!(w.store.count::<Pod>(), DEPLOYMENT_UNRELATED_PODS + if mid_rollout { 1_250 } else { 1_000 });
    let before = w.writes();
    // Mid-rollout the sync asks to look again at the progress deadline.
    let want = if mid_rollout { Action::RequeueAfter(Duration::from_secs(601)) } else { Action::Done };
    assert_eq!(w.dep.sync("bench/web"), Ok(want));
    assert_eq!(w.writes(), before, "a steady sync writes nothing");
    w
}

/// A world on the real clock with a Deployment of 1,000 Ready replicas at v1 (`create`: none yet).
fn real_clock_world(create: bool) -> DWorld {
    let w = DWorld::new(Arc::new(RealClock::new()), 0);
    if create {
        w.store.create(deployment(1_000, "app:v1")).unwrap();
        w.settle();
    }
    w
}

fn deployment_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("deployment");
    for (name, mid) in [("steady_1k", false), ("mid_rollout_1k", true)] {
        let w = deployment_world(mid);
        g.bench_function(name, |b| b.iter(|| black_box(w.dep.sync(black_box("bench/web")))));
    }
    // Check the timed shapes once.
    let w = real_clock_world(false);
    w.store.create(deployment(1_000, "app:v1")).unwrap();
    w.settle();
    assert!(w.complete("app:v1"));
    w.set_image("app:v2");
    w.settle();
    assert!(w.complete("app:v2"));
    assert_eq!(w.replica_sets(), vec![(0, "app:v1".to_string()), (1_000, "app:v2".to_string())]);
    assert_eq!(w.store.count::<Pod>(), 1_000, "old pods gone");
    assert_eq!((w.dep.metrics().errors, w.rs.metrics().errors), (0, 0));

    g.sample_size(20);
    g.bench_function("create_1k", |b| {
        b.iter_batched(
            || real_clock_world(false),
            |w| {
                w.store.create(deployment(1_000, "app:v1")).unwrap();
                w.settle();
                debug_assert!(w.complete("app:v1"));
                w
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("rollout_1k", |b| {
        b.iter_batched(
            || real_clock_world(true),
            |w| {
                w.set_image("app:v2");
                w.settle();
                debug_assert!(w.complete("app:v2"));
                w
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, steady, scale_up, from_scratch, deployment_benches);
criterion_main!(benches);
