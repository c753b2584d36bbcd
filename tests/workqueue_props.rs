//! Property tests of the work queue against a naive client-go model, plus a threaded stress run.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::Duration;

use kwarp::clock::VirtualClock;
use kwarp::workqueue::{ItemId, Options, WorkQueue};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ITEMS: ItemId = 8;
const WORKERS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Add(ItemId),
    AddAfter(ItemId, u64),
    Advance(u64),
    Get(usize),
    Done(usize),
    /// `done_and_get`, used only when it will not block (the model says so).
    DoneAndGet(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..ITEMS).prop_map(Op::Add),
        2 => (0..ITEMS, 0..40u64).prop_map(|(id, ms)| Op::AddAfter(id, ms)),
        1 => (0..50u64).prop_map(Op::Advance),
        3 => (0..WORKERS).prop_map(Op::Get),
        2 => (0..WORKERS).prop_map(Op::Done),
        1 => (0..WORKERS).prop_map(Op::DoneAndGet),
    ]
}

/// client-go's queue written the obvious way (SEMANTICS §2.b), in ms of model time.
/// Delayed items due at the same time fire in the order their ready time was set.
#[derive(Default)]
struct Model {
    now: u64,
    queue: VecDeque<ItemId>,
    dirty: HashSet<ItemId>,
    processing: HashSet<ItemId>,
    /// id → (ready time, sequence of the add_after that set it)
    waiting: HashMap<ItemId, (u64, u64)>,
    seq: u64,
}

impl Model {
    fn add(&mut self, id: ItemId) {
        if self.dirty.insert(id) && !self.processing.contains(&id) {
            self.queue.push_back(id);
        }
    }
    fn add_after(&mut self, id: ItemId, ms: u64) {
        if ms == 0 {
            return self.add(id);
        }
        let at = self.now + ms;
        if self.waiting.get(&id).is_none_or(|&(t, _)| at < t) {
            self.seq += 1;
            self.waiting.insert(id, (at, self.seq));
        }
    }
    /// Moves due items into the queue in (time, seq) order; returns them.
    fn advance(&mut self, ms: u64) -> Vec<ItemId> {
        self.now += ms;
        let mut due: Vec<_> =
            self.waiting.iter().filter(|(_, &(t, _))| t <= self.now).map(|(&id, &k)| (k, id)).collect();
        due.sort();
        for &(_, id) in &due {
            self.waiting.remove(&id);
            self.add(id);
        }
        due.into_iter().map(|(_, id)| id).collect()
    }
    fn get(&mut self) -> Option<ItemId> {
        let id = self.queue.pop_front()?;
        self.dirty.remove(&id);
        self.processing.insert(id);
        Some(id)
    }
    fn done(&mut self, id: ItemId) {
        if self.processing.remove(&id) && self.dirty.contains(&id) {
            self.queue.push_back(id);
        }
    }
}

/// Runs `ops` on a real queue (virtual clock) and the model side by side.
fn check_against_model(ops: &[Op]) {
    let clock = Arc::new(VirtualClock::new());
    let q = WorkQueue::new("prop", clock.clone(), Options::default());
    let mut model = Model::default();
    let mut held: [Option<ItemId>; WORKERS] = [None; WORKERS];
    // An item added (or fired) and not handed out since.
    let mut needs_run = [false; ITEMS as usize];
    for op in ops {
        match *op {
            Op::Add(id) => {
                q.add(id);
                model.add(id);
                needs_run[id as usize] = true;
            }
            Op::AddAfter(id, ms) => {
                q.add_after(id, Duration::from_millis(ms));
                model.add_after(id, ms);
                needs_run[id as usize] |= ms == 0;
            }
            Op::Advance(ms) => {
                clock.advance(Duration::from_millis(ms));
                for id in model.advance(ms) {
                    needs_run[id as usize] = true;
                }
            }
            Op::Get(w) if held[w].is_none() => {
                let got = q.try_get();
                assert_eq!(got, model.get(), "get by worker {w}");
                if let Some(id) = got {
                    assert!(!held.contains(&Some(id)), "item {id} handed to two workers");
                    held[w] = Some(id);
                    needs_run[id as usize] = false;
                }
            }
            Op::Done(w) => {
                if let Some(id) = held[w].take() {
                    q.done(id);
                    model.done(id);
                }
            }
            Op::DoneAndGet(w) => {
                if let Some(id) = held[w].take() {
                    model.done(id);
                    if model.queue.is_empty() {
                        q.done(id);
                    } else {
                        let got = q.done_and_get(id);
                        assert_eq!(got, model.get(), "done_and_get by worker {w}");
                        let next = got.unwrap();
                        assert!(!held.contains(&Some(next)), "item {next} handed to two workers");
                        held[w] = Some(next);
                        needs_run[next as usize] = false;
                    }
                }
            }
            Op::Get(_) => {}
        }
        q.check_invariants();
        assert_eq!(q.len(), model.queue.len());
        assert_eq!(q.processing_len(), model.processing.len());
        assert_eq!(q.waiting_len(), model.waiting.len());
    }
    // Finish: release every worker, fire every delay, run the queue dry.
    for id in held.iter_mut().filter_map(Option::take) {
        q.done(id);
        model.done(id);
    }
    clock.advance(Duration::from_secs(1));
    for id in model.advance(1000) {
        needs_run[id as usize] = true;
    }
    while let Some(id) = q.try_get() {
        assert_eq!(Some(id), model.get());
        needs_run[id as usize] = false;
        q.done(id);
        model.done(id);
    }
    assert_eq!(model.get(), None);
    assert_eq!(needs_run, [false; ITEMS as usize], "an item added was never processed after its last add");
    assert_eq!(clock.pending_timers(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queue_matches_the_client_go_model(ops in prop::collection::vec(op(), 0..200)) {
        check_against_model(&ops);
    }
}

/// Real threads: producers add and add_after, workers re-add while processing,
/// a driver advances the virtual clock. No item runs on two workers at once,
/// and every item runs after its last add.
#[test]
fn threaded_stress_never_shares_an_item_and_runs_every_last_add() {
    const IDS: usize = 64;
    let clock = Arc::new(VirtualClock::new());
    let q = WorkQueue::new("stress", clock.clone(), Options::default());
    let busy: Vec<AtomicBool> = (0..IDS).map(|_| AtomicBool::new(false)).collect();
    let epoch = AtomicU64::new(1);
    // Stamped before each add, and after each get: a get after the add stamps later.
    let added: Vec<AtomicU64> = (0..IDS).map(|_| AtomicU64::new(0)).collect();
    let got: Vec<AtomicU64> = (0..IDS).map(|_| AtomicU64::new(0)).collect();
    let producing = RwLock::new(true);
    let driving = AtomicBool::new(true);
    thread::scope(|s| {
        let workers: Vec<_> = (0..3u64)
            .map(|w| {
                let (q, busy, epoch, added, got, producing) = (&q, &busy, &epoch, &added, &got, &producing);
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(100 + w);
                    let mut next = q.get();
                    while let Some(id) = next {
                        let i = id as usize;
                        got[i].fetch_max(epoch.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                        assert!(!busy[i].swap(true, Ordering::SeqCst), "item {id} on two workers");
                        // Re-add while processing, but only before shutdown (else it is ignored).
                        let phase = producing.read().unwrap();
                        if *phase && rng.random_ratio(1, 4) {
                            added[i].fetch_max(epoch.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                            q.add(id);
                        }
                        drop(phase);
                        busy[i].store(false, Ordering::SeqCst);
                        next = if rng.random() {
                            q.done_and_get(id)
                        } else {
                            q.done(id);
                            q.get()
                        };
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let (q, epoch, added) = (&q, &epoch, &added);
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(p);
                    for _ in 0..20_000 {
                        let id = rng.random_range(0..IDS as ItemId);
                        added[id as usize].fetch_max(epoch.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                        if rng.random_ratio(1, 3) {
                            q.add_after(id, Duration::from_millis(rng.random_range(0..20)));
                        } else {
                            q.add(id);
                        }
                    }
                })
            })
            .collect();
        let driver = s.spawn(|| {
            while driving.load(Ordering::SeqCst) {
                clock.advance(Duration::from_millis(1));
                thread::yield_now();
            }
        });
        producers.into_iter().for_each(|p| p.join().unwrap());
        driving.store(false, Ordering::SeqCst);
        driver.join().unwrap();
        *producing.write().unwrap() = false;
        clock.advance(Duration::from_secs(1)); // every delayed item is now queued
        assert_eq!(q.waiting_len(), 0);
        q.shutdown_with_drain();
        workers.into_iter().for_each(|w| w.join().unwrap());
    });
    assert_eq!((q.len(), q.processing_len()), (0, 0));
    q.check_invariants();
    for id in 0..IDS {
        let (a, g) = (added[id].load(Ordering::SeqCst), got[id].load(Ordering::SeqCst));
        assert!(g > a, "item {id}: last add at {a}, last get at {g}");
    }
    assert_eq!(clock.pending_timers(), 0);
}
