//! The invariant auditor: SEMANTICS.md §12's safety contracts, checked over the store's event stream while a run goes.
//!
//! ```text
//!  Store::subscribe_all ──AnyEvent (revision order)──▶ Auditor ──▶ each Invariant::observe  (O(1) per event)
//!                                                        │ time moved on: the last instant is over
//!                                                        └──────────▶ each Invariant::settle   (dirty objects only)
//! ```
//!
//! * An [`Invariant`] keeps its own per-object state (counters per Deployment,
//!   per ReplicaSet, ...) and updates it from each event: never a rescan of the
//!   world. Objects an event touches are marked dirty; [`Invariant::settle`]
//!   evaluates only those, once per instant of cluster time.
//! * Checks run at the end of an instant (the first event of a later time, or
//!   [`Auditor::finish`]), not after every event: under the virtual clock time
//!   only moves when the system is quiescent, so every check sees a state the
//!   cluster actually rested in, never a half-applied reaction (a ReplicaSet
//!   scaled down whose pods are not deleted yet). Under the real clock a bound
//!   must stay broken for [`AuditSettings::grace`] before it is reported, and
//!   the checks that need quiescence ([`AuditSettings::quiescent_instants`]) are off.
//! * Each controller adds its invariants to [`registry`]; a finding is a
//!   [`Violation`] naming the invariant, the object, the cluster time and the numbers.
//! * The driver tells the auditor about its own disruptions ([`Auditor::disrupt`]:
//!   killed pods, removed nodes): availability bounds are not promised across them.
//!
//! Determinism: dirty objects are evaluated in key order, so the same event
//! stream gives the same violations in the same order.

pub mod daemonset;
pub mod deployment;
pub mod lineage;
pub mod replicaset;
pub mod rollouts;
pub mod statefulset;

#[cfg(test)]
mod tests;

use std::time::Duration;

use kwarp::api::Time;
use kwarp::clock::duration_between;
use kwarp::sim::latency::format_duration;
use kwarp::store::AnyEvent;
use serde::{Deserialize, Serialize};

pub use rollouts::{RolloutRecord, RolloutRecorder};

/// How many violations a report lists (all are counted).
pub const MAX_LISTED: usize = 100;

/// How the checks treat time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditSettings {
    /// A bound must stay broken this long (cluster time) before it is a violation.
    pub grace: Duration,
    /// Every end of an instant is a quiescent point (the virtual clock): enables
    /// the "after convergence" checks.
    pub quiescent_instants: bool,
}

impl AuditSettings {
    /// The virtual clock: no grace, instants are quiescent.
    pub const VIRTUAL: AuditSettings = AuditSettings { grace: Duration::ZERO, quiescent_instants: true };
    /// The real clock: one second of grace, no convergence checks.
    pub const REAL: AuditSettings = AuditSettings { grace: Duration::from_secs(1), quiescent_instants: false };
}

/// One broken contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The invariant's name: `deployment.rollingUpdate.availability`.
    pub invariant: String,
    /// `Deployment default/web-3`.
    pub object: String,
    /// Cluster time since the start of the run.
    pub at_ns: u64,
    /// What was seen, with the numbers.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = format_duration(Duration::from_nanos(self.at_ns));
        write!(f, "{} at {at}: {}: {}", self.object, self.invariant, self.message)
    }
}

/// What invariants report into while they observe and settle.
#[derive(Debug)]
pub struct Findings {
    start: Time,
    settings: AuditSettings,
    /// Evaluations of a contract on one object.
    pub checks: u64,
    pub violations: Vec<Violation>,
    pub total: u64,
}

impl Findings {
    fn new(start: Time, settings: AuditSettings) -> Self {
        Findings { start, settings, checks: 0, violations: Vec::new(), total: 0 }
    }

    /// The auditor's settings.
    pub fn settings(&self) -> AuditSettings {
        self.settings
    }

    /// Counts one evaluation.
    pub fn checked(&mut self) {
        self.checks += 1;
    }

    /// Records a violation of `invariant` by `object` at `at`.
    pub fn violation(&mut self, invariant: &str, object: String, at: Time, message: String) {
        self.total += 1;
        if self.violations.len() < MAX_LISTED {
            let at_ns = u64::try_from(duration_between(self.start, at).as_nanos()).unwrap_or(u64::MAX);
            self.violations.push(Violation { invariant: invariant.to_string(), object, at_ns, message });
        }
    }
}

/// A contract checked over the event stream. See the module doc.
pub trait Invariant: Send {
    /// The names of the contracts it checks (for the report).
    fn names(&self) -> &'static [&'static str];
    /// One store write, in revision order. Cheap: update per-object state, mark it dirty.
    fn observe(&mut self, ev: &AnyEvent, out: &mut Findings);
    /// The instant `now` is over (the next one is at `next`; `None`: the run
    /// ended): evaluate the objects that changed in it.
    fn settle(&mut self, now: Time, next: Option<Time>, out: &mut Findings);
    /// The load generator disrupted the cluster (killed pods, removed nodes) at `now`.
    fn disrupt(&mut self, _now: Time) {}
}

/// Every invariant kwarp knows, with `settings`.
pub fn registry(settings: AuditSettings) -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(deployment::RollingUpdateBounds::new(settings)),
        Box::new(replicaset::ReplicaSetContracts::new()),
        Box::new(statefulset::StatefulSetContracts::new()),
        Box::new(daemonset::DaemonSetContracts::new(settings)),
        Box::new(lineage::Lineage::new()),
    ]
}

/// The auditor's result, for report.json.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// False when switched off (`--no-audit`, `audit: {enabled: false}`).
    pub enabled: bool,
    /// The contracts checked.
    pub invariants: Vec<String>,
    /// Store writes observed.
    pub events: u64,
    /// Evaluations of a contract on an object.
    pub checks: u64,
    /// Every violation found (only the first [`MAX_LISTED`] are listed).
    pub violations_total: u64,
    pub violations: Vec<Violation>,
}

impl AuditReport {
    /// `auditor: 1234 checks, 0 violations` (or `auditor: off`).
    pub fn line(&self) -> String {
        if !self.enabled {
            return "auditor: off".to_string();
        }
        let mut s = format!("auditor: {} checks, {} violations", self.checks, self.violations_total);
        if let Some(v) = self.violations.first() {
            s.push_str(&format!(" (first: {v})"));
        }
        s
    }
}

/// Feeds the event stream to the invariants and the rollout recorder. See the module doc.
pub struct Auditor {
    invariants: Vec<Box<dyn Invariant>>,
    rollouts: RolloutRecorder,
    findings: Findings,
    /// The time of the events of the current instant.
    instant: Option<Time>,
    events: u64,
    enabled: bool,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("events", &self.events)
            .field("checks", &self.findings.checks)
            .field("violations", &self.findings.total)
            .finish_non_exhaustive()
    }
}

impl Auditor {
    /// An auditor with every invariant of [`registry`] (none when `enabled` is false:
    /// then it only records rollouts). `start`: the cluster time the report counts from.
    pub fn new(start: Time, settings: AuditSettings, enabled: bool) -> Self {
        let invariants = if enabled { registry(settings) } else { Vec::new() };
        Auditor::with(start, settings, invariants, enabled)
    }

    /// An auditor with the given invariants.
    pub fn with(start: Time, settings: AuditSettings, invariants: Vec<Box<dyn Invariant>>, enabled: bool) -> Self {
        Auditor {
            invariants,
            rollouts: RolloutRecorder::new(start),
            findings: Findings::new(start, settings),
            instant: None,
            events: 0,
            enabled,
        }
    }

    /// One store write, in revision order.
    pub fn observe(&mut self, ev: &AnyEvent) {
        self.events += 1;
        // Under the real clock, commits of different kinds may stamp times a
        // hair out of revision order: an earlier time belongs to the current instant.
        match self.instant {
            Some(t) if ev.time > t => {
                self.settle(t, Some(ev.time));
                self.instant = Some(ev.time);
            }
            Some(_) => {}
            None => self.instant = Some(ev.time),
        }
        for inv in &mut self.invariants {
            inv.observe(ev, &mut self.findings);
        }
        self.rollouts.observe(ev);
    }

    fn settle(&mut self, t: Time, next: Option<Time>) {
        for inv in &mut self.invariants {
            inv.settle(t, next, &mut self.findings);
        }
    }

    /// The load generator is about to disrupt the cluster at `now` (call after
    /// observing every event so far, before its writes).
    pub fn disrupt(&mut self, now: Time) {
        for inv in &mut self.invariants {
            inv.disrupt(now);
        }
    }

    /// The first violation, if any.
    pub fn first_violation(&self) -> Option<&Violation> {
        self.findings.violations.first()
    }

    /// Ends the last instant; call when no more events come.
    pub fn finish(&mut self) {
        if let Some(t) = self.instant.take() {
            self.settle(t, None);
        }
        self.rollouts.finish();
    }

    /// The result so far.
    pub fn report(&self) -> AuditReport {
        let mut invariants: Vec<String> =
            self.invariants.iter().flat_map(|i| i.names().iter().map(|n| n.to_string())).collect();
        invariants.sort();
        AuditReport {
            enabled: self.enabled,
            invariants,
            events: self.events,
            checks: self.findings.checks,
            violations_total: self.findings.total,
            violations: self.findings.violations.clone(),
        }
    }

    /// The rollouts recorded so far.
    pub fn rollouts(&self) -> &RolloutRecorder {
        &self.rollouts
    }
}

/// `Kind ns/name` for messages.
pub(crate) fn object_name(kind: &str, key: &str) -> String {
    format!("{kind} {key}")
}

/// Tracks when a bound started being broken, for [`AuditSettings::grace`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Breach {
    since: Option<Time>,
    reported: bool,
}

impl Breach {
    /// Records whether the bound is broken at the end of the instant `now`, a
    /// state that lasted until `until` (the next instant; `None`: the run ended).
    /// Returns when to report it: broken for at least `grace` and not reported
    /// yet in this episode.
    pub fn update(&mut self, broken: bool, now: Time, until: Option<Time>, grace: Duration) -> Option<Time> {
        if !broken {
            *self = Breach::default();
            return None;
        }
        let since = *self.since.get_or_insert(now);
        if self.reported {
            return None;
        }
        let at = if duration_between(since, now) >= grace {
            now
        } else {
            until.filter(|u| duration_between(since, *u) >= grace)?
        };
        self.reported = true;
        Some(at)
    }

    /// Broken and not reported yet: must be looked at again at later instants.
    pub fn pending(&self) -> bool {
        self.since.is_some() && !self.reported
    }
}

/// An [`Auditor`] fed from a store tap ([`kwarp::store::Store::subscribe_all`]),
/// drained synchronously by whoever polls it (the driver, at quiescent points).
pub struct Tap {
    rx: crossbeam_channel::Receiver<AnyEvent>,
    auditor: std::sync::Mutex<Auditor>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap").field("auditor", &*self.lock()).finish_non_exhaustive()
    }
}

impl Tap {
    /// Feeds `auditor` from `rx` (subscribed before the first write it must see).
    pub fn new(rx: crossbeam_channel::Receiver<AnyEvent>, auditor: Auditor) -> std::sync::Arc<Tap> {
        std::sync::Arc::new(Tap { rx, auditor: std::sync::Mutex::new(auditor) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Auditor> {
        self.auditor.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn drain(&self, a: &mut Auditor) {
        for ev in self.rx.try_iter() {
            a.observe(&ev);
        }
    }

    /// Observes every event that arrived; returns the first violation found so far.
    pub fn poll(&self) -> Option<Violation> {
        let mut a = self.lock();
        self.drain(&mut a);
        a.first_violation().cloned()
    }

    /// Observes every event so far, then tells the invariants the load generator disrupts the cluster at `now`.
    pub fn disrupt(&self, now: Time) {
        let mut a = self.lock();
        self.drain(&mut a);
        a.disrupt(now);
    }

    /// Observes what is left and ends the last instant (call after the cluster stopped).
    pub fn finish(&self) -> (AuditReport, Vec<RolloutRecord>) {
        let mut a = self.lock();
        self.drain(&mut a);
        a.finish();
        (a.report(), a.rollouts().records().to_vec())
    }
}
