//! The workloads at the end of a run, as `kubectl get` would list them, for the report.

use std::collections::BTreeMap;

use kwarp::api::pod::PodPhase;
use kwarp::api::{Node, Pod, ReplicaSet, Time};
use kwarp::clock::duration_between;
use kwarp::store::{ListOptions, Store};
use serde::{Deserialize, Serialize};

/// ReplicaSet rows kept in the report (the total is always given).
pub const MAX_ROWS: usize = 1000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workloads {
    /// ReplicaSets in key order, at most [`MAX_ROWS`].
    pub replica_sets: Vec<ReplicaSetRow>,
    pub replica_sets_total: u64,
    /// Nodes grouped by name prefix (`node-` for node-0 ... node-99).
    pub nodes: Vec<NodeGroup>,
    pub pods: PodSummary,
}

/// `kubectl get rs`: NAME DESIRED CURRENT READY AGE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaSetRow {
    pub namespace: String,
    pub name: String,
    pub desired: i64,
    pub current: i64,
    pub ready: i64,
    /// Cluster time since creation.
    pub age_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroup {
    pub prefix: String,
    pub count: u64,
    pub ready: u64,
    pub unschedulable: u64,
    /// Pods bound to these nodes and not terminal.
    pub pods: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSummary {
    pub total: u64,
    pub pending: u64,
    pub running: u64,
    pub ready: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub terminating: u64,
}

impl Workloads {
    /// Reads the store (no API calls are counted).
    pub fn collect(store: &Store, now: Time) -> Workloads {
        let all = ListOptions::all();
        let rs = store.list::<ReplicaSet>(&all).items;
        let replica_sets = rs
            .iter()
            .take(MAX_ROWS)
            .map(|r| ReplicaSetRow {
                namespace: r.metadata.namespace.clone(),
                name: r.metadata.name.clone(),
                desired: i64::from(r.spec.replicas.unwrap_or(1)),
                current: i64::from(r.status.replicas),
                ready: i64::from(r.status.ready_replicas),
                age_ns: r.metadata.creation_timestamp.map_or(0, |t| nanos(duration_between(t, now))),
            })
            .collect();
        let pods = store.list::<Pod>(&all).items;
        let mut summary = PodSummary::default();
        let mut bound: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &pods {
            summary.total += 1;
            let terminating = p.metadata.deletion_timestamp.is_some();
            match p.phase() {
                PodPhase::Pending if !terminating => summary.pending += 1,
                PodPhase::Running if !terminating => summary.running += 1,
                PodPhase::Succeeded => summary.succeeded += 1,
                PodPhase::Failed => summary.failed += 1,
                _ => {}
            }
            if !terminating && p.is_ready() {
                summary.ready += 1;
            }
            if terminating {
                summary.terminating += 1;
            }
            if !p.spec.node_name.is_empty() && !p.is_terminal() {
                *bound.entry(p.spec.node_name.as_str()).or_default() += 1;
            }
        }
        let mut groups: BTreeMap<String, NodeGroup> = BTreeMap::new();
        for n in store.list::<Node>(&all).items.iter() {
            let name = n.metadata.name.as_str();
            let prefix = name.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
            let g = groups.entry(prefix.clone()).or_insert(NodeGroup {
                prefix,
                count: 0,
                ready: 0,
                unschedulable: 0,
                pods: 0,
            });
            g.count += 1;
            g.ready += u64::from(n.is_ready());
            g.unschedulable += u64::from(n.spec.unschedulable);
            g.pods += bound.get(name).copied().unwrap_or(0);
        }
        Workloads {
            replica_sets,
            replica_sets_total: rs.len() as u64,
            nodes: groups.into_values().collect(),
            pods: summary,
        }
    }
}

fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// An age as `kubectl get` prints it (`duration.HumanDuration`): `45s`, `5m12s`, `3h4m`, `2d3h`, `12d`.
pub fn human_age(ns: u64) -> String {
    let s = ns / 1_000_000_000;
    let (m, h, d) = (s / 60, s / 3600, s / 86_400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        match s % 60 {
            0 => format!("{m}m"),
            r => format!("{m}m{r}s"),
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        match m % 60 {
            0 => format!("{h}h"),
            r => format!("{h}h{r}m"),
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 192 {
        match h % 24 {
            0 => format!("{d}d"),
            r => format!("{d}d{r}h"),
        }
    } else if d < 730 {
        format!("{d}d")
    } else {
        format!("{}y{}d", d / 365, d % 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let s = |x: u64| human_age(x * 1_000_000_000);
        assert_eq!(s(45), "45s");
        assert_eq!(s(119), "119s");
        assert_eq!(s(312), "5m12s");
        assert_eq!(s(600), "10m");
        assert_eq!(s(3 * 3600 + 240), "3h4m");
        assert_eq!(s(10 * 3600), "10h");
        assert_eq!(s(2 * 86_400 + 3 * 3600), "2d3h");
        assert_eq!(s(12 * 86_400), "12d");
    }
}
