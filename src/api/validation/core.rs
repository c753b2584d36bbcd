//! core/v1 validation: Pods and pod templates, Services, PersistentVolumeClaims, Nodes.

use crate::api::error::PathExt;
use std::collections::HashSet;
use std::fmt;

use super::super::node::Node;
use super::super::node_affinity::validate_affinity;
use super::super::pod::{Container, Pod, PodSpec, PodTemplateSpec, ResourceRequirements, Volume};
use super::super::quantity::Quantity;
use super::super::storage::{PersistentVolumeClaim, Service};
use super::super::taint::{validate_taints, validate_tolerations, Toleration};
use super::super::{names, FieldError, FieldErrors, Invalid, Kind};
use super::{immutable_str, non_negative_opt, object_meta, object_meta_update, q, NameRule};

/// `ValidatePodTemplateSpec`: labels and annotations (at `path.labels`, as upstream
/// prints them), then the pod spec.
pub(crate) fn pod_template_spec(t: &PodTemplateSpec, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    names::validate_labels(&t.metadata.labels, &path.dot("labels"), errs);
    names::validate_annotations(&t.metadata.annotations, &path.dot("annotations"), errs);
    pod_spec(&t.spec, &path.dot("spec"), errs);
}

/// `ValidatePodSpec`, for the fields kwarp models.
pub(crate) fn pod_spec(spec: &PodSpec, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    volumes(&spec.volumes, &path.dot("volumes"), errs);
    let cpath = path.dot("containers");
    if spec.containers.is_empty() {
        errs.push(FieldError::required(&cpath, ""));
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, c) in spec.containers.iter().enumerate() {
        let p = cpath.at(i);
        container(c, &p, errs);
        if !seen.insert(&c.name) {
            errs.push(FieldError::duplicate(p.dot("name"), q(&c.name)));
        }
    }
    for (i, c) in spec.init_containers.iter().enumerate() {
        let p = path.dot_at("initContainers", i);
        container(c, &p, errs);
        if seen.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.dot("name"), q(&c.name)));
        } else if !c.name.is_empty() {
            seen.insert(&c.name);
        }
    }
    if spec.restart_policy.is_none() {
        errs.push(FieldError::required(path.dot("restartPolicy"), ""));
    }
    names::validate_labels(&spec.node_selector, &path.dot("nodeSelector"), errs);
    if let Some(a) = &spec.affinity {
        validate_affinity(a, &path.dot("affinity"), errs);
    }
    if !spec.node_name.is_empty() {
        for msg in names::is_dns1123_subdomain(&spec.node_name) {
            errs.push(FieldError::invalid(path.dot("nodeName"), q(&spec.node_name), msg));
        }
    }
    if let Some(v) = spec.active_deadline_seconds {
        if !(1..=i64::from(i32::MAX)).contains(&v) {
            errs.push(FieldError::invalid(
                path.dot("activeDeadlineSeconds"),
                v,
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    for (field, value) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if !value.is_empty() {
            for msg in names::is_dns1123_label(value) {
                errs.push(FieldError::invalid(path.dot(field), q(value), msg));
            }
        }
    }
    validate_tolerations(&spec.tolerations, &path.dot("tolerations"), errs);
    non_negative_opt(&path.dot("terminationGracePeriodSeconds"), spec.termination_grace_period_seconds, errs);
}

/// `validateContainerCommon`: name, image, resources.
fn container(c: &Container, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    if c.name.is_empty() {
        errs.push(FieldError::required(path.dot("name"), ""));
    } else {
        for msg in names::is_dns1123_label(&c.name) {
            errs.push(FieldError::invalid(path.dot("name"), q(&c.name), msg));
        }
    }
    if c.image.is_empty() {
        errs.push(FieldError::required(path.dot("image"), ""));
    }
    resources(&c.resources, &path.dot("resources"), errs);
}

/// `ValidateResourceRequirements`: names are container resources, quantities are
/// non-negative (integers for extended resources), requests ≤ limits, and
/// non-overcommittable resources (extended, hugepages) have requests equal to limits.
fn resources(r: &ResourceRequirements, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for (name, qty) in &r.limits {
        let p = path.dot_key("limits", name);
        resource_name(name, &p, errs);
        resource_quantity(name, qty, &p, errs);
    }
    for (name, qty) in &r.requests {
        let p = path.dot_key("requests", name);
        resource_name(name, &p, errs);
        resource_quantity(name, qty, &p, errs);
        let overcommit = is_native_resource(name) && !name.starts_with("hugepages-");
        match r.limits.get(name) {
            Some(limit) if qty != limit && !overcommit => errs.push(FieldError::invalid(
                path.dot("requests"),
                q(qty.as_str()),
                format!("must be equal to {name} limit of {}", limit.as_str()),
            )),
            Some(limit) if qty > limit => errs.push(FieldError::invalid(
                path.dot("requests"),
                q(qty.as_str()),
                format!("must be less than or equal to {name} limit of {}", limit.as_str()),
            )),
            None if !overcommit => errs
                .push(FieldError::required(path.dot("limits"), "Limit must be set for non overcommitable resources")),
            _ => {}
        }
    }
}

/// `IsNativeResource`: unprefixed or in the `kubernetes.io/` domain.
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// `validateContainerResourceName`.
fn resource_name(name: &str, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for msg in names::is_qualified_name(name) {
        errs.push(FieldError::invalid(path, q(name), msg));
    }
    if !name.contains('/') {
        if !matches!(name, "cpu" | "memory" | "ephemeral-storage") && !name.starts_with("hugepages-") {
            errs.push(FieldError::invalid(path, q(name), "must be a standard resource for containers"));
        }
    } else if !is_native_resource(name)
        && (name.starts_with("requests.") || !names::valid_qualified_name(&format!("requests.{name}")))
    {
        errs.push(FieldError::invalid(path, q(name), "doesn't follow extended resource name standard"));
    }
}

/// `ValidateResourceQuantityValue`.
fn resource_quantity(name: &str, qty: &Quantity, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    if qty.is_negative() {
        errs.push(FieldError::invalid(path, q(qty.as_str()), super::NEGATIVE));
    }
    if !is_native_resource(name) && qty.milli_value() % 1000 != 0 {
        errs.push(FieldError::invalid(path, q(qty.as_str()), "must be an integer"));
    }
}

/// `ValidateVolumes`: unique DNS-label names, exactly one source, PVC sources name a claim.
fn volumes(vols: &[Volume], path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, v) in vols.iter().enumerate() {
        let p = path.at(i);
        let mut el = FieldErrors::default();
        let mut sources = 0;
        if let Some(pvc) = &v.persistent_volume_claim {
            sources += 1;
            if pvc.claim_name.is_empty() {
                el.push(FieldError::required(p.dot("persistentVolumeClaim.claimName"), ""));
            }
        }
        for key in v.extra.keys() {
            if sources > 0 {
                el.push(FieldError::forbidden(p.dot(key), "may not specify more than 1 volume type"));
            }
            sources += 1;
        }
        if sources == 0 {
            el.push(FieldError::required(&p, "must specify a volume type"));
        }
        let name_path = p.dot("name");
        if v.name.is_empty() {
            el.push(FieldError::required(&name_path, ""));
        } else {
            for msg in names::is_dns1123_label(&v.name) {
                el.push(FieldError::invalid(&name_path, q(&v.name), msg));
            }
        }
        if seen.contains(v.name.as_str()) {
            el.push(FieldError::duplicate(&name_path, q(&v.name)));
        }
        if el.is_empty() {
            seen.insert(&v.name);
        }
        errs.extend(el);
    }
}

// ------------------------------------------------------------------ Pod

const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,\
`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing \
tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodCreate` / `ValidatePodUpdate`. On update only container images,
/// activeDeadlineSeconds (set, or lowered), tolerations (additions; tolerationSeconds
/// may change) and the binding (`spec.nodeName` from empty) may change.
pub fn pod(o: &Pod, old: Option<&Pod>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    match old {
        None => {
            object_meta(Kind::Pod, &o.metadata, NameRule::Subdomain, &mut errs);
            pod_spec(&o.spec, "spec", &mut errs);
            for (list, cs) in [("containers", &o.spec.containers), ("initContainers", &o.spec.init_containers)] {
                for (i, c) in cs.iter().enumerate() {
                    image_whitespace(c, &"spec".dot_at(list, i).dot("image"), &mut errs);
                }
            }
        }
        Some(old) => {
            object_meta_update(&o.metadata, &old.metadata, &mut errs);
            pod_spec(&o.spec, "spec", &mut errs);
            pod_update(&o.spec, &old.spec, &mut errs);
        }
    }
    errs.into_result(Kind::Pod, &o.metadata.name)
}

fn image_whitespace(c: &Container, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    if c.image.trim() != c.image {
        errs.push(FieldError::invalid(path, q(&c.image), "must not have leading or trailing whitespace"));
    }
}

/// The update-only half of `ValidatePodUpdate`.
fn pod_update(new: &PodSpec, old: &PodSpec, errs: &mut FieldErrors) {
    for (list, n, o) in [
        ("containers", &new.containers, &old.containers),
        ("initContainers", &new.init_containers, &old.init_containers),
    ] {
        if n.len() != o.len() {
            errs.push(FieldError::forbidden("spec".dot(list), "pod updates may not add or remove containers"));
            return;
        }
        for (i, c) in n.iter().enumerate() {
            image_whitespace(c, &"spec".dot_at(list, i).dot("image"), errs);
        }
    }
    match (new.active_deadline_seconds, old.active_deadline_seconds) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            errs.push(FieldError::invalid(
                "spec.activeDeadlineSeconds",
                n,
                "must be between 0 and 2147483647, inclusive",
            ));
            return;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                "spec.activeDeadlineSeconds",
                n,
                "must be less than or equal to previous value",
            ));
            return;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            "spec.activeDeadlineSeconds",
            "null",
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    if !only_added_tolerations(&new.tolerations, &old.tolerations) {
        errs.push(FieldError::forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    }
    if new == old {
        return;
    }
    let mut munged = new.clone();
    for (m, o) in munged.containers.iter_mut().zip(&old.containers) {
        m.image.clone_from(&o.image);
    }
    for (m, o) in munged.init_containers.iter_mut().zip(&old.init_containers) {
        m.image.clone_from(&o.image);
    }
    munged.active_deadline_seconds = old.active_deadline_seconds;
    munged.tolerations.clone_from(&old.tolerations);
    if old.node_name.is_empty() {
        // Binding: the scheduler sets spec.nodeName once.
        munged.node_name.clear();
    }
    if old.termination_grace_period_seconds.is_some_and(|v| v < 0) && munged.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = old.termination_grace_period_seconds;
    }
    if munged != *old {
        errs.push(FieldError::forbidden("spec", POD_UPDATE_FORBIDDEN));
    }
}

/// `validateOnlyAddedTolerations`: every old toleration is still there (its tolerationSeconds may change).
fn only_added_tolerations(new: &[Toleration], old: &[Toleration]) -> bool {
    old.iter().all(|o| new.iter().any(|n| Toleration { toleration_seconds: n.toleration_seconds, ..o.clone() } == *n))
}

// ------------------------------------------------------------------ Service

/// `ValidateService` for the modeled fields: a DNS-1035 name, a known type, clusterIP
/// empty, `None` (headless, ClusterIP services only) or an IP, a valid selector;
/// on update a set clusterIP may not change. Ports are kept verbatim and not checked.
pub fn service(o: &Service, old: Option<&Service>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    match old {
        None => object_meta(Kind::Service, &o.metadata, NameRule::Dns1035, &mut errs),
        Some(old) => object_meta_update(&o.metadata, &old.metadata, &mut errs),
    }
    let s = &o.spec;
    const TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if s.type_.is_empty() {
        errs.push(FieldError::required("spec.type", ""));
    } else if !TYPES.contains(&s.type_.as_str()) {
        errs.push(FieldError::not_supported("spec.type", &s.type_, &TYPES));
    }
    if s.is_headless() {
        if matches!(s.type_.as_str(), "NodePort" | "LoadBalancer") {
            let detail = format!("may not be set to 'None' for {} services", s.type_);
            errs.push(FieldError::invalid("spec.clusterIP", q(&s.cluster_ip), detail));
        }
    } else if !s.cluster_ip.is_empty() && s.cluster_ip.parse::<std::net::IpAddr>().is_err() {
        errs.push(FieldError::invalid(
            "spec.clusterIP",
            q(&s.cluster_ip),
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        ));
    }
    names::validate_labels(&s.selector, "spec.selector", &mut errs);
    if let Some(old) = old {
        if !old.spec.cluster_ip.is_empty() {
            immutable_str("spec.clusterIP", &s.cluster_ip, &old.spec.cluster_ip, &mut errs);
        }
    }
    errs.into_result(Kind::Service, &o.metadata.name)
}

// ------------------------------------------------------------------ PersistentVolumeClaim

const ACCESS_MODES: [&str; 4] = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/// `ValidatePersistentVolumeClaim` (+ `...Update`): access modes required and known,
/// `resources.requests.storage` required and positive; on update the spec is
/// immutable except a larger storage request on a bound claim and the binding
/// (`volumeName` from empty).
pub fn persistent_volume_claim(o: &PersistentVolumeClaim, old: Option<&PersistentVolumeClaim>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    match old {
        None => object_meta(Kind::PersistentVolumeClaim, &o.metadata, NameRule::Subdomain, &mut errs),
        Some(old) => object_meta_update(&o.metadata, &old.metadata, &mut errs),
    }
    let s = &o.spec;
    if s.access_modes.is_empty() {
        errs.push(FieldError::required("spec.accessModes", "at least 1 access mode is required"));
    }
    if let Some(sel) = &s.selector {
        super::super::selector::validate_label_selector(sel, "spec.selector", &mut errs);
    }
    for m in &s.access_modes {
        if !ACCESS_MODES.contains(&m.as_str()) {
            errs.push(FieldError::not_supported("spec.accessModes", m, &ACCESS_MODES));
        }
    }
    let rwop = s.access_modes.iter().any(|m| m == "ReadWriteOncePod");
    if rwop && s.access_modes.iter().any(|m| m != "ReadWriteOncePod" && ACCESS_MODES.contains(&m.as_str())) {
        errs.push(FieldError::forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes"));
    }
    match s.resources.requests.get("storage") {
        None => errs.push(FieldError::required("spec.resources[storage]", "")),
        Some(qty) if qty.nanos() <= 0 => {
            errs.push(FieldError::invalid("spec.resources[storage]", q(qty.as_str()), "must be greater than zero"))
        }
        Some(_) => {}
    }
    if let Some(class) = s.storage_class_name.as_deref().filter(|c| !c.is_empty()) {
        for msg in names::is_dns1123_subdomain(class) {
            errs.push(FieldError::invalid("spec.storageClassName", q(class), msg));
        }
    }
    if let Some(old) = old {
        pvc_update(o, old, &mut errs);
    }
    errs.into_result(Kind::PersistentVolumeClaim, &o.metadata.name)
}

fn pvc_update(new: &PersistentVolumeClaim, old: &PersistentVolumeClaim, errs: &mut FieldErrors) {
    let mut old_spec = old.spec.clone();
    if old_spec.volume_name.is_empty() {
        old_spec.volume_name.clone_from(&new.spec.volume_name);
    }
    let bound = old.status.phase == "Bound";
    if bound {
        old_spec.resources.requests.clone_from(&new.spec.resources.requests);
    }
    if new.spec != old_spec {
        errs.push(FieldError::forbidden(
            "spec",
            "spec is immutable after creation except resources.requests for bound claims",
        ));
    }
    if bound {
        if let (Some(n), Some(o)) =
            (new.spec.resources.requests.get("storage"), old.spec.resources.requests.get("storage"))
        {
            if n < o {
                errs.push(FieldError::forbidden(
                    "spec.resources.requests.storage",
                    "field can not be less than previous value",
                ));
            }
        }
    }
}

// ------------------------------------------------------------------ Node

/// `ValidateNode` (+ `...Update`): a DNS-subdomain name, no namespace, valid taints
/// (unique by key and effect); podCIDR and providerID may only be set once.
pub fn node(o: &Node, old: Option<&Node>) -> Result<(), Invalid> {
    let mut errs = FieldErrors::default();
    match old {
        None => object_meta(Kind::Node, &o.metadata, NameRule::Subdomain, &mut errs),
        Some(old) => {
            object_meta_update(&o.metadata, &old.metadata, &mut errs);
            if !o.metadata.namespace.is_empty() {
                errs.push(FieldError::forbidden("metadata.namespace", "not allowed on this type"));
            }
        }
    }
    validate_taints(&o.spec.taints, "spec.taints", &mut errs);
    if let Some(old) = old {
        if !old.spec.pod_cidr.is_empty() && old.spec.pod_cidr != o.spec.pod_cidr {
            errs.push(FieldError::forbidden(
                "spec.podCIDRs",
                "node updates may not change podCIDR except from \"\" to valid",
            ));
        }
        if !old.spec.provider_id.is_empty() && old.spec.provider_id != o.spec.provider_id {
            errs.push(FieldError::forbidden(
                "spec.providerID",
                "node updates may not change providerID except from \"\" to valid",
            ));
        }
    }
    errs.into_result(Kind::Node, &o.metadata.name)
}
