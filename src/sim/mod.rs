//! The simulated cluster around the controllers: a scheduler, one kubelet for every node, and latency models.
//!
//! ```text
//!  store ──watch──▶ Pod / Node informers ──handlers──▶ Scheduler queue ──bind (spec.nodeName)──▶ store
//!                                          └─────────▶ Kubelet queue ──status, node Ready, delete──▶ store
//!                                                        ▲ timed transitions: add_after on the clock
//! ```
//!
//! Both are [`Component`](crate::actors::Component)s: plain state machines driven
//! by informer events and by the injected clock, never by threads of their own.
//! Timed transitions are workqueue `add_after`s, so under the virtual clock time
//! jumps straight to the next one. Decisions are pure functions ([`fit`] for the
//! scheduler's filters and scores, [`pod_lifecycle`] for the kubelet's pod state
//! machine), table-tested without a store.
//!
//! Determinism: no decision or write order depends on hash-map iteration.
//! Every random draw comes from a stream seeded by (scenario seed, object uid), in
//! a fixed order per transition, so a pod's latencies do not depend on how other
//! pods' events interleave.
//!
//! Layout: [`latency`] (Go durations, [`Dist`], seeded sampling), [`fit`] and
//! `node_index` (scheduling), [`scheduler`], [`pod_lifecycle`] and
//! [`node_status`] (what the kubelet writes), [`kubelet`].

pub mod fit;
pub mod kubelet;
pub mod latency;
mod node_index;
pub mod node_status;
pub mod pod_lifecycle;
pub mod scheduler;

pub use kubelet::{CrashMode, Kubelet, KubeletConfig, KubeletError, KubeletMetrics};
pub use latency::{format_duration, parse_duration, serde_duration, Dist, LatencyError};
pub use scheduler::{Scheduler, SchedulerConfig, SchedulerMetrics};

use hdrhistogram::Histogram;

/// An impossible value in a scheduler or kubelet config, naming the (camelCase) key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        ConfigError { field, reason: reason.into() }
    }
}

/// An auto-resizing nanosecond histogram with 3 significant digits.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is a valid precision")
}
