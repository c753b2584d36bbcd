//! Unit tests of the store: one file per concern, shared fixtures here.
//! Deterministic: seeded store, virtual clock, nothing sleeps.

mod client;
mod crud;
mod delete;
mod watch;

use std::sync::Arc;

use serde_json::json;

// Explicit, not `super::*`: `AnyResource` in scope would make `obj.meta()` ambiguous.
use super::{
    rules, ClientOptions, DeleteOptions, EventType, Latency, ListOptions, Propagation, Store, StoreError, StoreOptions,
    Verb, Watch, FINALIZER_FOREGROUND, FINALIZER_ORPHAN,
};
use crate::api::apps::Deployment;
use crate::api::batch::Job;
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::api::{Kind, Resource, Time};
use crate::clock::{Clock, VirtualClock};

/// A seeded store on a virtual clock.
fn store() -> (Arc<Store>, Arc<VirtualClock>) {
    store_with(StoreOptions { seed: 42, history_limit: 10_000 })
}

fn store_with(opts: StoreOptions) -> (Arc<Store>, Arc<VirtualClock>) {
    let clock = Arc::new(VirtualClock::new());
    (Store::new(clock.clone(), opts), clock)
}

fn from_json<T: Resource>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("fixture parses")
}

/// A valid, unbound pod with label `app=web`.
fn pod(ns: &str, name: &str) -> Pod {
    from_json(json!({
        "metadata": {"namespace": ns, "name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}
    }))
}

/// A valid pod bound to `node`.
fn bound_pod(ns: &str, name: &str, node: &str) -> Pod {
    let mut p = pod(ns, name);
    p.spec.node_name = node.to_string();
    p
}

fn deployment(ns: &str, name: &str) -> Deployment {
    from_json(json!({
        "metadata": {"namespace": ns, "name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}
            }
        }
    }))
}

fn job(ns: &str, name: &str) -> Job {
    from_json(json!({
        "metadata": {"namespace": ns, "name": name},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}
    }))
}

fn node(name: &str) -> Node {
    from_json(json!({"metadata": {"name": name}}))
}

/// Every event queued on a watch now, as (type, key, revision).
fn drain<T: Resource>(w: &Watch<T>) -> Vec<(EventType, String, u64)> {
    w.try_iter().map(|e| (e.type_, e.object.meta().key(), e.revision)).collect()
}
