//! Typed store calls for a kind known only at run time, node building, and target selection.

use std::collections::BTreeMap;

use kwarp::api::node::{NodeSpec, NodeStatus};
use kwarp::api::{
    AnyObject, ControllerRevision, DaemonSet, Deployment, Kind, Node, ObjectMeta, PodTemplateSpec, Quantity,
    ReplicaSet, Resource, StatefulSet,
};
use kwarp::store::{Client, DeleteOptions, ListOptions, Store, StoreError};
use serde_json::Value;

use crate::jsonpath::{self, Path, SetOptions};
use crate::rollout;
use crate::scenario::{NodeTemplate, Target, DEFAULT_CAPACITY};

/// Runs `$body` with `$T` bound to the Rust type of `$kind`.
macro_rules! with_kind {
    ($kind:expr, $T:ident => $body:expr) => {{
        use kwarp::api::{
            ControllerRevision, CronJob, DaemonSet, Deployment, Job, Node, PersistentVolumeClaim, Pod, ReplicaSet,
            Service, StatefulSet,
        };
        match $kind {
            Kind::Node => {
                type $T = Node;
                $body
            }
            Kind::Pod => {
                type $T = Pod;
                $body
            }
            Kind::Service => {
                type $T = Service;
                $body
            }
            Kind::PersistentVolumeClaim => {
                type $T = PersistentVolumeClaim;
                $body
            }
            Kind::ReplicaSet => {
                type $T = ReplicaSet;
                $body
            }
            Kind::Deployment => {
                type $T = Deployment;
                $body
            }
            Kind::StatefulSet => {
                type $T = StatefulSet;
                $body
            }
            Kind::DaemonSet => {
                type $T = DaemonSet;
                $body
            }
            Kind::ControllerRevision => {
                type $T = ControllerRevision;
                $body
            }
            Kind::Job => {
                type $T = Job;
                $body
            }
            Kind::CronJob => {
                type $T = CronJob;
                $body
            }
        }
    }};
}

/// Creates `obj` through `client`.
pub fn create(client: &Client, obj: AnyObject) -> Result<(), StoreError> {
    let kind = obj.kind();
    with_kind!(kind, T => {
        let typed: T = obj.downcast::<T>().unwrap_or_else(|_| unreachable!("the kind was read from the object"));
        client.create(typed).map(|_| ())
    })
}

/// `(namespace, name)` of every stored object `target` selects, in key order.
pub fn select(store: &Store, target: &Target) -> Vec<(String, String)> {
    let kind = target.kind();
    let mut opts = ListOptions::all();
    if let Some(ns) = &target.namespace {
        if kind.is_namespaced() {
            opts = opts.in_namespace(ns.clone());
        }
    }
    let wanted = |meta: &ObjectMeta| {
        target.name.as_ref().is_none_or(|n| meta.name == *n)
            && target.name_prefix.as_ref().is_none_or(|p| meta.name.starts_with(p.as_str()))
            && target.selector.as_ref().is_none_or(|s| s.iter().all(|(k, v)| meta.labels.get(k) == Some(v)))
    };
    with_kind!(kind, T => {
        store
            .list::<T>(&opts)
            .items
            .iter()
            .map(|o| o.meta())
            .filter(|m| wanted(m))
            .map(|m| (m.namespace.clone(), m.name.clone()))
            .collect()
    })
}

/// How [`set_fields`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// PATCH: applied to the latest object, no precondition.
    Patch,
    /// GET, then UPDATE with its resourceVersion, again on Conflict.
    Update,
}

/// Sets `sets` (field path → value) on one object. Errors are messages.
pub fn set_fields(
    client: &Client,
    kind: Kind,
    namespace: &str,
    name: &str,
    sets: &[(Path, Value)],
    write: Write,
) -> Result<(), String> {
    with_kind!(kind, T => set_typed::<T>(client, namespace, name, sets, write))
}

fn apply<T: Resource>(obj: &T, sets: &[(Path, Value)]) -> Result<T, String> {
    let mut v = serde_json::to_value(obj).map_err(|e| e.to_string())?;
    for (path, value) in sets {
        jsonpath::set(&mut v, path, value.clone(), SetOptions::default()).map_err(|e| e.to_string())?;
    }
    serde_json::from_value::<T>(v).map_err(|e| format!("the result is not a valid {}: {e}", T::KIND))
}

fn set_typed<T: Resource>(
    client: &Client,
    namespace: &str,
    name: &str,
    sets: &[(Path, Value)],
    write: Write,
) -> Result<(), String> {
    match write {
        Write::Patch => {
            let mut failed = None;
            let res = client.patch::<T>(namespace, name, |obj| match apply(&*obj, sets) {
                Ok(new) => *obj = new,
                Err(e) => failed = Some(e),
            });
            if let Some(e) = failed {
                return Err(e);
            }
            res.map(|_| ()).map_err(|e| e.to_string())
        }
        Write::Update => {
            for _ in 0..16 {
                let current = client.get::<T>(namespace, name).map_err(|e| e.to_string())?;
                let new = apply(&*current, sets)?;
                match client.update(new) {
                    Ok(_) => return Ok(()),
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.to_string()),
                }
            }
            Err("gave up after 16 conflicts in a row".to_string())
        }
    }
}

/// Changes the pod template of a Deployment, StatefulSet or DaemonSet (a PATCH).
pub fn patch_template(
    client: &Client,
    kind: Kind,
    namespace: &str,
    name: &str,
    f: &mut dyn FnMut(&mut PodTemplateSpec) -> Result<(), String>,
) -> Result<(), String> {
    let mut failed = None;
    let mut edit = |t: &mut PodTemplateSpec| {
        if let Err(e) = f(t) {
            failed = Some(e);
        }
    };
    let res = match kind {
        Kind::Deployment => client.patch::<Deployment>(namespace, name, |o| edit(&mut o.spec.template)).map(|_| ()),
        Kind::StatefulSet => client.patch::<StatefulSet>(namespace, name, |o| edit(&mut o.spec.template)).map(|_| ()),
        Kind::DaemonSet => client.patch::<DaemonSet>(namespace, name, |o| edit(&mut o.spec.template)).map(|_| ()),
        other => return Err(format!("{other} has no pod template to roll out")),
    };
    if let Some(e) = failed {
        return Err(e);
    }
    res.map_err(|e| e.to_string())
}

/// `kubectl set image`: the image of container `container` (`*`: every container, init containers included).
pub fn set_image(t: &mut PodTemplateSpec, container: &str, image: &str) -> Result<(), String> {
    let spec = &mut t.spec;
    let mut found = false;
    for c in spec.init_containers.iter_mut().chain(spec.containers.iter_mut()) {
        if container == "*" || c.name == container {
            c.image = image.to_string();
            found = true;
        }
    }
    if found {
        return Ok(());
    }
    let names: Vec<&str> = spec.init_containers.iter().chain(&spec.containers).map(|c| c.name.as_str()).collect();
    Err(format!("no container {container:?} (containers: {})", names.join(", ")))
}

/// `kubectl rollout undo KIND/NAME [--to-revision=to]` (0: the previous revision),
/// client-side as kubectl does it. A rollback to the current template does nothing.
pub fn rollback(client: &Client, kind: Kind, namespace: &str, name: &str, to: i64) -> Result<(), String> {
    let in_ns = ListOptions::all().in_namespace(namespace.to_string());
    let owned_by = |uid: &str, meta: &ObjectMeta| meta.controller_ref().is_some_and(|r| r.uid == uid);
    match kind {
        Kind::Deployment => {
            let d = client.get::<Deployment>(namespace, name).map_err(|e| e.to_string())?;
            let listed = client.list::<ReplicaSet>(&in_ns).items;
            let owned: Vec<&ReplicaSet> =
                listed.iter().map(|r| &**r).filter(|r| owned_by(&d.metadata.uid, &r.metadata)).collect();
            let Some(undo) = rollout::deployment_undo(&d, &owned, to).map_err(|e| e.to_string())? else {
                return Ok(());
            };
            client
                .patch::<Deployment>(namespace, name, |o| {
                    o.spec.template = undo.template.clone();
                    if let Some(a) = &undo.annotations {
                        o.metadata.annotations = a.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    }
                })
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Kind::StatefulSet | Kind::DaemonSet => {
            let (uid, current) = if kind == Kind::StatefulSet {
                let s = client.get::<StatefulSet>(namespace, name).map_err(|e| e.to_string())?;
                (s.metadata.uid.clone(), s.spec.template.clone())
            } else {
                let d = client.get::<DaemonSet>(namespace, name).map_err(|e| e.to_string())?;
                (d.metadata.uid.clone(), d.spec.template.clone())
            };
            let listed = client.list::<ControllerRevision>(&in_ns).items;
            let owned: Vec<&ControllerRevision> =
                listed.iter().map(|r| &**r).filter(|r| owned_by(&uid, &r.metadata)).collect();
            let Some(undo) = rollout::revision_undo(&current, &owned, to).map_err(|e| e.to_string())? else {
                return Ok(());
            };
            patch_template(client, kind, namespace, name, &mut |t| {
                *t = undo.template.clone();
                Ok(())
            })
        }
        other => Err(format!("{other} has no rollout history")),
    }
}

/// Deletes one object.
pub fn delete(
    client: &Client,
    kind: Kind,
    namespace: &str,
    name: &str,
    opts: &DeleteOptions,
) -> Result<(), StoreError> {
    with_kind!(kind, T => client.delete::<T>(namespace, name, opts).map(|_| ()))
}

/// A node named `name` from `template`: labels (plus `kubernetes.io/hostname`),
/// taints, capacity (defaults filled in) = allocatable. No conditions: the
/// kubelet makes it Ready after the `nodeReady` latency.
pub fn node(template: &NodeTemplate, name: &str) -> Node {
    let mut capacity: BTreeMap<String, Quantity> = DEFAULT_CAPACITY
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap_or_else(|_| unreachable!("valid default {v}"))))
        .collect();
    capacity.extend(template.capacity.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut labels = template.labels.clone();
    labels.insert("kubernetes.io/hostname".to_string(), name.to_string());
    Node {
        metadata: ObjectMeta { name: name.to_string(), labels, ..Default::default() },
        spec: NodeSpec { taints: template.taints.clone(), ..Default::default() },
        status: NodeStatus { allocatable: capacity.clone(), capacity, ..Default::default() },
    }
}

/// Splits `node-12` into (`node-`, 12) for ordering nodes by number.
pub fn name_number(name: &str) -> (&str, u64) {
    let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (prefix, num) = name.split_at(name.len() - digits);
    (prefix, num.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_get_default_capacity_and_hostname() {
        let t = NodeTemplate {
            name_prefix: "n-".into(),
            labels: [("zone".to_string(), "a".to_string())].into(),
            taints: vec![],
            capacity: [("cpu".to_string(), Quantity::parse("4").unwrap())].into(),
        };
        let n = node(&t, "n-3");
        assert_eq!(n.status.capacity["cpu"].to_string(), "4");
        assert_eq!(n.status.allocatable["pods"].to_string(), "110");
        assert_eq!(n.metadata.labels["kubernetes.io/hostname"], "n-3");
        assert!(n.status.conditions.is_empty());
    }

    #[test]
    fn node_names_order_by_number() {
        assert_eq!(name_number("node-12"), ("node-", 12));
        assert_eq!(name_number("big"), ("big", 0));
    }
}
