//! kwarp: a scale benchmark harness for Kubernetes workload controllers.
pub mod actors;
pub mod api;
pub mod clock;
pub mod informer;
pub mod sim;
pub mod store;
pub mod workqueue;
