//! `SharedInformerFactory`: one informer per kind, shared by every controller.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use super::cache::DEFAULT_SHARDS;
use super::shared::SharedInformer;
use crate::api::{Kind, Resource};
use crate::store::Client;

/// An informer of any kind, as a runtime hosts it (see [`SharedInformer`] for each method).
pub trait AnyInformer: Send + Sync {
    fn kind(&self) -> Kind;
    fn pump(&self) -> usize;
    fn pump_at_most(&self, budget: usize) -> usize;
    fn has_pending(&self) -> bool;
    fn has_synced(&self) -> bool;
    fn wait_synced(&self, stop: &Receiver<()>) -> bool;
    fn run(&self, stop: &Receiver<()>);
    /// How the cache differs from what `client` lists now (empty: they agree). See [`SharedInformer::diff_with`].
    fn diff_with(&self, client: &Client) -> Vec<String>;
}

impl<T: Resource> AnyInformer for SharedInformer<T> {
    fn kind(&self) -> Kind {
        T::KIND
    }
    fn pump(&self) -> usize {
        SharedInformer::pump(self)
    }
    fn pump_at_most(&self, budget: usize) -> usize {
        SharedInformer::pump_at_most(self, budget)
    }
    fn has_pending(&self) -> bool {
        SharedInformer::has_pending(self)
    }
    fn has_synced(&self) -> bool {
        SharedInformer::has_synced(self)
    }
    fn wait_synced(&self, stop: &Receiver<()>) -> bool {
        SharedInformer::wait_synced(self, stop)
    }
    fn run(&self, stop: &Receiver<()>) {
        SharedInformer::run(self, stop)
    }
    fn diff_with(&self, client: &Client) -> Vec<String> {
        SharedInformer::diff_with(self, client)
    }
}

struct Entry {
    type_id: TypeId,
    typed: Arc<dyn Any + Send + Sync>,
    erased: Arc<dyn AnyInformer>,
    /// Whether a thread runs it (set by `start_all`).
    running: bool,
}

/// Hands out one [`SharedInformer`] per kind, all listing and watching through one [`Client`].
///
/// Two ways to drive them: [`pump_all`](Self::pump_all) from the caller's
/// thread (deterministic; what the virtual-clock scheduler does), or
/// [`start_all`](Self::start_all), a thread per informer blocked on its watch
/// until [`shutdown`](Self::shutdown) (or drop). Informers are kept in creation
/// order, so `pump_all` is reproducible.
pub struct SharedInformerFactory {
    client: Client,
    shards: usize,
    entries: Mutex<Vec<Entry>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Dropping the sender stops every running informer.
    stop_tx: Mutex<Option<Sender<()>>>,
    stop_rx: Receiver<()>,
}

impl fmt::Debug for SharedInformerFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<Kind> = self.entries.lock().iter().map(|e| e.erased.kind()).collect();
        f.debug_struct("SharedInformerFactory").field("client", &self.client.name()).field("kinds", &kinds).finish()
    }
}

impl SharedInformerFactory {
    /// Informers with [`DEFAULT_SHARDS`] shards each.
    pub fn new(client: Client) -> Self {
        Self::with_shards(client, DEFAULT_SHARDS)
    }

    pub fn with_shards(client: Client, shards: usize) -> Self {
        let (stop_tx, stop_rx) = crossbeam_channel::bounded(0);
        SharedInformerFactory {
            client,
            shards,
            entries: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            stop_tx: Mutex::new(Some(stop_tx)),
            stop_rx,
        }
    }

    /// The informer for kind `T`, created on first request; every caller shares it.
    pub fn informer<T: Resource>(&self) -> Arc<SharedInformer<T>> {
        let mut entries = self.entries.lock();
        if let Some(e) = entries.iter().find(|e| e.type_id == TypeId::of::<T>()) {
            return e.typed.clone().downcast::<SharedInformer<T>>().expect("entry type matches its TypeId");
        }
        let inf = Arc::new(SharedInformer::<T>::new(self.client.clone(), self.shards));
        entries.push(Entry { type_id: TypeId::of::<T>(), typed: inf.clone(), erased: inf.clone(), running: false });
        inf
    }

    /// Every informer created so far, type-erased, in creation order (for a runtime that hosts them).
    pub fn erased(&self) -> Vec<Arc<dyn AnyInformer>> {
        self.entries.lock().iter().map(|e| e.erased.clone()).collect()
    }

    /// Starts a thread for every informer not yet running (after `shutdown`, does nothing).
    pub fn start_all(&self) {
        let mut entries = self.entries.lock();
        if self.stop_tx.lock().is_none() {
            return;
        }
        let mut threads = self.threads.lock();
        for e in entries.iter_mut().filter(|e| !e.running) {
            e.running = true;
            let (inf, stop) = (e.erased.clone(), self.stop_rx.clone());
            let name = format!("informer-{}", inf.kind().as_str());
            let t =
                std::thread::Builder::new().name(name).spawn(move || inf.run(&stop)).expect("spawn informer thread");
            threads.push(t);
        }
    }

    /// Pumps every informer once, in creation order; the number of events delivered.
    pub fn pump_all(&self) -> usize {
        self.erased().iter().map(|d| d.pump()).sum()
    }

    /// Whether any informer has something undelivered.
    pub fn has_pending(&self) -> bool {
        self.erased().iter().any(|d| d.has_pending())
    }

    pub fn all_synced(&self) -> bool {
        self.erased().iter().all(|d| d.has_synced())
    }

    /// Running informers: blocks until each has synced (or the factory shuts
    /// down). Others: pumps them once (a list always answers). Returns `all_synced()`.
    pub fn wait_for_cache_sync(&self) -> bool {
        let entries: Vec<(Arc<dyn AnyInformer>, bool)> =
            self.entries.lock().iter().map(|e| (e.erased.clone(), e.running)).collect();
        for (d, running) in entries {
            if running {
                d.wait_synced(&self.stop_rx);
            } else if !d.has_synced() {
                d.pump();
            }
        }
        self.all_synced()
    }

    /// Every difference between each informer's cache and the store, read
    /// through the factory's client (empty: every cache agrees). Meaningful
    /// once nothing is undelivered, e.g. after a runtime settles.
    pub fn diff_with_store(&self) -> Vec<String> {
        self.erased().iter().flat_map(|d| d.diff_with(&self.client)).collect()
    }

    /// Stops and joins every informer thread. Idempotent.
    pub fn shutdown(&self) {
        self.stop_tx.lock().take();
        let threads = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for SharedInformerFactory {
    fn drop(&mut self) {
        self.shutdown();
    }
}
