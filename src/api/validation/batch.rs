//! batch/v1 validation (`pkg/apis/batch/validation`, v1.28 with default feature
//! gates: elastic Indexed Jobs on, mutable scheduling directives for suspended Jobs
//! that never started): Job and CronJob.

use crate::api::error::PathExt;
use serde_json::Value;
use std::fmt;

use super::super::batch::{CronJob, Job, JobSpec};
use super::super::defaults::{
    JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL,
};
use super::super::node_affinity::Affinity;
use super::super::pod::{PodTemplateSpec, RestartPolicy};
use super::super::selector::validate_label_selector;
use super::super::{names, FieldError, FieldErrorKind, FieldErrors, Invalid, Kind, StringMap};
use super::core::pod_template_spec;
use super::cron::parse_schedule;
use super::{
    go_map, go_selector, go_selector_opt, immutable_selector, json, non_negative, non_negative_opt, object_meta,
    object_meta_update, q, NameRule, IMMUTABLE,
};

const MAX_PARALLELISM_INDEXED: i32 = 100_000;
const MAX_FAILED_INDEXES: i32 = 100_000;
const COMPLETIONS_SOFT_LIMIT: i32 = 100_000;
const PARALLELISM_LIMIT_HIGH_COMPLETIONS: i32 = 10_000;
const MAX_FAILED_INDEXES_HIGH_COMPLETIONS: i32 = 10_000;
const MAX_POD_FAILURE_POLICY_RULES: usize = 20;
const MAX_ON_EXIT_CODES_VALUES: usize = 255;
const MAX_ON_POD_CONDITIONS_PATTERNS: usize = 20;

/// `field.Invalid(path, field.OmitValueType{}, detail)`: printed without a value.
fn invalid_omit(path: impl fmt::Display, detail: &str) -> FieldError {
    FieldError {
        path: path.to_string(),
        kind: FieldErrorKind::Invalid { value: detail.to_string() },
        detail: String::new(),
    }
}

/// `field.TooMany` (printed as an invalid count; kwarp's errors have no "Too many" kind).
fn too_many(path: impl fmt::Display, n: usize, max: usize) -> FieldError {
    FieldError::invalid(path, n, format!("must have at most {max} items"))
}

fn opt_num(v: Option<i32>) -> String {
    v.map_or_else(|| "null".to_string(), |n| n.to_string())
}

// ------------------------------------------------------------------ Job

/// `ValidateJob` on create; `ValidateJob` + `ValidateJobUpdate` on update (each
/// violation listed once). Completions may change only for Indexed Jobs, together
/// with parallelism; the template only in its scheduling directives, and only while
/// the Job is suspended and never started.
pub fn job(o: &Job, old: Option<&Job>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    let require_prefixed_labels = match old {
        None => {
            object_meta(Kind::Job, &o.metadata, NameRule::Subdomain, &mut errs);
            true
        }
        Some(old) => {
            object_meta_update(&o.metadata, &old.metadata, &mut errs);
            let l = &old.spec.template.metadata.labels;
            l.contains_key(JOB_NAME_LABEL) && l.contains_key(JOB_CONTROLLER_UID_LABEL)
        }
    };
    generated_selector(o, require_prefixed_labels, &mut errs);
    job_spec(&o.spec, "spec", &mut errs);
    match o.spec.selector.as_ref() {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(sel) => validate_label_selector(sel, "spec.selector", &mut errs),
    }
    let selects = match o.spec.selector.as_ref() {
        None => Some(false),
        Some(sel) => sel.to_selector().ok().map(|s| s.matches(&o.spec.template.metadata.labels)),
    };
    if selects == Some(false) {
        errs.push(FieldError::invalid(
            "spec.template.metadata.labels",
            go_map(&o.spec.template.metadata.labels),
            "`selector` does not match template `labels`",
        ));
    }
    if o.spec.completion_mode == "Indexed" {
        if let Some(c) = o.spec.completions.filter(|c| *c > 0) {
            let host = format!("{}-{}", o.metadata.name, c - 1);
            if !names::is_dns1123_label(&host).is_empty() {
                errs.push(FieldError::invalid(
                    "metadata.name",
                    q(&o.metadata.name),
                    format!("will not able to create pod with invalid DNS label: {host}"),
                ));
            }
        }
    }
    if let Some(old) = old {
        job_spec_update(
            &o.spec,
            &old.spec,
            old.spec.suspend == Some(true) && old.status.start_time.is_none(),
            &mut errs,
        );
    }
    errs.into_result(Kind::Job, &o.metadata.name)
}

/// `validateGeneratedSelector`: a generated selector (manualSelector not true) must
/// select the generated labels, which the template must carry.
fn generated_selector(j: &Job, require_prefixed_labels: bool, errs: &mut FieldErrors) {
    if j.spec.manual_selector == Some(true) {
        return;
    }
    let Some(sel) = &j.spec.selector else { return };
    let (uid, name) = (j.metadata.uid.as_str(), j.metadata.name.as_str());
    if uid.is_empty() {
        errs.push(FieldError::required("metadata.uid", ""));
    }
    let mut expected = vec![(LEGACY_JOB_CONTROLLER_UID_LABEL, uid), (LEGACY_JOB_NAME_LABEL, name)];
    if require_prefixed_labels {
        expected.extend([(JOB_CONTROLLER_UID_LABEL, uid), (JOB_NAME_LABEL, name)]);
    }
    let labels = &j.spec.template.metadata.labels;
    for (key, want) in &expected {
        let path = format!("spec.template.metadata.labels[{key}]");
        match labels.get(*key) {
            None => errs.push(FieldError::required(path, *want)),
            Some(v) if v != want => errs.push(FieldError::invalid(path, go_map(labels), format!("must be '{want}'"))),
            Some(_) => {}
        }
    }
    let expected: StringMap = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if sel.to_selector().is_ok_and(|s| !s.matches(&expected)) {
        errs.push(FieldError::invalid("spec.selector", go_selector(sel), "`selector` not auto-generated"));
    }
}

/// `validateJobSpec` (shared with CronJob job templates); `path` is the spec's path.
fn job_spec(s: &JobSpec, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let p = |f: &'static str| path.dot(f);
    non_negative_opt(&p("parallelism"), s.parallelism, errs);
    non_negative_opt(&p("completions"), s.completions, errs);
    non_negative_opt(&p("activeDeadlineSeconds"), s.active_deadline_seconds, errs);
    non_negative_opt(&p("backoffLimit"), s.backoff_limit, errs);
    non_negative_opt(&p("ttlSecondsAfterFinished"), s.ttl_seconds_after_finished, errs);
    non_negative_opt(&p("backoffLimitPerIndex"), s.backoff_limit_per_index, errs);
    if let Some(m) = s.max_failed_indexes {
        non_negative(&p("maxFailedIndexes"), i64::from(m), errs);
        if s.backoff_limit_per_index.is_none() {
            errs.push(FieldError::required(p("backoffLimitPerIndex"), "when maxFailedIndexes is specified"));
        }
    }
    match s.completion_mode.as_str() {
        "" | "NonIndexed" => {
            if let Some(b) = s.backoff_limit_per_index {
                errs.push(FieldError::invalid(p("backoffLimitPerIndex"), b, "requires indexed completion mode"));
            }
            if let Some(m) = s.max_failed_indexes {
                errs.push(FieldError::invalid(p("maxFailedIndexes"), m, "requires indexed completion mode"));
            }
        }
        "Indexed" => indexed(s, path, errs),
        other => errs.push(FieldError::not_supported(p("completionMode"), other, &["NonIndexed", "Indexed"])),
    }
    if let Some(policy) = &s.pod_failure_policy {
        pod_failure_policy(policy, s, &p("podFailurePolicy"), errs);
    }
    match s.pod_replacement_policy.as_str() {
        "" => {}
        "Failed" => {}
        other if s.pod_failure_policy.is_some() => {
            errs.push(FieldError::not_supported(p("podReplacementPolicy"), other, &["Failed"]))
        }
        "TerminatingOrFailed" => {}
        other => {
            errs.push(FieldError::not_supported(p("podReplacementPolicy"), other, &["Failed", "TerminatingOrFailed"]))
        }
    }
    let tpath = p("template");
    pod_template_spec(&s.template, &tpath, errs);
    let rp_path = tpath.dot("spec.restartPolicy");
    match s.template.spec.restart_policy {
        None | Some(RestartPolicy::Always) => {
            errs.push(FieldError::required(rp_path, "valid values: \"OnFailure\", \"Never\""))
        }
        Some(RestartPolicy::OnFailure) if s.pod_failure_policy.is_some() => errs.push(FieldError::invalid(
            rp_path,
            q("OnFailure"),
            "only \"Never\" is supported when podFailurePolicy is specified",
        )),
        Some(_) => {}
    }
}

/// The Indexed-mode checks of `validateJobSpec`.
fn indexed(s: &JobSpec, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let p = |f: &'static str| path.dot(f);
    if s.completions.is_none() {
        errs.push(FieldError::required(p("completions"), "when completion mode is Indexed"));
    }
    if let Some(par) = s.parallelism.filter(|v| *v > MAX_PARALLELISM_INDEXED) {
        errs.push(FieldError::invalid(
            p("parallelism"),
            par,
            format!("must be less than or equal to {MAX_PARALLELISM_INDEXED} when completion mode is Indexed"),
        ));
    }
    if let (Some(c), Some(m)) = (s.completions, s.max_failed_indexes) {
        if m > c {
            errs.push(FieldError::invalid(p("maxFailedIndexes"), m, "must be less than or equal to completions"));
        }
    }
    if let Some(m) = s.max_failed_indexes.filter(|m| *m > MAX_FAILED_INDEXES) {
        errs.push(FieldError::invalid(
            p("maxFailedIndexes"),
            m,
            format!("must be less than or equal to {MAX_FAILED_INDEXES}"),
        ));
    }
    if s.completions.is_some_and(|c| c > COMPLETIONS_SOFT_LIMIT) && s.backoff_limit_per_index.is_some() {
        let suffix =
            format!("when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index");
        if s.max_failed_indexes.is_none() {
            errs.push(FieldError::required(
                p("maxFailedIndexes"),
                format!("must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"),
            ));
        }
        if let Some(par) = s.parallelism.filter(|v| *v > PARALLELISM_LIMIT_HIGH_COMPLETIONS) {
            errs.push(FieldError::invalid(
                p("parallelism"),
                par,
                format!("must be less than or equal to {PARALLELISM_LIMIT_HIGH_COMPLETIONS} {suffix}"),
            ));
        }
        if let Some(m) = s.max_failed_indexes.filter(|v| *v > MAX_FAILED_INDEXES_HIGH_COMPLETIONS) {
            errs.push(FieldError::invalid(
                p("maxFailedIndexes"),
                m,
                format!("must be less than or equal to {MAX_FAILED_INDEXES_HIGH_COMPLETIONS} {suffix}"),
            ));
        }
    }
}

/// `validatePodFailurePolicy` over the verbatim JSON (`onPodConditions[].status`
/// absent or empty means its default, "True").
fn pod_failure_policy(policy: &Value, spec: &JobSpec, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let rules_path = path.dot("rules");
    let Some(rules) = policy.get("rules").and_then(Value::as_array) else {
        errs.push(FieldError::required(rules_path, ""));
        return;
    };
    if rules.len() > MAX_POD_FAILURE_POLICY_RULES {
        errs.push(too_many(&rules_path, rules.len(), MAX_POD_FAILURE_POLICY_RULES));
    }
    let containers: Vec<&str> = spec
        .template
        .spec
        .containers
        .iter()
        .chain(&spec.template.spec.init_containers)
        .map(|c| c.name.as_str())
        .collect();
    for (i, rule) in rules.iter().enumerate() {
        let rp = rules_path.at(i);
        const ACTIONS: [&str; 4] = ["Count", "FailIndex", "FailJob", "Ignore"];
        match rule.get("action").and_then(Value::as_str).unwrap_or("") {
            "" => errs.push(FieldError::required(
                rp.dot("action"),
                r#"valid values: ["Count" "FailIndex" "FailJob" "Ignore"]"#,
            )),
            "FailIndex" if spec.backoff_limit_per_index.is_none() => errs.push(FieldError::invalid(
                rp.dot("action"),
                q("FailIndex"),
                "requires the backoffLimitPerIndex to be set",
            )),
            a if !ACTIONS.contains(&a) => errs.push(FieldError::not_supported(rp.dot("action"), a, &ACTIONS)),
            _ => {}
        }
        let on_exit = rule.get("onExitCodes").filter(|v| !v.is_null());
        let conditions = rule.get("onPodConditions").and_then(Value::as_array).filter(|c| !c.is_empty());
        if let Some(oe) = on_exit {
            on_exit_codes(oe, &containers, &rp.dot("onExitCodes"), errs);
        }
        if let Some(conds) = conditions {
            on_pod_conditions(conds, &rp.dot("onPodConditions"), errs);
        }
        match (on_exit.is_some(), conditions.is_some()) {
            (true, true) => {
                errs.push(invalid_omit(&rp, "specifying both OnExitCodes and OnPodConditions is not supported"))
            }
            (false, false) => {
                errs.push(invalid_omit(&rp, "specifying one of OnExitCodes and OnPodConditions is required"))
            }
            _ => {}
        }
    }
}

fn on_exit_codes(oe: &Value, containers: &[&str], path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let op = oe.get("operator").and_then(Value::as_str).unwrap_or("");
    match op {
        "" => errs.push(FieldError::required(path.dot("operator"), r#"valid values: ["In" "NotIn"]"#)),
        "In" | "NotIn" => {}
        other => errs.push(FieldError::not_supported(path.dot("operator"), other, &["In", "NotIn"])),
    }
    if let Some(name) = oe.get("containerName").and_then(Value::as_str) {
        if !containers.contains(&name) {
            errs.push(FieldError::invalid(
                path.dot("containerName"),
                q(name),
                "must be one of the container or initContainer names in the pod template",
            ));
        }
    }
    let values: Vec<i64> =
        oe.get("values").and_then(Value::as_array).map_or(Vec::new(), |v| v.iter().filter_map(Value::as_i64).collect());
    let go_values = |v: &[i64]| {
        if v.is_empty() {
            "[]int32(nil)".to_string()
        } else {
            format!("[]int32{{{}}}", v.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))
        }
    };
    let vpath = path.dot("values");
    if values.is_empty() {
        errs.push(FieldError::invalid(&vpath, go_values(&values), "at least one value is required"));
    } else if values.len() > MAX_ON_EXIT_CODES_VALUES {
        errs.push(too_many(&vpath, values.len(), MAX_ON_EXIT_CODES_VALUES));
    }
    for (j, v) in values.iter().enumerate() {
        if op == "In" && *v == 0 {
            errs.push(FieldError::invalid(vpath.at(j), v, "must not be 0 for the In operator"));
        }
        if values[..j].contains(v) {
            errs.push(FieldError::duplicate(vpath.at(j), v));
        }
    }
    if values.windows(2).any(|w| w[0] > w[1]) {
        errs.push(FieldError::invalid(&vpath, go_values(&values), "must be ordered"));
    }
}

fn on_pod_conditions(conds: &[Value], path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    if conds.len() > MAX_ON_POD_CONDITIONS_PATTERNS {
        errs.push(too_many(path, conds.len(), MAX_ON_POD_CONDITIONS_PATTERNS));
    }
    for (j, c) in conds.iter().enumerate() {
        let type_ = c.get("type").and_then(Value::as_str).unwrap_or("");
        for msg in names::is_qualified_name(type_) {
            errs.push(FieldError::invalid(format!("{path}[{j}].type"), q(type_), msg));
        }
        let status = c.get("status").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or("True");
        if !matches!(status, "False" | "True" | "Unknown") {
            errs.push(FieldError::not_supported(format!("{path}[{j}].status"), status, &["False", "True", "Unknown"]));
        }
    }
}

/// The update-only half of `ValidateJobSpecUpdate`.
fn job_spec_update(new: &JobSpec, old: &JobSpec, mutable_scheduling: bool, errs: &mut FieldErrors) {
    if new.completions != old.completions {
        if new.completion_mode != "Indexed" {
            errs.push(FieldError::invalid("spec.completions", opt_num(new.completions), IMMUTABLE));
        } else if new.completions.is_some() && new.completions != new.parallelism {
            errs.push(FieldError::invalid(
                "spec.completions",
                opt_num(new.completions),
                "can only be modified in tandem with spec.parallelism",
            ));
        }
    }
    immutable_selector(new.selector.as_ref(), old.selector.as_ref(), errs);
    let mut old_template = old.template.clone();
    if mutable_scheduling {
        allow_scheduling_changes(&mut old_template, &new.template);
    }
    if new.template != old_template {
        errs.push(FieldError::invalid("spec.template", json(&new.template), IMMUTABLE));
    }
    if new.completion_mode != old.completion_mode {
        let v = if new.completion_mode.is_empty() { "null".to_string() } else { q(&new.completion_mode) };
        errs.push(FieldError::invalid("spec.completionMode", v, IMMUTABLE));
    }
    if new.pod_failure_policy != old.pod_failure_policy {
        errs.push(FieldError::invalid("spec.podFailurePolicy", json(&new.pod_failure_policy), IMMUTABLE));
    }
    if new.backoff_limit_per_index != old.backoff_limit_per_index {
        errs.push(FieldError::invalid("spec.backoffLimitPerIndex", opt_num(new.backoff_limit_per_index), IMMUTABLE));
    }
}

/// `validatePodTemplateUpdate`'s munging: a suspended Job that never started may change
/// its template's node affinity, node selector, tolerations, labels and annotations.
fn allow_scheduling_changes(old: &mut PodTemplateSpec, new: &PodTemplateSpec) {
    match (&new.spec.affinity, &mut old.spec.affinity) {
        (None, old_affinity @ Some(_)) => {
            if let Some(a) = old_affinity.as_mut() {
                a.node_affinity = None;
            }
            if old_affinity.as_ref().is_some_and(|a| *a == Affinity::default()) {
                *old_affinity = None;
            }
        }
        (Some(n), old_affinity @ None) => {
            *old_affinity = Some(Affinity { node_affinity: n.node_affinity.clone(), ..Affinity::default() })
        }
        (Some(n), Some(o)) => o.node_affinity.clone_from(&n.node_affinity),
        (None, None) => {}
    }
    old.spec.node_selector.clone_from(&new.spec.node_selector);
    old.spec.tolerations.clone_from(&new.spec.tolerations);
    old.metadata.annotations.clone_from(&new.metadata.annotations);
    old.metadata.labels.clone_from(&new.metadata.labels);
}

/// `ValidateJobUpdateStatus`: counts ≥ 0, uncounted pod UIDs non-empty and unique.
pub fn job_status(new: &Job, old: &Job) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    object_meta_update(&new.metadata, &old.metadata, &mut errs);
    let st = &new.status;
    non_negative("status.active", i64::from(st.active), &mut errs);
    non_negative("status.succeeded", i64::from(st.succeeded), &mut errs);
    non_negative("status.failed", i64::from(st.failed), &mut errs);
    non_negative_opt("status.ready", st.ready, &mut errs);
    non_negative_opt("status.terminating", st.terminating, &mut errs);
    if let Some(u) = &st.uncounted_terminated_pods {
        let mut seen = std::collections::HashSet::new();
        for (list, uids) in [("succeeded", &u.succeeded), ("failed", &u.failed)] {
            for (i, uid) in uids.iter().enumerate() {
                let p = format!("status.uncountedTerminatedPods.{list}[{i}]");
                if uid.is_empty() {
                    errs.push(FieldError::invalid(p, q(""), "must not be empty"));
                } else if !seen.insert(uid) {
                    errs.push(FieldError::duplicate(p, q(uid)));
                }
            }
        }
    }
    errs.into_result(Kind::Job, &new.metadata.name)
}

// ------------------------------------------------------------------ CronJob

/// `ValidateCronJobCreate` / `ValidateCronJobUpdate`. Names longer than 52 characters
/// are rejected on create (the Jobs get an 11-character suffix); a schedule may only
/// mention `TZ` on update when the old one did, and never together with `timeZone`.
pub fn cron_job(o: &CronJob, old: Option<&CronJob>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    match old {
        None => object_meta(Kind::CronJob, &o.metadata, NameRule::Subdomain, &mut errs),
        Some(old) => object_meta_update(&o.metadata, &old.metadata, &mut errs),
    }
    let s = &o.spec;
    schedule(&s.schedule, s.time_zone.is_some(), old.map(|o| o.spec.schedule.as_str()), &mut errs);
    non_negative_opt("spec.startingDeadlineSeconds", s.starting_deadline_seconds, &mut errs);
    if old.is_none_or(|old| old.spec.time_zone != s.time_zone) {
        if let Some(tz) = &s.time_zone {
            time_zone(tz, &mut errs);
        }
    }
    const POLICIES: [&str; 3] = ["Allow", "Forbid", "Replace"];
    match s.concurrency_policy.as_str() {
        "" => errs.push(FieldError::required("spec.concurrencyPolicy", "")),
        p if !POLICIES.contains(&p) => errs.push(FieldError::not_supported("spec.concurrencyPolicy", p, &POLICIES)),
        _ => {}
    }
    let jt = &s.job_template.spec;
    job_spec(jt, "spec.jobTemplate.spec", &mut errs);
    if let Some(sel) = &jt.selector {
        errs.push(FieldError::invalid(
            "spec.jobTemplate.spec.selector",
            go_selector_opt(Some(sel)),
            "`selector` will be auto-generated",
        ));
    }
    if jt.manual_selector == Some(true) {
        errs.push(FieldError::not_supported("spec.jobTemplate.spec.manualSelector", "true", &["nil", "false"]));
    }
    non_negative_opt("spec.successfulJobsHistoryLimit", s.successful_jobs_history_limit, &mut errs);
    non_negative_opt("spec.failedJobsHistoryLimit", s.failed_jobs_history_limit, &mut errs);
    if old.is_none() && o.metadata.name.len() > 52 {
        errs.push(FieldError::invalid("metadata.name", q(&o.metadata.name), "must be no more than 52 characters"));
    }
    errs.into_result(Kind::CronJob, &o.metadata.name)
}

/// `validateScheduleFormat`: the grammar, and `TZ` in the schedule only where upstream
/// still tolerates it (on update, when the old schedule had it, without `timeZone`).
fn schedule(schedule: &str, has_time_zone: bool, old_schedule: Option<&str>, errs: &mut FieldErrors) {
    if schedule.is_empty() {
        errs.push(FieldError::required("spec.schedule", ""));
    } else {
        if let Err(msg) = parse_schedule(schedule) {
            errs.push(FieldError::invalid("spec.schedule", q(schedule), msg));
        }
        let allow_tz = old_schedule.is_some_and(|old| old.contains("TZ"));
        if schedule.contains("TZ") {
            if !allow_tz {
                errs.push(FieldError::invalid(
                    "spec.schedule",
                    q(schedule),
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                ));
            } else if has_time_zone {
                errs.push(FieldError::invalid(
                    "spec.schedule",
                    q(schedule),
                    "cannot use both timeZone field and TZ or CRON_TZ in schedule",
                ));
            }
        }
    }
}

/// The IANA naming rules `validateTimeZone` checks per '/'-separated part.
pub(crate) fn time_zone_syntax_ok(tz: &str) -> bool {
    tz.split('/').all(|part| {
        part != "."
            && part != ".."
            && !part.starts_with('-')
            && (1..=14).contains(&part.len())
            && part.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'+'))
    })
}

/// `validateTimeZone`. kwarp has no zone database, so a well-formed but unknown name
/// (upstream: `time.LoadLocation` fails) is accepted.
fn time_zone(tz: &str, errs: &mut FieldErrors) {
    const P: &str = "spec.timeZone";
    if tz.is_empty() {
        errs.push(FieldError::invalid(P, q(tz), "timeZone must be nil or non-empty string"));
        return;
    }
    if !time_zone_syntax_ok(tz) {
        errs.push(FieldError::invalid(P, q(tz), format!("unknown time zone {tz}")));
        return;
    }
    if tz.eq_ignore_ascii_case("Local") {
        errs.push(FieldError::invalid(
            P,
            q(tz),
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        ));
    }
}
