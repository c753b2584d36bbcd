//! DaemonSet history (SEMANTICS §9.c, `daemon/update.go`): the revision matching the template, its hash, cleanup of old ones.
//!
//! Built on the generic helpers of [`crate::controllers::history`] (claiming through the
//! owner and orphan indexes, sorting, renumbering, deleting). What differs from a
//! StatefulSet: the name hashes the pod template (`ComputeHash`, with the DS's
//! `status.collisionCount`), the hash is stored in `controller-revision-hash`, and a
//! name collision bumps the DaemonSet's collision count and fails the sync.

use std::collections::HashSet;
use std::sync::Arc;

use super::util::CONTROLLER_REVISION_HASH_LABEL;
use super::{DaemonSetController, PodsByNode};
use crate::api::apps::ControllerRevision;
use crate::api::hash::compute_hash;
use crate::api::pod::Pod;
use crate::api::selector::label_selector_as_selector;
use crate::api::{DaemonSet, Kind};
use crate::controllers::claim::recheck_deletion_timestamp;
use crate::controllers::client::ApiClient;
use crate::controllers::history::{
    claim_revisions, delete_revision, revision_name, sort_revisions, update_revision_number,
};
use crate::controllers::pod_control::controller_ref;
use crate::controllers::{ReconcileError, Result};

/// A revision's data for `ds` (`getPatch`): `{"spec":{"template":{…,"$patch":"replace"}}}`.
pub fn patch(ds: &DaemonSet) -> serde_json::Value {
    let mut template = serde_json::to_value(&ds.spec.template).expect("a pod template serializes");
    if let Some(obj) = template.as_object_mut() {
        obj.insert("$patch".to_string(), serde_json::Value::String("replace".to_string()));
    }
    serde_json::json!({ "spec": { "template": template } })
}

/// The revisions the DS controls after claiming (`controlledHistories`), in name order.
fn controlled<C: ApiClient>(dsc: &DaemonSetController<C>, ds: &DaemonSet) -> Result<Vec<Arc<ControllerRevision>>> {
    let m = &ds.metadata;
    let Ok(selector) = label_selector_as_selector(ds.spec.selector.as_ref()) else { return Ok(Vec::new()) };
    let recheck = || recheck_deletion_timestamp::<DaemonSet>(&dsc.client, m);
    let mut claimed = claim_revisions(&dsc.client, &dsc.caches().revisions, m, Kind::DaemonSet, &selector, recheck)?;
    claimed.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(claimed)
}

/// `constructHistory`: the current revision's hash and the old revisions. Creates the
/// current revision when none matches the template; raises its number after a rollback;
/// deduplicates several matching ones (relabelling pods to the kept hash).
pub fn construct<C: ApiClient>(
    dsc: &DaemonSetController<C>,
    ds: &DaemonSet,
    key: &str,
) -> Result<(String, Vec<Arc<ControllerRevision>>)> {
    let data = Arc::clone(&dsc.compiled(ds).patch);
    let mut current = Vec::new();
    let mut old = Vec::new();
    for rev in controlled(dsc, ds)? {
        let rev = if rev.metadata.labels.contains_key(CONTROLLER_REVISION_HASH_LABEL) {
            rev
        } else {
            // Label legacy revisions with their name, so that no hash must be recomputed.
            let mut next = (*rev).clone();
            next.metadata.labels.insert(CONTROLLER_REVISION_HASH_LABEL.to_string(), next.metadata.name.clone());
            dsc.client.update(next).map_err(|e| ReconcileError::api(key, e))?
        };
        if rev.data == *data {
            current.push(rev);
        } else {
            old.push(rev);
        }
    }
    let next_number = old.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    let cur = if current.is_empty() {
        snapshot(dsc, ds, &data, next_number, key)?
    } else {
        let cur = dedup(dsc, ds, current, key)?;
        if cur.revision < next_number {
            update_revision_number(&dsc.client, &cur, next_number).map_err(|e| ReconcileError::api(key, e))?
        } else {
            cur
        }
    };
    let hash = cur.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL).cloned().unwrap_or_default();
    Ok((hash, old))
}

/// `snapshot`: creates the revision `<ds>-<hash>`; on a name collision with other data,
/// bumps `status.collisionCount` and fails (the retry uses a new name).
fn snapshot<C: ApiClient>(
    dsc: &DaemonSetController<C>,
    ds: &DaemonSet,
    data: &serde_json::Value,
    number: i64,
    key: &str,
) -> Result<Arc<ControllerRevision>> {
    let hash = compute_hash(&ds.spec.template, ds.status.collision_count);
    let m = &ds.metadata;
    let mut rev = ControllerRevision { data: data.clone(), revision: number, ..Default::default() };
    rev.metadata.name = revision_name(&m.name, &hash);
    rev.metadata.namespace.clone_from(&m.namespace);
    rev.metadata.labels.clone_from(&ds.spec.template.metadata.labels);
    rev.metadata.labels.insert(CONTROLLER_REVISION_HASH_LABEL.to_string(), hash);
    rev.metadata.annotations.clone_from(&m.annotations);
    rev.metadata.owner_references.push(controller_ref(m, Kind::DaemonSet));
    let name = rev.metadata.name.clone();
    match dsc.client.create(rev) {
        Ok(created) => Ok(created),
        Err(e) if e.is_already_exists() => {
            let existing: Arc<ControllerRevision> =
                dsc.client.get(&m.namespace, &name).map_err(|e| ReconcileError::api(key, e))?;
            if existing.data == *data {
                return Ok(existing);
            }
            let latest: Arc<DaemonSet> =
                dsc.client.get(&m.namespace, &m.name).map_err(|e| ReconcileError::api(key, e))?;
            if latest.status.collision_count != ds.status.collision_count {
                let msg = "found a stale collision count; will retry until it is updated";
                return Err(ReconcileError::failed(key, msg));
            }
            let mut bumped = (*latest).clone();
            *bumped.status.collision_count.get_or_insert(0) += 1;
            dsc.client.update_status(bumped).map_err(|e| ReconcileError::api(key, e))?;
            Err(ReconcileError::api(key, e))
        }
        Err(e) => Err(ReconcileError::api(key, e)),
    }
}

/// `dedupCurHistories`: keeps the matching revision with the highest number, relabels
/// the DS's pods to its hash and deletes the other matching revisions.
fn dedup<C: ApiClient>(
    dsc: &DaemonSetController<C>,
    ds: &DaemonSet,
    mut current: Vec<Arc<ControllerRevision>>,
    key: &str,
) -> Result<Arc<ControllerRevision>> {
    if current.len() == 1 {
        return Ok(current.pop().expect("one"));
    }
    sort_revisions(&mut current);
    let keep = current.pop().expect("several");
    let keep_hash = keep.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL).cloned().unwrap_or_default();
    let mut pods = dsc.caches().pods.by_owner(&ds.metadata.uid);
    pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for pod in pods.iter().filter(|p| p.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL) != Some(&keep_hash)) {
        let m = &pod.metadata;
        let relabel = &mut |p: &mut Pod| {
            p.metadata.labels.insert(CONTROLLER_REVISION_HASH_LABEL.to_string(), keep_hash.clone());
        };
        match dsc.client.patch::<Pod>(&m.namespace, &m.name, relabel) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(ReconcileError::api(key, e)),
        }
    }
    for dup in current {
        delete_revision(&dsc.client, &dup).map_err(|e| ReconcileError::api(key, e))?;
    }
    Ok(keep)
}

/// `cleanupHistory`: deletes the oldest old revisions beyond `revisionHistoryLimit`,
/// skipping any whose hash a live pod of the DS still carries.
pub fn cleanup<C: ApiClient>(
    dsc: &DaemonSetController<C>,
    ds: &DaemonSet,
    old: &[Arc<ControllerRevision>],
    by_node: &PodsByNode<'_>,
    key: &str,
) -> Result<()> {
    let limit = usize::try_from(ds.spec.revision_history_limit.unwrap_or(10).max(0)).unwrap_or(0);
    let Some(mut to_kill) = old.len().checked_sub(limit).filter(|n| *n > 0) else { return Ok(()) };
    let live: HashSet<&str> = by_node
        .values()
        .flatten()
        .filter_map(|p| p.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL).map(String::as_str))
        .collect();
    let mut old = old.to_vec();
    sort_revisions(&mut old);
    for rev in old {
        if to_kill == 0 {
            break;
        }
        if rev.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL).is_some_and(|h| live.contains(h.as_str())) {
            continue;
        }
        delete_revision(&dsc.client, &rev).map_err(|e| ReconcileError::api(key, e))?;
        to_kill -= 1;
    }
    Ok(())
}
