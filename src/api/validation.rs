//! API-server validation of every kind (`pkg/apis/*/validation`), worded like Kubernetes.

use super::apps::{ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet};
use super::batch::{CronJob, Job};
use super::node::Node;
use super::pod::Pod;
use super::storage::{PersistentVolumeClaim, Service};
use super::{FieldErrors, Invalid, Kind, ObjectMeta, Resource};

fn meta<T: Resource>(obj: &T, _old: Option<&T>) -> Result<(), Invalid> {
    let m: &ObjectMeta = obj.meta();
    let mut errs = FieldErrors::default();
    if m.name.is_empty() && m.generate_name.is_empty() {
        errs.push(super::FieldError::required("metadata.name", "name or generateName is required"));
    }
    errs.into_result(T::KIND, &m.name)
}

pub fn pod(o: &Pod, old: Option<&Pod>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn node(o: &Node, old: Option<&Node>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn service(o: &Service, old: Option<&Service>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn persistent_volume_claim(o: &PersistentVolumeClaim, old: Option<&PersistentVolumeClaim>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn replica_set(o: &ReplicaSet, old: Option<&ReplicaSet>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn deployment(o: &Deployment, old: Option<&Deployment>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn stateful_set(o: &StatefulSet, old: Option<&StatefulSet>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn daemon_set(o: &DaemonSet, old: Option<&DaemonSet>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn controller_revision(o: &ControllerRevision, old: Option<&ControllerRevision>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn job(o: &Job, old: Option<&Job>) -> Result<(), Invalid> {
    meta(o, old)
}
pub fn cron_job(o: &CronJob, old: Option<&CronJob>) -> Result<(), Invalid> {
    meta(o, old)
}

#[allow(dead_code)]
fn kind_of<T: Resource>() -> Kind {
    T::KIND
}
