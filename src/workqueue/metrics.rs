//! Queue metrics with client-go's names: counters, HDR histograms of durations.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::ItemId;
use crate::api::Time;
use crate::clock::duration_between;

/// Marks "no time recorded" in the per-item time arrays.
const UNSET: i64 = i64::MIN;

/// Durations are recorded in nanoseconds from 1 ns up to this (≈ 2.8 h;
/// longer ones saturate), with 2 significant digits (≤ 1 % error).
const HIGHEST_NANOS: u64 = 10_000_000_000_000;

/// Prometheus names, as client-go's workqueue metrics provider registers them
/// (each with a `name` label: the queue's name).
pub mod names {
    pub const DEPTH: &str = "workqueue_depth";
    pub const ADDS_TOTAL: &str = "workqueue_adds_total";
    pub const QUEUE_DURATION_SECONDS: &str = "workqueue_queue_duration_seconds";
    pub const WORK_DURATION_SECONDS: &str = "workqueue_work_duration_seconds";
    pub const UNFINISHED_WORK_SECONDS: &str = "workqueue_unfinished_work_seconds";
    pub const LONGEST_RUNNING_PROCESSOR_SECONDS: &str = "workqueue_longest_running_processor_seconds";
    pub const RETRIES_TOTAL: &str = "workqueue_retries_total";
}

/// A snapshot of one queue's metrics. Histograms hold nanoseconds.
#[derive(Clone, Debug)]
pub struct QueueMetrics {
    pub name: String,
    /// Items added and not yet handed out (client-go's gauge: includes items
    /// re-added while processing, which wait for `done`).
    pub depth: u64,
    /// Adds that made an item dirty (duplicates are not counted).
    pub adds_total: u64,
    /// `add_after` / `add_rate_limited` calls accepted (not shutting down).
    pub retries_total: u64,
    /// Time from the add that made an item dirty to the `get` that took it.
    pub queue_duration: Histogram<u64>,
    /// Time from `get` to `done`.
    pub work_duration: Histogram<u64>,
    /// Sum over items being processed of how long they have been processed.
    pub unfinished_work: Duration,
    /// How long the longest-running item being processed has been processed.
    pub longest_running_processor: Duration,
}

/// The part of the metrics that lives under the queue's lock.
///
/// Invariants: `add_time[id] != UNSET` only while `id` is dirty (from the add
/// that made it dirty to the `get` that took it); `start_time[id] != UNSET`
/// exactly while `id` is being processed.
#[derive(Debug)]
pub(super) struct MetricState {
    /// Counters: plain integers, updated under the queue's lock like the rest.
    pub(super) adds_total: u64,
    pub(super) retries_total: u64,
    add_time: Vec<i64>,
    start_time: Vec<i64>,
    pub(super) queue_duration: Histogram<u64>,
    pub(super) work_duration: Histogram<u64>,
}

impl MetricState {
    pub(super) fn new(capacity: usize) -> Self {
        let hist = || Histogram::new_with_bounds(1, HIGHEST_NANOS, 2).expect("valid histogram bounds");
        MetricState {
            adds_total: 0,
            retries_total: 0,
            add_time: vec![UNSET; capacity],
            start_time: vec![UNSET; capacity],
            queue_duration: hist(),
            work_duration: hist(),
        }
    }

    /// Grows the per-item arrays to `n` ids.
    pub(super) fn grow(&mut self, n: usize) {
        self.add_time.resize(n, UNSET);
        self.start_time.resize(n, UNSET);
    }

    /// The item became dirty.
    #[inline]
    pub(super) fn added(&mut self, id: ItemId, now: Time) {
        self.adds_total += 1;
        let t = &mut self.add_time[id as usize];
        if *t == UNSET {
            *t = now.as_nanos();
        }
    }

    /// The item was handed to a worker.
    #[inline]
    pub(super) fn got(&mut self, id: ItemId, now: Time) {
        let i = id as usize;
        let added = std::mem::replace(&mut self.add_time[i], UNSET);
        if added != UNSET {
            self.queue_duration.saturating_record(nanos_since(added, now));
        }
        self.start_time[i] = now.as_nanos();
    }

    /// The worker finished the item.
    #[inline]
    pub(super) fn done(&mut self, id: ItemId, now: Time) {
        let started = std::mem::replace(&mut self.start_time[id as usize], UNSET);
        if started != UNSET {
            self.work_duration.saturating_record(nanos_since(started, now));
        }
    }

    /// (sum, max) of the processing times of the items being processed.
    pub(super) fn unfinished(&self, now: Time) -> (Duration, Duration) {
        self.start_time.iter().filter(|&&t| t != UNSET).fold((Duration::ZERO, Duration::ZERO), |(sum, max), &t| {
            let d = duration_between(Time(t), now);
            (sum + d, max.max(d))
        })
    }
}

fn nanos_since(t: i64, now: Time) -> u64 {
    u64::try_from(now.as_nanos().saturating_sub(t)).unwrap_or(0)
}
