//! kubectl's rollout logic, client-side and pure: `rollout status` (when is a rollout done) and `rollout undo` (what to roll back to).
//!
//! * [`deployment_status`], [`statefulset_status`], [`daemonset_status`]: the
//!   status viewers of `kubectl rollout status` (kubectl `polymorphichelpers/rollout_status.go`).
//! * [`deployment_undo`]: `kubectl rollout undo` for a Deployment
//!   (`polymorphichelpers/rollback.go`): pick the ReplicaSet with the wanted
//!   `deployment.kubernetes.io/revision` (default: the second highest), then copy
//!   its template minus `pod-template-hash` and its annotations (minus the
//!   Deployment-only ones) into the Deployment.
//! * [`revision_undo`]: the same for a StatefulSet / DaemonSet from its
//!   ControllerRevisions (the `spec.template` of the revision's `data`).

use std::collections::BTreeMap;

use kwarp::api::pod::find_condition;
use kwarp::api::{ControllerRevision, DaemonSet, Deployment, PodTemplateSpec, ReplicaSet, StatefulSet};

/// `deployment.kubernetes.io/revision`.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// The label that tells a Deployment's ReplicaSets apart.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// Annotations `rollout undo` neither copies from the ReplicaSet nor drops from the Deployment.
pub const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// Where a rollout stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolloutState {
    /// Done (`successfully rolled out`).
    Complete,
    /// Not yet, and why (kubectl's waiting message).
    Waiting(String),
    /// It will not complete (`exceeded its progress deadline`), or cannot be watched.
    Failed(String),
}

/// `kubectl rollout status deployment/NAME`, one poll.
pub fn deployment_status(d: &Deployment) -> RolloutState {
    let name = &d.metadata.name;
    let s = &d.status;
    if d.metadata.generation > s.observed_generation {
        return RolloutState::Waiting("waiting for the deployment spec update to be observed".into());
    }
    if find_condition(&s.conditions, "Progressing").is_some_and(|c| c.reason == "ProgressDeadlineExceeded") {
        return RolloutState::Failed(format!("deployment {name:?} exceeded its progress deadline"));
    }
    let replicas = d.spec.replicas.unwrap_or(1);
    if s.updated_replicas < replicas {
        return RolloutState::Waiting(format!(
            "{} out of {replicas} new replicas have been updated",
            s.updated_replicas
        ));
    }
    if s.replicas > s.updated_replicas {
        return RolloutState::Waiting(format!(
            "{} old replicas are pending termination",
            s.replicas - s.updated_replicas
        ));
    }
    if s.available_replicas < s.updated_replicas {
        return RolloutState::Waiting(format!(
            "{} of {} updated replicas are available",
            s.available_replicas, s.updated_replicas
        ));
    }
    RolloutState::Complete
}

/// `kubectl rollout status statefulset/NAME`, one poll.
pub fn statefulset_status(s: &StatefulSet) -> RolloutState {
    let strategy = s.spec.update_strategy.as_ref();
    if strategy.is_some_and(|u| !u.type_.is_empty() && u.type_ != "RollingUpdate") {
        return RolloutState::Failed("rollout status is only available for RollingUpdate strategy type".into());
    }
    let st = &s.status;
    if st.observed_generation == 0 || s.metadata.generation > st.observed_generation {
        return RolloutState::Waiting("waiting for the statefulset spec update to be observed".into());
    }
    let replicas = s.spec.replicas.unwrap_or(1);
    if st.ready_replicas < replicas {
        return RolloutState::Waiting(format!("waiting for {} pods to be ready", replicas - st.ready_replicas));
    }
    if let Some(partition) = strategy.and_then(|u| u.rolling_update.as_ref()).and_then(|r| r.partition) {
        if st.updated_replicas < replicas - partition {
            return RolloutState::Waiting(format!(
                "waiting for partitioned roll out to finish: {} out of {} new pods have been updated",
                st.updated_replicas,
                replicas - partition
            ));
        }
        return RolloutState::Complete;
    }
    if st.update_revision != st.current_revision {
        return RolloutState::Waiting(format!(
            "waiting for statefulset rolling update to complete {} pods at revision {}",
            st.updated_replicas, st.update_revision
        ));
    }
    RolloutState::Complete
}

/// `kubectl rollout status daemonset/NAME`, one poll.
pub fn daemonset_status(d: &DaemonSet) -> RolloutState {
    if d.spec.update_strategy.as_ref().is_some_and(|u| !u.type_.is_empty() && u.type_ != "RollingUpdate") {
        return RolloutState::Failed("rollout status is only available for RollingUpdate strategy type".into());
    }
    let s = &d.status;
    if d.metadata.generation > s.observed_generation {
        return RolloutState::Waiting("waiting for the daemon set spec update to be observed".into());
    }
    if s.updated_number_scheduled < s.desired_number_scheduled {
        return RolloutState::Waiting(format!(
            "{} out of {} new pods have been updated",
            s.updated_number_scheduled, s.desired_number_scheduled
        ));
    }
    if s.number_available < s.desired_number_scheduled {
        return RolloutState::Waiting(format!(
            "{} of {} updated pods are available",
            s.number_available, s.desired_number_scheduled
        ));
    }
    RolloutState::Complete
}

/// What `rollout undo` writes into the object.
#[derive(Clone, Debug, PartialEq)]
pub struct Undo {
    pub template: PodTemplateSpec,
    /// The object's annotations after the undo (Deployments only).
    pub annotations: Option<BTreeMap<String, String>>,
    /// The revision rolled back to.
    pub revision: i64,
}

/// Why `rollout undo` did nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UndoError {
    #[error("unable to find the specified revision {0}")]
    RevisionNotFound(i64),
    #[error("no rollout history found")]
    NoHistory,
    #[error("you cannot rollback a paused deployment; resume it first")]
    Paused,
}

/// The revision of a Deployment's ReplicaSet (`None` when missing or not a number).
pub fn rs_revision(rs: &ReplicaSet) -> Option<i64> {
    rs.metadata.annotations.get(REVISION_ANNOTATION).and_then(|v| v.parse().ok())
}

/// The ReplicaSet `rollout undo --to-revision=to` picks from `owned` (the
/// Deployment's ReplicaSets): `to > 0` that revision, `0` the second highest.
pub fn pick_revision<'a>(owned: &[&'a ReplicaSet], to: i64) -> Result<&'a ReplicaSet, UndoError> {
    let mut latest: Option<(i64, &ReplicaSet)> = None;
    let mut previous: Option<(i64, &ReplicaSet)> = None;
    for rs in owned {
        let Some(v) = rs_revision(rs) else { continue };
        if to > 0 {
            if v == to {
                return Ok(rs);
            }
            continue;
        }
        if latest.is_none_or(|(l, _)| l < v) {
            previous = latest;
            latest = Some((v, rs));
        } else if previous.is_none_or(|(p, _)| p < v) {
            previous = Some((v, rs));
        }
    }
    if to > 0 {
        return Err(UndoError::RevisionNotFound(to));
    }
    previous.map(|(_, rs)| rs).ok_or(UndoError::NoHistory)
}

/// A template without the `pod-template-hash` label.
pub fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata.labels.remove(POD_TEMPLATE_HASH);
    t
}

/// `kubectl rollout undo deployment/NAME [--to-revision=to]` given its ReplicaSets:
/// `Ok(None)` when the template already matches (kubectl: "skipped rollback").
pub fn deployment_undo(d: &Deployment, owned: &[&ReplicaSet], to: i64) -> Result<Option<Undo>, UndoError> {
    let rs = pick_revision(owned, to)?;
    if d.spec.paused {
        return Err(UndoError::Paused);
    }
    let template = without_hash(&rs.spec.template);
    if template == without_hash(&d.spec.template) {
        return Ok(None);
    }
    let mut annotations: BTreeMap<String, String> = d
        .metadata
        .annotations
        .iter()
        .filter(|(k, _)| ANNOTATIONS_TO_SKIP.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in &rs.metadata.annotations {
        if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    Ok(Some(Undo { template, annotations: Some(annotations), revision: rs_revision(rs).unwrap_or(0) }))
}

/// `kubectl rollout undo` for a StatefulSet or DaemonSet whose template is
/// `current`, given its ControllerRevisions: `to > 0` that revision, `0` the
/// second highest. `Ok(None)` when the template already matches.
pub fn revision_undo(
    current: &PodTemplateSpec,
    owned: &[&ControllerRevision],
    to: i64,
) -> Result<Option<Undo>, UndoError> {
    let mut history: Vec<&ControllerRevision> = owned.to_vec();
    history.sort_by_key(|r| r.revision);
    let picked = if to > 0 {
        history.iter().find(|r| r.revision == to).ok_or(UndoError::RevisionNotFound(to))?
    } else {
        if history.len() < 2 {
            return Err(UndoError::NoHistory);
        }
        &history[history.len() - 2]
    };
    let mut raw = picked.data.pointer("/spec/template").cloned().unwrap_or(serde_json::Value::Null);
    if let Some(m) = raw.as_object_mut() {
        m.remove("$patch");
    }
    let template: PodTemplateSpec = serde_json::from_value(raw).map_err(|_| UndoError::RevisionNotFound(to))?;
    if template == *current {
        return Ok(None);
    }
    Ok(Some(Undo { template, annotations: None, revision: picked.revision }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kwarp::api::pod::Container;
    use kwarp::api::ObjectMeta;

    fn template(image: &str, hash: Option<&str>) -> PodTemplateSpec {
        let mut t = PodTemplateSpec::default();
        t.metadata.labels.insert("app".into(), "web".into());
        if let Some(h) = hash {
            t.metadata.labels.insert(POD_TEMPLATE_HASH.into(), h.into());
        }
        t.spec.containers.push(Container { name: "app".into(), image: image.into(), ..Default::default() });
        t
    }

    fn rs(name: &str, revision: Option<&str>, image: &str) -> ReplicaSet {
        let mut r = ReplicaSet { metadata: ObjectMeta::named("default", name), ..Default::default() };
        if let Some(v) = revision {
            r.metadata.annotations.insert(REVISION_ANNOTATION.into(), v.into());
        }
        r.metadata.annotations.insert("team".into(), format!("owner-of-{name}"));
        r.metadata.annotations.insert("deployment.kubernetes.io/desired-replicas".into(), "3".into());
        r.spec.template = template(image, Some(&name[name.len() - 1..]));
        r
    }

    fn deployment(image: &str) -> Deployment {
        let mut d = Deployment { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        d.metadata.annotations.insert(REVISION_ANNOTATION.into(), "3".into());
        d.metadata.annotations.insert("team".into(), "current".into());
        d.spec.template = template(image, None);
        d
    }

    #[test]
    fn undo_picks_the_second_highest_revision_whatever_the_order() {
        let (a, b, c) = (rs("web-a", Some("1"), "v1"), rs("web-b", Some("3"), "v3"), rs("web-c", Some("2"), "v2"));
        for order in [[&a, &b, &c], [&b, &c, &a], [&c, &a, &b], [&c, &b, &a]] {
            assert_eq!(pick_revision(&order, 0).unwrap().metadata.name, "web-c");
        }
    }

    #[test]
    fn undo_to_a_revision_finds_it_or_says_which_is_missing() {
        let (a, b) = (rs("web-a", Some("1"), "v1"), rs("web-b", Some("4"), "v4"));
        assert_eq!(pick_revision(&[&a, &b], 4).unwrap().metadata.name, "web-b");
        assert_eq!(pick_revision(&[&a, &b], 1).unwrap().metadata.name, "web-a");
        assert_eq!(pick_revision(&[&a, &b], 2), Err(UndoError::RevisionNotFound(2)));
        assert_eq!(UndoError::RevisionNotFound(2).to_string(), "unable to find the specified revision 2");
    }

    #[test]
    fn undo_needs_two_revisions_and_ignores_unnumbered_replica_sets() {
        let (a, odd) = (rs("web-a", Some("1"), "v1"), rs("web-x", Some("not-a-number"), "vx"));
        let none = rs("web-y", None, "vy");
        assert_eq!(pick_revision(&[&a, &odd, &none], 0), Err(UndoError::NoHistory));
        assert_eq!(pick_revision(&[], 0), Err(UndoError::NoHistory));
    }

    #[test]
    fn undo_copies_the_template_without_the_hash_and_the_annotations_minus_the_skip_list() {
        let (a, b, c) = (rs("web-a", Some("1"), "v1"), rs("web-b", Some("3"), "v3"), rs("web-c", Some("2"), "v2"));
        let d = deployment("v3");
        let undo = deployment_undo(&d, &[&a, &b, &c], 0).unwrap().unwrap();
        assert_eq!(undo.revision, 2);
        assert_eq!(undo.template, template("v2", None));
        let ann = undo.annotations.unwrap();
        // The Deployment keeps its own revision; the RS's other annotations replace the Deployment's.
        assert_eq!(ann.get(REVISION_ANNOTATION).map(String::as_str), Some("3"));
        assert_eq!(ann.get("team").map(String::as_str), Some("owner-of-web-c"));
        assert!(!ann.contains_key("deployment.kubernetes.io/desired-replicas"));
    }

    #[test]
    fn undo_to_the_current_template_is_skipped_and_paused_is_refused() {
        let (a, b) = (rs("web-a", Some("1"), "v1"), rs("web-b", Some("2"), "v2"));
        assert_eq!(deployment_undo(&deployment("v1"), &[&a, &b], 0), Ok(None));
        let mut paused = deployment("v2");
        paused.spec.paused = true;
        assert_eq!(deployment_undo(&paused, &[&a, &b], 0), Err(UndoError::Paused));
    }

    #[test]
    fn revision_undo_reads_the_template_of_the_controller_revision() {
        let cr = |n: i64, image: &str| ControllerRevision {
            metadata: ObjectMeta::named("default", format!("db-{n}")),
            data: serde_json::json!({"spec": {"template": {
                "$patch": "replace",
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": image}]}
            }}}),
            revision: n,
        };
        let (r1, r2, r3) = (cr(1, "v1"), cr(2, "v2"), cr(3, "v3"));
        let undo = revision_undo(&template("v3", None), &[&r3, &r1, &r2], 0).unwrap().unwrap();
        assert_eq!((undo.revision, undo.template), (2, template("v2", None)));
        assert_eq!(revision_undo(&template("v3", None), &[&r3, &r1], 1).unwrap().unwrap().revision, 1);
        assert_eq!(revision_undo(&template("v1", None), &[&r1, &r2], 1), Ok(None));
        assert_eq!(revision_undo(&template("v1", None), &[&r1], 0), Err(UndoError::NoHistory));
    }

    #[test]
    fn deployment_status_follows_kubectl() {
        let mut d = deployment("v2");
        d.spec.replicas = Some(3);
        d.metadata.generation = 2;
        d.status.observed_generation = 1;
        assert!(matches!(deployment_status(&d), RolloutState::Waiting(m) if m.contains("observed")));
        d.status.observed_generation = 2;
        d.status.updated_replicas = 2;
        assert!(
            matches!(deployment_status(&d), RolloutState::Waiting(m) if m == "2 out of 3 new replicas have been updated")
        );
        d.status.updated_replicas = 3;
        d.status.replicas = 4;
        assert!(matches!(deployment_status(&d), RolloutState::Waiting(m) if m.contains("1 old replicas")));
        d.status.replicas = 3;
        d.status.available_replicas = 2;
        assert!(matches!(deployment_status(&d), RolloutState::Waiting(m) if m.contains("2 of 3 updated")));
        d.status.available_replicas = 3;
        assert_eq!(deployment_status(&d), RolloutState::Complete);
        d.status.conditions.push(kwarp::api::pod::Condition {
            type_: "Progressing".into(),
            status: kwarp::api::pod::ConditionStatus::False,
            reason: "ProgressDeadlineExceeded".into(),
            ..Default::default()
        });
        assert!(
            matches!(deployment_status(&d), RolloutState::Failed(m) if m.contains("exceeded its progress deadline"))
        );
    }
}
