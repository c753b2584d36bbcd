//! The `kwarp` binary: help on every subcommand, `validate` and `scenarios` output and exit codes,
//! clear errors (never a panic) on bad input.

use std::path::Path;
use std::process::{Command, Output};

fn kwarp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kwarp"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("the kwarp binary runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn every_subcommand_has_help() {
    for args in [&["--help"][..], &["run", "--help"], &["validate", "--help"], &["scenarios", "--help"]] {
        let o = kwarp(args);
        let (out, _) = text(&o);
        assert!(o.status.success(), "{args:?}");
        assert!(out.contains("Usage: kwarp"), "{args:?}: {out}");
    }
    let (out, _) = text(&kwarp(&["run", "--help"]));
    for flag in [
        "--out",
        "--clock",
        "--seed",
        "--threads",
        "--set",
        "--record-events",
        "--dump-state",
        "--no-progress",
        "--no-audit",
    ] {
        assert!(out.contains(flag), "run --help lacks {flag}");
    }
}

#[test]
fn validate_says_ok_or_lists_problems() {
    let o = kwarp(&["validate", "quickstart"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(out.starts_with("OK scenarios/quickstart.yaml: quickstart — 100 nodes"), "{out}");

    let o = kwarp(&["validate", "scenarios/quickstart.yaml", "--set", "cluster.nodes.count=-1"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err,
        "error: scenarios/quickstart.yaml: cluster.nodes.count (set by --set cluster.nodes.count=-1): must not be negative, got -1\n"
    );

    let dir = std::env::temp_dir().join(format!("kwarp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "name: bad\nsteps:\n  - addNodes: {count: 0}\n  - sleep: 0s\n").unwrap();
    let o = kwarp(&["validate", bad.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].ends_with("bad.yaml:3:16: steps[0].addNodes.count: must be at least 1"), "{err}");
    assert!(lines[1].contains("bad.yaml:4:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn scenarios_lists_the_built_in_ones() {
    let o = kwarp(&["scenarios"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(out.starts_with("NAME"), "{out}");
    assert!(
        out.contains("\nquickstart           scenarios/quickstart.yaml           100 nodes, 10 ReplicaSets"),
        "{out}"
    );
    assert!(
        out.contains("\ndeployment-rollout   scenarios/deployment-rollout.yaml   1000 nodes, 100 Deployments"),
        "{out}"
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let o = kwarp(&["run", "no-such-scenario"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.starts_with("error: no-such-scenario: no such file, and no built-in scenario"), "{err}");
    let o = kwarp(&["run", "quickstart", "--clock", "sundial"]);
    assert_eq!(o.status.code(), Some(2), "clap rejects it");
    let o = kwarp(&["run", "quickstart", "--set", "steps=[{bogus: 1}]", "--no-progress"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("(set by --set steps=[{bogus: 1}]): unknown variant `bogus`"), "{err}");
}

#[test]
fn validate_accepts_the_deployment_rollout_scenario() {
    let o = kwarp(&["validate", "scenarios/deployment-rollout.yaml"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.starts_with(
            "OK scenarios/deployment-rollout.yaml: deployment-rollout — 1000 nodes, 9 steps (measure, create, wait, \
             setImage, rollback), seed 42, virtual clock"
        ),
        "{out}"
    );
}
