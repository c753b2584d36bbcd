//! System assembly: the store, shared informers, the simulated scheduler and
//! kubelet and the controllers, hosted on the actor runtime, with time driven
//! by quiescence (virtual clock) or the wall (real clock).
//!
//! Start-up order is Kubernetes': informers list and watch until every cache
//! has synced, then the components that read them start processing. A
//! virtual-clock run only moves time when the system is quiescent — no
//! undelivered watch event, no ready queue item, no busy worker, no pending
//! message — and then jumps straight to the earliest pending timer.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::component::Component;
use super::host::Host;
use super::informer::InformerComponent;
use crate::api::{Kind, Time};
use crate::clock::{add_duration, duration_between, Clock, RealClock, VirtualClock};
use crate::informer::SharedInformerFactory;
use crate::store::{Client, Store, StoreOptions};

/// Which clock drives the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockMode {
    /// Discrete-event time: jumps to the next timer whenever the system is quiescent.
    #[default]
    Virtual,
    /// The monotonic wall clock.
    Real,
}

/// The clock of a run, with the handle that advances it in virtual mode.
#[derive(Clone, Debug)]
pub enum ClockDriver {
    Virtual(Arc<VirtualClock>),
    Real(Arc<RealClock>),
}

impl ClockDriver {
    pub fn new(mode: ClockMode) -> Self {
        match mode {
            ClockMode::Virtual => ClockDriver::Virtual(Arc::new(VirtualClock::new())),
            ClockMode::Real => ClockDriver::Real(Arc::new(RealClock::new())),
        }
    }
    pub fn clock(&self) -> Arc<dyn Clock> {
        match self {
            ClockDriver::Virtual(c) => c.clone(),
            ClockDriver::Real(c) => c.clone(),
        }
    }
    pub fn mode(&self) -> ClockMode {
        match self {
            ClockDriver::Virtual(_) => ClockMode::Virtual,
            ClockDriver::Real(_) => ClockMode::Real,
        }
    }
}

/// How the runtime is sized.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    pub clock: ClockMode,
    /// Arbiter threads; 0 = the number of cores.
    pub threads: usize,
    pub seed: u64,
    pub informer_shards: usize,
    /// Watch history kept per kind.
    pub history_limit: usize,
    /// Units of work a component does per message before yielding its thread.
    pub budget: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            clock: ClockMode::Virtual,
            threads: 0,
            seed: 1,
            informer_shards: 16,
            history_limit: 100_000,
            budget: 64,
        }
    }
}

impl RuntimeConfig {
    pub fn effective_threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            self.threads
        }
    }
}

/// A wait that ran out of cluster time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("timed out after {waited:?} of cluster time")]
pub struct WaitTimeout {
    pub waited: Duration,
}

/// Builds a [`Runtime`]: create the store and informer factory, let
/// components register with the factory, then [`RuntimeBuilder::start`].
pub struct RuntimeBuilder {
    pub config: RuntimeConfig,
    pub clock: ClockDriver,
    pub store: Arc<Store>,
    pub informers: Arc<SharedInformerFactory>,
    components: Vec<Arc<dyn Component>>,
}

impl std::fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("config", &self.config)
            .field("components", &self.components.len())
            .finish()
    }
}

impl RuntimeBuilder {
    pub fn new(config: RuntimeConfig) -> Self {
        let clock = ClockDriver::new(config.clock);
        let store = Store::new(clock.clock(), StoreOptions { seed: config.seed, history_limit: config.history_limit });
        let informers =
            Arc::new(SharedInformerFactory::with_shards(store.client("informers"), config.informer_shards.max(1)));
        RuntimeBuilder { config, clock, store, informers, components: Vec::new() }
    }

    /// Hosts a component (a controller, the scheduler, the kubelet).
    pub fn add(&mut self, c: Arc<dyn Component>) -> &mut Self {
        self.components.push(c);
        self
    }

    /// Starts the informers, waits until every cache has synced, then hosts
    /// every component on the arbiters.
    pub fn start(self) -> Runtime {
        let RuntimeBuilder { config, clock, store, informers, components } = self;
        // Informers first: list + watch synchronously, so caches are synced
        // before any component runs (`WaitForCacheSync`).
        let informer_components: Vec<Arc<InformerComponent>> =
            informers.erased().into_iter().map(InformerComponent::new).collect();
        while informers.pump_all() > 0 {}
        assert!(informers.all_synced(), "every informer has listed");
        let by_kind: Vec<Vec<Arc<InformerComponent>>> = {
            let mut v: Vec<Vec<Arc<InformerComponent>>> = vec![Vec::new(); Kind::ALL.len()];
            for ic in &informer_components {
                v[ic.kind().index()].push(ic.clone());
            }
            v
        };
        store.set_write_hook(Arc::new(move |kind: Kind| {
            for ic in &by_kind[kind.index()] {
                ic.wake();
            }
        }));
        let mut all: Vec<Arc<dyn Component>> =
            informer_components.iter().map(|c| c.clone() as Arc<dyn Component>).collect();
        all.extend(components);
        let host = Host::start(config.effective_threads(), config.budget.max(1), all);
        Runtime { config, clock, store, informers, host: Mutex::new(Some(host)) }
    }
}

/// The running system. Drive it from one thread (the scenario driver).
pub struct Runtime {
    pub config: RuntimeConfig,
    clock: ClockDriver,
    store: Arc<Store>,
    informers: Arc<SharedInformerFactory>,
    host: Mutex<Option<Host>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Host-level counters for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuntimeStats {
    pub threads: usize,
    pub messages: u64,
    pub max_mailbox_depth: usize,
    pub component_panics: u64,
    pub clock_jumps: u64,
}

impl Runtime {
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
    pub fn informers(&self) -> &Arc<SharedInformerFactory> {
        &self.informers
    }
    pub fn client(&self, name: &str) -> Client {
        self.store.client(name)
    }
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clock()
    }
    pub fn clock_mode(&self) -> ClockMode {
        self.clock.mode()
    }
    pub fn now(&self) -> Time {
        self.clock.clock().now()
    }

    fn with_host<R>(&self, f: impl FnOnce(&Host) -> R) -> R {
        let g = self.host.lock();
        f(g.as_ref().expect("runtime is running"))
    }

    /// Virtual: waits until quiescent (time does not move). Real: waits until
    /// no worker is busy at one instant.
    pub fn settle(&self) {
        self.with_host(|h| h.wait_quiescent());
    }

    /// Runs `writes` (a load generator's step) with the system held still: in
    /// virtual mode the system settles first and no component runs until the
    /// writes are done, then the components with ready work are scheduled in a
    /// fixed order — so a seeded single-threaded run is reproducible. In real
    /// mode the system keeps running, as a real cluster would.
    pub fn exclusive<R>(&self, writes: impl FnOnce() -> R) -> R {
        if self.clock.mode() == ClockMode::Real {
            return writes();
        }
        self.settle();
        self.with_host(Host::pause);
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(writes));
        self.with_host(Host::resume);
        match out {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    }

    /// Lets `d` of cluster time pass, processing everything due in it.
    pub fn run_for(&self, d: Duration) {
        let _ = self.run_until(|| false, d);
    }

    /// Runs until `done()` holds (checked whenever the system is quiescent in
    /// virtual mode, every few milliseconds in real mode) or `timeout` of
    /// cluster time has passed. Returns the cluster time it took.
    pub fn run_until(&self, mut done: impl FnMut() -> bool, timeout: Duration) -> Result<Duration, WaitTimeout> {
        let clock = self.clock.clock();
        let start = clock.now();
        let deadline = add_duration(start, timeout);
        match &self.clock {
            ClockDriver::Virtual(vc) => loop {
                self.settle();
                if done() {
                    return Ok(duration_between(start, clock.now()));
                }
                match vc.next_deadline() {
                    Some(t) if t <= deadline => {
                        // Timers fire on this thread; what they make ready is
                        // dispatched afterwards, in a fixed order.
                        self.with_host(Host::pause);
                        vc.advance_to_next();
                        self.with_host(Host::resume);
                    }
                    _ => {
                        self.with_host(Host::pause);
                        vc.advance_to(deadline);
                        self.with_host(Host::resume);
                        self.settle();
                        return if done() {
                            Ok(duration_between(start, clock.now()))
                        } else {
                            Err(WaitTimeout { waited: timeout })
                        };
                    }
                }
            },
            ClockDriver::Real(_) => loop {
                if done() {
                    return Ok(duration_between(start, clock.now()));
                }
                if clock.now() >= deadline {
                    return Err(WaitTimeout { waited: timeout });
                }
                self.with_host(|h| {
                    h.wake_ready();
                    h.shared.wait_idle_for(Duration::from_millis(2));
                });
            },
        }
    }

    pub fn stats(&self) -> RuntimeStats {
        use std::sync::atomic::Ordering::Relaxed;
        self.with_host(|h| RuntimeStats {
            threads: self.config.effective_threads(),
            messages: h.shared.messages.load(Relaxed),
            max_mailbox_depth: h.shared.max_mailbox_depth.load(Relaxed),
            component_panics: h.shared.panics.load(Relaxed),
            clock_jumps: 0,
        })
    }

    /// Stops the arbiters (after letting in-flight work finish in virtual mode).
    pub fn shutdown(&self) {
        if self.clock.mode() == ClockMode::Virtual {
            self.settle();
        }
        if let Some(mut h) = self.host.lock().take() {
            h.stop();
        }
        self.informers.shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(mut h) = self.host.lock().take() {
            h.stop();
        }
    }
}
