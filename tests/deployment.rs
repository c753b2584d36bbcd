//! The Deployment controller against SEMANTICS §3 and the §12 Deployment invariants.
//!
//! Two halves: single syncs of the reconciler on a real store with informers
//! pumped by hand and a recording client ([`World`]); and whole rollouts on
//! `kwarp::system::Cluster` (scheduler, kubelet, ReplicaSet and Deployment
//! controllers) on the virtual clock ([`Sim`]), sampling the safety bounds
//! every time the system is quiescent.

use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::Component;
use kwarp::api::apps::{DeploymentStrategy, RollingUpdateDeployment};
use kwarp::api::hash::compute_hash;
use kwarp::api::pod::{Condition, ConditionStatus, Container, Pod, PodTemplateSpec};
use kwarp::api::{Deployment, IntOrString, Kind, LabelSelector, Node, ObjectMeta, Quantity, ReplicaSet, StringMap};
use kwarp::clock::VirtualClock;
use kwarp::controllers::deployment::util::{
    self as du, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, ROLLBACK_TO_ANNOTATION,
};
use kwarp::controllers::pod_control::controller_ref;
use kwarp::controllers::{Action, Controller, DeploymentController, FakeClient};
use kwarp::informer::SharedInformerFactory;
use kwarp::sim::{Dist, KubeletConfig};
use kwarp::store::{Client, ListOptions, Store, StoreOptions, Verb};
use kwarp::system::{Cluster, ClusterConfig};

const NS: &str = "default";

fn labels(app: &str) -> StringMap {
    [("app".to_string(), app.to_string())].into()
}

fn template(app: &str, image: &str) -> PodTemplateSpec {
    let mut t = PodTemplateSpec::default();
    t.metadata.labels = labels(app);
    t.spec.containers.push(Container { name: "c".into(), image: image.into(), ..Default::default() });
    t
}

/// A RollingUpdate Deployment `name` (selector `app=name`) with the default 25% / 25%.
fn deployment(name: &str, replicas: i32, image: &str) -> Deployment {
    let mut d = Deployment { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    d.spec.replicas = Some(replicas);
    d.spec.selector = Some(LabelSelector::from_labels(labels(name)));
    d.spec.template = template(name, image);
    d
}

fn recreate(mut d: Deployment) -> Deployment {
    d.spec.strategy = Some(DeploymentStrategy { type_: "Recreate".into(), rolling_update: None });
    d
}

fn fenceposts(mut d: Deployment, surge: i32, unavailable: i32) -> Deployment {
    d.spec.strategy = Some(DeploymentStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(IntOrString::Int(surge)),
            max_unavailable: Some(IntOrString::Int(unavailable)),
        }),
    });
    d
}

fn image(d: &Deployment) -> &str {
    &d.spec.template.spec.containers[0].image
}

fn rs_image(rs: &ReplicaSet) -> &str {
    &rs.spec.template.spec.containers[0].image
}

// ================================================================ single syncs

struct World {
    clock: Arc<VirtualClock>,
    store: Arc<Store>,
    fake: Arc<FakeClient>,
    informers: SharedInformerFactory,
    controller: Arc<Controller<DeploymentController<Arc<FakeClient>>>>,
}

impl World {
    fn new() -> World {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("deployment-controller")));
        let informers = SharedInformerFactory::new(store.client("informers"));
        let dc = DeploymentController::new(fake.clone(), clock.clone());
        let controller = Controller::new(Arc::new(dc), &informers, clock.clone(), 1);
        World { clock, store, fake, informers, controller }
    }

    fn pump(&self) {
        while self.informers.pump_all() > 0 {}
    }

    /// Pumps, then one sync of `name`.
    fn sync(&self, name: &str) -> kwarp::controllers::Result<Action> {
        self.pump();
        self.controller.sync(&format!("{NS}/{name}"))
    }

    fn d(&self, name: &str) -> Arc<Deployment> {
        self.store.get(NS, name).unwrap()
    }

    /// Runs the queue until nothing is left to do, firing timers (rate-limited retries) on the way.
    fn converge(&self) {
        for _ in 0..10_000 {
            self.pump();
            if self.controller.run_ready(64) > 0 || self.informers.has_pending() {
                continue;
            }
            if !self.clock.advance_to_next() {
                return;
            }
        }
        panic!("did not converge");
    }

    fn rss(&self) -> Vec<Arc<ReplicaSet>> {
        let mut v = self.store.list::<ReplicaSet>(&ListOptions::default()).items;
        v.sort_by(|a, b| {
            (a.metadata.creation_timestamp, &a.metadata.name).cmp(&(b.metadata.creation_timestamp, &b.metadata.name))
        });
        v
    }

    /// The RS whose template runs `image`.
    fn by_image(&self, image: &str) -> Arc<ReplicaSet> {
        self.rss().into_iter().find(|rs| rs_image(rs) == image).unwrap_or_else(|| panic!("no RS for {image}"))
    }

    fn calls(&self, verb: Verb, kind: Kind) -> usize {
        self.fake.take_calls().iter().filter(|c| c.verb == verb && c.kind == kind).count()
    }

    /// Sets the status of every RS as if all its pods ran and were available.
    fn all_available(&self) {
        for rs in self.rss() {
            let mut s = (*rs).clone();
            let n = rs.spec.replicas.unwrap_or(1);
            (s.status.replicas, s.status.ready_replicas, s.status.available_replicas) = (n, n, n);
            s.status.fully_labeled_replicas = n;
            s.status.observed_generation = rs.metadata.generation;
            self.store.update_status(s).unwrap();
        }
    }
}

#[test]
fn a_first_sync_creates_the_new_rs_with_its_hash_and_revision_1() {
    let w = World::new();
    let d = w.store.create(deployment("web", 4, "v1")).unwrap();
    w.sync("web").unwrap();
    let rss = w.rss();
    assert_eq!(rss.len(), 1);
    let rs = &rss[0];
    let hash = compute_hash(&d.spec.template, None);
    assert_eq!(rs.metadata.name, format!("web-{hash}"));
    assert_eq!(rs.metadata.labels[POD_TEMPLATE_HASH_LABEL], hash);
    assert_eq!(rs.spec.selector.as_ref().unwrap().match_labels[POD_TEMPLATE_HASH_LABEL], hash);
    assert_eq!(rs.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL], hash);
    assert_eq!(rs.spec.replicas, Some(4), "a first RS takes R (no other RS holds replicas)");
    assert_eq!(rs.metadata.controller_ref().unwrap().uid, d.metadata.uid);
    assert_eq!(rs.metadata.annotations[REVISION_ANNOTATION], "1");
    assert_eq!(rs.metadata.annotations[du::DESIRED_REPLICAS_ANNOTATION], "4");
    assert_eq!(rs.metadata.annotations[du::MAX_REPLICAS_ANNOTATION], "5");
    let d = w.d("web");
    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "1");
    let progressing = du::get_condition(&d.status, du::PROGRESSING).unwrap();
    assert_eq!(progressing.reason, du::NEW_RS_CREATED);
}

#[test]
fn a_steady_sync_makes_no_api_call() {
    let w = World::new();
    w.store.create(deployment("web", 3, "v1")).unwrap();
    for _ in 0..4 {
        w.sync("web").unwrap();
        w.all_available();
    }
    w.sync("web").unwrap();
    w.fake.take_calls();
    let action = w.sync("web").unwrap();
    assert_eq!(action, Action::Done);
    assert!(w.fake.take_calls().is_empty());
    let d = w.d("web");
    assert_eq!(du::get_condition(&d.status, du::PROGRESSING).unwrap().reason, du::NEW_RS_AVAILABLE);
    assert_eq!(du::get_condition(&d.status, du::AVAILABLE).unwrap().status, ConditionStatus::True);
    assert_eq!((d.status.replicas, d.status.updated_replicas, d.status.available_replicas), (3, 3, 3));
}

#[test]
fn a_hash_collision_bumps_the_collision_count_and_the_retry_uses_another_name() {
    let w = World::new();
    let d = w.store.create(deployment("web", 1, "v1")).unwrap();
    let hash = compute_hash(&d.spec.template, None); // of the defaulted template
                                                     // Someone else's RS already has the name the Deployment would use.
    let mut squatter = ReplicaSet { metadata: ObjectMeta::named(NS, format!("web-{hash}")), ..Default::default() };
    squatter.metadata.labels = labels("other");
    squatter.spec.selector = Some(LabelSelector::from_labels(labels("other")));
    squatter.spec.template = template("other", "x");
    squatter.spec.replicas = Some(0);
    w.store.create(squatter).unwrap();
    let err = w.sync("web").unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(w.d("web").status.collision_count, Some(1));
    w.sync("web").unwrap();
    let ours: Vec<_> = w.rss().into_iter().filter(|rs| rs.metadata.controller_ref().is_some()).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].metadata.name, format!("web-{}", compute_hash(&w.d("web").spec.template, Some(1))));
}

#[test]
fn orphans_are_adopted_and_unselected_rss_released() {
    let w = World::new();
    let d = w.store.create(deployment("web", 2, "v1")).unwrap();
    let mut orphan = ReplicaSet { metadata: ObjectMeta::named(NS, "web-old"), ..Default::default() };
    orphan.metadata.labels = labels("web");
    orphan.spec.selector = Some(LabelSelector::from_labels(labels("web")));
    orphan.spec.template = template("web", "v0");
    orphan.spec.replicas = Some(0);
    w.store.create(orphan).unwrap();
    let mut stray = ReplicaSet { metadata: ObjectMeta::named(NS, "stray"), ..Default::default() };
    stray.metadata.labels = labels("else");
    stray.metadata.owner_references.push(controller_ref(&d.metadata, Kind::Deployment));
    stray.spec.selector = Some(LabelSelector::from_labels(labels("else")));
    stray.spec.template = template("else", "x");
    w.store.create(stray).unwrap();
    w.sync("web").unwrap();
    let adopted = w.store.get::<ReplicaSet>(NS, "web-old").unwrap();
    assert_eq!(adopted.metadata.controller_ref().unwrap().uid, d.metadata.uid);
    assert!(w.store.get::<ReplicaSet>(NS, "stray").unwrap().metadata.owner_references.is_empty());
    assert_eq!(w.calls(Verb::Get, Kind::Deployment), 1, "one uncached recheck before adopting");
}

#[test]
fn paused_deployments_create_no_rs_but_scale() {
    let w = World::new();
    w.store.create(deployment("web", 2, "v1")).unwrap();
    w.sync("web").unwrap();
    w.all_available();
    w.sync("web").unwrap();
    w.store
        .patch::<Deployment>(NS, "web", |d| {
            d.spec.paused = true;
            d.spec.template = template("web", "v2");
            d.spec.replicas = Some(5);
        })
        .unwrap();
    w.sync("web").unwrap();
    w.sync("web").unwrap();
    let rss = w.rss();
    assert_eq!(rss.len(), 1, "no RS for the new template while paused");
    assert_eq!(rss[0].spec.replicas, Some(5), "scaling still applies");
    let d = w.d("web");
    assert_eq!(du::get_condition(&d.status, du::PROGRESSING).unwrap().reason, du::PAUSED);
    w.store.patch::<Deployment>(NS, "web", |d| d.spec.paused = false).unwrap();
    w.sync("web").unwrap();
    let statuses = w.calls(Verb::UpdateStatus, Kind::Deployment);
    assert!(statuses >= 2, "DeploymentResumed, then the new RS's condition: {statuses} status writes");
    assert_eq!(du::get_condition(&w.d("web").status, du::PROGRESSING).unwrap().reason, du::NEW_RS_CREATED);
    assert_eq!(w.by_image("v2").spec.replicas, Some(2), "the rollout proceeds");
}

#[test]
fn recreate_scales_old_rss_to_zero_before_creating_the_new_one() {
    // SEMANTICS §3.j case 69
    let w = World::new();
    w.store.create(recreate(deployment("web", 3, "v1"))).unwrap();
    w.sync("web").unwrap();
    w.all_available();
    w.sync("web").unwrap();
    w.store.patch::<Deployment>(NS, "web", |d| d.spec.template = template("web", "v2")).unwrap();
    w.sync("web").unwrap();
    let rss = w.rss();
    assert_eq!(rss.len(), 1, "no new RS yet");
    assert_eq!(rss[0].spec.replicas, Some(0));
    w.sync("web").unwrap();
    assert_eq!(w.rss().len(), 1, "old pods still counted in the old RS status");
    w.all_available(); // the old RS reports 0 pods
    w.sync("web").unwrap();
    assert_eq!(w.rss().len(), 2);
    assert_eq!(w.by_image("v2").spec.replicas, Some(3));
}

#[test]
fn the_legacy_rollback_annotation_restores_the_last_revision() {
    // SEMANTICS §3.h, §3.j case 67
    let w = World::new();
    w.store.create(deployment("web", 1, "v1")).unwrap();
    w.sync("web").unwrap();
    w.all_available();
    w.store.patch::<Deployment>(NS, "web", |d| d.spec.template = template("web", "v2")).unwrap();
    for _ in 0..6 {
        w.sync("web").unwrap();
        w.all_available();
    }
    w.store
        .patch::<Deployment>(NS, "web", |d| {
            d.metadata.annotations.insert(ROLLBACK_TO_ANNOTATION.into(), "0".into());
        })
        .unwrap();
    w.sync("web").unwrap();
    let d = w.d("web");
    assert_eq!(image(&d), "v1");
    assert!(!d.metadata.annotations.contains_key(ROLLBACK_TO_ANNOTATION));
    for _ in 0..6 {
        w.sync("web").unwrap();
        w.all_available();
    }
    assert_eq!(w.rss().len(), 2, "the old RS is reused");
    let v1 = w.by_image("v1");
    assert_eq!(v1.metadata.annotations[REVISION_ANNOTATION], "3");
    assert_eq!(v1.metadata.annotations[REVISION_HISTORY_ANNOTATION], "1");
    assert_eq!(v1.spec.replicas, Some(1));
    assert_eq!(w.d("web").metadata.annotations[REVISION_ANNOTATION], "3");
}

#[test]
fn history_beyond_the_limit_is_deleted_once_complete() {
    let w = World::new();
    let mut d = deployment("web", 1, "v0");
    d.spec.revision_history_limit = Some(1);
    w.store.create(d).unwrap();
    for v in 1..=4 {
        w.store.patch::<Deployment>(NS, "web", |d| d.spec.template = template("web", &format!("v{v}"))).unwrap();
        for _ in 0..6 {
            w.sync("web").unwrap();
            w.all_available();
        }
    }
    let rss = w.rss();
    let mut images: Vec<&str> = rss.iter().map(|r| rs_image(r)).collect();
    images.sort_unstable();
    assert_eq!(images, ["v3", "v4"], "one old RS kept");
}

// ================================================================ whole rollouts

struct Sim {
    c: Cluster,
    api: Client,
}

fn node(name: &str) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.capacity = [("cpu", "16"), ("memory", "64Gi"), ("pods", "110")]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
        .collect();
    n.status.allocatable = n.status.capacity.clone();
    n.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "KubeletReady", "", Default::default()));
    n
}

/// Σ of the safety bounds seen while sampling.
#[derive(Debug, Default)]
struct Bounds {
    max_pods: usize,
    min_ready: usize,
    max_spec: i32,
}

impl Sim {
    fn new() -> Sim {
        Sim::with_events(false)
    }

    fn with_events(record_events: bool) -> Sim {
        Sim::with(1, record_events)
    }

    fn with(threads: usize, record_events: bool) -> Sim {
        let mut cfg = ClusterConfig { record_events, ..ClusterConfig::default() };
        cfg.runtime.threads = threads;
        let s = |secs| Dist::fixed(Duration::from_secs(secs));
        cfg.kubelet = KubeletConfig { startup: s(2), ready: s(3), shutdown: s(1), ..KubeletConfig::default() };
        let c = Cluster::start(cfg);
        let api = c.runtime().client("test");
        let sim = Sim { c, api };
        sim.write(|api| {
            for i in 0..4 {
                api.create(node(&format!("node-{i}"))).unwrap();
            }
        });
        sim
    }

    fn write<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        self.c.runtime().exclusive(|| f(&self.api))
    }

    fn update(&self, name: &str, f: impl FnMut(&mut Deployment)) {
        let mut f = f;
        self.write(|api| api.patch::<Deployment>(NS, name, &mut f).unwrap());
    }

    fn store(&self) -> &Arc<Store> {
        self.c.runtime().store()
    }

    fn d(&self, name: &str) -> Arc<Deployment> {
        self.store().get(NS, name).unwrap()
    }

    /// The Deployment's RSs, oldest first.
    fn rss(&self, name: &str) -> Vec<Arc<ReplicaSet>> {
        let uid = self.d(name).metadata.uid.clone();
        let mut v: Vec<_> = self
            .store()
            .list::<ReplicaSet>(&ListOptions::default())
            .items
            .into_iter()
            .filter(|rs| rs.metadata.controller_ref().is_some_and(|r| r.uid == uid))
            .collect();
        v.sort_by(|a, b| {
            (a.metadata.creation_timestamp, &a.metadata.name).cmp(&(b.metadata.creation_timestamp, &b.metadata.name))
        });
        v
    }

    /// Pods of the Deployment's app that are neither terminal nor terminating.
    fn pods(&self, name: &str) -> Vec<Arc<Pod>> {
        self.store()
            .list::<Pod>(&ListOptions::default())
            .items
            .into_iter()
            .filter(|p| p.metadata.labels.get("app").map(String::as_str) == Some(name) && p.is_active())
            .collect()
    }

    fn complete(&self, name: &str) -> bool {
        let d = self.d(name);
        du::deployment_complete(&d, &d.status)
    }

    /// Runs until `done` (checked whenever quiescent) or `secs` of cluster time; true when done.
    fn run(&self, secs: u64, mut done: impl FnMut(&Sim) -> bool) -> bool {
        self.c.runtime().run_until(|| done(self), Duration::from_secs(secs)).is_ok()
    }

    /// Runs until the rollout of `name` completes, sampling the bounds at every quiescent point.
    fn roll_out(&self, name: &str, secs: u64) -> Bounds {
        let mut b = Bounds { min_ready: usize::MAX, ..Default::default() };
        let done = self.run(secs, |s| {
            let pods = s.pods(name);
            b.max_pods = b.max_pods.max(pods.len());
            b.min_ready = b.min_ready.min(pods.iter().filter(|p| p.is_ready()).count());
            b.max_spec = b.max_spec.max(s.rss(name).iter().map(|r| r.spec.replicas.unwrap_or(1)).sum());
            s.complete(name)
        });
        assert!(done, "rollout of {name} did not complete: {:?}", self.d(name).status);
        b
    }
}

/// The §12 surge and availability bounds of one rollout.
fn assert_bounds(b: &Bounds, r: usize, surge: usize, unavailable: usize) {
    assert!(b.max_pods <= r + surge, "{b:?}: more than {r} + {surge} pods");
    assert!(b.max_spec as usize <= r + surge, "{b:?}: Σ spec.replicas above {r} + {surge}");
    assert!(b.min_ready >= r - unavailable, "{b:?}: fewer than {r} − {unavailable} ready pods");
}

fn sizes(rss: &[Arc<ReplicaSet>]) -> Vec<(String, i32)> {
    rss.iter().map(|r| (rs_image(r).to_string(), r.spec.replicas.unwrap_or(1))).collect()
}

#[test]
fn a_rolling_update_completes_within_its_bounds() {
    let s = Sim::new();
    s.write(|api| api.create(deployment("web", 10, "v1")).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| d.spec.template = template("web", "v2"));
    let b = s.roll_out("web", 600);
    assert_bounds(&b, 10, 3, 2);
    assert_eq!(b.max_pods, 13, "the surge is used");
    let rss = s.rss("web");
    assert_eq!(sizes(&rss), [("v1".to_string(), 0), ("v2".to_string(), 10)]);
    let revisions: Vec<&str> = rss.iter().map(|r| r.metadata.annotations[REVISION_ANNOTATION].as_str()).collect();
    assert_eq!(revisions, ["1", "2"]);
    let d = s.d("web");
    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "2");
    assert_eq!((d.status.replicas, d.status.updated_replicas, d.status.available_replicas), (10, 10, 10));
    assert_eq!(du::get_condition(&d.status, du::PROGRESSING).unwrap().reason, du::NEW_RS_AVAILABLE);
    assert_eq!(du::get_condition(&d.status, du::AVAILABLE).unwrap().reason, du::MINIMUM_REPLICAS_AVAILABLE);
    for rs in &rss {
        let hash = &rs.metadata.labels[POD_TEMPLATE_HASH_LABEL];
        assert!(rs.metadata.name.ends_with(&format!("-{hash}")));
    }
    let new_hash = &rss[1].metadata.labels[POD_TEMPLATE_HASH_LABEL];
    assert!(s.pods("web").iter().all(|p| &p.metadata.labels[POD_TEMPLATE_HASH_LABEL] == new_hash));
}

#[test]
fn a_rollover_mid_rollout_scales_the_intermediate_rs_down() {
    let s = Sim::new();
    s.write(|api| api.create(fenceposts(deployment("web", 6, "v1"), 2, 1)).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| d.spec.template = template("web", "v2"));
    assert!(s.run(600, |s| s.rss("web").len() == 2 && s.rss("web")[1].status.available_replicas > 0));
    assert!(!s.complete("web"));
    s.update("web", |d| d.spec.template = template("web", "v3"));
    let b = s.roll_out("web", 600);
    assert_bounds(&b, 6, 2, 1);
    assert_eq!(sizes(&s.rss("web")), [("v1".into(), 0), ("v2".into(), 0), ("v3".into(), 6)]);
    assert_eq!(s.d("web").metadata.annotations[REVISION_ANNOTATION], "3");
}

#[test]
fn rolling_back_reuses_the_old_rs_with_a_new_revision() {
    let s = Sim::new();
    s.write(|api| api.create(deployment("web", 4, "v1")).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| d.spec.template = template("web", "v2"));
    s.roll_out("web", 600);
    let first = s.rss("web")[0].metadata.name.clone();
    // `kubectl rollout undo`: the template is set back.
    s.update("web", |d| d.spec.template = template("web", "v1"));
    let b = s.roll_out("web", 600);
    assert_bounds(&b, 4, 1, 1);
    let rss = s.rss("web");
    assert_eq!(rss.len(), 2, "no third RS");
    assert_eq!(rss[0].metadata.name, first);
    assert_eq!(sizes(&rss), [("v1".into(), 4), ("v2".into(), 0)]);
    assert_eq!(rss[0].metadata.annotations[REVISION_ANNOTATION], "3");
    assert_eq!(rss[0].metadata.annotations[REVISION_HISTORY_ANNOTATION], "1");
    assert_eq!(s.d("web").metadata.annotations[REVISION_ANNOTATION], "3");
}

#[test]
fn a_paused_deployment_scales_but_does_not_roll_out_until_resumed() {
    let s = Sim::new();
    s.write(|api| api.create(deployment("web", 4, "v1")).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| {
        d.spec.paused = true;
        d.spec.template = template("web", "v2");
    });
    s.run(120, |_| false);
    assert_eq!(sizes(&s.rss("web")), [("v1".into(), 4)]);
    assert_eq!(du::get_condition(&s.d("web").status, du::PROGRESSING).unwrap().reason, du::PAUSED);
    s.update("web", |d| d.spec.replicas = Some(8));
    assert!(s.run(120, |s| s.pods("web").iter().filter(|p| p.is_ready()).count() == 8));
    assert_eq!(sizes(&s.rss("web")), [("v1".into(), 8)]);
    s.update("web", |d| d.spec.paused = false);
    let b = s.roll_out("web", 600);
    assert_bounds(&b, 8, 2, 2);
    assert_eq!(sizes(&s.rss("web")), [("v1".into(), 0), ("v2".into(), 8)]);
}

/// A template whose pods cannot be scheduled (no node has the CPU): they stay Pending.
fn unschedulable(app: &str) -> PodTemplateSpec {
    let mut t = template(app, "broken");
    t.spec.containers[0].resources.requests.insert("cpu".into(), Quantity::parse("1000").unwrap());
    t
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    // SEMANTICS §3.j case 41, end to end: R=10 (surge 3, unavailable 2), stuck at old 8 / new 5.
    let s = Sim::new();
    s.write(|api| api.create(fenceposts(deployment("web", 10, "v1"), 3, 2)).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| d.spec.template = unschedulable("web"));
    s.run(120, |_| false);
    let stuck: Vec<i32> = s.rss("web").iter().map(|r| r.spec.replicas.unwrap()).collect();
    assert_eq!(stuck, [8, 5]);
    s.update("web", |d| d.spec.replicas = Some(15));
    s.run(60, |_| false);
    let scaled: Vec<i32> = s.rss("web").iter().map(|r| r.spec.replicas.unwrap()).collect();
    assert_eq!(scaled, [11, 7]);
    let rs = &s.rss("web")[0];
    assert_eq!(du::desired_replicas_annotation(rs), Some(15));
    assert_eq!(du::max_replicas_annotation(rs), Some(18));
}

#[test]
fn a_rollout_that_makes_no_progress_exceeds_its_deadline_and_nothing_else() {
    let s = Sim::new();
    let mut d = deployment("web", 4, "v1");
    d.spec.progress_deadline_seconds = Some(60);
    s.write(|api| api.create(d).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| d.spec.template = unschedulable("web"));
    let timed_out =
        |s: &Sim| du::get_condition(&s.d("web").status, du::PROGRESSING).is_some_and(|c| c.reason == du::TIMED_OUT);
    s.run(40, |_| false);
    assert!(!timed_out(&s), "not before the deadline");
    let before = sizes(&s.rss("web"));
    assert!(s.run(300, timed_out), "Progressing never became ProgressDeadlineExceeded");
    let c = du::get_condition(&s.d("web").status, du::PROGRESSING).unwrap().clone();
    assert_eq!(c.status, ConditionStatus::False);
    let last = c.last_update_time.unwrap();
    assert!(s.c.runtime().now() >= last, "set at or before now");
    s.run(300, |_| false);
    assert_eq!(sizes(&s.rss("web")), before, "timing out changes nothing else");
    assert_eq!(before, [("v1".into(), 3), ("broken".into(), 2)]);
}

#[test]
fn recreate_never_runs_old_and_new_pods_together() {
    // §12 invariant 7, checked exactly on the write log and sampled at quiescent points.
    use kwarp::store::EventType;
    let s = Sim::with_events(true);
    let events = s.c.events().unwrap();
    s.write(|api| api.create(recreate(deployment("web", 3, "v1"))).unwrap());
    s.roll_out("web", 600);
    s.update("web", |d| d.spec.template = template("web", "v2"));
    let mut overlap = false;
    let done = s.run(600, |s| {
        let all: Vec<Arc<Pod>> =
            s.store().list::<Pod>(&ListOptions::default()).items.into_iter().filter(|p| !p.is_terminal()).collect();
        let old = all.iter().filter(|p| p.spec.containers[0].image == "v1").count();
        let new = all.iter().filter(|p| p.spec.containers[0].image == "v2").count();
        overlap |= old > 0 && new > 0;
        s.complete("web")
    });
    assert!(done);
    assert!(!overlap, "old and new pods coexisted");
    assert_eq!(sizes(&s.rss("web")), [("v1".into(), 0), ("v2".into(), 3)]);
    let mut live_old: std::collections::BTreeSet<String> = Default::default();
    let mut new_created = 0;
    for e in events.try_iter() {
        let Some(p) = e.object.as_any().downcast_ref::<Pod>() else { continue };
        let name = p.metadata.name.clone();
        match (p.spec.containers[0].image.as_str(), e.type_) {
            ("v1", EventType::Deleted) => {
                live_old.remove(&name);
            }
            ("v1", _) if p.is_terminal() => {
                live_old.remove(&name);
            }
            ("v1", _) => {
                live_old.insert(name);
            }
            ("v2", EventType::Added) => {
                assert!(live_old.is_empty(), "rv {}: {name} created while {live_old:?} run", e.revision);
                new_created += 1;
            }
            _ => {}
        }
    }
    assert_eq!(new_created, 3);
}

#[test]
fn the_same_seed_gives_the_same_rollout() {
    let run = || {
        let s = Sim::new();
        s.write(|api| api.create(deployment("web", 5, "v1")).unwrap());
        s.roll_out("web", 600);
        s.update("web", |d| d.spec.template = template("web", "v2"));
        s.roll_out("web", 600);
        let names: Vec<String> = s.rss("web").iter().map(|r| r.metadata.name.clone()).collect();
        (s.c.runtime().now(), names)
    };
    assert_eq!(run(), run());
}

// ================================================================ more single syncs

/// Rolls `name` to `image` with every RS reported available after each sync.
fn roll(w: &World, name: &str, image: &str) {
    w.store.patch::<Deployment>(NS, name, |d| d.spec.template = template(name, image)).unwrap();
    for _ in 0..6 {
        w.sync(name).unwrap();
        w.all_available();
    }
}

#[test]
fn legacy_max_int32_means_no_deadline() {
    let w = World::new();
    let mut d = deployment("web", 1, "v0");
    d.spec.revision_history_limit = Some(i32::MAX);
    d.spec.progress_deadline_seconds = Some(i32::MAX);
    w.store.create(d).unwrap();
    w.sync("web").unwrap();
    w.all_available();
    for v in 1..=3 {
        roll(&w, "web", &format!("v{v}"));
    }
    assert_eq!(w.rss().len(), 4);
    let d = w.d("web");
    assert!(du::get_condition(&d.status, du::PROGRESSING).is_none(), "no Progressing condition without a deadline");
    assert_eq!(du::get_condition(&d.status, du::AVAILABLE).unwrap().status, ConditionStatus::True);
}

#[test]
fn a_deployment_being_deleted_only_updates_its_status() {
    let w = World::new();
    let mut d = deployment("web", 2, "v1");
    d.metadata.finalizers.push("example.com/hold".into());
    w.store.create(d).unwrap();
    w.sync("web").unwrap();
    w.all_available();
    w.store.delete::<Deployment>(NS, "web", &kwarp::store::DeleteOptions::default()).unwrap();
    assert!(w.d("web").metadata.deletion_timestamp.is_some());
    w.store.patch::<Deployment>(NS, "web", |d| d.spec.replicas = Some(5)).unwrap();
    w.fake.take_calls();
    w.sync("web").unwrap();
    let calls = w.fake.take_calls();
    assert!(calls.iter().all(|c| c.kind == Kind::Deployment && c.verb == Verb::UpdateStatus), "{calls:?}");
    assert_eq!(w.rss()[0].spec.replicas, Some(2), "no scaling while being deleted");
    assert_eq!(w.d("web").status.available_replicas, 2);
}

#[test]
fn min_ready_seconds_is_kept_in_sync_on_the_new_rs() {
    let w = World::new();
    w.store.create(deployment("web", 1, "v1")).unwrap();
    w.sync("web").unwrap();
    w.store.patch::<Deployment>(NS, "web", |d| d.spec.min_ready_seconds = Some(7)).unwrap();
    w.sync("web").unwrap();
    assert_eq!(w.rss()[0].spec.min_ready_seconds, Some(7));
}

#[test]
fn a_failed_rs_create_sets_progressing_false() {
    let w = World::new();
    w.store.create(deployment("web", 1, "v1")).unwrap();
    w.fake.fail(Verb::Create, Kind::ReplicaSet, 1, FakeClient::<Client>::injected(Kind::ReplicaSet));
    assert!(w.sync("web").is_err());
    let c = du::get_condition(&w.d("web").status, du::PROGRESSING).cloned().unwrap();
    assert_eq!((c.status, c.reason.as_str()), (ConditionStatus::False, du::RS_CREATE_ERROR));
    w.sync("web").unwrap();
    assert_eq!(w.rss().len(), 1, "the retry creates it");
}

#[test]
fn a_key_that_keeps_failing_is_dropped_after_15_retries() {
    let w = World::new();
    w.store.create(deployment("web", 1, "v1")).unwrap();
    w.fake.fail(Verb::Create, Kind::ReplicaSet, 1000, FakeClient::<Client>::injected(Kind::ReplicaSet));
    w.pump();
    w.converge();
    let attempts = w.calls(Verb::Create, Kind::ReplicaSet);
    assert!((16..=18).contains(&attempts), "{attempts} creates before giving up");
    assert!(w.rss().is_empty());
}

// ================================================================ the event log (§12 invariants 1–5)

/// Replays the store's write log and checks the Deployment invariants of
/// SEMANTICS §12 at every ReplicaSet write (R, maxSurge, maxUnavailable fixed).
fn audit(events: &[kwarp::store::AnyEvent], name: &str, r: i32, surge: i32, unavailable: i32) -> usize {
    use kwarp::store::EventType;
    use std::collections::{BTreeMap, HashMap};
    let mut d: Option<Deployment> = None;
    let mut rss: BTreeMap<String, ReplicaSet> = BTreeMap::new();
    let mut revisions: HashMap<String, i64> = HashMap::new();
    let mut checked = 0;
    for e in events {
        if let Some(dep) = e.object.as_any().downcast_ref::<Deployment>() {
            if dep.metadata.name == name {
                d = Some(dep.clone());
            }
            continue;
        }
        let Some(rs) = e.object.as_any().downcast_ref::<ReplicaSet>() else { continue };
        let Some(dep) = &d else { continue };
        if rs.metadata.controller_ref().is_none_or(|c| c.uid != dep.metadata.uid) {
            continue;
        }
        let key = rs.metadata.name.clone();
        let before = rss.get(&key).cloned();
        if e.type_ == EventType::Deleted {
            rss.remove(&key);
            continue;
        }
        rss.insert(key.clone(), rs.clone());
        checked += 1;
        let spec = |x: &ReplicaSet| x.spec.replicas.unwrap_or(1);
        // 1. surge bound
        let total: i32 = rss.values().map(spec).sum();
        assert!(total <= r + surge, "rv {}: Σ spec.replicas {total} > {r} + {surge}", e.revision);
        // 3. the new RS never above R
        if du::equal_ignore_hash(&rs.spec.template, &dep.spec.template) {
            assert!(spec(rs) <= r, "rv {}: new RS at {}", e.revision, spec(rs));
        }
        // 4. naming and labels
        let hash = &rs.metadata.labels[POD_TEMPLATE_HASH_LABEL];
        assert_eq!(rs.metadata.name, format!("{name}-{hash}"));
        assert_eq!(&rs.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL], hash);
        assert_eq!(&rs.spec.selector.as_ref().unwrap().match_labels[POD_TEMPLATE_HASH_LABEL], hash);
        // 5. revisions only increase
        let rev: i64 = rs.metadata.annotations[REVISION_ANNOTATION].parse().unwrap();
        let seen = revisions.entry(key.clone()).or_insert(rev);
        assert!(rev >= *seen, "rv {}: revision of {key} went from {seen} to {rev}", e.revision);
        *seen = rev;
        // 2. availability bound on every scale-down
        if let Some(prev) = before {
            let k = spec(&prev) - spec(rs);
            if k > 0 && !du::equal_ignore_hash(&rs.spec.template, &dep.spec.template) {
                let unhealthy = spec(&prev) - prev.status.available_replicas;
                let available: i32 = rss
                    .iter()
                    .map(|(n, x)| if *n == key { prev.status.available_replicas } else { x.status.available_replicas })
                    .sum();
                assert!(
                    k <= unhealthy || available - k >= r - unavailable,
                    "rv {}: {key} scaled down by {k} with {available} available",
                    e.revision
                );
            }
        }
    }
    checked
}

#[test]
fn the_event_log_of_rollovers_and_a_rollback_keeps_the_invariants() {
    let s = Sim::with_events(true);
    let events = s.c.events().unwrap();
    s.write(|api| api.create(deployment("web", 10, "v1")).unwrap());
    s.roll_out("web", 600);
    for (image, secs) in [("v2", 4), ("v3", 7), ("v4", 600), ("v3", 600)] {
        s.update("web", |d| d.spec.template = template("web", image));
        s.run(secs, |s| s.complete("web"));
    }
    s.roll_out("web", 600);
    let log: Vec<_> = events.try_iter().collect();
    let checked = audit(&log, "web", 10, 3, 2);
    assert!(checked > 20, "only {checked} RS writes seen");
    let rss = s.rss("web");
    assert_eq!(rss.len(), 4);
    let v3 = rss.iter().find(|r| rs_image(r) == "v3").unwrap();
    assert_eq!(v3.metadata.annotations[REVISION_ANNOTATION], "5");
    assert_eq!(v3.metadata.annotations[REVISION_HISTORY_ANNOTATION], "3");
}

#[test]
fn min_ready_seconds_paces_the_rollout() {
    let rollout_secs = |min_ready: i32| {
        let s = Sim::with_events(true);
        let events = s.c.events().unwrap();
        let mut d = fenceposts(deployment("web", 4, "v1"), 1, 0);
        d.spec.min_ready_seconds = Some(min_ready);
        s.write(|api| api.create(d).unwrap());
        s.roll_out("web", 600);
        let start = s.c.runtime().now();
        s.update("web", |d| d.spec.template = template("web", "v2"));
        let b = s.roll_out("web", 600);
        assert_bounds(&b, 4, 1, 0);
        let log: Vec<_> = events.try_iter().collect();
        audit(&log, "web", 4, 1, 0);
        assert!(s.rss("web").iter().all(|r| r.spec.min_ready_seconds == Some(min_ready)));
        (s.c.runtime().now().as_nanos() - start.as_nanos()) / 1_000_000_000
    };
    let (fast, paced) = (rollout_secs(0), rollout_secs(5));
    // One pod at a time: each new pod starts (2 s), becomes ready (3 s), then must stay ready 5 s more.
    assert!(fast >= 4 * 5, "{fast} s without minReadySeconds");
    assert!(paced >= fast + 4 * 5, "{paced} s with minReadySeconds 5 vs {fast} s without");
}

#[test]
fn an_existing_rs_not_yet_cached_is_no_collision() {
    let w = World::new();
    w.store.create(deployment("web", 1, "v1")).unwrap();
    w.sync("web").unwrap();
    let rs = w.rss()[0].clone();
    // The RS is deleted and re-created behind the informer's back: the next sync's create collides
    // with an object the cache does not hold (it saw the deletion, not the re-creation).
    w.store.delete::<ReplicaSet>(NS, &rs.metadata.name, &kwarp::store::DeleteOptions::default()).unwrap();
    w.pump();
    let mut again = (*rs).clone();
    again.metadata.resource_version.clear();
    again.metadata.uid.clear();
    w.store.create(again).unwrap();
    let err = w.controller.sync(&format!("{NS}/web")).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(w.d("web").status.collision_count, None, "not a collision: retried");
    w.sync("web").unwrap();
    assert_eq!(w.d("web").status.collision_count, None);
    assert_eq!(w.rss().len(), 1, "the cached RS is recognised as ours");
}

#[test]
fn rollouts_on_several_threads_keep_the_invariants() {
    let s = Sim::with(3, true);
    let events = s.c.events().unwrap();
    for name in ["a", "b", "c"] {
        s.write(|api| api.create(deployment(name, 8, "v1")).unwrap());
    }
    assert!(s.run(600, |s| ["a", "b", "c"].iter().all(|n| s.complete(n))));
    for name in ["a", "b", "c"] {
        s.update(name, |d| d.spec.template = template(name, "v2"));
    }
    assert!(s.run(600, |s| ["a", "b", "c"].iter().all(|n| s.complete(n) && s.rss(n).len() == 2)));
    let log: Vec<_> = events.try_iter().collect();
    for name in ["a", "b", "c"] {
        audit(&log, name, 8, 2, 2);
        assert_eq!(sizes(&s.rss(name)), [("v1".into(), 0), ("v2".into(), 8)]);
    }
}

#[test]
fn handlers_map_replica_set_and_pod_events_to_deployments() {
    let w = World::new();
    w.store.create(recreate(deployment("web", 1, "v1"))).unwrap();
    w.store.create(deployment("api", 1, "v1")).unwrap();
    w.sync("web").unwrap();
    w.sync("api").unwrap();
    let drain = || {
        w.pump();
        let mut keys = Vec::new();
        while let Some(id) = w.controller.queue().try_get() {
            keys.push(w.controller.enqueuer().key(id).unwrap().to_string());
            w.controller.queue().done(id);
        }
        keys.sort();
        keys
    };
    drain();
    // An orphan RS wakes the Deployments that select it, and only those.
    let mut orphan = ReplicaSet { metadata: ObjectMeta::named(NS, "loose"), ..Default::default() };
    orphan.metadata.labels = labels("api");
    orphan.spec.selector = Some(LabelSelector::from_labels(labels("api")));
    orphan.spec.template = template("api", "x");
    orphan.spec.replicas = Some(0);
    w.store.create(orphan).unwrap();
    assert_eq!(drain(), ["default/api"]);
    // An owned RS's status change wakes its owner.
    let web_rs = w.rss().into_iter().find(|r| r.metadata.name.starts_with("web-")).unwrap();
    let mut st = (*web_rs).clone();
    st.status.replicas = 1;
    w.store.update_status(st).unwrap();
    assert_eq!(drain(), ["default/web"]);
    // Pod deletions wake a Recreate Deployment only once its last pod is gone.
    let mk = |name: &str| {
        let mut p = Pod { metadata: ObjectMeta::named(NS, name), ..Default::default() };
        p.metadata.labels = web_rs.spec.template.metadata.labels.clone();
        p.metadata.owner_references.push(controller_ref(&web_rs.metadata, Kind::ReplicaSet));
        p.spec.containers.push(Container { name: "c".into(), image: "v1".into(), ..Default::default() });
        w.store.create(p).unwrap();
    };
    mk("p1");
    mk("p2");
    drain();
    let now = kwarp::store::DeleteOptions::now();
    w.store.delete::<Pod>(NS, "p1", &now).unwrap();
    assert!(drain().is_empty(), "one pod is left");
    w.store.delete::<Pod>(NS, "p2", &now).unwrap();
    assert_eq!(drain(), ["default/web"]);
}

#[test]
fn an_adopted_rs_with_the_template_is_the_new_one() {
    // §3.g FoundNewReplicaSet; §3.c revisions are never lowered.
    let w = World::new();
    let d = w.store.create(deployment("web", 2, "v1")).unwrap();
    let mut orphan = ReplicaSet { metadata: ObjectMeta::named(NS, "web-kept"), ..Default::default() };
    orphan.spec.template = d.spec.template.clone();
    orphan.spec.template.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "kept".into());
    orphan.metadata.labels = orphan.spec.template.metadata.labels.clone();
    orphan.spec.selector = Some(LabelSelector::from_labels(orphan.metadata.labels.clone()));
    orphan.spec.replicas = Some(2);
    orphan.metadata.annotations.insert(REVISION_ANNOTATION.into(), "3".into());
    w.store.create(orphan).unwrap();
    for _ in 0..3 {
        w.sync("web").unwrap();
    }
    let rss = w.rss();
    assert_eq!(rss.len(), 1, "no RS created");
    assert_eq!(rss[0].metadata.controller_ref().unwrap().uid, d.metadata.uid);
    assert_eq!(rss[0].metadata.annotations[REVISION_ANNOTATION], "3");
    let d = w.d("web");
    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "3");
    assert_eq!(du::get_condition(&d.status, du::PROGRESSING).unwrap().reason, du::FOUND_NEW_RS);
}
