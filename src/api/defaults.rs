//! API-server defaulting (`SetDefaults_*` of apps/v1, batch/v1 and core/v1), run on every create and update.

use super::apps::{
    DaemonSet, DaemonSetUpdateStrategy, Deployment, DeploymentStrategy, PvcRetentionPolicy, ReplicaSet,
    RollingUpdateDaemonSet, RollingUpdateDeployment, RollingUpdateStatefulSet, StatefulSet, StatefulSetUpdateStrategy,
};
use super::batch::{CronJob, Job, JobSpec};
use super::intstr::IntOrString;
use super::node::Node;
use super::pod::{Pod, PodSpec, PodTemplateSpec, RestartPolicy};
use super::selector::LabelSelector;
use super::storage::{PersistentVolumeClaim, Service};

pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";
pub const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: i32 = 600;
pub const DEFAULT_JOB_BACKOFF_LIMIT: i32 = 6;

/// Job selector label (and its legacy spelling) the API server generates.
pub const JOB_CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
pub const LEGACY_JOB_CONTROLLER_UID_LABEL: &str = "controller-uid";
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";

/// `SetDefaults_PodSpec` (the parts kwarp models).
pub fn pod_spec(spec: &mut PodSpec) {
    spec.restart_policy.get_or_insert(RestartPolicy::Always);
    spec.termination_grace_period_seconds.get_or_insert(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    if spec.scheduler_name.is_empty() {
        spec.scheduler_name = DEFAULT_SCHEDULER_NAME.to_string();
    }
}

fn template(t: &mut PodTemplateSpec) {
    pod_spec(&mut t.spec);
}

pub fn pod(p: &mut Pod) {
    pod_spec(&mut p.spec);
}

pub fn node(_n: &mut Node) {}

pub fn service(s: &mut Service) {
    if s.spec.type_.is_empty() {
        s.spec.type_ = "ClusterIP".to_string();
    }
}

pub fn persistent_volume_claim(_c: &mut PersistentVolumeClaim) {}

pub fn replica_set(rs: &mut ReplicaSet) {
    rs.spec.replicas.get_or_insert(1);
    template(&mut rs.spec.template);
}

pub fn deployment(d: &mut Deployment) {
    let s = &mut d.spec;
    s.replicas.get_or_insert(1);
    let strategy = s.strategy.get_or_insert_with(DeploymentStrategy::default);
    if strategy.type_.is_empty() {
        strategy.type_ = "RollingUpdate".to_string();
    }
    if strategy.type_ == "RollingUpdate" {
        let ru = strategy.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
        ru.max_unavailable.get_or_insert_with(|| IntOrString::String("25%".into()));
        ru.max_surge.get_or_insert_with(|| IntOrString::String("25%".into()));
    }
    s.revision_history_limit.get_or_insert(DEFAULT_REVISION_HISTORY_LIMIT);
    s.progress_deadline_seconds.get_or_insert(DEFAULT_PROGRESS_DEADLINE_SECONDS);
    template(&mut s.template);
}

pub fn stateful_set(ss: &mut StatefulSet) {
    let s = &mut ss.spec;
    s.replicas.get_or_insert(1);
    if s.pod_management_policy.is_empty() {
        s.pod_management_policy = "OrderedReady".to_string();
    }
    let strategy = s.update_strategy.get_or_insert_with(StatefulSetUpdateStrategy::default);
    if strategy.type_.is_empty() {
        strategy.type_ = "RollingUpdate".to_string();
        strategy.rolling_update.get_or_insert_with(RollingUpdateStatefulSet::default);
    }
    if let Some(ru) = strategy.rolling_update.as_mut() {
        ru.partition.get_or_insert(0);
    }
    s.revision_history_limit.get_or_insert(DEFAULT_REVISION_HISTORY_LIMIT);
    let policy = s.persistent_volume_claim_retention_policy.get_or_insert_with(PvcRetentionPolicy::default);
    if policy.when_deleted.is_empty() {
        policy.when_deleted = "Retain".to_string();
    }
    if policy.when_scaled.is_empty() {
        policy.when_scaled = "Retain".to_string();
    }
    template(&mut s.template);
}

pub fn daemon_set(ds: &mut DaemonSet) {
    let s = &mut ds.spec;
    let strategy = s.update_strategy.get_or_insert_with(DaemonSetUpdateStrategy::default);
    if strategy.type_.is_empty() {
        strategy.type_ = "RollingUpdate".to_string();
    }
    if strategy.type_ == "RollingUpdate" {
        let ru = strategy.rolling_update.get_or_insert_with(RollingUpdateDaemonSet::default);
        ru.max_unavailable.get_or_insert(IntOrString::Int(1));
        ru.max_surge.get_or_insert(IntOrString::Int(0));
    }
    s.revision_history_limit.get_or_insert(DEFAULT_REVISION_HISTORY_LIMIT);
    template(&mut s.template);
}

/// `SetDefaults_Job` on a spec (also used for CronJob job templates' pod specs).
fn job_spec(s: &mut JobSpec) {
    match (s.completions, s.parallelism) {
        (None, None) => {
            s.completions = Some(1);
            s.parallelism = Some(1);
        }
        (_, None) => s.parallelism = Some(1),
        _ => {}
    }
    if s.backoff_limit.is_none() {
        s.backoff_limit = Some(if s.backoff_limit_per_index.is_some() { i32::MAX } else { DEFAULT_JOB_BACKOFF_LIMIT });
    }
    if s.completion_mode.is_empty() {
        s.completion_mode = "NonIndexed".to_string();
    }
    s.suspend.get_or_insert(false);
    // podFailurePolicy.rules[].onPodConditions[].status defaults to "True".
    if let Some(rules) = s.pod_failure_policy.as_mut().and_then(|p| p.get_mut("rules")).and_then(|r| r.as_array_mut()) {
        for rule in rules {
            if let Some(conds) = rule.get_mut("onPodConditions").and_then(|c| c.as_array_mut()) {
                for c in conds.iter_mut().filter_map(|c| c.as_object_mut()) {
                    c.entry("status").or_insert_with(|| "True".into());
                }
            }
        }
    }
    template(&mut s.template);
}

/// Job defaults, plus the selector the API server generates when
/// `manualSelector` is not true and the Job already has a uid (on create).
pub fn job(j: &mut Job) {
    job_spec(&mut j.spec);
    if j.metadata.labels.is_empty() {
        j.metadata.labels = j.spec.template.metadata.labels.clone();
    }
    let uid = j.metadata.uid.clone();
    if j.spec.manual_selector != Some(true) && !uid.is_empty() {
        // `generateSelector`: labels the user set are kept; the selector gains the controller uid.
        let name = j.metadata.name.clone();
        let labels = &mut j.spec.template.metadata.labels;
        for (k, v) in [
            (LEGACY_JOB_NAME_LABEL, &name),
            (LEGACY_JOB_CONTROLLER_UID_LABEL, &uid),
            (JOB_NAME_LABEL, &name),
            (JOB_CONTROLLER_UID_LABEL, &uid),
        ] {
            labels.entry(k.to_string()).or_insert_with(|| v.clone());
        }
        let sel = j.spec.selector.get_or_insert_with(LabelSelector::default);
        sel.match_labels.entry(JOB_CONTROLLER_UID_LABEL.to_string()).or_insert(uid);
    }
}

pub fn cron_job(c: &mut CronJob) {
    let s = &mut c.spec;
    if s.concurrency_policy.is_empty() {
        s.concurrency_policy = "Allow".to_string();
    }
    s.suspend.get_or_insert(false);
    s.successful_jobs_history_limit.get_or_insert(3);
    s.failed_jobs_history_limit.get_or_insert(1);
    template(&mut s.job_template.spec.template);
}
