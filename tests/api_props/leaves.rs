//! Strategies for the leaves of the object model: names, labels, times, quantities,
//! IntOrString, verbatim JSON, conditions, metadata, selectors, tolerations and node affinity.

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value};

use kwarp::api::node_affinity::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
    PreferredSchedulingTerm,
};
use kwarp::api::pod::{Condition, ConditionStatus, Extra, ResourceList};
use kwarp::api::selector::{LabelSelectorOperator, LabelSelectorRequirement};
use kwarp::api::taint::{TaintEffect, Toleration, TolerationOperator};
use kwarp::api::{IntOrString, LabelSelector, ObjectMeta, OwnerReference, Quantity, StringMap, Time};

pub fn name() -> BoxedStrategy<String> {
    "[a-z]([-a-z0-9]{0,10}[a-z0-9])?".boxed()
}

/// Label values, including ones YAML would read as another type if written bare.
pub fn label_value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z0-9]([-._a-z0-9]{0,8}[a-z0-9])?",
        1 => prop::sample::select(vec!["", "true", "no", "yes", "null", "~", "1", "0x1F", "1e3", "1.0", "-"])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

pub fn label_key() -> BoxedStrategy<String> {
    (option::of("[a-z]{1,6}\\.(io|com)/"), "[a-z][-a-z0-9]{0,8}").prop_map(|(p, n)| p.unwrap_or_default() + &n).boxed()
}

pub fn labels() -> BoxedStrategy<StringMap> {
    btree_map(label_key(), label_value(), 0..4).boxed()
}

/// 2000-01-01 .. 2100-01-01, half of them on a whole second.
pub fn time() -> BoxedStrategy<Time> {
    (946_684_800i64..4_102_444_800, prop_oneof![Just(0i64), 0i64..1_000_000_000])
        .prop_map(|(s, n)| Time::from_secs(s).add_nanos(n))
        .boxed()
}

pub fn quantity() -> BoxedStrategy<Quantity> {
    let spelled = prop::sample::select(vec![
        "100m", "2", "200Mi", "1Gi", "1e3", "0.5", "1.5Gi", "+1k", "12E-3", "3Ki", "250u", "0", "110",
    ])
    .prop_map(str::to_owned);
    let built = (0u32..100_000, prop::sample::select(vec!["", "m", "k", "M", "Ki", "Mi", "Gi", "n"]))
        .prop_map(|(n, s)| format!("{n}{s}"));
    prop_oneof![spelled, built].prop_map(|s| Quantity::parse(&s).expect("generated quantities parse")).boxed()
}

pub fn resource_list() -> BoxedStrategy<ResourceList> {
    btree_map(
        prop::sample::select(vec!["cpu", "memory", "pods", "ephemeral-storage"]).prop_map(str::to_owned),
        quantity(),
        0..3,
    )
    .boxed()
}

pub fn int_or_string() -> BoxedStrategy<IntOrString> {
    prop_oneof![(0i32..100).prop_map(IntOrString::Int), (0u32..=100).prop_map(|p| IntOrString::String(format!("{p}%")))]
        .boxed()
}

/// Any JSON value (a few levels deep), for the fields kept verbatim.
pub fn json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-4000i32..4000).prop_map(|q| Value::from(f64::from(q) / 4.0)),
        "\\PC{0,10}".prop_map(Value::String),
        label_value().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-zA-Z][a-zA-Z0-9]{0,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Verbatim fields: real names of untyped fields, or made-up ones that cannot collide with typed fields.
pub fn extra(known: &'static [&'static str]) -> BoxedStrategy<Extra> {
    let key = prop_oneof![prop::sample::select(known.to_vec()).prop_map(str::to_owned), "x[A-Z][a-zA-Z0-9]{0,6}"];
    btree_map(key, json(), 0..3).prop_map(|m| m.into_iter().collect::<Map<String, Value>>()).boxed()
}

pub fn condition() -> BoxedStrategy<Condition> {
    (
        prop::sample::select(vec!["Ready", "Available", "Progressing", "Complete", "Failed", "PodScheduled"]),
        prop::sample::select(vec![ConditionStatus::True, ConditionStatus::False, ConditionStatus::Unknown]),
        (option::of(time()), option::of(time()), option::of(time())),
        prop_oneof![Just(String::new()), "[A-Z][a-zA-Z]{0,12}"],
        "\\PC{0,16}",
    )
        .prop_map(|(t, status, (probe, update, transition), reason, message)| Condition {
            type_: t.to_owned(),
            status,
            last_probe_time: probe,
            last_update_time: update,
            last_transition_time: transition,
            reason,
            message,
        })
        .boxed()
}

pub fn conditions() -> BoxedStrategy<Vec<Condition>> {
    vec(condition(), 0..3).boxed()
}

// ------------------------------------------------------------------ metadata, selectors, scheduling

pub fn owner_reference() -> BoxedStrategy<OwnerReference> {
    (name(), "[0-9a-f]{8}", option::of(any::<bool>()), option::of(any::<bool>()))
        .prop_map(|(name, uid, controller, block)| OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name,
            uid,
            controller,
            block_owner_deletion: block,
        })
        .boxed()
}

pub fn meta() -> BoxedStrategy<ObjectMeta> {
    (
        (name(), prop_oneof![Just(String::new()), name()], prop_oneof![Just(String::new()), "[0-9a-f-]{8,12}"]),
        (0i64..1000, prop_oneof![Just(String::new()), (1u64..1_000_000).prop_map(|n| n.to_string())]),
        (option::of(time()), option::of(time()), option::of(0i64..60)),
        (labels(), btree_map(label_key(), "\\PC{0,12}", 0..3)),
        (vec(owner_reference(), 0..2), vec("[a-z.]{1,10}/[a-z]{1,8}", 0..2)),
        extra(&["managedFields", "selfLink"]),
    )
        .prop_map(
            |(
                (name, namespace, uid),
                (generation, rv),
                (created, deleted, grace),
                (labels, ann),
                (owners, fin),
                extra,
            )| {
                ObjectMeta {
                    name,
                    namespace,
                    uid,
                    resource_version: rv,
                    generation,
                    creation_timestamp: created,
                    deletion_timestamp: deleted,
                    deletion_grace_period_seconds: grace,
                    labels,
                    annotations: ann,
                    owner_references: owners,
                    finalizers: fin,
                    extra,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

pub fn selector() -> BoxedStrategy<LabelSelector> {
    let requirement = (
        label_key(),
        prop::sample::select(vec![
            LabelSelectorOperator::In,
            LabelSelectorOperator::NotIn,
            LabelSelectorOperator::Exists,
            LabelSelectorOperator::DoesNotExist,
        ]),
        vec(label_value(), 1..3),
    )
        .prop_map(|(key, operator, values)| {
            let values = if matches!(operator, LabelSelectorOperator::In | LabelSelectorOperator::NotIn) {
                values
            } else {
                Vec::new()
            };
            LabelSelectorRequirement { key, operator, values }
        });
    (labels(), vec(requirement, 0..3))
        .prop_map(|(match_labels, match_expressions)| LabelSelector { match_labels, match_expressions })
        .boxed()
}

pub fn toleration() -> BoxedStrategy<Toleration> {
    (
        prop_oneof![Just(String::new()), label_key()],
        option::of(prop::sample::select(vec![TolerationOperator::Equal, TolerationOperator::Exists])),
        label_value(),
        option::of(effect()),
        option::of(0i64..3600),
    )
        .prop_map(|(key, operator, value, effect, secs)| Toleration {
            key,
            operator,
            value: if operator == Some(TolerationOperator::Exists) { String::new() } else { value },
            effect,
            toleration_seconds: secs,
        })
        .boxed()
}

pub fn effect() -> BoxedStrategy<TaintEffect> {
    prop::sample::select(vec![TaintEffect::NoSchedule, TaintEffect::PreferNoSchedule, TaintEffect::NoExecute]).boxed()
}

pub fn node_requirement(fields: bool) -> BoxedStrategy<NodeSelectorRequirement> {
    let ops = if fields {
        vec![NodeSelectorOperator::In, NodeSelectorOperator::NotIn]
    } else {
        vec![
            NodeSelectorOperator::In,
            NodeSelectorOperator::NotIn,
            NodeSelectorOperator::Exists,
            NodeSelectorOperator::DoesNotExist,
            NodeSelectorOperator::Gt,
            NodeSelectorOperator::Lt,
        ]
    };
    (label_key(), prop::sample::select(ops), name(), 0u32..1000)
        .prop_map(move |(key, operator, node, n)| {
            let (key, values) = match operator {
                _ if fields => ("metadata.name".to_owned(), vec![node]),
                NodeSelectorOperator::Gt | NodeSelectorOperator::Lt => (key, vec![n.to_string()]),
                NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist => (key, Vec::new()),
                _ => (key, vec![node, n.to_string()]),
            };
            NodeSelectorRequirement { key, operator, values }
        })
        .boxed()
}

pub fn node_selector_term() -> BoxedStrategy<NodeSelectorTerm> {
    (vec(node_requirement(false), 0..3), vec(node_requirement(true), 0..2))
        .prop_map(|(match_expressions, match_fields)| NodeSelectorTerm { match_expressions, match_fields })
        .boxed()
}

pub fn affinity() -> BoxedStrategy<Affinity> {
    let required = option::of(vec(node_selector_term(), 0..3).prop_map(|t| NodeSelector { node_selector_terms: t }));
    let preferred = vec(
        (1i32..=100, node_selector_term())
            .prop_map(|(weight, preference)| PreferredSchedulingTerm { weight, preference }),
        0..2,
    );
    (option::of((required, preferred)), extra(&["podAffinity", "podAntiAffinity"]))
        .prop_map(|(na, extra)| Affinity {
            node_affinity: na.map(|(r, p)| NodeAffinity {
                required_during_scheduling_ignored_during_execution: r,
                preferred_during_scheduling_ignored_during_execution: p,
            }),
            extra,
        })
        .boxed()
}
