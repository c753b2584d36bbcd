//! The driver's view of `kwarp::system::Cluster`: the real runtime with the scheduler, kubelet and controllers.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use kwarp::actors::ClockMode;
use kwarp::api::Time;
use kwarp::sim::Kubelet;
use kwarp::store::{AnyEvent, Store};
use kwarp::system::{Cluster, ClusterConfig, ClusterMetrics};

use crate::driver::{ClusterHandle, SimCluster};
use crate::report::{ControllerMetrics, RunMetrics, RuntimeStats, SchedulerStats};
use crate::run::ClusterSettings;
use crate::scenario::ClockKind;

/// The system's configuration for these settings.
#[allow(clippy::field_reassign_with_default)]
pub fn config(s: &ClusterSettings) -> ClusterConfig {
    let mut cfg = ClusterConfig::default();
    cfg.runtime.clock = match s.clock {
        ClockKind::Virtual => ClockMode::Virtual,
        ClockKind::Real => ClockMode::Real,
    };
    cfg.runtime.threads = s.threads;
    cfg.runtime.seed = s.seed;
    cfg.kubelet = s.kubelet.clone();
    cfg.scheduler = s.scheduler.clone();
    for &(name, w) in &s.controller_workers {
        let c = &mut cfg.controllers;
        match name {
            "replicaset" => c.replicaset_workers = w,
            "deployment" => c.deployment_workers = w,
            "statefulset" => c.statefulset_workers = w,
            "daemonset" => c.daemonset_workers = w,
            "garbageCollector" => c.gc_workers = w,
            other => unreachable!("no controller {other:?} in ControllersSpec::entries"),
        }
    }
    cfg.record_events = s.record_events;
    cfg
}

/// Starts the system (a [`crate::run::Launcher`]).
pub fn launch(s: &ClusterSettings) -> Result<Box<dyn SimCluster>, String> {
    Ok(Box::new(SystemCluster { cluster: Cluster::start(config(s)) }))
}

/// A started `kwarp::system::Cluster`.
#[derive(Debug)]
pub struct SystemCluster {
    cluster: Cluster,
}

impl ClusterHandle for SystemCluster {
    fn store(&self) -> Arc<Store> {
        Arc::clone(self.cluster.runtime().store())
    }
    fn kubelet(&self) -> Option<Arc<Kubelet>> {
        Some(Arc::clone(self.cluster.kubelet()))
    }
    fn now(&self) -> Time {
        self.cluster.runtime().now()
    }
    fn settle(&self) {
        self.cluster.runtime().settle();
    }
    fn run_for(&self, d: Duration) {
        self.cluster.runtime().run_for(d);
    }
    fn run_until(&self, done: &mut dyn FnMut() -> bool, timeout: Duration) -> Result<Duration, Duration> {
        self.cluster.runtime().run_until(done, timeout).map_err(|_| timeout)
    }
    fn exclusive(&self, writes: &mut dyn FnMut()) {
        self.cluster.runtime().exclusive(writes);
    }
}

impl SimCluster for SystemCluster {
    fn events(&self) -> Option<Receiver<AnyEvent>> {
        self.cluster.events()
    }
    fn metrics(&self) -> RunMetrics {
        convert(self.cluster.metrics())
    }
    fn shutdown(self: Box<Self>) -> RunMetrics {
        convert(self.cluster.shutdown())
    }
}

#[allow(clippy::unnecessary_cast)]
fn convert(m: ClusterMetrics) -> RunMetrics {
    RunMetrics {
        api_calls: m.api_calls.into_iter().collect(),
        controllers: m
            .controllers
            .into_iter()
            .map(|c| ControllerMetrics {
                name: c.name.to_string(),
                reconciles: c.reconciles,
                errors: c.errors,
                panics: c.panics,
                requeues: c.requeues,
                reconcile_ns: c.reconcile_duration,
                event_to_reconciled_ns: c.event_to_reconciled,
                queue: c.queue,
            })
            .collect(),
        pod_startup_ns: m.pod_startup_ns,
        scheduler: SchedulerStats {
            scheduled: m.scheduler.scheduled,
            unschedulable_attempts: m.scheduler.unschedulable_attempts,
            bind_conflicts: m.scheduler.bind_conflicts,
        },
        runtime: RuntimeStats {
            threads: m.runtime.threads as u64,
            messages: m.runtime.messages as u64,
            max_mailbox_depth: m.runtime.max_mailbox_depth as u64,
            component_panics: m.runtime.component_panics as u64,
        },
    }
}
