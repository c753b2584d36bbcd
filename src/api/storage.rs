//! PersistentVolumeClaims (StatefulSet volumes) and Services (the headless service a StatefulSet names).

use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use super::object::k8s_resource;
use super::pod::{Condition, Extra, ResourceRequirements};
use super::selector::LabelSelector;
use super::{defaults, validation, Kind, StringMap};

// ---------------------------------------------------------------- PersistentVolumeClaim

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentVolumeClaimSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "ResourceRequirements::is_empty")]
    pub resources: ResourceRequirements,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub volume_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// volumeMode, dataSource, ... verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentVolumeClaimStatus {
    /// `Pending`, `Bound` or `Lost`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "super::pod::ResourceList::is_empty")]
    pub capacity: super::pod::ResourceList,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PersistentVolumeClaim {
    pub metadata: ObjectMeta,
    pub spec: PersistentVolumeClaimSpec,
    pub status: PersistentVolumeClaimStatus,
}

k8s_resource!(
    PersistentVolumeClaim,
    Kind::PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PersistentVolumeClaimStatus,
    defaults = defaults::persistent_volume_claim,
    validate = validation::persistent_volume_claim
);

// ---------------------------------------------------------------- Service

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub selector: StringMap,
    /// `None` makes the service headless (what a StatefulSet's serviceName names).
    #[serde(rename = "clusterIP", default, skip_serializing_if = "String::is_empty")]
    pub cluster_ip: String,
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub type_: String,
    /// Ports and every other field, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<serde_json::Value>,
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl ServiceSpec {
    pub fn is_headless(&self) -> bool {
        self.cluster_ip == "None"
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatus {
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Service {
    pub metadata: ObjectMeta,
    pub spec: ServiceSpec,
    pub status: ServiceStatus,
}

k8s_resource!(
    Service,
    Kind::Service,
    ServiceSpec,
    ServiceStatus,
    defaults = defaults::service,
    validate = validation::service
);
