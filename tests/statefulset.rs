//! The StatefulSet controller end to end (SEMANTICS §5.g, §12 invariants 15–22): a whole `kwarp::system::Cluster`
//! (store, informers, scheduler, kubelet, controllers) on the virtual clock, one thread, no sleeps.
//!
//! Every test records the store's event log and checks the ordering invariants
//! on it ([`Audit`]), besides the end state.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kwarp::api::apps::{PvcRetentionPolicy, RollingUpdateStatefulSet, StatefulSetUpdateStrategy};
use kwarp::api::pod::{Condition, ConditionStatus, Container, Pod, PodPhase};
use kwarp::api::{
    ControllerRevision, Kind, LabelSelector, Node, ObjectMeta, PersistentVolumeClaim, Quantity, StatefulSet, StringMap,
    Time,
};
use kwarp::controllers::statefulset::util::{parent_name_and_ordinal, POD_INDEX_LABEL, REVISION_LABEL};
use kwarp::sim::KubeletConfig;
use kwarp::store::{AnyEvent, Client, DeleteOptions, EventType};
use kwarp::system::{Cluster, ClusterConfig};

const NS: &str = "default";
const TIMEOUT: Duration = Duration::from_secs(3600);

fn labels() -> StringMap {
    [("app".to_string(), "web".to_string())].into()
}

fn stateful_set(replicas: i32, policy: &str) -> StatefulSet {
    let mut s = StatefulSet { metadata: ObjectMeta::named(NS, "web"), ..Default::default() };
    s.spec.replicas = Some(replicas);
    s.spec.service_name = "nginx".into();
    s.spec.pod_management_policy = policy.into();
    s.spec.selector = Some(LabelSelector::from_labels(labels()));
    s.spec.template.metadata.labels = labels();
    s.spec.template.spec.containers.push(Container { name: "c".into(), image: "nginx:1".into(), ..Default::default() });
    s
}

fn with_claims(mut s: StatefulSet) -> StatefulSet {
    let mut t = PersistentVolumeClaim { metadata: ObjectMeta::named("", "www"), ..Default::default() };
    t.spec.access_modes = vec!["ReadWriteOnce".into()];
    t.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
    s.spec.volume_claim_templates.push(t);
    s
}

fn node(name: &str) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.capacity = [("cpu", "32"), ("memory", "64Gi"), ("pods", "110")]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
        .collect();
    n.status.allocatable = n.status.capacity.clone();
    n.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "KubeletReady", "", Time::default()));
    n
}

/// A pod's state as the event log last showed it.
#[derive(Clone, Debug)]
struct Seen {
    ready: bool,
    terminating: bool,
}

/// What happened to pods, in store order, with the invariants checked as it goes.
#[derive(Default)]
struct Audit {
    pods: BTreeMap<i32, Seen>,
    /// Ordinals in creation order.
    created: Vec<i32>,
    /// Ordinals in the order their deletion started (deletionTimestamp, or removal without one).
    deleted: Vec<i32>,
    /// Claim names in creation order.
    claims_created: Vec<String>,
    violations: Vec<String>,
    /// OrderedReady creation and scale-down invariants (§12.16, §12.17) apply.
    ordered: bool,
    /// The set's range when a deletion is a scale-down (ordinal ≥ replicas).
    replicas: i32,
}

impl Audit {
    fn ordered(replicas: i32) -> Self {
        Audit { ordered: true, replicas, ..Audit::default() }
    }

    fn record(&mut self, e: &AnyEvent) {
        match e.kind {
            Kind::Pod => self.pod(e),
            Kind::PersistentVolumeClaim if e.type_ == EventType::Added => {
                self.claims_created.push(e.object.meta().name.clone());
            }
            _ => {}
        }
    }

    fn pod(&mut self, e: &AnyEvent) {
        let pod = e.object.as_any().downcast_ref::<Pod>().expect("a pod");
        let (parent, ordinal) = parent_name_and_ordinal(&pod.metadata.name);
        if parent != "web" {
            return;
        }
        let ready = pod.phase() == PodPhase::Running && pod.is_ready();
        let terminating = pod.metadata.deletion_timestamp.is_some();
        match e.type_ {
            EventType::Added => {
                if let Some(prev) = self.pods.get(&ordinal) {
                    self.violations.push(format!("web-{ordinal} created while {prev:?} exists"));
                    // §12.15
                }
                for claim in pod.spec.volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref()) {
                    if !self.claims_created.contains(&claim.claim_name) {
                        self.violations.push(format!("web-{ordinal} created before its claim {}", claim.claim_name));
                    }
                }
                if self.ordered {
                    let not_ready: Vec<i32> =
                        (0..ordinal).filter(|o| !self.pods.get(o).is_some_and(|s| s.ready && !s.terminating)).collect();
                    if !not_ready.is_empty() {
                        self.violations.push(format!("web-{ordinal} created while {not_ready:?} not Ready"));
                        // §12.16
                    }
                }
                self.created.push(ordinal);
                self.pods.insert(ordinal, Seen { ready, terminating });
            }
            EventType::Modified => {
                let was_terminating = self.pods.get(&ordinal).is_some_and(|s| s.terminating);
                if terminating && !was_terminating {
                    self.deletion_started(ordinal);
                }
                self.pods.insert(ordinal, Seen { ready, terminating });
            }
            EventType::Deleted => {
                let was_terminating = self.pods.get(&ordinal).is_some_and(|s| s.terminating);
                if !was_terminating {
                    self.deletion_started(ordinal);
                }
                self.pods.remove(&ordinal);
            }
        }
    }

    fn deletion_started(&mut self, ordinal: i32) {
        if self.ordered && ordinal >= self.replicas {
            // §12.17: a condemned pod goes only after every higher one is gone.
            let higher: Vec<i32> = self.pods.keys().copied().filter(|&o| o > ordinal).collect();
            if !higher.is_empty() {
                self.violations.push(format!("web-{ordinal} deleted while {higher:?} still exist"));
            }
        }
        self.deleted.push(ordinal);
    }
}

struct Sim {
    cluster: Cluster,
    api: Client,
    events: crossbeam_channel::Receiver<AnyEvent>,
    audit: Audit,
}

impl Sim {
    fn new(audit: Audit) -> Sim {
        Sim::with_kubelet(audit, KubeletConfig::default())
    }

    fn with_kubelet(audit: Audit, kubelet: KubeletConfig) -> Sim {
        let mut cfg = ClusterConfig { kubelet, record_events: true, ..ClusterConfig::default() };
        cfg.runtime.threads = 1;
        let cluster = Cluster::start(cfg);
        let api = cluster.runtime().client("test");
        let events = cluster.events().expect("recording");
        let sim = Sim { cluster, api, events, audit };
        sim.write(|api| {
            for i in 0..3 {
                api.create(node(&format!("node-{i}"))).unwrap();
            }
        });
        sim
    }

    fn write<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        self.cluster.runtime().exclusive(|| f(&self.api))
    }

    fn drain(&mut self) {
        for e in self.events.try_iter() {
            self.audit.record(&e);
        }
    }

    /// Runs until `done` holds at a quiescent point (the event log is audited as it goes).
    fn run_until(&mut self, what: &str, mut done: impl FnMut(&Client) -> bool) {
        let api = self.api.clone();
        let events = self.events.clone();
        let audit = &mut self.audit;
        let r = self.cluster.runtime().run_until(
            || {
                for e in events.try_iter() {
                    audit.record(&e);
                }
                done(&api)
            },
            TIMEOUT,
        );
        assert!(r.is_ok(), "timed out waiting for {what}: {:?}", self.set().status);
        self.drain();
        assert!(self.audit.violations.is_empty(), "{what}: {:#?}", self.audit.violations);
    }

    fn run_for(&mut self, d: Duration) {
        self.cluster.runtime().run_for(d);
        self.drain();
        assert!(self.audit.violations.is_empty(), "{:#?}", self.audit.violations);
    }

    fn set(&self) -> Arc<StatefulSet> {
        self.api.get(NS, "web").unwrap()
    }

    fn update_set(&self, f: impl FnOnce(&mut StatefulSet)) {
        self.write(|api| {
            let mut s = (*api.get::<StatefulSet>(NS, "web").unwrap()).clone();
            f(&mut s);
            api.update(s).unwrap();
        });
    }

    fn pod(&self, ordinal: i32) -> Option<Arc<Pod>> {
        self.api.get(NS, &format!("web-{ordinal}")).ok()
    }

    fn image(&self, ordinal: i32) -> String {
        self.pod(ordinal).map(|p| p.spec.containers[0].image.clone()).unwrap_or_default()
    }

    fn images(&self, n: i32) -> Vec<String> {
        (0..n).map(|o| self.image(o)).collect()
    }

    fn delete_pod(&self, ordinal: i32) {
        self.write(|api| api.delete::<Pod>(NS, &format!("web-{ordinal}"), &DeleteOptions::default()).unwrap());
    }

    fn revisions(&self) -> Vec<(String, i64)> {
        let mut revs: Vec<(String, i64)> = self
            .api
            .list::<ControllerRevision>(&Default::default())
            .items
            .iter()
            .map(|r| (r.metadata.name.clone(), r.revision))
            .collect();
        revs.sort_by_key(|r| r.1);
        revs
    }
}

/// Ready, updated and current replicas all equal to `n`, at the latest generation, rollout complete.
fn converged(n: i32) -> impl FnMut(&Client) -> bool {
    move |api| {
        let s = api.get::<StatefulSet>(NS, "web").unwrap();
        let st = &s.status;
        st.observed_generation == s.metadata.generation
            && st.replicas == n
            && st.ready_replicas == n
            && st.updated_replicas == n
            && st.current_replicas == n
            && st.current_revision == st.update_revision
    }
}

fn set_image(s: &mut StatefulSet, image: &str) {
    s.spec.template.spec.containers[0].image = image.into();
}

fn rolling(partition: i32) -> Option<StatefulSetUpdateStrategy> {
    Some(StatefulSetUpdateStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateStatefulSet { partition: Some(partition), max_unavailable: None }),
    })
}

/// §5.g cases 1–4, §12.16–17: pods come up one at a time and go down highest ordinal first.
#[test]
fn ordered_ready_creates_in_order_and_scales_down_in_reverse() {
    let mut sim = Sim::new(Audit::ordered(3));
    sim.write(|api| api.create(stateful_set(3, "OrderedReady")).unwrap());
    sim.run_until("3 ready pods", converged(3));
    assert_eq!(sim.audit.created, [0, 1, 2]);
    for o in 0..3 {
        let p = sim.pod(o).unwrap();
        assert_eq!(p.metadata.labels[POD_INDEX_LABEL], o.to_string());
        assert_eq!((p.spec.hostname.clone(), p.spec.subdomain.as_str()), (format!("web-{o}"), "nginx"));
    }
    sim.update_set(|s| s.spec.replicas = Some(4));
    sim.run_until("scaled up to 4", converged(4)); // case 3
    sim.audit.replicas = 0;
    sim.update_set(|s| s.spec.replicas = Some(0));
    sim.run_until("scaled down to 0", |api| {
        let s = api.get::<StatefulSet>(NS, "web").unwrap();
        s.status.replicas == 0 && s.status.observed_generation == s.metadata.generation
    });
    assert_eq!(sim.audit.deleted, [3, 2, 1, 0], "case 4: highest ordinal first");
    assert!(sim.audit.pods.is_empty());
}

/// Parallel: every pod is created before any of them is Ready.
#[test]
fn parallel_creates_every_pod_at_once() {
    let mut sim = Sim::new(Audit::default());
    sim.write(|api| api.create(stateful_set(3, "Parallel")).unwrap());
    sim.run_until("3 ready pods", converged(3));
    let mut created = sim.audit.created.clone();
    created.sort();
    assert_eq!(created, [0, 1, 2]);
    let starts: Vec<Time> = (0..3).map(|o| sim.pod(o).unwrap().metadata.creation_timestamp.unwrap()).collect();
    assert!(starts.iter().all(|t| *t == starts[0]), "all created at the same instant: {starts:?}");
}

/// §5.g case 12, §12.19: the update goes 2, 1, 0, each after the higher one is back and Ready.
#[test]
fn rolling_update_replaces_pods_from_the_highest_ordinal() {
    let mut sim = Sim::new(Audit::ordered(3));
    sim.write(|api| api.create(stateful_set(3, "OrderedReady")).unwrap());
    sim.run_until("3 ready pods", converged(3));
    let before = sim.set().status.current_revision.clone();
    sim.update_set(|s| set_image(s, "nginx:2"));
    sim.run_until("rollout", converged(3));
    assert_eq!(sim.audit.deleted, [2, 1, 0]);
    assert_eq!(sim.audit.created, [0, 1, 2, 2, 1, 0]);
    assert_eq!(sim.images(3), ["nginx:2"; 3]);
    let st = sim.set().status.clone();
    assert_ne!(st.update_revision, before);
    assert_eq!(sim.pod(0).unwrap().metadata.labels[REVISION_LABEL], st.update_revision);
    assert_eq!(sim.revisions().len(), 2);
}

/// §5.g case 11 and §12.21: a partition stages the update; lowering it rolls on (canary, then everyone).
#[test]
fn partition_stages_and_canaries_the_update() {
    let mut sim = Sim::new(Audit::ordered(3));
    let mut s = stateful_set(3, "OrderedReady");
    s.spec.update_strategy = rolling(3);
    sim.write(|api| api.create(s).unwrap());
    sim.run_until("3 ready pods", converged(3));
    sim.update_set(|s| set_image(s, "nginx:2")); // staged: partition = replicas
    sim.run_for(Duration::from_secs(60));
    assert_eq!(sim.images(3), ["nginx:1"; 3], "staged: nothing rolls");
    assert!(sim.audit.deleted.is_empty());
    sim.update_set(|s| s.spec.update_strategy = rolling(2)); // canary: the highest ordinal only
    sim.run_until("canary", |api| {
        let s = api.get::<StatefulSet>(NS, "web").unwrap();
        s.status.updated_replicas == 1 && s.status.ready_replicas == 3
    });
    sim.run_for(Duration::from_secs(60));
    assert_eq!(sim.images(3), ["nginx:1", "nginx:1", "nginx:2"]);
    let st = sim.set().status.clone();
    assert_ne!(st.current_revision, st.update_revision, "not complete below the partition");
    sim.update_set(|s| s.spec.replicas = Some(5)); // new pods above the partition are new
    sim.run_until("scaled to 5", |api| api.get::<StatefulSet>(NS, "web").unwrap().status.ready_replicas == 5);
    assert_eq!(sim.images(5), ["nginx:1", "nginx:1", "nginx:2", "nginx:2", "nginx:2"]);
    sim.update_set(|s| s.spec.update_strategy = rolling(0));
    sim.run_until("full rollout", converged(5));
    assert_eq!(sim.images(5), ["nginx:2"; 5]);
}

/// §5.g case 19 and §12.21: OnDelete never deletes for an update; a deleted pod comes back new.
#[test]
fn on_delete_updates_only_pods_the_user_deletes() {
    let mut sim = Sim::new(Audit::ordered(3));
    let mut s = stateful_set(3, "OrderedReady");
    s.spec.update_strategy = Some(StatefulSetUpdateStrategy { type_: "OnDelete".into(), rolling_update: None });
    sim.write(|api| api.create(s).unwrap());
    sim.run_until("3 ready pods", converged(3));
    sim.update_set(|s| set_image(s, "nginx:2"));
    sim.run_for(Duration::from_secs(120));
    assert!(sim.audit.deleted.is_empty(), "the controller deleted {:?}", sim.audit.deleted);
    assert_eq!(sim.images(3), ["nginx:1"; 3]);
    sim.delete_pod(1);
    sim.run_until("web-1 back", |api| {
        api.get::<Pod>(NS, "web-1").is_ok_and(|p| p.is_ready() && p.metadata.deletion_timestamp.is_none())
    });
    sim.run_for(Duration::from_secs(10));
    assert_eq!(sim.images(3), ["nginx:1", "nginx:2", "nginx:1"]);
    let st = sim.set().status.clone();
    assert_eq!((st.updated_replicas, st.current_replicas), (1, 2));
    assert_ne!(st.current_revision, st.update_revision, "OnDelete: no completion logic");
}

/// §5.c, §12.15, §12.22: claims exist before their pods, survive pod deletion and scale-down, and are re-attached.
#[test]
fn claims_are_created_first_kept_and_reattached() {
    let mut sim = Sim::new(Audit::ordered(3));
    sim.write(|api| api.create(with_claims(stateful_set(3, "OrderedReady"))).unwrap());
    sim.run_until("3 ready pods", converged(3));
    assert_eq!(sim.audit.claims_created, ["www-web-0", "www-web-1", "www-web-2"]);
    let uid = |sim: &Sim, o: i32| {
        sim.api.get::<PersistentVolumeClaim>(NS, &format!("www-web-{o}")).unwrap().metadata.uid.clone()
    };
    let uids: Vec<String> = (0..3).map(|o| uid(&sim, o)).collect();
    let claims = sim.api.get::<PersistentVolumeClaim>(NS, "www-web-0").unwrap();
    assert_eq!(claims.metadata.labels, labels(), "template labels + selector matchLabels");
    assert!(claims.metadata.owner_references.is_empty(), "Retain/Retain: no owner references");
    let old_pod = sim.pod(1).unwrap().metadata.uid.clone();
    sim.delete_pod(1);
    sim.run_until("web-1 replaced", |api| {
        api.get::<Pod>(NS, "web-1").is_ok_and(|p| p.metadata.uid != old_pod && p.is_ready())
    });
    sim.audit.replicas = 1;
    sim.update_set(|s| s.spec.replicas = Some(1));
    sim.run_until("scaled to 1", converged(1));
    assert_eq!(sim.api.list::<PersistentVolumeClaim>(&Default::default()).items.len(), 3, "claims outlive scale-down");
    sim.audit.replicas = 3;
    sim.update_set(|s| s.spec.replicas = Some(3));
    sim.run_until("scaled back to 3", converged(3));
    let after: Vec<String> = (0..3).map(|o| uid(&sim, o)).collect();
    assert_eq!(after, uids, "the same claims");
    for o in 0..3 {
        let p = sim.pod(o).unwrap();
        let claim = p.spec.volumes.iter().find(|v| v.name == "www").and_then(|v| v.persistent_volume_claim.clone());
        assert_eq!(claim.unwrap().claim_name, format!("www-web-{o}"));
    }
}

/// §5.c / §5.g case 21: whenScaled=Delete gives the claims of condemned pods an owner reference to their pod.
#[test]
fn when_scaled_delete_hands_condemned_claims_to_their_pods() {
    let mut sim = Sim::new(Audit::ordered(3));
    let mut s = with_claims(stateful_set(3, "OrderedReady"));
    s.spec.persistent_volume_claim_retention_policy =
        Some(PvcRetentionPolicy { when_deleted: "Delete".into(), when_scaled: "Delete".into() });
    sim.write(|api| api.create(s).unwrap());
    sim.run_until("3 ready pods", converged(3));
    let set_uid = sim.set().metadata.uid.clone();
    let owners = |sim: &Sim, o: i32| -> Vec<String> {
        let c = sim.api.get::<PersistentVolumeClaim>(NS, &format!("www-web-{o}")).unwrap();
        c.metadata.owner_references.iter().map(|r| format!("{}/{}", r.kind, r.name)).collect()
    };
    sim.run_for(Duration::from_secs(5));
    assert_eq!(owners(&sim, 0), ["StatefulSet/web"], "Delete/Delete: in range → owned by the set");
    assert!(sim.api.get::<PersistentVolumeClaim>(NS, "www-web-0").unwrap().metadata.owner_references[0].uid == set_uid);
    let pod2 = sim.pod(2).unwrap();
    sim.audit.replicas = 2;
    sim.update_set(|s| s.spec.replicas = Some(2));
    // The condemned claim is handed to its pod (owner reference), so the garbage
    // collector deletes it once the pod is gone.
    let mut handed = false;
    let mut scaled = converged(2);
    sim.run_until("scaled to 2", |api: &Client| {
        if let Ok(c2) = api.get::<PersistentVolumeClaim>(NS, "www-web-2") {
            let refs: Vec<(String, String)> =
                c2.metadata.owner_references.iter().map(|r| (r.kind.clone(), r.uid.clone())).collect();
            handed |= refs == [("Pod".to_string(), pod2.metadata.uid.clone())];
        }
        scaled(api)
    });
    sim.run_until("the condemned claim collected", |api: &Client| {
        api.get::<PersistentVolumeClaim>(NS, "www-web-2").is_err()
    });
    let handed = handed;
    assert!(handed, "scaled down → owned by its pod before it was collected");
    assert_eq!(owners(&sim, 1), ["StatefulSet/web"]);
}

/// The stuck rollout (SEMANTICS §5.e, seeds): a template whose pod never becomes Ready halts the rollout;
/// reverting the template alone does not unstick it; deleting the broken pod does. Then a rollback renumbers.
#[test]
fn a_broken_template_halts_the_rollout_until_the_broken_pod_is_deleted() {
    let mut sim = Sim::new(Audit::ordered(3));
    sim.write(|api| api.create(stateful_set(3, "OrderedReady")).unwrap());
    sim.run_until("3 ready pods", converged(3));
    let good_rev = sim.set().status.current_revision.clone();
    // The bad template: a nodeSelector no node satisfies, so web-2's replacement stays Pending.
    sim.update_set(|s| {
        set_image(s, "nginx:broken");
        s.spec.template.spec.node_selector.insert("disk".into(), "none".into());
    });
    sim.run_for(Duration::from_secs(600));
    assert_eq!(sim.audit.deleted, [2], "only web-2 was replaced");
    assert_eq!(sim.images(3), ["nginx:1", "nginx:1", "nginx:broken"]);
    assert_eq!(sim.pod(2).unwrap().phase(), PodPhase::Pending);
    let bad_rev = sim.set().status.update_revision.clone();
    // Revert: the update revision is the good one again, but web-2 (bad revision, never Ready) blocks.
    sim.update_set(|s| {
        set_image(s, "nginx:1");
        s.spec.template.spec.node_selector.clear();
    });
    sim.run_for(Duration::from_secs(600));
    let st = sim.set().status.clone();
    assert_eq!(st.update_revision, good_rev, "reverting brings the old revision back");
    assert_eq!(sim.pod(2).unwrap().metadata.labels[REVISION_LABEL], bad_rev, "still stuck on the broken pod");
    assert_eq!(sim.audit.deleted, [2], "the controller deleted nothing more");
    sim.delete_pod(2);
    sim.run_until("unstuck", converged(3));
    assert_eq!(sim.images(3), ["nginx:1"; 3]);
    // Rollback renumbering: good=1 → bad=2 → good again, raised to 3.
    let revs = sim.revisions();
    assert_eq!(revs, [(bad_rev, 2), (good_rev, 3)]);
}
