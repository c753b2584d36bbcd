//! Label selectors: the `metav1.LabelSelector` API type and the compiled matcher (`labels.Selector`).
//!
//! Semantics (as `metav1.LabelSelectorAsSelector`): an empty selector `{}` matches
//! everything, an absent one (`None`) matches nothing. `NotIn` and `DoesNotExist`
//! match when the key is absent; `Gt`/`Lt` (node affinity only) need the label to
//! parse as an integer. Compile once with [`LabelSelector::to_selector`] when one
//! selector is matched against many objects; [`Selector::matches`] never allocates.

use crate::api::error::PathExt;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::{FieldError, FieldErrors};
use super::meta::StringMap;
use super::names;

/// Why a selector could not be compiled (`labels.NewRequirement`'s checks).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("invalid label key {key:?}: {}", .reasons.join("; "))]
    InvalidKey { key: String, reasons: Vec<String> },
    #[error("invalid label value {value:?} for key {key:?}: {}", .reasons.join("; "))]
    InvalidValue { key: String, value: String, reasons: Vec<String> },
    #[error("key {key:?}: for 'in', 'notin' operators, values set can't be empty")]
    EmptyValues { key: String },
    #[error("key {key:?}: exact-match compatibility requires one single value")]
    NotOneValue { key: String },
    #[error("key {key:?}: values set must be empty for exists and does not exist")]
    ValuesNotEmpty { key: String },
    #[error("key {key:?}: for 'Gt', 'Lt' operators, exactly one value is required")]
    NotOneBound { key: String },
    #[error("key {key:?}: for 'Gt', 'Lt' operators, the value must be an integer")]
    NotAnInteger { key: String, value: String },
}

pub type Result<T, E = SelectorError> = std::result::Result<T, E>;

/// `metav1.LabelSelectorOperator`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LabelSelectorOperator {
    #[default]
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelectorOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "In",
            Self::NotIn => "NotIn",
            Self::Exists => "Exists",
            Self::DoesNotExist => "DoesNotExist",
        }
    }

    fn op(self) -> SelectorOp {
        match self {
            Self::In => SelectorOp::In,
            Self::NotIn => SelectorOp::NotIn,
            Self::Exists => SelectorOp::Exists,
            Self::DoesNotExist => SelectorOp::DoesNotExist,
        }
    }
}

/// `metav1.LabelSelectorRequirement`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: LabelSelectorOperator,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelectorRequirement {
    pub fn new(key: impl Into<String>, operator: LabelSelectorOperator, values: &[&str]) -> Self {
        LabelSelectorRequirement { key: key.into(), operator, values: values.iter().map(|v| v.to_string()).collect() }
    }
}

/// `metav1.LabelSelector`: `matchLabels` and `matchExpressions` are ANDed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub match_labels: StringMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// A selector of exactly these labels (`metav1.SetAsLabelSelector`).
    pub fn from_labels(labels: StringMap) -> Self {
        LabelSelector { match_labels: labels, match_expressions: Vec::new() }
    }

    /// No `matchLabels` and no `matchExpressions`: selects everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// A copy with `key=value` added to `matchLabels` (`CloneSelectorAndAddLabel`; an empty key adds nothing).
    pub fn with_label(&self, key: &str, value: &str) -> Self {
        let mut out = self.clone();
        if !key.is_empty() {
            out.match_labels.insert(key.to_string(), value.to_string());
        }
        out
    }

    /// Compiles and validates (`metav1.LabelSelectorAsSelector`); the empty selector gives [`Selector::everything`].
    pub fn to_selector(&self) -> Result<Selector> {
        let mut reqs = Vec::with_capacity(self.match_labels.len() + self.match_expressions.len());
        for (k, v) in &self.match_labels {
            reqs.push(Requirement::new(k.as_str(), SelectorOp::Equals, vec![v.clone()])?);
        }
        for e in &self.match_expressions {
            reqs.push(Requirement::new(e.key.as_str(), e.operator.op(), e.values.clone())?);
        }
        Ok(Selector::from_requirements(reqs))
    }

    /// Whether the labels are selected; an invalid selector selects nothing (as controllers
    /// treat a conversion error). Allocation-free; compile with [`Self::to_selector`] for many matches.
    pub fn matches(&self, labels: &StringMap) -> bool {
        let exprs = || self.match_expressions.iter().map(|e| (e.key.as_str(), e.operator.op(), e.values.as_slice()));
        let valid = self
            .match_labels
            .iter()
            .all(|(k, v)| check_requirement(k, SelectorOp::Equals, std::slice::from_ref(v)).is_ok())
            && exprs().all(|(k, op, vals)| check_requirement(k, op, vals).is_ok());
        valid
            && self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && exprs().all(|(k, op, vals)| eval(op, labels.get(k).map(String::as_str), vals))
    }
}

/// `metav1.LabelSelectorAsSelector`: `None` selects nothing, `{}` everything.
pub fn label_selector_as_selector(sel: Option<&LabelSelector>) -> Result<Selector> {
    match sel {
        None => Ok(Selector::nothing()),
        Some(s) => s.to_selector(),
    }
}

/// Whether an optional selector selects the labels: `None` selects nothing, `{}` everything,
/// an invalid selector nothing.
pub fn selector_matches(sel: Option<&LabelSelector>, labels: &StringMap) -> bool {
    sel.is_some_and(|s| s.matches(labels))
}

/// `metav1.FormatLabelSelector`: the string form, `<none>` when it selects everything
/// (or nothing), `<error>` when invalid.
pub fn format_label_selector(sel: Option<&LabelSelector>) -> String {
    match label_selector_as_selector(sel) {
        Err(_) => "<error>".to_string(),
        Ok(s) if s.requirements.is_empty() => "<none>".to_string(),
        Ok(s) => s.to_string(),
    }
}

/// Kubernetes' string form (`app=web,tier in (a,b),!x`), requirements sorted by key.
/// Printed even when the selector is invalid; the empty selector prints as "".
impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<(&str, SelectorOp, &[String])> = self
            .match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), SelectorOp::Equals, std::slice::from_ref(v)))
            .chain(self.match_expressions.iter().map(|e| (e.key.as_str(), e.operator.op(), e.values.as_slice())))
            .collect();
        parts.sort_by_key(|p| p.0);
        for (i, (key, op, values)) in parts.into_iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write_requirement(f, key, op, values)?;
        }
        Ok(())
    }
}

/// `selection.Operator`: the operators a compiled [`Requirement`] supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectorOp {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One validated requirement of a compiled [`Selector`] (`labels.Requirement`).
///
/// Invariant: `key` is a qualified name, `values` are valid label values, sorted, and
/// their count suits `op` (1 for Equals/NotEquals/Gt/Lt, ≥ 1 for In/NotIn, 0 for
/// Exists/DoesNotExist); for Gt/Lt the value parses as an `i64`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    op: SelectorOp,
    values: Vec<String>,
}

impl Requirement {
    /// Validates like `labels.NewRequirement`.
    pub fn new(key: impl Into<String>, op: SelectorOp, mut values: Vec<String>) -> Result<Self> {
        let key = key.into();
        check_requirement(&key, op, &values)?;
        values.sort_unstable();
        Ok(Requirement { key, op, values })
    }

    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn op(&self) -> SelectorOp {
        self.op
    }
    pub fn values(&self) -> &[String] {
        &self.values
    }

    pub fn matches(&self, labels: &StringMap) -> bool {
        eval(self.op, labels.get(&self.key).map(String::as_str), &self.values)
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_requirement(f, &self.key, self.op, &self.values)
    }
}

/// A compiled label selector (`labels.Selector`): requirements ANDed, sorted by key.
///
/// `Default` is [`Selector::everything`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    requirements: Vec<Requirement>,
    /// `labels.Nothing()`: matches no label set (then `requirements` is empty).
    nothing: bool,
}

impl Selector {
    /// Matches every label set (`labels.Everything()`).
    pub fn everything() -> Self {
        Selector::default()
    }

    /// Matches no label set (`labels.Nothing()`).
    pub fn nothing() -> Self {
        Selector { requirements: Vec::new(), nothing: true }
    }

    /// All of these requirements must hold; sorted by key (stable).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Selector { requirements, nothing: false }
    }

    /// This selector and one more requirement (`Selector.Add`); adding to `nothing` keeps it nothing.
    pub fn with_requirement(mut self, r: Requirement) -> Self {
        if !self.nothing {
            let at = self.requirements.partition_point(|x| x.key <= r.key);
            self.requirements.insert(at, r);
        }
        self
    }

    /// True for [`Selector::everything`] (no requirements); `nothing()` is not empty.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && !self.nothing
    }

    /// True for [`Selector::nothing`].
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    pub fn matches(&self, labels: &StringMap) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }
}

/// `labels.Selector.String()`: `""` for everything and nothing.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// The checks of `labels.NewRequirement`; allocates only to report an error.
pub(crate) fn check_requirement(key: &str, op: SelectorOp, values: &[String]) -> Result<()> {
    if !names::valid_qualified_name(key) {
        return Err(SelectorError::InvalidKey { key: key.to_string(), reasons: names::is_qualified_name(key) });
    }
    let key_owned = || key.to_string();
    match op {
        SelectorOp::In | SelectorOp::NotIn if values.is_empty() => {
            return Err(SelectorError::EmptyValues { key: key_owned() })
        }
        SelectorOp::Equals | SelectorOp::NotEquals if values.len() != 1 => {
            return Err(SelectorError::NotOneValue { key: key_owned() })
        }
        SelectorOp::Exists | SelectorOp::DoesNotExist if !values.is_empty() => {
            return Err(SelectorError::ValuesNotEmpty { key: key_owned() })
        }
        SelectorOp::GreaterThan | SelectorOp::LessThan => {
            if values.len() != 1 {
                return Err(SelectorError::NotOneBound { key: key_owned() });
            }
            if values[0].parse::<i64>().is_err() {
                return Err(SelectorError::NotAnInteger { key: key_owned(), value: values[0].clone() });
            }
        }
        _ => {}
    }
    if let Some(bad) = values.iter().find(|v| !names::valid_label_value(v)) {
        return Err(SelectorError::InvalidValue {
            key: key_owned(),
            value: bad.clone(),
            reasons: names::is_valid_label_value(bad),
        });
    }
    Ok(())
}

/// `labels.Requirement.Matches` on one label value (`None` = key absent); assumes
/// the requirement passed [`check_requirement`].
pub(crate) fn eval(op: SelectorOp, label: Option<&str>, values: &[String]) -> bool {
    let contains = |l: &str| values.iter().any(|v| v == l);
    let compare = |gt: bool| -> bool {
        let Some(l) = label.and_then(|l| l.parse::<i64>().ok()) else {
            return false;
        };
        let Some(bound) = values.first().and_then(|v| v.parse::<i64>().ok()) else {
            return false;
        };
        if gt {
            l > bound
        } else {
            l < bound
        }
    };
    match op {
        SelectorOp::Equals | SelectorOp::In => label.is_some_and(contains),
        SelectorOp::NotEquals | SelectorOp::NotIn => !label.is_some_and(contains),
        SelectorOp::Exists => label.is_some(),
        SelectorOp::DoesNotExist => label.is_none(),
        SelectorOp::GreaterThan => compare(true),
        SelectorOp::LessThan => compare(false),
    }
}

/// `labels.Requirement.String()`; values are printed sorted.
fn write_requirement(f: &mut fmt::Formatter<'_>, key: &str, op: SelectorOp, values: &[String]) -> fmt::Result {
    if op == SelectorOp::DoesNotExist {
        f.write_str("!")?;
    }
    f.write_str(key)?;
    let (sep, parens) = match op {
        SelectorOp::Exists | SelectorOp::DoesNotExist => return Ok(()),
        SelectorOp::Equals => ("=", false),
        SelectorOp::NotEquals => ("!=", false),
        SelectorOp::In => (" in ", true),
        SelectorOp::NotIn => (" notin ", true),
        SelectorOp::GreaterThan => (">", false),
        SelectorOp::LessThan => ("<", false),
    };
    f.write_str(sep)?;
    if parens {
        f.write_str("(")?;
    }
    let mut sorted: Vec<&str> = values.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    f.write_str(&sorted.join(","))?;
    if parens {
        f.write_str(")")?;
    }
    Ok(())
}

/// `ValidateLabelSelector` (metav1 validation): `matchLabels` like labels, each expression's
/// key a qualified name, values valid label values, value count suiting the operator.
pub fn validate_label_selector(sel: &LabelSelector, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    names::validate_labels(&sel.match_labels, &path.dot("matchLabels"), errs);
    for (i, e) in sel.match_expressions.iter().enumerate() {
        let p = path.dot_at("matchExpressions", i);
        match e.operator {
            LabelSelectorOperator::In | LabelSelectorOperator::NotIn if e.values.is_empty() => {
                errs.push(FieldError::required(p.dot("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
            }
            LabelSelectorOperator::Exists | LabelSelectorOperator::DoesNotExist if !e.values.is_empty() => {
                errs.push(FieldError::forbidden(
                    p.dot("values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ))
            }
            _ => {}
        }
        names::validate_label_name(&e.key, &p.dot("key"), errs);
        for (j, v) in e.values.iter().enumerate() {
            names::validate_label_value(v, &p.dot_at("values", j), errs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LabelSelectorOperator::{DoesNotExist, Exists, In, NotIn};
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expr(key: &str, op: LabelSelectorOperator, values: &[&str]) -> LabelSelector {
        LabelSelector { match_expressions: vec![LabelSelectorRequirement::new(key, op, values)], ..Default::default() }
    }

    /// Every way of matching must agree: direct, compiled, and through `selector_matches`.
    fn check(sel: &LabelSelector, l: &StringMap, expect: bool) {
        assert_eq!(sel.matches(l), expect, "direct: {sel} on {l:?}");
        assert_eq!(selector_matches(Some(sel), l), expect, "selector_matches: {sel} on {l:?}");
        if let Ok(compiled) = sel.to_selector() {
            assert_eq!(compiled.matches(l), expect, "compiled: {sel} on {l:?}");
        } else {
            assert!(!expect, "an invalid selector matches nothing");
        }
    }

    #[test]
    fn operator_truth_table() {
        let x_a = labels(&[("x", "a")]);
        let x_c = labels(&[("x", "c")]);
        let none = labels(&[("y", "a")]);
        let cases: &[(LabelSelectorOperator, &[&str], [bool; 3])] = &[
            // (op, values, [key with listed value, key with other value, key absent])
            (In, &["a", "b"], [true, false, false]),
            (NotIn, &["a", "b"], [false, true, true]),
            (Exists, &[], [true, true, false]),
            (DoesNotExist, &[], [false, false, true]),
        ];
        for (op, values, [listed, other, absent]) in cases {
            let sel = expr("x", *op, values);
            check(&sel, &x_a, *listed);
            check(&sel, &x_c, *other);
            check(&sel, &none, *absent);
        }
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let sel = LabelSelector {
            match_labels: labels(&[("app", "web")]),
            match_expressions: vec![
                LabelSelectorRequirement::new("tier", In, &["a", "b"]),
                LabelSelectorRequirement::new("x", DoesNotExist, &[]),
            ],
        };
        check(&sel, &labels(&[("app", "web"), ("tier", "a")]), true);
        check(&sel, &labels(&[("app", "web"), ("tier", "b"), ("other", "1")]), true);
        check(&sel, &labels(&[("app", "web"), ("tier", "c")]), false);
        check(&sel, &labels(&[("app", "db"), ("tier", "a")]), false);
        check(&sel, &labels(&[("app", "web"), ("tier", "a"), ("x", "")]), false);
        check(&sel, &labels(&[]), false);
        let only_labels = LabelSelector::from_labels(labels(&[("a", "1"), ("b", "2")]));
        check(&only_labels, &labels(&[("a", "1"), ("b", "2"), ("c", "3")]), true);
        check(&only_labels, &labels(&[("a", "1")]), false);
        check(&only_labels, &labels(&[("a", "1"), ("b", "")]), false);
    }

    #[test]
    fn empty_selects_everything_and_null_selects_nothing() {
        let empty = LabelSelector::default();
        assert!(empty.is_empty());
        check(&empty, &labels(&[]), true);
        check(&empty, &labels(&[("a", "b")]), true);
        assert!(!selector_matches(None, &labels(&[])));
        assert!(!selector_matches(None, &labels(&[("a", "b")])));
        assert!(empty.to_selector().unwrap().is_empty());
        let nothing = label_selector_as_selector(None).unwrap();
        assert!(!nothing.is_empty() && nothing.is_nothing());
        assert!(!nothing.matches(&labels(&[])));
        assert!(Selector::everything().matches(&labels(&[])));
        assert_eq!(Selector::default(), Selector::everything());
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(format_label_selector(Some(&empty)), "<none>");
    }

    #[test]
    fn invalid_selectors_fail_to_compile_and_match_nothing() {
        let cases = [
            (expr("x", In, &[]), "for 'in', 'notin' operators, values set can't be empty"),
            (expr("x", NotIn, &[]), "for 'in', 'notin' operators, values set can't be empty"),
            (expr("x", Exists, &["a"]), "values set must be empty for exists and does not exist"),
            (expr("x", DoesNotExist, &["a"]), "values set must be empty for exists and does not exist"),
            (expr("bad key", Exists, &[]), "invalid label key \"bad key\""),
            (expr("x", In, &["ok", "-bad"]), "invalid label value \"-bad\""),
            (LabelSelector::from_labels(labels(&[("x/y/z", "a")])), "invalid label key"),
        ];
        for (sel, msg) in cases {
            let err = sel.to_selector().unwrap_err();
            assert!(err.to_string().contains(msg), "{err} should contain {msg}");
            check(&sel, &labels(&[("x", "a")]), false);
            check(&sel, &labels(&[]), false);
            assert_eq!(format_label_selector(Some(&sel)), "<error>");
        }
    }

    #[test]
    fn display_uses_kubernetes_string_form() {
        let sel = LabelSelector {
            match_labels: labels(&[("app", "web")]),
            match_expressions: vec![
                LabelSelectorRequirement::new("x", DoesNotExist, &[]),
                LabelSelectorRequirement::new("tier", In, &["b", "a"]),
                LabelSelectorRequirement::new("env", NotIn, &["prod"]),
                LabelSelectorRequirement::new("has", Exists, &[]),
            ],
        };
        let want = "app=web,env notin (prod),has,tier in (a,b),!x";
        assert_eq!(sel.to_string(), want);
        assert_eq!(sel.to_selector().unwrap().to_string(), want);
        assert_eq!(format_label_selector(Some(&sel)), want);
        assert_eq!(LabelSelector::default().to_string(), "");
        let gt = Selector::everything()
            .with_requirement(Requirement::new("n", SelectorOp::GreaterThan, vec!["5".into()]).unwrap())
            .with_requirement(Requirement::new("m", SelectorOp::LessThan, vec!["7".into()]).unwrap())
            .with_requirement(Requirement::new("o", SelectorOp::NotEquals, vec!["z".into()]).unwrap());
        assert_eq!(gt.to_string(), "m<7,n>5,o!=z");
    }

    #[test]
    fn compiled_gt_lt_and_not_equals_match_like_labels_requirement() {
        let gt =
            Selector::from_requirements(
                vec![Requirement::new("n", SelectorOp::GreaterThan, vec!["5".into()]).unwrap()],
            );
        let lt =
            Selector::from_requirements(vec![Requirement::new("n", SelectorOp::LessThan, vec!["5".into()]).unwrap()]);
        for (value, want_gt, want_lt) in
            [("6", true, false), ("5", false, false), ("4", false, true), ("-3", false, true), ("x", false, false)]
        {
            let l = labels(&[("n", value)]);
            assert_eq!(gt.matches(&l), want_gt, "n={value} > 5");
            assert_eq!(lt.matches(&l), want_lt, "n={value} < 5");
        }
        assert!(!gt.matches(&labels(&[])) && !lt.matches(&labels(&[])));
        assert!(Requirement::new("n", SelectorOp::GreaterThan, vec!["x".into()]).is_err());
        assert!(Requirement::new("n", SelectorOp::GreaterThan, vec!["1".into(), "2".into()]).is_err());
        assert!(Requirement::new("n", SelectorOp::Equals, vec![]).is_err());
        let ne = Selector::everything()
            .with_requirement(Requirement::new("a", SelectorOp::NotEquals, vec!["b".into()]).unwrap());
        assert!(ne.matches(&labels(&[])) && ne.matches(&labels(&[("a", "c")])) && !ne.matches(&labels(&[("a", "b")])));
        assert!(!Selector::nothing()
            .with_requirement(Requirement::new("a", SelectorOp::Exists, vec![]).unwrap())
            .matches(&labels(&[("a", "")])));
    }

    #[test]
    fn with_label_adds_to_match_labels() {
        let sel = LabelSelector::from_labels(labels(&[("app", "web")])).with_label("pod-template-hash", "abc");
        assert_eq!(sel.match_labels, labels(&[("app", "web"), ("pod-template-hash", "abc")]));
        assert_eq!(sel.with_label("", "x"), sel);
    }

    #[test]
    fn validation_reports_kubernetes_messages() {
        let sel = LabelSelector {
            match_labels: labels(&[("bad key", "v")]),
            match_expressions: vec![
                LabelSelectorRequirement::new("a", In, &[]),
                LabelSelectorRequirement::new("b", Exists, &["x"]),
                LabelSelectorRequirement::new("c", NotIn, &["ok", "not ok"]),
                LabelSelectorRequirement::new("d", DoesNotExist, &[]),
            ],
        };
        let mut errs = FieldErrors::default();
        validate_label_selector(&sel, "spec.selector", &mut errs);
        let lines: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[0].starts_with("spec.selector.matchLabels: Invalid value: \"bad key\": name part must consist"));
        assert_eq!(lines[1], "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
        assert_eq!(
            lines[2],
            "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        );
        assert!(lines[3].starts_with(
            "spec.selector.matchExpressions[2].values[1]: Invalid value: \"not ok\": a valid label must be"
        ));

        let mut ok = FieldErrors::default();
        validate_label_selector(&expr("example.com/tier", In, &["a"]), "spec.selector", &mut ok);
        assert!(ok.is_empty());
    }

    #[test]
    fn serde_round_trips_yaml_and_json() {
        let yaml = "matchLabels:\n  app: web\nmatchExpressions:\n- key: tier\n  operator: In\n  values: [a, b]\n- key: x\n  operator: DoesNotExist\n";
        let sel: LabelSelector = serde_norway::from_str(yaml).unwrap();
        assert_eq!(sel.to_string(), "app=web,tier in (a,b),!x");
        let json = serde_json::to_string(&sel).unwrap();
        assert_eq!(
            json,
            r#"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},{"key":"x","operator":"DoesNotExist"}]}"#
        );
        assert_eq!(serde_json::from_str::<LabelSelector>(&json).unwrap(), sel);
        let back: LabelSelector = serde_norway::from_str(&serde_norway::to_string(&sel).unwrap()).unwrap();
        assert_eq!(back, sel);
        assert_eq!(serde_json::to_string(&LabelSelector::default()).unwrap(), "{}");
        assert!(serde_json::from_str::<LabelSelector>(r#"{"matchLabel":{}}"#).is_err());
        assert!(
            serde_json::from_str::<LabelSelector>(r#"{"matchExpressions":[{"key":"a","operator":"Equals"}]}"#).is_err()
        );
    }
}
