//! Workqueue throughput: add + get + done over 100k ids, against a naive string-keyed queue.

use std::collections::{HashSet, VecDeque};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use kwarp::clock::RealClock;
use kwarp::workqueue::{KeyInterner, Options, WorkQueue};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const KEYS: u32 = 100_000;

fn queue(metrics: bool) -> WorkQueue {
    let options = Options::default().with_metrics(metrics).with_capacity(KEYS as usize);
    WorkQueue::new("bench", Arc::new(RealClock::new()), options)
}

/// Adds every id `times` times, then takes and finishes each; returns the sum of ids seen.
fn add_then_drain(q: &WorkQueue, times: u32) -> u64 {
    for _ in 0..times {
        for id in 0..KEYS {
            q.add(id);
        }
    }
    let mut sum = 0u64;
    for _ in 0..KEYS {
        let id = q.get().expect("queue holds an item");
        sum += u64::from(id);
        q.done(id);
    }
    sum
}

/// The same with the batch calls: one `add_all`, then `done_and_get` per item.
fn add_all_then_drain(q: &WorkQueue) -> u64 {
    q.add_all(0..KEYS);
    let mut id = q.get().expect("queue holds an item");
    let mut sum = u64::from(id);
    for _ in 1..KEYS {
        id = q.done_and_get(id).expect("queue holds an item");
        sum += u64::from(id);
    }
    q.done(id);
    sum
}

/// One producer adds every id while two workers take and finish them; returns items processed.
fn one_producer_two_workers(q: WorkQueue, done_and_get: bool) -> usize {
    let processed = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut n = 0;
                let mut next = q.get();
                while let Some(id) = next {
                    n += 1;
                    next = if done_and_get {
                        q.done_and_get(black_box(id))
                    } else {
                        q.done(black_box(id));
                        q.get()
                    };
                }
                processed.fetch_add(n, Ordering::Relaxed);
            });
        }
        for id in 0..KEYS {
            q.add(id);
        }
        q.shutdown_with_drain(); // workers still take what is queued, then stop
    });
    processed.into_inner()
}

/// The queue written the obvious way: string keys in std hash sets behind a mutex.
#[derive(Default)]
struct NaiveQueue {
    state: Mutex<NaiveState>,
}

#[derive(Default)]
struct NaiveState {
    queue: VecDeque<String>,
    dirty: HashSet<String>,
    processing: HashSet<String>,
}

impl NaiveQueue {
    fn add(&self, key: &str) {
        let mut s = self.state.lock().unwrap();
        if s.dirty.contains(key) {
            return;
        }
        s.dirty.insert(key.to_owned());
        if !s.processing.contains(key) {
            s.queue.push_back(key.to_owned());
        }
    }
    fn get(&self) -> Option<String> {
        let mut s = self.state.lock().unwrap();
        let key = s.queue.pop_front()?;
        s.dirty.remove(&key);
        s.processing.insert(key.clone());
        Some(key)
    }
    fn done(&self, key: &str) {
        let mut s = self.state.lock().unwrap();
        s.processing.remove(key);
        if s.dirty.contains(key) {
            s.queue.push_back(key.to_owned());
        }
    }
}

fn naive_add_then_drain(q: &NaiveQueue, keys: &[String], times: u32) -> usize {
    for _ in 0..times {
        for key in keys {
            q.add(key);
        }
    }
    let mut n = 0;
    while let Some(key) = q.get() {
        q.done(&key);
        n += 1;
    }
    n
}

fn pod_keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("ns/pod-{i}")).collect()
}

fn bench_add_get_done(c: &mut Criterion) {
    let expect_sum = u64::from(KEYS) * u64::from(KEYS - 1) / 2;
    let mut group = c.benchmark_group("add_get_done/keys_100k");
    group.throughput(Throughput::Elements(u64::from(KEYS)));
    for (name, metrics) in [("metrics_off", false), ("metrics_on", true)] {
        let q = queue(metrics);
        assert_eq!(add_then_drain(&q, 1), expect_sum);
        assert!(q.is_empty() && q.processing_len() == 0);
        group.bench_function(name, |b| b.iter(|| add_then_drain(&q, 1)));
    }
    for (name, metrics) in [("add_all_done_and_get_metrics_off", false), ("add_all_done_and_get_metrics_on", true)] {
        let q = queue(metrics);
        assert_eq!(add_all_then_drain(&q), expect_sum);
        assert!(q.is_empty() && q.processing_len() == 0);
        group.bench_function(name, |b| b.iter(|| add_all_then_drain(&q)));
    }
    // Callers with string keys: intern the key, then the same queue operations.
    let keys = pod_keys();
    let interner = KeyInterner::new();
    keys.iter().for_each(|k| {
        interner.intern(k);
    });
    let q = queue(false);
    let run = |q: &WorkQueue| {
        for key in &keys {
            q.add(interner.intern(key));
        }
        let mut n = 0;
        while let Some(id) = q.try_get() {
            q.done(id);
            n += 1;
        }
        n
    };
    assert_eq!(run(&q), KEYS);
    group.bench_function("interned_string_keys_metrics_off", |b| b.iter(|| run(&q)));
    group.finish();
}

fn bench_dedup(c: &mut Criterion) {
    let mut group = c.benchmark_group("dedup_10x");
    group.throughput(Throughput::Elements(u64::from(KEYS)));
    for (name, metrics) in [("metrics_off", false), ("metrics_on", true)] {
        let q = queue(metrics);
        assert_eq!(add_then_drain(&q, 10), u64::from(KEYS) * u64::from(KEYS - 1) / 2);
        assert!(q.is_empty());
        group.bench_function(BenchmarkId::new("keys_100k", name), |b| b.iter(|| add_then_drain(&q, 10)));
    }
    group.finish();
}

fn bench_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_producer_two_workers");
    group.throughput(Throughput::Elements(u64::from(KEYS)));
    group.sample_size(20);
    let cases = [("metrics_off", false, false), ("metrics_on", true, false), ("done_and_get_metrics_off", false, true)];
    for (name, metrics, done_and_get) in cases {
        assert_eq!(one_producer_two_workers(queue(metrics), done_and_get), KEYS as usize);
        group.bench_function(BenchmarkId::new("keys_100k", name), |b| {
            b.iter_batched(|| queue(metrics), |q| one_producer_two_workers(q, done_and_get), BatchSize::PerIteration)
        });
    }
    group.finish();
}

fn bench_naive(c: &mut Criterion) {
    let keys = pod_keys();
    let q = NaiveQueue::default();
    assert_eq!(naive_add_then_drain(&q, &keys, 1), KEYS as usize);
    assert_eq!(naive_add_then_drain(&q, &keys, 10), KEYS as usize);
    let mut group = c.benchmark_group("naive_baseline");
    group.throughput(Throughput::Elements(u64::from(KEYS)));
    group.bench_function("keys_100k", |b| b.iter(|| naive_add_then_drain(&q, &keys, 1)));
    group.bench_function("dedup_10x_keys_100k", |b| b.iter(|| naive_add_then_drain(&q, &keys, 10)));
    group.finish();
}

criterion_group!(benches, bench_add_get_done, bench_dedup, bench_threads, bench_naive);
criterion_main!(benches);
