//! Scenario parsing and validation: the built-in files load, and every kind of mistake is reported
//! with the file, the line and the key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kwarp::sim::Dist;
use kwarp_loadgen::scenario::{
    parse_scenario, ClockKind, Comparison, Condition, KillMode, LoadedScenario, Metric, ScenarioError, Step, WaitFor,
};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn parse(text: &str, set: &[&str]) -> Result<LoadedScenario, ScenarioError> {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    parse_scenario("test.yaml", text, &scenarios_dir(), &set)
}

/// The one message for `text` (which must fail).
fn problem(text: &str, set: &[&str]) -> String {
    match parse(text, set) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts `text` fails with a message that starts with `at` (file:line:column: key) and contains `says`.
fn check(text: &str, at: &str, says: &str) {
    let msg = problem(text, &[]);
    assert!(msg.starts_with(at), "expected the message to start with {at:?}:\n{msg}");
    assert!(msg.contains(says), "expected the message to contain {says:?}:\n{msg}");
}

const BASE: &str = "name: t\nsteps:\n";

#[test]
fn every_built_in_scenario_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let loaded = kwarp_loadgen::load_scenario(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert!(!loaded.scenario.description.is_empty(), "{} has no description", path.display());
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn quickstart_reads_as_written() {
    let l = kwarp_loadgen::load_scenario(scenarios_dir().join("quickstart.yaml"), &[]).unwrap();
    let s = &l.scenario;
    assert_eq!(s.name, "quickstart");
    assert_eq!(s.seed, 42);
    assert_eq!(s.clock, ClockKind::Virtual);
    assert_eq!(s.cluster.nodes.count.get(), 100);
    assert_eq!(s.kubelet.startup, Dist::Lognormal { p50: Duration::from_secs(1), p99: Duration::from_secs(5) });
    assert_eq!(s.controllers.replicaset.unwrap().workers.get(), 5);
    let Step::Measure(create) = &s.steps[0] else { panic!("{:?}", s.steps[0]) };
    let Step::Create(c) = &create.steps[0] else { panic!() };
    assert_eq!(c.count.unwrap().get(), 10);
    assert_eq!(c.objects.len(), 1);
    let Step::Wait(w) = &create.steps[1] else { panic!() };
    assert_eq!(w.until, WaitFor::Condition(Condition::Converged));
    assert_eq!(w.timeout, Duration::from_secs(600));
    let Step::Measure(kill) = &s.steps[3] else { panic!() };
    let Step::KillPods(k) = &kill.steps[0] else { panic!() };
    assert_eq!((k.count.get(), k.mode), (50, KillMode::Fail));
}

#[test]
fn steps_of_every_kind_parse() {
    let l = parse(
        "name: all\ncluster:\n  nodeTemplates:\n    big: {namePrefix: big-, capacity: {cpu: 96}}\nsteps:\n\
         - create: {object: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}}\n\
         - update: {target: {kind: Pod, name: p}, set: {metadata.labels.a: b}}\n\
         - patch: {target: {kind: Pod, selector: {a: b}}, set: {\"metadata.labels[x.io/y]\": z}}\n\
         - scale: {target: {kind: ReplicaSet, namePrefix: web-}, replicas: 0}\n\
         - delete: {target: {kind: Pod, namespace: default}, count: 2, gracePeriod: 0s}\n\
         - addNodes: {count: 3, template: big, rate: 2.5}\n\
         - removeNodes: {count: 1, namePrefix: big-}\n\
         - killPods: {count: 1, mode: restart}\n\
         - wait: readyPods >= 3\n\
         - wait: {duration: 5s}\n\
         - wait: {for: nodesReady, timeout: 30s}\n\
         - sleep: 1m\n\
         - measure: {name: m, steps: [{sleep: 1s}]}\n",
        &[],
    )
    .unwrap();
    let kinds: Vec<&str> = l.scenario.steps.iter().map(Step::keyword).collect();
    assert_eq!(
        kinds,
        [
            "create",
            "update",
            "patch",
            "scale",
            "delete",
            "addNodes",
            "removeNodes",
            "killPods",
            "wait",
            "wait",
            "wait",
            "sleep",
            "measure"
        ]
    );
    let Step::Wait(w) = &l.scenario.steps[8] else { panic!() };
    assert_eq!(w.until, WaitFor::Condition(Condition::Compare(Metric::ReadyPods, Comparison::Ge, 3)));
    let Step::Wait(w) = &l.scenario.steps[10] else { panic!() };
    assert_eq!(w.timeout, Duration::from_secs(30));
}

// ------------------------------------------------------------------ errors: file, line, key

#[test]
fn unknown_keys_are_named_with_their_line() {
    check("name: t\nseeed: 3\n", "test.yaml:2:1: seeed: ", "unknown field `seeed`, expected one of `name`");
    check(
        "name: t\ncluster:\n  nodes:\n    count: 3\n    cpacity: {cpu: 1}\n",
        "test.yaml:5:5: cluster.nodes.cpacity: ",
        "unknown field `cpacity`",
    );
    check(
        &format!("{BASE}  - sleep: 1s\n  - scale: {{target: {{kind: ReplicaSet}}, replica: 3}}\n"),
        "test.yaml:4:",
        "steps[1].scale.replica: unknown field `replica`",
    );
    check(&format!("{BASE}  - scael: {{}}\n"), "test.yaml:3:", "unknown variant `scael`");
}

#[test]
fn wrong_types_are_named_with_their_line() {
    check("name: t\nseed: many\n", "test.yaml:2:1: seed: ", "invalid type: string \"many\"");
    check(
        &format!("{BASE}  - addNodes:\n      count: lots\n"),
        "test.yaml:4:7: steps[0].addNodes.count: ",
        "expected a count",
    );
    check(
        "name: t\nkubelet:\n  startup: {lognormal: {p50: 1s}}\n",
        "test.yaml:3:13: kubelet.startup.lognormal: ",
        "missing field `p99`",
    );
    check("name: t\nclock: sundial\n", "test.yaml:2:1: clock: ", "unknown variant `sundial`");
}

#[test]
fn impossible_values_are_named_with_their_line() {
    check(
        "name: t\ncluster:\n  nodes: {count: -5}\n",
        "test.yaml:3:",
        "cluster.nodes.count: must not be negative, got -5",
    );
    check(&format!("{BASE}  - sleep: -1s\n"), "test.yaml:3:", "must not be negative");
    check(
        "name: t\nkubelet:\n  startup: {lognormal: {p50: 5s, p99: 1s}}\n",
        "test.yaml:3:",
        "p99 (1s) must be at least p50 (5s)",
    );
    check(
        &format!("{BASE}  - addNodes: {{count: 0}}\n"),
        "test.yaml:3:",
        "steps[0].addNodes.count: must be at least 1",
    );
    check(&format!("{BASE}  - wait: convergd\n"), "test.yaml:3:", "unknown condition `convergd`");
    check(
        &format!("{BASE}  - wait: {{for: converged, timeout: 0s}}\n"),
        "test.yaml:3:",
        "timeout must be greater than 0",
    );
    check("name: t\nkubelet:\n  failureProbability: 2\n", "test.yaml:3:", "not a probability");
    check(
        "name: t\napi:\n  clients:\n    loadgen: {qps: 0}\n",
        "test.yaml:4:",
        "api.clients.loadgen.qps: must be greater than 0",
    );
    check("name: \"a b\"\n", "test.yaml:1:1: name: ", "letters, digits");
}

#[test]
fn missing_and_bad_targets_are_named() {
    check(&format!("{BASE}  - scale: {{replicas: 3}}\n"), "test.yaml:3:", "missing field `target`");
    check(
        &format!("{BASE}  - scale:\n      target: {{kind: Replicaset}}\n      replicas: 3\n"),
        "test.yaml:4:16: steps[0].scale.target.kind: ",
        "unknown kind \"Replicaset\"",
    );
    check(&format!("{BASE}  - scale: {{target: {{kind: Pod}}, replicas: 3}}\n"), "test.yaml:3:", "Pod has no replicas");
    check(&format!("{BASE}  - addNodes: {{count: 1, template: gpu}}\n"), "test.yaml:3:", "no node template \"gpu\"");
    check(
        &format!("{BASE}  - patch: {{target: {{kind: Pod, name: p}}, set: {{metadata.name: q}}}}\n"),
        "test.yaml:3:",
        "identifies the object",
    );
}

#[test]
fn objects_and_manifests_are_checked_up_front() {
    check(
        &format!(
            "{BASE}  - create:\n      object:\n        apiVersion: apps/v1\n        kind: ReplicaSet\n        metadata: {{name: x}}\n        spec:\n          replicas: three\n"
        ),
        "test.yaml:9:11: steps[0].create.object.spec.replicas: ",
        "invalid type: string \"three\"",
    );
    check(
        &format!("{BASE}  - create:\n      object: {{apiVersion: v1, kind: Pod, metadata: {{name: p}}, spek: {{}}}}\n"),
        "test.yaml:",
        "steps[0].create.object.spek: unknown field `spek`",
    );
    check(
        &format!("{BASE}  - create: {{count: 2, object: {{apiVersion: v1, kind: Pod, spec: {{containers: [{{name: c, image: x}}]}}}}}}\n"),
        "test.yaml:3:",
        "the object needs a name",
    );
    // Kubernetes validation runs too: a selector that does not match the template.
    let rs = "{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: x}, spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: c}}, spec: {containers: [{name: c, image: x}]}}}}";
    check(&format!("{BASE}  - create: {{object: {rs}}}\n"), "test.yaml:3:", "is invalid");
    check(&format!("{BASE}  - create: {{manifest: nope.yaml}}\n"), "test.yaml:3:", "cannot read");
    check(&format!("{BASE}  - create: {{}}\n"), "test.yaml:3:", "missing `object` (inline) or `manifest`");
}

#[test]
fn a_manifest_error_names_both_files() {
    let dir = std::env::temp_dir().join(format!("kwarp-loadgen-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.yaml"),
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: p\nspec:\n  replicas: three\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("invalid.yaml"),
        "# a pod without containers\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("good.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c, image: x}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n  containers: [{name: c, image: x}]\n",
    )
    .unwrap();
    let err = parse_scenario("s.yaml", &format!("{BASE}  - create: {{manifest: bad.yaml}}\n"), &dir, &[]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("s.yaml:3:"), "{msg}");
    assert!(msg.contains("bad.yaml:6:3"), "{msg}");
    assert!(msg.contains("spec.replicas: invalid type: string \"three\""), "{msg}");
    let err =
        parse_scenario("s.yaml", &format!("{BASE}  - create: {{manifest: invalid.yaml}}\n"), &dir, &[]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("invalid.yaml:2: Pod \"p\" is invalid: spec.containers: Required value"), "{msg}");
    let ok =
        parse_scenario("s.yaml", &format!("{BASE}  - create: {{manifest: good.yaml, count: 2}}\n"), &dir, &[]).unwrap();
    let Step::Create(c) = &ok.scenario.steps[0] else { panic!() };
    assert_eq!(c.objects.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_validation_problem_is_listed() {
    let err = parse(&format!("{BASE}  - addNodes: {{count: 0}}\n  - sleep: 0s\n  - killPods: {{count: 0}}\n"), &[])
        .unwrap_err();
    assert_eq!(err.problems().len(), 3, "{err}");
}

#[test]
fn syntax_errors_have_a_position() {
    let msg = problem("name: t\nsteps: [\n", &[]);
    assert!(msg.starts_with("test.yaml:") && msg.contains("invalid YAML"), "{msg}");
    let msg = problem("", &[]);
    assert!(msg.contains("empty"), "{msg}");
    let msg = problem("- a\n- b\n", &[]);
    assert!(msg.contains("expected a map"), "{msg}");
}

// ------------------------------------------------------------------ --set

#[test]
fn overrides_change_values_before_parsing() {
    let text = "name: t\ncluster:\n  nodes: {count: 3}\nsteps:\n  - sleep: 1s\n  - addNodes: {count: 1}\n";
    let l = parse(text, &["cluster.nodes.count=1000", "steps.1.count=50", "seed=9", "kubelet.startup={fixed: 2s}"])
        .unwrap();
    assert_eq!(l.scenario.cluster.nodes.count.get(), 1000);
    assert_eq!(l.scenario.seed, 9);
    assert_eq!(l.scenario.kubelet.startup, Dist::Fixed(Duration::from_secs(2)));
    let Step::AddNodes(a) = &l.scenario.steps[1] else { panic!() };
    assert_eq!(a.count.get(), 50);
    assert_eq!(l.overrides[1].path.to_string(), "steps.1.addNodes.count");
    assert_eq!(l.value["cluster"]["nodes"]["count"], 1000);
}

#[test]
fn override_errors_name_the_override() {
    let text = "name: t\nsteps:\n  - sleep: 1s\n";
    let msg = problem(text, &["steps.4.count=1"]);
    assert_eq!(msg, "--set steps.4.count=1: steps: index 4 is out of range: the list has 1 entries");
    let msg = problem(text, &["cluster.nodes.count"]);
    assert!(msg.starts_with("--set cluster.nodes.count: expected path=value"), "{msg}");
    // A value that does not fit: the key path and the override, no line.
    let msg = problem(text, &["cluster.nodes.count=-1"]);
    assert_eq!(
        msg,
        "test.yaml: cluster.nodes.count (set by --set cluster.nodes.count=-1): must not be negative, got -1"
    );
    let msg = problem(text, &["steps.0.bogus=1"]);
    assert!(msg.starts_with("test.yaml:3:5: steps[0] (set by --set steps.0.bogus=1): "), "{msg}");
}

#[test]
fn rollout_steps_parse() {
    let l = parse(
        &format!(
            "{BASE}  - setImage: {{target: {{kind: Deployment, namePrefix: web-}}, container: app, image: nginx:1.28}}\n\
             \x20 - rollback: {{target: {{kind: StatefulSet, name: db}}, toRevision: 2}}\n\
             \x20 - rollback: {{target: {{kind: Deployment, namePrefix: web-}}, count: 50}}\n\
             \x20 - pause: {{target: {{kind: Deployment, name: web-0}}}}\n\
             \x20 - resume: {{target: {{kind: Deployment, name: web-0}}}}\n\
             \x20 - wait: {{for: rolloutComplete, timeout: 30m}}\n\
             audit: {{enabled: false}}\n"
        ),
        &[],
    )
    .unwrap();
    let s = &l.scenario;
    assert!(!s.audit.enabled);
    let Step::SetImage(si) = &s.steps[0] else { panic!("{:?}", s.steps[0]) };
    assert_eq!(
        (si.container.as_str(), si.image.as_str(), si.target.name_prefix.as_deref()),
        ("app", "nginx:1.28", Some("web-"))
    );
    let Step::Rollback(r) = &s.steps[1] else { panic!() };
    assert_eq!((r.target.kind.as_str(), r.to_revision.map(|n| n.get()), r.count), ("StatefulSet", Some(2), None));
    let Step::Rollback(r) = &s.steps[2] else { panic!() };
    assert_eq!((r.to_revision, r.count.map(|n| n.get())), (None, Some(50)));
    assert!(matches!(&s.steps[3], Step::Pause(p) if p.target.name.as_deref() == Some("web-0")));
    assert!(matches!(&s.steps[4], Step::Resume(_)));
    let Step::Wait(w) = &s.steps[5] else { panic!() };
    assert_eq!(
        (w.until.clone(), w.timeout),
        (WaitFor::Condition(Condition::RolloutComplete), Duration::from_secs(1800))
    );
    assert!(parse("name: t\n", &[]).unwrap().scenario.audit.enabled, "the auditor is on by default");
}

#[test]
fn rollout_step_mistakes_are_named_with_their_line() {
    check(
        &format!("{BASE}  - setImage:\n      target: {{kind: ReplicaSet, name: web}}\n      container: app\n      image: x\n"),
        "test.yaml:4:16: steps[0].setImage.target.kind: ",
        "ReplicaSet has no rollouts here; this step takes Deployment, StatefulSet, DaemonSet",
    );
    check(
        &format!("{BASE}  - setImage: {{target: {{kind: Deployment}}, container: app}}\n"),
        "test.yaml:3:",
        "missing field `image`",
    );
    check(
        &format!("{BASE}  - setImage:\n      target: {{kind: Deployment}}\n      container: \"\"\n      image: x\n"),
        "test.yaml:5:7: steps[0].setImage.container: ",
        "must not be empty",
    );
    check(
        &format!("{BASE}  - rollback:\n      target: {{kind: Deployment}}\n      toRevision: 0\n"),
        "test.yaml:5:7: steps[0].rollback.toRevision: ",
        "must be at least 1 (leave it out for the previous revision)",
    );
    check(
        &format!("{BASE}  - rollback:\n      target: {{kind: Deployment}}\n      toRevison: 3\n"),
        "test.yaml:5:",
        "unknown field `toRevison`",
    );
    check(
        &format!("{BASE}  - rollback: {{target: {{kind: Deployment}}, toRevision: -1}}\n"),
        "test.yaml:3:",
        "must not be negative",
    );
    check(
        &format!("{BASE}  - pause:\n      target: {{kind: StatefulSet, name: db}}\n"),
        "test.yaml:4:16: steps[0].pause.target.kind: ",
        "this step takes Deployment",
    );
    check(
        &format!("{BASE}  - resume:\n      target: {{kind: Deployment}}\n      count: 0\n"),
        "test.yaml:5:7: steps[0].resume.count: ",
        "must be at least 1",
    );
    check(&format!("{BASE}  - wait: rolloutCompleted\n"), "test.yaml:3:", "rolloutComplete");
    check("name: t\naudit: {enabled: maybe}\n", "test.yaml:2:", "audit.enabled");
}

#[test]
fn deployment_rollout_reads_as_written() {
    let l = kwarp_loadgen::load_scenario(scenarios_dir().join("deployment-rollout.yaml"), &[]).unwrap();
    let s = &l.scenario;
    assert_eq!(s.name, "deployment-rollout");
    assert_eq!(s.clock, ClockKind::Virtual);
    assert_eq!(s.cluster.nodes.count.get(), 1000);
    assert_eq!(s.kubelet.startup, Dist::Lognormal { p50: Duration::from_secs(1), p99: Duration::from_secs(5) });
    assert!(s.audit.enabled);
    let steps: Vec<&Step> = s
        .steps
        .iter()
        .flat_map(|st| match st {
            Step::Measure(m) => m.steps.iter().collect(),
            other => vec![other],
        })
        .collect();
    let Step::Create(c) = steps[0] else { panic!("{:?}", steps[0]) };
    assert_eq!(c.count.map(|n| n.get()), Some(100));
    assert_eq!(c.objects[0]["kind"], "Deployment");
    assert_eq!(c.objects[0]["spec"]["replicas"], 100);
    let Step::SetImage(si) = steps[2] else { panic!("{:?}", steps[2]) };
    assert_eq!((si.target.kind.as_str(), si.count), ("Deployment", None));
    let Step::Wait(w) = steps[3] else { panic!() };
    assert_eq!(w.until, WaitFor::Condition(Condition::RolloutComplete));
    let Step::Rollback(r) = steps[4] else { panic!("{:?}", steps[4]) };
    assert_eq!((r.count.map(|n| n.get()), r.to_revision), (Some(50), None));
    let Step::Wait(w) = steps[5] else { panic!() };
    assert_eq!(w.until, WaitFor::Condition(Condition::RolloutComplete));
}

#[test]
fn every_controller_takes_a_worker_count() {
    let yaml = "name: t\ncontrollers:\n  deployment: {workers: 3}\n  statefulset: {workers: 4}\n  daemonset: {workers: 0}\n  garbageCollector: {workers: 20}\nsteps:\n  - sleep: 1s\n";
    let err = parse(yaml, &[]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("controllers.daemonset.workers") && msg.contains("must be between 1 and 1024, got 0"),
        "{msg}"
    );
    let ok = parse(&yaml.replace("workers: 0", "workers: 2"), &[]).unwrap();
    let c = &ok.scenario.controllers;
    let got: Vec<_> = c.entries().iter().map(|(n, s)| (*n, s.map(|s| s.workers.get()))).collect();
    assert_eq!(
        got,
        [
            ("replicaset", None),
            ("deployment", Some(3)),
            ("statefulset", Some(4)),
            ("daemonset", Some(2)),
            ("garbageCollector", Some(20))
        ]
    );
    let err = parse("name: t\ncontrollers:\n  deploymnet: {workers: 3}\nsteps:\n  - sleep: 1s\n", &[]).unwrap_err();
    assert!(err.to_string().contains("deploymnet"), "{err}");
}
