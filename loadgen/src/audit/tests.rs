//! The auditor on synthetic event sequences: runs that keep the contracts, and runs that break them (with the message).

use kwarp::api::apps::{DeploymentStrategy, RollingUpdateDeployment};
use kwarp::api::pod::{Condition, ConditionStatus, PodPhase};
use kwarp::api::{Deployment, IntOrString, ObjectMeta, OwnerReference, Pod, ReplicaSet, Time};
use kwarp::store::{AnyEvent, AnyResource, EventType};
use std::sync::Arc;

use super::*;

const S: i64 = 1_000_000_000;

/// A hand-written event stream: objects by name, times in seconds.
struct Log {
    auditor: Auditor,
    revision: u64,
    deployments: Vec<Deployment>,
    replica_sets: Vec<ReplicaSet>,
    pods: Vec<Pod>,
}

fn owner(kind: &str, name: &str) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: kind.into(),
        name: name.into(),
        uid: format!("uid-{name}"),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn meta(name: &str) -> ObjectMeta {
    let mut m = ObjectMeta::named("default", name);
    m.uid = format!("uid-{name}");
    m.generation = 1;
    m
}

impl Log {
    fn new(settings: AuditSettings) -> Self {
        Log::with(Auditor::new(Time(0), settings, true))
    }

    /// A log checked by the Deployment bounds alone.
    fn deployments_only(settings: AuditSettings) -> Self {
        let only: Vec<Box<dyn Invariant>> = vec![Box::new(deployment::RollingUpdateBounds::new(settings))];
        Log::with(Auditor::with(Time(0), settings, only, true))
    }

    fn with(auditor: Auditor) -> Self {
        Log { auditor, revision: 0, deployments: Vec::new(), replica_sets: Vec::new(), pods: Vec::new() }
    }

    fn emit(&mut self, at: f64, type_: EventType, object: Arc<dyn AnyResource>) {
        self.revision += 1;
        let ev = AnyEvent {
            revision: self.revision,
            time: Time((at * S as f64) as i64),
            type_,
            kind: object.kind(),
            object,
        };
        self.auditor.observe(&ev);
    }

    /// A RollingUpdate Deployment `name` with `replicas`, maxSurge and maxUnavailable, image `v1`.
    fn deployment(&mut self, at: f64, name: &str, replicas: i32, surge: i32, unavailable: i32) {
        let mut d = Deployment { metadata: meta(name), ..Default::default() };
        d.spec.replicas = Some(replicas);
        d.spec.strategy = Some(DeploymentStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(IntOrString::Int(surge)),
                max_unavailable: Some(IntOrString::Int(unavailable)),
            }),
        });
        d.spec.template.spec.containers.push(kwarp::api::pod::Container {
            name: "app".into(),
            image: "v1".into(),
            ..Default::default()
        });
        self.deployments.push(d.clone());
        self.emit(at, EventType::Added, Arc::new(d));
    }

    fn edit_deployment(&mut self, at: f64, name: &str, f: impl FnOnce(&mut Deployment)) {
        let i = self.deployments.iter().position(|d| d.metadata.name == name).unwrap();
        let d = &mut self.deployments[i];
        f(d);
        let d = d.clone();
        self.emit(at, EventType::Modified, Arc::new(d));
    }

    fn set_image(&mut self, at: f64, name: &str, image: &str) {
        self.edit_deployment(at, name, |d| {
            d.spec.template.spec.containers[0].image = image.into();
            d.metadata.generation += 1;
        });
    }

    /// ReplicaSet `name` of Deployment `dep` with `replicas`; status as the controller would write it at rest.
    fn rs(&mut self, at: f64, name: &str, dep: &str, replicas: i32) {
        let mut r = ReplicaSet { metadata: meta(name), ..Default::default() };
        r.metadata.owner_references.push(owner("Deployment", dep));
        r.spec.replicas = Some(replicas);
        // Named <deployment>-<hash>, the hash in its labels, selector and template.
        let hash = name.strip_prefix(&format!("{dep}-")).unwrap_or(name).to_string();
        r.metadata.labels.insert("pod-template-hash".into(), hash.clone());
        let mut selector = kwarp::api::selector::LabelSelector::default();
        selector.match_labels.insert("pod-template-hash".into(), hash.clone());
        r.spec.selector = Some(selector);
        r.spec.template.metadata.labels.insert("pod-template-hash".into(), hash);
        r.status.observed_generation = 1;
        self.replica_sets.push(r.clone());
        self.emit(at, EventType::Added, Arc::new(r));
    }

    fn edit_rs(&mut self, at: f64, name: &str, f: impl FnOnce(&mut ReplicaSet)) {
        let i = self.replica_sets.iter().position(|r| r.metadata.name == name).unwrap();
        f(&mut self.replica_sets[i]);
        let r = self.replica_sets[i].clone();
        self.emit(at, EventType::Modified, Arc::new(r));
    }

    fn scale_rs(&mut self, at: f64, name: &str, replicas: i32) {
        self.edit_rs(at, name, |r| {
            r.spec.replicas = Some(replicas);
            r.metadata.generation += 1;
            r.status.observed_generation = r.metadata.generation;
        });
    }

    /// The ReplicaSet's status: replicas, ready, available.
    fn rs_status(&mut self, at: f64, name: &str, replicas: i32, ready: i32, available: i32) {
        self.edit_rs(at, name, |r| {
            r.status.replicas = replicas;
            r.status.ready_replicas = ready;
            r.status.available_replicas = available;
        });
    }

    fn pod(&mut self, at: f64, name: &str, rs: &str) {
        let mut p = Pod { metadata: meta(name), ..Default::default() };
        p.metadata.owner_references.push(owner("ReplicaSet", rs));
        p.status.phase = Some(PodPhase::Pending);
        self.pods.push(p.clone());
        self.emit(at, EventType::Added, Arc::new(p));
    }

    fn edit_pod(&mut self, at: f64, name: &str, f: impl FnOnce(&mut Pod)) {
        let i = self.pods.iter().position(|p| p.metadata.name == name).unwrap();
        f(&mut self.pods[i]);
        let p = self.pods[i].clone();
        self.emit(at, EventType::Modified, Arc::new(p));
    }

    fn ready(&mut self, at: f64, name: &str) {
        self.edit_pod(at, name, |p| {
            p.status.phase = Some(PodPhase::Running);
            p.status.conditions =
                vec![Condition { type_: "Ready".into(), status: ConditionStatus::True, ..Default::default() }];
        });
    }

    /// A controller deletes the pod (graceful: deletionTimestamp set).
    fn delete_pod(&mut self, at: f64, name: &str) {
        self.edit_pod(at, name, |p| p.metadata.deletion_timestamp = Some(Time((at * S as f64) as i64)));
    }

    /// The pod's containers crash: Failed, no deletion.
    fn crash(&mut self, at: f64, name: &str) {
        self.edit_pod(at, name, |p| {
            p.status.phase = Some(PodPhase::Failed);
            p.status.conditions.clear();
        });
    }

    /// `web` with 4 replicas (surge 1, unavailable 1), fully available from `web-old` at t=0.
    fn steady_web() -> Log {
        Log::steady_web_with(Log::new(AuditSettings::VIRTUAL))
    }

    fn steady_web_with(mut log: Log) -> Log {
        log.deployment(0.0, "web", 4, 1, 1);
        log.rs(0.0, "web-old", "web", 4);
        for i in 0..4 {
            log.pod(0.0, &format!("old-{i}"), "web-old");
            log.ready(0.0, &format!("old-{i}"));
        }
        log.rs_status(0.0, "web-old", 4, 4, 4);
        log
    }

    fn finish(mut self) -> AuditReport {
        self.auditor.finish();
        self.auditor.report()
    }
}

fn messages(r: &AuditReport) -> Vec<String> {
    r.violations.iter().map(ToString::to_string).collect()
}

/// A by-the-book rolling update of `web` (4 replicas, surge 1, unavailable 1) from t=1.
fn rolling_update(log: &mut Log) {
    log.set_image(1.0, "web", "v2");
    log.rs(1.0, "web-new", "web", 1);
    log.pod(1.0, "new-0", "web-new");
    // Old RS down by one (4 + 1 − 1 unavailable allowed): 4 active, 3 available.
    log.scale_rs(1.0, "web-old", 3);
    log.delete_pod(1.0, "old-0");
    log.rs_status(1.0, "web-old", 3, 3, 3);
    log.scale_rs(1.0, "web-new", 2);
    log.pod(1.0, "new-1", "web-new");
    log.rs_status(1.0, "web-new", 2, 0, 0);
    for (t, i) in [(2.0, 0), (2.5, 1)] {
        log.ready(t, &format!("new-{i}"));
    }
    log.rs_status(2.5, "web-new", 2, 2, 2);
    log.scale_rs(2.5, "web-old", 1);
    log.delete_pod(2.5, "old-1");
    log.delete_pod(2.5, "old-2");
    log.rs_status(2.5, "web-old", 1, 1, 1);
    log.scale_rs(2.5, "web-new", 4);
    log.pod(2.5, "new-2", "web-new");
    log.pod(2.5, "new-3", "web-new");
    log.rs_status(2.5, "web-new", 4, 2, 2);
    log.ready(3.0, "new-2");
    log.ready(3.0, "new-3");
    log.rs_status(3.0, "web-new", 4, 4, 4);
    log.scale_rs(3.0, "web-old", 0);
    log.delete_pod(3.0, "old-3");
    log.rs_status(3.0, "web-old", 0, 0, 0);
}

#[test]
fn a_rolling_update_within_its_bounds_passes() {
    let mut log = Log::steady_web();
    rolling_update(&mut log);
    let r = log.finish();
    assert_eq!(messages(&r), Vec::<String>::new());
    assert!(r.checks > 20, "{} checks", r.checks);
    assert_eq!(r.line(), format!("auditor: {} checks, 0 violations", r.checks));
}

#[test]
fn scaling_an_old_replica_set_below_min_available_is_a_violation() {
    let mut log = Log::steady_web_with(Log::deployments_only(AuditSettings::VIRTUAL));
    log.set_image(1.0, "web", "v2");
    log.rs(1.0, "web-new", "web", 1);
    log.pod(1.0, "new-0", "web-new");
    log.scale_rs(1.0, "web-old", 2);
    log.delete_pod(1.0, "old-0");
    log.delete_pod(1.0, "old-1");
    log.rs_status(1.0, "web-old", 2, 2, 2);
    log.ready(4.0, "new-0");
    let r = log.finish();
    assert_eq!(
        messages(&r),
        vec![
            "Deployment default/web at 1s: deployment.rollingUpdate.availability: 2 available pods < replicas 4 \
             − maxUnavailable 1 = 3 during a rolling update (3 active pods)"
        ]
    );
    assert_eq!(r.violations[0].at_ns, 1_000_000_000);
}

#[test]
fn creating_more_than_max_surge_is_a_violation_of_pods_and_of_specs() {
    let mut log = Log::steady_web_with(Log::deployments_only(AuditSettings::VIRTUAL));
    log.set_image(1.0, "web", "v2");
    log.rs(1.0, "web-new", "web", 2);
    log.pod(1.0, "new-0", "web-new");
    log.pod(1.0, "new-1", "web-new");
    log.ready(2.0, "new-0");
    let r = log.finish();
    assert_eq!(
        messages(&r),
        vec![
            "Deployment default/web at 1s: deployment.rollingUpdate.surge: 6 active pods > replicas 4 + maxSurge 1 \
             = 5 during a rolling update",
            "Deployment default/web at 1s: deployment.rollingUpdate.specSurge: Σ spec.replicas of its ReplicaSets \
             = 6 > replicas 4 + maxSurge 1 = 5",
        ]
    );
}

#[test]
fn a_surge_that_is_gone_by_the_end_of_the_instant_is_not_a_violation() {
    let mut log = Log::steady_web_with(Log::deployments_only(AuditSettings::VIRTUAL));
    log.set_image(1.0, "web", "v2");
    log.rs(1.0, "web-new", "web", 1);
    log.pod(1.0, "new-0", "web-new");
    // Transiently 6 pods (an extra, then deleted in the same instant).
    log.pod(1.0, "new-x", "web-new");
    log.delete_pod(1.0, "new-x");
    log.ready(2.0, "new-0");
    assert_eq!(messages(&log.finish()), Vec::<String>::new());
}

#[test]
fn a_rollout_that_did_not_start_fully_available_is_not_checked() {
    let mut log = Log::deployments_only(AuditSettings::VIRTUAL);
    log.deployment(0.0, "web", 4, 1, 1);
    log.rs(0.0, "web-old", "web", 4);
    for i in 0..4 {
        log.pod(0.0, &format!("old-{i}"), "web-old");
    }
    // Nothing Ready yet: a template change now is not a rollout from a fully available state.
    log.set_image(1.0, "web", "v2");
    log.rs(1.0, "web-new", "web", 1);
    log.pod(1.0, "new-0", "web-new");
    log.ready(2.0, "new-0");
    assert_eq!(messages(&log.finish()), Vec::<String>::new());
}

#[test]
fn pods_that_crash_by_themselves_disarm_the_availability_bound() {
    let mut log = Log::steady_web_with(Log::deployments_only(AuditSettings::VIRTUAL));
    log.set_image(1.0, "web", "v2");
    log.rs(1.0, "web-new", "web", 1);
    log.pod(1.0, "new-0", "web-new");
    log.crash(1.5, "old-1");
    log.crash(1.5, "old-2");
    log.ready(2.0, "new-0");
    assert_eq!(messages(&log.finish()), Vec::<String>::new());
}

#[test]
fn a_scale_during_the_rollout_disarms_and_a_driver_disruption_too() {
    let mut log = Log::steady_web_with(Log::deployments_only(AuditSettings::VIRTUAL));
    log.set_image(1.0, "web", "v2");
    log.edit_deployment(1.5, "web", |d| {
        d.spec.replicas = Some(8);
        d.metadata.generation += 1;
    });
    log.ready(2.0, "old-0");
    let mut log2 = Log::steady_web_with(Log::deployments_only(AuditSettings::VIRTUAL));
    log2.set_image(1.0, "web", "v2");
    log2.auditor.disrupt(Time(S + S / 2));
    log2.delete_pod(1.5, "old-0");
    log2.delete_pod(1.5, "old-1");
    log2.ready(2.0, "old-2");
    assert_eq!(messages(&log.finish()), Vec::<String>::new());
    assert_eq!(messages(&log2.finish()), Vec::<String>::new());
}

#[test]
fn under_the_real_clock_a_bound_must_stay_broken_for_the_grace_period() {
    let run = |repair_at: f64| {
        let mut log = Log::deployments_only(AuditSettings::REAL);
        log.deployment(0.0, "web", 4, 1, 1);
        log.rs(0.0, "web-old", "web", 4);
        for i in 0..4 {
            log.pod(0.0, &format!("old-{i}"), "web-old");
            log.ready(0.0, &format!("old-{i}"));
        }
        log.set_image(1.0, "web", "v2");
        log.delete_pod(1.0, "old-0");
        log.delete_pod(1.0, "old-1");
        log.pod(repair_at, "old-4", "web-old");
        log.ready(repair_at, "old-4");
        log.ready(5.0, "old-4");
        log.finish()
    };
    assert_eq!(messages(&run(1.5)), Vec::<String>::new());
    let late = run(3.0);
    assert_eq!(late.violations_total, 1);
    assert_eq!(late.violations[0].invariant, "deployment.rollingUpdate.availability");
    assert_eq!(late.violations[0].at_ns, 3_000_000_000);
}

#[test]
fn replica_set_status_out_of_order_is_a_violation() {
    let mut log = Log::steady_web();
    log.rs_status(1.0, "web-old", 4, 3, 4);
    let r = log.finish();
    assert_eq!(
        messages(&r),
        vec![
            "ReplicaSet default/web-old at 1s: replicaset.status: status availableReplicas 4 ≤ readyReplicas 3 \
             ≤ replicas 4 does not hold"
        ]
    );
}

#[test]
fn a_replica_set_at_rest_with_missing_pods_is_a_violation() {
    let mut log = Log::steady_web();
    log.delete_pod(1.0, "old-3");
    log.rs_status(1.0, "web-old", 3, 3, 3);
    // The controller would have made a replacement in the same instant; it did not.
    log.ready(2.0, "old-0");
    let r = log.finish();
    assert_eq!(
        messages(&r),
        vec![
            "ReplicaSet default/web-old at 1s: replicaset.converged: at rest with spec.replicas 4: 3 active pods, \
              status.replicas 3"
        ]
    );
}

#[test]
fn replica_set_convergence_is_not_checked_under_the_real_clock_or_before_the_generation_is_observed() {
    let mut real = Log::new(AuditSettings::REAL);
    real.rs(0.0, "nobody-solo", "nobody", 2);
    real.pod(0.0, "solo-0", "nobody-solo");
    assert_eq!(messages(&real.finish()), Vec::<String>::new());
    let mut stale = Log::new(AuditSettings::VIRTUAL);
    stale.rs(0.0, "nobody-solo", "nobody", 2);
    stale.edit_rs(0.0, "nobody-solo", |r| r.metadata.generation = 2);
    stale.pod(0.0, "solo-0", "nobody-solo");
    assert_eq!(messages(&stale.finish()), Vec::<String>::new());
}

#[test]
fn rollouts_are_timed_from_the_template_change_to_completion() {
    let mut log = Log::steady_web();
    log.edit_deployment(0.0, "web", |d| {
        d.status.observed_generation = 1;
        d.status.replicas = 4;
        d.status.updated_replicas = 4;
        d.status.available_replicas = 4;
    });
    rolling_update(&mut log);
    let complete = |d: &mut Deployment| {
        d.status.observed_generation = d.metadata.generation;
        d.status.replicas = 4;
        d.status.updated_replicas = 4;
        d.status.available_replicas = 4;
    };
    log.edit_deployment(3.5, "web", complete);
    log.set_image(4.0, "web", "v3");
    log.set_image(5.0, "web", "v4");
    let rec = log.auditor.rollouts().records().to_vec();
    assert_eq!(rec.len(), 3);
    assert_eq!(
        (rec[0].start_ns, rec[0].duration_ns, rec[0].outcome.as_str()),
        (S as u64, Some(2_500_000_000), "complete")
    );
    // rolling_update's 26 writes (template change, ReplicaSet and pod writes) and the completing status.
    assert_eq!(rec[0].api_calls, 27);
    assert_eq!(rec[1].outcome, "superseded");
    assert_eq!((rec[2].outcome.as_str(), rec[2].duration_ns), ("incomplete", None));
}

// ------------------------------------------------------------------ StatefulSet

/// A log checked by the StatefulSet contracts alone, with set `db` (OrderedReady, RollingUpdate).
fn stateful(replicas: i32, f: impl FnOnce(&mut kwarp::api::StatefulSet)) -> Log {
    let only: Vec<Box<dyn Invariant>> = vec![Box::new(statefulset::StatefulSetContracts::new())];
    let mut log = Log::with(Auditor::with(Time(0), AuditSettings::VIRTUAL, only, true));
    let mut s = kwarp::api::StatefulSet { metadata: meta("db"), ..Default::default() };
    s.spec.replicas = Some(replicas);
    f(&mut s);
    log.emit(0.0, EventType::Added, Arc::new(s));
    log
}

impl Log {
    fn set_pod(&mut self, at: f64, ordinal: i32) {
        let name = format!("db-{ordinal}");
        let mut p = Pod { metadata: meta(&name), ..Default::default() };
        p.metadata.owner_references.push(owner("StatefulSet", "db"));
        p.metadata.labels.insert("statefulset.kubernetes.io/pod-name".into(), name);
        p.status.phase = Some(PodPhase::Pending);
        self.pods.push(p.clone());
        self.emit(at, EventType::Added, Arc::new(p));
    }

    fn scale_set(&mut self, at: f64, replicas: i32) {
        let mut s = kwarp::api::StatefulSet { metadata: meta("db"), ..Default::default() };
        s.spec.replicas = Some(replicas);
        self.emit(at, EventType::Modified, Arc::new(s));
    }

    /// Pods db-0 .. db-(n−1) created in order, each Ready before the next.
    fn ordered_up(&mut self, n: i32) {
        for o in 0..n {
            self.set_pod(f64::from(o), o);
            self.ready(f64::from(o) + 0.5, &format!("db-{o}"));
        }
    }
}

#[test]
fn ordered_creation_and_scale_down_pass() {
    let mut log = stateful(3, |_| {});
    log.ordered_up(3);
    log.scale_set(10.0, 1);
    log.delete_pod(10.0, "db-2");
    log.emit(11.0, EventType::Deleted, Arc::new(log.pods[2].clone()));
    log.delete_pod(11.0, "db-1");
    let r = log.finish();
    assert_eq!(messages(&r), Vec::<String>::new());
    assert_eq!(r.checks, 3 + 2 + 2, "3 names, 2 creations, 2 scale-down deletions");
}

#[test]
fn creating_a_pod_before_the_lower_one_is_ready_is_a_violation() {
    let mut log = stateful(3, |_| {});
    log.set_pod(0.0, 0);
    log.set_pod(0.5, 1);
    let r = log.finish();
    assert_eq!(
        messages(&r),
        vec![
            "Pod default/db-1 at 500ms: statefulset.orderedCreation: created under OrderedReady while pod db-0 is \
              not Running and Ready"
        ]
    );
    let mut parallel = stateful(3, |s| s.spec.pod_management_policy = "Parallel".into());
    parallel.set_pod(0.0, 0);
    parallel.set_pod(0.0, 2);
    assert_eq!(messages(&parallel.finish()), Vec::<String>::new());
}

#[test]
fn scaling_down_out_of_order_is_a_violation() {
    let mut log = stateful(3, |_| {});
    log.ordered_up(3);
    log.scale_set(10.0, 1);
    log.delete_pod(10.0, "db-1");
    assert_eq!(
        messages(&log.finish()),
        vec!["Pod default/db-1 at 10s: statefulset.orderedScaleDown: deleted (replicas 1) while pod db-2 still exists"]
    );
}

#[test]
fn update_deletions_go_from_the_highest_ordinal_and_respect_the_partition() {
    let partitioned = |s: &mut kwarp::api::StatefulSet| {
        s.spec.update_strategy = Some(kwarp::api::apps::StatefulSetUpdateStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(kwarp::api::apps::RollingUpdateStatefulSet {
                partition: Some(1),
                max_unavailable: None,
            }),
        })
    };
    let mut good = stateful(3, partitioned);
    good.ordered_up(3);
    good.delete_pod(10.0, "db-2");
    assert_eq!(messages(&good.finish()), Vec::<String>::new());

    let mut early = stateful(3, |_| {});
    early.ordered_up(3);
    early.delete_pod(10.0, "db-2");
    early.delete_pod(10.0, "db-1");
    assert_eq!(
        messages(&early.finish()),
        vec![
            "Pod default/db-1 at 10s: statefulset.updateOrder: a Running and Ready pod deleted for update while pod \
              db-2 is not Running and Ready"
        ]
    );

    let mut below = stateful(3, partitioned);
    below.ordered_up(3);
    below.delete_pod(10.0, "db-0");
    assert_eq!(
        messages(&below.finish()),
        vec!["Pod default/db-0 at 10s: statefulset.updateOrder: a Running and Ready pod below partition 1 deleted"]
    );

    let mut killed = stateful(3, |_| {});
    killed.ordered_up(3);
    killed.auditor.disrupt(Time(10 * S));
    killed.delete_pod(10.0, "db-0");
    assert_eq!(messages(&killed.finish()), Vec::<String>::new(), "the load generator's deletions are not checked");
}

#[test]
fn a_pod_named_off_its_ordinal_is_a_violation() {
    let mut log = stateful(1, |_| {});
    let mut p = Pod { metadata: meta("db-x"), ..Default::default() };
    p.metadata.owner_references.push(owner("StatefulSet", "db"));
    log.emit(1.0, EventType::Added, Arc::new(p));
    assert_eq!(
        messages(&log.finish()),
        vec!["Pod default/db-x at 1s: statefulset.identity: a pod of StatefulSet db is not named db-<ordinal>"]
    );
}

// ------------------------------------------------------------------ DaemonSet

/// A log checked by the DaemonSet contracts alone: nodes n0..n3, DaemonSet `agent`
/// (RollingUpdate, maxUnavailable 1, maxSurge `surge`) with a Ready pod on every node.
fn daemon(surge: i32) -> Log {
    let only: Vec<Box<dyn Invariant>> = vec![Box::new(daemonset::DaemonSetContracts::new(AuditSettings::VIRTUAL))];
    let mut log = Log::with(Auditor::with(Time(0), AuditSettings::VIRTUAL, only, true));
    for n in 0..4 {
        let node = kwarp::api::Node {
            metadata: ObjectMeta { name: format!("n{n}"), ..Default::default() },
            ..Default::default()
        };
        log.emit(0.0, EventType::Added, Arc::new(node));
    }
    log.daemon_set(0.0, surge, 1, |_| {});
    for n in 0..4 {
        log.daemon_pod(0.0, &format!("old-{n}"), n);
        log.ready(0.0, &format!("old-{n}"));
    }
    log.daemon_set(0.0, surge, 1, |s| {
        s.desired_number_scheduled = 4;
        s.current_number_scheduled = 4;
        s.number_ready = 4;
        s.number_available = 4;
    });
    log
}

impl Log {
    fn daemon_set(
        &mut self,
        at: f64,
        surge: i32,
        generation: i64,
        f: impl FnOnce(&mut kwarp::api::apps::DaemonSetStatus),
    ) {
        let mut d = kwarp::api::DaemonSet { metadata: meta("agent"), ..Default::default() };
        d.metadata.generation = generation;
        d.spec.update_strategy = Some(kwarp::api::apps::DaemonSetUpdateStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(kwarp::api::apps::RollingUpdateDaemonSet {
                max_unavailable: Some(IntOrString::Int(1)),
                max_surge: Some(IntOrString::Int(surge)),
            }),
        });
        d.status.observed_generation = 1;
        f(&mut d.status);
        d.status.number_unavailable = d.status.desired_number_scheduled - d.status.number_available;
        self.emit(at, EventType::Modified, Arc::new(d));
    }

    fn daemon_pod(&mut self, at: f64, name: &str, node: i32) {
        let mut p = Pod { metadata: meta(name), ..Default::default() };
        p.metadata.owner_references.push(owner("DaemonSet", "agent"));
        p.spec.node_name = format!("n{node}");
        p.status.phase = Some(PodPhase::Pending);
        self.pods.push(p.clone());
        self.emit(at, EventType::Added, Arc::new(p));
    }
}

#[test]
fn a_daemon_set_rolling_update_one_node_at_a_time_passes() {
    let mut log = daemon(0);
    log.daemon_set(1.0, 0, 2, |s| {
        s.desired_number_scheduled = 4;
        s.current_number_scheduled = 4;
        s.number_ready = 4;
        s.number_available = 4;
    });
    for n in 0..4 {
        let t = 1.0 + f64::from(n);
        log.delete_pod(t, &format!("old-{n}"));
        log.daemon_pod(t, &format!("new-{n}"), n);
        log.ready(t + 0.5, &format!("new-{n}"));
    }
    let r = log.finish();
    assert_eq!(messages(&r), Vec::<String>::new());
    assert!(r.checks >= 8, "{}", r.checks);
}

#[test]
fn a_daemon_set_taking_down_two_nodes_with_max_unavailable_one_is_a_violation() {
    let mut log = daemon(0);
    log.daemon_set(1.0, 0, 2, |s| {
        s.desired_number_scheduled = 4;
        s.current_number_scheduled = 4;
        s.number_ready = 4;
        s.number_available = 4;
    });
    log.delete_pod(1.0, "old-0");
    log.delete_pod(1.0, "old-1");
    log.daemon_pod(1.0, "new-0", 0);
    log.daemon_pod(1.0, "new-1", 1);
    log.ready(2.0, "new-0");
    assert_eq!(
        messages(&log.finish()),
        vec![
            "DaemonSet default/agent at 1s: daemonset.rollingUpdate.unavailable: 2 of 4 desired nodes have no \
              available daemon pod > maxUnavailable 1 during a rolling update"
        ]
    );
}

#[test]
fn two_daemon_pods_on_a_node_without_surge_and_pods_for_missing_nodes_are_violations() {
    let mut log = daemon(0);
    log.daemon_pod(1.0, "extra", 2);
    log.daemon_pod(1.0, "lost", 9);
    log.ready(2.0, "extra");
    assert_eq!(
        messages(&log.finish()),
        vec![
            "Pod default/lost at 1s: daemonset.placement: targets node n9, which does not exist",
            "DaemonSet default/agent at 1s: daemonset.perNode: node n2 runs 2 active daemon pods (at most 1 with \
             maxSurge 0)",
        ]
    );
    let mut surge = daemon(1);
    surge.daemon_pod(1.0, "extra", 2);
    surge.ready(2.0, "extra");
    assert_eq!(messages(&surge.finish()), Vec::<String>::new(), "a surge pod beside the old one is allowed");
}

#[test]
fn daemon_set_status_out_of_order_is_a_violation() {
    let mut log = daemon(0);
    log.daemon_set(1.0, 0, 1, |s| {
        s.desired_number_scheduled = 4;
        s.current_number_scheduled = 5;
        s.number_ready = 4;
        s.number_available = 4;
    });
    assert_eq!(
        messages(&log.finish()),
        vec![
            "DaemonSet default/agent at 1s: daemonset.status: numberAvailable 4 ≤ numberReady 4 ≤ \
              currentNumberScheduled 5 ≤ desiredNumberScheduled 4, numberUnavailable 0 = desired − available does \
              not hold"
        ]
    );
}

// ------------------------------------------------------------------ lineage

fn lineage() -> Log {
    let only: Vec<Box<dyn Invariant>> = vec![Box::new(lineage::Lineage::new())];
    Log::with(Auditor::with(Time(0), AuditSettings::VIRTUAL, only, true))
}

#[test]
fn replica_sets_of_a_deployment_are_named_after_their_hash() {
    let mut log = lineage();
    log.deployment(0.0, "web", 2, 1, 0);
    log.rs(0.0, "web-5d8f", "web", 2);
    let mut bad = ReplicaSet { metadata: meta("web-x"), ..Default::default() };
    bad.metadata.owner_references.push(owner("Deployment", "web"));
    bad.metadata.labels.insert("pod-template-hash".into(), "y".into());
    log.emit(1.0, EventType::Added, Arc::new(bad));
    let mut unlabeled = ReplicaSet { metadata: meta("web-z"), ..Default::default() };
    unlabeled.metadata.owner_references.push(owner("Deployment", "web"));
    unlabeled.metadata.labels.insert("pod-template-hash".into(), "z".into());
    log.emit(1.0, EventType::Added, Arc::new(unlabeled));
    assert_eq!(
        messages(&log.finish()),
        vec![
            "ReplicaSet default/web-x at 1s: deployment.replicaSetNaming: a ReplicaSet of Deployment web is not named \
             web-y after its pod-template-hash label",
            "ReplicaSet default/web-z at 1s: deployment.replicaSetNaming: a ReplicaSet of Deployment web \
             pod-template-hash z is not in both its selector (none) and its template labels (none)",
        ]
    );
}

#[test]
fn revisions_and_observed_generations_only_go_forward() {
    let mut log = lineage();
    log.deployment(0.0, "web", 2, 1, 0);
    log.rs(0.0, "web-a", "web", 2);
    let revise = |v: &'static str| {
        move |r: &mut ReplicaSet| {
            r.metadata.annotations.insert("deployment.kubernetes.io/revision".into(), v.into());
        }
    };
    log.edit_rs(1.0, "web-a", revise("2"));
    log.edit_rs(2.0, "web-a", revise("5"));
    log.edit_rs(3.0, "web-a", revise("3"));
    log.edit_deployment(4.0, "web", |d| d.status.observed_generation = 3);
    log.edit_deployment(5.0, "web", |d| d.status.observed_generation = 2);
    assert_eq!(
        messages(&log.finish()),
        vec![
            "ReplicaSet default/web-a at 3s: deployment.revisionMonotonic: deployment.kubernetes.io/revision went back \
             from 5 to 3",
            "Deployment default/web at 5s: status.observedGeneration: status.observedGeneration went back from 3 to 2",
        ]
    );
}

#[test]
fn the_registry_checks_every_contract() {
    let names = Auditor::new(Time(0), AuditSettings::VIRTUAL, true).report().invariants;
    assert_eq!(
        names,
        [
            "daemonset.perNode",
            "daemonset.placement",
            "daemonset.rollingUpdate.unavailable",
            "daemonset.status",
            "deployment.replicaSetNaming",
            "deployment.revisionMonotonic",
            "deployment.rollingUpdate.availability",
            "deployment.rollingUpdate.specSurge",
            "deployment.rollingUpdate.surge",
            "replicaset.converged",
            "replicaset.status",
            "statefulset.identity",
            "statefulset.orderedCreation",
            "statefulset.orderedScaleDown",
            "statefulset.updateOrder",
            "status.observedGeneration",
        ]
    );
    let off = Auditor::new(Time(0), AuditSettings::VIRTUAL, false).report();
    assert!(!off.enabled && off.invariants.is_empty());
}
