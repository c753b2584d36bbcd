//! The kubelet's per-pod state machine, pure: observations, timers and faults in; status and actions out.
//!
//! ```text
//!  New ──node alive──▶ Accepted (Pending, ContainerCreating) ──startup──▶ Running ──ready──▶ Running + Ready
//!                                                                           │ restartPolicy Never / OnFailure:
//!                                                                           └──run_time──▶ Succeeded | Failed (p)
//!  deletionTimestamp seen ──min(shutdown, until deletionTimestamp)──▶ confirm delete (grace 0)
//!  node gone ──podGc──▶ force delete (as PodGC does for orphaned pods)
//! ```
//!
//! A failed run of an `OnFailure` pod restarts its containers in place
//! (restartCount + 1, not Ready until `ready` passes again), as the kubelet
//! does; crash-loop back-off is not modelled. Faults: a crash either fails the
//! pod or restarts its containers (a `Never` pod cannot restart: it fails); a
//! readiness flap takes Ready away for a while.
//!
//! Timers other than the orphan GC need a live kubelet: while the node is not
//! Ready (or stopped) they stay due and fire once it is back, stamped with the
//! time they actually fire. Random draws come from the pod's own stream, in a
//! fixed order: `startup` on acceptance; `ready`, then `run_time`, when the
//! containers start; the failure roll when the run ends; `shutdown` when the
//! deletion is seen; `podGc` when the node is found missing.

use std::time::Duration;

use rand::{Rng, RngCore};
use serde_json::{json, Value};

use super::kubelet::KubeletConfig;
use super::latency::SplitMix64;
use crate::api::pod::{Condition, ConditionStatus, ContainerStatus, Pod, PodPhase, PodStatus, RestartPolicy};
use crate::api::Time;
use crate::clock::add_duration;

/// How an injected crash ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrashMode {
    /// The pod goes Failed.
    Fail,
    /// The containers restart: restartCount + 1, Ready again after the `ready` latency.
    Restart,
}

/// What the kubelet knows about the pod's node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub exists: bool,
    /// Exists, Ready, and its kubelet not stopped.
    pub alive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    New,
    Accepted,
    Running,
    Succeeded,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Timer {
    Start,
    Ready,
    RunEnd,
    FlapEnd,
    Confirm,
    Gc,
    Crash(CrashMode),
    Flap(Duration),
}

impl Timer {
    fn needs_kubelet(self) -> bool {
        self != Timer::Gc
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Termination {
    exit_code: i32,
    reason: &'static str,
    started: Time,
    finished: Time,
}

/// What the shell should do after a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Write [`PodState::render`] as the pod's status.
    pub write: bool,
    /// Delete the pod with grace 0 (deletion confirmed, or orphan GC).
    pub delete: bool,
    /// The pod became Ready for the first time (record start-up latency).
    pub first_ready: bool,
    pub started: bool,
    pub succeeded: bool,
    pub failed: bool,
    pub restarted: bool,
}

/// One pod as the kubelet tracks it.
#[derive(Clone, Debug)]
pub struct PodState {
    pub uid: String,
    rng: SplitMix64,
    stage: Stage,
    accepted_at: Time,
    started_at: Time,
    probe_ready: bool,
    flap_down: bool,
    ready: bool,
    ready_changed_at: Time,
    ever_ready: bool,
    restarts: i32,
    last_termination: Option<Termination>,
    termination: Option<Termination>,
    deletion_seen: bool,
    deleted: bool,
    /// Pending timers: (due, sequence, timer), fired in that order.
    timers: Vec<(Time, u64, Timer)>,
    seq: u64,
    host_ip: String,
    pod_ip: String,
}

impl PodState {
    pub fn new(pod: &Pod, seed: u64, host_ip: String) -> Self {
        let uid = pod.metadata.uid.clone();
        let h = SplitMix64::for_object(0, &uid).next_u64();
        PodState {
            rng: SplitMix64::for_object(seed, &uid),
            uid,
            stage: Stage::New,
            accepted_at: Time::default(),
            started_at: Time::default(),
            probe_ready: false,
            flap_down: false,
            ready: false,
            ready_changed_at: Time::default(),
            ever_ready: false,
            restarts: 0,
            last_termination: None,
            termination: None,
            deletion_seen: false,
            deleted: false,
            timers: Vec::new(),
            seq: 0,
            host_ip,
            pod_ip: format!("10.{}.{}.{}", 64 + (h >> 16) % 64, (h >> 8) & 0xff, (h & 0xff).max(1)),
        }
    }

    pub fn is_running(&self) -> bool {
        self.stage == Stage::Running
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.stage, Stage::Succeeded | Stage::Failed)
    }

    fn push(&mut self, at: Time, t: Timer) {
        self.seq += 1;
        self.timers.push((at, self.seq, t));
    }

    fn push_after(&mut self, now: Time, d: Duration, t: Timer) {
        self.push(add_duration(now, d), t);
    }

    fn drop_timers(&mut self, f: impl Fn(Timer) -> bool) {
        self.timers.retain(|&(_, _, t)| !f(t));
    }

    /// Queues a fault to fire at the next step (the caller checked the pod is running).
    pub fn inject_crash(&mut self, now: Time, mode: CrashMode) {
        self.push(now, Timer::Crash(mode));
    }

    pub fn inject_flap(&mut self, now: Time, down_for: Duration) {
        self.push(now, Timer::Flap(down_for));
    }

    /// When the next timer that can fire on this node is due.
    pub fn next_wake(&self, node: NodeView) -> Option<Time> {
        self.timers.iter().filter(|(_, _, t)| node.alive || !t.needs_kubelet()).map(|&(at, _, _)| at).min()
    }

    /// Takes in the pod as cached and the node's state at `now`, fires due timers.
    pub fn advance(&mut self, pod: &Pod, node: NodeView, now: Time, cfg: &KubeletConfig) -> Step {
        let mut out = Step::default();
        if self.deleted {
            return out;
        }
        let has_gc = self.timers.iter().any(|t| t.2 == Timer::Gc);
        if !node.exists && !has_gc {
            let d = cfg.pod_gc.sample(&mut self.rng);
            self.push_after(now, d, Timer::Gc);
        } else if node.exists && has_gc {
            self.drop_timers(|t| t == Timer::Gc);
        }
        if let Some(deadline) = pod.metadata.deletion_timestamp {
            if !self.deletion_seen && node.alive {
                self.deletion_seen = true;
                let at = add_duration(now, cfg.shutdown.sample(&mut self.rng)).min(deadline.max(now));
                self.push(at, Timer::Confirm);
            }
        } else if self.stage == Stage::New && node.alive && !pod.is_terminal() {
            self.stage = Stage::Accepted;
            self.accepted_at = now;
            let d = cfg.startup.sample(&mut self.rng);
            self.push_after(now, d, Timer::Start);
            out.write = true;
        }
        loop {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, &(at, _, t))| at <= now && (node.alive || !t.needs_kubelet()))
                .min_by_key(|(_, &(at, seq, _))| (at, seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let (_, _, timer) = self.timers.swap_remove(i);
            self.fire(timer, pod, now, cfg, &mut out);
            if out.delete {
                self.deleted = true;
                self.timers.clear();
                break;
            }
        }
        out
    }

    fn fire(&mut self, timer: Timer, pod: &Pod, now: Time, cfg: &KubeletConfig, out: &mut Step) {
        let policy = pod.spec.restart_policy.unwrap_or(RestartPolicy::Always);
        match timer {
            Timer::Start if self.stage == Stage::Accepted => {
                self.start_containers(now, policy, cfg);
                out.started = true;
                out.write = true;
            }
            Timer::Ready if self.stage == Stage::Running => {
                self.probe_ready = true;
                out.write |= self.update_ready(now);
                if self.ready && !self.ever_ready {
                    self.ever_ready = true;
                    out.first_ready = true;
                }
            }
            Timer::RunEnd if self.stage == Stage::Running => {
                let failed = self.rng.random::<f64>() < cfg.failure_probability;
                match (failed, policy) {
                    (false, _) => self.terminate(now, 0, "Completed", Stage::Succeeded, out),
                    (true, RestartPolicy::OnFailure) => self.restart(now, policy, cfg, out),
                    (true, _) => self.terminate(now, 1, "Error", Stage::Failed, out),
                }
            }
            Timer::Crash(mode) if self.stage == Stage::Running => match (mode, policy) {
                (CrashMode::Restart, RestartPolicy::Always | RestartPolicy::OnFailure) => {
                    self.restart(now, policy, cfg, out)
                }
                _ => self.terminate(now, 1, "Error", Stage::Failed, out),
            },
            Timer::Flap(d) if self.stage == Stage::Running => {
                self.flap_down = true;
                self.drop_timers(|t| t == Timer::FlapEnd);
                self.push_after(now, d, Timer::FlapEnd);
                out.write |= self.update_ready(now);
            }
            Timer::FlapEnd => {
                self.flap_down = false;
                out.write |= self.update_ready(now);
                if self.ready && !self.ever_ready {
                    self.ever_ready = true;
                    out.first_ready = true;
                }
            }
            Timer::Confirm | Timer::Gc => out.delete = true,
            _ => {} // a stale timer of a stage the pod has left
        }
    }

    fn start_containers(&mut self, now: Time, policy: RestartPolicy, cfg: &KubeletConfig) {
        self.stage = Stage::Running;
        self.started_at = now;
        let ready = cfg.ready.sample(&mut self.rng);
        self.push_after(now, ready, Timer::Ready);
        if policy != RestartPolicy::Always {
            let run = cfg.run_time.sample(&mut self.rng);
            self.push_after(now, run, Timer::RunEnd);
        }
    }

    fn restart(&mut self, now: Time, policy: RestartPolicy, cfg: &KubeletConfig, out: &mut Step) {
        self.last_termination =
            Some(Termination { exit_code: 1, reason: "Error", started: self.started_at, finished: now });
        self.restarts += 1;
        self.probe_ready = false;
        self.drop_timers(|t| matches!(t, Timer::Ready | Timer::RunEnd));
        self.update_ready(now);
        self.start_containers(now, policy, cfg);
        out.restarted = true;
        out.write = true;
    }

    fn terminate(&mut self, now: Time, exit_code: i32, reason: &'static str, stage: Stage, out: &mut Step) {
        self.termination = Some(Termination { exit_code, reason, started: self.started_at, finished: now });
        self.stage = stage;
        self.probe_ready = false;
        self.drop_timers(|t| matches!(t, Timer::Start | Timer::Ready | Timer::RunEnd | Timer::FlapEnd));
        self.update_ready(now);
        out.succeeded |= stage == Stage::Succeeded;
        out.failed |= stage == Stage::Failed;
        out.write = true;
    }

    /// Recomputes Ready; true when it changed.
    fn update_ready(&mut self, now: Time) -> bool {
        let ready = self.stage == Stage::Running && self.probe_ready && !self.flap_down;
        if ready == self.ready {
            return false;
        }
        self.ready = ready;
        self.ready_changed_at = now;
        true
    }

    /// The status the kubelet reports, shaped like the real one. Conditions of
    /// types the kubelet does not own are kept from the pod.
    pub fn render(&self, pod: &Pod) -> PodStatus {
        let phase = match self.stage {
            Stage::New | Stage::Accepted => PodPhase::Pending,
            Stage::Running => PodPhase::Running,
            Stage::Succeeded => PodPhase::Succeeded,
            Stage::Failed => PodPhase::Failed,
        };
        let names: Vec<&str> = pod.spec.containers.iter().map(|c| c.name.as_str()).collect();
        let not_ready_reason = if self.stage == Stage::Succeeded { "PodCompleted" } else { "ContainersNotReady" };
        let cond = |type_: &str, at: Time| {
            if self.ready {
                Condition::new(type_, ConditionStatus::True, "", "", at)
            } else {
                let msg = if self.is_terminal() {
                    String::new()
                } else {
                    format!("containers with unready status: [{}]", names.join(" "))
                };
                Condition::new(type_, ConditionStatus::False, not_ready_reason, &msg, at)
            }
        };
        let ready_at = if self.ready_changed_at == Time::default() { self.accepted_at } else { self.ready_changed_at };
        let mut conditions = vec![
            Condition::new("Initialized", ConditionStatus::True, "", "", self.accepted_at),
            cond("Ready", ready_at),
            cond("ContainersReady", ready_at),
            Condition::new("PodScheduled", ConditionStatus::True, "", "", self.accepted_at),
        ];
        let owned = ["Initialized", "Ready", "ContainersReady", "PodScheduled"];
        conditions.extend(pod.status.conditions.iter().filter(|c| !owned.contains(&c.type_.as_str())).cloned());
        let state = match (self.stage, &self.termination) {
            (Stage::New | Stage::Accepted, _) => json!({"waiting": {"reason": "ContainerCreating"}}),
            (Stage::Running, _) => json!({"running": {"startedAt": self.started_at}}),
            (_, Some(t)) => terminated(t),
            (_, None) => json!({"terminated": {"exitCode": 0}}),
        };
        let container_statuses = pod
            .spec
            .containers
            .iter()
            .map(|c| {
                let mut cs = ContainerStatus {
                    name: c.name.clone(),
                    ready: self.ready,
                    restart_count: self.restarts,
                    image: c.image.clone(),
                    started: Some(self.stage == Stage::Running),
                    state: Some(state.clone()),
                    extra: Default::default(),
                };
                if let Some(t) = &self.last_termination {
                    cs.extra.insert("lastState".into(), terminated(t));
                }
                cs
            })
            .collect();
        let running_or_later = self.stage >= Stage::Running;
        PodStatus {
            phase: Some(phase),
            conditions,
            container_statuses,
            start_time: Some(self.accepted_at),
            host_ip: self.host_ip.clone(),
            pod_ip: if running_or_later { self.pod_ip.clone() } else { String::new() },
            reason: String::new(),
            message: String::new(),
            extra: Default::default(),
        }
    }
}

fn terminated(t: &Termination) -> Value {
    json!({"terminated": {"exitCode": t.exit_code, "reason": t.reason, "startedAt": t.started, "finishedAt": t.finished}})
}
