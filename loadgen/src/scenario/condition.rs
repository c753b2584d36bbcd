//! Wait conditions: named predicates (`converged`) and comparisons (`readyPods >= 1000`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A number the driver keeps about the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Pods stored (any phase, terminating included).
    Pods,
    /// Active (not terminating) pods in phase Pending.
    PendingPods,
    RunningPods,
    /// Pods with the Ready condition True.
    ReadyPods,
    SucceededPods,
    FailedPods,
    /// Pods with a deletionTimestamp.
    TerminatingPods,
    Nodes,
    ReadyNodes,
    ReplicaSets,
    /// ReplicaSets that are converged (see [`Condition::Converged`]).
    ReadyReplicaSets,
}

impl Metric {
    pub const ALL: [Metric; 11] = [
        Metric::Pods,
        Metric::PendingPods,
        Metric::RunningPods,
        Metric::ReadyPods,
        Metric::SucceededPods,
        Metric::FailedPods,
        Metric::TerminatingPods,
        Metric::Nodes,
        Metric::ReadyNodes,
        Metric::ReplicaSets,
        Metric::ReadyReplicaSets,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Pods => "pods",
            Metric::PendingPods => "pendingPods",
            Metric::RunningPods => "runningPods",
            Metric::ReadyPods => "readyPods",
            Metric::SucceededPods => "succeededPods",
            Metric::FailedPods => "failedPods",
            Metric::TerminatingPods => "terminatingPods",
            Metric::Nodes => "nodes",
            Metric::ReadyNodes => "readyNodes",
            Metric::ReplicaSets => "replicaSets",
            Metric::ReadyReplicaSets => "readyReplicaSets",
        }
    }

    fn from_name(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// `==`, `!=`, `>=`, `<=`, `>`, `<`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Ge => ">=",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Lt => "<",
        }
    }
    pub fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Comparison::Eq => a == b,
            Comparison::Ne => a != b,
            Comparison::Ge => a >= b,
            Comparison::Le => a <= b,
            Comparison::Gt => a > b,
            Comparison::Lt => a < b,
        }
    }
}

/// What a `wait` step waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Every ReplicaSet converged (status.replicas == readyReplicas == spec.replicas,
    /// observedGeneration == generation) and no active pod is Pending.
    Converged,
    /// Every ReplicaSet converged (pods of other owners may still be Pending).
    ReplicaSetsReady,
    /// Every active pod is Ready.
    PodsReady,
    /// Every active pod is Running.
    PodsRunning,
    /// No active pod is Pending.
    NoPendingPods,
    /// Every node is Ready.
    NodesReady,
    /// Every Deployment, and every RollingUpdate StatefulSet and DaemonSet, is
    /// rolled out as `kubectl rollout status` says; fails at once when one
    /// exceeded its progress deadline.
    RolloutComplete,
    /// `<metric> <op> <number>`.
    Compare(Metric, Comparison, u64),
}

const NAMED: [(&str, Condition); 7] = [
    ("converged", Condition::Converged),
    ("replicaSetsReady", Condition::ReplicaSetsReady),
    ("podsReady", Condition::PodsReady),
    ("podsRunning", Condition::PodsRunning),
    ("noPendingPods", Condition::NoPendingPods),
    ("nodesReady", Condition::NodesReady),
    ("rolloutComplete", Condition::RolloutComplete),
];

impl FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == s) {
            return Ok(c.clone());
        }
        let ops = [">=", "<=", "==", "!=", ">", "<"];
        let Some((at, op)) = ops.iter().filter_map(|op| s.find(op).map(|i| (i, *op))).min_by_key(|(i, _)| *i) else {
            return Err(unknown(s));
        };
        let (lhs, rhs) = (s[..at].trim(), s[at + op.len()..].trim());
        let metric = Metric::from_name(lhs).ok_or_else(|| {
            format!("unknown metric `{lhs}` in `{s}`; metrics: {}", Metric::ALL.map(Metric::as_str).join(", "))
        })?;
        let value = rhs.parse::<u64>().map_err(|_| format!("`{rhs}` in `{s}` is not a whole number, 0 or more"))?;
        let cmp = match op {
            ">=" => Comparison::Ge,
            "<=" => Comparison::Le,
            "==" => Comparison::Eq,
            "!=" => Comparison::Ne,
            ">" => Comparison::Gt,
            _ => Comparison::Lt,
        };
        Ok(Condition::Compare(metric, cmp, value))
    }
}

fn unknown(s: &str) -> String {
    let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
    format!(
        "unknown condition `{s}`; expected one of {}, or `<metric> <op> <number>` (e.g. `readyPods >= 100`)",
        names.join(", ")
    )
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare(m, op, v) => write!(f, "{} {} {v}", m.as_str(), op.as_str()),
            named => {
                let (n, _) = NAMED.iter().find(|(_, c)| c == named).unwrap_or(&NAMED[0]);
                f.write_str(n)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_print_back() {
        for s in ["converged", "nodesReady", "readyPods >= 100", "pendingPods == 0", "replicaSets != 3", "pods < 7"] {
            let c: Condition = s.parse().unwrap();
            assert_eq!(c.to_string(), s);
        }
        assert_eq!("readyPods>=5".parse::<Condition>(), Ok(Condition::Compare(Metric::ReadyPods, Comparison::Ge, 5)));
    }

    #[test]
    fn bad_conditions_say_what_is_allowed() {
        assert!("convergd".parse::<Condition>().unwrap_err().contains("expected one of converged"));
        assert!("readyPod >= 1".parse::<Condition>().unwrap_err().contains("unknown metric `readyPod`"));
        assert!("readyPods >= x".parse::<Condition>().unwrap_err().contains("not a whole number"));
        assert!("readyPods >= -1".parse::<Condition>().is_err());
    }
}
