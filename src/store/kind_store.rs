//! One kind's state: the versioned map, the bounded event history and the open
//! watches, behind one `RwLock`. Every mutation goes through [`KindStore::commit`].

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Sender};
use foldhash::fast::FixedState;
use parking_lot::{Mutex, MutexGuard, RwLock};

use crate::api::Resource;
use crate::clock::Clock;

use super::error::{Result, StoreError};
use super::options::{ListOptions, ListResult};
use super::watch::{AnyEvent, AnyResource, EventType, Watch, WatchEvent};

/// What every kind shares: the global revision, the type-erased tap, the clock.
pub(crate) struct Core {
    /// The last revision handed out (etcd's revision). Incremented only under
    /// some kind's write lock, so each kind's events are in revision order.
    pub revision: AtomicU64,
    /// Senders of [`Store::subscribe_all`](super::Store::subscribe_all). While
    /// `tap_active`, a commit holds this lock from taking its revision until it
    /// has sent, so the tap sees every kind's events in one revision order.
    pub tap: Mutex<Vec<Sender<AnyEvent>>>,
    pub tap_active: AtomicBool,
    pub clock: Arc<dyn Clock>,
    pub history_limit: usize,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("revision", &self.revision.load(Ordering::Relaxed))
            .field("tap_active", &self.tap_active.load(Ordering::Relaxed))
            .field("history_limit", &self.history_limit)
            .finish()
    }
}

type Map<T> = HashMap<Arc<str>, Arc<T>, FixedState>;

/// Unlinked by a commit, freed after its lock is released.
type Trash<T> = (Option<WatchEvent<T>>, Option<(Arc<str>, Arc<T>)>);

/// One kind's versioned map, history and watchers.
pub(crate) struct KindStore<T> {
    state: RwLock<KindState<T>>,
}

struct KindState<T> {
    /// key → current object. Invariant: each object's resourceVersion is the
    /// revision of the event that stored it, and that event is the latest for its key.
    objects: Map<T>,
    /// The latest events, at most `history_limit`; revisions strictly increase.
    history: VecDeque<WatchEvent<T>>,
    /// Every event of this kind with a revision above `oldest` is in `history`:
    /// a watch may start from any revision `>= oldest`.
    oldest: u64,
    /// One sender per open watch; each has been sent every event of this kind
    /// above its start revision, in order.
    watchers: Vec<Sender<WatchEvent<T>>>,
}

/// A write, prepared outside the lock; the commit re-checks its premise.
pub(crate) enum Commit<'a, T> {
    /// Insert at `key`, which must be absent. ADDED.
    Create { key: Arc<str>, obj: Arc<T> },
    /// Replace `expect`, which must still be stored at `key`. MODIFIED.
    Replace { key: &'a str, expect: &'a Arc<T>, obj: Arc<T> },
    /// Remove `expect`, which must still be stored at `key`; the DELETED event
    /// carries `last` (`expect` itself, or the update that removed the last finalizer).
    Remove { key: &'a str, expect: &'a Arc<T>, last: Arc<T> },
}

/// Why a commit did nothing.
#[derive(Debug)]
pub(crate) enum Rejected<T> {
    /// Create: the key is taken.
    Exists,
    /// Replace/Remove: the object changed (or went) since it was read. The
    /// prepared object is handed back for a retry.
    Raced(Arc<T>),
}

impl<T: Resource> KindStore<T> {
    pub fn new() -> Self {
        KindStore {
            state: RwLock::new(KindState {
                objects: Map::default(),
                history: VecDeque::new(),
                oldest: 0,
                watchers: Vec::new(),
            }),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        self.state.read().objects.get(key).cloned()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.state.read().objects.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.state.read().objects.len()
    }

    /// Matching objects sorted by key, and the revision they reflect: read under
    /// the read lock, so no write of this kind is half-done and every later one
    /// gets a higher revision.
    pub fn list(&self, core: &Core, opts: &ListOptions) -> ListResult<T> {
        let (mut pairs, revision) = {
            let state = self.state.read();
            let pairs: Vec<(Arc<str>, Arc<T>)> = state
                .objects
                .iter()
                .filter(|(_, o)| opts.matches(o.as_ref()))
                .map(|(k, o)| (Arc::clone(k), Arc::clone(o)))
                .collect();
            (pairs, core.revision.load(Ordering::Acquire))
        };
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        ListResult { items: pairs.into_iter().map(|(_, o)| o).collect(), revision }
    }

    /// Applies `write` if its premise still holds: takes the next revision,
    /// stamps it on the new object, updates the map, appends to the history and
    /// fans the event out — all under the write lock, nothing else.
    pub fn commit(&self, core: &Core, write: Commit<'_, T>) -> Result<Arc<T>, Rejected<T>> {
        // What the commit unlinks is freed after the lock is released (declared
        // before the guard, so dropped after it): the oldest history event may
        // hold the last reference to an old version of an object.
        let mut trash: Trash<T> = (None, None);
        let mut guard = self.state.write();
        let state = &mut *guard;
        match write {
            Commit::Create { key, obj } => {
                if state.objects.contains_key(&key) {
                    return Err(Rejected::Exists);
                }
                let tap = core.tap_guard();
                let (rev, obj) = stamp(core, obj);
                state.objects.insert(key, Arc::clone(&obj));
                trash.0 = state.emit(core, tap, EventType::Added, Arc::clone(&obj), rev);
                Ok(obj)
            }
            Commit::Replace { key, expect, obj } => {
                let Some(slot) = state.objects.get_mut(key).filter(|cur| Arc::ptr_eq(cur, expect)) else {
                    return Err(Rejected::Raced(obj));
                };
                let tap = core.tap_guard();
                let (rev, obj) = stamp(core, obj);
                *slot = Arc::clone(&obj);
                trash.0 = state.emit(core, tap, EventType::Modified, Arc::clone(&obj), rev);
                Ok(obj)
            }
            Commit::Remove { key, expect, last } => {
                if !state.objects.get(key).is_some_and(|cur| Arc::ptr_eq(cur, expect)) {
                    return Err(Rejected::Raced(last));
                }
                let tap = core.tap_guard();
                let (rev, last) = stamp(core, last);
                trash.1 = state.objects.remove_entry(key);
                trash.0 = state.emit(core, tap, EventType::Deleted, Arc::clone(&last), rev);
                Ok(last)
            }
        }
    }

    /// A watch from `from`: replays the retained events above it, then goes live.
    /// Registered under the write lock, so no event falls between replay and live.
    pub fn watch(&self, from: u64) -> Result<Watch<T>> {
        let mut state = self.state.write();
        if from < state.oldest {
            return Err(StoreError::Gone { kind: T::KIND, requested: from, oldest: state.oldest });
        }
        let (tx, rx) = unbounded();
        let start = state.history.partition_point(|e| e.revision <= from);
        for ev in state.history.range(start..) {
            let _ = tx.send(ev.clone());
        }
        state.watchers.push(tx);
        Ok(Watch::new(rx))
    }

    /// Disconnects every watch of this kind.
    pub fn close_watches(&self) {
        self.state.write().watchers.clear();
    }

    /// Drops the retained history: a watch must now start at the current revision or later.
    pub fn compact(&self, core: &Core) {
        let mut state = self.state.write();
        state.history.clear();
        state.oldest = state.oldest.max(core.revision.load(Ordering::Acquire));
    }

    /// Open watches (senders not yet found disconnected).
    pub fn watcher_count(&self) -> usize {
        self.state.read().watchers.len()
    }
}

/// Takes the next revision and writes it into the object if it is fresh
/// (unshared); a DELETED event's `last` may be the stored `Arc` itself, kept as is.
fn stamp<T: Resource>(core: &Core, mut obj: Arc<T>) -> (u64, Arc<T>) {
    let rev = core.revision.fetch_add(1, Ordering::AcqRel) + 1;
    if let Some(o) = Arc::get_mut(&mut obj) {
        write_decimal(&mut o.meta_mut().resource_version, rev);
    }
    (rev, obj)
}

/// `s = n.to_string()` without the formatting machinery (this runs under the lock).
fn write_decimal(s: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.clear();
    s.extend(buf[i..].iter().map(|&b| char::from(b)));
}

impl Core {
    /// The tap lock, when someone subscribed (taken before the revision).
    fn tap_guard(&self) -> Option<MutexGuard<'_, Vec<Sender<AnyEvent>>>> {
        if self.tap_active.load(Ordering::Acquire) {
            Some(self.tap.lock())
        } else {
            None
        }
    }
}

impl<T: Resource> KindState<T> {
    /// Appends to the history and sends to every watcher (and the tap); returns
    /// the event that fell out of the history window, for the caller to free
    /// outside the lock.
    fn emit(
        &mut self,
        core: &Core,
        tap: Option<MutexGuard<'_, Vec<Sender<AnyEvent>>>>,
        type_: EventType,
        object: Arc<T>,
        revision: u64,
    ) -> Option<WatchEvent<T>> {
        let ev = WatchEvent { type_, object, revision };
        self.watchers.retain(|w| w.send(ev.clone()).is_ok());
        if let Some(mut tap) = tap {
            let any = AnyEvent {
                revision,
                time: core.clock.now(),
                type_,
                kind: T::KIND,
                object: Arc::clone(&ev.object) as Arc<dyn AnyResource>,
            };
            tap.retain(|s| s.send(any.clone()).is_ok());
            if tap.is_empty() {
                core.tap_active.store(false, Ordering::Release);
            }
        }
        self.history.push_back(ev);
        // One push, so at most one event falls out of the window.
        let dropped = if self.history.len() > core.history_limit { self.history.pop_front() } else { None };
        if let Some(old) = &dropped {
            self.oldest = old.revision;
        }
        dropped
    }
}

/// Type-erased access to a kind's store (the store keeps one per [`Kind`]).
pub(crate) trait KindSlot: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// Every object with its key, sorted by key.
    fn objects(&self) -> Vec<(Arc<str>, Arc<dyn AnyResource>)>;
}

impl<T: Resource> KindSlot for KindStore<T> {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn objects(&self) -> Vec<(Arc<str>, Arc<dyn AnyResource>)> {
        let mut v: Vec<(Arc<str>, Arc<dyn AnyResource>)> = self
            .state
            .read()
            .objects
            .iter()
            .map(|(k, o)| (Arc::clone(k), Arc::clone(o) as Arc<dyn AnyResource>))
            .collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_decimal_matches_to_string() {
        let mut s = String::from("junk");
        for n in [0, 7, 10, 99, 12_345, u64::MAX] {
            super::write_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
