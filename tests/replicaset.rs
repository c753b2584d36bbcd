//! The ReplicaSet controller against SEMANTICS §4.d (and §12 invariants 11–14), on a real store and
//! informers pumped by hand on a virtual clock. No threads, no sleeps.
//!
//! Sync cases go through one helper, [`check`]: a `Given` world, then steps of
//! (`When`, `Then`); every step's API calls are counted from the recording
//! client. The pure decisions (slow start, victims) are tables of their own.

use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::Component;
use kwarp::api::pod::{Condition, ConditionStatus, Container, Pod, PodPhase};
use kwarp::api::{Kind, LabelSelector, ObjectMeta, ReplicaSet, StringMap, Time};
use kwarp::clock::{Clock, VirtualClock};
use kwarp::controllers::pod_control::{controller_ref, slow_start_batch, SLOW_START_INITIAL_BATCH_SIZE};
use kwarp::controllers::ranking::RankGates;
use kwarp::controllers::replicaset::util::{pods_to_delete, FAILED_CREATE, FAILED_DELETE, REPLICA_FAILURE};
use kwarp::controllers::{Action, Controller, FakeClient, ReplicaSetController};
use kwarp::informer::SharedInformerFactory;
use kwarp::store::{DeleteOptions, Store, StoreOptions, Verb};

const NS: &str = "ns";
const RS: &str = "ns/web";

type Rsc = ReplicaSetController<Arc<FakeClient>>;

// ---------------------------------------------------------------- the world

/// A pod's state when the scenario starts.
#[derive(Clone, Copy, Debug)]
enum State {
    Unscheduled,
    Pending,
    NotReady,
    /// Running and Ready since this many seconds before the start.
    Ready(i64),
    Succeeded,
    Failed,
    /// Running, bound, and deleted with a grace period (deletionTimestamp set).
    Terminating,
}

/// Who controls a pod.
#[derive(Clone, Copy, Debug)]
enum Owner {
    Rs,
    Orphan,
}

#[derive(Clone, Debug)]
struct Given {
    replicas: i32,
    min_ready: i32,
    burst: usize,
    pods: Vec<(State, Owner)>,
    /// A matching pod of the RS is created and delivered right after the expectations check.
    pod_arrives_after_check: bool,
}

impl Default for Given {
    fn default() -> Self {
        Given { replicas: 2, min_ready: 0, burst: 500, pods: Vec::new(), pod_arrives_after_check: false }
    }
}

struct World {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    fake: Arc<FakeClient>,
    informers: SharedInformerFactory,
    controller: Arc<Controller<Rsc>>,
}

fn template_labels() -> StringMap {
    [("app".to_string(), "web".to_string())].into()
}

fn container() -> Container {
    Container { name: "c".into(), image: "nginx".into(), ..Default::default() }
}

fn replica_set(replicas: i32, min_ready: i32) -> ReplicaSet {
    let mut rs = ReplicaSet { metadata: ObjectMeta::named(NS, "web"), ..Default::default() };
    rs.spec.replicas = Some(replicas);
    rs.spec.min_ready_seconds = Some(min_ready);
    rs.spec.selector = Some(LabelSelector::from_labels(template_labels()));
    rs.spec.template.metadata.labels = template_labels();
    rs.spec.template.spec.containers.push(container());
    rs
}

/// A pod in `state`, owned by `owner` (`None`: orphan), as a stored object would be before create.
fn pod(name: &str, state: State, owner: Option<&ObjectMeta>, now: Time) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    p.metadata.labels = template_labels();
    p.metadata.owner_references.extend(owner.map(|o| controller_ref(o, Kind::ReplicaSet)));
    p.spec.containers.push(container());
    p.spec.node_name = "node-1".into();
    p.status.phase = Some(PodPhase::Running);
    match state {
        State::Unscheduled => {
            p.spec.node_name.clear();
            p.status.phase = Some(PodPhase::Pending);
        }
        State::Pending => p.status.phase = Some(PodPhase::Pending),
        State::NotReady | State::Terminating => {}
        State::Ready(secs) => {
            p.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", now.add_secs(-secs)))
        }
        State::Succeeded => p.status.phase = Some(PodPhase::Succeeded),
        State::Failed => p.status.phase = Some(PodPhase::Failed),
    }
    p
}

impl World {
    fn new(given: &Given) -> World {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("replicaset-controller")));
        let informers = SharedInformerFactory::new(store.client("informers"));
        let mut rsc = ReplicaSetController::new(fake.clone(), clock.clone()).with_burst_replicas(given.burst);
        let rs = store.create(replica_set(given.replicas, given.min_ready)).expect("valid RS");
        if given.pod_arrives_after_check {
            let (store, clock, pods) = (store.clone(), clock.clone(), informers.informer::<Pod>());
            let owner = rs.metadata.clone();
            rsc = rsc.on_expectations_checked(move || {
                if store.get::<Pod>(NS, "late").is_err() {
                    store.create(pod("late", State::Ready(60), Some(&owner), clock.now())).unwrap();
                    pods.pump();
                }
            });
        }
        let controller = Controller::new(Arc::new(rsc), &informers, clock.clone(), 1);
        for (i, (state, owner)) in given.pods.iter().enumerate() {
            let owner = matches!(owner, Owner::Rs).then_some(&rs.metadata);
            let stored = store.create(pod(&format!("pod-{i}"), *state, owner, clock.now())).unwrap();
            if matches!(state, State::Terminating) {
                let m = &stored.metadata;
                store.delete::<Pod>(&m.namespace, &m.name, &DeleteOptions::default()).unwrap();
            }
        }
        let world = World { clock, store, fake, informers, controller };
        world.pump();
        world.fake.take_calls();
        world
    }

    /// Delivers every pending watch event (handlers run, keys are queued).
    fn pump(&self) {
        while self.informers.pump_all() > 0 {}
    }

    fn rs(&self) -> Arc<ReplicaSet> {
        self.store.get(NS, "web").unwrap()
    }

    fn rsc(&self) -> &Rsc {
        self.controller.reconciler()
    }

    fn expected_adds(&self) -> Option<i64> {
        let id = self.controller.enqueuer().intern(RS);
        self.rsc().expectations().get(&id).map(|e| e.add)
    }

    /// Runs the controller event-driven until nothing is left to do: pump,
    /// reconcile what is queued, fire due timers (rate-limited retries).
    fn converge(&self) {
        for _ in 0..10_000 {
            self.pump();
            if self.controller.run_ready(64) > 0 {
                continue;
            }
            if self.informers.has_pending() {
                continue;
            }
            if !self.clock.advance_to_next() {
                return;
            }
        }
        panic!("did not converge");
    }
}

// ---------------------------------------------------------------- check

#[derive(Clone, Copy, Debug)]
enum When {
    /// One reconcile of the RS (no queue).
    Sync,
    /// Deliver every pending watch event.
    Pump,
    /// The next n creates (deletes, status writes) fail.
    FailCreates(usize),
    FailDeletes(usize),
    /// A creation failure is reported to the expectations by hand (dormancy test).
    ObserveCreation,
    Advance(Duration),
}

/// What must hold after a step; `None` = not checked.
#[derive(Clone, Copy, Debug, Default)]
struct Then {
    creates: Option<usize>,
    deletes: Option<usize>,
    /// The sync returned an error.
    error: Option<bool>,
    action: Option<Action>,
    expected_adds: Option<Option<i64>>,
    /// (replicas, fullyLabeled, ready, available) of the stored RS.
    status: Option<(i32, i32, i32, i32)>,
    /// The ReplicaFailure condition's reason, or none.
    failure: Option<Option<&'static str>>,
}

fn then() -> Then {
    Then::default()
}

impl Then {
    fn creates(mut self, n: usize) -> Self {
        self.creates = Some(n);
        self
    }
    fn deletes(mut self, n: usize) -> Self {
        self.deletes = Some(n);
        self
    }
    fn ok(mut self) -> Self {
        self.error = Some(false);
        self
    }
    fn fails(mut self) -> Self {
        self.error = Some(true);
        self
    }
    fn action(mut self, a: Action) -> Self {
        self.action = Some(a);
        self
    }
    fn adds(mut self, n: Option<i64>) -> Self {
        self.expected_adds = Some(n);
        self
    }
    fn status(mut self, s: (i32, i32, i32, i32)) -> Self {
        self.status = Some(s);
        self
    }
    fn failure(mut self, reason: Option<&'static str>) -> Self {
        self.failure = Some(reason);
        self
    }
}

/// Runs `steps` on the world of `given`; panics at the first step whose `Then` does not hold.
fn check(given: Given, steps: &[(When, Then)]) -> World {
    let w = World::new(&given);
    for (i, (when, then)) in steps.iter().enumerate() {
        let mut result = None;
        match *when {
            When::Sync => result = Some(w.controller.sync(RS)),
            When::Pump => w.pump(),
            When::FailCreates(n) => {
                w.fake.fail(Verb::Create, Kind::Pod, n, FakeClient::<kwarp::store::Client>::injected(Kind::Pod))
            }
            When::FailDeletes(n) => {
                w.fake.fail(Verb::Delete, Kind::Pod, n, FakeClient::<kwarp::store::Client>::injected(Kind::Pod))
            }
            When::ObserveCreation => {
                let id = w.controller.enqueuer().intern(RS);
                w.rsc().expectations().creation_observed(&id);
            }
            When::Advance(d) => w.clock.advance(d),
        }
        let calls = w.fake.take_calls();
        let count = |verb| calls.iter().filter(|c| c.verb == verb && c.kind == Kind::Pod).count();
        let at = format!("step {i} ({when:?})");
        if let Some(n) = then.creates {
            assert_eq!(count(Verb::Create), n, "{at}: creates");
        }
        if let Some(n) = then.deletes {
            assert_eq!(count(Verb::Delete), n, "{at}: deletes");
        }
        if let Some(want) = then.error {
            let r = result.as_ref().expect("only a Sync has a result");
            assert_eq!(r.is_err(), want, "{at}: result {r:?}");
        }
        if let Some(want) = then.action {
            assert_eq!(result.as_ref().expect("a Sync").as_ref().ok(), Some(&want), "{at}: action");
        }
        if let Some(want) = then.expected_adds {
            assert_eq!(w.expected_adds(), want, "{at}: expected creations");
        }
        let rs = w.rs();
        if let Some(want) = then.status {
            let s = &rs.status;
            let got = (s.replicas, s.fully_labeled_replicas, s.ready_replicas, s.available_replicas);
            assert_eq!(got, want, "{at}: status");
        }
        if let Some(want) = then.failure {
            let got = rs.status.conditions.iter().find(|c| c.type_ == REPLICA_FAILURE).map(|c| c.reason.as_str());
            assert_eq!(got, want, "{at}: ReplicaFailure");
        }
    }
    w
}

// ---------------------------------------------------------------- §4.d 1–3: slow start

#[test]
fn slow_start_batches_1_2_4_and_stops_at_the_first_failing_batch() {
    // (count, calls that succeed, calls made, successes, error)
    let cases = [(10, usize::MAX, 10, 10, false), (10, 0, 1, 0, true), (10, 5, 7, 5, true)];
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
        assert_eq!((calls, ok, err.is_some()), (want_calls, want_ok, want_err), "count {count}, {ok_calls} succeed");
    }
}

// ---------------------------------------------------------------- §4.d 4–10: victims

fn victim(name: &str, node: &str, phase: PodPhase, ready: bool) -> Arc<Pod> {
    let mut p = Pod { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    p.spec.node_name = node.into();
    p.status.phase = Some(phase);
    if ready {
        p.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", Time(0)));
    }
    Arc::new(p)
}

/// (§4.d case, pods, related pods, diff, names deleted in order).
type VictimCase = (u32, Vec<Arc<Pod>>, Vec<Arc<Pod>>, usize, Vec<&'static str>);

#[test]
fn pods_to_delete_take_unscheduled_pending_not_ready_and_doubled_up_first() {
    use PodPhase::*;
    let ready1 = || victim("ready-1", "node-1", Running, true);
    let ready2 = || victim("ready-2", "node-2", Running, true);
    let not_ready = |n: &str| victim(n, "node-1", Running, false);
    let pending = || victim("scheduled-pending", "node-1", Pending, false);
    let unscheduled = || victim("unscheduled-pending", "", Pending, false);
    let related = vec![
        victim("r-1", "node-1", Running, true),
        victim("r-2", "node-2", Running, true),
        victim("r-3", "node-2", Running, true),
    ];
    let cases: Vec<VictimCase> = vec![
        (4, vec![ready1(), not_ready("not-ready")], vec![], 1, vec!["not-ready"]),
        (5, vec![pending(), unscheduled()], vec![], 1, vec!["unscheduled-pending"]),
        (6, vec![ready1(), not_ready("a"), not_ready("b")], vec![], 2, vec!["a", "b"]),
        (7, vec![ready1(), ready2()], related, 1, vec!["ready-2"]),
        (8, vec![pending(), not_ready("not-ready")], vec![], 1, vec!["scheduled-pending"]),
        (
            9,
            vec![ready1(), ready2(), not_ready("not-ready"), pending(), unscheduled()],
            vec![],
            3,
            vec!["unscheduled-pending", "scheduled-pending", "not-ready"],
        ),
        (
            10,
            vec![ready1(), not_ready("not-ready"), unscheduled()],
            vec![],
            3,
            vec!["ready-1", "not-ready", "unscheduled-pending"],
        ),
    ];
    for (case, pods, related, diff, want) in cases {
        let got = pods_to_delete(pods, &related, diff, Time(0), RankGates::default());
        let names: Vec<&str> = got.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names, want, "§4.d case {case}");
    }
}

// ---------------------------------------------------------------- §4.d 11–16: syncs

/// §4.d 11 [TestSyncReplicaSetDormancy].
#[test]
fn unobserved_creations_keep_the_replica_set_dormant() {
    let given = Given { replicas: 2, pods: vec![(State::Ready(60), Owner::Rs)], ..Given::default() };
    check(
        given,
        &[
            (When::Sync, then().ok().creates(1).adds(Some(1)).status((1, 1, 1, 1))),
            (When::Sync, then().ok().creates(0).adds(Some(1))), // not observed yet: dormant
            (When::ObserveCreation, then().adds(Some(0))),      // e.g. a failure was reported
            (When::FailCreates(1), then()),
            (When::Sync, then().fails().creates(1).adds(Some(0))), // the failed create is un-expected at once
            (When::Sync, then().ok().creates(1).adds(Some(1))),
            (When::Pump, then().adds(Some(-1))), // both creations observed (one twice counted down)
            (When::Sync, then().ok().creates(0).status((3, 3, 1, 1))),
        ],
    );
}

/// §4.d 12 [TestControllerBurstReplicas (5,30), (5,12), (3,2)].
#[test]
fn creations_and_deletions_come_in_bursts_gated_by_expectations() {
    for (burst, replicas) in [(5usize, 30i32), (5, 12), (3, 2)] {
        let w = World::new(&Given { replicas, burst, ..Given::default() });
        let mut bursts = Vec::new();
        let mut total = 0;
        while total < replicas as usize {
            w.controller.sync(RS).unwrap();
            let n = w.fake.take_calls().iter().filter(|c| c.verb == Verb::Create).count();
            assert_eq!(n, burst.min(replicas as usize - total), "burst {burst}");
            total += n;
            bursts.push(n);
            w.controller.sync(RS).unwrap();
            assert_eq!(
                w.fake.take_calls().iter().filter(|c| c.verb == Verb::Create).count(),
                0,
                "dormant until observed"
            );
            w.pump();
        }
        assert_eq!(w.store.count::<Pod>(), replicas as usize);
        w.store.patch::<ReplicaSet>(NS, "web", |rs| rs.spec.replicas = Some(0)).unwrap();
        w.pump();
        let mut left = replicas as usize;
        while left > 0 {
            w.controller.sync(RS).unwrap();
            let n = w.fake.take_calls().iter().filter(|c| c.verb == Verb::Delete).count();
            assert_eq!(n, burst.min(left), "burst {burst}");
            w.controller.sync(RS).unwrap();
            assert_eq!(w.fake.take_calls().iter().filter(|c| c.verb == Verb::Delete).count(), 0);
            w.pump();
            left -= n;
        }
        assert_eq!(w.store.count::<Pod>(), 0, "unbound pods go at once");
    }
}

/// §4.d 12, second half: partly observed creations still gate the next burst.
#[test]
fn a_partly_observed_burst_still_gates() {
    check(
        Given { replicas: 10, burst: 5, ..Given::default() },
        &[
            (When::Sync, then().creates(5).adds(Some(5))),
            (When::ObserveCreation, then().adds(Some(4))),
            (When::Sync, then().creates(0)),
            (When::Pump, then().adds(Some(-1))),
            (When::Sync, then().creates(5)),
        ],
    );
}

/// §4.d 13 [TestRSSyncExpectations].
#[test]
fn a_pod_seen_after_the_expectations_check_causes_no_extra_create() {
    let given = Given {
        replicas: 2,
        pods: vec![(State::Ready(60), Owner::Rs)],
        pod_arrives_after_check: true,
        ..Given::default()
    };
    check(given, &[(When::Sync, then().ok().creates(0).status((2, 2, 2, 2)))]);
}

/// §4.d 14 *(derived)*; §12 invariant 13.
#[test]
fn status_counts_only_active_pods() {
    use State::*;
    let pods = [Ready(60), NotReady, Pending, Succeeded, Failed, Terminating].map(|s| (s, Owner::Rs)).to_vec();
    let w = check(
        Given { replicas: 3, pods, ..Given::default() },
        &[(When::Sync, then().ok().creates(0).deletes(0).status((3, 3, 1, 1)))],
    );
    assert_eq!(w.rs().status.observed_generation, 1);
}

/// §4.d 15.
#[test]
fn a_failed_manage_sets_replica_failure_and_a_good_sync_clears_it() {
    check(
        Given { replicas: 2, ..Given::default() },
        &[
            (When::FailCreates(10), then()),
            (When::Sync, then().fails().creates(1).failure(Some(FAILED_CREATE)).adds(Some(0))),
            (When::Pump, then()),
            (When::Sync, then().fails().creates(1).failure(Some(FAILED_CREATE))),
            (When::Pump, then()),
            (When::Sync, then().fails().creates(1)),
        ],
    );
    let given = Given { replicas: 2, ..Given::default() };
    check(
        given,
        &[
            (When::FailCreates(1), then()),
            (When::Sync, then().fails().creates(1).failure(Some(FAILED_CREATE))),
            (When::Pump, then()),
            (When::Sync, then().ok().creates(2).failure(None).status((0, 0, 0, 0))),
            (When::Pump, then()),
            (When::Sync, then().ok().creates(0).status((2, 2, 0, 0))),
        ],
    );
    let three = vec![(State::Ready(60), Owner::Rs); 3];
    check(
        Given { replicas: 1, pods: three, ..Given::default() },
        &[
            (When::FailDeletes(1), then()),
            (When::Sync, then().fails().deletes(2).failure(Some(FAILED_DELETE))),
            (When::Pump, then()),
            (When::Sync, then().ok().deletes(1).failure(None).status((2, 2, 2, 2))),
        ],
    );
}

/// §4.d 16: available strictly after minReadySeconds; the sync asks to look again.
#[test]
fn min_ready_seconds_counts_a_pod_available_only_strictly_after() {
    check(
        Given { replicas: 1, min_ready: 10, pods: vec![(State::Ready(0), Owner::Rs)], ..Given::default() },
        &[
            (When::Advance(Duration::from_secs(10)), then()),
            (When::Sync, then().ok().action(Action::RequeueAfter(Duration::from_secs(10))).status((1, 1, 1, 0))),
            (When::Pump, then()),
            (When::Advance(Duration::from_nanos(1)), then()),
            (When::Sync, then().ok().action(Action::Done).status((1, 1, 1, 1))),
        ],
    );
}

// ---------------------------------------------------------------- adoption, scale-down, events

#[test]
fn orphans_are_adopted_and_count_toward_replicas() {
    let given = Given { replicas: 2, pods: vec![(State::Ready(60), Owner::Orphan); 3], ..Given::default() };
    let w = check(given, &[(When::Sync, then().ok().creates(0).deletes(1).status((3, 3, 3, 3)))]);
    let calls = w.fake.calls();
    assert!(calls.is_empty(), "counted by the step already");
    let owned =
        w.store.list::<Pod>(&Default::default()).items.iter().filter(|p| p.metadata.controller_ref().is_some()).count();
    assert_eq!(owned, 3, "all three adopted (one of them then deleted, gracefully)");
}

#[test]
fn scale_down_deletes_unscheduled_then_pending_then_not_ready_first() {
    use State::*;
    let pods = [Ready(60), Unscheduled, Ready(30), NotReady, Pending].map(|s| (s, Owner::Rs)).to_vec();
    let w = World::new(&Given { replicas: 5, pods, ..Given::default() });
    w.store.patch::<ReplicaSet>(NS, "web", |rs| rs.spec.replicas = Some(2)).unwrap();
    w.pump();
    w.controller.sync(RS).unwrap();
    let deleted: Vec<String> =
        w.fake.take_calls().into_iter().filter(|c| c.verb == Verb::Delete).map(|c| c.key).collect();
    assert_eq!(deleted, ["ns/pod-1", "ns/pod-4", "ns/pod-3"]);
}

#[test]
fn a_terminating_pod_is_replaced_without_waiting_for_its_grace_period() {
    let w = check(
        Given { replicas: 2, pods: vec![(State::Ready(60), Owner::Rs); 2], ..Given::default() },
        &[(When::Sync, then().creates(0).status((2, 2, 2, 2)))],
    );
    w.store.delete::<Pod>(NS, "pod-0", &DeleteOptions::default()).unwrap(); // bound: graceful
    w.converge();
    let pods = w.store.list::<Pod>(&Default::default()).items;
    assert_eq!(pods.len(), 3, "the terminating pod is still there, and its replacement");
    assert_eq!(w.rs().status.replicas, 2);
}

#[test]
fn an_orphan_whose_labels_start_matching_is_adopted_event_driven() {
    let w = World::new(&Given { replicas: 1, pods: vec![(State::Ready(60), Owner::Rs)], ..Given::default() });
    let mut stray = pod("stray", State::Ready(60), None, w.clock.now());
    stray.metadata.labels = [("app".to_string(), "other".to_string())].into();
    w.store.create(stray).unwrap();
    w.converge();
    w.fake.take_calls();
    w.store.patch::<Pod>(NS, "stray", |p| p.metadata.labels = template_labels()).unwrap();
    w.converge();
    let stray = w.store.get::<Pod>(NS, "stray").unwrap();
    let adopted = stray.metadata.controller_ref().is_some() || stray.metadata.deletion_timestamp.is_some();
    assert!(adopted, "adopted (and, being one too many, possibly chosen for deletion)");
    assert_eq!(w.fake.count(Verb::Patch, Kind::Pod), 1);
    assert_eq!(w.fake.count(Verb::Delete, Kind::Pod), 1, "2 active for 1 replica");
}

#[test]
fn a_released_pod_is_replaced() {
    let w = World::new(&Given { replicas: 1, pods: vec![(State::Ready(60), Owner::Rs)], ..Given::default() });
    w.converge();
    w.store
        .patch::<Pod>(NS, "pod-0", |p| p.metadata.labels = [("app".to_string(), "debug".to_string())].into())
        .unwrap();
    w.converge();
    let released = w.store.get::<Pod>(NS, "pod-0").unwrap();
    assert!(released.metadata.owner_references.is_empty(), "released");
    assert_eq!(w.store.count::<Pod>(), 2, "and replaced");
    assert_eq!(w.rs().status.replicas, 1);
}

#[test]
fn event_driven_scale_up_converges_with_metrics() {
    let w = World::new(&Given { replicas: 1200, ..Given::default() });
    w.converge();
    assert_eq!(w.store.count::<Pod>(), 1200);
    let rs = w.rs();
    assert_eq!((rs.status.replicas, rs.status.observed_generation), (1200, 1));
    let creates = w.fake.count(Verb::Create, Kind::Pod);
    assert_eq!(creates, 1200, "no double creation");
    let m = w.controller.metrics();
    assert_eq!((m.errors, m.panics), (0, 0));
    assert!(m.reconciles >= 3, "at least 500 + 500 + 200");
    assert!(!m.event_to_reconciled.is_empty());
    assert!(!w.controller.has_ready_work());
}

#[test]
fn a_deleted_replica_set_drops_its_expectations() {
    let w = check(Given { replicas: 3, ..Given::default() }, &[(When::Sync, then().creates(3).adds(Some(3)))]);
    w.store.delete::<ReplicaSet>(NS, "web", &DeleteOptions::default()).unwrap();
    w.pump();
    assert_eq!(w.expected_adds(), None);
    assert_eq!(w.controller.sync(RS), Ok(Action::Done));
}

#[test]
fn status_follows_pod_and_template_changes_between_syncs() {
    use State::*;
    let w = check(
        Given { replicas: 2, pods: vec![(NotReady, Owner::Rs), (NotReady, Owner::Rs)], ..Given::default() },
        &[(When::Sync, then().status((2, 2, 0, 0))), (When::Pump, then()), (When::Sync, then().status((2, 2, 0, 0)))],
    );
    let mut ready = w.store.get::<Pod>(NS, "pod-1").unwrap().as_ref().clone();
    ready.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", w.clock.now()));
    w.store.update_status(ready).unwrap();
    w.pump();
    w.controller.sync(RS).unwrap();
    w.pump();
    assert_eq!(w.rs().status.ready_replicas, 1, "a pod event invalidates what the last sync read");
    w.store
        .patch::<ReplicaSet>(NS, "web", |rs| {
            rs.spec.template.metadata.labels.insert("tier".into(), "fe".into());
        })
        .unwrap();
    w.pump();
    w.controller.sync(RS).unwrap();
    w.pump();
    let st = &w.rs().status;
    assert_eq!(
        (st.replicas, st.fully_labeled_replicas, st.observed_generation),
        (2, 0, 2),
        "a new template is re-read"
    );
}
