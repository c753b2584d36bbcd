//! kwarp: a scale benchmark harness for Kubernetes workload controllers.
//!
//! ```text
//!  loadgen (scenario steps) ──writes──▶ store (API server) ──watch events──▶ informers (sharded caches + indexes)
//!         ▲                                  ▲                                      │ handlers map objects → keys
//!         │                                  │ writes (create/update/delete/status) ▼
//!    reports ◀── metrics ◀──────────── controllers (workqueue → reconcile) ◀────────┘
//!                                            ▲
//!                       scheduler, kubelet (simulated; informer-fed components)
//! ```
//!
//! [`api`] is the object model; [`store`] the simulated API server; [`informer`]
//! the shared informers; [`workqueue`] client-go's queue on dense ids; [`clock`]
//! the injected clock (real or virtual); [`controllers`] the reconcilers;
//! [`sim`] the scheduler and kubelet; [`actors`] hosts everything on actix and
//! drives virtual time on quiescence; [`system`] assembles one cluster.

pub mod actors;
pub mod api;
pub mod clock;
pub mod controllers;
pub mod informer;
pub mod sim;
pub mod store;
pub mod system;
pub mod workqueue;
