//! A hand-driven test cluster for the driver: store, informers, scheduler, kubelet and a toy ReplicaSet
//! reconciler, all on one thread and the virtual clock (no actor runtime, no sleeping).
//!
//! The toy reconciler is not kwarp's ReplicaSet controller: it keeps each
//! ReplicaSet's owned active pods at `spec.replicas` and writes status, enough
//! for scenarios to converge. It runs whenever the store changed.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use kwarp::actors::Component;
use kwarp::api::{ObjectMeta, OwnerReference, Pod, ReplicaSet, Time};
use kwarp::clock::{duration_between, Clock, VirtualClock};
use kwarp::informer::SharedInformerFactory;
use kwarp::sim::{Kubelet, Scheduler};
use kwarp::store::{AnyEvent, Client, DeleteOptions, ListOptions, Store, StoreOptions};
use kwarp_loadgen::report::{ControllerMetrics, RunMetrics, SchedulerStats};
use kwarp_loadgen::run::ClusterSettings;
use kwarp_loadgen::{ClusterHandle, SimCluster};

pub struct TestCluster {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    factory: SharedInformerFactory,
    scheduler: Arc<Scheduler>,
    kubelet: Arc<Kubelet>,
    rs_client: Client,
    events: Option<Receiver<AnyEvent>>,
    /// Store revision the reconciler last saw.
    seen: AtomicU64,
    reconciles: AtomicU64,
}

impl TestCluster {
    pub fn start(s: &ClusterSettings) -> TestCluster {
        let clock = Arc::new(VirtualClock::new());
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        #[allow(clippy::needless_update)]
        let opts = StoreOptions { seed: s.seed, history_limit: 1_000_000, ..StoreOptions::default() };
        let store = Store::new(dyn_clock.clone(), opts);
        let events = s.record_events.then(|| store.subscribe_all());
        let factory = SharedInformerFactory::new(store.client("informers"));
        let scheduler = Scheduler::new(&factory, store.client("scheduler"), dyn_clock.clone(), s.scheduler.clone());
        let kubelet = Kubelet::new(&factory, store.client("kubelet"), dyn_clock, s.kubelet.clone(), s.seed);
        factory.wait_for_cache_sync();
        let rs_client = store.client("replicaset-controller");
        TestCluster {
            clock,
            store,
            factory,
            scheduler,
            kubelet,
            rs_client,
            events,
            seen: AtomicU64::new(u64::MAX),
            reconciles: AtomicU64::new(0),
        }
    }

    pub fn launch(s: &ClusterSettings) -> Result<Box<dyn SimCluster>, String> {
        Ok(Box::new(TestCluster::start(s)))
    }

    /// Runs everything that is ready until nothing is; time does not move.
    fn settle_now(&self) {
        for _ in 0..1_000_000 {
            let pumped = self.factory.pump_all();
            let worked = self.scheduler.run_ready(usize::MAX) + self.kubelet.run_ready(usize::MAX);
            let reconciled = self.reconcile_all();
            if pumped == 0 && worked == 0 && !reconciled && !self.factory.has_pending() {
                return;
            }
        }
        panic!("the test cluster never settles");
    }

    /// The toy ReplicaSet reconciler, over every ReplicaSet, when the store changed.
    fn reconcile_all(&self) -> bool {
        let rev = self.store.current_revision();
        if self.seen.swap(rev, Ordering::AcqRel) == rev {
            return false;
        }
        let pods = self.store.list::<Pod>(&ListOptions::all()).items;
        for rs in self.store.list::<ReplicaSet>(&ListOptions::all()).items {
            self.reconciles.fetch_add(1, Ordering::Relaxed);
            let mut owned: Vec<&Pod> = pods
                .iter()
                .map(|p| &**p)
                .filter(|p| p.is_active() && p.metadata.controller_ref().is_some_and(|r| r.uid == rs.metadata.uid))
                .collect();
            let want = rs.spec.replicas.unwrap_or(1).max(0) as usize;
            if owned.len() < want {
                for _ in owned.len()..want {
                    let mut meta = rs.spec.template.metadata.clone();
                    meta.namespace = rs.metadata.namespace.clone();
                    meta.generate_name = format!("{}-", rs.metadata.name);
                    meta.owner_references = vec![OwnerReference {
                        api_version: "apps/v1".into(),
                        kind: "ReplicaSet".into(),
                        name: rs.metadata.name.clone(),
                        uid: rs.metadata.uid.clone(),
                        controller: Some(true),
                        block_owner_deletion: Some(true),
                    }];
                    let pod = Pod { metadata: meta, spec: rs.spec.template.spec.clone(), ..Default::default() };
                    self.rs_client.create(pod).expect("the toy reconciler creates valid pods");
                }
            } else if owned.len() > want {
                // Not ready first, then by name: deterministic.
                owned.sort_by_key(|p| (p.is_ready(), p.metadata.name.clone()));
                for p in &owned[..owned.len() - want] {
                    let _ = self.rs_client.delete::<Pod>(
                        &p.metadata.namespace,
                        &p.metadata.name,
                        &DeleteOptions::default(),
                    );
                }
                owned.drain(..owned.len() - want);
            }
            let ready = owned.iter().filter(|p| p.is_ready()).count() as i32;
            let mut next = (*rs).clone();
            next.status.replicas = owned.len() as i32;
            next.status.ready_replicas = ready;
            next.status.available_replicas = ready;
            next.status.fully_labeled_replicas = owned.len() as i32;
            next.status.observed_generation = rs.metadata.generation;
            if next.status != rs.status {
                let _ = self.rs_client.update_status(next);
            }
        }
        true
    }
}

impl ClusterHandle for TestCluster {
    fn store(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }
    fn kubelet(&self) -> Option<Arc<Kubelet>> {
        Some(Arc::clone(&self.kubelet))
    }
    fn now(&self) -> Time {
        self.clock.now()
    }
    fn settle(&self) {
        self.settle_now();
    }
    fn run_for(&self, d: Duration) {
        let until = self.clock.now().add_nanos(d.as_nanos() as i64);
        loop {
            self.settle_now();
            match self.clock.next_deadline() {
                Some(at) if at <= until => {
                    self.clock.advance_to_next();
                }
                _ => break,
            }
        }
        self.clock.advance_to(until);
        self.settle_now();
    }
    fn run_until(&self, done: &mut dyn FnMut() -> bool, timeout: Duration) -> Result<Duration, Duration> {
        let t0 = self.clock.now();
        let until = t0.add_nanos(timeout.as_nanos() as i64);
        loop {
            self.settle_now();
            if done() {
                return Ok(duration_between(t0, self.clock.now()));
            }
            match self.clock.next_deadline() {
                Some(at) if at <= until => {
                    self.clock.advance_to_next();
                }
                _ => {
                    self.clock.advance_to(until);
                    self.settle_now();
                    return if done() { Ok(timeout) } else { Err(timeout) };
                }
            }
        }
    }
}

impl SimCluster for TestCluster {
    fn events(&self) -> Option<Receiver<AnyEvent>> {
        self.events.clone()
    }
    fn metrics(&self) -> RunMetrics {
        let s = self.scheduler.metrics();
        let mut rs = ControllerMetrics::new("replicaset");
        rs.reconciles = self.reconciles.load(Ordering::Relaxed);
        RunMetrics {
            api_calls: self.store.api_call_counts().entries,
            controllers: vec![rs],
            pod_startup_ns: self.kubelet.startup_histogram(),
            scheduler: SchedulerStats {
                scheduled: s.scheduled,
                unschedulable_attempts: s.unschedulable_attempts,
                bind_conflicts: s.bind_conflicts,
            },
            runtime: Default::default(),
        }
    }
    fn shutdown(self: Box<Self>) -> RunMetrics {
        self.settle_now();
        let m = self.metrics();
        self.factory.shutdown();
        m
    }
}

/// `ObjectMeta` named `name` in `default` (for tests that build objects by hand).
pub fn meta(name: &str) -> ObjectMeta {
    ObjectMeta::named("default", name)
}
