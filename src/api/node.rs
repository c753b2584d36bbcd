//! Nodes: schedulability, taints, capacity, allocatable and conditions.

use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use super::object::k8s_resource;
use super::pod::{find_condition, Condition, Extra, ResourceList};
use super::taint::Taint;
use super::{defaults, validation, Kind};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpec {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unschedulable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    #[serde(rename = "podCIDR", default, skip_serializing_if = "String::is_empty")]
    pub pod_cidr: String,
    #[serde(rename = "providerID", default, skip_serializing_if = "String::is_empty")]
    pub provider_id: String,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    #[serde(default, skip_serializing_if = "ResourceList::is_empty")]
    pub capacity: ResourceList,
    #[serde(default, skip_serializing_if = "ResourceList::is_empty")]
    pub allocatable: ResourceList,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub metadata: ObjectMeta,
    pub spec: NodeSpec,
    pub status: NodeStatus,
}

impl Node {
    /// The Ready condition is True.
    pub fn is_ready(&self) -> bool {
        find_condition(&self.status.conditions, "Ready").is_some_and(Condition::is_true)
    }
    /// Allocatable amount of `resource` in milli-units (0 when not reported).
    pub fn allocatable_milli(&self, resource: &str) -> i64 {
        self.status.allocatable.get(resource).map(|q| q.milli_value()).unwrap_or(0)
    }
}

k8s_resource!(Node, Kind::Node, NodeSpec, NodeStatus, defaults = defaults::node, validate = validation::node);
