//! The step driver: replays a scenario's steps against a running cluster, on the cluster's clock.
//!
//! The driver sees the cluster only through [`ClusterHandle`]: the store and
//! its clients, the kubelet's fault API, and the three ways to let time pass
//! (`settle`, `run_for`, `run_until`). Under the virtual clock nothing moves
//! between those calls, so every write a step makes lands at one instant of
//! cluster time, and a `wait` advances time only as far as its condition needs.
//!
//! Per step: writes go through the store client `loadgen` (counted like any
//! other client), then the cluster settles. Waits are conditions over the
//! [`observe::Tracker`]'s counters. A `measure` step records a [`PhaseRecord`]:
//! wall time, cluster time and API calls spent in its nested steps; the nodes of
//! `cluster.nodes` are created and awaited in an implicit first phase, `setup`.
//!
//! Determinism: targets are taken in key order, node names are numbered per
//! prefix, and `killPods` chooses its victims from a stream seeded by the
//! scenario seed and the step's position.

pub mod objects;
pub mod observe;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use kwarp::api::{AnyObject, Kind, Node, Pod, Time};
use kwarp::clock::{duration_between, duration_nanos};
use kwarp::sim::latency::format_duration;
use kwarp::sim::{CrashMode, Kubelet};
use kwarp::store::{AnyEvent, Client, ClientOptions, DeleteOptions, Latency, ListOptions, Store};

use crate::audit::Tap;
use crate::jsonpath::Path;
use crate::progress::Status;
use crate::report::RunMetrics;
use crate::scenario::{
    stamp, AddNodesStep, Condition, CreateStep, KillMode, KillPodsStep, NodeTemplate, RemoveNodesStep, RollbackStep,
    Scenario, SetImageStep, SetStep, Step, Target, WaitFor, DEFAULT_WAIT_TIMEOUT,
};
use objects::Write;
use observe::Tracker;

/// What the driver needs from a running cluster.
pub trait ClusterHandle {
    /// The API server (for reads that are not cluster traffic: targets, counters).
    fn store(&self) -> Arc<Store>;
    /// The kubelet (fault injection); `None` if the cluster has none.
    fn kubelet(&self) -> Option<Arc<Kubelet>>;
    /// Cluster time now.
    fn now(&self) -> Time;
    /// Lets the system process everything that is ready, without moving time.
    fn settle(&self);
    /// Lets `d` of cluster time pass.
    fn run_for(&self, d: Duration);
    /// Runs until `done()` holds (checked whenever the system is quiescent) or
    /// `timeout` of cluster time passed: `Ok(cluster time taken)` or `Err(time waited)`.
    fn run_until(&self, done: &mut dyn FnMut() -> bool, timeout: Duration) -> Result<Duration, Duration>;
    /// Runs `writes` (one step's store writes) with no component running
    /// meanwhile; what they make ready runs at the next `settle` / `run_*`.
    /// Without it, components react while a step is still writing, and the
    /// interleaving (so the event log) differs from run to run even on one thread.
    fn exclusive(&self, writes: &mut dyn FnMut()) {
        writes();
    }
}

/// A cluster [`crate::run`] can start, drive and stop.
pub trait SimCluster: ClusterHandle {
    /// Every store write from the start, when the cluster was started with `record_events`.
    fn events(&self) -> Option<Receiver<AnyEvent>>;
    /// The metrics so far.
    fn metrics(&self) -> RunMetrics;
    /// Stops every component (draining queues) and returns the final metrics.
    fn shutdown(self: Box<Self>) -> RunMetrics;
}

/// Why a run stopped early: the step (path and what it is) and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {message}")]
pub struct DriverError {
    /// `steps[3] (wait converged)`, `steps[2].measure.steps[0] (scale ...)`, or `setup`.
    pub step: String,
    pub message: String,
}

/// One measured phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseRecord {
    pub name: String,
    /// Cluster time from the start of the run to the start of the phase.
    pub start: Duration,
    /// Cluster time spent in the phase.
    pub cluster: Duration,
    pub wall: Duration,
    /// API calls (every client) during the phase.
    pub api_calls: u64,
}

/// The name of the implicit phase that creates `cluster.nodes`.
pub const SETUP_PHASE: &str = "setup";

/// Replays one scenario on one cluster. See the module doc.
pub struct Driver<'a> {
    scn: &'a Scenario,
    cluster: &'a dyn ClusterHandle,
    store: Arc<Store>,
    client: Client,
    tracker: Arc<Tracker>,
    status: Status,
    start: Time,
    /// Next number per node name prefix.
    next_node: BTreeMap<String, u64>,
    phases: Vec<PhaseRecord>,
    /// The invariant auditor, polled at every quiescent point of a wait and after every step.
    audit: Option<Arc<Tap>>,
}

impl fmt::Debug for Driver<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver").field("scenario", &self.scn.name).field("phases", &self.phases).finish_non_exhaustive()
    }
}

impl<'a> Driver<'a> {
    /// `status` receives the current phase and step (for the progress bar).
    pub fn new(scn: &'a Scenario, cluster: &'a dyn ClusterHandle, status: Status) -> Self {
        let store = cluster.store();
        let client = store.client_with("loadgen", loadgen_client_options(scn));
        let tracker = Tracker::new(Arc::clone(&store));
        let start = cluster.now();
        Driver {
            scn,
            cluster,
            store,
            client,
            tracker,
            status,
            start,
            next_node: BTreeMap::new(),
            phases: Vec::new(),
            audit: None,
        }
    }

    /// Checks the run with `tap`'s auditor: the first violation fails the step it is found in.
    pub fn set_audit(&mut self, tap: Arc<Tap>) {
        self.audit = Some(tap);
    }

    /// `Err` with the auditor's first violation, if any.
    fn audited(&self) -> Result<(), String> {
        match self.audit.as_ref().and_then(|a| a.poll()) {
            Some(v) => Err(format!("auditor: {v}")),
            None => Ok(()),
        }
    }

    /// Lets `d` of cluster time pass (stopping early when the auditor finds a violation).
    fn pass(&mut self, d: Duration) -> Result<(), String> {
        match &self.audit {
            None => self.cluster.run_for(d),
            Some(a) => {
                let a = Arc::clone(a);
                let _ = self.cluster.run_until(&mut || a.poll().is_some(), d);
            }
        }
        self.audited()
    }

    /// Tells the auditor the next writes disrupt the cluster (killed pods, removed nodes).
    fn disrupt(&self) {
        if let Some(a) = &self.audit {
            a.disrupt(self.cluster.now());
        }
    }

    /// The phases measured so far (the one in progress, if any, with zero durations).
    pub fn phases(&self) -> &[PhaseRecord] {
        &self.phases
    }

    /// The cluster time when the driver was made.
    pub fn start(&self) -> Time {
        self.start
    }

    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.tracker
    }

    /// Creates the initial nodes, then replays every step. Stops at the first failure.
    pub fn run(&mut self) -> Result<(), DriverError> {
        let nodes = self.scn.cluster.nodes.count.get();
        self.measure(SETUP_PHASE, |d| {
            d.status.set_step("creating nodes");
            let template = d.scn.cluster.nodes.template();
            d.add_nodes(&template, nodes, None).map_err(setup_error)?;
            d.audited().map_err(setup_error)?;
            if nodes > 0 {
                d.wait_for(&Condition::NodesReady, DEFAULT_WAIT_TIMEOUT).map_err(setup_error)?;
            }
            Ok(())
        })?;
        let steps = &self.scn.steps;
        self.run_steps(steps, "steps")
    }

    fn run_steps(&mut self, steps: &'a [Step], at: &str) -> Result<(), DriverError> {
        for (i, step) in steps.iter().enumerate() {
            let here = format!("{at}[{i}]");
            self.status.set_step(&format!("{here} {}", describe(step)));
            if let Step::Measure(m) = step {
                self.measure(&m.name, |d| d.run_steps(&m.steps, &format!("{here}.measure.steps")))?;
                continue;
            }
            self.step(step, &here)
                .and_then(|()| self.audited())
                .map_err(|message| DriverError { step: format!("{here} ({})", describe(step)), message })?;
        }
        Ok(())
    }

    /// Runs `f` as the phase `name`, recording it even when `f` fails. Phases
    /// are listed in the order they start (an enclosing phase before those inside it).
    fn measure<R>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let previous = self.status.phase();
        self.status.set_phase(name);
        let (wall0, t0, calls0) = (Instant::now(), self.cluster.now(), self.api_calls());
        let slot = self.phases.len();
        let start = duration_between(self.start, t0);
        let record = |cluster, wall, api_calls| PhaseRecord { name: name.to_string(), start, cluster, wall, api_calls };
        self.phases.push(record(Duration::ZERO, Duration::ZERO, 0));
        let out = f(self);
        let t1 = self.cluster.now();
        self.phases[slot] = record(duration_between(t0, t1), wall0.elapsed(), self.api_calls() - calls0);
        self.status.set_phase(&previous);
        out
    }

    fn api_calls(&self) -> u64 {
        self.store.api_call_counts().entries.iter().map(|e| e.count).sum()
    }

    /// Runs `f` (store writes only, no waiting) through [`ClusterHandle::exclusive`].
    fn writes<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let cluster = self.cluster;
        let mut f = Some(f);
        let mut out = None;
        cluster.exclusive(&mut || {
            if let Some(f) = f.take() {
                out = Some(f(self));
            }
        });
        out.unwrap_or_else(|| unreachable!("exclusive runs its writes exactly once"))
    }

    fn step(&mut self, step: &'a Step, here: &str) -> Result<(), String> {
        match step {
            Step::Wait(w) => match &w.until {
                WaitFor::Condition(c) => return self.wait_for(c, w.timeout).map(|_| ()),
                WaitFor::Duration(d) => self.pass(*d)?,
            },
            Step::Sleep(d) => self.pass(*d)?,
            Step::Measure(_) => unreachable!("run_steps runs measures"),
            Step::AddNodes(a) => {
                self.add_nodes_step(a)?;
                self.cluster.settle();
            }
            _ => {
                self.writes(|d| d.write_step(step, here))?;
                self.cluster.settle();
            }
        }
        Ok(())
    }

    /// The store writes of one step (not waits, sleeps, measures or rated node additions).
    fn write_step(&mut self, step: &Step, here: &str) -> Result<(), String> {
        match step {
            Step::Create(c) => self.create(c),
            Step::Update(s) => self.set(s, Write::Update),
            Step::Patch(s) => self.set(s, Write::Patch),
            Step::Scale(s) => {
                let sets = [(Path(vec!["spec".into(), "replicas".into()]), serde_json::json!(s.replicas.get()))];
                for (ns, name) in self.targets(&s.target)? {
                    objects::set_fields(&self.client, s.target.kind(), &ns, &name, &sets, Write::Patch)?;
                }
                Ok(())
            }
            Step::Delete(d) => {
                if matches!(d.target.kind(), Kind::Pod | Kind::Node | Kind::ReplicaSet) {
                    self.disrupt();
                }
                let mut opts = DeleteOptions::default();
                if let Some(g) = d.grace_period {
                    opts = opts.grace(i64::try_from(g.as_secs()).unwrap_or(i64::MAX));
                }
                let mut targets = self.targets(&d.target)?;
                if let Some(n) = d.count {
                    targets.truncate(n.as_usize());
                }
                for (ns, name) in targets {
                    objects::delete(&self.client, d.target.kind(), &ns, &name, &opts).map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Step::RemoveNodes(r) => {
                self.disrupt();
                self.remove_nodes(r)
            }
            Step::KillPods(k) => {
                self.disrupt();
                self.kill_pods(k, here)
            }
            Step::SetImage(si) => self.set_image(si),
            Step::Rollback(r) => self.rollback(r),
            Step::Pause(p) | Step::Resume(p) => {
                let paused = matches!(step, Step::Pause(_));
                let sets = [(Path(vec!["spec".into(), "paused".into()]), serde_json::json!(paused))];
                for (ns, name) in self.some_targets(&p.target, p.count)? {
                    objects::set_fields(&self.client, Kind::Deployment, &ns, &name, &sets, Write::Patch)
                        .map_err(|e| format!("Deployment {ns}/{name}: {e}"))?;
                }
                Ok(())
            }
            Step::AddNodes(_) | Step::Wait(_) | Step::Sleep(_) | Step::Measure(_) => Ok(()),
        }
    }

    /// Waits until `c` holds; `Err` says what was seen at the timeout, why `c`
    /// cannot hold any more, or what the auditor found.
    fn wait_for(&mut self, c: &Condition, timeout: Duration) -> Result<Duration, String> {
        let tracker = Arc::clone(&self.tracker);
        let audit = self.audit.clone();
        let stop =
            |tracker: &Tracker| audit.as_ref().is_some_and(|a| a.poll().is_some()) || tracker.failure(c).is_some();
        if !stop(&tracker) && tracker.holds(c) {
            return Ok(Duration::ZERO);
        }
        let mut done = || stop(&tracker) || tracker.holds(c);
        let result = self.cluster.run_until(&mut done, timeout);
        self.audited()?;
        if let Some(why) = self.tracker.failure(c) {
            return Err(format!("{c} cannot be reached: {why}"));
        }
        result.map_err(|waited| {
            format!(
                "timed out after {} of cluster time waiting for {c}: {}",
                format_duration(waited),
                self.tracker.describe(c)
            )
        })
    }

    fn targets(&self, t: &Target) -> Result<Vec<(String, String)>, String> {
        let found = objects::select(&self.store, t);
        if found.is_empty() {
            return Err(format!("no {t} found"));
        }
        Ok(found)
    }

    /// The targets of a step with an optional `count` (the first ones by key).
    fn some_targets(&self, t: &Target, count: Option<crate::scenario::Count>) -> Result<Vec<(String, String)>, String> {
        let mut found = self.targets(t)?;
        if let Some(n) = count {
            found.truncate(n.as_usize());
        }
        Ok(found)
    }

    fn set_image(&mut self, si: &SetImageStep) -> Result<(), String> {
        let kind = si.target.kind();
        for (ns, name) in self.some_targets(&si.target, si.count)? {
            objects::patch_template(&self.client, kind, &ns, &name, &mut |t| {
                objects::set_image(t, &si.container, &si.image)
            })
            .map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        }
        Ok(())
    }

    fn rollback(&mut self, r: &RollbackStep) -> Result<(), String> {
        let kind = r.target.kind();
        let to = r.to_revision.map_or(0, |n| i64::try_from(n.get()).unwrap_or(i64::MAX));
        for (ns, name) in self.some_targets(&r.target, r.count)? {
            objects::rollback(&self.client, kind, &ns, &name, to).map_err(|e| format!("{kind} {ns}/{name}: {e}"))?;
        }
        Ok(())
    }

    fn create(&mut self, c: &CreateStep) -> Result<(), String> {
        for obj in &c.objects {
            let copies: Vec<Option<u64>> = match c.count {
                None => vec![None],
                Some(n) => (0..n.get()).map(Some).collect(),
            };
            // Without placeholders a copy differs only in its name: decode once.
            let plain = !obj.to_string().contains("${");
            let template = if plain { Some(decode(stamp(obj, None, c.namespace.as_deref()))?) } else { None };
            for i in copies {
                let typed = match (&template, i) {
                    (Some(t), None) => t.clone(),
                    (Some(t), Some(i)) => {
                        let mut o = t.clone();
                        let meta = o.meta_mut();
                        if !meta.name.is_empty() {
                            meta.name = format!("{}-{i}", meta.name);
                        }
                        o
                    }
                    (None, i) => decode(stamp(obj, i, c.namespace.as_deref()))?,
                };
                objects::create(&self.client, typed).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn set(&mut self, s: &SetStep, write: Write) -> Result<(), String> {
        let sets: Vec<(Path, serde_json::Value)> = s
            .set
            .iter()
            .map(|(k, v)| Path::parse(k).map(|p| (p, v.clone())).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        for (ns, name) in self.targets(&s.target)? {
            objects::set_fields(&self.client, s.target.kind(), &ns, &name, &sets, write)
                .map_err(|e| format!("{} {ns}/{name}: {e}", s.target.kind))?;
        }
        Ok(())
    }

    fn add_nodes_step(&mut self, a: &AddNodesStep) -> Result<(), String> {
        let template = match &a.template {
            Some(name) => {
                self.scn.cluster.node_templates.get(name).cloned().ok_or_else(|| format!("no template {name}"))?
            }
            None => self.scn.cluster.nodes.template(),
        };
        self.add_nodes(&template, a.count.get(), a.rate)
    }

    /// Creates `count` nodes from `template`, all at once or `rate` per second of cluster time.
    fn add_nodes(&mut self, template: &NodeTemplate, count: u64, rate: Option<f64>) -> Result<(), String> {
        // Batches of about a tenth of a second's worth (at least one node).
        let (batch, pause) = match rate {
            None => (count.max(1), Duration::ZERO),
            Some(r) => {
                let batch = (r * 0.1).round().max(1.0);
                (batch as u64, Duration::from_secs_f64(batch / r))
            }
        };
        let mut made = 0;
        while made < count {
            let n = batch.min(count - made);
            self.writes(|d| -> Result<(), String> {
                for _ in 0..n {
                    let next = d.next_node.entry(template.name_prefix.clone()).or_insert(0);
                    let name = format!("{}{next}", template.name_prefix);
                    *next += 1;
                    d.client.create(objects::node(template, &name)).map_err(|e| e.to_string())?;
                }
                Ok(())
            })?;
            made += n;
            if made < count && !pause.is_zero() {
                self.pass(pause)?;
            }
        }
        Ok(())
    }

    fn remove_nodes(&mut self, r: &RemoveNodesStep) -> Result<(), String> {
        let listed = self.store.list::<Node>(&ListOptions::all()).items;
        let mut names: Vec<&str> = listed
            .iter()
            .filter(|n| r.name_prefix.as_ref().is_none_or(|p| n.metadata.name.starts_with(p.as_str())))
            .filter(|n| r.selector.as_ref().is_none_or(|s| s.iter().all(|(k, v)| n.metadata.labels.get(k) == Some(v))))
            .map(|n| n.metadata.name.as_str())
            .collect();
        names.sort_by(|a, b| objects::name_number(b).cmp(&objects::name_number(a)));
        let want = r.count.as_usize();
        if names.len() < want {
            return Err(format!("wanted to remove {want} nodes, found {} that match", names.len()));
        }
        for name in &names[..want] {
            objects::delete(&self.client, Kind::Node, "", name, &DeleteOptions::default())
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn kill_pods(&mut self, k: &KillPodsStep, here: &str) -> Result<(), String> {
        let mut opts = ListOptions::all();
        if let Some(ns) = &k.namespace {
            opts = opts.in_namespace(ns.clone());
        }
        let listed = self.store.list::<Pod>(&opts).items;
        let mut running: Vec<&Pod> = listed
            .iter()
            .map(|p| &**p)
            .filter(|p| p.phase() == kwarp::api::pod::PodPhase::Running && p.metadata.deletion_timestamp.is_none())
            .filter(|p| k.selector.as_ref().is_none_or(|s| s.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v))))
            .collect();
        let want = k.count.as_usize();
        if running.len() < want {
            return Err(format!("wanted to kill {want} running pods, found {} that match", running.len()));
        }
        // A partial Fisher–Yates shuffle from a stream of this step's own.
        let mut rng = SplitMix::new(self.scn.seed, here);
        for i in 0..want {
            let j = i + (rng.next_u64() % (running.len() - i) as u64) as usize;
            running.swap(i, j);
        }
        let kubelet = self.cluster.kubelet();
        for pod in &running[..want] {
            let key = pod.metadata.key();
            match k.mode {
                KillMode::Delete => {
                    objects::delete(
                        &self.client,
                        Kind::Pod,
                        &pod.metadata.namespace,
                        &pod.metadata.name,
                        &Default::default(),
                    )
                    .map_err(|e| e.to_string())?;
                }
                KillMode::Fail | KillMode::Restart => {
                    let kubelet = kubelet.as_ref().ok_or("this cluster has no kubelet to crash pods with")?;
                    let mode = if k.mode == KillMode::Fail { CrashMode::Fail } else { CrashMode::Restart };
                    kubelet.crash_pod(&key, mode).map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }
}

/// SplitMix64 seeded by (seed, a name): a small deterministic stream.
struct SplitMix(u64);

impl SplitMix {
    fn new(seed: u64, name: &str) -> Self {
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        SplitMix(seed ^ h.rotate_left(17))
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn setup_error(message: String) -> DriverError {
    DriverError { step: format!("{SETUP_PHASE} (cluster.nodes)"), message }
}

fn decode(v: serde_json::Value) -> Result<AnyObject, String> {
    AnyObject::from_json_value(v).map_err(|e| e.to_string())
}

/// The loadgen client's pacing, from `api:`.
fn loadgen_client_options(scn: &Scenario) -> ClientOptions {
    let mut opts = ClientOptions::default();
    if let Some(limits) = scn.api.clients.get("loadgen") {
        opts = opts.rate_limit(limits.qps, u32::try_from(limits.burst.get()).unwrap_or(u32::MAX));
    }
    match &scn.api.latency {
        Some(kwarp::sim::Dist::Fixed(d)) if !d.is_zero() => opts = opts.latency(Latency::Fixed(*d)),
        Some(kwarp::sim::Dist::Uniform { min, max }) => opts = opts.latency(Latency::Uniform { lo: *min, hi: *max }),
        _ => {}
    }
    opts
}

/// A step in a few words, for messages and the progress bar.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Create(c) => {
            let what = match (&c.manifest, c.objects.first()) {
                (Some(m), _) => format!("manifest {m}"),
                (None, Some(o)) => {
                    let kind = o.get("kind").and_then(|k| k.as_str()).unwrap_or("object");
                    let name = o.pointer("/metadata/name").and_then(|n| n.as_str()).unwrap_or("");
                    format!("{kind} {name}")
                }
                (None, None) => "object".to_string(),
            };
            match c.count {
                Some(n) => format!("create {} × {what}", n.get()),
                None => format!("create {what}"),
            }
        }
        Step::Update(s) => format!("update {}", s.target),
        Step::Patch(s) => format!("patch {}", s.target),
        Step::Scale(s) => format!("scale {} to {}", s.target, s.replicas.get()),
        Step::Delete(d) => format!("delete {}", d.target),
        Step::AddNodes(a) => format!("addNodes {}", a.count.get()),
        Step::RemoveNodes(r) => format!("removeNodes {}", r.count.get()),
        Step::KillPods(k) => format!("killPods {} ({:?})", k.count.get(), k.mode),
        Step::SetImage(si) => format!("setImage {} {}={}", si.target, si.container, si.image),
        Step::Rollback(r) => match r.to_revision {
            Some(n) => format!("rollback {} to revision {}", r.target, n.get()),
            None => format!("rollback {}", r.target),
        },
        Step::Pause(p) => format!("pause {}", p.target),
        Step::Resume(p) => format!("resume {}", p.target),
        Step::Wait(w) => match &w.until {
            WaitFor::Condition(c) => format!("wait {c}"),
            WaitFor::Duration(d) => format!("wait {}", format_duration(*d)),
        },
        Step::Measure(m) => format!("measure {}", m.name),
        Step::Sleep(d) => format!("sleep {}", format_duration(*d)),
    }
}

/// Nanoseconds of a duration, saturating (for reports).
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(duration_nanos(d)).unwrap_or(0)
}
