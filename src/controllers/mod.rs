//! The reconciler seam: controllers as plain code — read caches, decide, write through a CRUD client — and the shell that hosts them.
//!
//! ```text
//!  informer handlers ──(object → "ns/name")──▶ Enqueuer ──id──▶ WorkQueue ──try_get──▶ Controller::run_ready
//!                                                                                         │ catch_unwind
//!                                                      caches ◀── read ── Reconciler::reconcile(key, ctx)
//!                                                      ApiClient ◀── write ──┘  └─▶ Action / ReconcileError
//! ```
//!
//! * A [`Reconciler`] is plain code: `reconcile(key, ctx)` reads informer
//!   caches, calls pure decision functions, writes through an [`ApiClient`]
//!   (create / get / update / update_status / patch / delete, nothing else)
//!   and answers an [`Action`]. `register` wires informer handlers that map
//!   objects to keys. No actors, no threads: a test calls `reconcile` (or
//!   [`Controller::sync`]) directly, with a [`FakeClient`] that records calls
//!   and injects failures.
//! * A [`Controller`] hosts one reconciler: a [`WorkQueue`](crate::workqueue::WorkQueue)
//!   with client-go's default controller rate limiter (SEMANTICS §2.a), the
//!   [`KeyInterner`](crate::workqueue::KeyInterner) that numbers keys, and a
//!   worker count. It is a [`Component`](crate::actors::Component): the
//!   runtime calls `run_ready` from up to `workers` threads at once; the queue
//!   never hands one key to two of them.
//! * Outcomes: `Done` → forget the key's failures; `RequeueAfter(d)` → forget,
//!   then `add_after(d)`; `Requeue` or `Err` → `add_rate_limited`; a panic is
//!   caught, counted, logged with its key and rate-limited like an error — the
//!   process never dies of it.
//! * Metrics per controller: reconciles, errors, panics, requeues, and HDR
//!   histograms (wall nanoseconds, measured with `Instant`; logic uses the
//!   injected clock) of reconcile duration and event-to-reconciled latency:
//!   the handler stamps a key id with the first `Instant` since its last
//!   reconcile started; the reconcile that starts next takes the stamp and
//!   records `end − stamp`.
//!
//! Shared helpers, pure and table-tested (SEMANTICS §1): [`expectations`],
//! [`pod_control`] (slow start, pods from templates), [`ranking`] (ActivePods,
//! ActivePodsWithRanks, ReplicaSet orderings), [`claim`] (adoption / release).
//! Controllers: [`replicaset`], [`deployment`], [`statefulset`], [`daemonset`], [`gc`] (garbage collector), [`podgc`];
//! [`history`] (ControllerRevisions) is shared by the DaemonSet and StatefulSet controllers.

pub mod claim;
pub mod client;
pub mod controller;
pub mod daemonset;
pub mod deployment;
pub mod expectations;
pub mod gc;
pub mod history;
pub mod pod_control;
pub mod podgc;
pub mod ranking;
pub mod replicaset;
pub mod statefulset;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::api::Time;
use crate::clock::Clock;
use crate::informer::SharedInformerFactory;
use crate::store::StoreError;
use crate::workqueue::ItemId;

pub use client::{ApiClient, Call, FakeClient};
pub use controller::{Controller, ControllerMetrics, Enqueuer};
pub use daemonset::DaemonSetController;
pub use deployment::DeploymentController;
pub use expectations::ControllerExpectations;
pub use replicaset::ReplicaSetController;
pub use statefulset::StatefulSetController;

/// What a reconcile asks of its queue when it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Converged (for now): the key's failure count is forgotten.
    Done,
    /// Look again after this long (e.g. when a pod becomes available): forget, then `add_after`.
    RequeueAfter(Duration),
    /// Look again soon, through the rate limiter (like an error, without being one).
    Requeue,
}

/// Why a reconcile failed; the controller retries the key through the rate limiter.
/// Every variant names the object key the reconcile was about.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// An API call failed.
    #[error("{key}: {source}")]
    Api {
        key: String,
        #[source]
        source: StoreError,
    },
    /// Anything else (a refused adoption, a template without labels, ...).
    #[error("{key}: {message}")]
    Failed { key: String, message: String },
    /// Several independent failures (client-go's aggregate error).
    #[error("{}", join(.0))]
    Many(Vec<ReconcileError>),
}

fn join(errs: &[ReconcileError]) -> String {
    match errs {
        [one] => one.to_string(),
        _ => format!("[{}]", errs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
    }
}

impl ReconcileError {
    pub fn api(key: impl Into<String>, source: StoreError) -> Self {
        ReconcileError::Api { key: key.into(), source }
    }
    pub fn failed(key: impl Into<String>, message: impl Into<String>) -> Self {
        ReconcileError::Failed { key: key.into(), message: message.into() }
    }
    /// `None` for no errors, the error itself for one, `Many` otherwise.
    pub fn aggregate(mut errs: Vec<ReconcileError>) -> Option<ReconcileError> {
        match errs.len() {
            0 => None,
            1 => errs.pop(),
            _ => Some(ReconcileError::Many(errs)),
        }
    }
    /// The message without the key prefix (what a status condition shows).
    pub fn message(&self) -> String {
        match self {
            ReconcileError::Api { source, .. } => source.to_string(),
            ReconcileError::Failed { message, .. } => message.clone(),
            ReconcileError::Many(_) => self.to_string(),
        }
    }
}

pub type Result<T, E = ReconcileError> = std::result::Result<T, E>;

/// What a reconcile gets besides its key.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The key's dense id in this controller's queue (per-key state can live in flat arrays).
    pub id: ItemId,
    /// The controller's queue, to enqueue other keys.
    pub queue: &'a Enqueuer,
    pub clock: &'a Arc<dyn Clock>,
}

impl Ctx<'_> {
    pub fn now(&self) -> Time {
        self.clock.now()
    }
}

impl fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx").field("id", &self.id).field("now", &self.now()).finish()
    }
}

/// A controller's logic, hosted by a [`Controller`].
///
/// Contract: `reconcile` reads only informer caches (plus, where Kubernetes
/// does, an uncached `get` through the client), writes only through its
/// [`ApiClient`], never blocks on anything but the client and short locks,
/// and is safe to call for different keys from several threads at once (the
/// queue never runs one key twice at once). Its decisions never depend on hash
/// iteration order.
pub trait Reconciler: Send + Sync + 'static {
    /// The controller's name (queue name and metric label), e.g. `"replicaset"`.
    fn name(&self) -> &'static str;
    /// Brings the object named `key` (`namespace/name`) toward its desired state.
    fn reconcile(&self, key: &str, ctx: &Ctx<'_>) -> Result<Action>;
    /// Subscribes handlers to the informers it reads, mapping events to keys on `queue`;
    /// also registers any cache index it needs (before the informers start).
    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer);
}
