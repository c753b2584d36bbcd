//! GC decisions (SEMANTICS §10.b) as tables, the graph's enqueue rules, and
//! syncs against a real store with informers pumped by hand (no threads, no sleeps).

use std::sync::Arc;

use super::util::*;
use super::*;
use crate::actors::Component;
use crate::api::pod::{Container, RestartPolicy};
use crate::api::{LabelSelector, OwnerReference, StringMap, Time};
use crate::clock::VirtualClock;
use crate::controllers::pod_control::controller_ref;
use crate::controllers::{Controller, FakeClient};
use crate::store::{Store, StoreOptions, Verb};

// ---------------------------------------------------------------- pure decisions

fn oref(kind: &str, name: &str, uid: &str, block: Option<bool>) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: kind.into(),
        name: name.into(),
        uid: uid.into(),
        controller: None,
        block_owner_deletion: block,
    }
}

fn meta(ns: &str, name: &str, uid: &str) -> ObjectMeta {
    ObjectMeta { uid: uid.into(), ..ObjectMeta::named(ns, name) }
}

fn deleting(mut m: ObjectMeta, finalizers: &[&str]) -> ObjectMeta {
    m.deletion_timestamp = Some(Time::from_secs(1));
    m.finalizers = finalizers.iter().map(|f| f.to_string()).collect();
    m
}

#[test]
fn owner_location_follows_scope_rules() {
    use OwnerLocation::*;
    let at = |kind, ns: &str| At { kind, namespace: ns.to_string() };
    let cases = [
        ("ns", "ReplicaSet", at(Kind::ReplicaSet, "ns")),
        ("ns", "Node", at(Kind::Node, "")),
        // §10.b.7: a cluster-scoped dependent cannot have a namespaced owner.
        ("", "Pod", InvalidNamespace),
        ("", "Node", at(Kind::Node, "")),
        ("ns", "ReplicationController", UnknownKind),
    ];
    for (ns, kind, want) in cases {
        assert_eq!(owner_location(ns, &oref(kind, "o", "u", None)), want, "{ns:?} owned by {kind}");
    }
}

#[test]
fn owners_are_classified_by_uid_and_foreground_state() {
    use OwnerStatus::*;
    let r = oref("ReplicaSet", "owner1", "123", None);
    let same = meta("ns", "owner1", "123");
    let successor = meta("ns", "owner1", "456");
    let cases = [
        ("not found (§10.b.1)", None, Dangling),
        ("same name, another uid", Some(successor), Dangling),
        ("alive", Some(same.clone()), Solid),
        ("deleted in background, held by a finalizer", Some(deleting(same.clone(), &["x"])), Solid),
        ("orphaning", Some(deleting(same.clone(), &[FINALIZER_ORPHAN])), Solid),
        ("foreground", Some(deleting(same, &[FINALIZER_FOREGROUND])), WaitingForDependentsDeletion),
    ];
    for (name, found, want) in cases {
        assert_eq!(classify_owner(&r, found.as_ref()), want, "{name}");
    }
}

#[test]
fn plan_item_orders_orphan_foreground_then_dependents() {
    use ItemPlan::*;
    let owned = |mut m: ObjectMeta| {
        m.owner_references.push(oref("ReplicaSet", "o", "u", None));
        m
    };
    let m = meta("ns", "x", "1");
    let cases = [
        ("no owners", m.clone(), Nothing),
        ("owned", owned(m.clone()), CheckOwners),
        ("being deleted, owned", deleting(owned(m.clone()), &[]), Nothing),
        (
            "orphan finalizer without deletion",
            ObjectMeta { finalizers: vec![FINALIZER_ORPHAN.into()], ..m.clone() },
            Nothing,
        ),
        ("orphaning", deleting(m.clone(), &[FINALIZER_ORPHAN]), OrphanDependents),
        ("foreground", deleting(owned(m.clone()), &[FINALIZER_FOREGROUND]), FinishForeground),
        ("both: orphan first", deleting(m, &[FINALIZER_FOREGROUND, FINALIZER_ORPHAN]), OrphanDependents),
    ];
    for (name, m, want) in cases {
        assert_eq!(plan_item(&m), want, "{name}");
    }
}

/// One `decide_dependent` case: owners with their statuses, the dependent's finalizers and dependents.
fn decide(owners: &[(&str, OwnerStatus)], finalizers: &[&str], deps: DependentsFacts) -> DependentAction {
    let mut m = meta("ns", "dep", "d");
    m.finalizers = finalizers.iter().map(|f| f.to_string()).collect();
    m.owner_references = owners.iter().map(|(uid, _)| oref("ReplicaSet", uid, uid, Some(true))).collect();
    let statuses: Vec<OwnerStatus> = owners.iter().map(|(_, s)| *s).collect();
    decide_dependent(&m, &statuses, deps)
}

#[test]
fn dependents_are_kept_trimmed_or_deleted_per_their_owners() {
    use DependentAction::*;
    use OwnerStatus::*;
    let none = DependentsFacts::default();
    let parent = DependentsFacts { has_dependents: true, a_dependent_is_deleting_dependents: false };
    let cyclic = DependentsFacts { has_dependents: true, a_dependent_is_deleting_dependents: true };
    let bg = Delete { propagation: Propagation::Background, unblock_first: false };
    let fg = Delete { propagation: Propagation::Foreground, unblock_first: false };
    let cases: Vec<(&str, DependentAction, DependentAction)> = vec![
        ("§10.b.1 the only owner is gone", decide(&[("a", Dangling)], &[], none), bg.clone()),
        (
            "§10.b.2 one owner alive, one gone",
            decide(&[("a", Solid), ("b", Dangling)], &[], none),
            RemoveReferences(vec!["b".into()]),
        ),
        ("two live owners", decide(&[("a", Solid), ("b", Solid)], &[], none), Keep),
        (
            "a live owner and a waiting one",
            decide(&[("a", Solid), ("b", WaitingForDependentsDeletion)], &[], parent),
            RemoveReferences(vec!["b".into()]),
        ),
        ("all owners gone", decide(&[("a", Dangling), ("b", Dangling)], &[], parent), bg.clone()),
        ("§10.b.4 owner in foreground, a leaf", decide(&[("a", WaitingForDependentsDeletion)], &[], none), bg),
        (
            "§10.b.4 owner in foreground, with dependents",
            decide(&[("a", WaitingForDependentsDeletion)], &[], parent),
            fg.clone(),
        ),
        (
            "owner in foreground, a dependent in foreground too",
            decide(&[("a", WaitingForDependentsDeletion)], &[], cyclic),
            Delete { propagation: Propagation::Foreground, unblock_first: true },
        ),
        (
            "waiting and dangling, with dependents",
            decide(&[("a", Dangling), ("b", WaitingForDependentsDeletion)], &[], parent),
            fg.clone(),
        ),
        (
            "gone owner, own orphan finalizer honoured",
            decide(&[("a", Dangling)], &[FINALIZER_ORPHAN], parent),
            Delete { propagation: Propagation::Orphan, unblock_first: false },
        ),
        (
            "gone owner, own foreground finalizer honoured",
            decide(&[("a", Dangling)], &[FINALIZER_FOREGROUND], none),
            fg,
        ),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn foreground_waits_only_for_blocking_dependents() {
    // §10.b.8: no dependent with blockOwnerDeletion=true → the finalizer goes at once.
    assert_eq!(foreground_step(&[]), ForegroundStep::RemoveFinalizer);
    let blocking = [("p1".to_string(), false), ("rs".to_string(), true), ("p2".to_string(), false)];
    assert_eq!(foreground_step(&blocking), ForegroundStep::Wait { attempt: vec!["p1".into(), "p2".into()] });
    let refs = [oref("ReplicaSet", "a", "a", Some(true)), oref("ReplicaSet", "b", "b", Some(false))];
    assert!(blocks(&refs, "a"));
    assert!(!blocks(&refs, "b"), "blockOwnerDeletion=false does not block");
    assert!(!blocks(&refs, "c"));
}

#[test]
fn reference_and_finalizer_edits_touch_only_what_they_name() {
    let refs = vec![oref("ReplicaSet", "a", "a", Some(true)), oref("Deployment", "b", "b", None)];
    assert_eq!(without_references(&refs, &["a".into()]), vec![refs[1].clone()]);
    let u = unblocked(&refs);
    assert_eq!(u[0].block_owner_deletion, Some(false));
    assert_eq!(u[1].block_owner_deletion, None);
    let fins = vec!["x".to_string(), FINALIZER_FOREGROUND.to_string()];
    assert_eq!(without_finalizer(&fins, FINALIZER_FOREGROUND), vec!["x".to_string()]);
    let with = |f: &[&str]| {
        propagation_for(&ObjectMeta { finalizers: f.iter().map(|s| s.to_string()).collect(), ..Default::default() })
    };
    assert_eq!(with(&[]), Propagation::Background);
    assert_eq!(with(&[FINALIZER_ORPHAN]), Propagation::Orphan);
    assert_eq!(with(&[FINALIZER_FOREGROUND]), Propagation::Foreground);
}

// ---------------------------------------------------------------- the graph

fn owned_by(mut m: ObjectMeta, owners: &[(&str, bool)]) -> ObjectMeta {
    m.owner_references = owners.iter().map(|(uid, b)| oref("ReplicaSet", uid, uid, Some(*b))).collect();
    m
}

#[test]
fn graph_enqueues_what_a_change_concerns() {
    let mut g = Graph::new(10);
    let rs = meta("ns", "rs", "rs");
    assert!(g.observe(Kind::ReplicaSet, &rs).is_empty(), "an owner without owners: nothing to look at");
    let p1 = owned_by(meta("ns", "p1", "p1"), &[("rs", true)]);
    assert!(g.observe(Kind::Pod, &p1).is_empty(), "owner observed and alive");
    let p2 = owned_by(meta("ns", "p2", "p2"), &[("rs", false), ("ghost", false)]);
    assert_eq!(g.observe(Kind::Pod, &p2), ["p2"], "an owner never observed may be absent");
    assert_eq!(g.observe(Kind::Pod, &p2), Vec::<String>::new(), "unchanged references: nothing");
    assert_eq!(g.dependents_of("rs"), ["p1", "p2"]);
    assert_eq!(g.facts("rs"), DependentsFacts { has_dependents: true, a_dependent_is_deleting_dependents: false });
    let rs_blocking: Vec<String> = g.blocking_dependents("rs").into_iter().map(|(u, _)| u).collect();
    assert_eq!(rs_blocking, ["p1"]);

    // Foreground deletion of the owner: the owner and every dependent.
    assert_eq!(g.observe(Kind::ReplicaSet, &deleting(rs.clone(), &[FINALIZER_FOREGROUND])), ["rs", "p1", "p2"]);
    // A dependent that stops blocking it: the owner may finish (and the dependent is still to be deleted).
    assert_eq!(g.observe(Kind::Pod, &owned_by(meta("ns", "p1", "p1"), &[("rs", false)])), ["rs", "p1"]);
    // A dependent that is deleted: the waiting owner.
    assert_eq!(g.forget(&p2), ["rs"]);
    assert_eq!(g.dependents_of("rs"), ["p1"]);

    // The owner goes: its dependents, and it is remembered as absent (a leaf is not).
    assert_eq!(g.forget(&rs), ["p1"]);
    assert!(g.is_absent("rs"));
    assert!(!g.is_absent("p2"));
    assert!(g.node("rs").is_none());
    // Orphaning is looked at once, when it starts.
    let job = meta("ns", "job", "job");
    g.observe(Kind::Job, &job);
    assert_eq!(g.observe(Kind::Job, &deleting(job.clone(), &[FINALIZER_ORPHAN])), ["job"]);
    assert!(g.observe(Kind::Job, &deleting(job, &[FINALIZER_ORPHAN])).is_empty());
}

#[test]
fn graph_looks_at_references_to_owners_observed_out_of_scope() {
    let mut g = Graph::new(10);
    g.observe(Kind::ReplicaSet, &meta("b", "rs", "rs"));
    g.observe(Kind::Pod, &meta("b", "owner-pod", "op"));
    let same_ns = owned_by(meta("b", "p0", "p0"), &[("rs", true)]);
    let mut same_ns_ref = same_ns.clone();
    same_ns_ref.owner_references[0].name = "rs".into();
    assert!(g.observe(Kind::Pod, &same_ns_ref).is_empty(), "in scope, same kind and name");
    let mut other_ns = owned_by(meta("a", "p1", "p1"), &[("rs", true)]);
    other_ns.owner_references[0].name = "rs".into();
    assert_eq!(g.observe(Kind::Pod, &other_ns), ["p1"], "§10.b.7: owner observed in another namespace");
    let mut renamed = owned_by(meta("b", "p2", "p2"), &[("rs", true)]);
    renamed.owner_references[0].name = "not-rs".into();
    assert_eq!(g.observe(Kind::Pod, &renamed), ["p2"], "the reference names another object");
    let mut node = meta("", "n1", "n1");
    node.owner_references.push(oref("Pod", "owner-pod", "op", None));
    assert_eq!(g.observe(Kind::Node, &node), ["n1"], "§10.b.7: a cluster-scoped child of a namespaced owner");
}

#[test]
fn absent_cache_forgets_the_oldest_past_its_capacity() {
    let mut g = Graph::new(2);
    for uid in ["a", "b", "c"] {
        g.mark_absent(uid);
    }
    assert!(!g.is_absent("a"));
    assert!(g.is_absent("b") && g.is_absent("c"));
}

// ---------------------------------------------------------------- syncs on a store

type Gc = GarbageCollector<Arc<FakeClient>>;

struct World {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    fake: Arc<FakeClient>,
    informers: SharedInformerFactory,
    gc: Arc<Controller<Gc>>,
}

const NS: &str = "ns";

fn labels() -> StringMap {
    [("app".to_string(), "web".to_string())].into()
}

fn pod_spec() -> crate::api::PodSpec {
    let mut s = crate::api::PodSpec::default();
    s.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
    s
}

fn rs(name: &str) -> ReplicaSet {
    let mut rs = ReplicaSet { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    rs.spec.replicas = Some(0);
    rs.spec.selector = Some(LabelSelector::from_labels(labels()));
    rs.spec.template.metadata.labels = labels();
    rs.spec.template.spec = pod_spec();
    rs
}

fn deployment(name: &str) -> Deployment {
    let mut d = Deployment { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    d.spec.selector = Some(LabelSelector::from_labels(labels()));
    d.spec.template.metadata.labels = labels();
    d.spec.template.spec = pod_spec();
    d
}

fn pod(name: &str, owners: &[&ObjectMeta], kind: Kind) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named(NS, name), spec: pod_spec(), ..Default::default() };
    p.metadata.owner_references = owners.iter().map(|o| controller_ref(o, kind)).collect();
    for r in p.metadata.owner_references.iter_mut().skip(1) {
        r.controller = None; // at most one controller
    }
    p
}

impl World {
    fn new() -> World {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("generic-garbage-collector")));
        let informers = SharedInformerFactory::new(store.client("informers"));
        let gc = Controller::new(Arc::new(GarbageCollector::new(fake.clone())), &informers, clock.clone(), 1);
        World { clock, store, fake, informers, gc }
    }

    /// Delivers events and runs the GC until nothing is ready (time does not move).
    fn settle(&self) {
        for _ in 0..10_000 {
            let pumped = self.informers.pump_all();
            let worked = self.gc.run_ready(usize::MAX);
            if pumped == 0 && worked == 0 && !self.informers.has_pending() {
                return;
            }
        }
        panic!("never settles");
    }

    fn exists<T: Resource>(&self, name: &str) -> bool {
        self.store.get::<T>(NS, name).is_ok()
    }

    fn get<T: Resource>(&self, name: &str) -> Arc<T> {
        self.store.get::<T>(NS, name).unwrap()
    }

    fn delete<T: Resource>(&self, name: &str, policy: Option<Propagation>) {
        let opts = DeleteOptions { propagation_policy: policy, ..Default::default() };
        self.store.delete::<T>(NS, name, &opts).unwrap();
    }
}

#[test]
fn a_pod_whose_owner_is_gone_is_fetched_its_owner_fetched_and_it_is_deleted() {
    // §10.b.1 (with a ReplicaSet: kwarp serves no ReplicationController).
    let w = World::new();
    let ghost = meta(NS, "owner1", "123");
    w.store.create(pod("to-be-deleted-pod", &[&ghost], Kind::ReplicaSet)).unwrap();
    w.settle();
    assert!(!w.exists::<Pod>("to-be-deleted-pod"));
    let calls: Vec<(Verb, Kind, String)> = w.fake.calls().into_iter().map(|c| (c.verb, c.kind, c.key)).collect();
    assert_eq!(
        calls,
        [
            (Verb::Get, Kind::Pod, "ns/to-be-deleted-pod".to_string()),
            (Verb::Get, Kind::ReplicaSet, "ns/owner1".to_string()),
            (Verb::Delete, Kind::Pod, "ns/to-be-deleted-pod".to_string()),
        ]
    );
}

#[test]
fn a_pod_with_one_live_owner_only_loses_the_dangling_reference() {
    // §10.b.2
    let w = World::new();
    let live = w.store.create(rs("live")).unwrap();
    let ghost = meta(NS, "gone", "dead-uid");
    w.store.create(pod("p", &[&live.metadata, &ghost], Kind::ReplicaSet)).unwrap();
    w.settle();
    let p = w.get::<Pod>("p");
    assert_eq!(p.metadata.owner_references.len(), 1);
    assert_eq!(p.metadata.owner_references[0].uid, live.metadata.uid);
    assert_eq!(w.fake.count(Verb::Patch, Kind::Pod), 1);
    assert_eq!(w.fake.count(Verb::Delete, Kind::Pod), 0);
}

#[test]
fn a_reference_that_names_the_wrong_object_does_not_make_the_owner_absent_for_others() {
    let w = World::new();
    let live = w.store.create(rs("live")).unwrap();
    w.settle();
    let misnamed = ObjectMeta { name: "not-live".into(), ..live.metadata.clone() };
    w.store.create(pod("wrong", &[&misnamed], Kind::ReplicaSet)).unwrap();
    w.settle();
    assert!(!w.exists::<Pod>("wrong"), "its owner is not where its reference says");
    let ghost = meta(NS, "gone", "dead-uid");
    w.store.create(pod("right", &[&live.metadata, &ghost], Kind::ReplicaSet)).unwrap();
    w.settle();
    let p = w.get::<Pod>("right");
    assert_eq!(p.metadata.owner_references.len(), 1, "the live owner is still solid for a correct reference");
    assert_eq!(p.metadata.owner_references[0].uid, live.metadata.uid);
}

#[test]
fn a_same_name_owner_with_another_uid_is_not_the_owner() {
    let w = World::new();
    w.store.create(rs("web")).unwrap();
    let predecessor = meta(NS, "web", "old-uid");
    w.store.create(pod("p", &[&predecessor], Kind::ReplicaSet)).unwrap();
    w.settle();
    assert!(!w.exists::<Pod>("p"));
    assert!(w.exists::<ReplicaSet>("web"));
}

/// Deployment → RS → 3 pods, each reference blocking, as the controllers set them.
fn chain(w: &World) {
    let d = w.store.create(deployment("d")).unwrap();
    let mut r = rs("d-1");
    r.metadata.owner_references.push(controller_ref(&d.metadata, Kind::Deployment));
    let r = w.store.create(r).unwrap();
    for i in 0..3 {
        w.store.create(pod(&format!("p{i}"), &[&r.metadata], Kind::ReplicaSet)).unwrap();
    }
    w.settle();
    w.fake.take_calls();
}

fn pods_left(w: &World) -> usize {
    w.store.count::<Pod>()
}

#[test]
fn background_deletion_collects_the_chain() {
    // §10.b.3
    let w = World::new();
    chain(&w);
    w.delete::<Deployment>("d", None);
    assert!(!w.exists::<Deployment>("d"), "gone at once");
    w.settle();
    assert!(!w.exists::<ReplicaSet>("d-1"));
    assert_eq!(pods_left(&w), 0);
    let deletes: Vec<Kind> = w.fake.calls().into_iter().filter(|c| c.verb == Verb::Delete).map(|c| c.kind).collect();
    assert_eq!(deletes, [Kind::ReplicaSet, Kind::Pod, Kind::Pod, Kind::Pod], "the RS first, then its pods");
}

#[test]
fn foreground_deletion_keeps_the_owner_until_the_chain_is_gone() {
    // §10.b.4
    let w = World::new();
    chain(&w);
    // Hold the pods: a finalizer someone else removes later.
    for i in 0..3 {
        w.store.patch::<Pod>(NS, &format!("p{i}"), |p| p.metadata.finalizers.push("test/hold".into())).unwrap();
    }
    w.delete::<Deployment>("d", Some(Propagation::Foreground));
    w.settle();
    let d = w.get::<Deployment>("d");
    assert!(d.metadata.deletion_timestamp.is_some());
    assert_eq!(d.metadata.finalizers, [FINALIZER_FOREGROUND]);
    let r = w.get::<ReplicaSet>("d-1");
    assert_eq!(
        r.metadata.finalizers,
        [FINALIZER_FOREGROUND],
        "the RS is deleted in foreground too (it has dependents)"
    );
    assert!((0..3).all(|i| w.get::<Pod>(&format!("p{i}")).metadata.deletion_timestamp.is_some()));
    for i in 0..2 {
        w.store.patch::<Pod>(NS, &format!("p{i}"), |p| p.metadata.finalizers.clear()).unwrap();
    }
    w.settle();
    assert!(w.exists::<ReplicaSet>("d-1") && w.exists::<Deployment>("d"), "one blocking pod left");
    w.store.patch::<Pod>(NS, "p2", |p| p.metadata.finalizers.clear()).unwrap();
    w.settle();
    assert_eq!(pods_left(&w), 0);
    assert!(!w.exists::<ReplicaSet>("d-1"));
    assert!(!w.exists::<Deployment>("d"));
}

#[test]
fn orphan_deletion_strips_the_reference_and_then_the_owner_goes() {
    // §10.b.5
    let w = World::new();
    chain(&w);
    w.delete::<Deployment>("d", Some(Propagation::Orphan));
    w.settle();
    assert!(!w.exists::<Deployment>("d"));
    let r = w.get::<ReplicaSet>("d-1");
    assert!(r.metadata.owner_references.is_empty());
    assert_eq!(pods_left(&w), 3, "the RS keeps its pods");
    assert!(w.get::<Pod>("p0").metadata.owner_references.iter().any(|o| o.uid == r.metadata.uid));
}

#[test]
fn a_job_deleted_without_a_policy_orphans_its_pods() {
    // §10.b.6
    let w = World::new();
    let mut job = Job { metadata: ObjectMeta::named(NS, "j"), ..Default::default() };
    job.spec.template.spec = pod_spec();
    job.spec.template.spec.restart_policy = Some(RestartPolicy::Never);
    let job = w.store.create(job).unwrap();
    w.store.create(pod("jp", &[&job.metadata], Kind::Job)).unwrap();
    w.settle();
    w.delete::<Job>("j", None);
    w.settle();
    assert!(!w.exists::<Job>("j"));
    assert!(w.get::<Pod>("jp").metadata.owner_references.is_empty());
}

#[test]
fn an_owner_in_another_namespace_or_a_namespaced_owner_of_a_node_counts_as_absent() {
    // §10.b.7
    let w = World::new();
    let mut other = rs("elsewhere");
    other.metadata.namespace = "other".into();
    let other = w.store.create(other).unwrap();
    let owner_pod = w.store.create(pod("owner", &[], Kind::Pod)).unwrap();
    w.settle(); // both owners are in the graph before their would-be dependents arrive
    w.store.create(pod("p", &[&other.metadata], Kind::ReplicaSet)).unwrap();
    let mut node = Node { metadata: ObjectMeta::named("", "n1"), ..Default::default() };
    node.metadata.owner_references.push(controller_ref(&owner_pod.metadata, Kind::Pod));
    w.store.create(node).unwrap();
    w.settle();
    assert!(!w.exists::<Pod>("p"));
    assert!(w.store.get::<Node>("", "n1").is_err());
    assert!(w.store.get::<ReplicaSet>("other", "elsewhere").is_ok());
    assert!(w.exists::<Pod>("owner"));
}

#[test]
fn a_non_blocking_dependent_does_not_hold_a_foreground_deletion() {
    // §10.b.8
    let w = World::new();
    let owner = w.store.create(rs("o")).unwrap();
    let mut p = pod("p", &[&owner.metadata], Kind::ReplicaSet);
    p.metadata.owner_references[0].block_owner_deletion = Some(false);
    p.metadata.finalizers.push("test/hold".into());
    w.store.create(p).unwrap();
    w.settle();
    w.delete::<ReplicaSet>("o", Some(Propagation::Foreground));
    w.settle();
    assert!(!w.exists::<ReplicaSet>("o"), "the owner went without waiting");
    let p = w.get::<Pod>("p");
    assert!(p.metadata.deletion_timestamp.is_some(), "the dependent is deleted too");
}

#[test]
fn a_failed_delete_is_retried_through_the_rate_limiter() {
    let w = World::new();
    let ghost = meta(NS, "gone", "dead");
    w.fake.fail(Verb::Delete, Kind::Pod, 1, FakeClient::<crate::store::Client>::injected(Kind::Pod));
    w.store.create(pod("p", &[&ghost], Kind::ReplicaSet)).unwrap();
    w.settle();
    assert!(w.exists::<Pod>("p"));
    assert_eq!(w.gc.metrics().errors, 1);
    w.clock.advance(std::time::Duration::from_millis(5));
    w.settle();
    assert!(!w.exists::<Pod>("p"));
    assert_eq!(w.fake.count(Verb::Get, Kind::ReplicaSet), 1, "the absent owner is remembered");
}

#[test]
fn a_dependent_with_another_live_owner_survives_a_foreground_deletion_and_lets_go() {
    let w = World::new();
    let doomed = w.store.create(rs("doomed")).unwrap();
    let keeper = w.store.create(rs("keeper")).unwrap();
    w.store.create(pod("shared", &[&doomed.metadata, &keeper.metadata], Kind::ReplicaSet)).unwrap();
    w.settle();
    w.delete::<ReplicaSet>("doomed", Some(Propagation::Foreground));
    w.settle();
    assert!(!w.exists::<ReplicaSet>("doomed"), "the owner went once the reference to it was gone");
    let p = w.get::<Pod>("shared");
    assert!(p.metadata.deletion_timestamp.is_none());
    let uids: Vec<&str> = p.metadata.owner_references.iter().map(|r| r.uid.as_str()).collect();
    assert_eq!(uids, [keeper.metadata.uid.as_str()]);
}
