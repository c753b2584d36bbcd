//! The GC's dependency graph (`GraphBuilder`'s `uidToNode`): every object of every
//! watched kind by uid with its owner references, the reverse edges (owner uid →
//! dependent uids, also for owners never observed), and the absent-owner cache.
//!
//! Informer handlers call [`Graph::observe`] / [`Graph::forget`]; each returns the
//! uids the GC must look at because of the change, in a deterministic order.
//! Invariant: `dependents[o]` holds `d` iff node `d` is observed and one of its
//! owner references has uid `o`.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use super::util::{blocks, deleting_dependents, orphaning, DependentsFacts};
use crate::api::{Kind, ObjectMeta, OwnerReference};

/// One observed object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub owners: Vec<OwnerReference>,
    pub being_deleted: bool,
    /// Being deleted in the foreground (`foregroundDeletion`).
    pub deleting_dependents: bool,
    /// Being deleted with the `orphan` finalizer.
    pub orphaning: bool,
}

impl Node {
    fn of(kind: Kind, m: &ObjectMeta) -> Node {
        Node {
            kind,
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            owners: m.owner_references.clone(),
            being_deleted: m.deletion_timestamp.is_some(),
            deleting_dependents: deleting_dependents(m),
            orphaning: orphaning(m),
        }
    }

    /// Being deleted and waiting for nothing the GC does (a plain or graceful deletion).
    pub fn deletion_in_progress(&self) -> bool {
        self.being_deleted && !self.deleting_dependents && !self.orphaning
    }
}

/// Uids of owners known to be gone, oldest forgotten first past the capacity.
#[derive(Debug)]
struct AbsentCache {
    set: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl AbsentCache {
    fn insert(&mut self, uid: &str) {
        if self.capacity == 0 || !self.set.insert(uid.to_string()) {
            return;
        }
        self.order.push_back(uid.to_string());
        if self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct Graph {
    nodes: HashMap<String, Node>,
    /// Owner uid → uids of observed dependents referencing it.
    dependents: HashMap<String, BTreeSet<String>>,
    absent: AbsentCache,
}

impl Graph {
    /// An empty graph remembering up to `absent_capacity` absent owners.
    pub fn new(absent_capacity: usize) -> Graph {
        Graph {
            nodes: HashMap::new(),
            dependents: HashMap::new(),
            absent: AbsentCache { set: HashSet::new(), order: VecDeque::new(), capacity: absent_capacity },
        }
    }

    pub fn node(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn is_absent(&self, uid: &str) -> bool {
        self.absent.set.contains(uid)
    }

    /// Whether any of `keys` is remembered absent.
    pub fn is_absent_any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.absent.set.contains(*k))
    }

    /// Remembers that `key` is absent: a uid seen deleted, or an owner reference whose lookup failed.
    pub fn mark_absent(&mut self, key: &str) {
        self.absent.insert(key);
    }

    /// Uids of the observed dependents of `owner`, sorted.
    pub fn dependents_of(&self, owner: &str) -> Vec<String> {
        self.dependents.get(owner).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// The observed dependents of `owner` with their nodes, sorted by uid.
    pub fn dependent_nodes(&self, owner: &str) -> Vec<(String, Node)> {
        let Some(deps) = self.dependents.get(owner) else { return Vec::new() };
        deps.iter().filter_map(|d| self.nodes.get(d).map(|n| (d.clone(), n.clone()))).collect()
    }

    /// Dependents of `owner` whose reference to it has `blockOwnerDeletion: true`,
    /// with whether each is deleting its own dependents; sorted by uid.
    pub fn blocking_dependents(&self, owner: &str) -> Vec<(String, &Node)> {
        let Some(deps) = self.dependents.get(owner) else { return Vec::new() };
        deps.iter()
            .filter_map(|d| self.nodes.get(d).map(|n| (d.clone(), n)))
            .filter(|(_, n)| blocks(&n.owners, owner))
            .collect()
    }

    /// What `uid`'s own dependents say about it.
    pub fn facts(&self, uid: &str) -> DependentsFacts {
        let Some(deps) = self.dependents.get(uid) else { return DependentsFacts::default() };
        DependentsFacts {
            has_dependents: !deps.is_empty(),
            a_dependent_is_deleting_dependents: deps
                .iter()
                .any(|d| self.nodes.get(d).is_some_and(|n| n.deleting_dependents)),
        }
    }

    /// An object of `kind` was added or changed. Returns the uids to look at:
    /// * the object itself, when its references changed and one names an owner not
    ///   observed (possibly absent), observed under another identity or scope
    ///   (`OwnerRefInvalidNamespace` upstream), or waiting for its dependents;
    /// * the object, when it entered orphaning; the object and all its dependents,
    ///   when it entered foreground deletion;
    /// * owners in foreground deletion that it stopped blocking (reference removed
    ///   or `blockOwnerDeletion` cleared).
    ///
    /// A change that touches neither the references nor the deletion state (most
    /// status updates) costs one lookup and no allocation.
    pub fn observe(&mut self, kind: Kind, m: &ObjectMeta) -> Vec<String> {
        let uid = m.uid.as_str();
        if let Some(old) = self.nodes.get(uid) {
            let same = old.owners == m.owner_references
                && old.being_deleted == m.deletion_timestamp.is_some()
                && old.deleting_dependents == deleting_dependents(m)
                && old.orphaning == orphaning(m);
            if same && old.kind == kind && old.name == m.name && old.namespace == m.namespace {
                return Vec::new();
            }
        }
        let new = Node::of(kind, m);
        let mut out = Vec::new();
        let old = self.nodes.remove(uid);
        let old_refs: &[OwnerReference] = old.as_ref().map_or(&[], |o| &o.owners);
        for r in old_refs {
            let kept = new.owners.iter().find(|n| n.uid == r.uid);
            if kept.is_none() {
                self.unlink(&r.uid, uid);
            }
            let unblocked =
                r.block_owner_deletion == Some(true) && kept.is_none_or(|k| k.block_owner_deletion != Some(true));
            if unblocked && self.nodes.get(&r.uid).is_some_and(|o| o.deleting_dependents) {
                out.push(r.uid.clone());
            }
        }
        for r in &new.owners {
            if !old_refs.iter().any(|o| o.uid == r.uid) {
                self.dependents.entry(r.uid.clone()).or_default().insert(uid.to_string());
            }
        }
        let refs_changed = old.as_ref().is_none_or(|o| o.owners != new.owners);
        if refs_changed && new.owners.iter().any(|r| self.needs_a_look(r, &new.namespace)) {
            out.push(uid.to_string());
        }
        let was = |f: fn(&Node) -> bool| old.as_ref().is_some_and(f);
        if new.orphaning && !was(|o| o.orphaning) {
            out.push(uid.to_string());
        }
        let entered_foreground = new.deleting_dependents && !was(|o| o.deleting_dependents);
        self.nodes.insert(uid.to_string(), new);
        if entered_foreground {
            out.push(uid.to_string());
            out.extend(self.dependents_of(uid));
        }
        dedup_keep_order(out)
    }

    /// Whether the owner `r` of a dependent in `namespace` may be absent or is waiting:
    /// not observed, observed with another kind, name or an out-of-scope namespace, or in foreground deletion.
    fn needs_a_look(&self, r: &OwnerReference, namespace: &str) -> bool {
        let Some(o) = self.nodes.get(&r.uid) else { return true };
        let in_scope = !o.kind.is_namespaced() || (!namespace.is_empty() && o.namespace == namespace);
        o.deleting_dependents || !in_scope || o.kind.as_str() != r.kind || o.name != r.name
    }

    /// An object was deleted. Returns the uids to look at: its dependents (their
    /// reference now dangles) and its owners in foreground deletion. An object
    /// with dependents is remembered as absent.
    pub fn forget(&mut self, m: &ObjectMeta) -> Vec<String> {
        let uid = m.uid.as_str();
        let owners = match self.nodes.remove(uid) {
            Some(n) => n.owners,
            None => m.owner_references.clone(),
        };
        let mut out = Vec::new();
        for r in &owners {
            self.unlink(&r.uid, uid);
            if self.nodes.get(&r.uid).is_some_and(|o| o.deleting_dependents) {
                out.push(r.uid.clone());
            }
        }
        let dependents = self.dependents_of(uid);
        if !dependents.is_empty() {
            self.absent.insert(uid); // an owner: its dependents will ask (pods alone would flush the cache)
        }
        out.extend(dependents);
        dedup_keep_order(out)
    }

    fn unlink(&mut self, owner: &str, dependent: &str) {
        if let Some(set) = self.dependents.get_mut(owner) {
            set.remove(dependent);
            if set.is_empty() {
                self.dependents.remove(owner);
            }
        }
    }
}

fn dedup_keep_order(v: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    v.into_iter().filter(|u| seen.insert(u.clone())).collect()
}
