//! Pod creation by controllers (SEMANTICS §1.c): pods from templates, controller references, slow-start batches.

use crate::api::names::valid_dns1123_subdomain;
use crate::api::pod::{Pod, PodTemplateSpec};
use crate::api::{Kind, ObjectMeta, OwnerReference};

/// First batch of a slow start (`SlowStartInitialBatchSize`).
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// Error of a create refused before reaching the API (`RealPodControl.createPods`).
pub const NO_LABELS: &str = "unable to create pods, no labels";

/// The batch sizes of a slow start of `count` calls: `min(initial, count)`,
/// then each `min(2 × previous, remaining)`, until `count` is covered.
pub fn batch_sizes(count: usize, initial: usize) -> impl Iterator<Item = usize> {
    let mut remaining = count;
    let mut size = initial.min(count);
    std::iter::from_fn(move || {
        if size == 0 {
            return None;
        }
        let batch = size;
        remaining -= batch;
        size = batch.saturating_mul(2).min(remaining);
        Some(batch)
    })
}

/// Calls `f` `count` times in slow-start batches (`slowStartBatch`). Every call
/// of a batch is made (in order: kwarp runs a batch's calls one after another,
/// so runs are reproducible); if any failed, the later batches are skipped.
/// Returns the number of successes and the first error.
pub fn slow_start_batch<E>(count: usize, initial: usize, mut f: impl FnMut() -> Result<(), E>) -> (usize, Option<E>) {
    let mut successes = 0;
    for batch in batch_sizes(count, initial) {
        let mut first_error = None;
        for _ in 0..batch {
            match f() {
                Ok(()) => successes += 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if first_error.is_some() {
            return (successes, first_error);
        }
    }
    (successes, None)
}

/// The controller reference a controller puts on what it creates or adopts
/// (`metav1.NewControllerRef`): `controller` and `blockOwnerDeletion` true.
pub fn controller_ref(owner: &ObjectMeta, kind: Kind) -> OwnerReference {
    OwnerReference {
        api_version: kind.api_version().to_string(),
        kind: kind.as_str().to_string(),
        name: owner.name.clone(),
        uid: owner.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `generateName` for pods of `controller_name` (`getPodsPrefix`): `<name>-`,
/// or the bare name when the prefix would not be a valid pod name.
pub fn pods_prefix(controller_name: &str) -> String {
    let prefix = format!("{controller_name}-");
    // ValidatePodName(prefix, true) masks the trailing dash first, with
    // apimachinery's quirk: `name[:len(name)-2] + "a"` drops two characters.
    let masked = match prefix.len() {
        0 | 1 => Some(prefix.clone()),
        n => prefix.get(..n - 2).map(|p| format!("{p}a")),
    };
    if masked.is_some_and(|m| valid_dns1123_subdomain(&m)) {
        prefix
    } else {
        controller_name.to_string()
    }
}

/// The pod a controller creates from `template` (`GetPodFromTemplate`):
/// labels, annotations, finalizers and spec copied, `generateName` from the
/// owner's name, in the owner's namespace, with `controller_ref` if given.
pub fn pod_from_template(
    template: &PodTemplateSpec,
    owner: &ObjectMeta,
    controller_ref: Option<OwnerReference>,
) -> Pod {
    let t = &template.metadata;
    let mut pod = Pod::default();
    let m = &mut pod.metadata;
    m.namespace.clone_from(&owner.namespace);
    m.generate_name = pods_prefix(&owner.name);
    m.labels.clone_from(&t.labels);
    m.annotations.clone_from(&t.annotations);
    m.finalizers.clone_from(&t.finalizers);
    m.owner_references.extend(controller_ref);
    pod.spec.clone_from(&template.spec);
    pod
}

/// Refuses a pod without labels before any API call (`createPods`).
pub fn check_labels(pod: &Pod) -> Result<(), &'static str> {
    if pod.metadata.labels.is_empty() {
        Err(NO_LABELS)
    } else {
        Ok(())
    }
}

/// `namespace/name` of a pod (`controller.PodKey`).
pub fn pod_key(pod: &Pod) -> String {
    format!("{}/{}", pod.metadata.namespace, pod.metadata.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Container;
    use crate::api::StringMap;

    fn batches(count: usize) -> Vec<usize> {
        batch_sizes(count, SLOW_START_INITIAL_BATCH_SIZE).collect()
    }

    #[test]
    fn batches_double_and_the_last_takes_the_rest() {
        assert_eq!(batches(0), Vec::<usize>::new());
        assert_eq!(batches(1), [1]);
        assert_eq!(batches(10), [1, 2, 4, 3]);
        assert_eq!(batches(500), [1, 2, 4, 8, 16, 32, 64, 128, 245]);
        assert_eq!(batch_sizes(10, 4).collect::<Vec<_>>(), [4, 6]);
        assert_eq!(batch_sizes(3, 0).count(), 0);
    }

    /// (count, calls that succeed before every later one fails) → (calls made, successes, error?).
    #[test]
    fn slow_start_stops_after_the_batch_with_the_first_failure() {
        let cases = [
            (10, usize::MAX, 10, 10, false), // §4.d case 1
            (10, 0, 1, 0, true),             // §4.d case 2
            (10, 5, 7, 5, true),             // §4.d case 3: 1 + 2 + 4 calls
            (0, 0, 0, 0, false),
        ];
        for (count, ok_calls, want_calls, want_ok, want_err) in cases {
            let mut calls = 0;
            let (ok, err) = slow_start_batch(count, SLOW_START_INITIAL_BATCH_SIZE, || {
                calls += 1;
                if calls <= ok_calls {
                    Ok(())
                } else {
                    Err("fail")
                }
            });
            assert_eq!((calls, ok, err.is_some()), (want_calls, want_ok, want_err), "count {count}, ok {ok_calls}");
        }
    }

    #[test]
    fn pod_from_template_copies_metadata_and_spec_and_owns_the_pod() {
        let mut owner = ObjectMeta::named("ns", "web");
        owner.uid = "uid-1".into();
        let mut t = PodTemplateSpec::default();
        t.metadata.labels = StringMap::from([("app".into(), "web".into())]);
        t.metadata.annotations = StringMap::from([("a".into(), "b".into())]);
        t.metadata.finalizers = vec!["f".into()];
        t.metadata.name = "ignored".into();
        t.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
        let r = controller_ref(&owner, Kind::ReplicaSet);
        let pod = pod_from_template(&t, &owner, Some(r.clone()));
        let m = &pod.metadata;
        assert_eq!((m.namespace.as_str(), m.generate_name.as_str(), m.name.as_str()), ("ns", "web-", ""));
        assert_eq!(
            (m.labels.clone(), m.annotations.clone()),
            (t.metadata.labels.clone(), t.metadata.annotations.clone())
        );
        assert_eq!(m.finalizers, ["f"]);
        assert_eq!(pod.spec, t.spec);
        assert_eq!(m.owner_references, std::slice::from_ref(&r));
        assert_eq!(
            (r.api_version.as_str(), r.kind.as_str(), r.name.as_str(), r.uid.as_str()),
            ("apps/v1", "ReplicaSet", "web", "uid-1")
        );
        assert!(r.is_controller() && r.block_owner_deletion == Some(true));
        assert_eq!(check_labels(&pod), Ok(()));
        assert_eq!(check_labels(&Pod::default()), Err(NO_LABELS));
        assert_eq!(pod_key(&Pod { metadata: ObjectMeta::named("ns", "p"), ..Default::default() }), "ns/p");
    }

    #[test]
    fn the_prefix_falls_back_to_the_bare_name_when_invalid() {
        assert_eq!(pods_prefix("web"), "web-");
        let long = "a".repeat(253);
        assert_eq!(pods_prefix(&long), format!("{long}-"), "the mask drops two characters");
        let longer = "a".repeat(254);
        assert_eq!(pods_prefix(&longer), longer, "masked, it still exceeds 253 characters");
        assert_eq!(pods_prefix("Web"), "Web");
    }
}
