//! Manifests: the workloads of the seed tutorials (copied into `tests/data/seeds/`)
//! parse, validate after defaulting and round-trip through JSON and YAML; every
//! class of manifest error names the file, the document, the line and the field.

use std::path::{Path, PathBuf};

use kwarp::api::any::ObjectError;
use kwarp::api::manifest::{to_json_list, to_yaml};
use kwarp::api::{
    load_manifests, parse_manifests, AnyObject, DaemonSet, Deployment, Kind, Manifest, ManifestError, StatefulSet,
};

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seeds")
}

fn load(relative: &str) -> Vec<Manifest> {
    let path = seeds_dir().join(relative);
    load_manifests(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// One object a seed file holds: its kind, its name and the line it starts on.
type Expected = (Kind, &'static str, usize);

/// Every seed manifest file, with the objects it holds.
const SEEDS: &[(&str, &[Expected])] = &[
    ("nginx-deployment.yaml", &[(Kind::Deployment, "nginx-deployment", 2)]),
    ("web-statefulset-kuboard.yaml", &[(Kind::Service, "nginx", 2), (Kind::StatefulSet, "web", 16)]),
    ("fluentd-elasticsearch-kuboard.yaml", &[(Kind::DaemonSet, "fluentd-elasticsearch", 2)]),
    ("fluentd-elasticsearch-lagou.yaml", &[(Kind::DaemonSet, "fluentd-elasticsearch", 6)]),
    ("fluentd-elasticsearch-lagou-rolling-update.yaml", &[(Kind::DaemonSet, "fluentd-elasticsearch", 4)]),
    ("fluentd-elasticsearch.yaml", &[(Kind::DaemonSet, "fluentd-elasticsearch", 4)]),
    ("nginx-ds.yaml", &[(Kind::DaemonSet, "nginx-ds", 2)]),
    ("statefulset-demo.yaml", &[(Kind::Service, "nginx", 2), (Kind::StatefulSet, "web", 16)]),
    ("nginx-set.yaml", &[(Kind::ReplicaSet, "nginx-set", 2)]),
    ("nginx-svc.yaml", &[(Kind::Service, "nginx", 2)]),
    ("web-statefulset.yaml", &[(Kind::StatefulSet, "web", 2)]),
    ("web-statefulset-pvc.yaml", &[(Kind::StatefulSet, "web", 2)]),
    ("pv-claim.yaml", &[(Kind::PersistentVolumeClaim, "pv-claim", 2)]),
    ("pv-pod.yaml", &[(Kind::Pod, "pv-pod", 2)]),
    ("pi-job.yaml", &[(Kind::Job, "pi", 2)]),
    ("hello-cronjob.yaml", &[(Kind::CronJob, "hello", 2)]),
    ("lifecycle-demo.yaml", &[(Kind::Pod, "lifecycle-demo", 2)]),
    ("test-projected-volume.yaml", &[(Kind::Pod, "test-projected-volume", 2)]),
    ("test-downwardapi-volume.yaml", &[(Kind::Pod, "test-downwardapi-volume", 2)]),
    ("website.yaml", &[(Kind::Pod, "website", 2)]),
    ("website-with-preset.yaml", &[(Kind::Pod, "website", 2)]),
];

/// Seeds that parse but are not complete objects (no containers): round trip only.
const FRAGMENTS: &[&str] = &["fragments/with-node-affinity.yaml", "fragments/with-toleration.yaml"];

fn yaml_files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_seed_file_is_covered() {
    let mut listed: Vec<String> = SEEDS.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(yaml_files_in(&seeds_dir()), listed, "a seed file without a row in SEEDS");
    let mut fragments: Vec<String> = FRAGMENTS.iter().map(|f| f.trim_start_matches("fragments/").to_owned()).collect();
    fragments.sort();
    assert_eq!(yaml_files_in(&seeds_dir().join("fragments")), fragments);
}

#[test]
fn seed_manifests_parse_into_the_expected_objects() {
    for (file, expected) in SEEDS {
        let got: Vec<(Kind, String, usize)> =
            load(file).into_iter().map(|m| (m.object.kind(), m.object.meta().name.clone(), m.line)).collect();
        let expected: Vec<(Kind, String, usize)> = expected.iter().map(|(k, n, l)| (*k, n.to_string(), *l)).collect();
        assert_eq!(got, expected, "{file}");
    }
}

/// What the store does on create: assign a uid (Jobs generate their selector from it), then default.
fn as_created(mut obj: AnyObject) -> AnyObject {
    obj.meta_mut().uid = "0b5e-seed-uid".to_owned();
    obj.apply_defaults();
    obj
}

#[test]
fn seed_manifests_validate_after_defaulting() {
    for (file, _) in SEEDS {
        for m in load(file) {
            let obj = as_created(m.object);
            if let Err(e) = obj.validate(None) {
                panic!("{file}: {e}");
            }
        }
    }
}

/// parse → JSON → parse gives an equal object whose JSON is the same; the same through YAML.
fn check_round_trip(context: &str, obj: &AnyObject) {
    let json = obj.to_json();
    let again = single(&format!("{context} as JSON"), &json);
    assert_eq!(&again, obj, "{context}: JSON round trip");
    assert_eq!(again.to_json(), json, "{context}: JSON of the re-parsed object");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(AnyObject::from_json_value(value).as_ref(), Ok(obj), "{context}: from_json_value");
    let yaml = obj.to_yaml();
    let again = single(&format!("{context} as YAML"), &yaml);
    assert_eq!(&again, obj, "{context}: YAML round trip\n{yaml}");
    assert_eq!(again.to_json(), json, "{context}: JSON after the YAML round trip");
}

fn single(name: &str, text: &str) -> AnyObject {
    let mut all = parse_manifests(name, text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(all.len(), 1, "{name}");
    all.pop().unwrap().object
}

#[test]
fn seed_manifests_round_trip_as_written_and_as_defaulted() {
    let fragments = FRAGMENTS.iter().map(|f| (*f, &[][..]));
    for (file, _) in SEEDS.iter().copied().chain(fragments) {
        for m in load(file) {
            check_round_trip(file, &m.object);
            check_round_trip(&format!("{file} (defaulted)"), &as_created(m.object));
        }
    }
}

#[test]
fn a_whole_seed_set_round_trips_as_one_yaml_stream_and_one_json_list() {
    let objects: Vec<AnyObject> = SEEDS.iter().flat_map(|(file, _)| load(file)).map(|m| as_created(m.object)).collect();
    let objs = |text: &str| -> Vec<AnyObject> {
        parse_manifests("all", text).unwrap().into_iter().map(|m| m.object).collect()
    };
    assert_eq!(objs(&to_yaml(&objects)), objects);
    assert_eq!(objs(&to_json_list(&objects)), objects);
}

#[test]
fn seed_manifests_keep_what_the_tutorials_wrote() {
    let ds: DaemonSet = load("fluentd-elasticsearch.yaml").remove(0).object.downcast().unwrap();
    let c = &ds.spec.template.spec.containers[0];
    assert_eq!(c.image, "k8s.gcr.io/fluentd-elasticsearch:1.20");
    assert_eq!(c.resources.requests["memory"].as_str(), "200Mi");
    assert_eq!(c.resources.limits["memory"].value(), 200 << 20);
    assert!(c.extra.contains_key("volumeMounts"), "untyped container fields are kept verbatim");
    assert_eq!(ds.spec.template.spec.tolerations[0].key, "node-role.kubernetes.io/master");
    assert_eq!(ds.spec.template.spec.termination_grace_period_seconds, Some(30));

    let ss: StatefulSet = load("web-statefulset-kuboard.yaml").remove(1).object.downcast().unwrap();
    assert_eq!(ss.spec.service_name, "nginx");
    assert_eq!(ss.spec.volume_claim_templates[0].spec.storage_class_name.as_deref(), Some("my-storage-class"));
    let svc = load("web-statefulset-kuboard.yaml").remove(0).object;
    assert!(svc.downcast_ref::<kwarp::api::Service>().unwrap().spec.is_headless());
}

#[test]
fn old_api_spellings_read_as_the_current_version_with_the_old_defaults() {
    // apps/v1beta1 StatefulSet without a selector: selector and labels from the template, OnDelete.
    let ss: StatefulSet = load("statefulset-demo.yaml").remove(1).object.downcast().unwrap();
    let labels = ss.spec.template.metadata.labels.clone();
    assert_eq!(ss.spec.selector.as_ref().unwrap().match_labels, labels);
    assert_eq!(ss.metadata.labels, labels);
    assert_eq!(ss.spec.update_strategy.as_ref().unwrap().type_, "OnDelete");
    // extensions/v1beta1 DaemonSet without a selector.
    let ds: DaemonSet = load("nginx-ds.yaml").remove(0).object.downcast().unwrap();
    assert_eq!(ds.spec.selector.as_ref().unwrap().match_labels["k8s-app"], "nginx");
    assert_eq!(ds.spec.update_strategy.as_ref().unwrap().type_, "OnDelete");
    // Written out in the current version.
    let cj = load("hello-cronjob.yaml").remove(0).object;
    assert_eq!(cj.to_json_value()["apiVersion"], "batch/v1");
    assert_eq!(ds.spec.selector.is_some(), AnyObject::from(ds.clone()).to_yaml().contains("selector:"));
    // An extensions/v1beta1 Deployment: RollingUpdate 1/1, history and deadline "unset" (MaxInt32).
    let text = std::fs::read_to_string(seeds_dir().join("nginx-deployment.yaml")).unwrap();
    let old = text.replace("apiVersion: apps/v1", "apiVersion: extensions/v1beta1");
    let d: Deployment = single("old.yaml", &old).downcast().unwrap();
    let ru = d.spec.strategy.as_ref().unwrap().rolling_update.as_ref().unwrap();
    assert_eq!(
        (ru.max_surge.as_ref().unwrap().to_string(), ru.max_unavailable.as_ref().unwrap().to_string()),
        ("1".into(), "1".into())
    );
    assert_eq!(d.spec.revision_history_limit, Some(i32::MAX));
    let defaulted = as_created(d.into());
    assert_eq!(defaulted.downcast_ref::<Deployment>().unwrap().spec.progress_deadline_seconds, Some(i32::MAX));
    assert!(defaulted.validate(None).is_ok());
}

// ------------------------------------------------------------------ errors

/// Parses `text` as `bad.yaml` (or `bad.json` when it starts with `{`) and checks the whole message.
fn check_error(text: &str, expected: &str) -> ManifestError {
    let name = if text.starts_with('{') { "bad.json" } else { "bad.yaml" };
    let err = parse_manifests(name, text).expect_err("the manifest must be rejected");
    assert_eq!(err.to_string(), expected);
    err
}

const GOOD_POD: &str =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n  - name: c\n    image: nginx\n";

#[test]
fn unknown_kind_names_the_kinds_kwarp_reads() {
    let text = format!("{GOOD_POD}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n");
    check_error(
        &text,
        "bad.yaml:11:1 (2nd document): unknown kind \"Secret\" (apiVersion \"v1\"); kwarp reads Node, Pod, Service, \
         PersistentVolumeClaim, ReplicaSet, Deployment, StatefulSet, DaemonSet, ControllerRevision, Job, CronJob",
    );
    let path = seeds_dir().join("unsupported/pod-preset.yaml");
    let err = load_manifests(&path).unwrap_err();
    assert!(err.to_string().starts_with(&format!("{}:3:1 (1st document): unknown kind \"PodPreset\"", path.display())));
    let err = load_manifests(seeds_dir().join("unsupported/pv001.yaml")).unwrap_err();
    assert!(matches!(err, ManifestError::Object { error: ObjectError::UnknownKind { .. }, .. }), "{err}");
}

#[test]
fn unsupported_api_version_lists_the_accepted_ones() {
    let text = format!("{GOOD_POD}---\n# comment\nkind: Deployment\napiVersion: v1\nmetadata:\n  name: d\n");
    check_error(
        &text,
        "bad.yaml:12:1 (2nd document): apiVersion \"v1\" is not served for kind Deployment; \
         accepted: apps/v1, apps/v1beta2, apps/v1beta1, extensions/v1beta1",
    );
    check_error(
        "apiVersion: batch/v1beta1\nkind: Job\n",
        "bad.yaml:1:1 (1st document): apiVersion \"batch/v1beta1\" is not served for kind Job; accepted: batch/v1",
    );
}

#[test]
fn missing_api_version_or_kind_points_at_the_document() {
    check_error(
        "---\n# a pod\nkind: Pod\nmetadata:\n  name: p\n",
        "bad.yaml:3:1 (1st document): missing `apiVersion`: every object names its apiVersion and kind",
    );
    check_error(
        &format!("{GOOD_POD}---\n---\napiVersion: v1\nmetadata:\n  name: p\n"),
        "bad.yaml:11:1 (3rd document): missing `kind`: every object names its apiVersion and kind",
    );
    check_error(
        "- a\n- b\n",
        "bad.yaml:1:1 (1st document): expected an object (a mapping with apiVersion and kind), found a sequence",
    );
}

#[test]
fn type_errors_name_the_field_path_and_its_line() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n";
    let err =
        check_error(text, "bad.yaml:6:3 (1st document): spec.replicas: invalid type: string \"three\", expected i32");
    let at = err.location().unwrap();
    assert_eq!((at.document, at.line, at.column, at.item), (1, 6, 3, None));
    // Deep in the pod template, through the verbatim-field maps, in a later document.
    let text = format!(
        "{GOOD_POD}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      \
         containers:\n      - name: a\n        image: x\n        ports:\n        - containerPort: 80\n        resources:\n          \
         requests:\n            cpu: lots\n"
    );
    check_error(
        &text,
        "bad.yaml:24:13 (2nd document): spec.template.spec.containers[0].resources.requests.cpu: \
         invalid quantity \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
}

#[test]
fn unknown_fields_name_the_field_its_line_and_the_expected_fields() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replica: 3\n";
    let err = check_error(
        text,
        "bad.yaml:6:3 (1st document): spec: unknown field `replica`, expected one of `replicas`, `selector`, \
         `template`, `strategy`, `minReadySeconds`, `revisionHistoryLimit`, `paused`, `progressDeadlineSeconds`, `rollbackTo`",
    );
    match err {
        ManifestError::Object { error: ObjectError::UnknownField { path, .. }, .. } => {
            assert_eq!((path.to_string(), path.last_key()), ("spec.replica".to_owned(), "replica"));
        }
        other => panic!("{other:?}"),
    }
    check_error(
        "apiVersion: v1\nkind: Node\nmetdata:\n  name: n\n",
        "bad.yaml:3:1 (1st document): unknown field `metdata`, expected one of `apiVersion`, `kind`, `metadata`, `spec`, `status`",
    );
    check_error(
        "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  updateStrategy:\n    rollingUpdate:\n      partion: 2\n",
        "bad.yaml:6:7 (1st document): spec.updateStrategy.rollingUpdate: unknown field `partion`, expected `partition` or `maxUnavailable`",
    );
}

#[test]
fn rollback_to_is_converted_from_old_versions_and_rejected_in_apps_v1() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  rollbackTo:\n    revision: 2\n";
    check_error(
        text,
        "bad.yaml:6:3 (1st document): spec.rollbackTo: unknown field in apps/v1 \
         (only extensions/v1beta1 and apps/v1beta1 had it; use `kubectl rollout undo`)",
    );
    let old = single("old.yaml", &text.replace("apps/v1", "extensions/v1beta1"));
    assert_eq!(old.meta().annotations["deprecated.deployment.rollback.to"], "2");
}

#[test]
fn yaml_syntax_errors_carry_the_parser_position() {
    let text = format!("{GOOD_POD}---\napiVersion: v1\nkind: Pod\n  metadata: {{}}\n");
    check_error(&text, "bad.yaml:12:11 (2nd document): invalid YAML: mapping values are not allowed in this context");
    check_error(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [a, b\n",
        "bad.yaml:5:1 (1st document): invalid YAML: did not find expected ',' or ']', while parsing a flow sequence at line 4 column 15",
    );
}

#[test]
fn json_manifests_report_positions_too() {
    check_error(
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"spec\": {\"nodeName\": 7}\n}",
        "bad.json:4:12 (1st document): spec.nodeName: invalid type: integer `7`, expected a string",
    );
    check_error(
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\"\n  \"spec\": {}\n}",
        "bad.json:4:3 (1st document): invalid JSON: expected `,` or `}`",
    );
    let two = "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"a\"}}\n{\"apiVersion\": \"v1\", \"kind\": \"Nod\"}\n";
    check_error(two, "bad.json:2:22 (2nd document): unknown kind \"Nod\" (apiVersion \"v1\"); kwarp reads Node, Pod, Service, PersistentVolumeClaim, ReplicaSet, Deployment, StatefulSet, DaemonSet, ControllerRevision, Job, CronJob");
}

#[test]
fn errors_in_list_items_name_the_item() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Node\n  spec:\n    taints: 3\n";
    check_error(
        text,
        "bad.yaml:10:5 (1st document, items[1]): spec.taints: invalid type: integer `3`, expected a sequence",
    );
}

#[test]
fn empty_documents_are_skipped_but_counted() {
    assert!(parse_manifests("e.yaml", "").unwrap().is_empty());
    assert!(parse_manifests("e.yaml", "# nothing here\n---\n---\n# still nothing\n").unwrap().is_empty());
    let text = format!("---\n# first is empty\n---\n{GOOD_POD}");
    let got = parse_manifests("e.yaml", &text).unwrap();
    assert_eq!((got.len(), got[0].document, got[0].line), (1, 2, 4));
}
