//! `kwarp`: run, check and list scenarios.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use kwarp_loadgen::report::markdown;
use kwarp_loadgen::run::{self, ClusterSettings, RunOptions};
use kwarp_loadgen::scenario::{load_scenario, ClockKind, LoadedScenario, ScenarioError, Step};
use kwarp_loadgen::SimCluster;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A scale benchmark harness for Kubernetes workload controllers: a whole
/// simulated control plane in one process, driven by scenarios.
#[derive(Debug, Parser)]
#[command(name = "kwarp", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write report.json and report.md (and, on request, events.jsonl and state.json).
    Run(RunArgs),
    /// Check a scenario without running it: exit code 1 and every problem (file:line: key: what) if it is wrong.
    Validate {
        /// A scenario file, or the name of a built-in one (see `kwarp scenarios`).
        scenario: String,
        /// Override a value before checking: PATH=VALUE (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// List the built-in scenarios (in `scenarios/`).
    Scenarios,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// A scenario file, or the name of a built-in one (see `kwarp scenarios`).
    scenario: String,
    /// Output folder [default: results/<scenario name>/<UTC time>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Clock to run on (overrides the scenario's `clock`).
    #[arg(long, value_parser = ["virtual", "real"])]
    clock: Option<String>,
    /// Seed (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Runtime threads; 0 = one per core. With 1, a virtual-clock run is reproducible.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Override a scenario value: PATH=VALUE, e.g. cluster.nodes.count=1000 or steps.1.count=50 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Write events.jsonl: one line per store write.
    #[arg(long)]
    record_events: bool,
    /// Write state.json: every object at the end, as a Kubernetes List.
    #[arg(long)]
    dump_state: bool,
    /// No progress line on stderr.
    #[arg(long)]
    no_progress: bool,
    /// Switch the invariant auditor off (for pure speed runs).
    #[arg(long)]
    no_audit: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run_command(args),
        Command::Validate { scenario, set } => validate_command(&scenario, &set),
        Command::Scenarios => scenarios_command().map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_command(args: RunArgs) -> anyhow::Result<ExitCode> {
    let file = resolve(&args.scenario)?;
    let loaded = match load_scenario(&file, &args.set) {
        Ok(l) => l,
        Err(e) => return Ok(report_problems(&e)),
    };
    let opts = RunOptions {
        out: args.out,
        clock: args.clock.as_deref().map(|c| c.parse::<ClockKind>()).transpose().map_err(anyhow::Error::msg)?,
        seed: args.seed,
        threads: args.threads,
        record_events: args.record_events,
        dump_state: args.dump_state,
        progress: !args.no_progress,
        no_audit: args.no_audit,
    };
    let outcome = run::run(&loaded, &opts, &launch)?;
    print!("{}", markdown::summary(&outcome.report));
    println!("report: {}", outcome.dir.join("report.md").display());
    Ok(if outcome.failure.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[cfg(feature = "system")]
fn launch(settings: &ClusterSettings) -> Result<Box<dyn SimCluster>, String> {
    kwarp_loadgen::system_cluster::launch(settings)
}

#[cfg(not(feature = "system"))]
fn launch(_: &ClusterSettings) -> Result<Box<dyn SimCluster>, String> {
    Err("this build of kwarp has no cluster runtime (kwarp::system); build with `--features system`".to_string())
}

fn validate_command(scenario: &str, set: &[String]) -> anyhow::Result<ExitCode> {
    let file = resolve(scenario)?;
    match load_scenario(&file, set) {
        Ok(loaded) => {
            println!("OK {}: {}", file.display(), one_line(&loaded));
            for note in &loaded.notes {
                println!("note: {note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report_problems(&e)),
    }
}

fn report_problems(e: &ScenarioError) -> ExitCode {
    for p in e.problems() {
        eprintln!("error: {p}");
    }
    ExitCode::FAILURE
}

/// `quickstart — 100 nodes, 9 steps (create, scale, ...), seed 42, virtual clock`.
fn one_line(l: &LoadedScenario) -> String {
    let s = &l.scenario;
    let mut kinds: Vec<&str> = Vec::new();
    fn walk<'a>(steps: &'a [Step], n: &mut usize, kinds: &mut Vec<&'a str>) {
        for st in steps {
            *n += 1;
            if !kinds.contains(&st.keyword()) {
                kinds.push(st.keyword());
            }
            if let Step::Measure(m) = st {
                walk(&m.steps, n, kinds);
            }
        }
    }
    let mut n = 0;
    walk(&s.steps, &mut n, &mut kinds);
    format!(
        "{} — {} nodes, {n} steps ({}), seed {}, {} clock",
        s.name,
        s.cluster.nodes.count.get(),
        kinds.join(", "),
        s.seed,
        s.clock.as_str()
    )
}

/// Where the built-in scenarios are: `./scenarios`, else the source tree's.
fn scenario_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("scenarios")];
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios");
    if source.is_dir() {
        dirs.push(source);
    }
    dirs
}

/// A file path as given, or a built-in scenario's name.
fn resolve(arg: &str) -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(arg);
    if p.is_file() {
        return Ok(p);
    }
    for dir in scenario_dirs() {
        for candidate in [dir.join(arg), dir.join(format!("{arg}.yaml")), dir.join(format!("{arg}.yml"))] {
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!("{arg}: no such file, and no built-in scenario of that name (see `kwarp scenarios`)")
}

fn scenarios_command() -> anyhow::Result<()> {
    let dir = scenario_dirs().into_iter().find(|d| d.is_dir()).context("no scenarios/ folder found")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for f in &files {
        let (name, description) = match load_scenario(f, &[]) {
            Ok(l) => (l.scenario.name.clone(), l.scenario.description.clone()),
            Err(e) => (
                f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
                format!("(invalid: {})", e.problems().first().cloned().unwrap_or_default()),
            ),
        };
        rows.push(vec![name, f.display().to_string(), description]);
    }
    if rows.is_empty() {
        println!("no scenarios in {}", dir.display());
    } else {
        print!("{}", markdown::columns(&["NAME", "FILE", "DESCRIPTION"], &rows));
    }
    Ok(())
}
