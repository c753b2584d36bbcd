//! Store benches: create and update throughput of pods with 0, 1 and 8 active
//! watchers, a naive `RwLock<HashMap>` baseline, and memory per stored pod.
//!
//! What is timed: the writer's calls only. Building the request objects, the
//! store and the watchers is setup. Watchers are drained concurrently by one
//! thread each (as informers would), so the timed writes include fanning each
//! event out to every watcher's channel but not the watchers' own processing.
//!
//! Memory is counted by a global allocator that wraps mimalloc and keeps a
//! running total of live bytes; it is printed before the timing groups.
#![allow(unsafe_code)] // the counting global allocator

use std::alloc::{GlobalAlloc, Layout};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::{self, JoinHandle};

use criterion::{BatchSize, Criterion, Throughput};
use kwarp::api::pod::Pod;
use kwarp::api::Resource;
use kwarp::clock::VirtualClock;
use kwarp::store::{ListOptions, Store, StoreOptions, Watch};
use mimalloc::MiMalloc;

/// mimalloc, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Writes per timed batch.
const BATCH: usize = 10_000;

/// A pod as a ReplicaSet creates it: generateName, labels, owner reference, one
/// container with requests.
fn template() -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {
            "namespace": "bench",
            "generateName": "web-7d9f8c6b5-",
            "labels": {"app": "web", "pod-template-hash": "7d9f8c6b5"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8c6b5",
                "uid": "6f1c1f9e-6a4b-4a63-9d6e-0c3f5b8f1a2d", "controller": true, "blockOwnerDeletion": true
            }]
        },
        "spec": {"containers": [{
            "name": "web", "image": "nginx:1.25",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}
        }]}
    }))
    .expect("template parses")
}

fn new_store() -> Arc<Store> {
    Store::new(Arc::new(VirtualClock::new()), StoreOptions::default())
}

/// `n` watches of pods, each drained by its own thread (as an informer would).
struct Drainers {
    seen: Vec<Arc<AtomicUsize>>,
    handles: Vec<JoinHandle<()>>,
}

impl Drainers {
    /// Watches from the current revision, one draining thread each.
    fn start(store: &Store, n: usize) -> Self {
        let mut seen = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..n {
            let w: Watch<Pod> = store.watch(store.current_revision()).expect("watch");
            let count = Arc::new(AtomicUsize::new(0));
            seen.push(Arc::clone(&count));
            handles.push(thread::spawn(move || {
                while w.recv().is_ok() {
                    count.fetch_add(1, Ordering::Release);
                }
            }));
        }
        Drainers { seen, handles }
    }
    /// Spins until every watcher has seen `events` events (keeps one batch's
    /// leftover delivery out of the next batch's timing).
    fn wait_for(&self, events: usize) {
        while self.seen.iter().any(|s| s.load(Ordering::Acquire) < events) {
            thread::yield_now();
        }
    }
    fn counts(&self) -> Vec<usize> {
        self.seen.iter().map(|s| s.load(Ordering::Acquire)).collect()
    }
    /// Closes the watches and joins the threads.
    fn finish(&mut self, store: &Store) {
        store.close_watches::<Pod>();
        for h in self.handles.drain(..) {
            h.join().expect("drainer");
        }
    }
}

/// One create batch's store and watchers; dropping it (outside the timing)
/// closes the watches and joins their threads.
struct CreateBatch {
    store: Arc<Store>,
    drainers: Drainers,
}

impl Drop for CreateBatch {
    fn drop(&mut self) {
        self.drainers.finish(&self.store);
    }
}

/// Fresh store + watchers + the create requests (setup of one timed batch).
fn create_setup(watchers: usize) -> (CreateBatch, Vec<Pod>) {
    let store = new_store();
    let drainers = Drainers::start(&store, watchers);
    (CreateBatch { store, drainers }, vec![template(); BATCH])
}

fn create_all(store: &Store, pods: Vec<Pod>) {
    for p in pods {
        black_box(store.create(p).expect("create"));
    }
}

/// A store holding `BATCH` pods and watchers; per batch, the update requests:
/// each pod as read, with a changed label and its resourceVersion (conditional).
struct UpdateFixture {
    store: Arc<Store>,
    drainers: Drainers,
    round: usize,
}

impl UpdateFixture {
    fn new(watchers: usize) -> Self {
        let store = new_store();
        create_all(&store, vec![template(); BATCH]);
        let drainers = Drainers::start(&store, watchers);
        UpdateFixture { store, drainers, round: 0 }
    }
    fn requests(&mut self) -> Vec<Pod> {
        self.drainers.wait_for(self.round * BATCH);
        self.round += 1;
        let round = self.round.to_string();
        let list = self.store.list::<Pod>(&ListOptions::all());
        list.items
            .iter()
            .map(|p| {
                let mut p = (**p).clone();
                p.metadata.labels.insert("round".into(), round.clone());
                p
            })
            .collect()
    }
}

fn update_all(store: &Store, pods: Vec<Pod>) {
    for p in pods {
        black_box(store.update(p).expect("update"));
    }
}

fn check_correctness() {
    for n in [0, 1, 8] {
        let (batch, pods) = create_setup(n);
        create_all(&batch.store, pods);
        let store = &batch.store;
        assert_eq!(store.count::<Pod>(), BATCH);
        let list = store.list::<Pod>(&ListOptions::all());
        assert_eq!(list.revision, BATCH as u64);
        let mut names: Vec<&str> = list.items.iter().map(|p| p.metadata.name.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), BATCH, "generated names are unique");
        batch.drainers.wait_for(BATCH);
        assert_eq!(batch.drainers.counts(), vec![BATCH; n], "every watcher saw every create");

        let mut fx = UpdateFixture::new(n);
        let reqs = fx.requests();
        update_all(&fx.store, reqs);
        let list = fx.store.list::<Pod>(&ListOptions::all());
        assert!(list.items.iter().all(|p| p.metadata.labels["round"] == "1" && p.metadata.generation == 1));
        assert_eq!(list.revision, 2 * BATCH as u64);
        fx.drainers.wait_for(BATCH);
        fx.drainers.finish(&fx.store);
        assert_eq!(fx.drainers.counts(), vec![BATCH; n], "every watcher saw every update");
    }
}

fn bench_create(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_create");
    g.throughput(Throughput::Elements(BATCH as u64)).sample_size(20);
    for n in [0, 1, 8] {
        g.bench_function(format!("watchers_{n}"), |b| {
            b.iter_batched(
                || create_setup(n),
                |(batch, pods)| {
                    create_all(&batch.store, pods);
                    batch // dropped (watches closed, drainers joined) outside the timing
                },
                BatchSize::PerIteration,
            )
        });
    }
    // Reference: what the object model's defaulting + validation alone cost per create.
    g.bench_function("reference_defaults_and_validation_only", |b| {
        b.iter_batched(
            || {
                let mut t = template();
                t.metadata.name = "web-7d9f8c6b5-abcde".into();
                vec![t; BATCH]
            },
            |pods| {
                for mut p in pods {
                    p.apply_defaults();
                    black_box(p.validate(None)).expect("valid");
                }
            },
            BatchSize::PerIteration,
        )
    });
    // Baseline: the bare minimum of storing — a key string and an Arc in a locked std HashMap.
    g.bench_function("baseline_rwlock_hashmap", |b| {
        b.iter_batched(
            || (RwLock::new(HashMap::<String, Arc<Pod>>::new()), vec![template(); BATCH]),
            |(map, pods)| {
                for (i, p) in pods.into_iter().enumerate() {
                    let key = format!("{}/web-7d9f8c6b5-{i:05}", p.metadata.namespace);
                    map.write().unwrap().insert(key, Arc::new(p));
                }
                map
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Several writers at once: 2 threads creating `BATCH / 2` pods each into one
/// store (one kind, so they contend on its lock), one watcher drained concurrently.
fn bench_create_parallel(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_create_parallel");
    g.throughput(Throughput::Elements(BATCH as u64)).sample_size(20);
    g.bench_function("writers_2_watchers_1", |b| {
        b.iter_batched(
            || create_setup(1),
            |(batch, mut pods)| {
                let second = pods.split_off(BATCH / 2);
                thread::scope(|s| {
                    s.spawn(|| create_all(&batch.store, second));
                    create_all(&batch.store, pods);
                });
                batch
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_update");
    g.throughput(Throughput::Elements(BATCH as u64)).sample_size(20);
    for n in [0, 1, 8] {
        let mut fx = UpdateFixture::new(n);
        g.bench_function(format!("watchers_{n}"), |b| {
            let store = Arc::clone(&fx.store);
            b.iter_batched(|| fx.requests(), |reqs| update_all(&store, reqs), BatchSize::PerIteration)
        });
        fx.drainers.finish(&fx.store);
    }
    g.finish();
}

/// Live bytes per pod: 100k pods in a store (default history of 10k events),
/// then the same with one watch that has not read its 100k events.
fn memory_report() {
    const N: usize = 100_000;
    let t = template();
    let base = live_bytes();
    let store = new_store();
    for _ in 0..N {
        store.create(t.clone()).expect("create");
    }
    let store_bytes = live_bytes() - base;
    // The objects alone: clones have the same heap shape (a Vec<Pod> holds them
    // inline, as the Arc allocations do, minus the 16-byte Arc header).
    let items = store.list::<Pod>(&ListOptions::all()).items;
    let base_objects = live_bytes();
    let clones: Vec<Pod> = items.iter().map(|p| (**p).clone()).collect();
    let object_bytes = live_bytes() - base_objects + 16 * N as isize;
    drop((clones, items, store));

    let base = live_bytes();
    let store = new_store();
    let w: Watch<Pod> = store.watch(0).expect("watch");
    for _ in 0..N {
        store.create(t.clone()).expect("create");
    }
    let with_watch = live_bytes() - base;
    assert_eq!(w.len(), N);
    drop((w, store));

    let json = serde_json::to_vec(&t).map(|v| v.len()).unwrap_or(0);
    println!("memory: {N} pods, size_of::<Pod>() = {} B, template JSON = {json} B", std::mem::size_of::<Pod>());
    println!("memory: store alone                  {:>7.0} B/pod", store_bytes as f64 / N as f64);
    println!("memory:   of which the pod objects   {:>7.0} B/pod", object_bytes as f64 / N as f64);
    println!(
        "memory:   store overhead (map, keys, 10k-event history) {:>5.0} B/pod",
        (store_bytes - object_bytes) as f64 / N as f64
    );
    println!("memory: store + 1 undrained watch    {:>7.0} B/pod", with_watch as f64 / N as f64);
}

fn main() {
    check_correctness();
    memory_report();
    let mut c = Criterion::default().configure_from_args();
    bench_create(&mut c);
    bench_create_parallel(&mut c);
    bench_update(&mut c);
    c.final_summary();
}
