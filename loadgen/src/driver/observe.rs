//! What the driver knows about the cluster: counters over pods, ReplicaSets and nodes, kept from watches.
//!
//! Wait conditions are checked at every quiescent point of a run (for a lognormal
//! start-up, once per pod transition), so they must not scan the cluster. The
//! [`Tracker`] lists each kind once, then watches it straight from the store
//! (not through a counted client: it is the harness observing, not a cluster
//! component), and on every check applies only the events that arrived since:
//! O(new events), not O(objects).
//!
//! Invariant (after [`Tracker::sync`]): every counter equals what a scan of the
//! stored objects at the last applied revision would give; `unconverged` holds
//! exactly the keys of the ReplicaSets that are not converged.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crossbeam_channel::TryRecvError;
use kwarp::api::pod::PodPhase;
use kwarp::api::{DaemonSet, Deployment, Node, Pod, ReplicaSet, Resource, StatefulSet};
use kwarp::store::{EventType, ListOptions, Store, Watch};

use crate::rollout::{daemonset_status, deployment_status, statefulset_status, RolloutState};
use crate::scenario::{Condition, Metric};

/// Counts of pods by state, nodes and ReplicaSets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pods: u64,
    /// Neither terminal nor terminating.
    pub active_pods: u64,
    pub pending_pods: u64,
    pub running_pods: u64,
    pub ready_pods: u64,
    pub succeeded_pods: u64,
    pub failed_pods: u64,
    pub terminating_pods: u64,
    pub nodes: u64,
    pub ready_nodes: u64,
    pub replica_sets: u64,
    pub converged_replica_sets: u64,
    /// Deployments, and RollingUpdate StatefulSets and DaemonSets (what `kubectl rollout status` can watch).
    pub rollouts: u64,
    /// Of those, the ones `kubectl rollout status` calls complete.
    pub rollouts_complete: u64,
    /// Of those, the ones that will not complete (progress deadline exceeded).
    pub rollouts_failed: u64,
}

impl Counts {
    pub fn get(&self, m: Metric) -> u64 {
        match m {
            Metric::Pods => self.pods,
            Metric::PendingPods => self.pending_pods,
            Metric::RunningPods => self.running_pods,
            Metric::ReadyPods => self.ready_pods,
            Metric::SucceededPods => self.succeeded_pods,
            Metric::FailedPods => self.failed_pods,
            Metric::TerminatingPods => self.terminating_pods,
            Metric::Nodes => self.nodes,
            Metric::ReadyNodes => self.ready_nodes,
            Metric::ReplicaSets => self.replica_sets,
            Metric::ReadyReplicaSets => self.converged_replica_sets,
        }
    }

    /// Whether `c` holds for these counts.
    pub fn holds(&self, c: &Condition) -> bool {
        match c {
            Condition::Converged => self.converged_replica_sets == self.replica_sets && self.pending_pods == 0,
            Condition::ReplicaSetsReady => self.converged_replica_sets == self.replica_sets,
            Condition::PodsReady => self.ready_pods == self.active_pods,
            Condition::PodsRunning => self.running_pods == self.active_pods,
            Condition::NoPendingPods => self.pending_pods == 0,
            Condition::NodesReady => self.ready_nodes == self.nodes,
            Condition::RolloutComplete => self.rollouts_complete == self.rollouts,
            Condition::Compare(m, op, v) => op.holds(self.get(*m), *v),
        }
    }
}

/// What one pod contributes to the counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PodFlags {
    active: bool,
    pending: bool,
    running: bool,
    ready: bool,
    succeeded: bool,
    failed: bool,
    terminating: bool,
}

impl PodFlags {
    fn of(p: &Pod) -> Self {
        let phase = p.phase();
        let terminating = p.metadata.deletion_timestamp.is_some();
        let terminal = matches!(phase, PodPhase::Succeeded | PodPhase::Failed);
        let active = !terminating && !terminal;
        PodFlags {
            active,
            pending: active && phase == PodPhase::Pending,
            running: active && phase == PodPhase::Running,
            ready: active && p.is_ready(),
            succeeded: phase == PodPhase::Succeeded,
            failed: phase == PodPhase::Failed,
            terminating,
        }
    }

    fn apply(self, c: &mut Counts, sign: i64) {
        let add = |x: &mut u64, on: bool| {
            if on {
                *x = x.wrapping_add_signed(sign);
            }
        };
        add(&mut c.pods, true);
        add(&mut c.active_pods, self.active);
        add(&mut c.pending_pods, self.pending);
        add(&mut c.running_pods, self.running);
        add(&mut c.ready_pods, self.ready);
        add(&mut c.succeeded_pods, self.succeeded);
        add(&mut c.failed_pods, self.failed);
        add(&mut c.terminating_pods, self.terminating);
    }
}

/// A ReplicaSet's figures that convergence depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RsFigures {
    pub desired: i32,
    pub replicas: i32,
    pub ready: i32,
    pub observed_generation: i64,
    pub generation: i64,
}

impl RsFigures {
    fn of(rs: &ReplicaSet) -> Self {
        RsFigures {
            desired: rs.spec.replicas.unwrap_or(1),
            replicas: rs.status.replicas,
            ready: rs.status.ready_replicas,
            observed_generation: rs.status.observed_generation,
            generation: rs.metadata.generation,
        }
    }
    pub fn converged(&self) -> bool {
        self.replicas == self.desired && self.ready == self.desired && self.observed_generation >= self.generation
    }
}

/// Where one object's rollout stands (as `kubectl rollout status` would say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Roll {
    /// OnDelete StatefulSets and DaemonSets: nothing to watch.
    Untracked,
    Waiting,
    Complete,
    Failed,
}

impl Roll {
    fn of(state: Option<RolloutState>) -> Roll {
        match state {
            None => Roll::Untracked,
            Some(RolloutState::Complete) => Roll::Complete,
            Some(RolloutState::Waiting(_)) => Roll::Waiting,
            Some(RolloutState::Failed(_)) => Roll::Failed,
        }
    }

    fn apply(self, c: &mut Counts, sign: i64) {
        if self == Roll::Untracked {
            return;
        }
        c.rollouts = c.rollouts.wrapping_add_signed(sign);
        if self == Roll::Complete {
            c.rollouts_complete = c.rollouts_complete.wrapping_add_signed(sign);
        }
        if self == Roll::Failed {
            c.rollouts_failed = c.rollouts_failed.wrapping_add_signed(sign);
        }
    }
}

/// A StatefulSet's or DaemonSet's strategy type allows `rollout status`.
fn rolling(type_: Option<&str>) -> bool {
    type_.is_none_or(|t| t.is_empty() || t == "RollingUpdate")
}

fn sts_state(s: &StatefulSet) -> Option<RolloutState> {
    rolling(s.spec.update_strategy.as_ref().map(|u| u.type_.as_str())).then(|| statefulset_status(s))
}

fn ds_state(d: &DaemonSet) -> Option<RolloutState> {
    rolling(d.spec.update_strategy.as_ref().map(|u| u.type_.as_str())).then(|| daemonset_status(d))
}

struct Kind<T: Resource, S> {
    watch: Option<Watch<T>>,
    items: HashMap<String, S>,
}

impl<T: Resource, S> Kind<T, S> {
    fn new() -> Self {
        Kind { watch: None, items: HashMap::new() }
    }
}

struct State {
    store: Arc<Store>,
    counts: Counts,
    pods: Kind<Pod, PodFlags>,
    rs: Kind<ReplicaSet, RsFigures>,
    nodes: Kind<Node, bool>,
    /// Keys of the ReplicaSets that are not converged (sorted: messages are deterministic).
    unconverged: BTreeSet<String>,
    deployments: Kind<Deployment, Roll>,
    statefulsets: Kind<StatefulSet, Roll>,
    daemonsets: Kind<DaemonSet, Roll>,
    /// `Kind ns/name` of the rollouts not complete (failed ones included).
    rolling: BTreeSet<String>,
}

/// Counters over the cluster, kept from watches. Cheap to check; see the module doc.
pub struct Tracker {
    state: Mutex<State>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker").field("counts", &self.lock().counts).finish()
    }
}

impl Tracker {
    pub fn new(store: Arc<Store>) -> Arc<Tracker> {
        let t = Tracker {
            state: Mutex::new(State {
                store,
                counts: Counts::default(),
                pods: Kind::new(),
                rs: Kind::new(),
                nodes: Kind::new(),
                unconverged: BTreeSet::new(),
                deployments: Kind::new(),
                statefulsets: Kind::new(),
                daemonsets: Kind::new(),
                rolling: BTreeSet::new(),
            }),
        };
        t.sync();
        Arc::new(t)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies every event that arrived since the last call; returns the counts.
    pub fn sync(&self) -> Counts {
        let mut guard = self.lock();
        let st = &mut *guard;
        let store = Arc::clone(&st.store);
        let counts = &mut st.counts;
        sync_kind(&store, &mut st.pods, &mut |_, old: Option<PodFlags>, new: Option<&Pod>| {
            if let Some(o) = old {
                o.apply(counts, -1);
            }
            new.map(|p| {
                let f = PodFlags::of(p);
                f.apply(counts, 1);
                f
            })
        });
        let unconverged = &mut st.unconverged;
        sync_kind(&store, &mut st.rs, &mut |_, old: Option<RsFigures>, new: Option<&ReplicaSet>| {
            if let Some(o) = old {
                counts.replica_sets -= 1;
                if o.converged() {
                    counts.converged_replica_sets -= 1;
                }
            }
            new.map(|rs| {
                let f = RsFigures::of(rs);
                counts.replica_sets += 1;
                let key = rs.metadata.key();
                if f.converged() {
                    counts.converged_replica_sets += 1;
                    unconverged.remove(&key);
                } else {
                    unconverged.insert(key);
                }
                f
            })
        });
        // A deleted ReplicaSet is neither converged nor not.
        if st.unconverged.len() as u64 != counts.replica_sets - counts.converged_replica_sets {
            let items = &st.rs.items;
            st.unconverged.retain(|k| items.get(k).is_some_and(|f| !f.converged()));
        }
        sync_kind(&store, &mut st.nodes, &mut |_, old: Option<bool>, new: Option<&Node>| {
            if let Some(ready) = old {
                counts.nodes -= 1;
                if ready {
                    counts.ready_nodes -= 1;
                }
            }
            new.map(|n| {
                counts.nodes += 1;
                if n.is_ready() {
                    counts.ready_nodes += 1;
                }
                n.is_ready()
            })
        });
        let rolling = &mut st.rolling;
        let mut roll = |label: &str, key: &str, old: Option<Roll>, new: Option<Option<RolloutState>>| {
            if let Some(o) = old {
                o.apply(counts, -1);
            }
            let r = new.map(Roll::of);
            let name = format!("{label} {key}");
            if matches!(r, Some(Roll::Waiting | Roll::Failed)) {
                rolling.insert(name);
            } else {
                rolling.remove(&name);
            }
            if let Some(r) = r {
                r.apply(counts, 1);
            }
            r
        };
        sync_kind(&store, &mut st.deployments, &mut |key, old, new: Option<&Deployment>| {
            roll("Deployment", key, old, new.map(|d| Some(deployment_status(d))))
        });
        sync_kind(&store, &mut st.statefulsets, &mut |key, old, new: Option<&StatefulSet>| {
            roll("StatefulSet", key, old, new.map(sts_state))
        });
        sync_kind(&store, &mut st.daemonsets, &mut |key, old, new: Option<&DaemonSet>| {
            roll("DaemonSet", key, old, new.map(ds_state))
        });
        *counts
    }

    /// Why `c` can no longer hold, if it cannot (a rollout exceeded its progress deadline).
    pub fn failure(&self, c: &Condition) -> Option<String> {
        if *c != Condition::RolloutComplete || self.sync().rollouts_failed == 0 {
            return None;
        }
        let st = self.lock();
        st.rolling.iter().find_map(|name| match rollout_state(&st.store, name) {
            Some(RolloutState::Failed(why)) => Some(format!("{name}: {why}")),
            _ => None,
        })
    }

    /// Whether `c` holds now (after applying new events).
    pub fn holds(&self, c: &Condition) -> bool {
        self.sync().holds(c)
    }

    /// The numbers `c` depends on, for a timeout message.
    pub fn describe(&self, c: &Condition) -> String {
        let n = self.sync();
        let st = self.lock();
        let rs = || {
            let mut s = format!("{}/{} ReplicaSets converged", n.converged_replica_sets, n.replica_sets);
            let shown: Vec<String> = st
                .unconverged
                .iter()
                .take(3)
                .filter_map(|k| st.rs.items.get(k).map(|f| (k, f)))
                .map(|(k, f)| {
                    format!(
                        "{k}: {} desired, {} current, {} ready, observedGeneration {}/{}",
                        f.desired, f.replicas, f.ready, f.observed_generation, f.generation
                    )
                })
                .collect();
            if !shown.is_empty() {
                let more = st.unconverged.len().saturating_sub(shown.len());
                s.push_str(&format!(" (not converged: {}", shown.join("; ")));
                if more > 0 {
                    s.push_str(&format!("; and {more} more"));
                }
                s.push(')');
            }
            s
        };
        let pods = format!(
            "pods: {} total, {} active, {} pending, {} running, {} ready, {} terminating, {} failed",
            n.pods, n.active_pods, n.pending_pods, n.running_pods, n.ready_pods, n.terminating_pods, n.failed_pods
        );
        match c {
            Condition::Converged => format!("{}; {pods}", rs()),
            Condition::ReplicaSetsReady => rs(),
            Condition::PodsReady | Condition::PodsRunning | Condition::NoPendingPods => pods,
            Condition::NodesReady => format!("{}/{} nodes Ready", n.ready_nodes, n.nodes),
            Condition::RolloutComplete => {
                let mut s = format!("{}/{} rollouts complete", n.rollouts_complete, n.rollouts);
                let shown: Vec<String> = st
                    .rolling
                    .iter()
                    .take(3)
                    .map(|name| match rollout_state(&st.store, name) {
                        Some(RolloutState::Waiting(why) | RolloutState::Failed(why)) => format!("{name}: {why}"),
                        _ => name.clone(),
                    })
                    .collect();
                if !shown.is_empty() {
                    let more = st.rolling.len().saturating_sub(shown.len());
                    s.push_str(&format!(" (waiting: {}", shown.join("; ")));
                    if more > 0 {
                        s.push_str(&format!("; and {more} more"));
                    }
                    s.push(')');
                }
                s
            }
            Condition::Compare(m, _, _) => format!("{} = {}", m.as_str(), n.get(*m)),
        }
    }

    pub fn counts(&self) -> Counts {
        self.sync()
    }
}

/// How one kind's state changes: (key, old state, new object or `None` if deleted) → new state.
type Update<'a, T, S> = dyn FnMut(&str, Option<S>, Option<&T>) -> Option<S> + 'a;

/// The rollout state of `Kind ns/name`, read from the store (for messages).
fn rollout_state(store: &Store, name: &str) -> Option<RolloutState> {
    let (kind, key) = name.split_once(' ')?;
    let (ns, n) = key.split_once('/').unwrap_or(("", key));
    match kind {
        "Deployment" => store.get::<Deployment>(ns, n).ok().map(|d| deployment_status(&d)),
        "StatefulSet" => store.get::<StatefulSet>(ns, n).ok().and_then(|s| sts_state(&s)),
        "DaemonSet" => store.get::<DaemonSet>(ns, n).ok().and_then(|d| ds_state(&d)),
        _ => None,
    }
}

/// Applies `kind`'s new events through `update(old state, new object) -> new state`
/// (`new == None`: deleted); lists and watches again when the watch is gone.
fn sync_kind<T: Resource, S: Copy>(store: &Store, kind: &mut Kind<T, S>, update: &mut Update<'_, T, S>) {
    loop {
        if let Some(w) = &kind.watch {
            loop {
                match w.try_recv() {
                    Ok(ev) => {
                        let key = ev.object.meta().key();
                        let old = kind.items.remove(&key);
                        let obj = (ev.type_ != EventType::Deleted).then_some(&*ev.object);
                        if let Some(s) = update(&key, old, obj) {
                            kind.items.insert(key, s);
                        }
                    }
                    Err(TryRecvError::Empty) => return,
                    Err(TryRecvError::Disconnected) => break,
                }
            }
        }
        // First call, or the watch was closed: start over from a list.
        for (key, s) in kind.items.drain() {
            update(&key, Some(s), None);
        }
        let list = store.list::<T>(&ListOptions::all());
        for obj in &list.items {
            if let Some(s) = update(&obj.meta().key(), None, Some(obj)) {
                kind.items.insert(obj.meta().key(), s);
            }
        }
        kind.watch = store.watch::<T>(list.revision).ok();
        if kind.watch.is_none() {
            return;
        }
    }
}
