//! One `kwarp run`: settings from the scenario and the flags, a cluster, the driver, the output folder.
//!
//! Output folder: `report.json` and `report.md` always (also when a step
//! fails: the report says which and why), `events.jsonl` with
//! `record_events` (one line per store write, written while the run goes),
//! `state.json` with `dump_state` (every object at the end, as a Kubernetes `List`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use kwarp::api::Time;
use kwarp::clock::duration_between;
use kwarp::sim::{KubeletConfig, SchedulerConfig};
use kwarp::store::AnyEvent;

use crate::audit::{AuditSettings, Auditor, Tap};
use crate::driver::{nanos, Driver, DriverError, SimCluster};
use crate::machine;
use crate::progress::Progress;
use crate::report::{markdown, Outcome, Phase, Report, ReportInput, Resources, ScenarioInfo, Span, Workloads};
use crate::scenario::{ClockKind, LoadedScenario};

/// What the command line adds to a scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Output folder; default `results/<scenario>/<UTC time>`.
    pub out: Option<PathBuf>,
    pub clock: Option<ClockKind>,
    pub seed: Option<u64>,
    /// Runtime threads; 0 = one per core.
    pub threads: usize,
    pub record_events: bool,
    pub dump_state: bool,
    /// Show the progress line (when stderr is a terminal).
    pub progress: bool,
    /// Switch the invariant auditor off (as the scenario's `audit: {enabled: false}`).
    pub no_audit: bool,
}

/// How to build the cluster: the scenario's settings with the flags applied.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    pub clock: ClockKind,
    pub threads: usize,
    pub seed: u64,
    pub kubelet: KubeletConfig,
    pub scheduler: SchedulerConfig,
    /// Workers per controller, by its scenario key (`replicaset`, `deployment`, ...), where the scenario sets them.
    pub controller_workers: Vec<(&'static str, usize)>,
    pub record_events: bool,
}

impl ClusterSettings {
    pub fn new(loaded: &LoadedScenario, opts: &RunOptions) -> Self {
        let scn = &loaded.scenario;
        ClusterSettings {
            clock: opts.clock.unwrap_or(scn.clock),
            threads: opts.threads,
            seed: opts.seed.unwrap_or(scn.seed),
            kubelet: scn.kubelet.clone(),
            scheduler: scn.scheduler.clone(),
            controller_workers: scn
                .controllers
                .entries()
                .into_iter()
                .filter_map(|(name, spec)| spec.map(|c| (name, c.workers.as_usize())))
                .collect(),
            record_events: opts.record_events,
        }
    }
}

/// Starts a cluster (the real system, or a test double).
pub type Launcher<'a> = &'a dyn Fn(&ClusterSettings) -> Result<Box<dyn SimCluster>, String>;

/// Why `kwarp run` could not produce a report at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start the cluster: {0}")]
    Launch(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// A finished run: where its files are, its report, and the failure if a step failed.
#[derive(Debug)]
pub struct RunOutcome {
    pub dir: PathBuf,
    pub report: Report,
    pub failure: Option<DriverError>,
}

/// Runs `loaded` on a cluster from `launch` and writes the output folder.
pub fn run(loaded: &LoadedScenario, opts: &RunOptions, launch: Launcher<'_>) -> Result<RunOutcome, RunError> {
    let scn = &loaded.scenario;
    let settings = ClusterSettings::new(loaded, opts);
    let (started_at, stamp) = machine::utc_now();
    let dir = match &opts.out {
        Some(d) => d.clone(),
        None => fresh_dir(&Path::new("results").join(&scn.name), &stamp),
    };
    let wall0 = Instant::now();
    let cluster = launch(&settings).map_err(RunError::Launch)?;
    // Subscribed before the first write: the auditor and the rollout records see every event.
    let audit_settings = match settings.clock {
        ClockKind::Virtual => AuditSettings::VIRTUAL,
        ClockKind::Real => AuditSettings::REAL,
    };
    let audit_on = scn.audit.enabled && !opts.no_audit;
    let tap = Tap::new(cluster.store().subscribe_all(), Auditor::new(cluster.now(), audit_settings, audit_on));
    std::fs::create_dir_all(&dir).map_err(|source| RunError::Io { path: dir.display().to_string(), source })?;
    let start = cluster.now();
    let events = match (opts.record_events, cluster.events()) {
        (true, Some(rx)) => Some(EventLog::start(rx, start, &dir.join("events.jsonl"))?),
        _ => None,
    };
    let store = cluster.store();
    let progress = if opts.progress { Progress::start(Arc::clone(&store), start) } else { Progress::hidden() };
    // The scenario seed drives the driver too: use the effective one.
    let mut effective = scn.clone();
    effective.seed = settings.seed;
    let (result, phases) = {
        let mut driver = Driver::new(&effective, cluster.as_ref(), progress.status());
        driver.set_audit(Arc::clone(&tap));
        let result = driver.run();
        (result, driver.phases().to_vec())
    };
    progress.finish();
    let end = cluster.now();
    let workloads = Workloads::collect(&store, end);
    if opts.dump_state {
        write_state(&store, &dir.join("state.json"))?;
    }
    drop(store);
    let metrics = cluster.shutdown();
    let (audit, rollouts) = tap.finish();
    // A violation in the last instant is only seen once the run is over.
    let result = match (result, audit.violations.first()) {
        (Ok(()), Some(v)) => Err(DriverError { step: "end of run".into(), message: format!("auditor: {v}") }),
        (r, _) => r,
    };
    let wall = wall0.elapsed();
    if let Some(log) = events {
        log.finish()?;
    }
    let cpu = machine::cpu_seconds();
    let report = Report::build(ReportInput {
        scenario: ScenarioInfo {
            name: scn.name.clone(),
            description: scn.description.clone(),
            file: loaded.file.clone(),
            overrides: loaded.overrides.iter().map(|o| o.arg.clone()).collect(),
            config: loaded.value.clone(),
        },
        seed: settings.seed,
        clock: settings.clock.as_str().to_string(),
        threads: settings.threads as u64,
        machine: machine::machine(),
        git_commit: machine::git_commit(),
        started_at,
        outcome: Outcome { ok: result.is_ok(), error: result.as_ref().err().map(ToString::to_string) },
        duration: Span { cluster_ns: nanos(duration_between(start, end)), wall_ns: nanos(wall) },
        phases: phases
            .iter()
            .map(|p| Phase {
                name: p.name.clone(),
                start_ns: nanos(p.start),
                cluster_ns: nanos(p.cluster),
                wall_ns: nanos(p.wall),
                api_calls: p.api_calls,
            })
            .collect(),
        metrics,
        resources: Resources {
            peak_rss_bytes: machine::peak_rss_bytes(),
            cpu_user_s: cpu.map(|c| c.0),
            cpu_system_s: cpu.map(|c| c.1),
        },
        workloads,
        audit,
        rollouts,
    });
    write(&dir.join("report.json"), report.to_json().as_bytes())?;
    write(&dir.join("report.md"), markdown::render(&report).as_bytes())?;
    Ok(RunOutcome { dir, report, failure: result.err() })
}

/// `base/stamp`, or `base/stamp-2`, ... when taken.
fn fresh_dir(base: &Path, stamp: &str) -> PathBuf {
    let first = base.join(stamp);
    if !first.exists() {
        return first;
    }
    (2..).map(|n| base.join(format!("{stamp}-{n}"))).find(|p| !p.exists()).unwrap_or(first)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    std::fs::write(path, bytes).map_err(|source| RunError::Io { path: path.display().to_string(), source })
}

/// state.json: `{"apiVersion":"v1","kind":"List","items":[...]}`, pretty, by kind then key.
fn write_state(store: &kwarp::store::Store, path: &Path) -> Result<(), RunError> {
    let io = |source| RunError::Io { path: path.display().to_string(), source };
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": store.dump_all()});
    let mut w = BufWriter::new(File::create(path).map_err(io)?);
    serde_json::to_writer_pretty(&mut w, &list).map_err(|e| io(e.into()))?;
    w.write_all(b"\n").map_err(io)?;
    w.flush().map_err(io)
}

/// events.jsonl, written by a thread of its own while the run goes.
struct EventLog {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<std::io::Result<()>>,
    path: PathBuf,
}

impl EventLog {
    fn start(rx: Receiver<AnyEvent>, start: Time, path: &Path) -> Result<EventLog, RunError> {
        let file = File::create(path).map_err(|source| RunError::Io { path: path.display().to_string(), source })?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kwarp-events".into())
            .spawn(move || {
                let mut w = BufWriter::with_capacity(1 << 20, file);
                let line = |w: &mut BufWriter<File>, ev: AnyEvent| -> std::io::Result<()> {
                    serde_json::to_writer(&mut *w, &ev.to_json_line(start))?;
                    w.write_all(b"\n")
                };
                loop {
                    match rx.recv_timeout(Duration::from_millis(50)) {
                        Ok(ev) => line(&mut w, ev)?,
                        Err(RecvTimeoutError::Disconnected) => break,
                        Err(RecvTimeoutError::Timeout) if flag.load(Ordering::Acquire) => break,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                }
                for ev in rx.try_iter() {
                    line(&mut w, ev)?;
                }
                w.flush()
            })
            .map_err(|source| RunError::Io { path: path.display().to_string(), source })?;
        Ok(EventLog { stop, thread, path: path.to_path_buf() })
    }

    /// Writes what is left and closes the file (call after the cluster stopped).
    fn finish(self) -> Result<(), RunError> {
        self.stop.store(true, Ordering::Release);
        let path = self.path.display().to_string();
        match self.thread.join() {
            Ok(r) => r.map_err(|source| RunError::Io { path, source }),
            Err(_) => Err(RunError::Io { path, source: std::io::Error::other("the event writer panicked") }),
        }
    }
}
