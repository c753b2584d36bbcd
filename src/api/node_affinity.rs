//! Node affinity (`core/v1.Affinity`, `NodeSelector`) and required-affinity matching as the scheduler does it.
//!
//! Matching follows `k8s.io/component-helpers/scheduling/corev1/nodeaffinity`:
//! terms are ORed; within a term, `matchExpressions` (on node labels) and
//! `matchFields` (only `metadata.name`) are ANDed. A term with neither matches
//! nothing, and so does a term with an invalid requirement (an `In`/`NotIn` without
//! values, `Gt`/`Lt` without exactly one integer, a bad key or value, a
//! `matchFields` requirement other than `metadata.name In|NotIn [one value]`);
//! the other terms still count. `Gt`/`Lt` compare the label parsed as an integer.
//! Pod affinity and anti-affinity are kept verbatim in [`Affinity::extra`], not evaluated.

use crate::api::error::PathExt;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::error::{FieldError, FieldErrors};
use super::meta::StringMap;
use super::names;
use super::selector::{check_requirement, eval, Requirement, Selector, SelectorOp};

/// The one node field `matchFields` may name (`metav1.ObjectNameField`).
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

/// `core/v1.Affinity`: node affinity typed, `podAffinity` / `podAntiAffinity` kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Affinity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<NodeAffinity>,
    /// `podAffinity`, `podAntiAffinity` and anything else, verbatim.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `core/v1.NodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeAffinity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// `core/v1.PreferredSchedulingTerm`: weight 1–100.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferredSchedulingTerm {
    pub weight: i32,
    pub preference: NodeSelectorTerm,
}

/// `core/v1.NodeSelector`: the terms are ORed. No terms matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelector {
    /// Always serialized (the field has no `omitempty` in Kubernetes).
    #[serde(default)]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// `core/v1.NodeSelectorTerm`: every requirement must hold. An empty term matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelectorTerm {
    /// On node labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// On node fields: only `metadata.name`, with `In` or `NotIn` and one value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// `core/v1.NodeSelectorOperator`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeSelectorOperator {
    #[default]
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl NodeSelectorOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "In",
            Self::NotIn => "NotIn",
            Self::Exists => "Exists",
            Self::DoesNotExist => "DoesNotExist",
            Self::Gt => "Gt",
            Self::Lt => "Lt",
        }
    }

    fn op(self) -> SelectorOp {
        match self {
            Self::In => SelectorOp::In,
            Self::NotIn => SelectorOp::NotIn,
            Self::Exists => SelectorOp::Exists,
            Self::DoesNotExist => SelectorOp::DoesNotExist,
            Self::Gt => SelectorOp::GreaterThan,
            Self::Lt => SelectorOp::LessThan,
        }
    }
}

/// `core/v1.NodeSelectorRequirement`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: NodeSelectorOperator,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    pub fn new(key: impl Into<String>, operator: NodeSelectorOperator, values: &[&str]) -> Self {
        NodeSelectorRequirement { key: key.into(), operator, values: values.iter().map(|v| v.to_string()).collect() }
    }

    /// A valid `matchFields` requirement: `metadata.name` with `In`/`NotIn` and one value.
    fn field_ok(&self) -> bool {
        self.key == OBJECT_NAME_FIELD
            && matches!(self.operator, NodeSelectorOperator::In | NodeSelectorOperator::NotIn)
            && self.values.len() == 1
    }

    fn field_matches(&self, node_name: &str) -> bool {
        (self.values[0] == node_name) == (self.operator == NodeSelectorOperator::In)
    }
}

impl NodeSelectorTerm {
    /// Neither expressions nor fields: selects no node.
    pub fn is_empty(&self) -> bool {
        self.match_expressions.is_empty() && self.match_fields.is_empty()
    }

    /// Whether every requirement parses (`newNodeSelectorTerm` without errors).
    pub fn is_valid(&self) -> bool {
        self.match_expressions.iter().all(|r| check_requirement(&r.key, r.operator.op(), &r.values).is_ok())
            && self.match_fields.iter().all(NodeSelectorRequirement::field_ok)
    }

    /// The term alone: non-empty, valid, expressions hold on the labels and fields on the name.
    /// (As upstream, `matchFields` are not checked for a node without a name.)
    pub fn matches(&self, node_name: &str, node_labels: &StringMap) -> bool {
        !self.is_empty()
            && self.is_valid()
            && self
                .match_expressions
                .iter()
                .all(|r| eval(r.operator.op(), node_labels.get(&r.key).map(String::as_str), &r.values))
            && (node_name.is_empty() || self.match_fields.iter().all(|r| r.field_matches(node_name)))
    }
}

impl NodeSelector {
    /// Some term matches the node (`LazyErrorNodeSelector.Match`). Allocation-free; use
    /// [`Self::compile`] to match one selector against many nodes.
    pub fn matches(&self, node_name: &str, node_labels: &StringMap) -> bool {
        self.node_selector_terms.iter().any(|t| t.matches(node_name, node_labels))
    }

    /// Pre-validated form: empty and invalid terms dropped, label requirements compiled.
    pub fn compile(&self) -> CompiledNodeSelector {
        let terms = self
            .node_selector_terms
            .iter()
            .filter(|t| !t.is_empty() && t.is_valid())
            .map(|t| {
                let reqs = t
                    .match_expressions
                    .iter()
                    .map(|r| Requirement::new(r.key.as_str(), r.operator.op(), r.values.clone()))
                    .collect::<Result<Vec<_>, _>>()
                    .expect("term validated above");
                let fields = t
                    .match_fields
                    .iter()
                    .map(|r| (r.values[0].clone(), r.operator == NodeSelectorOperator::In))
                    .collect();
                CompiledTerm { labels: Selector::from_requirements(reqs), fields }
            })
            .collect();
        CompiledNodeSelector { terms }
    }
}

/// A [`NodeSelector`] validated once, for matching against many nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledNodeSelector {
    /// Only valid, non-empty terms; no terms matches nothing.
    terms: Vec<CompiledTerm>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct CompiledTerm {
    labels: Selector,
    /// `metadata.name` must equal (`true`) or differ from (`false`) the value.
    fields: Vec<(String, bool)>,
}

impl CompiledNodeSelector {
    pub fn matches(&self, node_name: &str, node_labels: &StringMap) -> bool {
        self.terms.iter().any(|t| {
            t.labels.matches(node_labels)
                && (node_name.is_empty() || t.fields.iter().all(|(name, eq)| (name == node_name) == *eq))
        })
    }
}

/// `pod.spec.nodeSelector`: every pair is among the node's labels (empty map matches every node).
pub fn node_selector_matches(node_selector: &StringMap, node_labels: &StringMap) -> bool {
    node_selector.iter().all(|(k, v)| node_labels.get(k) == Some(v))
}

/// `GetRequiredNodeAffinity(pod).Match(node)`: the pod's `nodeSelector` map and its required
/// node affinity both admit the node.
pub fn required_node_affinity_matches(
    node_selector: &StringMap,
    affinity: Option<&Affinity>,
    node_name: &str,
    node_labels: &StringMap,
) -> bool {
    node_selector_matches(node_selector, node_labels)
        && required_terms(affinity).is_none_or(|ns| ns.matches(node_name, node_labels))
}

fn required_terms(affinity: Option<&Affinity>) -> Option<&NodeSelector> {
    affinity?.node_affinity.as_ref()?.required_during_scheduling_ignored_during_execution.as_ref()
}

/// The single node a selector can admit, when it has exactly one term and that term
/// requires `metadata.name In [name]` (what DaemonSet pods carry), so the scheduler can
/// skip scanning. The node must still pass [`NodeSelector::matches`] (the term may
/// hold other requirements).
pub fn pinned_node_name(sel: &NodeSelector) -> Option<&str> {
    let [term] = sel.node_selector_terms.as_slice() else { return None };
    term.match_fields
        .iter()
        .find(|r| r.key == OBJECT_NAME_FIELD && r.operator == NodeSelectorOperator::In && r.values.len() == 1)
        .map(|r| r.values[0].as_str())
}

/// The node a daemon pod targets through its required affinity (`GetTargetNodeName` without
/// the `spec.nodeName` shortcut): the first `metadata.name In [name]` of any term.
pub fn affinity_target_node_name(affinity: Option<&Affinity>) -> Option<&str> {
    required_terms(affinity)?
        .node_selector_terms
        .iter()
        .flat_map(|t| &t.match_fields)
        .find(|r| r.key == OBJECT_NAME_FIELD && r.operator == NodeSelectorOperator::In)
        .filter(|r| r.values.len() == 1)
        .map(|r| r.values[0].as_str())
}

/// `ReplaceDaemonSetPodNodeNameNodeAffinity`: the required node affinity becomes the single
/// term `matchFields metadata.name In [node_name]`, replacing any required terms; preferred
/// terms and pod (anti-)affinity are kept.
pub fn replace_daemon_set_pod_node_name_node_affinity(affinity: Option<Affinity>, node_name: &str) -> Affinity {
    let pinned = NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_expressions: Vec::new(),
            match_fields: vec![NodeSelectorRequirement::new(OBJECT_NAME_FIELD, NodeSelectorOperator::In, &[node_name])],
        }],
    };
    let mut affinity = affinity.unwrap_or_default();
    affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default)
        .required_during_scheduling_ignored_during_execution = Some(pinned);
    affinity
}

/// `ValidateNodeSelector` (core validation): at least one term, each valid; errors under `path`
/// (e.g. `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`).
pub fn validate_node_selector(sel: &NodeSelector, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let terms_path = path.dot("nodeSelectorTerms");
    if sel.node_selector_terms.is_empty() {
        errs.push(FieldError::required(terms_path, "must have at least one node selector term"));
        return;
    }
    for (i, term) in sel.node_selector_terms.iter().enumerate() {
        validate_node_selector_term(term, &terms_path.at(i), errs);
    }
}

/// `ValidateNodeSelectorTerm`.
pub fn validate_node_selector_term(
    term: &NodeSelectorTerm,
    path: &(impl fmt::Display + ?Sized),
    errs: &mut FieldErrors,
) {
    for (j, r) in term.match_expressions.iter().enumerate() {
        validate_node_selector_requirement(r, &path.dot_at("matchExpressions", j), errs);
    }
    for (j, r) in term.match_fields.iter().enumerate() {
        validate_node_field_selector_requirement(r, &path.dot_at("matchFields", j), errs);
    }
}

fn validate_node_selector_requirement(
    r: &NodeSelectorRequirement,
    path: &(impl fmt::Display + ?Sized),
    errs: &mut FieldErrors,
) {
    use NodeSelectorOperator::*;
    let values_path = || path.dot("values");
    match r.operator {
        In | NotIn if r.values.is_empty() => {
            errs.push(FieldError::required(values_path(), "must be specified when `operator` is 'In' or 'NotIn'"))
        }
        Exists | DoesNotExist if !r.values.is_empty() => errs.push(FieldError::forbidden(
            values_path(),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        )),
        Gt | Lt if r.values.len() != 1 => errs.push(FieldError::required(
            values_path(),
            "must be specified single value when `operator` is 'Lt' or 'Gt'",
        )),
        _ => {}
    }
    names::validate_label_name(&r.key, &path.dot("key"), errs);
    for (i, v) in r.values.iter().enumerate() {
        names::validate_label_value(v, &path.dot_at("values", i), errs);
    }
}

fn validate_node_field_selector_requirement(
    r: &NodeSelectorRequirement,
    path: &(impl fmt::Display + ?Sized),
    errs: &mut FieldErrors,
) {
    match r.operator {
        NodeSelectorOperator::In | NodeSelectorOperator::NotIn => {
            if r.values.len() != 1 {
                errs.push(FieldError::required(
                    path.dot("values"),
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                ));
            }
        }
        op => errs.push(FieldError::invalid(
            path.dot("operator"),
            format_args!("{:?}", op.as_str()),
            "not a valid selector operator",
        )),
    }
    if r.key != OBJECT_NAME_FIELD {
        errs.push(FieldError::invalid(path.dot("key"), format_args!("{:?}", r.key), "not a valid field selector key"));
    } else {
        for (i, v) in r.values.iter().enumerate() {
            for msg in names::is_dns1123_subdomain(v) {
                errs.push(FieldError::invalid(path.dot_at("values", i), format_args!("{v:?}"), msg));
            }
        }
    }
}

/// `validateNodeAffinity`: the required selector and the preferred terms (weight 1–100).
pub fn validate_affinity(affinity: &Affinity, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let Some(na) = &affinity.node_affinity else { return };
    let p = path.dot("nodeAffinity");
    if let Some(req) = &na.required_during_scheduling_ignored_during_execution {
        validate_node_selector(req, &p.dot("requiredDuringSchedulingIgnoredDuringExecution"), errs);
    }
    for (i, term) in na.preferred_during_scheduling_ignored_during_execution.iter().enumerate() {
        let tp = p.dot_at("preferredDuringSchedulingIgnoredDuringExecution", i);
        if !(1..=100).contains(&term.weight) {
            errs.push(FieldError::invalid(tp.dot("weight"), term.weight, "must be in the range 1-100"));
        }
        validate_node_selector_term(&term.preference, &tp.dot("preference"), errs);
    }
}

#[cfg(test)]
mod tests {
    use super::NodeSelectorOperator::{DoesNotExist, Exists, Gt, In, Lt, NotIn};
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn req(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement::new(key, op, values)
    }

    fn term(exprs: Vec<NodeSelectorRequirement>, fields: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm { match_expressions: exprs, match_fields: fields }
    }

    fn sel(terms: Vec<NodeSelectorTerm>) -> NodeSelector {
        NodeSelector { node_selector_terms: terms }
    }

    /// The direct and the compiled matcher must agree on every case.
    fn check(s: &NodeSelector, node: &str, l: &StringMap, expect: bool) {
        assert_eq!(s.matches(node, l), expect, "direct: {s:?} on {node} {l:?}");
        assert_eq!(s.compile().matches(node, l), expect, "compiled: {s:?} on {node} {l:?}");
    }

    /// (operator, values, [(label value, matches)], matches when the label is absent)
    type OperatorCase = (NodeSelectorOperator, &'static [&'static str], &'static [(&'static str, bool)], bool);

    #[test]
    fn expression_operators_truth_table() {
        let cases: &[OperatorCase] = &[
            (In, &["a", "b"], &[("a", true), ("c", false)], false),
            (NotIn, &["a", "b"], &[("a", false), ("c", true)], true),
            (Exists, &[], &[("a", true), ("", true)], false),
            (DoesNotExist, &[], &[("a", false)], true),
            (Gt, &["5"], &[("6", true), ("5", false), ("4", false), ("-10", false), ("x", false), ("", false)], false),
            (Lt, &["5"], &[("6", false), ("5", false), ("4", true), ("-10", true), ("x", false)], false),
            (
                Gt,
                &["0"],
                &[("1", true), ("0", false), ("9223372036854775807", true), ("99999999999999999999", false)],
                false,
            ),
        ];
        for (op, values, present, absent) in cases {
            let s = sel(vec![term(vec![req("k", *op, values)], vec![])]);
            for (v, want) in *present {
                check(&s, "n", &labels(&[("k", v)]), *want);
            }
            check(&s, "n", &labels(&[("other", "a")]), *absent);
        }
    }

    #[test]
    fn terms_are_ored_and_requirements_anded() {
        let s = sel(vec![
            term(vec![req("zone", In, &["a"]), req("disk", Exists, &[])], vec![]),
            term(vec![req("gpu", Exists, &[])], vec![]),
        ]);
        check(&s, "n", &labels(&[("zone", "a"), ("disk", "ssd")]), true);
        check(&s, "n", &labels(&[("zone", "a")]), false);
        check(&s, "n", &labels(&[("disk", "ssd")]), false);
        check(&s, "n", &labels(&[("gpu", "1")]), true);
        check(&s, "n", &labels(&[]), false);
    }

    #[test]
    fn match_fields_select_by_node_name_and_and_with_expressions() {
        let by_name = sel(vec![term(vec![], vec![req(OBJECT_NAME_FIELD, In, &["node-1"])])]);
        check(&by_name, "node-1", &labels(&[]), true);
        check(&by_name, "node-2", &labels(&[]), false);
        let not_name = sel(vec![term(vec![], vec![req(OBJECT_NAME_FIELD, NotIn, &["node-1"])])]);
        check(&not_name, "node-1", &labels(&[]), false);
        check(&not_name, "node-2", &labels(&[]), true);
        let both = sel(vec![term(vec![req("color", In, &["blue"])], vec![req(OBJECT_NAME_FIELD, In, &["node-1"])])]);
        check(&both, "node-1", &labels(&[("color", "blue")]), true);
        check(&both, "node-1", &labels(&[("color", "red")]), false);
        check(&both, "node-2", &labels(&[("color", "blue")]), false);
    }

    #[test]
    fn empty_terms_and_empty_selectors_match_nothing() {
        check(&sel(vec![]), "n", &labels(&[]), false);
        check(&sel(vec![term(vec![], vec![])]), "n", &labels(&[("a", "b")]), false);
        let empty_or_any = sel(vec![term(vec![], vec![]), term(vec![req("a", Exists, &[])], vec![])]);
        check(&empty_or_any, "n", &labels(&[("a", "b")]), true);
    }

    #[test]
    fn invalid_requirements_void_only_their_term() {
        let invalid = [
            term(vec![req("k", In, &[])], vec![]),
            term(vec![req("k", NotIn, &[])], vec![]),
            term(vec![req("k", Exists, &["v"])], vec![]),
            term(vec![req("k", Gt, &["x"])], vec![]),
            term(vec![req("k", Lt, &["1", "2"])], vec![]),
            term(vec![req("k", Gt, &[])], vec![]),
            term(vec![req("k", Gt, &["-1"])], vec![]), // "-1" is not a valid label value
            term(vec![req("bad key", Exists, &[])], vec![]),
            term(vec![], vec![req("metadata.namespace", In, &["n"])]),
            term(vec![], vec![req(OBJECT_NAME_FIELD, Exists, &[])]),
            term(vec![], vec![req(OBJECT_NAME_FIELD, In, &["n", "m"])]),
            term(vec![], vec![req(OBJECT_NAME_FIELD, In, &[])]),
        ];
        let l = labels(&[("k", "5"), ("ok", "1")]);
        for t in invalid {
            assert!(!t.is_valid(), "{t:?}");
            check(&sel(vec![t.clone()]), "n", &l, false);
            check(&sel(vec![t, term(vec![req("ok", Exists, &[])], vec![])]), "n", &l, true);
        }
        // An invalid expression voids the term even when the other requirements match.
        check(&sel(vec![term(vec![req("ok", Exists, &[]), req("k", In, &[])], vec![])]), "n", &l, false);
    }

    #[test]
    fn pod_node_selector_map_and_required_affinity_are_anded() {
        let node = labels(&[("color", "blue"), ("zone", "a")]);
        assert!(node_selector_matches(&labels(&[]), &node));
        assert!(node_selector_matches(&labels(&[("color", "blue")]), &node));
        assert!(!node_selector_matches(&labels(&[("color", "blue"), ("disk", "ssd")]), &node));
        assert!(!node_selector_matches(&labels(&[("color", "red")]), &node));

        let zone_b = Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(sel(vec![term(
                    vec![req("zone", In, &["b"])],
                    vec![],
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(required_node_affinity_matches(&labels(&[("color", "blue")]), None, "n", &node));
        assert!(!required_node_affinity_matches(&labels(&[("color", "blue")]), Some(&zone_b), "n", &node));
        assert!(required_node_affinity_matches(&labels(&[]), Some(&Affinity::default()), "n", &node));
        let preferred_only = Affinity {
            node_affinity: Some(NodeAffinity {
                preferred_during_scheduling_ignored_during_execution: vec![PreferredSchedulingTerm {
                    weight: 1,
                    preference: term(vec![req("zone", In, &["b"])], vec![]),
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(required_node_affinity_matches(&labels(&[]), Some(&preferred_only), "n", &node));
    }

    #[test]
    fn pinned_node_name_needs_one_term_with_name_in_one_value() {
        let pin = |name: &str| req(OBJECT_NAME_FIELD, In, &[name]);
        assert_eq!(pinned_node_name(&sel(vec![term(vec![], vec![pin("node-1")])])), Some("node-1"));
        assert_eq!(
            pinned_node_name(&sel(vec![term(vec![req("a", Exists, &[])], vec![pin("node-1")])])),
            Some("node-1")
        );
        assert_eq!(pinned_node_name(&sel(vec![])), None);
        assert_eq!(pinned_node_name(&sel(vec![term(vec![req("a", Exists, &[])], vec![])])), None);
        assert_eq!(pinned_node_name(&sel(vec![term(vec![], vec![pin("a")]), term(vec![], vec![pin("b")])])), None);
        assert_eq!(pinned_node_name(&sel(vec![term(vec![], vec![req(OBJECT_NAME_FIELD, In, &["a", "b"])])])), None);
        assert_eq!(pinned_node_name(&sel(vec![term(vec![], vec![req(OBJECT_NAME_FIELD, NotIn, &["a"])])])), None);
        assert_eq!(pinned_node_name(&sel(vec![term(vec![], vec![req("metadata.uid", In, &["a"])])])), None);
    }

    fn pinned_term(node: &str) -> NodeSelectorTerm {
        term(vec![], vec![req(OBJECT_NAME_FIELD, In, &[node])])
    }

    #[test]
    fn replace_daemon_set_pod_affinity_cases() {
        let want_required = Some(sel(vec![pinned_term("node-1")]));
        let preferred =
            vec![PreferredSchedulingTerm { weight: 10, preference: term(vec![req("zone", In, &["a"])], vec![]) }];
        let mut pod_affinity = serde_json::Map::new();
        pod_affinity.insert(
            "podAntiAffinity".into(),
            serde_json::json!({"requiredDuringSchedulingIgnoredDuringExecution": []}),
        );
        let with = |required: Option<NodeSelector>, preferred: Vec<PreferredSchedulingTerm>| NodeAffinity {
            required_during_scheduling_ignored_during_execution: required,
            preferred_during_scheduling_ignored_during_execution: preferred,
        };
        let cases: Vec<(Option<Affinity>, Affinity)> = vec![
            // no affinity at all
            (None, Affinity { node_affinity: Some(with(want_required.clone(), vec![])), ..Default::default() }),
            // pod affinity only: node affinity added, the rest kept
            (
                Some(Affinity { node_affinity: None, extra: pod_affinity.clone() }),
                Affinity { node_affinity: Some(with(want_required.clone(), vec![])), extra: pod_affinity.clone() },
            ),
            // preferred terms only: kept
            (
                Some(Affinity { node_affinity: Some(with(None, preferred.clone())), ..Default::default() }),
                Affinity { node_affinity: Some(with(want_required.clone(), preferred.clone())), ..Default::default() },
            ),
            // required label terms: replaced by the pin
            (
                Some(Affinity {
                    node_affinity: Some(with(
                        Some(sel(vec![term(vec![req("color", In, &["blue"])], vec![]), pinned_term("node-2")])),
                        preferred.clone(),
                    )),
                    extra: pod_affinity.clone(),
                }),
                Affinity { node_affinity: Some(with(want_required.clone(), preferred.clone())), extra: pod_affinity },
            ),
            // required with no terms
            (
                Some(Affinity { node_affinity: Some(with(Some(sel(vec![])), vec![])), ..Default::default() }),
                Affinity { node_affinity: Some(with(want_required, vec![])), ..Default::default() },
            ),
        ];
        for (input, want) in cases {
            let got = replace_daemon_set_pod_node_name_node_affinity(input.clone(), "node-1");
            assert_eq!(got, want, "from {input:?}");
            let required = required_terms(Some(&got)).unwrap();
            assert_eq!(pinned_node_name(required), Some("node-1"));
            assert_eq!(affinity_target_node_name(Some(&got)), Some("node-1"));
            assert!(required.matches("node-1", &labels(&[])) && !required.matches("node-2", &labels(&[])));
        }
        assert_eq!(affinity_target_node_name(None), None);
    }

    #[test]
    fn validation_reports_kubernetes_messages() {
        let affinity = Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(sel(vec![term(
                    vec![req("a", In, &[]), req("b", Exists, &["x"]), req("c", Gt, &["1", "2"]), req("ok", Lt, &["3"])],
                    vec![req("metadata.namespace", Exists, &[]), req(OBJECT_NAME_FIELD, In, &["Bad"])],
                )])),
                preferred_during_scheduling_ignored_during_execution: vec![PreferredSchedulingTerm {
                    weight: 0,
                    preference: term(vec![req("z", Exists, &[])], vec![]),
                }],
            }),
            ..Default::default()
        };
        let mut errs = FieldErrors::default();
        validate_affinity(&affinity, "spec.affinity", &mut errs);
        let lines: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        let t = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]";
        assert_eq!(
            lines,
            vec![
                format!("{t}.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
                format!("{t}.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
                format!("{t}.matchExpressions[2].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"),
                format!("{t}.matchFields[0].operator: Invalid value: \"Exists\": not a valid selector operator"),
                format!("{t}.matchFields[0].key: Invalid value: \"metadata.namespace\": not a valid field selector key"),
                format!("{t}.matchFields[1].values[0]: Invalid value: \"Bad\": {}", names::is_dns1123_subdomain("Bad")[0]),
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100".to_string(),
            ]
        );
        let mut errs = FieldErrors::default();
        validate_node_selector(&sel(vec![]), "r", &mut errs);
        assert_eq!(
            errs.0[0].to_string(),
            "r.nodeSelectorTerms: Required value: must have at least one node selector term"
        );
        let mut ok = FieldErrors::default();
        validate_node_selector(
            &sel(vec![pinned_term("node-1"), term(vec![req("a", Gt, &["1"])], vec![])]),
            "r",
            &mut ok,
        );
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn serde_round_trips_yaml_and_json() {
        let yaml = r#"
nodeAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
    - matchExpressions:
      - key: topology.kubernetes.io/zone
        operator: In
        values: [a, b]
      - key: cpu
        operator: Gt
        values: ["4"]
    - matchFields:
      - key: metadata.name
        operator: In
        values: [node-1]
  preferredDuringSchedulingIgnoredDuringExecution:
  - weight: 50
    preference:
      matchExpressions:
      - key: disk
        operator: Exists
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
  - labelSelector:
      matchLabels: {app: web}
    topologyKey: kubernetes.io/hostname
"#;
        let a: Affinity = serde_norway::from_str(yaml).unwrap();
        let na = a.node_affinity.as_ref().unwrap();
        let required = na.required_during_scheduling_ignored_during_execution.as_ref().unwrap();
        assert_eq!(required.node_selector_terms.len(), 2);
        assert_eq!(required.node_selector_terms[0].match_expressions[1], req("cpu", Gt, &["4"]));
        assert_eq!(na.preferred_during_scheduling_ignored_during_execution[0].weight, 50);
        assert!(a.extra.contains_key("podAntiAffinity"));
        assert!(required.matches("node-1", &labels(&[])));
        assert!(required.matches("x", &labels(&[("topology.kubernetes.io/zone", "b"), ("cpu", "8")])));

        let json = serde_json::to_value(&a).unwrap();
        let want: serde_json::Value = serde_norway::from_str(yaml).unwrap();
        assert_eq!(json, want);
        assert_eq!(serde_json::from_value::<Affinity>(json).unwrap(), a);
        let back: Affinity = serde_norway::from_str(&serde_norway::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);

        assert_eq!(serde_json::to_string(&NodeSelector::default()).unwrap(), r#"{"nodeSelectorTerms":[]}"#);
        assert_eq!(serde_json::to_string(&Affinity::default()).unwrap(), "{}");
        assert!(serde_json::from_str::<NodeSelectorRequirement>(r#"{"key":"a","operator":"Gte"}"#).is_err());
        assert!(serde_json::from_str::<NodeAffinity>(r#"{"requiredDuringScheduling":{}}"#).is_err());
    }
}
