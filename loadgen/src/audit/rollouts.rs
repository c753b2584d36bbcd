//! Deployment rollouts as measurements: when each began (the pod template changed), when it completed, the writes it took.
//!
//! A rollout of a Deployment starts at the write that changes its pod template
//! (a `setImage`, a `rollback`, a `patch`; not the creation) and completes at the
//! first write after which [`crate::rollout::deployment_status`] says Complete.
//! A template change before completion supersedes the rollout in progress
//! (a rollover): that one is recorded as superseded, a new one starts.
//!
//! `api_calls` counts the writes (store events) to the Deployment, its
//! ReplicaSets and their pods from start to completion, the start included.
//! Controllers read from informer caches, so these are the API calls the
//! rollout cost; writes that changed nothing store no event and are not counted.

use std::collections::HashMap;
use std::sync::Arc;

use kwarp::api::{Deployment, Kind, Pod, ReplicaSet, Time};
use kwarp::clock::duration_between;
use kwarp::store::AnyResource;
use kwarp::store::{AnyEvent, EventType};
use serde::{Deserialize, Serialize};

use crate::rollout::{deployment_status, RolloutState};

/// One rollout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutRecord {
    /// `Deployment default/web-3`.
    pub object: String,
    /// Cluster time from the start of the run to the template change.
    pub start_ns: u64,
    /// Template change → complete; `None` when it did not complete.
    pub duration_ns: Option<u64>,
    pub api_calls: u64,
    /// `complete`, `superseded` (another template change came first) or `incomplete` (the run ended).
    pub outcome: String,
}

struct Dep {
    key: String,
    object: Arc<dyn AnyResource>,
    /// Index in `records` of the rollout in progress.
    current: Option<usize>,
}

/// Records rollouts from the event stream. See the module doc.
pub struct RolloutRecorder {
    start: Time,
    /// By uid.
    deployments: HashMap<String, Dep>,
    /// ReplicaSet uid → Deployment uid.
    owners: HashMap<String, String>,
    records: Vec<RolloutRecord>,
    /// Start times of the records (cluster time).
    started: Vec<Time>,
}

impl std::fmt::Debug for RolloutRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolloutRecorder").field("records", &self.records.len()).finish_non_exhaustive()
    }
}

impl RolloutRecorder {
    pub fn new(start: Time) -> Self {
        RolloutRecorder {
            start,
            deployments: HashMap::new(),
            owners: HashMap::new(),
            records: Vec::new(),
            started: Vec::new(),
        }
    }

    /// The rollouts so far, in the order they started.
    pub fn records(&self) -> &[RolloutRecord] {
        &self.records
    }

    fn since_start(&self, t: Time) -> u64 {
        u64::try_from(duration_between(self.start, t).as_nanos()).unwrap_or(u64::MAX)
    }

    /// One store write.
    pub fn observe(&mut self, ev: &AnyEvent) {
        match ev.kind {
            Kind::Deployment => self.deployment(ev),
            Kind::ReplicaSet => {
                let Some(rs) = ev.object.as_any().downcast_ref::<ReplicaSet>() else { return };
                let owner = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment").map(|r| r.uid.clone());
                match owner {
                    Some(o) if ev.type_ != EventType::Deleted => {
                        self.count(&o);
                        self.owners.insert(rs.metadata.uid.clone(), o);
                    }
                    _ => {
                        if let Some(o) = self.owners.remove(&rs.metadata.uid) {
                            self.count(&o);
                        }
                    }
                }
            }
            Kind::Pod => {
                let Some(p) = ev.object.as_any().downcast_ref::<Pod>() else { return };
                let Some(r) = p.metadata.controller_ref() else { return };
                if let Some(o) = self.owners.get(&r.uid).cloned() {
                    self.count(&o);
                }
            }
            _ => {}
        }
    }

    fn count(&mut self, dep_uid: &str) {
        if let Some(i) = self.deployments.get(dep_uid).and_then(|d| d.current) {
            self.records[i].api_calls += 1;
        }
    }

    fn deployment(&mut self, ev: &AnyEvent) {
        let Some(d) = ev.object.as_any().downcast_ref::<Deployment>() else { return };
        let uid = d.metadata.uid.clone();
        if ev.type_ == EventType::Deleted {
            self.count(&uid);
            if let Some(i) = self.deployments.remove(&uid).and_then(|d| d.current) {
                self.records[i].outcome = "incomplete".into();
            }
            return;
        }
        let at = self.since_start(ev.time);
        let entry = self.deployments.entry(uid.clone()).or_insert_with(|| Dep {
            key: d.metadata.key(),
            object: Arc::clone(&ev.object),
            current: None,
        });
        let old = entry.object.as_any().downcast_ref::<Deployment>();
        let changed = old.is_some_and(|o| o.spec.template != d.spec.template);
        entry.object = Arc::clone(&ev.object);
        if changed {
            if let Some(i) = entry.current.take() {
                self.records[i].outcome = "superseded".into();
            }
            entry.current = Some(self.records.len());
            self.records.push(RolloutRecord {
                object: format!("Deployment {}", entry.key),
                start_ns: at,
                duration_ns: None,
                api_calls: 0,
                outcome: "incomplete".into(),
            });
            self.started.push(ev.time);
        }
        self.count(&uid);
        let Some(dep) = self.deployments.get_mut(&uid) else { return };
        if let Some(i) = dep.current {
            if deployment_status(d) == RolloutState::Complete {
                dep.current = None;
                let r = &mut self.records[i];
                r.duration_ns = Some(u64::try_from(duration_between(self.started[i], ev.time).as_nanos()).unwrap_or(0));
                r.outcome = "complete".into();
            }
        }
    }

    /// The run ended: rollouts still in progress stay `incomplete`.
    pub fn finish(&mut self) {
        for d in self.deployments.values_mut() {
            d.current = None;
        }
    }
}
