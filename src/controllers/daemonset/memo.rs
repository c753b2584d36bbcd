//! Per-DaemonSet incremental state: what each node contributes to the status, and which nodes changed since.
//!
//! A full sync visits every node (O(#nodes)); with thousands of nodes joining
//! one at a time, that makes a join cost O(#nodes). So a full sync also
//! records each node's contribution to the status ([`Summary`]), and the event
//! handlers [`mark`](Memos::mark) the nodes whose node or daemon pods changed
//! (a node added, a verdict moved, a pod of the DS added, updated or deleted
//! there). The next sync may then revisit only the marked nodes — when nothing
//! outside them can matter: the summary was built for the same uid,
//! generation, hash and template generation; no pod of the DS is out of date
//! (so a rolling-update step has nothing to do); `minReadySeconds` is 0 (so
//! availability does not change with time); no event asked for a full sync
//! (orphans, label changes, controller-reference changes). Otherwise the sync
//! is full and rebuilds the summary.
//!
//! Marks live apart from summaries: handlers only touch marks, and only the
//! sync of a key (never two at once) touches its summary. A sync takes the
//! marks first and reads caches after, so an event it misses is marked again
//! for the next sync; revisiting a node is idempotent.

use std::collections::{BTreeSet, HashMap};

use parking_lot::Mutex;

use super::util::StatusCounts;
use crate::workqueue::ItemId;

/// What a sync must revisit, collected by the event handlers.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// Revisit every node.
    pub full: bool,
    /// Revisit these nodes (names).
    pub nodes: BTreeSet<String>,
}

/// One node's share of the status, and whether it runs an out-of-date pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct NodeShare {
    pub counts: StatusCounts,
    pub outdated: bool,
}

/// What the last full sync (plus incremental ones since) found, per node.
///
/// Invariant: `totals` and `outdated` are the sums over `nodes`.
#[derive(Debug, Default)]
pub(super) struct Summary {
    pub uid: String,
    pub generation: i64,
    pub hash: String,
    pub template_generation: Option<i64>,
    nodes: HashMap<String, NodeShare>,
    pub totals: StatusCounts,
    /// Nodes running a pod that is not up to date.
    pub outdated: usize,
}

impl Summary {
    pub fn new(uid: &str, generation: i64, hash: &str, template_generation: Option<i64>) -> Self {
        Summary { uid: uid.to_string(), generation, hash: hash.to_string(), template_generation, ..Default::default() }
    }

    /// Replaces the node's share (`None`: the node is gone).
    pub fn set(&mut self, node: &str, share: Option<NodeShare>) {
        let old = match share {
            Some(s) => self.nodes.insert(node.to_string(), s),
            None => self.nodes.remove(node),
        };
        if let Some(o) = old {
            self.totals = self.totals.minus(&o.counts);
            self.outdated -= usize::from(o.outdated);
        }
        if let Some(s) = share {
            self.totals = self.totals.plus(&s.counts);
            self.outdated += usize::from(s.outdated);
        }
    }
}

/// Marks and summaries of every DaemonSet, by queue id.
#[derive(Debug, Default)]
pub(super) struct Memos {
    marks: Mutex<HashMap<ItemId, Marks>>,
    summaries: Mutex<HashMap<ItemId, Summary>>,
}

impl Memos {
    /// Node `node` of DS `id` changed.
    pub fn mark(&self, id: ItemId, node: &str) {
        let mut marks = self.marks.lock();
        let m = marks.entry(id).or_default();
        if !m.full {
            m.nodes.insert(node.to_string());
        }
    }

    /// The next sync of `id` must be full.
    pub fn mark_full(&self, id: ItemId) {
        let mut marks = self.marks.lock();
        let m = marks.entry(id).or_default();
        m.full = true;
        m.nodes.clear();
    }

    /// Takes the marks collected so far.
    pub fn take_marks(&self, id: ItemId) -> Marks {
        self.marks.lock().remove(&id).unwrap_or_default()
    }

    pub fn take_summary(&self, id: ItemId) -> Option<Summary> {
        self.summaries.lock().remove(&id)
    }

    pub fn put_summary(&self, id: ItemId, s: Summary) {
        self.summaries.lock().insert(id, s);
    }

    /// Forgets the DS (deleted).
    pub fn forget(&self, id: ItemId) {
        self.marks.lock().remove(&id);
        self.summaries.lock().remove(&id);
    }
}
