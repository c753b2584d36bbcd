//! Strategies for whole objects: pods and pod templates, the workloads, nodes, and any of them.

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::Value;

use super::leaves::*;
use kwarp::api::apps::{
    DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy, DeploymentSpec, DeploymentStatus, DeploymentStrategy,
    PvcRetentionPolicy, RollingUpdateDaemonSet, RollingUpdateDeployment, RollingUpdateStatefulSet, StatefulSetOrdinals,
    StatefulSetSpec, StatefulSetStatus, StatefulSetUpdateStrategy,
};
use kwarp::api::batch::{
    CronJobSpec, CronJobStatus, JobSpec, JobStatus, JobTemplateSpec, ObjectReference, UncountedTerminatedPods,
};
use kwarp::api::node::{NodeSpec, NodeStatus};
use kwarp::api::pod::{
    Container, ContainerStatus, PodPhase, PodSpec, PodStatus, PvcVolumeSource, ResourceRequirements, RestartPolicy,
    Volume,
};
use kwarp::api::storage::PersistentVolumeClaimSpec;
use kwarp::api::taint::Taint;
use kwarp::api::{
    AnyObject, CronJob, DaemonSet, Deployment, Job, Node, ObjectMeta, PersistentVolumeClaim, Pod, PodTemplateSpec,
    StatefulSet,
};

pub fn container() -> BoxedStrategy<Container> {
    (
        name(),
        "[a-z]{1,8}(/[a-z]{1,8})?(:[0-9]\\.[0-9]{1,2})?",
        resource_list(),
        resource_list(),
        extra(&["ports", "env", "command", "args", "volumeMounts", "imagePullPolicy", "livenessProbe"]),
    )
        .prop_map(|(name, image, requests, limits, extra)| Container {
            name,
            image,
            resources: ResourceRequirements { requests, limits, ..Default::default() },
            extra,
        })
        .boxed()
}

pub fn volume() -> BoxedStrategy<Volume> {
    (name(), option::of((name(), any::<bool>())), extra(&["emptyDir", "hostPath", "configMap"]))
        .prop_map(|(name, pvc, extra)| Volume {
            name,
            persistent_volume_claim: pvc.map(|(claim_name, read_only)| PvcVolumeSource { claim_name, read_only }),
            extra,
        })
        .boxed()
}

pub fn pod_spec() -> BoxedStrategy<PodSpec> {
    (
        (vec(container(), 0..2), vec(container(), 1..3)),
        (
            option::of(prop::sample::select(vec![
                RestartPolicy::Always,
                RestartPolicy::OnFailure,
                RestartPolicy::Never,
            ])),
            option::of(0i64..120),
            option::of(1i64..600),
        ),
        (labels(), prop_oneof![Just(String::new()), name()]),
        (option::of(affinity()), vec(toleration(), 0..3)),
        (prop_oneof![Just(String::new()), name()], prop_oneof![Just(String::new()), name()]),
        (prop_oneof![Just(String::new()), Just("default-scheduler".to_owned())], option::of(-10i32..1000)),
        vec(volume(), 0..3),
        extra(&["dnsPolicy", "hostNetwork", "serviceAccountName", "securityContext", "hostAliases"]),
    )
        .prop_map(
            |(
                (init, containers),
                (restart, grace, deadline),
                (node_selector, node_name),
                (affinity, tolerations),
                (hostname, subdomain),
                (scheduler, priority),
                volumes,
                extra,
            )| PodSpec {
                init_containers: init,
                containers,
                restart_policy: restart,
                termination_grace_period_seconds: grace,
                active_deadline_seconds: deadline,
                node_selector,
                node_name,
                affinity,
                tolerations,
                hostname,
                subdomain,
                scheduler_name: scheduler,
                priority,
                volumes,
                extra,
            },
        )
        .boxed()
}

pub fn template() -> BoxedStrategy<PodTemplateSpec> {
    (meta(), pod_spec()).prop_map(|(metadata, spec)| PodTemplateSpec { metadata, spec }).boxed()
}

pub fn container_status() -> BoxedStrategy<ContainerStatus> {
    let state = option::of(
        btree_map(prop::sample::select(vec!["running", "waiting", "terminated"]).prop_map(str::to_owned), json(), 1..2)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    );
    (
        name(),
        any::<bool>(),
        0i32..10,
        "[a-z:.0-9]{0,10}",
        option::of(any::<bool>()),
        state,
        extra(&["imageID", "containerID"]),
    )
        .prop_map(|(name, ready, restart_count, image, started, state, extra)| ContainerStatus {
            name,
            ready,
            restart_count,
            image,
            started,
            state,
            extra,
        })
        .boxed()
}

pub fn pod() -> BoxedStrategy<Pod> {
    let phase = option::of(prop::sample::select(vec![
        PodPhase::Pending,
        PodPhase::Running,
        PodPhase::Succeeded,
        PodPhase::Failed,
        PodPhase::Unknown,
    ]));
    let status = (
        phase,
        conditions(),
        vec(container_status(), 0..3),
        option::of(time()),
        ("(10\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})?", "(10\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})?"),
        extra(&["qosClass", "podIPs"]),
    )
        .prop_map(|(phase, conditions, container_statuses, start_time, (host_ip, pod_ip), extra)| PodStatus {
            phase,
            conditions,
            container_statuses,
            start_time,
            host_ip,
            pod_ip,
            extra,
            ..Default::default()
        });
    (meta(), pod_spec(), status).prop_map(|(metadata, spec, status)| Pod { metadata, spec, status }).boxed()
}

// ------------------------------------------------------------------ workloads

pub fn deployment() -> BoxedStrategy<Deployment> {
    let strategy = option::of((
        prop::sample::select(vec!["", "RollingUpdate", "Recreate"]),
        option::of((option::of(int_or_string()), option::of(int_or_string()))),
    ))
    .prop_map(|s| {
        s.map(|(t, ru)| DeploymentStrategy {
            type_: t.to_owned(),
            rolling_update: ru.map(|(u, s)| RollingUpdateDeployment { max_unavailable: u, max_surge: s }),
        })
    });
    let spec = (
        (option::of(0i32..50), option::of(selector()), template(), strategy),
        (option::of(0i32..60), option::of(0i32..20), any::<bool>(), option::of(0i32..900)),
    )
        .prop_map(|((replicas, selector, template, strategy), (min_ready, history, paused, deadline))| {
            DeploymentSpec {
                replicas,
                selector,
                template,
                strategy,
                min_ready_seconds: min_ready,
                revision_history_limit: history,
                paused,
                progress_deadline_seconds: deadline,
                rollback_to: None,
            }
        });
    let status = (vec(0i32..50, 6), conditions(), option::of(0i32..5)).prop_map(|(n, conditions, collision_count)| {
        DeploymentStatus {
            observed_generation: i64::from(n[0]),
            replicas: n[1],
            updated_replicas: n[2],
            ready_replicas: n[3],
            available_replicas: n[4],
            unavailable_replicas: n[5],
            conditions,
            collision_count,
        }
    });
    (meta(), spec, status).prop_map(|(metadata, spec, status)| Deployment { metadata, spec, status }).boxed()
}

pub fn pvc_template() -> BoxedStrategy<PersistentVolumeClaim> {
    (
        name(),
        vec(prop::sample::select(vec!["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"]), 0..2),
        resource_list(),
        option::of(name()),
        extra(&["volumeMode", "dataSource"]),
    )
        .prop_map(|(name, modes, requests, class, extra)| PersistentVolumeClaim {
            metadata: ObjectMeta { name, ..Default::default() },
            spec: PersistentVolumeClaimSpec {
                access_modes: modes.into_iter().map(str::to_owned).collect(),
                resources: ResourceRequirements { requests, ..Default::default() },
                storage_class_name: class,
                extra,
                ..Default::default()
            },
            ..Default::default()
        })
        .boxed()
}

pub fn stateful_set() -> BoxedStrategy<StatefulSet> {
    let strategy = option::of((
        prop::sample::select(vec!["", "RollingUpdate", "OnDelete"]),
        option::of((option::of(0i32..10), option::of(int_or_string()))),
    ))
    .prop_map(|s| {
        s.map(|(t, ru)| StatefulSetUpdateStrategy {
            type_: t.to_owned(),
            rolling_update: ru
                .map(|(partition, max_unavailable)| RollingUpdateStatefulSet { partition, max_unavailable }),
        })
    });
    let retention = option::of((
        prop::sample::select(vec!["", "Retain", "Delete"]),
        prop::sample::select(vec!["", "Retain", "Delete"]),
    ))
    .prop_map(|p| p.map(|(d, s)| PvcRetentionPolicy { when_deleted: d.to_owned(), when_scaled: s.to_owned() }));
    let spec = (
        (option::of(0i32..10), option::of(selector()), template(), vec(pvc_template(), 0..2)),
        (name(), prop::sample::select(vec!["", "OrderedReady", "Parallel"]), strategy, option::of(0i32..20)),
        (option::of(0i32..60), retention, option::of((0i32..5).prop_map(|start| StatefulSetOrdinals { start }))),
    )
        .prop_map(
            |(
                (replicas, selector, template, claims),
                (service, policy, strategy, history),
                (min_ready, retention, ordinals),
            )| {
                StatefulSetSpec {
                    replicas,
                    selector,
                    template,
                    volume_claim_templates: claims,
                    service_name: service,
                    pod_management_policy: policy.to_owned(),
                    update_strategy: strategy,
                    revision_history_limit: history,
                    min_ready_seconds: min_ready,
                    persistent_volume_claim_retention_policy: retention,
                    ordinals,
                }
            },
        );
    let status = (vec(0i32..10, 6), ("[a-z0-9-]{0,12}", "[a-z0-9-]{0,12}"), option::of(0i32..3), conditions())
        .prop_map(|(n, (current_revision, update_revision), collision_count, conditions)| StatefulSetStatus {
            observed_generation: i64::from(n[0]),
            replicas: n[1],
            ready_replicas: n[2],
            current_replicas: n[3],
            updated_replicas: n[4],
            available_replicas: n[5],
            current_revision,
            update_revision,
            collision_count,
            conditions,
        });
    (meta(), spec, status).prop_map(|(metadata, spec, status)| StatefulSet { metadata, spec, status }).boxed()
}

pub fn daemon_set() -> BoxedStrategy<DaemonSet> {
    let strategy = option::of((
        prop::sample::select(vec!["", "RollingUpdate", "OnDelete"]),
        option::of((option::of(int_or_string()), option::of(int_or_string()))),
    ))
    .prop_map(|s| {
        s.map(|(t, ru)| DaemonSetUpdateStrategy {
            type_: t.to_owned(),
            rolling_update: ru.map(|(u, s)| RollingUpdateDaemonSet { max_unavailable: u, max_surge: s }),
        })
    });
    let spec = (
        option::of(selector()),
        template(),
        strategy,
        option::of(0i32..60),
        option::of(0i32..20),
        option::of(1i64..10),
    )
        .prop_map(|(selector, template, update_strategy, min_ready, history, generation)| DaemonSetSpec {
            selector,
            template,
            update_strategy,
            min_ready_seconds: min_ready,
            revision_history_limit: history,
            template_generation: generation,
        });
    let status = (vec(0i32..100, 8), option::of(0i32..3), conditions()).prop_map(|(n, collision_count, conditions)| {
        DaemonSetStatus {
            current_number_scheduled: n[0],
            number_misscheduled: n[1],
            desired_number_scheduled: n[2],
            number_ready: n[3],
            observed_generation: i64::from(n[4]),
            updated_number_scheduled: n[5],
            number_available: n[6],
            number_unavailable: n[7],
            collision_count,
            conditions,
        }
    });
    (meta(), spec, status).prop_map(|(metadata, spec, status)| DaemonSet { metadata, spec, status }).boxed()
}

pub fn job_spec() -> BoxedStrategy<JobSpec> {
    (
        (option::of(0i32..10), option::of(0i32..10), option::of(1i64..3600), option::of(0i32..10)),
        (option::of(selector()), option::of(any::<bool>()), template(), option::of(0i32..3600)),
        (prop::sample::select(vec!["", "NonIndexed", "Indexed"]), option::of(any::<bool>())),
        (prop::sample::select(vec!["", "TerminatingOrFailed", "Failed"]), option::of(json())),
    )
        .prop_map(
            |(
                (parallelism, completions, deadline, backoff),
                (selector, manual, template, ttl),
                (mode, suspend),
                (replacement, failure_policy),
            )| JobSpec {
                parallelism,
                completions,
                active_deadline_seconds: deadline,
                backoff_limit: backoff,
                selector,
                manual_selector: manual,
                template,
                ttl_seconds_after_finished: ttl,
                completion_mode: mode.to_owned(),
                suspend,
                pod_replacement_policy: replacement.to_owned(),
                pod_failure_policy: failure_policy.filter(|v| !v.is_null()),
                ..Default::default()
            },
        )
        .boxed()
}

pub fn job() -> BoxedStrategy<Job> {
    let status = (
        conditions(),
        (option::of(time()), option::of(time())),
        (0i32..10, 0i32..10, 0i32..10, option::of(0i32..3), option::of(0i32..3)),
        ("([0-9](,[0-9]){0,3})?", option::of("[0-9]{0,3}")),
        option::of((vec("[0-9a-f]{8}", 0..2), vec("[0-9a-f]{8}", 0..2))),
    )
        .prop_map(
            |(
                conditions,
                (start, done),
                (active, succeeded, failed, terminating, ready),
                (completed, failed_idx),
                uncounted,
            )| JobStatus {
                conditions,
                start_time: start,
                completion_time: done,
                active,
                succeeded,
                failed,
                terminating,
                ready,
                completed_indexes: completed,
                failed_indexes: failed_idx,
                uncounted_terminated_pods: uncounted.map(|(s, f)| UncountedTerminatedPods { succeeded: s, failed: f }),
            },
        );
    (meta(), job_spec(), status).prop_map(|(metadata, spec, status)| Job { metadata, spec, status }).boxed()
}

pub fn cron_job() -> BoxedStrategy<CronJob> {
    let spec = (
        (
            prop::sample::select(vec!["*/1 * * * *", "0 3 * * 1-5", "@hourly", "5 4 * * sun"]),
            option::of(prop::sample::select(vec!["Etc/UTC", "Asia/Shanghai"])),
        ),
        (
            option::of(0i64..600),
            prop::sample::select(vec!["", "Allow", "Forbid", "Replace"]),
            option::of(any::<bool>()),
        ),
        (meta(), job_spec()),
        (option::of(0i32..10), option::of(0i32..10)),
    )
        .prop_map(|((schedule, tz), (deadline, policy, suspend), (jt_meta, jt_spec), (ok, failed))| CronJobSpec {
            schedule: schedule.to_owned(),
            time_zone: tz.map(str::to_owned),
            starting_deadline_seconds: deadline,
            concurrency_policy: policy.to_owned(),
            suspend,
            job_template: JobTemplateSpec { metadata: jt_meta, spec: jt_spec },
            successful_jobs_history_limit: ok,
            failed_jobs_history_limit: failed,
        });
    let reference = (name(), "[0-9a-f]{8}", extra(&["fieldPath"])).prop_map(|(name, uid, extra)| ObjectReference {
        api_version: "batch/v1".into(),
        kind: "Job".into(),
        namespace: "default".into(),
        name,
        uid,
        extra,
        ..Default::default()
    });
    let status = (vec(reference, 0..2), option::of(time()), option::of(time()))
        .prop_map(|(active, last, ok)| CronJobStatus { active, last_schedule_time: last, last_successful_time: ok });
    (meta(), spec, status).prop_map(|(metadata, spec, status)| CronJob { metadata, spec, status }).boxed()
}

pub fn node() -> BoxedStrategy<Node> {
    let taint = (label_key(), label_value(), effect(), option::of(time()))
        .prop_map(|(key, value, effect, time_added)| Taint { key, value, effect, time_added });
    let spec = (
        any::<bool>(),
        vec(taint, 0..3),
        "(10\\.[0-9]{1,3}\\.0\\.0/24)?",
        "(kwok://[a-z]{1,8})?",
        extra(&["configSource"]),
    )
        .prop_map(|(unschedulable, taints, pod_cidr, provider_id, extra)| NodeSpec {
            unschedulable,
            taints,
            pod_cidr,
            provider_id,
            extra,
        });
    let status = (resource_list(), resource_list(), conditions(), extra(&["nodeInfo", "addresses"]))
        .prop_map(|(capacity, allocatable, conditions, extra)| NodeStatus { capacity, allocatable, conditions, extra });
    (meta(), spec, status).prop_map(|(metadata, spec, status)| Node { metadata, spec, status }).boxed()
}

pub fn any_object() -> BoxedStrategy<AnyObject> {
    prop_oneof![
        pod().prop_map(AnyObject::from),
        deployment().prop_map(AnyObject::from),
        stateful_set().prop_map(AnyObject::from),
        daemon_set().prop_map(AnyObject::from),
        job().prop_map(AnyObject::from),
        cron_job().prop_map(AnyObject::from),
        node().prop_map(AnyObject::from),
    ]
    .boxed()
}
