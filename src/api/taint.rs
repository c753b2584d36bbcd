//! Node taints and pod tolerations (`core/v1.Taint`, `Toleration`) and `ToleratesTaint`.
//!
//! A toleration tolerates a taint when the effects match (an empty toleration
//! effect matches all), the keys match (an empty key matches all, valid only with
//! `Exists`), and — for `Equal` or an absent operator — the values are equal.

use crate::api::error::PathExt;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use super::error::{FieldError, FieldErrors};
use super::meta::Time;
use super::names;

/// Node is not ready (`NodeReady` condition False).
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Node controller lost contact (`NodeReady` condition Unknown).
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// Node is cordoned (`spec.unschedulable`).
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
pub const TAINT_NODE_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
pub const TAINT_NODE_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
pub const TAINT_NODE_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
pub const TAINT_NODE_NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";

/// `core/v1.TaintEffect`. `Default` (NoSchedule) only serves struct-update syntax;
/// a taint's effect is required on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaintEffect {
    #[default]
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub const ALL: [&'static str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

impl FromStr for TaintEffect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "NoSchedule" => Ok(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(TaintEffect::NoExecute),
            _ => Err(format!("unknown taint effect {s:?}, expected one of {:?}", TaintEffect::ALL)),
        }
    }
}

impl fmt::Display for TaintEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `core/v1.TolerationOperator`; an absent operator means `Equal`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

impl TolerationOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Equal => "Equal",
            TolerationOperator::Exists => "Exists",
        }
    }
}

impl FromStr for TolerationOperator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Equal" => Ok(TolerationOperator::Equal),
            "Exists" => Ok(TolerationOperator::Exists),
            _ => Err(format!("unknown toleration operator {s:?}, expected \"Equal\" or \"Exists\"")),
        }
    }
}

/// `core/v1.Taint` on `node.spec.taints`; unique per (key, effect).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    pub effect: TaintEffect,
    /// When a NoExecute taint was added (set by the node lifecycle controller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_added: Option<Time>,
}

impl Taint {
    pub fn new(key: impl Into<String>, value: impl Into<String>, effect: TaintEffect) -> Self {
        Taint { key: key.into(), value: value.into(), effect, time_added: None }
    }

    /// Same key and effect (`Taint.MatchTaint`): the identity of a taint on a node.
    pub fn matches_taint(&self, other: &Taint) -> bool {
        self.key == other.key && self.effect == other.effect
    }
}

/// `key=value:effect`, or `key:effect` when the value is empty (`Taint.ToString`).
impl fmt::Display for Taint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

/// `core/v1.Toleration` in `pod.spec.tolerations`.
///
/// `operator` and `effect` read `""` as absent, as the API server does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    /// Empty = every key (only with `Exists`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// `None` = `Equal`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub operator: Option<TolerationOperator>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// `None` = every effect.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub effect: Option<TaintEffect>,
    /// For NoExecute: how long the pod stays bound after the taint appears; `None` = forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// Reads an optional enum from its string form, treating `""` and `null` as absent.
fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = String>,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

impl Toleration {
    /// `key` with operator Exists, for `effect` (`None` = all effects): the shape of the
    /// tolerations the DaemonSet controller adds.
    pub fn exists(key: impl Into<String>, effect: Option<TaintEffect>) -> Self {
        Toleration { key: key.into(), operator: Some(TolerationOperator::Exists), effect, ..Default::default() }
    }

    /// `key=value` with operator Equal, for `effect` (`None` = all effects).
    pub fn equal(key: impl Into<String>, value: impl Into<String>, effect: Option<TaintEffect>) -> Self {
        Toleration {
            key: key.into(),
            operator: Some(TolerationOperator::Equal),
            value: value.into(),
            effect,
            ..Default::default()
        }
    }

    /// `Toleration.ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator.unwrap_or_default() {
            TolerationOperator::Equal => self.value == taint.value,
            TolerationOperator::Exists => true,
        }
    }
}

/// `TolerationsTolerateTaint`: some toleration tolerates the taint.
pub fn tolerations_tolerate_taint(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// `FindMatchingUntoleratedTaint`: the first taint passing `filter` that no toleration tolerates.
pub fn find_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    filter: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints.iter().find(|t| filter(t) && !tolerations_tolerate_taint(tolerations, t))
}

/// Filter for [`find_untolerated_taint`]: taints that block scheduling (NoSchedule, NoExecute).
pub fn is_no_schedule_or_no_execute(t: &Taint) -> bool {
    matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
}

/// `ValidateTolerations` (core validation); errors under `path[i]`.
pub fn validate_tolerations(tolerations: &[Toleration], path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.at(i);
        if !t.key.is_empty() {
            names::validate_label_name(&t.key, &p.dot("key"), errs);
        }
        let op = t.operator.map_or("", TolerationOperator::as_str);
        if t.key.is_empty() && t.operator != Some(TolerationOperator::Exists) {
            errs.push(FieldError::invalid(
                p.dot("operator"),
                format_args!("{op:?}"),
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && t.effect != Some(TaintEffect::NoExecute) {
            let effect = t.effect.map_or("", TaintEffect::as_str);
            errs.push(FieldError::invalid(
                p.dot("effect"),
                format_args!("{effect:?}"),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match t.operator.unwrap_or_default() {
            TolerationOperator::Equal => {
                let msgs = names::is_valid_label_value(&t.value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(p.dot("operator"), format_args!("{:?}", t.value), msgs.join(";")));
                }
            }
            TolerationOperator::Exists => {
                if !t.value.is_empty() {
                    errs.push(FieldError::invalid(
                        p.dot("operator"),
                        format_args!("{:?}", t.value),
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
        }
    }
}

/// `validateNodeTaints`: key a qualified name, value a label value, unique by (key, effect).
pub fn validate_taints(taints: &[Taint], path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for (i, t) in taints.iter().enumerate() {
        let p = path.at(i);
        names::validate_label_name(&t.key, &p.dot("key"), errs);
        let msgs = names::is_valid_label_value(&t.value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(p.dot("value"), format_args!("{:?}", t.value), msgs.join(";")));
        }
        if taints[..i].iter().any(|prev| prev.matches_taint(t)) {
            let mut e = FieldError::duplicate(&p, t);
            e.detail = "taints must be unique by key and effect pair".to_string();
            errs.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TaintEffect::{NoExecute, NoSchedule, PreferNoSchedule};
    use super::TolerationOperator::{Equal, Exists};
    use super::*;

    fn tol(key: &str, op: Option<TolerationOperator>, value: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration { key: key.into(), operator: op, value: value.into(), effect, toleration_seconds: None }
    }

    #[test]
    fn tolerates_truth_table() {
        let taint = Taint::new("k", "v", NoSchedule);
        let cases: &[(Toleration, bool)] = &[
            // Equal (explicit or absent operator): key, value and effect
            (tol("k", Some(Equal), "v", Some(NoSchedule)), true),
            (tol("k", None, "v", Some(NoSchedule)), true),
            (tol("k", Some(Equal), "v", None), true),
            (tol("k", Some(Equal), "other", Some(NoSchedule)), false),
            (tol("k", Some(Equal), "", Some(NoSchedule)), false),
            (tol("other", Some(Equal), "v", Some(NoSchedule)), false),
            (tol("k", Some(Equal), "v", Some(NoExecute)), false),
            (tol("k", Some(Equal), "v", Some(PreferNoSchedule)), false),
            // Exists ignores the value
            (tol("k", Some(Exists), "", Some(NoSchedule)), true),
            (tol("k", Some(Exists), "", None), true),
            (tol("k", Some(Exists), "anything", None), true),
            (tol("other", Some(Exists), "", None), false),
            (tol("k", Some(Exists), "", Some(NoExecute)), false),
            // empty key
            (tol("", Some(Exists), "", None), true),
            (tol("", Some(Exists), "", Some(NoSchedule)), true),
            (tol("", Some(Exists), "", Some(NoExecute)), false),
            (tol("", None, "v", None), true),
            (tol("", None, "", None), false),
        ];
        for (t, want) in cases {
            assert_eq!(t.tolerates(&taint), *want, "{t:?} vs {taint}");
        }

        let no_value = Taint::new("k", "", NoExecute);
        assert!(tol("k", None, "", None).tolerates(&no_value));
        assert!(tol("k", Some(Exists), "", Some(NoExecute)).tolerates(&no_value));
        assert!(!tol("k", None, "v", None).tolerates(&no_value));
    }

    #[test]
    fn empty_key_exists_tolerates_every_taint_and_empty_effect_every_effect() {
        let all = Toleration::exists("", None);
        let taints = [
            Taint::new("a", "", NoSchedule),
            Taint::new("b", "x", PreferNoSchedule),
            Taint::new(TAINT_NODE_NOT_READY, "", NoExecute),
        ];
        assert!(taints.iter().all(|t| all.tolerates(t)));
        let key_any_effect = Toleration::exists("a", None);
        for effect in [NoSchedule, PreferNoSchedule, NoExecute] {
            assert!(key_any_effect.tolerates(&Taint::new("a", "whatever", effect)));
        }
    }

    #[test]
    fn find_untolerated_taint_respects_filter_and_order() {
        let taints = [
            Taint::new("soft", "", PreferNoSchedule),
            Taint::new("a", "1", NoSchedule),
            Taint::new("b", "", NoExecute),
        ];
        let none: [Toleration; 0] = [];
        assert_eq!(find_untolerated_taint(&taints, &none, |_| true), Some(&taints[0]));
        assert_eq!(find_untolerated_taint(&taints, &none, is_no_schedule_or_no_execute), Some(&taints[1]));
        let tolerate_a = [Toleration::equal("a", "1", Some(NoSchedule))];
        assert_eq!(find_untolerated_taint(&taints, &tolerate_a, is_no_schedule_or_no_execute), Some(&taints[2]));
        let tolerate_both = [Toleration::equal("a", "1", None), Toleration::exists("b", Some(NoExecute))];
        assert_eq!(find_untolerated_taint(&taints, &tolerate_both, is_no_schedule_or_no_execute), None);
        assert!(tolerations_tolerate_taint(&tolerate_both, &taints[2]));
        assert!(!tolerations_tolerate_taint(&tolerate_both, &taints[0]));
        assert!(!tolerations_tolerate_taint(&none, &taints[0]));
    }

    #[test]
    fn daemon_set_automatic_tolerations_cover_node_conditions() {
        let auto = [
            Toleration::exists(TAINT_NODE_NOT_READY, Some(NoExecute)),
            Toleration::exists(TAINT_NODE_UNREACHABLE, Some(NoExecute)),
            Toleration::exists(TAINT_NODE_DISK_PRESSURE, Some(NoSchedule)),
            Toleration::exists(TAINT_NODE_MEMORY_PRESSURE, Some(NoSchedule)),
            Toleration::exists(TAINT_NODE_PID_PRESSURE, Some(NoSchedule)),
            Toleration::exists(TAINT_NODE_UNSCHEDULABLE, Some(NoSchedule)),
        ];
        for (key, effect) in [
            (TAINT_NODE_NOT_READY, NoExecute),
            (TAINT_NODE_UNREACHABLE, NoExecute),
            (TAINT_NODE_DISK_PRESSURE, NoSchedule),
            (TAINT_NODE_UNSCHEDULABLE, NoSchedule),
        ] {
            assert!(tolerations_tolerate_taint(&auto, &Taint::new(key, "", effect)), "{key}");
        }
        assert!(!tolerations_tolerate_taint(&auto, &Taint::new(TAINT_NODE_NETWORK_UNAVAILABLE, "", NoSchedule)));
        assert!(!tolerations_tolerate_taint(&auto, &Taint::new(TAINT_NODE_NOT_READY, "", NoSchedule)));
    }

    #[test]
    fn display_reads_like_kubectl() {
        assert_eq!(Taint::new("dedicated", "user1", NoSchedule).to_string(), "dedicated=user1:NoSchedule");
        assert_eq!(
            Taint::new(TAINT_NODE_NOT_READY, "", NoExecute).to_string(),
            "node.kubernetes.io/not-ready:NoExecute"
        );
    }

    #[test]
    fn validation_reports_kubernetes_messages() {
        let tolerations = [
            Toleration::exists("", None),
            Toleration { toleration_seconds: Some(300), ..Toleration::exists(TAINT_NODE_NOT_READY, Some(NoExecute)) },
            Toleration::equal("k", "v", Some(NoSchedule)),
            tol("", None, "", None),
            tol("k", Some(Exists), "v", None),
            Toleration { toleration_seconds: Some(5), ..Toleration::exists("k", Some(NoSchedule)) },
            tol("bad key", None, "-bad", None),
        ];
        let mut errs = FieldErrors::default();
        validate_tolerations(&tolerations, "spec.tolerations", &mut errs);
        let lines: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert_eq!(
            lines[0],
            "spec.tolerations[3].operator: Invalid value: \"\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""
        );
        assert_eq!(
            lines[1],
            "spec.tolerations[4].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'"
        );
        assert_eq!(
            lines[2],
            "spec.tolerations[5].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"
        );
        assert!(lines[3].starts_with("spec.tolerations[6].key: Invalid value: \"bad key\": name part must"));
        assert!(lines[4].starts_with("spec.tolerations[6].operator: Invalid value: \"-bad\": a valid label must be"));
    }

    #[test]
    fn taint_validation_rejects_duplicates_by_key_and_effect() {
        let taints = [
            Taint::new("a", "1", NoSchedule),
            Taint::new("a", "2", NoExecute),
            Taint::new("a", "3", NoSchedule),
            Taint::new("", "", NoSchedule),
        ];
        let mut errs = FieldErrors::default();
        validate_taints(&taints, "spec.taints", &mut errs);
        let lines: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            lines[0],
            "spec.taints[2]: Duplicate value: a=3:NoSchedule: taints must be unique by key and effect pair"
        );
        assert!(lines[1].starts_with("spec.taints[3].key: Invalid value: \"\": name part must be non-empty"));
    }

    #[test]
    fn serde_round_trips_yaml_and_json() {
        let yaml = "- key: dedicated\n  operator: Equal\n  value: user1\n  effect: NoSchedule\n- operator: Exists\n- key: node.kubernetes.io/not-ready\n  operator: Exists\n  effect: NoExecute\n  tolerationSeconds: 300\n- key: x\n  effect: \"\"\n  operator: \"\"\n";
        let tols: Vec<Toleration> = serde_norway::from_str(yaml).unwrap();
        assert_eq!(tols[0], Toleration::equal("dedicated", "user1", Some(NoSchedule)));
        assert_eq!(tols[1], Toleration::exists("", None));
        assert_eq!(tols[2].toleration_seconds, Some(300));
        assert_eq!(tols[3], tol("x", None, "", None));
        let json = serde_json::to_string(&tols).unwrap();
        assert_eq!(
            json,
            r#"[{"key":"dedicated","operator":"Equal","value":"user1","effect":"NoSchedule"},{"operator":"Exists"},{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"x"}]"#
        );
        assert_eq!(serde_json::from_str::<Vec<Toleration>>(&json).unwrap(), tols);
        let back: Vec<Toleration> = serde_norway::from_str(&serde_norway::to_string(&tols).unwrap()).unwrap();
        assert_eq!(back, tols);
        assert!(serde_json::from_str::<Toleration>(r#"{"operator":"Gt"}"#).is_err());
        assert!(serde_json::from_str::<Toleration>(r#"{"effect":"Sometimes"}"#).is_err());

        let taints_yaml = "- key: dedicated\n  value: user1\n  effect: NoSchedule\n- key: node.kubernetes.io/unreachable\n  effect: NoExecute\n  timeAdded: \"2024-01-01T00:00:00Z\"\n";
        let taints: Vec<Taint> = serde_norway::from_str(taints_yaml).unwrap();
        assert_eq!(taints[0], Taint::new("dedicated", "user1", NoSchedule));
        assert_eq!(taints[1].time_added, Some(Time::from_secs(1_704_067_200)));
        let json = serde_json::to_string(&taints).unwrap();
        assert_eq!(
            json,
            r#"[{"key":"dedicated","value":"user1","effect":"NoSchedule"},{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"2024-01-01T00:00:00Z"}]"#
        );
        assert_eq!(serde_json::from_str::<Vec<Taint>>(&json).unwrap(), taints);
        assert!(serde_json::from_str::<Taint>(r#"{"key":"a"}"#).is_err(), "effect is required");
        assert!(serde_json::from_str::<Taint>(r#"{"key":"a","effect":"NoSchedule","extra":1}"#).is_err());
    }
}
