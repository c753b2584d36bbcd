//! Old apiVersion spellings, converted to the current version the way the API
//! server did while it served them: the object is read in the old version, that
//! version's defaults are applied where they differ from the current ones, and the
//! result is stored (and serialized) as `apps/v1` / `batch/v1`.
//!
//! | apiVersion | kind | conversion |
//! |---|---|---|
//! | `extensions/v1beta1`, `apps/v1beta1` | Deployment, and DaemonSet / ReplicaSet (extensions) or StatefulSet (apps) | no `spec.selector` → `matchLabels` = template labels; no `metadata.labels` → template labels (both only when the template has labels) |
//! | `extensions/v1beta1` | Deployment | RollingUpdate `maxUnavailable` 1 and `maxSurge` 1 when unset; `revisionHistoryLimit` and `progressDeadlineSeconds` unset → 2147483647, the value that API stored for "unset" (keep every ReplicaSet, no deadline), so apps/v1 defaulting does not turn them into 10 and 600 |
//! | `apps/v1beta1` | Deployment | `revisionHistoryLimit` unset → 2 |
//! | `extensions/v1beta1`, `apps/v1beta1` | Deployment | `spec.rollbackTo: {revision: N}` → annotation `deprecated.deployment.rollback.to: "N"`, as the API server's conversion did (the Deployment controller still acts on it) |
//! | `extensions/v1beta1` | DaemonSet | no `updateStrategy` type (and no `rollingUpdate`) → `OnDelete` |
//! | `apps/v1beta1` | StatefulSet | no `updateStrategy` type (and no `rollingUpdate`) → `OnDelete` |
//! | `apps/v1beta2`, `batch/v1beta1`, `batch/v2alpha1` | all | renamed only (their defaults are the current ones; apps/v1beta2 already required a selector) |
//!
//! `spec.rollbackTo` under `apps/v1` or `apps/v1beta2` is an unknown field there: an error.

use super::{AnyObject, FieldPath, ObjectError, Result};
use crate::api::apps::{DeploymentStrategy, RollingUpdateDeployment};
use crate::api::intstr::IntOrString;
use crate::api::meta::{ObjectMeta, StringMap};
use crate::api::selector::LabelSelector;
use crate::api::Kind;

/// Annotation the apps/v1 conversion of `spec.rollbackTo` wrote (`apps.DeprecatedRollbackTo`).
pub const DEPRECATED_ROLLBACK_TO_ANNOTATION: &str = "deprecated.deployment.rollback.to";

/// What extensions/v1beta1 stored for an unset history limit or progress deadline.
const UNSET_IN_EXTENSIONS: i32 = i32::MAX;

/// Converts `obj`, read from a manifest that spelled its apiVersion `api_version`,
/// to the current version (see the module table). A no-op for current spellings.
pub fn convert_legacy(obj: &mut AnyObject, api_version: &str) -> Result<()> {
    let extensions = api_version == "extensions/v1beta1";
    let apps_v1beta1 = api_version == "apps/v1beta1";
    match obj {
        AnyObject::Deployment(d) => {
            let s = &mut d.spec;
            if extensions || apps_v1beta1 {
                default_selector_and_labels(&mut d.metadata, &mut s.selector, &s.template.metadata.labels);
                if let Some(rollback) = s.rollback_to.take() {
                    let revision = rollback_revision(&rollback)?;
                    d.metadata.annotations.insert(DEPRECATED_ROLLBACK_TO_ANNOTATION.to_owned(), revision.to_string());
                }
            } else if s.rollback_to.is_some() {
                return Err(ObjectError::NotInVersion {
                    path: FieldPath::root().key("spec").key("rollbackTo"),
                    api_version: static_version(Kind::Deployment, api_version),
                    hint: "only extensions/v1beta1 and apps/v1beta1 had it; use `kubectl rollout undo`",
                });
            }
            if extensions {
                let strategy = s.strategy.get_or_insert_with(DeploymentStrategy::default);
                if strategy.type_.is_empty() {
                    strategy.type_ = "RollingUpdate".to_owned();
                }
                if strategy.type_ == "RollingUpdate" || strategy.rolling_update.is_some() {
                    let ru = strategy.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
                    ru.max_unavailable.get_or_insert(IntOrString::Int(1));
                    ru.max_surge.get_or_insert(IntOrString::Int(1));
                }
                s.revision_history_limit.get_or_insert(UNSET_IN_EXTENSIONS);
                s.progress_deadline_seconds.get_or_insert(UNSET_IN_EXTENSIONS);
            }
            if apps_v1beta1 {
                s.revision_history_limit.get_or_insert(2);
            }
        }
        AnyObject::DaemonSet(ds) if extensions => {
            let s = &mut ds.spec;
            default_selector_and_labels(&mut ds.metadata, &mut s.selector, &s.template.metadata.labels);
            let strategy = s.update_strategy.get_or_insert_with(Default::default);
            if strategy.type_.is_empty() && strategy.rolling_update.is_none() {
                strategy.type_ = "OnDelete".to_owned();
            }
        }
        AnyObject::ReplicaSet(rs) if extensions => {
            let s = &mut rs.spec;
            default_selector_and_labels(&mut rs.metadata, &mut s.selector, &s.template.metadata.labels);
        }
        AnyObject::StatefulSet(ss) if apps_v1beta1 => {
            let s = &mut ss.spec;
            default_selector_and_labels(&mut ss.metadata, &mut s.selector, &s.template.metadata.labels);
            let strategy = s.update_strategy.get_or_insert_with(Default::default);
            if strategy.type_.is_empty() && strategy.rolling_update.is_none() {
                strategy.type_ = "OnDelete".to_owned();
            }
        }
        _ => {}
    }
    Ok(())
}

/// The `&'static` spelling of an accepted apiVersion.
fn static_version(kind: Kind, v: &str) -> &'static str {
    let accepted = kind.accepted_api_versions();
    accepted.iter().find(|a| **a == v).copied().unwrap_or(accepted[0])
}

/// `SetDefaults_*` of the beta APIs: selector and object labels from the template labels.
fn default_selector_and_labels(meta: &mut ObjectMeta, selector: &mut Option<LabelSelector>, labels: &StringMap) {
    if labels.is_empty() {
        return;
    }
    if selector.is_none() {
        *selector = Some(LabelSelector::from_labels(labels.clone()));
    }
    if meta.labels.is_empty() {
        meta.labels = labels.clone();
    }
}

/// `rollbackTo.revision` (int64; absent = 0, "the last revision").
fn rollback_revision(rollback: &serde_json::Value) -> Result<i64> {
    let path = || FieldPath::root().key("spec").key("rollbackTo");
    let map = rollback.as_object().ok_or_else(|| ObjectError::InvalidValue {
        path: path(),
        message: format!("invalid type: {}, expected a map with `revision`", super::json_type(rollback)),
    })?;
    if let Some(field) = map.keys().find(|k| *k != "revision") {
        return Err(ObjectError::UnknownField { path: path().key(field.clone()), expected: "`revision`".to_owned() });
    }
    match map.get("revision") {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(v) => v.as_i64().ok_or_else(|| ObjectError::InvalidValue {
            path: path().key("revision"),
            message: format!("invalid type: {}, expected i64", super::json_type(v)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DaemonSet, Deployment, StatefulSet};
    use serde_json::json;

    fn read(api_version: &str, kind: &str, spec: serde_json::Value) -> Result<AnyObject> {
        AnyObject::from_json_value(json!({"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "x"}, "spec": spec}))
    }

    fn template() -> serde_json::Value {
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}})
    }

    fn deployment(api_version: &str, spec: serde_json::Value) -> Deployment {
        read(api_version, "Deployment", spec).unwrap().downcast().unwrap()
    }

    #[test]
    fn extensions_deployment_gets_the_old_defaults() {
        let d = deployment("extensions/v1beta1", json!({"template": template()}));
        assert_eq!(d.spec.selector, Some(LabelSelector::from_labels(d.spec.template.metadata.labels.clone())));
        assert_eq!(d.metadata.labels.get("app").map(String::as_str), Some("web"));
        let ru = d.spec.strategy.as_ref().unwrap().rolling_update.as_ref().unwrap();
        assert_eq!((ru.max_surge.clone(), ru.max_unavailable.clone()), (Some(1.into()), Some(1.into())));
        assert_eq!(d.spec.revision_history_limit, Some(i32::MAX));
        assert_eq!(d.spec.progress_deadline_seconds, Some(i32::MAX));
        assert_eq!(
            serde_json::to_value(&d).unwrap()["apiVersion"],
            json!("apps/v1"),
            "serialized in the current version"
        );
    }

    #[test]
    fn explicit_fields_win_over_old_defaults() {
        let d = deployment(
            "extensions/v1beta1",
            json!({"template": template(), "selector": {"matchLabels": {"app": "web"}},
                   "strategy": {"type": "Recreate"}, "revisionHistoryLimit": 3}),
        );
        assert_eq!(d.spec.strategy.as_ref().unwrap().rolling_update, None);
        assert_eq!(d.spec.revision_history_limit, Some(3));
    }

    #[test]
    fn apps_v1beta1_deployment_keeps_two_revisions_and_v1beta2_is_renamed_only() {
        let d = deployment("apps/v1beta1", json!({"template": template()}));
        assert_eq!(d.spec.revision_history_limit, Some(2));
        assert!(d.spec.selector.is_some());
        let d = deployment("apps/v1beta2", json!({"template": template()}));
        assert_eq!(d.spec.selector, None, "apps/v1beta2 required an explicit selector");
        assert_eq!(d.spec.revision_history_limit, None);
    }

    #[test]
    fn rollback_to_becomes_the_deprecated_annotation() {
        let d = deployment("extensions/v1beta1", json!({"template": template(), "rollbackTo": {"revision": 3}}));
        assert_eq!(d.spec.rollback_to, None);
        assert_eq!(d.metadata.annotations.get(DEPRECATED_ROLLBACK_TO_ANNOTATION).map(String::as_str), Some("3"));
        let d = deployment("apps/v1beta1", json!({"template": template(), "rollbackTo": {}}));
        assert_eq!(d.metadata.annotations.get(DEPRECATED_ROLLBACK_TO_ANNOTATION).map(String::as_str), Some("0"));
    }

    #[test]
    fn rollback_to_is_an_error_in_apps_v1() {
        let e = read("apps/v1", "Deployment", json!({"rollbackTo": {"revision": 1}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec.rollbackTo: unknown field in apps/v1 (only extensions/v1beta1 and apps/v1beta1 had it; use `kubectl rollout undo`)"
        );
        let e = read("extensions/v1beta1", "Deployment", json!({"rollbackTo": {"revision": "x"}})).unwrap_err();
        assert_eq!(e.to_string(), "spec.rollbackTo.revision: invalid type: a string, expected i64");
    }

    #[test]
    fn old_daemon_sets_and_stateful_sets_default_to_on_delete() {
        let ds: DaemonSet =
            read("extensions/v1beta1", "DaemonSet", json!({"template": template()})).unwrap().downcast().unwrap();
        assert_eq!(ds.spec.update_strategy.unwrap().type_, "OnDelete");
        assert!(ds.spec.selector.is_some());
        let ss: StatefulSet =
            read("apps/v1beta1", "StatefulSet", json!({"template": template()})).unwrap().downcast().unwrap();
        assert_eq!(ss.spec.update_strategy.unwrap().type_, "OnDelete");
        let ss: StatefulSet =
            read("apps/v1beta2", "StatefulSet", json!({"template": template()})).unwrap().downcast().unwrap();
        assert_eq!(ss.spec.update_strategy, None);
        assert_eq!(ss.spec.selector, None);
    }

    #[test]
    fn old_cron_job_spellings_are_renamed_only() {
        for v in ["batch/v1beta1", "batch/v2alpha1"] {
            let obj = read(v, "CronJob", json!({"schedule": "* * * * *"})).unwrap();
            assert_eq!(obj.kind(), Kind::CronJob);
            assert_eq!(obj.to_json_value()["apiVersion"], json!("batch/v1"));
        }
    }
}
