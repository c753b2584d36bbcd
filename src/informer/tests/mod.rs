//! Unit tests of the cache rules (through the writer) and of the informer shell (against the store).

mod cache;
mod informer;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::pod::{Container, Pod};
use crate::api::{ObjectMeta, OwnerReference};

use super::Cache;

/// A valid pod `ns/name`, bound to `node` if not empty, controlled by owner uid `owner` if not empty.
pub(super) fn pod(ns: &str, name: &str, node: &str, owner: &str) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named(ns, name), ..Default::default() };
    p.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
    p.spec.node_name = node.into();
    if !owner.is_empty() {
        p.metadata.owner_references.push(OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: format!("rs-{owner}"),
            uid: owner.into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        });
    }
    p
}

/// `pod(..)` stamped with resourceVersion `rv`, as the store would hand it out.
pub(super) fn stored(ns: &str, name: &str, node: &str, owner: &str, rv: u64) -> Arc<Pod> {
    let mut p = pod(ns, name, node, owner);
    p.metadata.resource_version = rv.to_string();
    Arc::new(p)
}

/// Index `index` as value → sorted `key@rv` list.
pub(super) fn index_view(cache: &Cache<Pod>, index: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for v in cache.index_values(index) {
        let mut objs: Vec<String> = cache
            .by_index(index, &v)
            .iter()
            .map(|p| format!("{}@{}", p.metadata.key(), p.metadata.resource_version))
            .collect();
        objs.sort();
        out.insert(v, objs);
    }
    out
}

/// Builds the expected view from `(value, [key@rv...])` pairs.
pub(super) fn view(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs.iter().map(|(v, ks)| (v.to_string(), ks.iter().map(|k| k.to_string()).collect())).collect()
}
