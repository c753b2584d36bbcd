//! Deployment, ReplicaSet, StatefulSet, DaemonSet and ControllerRevision validation.

use super::*;

// ------------------------------------------------------------------ Deployment

#[test]
fn deployment_rules() {
    let mismatch = r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#;
    let cases: &[(&str, &[&str])] = &[
        ("spec: {replicas: 0, minReadySeconds: 5, revisionHistoryLimit: 0, progressDeadlineSeconds: 6}", &[]),
        ("spec: {replicas: -1}", &[&format!("spec.replicas: Invalid value: -1: {NEG}")]),
        ("spec: {minReadySeconds: -1}", &[&format!("spec.minReadySeconds: Invalid value: -1: {NEG}")]),
        ("spec: {revisionHistoryLimit: -1}", &[&format!("spec.revisionHistoryLimit: Invalid value: -1: {NEG}")]),
        (
            "spec: {progressDeadlineSeconds: -1}",
            &[
                &format!("spec.progressDeadlineSeconds: Invalid value: -1: {NEG}"),
                "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than minReadySeconds",
            ],
        ),
        ("spec: {minReadySeconds: 600}", &["spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"]),
        // selector: required, non-empty, valid, matching the template
        ("spec: {selector: null}", &["spec.selector: Required value", mismatch]),
        (
            "spec: {selector: {matchLabels: null}}",
            &["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"],
        ),
        ("spec: {selector: {matchLabels: {app: db}}}", &[mismatch]),
        ("spec: {selector: {matchLabels: null, matchExpressions: [{key: app, operator: In, values: [web, api]}]}}", &[]),
        (
            "spec: {selector: {matchLabels: null, matchExpressions: [{key: app, operator: Exists, values: [web]}]}}",
            &[
                "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Exists", Values:[]string{"web"}}}}: invalid label selector"#,
            ],
        ),
        // template: restartPolicy Always, no activeDeadlineSeconds
        (
            "spec: {template: {spec: {restartPolicy: Never, activeDeadlineSeconds: 10}}}",
            &[
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
            ],
        ),
        // strategy
        ("spec: {strategy: {type: Recreate}}", &[]),
        (
            "spec: {strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}}",
            &["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
        ),
        ("spec: {strategy: {type: BlueGreen}}", &[r#"spec.strategy: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate""#]),
        ("spec: {strategy: {rollingUpdate: {maxSurge: '100%', maxUnavailable: '100%'}}}", &[]),
        ("spec: {strategy: {rollingUpdate: {maxSurge: '200%', maxUnavailable: 0}}}", &[]),
        (
            "spec: {strategy: {rollingUpdate: {maxUnavailable: '101%'}}}",
            &[&format!("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: {}: must not be greater than 100%", intstr_str("101%"))],
        ),
        ("spec: {strategy: {rollingUpdate: {maxSurge: -1}}}", &[&format!("spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: {NEG}")]),
        (
            "spec: {strategy: {rollingUpdate: {maxSurge: 'x%'}}}",
            &[&format!("spec.strategy.rollingUpdate.maxSurge: Invalid value: {}: {PERCENT_MSG}", intstr_str("x%"))],
        ),
        (
            "spec: {strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}}",
            &[&format!("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: {}: may not be 0 when `maxSurge` is 0", intstr_int(0))],
        ),
        (
            "spec: {strategy: {rollingUpdate: {maxSurge: '0%', maxUnavailable: '0%'}}}",
            &[&format!("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: {}: may not be 0 when `maxSurge` is 0", intstr_str("0%"))],
        ),
        // A non-zero percentage that rounds to 0 pods is accepted (the controller then uses 1).
        ("spec: {replicas: 3, strategy: {rollingUpdate: {maxSurge: '1%', maxUnavailable: 0}}}", &[]),
        ("spec: {replicas: 3, strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: '1%'}}}", &[]),
        // extensions/v1beta1's rollbackTo parses but apps/v1 does not serve it.
        ("spec: {rollbackTo: {revision: 1}}", &["spec.rollbackTo: Forbidden: not supported by apps/v1 (use `kubectl rollout undo`)"]),
    ];
    for (patch, expect) in cases {
        check::<Deployment>(DEPLOYMENT, patch, expect);
    }
}

#[test]
fn deployment_lists_every_violation_together() {
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {name: Web}
spec: {replicas: -2, selector: {matchLabels: {app: db}}, strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}, template: {spec: {containers: [{name: nginx}]}}}",
        &[
            &format!(r#"metadata.name: Invalid value: "Web": {SUBDOMAIN_MSG}"#),
            &format!("spec.replicas: Invalid value: -2: {NEG}"),
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#,
            "spec.template.spec.containers[0].image: Required value",
            &format!("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: {}: may not be 0 when `maxSurge` is 0", intstr_int(0)),
        ],
    );
}

#[test]
fn deployment_selector_is_immutable() {
    check_update::<Deployment>(
        DEPLOYMENT,
        "",
        "spec: {replicas: 5, template: {spec: {containers: [{name: nginx, image: 'nginx:2'}]}}}",
        &[],
    );
    check_update::<Deployment>(
        DEPLOYMENT,
        "",
        "spec: {selector: {matchLabels: {app: web, v: '2'}}, template: {metadata: {labels: {app: web, v: '2'}}}}",
        &[
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#,
        ],
    );
}

#[test]
fn deployment_status_rules() {
    let ok = "status: {replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, collisionCount: 1}";
    check_status::<Deployment>(DEPLOYMENT, "", ok, &[]);
    check_status::<Deployment>(
        DEPLOYMENT,
        "status: {collisionCount: 2}",
        "status: {replicas: 1, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 3, unavailableReplicas: -1, collisionCount: 1}",
        &[
            &format!("status.unavailableReplicas: Invalid value: -1: {NEG}"),
            "status.updatedReplicas: Invalid value: 2: cannot be greater than status.replicas",
            "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas",
            "status.collisionCount: Invalid value: 1: cannot be decremented",
        ],
    );
    check_status::<Deployment>(
        DEPLOYMENT,
        "status: {collisionCount: 2}",
        "status: {}",
        &["status.collisionCount: Invalid value: 0: cannot be decremented"],
    );
}

// ------------------------------------------------------------------ ReplicaSet

#[test]
fn replica_set_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("spec: {replicas: 0, minReadySeconds: 0}", &[]),
        (
            "spec: {replicas: -1, minReadySeconds: -1}",
            &[&format!("spec.replicas: Invalid value: -1: {NEG}"), &format!("spec.minReadySeconds: Invalid value: -1: {NEG}")],
        ),
        (
            "spec: {selector: null}",
            &["spec.selector: Required value", r#"spec.template.metadata.labels: Invalid value: map[string]string{"tier":"frontend"}: `selector` does not match template `labels`"#],
        ),
        (
            "spec: {selector: {matchLabels: null}}",
            &["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"],
        ),
        (
            "spec: {template: {metadata: {labels: {tier: backend}}}}",
            &[r#"spec.template.metadata.labels: Invalid value: map[string]string{"tier":"backend"}: `selector` does not match template `labels`"#],
        ),
        ("spec: {template: {metadata: {labels: {tier: frontend, extra: x}}}}", &[]),
        (
            "spec: {template: {spec: {restartPolicy: OnFailure, activeDeadlineSeconds: 5}}}",
            &[
                r#"spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always""#,
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
            ],
        ),
    ];
    for (patch, expect) in cases {
        check::<ReplicaSet>(REPLICA_SET, patch, expect);
    }
    check_update::<ReplicaSet>(REPLICA_SET, "", "spec: {replicas: 7}", &[]);
    check_update::<ReplicaSet>(
        REPLICA_SET,
        "",
        "spec: {selector: {matchLabels: {tier: frontend, pod-template-hash: abc}}, template: {metadata: {labels: {tier: frontend, pod-template-hash: abc}}}}",
        &[r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"pod-template-hash":"abc", "tier":"frontend"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#],
    );
}

#[test]
fn replica_set_status_rules() {
    check_status::<ReplicaSet>(
        REPLICA_SET,
        "",
        "status: {replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3}",
        &[],
    );
    check_status::<ReplicaSet>(
        REPLICA_SET,
        "",
        "status: {replicas: -1, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0}",
        &[
            &format!("status.replicas: Invalid value: -1: {NEG}"),
            "status.fullyLabeledReplicas: Invalid value: 0: cannot be greater than status.replicas",
            "status.readyReplicas: Invalid value: 0: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 0: cannot be greater than status.replicas",
        ],
    );
    check_status::<ReplicaSet>(
        REPLICA_SET,
        "",
        "status: {replicas: 2, readyReplicas: 1, availableReplicas: 2}",
        &["status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas"],
    );
}

// ------------------------------------------------------------------ StatefulSet

#[test]
fn stateful_set_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("spec: {podManagementPolicy: Parallel, updateStrategy: {type: OnDelete}, replicas: 0, ordinals: {start: 5}}", &[]),
        ("spec: {podManagementPolicy: Sometimes}", &[r#"spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'"#]),
        (
            "spec: {updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}}",
            &[r#"spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'"#],
        ),
        (
            "spec: {updateStrategy: {type: Canary}}",
            &[r#"spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Canary", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'"#],
        ),
        ("spec: {updateStrategy: {rollingUpdate: {partition: -1}}}", &[&format!("spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: {NEG}")]),
        ("spec: {updateStrategy: {rollingUpdate: {partition: 3, maxUnavailable: '50%'}}}", &[]),
        (
            "spec: {updateStrategy: {rollingUpdate: {maxUnavailable: 0}}}",
            &[&format!("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: {}: cannot be 0", intstr_int(0))],
        ),
        (
            "spec: {updateStrategy: {rollingUpdate: {maxUnavailable: '120%'}}}",
            &[&format!("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: {}: must not be greater than 100%", intstr_str("120%"))],
        ),
        (
            "spec: {persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Keep}}",
            &[r#"spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": supported values: "Retain", "Delete""#],
        ),
        (
            "spec: {replicas: -1, minReadySeconds: -1, ordinals: {start: -1}}",
            &[
                &format!("spec.replicas: Invalid value: -1: {NEG}"),
                &format!("spec.minReadySeconds: Invalid value: -1: {NEG}"),
                &format!("spec.ordinals.start: Invalid value: -1: {NEG}"),
            ],
        ),
        (
            "spec: {selector: null}",
            &["spec.selector: Required value", r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`"#],
        ),
        (
            "spec: {selector: {matchLabels: null}}",
            &["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"],
        ),
        (
            "spec: {template: {metadata: {labels: {app: other}}}}",
            &[r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`"#],
        ),
        (
            "spec: {template: {spec: {restartPolicy: Never, activeDeadlineSeconds: 3}}}",
            &[
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
            ],
        ),
        // Upstream does not validate a StatefulSet template's pod spec (only labels and annotations).
        ("spec: {template: {spec: {containers: [{name: nginx}]}}}", &[]),
    ];
    for (patch, expect) in cases {
        check::<StatefulSet>(STATEFUL_SET, patch, expect);
    }
}

#[test]
fn stateful_set_updates_only_touch_the_mutable_fields() {
    const FORBIDDEN: &str = "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
    let mutable = "spec: {replicas: 5, ordinals: {start: 1}, minReadySeconds: 10, updateStrategy: {type: OnDelete}, persistentVolumeClaimRetentionPolicy: {whenScaled: Delete}, template: {spec: {containers: [{name: nginx, image: 'nginx:2'}]}}}";
    check_update::<StatefulSet>(STATEFUL_SET, "", mutable, &[]);
    for immutable in [
        "spec: {serviceName: other}",
        "spec: {podManagementPolicy: Parallel}",
        "spec: {revisionHistoryLimit: 3}",
        "spec: {volumeClaimTemplates: [{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]}",
        "spec: {selector: {matchLabels: {app: nginx, v: '2'}}, template: {metadata: {labels: {app: nginx, v: '2'}}}}",
    ] {
        check_update::<StatefulSet>(STATEFUL_SET, "", immutable, &[FORBIDDEN]);
    }
}

#[test]
fn stateful_set_status_rules() {
    check_status::<StatefulSet>(
        STATEFUL_SET,
        "",
        "status: {replicas: 2, readyReplicas: 2, currentReplicas: 1, updatedReplicas: 1, availableReplicas: 1}",
        &[],
    );
    check_status::<StatefulSet>(
        STATEFUL_SET,
        "status: {collisionCount: 1}",
        "status: {replicas: 1, readyReplicas: 1, currentReplicas: -1, updatedReplicas: 2, availableReplicas: 2}",
        &[
            &format!("status.currentReplicas: Invalid value: -1: {NEG}"),
            "status.updatedReplicas: Invalid value: 2: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas",
            "status.collisionCount: Invalid value: 0: cannot be decremented",
        ],
    );
}

// ------------------------------------------------------------------ DaemonSet

#[test]
fn daemon_set_rules() {
    let mismatch = r#"spec.template.metadata.labels: Invalid value: map[string]string{"name":"fluentd-elasticsearch"}: `selector` does not match template `labels`"#;
    let cases: &[(&str, &[&str])] = &[
        ("spec: {updateStrategy: {type: OnDelete}, minReadySeconds: 5, revisionHistoryLimit: 0}", &[]),
        // A missing selector selects nothing, so it shows as a mismatch.
        ("spec: {selector: null}", &[mismatch]),
        (
            "spec: {selector: {matchLabels: null}}",
            &["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset"],
        ),
        ("spec: {selector: {matchLabels: {name: other}}}", &[mismatch]),
        (
            "spec: {template: {spec: {restartPolicy: OnFailure, activeDeadlineSeconds: 9}}}",
            &[
                r#"spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always""#,
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
            ],
        ),
        (
            "spec: {minReadySeconds: -1, revisionHistoryLimit: -1}",
            &[&format!("spec.minReadySeconds: Invalid value: -1: {NEG}"), &format!("spec.revisionHistoryLimit: Invalid value: -1: {NEG}")],
        ),
        ("spec: {updateStrategy: {type: Surge}}", &[r#"spec.updateStrategy: Unsupported value: "Surge": supported values: "RollingUpdate", "OnDelete""#]),
        // Exactly one of maxSurge / maxUnavailable is non-zero.
        ("spec: {updateStrategy: {rollingUpdate: {maxSurge: '10%', maxUnavailable: 0}}}", &[]),
        ("spec: {updateStrategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: '100%'}}}", &[]),
        (
            "spec: {updateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}}",
            &[&format!("spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: {}: may not be set when maxUnavailable is non-zero", intstr_int(1))],
        ),
        (
            "spec: {updateStrategy: {rollingUpdate: {maxSurge: '0%', maxUnavailable: 0}}}",
            &["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"],
        ),
        (
            "spec: {updateStrategy: {rollingUpdate: {maxSurge: '101%', maxUnavailable: 0}}}",
            &[&format!("spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: {}: must not be greater than 100%", intstr_str("101%"))],
        ),
        (
            "spec: {updateStrategy: {rollingUpdate: {maxUnavailable: -1}}}",
            &[&format!("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: {NEG}")],
        ),
    ];
    for (patch, expect) in cases {
        check::<DaemonSet>(DAEMON_SET, patch, expect);
    }
}

#[test]
fn daemon_set_updates() {
    let new_template = "spec: {template: {spec: {containers: [{name: fluentd-elasticsearch, image: 'fluentd:v3'}]}}}";
    check_update::<DaemonSet>(DAEMON_SET, "", new_template, &[]);
    check_update::<DaemonSet>(
        DAEMON_SET,
        "",
        "spec: {selector: {matchLabels: {name: fluentd}}, template: {metadata: {labels: {name: fluentd}}}}",
        &[
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"name":"fluentd"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#,
        ],
    );
    // The template generation (annotation) grows exactly when the template changes.
    let gen = |n: u32| format!("metadata: {{annotations: {{deprecated.daemonset.template.generation: '{n}'}}}}");
    let with_template = |n: u32| format!("{}\n{new_template}", gen(n));
    check_update::<DaemonSet>(DAEMON_SET, &gen(1), &with_template(2), &[]);
    check_update::<DaemonSet>(DAEMON_SET, &gen(1), &gen(1), &[]);
    check_update::<DaemonSet>(
        DAEMON_SET,
        &gen(1),
        &with_template(1),
        &["spec.templateGeneration: Invalid value: 1: must be incremented upon template update"],
    );
    check_update::<DaemonSet>(
        DAEMON_SET,
        &gen(1),
        &gen(2),
        &["spec.templateGeneration: Invalid value: 2: must not be incremented without template update"],
    );
    check_update::<DaemonSet>(
        DAEMON_SET,
        &gen(3),
        &gen(2),
        &["spec.templateGeneration: Invalid value: 2: must not be decremented"],
    );
}

#[test]
fn daemon_set_status_rules() {
    check_status::<DaemonSet>(DAEMON_SET, "", "status: {currentNumberScheduled: 3, desiredNumberScheduled: 3, numberReady: 2, numberAvailable: 2, numberUnavailable: 1}", &[]);
    check_status::<DaemonSet>(
        DAEMON_SET,
        "status: {collisionCount: 4}",
        "status: {numberMisscheduled: -1, numberAvailable: -2, collisionCount: 3}",
        &[
            &format!("status.numberMisscheduled: Invalid value: -1: {NEG}"),
            &format!("status.numberAvailable: Invalid value: -2: {NEG}"),
            "status.collisionCount: Invalid value: 3: cannot be decremented",
        ],
    );
}

// ------------------------------------------------------------------ ControllerRevision

#[test]
fn controller_revision_rules() {
    check::<ControllerRevision>(CONTROLLER_REVISION, "revision: 0", &[]);
    check::<ControllerRevision>(
        CONTROLLER_REVISION,
        "data: null\nrevision: -1",
        &["data: Required value: data is mandatory", &format!("revision: Invalid value: -1: {NEG}")],
    );
    check_update::<ControllerRevision>(CONTROLLER_REVISION, "", "revision: 4", &[]);
    check_update::<ControllerRevision>(
        CONTROLLER_REVISION,
        "",
        "data: {spec: {template: {metadata: {labels: {app: other}}}}}",
        &[r#"data: Invalid value: {"spec":{"template":{"metadata":{"labels":{"app":"other"}}}}}: field is immutable"#],
    );
}
