//! The object model's hot operations: cloning a pod (against an `Arc` clone), the
//! template hash, label-selector matching (as written and compiled) and manifest
//! parsing per object (YAML documents and a JSON List).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kwarp::api::hash::compute_hash;
use kwarp::api::manifest::{to_json_list, to_yaml};
use kwarp::api::selector::{LabelSelectorOperator, LabelSelectorRequirement};
use kwarp::api::{parse_manifests, AnyObject, Deployment, Kind, LabelSelector, Pod, StringMap};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// A pod as a ReplicaSet creates it and the kubelet reports it: two containers,
/// labels, an owner reference, and a status with conditions and container statuses.
const POD: &str = r#"{
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "web-7d4b9c8f6d-x2x7q", "generateName": "web-7d4b9c8f6d-", "namespace": "shop",
    "uid": "5e0c7a4e-1b0f-4b8c-9f3e-2d7a9c1e6b42", "resourceVersion": "48213", "generation": 1,
    "creationTimestamp": "2024-05-01T10:00:00Z",
    "labels": {"app": "web", "tier": "frontend", "track": "stable", "pod-template-hash": "7d4b9c8f6d"},
    "annotations": {"kubernetes.io/psp": "restricted"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6d",
      "uid": "0f5b8d2a-6c1e-4e7b-a9d3-8c2f1b7e4a90", "controller": true, "blockOwnerDeletion": true}]
  },
  "spec": {
    "containers": [
      {"name": "web", "image": "nginx:1.25.3", "ports": [{"containerPort": 80, "protocol": "TCP"}],
       "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
       "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 5}},
      {"name": "log-shipper", "image": "fluent/fluent-bit:2.2", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
       "volumeMounts": [{"name": "logs", "mountPath": "/var/log/nginx"}]}
    ],
    "volumes": [{"name": "logs", "emptyDir": {}}],
    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
    "nodeName": "node-0042", "dnsPolicy": "ClusterFirst",
    "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
  },
  "status": {
    "phase": "Running", "hostIP": "10.0.0.42", "podIP": "10.244.3.17", "startTime": "2024-05-01T10:00:01Z",
    "conditions": [
      {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-05-01T10:00:01Z"},
      {"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:09Z"},
      {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2024-05-01T10:00:09Z"},
      {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-05-01T10:00:00Z"}
    ],
    "containerStatuses": [
      {"name": "web", "ready": true, "restartCount": 0, "image": "nginx:1.25.3", "started": true,
       "state": {"running": {"startedAt": "2024-05-01T10:00:04Z"}}},
      {"name": "log-shipper", "ready": true, "restartCount": 1, "image": "fluent/fluent-bit:2.2", "started": true,
       "state": {"running": {"startedAt": "2024-05-01T10:00:06Z"}}}
    ]
  }
}"#;

fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: shop
  labels:
    app: web-{i}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web-{i}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 1
  template:
    metadata:
      labels:
        app: web-{i}
        tier: frontend
    spec:
      containers:
      - name: web
        image: nginx:1.25.{i}
        ports:
        - containerPort: 80
        resources:
          requests:
            cpu: 250m
            memory: 256Mi
      - name: log-shipper
        image: fluent/fluent-bit:2.2
        resources:
          requests:
            cpu: 50m
"
    )
}

fn pod() -> Pod {
    let pod: Pod = serde_json::from_str(POD).expect("the bench pod parses");
    assert_eq!((pod.spec.containers.len(), pod.status.conditions.len()), (2, 4));
    pod
}

fn pod_clone(c: &mut Criterion) {
    let pod = pod();
    let shared = Arc::new(pod.clone());
    assert_eq!(pod.clone(), pod);
    let mut g = c.benchmark_group("pod_clone");
    g.bench_function("deep", |b| b.iter(|| black_box(&pod).clone()));
    g.bench_function("arc", |b| b.iter(|| Arc::clone(black_box(&shared))));
    g.finish();
}

fn template_hash(c: &mut Criterion) {
    let d: Deployment = parse_manifests("bench.yaml", &deployment(7)).unwrap().remove(0).object.downcast().unwrap();
    let template = d.spec.template;
    let hash = compute_hash(&template, None);
    assert_eq!(hash, compute_hash(&template.clone(), None));
    assert_ne!(hash, compute_hash(&template, Some(1)));
    let mut g = c.benchmark_group("template_hash");
    g.bench_function("deployment_template", |b| b.iter(|| compute_hash(black_box(&template), None)));
    g.finish();
}

fn selector_match(c: &mut Criterion) {
    let labels =
        |pairs: &[(&str, &str)]| -> StringMap { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let mut selector = LabelSelector::from_labels(labels(&[("app", "web"), ("tier", "frontend"), ("team", "shop")]));
    selector.match_expressions.push(LabelSelectorRequirement::new(
        "track",
        LabelSelectorOperator::In,
        &["stable", "canary"],
    ));
    let compiled = selector.to_selector().expect("the bench selector is valid");
    let hit = labels(&[
        ("app", "web"),
        ("tier", "frontend"),
        ("team", "shop"),
        ("track", "stable"),
        ("pod-template-hash", "7d4b9c8f6d"),
        ("version", "1.25.3"),
    ]);
    // Fails only on the last requirement checked, the expression: the most work a miss can cost.
    let mut miss = hit.clone();
    miss.insert("track".into(), "experimental".into());
    assert!(selector.matches(&hit) && compiled.matches(&hit));
    assert!(!selector.matches(&miss) && !compiled.matches(&miss));

    let mut g = c.benchmark_group("selector_match");
    g.bench_function("label_selector/hit", |b| b.iter(|| black_box(&selector).matches(black_box(&hit))));
    g.bench_function("label_selector/miss", |b| b.iter(|| black_box(&selector).matches(black_box(&miss))));
    g.bench_function("compiled/hit", |b| b.iter(|| black_box(&compiled).matches(black_box(&hit))));
    g.bench_function("compiled/miss", |b| b.iter(|| black_box(&compiled).matches(black_box(&miss))));
    g.bench_function("compile", |b| b.iter(|| black_box(&selector).to_selector()));
    g.finish();
}

fn manifest_parse(c: &mut Criterion) {
    const N: usize = 100;
    let yaml: String = (0..N).map(|i| format!("---\n{}", deployment(i))).collect();
    let objects: Vec<AnyObject> = parse_manifests("bench.yaml", &yaml).unwrap().into_iter().map(|m| m.object).collect();
    assert_eq!(objects.len(), N);
    assert!(objects.iter().all(|o| o.kind() == Kind::Deployment));
    let json = to_json_list(&objects);
    let reparsed: Vec<AnyObject> =
        parse_manifests("bench.json", &json).unwrap().into_iter().map(|m| m.object).collect();
    assert_eq!(reparsed, objects);
    assert_eq!(parse_manifests("again.yaml", &to_yaml(&objects)).unwrap().len(), N);

    let mut g = c.benchmark_group("manifest_parse");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("yaml_100_deployments", |b| b.iter(|| parse_manifests("bench.yaml", black_box(&yaml))));
    g.bench_function("json_list_100_deployments", |b| b.iter(|| parse_manifests("bench.json", black_box(&json))));
    g.finish();
}

criterion_group!(benches, pod_clone, template_hash, selector_match, manifest_parse);
criterion_main!(benches);
