//! Unit tests of the ReplicaSet controller's pure decisions (the §4.d cases are in `tests/replicaset.rs`).

use std::sync::Arc;
use std::time::Duration;

use super::util::*;
use crate::api::pod::{Condition, ConditionStatus, Pod, PodPhase};
use crate::api::selector::{LabelSelector, LabelSelectorOperator, LabelSelectorRequirement};
use crate::api::{ObjectMeta, ReplicaSet, StringMap, Time};

fn labels(pairs: &[(&str, &str)]) -> StringMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn rs(replicas: i32, min_ready: i32) -> ReplicaSet {
    let mut r = ReplicaSet { metadata: ObjectMeta::named("ns", "web"), ..Default::default() };
    r.metadata.generation = 1;
    r.status.observed_generation = 1;
    r.spec.replicas = Some(replicas);
    r.spec.min_ready_seconds = Some(min_ready);
    r.spec.template.metadata.labels = labels(&[("app", "web"), ("tier", "fe")]);
    r
}

/// The facts of `pods` for `r` (selector: its template labels).
fn facts(r: &ReplicaSet, pods: &[Arc<Pod>]) -> Vec<PodFacts> {
    let template = &r.spec.template.metadata.labels;
    let selector = LabelSelector::from_labels(template.clone()).to_selector().unwrap();
    pods.iter().map(|p| PodFacts::of(p, template, &selector, true)).collect()
}

fn pod(lbls: &[(&str, &str)], ready_since: Option<Time>) -> Arc<Pod> {
    let mut p = Pod { metadata: ObjectMeta::named("ns", "p"), ..Default::default() };
    p.metadata.labels = labels(lbls);
    p.status.phase = Some(PodPhase::Running);
    if let Some(t) = ready_since {
        let mut c = Condition::new("Ready", ConditionStatus::True, "", "", t);
        c.last_transition_time = Some(t);
        p.status.conditions.push(c);
    }
    Arc::new(p)
}

#[test]
fn scale_caps_the_diff_at_the_burst_either_way() {
    let cases = [
        (0, 3, 500, Scale::Create(3)),
        (0, 30, 5, Scale::Create(5)),
        (3, 3, 500, Scale::Steady),
        (10, 2, 500, Scale::Delete(8)),
        (1000, 0, 500, Scale::Delete(500)),
    ];
    for (active, replicas, burst, want) in cases {
        assert_eq!(scale(active, replicas, burst), want, "{active} active, {replicas} wanted, burst {burst}");
    }
}

#[test]
fn status_counts_fully_labeled_ready_and_available_pods() {
    let t = Time::from_secs(1_000);
    let now = t.add_secs(10);
    let r = rs(4, 10);
    let pods = vec![
        pod(&[("app", "web"), ("tier", "fe")], Some(t)), // ready exactly 10 s: not available
        pod(&[("app", "web"), ("tier", "fe"), ("x", "y")], Some(t.add_secs(-1))), // available
        pod(&[("app", "web")], None),                    // not fully labeled, not ready
    ];
    let st = calculate_status(&r, PodCounts::of(facts(&r, &pods), r.spec.min_ready_seconds.unwrap(), now), None, now);
    assert_eq!((st.replicas, st.fully_labeled_replicas, st.ready_replicas, st.available_replicas), (3, 2, 2, 1));
    assert_eq!(st.observed_generation, 1, "left for the writer");
    assert!(st.conditions.is_empty());
}

#[test]
fn pod_facts_agree_with_the_pod_helpers() {
    let t = Time::from_secs(1_000);
    let r = rs(1, 10);
    let mut gone = (*pod(&[("app", "web"), ("tier", "fe")], Some(t))).clone();
    gone.metadata.deletion_timestamp = Some(t);
    let pods = [
        pod(&[("app", "web"), ("tier", "fe")], Some(t)),
        pod(&[("app", "web")], Some(t)),
        pod(&[("app", "web"), ("tier", "fe")], None),
        Arc::new(gone),
    ];
    for (p, f) in pods.iter().zip(facts(&r, &pods)) {
        assert_eq!(f.active, p.is_active());
        assert_eq!(f.ready, p.is_ready());
        for now in [t, t.add_secs(10), t.add_nanos(10_000_000_001)] {
            for min_ready in [0, 10] {
                assert_eq!(f.available(min_ready, now), p.is_available(min_ready, now), "{now:?} {min_ready}");
            }
        }
    }
    let f = facts(&r, &pods);
    assert_eq!(
        f.iter().map(|f| (f.selected, f.fully_labeled)).collect::<Vec<_>>(),
        [(true, true), (false, false), (true, true), (true, true)]
    );
}

#[test]
fn replica_failure_is_added_once_with_the_direction_and_removed_on_success() {
    let now = Time::from_secs(5);
    let mut r = rs(2, 0);
    let st = calculate_status(&r, PodCounts::default(), Some("quota"), now);
    let c = &st.conditions[0];
    assert_eq!(
        (c.type_.as_str(), c.status, c.reason.as_str(), c.message.as_str()),
        (REPLICA_FAILURE, ConditionStatus::True, FAILED_CREATE, "quota")
    );
    assert_eq!(c.last_transition_time, Some(now));
    r.status = st;
    let again = calculate_status(&r, PodCounts::default(), Some("other"), now.add_secs(1));
    assert_eq!(again.conditions, r.status.conditions, "an existing condition is kept as it is");
    let extra = vec![pod(&[], None), pod(&[], None), pod(&[], None)];
    let mut r2 = rs(2, 0);
    assert_eq!(
        calculate_status(&r2, PodCounts::of(facts(&r2, &extra), 0, now), Some("x"), now).conditions[0].reason,
        FAILED_DELETE
    );
    r2.status = r.status.clone();
    assert!(calculate_status(&r2, PodCounts::of(facts(&r2, &extra), 0, now), None, now).conditions.is_empty());
}

#[test]
fn status_is_unchanged_only_when_counts_conditions_and_generation_agree() {
    let r = rs(1, 0);
    let same = calculate_status(&r, PodCounts::default(), None, Time(0));
    assert!(status_unchanged(&r, &same));
    let mut other = same.clone();
    other.ready_replicas = 1;
    assert!(!status_unchanged(&r, &other));
    let mut bumped = r.clone();
    bumped.metadata.generation = 2;
    assert!(!status_unchanged(&bumped, &same), "a new generation is always reported");
}

#[test]
fn availability_requeue_only_while_ready_but_not_available() {
    let mut r = rs(2, 10);
    r.status.ready_replicas = 2;
    r.status.available_replicas = 1;
    assert_eq!(requeue_for_availability(&r), Some(Duration::from_secs(10)));
    r.status.available_replicas = 2;
    assert_eq!(requeue_for_availability(&r), None);
    r.status.ready_replicas = 1;
    r.status.available_replicas = 0;
    assert_eq!(requeue_for_availability(&r), None, "not all ready yet: pod events will come");
    let mut no_min = rs(2, 0);
    no_min.status.ready_replicas = 2;
    assert_eq!(requeue_for_availability(&no_min), None);
}

#[test]
fn a_template_implies_a_selector_when_it_satisfies_every_requirement_on_its_own_keys() {
    let template = labels(&[("app", "web"), ("tier", "fe")]);
    let sel = |ls: LabelSelector| ls.to_selector().unwrap();
    let eq = LabelSelector::from_labels(labels(&[("app", "web")]));
    assert!(template_implies_selector(&template, &sel(eq)));
    let other_key = LabelSelector::from_labels(labels(&[("env", "prod")]));
    assert!(!template_implies_selector(&template, &sel(other_key)));
    let mut not_exists = LabelSelector::default();
    not_exists.match_expressions.push(LabelSelectorRequirement::new(
        "canary",
        LabelSelectorOperator::DoesNotExist,
        &[],
    ));
    assert!(!template_implies_selector(&template, &sel(not_exists)), "a pod may add the key");
    let mut in_set = LabelSelector::default();
    in_set.match_expressions.push(LabelSelectorRequirement::new("tier", LabelSelectorOperator::In, &["fe", "be"]));
    assert!(template_implies_selector(&template, &sel(in_set)));
    assert!(fully_labeled(&template, &labels(&[("app", "web"), ("tier", "fe"), ("x", "1")])));
    assert!(!fully_labeled(&template, &labels(&[("app", "web")])));
}
