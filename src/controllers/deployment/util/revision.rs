//! Annotations, revisions and template identity of a Deployment's ReplicaSets (SEMANTICS §3.c, §3.h).

use super::*;

/// Annotations never copied between a Deployment and its ReplicaSets.
pub fn skip_copy_annotation(key: &str) -> bool {
    matches!(
        key,
        LAST_APPLIED_ANNOTATION
            | REVISION_ANNOTATION
            | REVISION_HISTORY_ANNOTATION
            | DESIRED_REPLICAS_ANNOTATION
            | MAX_REPLICAS_ANNOTATION
            | ROLLBACK_TO_ANNOTATION
    )
}

fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.metadata.annotations.get(key).and_then(|v| v.parse().ok())
}

/// `GetDesiredReplicasAnnotation`.
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    int_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
}

/// `getMaxReplicasAnnotation`.
pub fn max_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    int_annotation(rs, MAX_REPLICAS_ANNOTATION)
}

/// `ReplicasAnnotationsNeedUpdate`.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    desired_replicas_annotation(rs) != Some(desired) || max_replicas_annotation(rs) != Some(max)
}

/// `SetReplicasAnnotations`: true when something changed.
pub fn set_replicas_annotations(annotations: &mut StringMap, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (key, value) in [(DESIRED_REPLICAS_ANNOTATION, desired), (MAX_REPLICAS_ANNOTATION, max)] {
        let value = value.to_string();
        if annotations.get(key) != Some(&value) {
            annotations.insert(key.to_string(), value);
            changed = true;
        }
    }
    changed
}

/// `IsSaturated`: the RS holds all R replicas, all available, and was scaled for R.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let r = replicas(d);
    desired_replicas_annotation(rs) == Some(r) && spec_replicas(rs) == r && rs.status.available_replicas == r
}

/// `copyDeploymentAnnotationsToReplicaSet`: true when something changed.
pub fn copy_deployment_annotations_to_rs(d: &Deployment, rs: &mut StringMap) -> bool {
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if skip_copy_annotation(k) || rs.get(k) == Some(v) {
            continue;
        }
        rs.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises
/// (never lowers) the revision to `new_revision`, appends the former revision to
/// the history when raising one that was set (a rollback), and for an RS about to
/// be created (`exists` false) sets the replicas annotations. True when something changed.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
    history_limit_chars: usize,
) -> bool {
    let a = &mut rs.metadata.annotations;
    let mut changed = copy_deployment_annotations_to_rs(d, a);
    let old_revision = a.get(REVISION_ANNOTATION).cloned();
    let old_int = match old_revision.as_deref() {
        None | Some("") => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    if old_int < new_revision {
        a.insert(REVISION_ANNOTATION.to_string(), new_revision.to_string());
        changed = true;
        if let Some(old) = old_revision {
            append_revision_history(a, &old, history_limit_chars);
        }
    }
    if !exists && set_replicas_annotations(a, replicas(d), replicas(d) + max_surge(d)) {
        changed = true;
    }
    changed
}

fn append_revision_history(a: &mut StringMap, old: &str, limit: usize) {
    let history = a.get(REVISION_HISTORY_ANNOTATION).cloned().unwrap_or_default();
    if history.is_empty() {
        a.insert(REVISION_HISTORY_ANNOTATION.to_string(), old.to_string());
        return;
    }
    let entries: Vec<&str> = history.split(',').collect();
    let mut total = history.len() + old.len() + 1;
    let mut start = 0;
    while total > limit && start < entries.len() {
        total -= entries[start].len() + 1;
        start += 1;
    }
    if total <= limit {
        let mut kept: Vec<&str> = entries[start..].to_vec();
        kept.push(old);
        a.insert(REVISION_HISTORY_ANNOTATION.to_string(), kept.join(","));
    }
}

/// Whether [`set_new_replica_set_annotations`] on an existing RS would change
/// anything, without copying it: a copied Deployment annotation differs, or the
/// revision is below `new_revision` (an unparsable revision: nothing changes).
pub fn new_rs_annotations_stale(d: &Deployment, rs: &ReplicaSet, new_revision: i64) -> bool {
    let a = &rs.metadata.annotations;
    let old = match a.get(REVISION_ANNOTATION).map(String::as_str) {
        None | Some("") => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    old < new_revision || d.metadata.annotations.iter().any(|(k, v)| !skip_copy_annotation(k) && a.get(k) != Some(v))
}

/// `MaxRevision`: the highest parsable revision (0 if none).
pub fn max_revision<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i64 {
    rss.into_iter().filter_map(revision).max().unwrap_or(0).max(0)
}

/// `LastRevision`: the second highest revision (the one a rollback to "0" targets).
pub fn last_revision<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i64 {
    let (mut max, mut second) = (0, 0);
    for v in rss.into_iter().filter_map(revision) {
        if v >= max {
            second = max;
            max = v;
        } else if v > second {
            second = v;
        }
    }
    second
}

/// `SetDeploymentAnnotationsTo` (rollback): keep only the Deployment's skipped
/// annotations, then take every non-skipped annotation of the RS.
pub fn set_deployment_annotations_to(d: &mut Deployment, rs: &ReplicaSet) {
    d.metadata.annotations.retain(|k, _| skip_copy_annotation(k));
    for (k, v) in &rs.metadata.annotations {
        if !skip_copy_annotation(k) {
            d.metadata.annotations.insert(k.clone(), v.clone());
        }
    }
}

/// `SetFromReplicaSetTemplate` (rollback): the RS template without its hash label.
pub fn set_from_replica_set_template(d: &mut Deployment, template: &PodTemplateSpec) {
    d.spec.template = template.clone();
    d.spec.template.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
}

// ---------------------------------------------------------------- identity (§3.c)

/// `EqualIgnoreHash`: templates equal once their `pod-template-hash` labels are dropped.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    a.spec == b.spec && meta_equal_ignoring_label(&a.metadata, &b.metadata, POD_TEMPLATE_HASH_LABEL)
}

fn meta_equal_ignoring_label(a: &ObjectMeta, b: &ObjectMeta, label: &str) -> bool {
    let ObjectMeta {
        name,
        generate_name,
        namespace,
        uid,
        resource_version,
        generation,
        creation_timestamp,
        deletion_timestamp,
        deletion_grace_period_seconds,
        labels,
        annotations,
        owner_references,
        finalizers,
        extra,
    } = a;
    *name == b.name
        && *generate_name == b.generate_name
        && *namespace == b.namespace
        && *uid == b.uid
        && *resource_version == b.resource_version
        && *generation == b.generation
        && *creation_timestamp == b.creation_timestamp
        && *deletion_timestamp == b.deletion_timestamp
        && *deletion_grace_period_seconds == b.deletion_grace_period_seconds
        && *annotations == b.annotations
        && *owner_references == b.owner_references
        && *finalizers == b.finalizers
        && *extra == b.extra
        && labels_equal_ignoring(labels, &b.labels, label)
}

fn labels_equal_ignoring(a: &StringMap, b: &StringMap, label: &str) -> bool {
    let mut ia = a.iter().filter(|(k, _)| k.as_str() != label);
    let mut ib = b.iter().filter(|(k, _)| k.as_str() != label);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// `FindNewReplicaSet`: the oldest (by creation, then name) RS whose template equals the Deployment's.
pub fn find_new_replica_set<'a>(d: &Deployment, rss: &[&'a ReplicaSet]) -> Option<&'a ReplicaSet> {
    rss.iter()
        .filter(|rs| equal_ignore_hash(&rs.spec.template, &d.spec.template))
        .min_by(|a, b| rs_by_creation_timestamp(a, b))
        .copied()
}

/// The ReplicaSet a Deployment creates for its current template (`getNewReplicaSet`):
/// `<name>-<hash>`, hash label on labels, selector and template, owned by `owner`
/// (the controller reference), `replicas` pods; annotations are set by the caller.
pub fn new_replica_set(d: &Deployment, hash: &str, owner: crate::api::OwnerReference, replicas: i32) -> ReplicaSet {
    let mut template = d.spec.template.clone();
    template.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.to_string(), hash.to_string());
    let mut selector = d.spec.selector.clone().unwrap_or_default();
    selector.match_labels.insert(POD_TEMPLATE_HASH_LABEL.to_string(), hash.to_string());
    let mut rs = ReplicaSet {
        metadata: ObjectMeta::named(&d.metadata.namespace, format!("{}-{hash}", d.metadata.name)),
        ..Default::default()
    };
    rs.metadata.owner_references.push(owner);
    rs.metadata.labels = template.metadata.labels.clone();
    rs.spec.replicas = Some(replicas);
    rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
    rs.spec.selector = Some(selector);
    rs.spec.template = template;
    rs
}
