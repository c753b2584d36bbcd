//! Properties of the object model: any object serialized to JSON or YAML and read
//! back is equal (and serializes the same), and the template hash is equal for equal
//! templates and changes when any part of the template changes.
//!
//! The strategies generate arbitrary but well-shaped objects: names, labels (with
//! values YAML would misread if unquoted), selectors with expressions, tolerations,
//! node affinity with matchFields, quantities in every notation, IntOrString in both
//! forms, conditions with sub-second times, and verbatim fields (any JSON) in the pod
//! spec, containers, volumes and metadata.

#[path = "api_props/leaves.rs"]
mod leaves;
#[path = "api_props/objects.rs"]
mod objects;

use proptest::option;
use proptest::prelude::*;
use serde_json::Value;

use kwarp::api::hash::compute_hash;
use kwarp::api::taint::Toleration;
use kwarp::api::{parse_manifests, AnyObject, Deployment, Node, Pod, PodTemplateSpec, Quantity};

use leaves::{json, label_key, label_value, quantity, toleration};
use objects::{any_object, deployment, node, pod, template};

// ------------------------------------------------------------------ properties

fn read_one(name: &str, text: &str) -> Result<AnyObject, TestCaseError> {
    let mut all = parse_manifests(name, text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(all.len(), 1);
    Ok(all.pop().unwrap().object)
}

/// A change to one part of a pod template.
#[derive(Clone, Debug)]
enum Edit {
    Image(String),
    Label(String, String),
    Extra(String, Value),
    ContainerExtra(String, Value),
    Request(Quantity),
    Toleration(Toleration),
}

fn edit() -> BoxedStrategy<Edit> {
    prop_oneof![
        "[a-z]{1,8}:v[0-9]{1,3}".prop_map(Edit::Image),
        (label_key(), label_value()).prop_map(|(k, v)| Edit::Label(k, v)),
        ("x[A-Z][a-z]{0,6}", json()).prop_map(|(k, v)| Edit::Extra(k, v)),
        ("x[A-Z][a-z]{0,6}", json()).prop_map(|(k, v)| Edit::ContainerExtra(k, v)),
        quantity().prop_map(Edit::Request),
        toleration().prop_map(Edit::Toleration),
    ]
    .boxed()
}

/// Applies `edit`; `false` when it happens to leave the template as it was.
fn apply(t: &mut PodTemplateSpec, edit: Edit) -> bool {
    let before = t.clone();
    let c = &mut t.spec.containers[0];
    match edit {
        Edit::Image(i) => c.image = i,
        Edit::Label(k, v) => {
            t.metadata.labels.insert(k, v);
        }
        Edit::Extra(k, v) => {
            t.spec.extra.insert(k, v);
        }
        Edit::ContainerExtra(k, v) => {
            c.extra.insert(k, v);
        }
        Edit::Request(q) => {
            c.resources.requests.insert("cpu".into(), q);
        }
        Edit::Toleration(tol) => t.spec.tolerations.push(tol),
    }
    *t != before
}

// Each case builds a whole object tree; 128 cases keep the debug-build run near ten seconds.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_object_round_trips_through_json(obj in any_object()) {
        let json = obj.to_json();
        let again = read_one("p.json", &json)?;
        prop_assert_eq!(&again, &obj);
        prop_assert_eq!(again.to_json(), json);
        prop_assert_eq!(AnyObject::from_json_value(obj.to_json_value()), Ok(obj));
    }

    #[test]
    fn any_object_round_trips_through_yaml(obj in any_object()) {
        let yaml = obj.to_yaml();
        let again = read_one("p.yaml", &yaml)?;
        prop_assert_eq!(&again, &obj, "{}", yaml);
        prop_assert_eq!(again.to_json(), obj.to_json());
    }

    #[test]
    fn equal_templates_hash_equal(t in template(), collision in option::of(0i32..5)) {
        let copy = t.clone();
        prop_assert_eq!(compute_hash(&t, collision), compute_hash(&copy, collision));
        // The same template read back from JSON hashes the same too.
        let back: PodTemplateSpec = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        prop_assert_eq!(compute_hash(&back, collision), compute_hash(&t, collision));
    }

    #[test]
    fn any_template_change_changes_the_hash(t in template(), e in edit()) {
        let mut changed = t.clone();
        prop_assume!(apply(&mut changed, e));
        prop_assert_ne!(compute_hash(&t, None), compute_hash(&changed, None));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn typed_objects_round_trip_through_serde_json(p in pod(), d in deployment(), n in node()) {
        prop_assert_eq!(serde_json::from_value::<Pod>(serde_json::to_value(&p).unwrap()).unwrap(), p);
        prop_assert_eq!(serde_json::from_value::<Deployment>(serde_json::to_value(&d).unwrap()).unwrap(), d);
        prop_assert_eq!(serde_json::from_str::<Node>(&serde_json::to_string(&n).unwrap()).unwrap(), n);
    }
}
