//! Table tests of the StatefulSet decisions (SEMANTICS §5.g) and reconciles against a real store with a `FakeClient`.

use std::sync::Arc;

use super::util::*;
use super::StatefulSetController;
use crate::api::apps::{PvcRetentionPolicy, RollingUpdateStatefulSet, StatefulSetOrdinals, StatefulSetUpdateStrategy};
use crate::api::pod::{Condition, ConditionStatus, Container, Pod, PodPhase};
use crate::api::{
    ControllerRevision, IntOrString, Kind, LabelSelector, ObjectMeta, PersistentVolumeClaim, StatefulSet, StringMap,
    Time,
};
use crate::clock::{Clock, VirtualClock};
use crate::controllers::pod_control::controller_ref;
use crate::controllers::{Controller, FakeClient};
use crate::informer::SharedInformerFactory;
use crate::store::{DeleteOptions, Store, StoreOptions, Verb};

fn labels() -> StringMap {
    [("app".to_string(), "web".to_string())].into()
}

fn set(replicas: i32) -> StatefulSet {
    let mut s = StatefulSet { metadata: ObjectMeta::named("ns", "web"), ..Default::default() };
    s.metadata.uid = "set-uid".into();
    s.spec.replicas = Some(replicas);
    s.spec.service_name = "nginx".into();
    s.spec.selector = Some(LabelSelector::from_labels(labels()));
    s.spec.template.metadata.labels = labels();
    s.spec.template.spec.containers.push(Container { name: "c".into(), image: "nginx:1".into(), ..Default::default() });
    crate::api::defaults::stateful_set(&mut s);
    s
}

fn with_claims(mut s: StatefulSet) -> StatefulSet {
    let mut t = PersistentVolumeClaim { metadata: ObjectMeta::named("", "www"), ..Default::default() };
    t.metadata.labels.insert("tier".into(), "db".into());
    t.spec.access_modes = vec!["ReadWriteOnce".into()];
    t.spec.resources.requests.insert("storage".into(), crate::api::Quantity::parse("1Gi").unwrap());
    s.spec.volume_claim_templates.push(t);
    s
}

// ---------------------------------------------------------------- identity

/// §5.g case 9.
#[test]
fn names_parse_into_parent_and_ordinal_and_claims_into_pods() {
    let cases = [
        ("web-0", ("web", 0)),
        ("my-set-20", ("my-set", 20)),
        ("1-bar", ("", -1)),
        ("web", ("", -1)),
        ("123", ("", -1)),
        ("web-99999999999", ("", -1)), // does not fit in 32 bits
    ];
    for (name, want) in cases {
        assert_eq!(parent_name_and_ordinal(name), want, "{name}");
    }
    let claims = [
        ("volume-my-set-2", Some("my-set-2")),
        ("long-volume-my-set-20", Some("my-set-20")),
        ("volume-2-my-set", None),
        ("my-set-2", None), // no claim-template prefix
    ];
    for (claim, want) in claims {
        assert_eq!(claim_pod_name("my-set", claim).as_deref(), want, "{claim}");
    }
    assert_eq!(claim_name("www", "web", 0), "www-web-0");
}

/// §5.g cases 1 and 7: identity labels, hostname, subdomain, claims, start ordinal.
#[test]
fn new_pods_carry_their_identity_revision_and_claims() {
    let mut s = with_claims(set(3));
    s.spec.ordinals = Some(StatefulSetOrdinals { start: 2 });
    assert!(!in_ordinal_range(1, &s) && in_ordinal_range(2, &s) && in_ordinal_range(4, &s) && !in_ordinal_range(5, &s));
    let pod = new_pod(&s, &s.spec.template, 3, "web-abc");
    let m = &pod.metadata;
    assert_eq!((m.name.as_str(), m.namespace.as_str(), m.generate_name.as_str()), ("web-3", "ns", ""));
    assert_eq!(m.labels[POD_NAME_LABEL], "web-3");
    assert_eq!(m.labels[POD_INDEX_LABEL], "3");
    assert_eq!(m.labels[REVISION_LABEL], "web-abc");
    assert_eq!(m.labels["app"], "web");
    assert_eq!((pod.spec.hostname.as_str(), pod.spec.subdomain.as_str()), ("web-3", "nginx"));
    assert_eq!(pod.spec.volumes.len(), 1);
    assert_eq!(pod.spec.volumes[0].persistent_volume_claim.as_ref().unwrap().claim_name, "www-web-3");
    let cref = m.controller_ref().unwrap();
    assert_eq!((cref.kind.as_str(), cref.uid.as_str()), ("StatefulSet", "set-uid"));
    assert!(identity_matches(&s, &pod) && storage_matches(&s, &pod));
    let claims = claims_for(&s, 3);
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].metadata.name, "www-web-3");
    assert_eq!(claims[0].metadata.labels, [("app".into(), "web".into()), ("tier".into(), "db".into())].into());
}

#[test]
fn broken_identity_and_storage_are_detected_and_fixed_in_place() {
    let s = with_claims(set(3));
    let good = new_pod(&s, &s.spec.template, 1, "r");
    let mut no_label = good.clone();
    no_label.metadata.labels.remove(POD_NAME_LABEL);
    let mut other_ns = good.clone();
    other_ns.metadata.namespace = "elsewhere".into();
    let mut no_volume = good.clone();
    no_volume.spec.volumes.clear();
    let mut wrong_claim = good.clone();
    wrong_claim.spec.volumes[0].persistent_volume_claim.as_mut().unwrap().claim_name = "www-web-2".into();
    let cases = [(&good, true, true), (&no_label, false, true), (&other_ns, false, true), (&no_volume, true, false)];
    for (i, (pod, identity, storage)) in cases.into_iter().enumerate() {
        assert_eq!((identity_matches(&s, pod), storage_matches(&s, pod)), (identity, storage), "case {i}");
    }
    assert!(!storage_matches(&s, &wrong_claim));
    let mut leading_zero = good.clone();
    leading_zero.metadata.name = "web-01".into();
    leading_zero.metadata.labels.insert(POD_NAME_LABEL.into(), "web-01".into());
    assert!(!identity_matches(&s, &leading_zero), "web-01 is not the name of ordinal 1");
    for mut pod in [no_label, other_ns, no_volume, wrong_claim] {
        update_identity(&s, &mut pod);
        update_storage(&s, &mut pod);
        assert!(identity_matches(&s, &pod) && storage_matches(&s, &pod));
        assert_eq!(pod.spec.volumes.len(), 1);
    }
}

/// §5.g case 10.
#[test]
fn max_unavailable_scales_down_and_is_at_least_one() {
    let pct = |s: &str| Some(IntOrString::String(s.into()));
    let cases = [
        (None, 10, 1),
        (Some(IntOrString::Int(3)), 10, 3),
        (Some(IntOrString::Int(3)), 0, 3),
        (Some(IntOrString::Int(0)), 0, 1),
        (pct("10%"), 25, 2),
        (pct("100%"), 5, 5),
        (pct("50%"), 5, 2),
        (pct("10%"), 5, 1),
        (pct("1%"), 0, 1),
        (pct("0%"), 0, 1),
    ];
    for (value, replicas, want) in cases {
        assert_eq!(max_unavailable(value.as_ref(), replicas).unwrap(), want, "{value:?} of {replicas}");
    }
    assert!(max_unavailable(Some(&IntOrString::String("oops".into())), 5).is_err());
}

/// §5.g case 21 and the §5.c table: (whenScaled, whenDeleted, in range) → (set ref, pod ref).
#[test]
fn claim_owner_references_follow_the_retention_policy() {
    let mut set_meta = ObjectMeta::named("ns", "web");
    set_meta.uid = "set-uid".into();
    let mut pod_meta = ObjectMeta::named("ns", "web-2");
    pod_meta.uid = "pod-uid".into();
    let cases = [
        (false, false, true, false, false),
        (false, false, false, false, false),
        (false, true, true, true, false),
        (false, true, false, true, false),
        (true, false, true, false, false),
        (true, false, false, false, true), // scaled down: owned by the pod, GC'd after it
        (true, true, true, true, false),
        (true, true, false, false, true),
    ];
    for (scaled, deleted, in_range, want_set, want_pod) in cases {
        let policy = Retention { delete_when_deleted: deleted, delete_when_scaled: scaled };
        let starts: [&[&ObjectMeta]; 3] = [&[], &[&set_meta], &[&set_meta, &pod_meta]];
        for refs in starts {
            let mut claim =
                PersistentVolumeClaim { metadata: ObjectMeta::named("ns", "www-web-2"), ..Default::default() };
            for o in refs {
                claim.metadata.owner_references.push(controller_ref(o, Kind::StatefulSet));
            }
            let had = claim.metadata.owner_references.clone();
            let matched = claim_owner_matches(&claim, policy, &set_meta, &pod_meta, in_range);
            let changed = update_claim_owner_refs(&mut claim, policy, &set_meta, &pod_meta, in_range);
            assert_eq!(changed, !matched, "changed iff it did not match");
            assert_eq!(changed, had != claim.metadata.owner_references);
            let has = |uid: &str| claim.metadata.owner_references.iter().any(|r| r.uid == uid);
            let case = format!("scaled {scaled} deleted {deleted} in_range {in_range} from {refs:?}");
            assert_eq!((has("set-uid"), has("pod-uid")), (want_set, want_pod), "{case}");
            assert!(claim_owner_matches(&claim, policy, &set_meta, &pod_meta, in_range), "{case}");
        }
    }
    let mut s = set(1);
    s.spec.persistent_volume_claim_retention_policy =
        Some(PvcRetentionPolicy { when_deleted: "Retain".into(), when_scaled: "Delete".into() });
    assert_eq!(Retention::of(&s), Retention { delete_when_deleted: false, delete_when_scaled: true });
    let mut claim = PersistentVolumeClaim::default();
    claim.metadata.owner_references.push(controller_ref(&pod_meta, Kind::Pod));
    assert!(has_stale_owner_ref(&claim, "web-2", "new-uid"));
    assert!(!has_stale_owner_ref(&claim, "web-2", "pod-uid"));
}

#[test]
fn revision_data_round_trips_the_template_and_partition_picks_the_revision() {
    let s = set(3);
    let data = revision_data(&s.spec.template);
    assert_eq!(data["spec"]["template"]["$patch"], "replace");
    let rev = ControllerRevision { data, ..Default::default() };
    assert_eq!(revision_template(&rev), Some(s.spec.template.clone()));
    let mut partitioned = set(5);
    partitioned.spec.update_strategy = Some(StatefulSetUpdateStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateStatefulSet { partition: Some(2), max_unavailable: None }),
    });
    // §5.g case 11: ordinals below the partition are (re)created at the current revision.
    let current: Vec<bool> = (0..5).map(|o| uses_current_revision(&partitioned, o)).collect();
    assert_eq!(current, [true, true, false, false, false]);
    assert!(!uses_current_revision(&s, 0));
    let mut on_delete = set(3);
    on_delete.spec.update_strategy = Some(StatefulSetUpdateStrategy { type_: "OnDelete".into(), rolling_update: None });
    assert!(!uses_current_revision(&on_delete, 0), "OnDelete always uses the update revision");
}

// ---------------------------------------------------------------- the plan

/// Slot shorthand: `.` missing, `R` healthy at the update revision, `o` healthy at the old
/// revision, `n` created but not Ready (update revision), `x` not Ready at the old revision,
/// `t` terminating, `F` failed, `p` pending, `i` inconsistent identity (healthy, updated).
fn slots(s: &str) -> Vec<PodFacts> {
    s.chars()
        .map(|c| {
            let healthy = PodFacts {
                created: true,
                running_ready: true,
                available: true,
                consistent: true,
                updated: true,
                new_at_update: true,
                ..PodFacts::default()
            };
            match c {
                '.' => PodFacts::missing(true),
                'R' => healthy,
                'o' => PodFacts { updated: false, current: true, ..healthy },
                'n' => PodFacts { running_ready: false, available: false, ..healthy },
                'x' => PodFacts { running_ready: false, available: false, updated: false, current: true, ..healthy },
                't' => PodFacts { terminating: true, ..healthy },
                'F' => PodFacts { failed: true, running_ready: false, available: false, ..healthy },
                'p' => PodFacts { pending: true, running_ready: false, available: false, ..healthy },
                'i' => PodFacts { consistent: false, ..healthy },
                other => panic!("unknown slot {other}"),
            }
        })
        .collect()
}

fn policy(monotonic: bool) -> Policy {
    Policy { monotonic, on_delete: false, partition: 0, max_unavailable: None, has_claims: false }
}

fn check(replicas: &str, condemned: &str, p: Policy, want: &[Step]) {
    let got = plan(&slots(replicas), &slots(condemned), &p).steps();
    assert_eq!(got, want, "replicas {replicas:?} condemned {condemned:?} {p:?}");
}

use Step::*;

/// §5.g cases 2, 3, 5: OrderedReady creates one pod at a time, lowest missing first, after its predecessors are Ready.
#[test]
fn ordered_ready_creates_the_lowest_missing_pod_only_when_predecessors_are_ready() {
    let ordered = policy(true);
    check("...", "", ordered, &[Create(0)]);
    check("n..", "", ordered, &[]); // pod 0 not Ready: wait
    check("p..", "", ordered, &[]);
    check("R..", "", ordered, &[Create(1)]);
    check("RR.", "", ordered, &[Create(2)]);
    check("RRRR", "", ordered, &[]); // scaled 3 → 4 and converged
    check(".R.R.", "", ordered, &[Create(0)]); // case 5: 0, then 2, then 4
    check("RR.R.", "", ordered, &[Create(2)]);
    check("RRtRR", "", ordered, &[]); // a terminating predecessor blocks
    check("RiR", "", ordered, &[Fix(1)]); // identity fixed in place, progress goes on
}

/// Parallel: every missing pod in one sync, no waiting for health; the update still goes one at a time.
#[test]
fn parallel_creates_and_deletes_without_waiting() {
    let parallel = policy(false);
    check("...", "", parallel, &[Create(0), Create(1), Create(2)]);
    check("n.n.", "", parallel, &[Create(1), Create(3)]);
    check("nn", "Rn", parallel, &[DeleteCondemned(0), DeleteCondemned(1)]);
    check("RRo", "", parallel, &[DeleteForUpdate(2)]);
    check("RnRoo", "", parallel, &[DeleteForUpdate(4)]);
    assert_eq!(parallel_batches(10).collect::<Vec<_>>(), [1, 2, 4, 3]);
    assert_eq!(parallel_batches(2000).max(), Some(MAX_BATCH_SIZE));
    assert_eq!(parallel_batches(0).count(), 0);
}

/// §5.g case 6: a Failed pod is deleted and re-created in the same sync.
#[test]
fn failed_pods_are_deleted_then_recreated() {
    check("RFR", "", policy(true), &[DeleteFailed(1), Create(1)]);
    check("FF", "", policy(false), &[DeleteFailed(0), Create(0), DeleteFailed(1), Create(1)]);
    let mut stale = slots("F");
    stale[0].stale_claims = true;
    let p = plan(&stale, &[], &policy(true));
    assert_eq!(p.steps(), [DeleteFailed(0)], "a stale claim defers the re-creation");
}

/// §5.g cases 4 and 18: scale-down from the highest ordinal, one at a time, only the first unhealthy pod may go.
#[test]
fn ordered_scale_down_deletes_the_highest_ordinal_and_respects_the_first_unhealthy_pod() {
    let ordered = policy(true);
    // condemned are given highest ordinal first: "ab" = pod 4 is a, pod 3 is b.
    check("RRR", "RR", ordered, &[DeleteCondemned(0)]);
    check("RRR", "xx", ordered, &[]); // case 18: 3 and 4 unhealthy → nothing (4 is not the first unhealthy)
    check("RRR", "xR", ordered, &[DeleteCondemned(0)]); // only 4 unhealthy → 4 goes
    check("RRR", "Rx", ordered, &[DeleteCondemned(0)]); // only 3 unhealthy → healthy 4 first
    check("RRR", "tR", ordered, &[]); // 4 terminating: wait
    check("RnR", "RR", ordered, &[]); // an unhealthy in-range pod blocks scale-down
    check("", "RRR", ordered, &[DeleteCondemned(0)]); // replicas 0: 2, then 1, then 0
}

/// §5.g cases 11, 12 and §12.19: highest ordinal first, waiting for health, never below the partition.
#[test]
fn rolling_update_replaces_one_pod_at_a_time_from_the_top() {
    let ordered = policy(true);
    check("ooo", "", ordered, &[DeleteForUpdate(2)]);
    check("ooR", "", ordered, &[DeleteForUpdate(1)]);
    check("oRR", "", ordered, &[DeleteForUpdate(0)]);
    check("RRR", "", ordered, &[]);
    check("oot", "", ordered, &[]); // the deleted pod is still terminating
    let partitioned = Policy { partition: 2, ..ordered };
    check("ooo", "", partitioned, &[DeleteForUpdate(2)]);
    check("ooR", "", partitioned, &[]); // 0 and 1 stay at the old revision
    check("ooRoo", "", partitioned, &[DeleteForUpdate(4)]); // scaled to 5: 2, 3, 4 new
    let staged = Policy { partition: 3, ..ordered };
    check("ooo", "", staged, &[]); // partition ≥ replicas: nothing rolls (staged)
    let on_delete = Policy { on_delete: true, ..ordered };
    check("ooo", "", on_delete, &[]); // case 19
    check("oo.", "", on_delete, &[Create(2)]);
}

/// The stuck rollout: an update pod that never becomes Ready blocks everything below and above it.
#[test]
fn a_never_ready_update_pod_halts_the_rollout() {
    let ordered = policy(true);
    check("oon", "", ordered, &[]); // pod 2 at the new revision never Ready
                                    // Template reverted: the update revision is the old one again, pod 2 carries the broken
                                    // revision and is not Ready — OrderedReady waits on it forever (until someone deletes it).
    check("RRx", "", ordered, &[]);
    check("RR.", "", ordered, &[Create(2)]); // once deleted it comes back at the reverted revision
}

/// §5.g cases 14 and 15: maxUnavailable 2, partition 3, 6 pods.
#[test]
fn max_unavailable_deletes_several_pods_but_counts_the_unavailable_ones() {
    let p = Policy { max_unavailable: Some(2), partition: 3, ..policy(true) };
    check("oooooo", "", p, &[DeleteForUpdate(5), DeleteForUpdate(4)]);
    check("ooooRR", "", p, &[DeleteForUpdate(3)]); // 5 and 4 back and Ready: 3 goes
    check("oooonR", "", p, &[]); // OrderedReady: waits for 4 to be Ready
    check("oooRRR", "", p, &[]); // 0–2 are below the partition: never updated
    check("RRRRRR", "", p, &[]);
    // case 15: already terminating (in ordinal terms) → deletions this step.
    let cases: [(&[usize], usize); 10] = [
        (&[], 2),
        (&[5], 1),
        (&[3], 1),
        (&[4], 1),
        (&[5, 4], 0),
        (&[5, 3], 0),
        (&[4, 3], 0),
        (&[5, 4, 3], 0),
        (&[2], 1),
        (&[1], 1),
    ];
    let parallel = Policy { monotonic: false, ..p };
    for (terminating, want) in cases {
        let mut replicas = slots("oooooo");
        for &t in terminating {
            replicas[t].terminating = true;
        }
        let steps = plan(&replicas, &[], &parallel).steps();
        assert_eq!(steps.len(), want, "terminating {terminating:?}: {steps:?}");
        assert!(steps.iter().all(|s| matches!(s, DeleteForUpdate(i) if *i >= 3)));
    }
}

/// Condemned claims get their owner references fixed before scale-down.
#[test]
fn condemned_claims_are_fixed_before_scale_down() {
    let p = Policy { has_claims: true, ..policy(true) };
    check("RR", "i", p, &[FixCondemnedClaims(0), DeleteCondemned(0)]);
    check("pR", "", p, &[CreateMissingClaims(0)]); // case 8: a Pending pod's claims are (re)created
}

// ---------------------------------------------------------------- status

/// §5.g cases 16 and 20, and the status-write rule.
#[test]
fn status_counts_and_completes_a_rolling_update() {
    let now = Time::from_secs(100_000);
    let mut pod = Pod::default();
    pod.status.phase = Some(PodPhase::Running);
    let mut ready = Condition::new("Ready", ConditionStatus::True, "", "", now.add_secs(-120 * 60));
    pod.status.conditions.push(ready.clone());
    assert!(pod.is_available(3600, now), "Ready 120 min with minReadySeconds 3600");
    ready.last_transition_time = Some(now.add_secs(-30 * 60));
    pod.status.conditions = vec![ready];
    assert!(!pod.is_available(3600, now), "Ready 30 min");

    let s = set(3);
    let facts = slots("RRR");
    let st = compute_status(&s, Counts::of(&facts), "web-old", "web-new", 0);
    assert_eq!((st.replicas, st.ready_replicas, st.updated_replicas), (3, 3, 3));
    assert_eq!((st.current_revision.as_str(), st.current_replicas), ("web-new", 3), "case 20: update completed");
    let facts = slots("oRn.");
    let c = Counts::of(&facts);
    assert_eq!((c.replicas, c.ready, c.available, c.current, c.updated), (3, 2, 2, 1, 2));
    let st = compute_status(&s, c, "web-old", "web-new", 0);
    assert_eq!(st.current_revision, "web-old", "not all updated and ready: no completion");
    let mut on_delete = set(3);
    on_delete.spec.update_strategy = Some(StatefulSetUpdateStrategy { type_: "OnDelete".into(), rolling_update: None });
    let st = compute_status(&on_delete, Counts::of(&slots("RRR")), "web-old", "web-new", 0);
    assert_eq!(st.current_revision, "web-old", "case 19: OnDelete never completes");
    let mut written = s.clone();
    written.status = compute_status(&s, Counts::of(&slots("RRR")), "a", "a", 0);
    assert!(!status_changed(&written, &written.status));
    let mut more = written.status.clone();
    more.ready_replicas = 2;
    assert!(status_changed(&written, &more));
    let mut collisions = written.status.clone();
    collisions.collision_count = Some(1);
    assert!(!status_changed(&written, &collisions), "collisionCount alone is not written");
}

// ---------------------------------------------------------------- reconciles

type Ssc = StatefulSetController<Arc<FakeClient>>;

struct World {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    fake: Arc<FakeClient>,
    informers: SharedInformerFactory,
    controller: Arc<Controller<Ssc>>,
}

impl World {
    fn new(s: StatefulSet) -> World {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("statefulset-controller")));
        let informers = SharedInformerFactory::new(store.client("informers"));
        let ssc = StatefulSetController::new(fake.clone(), clock.clone());
        let controller = Controller::new(Arc::new(ssc), &informers, clock.clone(), 1);
        let mut s = s;
        s.metadata.uid.clear();
        store.create(s).unwrap();
        let w = World { clock, store, fake, informers, controller };
        w.pump();
        w
    }

    fn pump(&self) {
        while self.informers.pump_all() > 0 {}
    }

    fn sync(&self) -> crate::controllers::Result<crate::controllers::Action> {
        let r = self.controller.sync("ns/web");
        self.pump();
        r
    }

    fn set(&self) -> Arc<StatefulSet> {
        self.store.get("ns", "web").unwrap()
    }

    fn pods(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.store.list::<Pod>(&Default::default()).items.into_iter().map(|p| p.metadata.name.clone()).collect();
        names.sort();
        names
    }

    fn make_ready(&self, name: &str) {
        let mut p = (*self.store.get::<Pod>("ns", name).unwrap()).clone();
        p.spec.node_name = "node-1".into();
        p.status.phase = Some(PodPhase::Running);
        p.status.conditions = vec![Condition::new("Ready", ConditionStatus::True, "", "", self.clock.now())];
        self.store.update_status(p).unwrap();
        self.pump();
    }

    fn revisions(&self) -> Vec<(String, i64)> {
        let mut revs: Vec<(String, i64)> = self
            .store
            .list::<ControllerRevision>(&Default::default())
            .items
            .into_iter()
            .map(|r| (r.metadata.name.clone(), r.revision))
            .collect();
        revs.sort_by_key(|r| r.1);
        revs
    }

    fn set_image(&self, image: &str) {
        let mut s = (*self.set()).clone();
        s.spec.template.spec.containers[0].image = image.into();
        self.store.update(s).unwrap();
        self.pump();
    }
}

/// §5.g cases 1 and 2 end to end over one controller: pods appear one by one, status follows.
#[test]
fn ordered_creation_and_status() {
    let w = World::new(set(3));
    w.sync().unwrap();
    assert_eq!(w.pods(), ["web-0"]);
    w.sync().unwrap();
    assert_eq!(w.pods(), ["web-0"], "pod 0 is not Ready yet");
    w.make_ready("web-0");
    w.sync().unwrap();
    assert_eq!(w.pods(), ["web-0", "web-1"]);
    w.make_ready("web-1");
    w.sync().unwrap();
    w.make_ready("web-2");
    w.sync().unwrap();
    let st = w.set().status.clone();
    assert_eq!((st.replicas, st.ready_replicas, st.updated_replicas, st.current_replicas), (3, 3, 3, 3));
    assert_eq!(st.current_revision, st.update_revision);
    assert_eq!(st.observed_generation, w.set().metadata.generation);
    let pod = w.store.get::<Pod>("ns", "web-2").unwrap();
    assert_eq!(pod.metadata.labels[POD_INDEX_LABEL], "2");
    assert_eq!(pod.metadata.labels[REVISION_LABEL], st.update_revision);
    let writes = w.fake.take_calls().len();
    w.sync().unwrap();
    assert!(w.fake.take_calls().is_empty(), "a converged sync writes nothing (after {writes} writes)");
}

/// §5.g case 13 and §9.d case 4 through the controller.
#[test]
fn revisions_are_created_reused_and_renumbered_on_rollback() {
    let w = World::new(set(1));
    w.sync().unwrap();
    let revs = w.revisions();
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].1, 1);
    let rev_a = revs[0].0.clone();
    w.set_image("nginx:2");
    w.sync().unwrap();
    let revs = w.revisions();
    assert_eq!(revs.len(), 2);
    let st = w.set().status.clone();
    assert_eq!((st.current_revision.as_str(), revs[1].1), (rev_a.as_str(), 2));
    w.sync().unwrap();
    assert_eq!(w.revisions().len(), 2, "syncing again creates nothing");
    w.set_image("nginx:3");
    w.sync().unwrap();
    let rev_b = w.revisions()[1].0.clone();
    w.set_image("nginx:2"); // back to B
    w.sync().unwrap();
    let revs = w.revisions();
    assert_eq!(revs.len(), 3, "no new object on rollback");
    assert_eq!(revs[2], (rev_b.clone(), 4), "B renumbered to 4");
    assert_eq!(w.set().status.update_revision, rev_b);
}

/// §5.g case 17: a failed creation and a failed status write: the creation error wins, the write was tried.
#[test]
fn a_failed_create_is_reported_even_when_the_status_write_fails_too() {
    let w = World::new(set(3));
    w.fake.fail(Verb::Create, Kind::Pod, 1, FakeClient::<crate::store::Client>::injected(Kind::Pod));
    w.fake.fail(
        Verb::UpdateStatus,
        Kind::StatefulSet,
        1,
        FakeClient::<crate::store::Client>::injected(Kind::StatefulSet),
    );
    let err = w.sync().unwrap_err();
    let kind_of = |e: &crate::controllers::ReconcileError| match e {
        crate::controllers::ReconcileError::Api {
            source: crate::store::StoreError::TooManyRequests { kind }, ..
        } => Some(*kind),
        _ => None,
    };
    assert_eq!(kind_of(&err), Some(Kind::Pod), "{err:?}");
    assert_eq!(w.fake.count(Verb::UpdateStatus, Kind::StatefulSet), 1);
    w.fake.fail(
        Verb::UpdateStatus,
        Kind::StatefulSet,
        1,
        FakeClient::<crate::store::Client>::injected(Kind::StatefulSet),
    );
    let err = w.sync().unwrap_err();
    assert_eq!(kind_of(&err), Some(Kind::StatefulSet), "only the status failed: {err:?}");
}

/// §5.g cases 6 and 8 through the controller: Failed pods are replaced, Pending pods get their claims back.
#[test]
fn failed_pods_are_replaced_and_pending_pods_get_missing_claims() {
    let w = World::new(with_claims(set(1)));
    w.sync().unwrap();
    assert_eq!(w.store.count::<PersistentVolumeClaim>(), 1, "claim created with the pod");
    w.store.delete::<PersistentVolumeClaim>("ns", "www-web-0", &DeleteOptions::default()).unwrap();
    w.pump();
    w.sync().unwrap();
    assert!(w.store.get::<PersistentVolumeClaim>("ns", "www-web-0").is_ok(), "re-created for the Pending pod");
    let uid = w.store.get::<Pod>("ns", "web-0").unwrap().metadata.uid.clone();
    let mut p = (*w.store.get::<Pod>("ns", "web-0").unwrap()).clone();
    p.status.phase = Some(PodPhase::Failed);
    w.store.update_status(p).unwrap();
    w.pump();
    w.sync().unwrap();
    let again = w.store.get::<Pod>("ns", "web-0").unwrap();
    assert_ne!(again.metadata.uid, uid, "a new incarnation");
    assert_eq!(w.fake.count(Verb::Delete, Kind::Pod), 1);
}

/// Orphans named like the set's pods are adopted; others are left alone.
#[test]
fn orphans_with_the_right_name_are_adopted() {
    let w = World::new(set(2));
    let s = w.set();
    let mut orphan = new_pod(&s, &s.spec.template, 0, "whatever");
    orphan.metadata.owner_references.clear();
    w.store.create(orphan).unwrap();
    let mut stranger = new_pod(&s, &s.spec.template, 0, "whatever");
    stranger.metadata.owner_references.clear();
    stranger.metadata.name = "other-0".into();
    w.store.create(stranger).unwrap();
    w.pump();
    w.sync().unwrap();
    let adopted = w.store.get::<Pod>("ns", "web-0").unwrap();
    assert_eq!(adopted.metadata.controller_ref().map(|r| r.uid.clone()), Some(s.metadata.uid.clone()));
    assert!(w.store.get::<Pod>("ns", "other-0").unwrap().metadata.owner_references.is_empty());
}

/// The pod memo patched from events equals a memo rebuilt from the cache, at every step of a scale-up,
/// a rolling update and a scale-down.
#[test]
fn the_patched_pod_memo_matches_a_fresh_one_at_every_step() {
    let w = World::new(set(3));
    let ssc = w.controller.reconciler().clone();
    let id = w.controller.enqueuer().intern("ns/web");
    let snapshot = |m: &super::memo::PodMemo| {
        let names =
            |pods: &mut dyn Iterator<Item = &Arc<Pod>>| pods.map(|p| p.metadata.name.clone()).collect::<Vec<_>>();
        let slots: Vec<Option<String>> =
            m.replicas.iter().map(|p| p.as_ref().map(|p| p.metadata.name.clone())).collect();
        (slots, m.facts.clone(), names(&mut m.condemned.iter()), m.condemned_facts.clone())
    };
    let step = |what: &str| {
        w.controller.sync("ns/web").unwrap(); // no pump: compare against the cache the sync saw
        let set = w.set();
        let (patched, cur, upd) = {
            let memos = ssc.pod_memos.lock();
            let m = memos.get(&id).expect("memo");
            let (cur, upd) = m.revisions();
            (snapshot(m), cur.to_string(), upd.to_string())
        };
        let rev = |name: &str| w.store.get::<ControllerRevision>("ns", name).unwrap();
        let base = super::Sync {
            set: &set,
            key: "ns/web",
            replicas: &[],
            condemned: &[],
            current: rev(&cur),
            update: rev(&upd),
            retention: Retention::of(&set),
        };
        let selector = set.spec.selector.as_ref().unwrap().to_selector().unwrap();
        let pods = ssc.claim_pods(&set, &selector).unwrap();
        let fresh =
            super::memo::PodMemo::build(&set, &cur, &upd, &pods, |slot, o| ssc.facts(&base, slot, o, w.clock.now()));
        assert_eq!(patched, snapshot(&fresh), "{what}");
        w.pump();
    };
    let converge = |what: &str| {
        for _ in 0..40 {
            step(what);
            let names: Vec<String> = w.pods();
            for n in names {
                let p = w.store.get::<Pod>("ns", &n).unwrap();
                if p.metadata.deletion_timestamp.is_some() {
                    w.store
                        .delete::<Pod>("ns", &n, &DeleteOptions { grace_period_seconds: Some(0), ..Default::default() })
                        .ok();
                    w.pump();
                } else if !p.is_ready() {
                    w.make_ready(&n);
                }
            }
        }
    };
    converge("scale up");
    assert_eq!(w.set().status.ready_replicas, 3);
    w.set_image("nginx:2");
    converge("rolling update");
    assert_eq!(w.set().status.updated_replicas, 3);
    let mut s = (*w.set()).clone();
    s.spec.replicas = Some(1);
    w.store.update(s).unwrap();
    w.pump();
    converge("scale down");
    assert_eq!(w.pods(), ["web-0"]);
}
