//! Watch streams: typed per-kind events, and a type-erased tap of every write.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crossbeam_channel::{Receiver, RecvError, TryIter, TryRecvError};

use crate::api::{Kind, ObjectMeta, Resource, Time};

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// `ADDED`, `MODIFIED`, `DELETED`, as in a Kubernetes watch stream.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One write of kind `T`. `object` is the stored `Arc` itself (no copy).
///
/// For `Deleted`, `object` is the last stored state (its resourceVersion is the
/// one it was stored with) and `revision` is the deletion's own revision.
#[derive(Debug)]
pub struct WatchEvent<T> {
    pub type_: EventType,
    pub object: Arc<T>,
    pub revision: u64,
}

impl<T> Clone for WatchEvent<T> {
    fn clone(&self) -> Self {
        WatchEvent { type_: self.type_, object: Arc::clone(&self.object), revision: self.revision }
    }
}

/// A watch on one kind: every event with a revision above the one it started
/// from, in revision order, with no gap and no duplicate.
///
/// The channel is unbounded (a watcher that stops reading grows memory rather
/// than stalling writers). It disconnects when the store closes the kind's
/// watches ([`Store::close_watches`](super::Store::close_watches)); re-watch from
/// the last revision seen. Dropping the `Watch` unsubscribes (the store drops its
/// sender at the kind's next write).
#[derive(Debug)]
pub struct Watch<T> {
    rx: Receiver<WatchEvent<T>>,
}

impl<T> Watch<T> {
    pub(crate) fn new(rx: Receiver<WatchEvent<T>>) -> Self {
        Watch { rx }
    }
    /// Blocks until the next event; `Err` once the watch is closed and drained.
    pub fn recv(&self) -> Result<WatchEvent<T>, RecvError> {
        self.rx.recv()
    }
    /// The next event if one is queued.
    pub fn try_recv(&self) -> Result<WatchEvent<T>, TryRecvError> {
        self.rx.try_recv()
    }
    /// Every event queued now.
    pub fn try_iter(&self) -> TryIter<'_, WatchEvent<T>> {
        self.rx.try_iter()
    }
    /// The channel, for `crossbeam_channel::select!`.
    pub fn receiver(&self) -> &Receiver<WatchEvent<T>> {
        &self.rx
    }
    pub fn into_receiver(self) -> Receiver<WatchEvent<T>> {
        self.rx
    }
    /// Events queued and not yet received.
    pub fn len(&self) -> usize {
        self.rx.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }
}

/// Any stored object, type-erased (for event logs, auditors and `state.json`).
pub trait AnyResource: Send + Sync + fmt::Debug {
    fn kind(&self) -> Kind;
    fn meta(&self) -> &ObjectMeta;
    /// Kubernetes' JSON shape (`apiVersion`, `kind`, `metadata`, `spec`, `status`).
    fn to_json(&self) -> serde_json::Value;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Resource> AnyResource for T {
    fn kind(&self) -> Kind {
        T::KIND
    }
    fn meta(&self) -> &ObjectMeta {
        Resource::meta(self)
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One write of any kind, from [`Store::subscribe_all`](super::Store::subscribe_all).
#[derive(Clone, Debug)]
pub struct AnyEvent {
    pub revision: u64,
    /// The clock's time when the write was committed.
    pub time: Time,
    pub type_: EventType,
    pub kind: Kind,
    /// The same allocation the store holds (for `Deleted`: the last stored state).
    pub object: Arc<dyn AnyResource>,
}

impl AnyEvent {
    /// An `events.jsonl` line: `{"rv":…,"t_ns":…,"type":…,"object":{…}}`, with
    /// `t_ns` counted from `start`.
    pub fn to_json_line(&self, start: Time) -> serde_json::Value {
        serde_json::json!({
            "rv": self.revision,
            "t_ns": self.time.as_nanos() - start.as_nanos(),
            "type": self.type_.as_str(),
            "object": self.object.to_json(),
        })
    }
}
