//! report.md and the summary `kwarp run` prints, both rendered from a [`Report`].

use std::fmt::Write as _;

use super::workloads::human_age;
use super::{Percentiles, Report};

/// report.md.
pub fn render(r: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# kwarp report: {}\n", r.scenario.name);
    if !r.scenario.description.is_empty() {
        let _ = writeln!(md, "{}\n", r.scenario.description);
    }
    md.push_str("<!-- generated from report.json by kwarp; do not edit -->\n\n");
    let outcome = match (&r.outcome.ok, &r.outcome.error) {
        (true, _) => "completed".to_string(),
        (false, Some(e)) => format!("**failed**: {e}"),
        (false, None) => "**failed**".to_string(),
    };
    let mut about = vec![
        ("outcome", outcome),
        ("scenario file", format!("`{}`", r.scenario.file)),
        ("seed", r.seed.to_string()),
        ("clock", r.clock.clone()),
        ("threads", threads(r)),
        ("machine", format!("{} cores, {} {}", r.machine.cores, r.machine.os, r.machine.arch)),
        ("kwarp", format!("{} ({})", r.kwarp_version, r.git_commit.as_deref().unwrap_or("commit unknown"))),
        ("started", r.started_at.clone()),
        ("auditor", r.audit.line().trim_start_matches("auditor: ").to_string()),
        ("cluster time", cluster_time(r.duration.cluster_ns)),
        ("wall time", short(r.duration.wall_ns)),
        ("peak RSS", r.resources.peak_rss_bytes.map_or("unknown".into(), bytes)),
        ("CPU", cpu(r)),
    ];
    if !r.scenario.overrides.is_empty() {
        let o: Vec<String> = r.scenario.overrides.iter().map(|o| format!("`--set {o}`")).collect();
        about.insert(2, ("overrides", o.join(", ")));
    }
    md.push_str(&table(&["", ""], about.into_iter().map(|(k, v)| vec![k.to_string(), v]).collect()));

    md.push_str("\n## Phases\n\n");
    let mut rows: Vec<Vec<String>> = r
        .phases
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                cluster_time(p.start_ns),
                cluster_time(p.cluster_ns),
                short(p.wall_ns),
                p.api_calls.to_string(),
            ]
        })
        .collect();
    rows.push(vec![
        "**total**".into(),
        "0s".into(),
        cluster_time(r.duration.cluster_ns),
        short(r.duration.wall_ns),
        r.api_calls.total.to_string(),
    ]);
    md.push_str(&table(&["phase", "starts at", "cluster time", "wall time", "API calls"], rows));

    if r.rollouts.started > 0 {
        md.push_str("\n## Rollouts\n\n");
        let ro = &r.rollouts;
        let _ = writeln!(
            md,
            "Deployment rollouts (template change → complete, cluster time): {} started, {} completed, \
             {} superseded, {} incomplete.\n",
            ro.started, ro.completed, ro.superseded, ro.incomplete
        );
        // One row of percentiles, each shown with `f` ("-" when nothing was counted).
        let row = |label: &str, p: &Percentiles, f: &dyn Fn(u64) -> String| {
            let cell = |v: u64| if p.count == 0 { "-".to_string() } else { f(v) };
            vec![label.to_string(), p.count.to_string(), cell(p.p50), cell(p.p90), cell(p.p99), cell(p.max)]
        };
        md.push_str(&table(
            &["", "count", "p50", "p90", "p99", "max"],
            vec![
                row("rollout duration", &ro.duration, &short),
                row("API calls per rollout", &ro.api_calls, &|v: u64| v.to_string()),
            ],
        ));
    }

    md.push_str("\n## Auditor\n\n");
    let _ = writeln!(md, "{}.", r.audit.line());
    if r.audit.enabled {
        let _ = writeln!(
            md,
            "\n{} store writes observed; contracts: {}.",
            r.audit.events,
            r.audit.invariants.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
        );
    }
    if !r.audit.violations.is_empty() {
        md.push('\n');
        for v in &r.audit.violations {
            let _ = writeln!(md, "- {}", escape(&v.to_string()));
        }
        let more = r.audit.violations_total.saturating_sub(r.audit.violations.len() as u64);
        if more > 0 {
            let _ = writeln!(md, "- ... and {more} more");
        }
    }

    md.push_str("\n## Latencies\n\n");
    let mut rows = vec![pct_row("pod start-up (created → Ready, cluster time)", &r.pod_startup)];
    for c in &r.controllers {
        rows.push(pct_row(&format!("{}: event → reconciled", c.name), &c.event_to_reconciled));
        rows.push(pct_row(&format!("{}: reconcile", c.name), &c.reconcile_duration));
        if let Some(q) = &c.queue {
            rows.push(pct_row(&format!("{}: queue wait", c.name), &q.queue_wait));
        }
    }
    md.push_str(&table(&["", "count", "p50", "p90", "p99", "p99.9", "max"], rows));

    md.push_str("\n## Controllers\n\n");
    if r.controllers.is_empty() {
        md.push_str("No controller ran.\n");
    } else {
        let rows = r
            .controllers
            .iter()
            .map(|c| {
                let q = c.queue.as_ref();
                vec![
                    c.name.clone(),
                    c.reconciles.to_string(),
                    c.errors.to_string(),
                    c.panics.to_string(),
                    c.requeues.to_string(),
                    q.map_or("-".into(), |q| q.adds.to_string()),
                    q.map_or("-".into(), |q| q.retries.to_string()),
                    q.map_or("-".into(), |q| q.depth.to_string()),
                ]
            })
            .collect();
        md.push_str(&table(
            &["controller", "reconciles", "errors", "panics", "requeues", "queue adds", "retries", "depth at end"],
            rows,
        ));
    }
    let s = &r.scheduler;
    let rt = &r.runtime;
    let _ = writeln!(
        md,
        "\nScheduler: {} pods bound, {} unschedulable attempts, {} bind conflicts. \
         Runtime: {} threads, {} messages, deepest mailbox {}, {} component panics.",
        s.scheduled,
        s.unschedulable_attempts,
        s.bind_conflicts,
        rt.threads,
        rt.messages,
        rt.max_mailbox_depth,
        rt.component_panics
    );

    md.push_str("\n## API calls\n\n");
    let rows = r
        .api_calls
        .by_client
        .iter()
        .map(|c| vec![c.client.clone(), c.verb.clone(), c.kind.clone(), c.count.to_string()])
        .collect();
    md.push_str(&table(&["client", "verb", "kind", "calls"], rows));

    md.push_str("\n## Workloads at the end\n\n");
    let w = &r.workloads;
    md.push_str("ReplicaSets:\n\n```\n");
    let show_ns = w.replica_sets.iter().any(|x| x.namespace != "default");
    let mut headers = vec!["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
    if show_ns {
        headers.insert(0, "NAMESPACE");
    }
    let shown = w.replica_sets.iter().take(50);
    let rows: Vec<Vec<String>> = shown
        .map(|x| {
            let mut row = vec![
                x.name.clone(),
                x.desired.to_string(),
                x.current.to_string(),
                x.ready.to_string(),
                human_age(x.age_ns),
            ];
            if show_ns {
                row.insert(0, x.namespace.clone());
            }
            row
        })
        .collect();
    if rows.is_empty() {
        md.push_str("No resources found\n");
    } else {
        md.push_str(&columns(&headers, &rows));
    }
    if w.replica_sets_total > rows.len() as u64 {
        let _ = writeln!(md, "... and {} more", w.replica_sets_total - rows.len() as u64);
    }
    md.push_str("```\n\nNodes (by name prefix):\n\n```\n");
    let rows: Vec<Vec<String>> = w
        .nodes
        .iter()
        .map(|g| {
            vec![
                format!("{}*", g.prefix),
                g.count.to_string(),
                g.ready.to_string(),
                (g.count - g.ready).to_string(),
                g.unschedulable.to_string(),
                g.pods.to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        md.push_str("No resources found\n");
    } else {
        md.push_str(&columns(&["NAME", "COUNT", "READY", "NOT-READY", "UNSCHEDULABLE", "PODS"], &rows));
    }
    let p = &w.pods;
    md.push_str("```\n\nPods:\n\n```\n");
    md.push_str(&columns(
        &["TOTAL", "PENDING", "RUNNING", "READY", "SUCCEEDED", "FAILED", "TERMINATING"],
        &[vec![
            p.total.to_string(),
            p.pending.to_string(),
            p.running.to_string(),
            p.ready.to_string(),
            p.succeeded.to_string(),
            p.failed.to_string(),
            p.terminating.to_string(),
        ]],
    ));
    md.push_str("```\n");
    md
}

/// The short summary `kwarp run` prints on stdout.
pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let status = if r.outcome.ok { "completed" } else { "FAILED" };
    let _ = writeln!(out, "{}: {status} (seed {}, {} clock, {})", r.scenario.name, r.seed, r.clock, threads(r));
    let mut rows: Vec<Vec<String>> = r
        .phases
        .iter()
        .map(|p| vec![p.name.clone(), cluster_time(p.cluster_ns), short(p.wall_ns), p.api_calls.to_string()])
        .collect();
    rows.push(vec![
        "total".into(),
        cluster_time(r.duration.cluster_ns),
        short(r.duration.wall_ns),
        r.api_calls.total.to_string(),
    ]);
    out.push_str(&columns(&["PHASE", "CLUSTER TIME", "WALL TIME", "API CALLS"], &rows));
    let p = &r.pod_startup;
    let w = &r.workloads;
    let _ = writeln!(
        out,
        "pods: {} ({} ready); pod start-up p50 {} p99 {} max {}",
        w.pods.total,
        w.pods.ready,
        short(p.p50),
        short(p.p99),
        short(p.max)
    );
    for c in &r.controllers {
        let _ = writeln!(
            out,
            "{}: {} reconciles, {} errors, event→reconciled p99 {}",
            c.name,
            c.reconciles,
            c.errors,
            short(c.event_to_reconciled.p99)
        );
    }
    if r.rollouts.started > 0 {
        let d = &r.rollouts.duration;
        let _ = writeln!(
            out,
            "rollouts: {} completed of {}; duration p50 {} p99 {}; API calls per rollout p50 {} p99 {}",
            r.rollouts.completed,
            r.rollouts.started,
            short(d.p50),
            short(d.p99),
            r.rollouts.api_calls.p50,
            r.rollouts.api_calls.p99
        );
    }
    let _ = writeln!(out, "{}", r.audit.line());
    let _ = writeln!(out, "peak RSS {}, CPU {}", r.resources.peak_rss_bytes.map_or("unknown".into(), bytes), cpu(r));
    if let Some(e) = &r.outcome.error {
        let _ = writeln!(out, "error: {e}");
    }
    out
}

fn threads(r: &Report) -> String {
    match (r.threads, r.runtime.threads) {
        (0, 0) => "threads: one per core".to_string(),
        (0, used) => format!("{used} threads (one per core)"),
        (1, _) => "1 thread".to_string(),
        (n, _) => format!("{n} threads"),
    }
}

fn cpu(r: &Report) -> String {
    match (r.resources.cpu_user_s, r.resources.cpu_system_s) {
        (Some(u), Some(s)) => format!("{u:.2}s user + {s:.2}s system"),
        _ => "unknown".to_string(),
    }
}

fn pct_row(name: &str, p: &Percentiles) -> Vec<String> {
    if p.count == 0 {
        return vec![name.to_string(), "0".into(), "-".into(), "-".into(), "-".into(), "-".into(), "-".into()];
    }
    vec![name.to_string(), p.count.to_string(), short(p.p50), short(p.p90), short(p.p99), short(p.p999), short(p.max)]
}

/// A cluster-time duration, Go style (`1m30s`, `250ms`, `0s`), to the millisecond.
pub fn cluster_time(ns: u64) -> String {
    let ms = ns / 1_000_000;
    kwarp::sim::format_duration(std::time::Duration::from_millis(ms))
}

/// A measured duration in 3-4 significant digits: `812ns`, `3.25µs`, `41.2ms`, `1.53s`, `2m05s`.
pub fn short(ns: u64) -> String {
    let f = ns as f64;
    match ns {
        0..=999 => format!("{ns}ns"),
        1_000..=999_999 => format!("{}µs", sig(f / 1e3)),
        1_000_000..=999_999_999 => format!("{}ms", sig(f / 1e6)),
        1_000_000_000..=59_999_999_999 => format!("{}s", sig(f / 1e9)),
        _ => {
            let s = ns / 1_000_000_000;
            if s < 3600 {
                format!("{}m{:02}s", s / 60, s % 60)
            } else {
                format!("{}h{:02}m", s / 3600, s / 60 % 60)
            }
        }
    }
}

/// Three significant digits, trailing zeros dropped.
fn sig(x: f64) -> String {
    let s = if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn bytes(b: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let m = b as f64 / MIB;
    if m >= 1024.0 {
        format!("{} GiB", sig(m / 1024.0))
    } else {
        format!("{} MiB", sig(m))
    }
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown table.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(out, "|{}|", headers.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// Aligned columns, three spaces apart, as `kubectl get` prints them.
pub fn columns(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let pad = widths[i] - c.chars().count() + 3;
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short(812), "812ns");
        assert_eq!(short(3_250), "3.25µs");
        assert_eq!(short(41_200_000), "41.2ms");
        assert_eq!(short(1_530_000_000), "1.53s");
        assert_eq!(short(125_000_000_000), "2m05s");
        assert_eq!(short(2_000_000), "2ms");
        assert_eq!(cluster_time(90_000_000_123), "1m30s");
    }

    #[test]
    fn columns_align() {
        let s = columns(&["NAME", "READY"], &[vec!["web-10".into(), "3".into()]]);
        assert_eq!(s, "NAME     READY\nweb-10   3\n");
    }
}
