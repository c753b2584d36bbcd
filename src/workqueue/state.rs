//! The queue's state under its one lock: FIFO, dirty and processing flags, delays, metrics.

use std::collections::VecDeque;

use super::delay::{Armed, Delays};
use super::metrics::MetricState;
use super::{grown_len, ItemId, Notify, DIRTY, PROCESSING};
use crate::api::Time;
use crate::clock::Clock;

/// Invariants (checked by [`WorkQueue::check_invariants`](super::WorkQueue::check_invariants)):
/// * queue ⊆ dirty: every queued id has `DIRTY` set;
/// * queue ∩ processing = ∅: no queued id has `PROCESSING` set;
/// * the queue holds no duplicates; hence an id is queued iff it is dirty and
///   not processing (a dirty, processing id is re-queued by `done`);
/// * `dirty` / `processing` = number of ids with that flag;
/// * `metrics`' per-item arrays are at least `flags.len()` long.
pub(super) struct State {
    pub(super) queue: VecDeque<ItemId>,
    /// `DIRTY | PROCESSING` bits per id; ids beyond the end have neither.
    pub(super) flags: Vec<u8>,
    pub(super) dirty: usize,
    pub(super) processing: usize,
    pub(super) shutting_down: bool,
    /// A `shutdown_with_drain` is waiting for processing to empty.
    pub(super) drain: bool,
    pub(super) delays: Delays,
    /// `None` when metrics are off: then no operation reads the clock.
    pub(super) metrics: Option<MetricState>,
    pub(super) notify: Option<Notify>,
}

/// Whom to wake once the lock is released.
#[derive(Default)]
#[must_use]
pub(super) struct Wake {
    /// Items newly queued (one waiting worker each).
    pub(super) items: usize,
    /// The notify callback, when the queue went from empty to non-empty.
    pub(super) notify: Option<Notify>,
}

impl Wake {
    pub(super) fn merge(&mut self, other: Wake) {
        self.items += other.items;
        self.notify = self.notify.take().or(other.notify);
    }
}

/// The clock's time for metrics: read at most once, and only if needed.
pub(super) struct Stamp<'a> {
    clock: &'a dyn Clock,
    now: Option<Time>,
}

impl<'a> Stamp<'a> {
    pub(super) fn lazy(clock: &'a dyn Clock) -> Self {
        Stamp { clock, now: None }
    }
    /// A stamp already read.
    pub(super) fn at(clock: &'a dyn Clock, now: Time) -> Self {
        Stamp { clock, now: Some(now) }
    }
    /// Forgets the time read (after a wait, it is stale).
    pub(super) fn expire(&mut self) {
        self.now = None;
    }
    fn now(&mut self) -> Time {
        *self.now.get_or_insert_with(|| self.clock.now())
    }
}

impl State {
    /// An empty queue pre-sized for `capacity` ids.
    pub(super) fn new(capacity: usize, metrics: bool) -> Self {
        let flags_len = if capacity == 0 { 0 } else { grown_len(capacity - 1) };
        State {
            queue: VecDeque::with_capacity(capacity),
            flags: vec![0; flags_len],
            dirty: 0,
            processing: 0,
            shutting_down: false,
            drain: false,
            delays: Delays::default(),
            metrics: metrics.then(|| MetricState::new(flags_len)),
            notify: None,
        }
    }

    #[cold]
    pub(super) fn grow(&mut self, id: ItemId) {
        let n = grown_len(id as usize);
        self.flags.resize(n, 0);
        if let Some(m) = &mut self.metrics {
            m.grow(n);
        }
    }

    /// client-go's `Add`.
    #[inline]
    pub(super) fn add(&mut self, id: ItemId, stamp: &mut Stamp<'_>) -> Wake {
        if self.shutting_down {
            return Wake::default();
        }
        if id as usize >= self.flags.len() {
            self.grow(id);
        }
        let f = self.flags[id as usize];
        if f & DIRTY != 0 {
            return Wake::default();
        }
        self.flags[id as usize] = f | DIRTY;
        self.dirty += 1;
        if let Some(m) = &mut self.metrics {
            m.added(id, stamp.now());
        }
        if f & PROCESSING != 0 {
            return Wake::default(); // `finish` re-queues it
        }
        self.push(id)
    }

    #[inline]
    pub(super) fn push(&mut self, id: ItemId) -> Wake {
        let notify = if self.queue.is_empty() { self.notify.clone() } else { None };
        self.queue.push_back(id);
        Wake { items: 1, notify }
    }

    /// client-go's `Get` without the wait: hands out the head of the queue.
    #[inline]
    pub(super) fn pop(&mut self, stamp: &mut Stamp<'_>) -> Option<ItemId> {
        let id = self.queue.pop_front()?;
        // Queued ⇒ DIRTY and not PROCESSING: the new state is exactly PROCESSING.
        self.flags[id as usize] = PROCESSING;
        self.dirty -= 1;
        self.processing += 1;
        if let Some(m) = &mut self.metrics {
            m.got(id, stamp.now());
        }
        Some(id)
    }

    /// client-go's `Done`; a no-op for an id not being processed. Returns the
    /// wake-up for a re-queued item, and whether a drain may now return.
    #[inline]
    pub(super) fn finish(&mut self, id: ItemId, stamp: &mut Stamp<'_>) -> (Wake, bool) {
        let Some(f) = self.flags.get_mut(id as usize) else { return (Wake::default(), false) };
        if *f & PROCESSING == 0 {
            return (Wake::default(), false);
        }
        *f &= !PROCESSING;
        let dirty = *f & DIRTY != 0;
        self.processing -= 1;
        if let Some(m) = &mut self.metrics {
            m.done(id, stamp.now());
        }
        if dirty {
            (self.push(id), false)
        } else {
            (Wake::default(), self.processing == 0 && self.drain)
        }
    }

    /// Stops accepting items and forgets delayed ones; returns the timer to cancel.
    pub(super) fn begin_shutdown(&mut self, drain: bool) -> Option<Armed> {
        self.shutting_down = true;
        self.drain = drain;
        self.delays.clear()
    }
}
