//! The scheduler's node index: nodes in stable slots (the order the rotating sample walks), name → slot, usage per node.
//!
//! Invariants:
//! * `by_name[slots[i].name] == i` for every slot in use; free slots are in `free`
//!   and in no map entry.
//! * A slot is in use while its node exists (`fit` is `Some`) or pods are still
//!   counted on it (`used.requested.pods > 0`: pods bound to a node the
//!   scheduler has not seen, or whose node was deleted). A slot with neither is freed.
//! * `live` = number of slots whose node exists.
//!
//! Slot order depends only on the order of node events (a freed slot is reused
//! last-in first-out), so with a deterministic event order the scan order is too.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::FixedState;

use super::fit::{NodeFit, PodRequest, Usage};
use crate::api::Node;

#[derive(Debug)]
pub(crate) struct Slot {
    pub name: Arc<str>,
    /// The name's first 16 bytes, big-endian, zero-padded: orders like the name
    /// whenever two prefixes differ, without a trip to the heap.
    name_prefix: u128,
    /// `None`: the node does not exist (the slot only holds usage).
    pub fit: Option<NodeFit>,
    pub used: Usage,
}

#[derive(Debug, Default)]
pub(crate) struct NodeIndex {
    pub slots: Vec<Slot>,
    by_name: HashMap<Arc<str>, u32, FixedState>,
    free: Vec<u32>,
    live: usize,
    /// Where the next sampling scan starts (kube-scheduler's `nextStartNodeIndex`).
    pub next_start: usize,
}

impl NodeIndex {
    /// Nodes that exist.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Slot `a`'s node name sorts before slot `b`'s.
    pub fn name_lt(&self, a: u32, b: u32) -> bool {
        let (a, b) = (&self.slots[a as usize], &self.slots[b as usize]);
        match a.name_prefix.cmp(&b.name_prefix) {
            std::cmp::Ordering::Equal => a.name < b.name,
            o => o.is_lt(),
        }
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    fn slot_for(&mut self, name: &str) -> u32 {
        if let Some(i) = self.get(name) {
            return i;
        }
        let name: Arc<str> = Arc::from(name);
        let mut prefix = [0u8; 16];
        let n = name.len().min(16);
        prefix[..n].copy_from_slice(&name.as_bytes()[..n]);
        let slot = Slot {
            name: Arc::clone(&name),
            name_prefix: u128::from_be_bytes(prefix),
            fit: None,
            used: Usage::default(),
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 nodes")
            }
        };
        self.by_name.insert(name, i);
        i
    }

    /// Adds or replaces a node. True when parked pods may now fit: the node is new,
    /// or something the filters read changed.
    pub fn upsert(&mut self, node: Arc<Node>) -> bool {
        let i = self.slot_for(&node.metadata.name) as usize;
        let fit = NodeFit::new(node);
        let retry = match &self.slots[i].fit {
            None => {
                self.live += 1;
                true
            }
            Some(old) => fit.may_admit_more_than(old),
        };
        self.slots[i].fit = Some(fit);
        retry
    }

    pub fn remove(&mut self, name: &str) {
        let Some(i) = self.get(name) else { return };
        if self.slots[i as usize].fit.take().is_some() {
            self.live -= 1;
        }
        self.release_if_unused(i);
    }

    /// Counts a pod on node `name` (creating a usage-only slot if the node is unknown).
    pub fn add_usage(&mut self, name: &str, r: &PodRequest) -> u32 {
        let i = self.slot_for(name);
        self.slots[i as usize].used.add(r);
        i
    }

    pub fn sub_usage(&mut self, i: u32, r: &PodRequest) {
        self.slots[i as usize].used.sub(r);
        self.release_if_unused(i);
    }

    fn release_if_unused(&mut self, i: u32) {
        let s = &self.slots[i as usize];
        if s.fit.is_none() && s.used.is_empty() {
            self.by_name.remove(&s.name);
            self.free.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ObjectMeta;

    fn node(name: &str) -> Arc<Node> {
        Arc::new(Node { metadata: ObjectMeta::named("", name), ..Default::default() })
    }

    #[test]
    fn slots_outlive_their_node_while_pods_are_counted_and_are_reused() {
        let mut ix = NodeIndex::default();
        assert!(ix.upsert(node("a")));
        assert!(!ix.upsert(node("a")), "an identical update admits nothing new");
        let r = PodRequest { cpu: 100, ..Default::default() };
        let a = ix.add_usage("a", &r);
        let ghost = ix.add_usage("ghost", &r);
        assert_eq!((ix.live(), ix.slots.len()), (1, 2));
        ix.remove("a");
        assert_eq!(ix.get("a"), Some(a), "usage keeps the slot");
        ix.sub_usage(a, &r);
        assert_eq!(ix.get("a"), None);
        assert!(ix.upsert(node("b")));
        assert_eq!(ix.get("b"), Some(a), "freed slot reused");
        assert!(ix.name_lt(a, ghost) && !ix.name_lt(ghost, a), "\"b\" < \"ghost\"");
        ix.sub_usage(ghost, &r);
        assert_eq!(ix.get("ghost"), None);
        assert_eq!(ix.live(), 1);
        for (x, y) in [("node-0000000000001", "node-0000000000002"), ("a", "a-"), ("node-9", "node-10")] {
            let (i, j) = (ix.upsert(node(x)), ix.upsert(node(y)));
            assert!(i && j);
            let (i, j) = (ix.get(x).unwrap(), ix.get(y).unwrap());
            assert_eq!(ix.name_lt(i, j), x < y, "{x} < {y}");
            assert_eq!(ix.name_lt(j, i), y < x, "{y} < {x}");
        }
    }
}
