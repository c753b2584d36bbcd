//! Shared informers: a reflector (list, then watch, relist on Gone) feeding a sharded, indexed cache and event handlers.
//!
//! ```text
//!  store ──list/watch──▶ Reflector (pure `step`) ──▶ Writer ──▶ Cache (shards + indexes) ◀── readers (Arc<T>)
//!                                                      └──────▶ handlers: on_add / on_update / on_delete
//! ```
//!
//! **One writer, many readers.** Each [`Cache`] has exactly one [`Writer`]
//! (`Cache::writer` hands it out once); in an informer it lives inside the
//! reflector's shell, behind the mutex that `pump` and `run` take, so changes
//! are applied by one thread at a time in revision order. Readers never wait
//! for the reflector, only (briefly) for the writer's shard lock.
//!
//! **Lock scopes.** The primary map is split into `2^k` shards by bits 32.. of
//! the key's foldhash; each shard is a `parking_lot::RwLock` over a Robin Hood
//! table whose slots are single cache lines (hash, `Arc`, key inline), on its
//! own cache lines. A `get` holds one shard's read lock for one hash probe and an
//! `Arc` clone; `list` holds each shard's in turn. Each index is sharded the same
//! way by value; `by_index` holds one index shard's read lock while it clones
//! that value's `Arc`s. The writer takes one write lock at a time (primary
//! shard, then each touched index shard) and never two at once, so there is no
//! lock order to get wrong. Handlers run with no cache lock held.
//!
//! **Invariants.**
//! - The cache and the indexes hold the store's own `Arc`s: no object is copied.
//! - After each writer call returns, every index holds exactly the primary
//!   map's objects under exactly the values its function yields. While a call is
//!   in progress a reader may see the primary map one change ahead of an index.
//! - Handlers are called after the change is visible in the cache (primary and
//!   indexes), in revision order, one notification at a time.
//! - The handlers' story is consistent: replaying their calls onto an empty map
//!   (add = insert, update = replace, delete = remove) yields the cache. After a
//!   relist (a watch answered Gone), the difference is told as synthetic events:
//!   objects gone from the list → `on_delete(last cached state)`, new ones →
//!   `on_add`, ones with another resourceVersion → `on_update(old, new)`.
//! - A relist builds new tables and index maps aside, then swaps them in shard
//!   by shard (each swap under that shard's write lock; old maps are freed after
//!   it is released); until the last swap a reader may see old and new shards.
//! - A closed watch resumes from the last revision applied, without a relist.
//! - `has_synced()` turns true when the first list is in the cache and stays true.
//!
//! **Driving.** [`SharedInformer::pump`] (or `pump_at_most(budget)`) applies
//! what is available now and never blocks (tests, the virtual-clock scheduler:
//! "nothing undelivered" is `pump() == 0 && !has_pending()`);
//! [`SharedInformer::run`] blocks a thread on the watch channel and a stop
//! channel. Nothing sleeps on the wall clock. The factory hands out one
//! informer per kind, and type-erased ([`AnyInformer`]) for a runtime to host.
//!
//! Layout: [`key`] (hashing, shard choice), `table` (the shard map: one cache
//! line per slot), [`index`] (index values → objects), [`cache`] (shards,
//! readers, the writer), [`reflector`] (the pure state machine), [`handler`],
//! [`shared`] (the informer shell), [`factory`].

pub mod cache;
pub mod factory;
pub mod handler;
pub mod index;
pub mod key;
pub mod reflector;
pub mod shared;
mod table;

#[cfg(test)]
mod tests;

pub use cache::{Cache, Replaced, Writer, DEFAULT_SHARDS};
pub use factory::{AnyInformer, SharedInformerFactory};
pub use handler::{EventHandler, FnHandler, Notification};
pub use index::{IndexFunc, NAMESPACE_INDEX, NODE_NAME_INDEX, OWNER_INDEX};
pub use reflector::State as ReflectorState;
pub use shared::{ListWatch, ReflectorStats, SharedInformer};

/// Errors of the informer layer (all are programming errors in the caller).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InformerError {
    #[error("index {index:?} registered after the informer started")]
    IndexAfterStart { index: String },
    #[error("index {index:?} is already registered")]
    DuplicateIndex { index: String },
    #[error("index with name {index:?} does not exist")]
    UnknownIndex { index: String },
    #[error("the {kind} cache already has its writer")]
    WriterTaken { kind: &'static str },
}

pub type Result<T, E = InformerError> = std::result::Result<T, E>;
