//! Messages, ObjectMeta, pod specs and templates, pod updates, Services, PVCs, Nodes.

use super::*;

// ------------------------------------------------------------------ messages

#[test]
fn messages_read_like_kubernetes() {
    assert_eq!(
        message::<Deployment>(DEPLOYMENT, "spec: {replicas: -1}"),
        r#"Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#
    );
    assert_eq!(
        message::<Deployment>(DEPLOYMENT, "spec: {selector: null}"),
        r#"Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`]"#
    );
    assert_eq!(
        message::<Pod>(POD, "spec: {containers: []}"),
        r#"Pod "web-0" is invalid: spec.containers: Required value"#
    );
    assert_eq!(
        message::<CronJob>(CRON_JOB, "spec: {schedule: '* * *'}"),
        r#"CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]"#
    );
}

// ------------------------------------------------------------------ ObjectMeta

#[test]
fn object_meta_is_validated_for_every_kind() {
    // Names: required unless generateName; DNS subdomain for most kinds.
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {name: null}",
        &["metadata.name: Required value: name or generateName is required"],
    );
    check::<Deployment>(DEPLOYMENT, "metadata: {name: null, generateName: web-}", &[]);
    check::<Deployment>(DEPLOYMENT, "metadata: {name: web.v2}", &[]);
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {name: Web}",
        &[&format!(r#"metadata.name: Invalid value: "Web": {SUBDOMAIN_MSG}"#)],
    );
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {name: null, generateName: Web-}",
        &[&format!(r#"metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MSG}"#)],
    );
    check::<Pod>(
        POD,
        "metadata: {name: web_0}",
        &[&format!(r#"metadata.name: Invalid value: "web_0": {SUBDOMAIN_MSG}"#)],
    );
    check::<Job>(JOB, "metadata: {name: pi.v2}", &[]);
    check::<Node>(NODE, "metadata: {name: node-1.example.com}", &[]);
    // StatefulSets name their pods' hostnames: a DNS label.
    check::<StatefulSet>(
        STATEFUL_SET,
        "metadata: {name: web.v2}",
        &[r#"metadata.name: Invalid value: "web.v2": must not contain dots"#],
    );
    // Services: DNS-1035 labels.
    check::<Service>(
        SERVICE,
        "metadata: {name: 1nginx}",
        &[
            r#"metadata.name: Invalid value: "1nginx": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#,
        ],
    );
    // Namespace: may be empty (the store defaults it), else a DNS label; cluster-scoped kinds have none.
    check::<Deployment>(DEPLOYMENT, "metadata: {namespace: null}", &[]);
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {namespace: my.ns}",
        &[r#"metadata.namespace: Invalid value: "my.ns": must not contain dots"#],
    );
    check::<Node>(NODE, "metadata: {namespace: default}", &["metadata.namespace: Forbidden: not allowed on this type"]);
    // Labels and annotations.
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {labels: {app: 'bad value'}}",
        &[&format!(r#"metadata.labels: Invalid value: "bad value": {LABEL_VALUE_MSG}"#)],
    );
    check::<Deployment>(
        DEPLOYMENT,
        "metadata: {annotations: {'bad key!': x}}",
        &[
            r#"metadata.annotations: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
        ],
    );
    check::<Deployment>(DEPLOYMENT, "metadata: {annotations: {example.com/Any: 'any value at all'}}", &[]);
}

#[test]
fn owner_references_are_complete_with_at_most_one_controller() {
    let owner = "{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u1, controller: true}";
    check::<Pod>(POD, &format!("metadata: {{ownerReferences: [{owner}]}}"), &[]);
    check::<Pod>(
        POD,
        "metadata: {ownerReferences: [{apiVersion: apps/, kind: '', name: '', uid: ''}]}",
        &[
            r#"metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty"#,
            r#"metadata.ownerReferences.kind: Invalid value: "": kind must not be empty"#,
            r#"metadata.ownerReferences.name: Invalid value: "": name must not be empty"#,
            r#"metadata.ownerReferences.uid: Invalid value: "": uid must not be empty"#,
        ],
    );
    let two = "metadata: {ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: u1, controller: true}, {apiVersion: apps/v1, kind: StatefulSet, name: b, uid: u2, controller: true}]}";
    let got = lines(defaulted::<Pod>(POD, two).validate(None));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("metadata.ownerReferences: Invalid value: [{"), "{}", got[0]);
    assert!(
        got[0].ends_with(r#"Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and StatefulSet/b"#),
        "{}",
        got[0]
    );
}

#[test]
fn finalizers_are_qualified_or_standard() {
    check::<Pod>(POD, "metadata: {finalizers: [kubernetes, example.com/keep]}", &[]);
    check::<Pod>(
        POD,
        "metadata: {finalizers: [keep]}",
        &[
            r#"metadata.finalizers: Invalid value: "keep": name is neither a standard finalizer name nor is it fully qualified"#,
        ],
    );
}

#[test]
fn object_meta_identity_is_immutable_on_update() {
    let old = "metadata: {uid: u1, creationTimestamp: '2024-01-01T00:00:00Z'}";
    check_update::<Deployment>(
        DEPLOYMENT,
        old,
        "metadata: {uid: u1, creationTimestamp: '2024-01-01T00:00:00Z', labels: {v: '2'}}",
        &[],
    );
    check_update::<Deployment>(
        DEPLOYMENT,
        old,
        "metadata: {name: web2, namespace: other, uid: u2, creationTimestamp: '2024-01-02T00:00:00Z'}",
        &[
            r#"metadata.name: Invalid value: "web2": field is immutable"#,
            r#"metadata.namespace: Invalid value: "other": field is immutable"#,
            r#"metadata.uid: Invalid value: "u2": field is immutable"#,
            r#"metadata.creationTimestamp: Invalid value: "2024-01-02T00:00:00Z": field is immutable"#,
        ],
    );
    // No new finalizers once deletion started.
    check_update::<Pod>(
        POD,
        "metadata: {deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: [kubernetes]}",
        "metadata: {deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: [kubernetes, example.com/x]}",
        &[
            r#"metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/x"}"#,
        ],
    );
    check_update::<Pod>(
        POD,
        "metadata: {deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: [kubernetes]}",
        "metadata: {deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: []}",
        &[],
    );
}

// ------------------------------------------------------------------ Pod spec (pods and templates)

#[test]
fn pod_spec_rules() {
    let cases: &[(&str, &[&str])] = &[
        // containers: at least one, DNS-label names, unique, image required
        ("spec: {containers: []}", &["spec.containers: Required value"]),
        ("spec: {containers: [{name: '', image: x}]}", &["spec.containers[0].name: Required value"]),
        ("spec: {containers: [{name: Web, image: x}]}", &[&format!(r#"spec.containers[0].name: Invalid value: "Web": {DNS_LABEL_MSG}"#)]),
        ("spec: {containers: [{name: a, image: x}, {name: a, image: y}]}", &[r#"spec.containers[1].name: Duplicate value: "a""#]),
        ("spec: {containers: [{name: a}]}", &["spec.containers[0].image: Required value"]),
        ("spec: {containers: [{name: a, image: ' x'}]}", &[r#"spec.containers[0].image: Invalid value: " x": must not have leading or trailing whitespace"#]),
        ("spec: {initContainers: [{name: nginx, image: x}]}", &[r#"spec.initContainers[0].name: Duplicate value: "nginx""#]),
        ("spec: {initContainers: [{name: init, image: x}]}", &[]),
        // resources
        ("spec: {containers: [{name: a, image: x, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: '1'}}}]}", &[]),
        (
            "spec: {containers: [{name: a, image: x, resources: {requests: {cpu: '-1'}}}]}",
            &[r#"spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#],
        ),
        (
            "spec: {containers: [{name: a, image: x, resources: {requests: {cpu: '2'}, limits: {cpu: 500m}}}]}",
            &[r#"spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 500m"#],
        ),
        (
            "spec: {containers: [{name: a, image: x, resources: {requests: {gpu: '1'}}}]}",
            &[r#"spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers"#],
        ),
        (
            "spec: {containers: [{name: a, image: x, resources: {requests: {example.com/gpu: '1'}}}]}",
            &["spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"],
        ),
        ("spec: {containers: [{name: a, image: x, resources: {requests: {example.com/gpu: '1'}, limits: {example.com/gpu: '1'}}}]}", &[]),
        (
            "spec: {containers: [{name: a, image: x, resources: {requests: {example.com/gpu: 500m}, limits: {example.com/gpu: 500m}}}]}",
            &[
                r#"spec.containers[0].resources.limits[example.com/gpu]: Invalid value: "500m": must be an integer"#,
                r#"spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer"#,
            ],
        ),
        // restartPolicy is defaulted; deadlines and grace periods
        ("spec: {restartPolicy: OnFailure}", &[]),
        ("spec: {activeDeadlineSeconds: 0}", &["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"]),
        ("spec: {activeDeadlineSeconds: 30}", &[]),
        ("spec: {terminationGracePeriodSeconds: -1}", &[&format!("spec.terminationGracePeriodSeconds: Invalid value: -1: {NEG}")]),
        ("spec: {terminationGracePeriodSeconds: 0}", &[]),
        // scheduling: nodeSelector labels, tolerations, node affinity, nodeName
        ("spec: {nodeSelector: {disktype: ssd}}", &[]),
        ("spec: {nodeSelector: {disktype: 'solid state'}}", &[&format!(r#"spec.nodeSelector: Invalid value: "solid state": {LABEL_VALUE_MSG}"#)]),
        ("spec: {tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]}", &[]),
        (
            "spec: {tolerations: [{operator: Equal, value: x}]}",
            &[r#"spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys""#],
        ),
        (
            "spec: {tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}]}",
            &[r#"spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when `tolerationSeconds` is set"#],
        ),
        (
            "spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}}",
            &[],
        ),
        (
            "spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}}",
            &["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term"],
        ),
        (
            "spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In}]}]}}}}",
            &["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
        ),
        ("spec: {nodeName: node-1}", &[]),
        ("spec: {nodeName: Node_1}", &[&format!(r#"spec.nodeName: Invalid value: "Node_1": {SUBDOMAIN_MSG}"#)]),
        ("spec: {hostname: web-0, subdomain: nginx}", &[]),
        ("spec: {hostname: web.0}", &[r#"spec.hostname: Invalid value: "web.0": must not contain dots"#]),
        // volumes: unique DNS-label names, one source, PVC needs a claim name
        ("spec: {volumes: [{name: www, persistentVolumeClaim: {claimName: www-web-0}}, {name: tmp, emptyDir: {}}]}", &[]),
        ("spec: {volumes: [{name: www, persistentVolumeClaim: {claimName: ''}}]}", &["spec.volumes[0].persistentVolumeClaim.claimName: Required value"]),
        (
            "spec: {volumes: [{name: a, emptyDir: {}}, {name: a, emptyDir: {}}]}",
            &[r#"spec.volumes[1].name: Duplicate value: "a""#],
        ),
        ("spec: {volumes: [{name: a}]}", &["spec.volumes[0]: Required value: must specify a volume type"]),
        (
            "spec: {volumes: [{name: a, persistentVolumeClaim: {claimName: c}, emptyDir: {}}]}",
            &["spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type"],
        ),
        ("spec: {volumes: [{name: A_1, emptyDir: {}}]}", &[&format!(r#"spec.volumes[0].name: Invalid value: "A_1": {DNS_LABEL_MSG}"#)]),
    ];
    for (patch, expect) in cases {
        check::<Pod>(POD, patch, expect);
    }
}

#[test]
fn pod_templates_are_validated_with_their_path() {
    check::<Deployment>(
        DEPLOYMENT,
        "spec: {template: {spec: {containers: [{name: nginx}]}}}",
        &["spec.template.spec.containers[0].image: Required value"],
    );
    check::<ReplicaSet>(
        REPLICA_SET,
        "spec: {template: {spec: {containers: []}}}",
        &["spec.template.spec.containers: Required value"],
    );
    check::<DaemonSet>(
        DAEMON_SET,
        "spec: {template: {spec: {tolerations: [{key: k, operator: Exists, value: v}]}}}",
        &[
            r#"spec.template.spec.tolerations[0].operator: Invalid value: "v": value must be empty when `operator` is 'Exists'"#,
        ],
    );
    check::<Job>(
        JOB,
        "spec: {template: {spec: {volumes: [{name: a}]}}}",
        &["spec.template.spec.volumes[0]: Required value: must specify a volume type"],
    );
    check::<CronJob>(
        CRON_JOB,
        "spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: hello}]}}}}}",
        &["spec.jobTemplate.spec.template.spec.containers[0].image: Required value"],
    );
    // Template labels and annotations are reported at `spec.template.labels`, as upstream does.
    check::<Deployment>(
        DEPLOYMENT,
        "spec: {template: {metadata: {annotations: {'a b': x}}}}",
        &[
            r#"spec.template.annotations: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
        ],
    );
}

#[test]
fn pod_updates_change_only_images_deadlines_tolerations_and_the_binding() {
    let ok: &[(&str, &str)] = &[
        ("", "spec: {containers: [{name: nginx, image: 'nginx:1.26'}]}"),
        ("", "spec: {activeDeadlineSeconds: 60}"),
        ("spec: {activeDeadlineSeconds: 60}", "spec: {activeDeadlineSeconds: 30}"),
        ("", "spec: {nodeName: node-1}"),
        (
            "spec: {tolerations: [{key: a, operator: Exists}]}",
            "spec: {tolerations: [{key: a, operator: Exists}, {key: b, operator: Exists}]}",
        ),
        (
            "spec: {tolerations: [{key: a, operator: Exists, effect: NoExecute, tolerationSeconds: 5}]}",
            "spec: {tolerations: [{key: a, operator: Exists, effect: NoExecute, tolerationSeconds: 1}]}",
        ),
        ("", "metadata: {labels: {new: label}}"),
    ];
    for (old, new) in ok {
        check_update::<Pod>(POD, old, new, &[]);
    }
    const FORBIDDEN: &str = "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";
    let bad: &[(&str, &str, &[&str])] = &[
        ("spec: {nodeName: node-1}", "spec: {nodeName: node-2}", &[FORBIDDEN]),
        ("", "spec: {nodeSelector: {disktype: ssd}}", &[FORBIDDEN]),
        ("", "spec: {containers: [{name: nginx, image: nginx, resources: {requests: {cpu: '1'}}}]}", &[FORBIDDEN]),
        (
            "",
            "spec: {containers: [{name: nginx, image: nginx}, {name: side, image: x}]}",
            &["spec.containers: Forbidden: pod updates may not add or remove containers"],
        ),
        (
            "spec: {activeDeadlineSeconds: 30}",
            "spec: {activeDeadlineSeconds: 60}",
            &["spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value"],
        ),
        (
            "spec: {activeDeadlineSeconds: 30}",
            "spec: {activeDeadlineSeconds: null}",
            &["spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"],
        ),
        (
            "spec: {tolerations: [{key: a, operator: Exists}]}",
            "spec: {tolerations: [{key: b, operator: Exists}]}",
            &["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"],
        ),
    ];
    for (old, new, expect) in bad {
        check_update::<Pod>(POD, old, new, expect);
    }
}

// ------------------------------------------------------------------ Service, PVC, Node

#[test]
fn service_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("spec: {clusterIP: 10.96.0.10, type: NodePort}", &[]),
        ("spec: {clusterIP: 'fd00::10'}", &[]),
        ("spec: {clusterIP: null}", &[]),
        (
            "spec: {clusterIP: 10.96.0.300}",
            &[
                r#"spec.clusterIP: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#,
            ],
        ),
        (
            "spec: {type: NodePort}",
            &[r#"spec.clusterIP: Invalid value: "None": may not be set to 'None' for NodePort services"#],
        ),
        (
            "spec: {type: Internal}",
            &[
                r#"spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#,
            ],
        ),
        ("spec: {selector: {app: 'a b'}}", &[&format!(r#"spec.selector: Invalid value: "a b": {LABEL_VALUE_MSG}"#)]),
        // Ports are kept verbatim.
        ("spec: {ports: [{port: 99999, protocol: Carrier-Pigeon}]}", &[]),
    ];
    for (patch, expect) in cases {
        check::<Service>(SERVICE, patch, expect);
    }
    check::<Service>(SERVICE, "spec: {type: null}", &[]);
    check_update::<Service>(SERVICE, "spec: {clusterIP: null}", "spec: {clusterIP: 10.96.0.7}", &[]);
    check_update::<Service>(
        SERVICE,
        "",
        "spec: {clusterIP: 10.96.0.7}",
        &[r#"spec.clusterIP: Invalid value: "10.96.0.7": field is immutable"#],
    );
}

#[test]
fn persistent_volume_claim_rules() {
    let cases: &[(&str, &[&str])] = &[
        (
            "spec: {accessModes: [ReadWriteOncePod], storageClassName: fast-ssd, selector: {matchLabels: {disk: ssd}}}",
            &[],
        ),
        (
            "spec: {accessModes: [], resources: {requests: null}}",
            &[
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Required value",
            ],
        ),
        (
            "spec: {accessModes: [ReadWriteSometimes]}",
            &[
                r#"spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod""#,
            ],
        ),
        (
            "spec: {accessModes: [ReadWriteOncePod, ReadOnlyMany]}",
            &["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"],
        ),
        (
            "spec: {resources: {requests: {storage: '0'}}}",
            &[r#"spec.resources[storage]: Invalid value: "0": must be greater than zero"#],
        ),
        (
            "spec: {storageClassName: Fast}",
            &[&format!(r#"spec.storageClassName: Invalid value: "Fast": {SUBDOMAIN_MSG}"#)],
        ),
    ];
    for (patch, expect) in cases {
        check::<PersistentVolumeClaim>(PVC, patch, expect);
    }
    // Binding and expansion of a bound claim are the only spec changes.
    check_update::<PersistentVolumeClaim>(PVC, "", "spec: {volumeName: pv-1}", &[]);
    let bound = "status: {phase: Bound}";
    check_update::<PersistentVolumeClaim>(
        PVC,
        bound,
        "spec: {resources: {requests: {storage: 2Gi}}}\nstatus: {phase: Bound}",
        &[],
    );
    check_update::<PersistentVolumeClaim>(
        PVC,
        bound,
        "spec: {resources: {requests: {storage: 512Mi}}}\nstatus: {phase: Bound}",
        &["spec.resources.requests.storage: Forbidden: field can not be less than previous value"],
    );
    check_update::<PersistentVolumeClaim>(
        PVC,
        "",
        "spec: {accessModes: [ReadWriteMany]}",
        &["spec: Forbidden: spec is immutable after creation except resources.requests for bound claims"],
    );
}

#[test]
fn node_rules() {
    check::<Node>(NODE, "spec: {taints: [{key: a, effect: NoSchedule}, {key: a, effect: NoExecute}]}", &[]);
    check::<Node>(
        NODE,
        "spec: {taints: [{key: a, value: x, effect: NoSchedule}, {key: a, value: y, effect: NoSchedule}]}",
        &["spec.taints[1]: Duplicate value: a=y:NoSchedule: taints must be unique by key and effect pair"],
    );
    check::<Node>(
        NODE,
        "spec: {taints: [{key: 'bad key', effect: NoSchedule}]}",
        &[
            r#"spec.taints[0].key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
        ],
    );
    // The effect is required: a taint without one does not parse.
    let mut doc: Value = serde_norway::from_str(NODE).unwrap();
    merge(&mut doc, &serde_json::json!({"spec": {"taints": [{"key": "a"}]}}));
    assert!(serde_json::from_value::<Node>(doc).is_err());
    // podCIDR and providerID are set once.
    check_update::<Node>(NODE, "", "spec: {podCIDR: 10.244.1.0/24, providerID: 'kwarp://node-1'}", &[]);
    check_update::<Node>(
        NODE,
        "spec: {podCIDR: 10.244.1.0/24, providerID: 'kwarp://node-1'}",
        "spec: {podCIDR: 10.244.2.0/24, providerID: 'kwarp://node-2'}",
        &[
            r#"spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid"#,
            r#"spec.providerID: Forbidden: node updates may not change providerID except from "" to valid"#,
        ],
    );
    check_update::<Node>(NODE, "", "spec: {unschedulable: true}\nmetadata: {labels: {role: gpu}}", &[]);
}
