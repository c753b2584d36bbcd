//! Defaults of every kind (SEMANTICS §3.a, §4.a, §5.a, §6.a, §7.a, §8.a).

use super::*;

// ------------------------------------------------------------------ defaults

#[test]
fn deployment_defaults() {
    use serde_json::json;
    expect_defaults::<Deployment>(
        DEPLOYMENT,
        "",
        &[
            ("/spec/replicas", json!(1)),
            ("/spec/strategy/type", json!("RollingUpdate")),
            ("/spec/strategy/rollingUpdate/maxUnavailable", json!("25%")),
            ("/spec/strategy/rollingUpdate/maxSurge", json!("25%")),
            ("/spec/revisionHistoryLimit", json!(10)),
            ("/spec/progressDeadlineSeconds", json!(600)),
            // minReadySeconds 0 and paused false are the absent values.
            ("/spec/minReadySeconds", Value::Null),
            ("/spec/paused", Value::Null),
            ("/spec/template/spec/restartPolicy", json!("Always")),
            ("/spec/template/spec/terminationGracePeriodSeconds", json!(30)),
            ("/spec/template/spec/schedulerName", json!("default-scheduler")),
        ],
    );
    // Given values stay; Recreate gets no rollingUpdate block; a partial block is completed.
    expect_defaults::<Deployment>(
        DEPLOYMENT,
        "spec: {replicas: 0, strategy: {type: Recreate}, revisionHistoryLimit: 0}",
        &[
            ("/spec/replicas", json!(0)),
            ("/spec/strategy", json!({"type": "Recreate"})),
            ("/spec/revisionHistoryLimit", json!(0)),
        ],
    );
    expect_defaults::<Deployment>(
        DEPLOYMENT,
        "spec: {strategy: {rollingUpdate: {maxSurge: 1}}}",
        &[("/spec/strategy/rollingUpdate", json!({"maxSurge": 1, "maxUnavailable": "25%"}))],
    );
}

#[test]
fn replica_set_defaults() {
    use serde_json::json;
    expect_defaults::<ReplicaSet>(
        REPLICA_SET,
        "",
        &[("/spec/replicas", json!(1)), ("/spec/minReadySeconds", Value::Null)],
    );
    expect_defaults::<ReplicaSet>(REPLICA_SET, "spec: {replicas: 0}", &[("/spec/replicas", json!(0))]);
}

#[test]
fn stateful_set_defaults() {
    use serde_json::json;
    expect_defaults::<StatefulSet>(
        STATEFUL_SET,
        "spec: {replicas: null}",
        &[
            ("/spec/replicas", json!(1)),
            ("/spec/podManagementPolicy", json!("OrderedReady")),
            ("/spec/updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})),
            ("/spec/revisionHistoryLimit", json!(10)),
            ("/spec/persistentVolumeClaimRetentionPolicy", json!({"whenDeleted": "Retain", "whenScaled": "Retain"})),
            ("/spec/minReadySeconds", Value::Null),
            ("/spec/ordinals", Value::Null),
        ],
    );
    // OnDelete gets no rollingUpdate; a given rollingUpdate block gets partition 0
    // (maxUnavailable stays unset: MaxUnavailableStatefulSet is alpha in 1.28).
    expect_defaults::<StatefulSet>(
        STATEFUL_SET,
        "spec: {updateStrategy: {type: OnDelete}}",
        &[("/spec/updateStrategy", json!({"type": "OnDelete"}))],
    );
    expect_defaults::<StatefulSet>(
        STATEFUL_SET,
        "spec: {podManagementPolicy: Parallel, updateStrategy: {type: RollingUpdate, rollingUpdate: {}}, persistentVolumeClaimRetentionPolicy: {whenScaled: Delete}}",
        &[
            ("/spec/podManagementPolicy", json!("Parallel")),
            ("/spec/updateStrategy/rollingUpdate", json!({"partition": 0})),
            ("/spec/persistentVolumeClaimRetentionPolicy", json!({"whenDeleted": "Retain", "whenScaled": "Delete"})),
        ],
    );
}

#[test]
fn daemon_set_defaults() {
    use serde_json::json;
    expect_defaults::<DaemonSet>(
        DAEMON_SET,
        "",
        &[
            (
                "/spec/updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
            ),
            ("/spec/revisionHistoryLimit", json!(10)),
            ("/spec/minReadySeconds", Value::Null),
        ],
    );
    expect_defaults::<DaemonSet>(
        DAEMON_SET,
        "spec: {updateStrategy: {type: OnDelete}}",
        &[("/spec/updateStrategy", json!({"type": "OnDelete"}))],
    );
}

#[test]
fn job_defaults() {
    use serde_json::json;
    // (patch, completions, parallelism): both unset → 1/1; parallelism alone leaves
    // completions unset (a work queue); completions alone gets parallelism 1.
    let combos = [
        ("", json!(1), json!(1)),
        ("spec: {parallelism: 3}", Value::Null, json!(3)),
        ("spec: {completions: 5}", json!(5), json!(1)),
        ("spec: {completions: 5, parallelism: 2}", json!(5), json!(2)),
        ("spec: {completions: 0, parallelism: 0}", json!(0), json!(0)),
    ];
    for (patch, completions, parallelism) in combos {
        expect_defaults::<Job>(JOB, patch, &[("/spec/completions", completions), ("/spec/parallelism", parallelism)]);
    }
    expect_defaults::<Job>(
        JOB,
        "",
        &[
            ("/spec/backoffLimit", json!(6)),
            ("/spec/completionMode", json!("NonIndexed")),
            ("/spec/suspend", json!(false)),
            ("/spec/ttlSecondsAfterFinished", Value::Null),
            ("/spec/activeDeadlineSeconds", Value::Null),
            ("/spec/selector", json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "0f3c5a2e-1"}})),
            (
                "/spec/template/metadata/labels",
                json!({
                    "batch.kubernetes.io/controller-uid": "0f3c5a2e-1",
                    "batch.kubernetes.io/job-name": "pi",
                    "controller-uid": "0f3c5a2e-1",
                    "job-name": "pi",
                }),
            ),
        ],
    );
    // backoffLimit is MaxInt32 with backoffLimitPerIndex, unless given.
    let per_index = "spec: {completionMode: Indexed, completions: 3, backoffLimitPerIndex: 1}";
    expect_defaults::<Job>(JOB, per_index, &[("/spec/backoffLimit", json!(i32::MAX))]);
    expect_defaults::<Job>(
        JOB,
        "spec: {backoffLimitPerIndex: 1, backoffLimit: 2}",
        &[("/spec/backoffLimit", json!(2))],
    );
    expect_defaults::<Job>(JOB, "spec: {backoffLimit: 0}", &[("/spec/backoffLimit", json!(0))]);
    // Job labels come from the template when the Job has none.
    let labelled = "spec: {template: {metadata: {labels: {app: pi}}}}";
    expect_defaults::<Job>(JOB, labelled, &[("/metadata/labels", json!({"app": "pi"}))]);
    expect_defaults::<Job>(JOB, "metadata: {labels: {own: x}}", &[("/metadata/labels", json!({"own": "x"}))]);
    // manualSelector: true keeps the user's selector and labels.
    let manual =
        "spec: {manualSelector: true, selector: {matchLabels: {app: pi}}, template: {metadata: {labels: {app: pi}}}}";
    expect_defaults::<Job>(
        JOB,
        manual,
        &[
            ("/spec/selector", json!({"matchLabels": {"app": "pi"}})),
            ("/spec/template/metadata/labels", json!({"app": "pi"})),
        ],
    );
}

/// SEMANTICS §7.a: `podFailurePolicy.rules[].onPodConditions[].status` defaults to True.
#[test]
fn job_pod_failure_policy_condition_status_defaults_to_true() {
    let patch = "spec: {podFailurePolicy: {rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]}}";
    let v = json_of::<Job>(JOB, patch);
    assert_eq!(at(&v, "/spec/podFailurePolicy/rules/0/onPodConditions/0/status"), "True");
}

#[test]
fn cron_job_defaults() {
    use serde_json::json;
    expect_defaults::<CronJob>(
        CRON_JOB,
        "",
        &[
            ("/spec/concurrencyPolicy", json!("Allow")),
            ("/spec/suspend", json!(false)),
            ("/spec/successfulJobsHistoryLimit", json!(3)),
            ("/spec/failedJobsHistoryLimit", json!(1)),
            ("/spec/startingDeadlineSeconds", Value::Null),
            ("/spec/timeZone", Value::Null),
        ],
    );
    expect_defaults::<CronJob>(
        CRON_JOB,
        "spec: {concurrencyPolicy: Forbid, successfulJobsHistoryLimit: 0}",
        &[("/spec/concurrencyPolicy", json!("Forbid")), ("/spec/successfulJobsHistoryLimit", json!(0))],
    );
}

#[test]
fn every_base_manifest_is_valid_after_defaulting() {
    check::<Deployment>(DEPLOYMENT, "", &[]);
    check::<ReplicaSet>(REPLICA_SET, "", &[]);
    check::<StatefulSet>(STATEFUL_SET, "", &[]);
    check::<DaemonSet>(DAEMON_SET, "", &[]);
    check::<Job>(JOB, "", &[]);
    check::<CronJob>(CRON_JOB, "", &[]);
    check::<Pod>(POD, "", &[]);
    check::<Service>(SERVICE, "", &[]);
    check::<PersistentVolumeClaim>(PVC, "", &[]);
    check::<Node>(NODE, "", &[]);
    check::<ControllerRevision>(CONTROLLER_REVISION, "", &[]);
}
