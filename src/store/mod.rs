//! The simulated API server: a versioned object store with watches, optimistic
//! concurrency, the status subresource, graceful deletion and finalizers.
//!
//! # A small state machine
//!
//! Per kind, the state is `(objects, history, oldest, watchers)`:
//!
//! * `objects: key → Arc<T>` — the current objects. Keys are `namespace/name`
//!   (`name` for cluster-scoped Nodes) as `Arc<str>`.
//! * `history` — the last `history_limit` events of the kind, revisions
//!   strictly increasing; `oldest` is the revision from which on nothing was
//!   dropped (every event above it is in `history`).
//! * `watchers` — one channel per open watch.
//!
//! One global revision (like etcd's) numbers every write of every kind. A write
//! is a transition `commit(premise, new object)`: under the kind's write lock,
//! check the premise (the key is free / the object read is still the stored
//! `Arc`), take `revision + 1`, stamp it as the object's resourceVersion, update
//! `objects`, append `(type, object, revision)` to `history` (dropping the oldest
//! past the limit), send it to every watcher. Nothing else happens under the
//! lock: defaulting, validation, metadata rules and deletion decisions (pure
//! functions in [`rules`]) run before it, on a snapshot; if the premise no
//! longer holds, the write is re-prepared against the new state (or answers
//! Conflict when the client gave a resourceVersion).
//!
//! # Invariants
//!
//! * Revisions are strictly increasing in commit order per kind, and globally
//!   unique; an object's resourceVersion is the revision that stored it.
//! * Stored objects are immutable: the map, the history, every watch event and
//!   every informer cache share one `Arc` per version; a write makes a new one.
//! * A watch from revision `r >= oldest` receives exactly the kind's events
//!   with revision `> r`, in order: the retained ones replayed, then live ones
//!   (it is registered under the write lock, so none falls in between). From
//!   `r < oldest` it is refused with [`StoreError::Gone`]; the client relists.
//! * `list` reads objects and the revision under the read lock: watching from
//!   the list's revision continues it with no gap and no duplicate.
//! * A rejected write (Invalid, Conflict, NotFound, AlreadyExists) changes nothing.
//! * A write that changes nothing (an update equal to the stored object) stores
//!   nothing: no revision, no event, the stored object is returned.
//!
//! # Locks
//!
//! Per kind one `RwLock` (readers: get/list; writers: commit, watch
//! registration, close, compact). Across kinds nothing is shared on the hot
//! path but the revision counter (an atomic taken under the kind's lock). The
//! seeded generator (uids, generated names) is a separate mutex taken outside
//! any kind lock. While someone subscribed to [`Store::subscribe_all`], commits
//! also take the tap mutex (kind lock → tap) so the tap sees one global order.
//! Whatever a commit unlinks (an event falling out of the history, a removed
//! entry) is freed after the lock is released. The write hook
//! ([`Store::set_write_hook`]) runs after the lock is released.
//!
//! # Semantics (as kube-apiserver)
//!
//! * create: `generateName` + 5 characters of `bcdfghjklmnpqrstvwxz2456789`
//!   (re-drawn on collision), uid (UUID v4 from the seeded generator),
//!   creationTimestamp from the clock, generation 1, defaults, then validation.
//!   A namespaced object without a namespace goes to `default` (requests
//!   naming no namespace mean `default` too); Nodes are cluster-scoped.
//!   Status is stored as given (simulators create Nodes with capacity); a
//!   resourceVersion on the object is ignored.
//! * update: a non-empty stale resourceVersion is a Conflict, an empty one is
//!   unconditional. Status is kept from the stored object; uid,
//!   creationTimestamp and the deletion fields cannot change; generation + 1
//!   iff `bumps_generation`. Removing the last finalizer of an object being
//!   deleted (no grace pending) deletes it.
//! * update_status: only the status is taken; generation unchanged.
//! * patch: a read-modify-write of the latest object with no precondition
//!   (retried on races, like a merge patch); status changes are ignored.
//! * delete: preconditions (uid, resourceVersion) or Conflict. Pods bound to
//!   a node get a grace period (default `terminationGracePeriodSeconds`):
//!   deletionTimestamp = now + grace and they stay until deleted with a shorter
//!   one (the kubelet's grace-0 confirm). Unbound or terminal pods, and every
//!   other kind, go at once unless they carry finalizers, which hold them
//!   (deletionTimestamp set) until an update removes the last one. The
//!   propagation policy is recorded as the `orphan` / `foregroundDeletion`
//!   finalizer (default: Orphan for Jobs, Background otherwise). Deleting an
//!   object already being deleted returns it unchanged (except shortening a
//!   pod's grace period). Entering deletion bumps generation.
//! * Deleted events carry the last stored object (with its own
//!   resourceVersion) and the deletion's revision in [`WatchEvent::revision`].

mod client;
mod error;
mod kind_store;
mod options;
pub mod rules;
mod throttle;
mod watch;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crossbeam_channel::{unbounded, Receiver};
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::api::{Kind, Resource};
use crate::clock::Clock;

pub use client::{ApiCallCount, ApiCallCounts, Client, ClientOptions, Verb};
pub use error::{resource, Result, StoreError, OPTIMISTIC_LOCK_MSG};
pub use options::{
    DeleteOptions, ListOptions, ListResult, Preconditions, Propagation, StoreOptions, FINALIZER_FOREGROUND,
    FINALIZER_ORPHAN,
};
pub use throttle::{Latency, TokenBucket};
pub use watch::{AnyEvent, AnyResource, EventType, Watch, WatchEvent};

use client::CallCounts;
use kind_store::{Commit, Core, KindSlot, KindStore, Rejected};
use rules::{object_key, DeletePlan};

const KINDS: usize = Kind::ALL.len();
/// Draws of a generated name before giving up on finding a free one.
const GENERATE_NAME_TRIES: usize = 8;

/// The simulated API server. Share it as `Arc<Store>`; see the module docs.
pub struct Store {
    pub(crate) core: Core,
    /// One slot per [`Kind`], created on first use with the Rust type that kind is used with.
    kinds: [OnceLock<Box<dyn KindSlot>>; KINDS],
    rng: Mutex<StdRng>,
    seed: u64,
    clients: Mutex<Vec<(Arc<str>, Arc<CallCounts>)>>,
    /// Client calls blocked on the clock (rate limit or latency).
    pub(crate) waiting: AtomicUsize,
    write_hook: RwLock<Option<WriteHook>>,
    /// Fast path: no hook, no lock.
    has_write_hook: AtomicBool,
}

/// Called with the kind of every committed write; see [`Store::set_write_hook`].
pub type WriteHook = Arc<dyn Fn(Kind) + Send + Sync>;

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("core", &self.core).field("seed", &self.seed).finish_non_exhaustive()
    }
}

impl Store {
    pub fn new(clock: Arc<dyn Clock>, opts: StoreOptions) -> Arc<Store> {
        Arc::new(Store {
            core: Core {
                revision: AtomicU64::new(0),
                tap: Mutex::new(Vec::new()),
                tap_active: AtomicBool::new(false),
                clock,
                history_limit: opts.history_limit,
            },
            kinds: [const { OnceLock::new() }; KINDS],
            rng: Mutex::new(StdRng::seed_from_u64(opts.seed)),
            seed: opts.seed,
            clients: Mutex::new(Vec::new()),
            waiting: AtomicUsize::new(0),
            write_hook: RwLock::new(None),
            has_write_hook: AtomicBool::new(false),
        })
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.core.clock
    }

    /// The revision of the latest write of any kind.
    pub fn current_revision(&self) -> u64 {
        self.core.revision.load(Ordering::Acquire)
    }

    fn kind<T: Resource>(&self) -> &KindStore<T> {
        self.kinds[T::KIND.index()]
            .get_or_init(|| Box::new(KindStore::<T>::new()))
            .as_any()
            .downcast_ref::<KindStore<T>>()
            .expect("each Kind is stored with one Rust type")
    }

    /// CREATE. Returns the stored object.
    pub fn create<T: Resource>(&self, mut obj: T) -> Result<Arc<T>> {
        let ks = self.kind::<T>();
        let now = self.core.clock.now();
        let meta = obj.meta_mut();
        if meta.name.is_empty() && !meta.generate_name.is_empty() {
            for attempt in 1..=GENERATE_NAME_TRIES {
                let name = rules::generate_name(&meta.generate_name, &mut *self.rng.lock());
                let taken = with_key::<T, _>(&meta.namespace, &name, |k| ks.contains(k));
                if !taken || attempt == GENERATE_NAME_TRIES {
                    meta.name = name;
                    break;
                }
            }
        }
        let uid = rules::new_uid(&mut *self.rng.lock());
        rules::prepare_create(&mut obj, uid, now)?;
        let meta = obj.meta();
        let key: Arc<str> = Arc::from(object_key::<T>(&meta.namespace, &meta.name));
        let mut fresh = Arc::new(obj);
        if let Some(o) = Arc::get_mut(&mut fresh) {
            o.meta_mut().resource_version.reserve(20);
        }
        match self.commit(ks, Commit::Create { key: Arc::clone(&key), obj: fresh }) {
            Ok(stored) => Ok(stored),
            Err(_) => Err(StoreError::AlreadyExists { kind: T::KIND, key: key.to_string() }),
        }
    }

    /// GET. `namespace` is ignored for cluster-scoped kinds.
    pub fn get<T: Resource>(&self, namespace: &str, name: &str) -> Result<Arc<T>> {
        with_key::<T, _>(namespace, name, |k| self.kind::<T>().get(k))
            .ok_or_else(|| StoreError::not_found(T::KIND, &object_key::<T>(namespace, name)))
    }

    /// LIST, sorted by key, with the revision to watch from.
    pub fn list<T: Resource>(&self, opts: &ListOptions) -> ListResult<T> {
        self.kind::<T>().list(&self.core, opts)
    }

    /// Number of stored objects of a kind.
    pub fn count<T: Resource>(&self) -> usize {
        self.kind::<T>().len()
    }

    /// UPDATE of the main resource (spec and metadata; the stored status is kept).
    pub fn update<T: Resource>(&self, obj: T) -> Result<Arc<T>> {
        self.write_update(obj, false)
    }

    /// UPDATE of the status subresource (only the status is taken).
    pub fn update_status<T: Resource>(&self, obj: T) -> Result<Arc<T>> {
        self.write_update(obj, true)
    }

    fn write_update<T: Resource>(&self, obj: T, status: bool) -> Result<Arc<T>> {
        let ks = self.kind::<T>();
        let meta = obj.meta();
        let key = object_key::<T>(&meta.namespace, &meta.name);
        let precondition = (!meta.resource_version.is_empty()).then(|| meta.resource_version.clone());
        let mut cand = obj;
        loop {
            let old = ks.get(&key).ok_or_else(|| StoreError::not_found(T::KIND, &key))?;
            if precondition.as_ref().is_some_and(|rv| *rv != old.meta().resource_version) {
                return Err(StoreError::stale(T::KIND, &key));
            }
            let mut new =
                if status { rules::prepare_status_update(cand, &old)? } else { rules::prepare_update(cand, &old)? };
            if rules::is_noop(&mut new, &old) {
                return Ok(old);
            }
            let commit = if rules::deletes_during_update(new.meta(), old.meta()) {
                Commit::Remove { key: &key, expect: &old, last: Arc::new(new) }
            } else {
                Commit::Replace { key: &key, expect: &old, obj: Arc::new(new) }
            };
            match self.commit(ks, commit) {
                Ok(stored) => return Ok(stored),
                // Re-read: a conditional update now fails its precondition.
                Err(Rejected::Raced(o)) => cand = Arc::try_unwrap(o).unwrap_or_else(|shared| (*shared).clone()),
                Err(Rejected::Exists) => unreachable!("an update never inserts"),
            }
        }
    }

    /// PATCH: applies `f` to the latest stored object and updates it (no
    /// resourceVersion precondition; re-applied on a race). Status changes are ignored.
    pub fn patch<T: Resource>(&self, namespace: &str, name: &str, mut f: impl FnMut(&mut T)) -> Result<Arc<T>> {
        let ks = self.kind::<T>();
        let key = object_key::<T>(namespace, name);
        loop {
            let old = ks.get(&key).ok_or_else(|| StoreError::not_found(T::KIND, &key))?;
            let mut new = (*old).clone();
            f(&mut new);
            let mut new = rules::prepare_update(new, &old)?;
            if rules::is_noop(&mut new, &old) {
                return Ok(old);
            }
            let commit = if rules::deletes_during_update(new.meta(), old.meta()) {
                Commit::Remove { key: &key, expect: &old, last: Arc::new(new) }
            } else {
                Commit::Replace { key: &key, expect: &old, obj: Arc::new(new) }
            };
            if let Ok(stored) = self.commit(ks, commit) {
                return Ok(stored);
            }
        }
    }

    /// DELETE. Returns the object as last stored (marked for deletion, or removed).
    pub fn delete<T: Resource>(&self, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<Arc<T>> {
        let ks = self.kind::<T>();
        let key = object_key::<T>(namespace, name);
        loop {
            let old = ks.get(&key).ok_or_else(|| StoreError::not_found(T::KIND, &key))?;
            rules::check_preconditions(old.meta(), opts).map_err(|r| StoreError::conflict(T::KIND, &key, r))?;
            let commit = match rules::plan_delete(&*old, opts, self.core.clock.now()) {
                DeletePlan::Keep => return Ok(old),
                DeletePlan::Remove => Commit::Remove { key: &key, expect: &old, last: Arc::clone(&old) },
                DeletePlan::Mark(new) => Commit::Replace { key: &key, expect: &old, obj: Arc::new(new) },
            };
            if let Ok(stored) = self.commit(ks, commit) {
                return Ok(stored);
            }
        }
    }

    /// WATCH every event of kind `T` with a revision above `from_revision`.
    pub fn watch<T: Resource>(&self, from_revision: u64) -> Result<Watch<T>> {
        self.kind::<T>().watch(from_revision)
    }

    /// Disconnects every watch of kind `T` (watchers re-watch from their last revision).
    pub fn close_watches<T: Resource>(&self) {
        self.kind::<T>().close_watches();
    }

    /// Drops kind `T`'s retained history: a re-watch from before now gets Gone.
    pub fn compact<T: Resource>(&self) {
        self.kind::<T>().compact(&self.core);
    }

    /// Open watches of kind `T` (a dropped one counts until the kind's next write).
    pub fn watcher_count<T: Resource>(&self) -> usize {
        self.kind::<T>().watcher_count()
    }

    /// Every write of every kind from now on, in revision order.
    pub fn subscribe_all(&self) -> Receiver<AnyEvent> {
        let (tx, rx) = unbounded();
        let mut tap = self.core.tap.lock();
        tap.push(tx);
        self.core.tap_active.store(true, Ordering::Release);
        rx
    }

    /// Every stored object as Kubernetes JSON, by kind then key (for `state.json`).
    pub fn dump_all(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for slot in self.kinds.iter().filter_map(OnceLock::get) {
            out.extend(slot.objects().into_iter().map(|(_, o)| o.to_json()));
        }
        out
    }

    /// A client named `name` with no pacing. Clients with the same name share counters.
    pub fn client(self: &Arc<Self>, name: &str) -> Client {
        self.client_with(name, ClientOptions::default())
    }

    /// A client with a rate limit and/or a latency model.
    pub fn client_with(self: &Arc<Self>, name: &str, opts: ClientOptions) -> Client {
        let (name, counts) = {
            let mut clients = self.clients.lock();
            match clients.iter().find(|(n, _)| &**n == name) {
                Some((n, c)) => (Arc::clone(n), Arc::clone(c)),
                None => {
                    let entry: (Arc<str>, Arc<CallCounts>) = (Arc::from(name), Arc::new(CallCounts::new()));
                    clients.push((Arc::clone(&entry.0), Arc::clone(&entry.1)));
                    entry
                }
            }
        };
        let rng = StdRng::seed_from_u64(self.seed ^ fnv1a(name.as_bytes()));
        Client::new(Arc::clone(self), name, counts, opts, rng)
    }

    /// Calls so far, by client, verb and kind.
    pub fn api_call_counts(&self) -> ApiCallCounts {
        let mut entries = Vec::new();
        for (name, counts) in self.clients.lock().iter() {
            counts.snapshot(name, &mut entries);
        }
        entries.sort_by(|a, b| (&a.client, a.verb, a.kind).cmp(&(&b.client, b.verb, b.kind)));
        ApiCallCounts { entries }
    }

    /// Calls `hook(kind)` after every committed write (outside the store's locks,
    /// once the event is in every watch channel), replacing any earlier hook.
    /// Lets a runtime wake the informers of that kind instead of polling.
    pub fn set_write_hook(&self, hook: WriteHook) {
        *self.write_hook.write() = Some(hook);
        self.has_write_hook.store(true, Ordering::Release);
    }

    fn commit<T: Resource>(&self, ks: &KindStore<T>, write: Commit<'_, T>) -> Result<Arc<T>, Rejected<T>> {
        let out = ks.commit(&self.core, write);
        if out.is_ok() && self.has_write_hook.load(Ordering::Acquire) {
            let hook = self.write_hook.read().clone();
            if let Some(hook) = hook {
                hook(T::KIND);
            }
        }
        out
    }

    /// Client calls currently blocked on the clock (rate limit or latency).
    pub fn waiting_clients(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

/// Calls `f` with the key of `(namespace, name)` (as [`object_key`]), built on the stack when short.
fn with_key<T: Resource, R>(namespace: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
    if !T::KIND.is_namespaced() {
        return f(name);
    }
    let namespace = if namespace.is_empty() { rules::DEFAULT_NAMESPACE } else { namespace };
    let mut buf = [0u8; 128];
    let n = namespace.len() + 1 + name.len();
    if n > buf.len() {
        return f(&object_key::<T>(namespace, name));
    }
    buf[..namespace.len()].copy_from_slice(namespace.as_bytes());
    buf[namespace.len()] = b'/';
    buf[namespace.len() + 1..n].copy_from_slice(name.as_bytes());
    f(std::str::from_utf8(&buf[..n]).expect("two str joined by '/' are UTF-8"))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
