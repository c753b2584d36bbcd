//! Checks that a typed scenario can run: impossible values, missing targets, objects and manifests.
//!
//! Runs after typed parsing; lists every problem (path, message) instead of
//! stopping at the first. Also reads the manifests of `create` steps.

use std::collections::BTreeSet;

use kwarp::api::{parse_manifests, AnyObject, FieldPath, Kind};
use kwarp::sim::Dist;
use serde_json::Value;

use super::load::Resolver;
use super::{stamp, CreateStep, Labels, Scenario, Step, Target, WaitFor};
use crate::jsonpath::Path;

type Found = Vec<(FieldPath, String)>;

/// The kinds `setImage` and `rollback` take.
const ROLLOUT_KINDS: &[Kind] = &[Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet];

/// Client names the system uses (for `api.clients`).
const KNOWN_CLIENTS: [&str; 9] = [
    "loadgen",
    "replicaset-controller",
    "deployment-controller",
    "statefulset-controller",
    "daemon-set-controller",
    "generic-garbage-collector",
    "pod-garbage-collector",
    "scheduler",
    "kubelet",
];

/// Validates `scn` (filling in the objects of `create` steps); returns notes on
/// settings that are accepted but not applied yet.
pub(super) fn check(scn: &mut Scenario, files: &Resolver, found: &mut Found) -> Vec<String> {
    let root = FieldPath::root();
    let mut notes = Vec::new();
    if scn.name.trim().is_empty() {
        found.push((root.clone().key("name"), "must not be empty".into()));
    } else if !scn.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        found.push((
            root.clone().key("name"),
            format!("{:?}: use letters, digits, `-`, `_` and `.` only (it names the results folder)", scn.name),
        ));
    }
    if let Err(e) = scn.kubelet.validate() {
        found.push((root.clone().key("kubelet").key(e.field), e.reason));
    }
    if let Err(e) = scn.scheduler.validate() {
        found.push((root.clone().key("scheduler").key(e.field), e.reason));
    }
    let cluster = root.clone().key("cluster");
    check_template(&scn.cluster.nodes.template(), cluster.clone().key("nodes"), found);
    for (name, t) in &scn.cluster.node_templates {
        check_template(t, cluster.clone().key("nodeTemplates").key(name.clone()), found);
    }
    let api = root.clone().key("api");
    if let Some(d) = &scn.api.latency {
        if matches!(d, Dist::Exponential { .. } | Dist::Lognormal { .. }) {
            found.push((api.clone().key("latency"), format!("{d}: the API latency model takes fixed or uniform")));
        }
        notes.push("api.latency: applied to the loadgen client only (the cluster has no knob for it yet)".into());
    }
    for (client, limits) in &scn.api.clients {
        let at = api.clone().key("clients").key(client.clone());
        if !(limits.qps > 0.0 && limits.qps.is_finite()) {
            found.push((at.clone().key("qps"), format!("must be greater than 0, got {}", limits.qps)));
        }
        if limits.burst.get() == 0 || limits.burst.get() > u64::from(u32::MAX) {
            found.push((at.clone().key("burst"), format!("must be between 1 and {}", u32::MAX)));
        }
        if !KNOWN_CLIENTS.contains(&client.as_str()) {
            found.push((at, format!("unknown client {client:?}; clients: {}", KNOWN_CLIENTS.join(", "))));
        } else if client != "loadgen" {
            notes.push(format!("api.clients.{client}: accepted, not applied yet (the cluster has no knob for it)"));
        }
    }
    for (name, spec) in scn.controllers.entries() {
        let Some(spec) = spec else { continue };
        if spec.workers.get() == 0 || spec.workers.get() > 1024 {
            found.push((
                root.clone().key("controllers").key(name).key("workers"),
                format!("must be between 1 and 1024, got {}", spec.workers.get()),
            ));
        }
    }
    let mut phases = BTreeSet::new();
    let templates: BTreeSet<String> = scn.cluster.node_templates.keys().cloned().collect();
    let mut ctx = Steps { files, templates, phases: &mut phases, found };
    ctx.check_all(&mut scn.steps, root.key("steps"));
    notes
}

fn check_template(t: &super::NodeTemplate, at: FieldPath, found: &mut Found) {
    if t.name_prefix.is_empty() {
        found.push((at.clone().key("namePrefix"), "must not be empty".into()));
    }
    for (resource, q) in &t.capacity {
        if q.milli_value() <= 0 {
            found.push((at.clone().key("capacity").key(resource.clone()), format!("must be greater than 0, got {q}")));
        }
    }
}

struct Steps<'a> {
    files: &'a Resolver,
    templates: BTreeSet<String>,
    phases: &'a mut BTreeSet<String>,
    found: &'a mut Found,
}

impl Steps<'_> {
    fn check_all(&mut self, steps: &mut [Step], at: FieldPath) {
        for (i, step) in steps.iter_mut().enumerate() {
            let at = at.clone().index(i).key(step.keyword());
            self.check(step, at);
        }
    }

    fn bad(&mut self, at: FieldPath, message: impl Into<String>) {
        self.found.push((at, message.into()));
    }

    fn check(&mut self, step: &mut Step, at: FieldPath) {
        match step {
            Step::Create(c) => self.create(c, at),
            Step::Update(s) | Step::Patch(s) => {
                self.target(&s.target, at.clone().key("target"));
                if s.set.is_empty() {
                    self.bad(at.clone().key("set"), "nothing to set");
                }
                for key in s.set.keys() {
                    match Path::parse(key) {
                        Err(e) => {
                            self.bad(at.clone().key("set").key(key.clone()), format!("bad field path: {}", e.reason))
                        }
                        Ok(p) => {
                            let segs = p.segments();
                            let fixed = ["apiVersion", "kind"].contains(&segs[0].as_str())
                                || (segs[0] == "metadata"
                                    && segs.get(1).is_some_and(|s| ["name", "namespace", "uid"].contains(&s.as_str())))
                                || (segs[0] == "metadata" && segs.len() == 1);
                            if fixed {
                                self.bad(
                                    at.clone().key("set").key(key.clone()),
                                    "this field identifies the object and cannot be set",
                                );
                            } else if segs[0] == "status" {
                                self.bad(
                                    at.clone().key("set").key(key.clone()),
                                    "status is written by controllers, not by the load generator",
                                );
                            }
                        }
                    }
                }
            }
            Step::Scale(s) => {
                self.target(&s.target, at.clone().key("target"));
                if Kind::from_name(&s.target.kind)
                    .is_some_and(|k| !matches!(k, Kind::ReplicaSet | Kind::Deployment | Kind::StatefulSet))
                {
                    self.bad(
                        at.clone().key("target").key("kind"),
                        format!("{} has no replicas; scale takes ReplicaSet, Deployment or StatefulSet", s.target.kind),
                    );
                }
                if s.replicas.get() > i32::MAX as u64 {
                    self.bad(at.key("replicas"), format!("must be at most {}", i32::MAX));
                }
            }
            Step::Delete(d) => {
                self.target(&d.target, at.clone().key("target"));
                if d.count.is_some_and(|c| c.get() == 0) {
                    self.bad(at.key("count"), "must be at least 1 (leave it out to delete every match)");
                }
            }
            Step::AddNodes(a) => {
                if a.count.get() == 0 {
                    self.bad(at.clone().key("count"), "must be at least 1");
                }
                if let Some(t) = &a.template {
                    if !self.templates.contains(t) {
                        let known: Vec<&str> = self.templates.iter().map(String::as_str).collect();
                        let known = if known.is_empty() { "none defined".to_string() } else { known.join(", ") };
                        self.bad(
                            at.clone().key("template"),
                            format!("no node template {t:?} in cluster.nodeTemplates ({known})"),
                        );
                    }
                }
                if let Some(r) = a.rate {
                    if !(r > 0.0 && r.is_finite()) {
                        self.bad(at.key("rate"), format!("must be greater than 0 (nodes per second), got {r}"));
                    }
                }
            }
            Step::RemoveNodes(r) => {
                if r.count.get() == 0 {
                    self.bad(at.clone().key("count"), "must be at least 1");
                }
                self.labels(r.selector.as_ref(), at.key("selector"));
            }
            Step::KillPods(k) => {
                if k.count.get() == 0 {
                    self.bad(at.clone().key("count"), "must be at least 1");
                }
                self.labels(k.selector.as_ref(), at.key("selector"));
            }
            Step::SetImage(si) => {
                self.rollout_target(&si.target, at.clone().key("target"), ROLLOUT_KINDS);
                self.positive(si.count, at.clone().key("count"));
                if si.container.trim().is_empty() {
                    self.bad(at.clone().key("container"), "must not be empty (a container name, or \"*\" for all)");
                }
                if si.image.trim().is_empty() {
                    self.bad(at.key("image"), "must not be empty");
                }
            }
            Step::Rollback(r) => {
                self.rollout_target(&r.target, at.clone().key("target"), ROLLOUT_KINDS);
                self.positive(r.count, at.clone().key("count"));
                if r.to_revision.is_some_and(|n| n.get() == 0) {
                    self.bad(at.key("toRevision"), "must be at least 1 (leave it out for the previous revision)");
                }
            }
            Step::Pause(p) | Step::Resume(p) => {
                self.rollout_target(&p.target, at.clone().key("target"), &[Kind::Deployment]);
                self.positive(p.count, at.key("count"));
            }
            Step::Wait(w) => {
                if let WaitFor::Duration(d) = w.until {
                    if d.is_zero() {
                        self.bad(at.key("duration"), "must be greater than 0");
                    }
                }
            }
            Step::Measure(m) => {
                if m.name.trim().is_empty() {
                    self.bad(at.clone().key("name"), "must not be empty");
                } else if !self.phases.insert(m.name.clone()) {
                    self.bad(
                        at.clone().key("name"),
                        format!("phase {:?} is measured twice; names must be unique", m.name),
                    );
                }
                if m.steps.is_empty() {
                    self.bad(at.clone().key("steps"), "a phase needs at least one step");
                }
                self.check_all(&mut m.steps, at.key("steps"));
            }
            Step::Sleep(d) => {
                if d.is_zero() {
                    self.bad(at, "must be greater than 0");
                }
            }
        }
    }

    fn target(&mut self, t: &Target, at: FieldPath) {
        if Kind::from_name(&t.kind).is_none() {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            self.bad(at.clone().key("kind"), format!("unknown kind {:?}; kinds: {}", t.kind, kinds.join(", ")));
        }
        if t.name.is_some() && (t.name_prefix.is_some() || t.selector.is_some()) {
            self.bad(at.clone().key("name"), "give `name`, or `namePrefix` and/or `selector`, not both");
        }
        if t.name.as_deref().is_some_and(str::is_empty) {
            self.bad(at.clone().key("name"), "must not be empty");
        }
        self.labels(t.selector.as_ref(), at.key("selector"));
    }

    fn rollout_target(&mut self, t: &Target, at: FieldPath, kinds: &[Kind]) {
        self.target(t, at.clone());
        if Kind::from_name(&t.kind).is_some_and(|k| !kinds.contains(&k)) {
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            self.bad(at.key("kind"), format!("{} has no rollouts here; this step takes {}", t.kind, names.join(", ")));
        }
    }

    fn positive(&mut self, count: Option<super::Count>, at: FieldPath) {
        if count.is_some_and(|c| c.get() == 0) {
            self.bad(at, "must be at least 1 (leave it out for every match)");
        }
    }

    fn labels(&mut self, sel: Option<&Labels>, at: FieldPath) {
        if sel.is_some_and(|s| s.is_empty()) {
            self.bad(at, "an empty selector selects everything: leave it out instead");
        }
    }

    fn create(&mut self, c: &mut CreateStep, at: FieldPath) {
        if c.count.is_some_and(|n| n.get() == 0) {
            self.bad(at.clone().key("count"), "must be at least 1");
        }
        match (&c.object, &c.manifest) {
            (Some(_), Some(_)) => self.bad(at.clone().key("manifest"), "give `object` or `manifest`, not both"),
            (None, None) => self.bad(at.clone(), "missing `object` (inline) or `manifest` (a file)"),
            (Some(obj), None) => {
                let obj = obj.clone();
                if self.object(&obj, c, at.clone().key("object"), None) {
                    c.objects = vec![obj];
                }
            }
            (None, Some(file)) => {
                let path = self.files.path(file);
                let shown = path.display().to_string();
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) => return self.bad(at.key("manifest"), format!("cannot read {shown}: {e}")),
                };
                match parse_manifests(&shown, &text) {
                    Err(e) => self.bad(at.key("manifest"), e.to_string()),
                    Ok(ms) if ms.is_empty() => self.bad(at.key("manifest"), format!("{shown} holds no objects")),
                    Ok(ms) => {
                        let mut ok = true;
                        for m in &ms {
                            let v = m.object.to_json_value();
                            let place = format!("{shown}:{}", m.line);
                            ok &= self.object(&v, c, at.clone().key("manifest"), Some(place));
                        }
                        if ok {
                            c.objects = ms.into_iter().map(|m| m.object.to_json_value()).collect();
                        }
                    }
                }
            }
        }
    }

    /// Decodes and validates what the first copy of `obj` will be; true when it is fine.
    fn object(&mut self, obj: &Value, c: &CreateStep, at: FieldPath, place: Option<String>) -> bool {
        let prefix = place.map(|p| format!("{p}: ")).unwrap_or_default();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        if c.count.is_some() && name.is_empty() {
            let has_generate =
                obj.pointer("/metadata/generateName").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
            if !has_generate {
                self.bad(
                    at,
                    format!("{prefix}`count` stamps copies named <metadata.name>-<i>: the object needs a name"),
                );
                return false;
            }
        }
        let first = stamp(obj, c.count.map(|_| 0), c.namespace.as_deref());
        let mut decoded = match AnyObject::from_json_value(first) {
            Ok(o) => o,
            Err(e) => {
                let obj_path = e.field_path();
                let msg = match &e {
                    kwarp::api::ObjectError::UnknownField { path, expected } => {
                        format!("unknown field `{}`, expected {expected}", path.last_key())
                    }
                    kwarp::api::ObjectError::InvalidValue { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                if prefix.is_empty() {
                    let mut path = at;
                    path.0.extend(obj_path.segments().iter().cloned());
                    self.bad(path, msg);
                } else {
                    self.bad(at, format!("{prefix}{obj_path}: {msg}"));
                }
                return false;
            }
        };
        decoded.apply_defaults();
        if let Err(invalid) = decoded.validate(None) {
            self.bad(at, format!("{prefix}{invalid}"));
            return false;
        }
        true
    }
}
