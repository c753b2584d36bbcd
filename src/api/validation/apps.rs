//! apps/v1 validation (`pkg/apis/apps/validation` plus the apps/v1 strategies'
//! immutable selector): Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.

use super::super::apps::{
    ControllerRevision, DaemonSet, DaemonSetSpec, Deployment, DeploymentStrategy, ReplicaSet, RollingUpdateDaemonSet,
    RollingUpdateStatefulSet, StatefulSet, StatefulSetSpec, StatefulSetUpdateStrategy,
};
use super::super::intstr::IntOrString;
use super::super::pod::{PodTemplateSpec, RestartPolicy};
use super::super::selector::{validate_label_selector, LabelSelector};
use super::super::{names, FieldError, FieldErrors, Invalid, Kind, ObjectMeta};
use super::core::pod_template_spec;
use super::{
    go_intstr, go_map, go_selector, immutable_selector, int_or_percent_value, json, non_negative, non_negative_opt,
    not_more_than_100_percent, object_meta, object_meta_update, positive_int_or_percent, q, NameRule,
};
use crate::api::error::PathExt;

/// The annotation apps/v1 DaemonSets carry their template generation in.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";

/// Create: ObjectMeta with the kind's name rule. Update: ObjectMeta immutability.
fn meta(kind: Kind, new: &ObjectMeta, old: Option<&ObjectMeta>, rule: NameRule, errs: &mut FieldErrors) {
    match old {
        None => object_meta(kind, new, rule, errs),
        Some(old) => object_meta_update(new, old, errs),
    }
}

/// A selector that must be present and non-empty (`kind` names it in the message).
fn required_selector(sel: Option<&LabelSelector>, kind: &str, errs: &mut FieldErrors) {
    match sel {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(s) => {
            validate_label_selector(s, "spec.selector", errs);
            if s.is_empty() {
                errs.push(FieldError::invalid(
                    "spec.selector",
                    go_selector(s),
                    format!("empty selector is invalid for {kind}"),
                ));
            }
        }
    }
}

/// `metav1.LabelSelectorAsSelector` then "does it select the template": `None` when the
/// selector does not compile; an absent selector selects nothing, `{}` everything.
fn selects_template(sel: Option<&LabelSelector>, template: &PodTemplateSpec) -> Option<bool> {
    match sel {
        None => Some(false),
        Some(s) => s.to_selector().ok().map(|c| c.matches(&template.metadata.labels)),
    }
}

fn template_mismatch(template: &PodTemplateSpec, errs: &mut FieldErrors) {
    errs.push(FieldError::invalid(
        "spec.template.metadata.labels",
        go_map(&template.metadata.labels),
        "`selector` does not match template `labels`",
    ));
}

/// Template rules of long-running workloads: restartPolicy Always, no activeDeadlineSeconds.
fn always_running(template: &PodTemplateSpec, kind: &str, errs: &mut FieldErrors) {
    if template.spec.restart_policy != Some(RestartPolicy::Always) {
        let v = template.spec.restart_policy.map_or("", RestartPolicy::as_str);
        errs.push(FieldError::not_supported("spec.template.spec.restartPolicy", v, &["Always"]));
    }
    if template.spec.active_deadline_seconds.is_some() {
        errs.push(FieldError::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
}

/// `ValidateReplicaSetSpec` / the shared part of `ValidateDeploymentSpec`.
fn selector_and_template(sel: Option<&LabelSelector>, template: &PodTemplateSpec, errs: &mut FieldErrors) {
    required_selector(sel, "deployment", errs);
    match selects_template(sel, template) {
        None => errs.push(FieldError::invalid("spec.selector", super::go_selector_opt(sel), "invalid label selector")),
        Some(matches) => {
            if !matches && !sel.is_some_and(LabelSelector::is_empty) {
                template_mismatch(template, errs);
            }
            pod_template_spec(template, "spec.template", errs);
            always_running(template, "ReplicaSet", errs);
        }
    }
}

// ------------------------------------------------------------------ ReplicaSet

pub fn replica_set(o: &ReplicaSet, old: Option<&ReplicaSet>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    meta(Kind::ReplicaSet, &o.metadata, old.map(|x| &x.metadata), NameRule::Subdomain, &mut errs);
    let s = &o.spec;
    non_negative_opt("spec.replicas", s.replicas, &mut errs);
    non_negative_opt("spec.minReadySeconds", s.min_ready_seconds, &mut errs);
    selector_and_template(s.selector.as_ref(), &s.template, &mut errs);
    if let Some(old) = old {
        immutable_selector(s.selector.as_ref(), old.spec.selector.as_ref(), &mut errs);
    }
    errs.into_result(Kind::ReplicaSet, &o.metadata.name)
}

/// `ValidateReplicaSetStatusUpdate`.
pub fn replica_set_status(new: &ReplicaSet, old: &ReplicaSet) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    object_meta_update(&new.metadata, &old.metadata, &mut errs);
    let st = &new.status;
    counts(&[("replicas", st.replicas), ("fullyLabeledReplicas", st.fully_labeled_replicas)], &mut errs);
    counts(&[("readyReplicas", st.ready_replicas), ("availableReplicas", st.available_replicas)], &mut errs);
    non_negative("status.observedGeneration", st.observed_generation, &mut errs);
    at_most_replicas(
        st.replicas,
        &[
            ("fullyLabeledReplicas", st.fully_labeled_replicas),
            ("readyReplicas", st.ready_replicas),
            ("availableReplicas", st.available_replicas),
        ],
        &mut errs,
    );
    available_at_most_ready(st.available_replicas, st.ready_replicas, "readyReplicas", &mut errs);
    errs.into_result(Kind::ReplicaSet, &new.metadata.name)
}

fn counts(fields: &[(&str, i32)], errs: &mut FieldErrors) {
    for (f, v) in fields {
        non_negative(&"status".dot(f), i64::from(*v), errs);
    }
}

fn at_most_replicas(replicas: i32, fields: &[(&str, i32)], errs: &mut FieldErrors) {
    for (f, v) in fields {
        if *v > replicas {
            errs.push(FieldError::invalid("status".dot(f), v, "cannot be greater than status.replicas"));
        }
    }
}

fn available_at_most_ready(available: i32, ready: i32, ready_name: &str, errs: &mut FieldErrors) {
    if available > ready {
        errs.push(FieldError::invalid(
            "status.availableReplicas",
            available,
            format!("cannot be greater than {ready_name}"),
        ));
    }
}

/// `IsDecremented(collisionCount)`: going from a value to none, or to a smaller value.
fn collision_count_not_decremented(new: Option<i32>, old: Option<i32>, errs: &mut FieldErrors) {
    let decremented = match (new, old) {
        (None, Some(_)) => true,
        (Some(n), Some(o)) => n < o,
        _ => false,
    };
    if decremented {
        errs.push(FieldError::invalid("status.collisionCount", new.unwrap_or(0), "cannot be decremented"));
    }
}

// ------------------------------------------------------------------ Deployment

pub fn deployment(o: &Deployment, old: Option<&Deployment>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    meta(Kind::Deployment, &o.metadata, old.map(|x| &x.metadata), NameRule::Subdomain, &mut errs);
    let s = &o.spec;
    non_negative_opt("spec.replicas", s.replicas, &mut errs);
    selector_and_template(s.selector.as_ref(), &s.template, &mut errs);
    deployment_strategy(s.strategy.as_ref(), &mut errs);
    non_negative_opt("spec.minReadySeconds", s.min_ready_seconds, &mut errs);
    non_negative_opt("spec.revisionHistoryLimit", s.revision_history_limit, &mut errs);
    if s.rollback_to.is_some() {
        errs.push(FieldError::forbidden("spec.rollbackTo", "not supported by apps/v1 (use `kubectl rollout undo`)"));
    }
    if let Some(pds) = s.progress_deadline_seconds {
        non_negative("spec.progressDeadlineSeconds", i64::from(pds), &mut errs);
        if pds <= s.min_ready_seconds.unwrap_or(0) {
            errs.push(FieldError::invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"));
        }
    }
    if let Some(old) = old {
        immutable_selector(s.selector.as_ref(), old.spec.selector.as_ref(), &mut errs);
    }
    errs.into_result(Kind::Deployment, &o.metadata.name)
}

/// `ValidateDeploymentStrategy` + `ValidateRollingUpdateDeployment`.
fn deployment_strategy(strategy: Option<&DeploymentStrategy>, errs: &mut FieldErrors) {
    let default = DeploymentStrategy::default();
    let st = strategy.unwrap_or(&default);
    match (st.type_.as_str(), &st.rolling_update) {
        ("Recreate", Some(_)) => errs.push(FieldError::forbidden(
            "spec.strategy.rollingUpdate",
            "may not be specified when strategy `type` is 'Recreate'",
        )),
        ("Recreate", None) => {}
        ("RollingUpdate", None) => {
            errs.push(FieldError::required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"))
        }
        ("RollingUpdate", Some(ru)) => {
            const P: &str = "spec.strategy.rollingUpdate";
            let zero = IntOrString::Int(0);
            let unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
            let surge = ru.max_surge.as_ref().unwrap_or(&zero);
            positive_int_or_percent(unavailable, &P.dot("maxUnavailable"), errs);
            positive_int_or_percent(surge, &P.dot("maxSurge"), errs);
            if int_or_percent_value(unavailable) == 0 && int_or_percent_value(surge) == 0 {
                errs.push(FieldError::invalid(
                    P.dot("maxUnavailable"),
                    go_intstr(unavailable),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
            not_more_than_100_percent(unavailable, &P.dot("maxUnavailable"), errs);
        }
        (other, _) => errs.push(FieldError::not_supported("spec.strategy", other, &["Recreate", "RollingUpdate"])),
    }
}

/// `ValidateDeploymentStatusUpdate`.
pub fn deployment_status(new: &Deployment, old: &Deployment) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    object_meta_update(&new.metadata, &old.metadata, &mut errs);
    let st = &new.status;
    non_negative("status.observedGeneration", st.observed_generation, &mut errs);
    counts(
        &[
            ("replicas", st.replicas),
            ("updatedReplicas", st.updated_replicas),
            ("readyReplicas", st.ready_replicas),
            ("availableReplicas", st.available_replicas),
            ("unavailableReplicas", st.unavailable_replicas),
        ],
        &mut errs,
    );
    non_negative_opt("status.collisionCount", st.collision_count, &mut errs);
    at_most_replicas(
        st.replicas,
        &[
            ("updatedReplicas", st.updated_replicas),
            ("readyReplicas", st.ready_replicas),
            ("availableReplicas", st.available_replicas),
        ],
        &mut errs,
    );
    available_at_most_ready(st.available_replicas, st.ready_replicas, "readyReplicas", &mut errs);
    collision_count_not_decremented(st.collision_count, old.status.collision_count, &mut errs);
    errs.into_result(Kind::Deployment, &new.metadata.name)
}

// ------------------------------------------------------------------ StatefulSet

const STS_UPDATE_FORBIDDEN: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', \
'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/// `ValidateStatefulSet` / `ValidateStatefulSetUpdate`. Upstream checks only the
/// template's labels and annotations, not its pod spec (volumes come from the claim
/// templates); kwarp does the same.
pub fn stateful_set(o: &StatefulSet, old: Option<&StatefulSet>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    meta(Kind::StatefulSet, &o.metadata, old.map(|x| &x.metadata), NameRule::Label, &mut errs);
    stateful_set_spec(&o.spec, &mut errs);
    if let Some(old) = old {
        let mut clone = o.spec.clone();
        clone.replicas = old.spec.replicas;
        clone.template.clone_from(&old.spec.template);
        clone.update_strategy.clone_from(&old.spec.update_strategy);
        clone.min_ready_seconds = old.spec.min_ready_seconds;
        clone.ordinals.clone_from(&old.spec.ordinals);
        clone.persistent_volume_claim_retention_policy.clone_from(&old.spec.persistent_volume_claim_retention_policy);
        if clone != old.spec {
            errs.push(FieldError::forbidden("spec", STS_UPDATE_FORBIDDEN));
        }
    }
    errs.into_result(Kind::StatefulSet, &o.metadata.name)
}

fn stateful_set_spec(s: &StatefulSetSpec, errs: &mut FieldErrors) {
    match s.pod_management_policy.as_str() {
        "" => errs.push(FieldError::required("spec.podManagementPolicy", "")),
        "OrderedReady" | "Parallel" => {}
        other => {
            errs.push(FieldError::invalid("spec.podManagementPolicy", q(other), "must be 'OrderedReady' or 'Parallel'"))
        }
    }
    sts_update_strategy(s.update_strategy.as_ref(), errs);
    if let Some(p) = &s.persistent_volume_claim_retention_policy {
        for (field, v) in [("whenDeleted", &p.when_deleted), ("whenScaled", &p.when_scaled)] {
            if v != "Retain" && v != "Delete" {
                errs.push(FieldError::not_supported(
                    "spec.persistentVolumeClaimRetentionPolicy".dot(field),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    non_negative_opt("spec.replicas", s.replicas, errs);
    non_negative_opt("spec.minReadySeconds", s.min_ready_seconds, errs);
    if let Some(o) = &s.ordinals {
        non_negative("spec.ordinals.start", i64::from(o.start), errs);
    }
    let sel = s.selector.as_ref();
    required_selector(sel, "statefulset", errs);
    match selects_template(sel, &s.template) {
        None => errs.push(FieldError::invalid("spec.selector", super::go_selector_opt(sel), "")),
        Some(matches) => {
            if !matches && !sel.is_some_and(LabelSelector::is_empty) {
                template_mismatch(&s.template, errs);
            }
            names::validate_labels(&s.template.metadata.labels, "spec.template.labels", errs);
            names::validate_annotations(&s.template.metadata.annotations, "spec.template.annotations", errs);
        }
    }
    always_running(&s.template, "StatefulSet", errs);
}

/// The updateStrategy part of `ValidateStatefulSetSpec`.
fn sts_update_strategy(strategy: Option<&StatefulSetUpdateStrategy>, errs: &mut FieldErrors) {
    let default = StatefulSetUpdateStrategy::default();
    let strategy = strategy.unwrap_or(&default);
    match (strategy.type_.as_str(), &strategy.rolling_update) {
        ("", _) => errs.push(FieldError::required("spec.updateStrategy", "")),
        ("OnDelete", Some(ru)) => errs.push(FieldError::invalid(
            "spec.updateStrategy.rollingUpdate",
            go_sts_rolling_update(ru),
            "only allowed for updateStrategy 'RollingUpdate'",
        )),
        ("OnDelete", None) | ("RollingUpdate", None) => {}
        ("RollingUpdate", Some(ru)) => sts_rolling_update(ru, errs),
        (other, _) => errs.push(FieldError::invalid(
            "spec.updateStrategy",
            format!(
                "apps.StatefulSetUpdateStrategy{{Type:{other:?}, RollingUpdate:{}}}",
                strategy.rolling_update.as_ref().map_or(
                    "(*apps.RollingUpdateStatefulSetStrategy)(nil)".into(),
                    |ru| format!("&{}", go_sts_rolling_update(ru))
                )
            ),
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
}

fn go_sts_rolling_update(ru: &RollingUpdateStatefulSet) -> String {
    format!(
        "apps.RollingUpdateStatefulSetStrategy{{Partition:{}, MaxUnavailable:{}}}",
        ru.partition.unwrap_or(0),
        ru.max_unavailable.as_ref().map_or("(*intstr.IntOrString)(nil)".into(), |m| format!("&{}", go_intstr(m)))
    )
}

/// `validateRollingUpdateStatefulSet`.
fn sts_rolling_update(ru: &RollingUpdateStatefulSet, errs: &mut FieldErrors) {
    const P: &str = "spec.updateStrategy.rollingUpdate";
    non_negative(&P.dot("partition"), i64::from(ru.partition.unwrap_or(0)), errs);
    if let Some(mu) = &ru.max_unavailable {
        let path = P.dot("maxUnavailable");
        positive_int_or_percent(mu, &path, errs);
        if int_or_percent_value(mu) == 0 {
            errs.push(FieldError::invalid(&path, go_intstr(mu), "cannot be 0"));
        }
        not_more_than_100_percent(mu, &path, errs);
    }
}

/// `ValidateStatefulSetStatusUpdate`.
pub fn stateful_set_status(new: &StatefulSet, old: &StatefulSet) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    let st = &new.status;
    let fields = [
        ("readyReplicas", st.ready_replicas),
        ("currentReplicas", st.current_replicas),
        ("updatedReplicas", st.updated_replicas),
        ("availableReplicas", st.available_replicas),
    ];
    counts(&[("replicas", st.replicas)], &mut errs);
    counts(&fields, &mut errs);
    non_negative("status.observedGeneration", st.observed_generation, &mut errs);
    non_negative_opt("status.collisionCount", st.collision_count, &mut errs);
    at_most_replicas(st.replicas, &fields, &mut errs);
    available_at_most_ready(st.available_replicas, st.ready_replicas, "status.readyReplicas", &mut errs);
    object_meta_update(&new.metadata, &old.metadata, &mut errs);
    collision_count_not_decremented(st.collision_count, old.status.collision_count, &mut errs);
    errs.into_result(Kind::StatefulSet, &new.metadata.name)
}

// ------------------------------------------------------------------ DaemonSet

/// `ValidateDaemonSet` / `ValidateDaemonSetUpdate` (+ the apps/v1 immutable selector).
pub fn daemon_set(o: &DaemonSet, old: Option<&DaemonSet>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    meta(Kind::DaemonSet, &o.metadata, old.map(|x| &x.metadata), NameRule::Subdomain, &mut errs);
    if let Some(old) = old {
        template_generation_update(o, old, &mut errs);
    }
    daemon_set_spec(&o.spec, &mut errs);
    if let Some(old) = old {
        immutable_selector(o.spec.selector.as_ref(), old.spec.selector.as_ref(), &mut errs);
    }
    errs.into_result(Kind::DaemonSet, &o.metadata.name)
}

fn daemon_set_spec(s: &DaemonSetSpec, errs: &mut FieldErrors) {
    let sel = s.selector.as_ref();
    if let Some(sel) = sel {
        validate_label_selector(sel, "spec.selector", errs);
    }
    if selects_template(sel, &s.template) == Some(false) {
        template_mismatch(&s.template, errs);
    }
    if let Some(sel) = sel.filter(|s| s.is_empty()) {
        errs.push(FieldError::invalid("spec.selector", go_selector(sel), "empty selector is invalid for daemonset"));
    }
    pod_template_spec(&s.template, "spec.template", errs);
    always_running(&s.template, "DaemonSet", errs);
    non_negative_opt("spec.minReadySeconds", s.min_ready_seconds, errs);
    non_negative_opt("spec.templateGeneration", s.template_generation, errs);
    let strategy = s.update_strategy.clone().unwrap_or_default();
    match (strategy.type_.as_str(), &strategy.rolling_update) {
        ("OnDelete", _) => {}
        ("RollingUpdate", None) => errs.push(FieldError::required("spec.updateStrategy.rollingUpdate", "")),
        ("RollingUpdate", Some(ru)) => ds_rolling_update(ru, errs),
        (other, _) => {
            errs.push(FieldError::not_supported("spec.updateStrategy", other, &["RollingUpdate", "OnDelete"]))
        }
    }
    non_negative_opt("spec.revisionHistoryLimit", s.revision_history_limit, errs);
}

/// `ValidateRollingUpdateDaemonSet`: both int-or-percent ≤ 100%, exactly one non-zero.
fn ds_rolling_update(ru: &RollingUpdateDaemonSet, errs: &mut FieldErrors) {
    const P: &str = "spec.updateStrategy.rollingUpdate";
    let zero = IntOrString::Int(0);
    let unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
    let surge = ru.max_surge.as_ref().unwrap_or(&zero);
    positive_int_or_percent(unavailable, &P.dot("maxUnavailable"), errs);
    positive_int_or_percent(surge, &P.dot("maxSurge"), errs);
    not_more_than_100_percent(unavailable, &P.dot("maxUnavailable"), errs);
    not_more_than_100_percent(surge, &P.dot("maxSurge"), errs);
    match (int_or_percent_value(unavailable) != 0, int_or_percent_value(surge) != 0) {
        (true, true) => errs.push(FieldError::invalid(
            P.dot("maxSurge"),
            go_intstr(surge),
            "may not be set when maxUnavailable is non-zero",
        )),
        (false, false) => errs.push(FieldError::required(P.dot("maxUnavailable"), "cannot be 0 when maxSurge is 0")),
        _ => {}
    }
}

/// The template generation: `spec.templateGeneration` (extensions/v1beta1) or the
/// apps/v1 annotation; `None` when neither is set.
fn template_generation(ds: &DaemonSet) -> Option<i64> {
    ds.spec
        .template_generation
        .or_else(|| ds.metadata.annotations.get(TEMPLATE_GENERATION_ANNOTATION).and_then(|v| v.parse().ok()))
}

/// `ValidateDaemonSetSpecUpdate`: the template generation never decreases and grows
/// exactly when the template changes. Checked only when both objects carry one.
fn template_generation_update(new: &DaemonSet, old: &DaemonSet, errs: &mut FieldErrors) {
    let (Some(n), Some(o)) = (template_generation(new), template_generation(old)) else { return };
    const P: &str = "spec.templateGeneration";
    if n < o {
        errs.push(FieldError::invalid(P, n, "must not be decremented"));
    }
    let changed = new.spec.template != old.spec.template;
    if n == o && changed {
        errs.push(FieldError::invalid(P, n, "must be incremented upon template update"));
    } else if n > o && !changed {
        errs.push(FieldError::invalid(P, n, "must not be incremented without template update"));
    }
}

/// `ValidateDaemonSetStatusUpdate`.
pub fn daemon_set_status(new: &DaemonSet, old: &DaemonSet) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    object_meta_update(&new.metadata, &old.metadata, &mut errs);
    let st = &new.status;
    counts(
        &[
            ("currentNumberScheduled", st.current_number_scheduled),
            ("numberMisscheduled", st.number_misscheduled),
            ("desiredNumberScheduled", st.desired_number_scheduled),
            ("numberReady", st.number_ready),
        ],
        &mut errs,
    );
    non_negative("status.observedGeneration", st.observed_generation, &mut errs);
    counts(
        &[
            ("updatedNumberScheduled", st.updated_number_scheduled),
            ("numberAvailable", st.number_available),
            ("numberUnavailable", st.number_unavailable),
        ],
        &mut errs,
    );
    non_negative_opt("status.collisionCount", st.collision_count, &mut errs);
    collision_count_not_decremented(st.collision_count, old.status.collision_count, &mut errs);
    errs.into_result(Kind::DaemonSet, &new.metadata.name)
}

// ------------------------------------------------------------------ ControllerRevision

/// `ValidateControllerRevision` / `...Update`: data required and immutable, revision ≥ 0.
pub fn controller_revision(o: &ControllerRevision, old: Option<&ControllerRevision>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    meta(Kind::ControllerRevision, &o.metadata, old.map(|x| &x.metadata), NameRule::Subdomain, &mut errs);
    if o.data.is_null() {
        errs.push(FieldError::required("data", "data is mandatory"));
    }
    non_negative("revision", o.revision, &mut errs);
    if let Some(old) = old {
        if o.data != old.data {
            errs.push(FieldError::invalid("data", json(&o.data), super::IMMUTABLE));
        }
    }
    errs.into_result(Kind::ControllerRevision, &o.metadata.name)
}
