//! The whole simulated cluster — store, informers, scheduler, kubelet and the
//! ReplicaSet controller hosted on the actor runtime — on the virtual clock.
//! Every test ends by checking that every informer cache agrees with the store.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::{RuntimeBuilder, RuntimeConfig};
use kwarp::api::pod::{find_condition, ConditionStatus, Container, PodPhase};
use kwarp::api::{LabelSelector, Node, ObjectMeta, Pod, Quantity, ReplicaSet, StringMap};
use kwarp::controllers::{Action, Controller, Ctx, Enqueuer, ReplicaSetController, Result};
use kwarp::informer::{EventHandler, SharedInformerFactory};
use kwarp::sim::{Dist, KubeletConfig};
use kwarp::store::{Client, DeleteOptions};
use kwarp::system::{Cluster, ClusterConfig};

const NS: &str = "default";
const MINUTE: Duration = Duration::from_secs(60);

fn config(kubelet: KubeletConfig) -> ClusterConfig {
    ClusterConfig {
        runtime: RuntimeConfig { threads: 1, seed: 42, ..RuntimeConfig::default() },
        kubelet,
        ..ClusterConfig::default()
    }
}

fn fixed(secs: u64) -> Dist {
    Dist::fixed(Duration::from_secs(secs))
}

fn node(name: &str, cpu: &str, pods: &str) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.capacity = [("cpu", cpu), ("memory", "64Gi"), ("pods", pods)]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
        .collect();
    n.status.allocatable = n.status.capacity.clone();
    n
}

fn labels() -> StringMap {
    [("app".to_string(), "web".to_string())].into()
}

fn replica_set(name: &str, replicas: i32, cpu: &str) -> ReplicaSet {
    let mut rs = ReplicaSet { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    rs.spec.replicas = Some(replicas);
    rs.spec.selector = Some(LabelSelector { match_labels: labels(), ..Default::default() });
    rs.spec.template.metadata.labels = labels();
    let mut c = Container { name: "app".into(), image: "nginx".into(), ..Default::default() };
    if !cpu.is_empty() {
        c.resources.requests.insert("cpu".into(), Quantity::parse(cpu).unwrap());
    }
    rs.spec.template.spec.containers.push(c);
    rs
}

fn pods(api: &Client) -> Vec<Arc<Pod>> {
    api.list::<Pod>(&Default::default()).items
}

fn live(api: &Client) -> Vec<Arc<Pod>> {
    pods(api).into_iter().filter(|p| p.metadata.deletion_timestamp.is_none()).collect()
}

fn ready_count(api: &Client) -> usize {
    live(api).iter().filter(|p| p.is_ready()).count()
}

fn names(pods: impl IntoIterator<Item = Arc<Pod>>) -> BTreeSet<String> {
    pods.into_iter().map(|p| p.metadata.name.clone()).collect()
}

fn scale(api: &Client, name: &str, replicas: i32) {
    api.patch::<ReplicaSet>(NS, name, |rs: &mut ReplicaSet| rs.spec.replicas = Some(replicas)).unwrap();
}

fn assert_caches_agree(informers: &SharedInformerFactory) {
    let diffs = informers.diff_with_store();
    assert!(diffs.is_empty(), "informer caches differ from the store: {diffs:#?}");
}

#[test]
fn replicas_converge_and_deleted_pods_are_replaced() {
    let cluster = Cluster::start(config(KubeletConfig { startup: fixed(1), ready: fixed(2), ..Default::default() }));
    let rt = cluster.runtime();
    let api = rt.client("test");
    for i in 0..10 {
        api.create(node(&format!("node-{i}"), "8", "110")).unwrap();
    }
    api.create(replica_set("web", 50, "100m")).unwrap();
    rt.run_until(|| ready_count(&api) == 50, 10 * MINUTE).expect("50 pods Ready");
    let before = names(live(&api));
    let victims: Vec<String> = before.iter().take(10).cloned().collect();
    for v in &victims {
        api.delete::<Pod>(NS, v, &DeleteOptions::default()).unwrap();
    }
    rt.run_until(|| ready_count(&api) == 50 && pods(&api).len() == 50, 10 * MINUTE).expect("replaced");
    let after = names(live(&api));
    assert!(victims.iter().all(|v| !after.contains(v)), "the deleted pods are gone");
    assert_eq!(after.difference(&before).count(), 10, "ten new pods replace them");
    let rs = api.get::<ReplicaSet>(NS, "web").unwrap();
    assert_eq!((rs.status.replicas, rs.status.ready_replicas, rs.status.available_replicas), (50, 50, 50));
    rt.settle();
    assert_caches_agree(rt.informers());
    let m = cluster.shutdown();
    let rsm = m.controllers.iter().find(|c| c.name == "replicaset").unwrap();
    assert_eq!((rsm.errors, rsm.panics), (0, 0));
}

#[test]
fn scale_down_deletes_unscheduled_then_pending_then_not_ready_pods_first() {
    // Start-up 10 s, then Ready 10 s later: pods bound at t≈0 are Running but
    // not Ready until t=20; pods bound at t≈14 are Pending until t≈24.
    let kubelet = KubeletConfig { startup: fixed(10), ready: fixed(10), ..Default::default() };
    let cluster = Cluster::start(config(kubelet));
    let rt = cluster.runtime();
    let api = rt.client("test");
    api.create(node("a", "4", "4")).unwrap();
    api.create(replica_set("web", 4, "")).unwrap();
    rt.run_for(Duration::from_secs(12));
    let not_ready = names(live(&api));
    assert_eq!(not_ready.len(), 4);
    assert!(live(&api).iter().all(|p| p.phase() == PodPhase::Running && !p.is_ready()));
    // Four more: node "a" is full, so they stay unscheduled ...
    scale(&api, "web", 8);
    rt.run_for(Duration::from_secs(1));
    // ... until node "b" joins with room for two, which stay Pending.
    // (Back-off of the parked pods: 1 s, then 2 s.)
    api.create(node("b", "4", "2")).unwrap();
    rt.run_for(Duration::from_secs(3));
    let all = live(&api);
    let pending = names(all.iter().filter(|p| !p.spec.node_name.is_empty() && p.phase() == PodPhase::Pending).cloned());
    let unscheduled = names(all.iter().filter(|p| p.spec.node_name.is_empty()).cloned());
    assert_eq!((pending.len(), unscheduled.len()), (2, 2), "pending {pending:?}, unscheduled {unscheduled:?}");
    let unsched =
        find_condition(&all.iter().find(|p| p.spec.node_name.is_empty()).unwrap().status.conditions, "PodScheduled")
            .cloned()
            .unwrap();
    assert_eq!((unsched.status, unsched.reason.as_str()), (ConditionStatus::False, "Unschedulable"));

    // 8 → 5: both unscheduled pods and one pending pod go.
    scale(&api, "web", 5);
    rt.settle();
    let left = names(live(&api));
    assert_eq!(left.len(), 5);
    assert!(unscheduled.iter().all(|p| !left.contains(p)), "unscheduled pods are deleted first");
    assert_eq!(pending.iter().filter(|p| left.contains(*p)).count(), 1, "then pending ones");
    assert!(not_ready.is_subset(&left), "not-ready running pods are kept");
    // 5 → 3: the last pending pod, then one not-ready pod.
    scale(&api, "web", 3);
    rt.settle();
    let left = names(live(&api));
    assert_eq!(left.len(), 3);
    assert!(pending.iter().all(|p| !left.contains(p)));
    assert!(left.is_subset(&not_ready));
    rt.run_until(|| ready_count(&api) == 3 && pods(&api).len() == 3, 10 * MINUTE).expect("converges");
    assert_caches_agree(rt.informers());
    cluster.shutdown();
}

#[test]
fn an_unschedulable_pod_stays_pending_with_the_condition_until_a_node_fits() {
    let cluster = Cluster::start(config(KubeletConfig::default()));
    let rt = cluster.runtime();
    let api = rt.client("test");
    api.create(node("small-0", "4", "110")).unwrap();
    api.create(node("small-1", "4", "110")).unwrap();
    api.create(replica_set("big", 1, "8")).unwrap();
    rt.run_for(10 * MINUTE);
    let pod = live(&api).pop().expect("the ReplicaSet created its pod");
    assert_eq!((pod.spec.node_name.as_str(), pod.phase()), ("", PodPhase::Pending));
    let c = find_condition(&pod.status.conditions, "PodScheduled").cloned().unwrap();
    assert_eq!((c.status, c.reason.as_str()), (ConditionStatus::False, "Unschedulable"));
    assert_eq!(c.message, "0/2 nodes are available: 2 Insufficient cpu.");
    api.create(node("large", "16", "110")).unwrap();
    rt.run_until(|| ready_count(&api) == 1, MINUTE).expect("placed once a node fits");
    let pod = api.get::<Pod>(NS, &pod.metadata.name).unwrap();
    assert_eq!(pod.spec.node_name, "large");
    let c = find_condition(&pod.status.conditions, "PodScheduled").cloned().unwrap();
    assert_eq!(c.status, ConditionStatus::True);
    assert_caches_agree(rt.informers());
    cluster.shutdown();
}

/// Panics on every reconcile of ReplicaSets named "boom"; counts the others.
struct Boom {
    calm: AtomicU64,
}

impl kwarp::controllers::Reconciler for Boom {
    fn name(&self) -> &'static str {
        "boom"
    }
    fn reconcile(&self, key: &str, _ctx: &Ctx<'_>) -> Result<Action> {
        if key.ends_with("/boom") {
            panic!("reconciling {key} blew up");
        }
        self.calm.fetch_add(1, Ordering::Relaxed);
        Ok(Action::Done)
    }
    fn register(self: &Arc<Self>, informers: &SharedInformerFactory, queue: Enqueuer) {
        informers.informer::<ReplicaSet>().add_event_handler(Arc::new(BoomHandler(queue)));
    }
}

struct BoomHandler(Enqueuer);

impl EventHandler<ReplicaSet> for BoomHandler {
    fn on_add(&self, rs: &Arc<ReplicaSet>) {
        self.0.add_ns_name(&rs.metadata.namespace, &rs.metadata.name);
    }
    fn on_update(&self, _old: &Arc<ReplicaSet>, cur: &Arc<ReplicaSet>) {
        self.on_add(cur);
    }
    fn on_delete(&self, _rs: &Arc<ReplicaSet>) {}
}

#[test]
fn a_panicking_reconciler_is_caught_retried_and_does_not_stop_the_others() {
    let cfg = config(KubeletConfig::default());
    let mut b = RuntimeBuilder::new(cfg.runtime.clone());
    let clock = b.clock.clock();
    let scheduler = kwarp::sim::Scheduler::new(&b.informers, b.store.client("scheduler"), clock.clone(), cfg.scheduler);
    let kubelet = kwarp::sim::Kubelet::new(&b.informers, b.store.client("kubelet"), clock.clone(), cfg.kubelet, 42);
    let rsc = ReplicaSetController::new(b.store.client("replicaset-controller"), clock.clone());
    let rs = Controller::new(Arc::new(rsc), &b.informers, clock.clone(), 2);
    let boom = Arc::new(Boom { calm: AtomicU64::new(0) });
    let boom_controller = Controller::new(boom.clone(), &b.informers, clock, 2);
    b.add(scheduler);
    b.add(kubelet);
    b.add(rs.clone());
    b.add(boom_controller.clone());
    let rt = b.start();
    let api = rt.client("test");
    api.create(node("n", "64", "110")).unwrap();
    api.create(replica_set("boom", 3, "")).unwrap();
    let mut calm = replica_set("calm", 3, "");
    calm.spec.selector =
        Some(LabelSelector { match_labels: [("app".into(), "calm".into())].into(), ..Default::default() });
    calm.spec.template.metadata.labels = [("app".to_string(), "calm".to_string())].into();
    api.create(calm).unwrap();
    // The panicking key is retried through the rate limiter (5 ms doubling, capped at 1000 s).
    rt.run_until(|| boom_controller.metrics().panics >= 5, 10 * MINUTE).expect("the panic is retried");
    rt.run_until(|| ready_count(&api) == 6, MINUTE).expect("the other controllers keep working");
    assert!(boom.calm.load(Ordering::Relaxed) >= 1, "the same controller still reconciles other keys");
    let m = boom_controller.metrics();
    assert_eq!(m.errors, 0);
    assert!(m.panics >= 5 && m.reconciles > m.panics, "{m:?}");
    assert_eq!(rs.metrics().panics, 0);
    rt.settle();
    assert_caches_agree(rt.informers());
    rt.shutdown();
}
