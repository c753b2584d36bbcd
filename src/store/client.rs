//! Per-component API clients: identity, call counting, optional pacing.
//!
//! A [`Client`] is what a controller, the scheduler, a kubelet or the load
//! generator holds. It offers the store's verbs, counts every call by (client,
//! verb, kind) in a flat array of atomics (no lock on the hot path), and — only
//! when configured — waits on the clock for a rate-limit token and a simulated
//! request latency before the call runs. Clones share the counters and the bucket.
//!
//! Verbs are counted as [`Verb`]: `update_status` (a PUT to the status
//! subresource) is its own verb, so reports can tell spec from status writes;
//! [`Verb::http_verb`] and [`Verb::subresource`] give Kubernetes' split.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use rand::rngs::StdRng;

use crate::api::{Kind, Resource};

use super::error::Result;
use super::options::{DeleteOptions, ListOptions, ListResult};
use super::throttle::{wait_until, Latency, TokenBucket};
use super::watch::Watch;
use super::Store;

/// An API verb as counted per client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    Create,
    Get,
    List,
    Update,
    /// PUT to the status subresource.
    UpdateStatus,
    Patch,
    Delete,
    Watch,
}

impl Verb {
    pub const ALL: [Verb; 8] =
        [Verb::Create, Verb::Get, Verb::List, Verb::Update, Verb::UpdateStatus, Verb::Patch, Verb::Delete, Verb::Watch];

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Update => "update",
            Verb::UpdateStatus => "update_status",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::Watch => "watch",
        }
    }
    /// The verb as kube-apiserver's metrics name it (`update` for both updates).
    pub fn http_verb(self) -> &'static str {
        match self {
            Verb::UpdateStatus => "update",
            v => v.as_str(),
        }
    }
    /// `Some("status")` for status-subresource writes.
    pub fn subresource(self) -> Option<&'static str> {
        (self == Verb::UpdateStatus).then_some("status")
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const KINDS: usize = Kind::ALL.len();
const VERBS: usize = Verb::ALL.len();

/// One client's call counters, indexed `verb * KINDS + kind`.
pub(crate) struct CallCounts([AtomicU64; VERBS * KINDS]);

impl CallCounts {
    pub fn new() -> Self {
        CallCounts(std::array::from_fn(|_| AtomicU64::new(0)))
    }
    fn add(&self, verb: Verb, kind: Kind) {
        self.0[verb as usize * KINDS + kind.index()].fetch_add(1, Ordering::Relaxed);
    }
    pub fn snapshot(&self, client: &Arc<str>, out: &mut Vec<ApiCallCount>) {
        for verb in Verb::ALL {
            for kind in Kind::ALL {
                let count = self.0[verb as usize * KINDS + kind.index()].load(Ordering::Relaxed);
                if count > 0 {
                    out.push(ApiCallCount { client: Arc::clone(client), verb, kind, count });
                }
            }
        }
    }
}

/// Calls of one (client, verb, kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiCallCount {
    pub client: Arc<str>,
    pub verb: Verb,
    pub kind: Kind,
    pub count: u64,
}

/// A snapshot of every non-zero counter, sorted by client, verb, kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiCallCounts {
    pub entries: Vec<ApiCallCount>,
}

impl ApiCallCounts {
    pub fn get(&self, client: &str, verb: Verb, kind: Kind) -> u64 {
        self.entries.iter().filter(|e| &*e.client == client && e.verb == verb && e.kind == kind).map(|e| e.count).sum()
    }
    /// Over all clients.
    pub fn total(&self, verb: Verb, kind: Kind) -> u64 {
        self.entries.iter().filter(|e| e.verb == verb && e.kind == kind).map(|e| e.count).sum()
    }
    /// Every call of one client.
    pub fn client_total(&self, client: &str) -> u64 {
        self.entries.iter().filter(|e| &*e.client == client).map(|e| e.count).sum()
    }
}

/// Pacing of one client; both off by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientOptions {
    /// Client-side limit (`--kube-api-qps`); `None` or `<= 0`: unlimited.
    pub qps: Option<f64>,
    /// Requests that may pass at once (`--kube-api-burst`); 0 counts as 1.
    pub burst: u32,
    /// Simulated request latency.
    pub latency: Option<Latency>,
}

impl ClientOptions {
    pub fn rate_limit(mut self, qps: f64, burst: u32) -> Self {
        self.qps = Some(qps);
        self.burst = burst;
        self
    }
    pub fn latency(mut self, latency: Latency) -> Self {
        self.latency = Some(latency);
        self
    }
}

/// A component's handle on the store. Cheap to clone (clones share counters and bucket).
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    store: Arc<Store>,
    name: Arc<str>,
    counts: Arc<CallCounts>,
    bucket: Option<Mutex<TokenBucket>>,
    latency: Option<Mutex<(Latency, StdRng)>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("name", &self.inner.name)
            .field("rate_limited", &self.inner.bucket.is_some())
            .field("latency", &self.inner.latency.as_ref().map(|l| l.lock().0.clone()))
            .finish()
    }
}

impl Client {
    pub(crate) fn new(
        store: Arc<Store>,
        name: Arc<str>,
        counts: Arc<CallCounts>,
        opts: ClientOptions,
        rng: StdRng,
    ) -> Self {
        let bucket =
            opts.qps.filter(|q| *q > 0.0 && q.is_finite()).map(|q| Mutex::new(TokenBucket::new(q, opts.burst)));
        let latency = opts.latency.map(|l| Mutex::new((l, rng)));
        Client { inner: Arc::new(ClientInner { store, name, counts, bucket, latency }) }
    }

    /// The identity calls are counted under.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// Counts the call, then waits for a token and the simulated latency (if configured).
    fn begin(&self, verb: Verb, kind: Kind) -> &Store {
        let inner = &*self.inner;
        inner.counts.add(verb, kind);
        if inner.bucket.is_some() || inner.latency.is_some() {
            let clock = &*inner.store.core.clock;
            let now = clock.now();
            let mut at = match &inner.bucket {
                Some(b) => b.lock().reserve(now),
                None => now,
            };
            if let Some(l) = &inner.latency {
                let mut guard = l.lock();
                let (model, rng) = &mut *guard;
                at = at.add_nanos(model.draw(rng));
            }
            wait_until(clock, at, &inner.store.waiting);
        }
        &inner.store
    }

    pub fn create<T: Resource>(&self, obj: T) -> Result<Arc<T>> {
        self.begin(Verb::Create, T::KIND).create(obj)
    }
    pub fn get<T: Resource>(&self, namespace: &str, name: &str) -> Result<Arc<T>> {
        self.begin(Verb::Get, T::KIND).get(namespace, name)
    }
    pub fn list<T: Resource>(&self, opts: &ListOptions) -> ListResult<T> {
        self.begin(Verb::List, T::KIND).list(opts)
    }
    pub fn update<T: Resource>(&self, obj: T) -> Result<Arc<T>> {
        self.begin(Verb::Update, T::KIND).update(obj)
    }
    pub fn update_status<T: Resource>(&self, obj: T) -> Result<Arc<T>> {
        self.begin(Verb::UpdateStatus, T::KIND).update_status(obj)
    }
    pub fn patch<T: Resource>(&self, namespace: &str, name: &str, f: impl FnMut(&mut T)) -> Result<Arc<T>> {
        self.begin(Verb::Patch, T::KIND).patch(namespace, name, f)
    }
    pub fn delete<T: Resource>(&self, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<Arc<T>> {
        self.begin(Verb::Delete, T::KIND).delete(namespace, name, opts)
    }
    pub fn watch<T: Resource>(&self, from_revision: u64) -> Result<Watch<T>> {
        self.begin(Verb::Watch, T::KIND).watch(from_revision)
    }
}
