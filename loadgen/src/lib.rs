//! kwarp's load generator: scenarios as data, a driver that replays them on the cluster's clock, and reports.
//!
//! ```text
//!  scenario.yaml ──load──▶ YAML value ──--set overrides──▶ typed Scenario ──validate──▶ LoadedScenario
//!                                                                                         │
//!  report.json ◀── Report ◀── metrics + phases ◀── Driver (steps on the cluster's clock) ◀┘
//!  report.md   ◀──┘   ▲                              │ writes through the store client "loadgen"
//!                     │ audit, rollouts              ▼
//!                  Auditor ◀── every store write ── SimCluster (kwarp::system::Cluster, or a test double)
//! ```
//!
//! * [`scenario`]: the format (see its module doc for a reference), parsing with
//!   file / line / key in every error, `--set path=value` overrides, validation.
//! * [`driver`]: the step driver. It depends on the cluster only through the
//!   [`driver::ClusterHandle`] trait, so it runs on the real system or on a small
//!   hand-driven test cluster alike. Waits are conditions over counters kept
//!   incrementally from watches ([`driver::observe`]), never full scans.
//! * [`audit`]: the invariant auditor — SEMANTICS.md §12's contracts checked
//!   incrementally over the store's event stream while the run goes (on by
//!   default, `--no-audit`); a violation fails the run. It also records
//!   Deployment rollouts (duration, API calls) for the report.
//! * [`rollout`]: kubectl's client-side rollout logic (`rollout status`,
//!   `rollout undo`) used by the `rollback` step and the `rolloutComplete` wait.
//! * [`report`]: report.json (schema `kwarp.report/v1`) and report.md rendered from it.
//! * [`run`]: one `kwarp run`: cluster settings from scenario and flags, the
//!   driver, the output directory (report.json, report.md, events.jsonl, state.json).
//!
//! Determinism: the driver makes no decision from the wall clock or from hash
//! order; random choices (which pods a `killPods` step kills) come from the
//! scenario seed. Wall time is only measured, for the report.

pub mod audit;
pub mod driver;
pub mod jsonpath;
pub mod machine;
pub mod progress;
pub mod report;
pub mod rollout;
pub mod run;
pub mod scenario;
#[cfg(feature = "system")]
pub mod system_cluster;

pub use driver::{ClusterHandle, Driver, DriverError, SimCluster};
pub use scenario::{load_scenario, LoadedScenario, Scenario, ScenarioError};
