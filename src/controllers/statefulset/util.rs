//! The StatefulSet controller's pure decisions (SEMANTICS §5): identity, storage, claim retention, revisions, the
//! per-sync plan (creations, scale-down, rolling update) and the status.

use crate::api::apps::{StatefulSetStatus, StatefulSetUpdateStrategy};
use crate::api::intstr::{IntOrString, IntStrError};
use crate::api::pod::{Pod, PodTemplateSpec, PvcVolumeSource, Volume};
use crate::api::{ControllerRevision, Kind, ObjectMeta, OwnerReference, PersistentVolumeClaim, StatefulSet};

/// Pod label naming the pod (`StatefulSetPodNameLabel`).
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// Pod label holding the ordinal (`PodIndexLabel`, beta on in 1.28).
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// Pod label holding the name of the pod's ControllerRevision (`StatefulSetRevisionLabel`).
pub const REVISION_LABEL: &str = "controller-revision-hash";
/// Cap on a Parallel slow-start batch (`MaxBatchSize`).
pub const MAX_BATCH_SIZE: usize = 500;
/// Status writes: attempts on Conflict (`retry.DefaultRetry`).
pub const STATUS_UPDATE_ATTEMPTS: usize = 5;

// ---------------------------------------------------------------- identity

/// `getParentNameAndOrdinal`: `"<parent>-<digits>"` → (parent, ordinal); anything else → ("", −1).
pub fn parent_name_and_ordinal(name: &str) -> (&str, i32) {
    let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == name.len() {
        return ("", -1);
    }
    let (head, tail) = name.split_at(name.len() - digits);
    match (head.strip_suffix('-'), tail.parse::<i32>()) {
        (Some(parent), Ok(ordinal)) => (parent, ordinal),
        _ => ("", -1),
    }
}

/// The ordinal in a pod's name, or −1.
pub fn ordinal_of(pod: &Pod) -> i32 {
    parent_name_and_ordinal(&pod.metadata.name).1
}

/// `getPodName`: `<set>-<ordinal>`.
pub fn pod_name(set_name: &str, ordinal: i32) -> String {
    format!("{set_name}-{ordinal}")
}

/// `getPersistentVolumeClaimName`: `<claim template>-<set>-<ordinal>`.
pub fn claim_name(template_name: &str, set_name: &str, ordinal: i32) -> String {
    format!("{template_name}-{set_name}-{ordinal}")
}

/// `getClaimPodName`: the pod a claim belongs to (`.*-(<set>-[0-9]+)$`), if its name has that shape.
pub fn claim_pod_name(set_name: &str, claim: &str) -> Option<String> {
    let digits = claim.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let head = &claim[..claim.len() - digits];
    let suffix = format!("-{set_name}-");
    head.ends_with(&suffix).then(|| claim[head.len() - suffix.len() + 1..].to_string())
}

/// `spec.replicas` (1 when unset).
pub fn replicas(set: &StatefulSet) -> i32 {
    set.spec.replicas.unwrap_or(1)
}

/// `getStartOrdinal`: `spec.ordinals.start` (0 when unset).
pub fn start_ordinal(set: &StatefulSet) -> i32 {
    set.spec.ordinals.as_ref().map_or(0, |o| o.start)
}

/// `podInOrdinalRange`: `start ≤ ordinal < start + replicas`.
pub fn in_ordinal_range(ordinal: i32, set: &StatefulSet) -> bool {
    let start = start_ordinal(set);
    ordinal >= start && ordinal < start + replicas(set)
}

/// `isMemberOf`: the pod's name parses with this set's name as parent.
pub fn is_member_of(set: &StatefulSet, pod: &Pod) -> bool {
    parent_name_and_ordinal(&pod.metadata.name).0 == set.metadata.name
}

/// The pod's revision label (`getPodRevision`), empty when absent.
pub fn pod_revision(pod: &Pod) -> &str {
    pod.metadata.labels.get(REVISION_LABEL).map_or("", String::as_str)
}

/// `identityMatches`: name, namespace and pod-name label agree with the set and the ordinal.
pub fn identity_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let m = &pod.metadata;
    let (parent, ordinal) = parent_name_and_ordinal(&m.name);
    if ordinal < 0 || parent != set.metadata.name {
        return false;
    }
    // `name == pod_name(set, ordinal)` without formatting: the digits are canonical (no leading zero).
    let digits = &m.name[parent.len() + 1..];
    (digits == "0" || !digits.starts_with('0'))
        && m.namespace == set.metadata.namespace
        && m.labels.get(POD_NAME_LABEL) == Some(&m.name)
}

/// `storageMatches`: every claim template has a pod volume of its name pointing at the ordinal's claim.
pub fn storage_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let ordinal = ordinal_of(pod);
    if ordinal < 0 {
        return false;
    }
    set.spec.volume_claim_templates.iter().all(|t| {
        let want = claim_name(&t.metadata.name, &set.metadata.name, ordinal);
        pod.spec
            .volumes
            .iter()
            .find(|v| v.name == t.metadata.name)
            .is_some_and(|v| v.persistent_volume_claim.as_ref().is_some_and(|c| c.claim_name == want))
    })
}

/// `updateIdentity`: name, namespace, pod-name and pod-index labels from the ordinal in the name.
pub fn update_identity(set: &StatefulSet, pod: &mut Pod) {
    let ordinal = ordinal_of(pod);
    let m = &mut pod.metadata;
    m.name = pod_name(&set.metadata.name, ordinal);
    m.namespace.clone_from(&set.metadata.namespace);
    m.labels.insert(POD_NAME_LABEL.to_string(), m.name.clone());
    m.labels.insert(POD_INDEX_LABEL.to_string(), ordinal.to_string());
}

/// `getPersistentVolumeClaims`: the claims of the pod at `ordinal`, in template order: named
/// `<template>-<set>-<ordinal>`, labelled with the template's labels plus the selector's matchLabels.
pub fn claims_for(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let match_labels = set.spec.selector.as_ref().map(|s| &s.match_labels);
    set.spec
        .volume_claim_templates
        .iter()
        .map(|t| {
            let mut claim = PersistentVolumeClaim { spec: t.spec.clone(), ..Default::default() };
            let m = &mut claim.metadata;
            m.name = claim_name(&t.metadata.name, &set.metadata.name, ordinal);
            m.namespace.clone_from(&set.metadata.namespace);
            m.labels.clone_from(&t.metadata.labels);
            m.annotations.clone_from(&t.metadata.annotations);
            if let Some(ml) = match_labels {
                m.labels.extend(ml.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            claim
        })
        .collect()
}

/// `updateStorage`: one volume per claim template pointing at the ordinal's claim, then the pod's other volumes.
pub fn update_storage(set: &StatefulSet, pod: &mut Pod) {
    let ordinal = ordinal_of(pod);
    let templates = &set.spec.volume_claim_templates;
    let mut volumes: Vec<Volume> = templates
        .iter()
        .map(|t| Volume {
            name: t.metadata.name.clone(),
            persistent_volume_claim: Some(PvcVolumeSource {
                claim_name: claim_name(&t.metadata.name, &set.metadata.name, ordinal),
                read_only: false,
            }),
            extra: Default::default(),
        })
        .collect();
    let others = pod.spec.volumes.iter().filter(|v| !templates.iter().any(|t| t.metadata.name == v.name));
    volumes.extend(others.cloned());
    pod.spec.volumes = volumes;
}

/// `newVersionedStatefulSetPod`: the pod for `ordinal` from `template` (the
/// template of revision `revision`): controlled by the set, named
/// `<set>-<ordinal>`, hostname = name, subdomain = serviceName, identity and
/// revision labels, claim volumes.
pub fn new_pod(set: &StatefulSet, template: &PodTemplateSpec, ordinal: i32, revision: &str) -> Pod {
    let owner = super::super::pod_control::controller_ref(&set.metadata, Kind::StatefulSet);
    let mut pod = super::super::pod_control::pod_from_template(template, &set.metadata, Some(owner));
    pod.metadata.generate_name.clear();
    pod.metadata.name = pod_name(&set.metadata.name, ordinal);
    update_identity(set, &mut pod);
    pod.spec.hostname.clone_from(&pod.metadata.name);
    pod.spec.subdomain.clone_from(&set.spec.service_name);
    update_storage(set, &mut pod);
    pod.metadata.labels.insert(REVISION_LABEL.to_string(), revision.to_string());
    pod
}

/// Whether a missing pod at `ordinal` gets the current revision (below the
/// partition of a RollingUpdate) rather than the update revision.
pub fn uses_current_revision(set: &StatefulSet, ordinal: i32) -> bool {
    let partition = set.spec.update_strategy.as_ref().and_then(|s| s.rolling_update.as_ref()).map(|r| r.partition);
    match partition {
        Some(p) => ordinal < start_ordinal(set) + p.unwrap_or(0),
        None => false,
    }
}

// ---------------------------------------------------------------- revisions

/// The set's revision data (`getPatch`): `{"spec":{"template":{…,"$patch":"replace"}}}`.
pub fn revision_data(template: &PodTemplateSpec) -> serde_json::Value {
    let mut t = serde_json::to_value(template).expect("a pod template always serializes");
    if let Some(obj) = t.as_object_mut() {
        obj.insert("$patch".into(), "replace".into());
    }
    serde_json::json!({ "spec": { "template": t } })
}

/// The pod template a revision's data holds (`ApplyRevision`), if it parses.
pub fn revision_template(rev: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut t = rev.data.get("spec")?.get("template")?.clone();
    t.as_object_mut()?.remove("$patch");
    serde_json::from_value(t).ok()
}

// ---------------------------------------------------------------- claim retention

/// A set's `persistentVolumeClaimRetentionPolicy`, as "is it Delete" flags (anything but Delete retains).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    pub delete_when_deleted: bool,
    pub delete_when_scaled: bool,
}

impl Retention {
    pub fn of(set: &StatefulSet) -> Self {
        let p = set.spec.persistent_volume_claim_retention_policy.as_ref();
        let delete = |v: Option<&String>| v.is_some_and(|v| v == "Delete");
        Retention {
            delete_when_deleted: delete(p.map(|p| &p.when_deleted)),
            delete_when_scaled: delete(p.map(|p| &p.when_scaled)),
        }
    }
}

fn has_ref(claim: &PersistentVolumeClaim, uid: &str) -> bool {
    claim.metadata.owner_references.iter().any(|r| r.uid == uid)
}

/// `claimOwnerMatchesSetAndPod` (SEMANTICS §5.c table): whether the claim's
/// owner references already agree with `policy` for the pod (`in_range`: its
/// ordinal is within the set's range).
pub fn claim_owner_matches(
    claim: &PersistentVolumeClaim,
    policy: Retention,
    set: &ObjectMeta,
    pod: &ObjectMeta,
    in_range: bool,
) -> bool {
    let (set_ref, pod_ref) = (has_ref(claim, &set.uid), has_ref(claim, &pod.uid));
    match (policy.delete_when_scaled, policy.delete_when_deleted) {
        (false, false) => !set_ref && !pod_ref,
        (false, true) => set_ref && !pod_ref,
        (true, false) => !set_ref && in_range != pod_ref, // pod ref iff scaled down
        (true, true) => in_range == set_ref && in_range != pod_ref, // set ref in range, pod ref out of it
    }
}

fn set_ref(claim: &mut PersistentVolumeClaim, r: OwnerReference) -> bool {
    if has_ref(claim, &r.uid) {
        return false;
    }
    claim.metadata.owner_references.push(r);
    true
}

fn remove_ref(claim: &mut PersistentVolumeClaim, uid: &str) -> bool {
    let before = claim.metadata.owner_references.len();
    claim.metadata.owner_references.retain(|r| r.uid != uid);
    before != claim.metadata.owner_references.len()
}

/// A plain (non-controller) owner reference, as `setOwnerRef` adds.
fn plain_ref(owner: &ObjectMeta, kind: Kind) -> OwnerReference {
    OwnerReference {
        api_version: kind.api_version().to_string(),
        kind: kind.as_str().to_string(),
        name: owner.name.clone(),
        uid: owner.uid.clone(),
        controller: None,
        block_owner_deletion: None,
    }
}

/// `updateClaimOwnerRefForSetAndPod`: makes the claim's owner references
/// agree with the policy; true when something changed.
pub fn update_claim_owner_refs(
    claim: &mut PersistentVolumeClaim,
    policy: Retention,
    set: &ObjectMeta,
    pod: &ObjectMeta,
    in_range: bool,
) -> bool {
    let mut changed = false;
    match (policy.delete_when_scaled, policy.delete_when_deleted) {
        (false, false) => {
            changed |= remove_ref(claim, &set.uid);
            changed |= remove_ref(claim, &pod.uid);
        }
        (false, true) => {
            changed |= set_ref(claim, plain_ref(set, Kind::StatefulSet));
            changed |= remove_ref(claim, &pod.uid);
        }
        (true, false) => {
            changed |= remove_ref(claim, &set.uid);
            if in_range {
                changed |= remove_ref(claim, &pod.uid);
            } else {
                changed |= set_ref(claim, plain_ref(pod, Kind::Pod));
            }
        }
        (true, true) => {
            if in_range {
                changed |= set_ref(claim, plain_ref(set, Kind::StatefulSet));
                changed |= remove_ref(claim, &pod.uid);
            } else {
                changed |= remove_ref(claim, &set.uid);
                changed |= set_ref(claim, plain_ref(pod, Kind::Pod));
            }
        }
    }
    changed
}

/// `hasStaleOwnerRef`: the claim names a pod called `pod_name` with another uid (a previous incarnation).
pub fn has_stale_owner_ref(claim: &PersistentVolumeClaim, pod_name: &str, pod_uid: &str) -> bool {
    claim.metadata.owner_references.iter().any(|r| r.name == pod_name && r.uid != pod_uid)
}

// ---------------------------------------------------------------- strategy

/// `podManagementPolicy != Parallel`.
pub fn is_monotonic(set: &StatefulSet) -> bool {
    set.spec.pod_management_policy != "Parallel"
}

/// `updateStrategy.type == OnDelete`.
pub fn is_on_delete(set: &StatefulSet) -> bool {
    set.spec.update_strategy.as_ref().is_some_and(|s| s.type_ == "OnDelete")
}

fn strategy(set: &StatefulSet) -> Option<&StatefulSetUpdateStrategy> {
    set.spec.update_strategy.as_ref()
}

/// `rollingUpdate.partition` (0 without a rollingUpdate block).
pub fn partition(set: &StatefulSet) -> i32 {
    strategy(set).and_then(|s| s.rolling_update.as_ref()).and_then(|r| r.partition).unwrap_or(0)
}

/// `getStatefulSetMaxUnavailable`: the value (default 1) scaled against
/// `replicas`, rounded down, at least 1 (SEMANTICS §5.g case 10).
pub fn max_unavailable(value: Option<&IntOrString>, replicas: i32) -> Result<i32, IntStrError> {
    let n = value.cloned().unwrap_or(IntOrString::Int(1)).scaled_value(replicas, false)?;
    Ok(n.max(1))
}

/// The batch sizes of a Parallel `runForAll` over `count` items: 1, 2, 4, … capped at [`MAX_BATCH_SIZE`].
pub fn parallel_batches(count: usize) -> impl Iterator<Item = usize> {
    let mut remaining = count;
    let mut size = remaining.min(1);
    std::iter::from_fn(move || {
        if size == 0 {
            return None;
        }
        let batch = size;
        remaining -= batch;
        size = (2 * batch).min(remaining).min(MAX_BATCH_SIZE);
        Some(batch)
    })
}

// ---------------------------------------------------------------- the plan

/// What one sync knows about one pod slot (a stored pod, or a missing one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodFacts {
    /// The pod exists (a missing slot is not created).
    pub created: bool,
    pub failed: bool,
    /// Phase Pending (or not yet set: the API server would have set Pending).
    pub pending: bool,
    /// Has a deletionTimestamp.
    pub terminating: bool,
    /// Phase Running and Ready.
    pub running_ready: bool,
    /// Running, Ready and available for minReadySeconds.
    pub available: bool,
    /// Identity, storage and claim retention all as they should be.
    pub consistent: bool,
    /// A claim of this ordinal still names a previous pod incarnation (whenScaled = Delete only).
    pub stale_claims: bool,
    /// Labelled with the current revision.
    pub current: bool,
    /// Labelled with the update revision.
    pub updated: bool,
    /// A pod (re)created in this slot now would get the update revision (not the current one).
    pub new_at_update: bool,
}

impl PodFacts {
    /// `isHealthy`: Running, Ready and not terminating.
    pub fn healthy(&self) -> bool {
        self.running_ready && !self.terminating
    }

    /// A slot with no pod, whose pod would be created at the update revision or not.
    pub fn missing(new_at_update: bool) -> Self {
        PodFacts { updated: new_at_update, current: !new_at_update, new_at_update, ..PodFacts::default() }
    }
}

/// How the set manages its pods in this sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// OrderedReady: one step at a time, waiting for health.
    pub monotonic: bool,
    pub on_delete: bool,
    pub partition: i32,
    /// Some(m) with the MaxUnavailableStatefulSet gate on: delete up to m pods per update step.
    pub max_unavailable: Option<i32>,
    /// The set has volumeClaimTemplates.
    pub has_claims: bool,
}

/// One write of a sync. Indexes are into the in-range replicas (by ordinal − start) or into the
/// condemned pods (descending ordinal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Delete a Failed pod; a `Create` of the same slot follows.
    DeleteFailed(usize),
    /// Create the slot's missing claims, then its pod.
    Create(usize),
    /// Create the missing claims of a Pending pod.
    CreateMissingClaims(usize),
    /// Fix a pod's identity / storage / claim owner references in place.
    Fix(usize),
    /// Fix the claim owner references of a condemned pod.
    FixCondemnedClaims(usize),
    /// Delete a condemned pod (scale-down).
    DeleteCondemned(usize),
    /// Delete an in-range pod at the wrong revision (rolling update).
    DeleteForUpdate(usize),
}

/// The steps of one sync in `runForAll` phases: replicas, condemned claims,
/// condemned pods, rolling update. In Parallel mode the units of a phase run
/// in [`parallel_batches`] over all `len` pods; any error ends the sync: no
/// later unit or phase runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub phases: Vec<Phase>,
}

/// One `runForAll`: `len` units (one per pod), of which only the non-empty ones are listed, by unit index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Phase {
    pub len: usize,
    pub units: Vec<(usize, Vec<Step>)>,
}

impl Phase {
    fn push(&mut self, unit: Vec<Step>) {
        if !unit.is_empty() {
            self.units.push((self.len, unit));
        }
        self.len += 1;
    }
}

impl Plan {
    /// Every step in order (for tests and logs).
    pub fn steps(&self) -> Vec<Step> {
        self.phases.iter().flat_map(|p| &p.units).flat_map(|(_, u)| u).copied().collect()
    }
}

/// `updateStatefulSet` after the pods are partitioned (SEMANTICS §5.e steps 2–10):
/// `replicas` indexed by ordinal − start (missing slots included), `condemned`
/// sorted by descending ordinal. Assumes every step succeeds; the caller stops at the first error.
pub fn plan(replicas: &[PodFacts], condemned: &[PodFacts], policy: &Policy) -> Plan {
    let monotonic = policy.monotonic;
    let mut phases = Vec::new();
    // firstUnhealthyPod: the lowest unhealthy replica, else the lowest-ordinal unhealthy condemned pod.
    let first_unhealthy_condemned = match replicas.iter().any(|f| !f.healthy()) {
        true => None,
        false => condemned.iter().rposition(|f| !f.healthy()),
    };

    // Phase 1: living replicas, ascending ordinal.
    // After this phase a missing or Failed slot (`replaced`, ascending) holds the pod object created for it.
    let mut replaced = Vec::new();
    let mut units = Phase::default();
    let mut blocked = false;
    for (i, f) in replicas.iter().enumerate() {
        let mut unit = Vec::new();
        let exit = replica_steps(i, f, policy, &mut unit);
        if unit.iter().any(|s| matches!(s, Step::DeleteFailed(_))) || !f.created {
            replaced.push(i);
        }
        units.push(unit);
        if exit && monotonic {
            blocked = true;
            break;
        }
    }
    phases.push(units);
    if blocked {
        return Plan { phases };
    }

    // Phase 2: claim owner references of condemned pods.
    if policy.has_claims {
        let mut units = Phase::default();
        for (j, f) in condemned.iter().enumerate() {
            units.push(if f.consistent { Vec::new() } else { vec![Step::FixCondemnedClaims(j)] });
        }
        phases.push(units);
    }

    // Phase 3: condemned pods, descending ordinal (monotonic: only the first, whatever happens to it).
    let mut units = Phase::default();
    for (j, f) in condemned.iter().enumerate() {
        let first = first_unhealthy_condemned == Some(j);
        let waits = f.terminating || (monotonic && !first && (!f.running_ready || !f.available));
        units.push(if waits { Vec::new() } else { vec![Step::DeleteCondemned(j)] });
        if monotonic {
            blocked = true;
            break;
        }
    }
    phases.push(units);
    if blocked || policy.on_delete {
        return Plan { phases };
    }

    // Phase 4: the rolling update, one sequential unit (not a `runForAll`).
    let fact = |i: usize| match replaced.binary_search(&i) {
        Ok(_) => PodFacts::missing(replicas[i].new_at_update),
        Err(_) => replicas[i],
    };
    let mut units = Phase::default();
    units.push(update_steps(replicas.len(), fact, policy));
    phases.push(units);
    Plan { phases }
}

/// `processReplica` for one slot: pushes its steps; true means "stop here" (in monotonic mode).
fn replica_steps(i: usize, f: &PodFacts, policy: &Policy, unit: &mut Vec<Step>) -> bool {
    let monotonic = policy.monotonic;
    let mut created = f.created;
    if f.created && f.failed {
        unit.push(Step::DeleteFailed(i));
        created = false;
    }
    if !created {
        if f.stale_claims {
            return true;
        }
        unit.push(Step::Create(i));
        return true;
    }
    if f.pending && policy.has_claims {
        unit.push(Step::CreateMissingClaims(i));
    }
    if monotonic && (f.terminating || !f.running_ready || !f.available) {
        return true;
    }
    if !f.consistent {
        unit.push(Step::Fix(i));
    }
    false
}

/// The rolling-update deletions (SEMANTICS §5.e steps 9–10), highest index first, never below the partition.
fn update_steps(len: usize, fact: impl Fn(usize) -> PodFacts, policy: &Policy) -> Vec<Step> {
    let update_min = usize::try_from(policy.partition).unwrap_or(0);
    let wrong = |f: &PodFacts| !f.updated && !f.terminating;
    match policy.max_unavailable {
        None => {
            for target in (update_min..len).rev() {
                let f = &fact(target);
                if wrong(f) {
                    return vec![Step::DeleteForUpdate(target)];
                }
                if !f.healthy() {
                    return Vec::new();
                }
            }
            Vec::new()
        }
        Some(max) => {
            let unavailable = (0..len).filter(|&i| !fact(i).healthy()).count();
            let budget = usize::try_from(max).unwrap_or(0).saturating_sub(unavailable);
            (update_min..len).rev().filter(|&t| wrong(&fact(t))).take(budget).map(Step::DeleteForUpdate).collect()
        }
    }
}

// ---------------------------------------------------------------- status

/// The pod counts of a status (`computeReplicaStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub current: i32,
    pub updated: i32,
}

impl Counts {
    /// Field-wise sum.
    pub fn plus(self, o: Counts) -> Counts {
        Counts {
            replicas: self.replicas + o.replicas,
            ready: self.ready + o.ready,
            available: self.available + o.available,
            current: self.current + o.current,
            updated: self.updated + o.updated,
        }
    }

    /// Field-wise difference.
    pub fn minus(self, o: Counts) -> Counts {
        Counts {
            replicas: self.replicas - o.replicas,
            ready: self.ready - o.ready,
            available: self.available - o.available,
            current: self.current - o.current,
            updated: self.updated - o.updated,
        }
    }

    /// Counts `facts`: created pods; Running+Ready; available; created, non-terminating at each revision.
    pub fn of<'a>(facts: impl IntoIterator<Item = &'a PodFacts>) -> Counts {
        let mut c = Counts::default();
        for f in facts {
            c.replicas += i32::from(f.created);
            if f.running_ready {
                c.ready += 1;
                c.available += i32::from(f.available);
            }
            if f.created && !f.terminating {
                c.current += i32::from(f.current);
                c.updated += i32::from(f.updated);
            }
        }
        c
    }
}

/// The status a sync computed (observedGeneration = the set's generation),
/// with `completeRollingUpdate` applied.
pub fn compute_status(
    set: &StatefulSet,
    counts: Counts,
    current_revision: &str,
    update_revision: &str,
    collision_count: i32,
) -> StatefulSetStatus {
    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        replicas: counts.replicas,
        ready_replicas: counts.ready,
        current_replicas: counts.current,
        updated_replicas: counts.updated,
        available_replicas: counts.available,
        current_revision: current_revision.to_string(),
        update_revision: update_revision.to_string(),
        collision_count: Some(collision_count),
        conditions: set.status.conditions.clone(),
    };
    complete_rolling_update(set, &mut status);
    status
}

/// `completeRollingUpdate`: RollingUpdate with every pod updated and ready → current := update.
pub fn complete_rolling_update(set: &StatefulSet, status: &mut StatefulSetStatus) {
    let rolling = strategy(set).is_some_and(|s| s.type_ == "RollingUpdate");
    if rolling && status.updated_replicas == status.replicas && status.ready_replicas == status.replicas {
        status.current_replicas = status.updated_replicas;
        status.current_revision.clone_from(&status.update_revision);
    }
}

/// `inconsistentStatus`: whether `status` differs from the set's in anything that is written.
pub fn status_changed(set: &StatefulSet, status: &StatefulSetStatus) -> bool {
    let old = &set.status;
    status.observed_generation > old.observed_generation
        || status.replicas != old.replicas
        || status.current_replicas != old.current_replicas
        || status.ready_replicas != old.ready_replicas
        || status.updated_replicas != old.updated_replicas
        || status.current_revision != old.current_revision
        || status.available_replicas != old.available_replicas
        || status.update_revision != old.update_revision
}
