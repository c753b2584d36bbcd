//! The built-in quickstart on the real system (`kwarp::system`), virtual clock: it converges, and with
//! one thread and one seed two runs write byte-identical events.jsonl and the same cluster-time figures.
#![cfg(feature = "system")]

use std::path::{Path, PathBuf};

use kwarp_loadgen::report::Report;
use kwarp_loadgen::run::{self, RunOptions};
use kwarp_loadgen::system_cluster;

fn quickstart(set: &[&str]) -> kwarp_loadgen::LoadedScenario {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/quickstart.yaml");
    kwarp_loadgen::load_scenario(file, &set).unwrap_or_else(|e| panic!("{e}"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kwarp-loadgen-system-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_in(dir: &Path, loaded: &kwarp_loadgen::LoadedScenario, threads: usize, record_events: bool) -> Report {
    let opts = RunOptions { out: Some(dir.to_path_buf()), threads, record_events, ..Default::default() };
    let out = run::run(loaded, &opts, &system_cluster::launch).unwrap();
    assert!(out.failure.is_none(), "{}", out.failure.unwrap());
    out.report
}

#[test]
fn quickstart_converges() {
    let dir = temp_dir("quickstart");
    let r = run_in(&dir, &quickstart(&[]), 0, false);
    assert!(r.outcome.ok);
    let phases: Vec<&str> = r.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(phases, ["setup", "create", "scale-up", "scale-down", "kill-pods"]);
    assert_eq!(r.workloads.replica_sets_total, 10);
    assert!(r.workloads.replica_sets.iter().all(|rs| rs.desired == 50 && rs.current == 50 && rs.ready == 50));
    assert_eq!(r.workloads.pods.failed, 50, "the killed pods stay Failed");
    assert_eq!(r.workloads.pods.ready, 500);
    assert!(r.pod_startup.count >= 2000, "{:?}", r.pod_startup);
    let rs = r.controllers.iter().find(|c| c.name.contains("replicaset")).expect("the ReplicaSet controller ran");
    assert!(rs.reconciles > 0 && rs.panics == 0);
    // The auditor watched the whole run (every ReplicaSet settling after each phase) and found nothing.
    assert!(r.audit.enabled);
    assert!(r.audit.checks > 1000, "{:?}", r.audit);
    assert_eq!(r.audit.violations_total, 0, "{:?}", r.audit.violations);
    assert!(r.audit.invariants.contains(&"replicaset.converged".to_string()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_thread_one_seed_one_run() {
    let loaded = quickstart(&["cluster.nodes.count=20", "steps.0.steps.0.object.spec.replicas=20"]);
    let (a, b) = (temp_dir("det-a"), temp_dir("det-b"));
    let (ra, rb) = (run_in(&a, &loaded, 1, true), run_in(&b, &loaded, 1, true));
    let ea = std::fs::read(a.join("events.jsonl")).unwrap();
    let eb = std::fs::read(b.join("events.jsonl")).unwrap();
    assert!(!ea.is_empty());
    if ea != eb {
        let (la, lb) = (String::from_utf8_lossy(&ea), String::from_utf8_lossy(&eb));
        let first = la.lines().zip(lb.lines()).position(|(x, y)| x != y);
        panic!("events.jsonl differs from line {first:?}");
    }
    assert_eq!(ra.cluster_time_figures(), rb.cluster_time_figures());
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
