//! What a node's kubelet posts: Ready with the pressure conditions, or Ready=Unknown once it stops; a made-up host IP.

use crate::api::pod::{Condition, ConditionStatus};
use crate::api::{Node, Time};

/// The node status a kubelet write carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeReport {
    /// Ready=True, MemoryPressure / DiskPressure / PIDPressure False (added when absent),
    /// allocatable = capacity when the node reports none.
    Ready,
    /// Ready=Unknown, as the node lifecycle controller marks a node whose kubelet went silent.
    Unknown,
}

/// `node` with the report applied (a copy to send as a status update).
pub fn report(node: &Node, r: NodeReport, now: Time) -> Node {
    let mut n = node.clone();
    let conds = &mut n.status.conditions;
    match r {
        NodeReport::Ready => {
            set_condition(
                conds,
                "Ready",
                ConditionStatus::True,
                "KubeletReady",
                "kubelet is posting ready status",
                now,
            );
            for (t, reason, msg) in [
                ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ] {
                if !conds.iter().any(|c| c.type_ == t) {
                    conds.push(Condition::new(t, ConditionStatus::False, reason, msg, now));
                }
            }
            if n.status.allocatable.is_empty() {
                n.status.allocatable = n.status.capacity.clone();
            }
        }
        NodeReport::Unknown => {
            let msg = "Kubelet stopped posting node status.";
            set_condition(conds, "Ready", ConditionStatus::Unknown, "NodeStatusUnknown", msg, now);
        }
    }
    n
}

/// Replaces (or appends) a condition; lastTransitionTime moves only when the status changes.
pub fn set_condition(
    conds: &mut Vec<Condition>,
    type_: &str,
    status: ConditionStatus,
    reason: &str,
    msg: &str,
    now: Time,
) {
    let mut c = Condition::new(type_, status, reason, msg, now);
    match conds.iter_mut().find(|c| c.type_ == type_) {
        Some(old) => {
            if old.status == status {
                c.last_transition_time = old.last_transition_time;
            }
            *old = c;
        }
        None => conds.push(c),
    }
}

/// A stable made-up address for a node (`10.x.y.z` from a hash of its name).
pub fn host_ip(node: &str) -> String {
    let h = node.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    format!("10.{}.{}.{}", (h >> 16) & 0x3f, (h >> 8) & 0xff, (h & 0xff).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::find_condition;
    use crate::api::{ObjectMeta, Quantity};

    #[test]
    fn ready_report_adds_conditions_and_allocatable_and_keeps_transition_times() {
        let mut n = Node { metadata: ObjectMeta::named("", "n"), ..Default::default() };
        n.status.capacity.insert("cpu".into(), Quantity::parse("4").unwrap());
        let (t1, t2) = (Time::from_secs(10), Time::from_secs(20));
        let ready = report(&n, NodeReport::Ready, t1);
        let types: Vec<&str> = ready.status.conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]);
        assert_eq!(ready.status.allocatable, n.status.capacity);
        let again = report(&ready, NodeReport::Ready, t2);
        assert_eq!(find_condition(&again.status.conditions, "Ready").unwrap().last_transition_time, Some(t1));
        let lost = report(&again, NodeReport::Unknown, t2);
        let c = find_condition(&lost.status.conditions, "Ready").unwrap();
        assert_eq!(
            (c.status, c.reason.as_str(), c.last_transition_time),
            (ConditionStatus::Unknown, "NodeStatusUnknown", Some(t2))
        );
        assert_eq!(host_ip("n"), host_ip("n"));
    }
}
