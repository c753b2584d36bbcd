//! Steps: what a scenario does to the cluster, in order.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use kwarp::api::Kind;
use kwarp::sim::serde_duration;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Condition, Count, Labels};

/// One step. In YAML a one-key map: `- scale: {...}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Create(CreateStep),
    Update(SetStep),
    Patch(SetStep),
    Scale(ScaleStep),
    Delete(DeleteStep),
    AddNodes(AddNodesStep),
    RemoveNodes(RemoveNodesStep),
    KillPods(KillPodsStep),
    SetImage(SetImageStep),
    Rollback(RollbackStep),
    Pause(RolloutStep),
    Resume(RolloutStep),
    Wait(WaitStep),
    Measure(MeasureStep),
    Sleep(#[serde(with = "serde_duration")] Duration),
}

impl Step {
    /// The step's key in YAML.
    pub fn keyword(&self) -> &'static str {
        match self {
            Step::Create(_) => "create",
            Step::Update(_) => "update",
            Step::Patch(_) => "patch",
            Step::Scale(_) => "scale",
            Step::Delete(_) => "delete",
            Step::AddNodes(_) => "addNodes",
            Step::RemoveNodes(_) => "removeNodes",
            Step::KillPods(_) => "killPods",
            Step::SetImage(_) => "setImage",
            Step::Rollback(_) => "rollback",
            Step::Pause(_) => "pause",
            Step::Resume(_) => "resume",
            Step::Wait(_) => "wait",
            Step::Measure(_) => "measure",
            Step::Sleep(_) => "sleep",
        }
    }
}

/// `create`: an inline object or the objects of a manifest file, optionally stamped `count` times.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateStep {
    #[serde(default)]
    pub object: Option<Value>,
    #[serde(default)]
    pub manifest: Option<String>,
    /// Copies of each object, named `<name>-<i>` for i in 0..count.
    #[serde(default)]
    pub count: Option<Count>,
    /// Overrides the objects' namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The objects to create (before stamping): filled in while loading.
    #[serde(skip)]
    pub objects: Vec<Value>,
}

/// Which objects a step acts on.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// `ReplicaSet`, `Pod`, `Node`, ... (checked while loading).
    pub kind: String,
    /// Default: every namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub name_prefix: Option<String>,
    #[serde(default)]
    pub selector: Option<Labels>,
}

impl Target {
    /// The kind; valid after loading.
    pub fn kind(&self) -> Kind {
        Kind::from_name(&self.kind).unwrap_or(Kind::Pod)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, " in {ns}")?;
        }
        if let Some(n) = &self.name {
            write!(f, " named {n}")?;
        }
        if let Some(p) = &self.name_prefix {
            write!(f, " named {p}*")?;
        }
        if let Some(s) = &self.selector {
            let s: Vec<String> = s.iter().map(|(k, v)| format!("{k}={v}")).collect();
            write!(f, " with labels {}", s.join(","))?;
        }
        Ok(())
    }
}

/// `update` / `patch`: set fields of the target objects.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetStep {
    pub target: Target,
    /// Field path → value (`null` removes the field).
    pub set: BTreeMap<String, Value>,
}

/// `scale`: set `spec.replicas` of ReplicaSets, Deployments or StatefulSets.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleStep {
    pub target: Target,
    pub replicas: Count,
}

/// `delete`: the target objects (at most `count`, by name order).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteStep {
    pub target: Target,
    #[serde(default)]
    pub count: Option<Count>,
    #[serde(default, with = "serde_duration::option")]
    pub grace_period: Option<Duration>,
}

/// `addNodes`: more nodes from a template, all at once or at a rate.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddNodesStep {
    pub count: Count,
    /// A key of `cluster.nodeTemplates`; default: `cluster.nodes`' template.
    #[serde(default)]
    pub template: Option<String>,
    /// Nodes per second of cluster time (default: all at once).
    #[serde(default)]
    pub rate: Option<f64>,
}

/// `removeNodes`: delete nodes, highest-numbered first.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoveNodesStep {
    pub count: Count,
    #[serde(default)]
    pub name_prefix: Option<String>,
    #[serde(default)]
    pub selector: Option<Labels>,
}

/// How `killPods` kills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KillMode {
    /// The containers crash and the pod goes Failed (the kubelet's fault API).
    #[default]
    Fail,
    /// The containers crash and restart (restartCount + 1, Ready again later).
    Restart,
    /// The pod is deleted through the API (graceful).
    Delete,
}

/// `killPods`: `count` running pods, chosen with the scenario's seed.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KillPodsStep {
    pub count: Count,
    #[serde(default)]
    pub selector: Option<Labels>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub mode: KillMode,
}

/// `setImage`: `kubectl set image` — the image of one container (`*`: every
/// container) of Deployments, StatefulSets or DaemonSets.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetImageStep {
    pub target: Target,
    pub container: String,
    pub image: String,
    /// At most this many targets, by name order.
    #[serde(default)]
    pub count: Option<Count>,
}

/// `rollback`: `kubectl rollout undo [--to-revision=N]`, done client-side as
/// kubectl does (see [`crate::rollout`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollbackStep {
    pub target: Target,
    /// Default: the previous revision.
    #[serde(default)]
    pub to_revision: Option<Count>,
    /// At most this many targets, by name order.
    #[serde(default)]
    pub count: Option<Count>,
}

/// `pause` / `resume`: `kubectl rollout pause|resume` (sets `spec.paused` of Deployments).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutStep {
    pub target: Target,
    /// At most this many targets, by name order.
    #[serde(default)]
    pub count: Option<Count>,
}

/// `wait`: until a condition holds (with a timeout), or for a duration.
#[derive(Clone, Debug)]
pub struct WaitStep {
    pub until: WaitFor,
    /// Cluster time before the run fails (conditions only).
    pub timeout: Duration,
}

/// What a `wait` waits for.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitFor {
    Condition(Condition),
    Duration(Duration),
}

/// Default `wait` timeout (cluster time).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WaitMap {
    #[serde(default, rename = "for")]
    for_: Option<Condition>,
    #[serde(default, with = "serde_duration::option")]
    duration: Option<Duration>,
    #[serde(default, with = "serde_duration::option")]
    timeout: Option<Duration>,
}

impl<'de> Deserialize<'de> for WaitStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WaitStep;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a condition (`converged`), or a map with `for:` and `timeout:`, or with `duration:`")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<WaitStep, E> {
                let c = s.parse::<Condition>().map_err(E::custom)?;
                Ok(WaitStep { until: WaitFor::Condition(c), timeout: DEFAULT_WAIT_TIMEOUT })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<WaitStep, A::Error> {
                use serde::de::Error;
                let m = WaitMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let until = match (m.for_, m.duration) {
                    (Some(c), None) => WaitFor::Condition(c),
                    (None, Some(d)) => {
                        if m.timeout.is_some() {
                            return Err(A::Error::custom("`timeout` goes with `for:`, not with `duration:`"));
                        }
                        WaitFor::Duration(d)
                    }
                    (Some(_), Some(_)) => return Err(A::Error::custom("give either `for:` or `duration:`, not both")),
                    (None, None) => return Err(A::Error::custom("missing `for:` (a condition) or `duration:`")),
                };
                let timeout = m.timeout.unwrap_or(DEFAULT_WAIT_TIMEOUT);
                if timeout.is_zero() {
                    return Err(A::Error::custom("timeout must be greater than 0"));
                }
                Ok(WaitStep { until, timeout })
            }
        }
        d.deserialize_any(V)
    }
}

/// `measure`: a named phase around nested steps.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeasureStep {
    pub name: String,
    pub steps: Vec<Step>,
}

/// Copy `index` of a create step's object (`None`: the object itself, not stamped):
/// named `<name>-<index>`, with `${index}` and `${name}` replaced in every string
/// and map key, and put into `namespace` when given (namespaced kinds only).
pub fn stamp(obj: &Value, index: Option<u64>, namespace: Option<&str>) -> Value {
    let base = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let name = match index {
        Some(i) if !base.is_empty() => format!("{base}-{i}"),
        _ => base,
    };
    let index = index.unwrap_or(0).to_string();
    let mut out = obj.clone();
    replace_placeholders(&mut out, &index, &name);
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        if !name.is_empty() {
            meta.insert("name".into(), Value::String(name));
        }
    }
    let namespaced = obj.get("kind").and_then(Value::as_str).and_then(Kind::from_name).is_some_and(Kind::is_namespaced);
    if let (Some(ns), true) = (namespace, namespaced) {
        if let Some(map) = out.as_object_mut() {
            let meta = map.entry("metadata").or_insert_with(|| Value::Object(Default::default()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("namespace".into(), Value::String(ns.to_string()));
            }
        }
    }
    out
}

fn replace_placeholders(v: &mut Value, index: &str, name: &str) {
    let fix = |s: &str| s.replace("${index}", index).replace("${name}", name);
    match v {
        Value::String(s) if s.contains("${") => *s = fix(s),
        Value::Array(items) => items.iter_mut().for_each(|x| replace_placeholders(x, index, name)),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains("${")) {
                let old = std::mem::take(map);
                *map = old.into_iter().map(|(k, v)| (fix(&k), v)).collect();
            }
            map.values_mut().for_each(|x| replace_placeholders(x, index, name));
        }
        _ => {}
    }
}
