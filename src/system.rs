//! System assembly: one simulated cluster — store, informers, scheduler, kubelet
//! and the workload controllers — hosted on the actor runtime.
//!
//! This is what `kwarp run` and the end-to-end tests drive: build a
//! [`ClusterConfig`], [`Cluster::start`] it (informers synced before any
//! component runs), write through [`Runtime::client`], advance with
//! [`Runtime::run_until`], then read [`Cluster::metrics`].

use std::sync::Arc;

use crossbeam_channel::Receiver;
use hdrhistogram::Histogram;

use crate::actors::{Runtime, RuntimeBuilder, RuntimeConfig, RuntimeStats};
use crate::controllers::daemonset::DaemonSetController;
use crate::controllers::deployment::DeploymentController;
use crate::controllers::gc::GarbageCollector;
use crate::controllers::podgc::PodGc;
use crate::controllers::replicaset::ReplicaSetController;
use crate::controllers::statefulset::StatefulSetController;
use crate::controllers::{Controller, ControllerMetrics};
use crate::sim::{Kubelet, KubeletConfig, Scheduler, SchedulerConfig, SchedulerMetrics};
use crate::store::{AnyEvent, ApiCallCount};

/// Workers per controller (kube-controller-manager's `--concurrent-*-syncs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllersConfig {
    pub replicaset_workers: usize,
    pub deployment_workers: usize,
    pub statefulset_workers: usize,
    pub daemonset_workers: usize,
    /// Garbage-collector workers (`--concurrent-gc-syncs`, default 20).
    pub gc_workers: usize,
    /// PodGC's `--terminated-pod-gc-threshold` (default 12500; `<= 0` disables that sweep).
    pub terminated_pod_gc_threshold: i64,
}

impl Default for ControllersConfig {
    fn default() -> Self {
        ControllersConfig {
            replicaset_workers: 5,
            deployment_workers: 5,
            statefulset_workers: 5,
            daemonset_workers: 2,
            gc_workers: 20,
            terminated_pod_gc_threshold: 12_500,
        }
    }
}

/// Everything needed to start a cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterConfig {
    pub runtime: RuntimeConfig,
    pub kubelet: KubeletConfig,
    pub scheduler: SchedulerConfig,
    pub controllers: ControllersConfig,
    /// Tap every store write (for events.jsonl and auditors).
    pub record_events: bool,
}

/// Everything measured in a run.
#[derive(Clone, Debug)]
pub struct ClusterMetrics {
    pub api_calls: Vec<ApiCallCount>,
    pub controllers: Vec<ControllerMetrics>,
    /// Pod start-up (created → Ready), cluster-time nanoseconds.
    pub pod_startup_ns: Histogram<u64>,
    pub scheduler: SchedulerMetrics,
    pub runtime: RuntimeStats,
}

/// Every hosted controller, whatever its reconciler.
trait ControllerSource: Send + Sync {
    fn metrics(&self) -> ControllerMetrics;
}

impl<R: crate::controllers::Reconciler> ControllerSource for Controller<R> {
    fn metrics(&self) -> ControllerMetrics {
        Controller::metrics(self)
    }
}

/// A running simulated cluster.
pub struct Cluster {
    runtime: Runtime,
    kubelet: Arc<Kubelet>,
    scheduler: Arc<Scheduler>,
    controllers: Vec<Arc<dyn ControllerSource>>,
    events: Option<Receiver<AnyEvent>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("runtime", &self.runtime).finish_non_exhaustive()
    }
}

impl Cluster {
    /// Builds and starts the cluster: informers list and sync, then the
    /// scheduler, the kubelet and the controllers start on the runtime.
    pub fn start(cfg: ClusterConfig) -> Cluster {
        let mut b = RuntimeBuilder::new(cfg.runtime.clone());
        let clock = b.clock.clock();
        let events = cfg.record_events.then(|| b.store.subscribe_all());
        let scheduler = Scheduler::new(&b.informers, b.store.client("scheduler"), clock.clone(), cfg.scheduler.clone());
        let kubelet =
            Kubelet::new(&b.informers, b.store.client("kubelet"), clock.clone(), cfg.kubelet.clone(), cfg.runtime.seed);
        let rs = Controller::new(
            Arc::new(ReplicaSetController::new(b.store.client("replicaset-controller"), clock.clone())),
            &b.informers,
            clock.clone(),
            cfg.controllers.replicaset_workers.max(1),
        );
        let deployment = Controller::new(
            Arc::new(DeploymentController::new(b.store.client("deployment-controller"), clock.clone())),
            &b.informers,
            clock.clone(),
            cfg.controllers.deployment_workers.max(1),
        );
        let statefulset = Controller::new(
            Arc::new(StatefulSetController::new(b.store.client("statefulset-controller"), clock.clone())),
            &b.informers,
            clock.clone(),
            cfg.controllers.statefulset_workers.max(1),
        );
        let daemonset = Controller::new(
            Arc::new(DaemonSetController::new(b.store.client("daemon-set-controller"), clock.clone())),
            &b.informers,
            clock.clone(),
            cfg.controllers.daemonset_workers.max(1),
        );
        let gc = Controller::new(
            Arc::new(GarbageCollector::new(b.store.client("generic-garbage-collector"))),
            &b.informers,
            clock.clone(),
            cfg.controllers.gc_workers.max(1),
        );
        let podgc = Controller::new(
            Arc::new(
                PodGc::new(b.store.client("pod-garbage-collector"), clock.clone())
                    .with_threshold(cfg.controllers.terminated_pod_gc_threshold),
            ),
            &b.informers,
            clock.clone(),
            1,
        );
        b.add(scheduler.clone());
        b.add(kubelet.clone());
        b.add(rs.clone());
        b.add(deployment.clone());
        b.add(statefulset.clone());
        b.add(daemonset.clone());
        b.add(gc.clone());
        b.add(podgc.clone());
        let runtime = b.start();
        Cluster {
            runtime,
            kubelet,
            scheduler,
            controllers: vec![rs, deployment, statefulset, daemonset, gc, podgc],
            events,
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }
    pub fn kubelet(&self) -> &Arc<Kubelet> {
        &self.kubelet
    }
    pub fn scheduler(&self) -> &Arc<Scheduler> {
        &self.scheduler
    }
    /// Every store write, in revision order, when `record_events` was set.
    pub fn events(&self) -> Option<Receiver<AnyEvent>> {
        self.events.clone()
    }

    pub fn metrics(&self) -> ClusterMetrics {
        ClusterMetrics {
            api_calls: self.runtime.store().api_call_counts().entries,
            controllers: self.controllers.iter().map(|c| c.metrics()).collect(),
            pod_startup_ns: self.kubelet.startup_histogram(),
            scheduler: self.scheduler.metrics(),
            runtime: self.runtime.stats(),
        }
    }

    /// Settles, takes the final metrics and stops the runtime.
    pub fn shutdown(self) -> ClusterMetrics {
        self.runtime.settle();
        let m = self.metrics();
        self.runtime.shutdown();
        m
    }
}
