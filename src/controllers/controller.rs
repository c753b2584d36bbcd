//! `Controller<R>`: a reconciler hosted with its workqueue, key interner and workers, as a runtime [`Component`].

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use super::{Action, Ctx, Reconciler, Result};
use crate::actors::{Component, Waker};
use crate::clock::Clock;
use crate::informer::SharedInformerFactory;
use crate::workqueue::{ItemId, KeyInterner, Options, QueueMetrics, WorkQueue};

/// Histograms hold nanoseconds from 1 ns up to this (≈ 2.8 h), 2 significant digits.
const HIGHEST_NANOS: u64 = 10_000_000_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_NANOS, 2).expect("valid histogram bounds")
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Adds keys to one controller's queue: what event handlers hold.
///
/// Keys are `namespace/name` strings interned to dense ids. [`add`](Self::add)
/// (an event) also stamps the id with the first `Instant` since the key's
/// last reconcile started, for the event-to-reconciled latency. Cheap to clone.
#[derive(Clone)]
pub struct Enqueuer {
    inner: Arc<EnqueuerInner>,
}

struct EnqueuerInner {
    queue: WorkQueue,
    keys: KeyInterner,
    /// `stamps[id]`: when an event first asked for `id` since its last reconcile started.
    stamps: Mutex<Vec<Option<Instant>>>,
}

impl fmt::Debug for Enqueuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enqueuer").field("queue", &self.inner.queue).field("keys", &self.inner.keys).finish()
    }
}

impl Enqueuer {
    pub fn new(queue: WorkQueue) -> Self {
        Enqueuer { inner: Arc::new(EnqueuerInner { queue, keys: KeyInterner::new(), stamps: Mutex::new(Vec::new()) }) }
    }

    pub fn queue(&self) -> &WorkQueue {
        &self.inner.queue
    }

    /// The id of `key`, numbering it if new.
    pub fn intern(&self, key: &str) -> ItemId {
        self.inner.keys.intern(key)
    }

    /// The id of `namespace/name`, built on the stack when short (no allocation).
    pub fn intern_ns_name(&self, namespace: &str, name: &str) -> ItemId {
        let n = namespace.len() + 1 + name.len();
        let mut buf = [0u8; 128];
        if n > buf.len() {
            return self.intern(&format!("{namespace}/{name}"));
        }
        buf[..namespace.len()].copy_from_slice(namespace.as_bytes());
        buf[namespace.len()] = b'/';
        buf[namespace.len() + 1..n].copy_from_slice(name.as_bytes());
        self.intern(std::str::from_utf8(&buf[..n]).expect("two str joined by '/' are UTF-8"))
    }

    /// The key with this id.
    pub fn key(&self, id: ItemId) -> Option<Arc<str>> {
        self.inner.keys.key(id)
    }

    /// An event asks for `key` to be reconciled.
    pub fn add(&self, key: &str) -> ItemId {
        let id = self.intern(key);
        self.add_id(id);
        id
    }

    /// An event asks for `namespace/name` to be reconciled.
    pub fn add_ns_name(&self, namespace: &str, name: &str) -> ItemId {
        let id = self.intern_ns_name(namespace, name);
        self.add_id(id);
        id
    }

    /// An event asks for the key with id `id` to be reconciled.
    pub fn add_id(&self, id: ItemId) {
        {
            let mut stamps = self.inner.stamps.lock();
            let i = id as usize;
            if stamps.len() <= i {
                stamps.resize((i + 1).next_power_of_two().max(64), None);
            }
            stamps[i].get_or_insert_with(Instant::now);
        }
        self.inner.queue.add(id);
    }

    /// Asks for `key` to be reconciled once `d` has passed on the clock (not stamped: a timer, not an event).
    pub fn add_after(&self, id: ItemId, d: Duration) {
        self.inner.queue.add_after(id, d);
    }

    /// Takes the stamp of `id` (a reconcile of it starts).
    fn take_stamp(&self, id: ItemId) -> Option<Instant> {
        self.inner.stamps.lock().get_mut(id as usize).and_then(Option::take)
    }
}

/// A snapshot of one controller's metrics. Histograms hold wall nanoseconds.
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    pub name: &'static str,
    /// Reconciles run (whatever their outcome).
    pub reconciles: u64,
    /// Reconciles that returned an error.
    pub errors: u64,
    /// Reconciles that panicked.
    pub panics: u64,
    /// Reconciles that asked to run again (`Requeue` or `RequeueAfter`).
    pub requeues: u64,
    /// Wall time of each reconcile.
    pub reconcile_duration: Histogram<u64>,
    /// From the first event that asked for a key (since its previous reconcile
    /// started) to the end of the reconcile that followed.
    pub event_to_reconciled: Histogram<u64>,
    /// The workqueue's own metrics (client-go names).
    pub queue: Option<QueueMetrics>,
}

#[derive(Default)]
struct Counters {
    reconciles: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
    requeues: AtomicU64,
}

/// Hosts one [`Reconciler`]: queue, interner, workers, metrics. See the module doc of [`crate::controllers`].
pub struct Controller<R> {
    reconciler: Arc<R>,
    enqueuer: Enqueuer,
    clock: Arc<dyn Clock>,
    workers: usize,
    counters: Counters,
    /// (reconcile duration, event-to-reconciled latency).
    histograms: Mutex<(Histogram<u64>, Histogram<u64>)>,
}

impl<R> fmt::Debug for Controller<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Controller")
            .field("queue", &self.enqueuer.queue())
            .field("workers", &self.workers)
            .field("reconciles", &self.counters.reconciles.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<R: Reconciler> Controller<R> {
    /// Hosts `reconciler` with a metered queue on client-go's default
    /// controller rate limiter, and registers its handlers on `informers`
    /// (before they start). Shared: the runtime hosts it as a `Component`.
    pub fn new(
        reconciler: Arc<R>,
        informers: &SharedInformerFactory,
        clock: Arc<dyn Clock>,
        workers: usize,
    ) -> Arc<Self> {
        Self::with_options(reconciler, informers, clock, workers, Options::default())
    }

    /// Like [`new`](Self::new) with the queue's options (metrics, rate limiter, capacity).
    pub fn with_options(
        reconciler: Arc<R>,
        informers: &SharedInformerFactory,
        clock: Arc<dyn Clock>,
        workers: usize,
        options: Options,
    ) -> Arc<Self> {
        let queue = WorkQueue::new(reconciler.name(), Arc::clone(&clock), options);
        let enqueuer = Enqueuer::new(queue);
        reconciler.register(informers, enqueuer.clone());
        Arc::new(Controller {
            reconciler,
            enqueuer,
            clock,
            workers: workers.max(1),
            counters: Counters::default(),
            histograms: Mutex::new((histogram(), histogram())),
        })
    }

    pub fn reconciler(&self) -> &Arc<R> {
        &self.reconciler
    }

    pub fn queue(&self) -> &WorkQueue {
        self.enqueuer.queue()
    }

    pub fn enqueuer(&self) -> &Enqueuer {
        &self.enqueuer
    }

    /// Runs one reconcile of `key` now, outside the queue (tests, benches): no
    /// metrics, no requeue, panics propagate.
    pub fn sync(&self, key: &str) -> Result<Action> {
        let id = self.enqueuer.intern(key);
        let ctx = Ctx { id, queue: &self.enqueuer, clock: &self.clock };
        self.reconciler.reconcile(key, &ctx)
    }

    /// Takes one ready key and reconciles it; `false` when none was ready.
    pub fn process_next(&self) -> bool {
        match self.queue().try_get() {
            Some(id) => {
                self.process(id);
                true
            }
            None => false,
        }
    }

    /// One reconcile of the key with id `id`, which this worker holds, then `done`.
    fn process(&self, id: ItemId) {
        let queue = self.enqueuer.queue();
        let Some(key) = self.enqueuer.key(id) else {
            queue.done(id); // an id never interned: nothing to do
            return;
        };
        let stamp = self.enqueuer.take_stamp(id);
        let start = Instant::now();
        let ctx = Ctx { id, queue: &self.enqueuer, clock: &self.clock };
        let outcome = catch_unwind(AssertUnwindSafe(|| self.reconciler.reconcile(&key, &ctx)));
        let end = Instant::now();
        let c = &self.counters;
        c.reconciles.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(Ok(Action::Done)) => queue.forget(id),
            Ok(Ok(Action::RequeueAfter(d))) => {
                c.requeues.fetch_add(1, Ordering::Relaxed);
                queue.forget(id);
                queue.add_after(id, d);
            }
            Ok(Ok(Action::Requeue)) => {
                c.requeues.fetch_add(1, Ordering::Relaxed);
                queue.add_rate_limited(id);
            }
            Ok(Err(_)) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                queue.add_rate_limited(id);
            }
            Err(panic) => {
                c.panics.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "kwarp: controller {}: reconcile of {key} panicked ({}); requeued",
                    self.reconciler.name(),
                    panic_message(&*panic)
                );
                queue.add_rate_limited(id);
            }
        }
        {
            let mut h = self.histograms.lock();
            h.0.saturating_record(nanos(end - start).max(1));
            if let Some(t0) = stamp {
                h.1.saturating_record(nanos(end.saturating_duration_since(t0)).max(1));
            }
        }
        queue.done(id);
    }

    /// A snapshot of the metrics.
    pub fn metrics(&self) -> ControllerMetrics {
        let c = &self.counters;
        let h = self.histograms.lock();
        ControllerMetrics {
            name: self.reconciler.name(),
            reconciles: c.reconciles.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            panics: c.panics.load(Ordering::Relaxed),
            requeues: c.requeues.load(Ordering::Relaxed),
            reconcile_duration: h.0.clone(),
            event_to_reconciled: h.1.clone(),
            queue: self.queue().metrics(),
        }
    }
}

/// The text a panic was raised with, if it was a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}

impl<R: Reconciler> Component for Controller<R> {
    fn name(&self) -> &str {
        self.reconciler.name()
    }

    fn concurrency(&self) -> usize {
        self.workers
    }

    fn run_ready(&self, budget: usize) -> usize {
        let mut done = 0;
        while done < budget && self.process_next() {
            done += 1;
        }
        done
    }

    fn has_ready_work(&self) -> bool {
        !self.queue().is_empty()
    }

    fn set_waker(&self, waker: Waker) {
        self.queue().set_notify(Box::new(move || waker.wake()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::VirtualClock;
    use crate::controllers::ReconcileError;
    use crate::store::{Store, StoreOptions};

    /// Fails, panics or succeeds by key name; counts its calls.
    struct Scripted {
        calls: AtomicU64,
    }

    impl Reconciler for Scripted {
        fn name(&self) -> &'static str {
            "scripted"
        }
        fn reconcile(&self, key: &str, _ctx: &Ctx<'_>) -> Result<Action> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            match key {
                "ns/panics" => panic!("boom"),
                "ns/fails" => Err(ReconcileError::failed(key, "nope")),
                "ns/later" => Ok(Action::RequeueAfter(Duration::from_secs(10))),
                _ => Ok(Action::Done),
            }
        }
        fn register(self: &Arc<Self>, _: &SharedInformerFactory, _: Enqueuer) {}
    }

    fn controller() -> (Arc<VirtualClock>, Arc<Controller<Scripted>>) {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let informers = SharedInformerFactory::new(store.client("informers"));
        let r = Arc::new(Scripted { calls: AtomicU64::new(0) });
        (clock.clone(), Controller::new(r, &informers, clock, 2))
    }

    #[test]
    fn a_panicking_reconcile_is_caught_counted_and_requeued() {
        let (clock, c) = controller();
        let id = c.enqueuer().add("ns/panics");
        assert!(c.has_ready_work());
        assert_eq!(c.run_ready(10), 1);
        let m = c.metrics();
        assert_eq!((m.reconciles, m.panics, m.errors), (1, 1, 0));
        assert_eq!(c.queue().num_requeues(id), 1);
        assert_eq!(c.queue().waiting_len(), 1, "back after the rate limiter's delay");
        clock.advance(Duration::from_millis(5));
        assert!(c.has_ready_work());
        assert_eq!(c.run_ready(10), 1);
        assert_eq!(c.metrics().panics, 2);
        assert_eq!(c.queue().num_requeues(id), 2);
    }

    #[test]
    fn outcomes_map_to_forget_add_after_and_rate_limited_requeues() {
        let (clock, c) = controller();
        let ok = c.enqueuer().add("ns/ok");
        let fails = c.enqueuer().add("ns/fails");
        let later = c.enqueuer().add("ns/later");
        assert_eq!(c.run_ready(usize::MAX), 3);
        assert_eq!(c.queue().num_requeues(ok), 0);
        assert_eq!(c.queue().num_requeues(fails), 1);
        assert_eq!(c.queue().num_requeues(later), 0);
        assert!(!c.has_ready_work());
        clock.advance(Duration::from_millis(5)); // the failed key is back after 5 ms
        assert_eq!(c.run_ready(usize::MAX), 1);
        clock.advance(Duration::from_secs(10)); // the requeue-after one after 10 s (and the failed one after 10 ms)
        assert_eq!(c.run_ready(usize::MAX), 2);
        let m = c.metrics();
        assert_eq!((m.reconciles, m.errors, m.requeues, m.panics), (6, 3, 2, 0));
        assert_eq!(m.reconcile_duration.len(), 6);
        assert_eq!(m.event_to_reconciled.len(), 3, "only event-driven adds are stamped");
        assert_eq!(m.queue.unwrap().name, "scripted");
    }

    #[test]
    fn the_budget_bounds_one_run_and_adds_while_queued_coalesce() {
        let (_clock, c) = controller();
        for _ in 0..3 {
            c.enqueuer().add_ns_name("ns", "a");
        }
        c.enqueuer().add_ns_name("ns", "b");
        assert_eq!(c.run_ready(1), 1);
        assert_eq!(c.run_ready(10), 1);
        assert_eq!(c.run_ready(10), 0);
        assert_eq!(c.reconciler().calls.load(Ordering::Relaxed), 2);
        assert_eq!(c.concurrency(), 2);
        assert_eq!(c.enqueuer().key(1).as_deref(), Some("ns/b"));
    }
}
