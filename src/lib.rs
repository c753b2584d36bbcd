//! kwarp: a scale benchmark harness for Kubernetes workload controllers.
pub mod api;
pub mod clock;
pub mod workqueue;
