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
use crate::controllers::replicaset::ReplicaSetController;
use crate::controllers::{Controller, ControllerMetrics};
use crate::sim::{Kubelet, KubeletConfig, Scheduler, SchedulerConfig};
use crate::store::{AnyEvent, ApiCallCount};
use crate::workqueue::QueueMetrics;

/// Workers per controller (kube-controller-manager's `--concurrent-*-syncs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllersConfig {
    pub replicaset_workers: usize,
}

impl Default for ControllersConfig {
    fn default() -> Self {
        ControllersConfig { replicaset_workers: 5 }
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

/// One controller's figures for the report.
#[derive(Clone, Debug)]
pub struct ControllerReport {
    pub name: String,
    pub reconciles: u64,
    pub errors: u64,
    pub panics: u64,
    pub requeues: u64,
    /// Wall nanoseconds per reconcile.
    pub reconcile_ns: Histogram<u64>,
    /// Wall nanoseconds from the informer applying an event to the end of the reconcile that saw it.
    pub event_to_reconciled_ns: Histogram<u64>,
    pub queue: Option<QueueMetrics>,
}

/// The scheduler's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerReport {
    pub scheduled: u64,
    pub unschedulable_attempts: u64,
    pub bind_conflicts: u64,
}

/// Everything measured in a run.
#[derive(Clone, Debug)]
pub struct ClusterMetrics {
    pub api_calls: Vec<ApiCallCount>,
    pub controllers: Vec<ControllerReport>,
    /// Pod start-up (created → Ready), cluster-time nanoseconds.
    pub pod_startup_ns: Histogram<u64>,
    pub scheduler: SchedulerReport,
    pub runtime: RuntimeStats,
}

/// A metrics source for every hosted controller, whatever its reconciler.
trait ControllerSource: Send + Sync {
    fn report(&self) -> ControllerReport;
}

impl<R: crate::controllers::Reconciler> ControllerSource for Controller<R> {
    fn report(&self) -> ControllerReport {
        let m: ControllerMetrics = self.metrics();
        ControllerReport {
            name: m.name.to_string(),
            reconciles: m.reconciles,
            errors: m.errors,
            panics: m.panics,
            requeues: m.requeues,
            reconcile_ns: m.reconcile_duration,
            event_to_reconciled_ns: m.event_to_reconciled,
            queue: m.queue,
        }
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
        b.add(scheduler.clone());
        b.add(kubelet.clone());
        b.add(rs.clone());
        let runtime = b.start();
        Cluster { runtime, kubelet, scheduler, controllers: vec![rs], events }
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
        let s = self.scheduler.metrics();
        ClusterMetrics {
            api_calls: self.runtime.store().api_call_counts().entries,
            controllers: self.controllers.iter().map(|c| c.report()).collect(),
            pod_startup_ns: self.kubelet.startup_histogram(),
            scheduler: SchedulerReport {
                scheduled: s.scheduled,
                unschedulable_attempts: s.unschedulable_attempts,
                bind_conflicts: s.bind_conflicts,
            },
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
