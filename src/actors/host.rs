//! The actix host: one worker actor per component slot, spread over the arbiters (threads).
//!
//! actix stays inside this folder. Each component gets `concurrency()` worker
//! actors; a worker handles `Run` by calling `run_ready` with a budget, then
//! either re-queues itself (more work ready) or goes idle. A slot is
//! *scheduled* from the moment a waker sends it `Run` until it goes idle, and
//! at most one `Run` is ever pending per worker: mailboxes are bounded by
//! construction, and their depth is counted (never a silent drop).
//!
//! Quiescence accounting: `inflight` counts scheduled slots. It is raised
//! *before* a `Run` is sent and lowered only after the slot has gone idle and
//! re-checked that its component has no ready work, so `inflight == 0` plus
//! "no component has ready work" (checked around an epoch counter) means the
//! system is quiescent.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use actix::prelude::*;
use parking_lot::{Condvar, Mutex, RwLock};

use super::component::{Component, Waker};

/// Counters shared by the host, its workers and the coordinator.
#[derive(Debug, Default)]
pub(crate) struct HostShared {
    /// Scheduled-or-running worker slots.
    pub inflight: AtomicUsize,
    /// Bumped on every schedule; the quiescence double check compares it.
    pub epoch: AtomicU64,
    /// `Run` messages sent (mailbox traffic).
    pub messages: AtomicU64,
    /// Highest number of messages seen pending in one mailbox.
    pub max_mailbox_depth: AtomicUsize,
    /// Panics caught at the component level (controllers catch their own per key).
    pub panics: AtomicU64,
    /// While set, wakers schedule nothing (the work stays visible to `has_ready_work`);
    /// `Host::resume` then schedules every ready component in a fixed order.
    pub paused: AtomicBool,
    idle: Mutex<()>,
    idle_cv: Condvar,
}

impl HostShared {
    fn slot_idle(&self) {
        if self.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _g = self.idle.lock();
            self.idle_cv.notify_all();
        }
    }

    /// Blocks the calling (coordinator) thread until no slot is scheduled.
    pub fn wait_idle(&self) {
        let mut g = self.idle.lock();
        while self.inflight.load(Ordering::SeqCst) != 0 {
            self.idle_cv.wait(&mut g);
        }
    }

    /// Like `wait_idle`, giving up after `d` of wall time (real-clock runs
    /// poll their stop conditions this way; this is the runtime shell, not logic).
    pub fn wait_idle_for(&self, d: Duration) -> bool {
        let mut g = self.idle.lock();
        if self.inflight.load(Ordering::SeqCst) != 0 {
            self.idle_cv.wait_for(&mut g, d);
        }
        self.inflight.load(Ordering::SeqCst) == 0
    }
}

/// One worker slot of a component.
struct Slot {
    comp: Arc<dyn Component>,
    scheduled: AtomicBool,
    /// `Run` messages sent to this slot and not yet handled (its mailbox depth).
    pending: AtomicUsize,
    addr: RwLock<Option<Addr<Worker>>>,
}

/// The slots of one component; its waker schedules an idle one.
pub(crate) struct Hosted {
    pub comp: Arc<dyn Component>,
    slots: Vec<Arc<Slot>>,
    shared: Arc<HostShared>,
}

impl Hosted {
    /// Schedules one idle slot, if any; returns whether one was scheduled.
    fn wake_one(&self) -> bool {
        if self.shared.paused.load(Ordering::SeqCst) {
            return false;
        }
        for slot in &self.slots {
            if slot.scheduled.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                schedule(slot, &self.shared);
                return true;
            }
        }
        false
    }
}

fn schedule(slot: &Arc<Slot>, shared: &HostShared) {
    shared.inflight.fetch_add(1, Ordering::SeqCst);
    shared.epoch.fetch_add(1, Ordering::SeqCst);
    shared.messages.fetch_add(1, Ordering::Relaxed);
    let depth = slot.pending.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_mailbox_depth.fetch_max(depth, Ordering::Relaxed);
    let addr = slot.addr.read().clone();
    match addr {
        Some(a) => a.do_send(Run),
        None => {
            // Not started yet: undo; `Host::start` schedules ready components once every worker exists.
            slot.pending.fetch_sub(1, Ordering::SeqCst);
            slot.scheduled.store(false, Ordering::SeqCst);
            shared.slot_idle();
        }
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Run;

struct Worker {
    slot: Arc<Slot>,
    hosted: Arc<Hosted>,
    budget: usize,
}

impl Actor for Worker {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4);
    }
}

impl Handler<Run> for Worker {
    type Result = ();
    fn handle(&mut self, _: Run, ctx: &mut Self::Context) {
        self.slot.pending.fetch_sub(1, Ordering::SeqCst);
        let shared = &self.hosted.shared;
        let comp = &self.slot.comp;
        let budget = self.budget;
        let done = match catch_unwind(AssertUnwindSafe(|| comp.run_ready(budget))) {
            Ok(n) => n,
            Err(_) => {
                shared.panics.fetch_add(1, Ordering::Relaxed);
                eprintln!("kwarp: component {} panicked; it keeps running", comp.name());
                0
            }
        };
        if done > 0 && comp.has_ready_work() {
            // More is ready: let an idle sibling slot share it, and continue
            // here after the other actors of this arbiter had their turn.
            self.hosted.wake_one();
            self.slot.pending.fetch_add(1, Ordering::SeqCst);
            shared.epoch.fetch_add(1, Ordering::SeqCst);
            ctx.notify(Run);
            return;
        }
        self.slot.scheduled.store(false, Ordering::SeqCst);
        // Work made ready after the check above found this slot still
        // scheduled and woke no one: take it now.
        if done > 0
            && comp.has_ready_work()
            && self.slot.scheduled.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok()
        {
            self.slot.pending.fetch_add(1, Ordering::SeqCst);
            shared.epoch.fetch_add(1, Ordering::SeqCst);
            ctx.notify(Run);
            return;
        }
        shared.slot_idle();
    }
}

/// The running actix system: arbiters (threads) and the hosted components.
pub(crate) struct Host {
    pub shared: Arc<HostShared>,
    pub hosted: Arc<Vec<Arc<Hosted>>>,
    /// The first arbiter: hand-offs from the coordinator run there, so that on
    /// one thread every `Run` is sent from that thread, in a fixed order.
    first: ArbiterHandle,
    system: Option<actix::System>,
    thread: Option<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("components", &self.hosted.len()).finish()
    }
}

impl Host {
    /// Starts `threads` arbiters and hosts every component on them, slots
    /// spread round-robin. With one thread everything shares one arbiter,
    /// which keeps a seeded virtual run deterministic.
    pub fn start(threads: usize, budget: usize, components: Vec<Arc<dyn Component>>) -> Host {
        let threads = threads.max(1);
        let shared = Arc::new(HostShared::default());
        let hosted: Vec<Arc<Hosted>> = components
            .into_iter()
            .map(|comp| {
                let slots = (0..comp.concurrency().max(1))
                    .map(|_| {
                        Arc::new(Slot {
                            comp: comp.clone(),
                            scheduled: AtomicBool::new(false),
                            pending: AtomicUsize::new(0),
                            addr: RwLock::new(None),
                        })
                    })
                    .collect();
                Arc::new(Hosted { comp, slots, shared: shared.clone() })
            })
            .collect();

        let (tx, rx) = crossbeam_channel::bounded(1);
        let to_start = hosted.clone();
        let thread = thread::Builder::new()
            .name("kwarp-actix".into())
            .spawn(move || {
                let sys = actix::System::new();
                sys.block_on(async move {
                    let arbiters: Vec<Arbiter> = (0..threads).map(|_| Arbiter::new()).collect();
                    let mut next = 0usize;
                    for h in &to_start {
                        for slot in &h.slots {
                            let arb = arbiters[next % arbiters.len()].handle();
                            next += 1;
                            let (s, hh) = (slot.clone(), h.clone());
                            let addr = Worker::start_in_arbiter(&arb, move |_| Worker { slot: s, hosted: hh, budget });
                            *slot.addr.write() = Some(addr);
                        }
                    }
                    let handles: Vec<ArbiterHandle> = arbiters.iter().map(Arbiter::handle).collect();
                    tx.send((actix::System::current(), handles)).expect("host start channel");
                });
                sys.run().expect("actix system");
            })
            .expect("spawn the actix thread");
        let (system, handles) = rx.recv().expect("actix system started");
        let first = handles.into_iter().next().expect("at least one arbiter");

        for h in &hosted {
            let weak = Arc::downgrade(h);
            h.comp.set_waker(Waker::new(move || {
                if let Some(h) = weak.upgrade() {
                    h.wake_one();
                }
            }));
        }
        let host = Host { shared, hosted: Arc::new(hosted), first, system: Some(system), thread: Some(thread) };
        host.dispatch_ready();
        host
    }

    /// Stops dispatching: wake-ups are held back until [`resume`](Self::resume).
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
    }

    /// Dispatches again, scheduling ready components in the order they were hosted.
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
        self.dispatch_ready();
    }

    /// Schedules every ready component from the first arbiter's thread (it
    /// counts as in flight until then), so that the coordinator never races the
    /// workers it wakes: with one thread the order of every message is fixed.
    pub fn dispatch_ready(&self) {
        self.shared.inflight.fetch_add(1, Ordering::SeqCst);
        self.shared.epoch.fetch_add(1, Ordering::SeqCst);
        let (hosted, shared) = (Arc::clone(&self.hosted), Arc::clone(&self.shared));
        let sent = self.first.spawn_fn(move || {
            for h in hosted.iter() {
                if h.comp.has_ready_work() {
                    h.wake_one();
                }
            }
            shared.slot_idle();
        });
        if !sent {
            self.shared.slot_idle();
        }
    }

    /// Schedules every component that has ready work (a missed wake-up cannot stall the system).
    pub fn wake_ready(&self) -> bool {
        let mut any = false;
        for h in self.hosted.iter() {
            if h.comp.has_ready_work() {
                h.wake_one();
                any = true;
            }
        }
        any
    }

    /// True when no slot is scheduled and no component has ready work, checked
    /// around the epoch so that a wake-up in between is not missed.
    pub fn is_quiescent(&self) -> bool {
        let e1 = self.shared.epoch.load(Ordering::SeqCst);
        if self.shared.inflight.load(Ordering::SeqCst) != 0 {
            return false;
        }
        if self.hosted.iter().any(|h| h.comp.has_ready_work()) {
            return false;
        }
        self.shared.inflight.load(Ordering::SeqCst) == 0 && self.shared.epoch.load(Ordering::SeqCst) == e1
    }

    /// Waits until the system is quiescent.
    pub fn wait_quiescent(&self) {
        loop {
            self.shared.wait_idle();
            if self.is_quiescent() {
                return;
            }
            self.dispatch_ready();
        }
    }

    pub fn stop(&mut self) {
        if let Some(sys) = self.system.take() {
            sys.stop();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}
