//! The actor runtime: hosts informers, controllers, the scheduler and the kubelet on actix arbiters, and drives time.
//!
//! actix is used only here, behind [`Component`] (what is hosted) and
//! [`Runtime`] (what drives it): swapping it for another runtime touches only
//! this folder. See [`cluster`] for start-up order and virtual time, and
//! `host` for the scheduling and quiescence protocol.

pub mod cluster;
pub mod component;
pub(crate) mod host;
mod informer;

pub use cluster::{ClockDriver, ClockMode, Runtime, RuntimeBuilder, RuntimeConfig, RuntimeStats, WaitTimeout};
pub use component::{Component, Waker};
