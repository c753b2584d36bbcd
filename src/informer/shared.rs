//! `SharedInformer`: the shell around the reflector's state machine — cache, source, handlers, driving.

use std::fmt;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Select, Sender, TryRecvError};
use parking_lot::{Mutex, RwLock};

use super::cache::{Cache, Writer};
use super::handler::{EventHandler, Notification};
use super::reflector::{step, Action, Input, Request, State};
use super::Result;
use crate::api::Resource;
use crate::store::{Client, EventType, ListOptions, ListResult, Store, StoreError, Watch, WatchEvent};

/// Where a reflector lists and watches: a [`Client`] (calls counted), the [`Store`] itself, or a test fake.
pub trait ListWatch<T>: Send + Sync {
    /// Every object of the kind and the revision the list reflects.
    fn list(&self) -> ListResult<T>;
    /// Every write with a revision above `from_revision`; `Gone` when that history was compacted.
    fn watch(&self, from_revision: u64) -> std::result::Result<Watch<T>, StoreError>;
}

impl<T: Resource> ListWatch<T> for Client {
    fn list(&self) -> ListResult<T> {
        Client::list(self, &ListOptions::default())
    }
    fn watch(&self, from_revision: u64) -> std::result::Result<Watch<T>, StoreError> {
        Client::watch(self, from_revision)
    }
}

impl<T: Resource> ListWatch<T> for Arc<Store> {
    fn list(&self) -> ListResult<T> {
        Store::list(self, &ListOptions::default())
    }
    fn watch(&self, from_revision: u64) -> std::result::Result<Watch<T>, StoreError> {
        Store::watch(self, from_revision)
    }
}

/// Counters of what the reflector did (for tests and reports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReflectorStats {
    pub lists: u64,
    pub watches: u64,
    pub events: u64,
    /// Watch requests answered with Gone (each followed by a relist).
    pub gone: u64,
}

/// The writer side: only the thread that pumps touches it (under `SharedInformer::shell`).
struct Shell<T> {
    state: State,
    /// `Some` exactly while `state` is `Watching`.
    watch: Option<Watch<T>>,
    /// Taken at the first pump (that freezes the cache's indexes).
    writer: Option<Writer<T>>,
    stats: ReflectorStats,
}

type Handlers<T> = Arc<[Arc<dyn EventHandler<T>>]>;

/// One kind's cache, kept in step with the store by a reflector, and the handlers it notifies.
///
/// Drive it with [`pump`](Self::pump) (deterministic: processes what is
/// queued now, never blocks) or [`run`](Self::run) (a thread that blocks on
/// the watch). Either way there is one writer at a time: both take `shell`.
pub struct SharedInformer<T> {
    source: Box<dyn ListWatch<T>>,
    cache: Arc<Cache<T>>,
    /// Replaced as a whole on registration; a pump delivers to the set it started with.
    handlers: RwLock<Handlers<T>>,
    shell: Mutex<Shell<T>>,
    /// Dropped at the first sync: receivers see it disconnect (a wait with no sleep).
    synced_tx: Mutex<Option<Sender<()>>>,
    synced_rx: Receiver<()>,
}

impl<T: Resource> fmt::Debug for SharedInformer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedInformer").field("kind", &T::KIND).field("cache", &self.cache).finish_non_exhaustive()
    }
}

impl<T: Resource> SharedInformer<T> {
    /// An informer over `source` with a cache of `shards` shards.
    pub fn new(source: impl ListWatch<T> + 'static, shards: usize) -> Self {
        let (synced_tx, synced_rx) = crossbeam_channel::bounded(0);
        SharedInformer {
            source: Box::new(source),
            cache: Arc::new(Cache::new(shards)),
            handlers: RwLock::new(Arc::new([])),
            shell: Mutex::new(Shell {
                state: State::NeedList,
                watch: None,
                writer: None,
                stats: ReflectorStats::default(),
            }),
            synced_tx: Mutex::new(Some(synced_tx)),
            synced_rx,
        }
    }

    /// The cache (the lister controllers read from).
    pub fn cache(&self) -> &Arc<Cache<T>> {
        &self.cache
    }

    /// Registers a user-defined index; only before the first pump.
    pub fn add_index(&self, name: &str, f: impl Fn(&T) -> Vec<String> + Send + Sync + 'static) -> Result<()> {
        self.cache.add_index(name, f)
    }

    /// Subscribes `h`. A handler added after the first sync is first told about
    /// every cached object (`on_add`), as client-go does, so it too sees a story
    /// that starts from empty. Must not be called from a handler of this informer.
    pub fn add_event_handler(&self, h: Arc<dyn EventHandler<T>>) {
        let _writer = self.shell.lock(); // no change is applied while we catch `h` up
        if self.cache.has_synced() {
            for obj in self.cache.list() {
                h.on_add(&obj);
            }
        }
        let mut hs = self.handlers.write();
        let next: Vec<_> = hs.iter().cloned().chain([h]).collect();
        *hs = next.into();
    }

    /// True once the first list is in the cache.
    pub fn has_synced(&self) -> bool {
        self.cache.has_synced()
    }

    /// Blocks until the first list is in the cache, or `stop` fires (`false`).
    pub fn wait_synced(&self, stop: &Receiver<()>) -> bool {
        let mut sel = Select::new();
        let s = sel.recv(stop);
        sel.recv(&self.synced_rx);
        let ready = sel.ready();
        ready != s || self.has_synced()
    }

    /// How the cache differs from what `client` lists now: objects missing
    /// from either side, or cached at another resourceVersion; empty when they
    /// agree. Holds the informer's lock, so no event is applied meanwhile;
    /// meaningful once nothing is undelivered (after a runtime settles).
    pub fn diff_with(&self, client: &Client) -> Vec<String> {
        let _writer = self.shell.lock();
        let listed = Client::list::<T>(client, &ListOptions::default()).items;
        let mut diffs = Vec::new();
        let mut listed_keys = std::collections::HashSet::with_capacity(listed.len());
        for obj in &listed {
            let m = obj.meta();
            let key = super::key::KeyRef::new(&m.namespace, &m.name).joined();
            match self.cache.get_ns_name(&m.namespace, &m.name) {
                None => diffs.push(format!("{} {key}: in the store, not in the cache", T::KIND.as_str())),
                Some(c) if c.meta().resource_version != m.resource_version => diffs.push(format!(
                    "{} {key}: cached at resourceVersion {}, stored at {}",
                    T::KIND.as_str(),
                    c.meta().resource_version,
                    m.resource_version
                )),
                Some(_) => {}
            }
            listed_keys.insert(key);
        }
        let mut extra: Vec<String> = self.cache.keys().into_iter().filter(|k| !listed_keys.contains(k)).collect();
        extra.sort();
        diffs.extend(extra.into_iter().map(|k| format!("{} {k}: in the cache, not in the store", T::KIND.as_str())));
        diffs
    }

    /// Where the reflector stands.
    pub fn state(&self) -> State {
        self.shell.lock().state
    }

    pub fn stats(&self) -> ReflectorStats {
        self.shell.lock().stats
    }

    /// Whether a pump would do something now: a list or watch is due, or the
    /// watch holds an event or has been closed. `false` = nothing undelivered.
    pub fn has_pending(&self) -> bool {
        let sh = self.shell.lock();
        match (&sh.state, &sh.watch) {
            (State::Watching { .. }, Some(w)) => is_ready(w.receiver()),
            _ => true,
        }
    }

    /// Applies everything available now — a due list or watch, then every
    /// queued event — updating the cache and notifying handlers; never blocks on
    /// the watch. Returns the number of watch events read plus synthetic events
    /// from (re)lists; 0 with `!has_pending()` means nothing is undelivered.
    pub fn pump(&self) -> usize {
        self.pump_at_most(usize::MAX)
    }

    /// [`pump`](Self::pump), stopping once `budget` events are delivered (a
    /// relist is applied whole, so it may exceed the budget); `has_pending()`
    /// tells whether more is ready.
    pub fn pump_at_most(&self, budget: usize) -> usize {
        let mut guard = self.shell.lock();
        let sh = &mut *guard;
        let writer = sh.writer.get_or_insert_with(|| self.cache.writer().expect("an informer's cache has one writer"));
        let handlers = self.handlers.read().clone();
        let mut delivered = 0;
        while delivered < budget {
            let input = match sh.state.request() {
                Request::List => {
                    sh.stats.lists += 1;
                    Input::Listed(self.source.list())
                }
                Request::Watch { from_revision } => {
                    sh.stats.watches += 1;
                    match self.source.watch(from_revision) {
                        Ok(w) => {
                            sh.watch = Some(w);
                            Input::WatchStarted
                        }
                        Err(e) => {
                            sh.stats.gone += u64::from(e.is_gone());
                            Input::WatchFailed { gone: e.is_gone() }
                        }
                    }
                }
                Request::Read => match sh.watch.as_ref().map(Watch::try_recv) {
                    Some(Ok(ev)) => {
                        sh.stats.events += 1;
                        delivered += 1;
                        Input::Event(ev)
                    }
                    Some(Err(TryRecvError::Empty)) => break,
                    Some(Err(TryRecvError::Disconnected)) | None => {
                        sh.watch = None;
                        Input::Disconnected
                    }
                },
            };
            let retry_later = matches!(input, Input::WatchFailed { gone: false });
            let (next, action) = step(sh.state, input);
            sh.state = next;
            match action {
                Some(Action::Replace(items)) => delivered += self.replace(writer, items, &handlers),
                Some(Action::Apply(ev)) => apply(writer, ev, &handlers),
                None => {}
            }
            if retry_later {
                break;
            }
        }
        delivered
    }

    fn replace(&self, writer: &mut Writer<T>, items: Vec<Arc<T>>, handlers: &Handlers<T>) -> usize {
        let diff = writer.replace(items);
        self.synced_tx.lock().take(); // wakes `wait_synced`
        let n = diff.len();
        let notes = diff.deleted.into_iter().map(Notification::Delete).chain(diff.applied.into_iter().map(
            |(old, new)| match old {
                Some(old) => Notification::Update(old, new),
                None => Notification::Add(new),
            },
        ));
        for note in notes {
            notify(handlers, &note);
        }
        n
    }

    /// Runs until `stop` receives or disconnects: pumps, then blocks until the
    /// watch has something (no polling, no sleeps). A failed watch request
    /// (anything but Gone, which relists at once) is retried after yielding.
    pub fn run(&self, stop: &Receiver<()>) {
        loop {
            self.pump();
            let rx = self.shell.lock().watch.as_ref().map(|w| w.receiver().clone());
            let mut sel = Select::new();
            let s = sel.recv(stop);
            match &rx {
                Some(rx) => {
                    sel.recv(rx);
                    if sel.ready() == s {
                        return;
                    }
                }
                None => {
                    if sel.try_ready() == Ok(s) {
                        return;
                    }
                    std::thread::yield_now();
                }
            }
        }
    }
}

fn apply<T: Resource>(writer: &mut Writer<T>, ev: WatchEvent<T>, handlers: &Handlers<T>) {
    let note = match ev.type_ {
        EventType::Added | EventType::Modified => match writer.upsert(ev.object.clone()) {
            Some(old) => Notification::Update(old, ev.object),
            None => Notification::Add(ev.object),
        },
        EventType::Deleted => {
            let m = ev.object.meta();
            match writer.remove(&m.namespace, &m.name) {
                Some(_) => Notification::Delete(ev.object),
                None => return, // never cached: nothing to tell
            }
        }
    };
    notify(handlers, &note);
}

fn notify<T>(handlers: &Handlers<T>, note: &Notification<T>) {
    for h in handlers.iter() {
        note.deliver(&**h);
    }
}

/// A message is queued or the channel is closed (without taking anything).
fn is_ready<M>(rx: &Receiver<M>) -> bool {
    let mut sel = Select::new();
    sel.recv(rx);
    sel.try_ready().is_ok()
}
