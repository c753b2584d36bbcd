//! report.json and report.md from hand-built metrics: schema, percentiles, tables, and Markdown that is
//! a pure function of the JSON.

use std::sync::Arc;
use std::time::Duration;

use kwarp::api::Kind;
use kwarp::clock::VirtualClock;
use kwarp::store::{ApiCallCount, Verb};
use kwarp::workqueue::{Options, WorkQueue};
use kwarp_loadgen::audit::{AuditReport, RolloutRecord, Violation};
use kwarp_loadgen::report::markdown::{render, summary};
use kwarp_loadgen::report::{
    histogram, ControllerMetrics, Machine, NodeGroup, Outcome, Phase, PodSummary, ReplicaSetRow, Report, ReportInput,
    Resources, RunMetrics, RuntimeStats, ScenarioInfo, SchedulerStats, Span, Workloads, SCHEMA,
};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

fn queue_metrics() -> kwarp::workqueue::QueueMetrics {
    let clock = Arc::new(VirtualClock::new());
    let q = WorkQueue::new("replicaset", clock.clone(), Options::default().with_metrics(true));
    q.add(1);
    q.add(2);
    clock.advance(Duration::from_millis(3));
    let id = q.get().unwrap();
    q.done(id);
    q.metrics().expect("metrics are on")
}

fn metrics() -> RunMetrics {
    let mut startup = histogram();
    for i in 1..=100u64 {
        startup.record(i * 50 * MS).unwrap(); // 50ms .. 5s
    }
    let mut rs = ControllerMetrics::new("replicaset");
    rs.reconciles = 1234;
    rs.errors = 2;
    rs.requeues = 7;
    for i in 1..=1000u64 {
        rs.reconcile_ns.record(i * 1_000).unwrap(); // 1µs .. 1ms
        rs.event_to_reconciled_ns.record(i * 10_000).unwrap();
    }
    rs.queue = Some(queue_metrics());
    let call = |client: &str, verb, kind, count| ApiCallCount { client: Arc::from(client), verb, kind, count };
    RunMetrics {
        api_calls: vec![
            call("replicaset-controller", Verb::Create, Kind::Pod, 1000),
            call("loadgen", Verb::Create, Kind::ReplicaSet, 10),
            call("kubelet", Verb::UpdateStatus, Kind::Pod, 2000),
            call("loadgen", Verb::Get, Kind::Node, 0),
        ],
        controllers: vec![rs],
        pod_startup_ns: startup,
        scheduler: SchedulerStats { scheduled: 1000, unschedulable_attempts: 3, bind_conflicts: 1 },
        runtime: RuntimeStats { threads: 2, messages: 5000, max_mailbox_depth: 17, component_panics: 0 },
    }
}

fn input(metrics: RunMetrics) -> ReportInput {
    ReportInput {
        scenario: ScenarioInfo {
            name: "quickstart".into(),
            description: "a test".into(),
            file: "scenarios/quickstart.yaml".into(),
            overrides: vec!["cluster.nodes.count=10".into()],
            config: serde_json::json!({"name": "quickstart"}),
        },
        seed: 42,
        clock: "virtual".into(),
        threads: 1,
        machine: Machine { cores: 2, os: "linux".into(), arch: "x86_64".into() },
        git_commit: Some("abc123".into()),
        started_at: "2025-01-01T00:00:00Z".into(),
        outcome: Outcome { ok: true, error: None },
        duration: Span { cluster_ns: 95 * S, wall_ns: 1_500 * MS },
        phases: vec![
            Phase { name: "setup".into(), start_ns: 0, cluster_ns: 0, wall_ns: 10 * MS, api_calls: 100 },
            Phase { name: "scale-up".into(), start_ns: 0, cluster_ns: 95 * S, wall_ns: 1_490 * MS, api_calls: 2910 },
        ],
        metrics,
        resources: Resources { peak_rss_bytes: Some(48 << 20), cpu_user_s: Some(1.25), cpu_system_s: Some(0.5) },
        workloads: Workloads {
            replica_sets: vec![
                ReplicaSetRow {
                    namespace: "default".into(),
                    name: "web-0".into(),
                    desired: 100,
                    current: 100,
                    ready: 99,
                    age_ns: 95 * S,
                },
                ReplicaSetRow {
                    namespace: "default".into(),
                    name: "web-10".into(),
                    desired: 5,
                    current: 5,
                    ready: 5,
                    age_ns: 312 * S,
                },
            ],
            replica_sets_total: 2,
            nodes: vec![NodeGroup { prefix: "node-".into(), count: 100, ready: 99, unschedulable: 1, pods: 1000 }],
            pods: PodSummary {
                total: 1005,
                pending: 0,
                running: 1000,
                ready: 999,
                succeeded: 0,
                failed: 5,
                terminating: 0,
            },
        },
        audit: AuditReport {
            enabled: true,
            invariants: vec!["replicaset.status".into()],
            events: 5000,
            checks: 1234,
            violations_total: 0,
            violations: vec![],
        },
        rollouts: Vec::new(),
    }
}

fn rollout(i: u64, outcome: &str, duration_s: Option<u64>) -> RolloutRecord {
    RolloutRecord {
        object: format!("Deployment default/web-{i}"),
        start_ns: 10 * S,
        duration_ns: duration_s.map(|d| d * S),
        api_calls: 100 + i,
        outcome: outcome.into(),
    }
}

#[test]
fn the_report_carries_schema_percentiles_and_counts() {
    let r = Report::build(input(metrics()));
    assert_eq!(r.schema, SCHEMA);
    assert_eq!(r.api_calls.total, 3010);
    let clients: Vec<(&str, &str, &str)> =
        r.api_calls.by_client.iter().map(|c| (c.client.as_str(), c.verb.as_str(), c.kind.as_str())).collect();
    assert_eq!(
        clients,
        [
            ("kubelet", "update_status", "Pod"),
            ("loadgen", "create", "ReplicaSet"),
            ("replicaset-controller", "create", "Pod")
        ],
        "sorted, zero counts left out"
    );
    let p = r.pod_startup;
    assert_eq!(p.count, 100);
    let near = |got: u64, want: u64| got.abs_diff(want) * 100 <= want; // within 1 % (HDR precision)
    assert!(near(p.p50, 2_500 * MS), "{p:?}");
    assert!(near(p.p90, 4_500 * MS), "{p:?}");
    assert!(near(p.p99, 4_950 * MS), "{p:?}");
    assert!(near(p.max, 5 * S), "{p:?}");
    let c = &r.controllers[0];
    assert_eq!((c.reconciles, c.errors, c.requeues), (1234, 2, 7));
    assert!(near(c.reconcile_duration.p999, 999_000), "{:?}", c.reconcile_duration);
    let q = c.queue.as_ref().unwrap();
    assert_eq!((q.adds, q.depth), (2, 1));
    assert!(near(q.queue_wait.max, 3 * MS), "{q:?}");
}

#[test]
fn report_json_round_trips_and_checks_its_schema() {
    let r = Report::build(input(metrics()));
    let json = r.to_json();
    assert!(json.starts_with("{\n  \"schema\": \"kwarp.report/v1\""), "{json}");
    assert_eq!(Report::from_json(&json).unwrap(), r);
    let other = json.replace("kwarp.report/v1", "kwarp.report/v0");
    assert!(Report::from_json(&other).unwrap_err().contains("is not \"kwarp.report/v1\""));
    assert!(Report::from_json("{}").unwrap_err().contains("no `schema`"));
}

#[test]
fn markdown_is_rendered_from_the_json_alone() {
    let r = Report::build(input(metrics()));
    let again = Report::from_json(&r.to_json()).unwrap();
    assert_eq!(render(&again), render(&r));
}

#[test]
fn markdown_has_the_tables_a_reader_looks_for() {
    let md = render(&Report::build(input(metrics())));
    for want in [
        "# kwarp report: quickstart\n",
        "| outcome | completed |",
        "| overrides | `--set cluster.nodes.count=10` |",
        "| cluster time | 1m35s |",
        "| peak RSS | 48 MiB |",
        "| CPU | 1.25s user + 0.50s system |",
        "| phase | starts at | cluster time | wall time | API calls |",
        "| scale-up | 0s | 1m35s | 1.49s | 2910 |",
        "| **total** | 0s | 1m35s | 1.5s | 3010 |",
        "| pod start-up (created → Ready, cluster time) | 100 | 2.5s |",
        "| replicaset | 1234 | 2 | 0 | 7 | 2 | 0 | 1 |",
        "| kubelet | update_status | Pod | 2000 |",
        "Scheduler: 1000 pods bound, 3 unschedulable attempts, 1 bind conflicts.",
        "NAME     DESIRED   CURRENT   READY   AGE\nweb-0    100       100       99      95s\nweb-10   5         5         5       5m12s\n",
        "node-*   100     99      1           1               1000\n",
        "1005    0         1000      999     0           5        0\n",
    ] {
        assert!(md.contains(want), "report.md lacks {want:?}:\n{md}");
    }
}

#[test]
fn failures_and_empty_runs_render() {
    let mut i = input(RunMetrics::default());
    i.outcome = Outcome { ok: false, error: Some("steps[3] (wait converged): timed out | badly".into()) };
    i.workloads = Workloads::default();
    let r = Report::build(i);
    let md = render(&r);
    assert!(md.contains("| outcome | **failed**: steps[3] (wait converged): timed out \\| badly |"), "{md}");
    assert!(md.contains("| pod start-up (created → Ready, cluster time) | 0 | - |"), "{md}");
    assert!(md.contains("No controller ran."), "{md}");
    assert!(md.contains("ReplicaSets:\n\n```\nNo resources found\n```"), "{md}");
    let s = summary(&r);
    assert!(s.starts_with("quickstart: FAILED (seed 42, virtual clock, 1 thread)\n"), "{s}");
    assert!(s.contains("error: steps[3] (wait converged): timed out | badly"), "{s}");
}

#[test]
fn the_summary_is_a_short_table() {
    let s = summary(&Report::build(input(metrics())));
    let want = "quickstart: completed (seed 42, virtual clock, 1 thread)\n\
                PHASE      CLUSTER TIME   WALL TIME   API CALLS\n\
                setup      0s             10ms        100\n\
                scale-up   1m35s          1.49s       2910\n\
                total      1m35s          1.5s        3010\n";
    assert!(s.starts_with(want), "{s}");
    assert!(s.contains("replicaset: 1234 reconciles, 2 errors"), "{s}");
    assert!(s.contains("peak RSS 48 MiB, CPU 1.25s user + 0.50s system"), "{s}");
}

#[test]
fn rollouts_and_the_auditor_are_in_the_report() {
    let mut i = input(metrics());
    i.rollouts = (1..=100).map(|k| rollout(k, "complete", Some(k))).collect();
    i.rollouts.push(rollout(101, "superseded", None));
    i.rollouts.push(rollout(102, "incomplete", None));
    let r = Report::build(i);
    let ro = &r.rollouts;
    assert_eq!((ro.started, ro.completed, ro.superseded, ro.incomplete), (102, 100, 1, 1));
    let near = |got: u64, want: u64| got.abs_diff(want) * 100 <= want;
    assert!(near(ro.duration.p50, 50 * S) && near(ro.duration.p99, 99 * S), "{:?}", ro.duration);
    assert_eq!((ro.api_calls.count, ro.api_calls.max), (100, 200), "completed rollouts only");
    assert_eq!(ro.items.len(), 102);
    let md = render(&r);
    for want in [
        "| auditor | 1234 checks, 0 violations |",
        "## Rollouts\n\nDeployment rollouts (template change → complete, cluster time): 102 started, 100 completed, 1 superseded, 1 incomplete.",
        "| rollout duration | 100 | 50s | 1m30s | 1m39s | 1m40s |",
        "| API calls per rollout | 100 | 150 | 190 | 199 | 200 |",
        "auditor: 1234 checks, 0 violations.\n\n5000 store writes observed; contracts: `replicaset.status`.",
    ] {
        assert!(md.contains(want), "report.md lacks {want:?}:\n{md}");
    }
    let s = summary(&r);
    assert!(
        s.contains("rollouts: 100 completed of 102; duration p50 50s p99 1m39s; API calls per rollout p50 150 p99 199"),
        "{s}"
    );
    assert!(s.contains("auditor: 1234 checks, 0 violations\n"), "{s}");
}

#[test]
fn violations_are_listed_in_the_report() {
    let mut i = input(metrics());
    i.audit.violations_total = 3;
    i.audit.violations = vec![Violation {
        invariant: "deployment.rollingUpdate.availability".into(),
        object: "Deployment default/web-3".into(),
        at_ns: 12_500 * MS,
        message: "70 available pods < replicas 100 − maxUnavailable 25 = 75".into(),
    }];
    let r = Report::build(i);
    assert_eq!(Report::from_json(&r.to_json()).unwrap(), r);
    let md = render(&r);
    let first = "Deployment default/web-3 at 12.5s: deployment.rollingUpdate.availability: 70 available pods < replicas 100 − maxUnavailable 25 = 75";
    assert!(md.contains(&format!("auditor: 1234 checks, 3 violations (first: {first}).")), "{md}");
    assert!(md.contains(&format!("- {first}\n- ... and 2 more\n")), "{md}");
    assert!(!md.contains("## Rollouts"), "no rollouts, no table");
}
