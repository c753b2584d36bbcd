//! The driver and `run` against a hand-driven test cluster (scheduler, kubelet, toy ReplicaSet reconciler)
//! on the virtual clock: steps change the store as written, waits move time only as far as needed,
//! failures name the step, and two runs with one seed write the same events.

mod loadgen_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use kwarp::api::pod::PodPhase;
use kwarp::api::{Node, Pod, ReplicaSet};
use kwarp::store::ListOptions;
use kwarp_loadgen::progress::Status;
use kwarp_loadgen::report::Report;
use kwarp_loadgen::run::{self, ClusterSettings, RunOptions};
use kwarp_loadgen::scenario::{parse_scenario, LoadedScenario};
use kwarp_loadgen::{ClusterHandle, Driver, DriverError};
use loadgen_support::TestCluster;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn load(text: &str) -> LoadedScenario {
    parse_scenario("t.yaml", text, &scenarios_dir(), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// The quickstart, shrunk to run in a moment on the test cluster.
fn small_quickstart() -> LoadedScenario {
    let set: Vec<String> = [
        "cluster.nodes.count=10",
        "steps.0.steps.0.object.spec.replicas=10",
        "steps.1.steps.0.replicas=20",
        "steps.2.steps.0.replicas=5",
        "steps.3.steps.0.count=5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    kwarp_loadgen::load_scenario(scenarios_dir().join("quickstart.yaml"), &set).unwrap()
}

/// Runs `loaded`'s steps on a fresh test cluster; returns the cluster and the outcome.
fn drive(loaded: &LoadedScenario) -> (TestCluster, Result<(), DriverError>, Vec<kwarp_loadgen::driver::PhaseRecord>) {
    let settings = ClusterSettings::new(loaded, &RunOptions::default());
    let cluster = TestCluster::start(&settings);
    let (result, phases) = {
        let mut d = Driver::new(&loaded.scenario, &cluster, Status::default());
        let r = d.run();
        (r, d.phases().to_vec())
    };
    (cluster, result, phases)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kwarp-loadgen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn pods(c: &TestCluster) -> Vec<std::sync::Arc<Pod>> {
    c.store().list::<Pod>(&ListOptions::all()).items
}

#[test]
fn quickstart_converges_on_the_test_cluster() {
    let loaded = small_quickstart();
    let (cluster, result, phases) = drive(&loaded);
    result.unwrap();
    let names: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["setup", "create", "scale-up", "scale-down", "kill-pods"]);
    // Start-up is lognormal (p50 1s): converging takes cluster time, and phases follow each other.
    assert!(phases[1].cluster > Duration::from_millis(500), "{phases:?}");
    for w in phases.windows(2) {
        assert!(w[1].start >= w[0].start + w[0].cluster, "{phases:?}");
    }
    let store = cluster.store();
    let rs = store.list::<ReplicaSet>(&ListOptions::all()).items;
    assert_eq!(rs.len(), 10);
    assert!(rs.iter().all(|r| r.status.ready_replicas == 5 && r.spec.replicas == Some(5)));
    // Stamped selectors kept the copies apart: every ReplicaSet owns its own 5 pods.
    let all = pods(&cluster);
    let failed = all.iter().filter(|p| p.phase() == PodPhase::Failed).count();
    assert_eq!(failed, 5, "killPods fail leaves Failed pods behind");
    let active = all.iter().filter(|p| p.is_active()).count();
    assert_eq!(active, 50);
}

#[test]
fn steps_change_the_store_as_written() {
    let loaded = load(
        "name: steps\nseed: 3\ncluster:\n  nodes: {count: 2}\n  nodeTemplates:\n    big: {namePrefix: big-, capacity: {cpu: 96}}\n\
         kubelet: {startup: 1s}\nsteps:\n\
         - create:\n    count: 3\n    object: {apiVersion: v1, kind: Pod, metadata: {name: p, labels: {app: x, n: \"${index}\"}}, spec: {containers: [{name: c, image: \"img:${name}\"}]}}\n\
         - wait: {for: podsReady, timeout: 1m}\n\
         - patch: {target: {kind: Pod, selector: {app: x}}, set: {metadata.labels.tier: web}}\n\
         - update: {target: {kind: Pod, name: p-0}, set: {\"metadata.annotations[kwarp.io/note]\": hi}}\n\
         - killPods: {count: 1, selector: {n: \"1\"}, mode: restart}\n\
         - wait: {for: podsReady, timeout: 1m}\n\
         - delete: {target: {kind: Pod, namePrefix: p-}, count: 1, gracePeriod: 0s}\n\
         - addNodes: {count: 5, template: big, rate: 2}\n\
         - removeNodes: {count: 2, namePrefix: big-}\n",
    );
    let (cluster, result, _) = drive(&loaded);
    result.unwrap();
    let store = cluster.store();
    let ps = pods(&cluster);
    let names: Vec<&str> = ps.iter().map(|p| p.metadata.name.as_str()).collect();
    assert_eq!(names, ["p-1", "p-2"], "the first pod by name was deleted");
    assert_eq!(ps[0].spec.containers[0].image, "img:p-1", "${{name}} was replaced");
    assert_eq!(ps[1].metadata.labels["n"], "2", "${{index}} was replaced");
    assert!(ps.iter().all(|p| p.metadata.labels["tier"] == "web"));
    assert_eq!(ps[0].max_restarts(), 1, "the restart went to p-1, the only pod with n=1");
    let nodes: Vec<String> =
        store.list::<Node>(&ListOptions::all()).items.iter().map(|n| n.metadata.name.clone()).collect();
    assert_eq!(nodes, ["big-0", "big-1", "big-2", "node-0", "node-1"], "the highest-numbered went first");
    let big = store.get::<Node>("", "big-0").unwrap();
    assert_eq!(big.status.allocatable["cpu"].to_string(), "96");
    assert_eq!(big.status.allocatable["pods"].to_string(), "110");
}

#[test]
fn add_nodes_at_a_rate_takes_cluster_time() {
    let loaded = load("name: rate\nsteps:\n- measure: {name: grow, steps: [{addNodes: {count: 10, rate: 5}}]}\n");
    let (cluster, result, phases) = drive(&loaded);
    result.unwrap();
    assert_eq!(cluster.store().count::<Node>(), 10);
    // One node per 200ms: the tenth comes 1.8s after the first.
    assert_eq!(phases[1].cluster, Duration::from_millis(1800));
}

#[test]
fn nested_phases_are_listed_in_the_order_they_start() {
    let loaded = load(
        "name: nest\nsteps:\n- measure: {name: outer, steps: [{sleep: 1s}, {measure: {name: inner, steps: [{sleep: 2s}]}}]}\n- measure: {name: last, steps: [{sleep: 1s}]}\n",
    );
    let (_, result, phases) = drive(&loaded);
    result.unwrap();
    let got: Vec<(&str, u64, u64)> =
        phases.iter().map(|p| (p.name.as_str(), p.start.as_secs(), p.cluster.as_secs())).collect();
    assert_eq!(got, [("setup", 0, 0), ("outer", 0, 3), ("inner", 1, 2), ("last", 3, 1)]);
}

#[test]
fn a_timed_out_wait_names_the_step_and_the_numbers() {
    let loaded = load(
        "name: stuck\ncluster:\n  nodes: {count: 1, capacity: {cpu: 1}}\nsteps:\n\
         - create: {object: {apiVersion: v1, kind: Pod, metadata: {name: big}, spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 4}}}]}}}\n\
         - measure: {name: m, steps: [{wait: {for: podsRunning, timeout: 1m}}]}\n",
    );
    let (cluster, result, phases) = drive(&loaded);
    let e = result.unwrap_err();
    assert_eq!(e.step, "steps[1].measure.steps[0] (wait podsRunning)");
    assert!(
        e.message.starts_with("timed out after 1m0s of cluster time waiting for podsRunning: pods: 1 total"),
        "{e}"
    );
    assert!(e.message.contains("1 pending"), "{e}");
    assert_eq!(phases.last().unwrap().name, "m", "a failed phase is still recorded");
    assert_eq!(phases.last().unwrap().cluster, Duration::from_secs(60));
    let _ = cluster;
}

#[test]
fn missing_targets_fail_the_step() {
    let loaded = load("name: t\nsteps:\n- scale: {target: {kind: ReplicaSet, name: web}, replicas: 3}\n");
    let (_, result, _) = drive(&loaded);
    let e = result.unwrap_err();
    assert_eq!(e.to_string(), "steps[0] (scale ReplicaSet named web to 3): no ReplicaSet named web found");
    let loaded = load("name: t\nsteps:\n- killPods: {count: 2}\n");
    let (_, result, _) = drive(&loaded);
    assert!(result.unwrap_err().message.contains("wanted to kill 2 running pods, found 0"));
}

// ------------------------------------------------------------------ kwarp run: the output folder

fn run_small(dir: &Path, seed: u64) -> run::RunOutcome {
    let loaded = small_quickstart();
    let opts = RunOptions {
        out: Some(dir.to_path_buf()),
        seed: Some(seed),
        threads: 1,
        record_events: true,
        dump_state: true,
        ..Default::default()
    };
    run::run(&loaded, &opts, &TestCluster::launch).unwrap()
}

#[test]
fn run_writes_report_events_and_state() {
    let dir = temp_dir("run");
    let out = run_small(&dir, 42);
    assert!(out.failure.is_none(), "{:?}", out.failure);
    let report = Report::from_json(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report, out.report, "report.json holds the report");
    assert!(report.outcome.ok);
    assert_eq!(report.scenario.name, "quickstart");
    assert_eq!(report.scenario.overrides.len(), 5);
    assert_eq!(report.phases.len(), 5);
    assert!(report.pod_startup.count >= 100, "{:?}", report.pod_startup);
    assert!(report.pod_startup.p50 > 0 && report.pod_startup.p50 <= report.pod_startup.p99);
    assert!(report.api_calls.total > 0);
    assert!(report
        .api_calls
        .by_client
        .iter()
        .any(|c| c.client == "loadgen" && c.verb == "create" && c.kind == "ReplicaSet" && c.count == 10));
    assert_eq!(report.workloads.replica_sets_total, 10);
    assert_eq!(report.workloads.pods.failed, 5);

    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert_eq!(md, kwarp_loadgen::report::markdown::render(&report), "report.md is rendered from report.json");
    assert!(md.contains("NAME    DESIRED   CURRENT   READY   AGE\nweb-0   5         5         5       "), "{md}");

    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap();
    assert_eq!((state["apiVersion"].as_str(), state["kind"].as_str()), (Some("v1"), Some("List")));
    let items = state["items"].as_array().unwrap();
    let count = |kind: &str| items.iter().filter(|i| i["kind"] == kind).count();
    assert_eq!((count("Node"), count("ReplicaSet")), (10, 10));
    assert!(items.iter().all(|i| i["metadata"]["uid"].is_string() && i["metadata"]["resourceVersion"].is_string()));

    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = events.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 100);
    let rvs: Vec<u64> = lines.iter().map(|l| l["rv"].as_u64().unwrap()).collect();
    assert!(rvs.windows(2).all(|w| w[0] < w[1]), "one line per write, in revision order");
    assert_eq!(lines[0]["type"], "ADDED");
    assert_eq!(lines[0]["object"]["kind"], "Node");
    assert!(lines.iter().all(|l| l["t_ns"].as_i64().is_some_and(|t| t >= 0)));
    assert!(lines.iter().any(|l| l["type"] == "DELETED"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_seed_one_run() {
    let (a, b, c) = (temp_dir("det-a"), temp_dir("det-b"), temp_dir("det-c"));
    let (ra, rb, rc) = (run_small(&a, 7), run_small(&b, 7), run_small(&c, 8));
    let ea = std::fs::read(a.join("events.jsonl")).unwrap();
    let eb = std::fs::read(b.join("events.jsonl")).unwrap();
    assert!(ea == eb, "events.jsonl differs between two runs with seed 7");
    assert_eq!(ra.report.cluster_time_figures(), rb.report.cluster_time_figures());
    assert_ne!(ea, std::fs::read(c.join("events.jsonl")).unwrap(), "another seed, another run");
    assert_ne!(ra.report.pod_startup, rc.report.pod_startup);
    for d in [a, b, c] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn a_failed_run_still_writes_its_report() {
    let dir = temp_dir("fail");
    let loaded = load("name: stuck\nsteps:\n- create: {object: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}}\n- wait: {for: podsRunning, timeout: 30s}\n");
    let opts = RunOptions { out: Some(dir.clone()), ..Default::default() };
    let out = run::run(&loaded, &opts, &TestCluster::launch).unwrap();
    let e = out.failure.unwrap();
    assert_eq!(e.step, "steps[1] (wait podsRunning)");
    let report = Report::from_json(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert!(!report.outcome.ok);
    assert!(report.outcome.error.unwrap().contains("timed out after 30s"));
    assert_eq!(report.duration.cluster_ns, 30_000_000_000);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("**failed**: steps[1] (wait podsRunning)"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}
