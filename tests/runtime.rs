//! The actor runtime: virtual time jumps on quiescence, informers are woken by writes, panics are contained.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::{ClockMode, Component, RuntimeBuilder, RuntimeConfig, Waker};
use kwarp::api::{ObjectMeta, Pod};
use kwarp::clock::Clock;
use kwarp::informer::FnHandler;
use kwarp::workqueue::{Options, WorkQueue};

fn config(threads: usize) -> RuntimeConfig {
    RuntimeConfig { clock: ClockMode::Virtual, threads, seed: 7, ..RuntimeConfig::default() }
}

/// Processes item i and schedules item i+1 one cluster second later, up to `limit`.
struct Ticker {
    queue: WorkQueue,
    processed: AtomicUsize,
    limit: u32,
    panic_on: Option<u32>,
}

impl Component for Ticker {
    fn name(&self) -> &str {
        "ticker"
    }
    fn run_ready(&self, budget: usize) -> usize {
        let mut n = 0;
        while n < budget {
            let Some(id) = self.queue.try_get() else { break };
            n += 1;
            self.queue.done(id);
            if self.panic_on == Some(id) {
                self.queue.add(id + 1);
                panic!("ticker fails on item {id}");
            }
            self.processed.fetch_add(1, Ordering::SeqCst);
            if id + 1 < self.limit {
                self.queue.add_after(id + 1, Duration::from_secs(1));
            }
        }
        n
    }
    fn has_ready_work(&self) -> bool {
        !self.queue.is_empty()
    }
    fn set_waker(&self, waker: Waker) {
        self.queue.set_notify(Box::new(move || waker.wake()));
    }
}

fn ticker(clock: Arc<dyn Clock>, limit: u32, panic_on: Option<u32>) -> Arc<Ticker> {
    let queue = WorkQueue::new("ticker", clock, Options::default());
    queue.add(0);
    Arc::new(Ticker { queue, processed: AtomicUsize::new(0), limit, panic_on })
}

#[test]
fn virtual_time_jumps_to_the_next_timer_when_quiescent() {
    for threads in [1, 2] {
        let mut b = RuntimeBuilder::new(config(threads));
        let t = ticker(b.clock.clock(), 10, None);
        b.add(t.clone());
        let rt = b.start();
        let took = rt.run_until(|| t.processed.load(Ordering::SeqCst) == 10, Duration::from_secs(3600)).unwrap();
        assert_eq!(took, Duration::from_secs(9), "ten items one second apart (threads {threads})");
        rt.shutdown();
    }
}

#[test]
fn a_wait_that_cannot_be_met_times_out_at_the_deadline() {
    let mut b = RuntimeBuilder::new(config(1));
    let t = ticker(b.clock.clock(), 3, None);
    b.add(t.clone());
    let rt = b.start();
    let start = rt.now();
    let err = rt.run_until(|| false, Duration::from_secs(60)).unwrap_err();
    assert_eq!(err.waited, Duration::from_secs(60));
    assert_eq!(rt.now().as_nanos() - start.as_nanos(), 60_000_000_000);
    assert_eq!(t.processed.load(Ordering::SeqCst), 3);
}

#[test]
fn a_panicking_component_does_not_stop_the_system() {
    let mut b = RuntimeBuilder::new(config(1));
    let t = ticker(b.clock.clock(), 5, Some(2));
    b.add(t.clone());
    let rt = b.start();
    rt.run_until(|| t.processed.load(Ordering::SeqCst) == 4, Duration::from_secs(60)).unwrap();
    assert_eq!(rt.stats().component_panics, 1);
}

#[test]
fn informers_are_woken_by_store_writes() {
    let b = RuntimeBuilder::new(config(2));
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    b.informers.informer::<Pod>().add_event_handler(Arc::new(FnHandler::new().on_add(move |_p: &Arc<Pod>| {
        s.fetch_add(1, Ordering::SeqCst);
    })));
    let rt = b.start();
    let client = rt.client("test");
    for i in 0..20 {
        let mut p = Pod { metadata: ObjectMeta::named("default", format!("p{i}")), ..Default::default() };
        p.spec.containers.push(kwarp::api::pod::Container {
            name: "c".into(),
            image: "busybox".into(),
            ..Default::default()
        });
        client.create(p).unwrap();
    }
    rt.settle();
    assert_eq!(seen.load(Ordering::SeqCst), 20);
    assert_eq!(rt.informers().informer::<Pod>().cache().len(), 20);
}
