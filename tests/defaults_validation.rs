//! API defaulting and validation of every kind, table-driven: each case is a YAML
//! merge patch over a valid base manifest and the exact error lines Kubernetes prints,
//! run through one helper ([`run`], wrapped as `check` / `check_update` / `check_status`).
//!
//! This file holds the helper and the base manifests; the cases live in
//! `defaults_validation/{defaults,core,apps,batch}.rs`.

use kwarp::api::{
    ControllerRevision, CronJob, DaemonSet, Deployment, Invalid, Job, Node, PersistentVolumeClaim, Pod, ReplicaSet,
    Resource, Service, StatefulSet,
};
use serde_json::Value;

// ------------------------------------------------------------------ the helper

/// RFC 7386 merge patch: objects merge, `null` deletes, anything else replaces.
fn merge(base: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *base = patch.clone();
        return;
    };
    if !base.is_object() {
        *base = Value::Object(Default::default());
    }
    let b = base.as_object_mut().expect("made an object above");
    for (k, v) in p {
        if v.is_null() {
            b.remove(k);
        } else {
            merge(b.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// `base` with the YAML merge `patch` applied, parsed as a `T` (no defaults yet).
fn parse<T: Resource>(base: &str, patch: &str) -> T {
    let mut doc: Value = serde_norway::from_str(base).expect("base manifest is YAML");
    if !patch.trim().is_empty() {
        let p: Value = serde_norway::from_str(patch).expect("patch is YAML");
        merge(&mut doc, &p);
    }
    serde_json::from_value(doc).unwrap_or_else(|e| panic!("{}: {e}\npatch: {patch}", T::KIND))
}

/// Parsed and defaulted, as the store would hand it to validation.
fn defaulted<T: Resource>(base: &str, patch: &str) -> T {
    let mut o: T = parse(base, patch);
    o.apply_defaults();
    o
}

/// The rendered violations of a validation result (empty when valid).
fn lines(r: Result<(), Invalid>) -> Vec<String> {
    r.err().map(|e| e.errors.iter().map(ToString::to_string).collect()).unwrap_or_default()
}

/// What is validated: a create, an update from an old manifest, or a status write.
enum Op<'a> {
    Create,
    Update { old: &'a str },
    Status { old: &'a str },
}

/// THE helper: parse `base` + `patch`, default, validate as `op` says, and compare
/// every rendered error line with `expect` (in order).
fn run<T: Resource>(base: &str, op: Op<'_>, patch: &str, expect: &[&str]) {
    let new: T = defaulted(base, patch);
    let got = match op {
        Op::Create => lines(new.validate(None)),
        Op::Update { old } => lines(new.validate(Some(&defaulted::<T>(base, old)))),
        Op::Status { old } => lines(new.validate_status(&defaulted::<T>(base, old))),
    };
    assert_eq!(got, expect, "{} with patch:\n{patch}", T::KIND);
}

fn check<T: Resource>(base: &str, patch: &str, expect: &[&str]) {
    run::<T>(base, Op::Create, patch, expect);
}

fn check_update<T: Resource>(base: &str, old: &str, new: &str, expect: &[&str]) {
    run::<T>(base, Op::Update { old }, new, expect);
}

fn check_status<T: Resource>(base: &str, old: &str, new: &str, expect: &[&str]) {
    run::<T>(base, Op::Status { old }, new, expect);
}

/// The full `Kind "name" is invalid: ...` message of a create.
fn message<T: Resource>(base: &str, patch: &str) -> String {
    defaulted::<T>(base, patch).validate(None).expect_err("invalid").to_string()
}
/// The defaulted object as Kubernetes JSON.
fn json_of<T: Resource>(base: &str, patch: &str) -> Value {
    serde_json::to_value(defaulted::<T>(base, patch)).expect("serializes")
}

fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or(&Value::Null)
}

/// Asserts `pointer → value` pairs (`null` = absent) of a defaulted object.
fn expect_defaults<T: Resource>(base: &str, patch: &str, expect: &[(&str, Value)]) {
    let v = json_of::<T>(base, patch);
    for (pointer, want) in expect {
        assert_eq!(at(&v, pointer), want, "{} {pointer} with patch {patch:?}", T::KIND);
    }
}

// ------------------------------------------------------------------ base manifests

const DEPLOYMENT: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: 'nginx:1.25'}]
";

const REPLICA_SET: &str = "
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: frontend, namespace: default}
spec:
  selector: {matchLabels: {tier: frontend}}
  template:
    metadata: {labels: {tier: frontend}}
    spec:
      containers: [{name: php-redis, image: 'gcr.io/google_samples/gb-frontend:v3'}]
";

const STATEFUL_SET: &str = "
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: 'registry.k8s.io/nginx-slim:0.8'}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
";

const DAEMON_SET: &str = "
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: fluentd-elasticsearch, namespace: kube-system}
spec:
  selector: {matchLabels: {name: fluentd-elasticsearch}}
  template:
    metadata: {labels: {name: fluentd-elasticsearch}}
    spec:
      containers: [{name: fluentd-elasticsearch, image: 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2'}]
";

const JOB: &str = "
apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: default, uid: 0f3c5a2e-1}
spec:
  template:
    spec:
      containers: [{name: pi, image: 'perl:5.34.0'}]
      restartPolicy: Never
";

const CRON_JOB: &str = "
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello, namespace: default}
spec:
  schedule: '* * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: hello, image: 'busybox:1.28'}]
          restartPolicy: OnFailure
";

const POD: &str = "
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: default, uid: u1}
spec:
  containers: [{name: nginx, image: 'nginx:1.25'}]
";

const SERVICE: &str = "
apiVersion: v1
kind: Service
metadata: {name: nginx, namespace: default}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80, name: web}]
";

const PVC: &str = "
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: www-web-0, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
";

const NODE: &str = "
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {kubernetes.io/hostname: node-1}}
spec:
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
";

const CONTROLLER_REVISION: &str = "
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: web-7b9f6c8d5, namespace: default}
data: {spec: {template: {metadata: {labels: {app: nginx}}}}}
revision: 1
";

const NEG: &str = "must be greater than or equal to 0";
const DNS_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

fn intstr_int(n: i32) -> String {
    format!("intstr.IntOrString{{Type:0, IntVal:{n}, StrVal:\"\"}}")
}
fn intstr_str(s: &str) -> String {
    format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:\"{s}\"}}")
}

#[path = "defaults_validation/apps.rs"]
mod apps;
#[path = "defaults_validation/batch.rs"]
mod batch;
#[path = "defaults_validation/core.rs"]
mod core_kinds;
#[path = "defaults_validation/defaults.rs"]
mod defaults;
