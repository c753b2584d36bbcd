//! The delaying part of the queue: items waiting for a ready time, in a min-heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::ItemId;
use crate::api::Time;
use crate::clock::TimerId;

/// One heap entry: (ready time in ns, sequence, item). Ordered by time, then
/// by sequence, so items due at the same time leave in the order they came.
type Entry = Reverse<(i64, u64, ItemId)>;

/// Items waiting to be added, each at most once (client-go's `waitingForQueue`).
///
/// Invariants:
/// * an item waits iff `slots[id].seq != 0`; it then has exactly one live heap
///   entry, the one with `seq == slots[id].seq` (and `at == slots[id].at`);
///   every other entry for it is stale and skipped when it reaches the top;
/// * `live` = number of waiting items ≤ `heap.len()`.
#[derive(Debug, Default)]
pub(super) struct Delays {
    heap: BinaryHeap<Entry>,
    slots: Vec<Slot>,
    live: usize,
    /// Next sequence number; starts at 1 (0 marks "not waiting").
    next_seq: u64,
    /// The one clock timer armed for the earliest deadline: (due, timer, generation).
    pub(super) armed: Option<Armed>,
    /// Generation of the latest armed timer; a firing timer whose generation is
    /// older is stale (it was cancelled too late) and does not clear `armed`.
    pub(super) arm_generation: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    at: i64,
    seq: u64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Armed {
    pub(super) at: Time,
    pub(super) timer: TimerId,
    pub(super) generation: u64,
}

impl Delays {
    /// Makes `id` wait until `at`. If it already waits, only an earlier time
    /// replaces the existing one. Returns whether anything changed.
    pub(super) fn insert(&mut self, id: ItemId, at: Time) -> bool {
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize(super::grown_len(i), Slot::default());
        }
        let slot = &mut self.slots[i];
        if slot.seq != 0 && slot.at <= at.as_nanos() {
            return false;
        }
        if slot.seq == 0 {
            self.live += 1;
        }
        self.next_seq += 1;
        *slot = Slot { at: at.as_nanos(), seq: self.next_seq };
        self.heap.push(Reverse((at.as_nanos(), self.next_seq, id)));
        // Replaced entries stay behind as stale ones; keep them bounded.
        if self.heap.len() > 2 * self.live + 1024 {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, seq, id))| slots[*id as usize].seq == *seq);
        }
        true
    }

    /// Removes and returns the earliest waiting item if it is due by `now`.
    pub(super) fn pop_due(&mut self, now: Time) -> Option<ItemId> {
        while let Some(&Reverse((at, seq, id))) = self.heap.peek() {
            if at > now.as_nanos() {
                return None;
            }
            self.heap.pop();
            let slot = &mut self.slots[id as usize];
            if slot.seq == seq {
                slot.seq = 0;
                self.live -= 1;
                return Some(id);
            }
        }
        None
    }

    /// The earliest ready time of a waiting item (drops stale entries on top).
    pub(super) fn earliest(&mut self) -> Option<Time> {
        while let Some(&Reverse((at, seq, id))) = self.heap.peek() {
            if self.slots[id as usize].seq == seq {
                return Some(Time(at));
            }
            self.heap.pop();
        }
        None
    }

    /// Number of waiting items.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// Forgets every waiting item (shutdown); returns the armed timer to cancel.
    pub(super) fn clear(&mut self) -> Option<Armed> {
        self.heap.clear();
        self.slots.iter_mut().for_each(|s| s.seq = 0);
        self.live = 0;
        self.armed.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Time {
        Time(ms * 1_000_000)
    }

    #[test]
    fn only_an_earlier_time_replaces_a_waiting_one() {
        let mut d = Delays::default();
        assert!(d.insert(1, t(50)));
        assert!(!d.insert(1, t(70)));
        assert!(!d.insert(1, t(50)));
        assert!(d.insert(1, t(30)));
        assert_eq!(d.len(), 1);
        assert_eq!(d.earliest(), Some(t(30)));
        assert_eq!(d.pop_due(t(29)), None);
        assert_eq!(d.pop_due(t(30)), Some(1));
        assert_eq!(d.pop_due(t(100)), None, "the replaced entry is stale");
        assert_eq!(d.len(), 0);
        assert_eq!(d.earliest(), None);
    }

    #[test]
    fn equal_times_leave_in_insertion_order() {
        let mut d = Delays::default();
        for id in [5, 3, 9] {
            d.insert(id, t(10));
        }
        d.insert(1, t(5));
        let order: Vec<_> = std::iter::from_fn(|| d.pop_due(t(10))).collect();
        assert_eq!(order, vec![1, 5, 3, 9]);
    }

    #[test]
    fn stale_entries_stay_bounded() {
        let mut d = Delays::default();
        for k in (0..10_000).rev() {
            d.insert(7, t(k));
        }
        assert!(d.heap.len() <= 2 * d.len() + 1025);
        assert_eq!(d.earliest(), Some(t(0)));
    }
}
