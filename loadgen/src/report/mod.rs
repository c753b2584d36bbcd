//! The run report: `report.json` (schema [`SCHEMA`]) and `report.md`, rendered from it.
//!
//! [`Report`] is the JSON document; everything a reader sees in report.md or in
//! the summary on stdout is rendered from a `Report` ([`markdown::render`],
//! [`markdown::summary`]), so report.md never says anything report.json does
//! not. Durations are integer nanoseconds (`*_ns`); `cluster` durations are on
//! the run's clock (virtual or real), `wall` ones are measured on the machine.
//! Latency histograms appear as [`Percentiles`] (p50, p90, p99, p99.9, max).
//!
//! With `--threads 1`, the virtual clock and a seed, every cluster-time figure
//! (phases' `cluster_ns`, `duration.cluster_ns`, `pod_startup`, the API call
//! counts, the workloads) is the same from run to run; wall times, CPU and RSS
//! are not.
//!
//! Schema changes: add fields (readers ignore what they do not know); a change
//! of meaning or a removal bumps the version in [`SCHEMA`].

pub mod markdown;
pub mod workloads;

use hdrhistogram::Histogram;
use kwarp::store::ApiCallCount;
use kwarp::workqueue::QueueMetrics;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditReport, RolloutRecord};

pub use workloads::{NodeGroup, PodSummary, ReplicaSetRow, Workloads};

/// The report's schema name and version.
pub const SCHEMA: &str = "kwarp.report/v1";

// ------------------------------------------------------------------ input: metrics of a run

/// What a cluster measured during a run (mirrors `kwarp::system::ClusterMetrics`).
#[derive(Clone, Debug)]
pub struct RunMetrics {
    pub api_calls: Vec<ApiCallCount>,
    pub controllers: Vec<ControllerMetrics>,
    /// Created → Ready, cluster time, nanoseconds.
    pub pod_startup_ns: Histogram<u64>,
    pub scheduler: SchedulerStats,
    pub runtime: RuntimeStats,
}

impl Default for RunMetrics {
    fn default() -> Self {
        RunMetrics {
            api_calls: Vec::new(),
            controllers: Vec::new(),
            pod_startup_ns: histogram(),
            scheduler: SchedulerStats::default(),
            runtime: RuntimeStats::default(),
        }
    }
}

/// One controller's counters and latencies.
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    pub name: String,
    pub reconciles: u64,
    pub errors: u64,
    pub panics: u64,
    pub requeues: u64,
    /// Duration of each reconcile, nanoseconds.
    pub reconcile_ns: Histogram<u64>,
    /// Commit of a watch event → end of the first reconcile of its key that started after the informer applied it.
    pub event_to_reconciled_ns: Histogram<u64>,
    pub queue: Option<QueueMetrics>,
}

impl ControllerMetrics {
    pub fn new(name: impl Into<String>) -> Self {
        ControllerMetrics {
            name: name.into(),
            reconciles: 0,
            errors: 0,
            panics: 0,
            requeues: 0,
            reconcile_ns: histogram(),
            event_to_reconciled_ns: histogram(),
            queue: None,
        }
    }
}

/// The scheduler's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerStats {
    pub scheduled: u64,
    pub unschedulable_attempts: u64,
    pub bind_conflicts: u64,
}

/// The actor runtime's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeStats {
    pub threads: u64,
    pub messages: u64,
    pub max_mailbox_depth: u64,
    pub component_panics: u64,
}

/// An empty nanosecond histogram (3 significant digits, auto-resizing).
pub fn histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is a valid precision"))
}

// ------------------------------------------------------------------ output: report.json

/// report.json. See the module doc.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    /// `virtual` or `real`.
    pub clock: String,
    /// Threads asked for (`0`: one per core); what was used is in `runtime.threads`.
    pub threads: u64,
    pub machine: Machine,
    /// The kwarp commit, when known (`KWARP_GIT_COMMIT`, `GITHUB_SHA`, or `git rev-parse HEAD`).
    pub git_commit: Option<String>,
    pub kwarp_version: String,
    /// Wall-clock start, UTC, RFC 3339.
    pub started_at: String,
    pub outcome: Outcome,
    pub duration: Span,
    pub phases: Vec<Phase>,
    pub api_calls: ApiCalls,
    pub controllers: Vec<ControllerReport>,
    /// Created → Ready, cluster time.
    pub pod_startup: Percentiles,
    pub scheduler: SchedulerStats,
    pub runtime: RuntimeStats,
    pub resources: Resources,
    /// The workloads at the end of the run.
    pub workloads: Workloads,
    /// The invariant auditor: checks made and violations found.
    #[serde(default)]
    pub audit: AuditReport,
    /// Deployment rollouts: template change → complete, and their API calls.
    #[serde(default)]
    pub rollouts: Rollouts,
}

/// Deployment rollouts of the run (see [`crate::audit::rollouts`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rollouts {
    pub started: u64,
    pub completed: u64,
    /// Replaced by another template change before completing.
    pub superseded: u64,
    /// Still in progress when the run ended.
    pub incomplete: u64,
    /// Template change → complete, cluster time (completed rollouts).
    pub duration: Percentiles,
    /// Writes to the Deployment, its ReplicaSets and their pods per completed rollout.
    pub api_calls: Percentiles,
    /// Every rollout, in the order they started.
    pub items: Vec<RolloutRecord>,
}

impl Rollouts {
    pub fn of(items: Vec<RolloutRecord>) -> Rollouts {
        let (mut duration, mut calls) = (histogram(), histogram());
        let mut r = Rollouts { started: items.len() as u64, ..Default::default() };
        for it in &items {
            match (it.outcome.as_str(), it.duration_ns) {
                ("complete", Some(d)) => {
                    r.completed += 1;
                    let _ = duration.record(d);
                    let _ = calls.record(it.api_calls);
                }
                ("superseded", _) => r.superseded += 1,
                _ => r.incomplete += 1,
            }
        }
        r.duration = Percentiles::of(&duration);
        r.api_calls = Percentiles::of(&calls);
        r.items = items;
        r
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    /// The file as given to `kwarp run`.
    pub file: String,
    /// `--set` arguments, in order.
    pub overrides: Vec<String>,
    /// The scenario as run (after overrides), as JSON.
    pub config: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    pub cores: u64,
    pub os: String,
    pub arch: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Every step ran and every wait was met.
    pub ok: bool,
    /// The step that failed and why.
    pub error: Option<String>,
}

/// A stretch of the run on both clocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub cluster_ns: u64,
    pub wall_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    /// Cluster time from the start of the run to the start of the phase.
    pub start_ns: u64,
    pub cluster_ns: u64,
    pub wall_ns: u64,
    pub api_calls: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCalls {
    pub total: u64,
    /// Sorted by client, verb, kind; zero counts left out.
    pub by_client: Vec<ApiCallRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCallRow {
    pub client: String,
    /// `create`, `get`, `list`, `update`, `update_status`, `patch`, `delete`, `watch`.
    pub verb: String,
    pub kind: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControllerReport {
    pub name: String,
    pub reconciles: u64,
    pub errors: u64,
    pub panics: u64,
    pub requeues: u64,
    pub reconcile_duration: Percentiles,
    pub event_to_reconciled: Percentiles,
    pub queue: Option<QueueReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueReport {
    pub name: String,
    pub adds: u64,
    pub retries: u64,
    /// Items waiting at the end.
    pub depth: u64,
    /// Add → handed to a worker.
    pub queue_wait: Percentiles,
    /// Handed to a worker → done.
    pub work_duration: Percentiles,
}

/// A latency distribution, nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            mean: h.mean().round() as u64,
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// Peak resident set size (VmHWM), when the OS tells.
    pub peak_rss_bytes: Option<u64>,
    pub cpu_user_s: Option<f64>,
    pub cpu_system_s: Option<f64>,
}

/// Everything [`Report::build`] puts together.
#[derive(Clone, Debug)]
pub struct ReportInput {
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub clock: String,
    pub threads: u64,
    pub machine: Machine,
    pub git_commit: Option<String>,
    pub started_at: String,
    pub outcome: Outcome,
    pub duration: Span,
    pub phases: Vec<Phase>,
    pub metrics: RunMetrics,
    pub resources: Resources,
    pub workloads: Workloads,
    pub audit: AuditReport,
    pub rollouts: Vec<RolloutRecord>,
}

impl Report {
    pub fn build(input: ReportInput) -> Report {
        let m = &input.metrics;
        let by_client: Vec<ApiCallRow> = {
            let mut rows: Vec<ApiCallRow> = m
                .api_calls
                .iter()
                .filter(|c| c.count > 0)
                .map(|c| ApiCallRow {
                    client: c.client.to_string(),
                    verb: c.verb.as_str().to_string(),
                    kind: c.kind.as_str().to_string(),
                    count: c.count,
                })
                .collect();
            rows.sort_by(|a, b| (&a.client, &a.verb, &a.kind).cmp(&(&b.client, &b.verb, &b.kind)));
            rows
        };
        let controllers = m
            .controllers
            .iter()
            .map(|c| ControllerReport {
                name: c.name.clone(),
                reconciles: c.reconciles,
                errors: c.errors,
                panics: c.panics,
                requeues: c.requeues,
                reconcile_duration: Percentiles::of(&c.reconcile_ns),
                event_to_reconciled: Percentiles::of(&c.event_to_reconciled_ns),
                queue: c.queue.as_ref().map(|q| QueueReport {
                    name: q.name.clone(),
                    adds: q.adds_total,
                    retries: q.retries_total,
                    depth: q.depth,
                    queue_wait: Percentiles::of(&q.queue_duration),
                    work_duration: Percentiles::of(&q.work_duration),
                }),
            })
            .collect();
        Report {
            schema: SCHEMA.to_string(),
            scenario: input.scenario,
            seed: input.seed,
            clock: input.clock,
            threads: input.threads,
            machine: input.machine,
            git_commit: input.git_commit,
            kwarp_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: input.started_at,
            outcome: input.outcome,
            duration: input.duration,
            phases: input.phases,
            api_calls: ApiCalls { total: by_client.iter().map(|r| r.count).sum(), by_client },
            controllers,
            pod_startup: Percentiles::of(&m.pod_startup_ns),
            scheduler: m.scheduler,
            runtime: m.runtime,
            resources: input.resources,
            workloads: input.workloads,
            audit: input.audit,
            rollouts: Rollouts::of(input.rollouts),
        }
    }

    /// report.json's text (pretty, newline-terminated).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("a report always serializes"));
        s.push('\n');
        s
    }

    /// Reads a report.json, refusing other schemas.
    pub fn from_json(text: &str) -> Result<Report, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => serde_json::from_value(v).map_err(|e| e.to_string()),
            Some(other) => Err(format!("schema {other:?} is not {SCHEMA:?}")),
            None => Err("not a kwarp report (no `schema`)".to_string()),
        }
    }

    /// The figures that depend only on the scenario, the seed and the cluster
    /// (not on the machine): equal across runs with `--threads 1`, the virtual
    /// clock and the same seed.
    pub fn cluster_time_figures(&self) -> serde_json::Value {
        serde_json::json!({
            "duration_cluster_ns": self.duration.cluster_ns,
            "phases": self.phases.iter().map(|p| serde_json::json!({
                "name": p.name, "start_ns": p.start_ns, "cluster_ns": p.cluster_ns, "api_calls": p.api_calls,
            })).collect::<Vec<_>>(),
            "api_calls": self.api_calls,
            "pod_startup": self.pod_startup,
            "scheduler": self.scheduler,
            "reconciles": self.controllers.iter().map(|c| (c.name.clone(), c.reconciles)).collect::<Vec<_>>(),
            "workloads": self.workloads,
            "outcome": self.outcome,
            "audit": {"checks": self.audit.checks, "violations": self.audit.violations},
            "rollouts": self.rollouts,
        })
    }
}
