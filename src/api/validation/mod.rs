//! API-server validation of every kind (`pkg/apis/{core,apps,batch}/validation` of
//! Kubernetes v1.28), worded like Kubernetes.
//!
//! Each kind has one entry point, `fn kind(new, old: Option<&Kind>) -> Result<(), Invalid>`
//! (`old == None` on create), called by `Resource::validate` after defaulting; the
//! workloads with a status subresource also have `fn kind_status(new, old)`, which the
//! store calls on status writes. Every violation is listed, in the order the API server
//! finds them, with Kubernetes' field paths and messages:
//! `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
//!
//! Values are rendered the way Go's `field.Error` prints them: numbers and booleans
//! plainly, strings quoted, maps and selectors as Go literals
//! (`map[string]string{"app":"web"}`); large composites (templates, revision data)
//! as compact JSON instead of Go's struct dumps.
//!
//! What the store must do before calling these (as the API server's `BeforeCreate` /
//! `BeforeUpdate` do): turn `generateName` into a name, assign the uid (Jobs need it
//! for their generated selector), copy uid and creationTimestamp from the stored
//! object when an update omits them, and keep a DaemonSet's template generation
//! (bumped exactly when the template changes).
//!
//! Layout: this file holds ObjectMeta validation and the shared helpers; `core`
//! Pods, pod templates, Services, PVCs and Nodes; `apps` the apps/v1 kinds;
//! `batch` Jobs and CronJobs; `cron` the CronJob schedule grammar.

mod apps;
mod batch;
mod core;
mod cron;

pub use self::apps::{
    controller_revision, daemon_set, daemon_set_status, deployment, deployment_status, replica_set, replica_set_status,
    stateful_set, stateful_set_status,
};
pub use self::batch::{cron_job, job, job_status};
pub use self::core::{node, persistent_volume_claim, pod, service};
pub use self::cron::{parse_schedule, Schedule, ScheduleKind};

use std::fmt;
use std::fmt::Write as _;

use super::intstr::IntOrString;
use super::meta::{ObjectMeta, OwnerReference, StringMap};
use super::names;
use super::selector::LabelSelector;
use super::{FieldError, FieldErrors, Kind};
use crate::api::error::PathExt;

/// `validation.IsNegativeErrorMsg` (apimachinery).
pub(crate) const NEGATIVE: &str = "must be greater than or equal to 0";
/// `ValidateImmutableField`'s detail.
pub(crate) const IMMUTABLE: &str = "field is immutable";

/// Which name grammar a kind's `metadata.name` follows (`ValidateNameFunc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameRule {
    /// `NameIsDNSSubdomain`: most kinds.
    Subdomain,
    /// `NameIsDNSLabel`: StatefulSets (their pods' hostnames).
    Label,
    /// `NameIsDNS1035Label`: Services.
    Dns1035,
}

impl NameRule {
    /// Messages for `name`; `prefix` = it is a generateName (a trailing '-' is allowed).
    fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let name = match name.strip_suffix('-') {
            Some(stem) if prefix => {
                masked = format!("{stem}a");
                masked.as_str()
            }
            _ => name,
        };
        match self {
            NameRule::Subdomain => names::is_dns1123_subdomain(name),
            NameRule::Label => names::is_dns1123_label(name),
            NameRule::Dns1035 => is_dns1035_label(name),
        }
    }
}

/// `validation.IsDNS1035Label`: ≤ 63 lower-case alphanumerics or '-', starting with a letter.
pub(crate) fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    if value.len() > names::DNS1123_LABEL_MAX_LENGTH {
        out.push(format!("must be no more than {} characters", names::DNS1123_LABEL_MAX_LENGTH));
    }
    let b = value.as_bytes();
    let ok = b.first().is_some_and(u8::is_ascii_lowercase)
        && b.last().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    if !ok {
        out.push(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an \
             alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', \
             regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                .to_string(),
        );
    }
    out
}

/// `ValidateObjectMeta` on create: name (or generateName), namespace, labels,
/// annotations, owner references and finalizers. An empty namespace on a namespaced
/// kind is accepted (the store fills in the default); a cluster-scoped kind may not have one.
pub(crate) fn object_meta(kind: Kind, m: &ObjectMeta, rule: NameRule, errs: &mut FieldErrors) {
    if !m.generate_name.is_empty() {
        for msg in rule.check(&m.generate_name, true) {
            errs.push(FieldError::invalid("metadata.generateName", q(&m.generate_name), msg));
        }
    }
    if m.name.is_empty() {
        if m.generate_name.is_empty() {
            errs.push(FieldError::required("metadata.name", "name or generateName is required"));
        }
    } else {
        for msg in rule.check(&m.name, false) {
            errs.push(FieldError::invalid("metadata.name", q(&m.name), msg));
        }
    }
    if kind.is_namespaced() {
        if !m.namespace.is_empty() {
            for msg in names::is_dns1123_label(&m.namespace) {
                errs.push(FieldError::invalid("metadata.namespace", q(&m.namespace), msg));
            }
        }
    } else if !m.namespace.is_empty() {
        errs.push(FieldError::forbidden("metadata.namespace", "not allowed on this type"));
    }
    meta_common(m, errs);
}

/// `ValidateObjectMetaUpdate`: name, namespace, uid and creationTimestamp are
/// immutable, finalizers cannot be added once deletion started, and the new labels,
/// annotations, owner references and finalizers must be valid.
pub(crate) fn object_meta_update(new: &ObjectMeta, old: &ObjectMeta, errs: &mut FieldErrors) {
    if old.deletion_timestamp.is_some() {
        let added: Vec<&String> = new.finalizers.iter().filter(|f| !old.finalizers.contains(f)).collect();
        if !added.is_empty() {
            errs.push(FieldError::forbidden(
                "metadata.finalizers",
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    added.iter().map(|f| q(f)).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    immutable_str("metadata.name", &new.name, &old.name, errs);
    immutable_str("metadata.namespace", &new.namespace, &old.namespace, errs);
    immutable_str("metadata.uid", &new.uid, &old.uid, errs);
    if new.creation_timestamp != old.creation_timestamp {
        let v = new.creation_timestamp.map_or("null".to_string(), |t| format!("\"{t}\""));
        errs.push(FieldError::invalid("metadata.creationTimestamp", v, IMMUTABLE));
    }
    meta_common(new, errs);
}

/// The parts of ObjectMeta validation shared by create and update.
fn meta_common(m: &ObjectMeta, errs: &mut FieldErrors) {
    names::validate_labels(&m.labels, "metadata.labels", errs);
    names::validate_annotations(&m.annotations, "metadata.annotations", errs);
    owner_references(&m.owner_references, errs);
    for f in &m.finalizers {
        for msg in names::is_qualified_name(f) {
            errs.push(FieldError::invalid("metadata.finalizers", q(f), msg));
        }
        if !f.contains('/') && !matches!(f.as_str(), "kubernetes" | "orphan" | "foregroundDeletion") {
            errs.push(FieldError::invalid(
                "metadata.finalizers",
                q(f),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    if m.finalizers.iter().any(|f| f == "orphan") && m.finalizers.iter().any(|f| f == "foregroundDeletion") {
        errs.push(FieldError::invalid(
            "metadata.finalizers",
            go_strings(&m.finalizers),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
}

/// `ValidateOwnerReferences`: each reference complete, at most one controller.
fn owner_references(refs: &[OwnerReference], errs: &mut FieldErrors) {
    const PATH: &str = "metadata.ownerReferences";
    let mut first_controller: Option<String> = None;
    for r in refs {
        // schema.ParseGroupVersion: "v1", "apps/v1"; more than one '/' is no version at all.
        let version = match r.api_version.matches('/').count() {
            0 => r.api_version.as_str(),
            1 => r.api_version.split_once('/').map_or("", |(_, v)| v),
            _ => "",
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(PATH.dot("apiVersion"), q(&r.api_version), "version must not be empty"));
        }
        if r.kind.is_empty() {
            errs.push(FieldError::invalid(PATH.dot("kind"), q(""), "kind must not be empty"));
        }
        if r.name.is_empty() {
            errs.push(FieldError::invalid(PATH.dot("name"), q(""), "name must not be empty"));
        }
        if r.uid.is_empty() {
            errs.push(FieldError::invalid(PATH.dot("uid"), q(""), "uid must not be empty"));
        }
        if r.is_controller() {
            let current = format!("{}/{}", r.kind, r.name);
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid(
                    PATH,
                    json(refs),
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                    ),
                )),
                None => first_controller = Some(current),
            }
        }
    }
}

// ------------------------------------------------------------------ shared field checks

/// `ValidateNonnegativeField`.
pub(crate) fn non_negative(path: &(impl fmt::Display + ?Sized), value: i64, errs: &mut FieldErrors) {
    if value < 0 {
        errs.push(FieldError::invalid(path, value, NEGATIVE));
    }
}

/// `ValidateNonnegativeField` for an optional field (absent is fine).
pub(crate) fn non_negative_opt<T: Into<i64> + Copy>(
    path: &(impl fmt::Display + ?Sized),
    value: Option<T>,
    errs: &mut FieldErrors,
) {
    if let Some(v) = value {
        non_negative(path, v.into(), errs);
    }
}

/// `ValidateImmutableField` for strings.
pub(crate) fn immutable_str(path: &(impl fmt::Display + ?Sized), new: &str, old: &str, errs: &mut FieldErrors) {
    if new != old {
        errs.push(FieldError::invalid(path, q(new), IMMUTABLE));
    }
}

/// `ValidateImmutableField(selector)`.
pub(crate) fn immutable_selector(new: Option<&LabelSelector>, old: Option<&LabelSelector>, errs: &mut FieldErrors) {
    if new != old {
        errs.push(FieldError::invalid("spec.selector", go_selector_opt(new), IMMUTABLE));
    }
}

/// `validation.IsValidPercent`: `^[0-9]+%$`.
fn percent_messages(s: &str) -> Vec<String> {
    if IntOrString::String(s.to_string()).is_valid_percent() {
        Vec::new()
    } else {
        vec!["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', \
              regex used for validation is '[0-9]+%')"
            .to_string()]
    }
}

/// `ValidatePositiveIntOrPercent`: a non-negative int or a well-formed percentage.
pub(crate) fn positive_int_or_percent(v: &IntOrString, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    match v {
        IntOrString::String(s) => {
            for msg in percent_messages(s) {
                errs.push(FieldError::invalid(path, go_intstr(v), msg));
            }
        }
        IntOrString::Int(n) => non_negative(path, i64::from(*n), errs),
    }
}

/// `getPercentValue`: the N of a well-formed "N%".
fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::String(s) if v.is_valid_percent() => Some(go_atoi(&s[..s.len() - 1])),
        _ => None,
    }
}

/// `getIntOrPercentValue`: the percentage's N, the int, or Go's `IntValue()` of any
/// other string (`Atoi`, 0 when not a number) — so "abc" counts as zero, as upstream.
pub(crate) fn int_or_percent_value(v: &IntOrString) -> i64 {
    match (percent_value(v), v) {
        (Some(p), _) => p,
        (None, IntOrString::Int(n)) => i64::from(*n),
        (None, IntOrString::String(s)) => go_atoi(s),
    }
}

/// `IsNotMoreThan100Percent`.
pub(crate) fn not_more_than_100_percent(v: &IntOrString, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    if percent_value(v).is_some_and(|p| p > 100) {
        errs.push(FieldError::invalid(path, go_intstr(v), "must not be greater than 100%"));
    }
}

/// Go's `strconv.Atoi` as the callers above use it: optional sign, decimal digits,
/// clamped on overflow, 0 on a syntax error.
fn go_atoi(s: &str) -> i64 {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return 0;
    }
    s.parse().unwrap_or(if s.starts_with('-') { i64::MIN } else { i64::MAX })
}

// ------------------------------------------------------------------ value rendering

/// A string as Go's `%q` prints it.
pub(crate) fn q(s: &str) -> String {
    format!("{s:?}")
}

/// `map[string]string{"a":"b"}` (Go's `%#v`; empty prints as the nil map).
pub(crate) fn go_map(m: &StringMap) -> String {
    if m.is_empty() {
        return "map[string]string(nil)".to_string();
    }
    let mut out = String::from("map[string]string{");
    for (i, (k, v)) in m.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(out, "{sep}{k:?}:{v:?}");
    }
    out.push('}');
    out
}

/// `[]string{"a", "b"}`.
pub(crate) fn go_strings(v: &[String]) -> String {
    if v.is_empty() {
        return "[]string(nil)".to_string();
    }
    format!("[]string{{{}}}", v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", "))
}

/// A label selector as Go prints a `metav1.LabelSelector` value.
pub(crate) fn go_selector(sel: &LabelSelector) -> String {
    let exprs = if sel.match_expressions.is_empty() {
        "[]v1.LabelSelectorRequirement(nil)".to_string()
    } else {
        let items: Vec<String> = sel
            .match_expressions
            .iter()
            .map(|e| {
                format!(
                    "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{}}}",
                    e.key,
                    e.operator.as_str(),
                    go_strings(&e.values)
                )
            })
            .collect();
        format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
    };
    format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}", go_map(&sel.match_labels))
}

/// An optional selector: `null` when absent (Go dereferences non-nil pointers).
pub(crate) fn go_selector_opt(sel: Option<&LabelSelector>) -> String {
    sel.map_or_else(|| "null".to_string(), go_selector)
}

/// `intstr.IntOrString{Type:0, IntVal:1, StrVal:""}`.
pub(crate) fn go_intstr(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(n) => format!("intstr.IntOrString{{Type:0, IntVal:{n}, StrVal:\"\"}}"),
        IntOrString::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
    }
}

/// Compact JSON, for composite values Go would dump as a struct literal.
pub(crate) fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "<unprintable>".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::selector::{LabelSelectorOperator, LabelSelectorRequirement};

    #[test]
    fn values_render_like_go() {
        let mut m = StringMap::new();
        m.insert("app".into(), "web".into());
        m.insert("tier".into(), "db".into());
        assert_eq!(go_map(&m), r#"map[string]string{"app":"web", "tier":"db"}"#);
        assert_eq!(go_map(&StringMap::new()), "map[string]string(nil)");
        let mut sel = LabelSelector::from_labels(m);
        assert_eq!(
            go_selector(&sel),
            r#"v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"db"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"#
        );
        sel.match_labels.clear();
        sel.match_expressions.push(LabelSelectorRequirement::new("k", LabelSelectorOperator::In, &["a"]));
        assert_eq!(
            go_selector(&sel),
            r#"v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"In", Values:[]string{"a"}}}}"#
        );
        assert_eq!(go_intstr(&IntOrString::Int(0)), r#"intstr.IntOrString{Type:0, IntVal:0, StrVal:""}"#);
        assert_eq!(go_intstr(&"25%".into()), r#"intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}"#);
    }

    #[test]
    fn int_or_percent_values_follow_upstream_quirks() {
        let cases: &[(IntOrString, i64)] = &[
            (IntOrString::Int(3), 3),
            ("0%".into(), 0),
            ("007%".into(), 7),
            ("1%".into(), 1),
            ("abc".into(), 0),
            ("5".into(), 5),
            ("-5%".into(), 0),
            ("99999999999999999999%".into(), i64::MAX),
        ];
        for (v, want) in cases {
            assert_eq!(int_or_percent_value(v), *want, "{v}");
        }
    }

    #[test]
    fn names_follow_their_grammar() {
        assert!(NameRule::Subdomain.check("a.b", false).is_empty());
        assert_eq!(NameRule::Label.check("a.b", false), vec!["must not contain dots".to_string()]);
        assert!(NameRule::Label.check("web-", true).is_empty(), "generateName may end in '-'");
        assert!(!NameRule::Label.check("web-", false).is_empty());
        assert!(NameRule::Dns1035.check("web-1", false).is_empty());
        assert_eq!(NameRule::Dns1035.check("1web", false).len(), 1);
        assert_eq!(NameRule::Dns1035.check(&"a".repeat(64), false).len(), 1);
    }
}
