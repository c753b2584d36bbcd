//! The garbage collector's decisions as pure functions (SEMANTICS §10.a): where an
//! owner is looked up, how an owner reference stands, and what to do with an
//! object — orphan its dependents, finish a foreground deletion, or keep,
//! trim or delete it as a dependent (`attemptToDeleteItem`).

use crate::api::{Kind, ObjectMeta, OwnerReference};
use crate::store::{Propagation, FINALIZER_FOREGROUND, FINALIZER_ORPHAN};

/// How many absent owner uids the GC remembers (`absentOwnerCache`, an LRU of 500 upstream).
pub const ABSENT_OWNER_CACHE_SIZE: usize = 500;

/// Where the owner an owner reference names can live, seen from its dependent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerLocation {
    /// Look it up under this kind in this namespace (`""` for cluster-scoped kinds).
    At { kind: Kind, namespace: String },
    /// A namespaced owner of a cluster-scoped dependent: invalid, treated as absent
    /// (Warning `OwnerRefInvalidNamespace`).
    InvalidNamespace,
    /// A kind kwarp does not serve: the reference cannot be resolved (upstream: a
    /// REST-mapping error, retried).
    UnknownKind,
}

/// Where to look for the owner `r` of a dependent in `dependent_namespace` (`""`: cluster-scoped).
/// An owner reference has no namespace: a namespaced owner lives in its dependent's namespace.
pub fn owner_location(dependent_namespace: &str, r: &OwnerReference) -> OwnerLocation {
    let Some(kind) = Kind::from_name(&r.kind) else { return OwnerLocation::UnknownKind };
    if !kind.is_namespaced() {
        return OwnerLocation::At { kind, namespace: String::new() };
    }
    if dependent_namespace.is_empty() {
        return OwnerLocation::InvalidNamespace;
    }
    OwnerLocation::At { kind, namespace: dependent_namespace.to_string() }
}

/// How one owner reference stands (`classifyReferences`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerStatus {
    /// The owner is not found, or found with another uid (a same-name successor is not the owner).
    Dangling,
    /// The owner exists, is being deleted and carries `foregroundDeletion`.
    WaitingForDependentsDeletion,
    /// The owner exists and is not waiting for its dependents.
    Solid,
}

/// Classifies `r` given the owner found at its location (`None`: not found).
pub fn classify_owner(r: &OwnerReference, found: Option<&ObjectMeta>) -> OwnerStatus {
    match found {
        None => OwnerStatus::Dangling,
        Some(owner) if owner.uid != r.uid => OwnerStatus::Dangling,
        Some(owner) if deleting_dependents(owner) => OwnerStatus::WaitingForDependentsDeletion,
        Some(_) => OwnerStatus::Solid,
    }
}

/// Being deleted and carrying `foregroundDeletion`: waiting for its blocking dependents.
pub fn deleting_dependents(m: &ObjectMeta) -> bool {
    m.deletion_timestamp.is_some() && has_finalizer(m, FINALIZER_FOREGROUND)
}

/// Being deleted and carrying `orphan`: its dependents must drop their references first.
pub fn orphaning(m: &ObjectMeta) -> bool {
    m.deletion_timestamp.is_some() && has_finalizer(m, FINALIZER_ORPHAN)
}

pub fn has_finalizer(m: &ObjectMeta, f: &str) -> bool {
    m.finalizers.iter().any(|x| x == f)
}

/// What the GC does with an object it looks at, before looking at its owners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemPlan {
    /// Remove its uid from every dependent's owner references, then the `orphan` finalizer.
    OrphanDependents,
    /// Foreground deletion in progress: delete dependents, drop `foregroundDeletion` once no blocking one is left.
    FinishForeground,
    /// Being deleted otherwise, or owned by no one: nothing to do.
    Nothing,
    /// A dependent: classify its owners and [`decide_dependent`].
    CheckOwners,
}

/// The first step of a sync of an object (the latest copy, read live).
pub fn plan_item(m: &ObjectMeta) -> ItemPlan {
    if orphaning(m) {
        ItemPlan::OrphanDependents
    } else if deleting_dependents(m) {
        ItemPlan::FinishForeground
    } else if m.deletion_timestamp.is_some() || m.owner_references.is_empty() {
        ItemPlan::Nothing
    } else {
        ItemPlan::CheckOwners
    }
}

/// What happens to a dependent once its owners are classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DependentAction {
    /// A solid owner and nothing to trim.
    Keep,
    /// A solid owner remains: remove the references to these owner uids (dangling and waiting).
    RemoveReferences(Vec<String>),
    /// No solid owner: delete it with `propagation`; with `unblock_first`, first set
    /// `blockOwnerDeletion: false` on its own references (breaks a foreground cycle).
    Delete { propagation: Propagation, unblock_first: bool },
}

/// The dependent's side of the graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DependentsFacts {
    /// It owns something itself.
    pub has_dependents: bool,
    /// One of its own dependents is waiting for its dependents (foreground) too.
    pub a_dependent_is_deleting_dependents: bool,
}

/// `attemptToDeleteItem` past its early returns: `owners[i]` classifies `m.owner_references[i]`.
///
/// * ≥ 1 solid owner → keep; remove the dangling and waiting references if any;
/// * no solid owner, some waiting, and dependents of its own → delete it in the
///   foreground (so its owner keeps waiting for its subtree), unblocking first
///   when one of its dependents is in foreground deletion too;
/// * otherwise delete it as its own finalizers say: `orphan` → Orphan,
///   `foregroundDeletion` → Foreground, none → Background.
pub fn decide_dependent(m: &ObjectMeta, owners: &[OwnerStatus], deps: DependentsFacts) -> DependentAction {
    debug_assert_eq!(owners.len(), m.owner_references.len());
    let solid = owners.contains(&OwnerStatus::Solid);
    if solid {
        let trim: Vec<String> = m
            .owner_references
            .iter()
            .zip(owners)
            .filter(|(_, s)| **s != OwnerStatus::Solid)
            .map(|(r, _)| r.uid.clone())
            .collect();
        return if trim.is_empty() { DependentAction::Keep } else { DependentAction::RemoveReferences(trim) };
    }
    let waiting = owners.contains(&OwnerStatus::WaitingForDependentsDeletion);
    if waiting && deps.has_dependents {
        return DependentAction::Delete {
            propagation: Propagation::Foreground,
            unblock_first: deps.a_dependent_is_deleting_dependents,
        };
    }
    DependentAction::Delete { propagation: propagation_for(m), unblock_first: false }
}

/// The policy a GC deletion uses when no owner waits: the object's own GC finalizer, else Background.
pub fn propagation_for(m: &ObjectMeta) -> Propagation {
    if has_finalizer(m, FINALIZER_ORPHAN) {
        Propagation::Orphan
    } else if has_finalizer(m, FINALIZER_FOREGROUND) {
        Propagation::Foreground
    } else {
        Propagation::Background
    }
}

/// Whether `dependent` blocks the deletion of the owner with `owner_uid`
/// (its reference to it has `blockOwnerDeletion: true`).
pub fn blocks(dependent_refs: &[OwnerReference], owner_uid: &str) -> bool {
    dependent_refs.iter().any(|r| r.uid == owner_uid && r.block_owner_deletion == Some(true))
}

/// What an owner in foreground deletion does next (`processDeletingDependentsItem`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForegroundStep {
    /// No blocking dependent left: remove `foregroundDeletion` (the owner then goes).
    RemoveFinalizer,
    /// Wait; these blocking dependents (uids) must be looked at (deleted) — the ones
    /// not themselves waiting for their own dependents.
    Wait { attempt: Vec<String> },
}

/// `blocking` lists each blocking dependent's uid and whether it is deleting its own dependents.
pub fn foreground_step(blocking: &[(String, bool)]) -> ForegroundStep {
    if blocking.is_empty() {
        return ForegroundStep::RemoveFinalizer;
    }
    ForegroundStep::Wait {
        attempt: blocking.iter().filter(|(_, deleting)| !deleting).map(|(uid, _)| uid.clone()).collect(),
    }
}

/// `refs` without the references to any of `uids`.
pub fn without_references(refs: &[OwnerReference], uids: &[String]) -> Vec<OwnerReference> {
    refs.iter().filter(|r| !uids.contains(&r.uid)).cloned().collect()
}

/// `refs` with `blockOwnerDeletion` cleared where it was true (`unblockOwnerReferences`).
pub fn unblocked(refs: &[OwnerReference]) -> Vec<OwnerReference> {
    refs.iter()
        .cloned()
        .map(|mut r| {
            if r.block_owner_deletion == Some(true) {
                r.block_owner_deletion = Some(false);
            }
            r
        })
        .collect()
}

/// `finalizers` without `f`.
pub fn without_finalizer(finalizers: &[String], f: &str) -> Vec<String> {
    finalizers.iter().filter(|x| *x != f).cloned().collect()
}
