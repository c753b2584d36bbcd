//! ControllerRevision history (SEMANTICS §9, `pkg/controller/history`), generic over the owner (StatefulSet, DaemonSet).
//!
//! A revision is an immutable snapshot of an owner's pod template: `data` is
//! a JSON patch the caller builds (for a StatefulSet `{"spec":{"template":{…,
//! "$patch":"replace"}}}`), `revision` a number that only grows. Revisions are
//! named `<owner>-<hash>` where the hash covers the data (+ collision count).
//!
//! * Pure rules, table-tested: [`revision_name`], [`hash_revision`],
//!   [`new_revision`], [`sort_revisions`], [`equal_revision`],
//!   [`find_equal_revisions`], [`next_revision`], [`plan_update_revision`]
//!   (reuse / renumber / create, the core of `getStatefulSetRevisions`) and
//!   [`revisions_to_truncate`].
//! * Listing reads the informer cache through two indexes: the built-in
//!   controller-owner index (revisions the owner controls) and
//!   [`ORPHAN_REVISION_INDEX`] (revisions without a controller, by namespace),
//!   so a sync never scans the namespace. [`claim_revisions`] adopts selected
//!   orphans and releases unselected owned revisions through
//!   [`ControllerRefManager`].
//! * Writes go through the [`ApiClient`]: [`create_revision`] (name collisions
//!   bump the caller's collision count), [`update_revision_number`] (no write
//!   when unchanged), deletions by the caller.

use std::collections::HashSet;
use std::sync::Arc;

use super::claim::ControllerRefManager;
use super::client::ApiClient;
use super::pod_control::controller_ref;
use super::ReconcileError;
use crate::api::hash::hash_bytes;
use crate::api::{ControllerRevision, Kind, ObjectMeta, Selector, StringMap};
use crate::informer::{Cache, SharedInformer};
use crate::store::{DeleteOptions, StoreError};

/// Label holding a revision's hash (`ControllerRevisionHashLabel`).
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// ControllerRevision index: the namespace of every revision without a controller.
pub const ORPHAN_REVISION_INDEX: &str = "kwarp.io/orphan-revisions-by-namespace";

/// Longest owner-name prefix kept in a revision name (`ControllerRevisionName`).
pub const MAX_PREFIX_LEN: usize = 223;

/// `ControllerRevisionName(prefix, hash)`: `prefix[..223] + "-" + hash`.
pub fn revision_name(prefix: &str, hash: &str) -> String {
    let mut end = prefix.len().min(MAX_PREFIX_LEN);
    while !prefix.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}-{hash}", &prefix[..end])
}

/// The bytes a revision's data is stored and compared as (canonical JSON: object keys sorted).
pub fn data_bytes(data: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(data).expect("a JSON value always serializes")
}

/// `HashControllerRevision`: 32-bit FNV over the data bytes (+ the collision
/// count as decimal text), safe-encoded (SEMANTICS §9.b; kwarp uses FNV-1a,
/// so values differ from upstream, the format does not).
pub fn hash_revision(data: &serde_json::Value, collision_count: Option<i32>) -> String {
    hash_bytes(&data_bytes(data), collision_count)
}

/// `NewControllerRevision`: a revision of `owner` (a `kind`) with `data` and
/// number `revision`, labelled with `template_labels` plus the hash label,
/// controlled by the owner, named `<owner>-<hash>`.
pub fn new_revision(
    owner: &ObjectMeta,
    kind: Kind,
    template_labels: &StringMap,
    data: serde_json::Value,
    revision: i64,
    collision_count: Option<i32>,
) -> ControllerRevision {
    let hash = hash_revision(&data, collision_count);
    let mut metadata = ObjectMeta::named(owner.namespace.clone(), revision_name(&owner.name, &hash));
    metadata.labels.clone_from(template_labels);
    metadata.labels.insert(HASH_LABEL.to_string(), hash);
    metadata.owner_references.push(controller_ref(owner, kind));
    ControllerRevision { metadata, data, revision }
}

/// `SortControllerRevisions`: revision ascending, then older creation first, then name.
pub fn sort_revisions<R: AsRef<ControllerRevision>>(revisions: &mut [R]) {
    revisions.sort_by(|a, b| {
        let (a, b) = (a.as_ref(), b.as_ref());
        (a.revision, a.metadata.creation_timestamp, &a.metadata.name).cmp(&(
            b.revision,
            b.metadata.creation_timestamp,
            &b.metadata.name,
        ))
    });
}

/// The hash label read as Go's `strconv.ParseInt(s, 10, 32)` would (`None` when absent or unparsable).
fn parsed_hash(rev: &ControllerRevision) -> Option<i32> {
    rev.metadata.labels.get(HASH_LABEL).and_then(|s| s.parse::<i32>().ok())
}

/// `EqualRevision`: false when both carry a parsable hash label and the labels
/// differ; otherwise equal iff the data are equal.
pub fn equal_revision(a: &ControllerRevision, b: &ControllerRevision) -> bool {
    if let (Some(x), Some(y)) = (parsed_hash(a), parsed_hash(b)) {
        if x != y {
            return false;
        }
    }
    a.data == b.data
}

/// `FindEqualRevisions`: the revisions equal to `needle`, in the given order.
pub fn find_equal_revisions<R: AsRef<ControllerRevision> + Clone>(
    revisions: &[R],
    needle: &ControllerRevision,
) -> Vec<R> {
    revisions.iter().filter(|r| equal_revision(r.as_ref(), needle)).cloned().collect()
}

/// `nextRevision`: one more than the last of the **sorted** `revisions`, or 1 for none.
pub fn next_revision<R: AsRef<ControllerRevision>>(revisions: &[R]) -> i64 {
    revisions.last().map_or(1, |r| r.as_ref().revision + 1)
}

/// What becomes of the candidate update revision (`getStatefulSetRevisions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdatePlan {
    /// The newest revision (this index) already has the candidate's data: it is the update revision.
    Latest(usize),
    /// An older revision (this index) has the data: raise its number to the candidate's (a rollback).
    Renumber(usize, i64),
    /// No revision has the data: create the candidate.
    Create,
}

/// Decides how the update revision is found, given the **sorted** revisions
/// and the candidate built with number [`next_revision`]. Among several equal
/// revisions the newest is used.
pub fn plan_update_revision<R: AsRef<ControllerRevision>>(
    revisions: &[R],
    candidate: &ControllerRevision,
) -> UpdatePlan {
    let Some(equal) = revisions.iter().rposition(|r| equal_revision(r.as_ref(), candidate)) else {
        return UpdatePlan::Create;
    };
    let last = revisions.len() - 1;
    if equal_revision(revisions[last].as_ref(), revisions[equal].as_ref()) {
        UpdatePlan::Latest(last)
    } else {
        UpdatePlan::Renumber(equal, candidate.revision)
    }
}

/// `truncateHistory`: of the **sorted** revisions, those to delete — the oldest
/// non-live ones beyond `limit` non-live revisions. Live: named in `live` (the
/// current and update revisions, and every revision a pod carries).
pub fn revisions_to_truncate<'r, R: AsRef<ControllerRevision>>(
    revisions: &'r [R],
    live: &HashSet<&str>,
    limit: i32,
) -> Vec<&'r R> {
    let history: Vec<&R> = revisions.iter().filter(|r| !live.contains(r.as_ref().metadata.name.as_str())).collect();
    let limit = usize::try_from(limit).unwrap_or(0);
    let excess = history.len().saturating_sub(limit);
    history.into_iter().take(excess).collect()
}

/// Registers [`ORPHAN_REVISION_INDEX`] on the ControllerRevision informer
/// (before it starts; already registered is fine).
pub fn register_orphan_index(informer: &SharedInformer<ControllerRevision>) {
    let _ = informer.add_index(ORPHAN_REVISION_INDEX, |r: &ControllerRevision| match r.metadata.controller_ref() {
        None if !r.metadata.namespace.is_empty() => vec![r.metadata.namespace.clone()],
        _ => Vec::new(),
    });
}

/// `ListControllerRevisions` from the cache: revisions `owner` controls, plus
/// orphans of its namespace, that `selector` selects, in name order.
pub fn list_revisions(
    cache: &Cache<ControllerRevision>,
    owner: &ObjectMeta,
    selector: &Selector,
) -> Vec<Arc<ControllerRevision>> {
    let mut out: Vec<Arc<ControllerRevision>> =
        owned_and_orphans(cache, owner).into_iter().filter(|r| selector.matches(&r.metadata.labels)).collect();
    out.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    out
}

fn owned_and_orphans(cache: &Cache<ControllerRevision>, owner: &ObjectMeta) -> Vec<Arc<ControllerRevision>> {
    let mut all = cache.by_owner(&owner.uid);
    match cache.try_by_index(ORPHAN_REVISION_INDEX, &owner.namespace) {
        Ok(orphans) => all.extend(orphans),
        Err(_) => all
            .extend(cache.by_namespace(&owner.namespace).into_iter().filter(|r| r.metadata.controller_ref().is_none())),
    }
    all
}

/// `ClaimControllerRevisions`: the revisions `owner` (a `kind`) ends up
/// controlling — kept, then adopted orphans — releasing the ones it controls
/// but no longer selects. `recheck` is asked once, before the first adoption.
pub fn claim_revisions<C: ApiClient>(
    client: &C,
    cache: &Cache<ControllerRevision>,
    owner: &ObjectMeta,
    kind: Kind,
    selector: &Selector,
    recheck: impl FnMut() -> Result<(), String>,
) -> Result<Vec<Arc<ControllerRevision>>, ReconcileError> {
    let candidates = owned_and_orphans(cache, owner);
    let selected = |r: &ControllerRevision| selector.matches(&r.metadata.labels);
    if candidates.iter().all(|r| r.metadata.controller_ref().is_some() && selected(r)) {
        return Ok(candidates); // nothing to adopt or release: no writes
    }
    let mut manager = ControllerRefManager::new(client, owner, kind, recheck);
    let (claimed, errors) = manager.claim(candidates, selected);
    match ReconcileError::aggregate(errors) {
        Some(e) => Err(e),
        None => Ok(claimed),
    }
}

/// `CreateControllerRevision`: creates `revision` under `owner`'s name with
/// the hash for `*collision_count`. On a name taken by different data, bumps
/// `*collision_count` and tries the next name; on a name taken by equal data,
/// answers the existing revision.
pub fn create_revision<C: ApiClient>(
    client: &C,
    owner: &ObjectMeta,
    revision: &ControllerRevision,
    collision_count: &mut i32,
) -> Result<Arc<ControllerRevision>, StoreError> {
    loop {
        let hash = hash_revision(&revision.data, Some(*collision_count));
        let mut attempt = revision.clone();
        attempt.metadata.name = revision_name(&owner.name, &hash);
        attempt.metadata.namespace.clone_from(&owner.namespace);
        let name = attempt.metadata.name.clone();
        match client.create(attempt) {
            Err(e) if e.is_already_exists() => {
                let existing = client.get::<ControllerRevision>(&owner.namespace, &name)?;
                if existing.data == revision.data {
                    return Ok(existing);
                }
                *collision_count = collision_count.saturating_add(1);
            }
            other => return other,
        }
    }
}

/// `UpdateControllerRevision`: sets the revision number to `n` (no write when it already is `n`).
pub fn update_revision_number<C: ApiClient>(
    client: &C,
    revision: &Arc<ControllerRevision>,
    n: i64,
) -> Result<Arc<ControllerRevision>, StoreError> {
    if revision.revision == n {
        return Ok(Arc::clone(revision));
    }
    let m = &revision.metadata;
    let uid = m.uid.clone();
    client.patch::<ControllerRevision>(&m.namespace, &m.name, &mut |r| {
        if r.metadata.uid == uid {
            r.revision = n;
        }
    })
}

/// Deletes a revision (NotFound counts as done).
pub fn delete_revision<C: ApiClient>(client: &C, revision: &ControllerRevision) -> Result<(), StoreError> {
    let m = &revision.metadata;
    match client.delete::<ControllerRevision>(&m.namespace, &m.name, &DeleteOptions::default()) {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
