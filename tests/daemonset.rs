//! The DaemonSet controller end to end (SEMANTICS §6, §9.c, §12 invariants 23–28): the whole
//! simulated cluster — store, informers, scheduler, kubelet, controllers — on the virtual clock.
//!
//! Rollout invariants are checked at every quiescent instant of the run: `run_until` calls its
//! condition whenever the system is still, before time moves on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::RuntimeConfig;
use kwarp::api::apps::{ControllerRevision, DaemonSetUpdateStrategy, RollingUpdateDaemonSet};
use kwarp::api::intstr::IntOrString;
use kwarp::api::node_affinity::affinity_target_node_name;
use kwarp::api::pod::{Container, PodPhase};
use kwarp::api::taint::{Taint, TaintEffect, Toleration};
use kwarp::api::{DaemonSet, LabelSelector, Node, ObjectMeta, Pod, Quantity, StringMap, Time};
use kwarp::controllers::daemonset::util::CONTROLLER_REVISION_HASH_LABEL;
use kwarp::sim::{CrashMode, Dist, KubeletConfig};
use kwarp::store::{Client, DeleteOptions};
use kwarp::system::{Cluster, ClusterConfig};

const NS: &str = "default";
const MINUTE: Duration = Duration::from_secs(60);

fn fixed(secs: u64) -> Dist {
    Dist::fixed(Duration::from_secs(secs))
}

fn start(kubelet: KubeletConfig) -> Cluster {
    Cluster::start(ClusterConfig {
        runtime: RuntimeConfig { threads: 1, seed: 7, ..RuntimeConfig::default() },
        kubelet,
        ..ClusterConfig::default()
    })
}

/// Pods start in 1 s and are Ready 2 s later.
fn kubelet() -> KubeletConfig {
    KubeletConfig { startup: fixed(1), ready: fixed(2), ..Default::default() }
}

fn node(name: &str, labels: &[(&str, &str)]) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.metadata.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    n.status.capacity = [("cpu", "8"), ("memory", "64Gi"), ("pods", "110")]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
        .collect();
    n.status.allocatable = n.status.capacity.clone();
    n
}

fn app_labels(app: &str) -> StringMap {
    [("app".to_string(), app.to_string())].into()
}

fn daemon_set(name: &str) -> DaemonSet {
    let mut ds = DaemonSet { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    ds.spec.selector = Some(LabelSelector::from_labels(app_labels(name)));
    ds.spec.template.metadata.labels = app_labels(name);
    ds.spec.template.spec.containers.push(Container {
        name: "c".into(),
        image: "agent:1".into(),
        ..Default::default()
    });
    ds
}

fn rolling(mut ds: DaemonSet, max_unavailable: i32, max_surge: i32) -> DaemonSet {
    ds.spec.update_strategy = Some(DaemonSetUpdateStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateDaemonSet {
            max_unavailable: Some(IntOrString::Int(max_unavailable)),
            max_surge: Some(IntOrString::Int(max_surge)),
        }),
    });
    ds
}

fn set_image(api: &Client, name: &str, image: &str) {
    let image = image.to_string();
    api.patch::<DaemonSet>(NS, name, |ds: &mut DaemonSet| ds.spec.template.spec.containers[0].image = image.clone())
        .unwrap();
}

/// Live (not terminating) pods of DaemonSet `app`.
fn live(api: &Client, app: &str) -> Vec<Arc<Pod>> {
    api.list::<Pod>(&Default::default())
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none() && p.metadata.labels.get("app").is_some_and(|a| a == app))
        .collect()
}

/// Live pods of `app` by the node they target.
fn by_node(api: &Client, app: &str) -> BTreeMap<String, Vec<Arc<Pod>>> {
    let mut out: BTreeMap<String, Vec<Arc<Pod>>> = BTreeMap::new();
    for p in live(api, app) {
        let target = affinity_target_node_name(p.spec.affinity.as_ref()).expect("daemon pods are pinned").to_string();
        out.entry(target).or_default().push(p);
    }
    out
}

fn image(p: &Pod) -> &str {
    &p.spec.containers[0].image
}

/// Every node in `nodes` runs exactly one Ready pod of `app` with `image`, and no other node runs one.
fn converged(api: &Client, app: &str, nodes: &[&str], img: &str) -> bool {
    let pods = by_node(api, app);
    pods.len() == nodes.len()
        && nodes.iter().all(|n| pods.get(*n).is_some_and(|p| p.len() == 1 && p[0].is_ready() && image(&p[0]) == img))
}

fn status(api: &Client, name: &str) -> kwarp::api::apps::DaemonSetStatus {
    api.get::<DaemonSet>(NS, name).unwrap().status.clone()
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("node-{i}")).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn no_errors(cluster: Cluster) {
    let m = cluster.shutdown();
    let dsm = m.controllers.iter().find(|c| c.name == "daemonset").expect("the DaemonSet controller runs");
    assert_eq!(dsm.panics, 0);
}

#[test]
fn one_pod_per_node_and_a_joining_node_gets_its_own() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    let nodes = names(5);
    for n in &nodes {
        api.create(node(n, &[])).unwrap();
    }
    api.create(daemon_set("agent")).unwrap();
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), MINUTE).expect("one pod per node");
    for (target, pods) in by_node(&api, "agent") {
        assert_eq!(pods[0].spec.node_name, target, "the scheduler bound it where its affinity pins it");
        assert_eq!(pods[0].metadata.generate_name, "agent-");
        assert!(pods[0].spec.tolerations.iter().any(|t| t.key == "node.kubernetes.io/unschedulable"));
    }
    rt.run_until(|| status(&api, "agent").number_available == 5, MINUTE).expect("status catches up");
    let st = status(&api, "agent");
    assert_eq!(
        (st.desired_number_scheduled, st.current_number_scheduled, st.number_ready, st.updated_number_scheduled),
        (5, 5, 5, 5)
    );
    assert_eq!((st.number_misscheduled, st.number_unavailable, st.observed_generation), (0, 0, 1));

    api.create(node("node-5", &[])).unwrap();
    let nodes = names(6);
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), MINUTE).expect("the new node gets a pod");
    assert_eq!(live(&api, "agent").len(), 6, "nobody else got a second pod");
    let revisions = api.list::<ControllerRevision>(&Default::default()).items;
    assert_eq!(revisions.len(), 1);
    let hash = revisions[0].metadata.labels[CONTROLLER_REVISION_HASH_LABEL].clone();
    assert_eq!(revisions[0].metadata.name, format!("agent-{hash}"));
    assert!(live(&api, "agent").iter().all(|p| p.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] == hash));
    no_errors(cluster);
}

#[test]
fn node_selector_follows_node_label_changes() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    api.create(node("a", &[("disk", "ssd")])).unwrap();
    api.create(node("b", &[("disk", "ssd")])).unwrap();
    api.create(node("c", &[])).unwrap();
    let mut ds = daemon_set("agent");
    ds.spec.template.spec.node_selector = [("disk".to_string(), "ssd".to_string())].into();
    api.create(ds).unwrap();
    rt.run_until(|| converged(&api, "agent", &["a", "b"], "agent:1"), MINUTE).expect("labelled nodes only");
    api.patch::<Node>("", "c", |n: &mut Node| {
        n.metadata.labels.insert("disk".into(), "ssd".into());
    })
    .unwrap();
    rt.run_until(|| converged(&api, "agent", &["a", "b", "c"], "agent:1"), MINUTE).expect("c joins");
    api.patch::<Node>("", "a", |n: &mut Node| {
        n.metadata.labels.remove("disk");
    })
    .unwrap();
    rt.run_until(|| converged(&api, "agent", &["b", "c"], "agent:1"), MINUTE).expect("a's pod goes");
    rt.run_until(|| status(&api, "agent").desired_number_scheduled == 2, MINUTE).unwrap();
    no_errors(cluster);
}

#[test]
fn taints_keep_intolerant_pods_off_and_no_execute_evicts_them() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    let mut dedicated = node("dedicated", &[]);
    dedicated.spec.taints.push(Taint::new("team", "gpu", TaintEffect::NoSchedule));
    api.create(dedicated).unwrap();
    api.create(node("plain", &[])).unwrap();
    api.create(node("doomed", &[])).unwrap();
    api.create(daemon_set("agent")).unwrap();
    let mut tolerant = daemon_set("gpu");
    tolerant.spec.template.spec.tolerations.push(Toleration::equal("team", "gpu", Some(TaintEffect::NoSchedule)));
    api.create(tolerant).unwrap();
    rt.run_until(
        || {
            converged(&api, "agent", &["doomed", "plain"], "agent:1")
                && converged(&api, "gpu", &["dedicated", "doomed", "plain"], "agent:1")
        },
        MINUTE,
    )
    .expect("the intolerant DS skips the tainted node, the tolerant one does not");
    // A NoSchedule taint on a node with a pod: the pod stays.
    api.patch::<Node>("", "plain", |n: &mut Node| n.spec.taints.push(Taint::new("x", "y", TaintEffect::NoSchedule)))
        .unwrap();
    rt.run_for(MINUTE);
    assert!(by_node(&api, "agent").contains_key("plain"), "NoSchedule does not evict");
    assert_eq!(status(&api, "agent").number_misscheduled, 1);
    // A NoExecute taint: the intolerant pods go.
    api.patch::<Node>("", "doomed", |n: &mut Node| n.spec.taints.push(Taint::new("x", "y", TaintEffect::NoExecute)))
        .unwrap();
    rt.run_until(
        || !by_node(&api, "agent").contains_key("doomed") && !by_node(&api, "gpu").contains_key("doomed"),
        MINUTE,
    )
    .expect("NoExecute evicts");
    no_errors(cluster);
}

#[test]
fn a_failed_daemon_pod_is_replaced() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    api.create(node("n", &[])).unwrap();
    api.create(daemon_set("agent")).unwrap();
    rt.run_until(|| converged(&api, "agent", &["n"], "agent:1"), MINUTE).unwrap();
    let first = live(&api, "agent")[0].metadata.name.clone();
    cluster.kubelet().crash_pod(&format!("{NS}/{first}"), CrashMode::Fail).unwrap();
    rt.run_until(
        || {
            let pods = live(&api, "agent");
            pods.len() == 1 && pods[0].metadata.name != first && pods[0].is_ready()
        },
        MINUTE,
    )
    .expect("replaced");
    no_errors(cluster);
}

/// Nodes of `app` without an available pod.
fn without_available(api: &Client, app: &str, nodes: &[String], min_ready: i32, now: Time) -> usize {
    let pods = by_node(api, app);
    nodes.iter().filter(|n| !pods.get(*n).is_some_and(|p| p.iter().any(|p| p.is_available(min_ready, now)))).count()
}

#[test]
fn rolling_update_with_max_unavailable_never_exceeds_it() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    let nodes = names(7);
    for n in &nodes {
        api.create(node(n, &[])).unwrap();
    }
    api.create(rolling(daemon_set("agent"), 2, 0)).unwrap();
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), MINUTE).unwrap();
    set_image(&api, "agent", "agent:2");
    let mut worst = 0;
    rt.run_until(
        || {
            worst = worst.max(without_available(&api, "agent", &nodes, 0, rt.now()));
            assert!(by_node(&api, "agent").values().all(|p| p.len() <= 1), "no surge");
            converged(&api, "agent", &refs(&nodes), "agent:2")
        },
        10 * MINUTE,
    )
    .expect("rolled out");
    assert_eq!(worst, 2, "two at a time, never more");
    rt.run_until(|| status(&api, "agent").updated_number_scheduled == 7, MINUTE).unwrap();
    assert_eq!(api.list::<ControllerRevision>(&Default::default()).items.len(), 2);
    no_errors(cluster);
}

#[test]
fn rolling_update_with_max_surge_keeps_every_node_available() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    let nodes = names(6);
    for n in &nodes {
        api.create(node(n, &[])).unwrap();
    }
    let mut ds = rolling(daemon_set("agent"), 0, 2);
    ds.spec.min_ready_seconds = Some(5);
    api.create(ds).unwrap();
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), MINUTE).unwrap();
    rt.run_for(MINUTE);
    set_image(&api, "agent", "agent:2");
    let mut most_surging = 0;
    rt.run_until(
        || {
            let now = rt.now();
            assert_eq!(
                without_available(&api, "agent", &nodes, 5, now),
                0,
                "an old pod goes only after its successor is available"
            );
            let pods = by_node(&api, "agent");
            assert!(pods.values().all(|p| p.len() <= 2), "at most one old and one new pod per node");
            let surging = pods.values().filter(|p| p.len() == 2).count();
            most_surging = most_surging.max(surging);
            converged(&api, "agent", &refs(&nodes), "agent:2")
        },
        10 * MINUTE,
    )
    .expect("rolled out");
    assert_eq!(most_surging, 2, "surges two nodes at a time");
    no_errors(cluster);
}

#[test]
fn on_delete_waits_for_manual_deletions() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    let nodes = names(3);
    for n in &nodes {
        api.create(node(n, &[])).unwrap();
    }
    let mut ds = daemon_set("agent");
    ds.spec.update_strategy = Some(DaemonSetUpdateStrategy { type_: "OnDelete".into(), rolling_update: None });
    api.create(ds).unwrap();
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), MINUTE).unwrap();
    set_image(&api, "agent", "agent:2");
    rt.run_for(5 * MINUTE);
    assert!(converged(&api, "agent", &refs(&nodes), "agent:1"), "nothing replaced on its own");
    let victim = by_node(&api, "agent")["node-1"][0].metadata.name.clone();
    api.delete::<Pod>(NS, &victim, &DeleteOptions::default()).unwrap();
    rt.run_until(
        || {
            let pods = by_node(&api, "agent");
            pods.len() == 3
                && pods["node-1"].len() == 1
                && image(&pods["node-1"][0]) == "agent:2"
                && pods["node-1"][0].is_ready()
        },
        MINUTE,
    )
    .expect("the deleted pod comes back from the new template");
    assert_eq!(image(&by_node(&api, "agent")["node-0"][0]), "agent:1");
    rt.run_until(|| status(&api, "agent").updated_number_scheduled == 1, MINUTE).unwrap();
    no_errors(cluster);
}

#[test]
fn rollback_reuses_the_old_revision_with_a_higher_number() {
    let cluster = start(kubelet());
    let rt = cluster.runtime();
    let api = rt.client("test");
    let nodes = names(3);
    for n in &nodes {
        api.create(node(n, &[])).unwrap();
    }
    api.create(rolling(daemon_set("agent"), 1, 0)).unwrap();
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), MINUTE).unwrap();
    let revs = || {
        let mut r: Vec<(i64, String)> = api
            .list::<ControllerRevision>(&Default::default())
            .items
            .iter()
            .map(|r| (r.revision, r.metadata.labels[CONTROLLER_REVISION_HASH_LABEL].clone()))
            .collect();
        r.sort();
        r
    };
    let hash_a = revs()[0].1.clone();
    set_image(&api, "agent", "agent:2");
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:2"), 10 * MINUTE).unwrap();
    let hash_b = revs().iter().find(|r| r.0 == 2).expect("revision 2").1.clone();
    assert_ne!(hash_a, hash_b);
    set_image(&api, "agent", "agent:1");
    rt.run_until(|| converged(&api, "agent", &refs(&nodes), "agent:1"), 10 * MINUTE).unwrap();
    assert_eq!(revs(), vec![(2, hash_b), (3, hash_a.clone())], "A is reused as revision 3");
    assert!(live(&api, "agent").iter().all(|p| p.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] == hash_a));
    let pods = live(&api, "agent");
    assert!(pods.iter().all(|p| p.phase() == PodPhase::Running));
    no_errors(cluster);
}

#[test]
fn event_log_pods_pin_one_existing_node_and_status_arithmetic_holds() {
    let cluster = Cluster::start(ClusterConfig {
        runtime: RuntimeConfig { threads: 1, seed: 7, ..RuntimeConfig::default() },
        kubelet: kubelet(),
        record_events: true,
        ..ClusterConfig::default()
    });
    let rt = cluster.runtime();
    let api = rt.client("test");
    for i in 0..4 {
        api.create(node(&format!("node-{i}"), &[])).unwrap();
    }
    api.create(rolling(daemon_set("agent"), 1, 0)).unwrap();
    rt.run_until(|| converged(&api, "agent", &["node-0", "node-1", "node-2", "node-3"], "agent:1"), MINUTE).unwrap();
    for i in 4..8 {
        api.create(node(&format!("node-{i}"), &[])).unwrap();
        rt.run_for(Duration::from_secs(1));
    }
    api.delete::<Node>("", "node-0", &DeleteOptions::default()).unwrap();
    set_image(&api, "agent", "agent:2");
    let all = names(8);
    rt.run_until(|| converged(&api, "agent", &refs(&all[1..]), "agent:2"), 10 * MINUTE).expect("rolled out");
    rt.settle();
    let events: Vec<_> = cluster.events().expect("recording").try_iter().collect();
    let mut nodes = std::collections::BTreeSet::new();
    let (mut pods_checked, mut statuses_checked) = (0, 0);
    for ev in &events {
        let obj = ev.object.as_any();
        if let Some(n) = obj.downcast_ref::<Node>() {
            match ev.type_ {
                kwarp::store::EventType::Deleted => nodes.remove(&n.metadata.name),
                _ => nodes.insert(n.metadata.name.clone()),
            };
        } else if let (Some(p), kwarp::store::EventType::Added) = (obj.downcast_ref::<Pod>(), ev.type_) {
            let terms = &p.spec.affinity.as_ref().unwrap().node_affinity.as_ref().unwrap();
            let required = terms.required_during_scheduling_ignored_during_execution.as_ref().unwrap();
            assert_eq!(required.node_selector_terms.len(), 1, "one term");
            let target = affinity_target_node_name(p.spec.affinity.as_ref()).expect("pinned by metadata.name");
            assert!(nodes.contains(target), "{} created for {target}, which did not exist", p.metadata.name);
            pods_checked += 1;
        } else if let Some(ds) = obj.downcast_ref::<DaemonSet>() {
            let s = &ds.status;
            assert_eq!(s.number_unavailable, s.desired_number_scheduled - s.number_available, "{s:?}");
            assert!(s.number_available <= s.number_ready && s.number_ready <= s.current_number_scheduled, "{s:?}");
            assert!(s.current_number_scheduled <= s.desired_number_scheduled, "{s:?}");
            statuses_checked += 1;
        }
    }
    assert!(pods_checked >= 15 && statuses_checked > 10, "{pods_checked} pods, {statuses_checked} statuses");
    no_errors(cluster);
}

// ---------------------------------------------------------------- the reconciler driven by hand

mod by_hand {
    //! The reconciler on a real store and informers pumped by hand, through a recording
    //! client; no scheduler, no kubelet (pods stay where their affinity pins them, unbound).

    use std::sync::Arc;

    use kwarp::actors::Component;
    use kwarp::api::apps::ControllerRevision;
    use kwarp::api::pod::{Condition, ConditionStatus};
    use kwarp::api::{DaemonSet, Kind, Node, Pod};
    use kwarp::clock::{Clock, VirtualClock};
    use kwarp::controllers::daemonset::util::CONTROLLER_REVISION_HASH_LABEL;
    use kwarp::controllers::{Controller, DaemonSetController, FakeClient};
    use kwarp::informer::SharedInformerFactory;
    use kwarp::store::{Store, StoreOptions, Verb};

    use super::{daemon_set, node, NS};

    type Dsc = DaemonSetController<Arc<FakeClient>>;

    struct World {
        clock: Arc<VirtualClock>,
        store: Arc<Store>,
        fake: Arc<FakeClient>,
        informers: SharedInformerFactory,
        controller: Arc<Controller<Dsc>>,
    }

    impl World {
        fn new(nodes: usize) -> World {
            let clock = Arc::new(VirtualClock::new());
            let store = Store::new(clock.clone(), StoreOptions::default());
            let fake = Arc::new(FakeClient::new(store.client("daemon-set-controller")));
            let informers = SharedInformerFactory::new(store.client("informers"));
            let dsc = DaemonSetController::new(fake.clone(), clock.clone());
            let controller = Controller::new(Arc::new(dsc), &informers, clock.clone(), 1);
            for i in 0..nodes {
                store.create(node(&format!("node-{i}"), &[])).unwrap();
            }
            let w = World { clock, store, fake, informers, controller };
            w.pump();
            w
        }

        fn pump(&self) {
            while self.informers.pump_all() > 0 {}
        }

        fn dsc(&self) -> &Dsc {
            self.controller.reconciler()
        }

        /// Pump and reconcile until nothing is queued (no timers fired).
        fn settle(&self) {
            for _ in 0..10_000 {
                self.pump();
                if self.controller.run_ready(64) == 0 && !self.informers.has_pending() {
                    return;
                }
            }
            panic!("did not settle");
        }

        fn creates(&self) -> usize {
            self.fake.take_calls().iter().filter(|c| c.verb == Verb::Create && c.kind == Kind::Pod).count()
        }

        fn pods(&self) -> Vec<Arc<Pod>> {
            self.store.client("t").list::<Pod>(&Default::default()).items
        }

        fn ds(&self) -> Arc<DaemonSet> {
            self.store.get(NS, "agent").unwrap()
        }

        /// Marks every pod Ready (as a kubelet would), through the store.
        fn make_ready(&self) {
            for p in self.pods() {
                if p.is_ready() {
                    continue;
                }
                let mut next = (*p).clone();
                next.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", self.clock.now()));
                self.store.update_status(next).unwrap();
            }
        }
    }

    #[test]
    fn a_node_join_revisits_only_that_node() {
        let w = World::new(50);
        w.store.create(daemon_set("agent")).unwrap();
        w.settle();
        assert_eq!(w.creates(), 50);
        w.make_ready();
        w.settle();
        let (full_before, _) = w.dsc().sync_counts();
        let st = &w.ds().status;
        assert_eq!((st.desired_number_scheduled, st.current_number_scheduled, st.number_ready), (50, 50, 50));

        w.store.create(node("node-50", &[])).unwrap();
        w.settle();
        assert_eq!(w.creates(), 1, "one pod, for the new node");
        w.make_ready();
        w.settle();
        let (full, marked) = w.dsc().sync_counts();
        assert_eq!(full, full_before, "no sync visited every node");
        assert!(marked > 0);
        let st = &w.ds().status;
        assert_eq!(
            (st.desired_number_scheduled, st.current_number_scheduled, st.number_ready, st.number_available),
            (51, 51, 51, 51)
        );
        assert_eq!((st.number_misscheduled, st.number_unavailable, st.updated_number_scheduled), (0, 0, 51));
        // A deleted node's share leaves the status too (its pod stays: pod GC removes it).
        w.store.delete::<Node>("", "node-7", &Default::default()).unwrap();
        w.settle();
        assert_eq!(w.ds().status.desired_number_scheduled, 50);
        assert_eq!(w.dsc().sync_counts().0, full_before);
    }

    #[test]
    fn creations_come_250_per_sync_until_every_node_has_its_pod() {
        let w = World::new(600);
        w.store.create(daemon_set("agent")).unwrap();
        w.pump();
        w.controller.sync(&format!("{NS}/agent")).unwrap();
        assert_eq!(w.creates(), 250, "the burst");
        w.settle();
        assert_eq!(w.creates(), 350);
        assert_eq!(w.pods().len(), 600);
    }

    #[test]
    fn status_only_node_updates_enqueue_nothing() {
        let w = World::new(3);
        w.store.create(daemon_set("agent")).unwrap();
        w.settle();
        let mut n = (*w.store.get::<Node>("", "node-0").unwrap()).clone();
        n.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", w.clock.now()));
        w.store.update_status(n).unwrap();
        w.pump();
        assert_eq!(w.controller.queue().len(), 0, "a heartbeat is not a reason to sync");
        w.store
            .client("t")
            .patch::<Node>("", "node-0", |n: &mut Node| {
                n.spec.taints.push(kwarp::api::taint::Taint::new("k", "v", kwarp::api::taint::TaintEffect::NoExecute))
            })
            .unwrap();
        w.pump();
        assert_eq!(w.controller.queue().len(), 1, "a verdict moved");
        w.settle();
        assert_eq!(w.pods().iter().filter(|p| p.metadata.deletion_timestamp.is_none()).count(), 2);
    }

    #[test]
    fn unsatisfied_expectations_write_status_without_raising_observed_generation() {
        let w = World::new(3);
        w.store.create(daemon_set("agent")).unwrap();
        w.pump();
        w.controller.sync(&format!("{NS}/agent")).unwrap();
        assert_eq!(w.creates(), 3);
        assert_eq!(w.ds().status.observed_generation, 1);
        w.store
            .client("t")
            .patch::<DaemonSet>(NS, "agent", |ds: &mut DaemonSet| {
                ds.spec.template.spec.containers[0].image = "agent:2".into()
            })
            .unwrap();
        w.informers.informer::<DaemonSet>().pump(); // the pods' add events are still pending
        assert_eq!(w.ds().metadata.generation, 2);
        w.controller.sync(&format!("{NS}/agent")).unwrap();
        assert_eq!(w.creates(), 0, "creations in flight: no new decision");
        assert_eq!(w.ds().status.observed_generation, 1, "generation 2 not acted on yet");
        w.settle();
        assert_eq!(w.ds().status.observed_generation, 2);
    }

    #[test]
    fn status_is_written_only_when_it_changes() {
        let w = World::new(2);
        w.store.create(daemon_set("agent")).unwrap();
        w.settle();
        w.fake.take_calls();
        w.controller.sync(&format!("{NS}/agent")).unwrap();
        w.controller.sync(&format!("{NS}/agent")).unwrap();
        assert!(w.fake.take_calls().is_empty(), "nothing changed: no write at all");
    }

    #[test]
    fn a_failed_create_skips_the_rest_of_the_slow_start_and_lowers_expectations() {
        let w = World::new(10);
        w.store.create(daemon_set("agent")).unwrap();
        w.pump();
        // Batches 1, 2, 4, 3: the second call (first of batch 2) fails; batch 2 finishes, then stop.
        w.fake.fail_after(Verb::Create, Kind::Pod, 1, 1, FakeClient::<kwarp::store::Client>::injected(Kind::Pod));
        assert!(w.controller.sync(&format!("{NS}/agent")).is_err());
        assert_eq!(w.creates(), 3, "batch 1 and batch 2 (one failed)");
        let id = w.controller.enqueuer().intern(&format!("{NS}/agent"));
        assert_eq!(w.dsc().expectations().get(&id).map(|e| e.add), Some(2), "only the 2 made are awaited");
        w.settle();
        let live = w.pods().len();
        assert_eq!(live, 10);
    }

    #[test]
    fn an_orphan_on_a_node_is_adopted_instead_of_duplicated() {
        let w = World::new(2);
        let mut orphan = Pod { metadata: kwarp::api::ObjectMeta::named(NS, "stray"), ..Default::default() };
        orphan.metadata.labels = super::app_labels("agent");
        orphan.spec.node_name = "node-0".into();
        orphan.spec.containers = daemon_set("agent").spec.template.spec.containers;
        w.store.create(orphan).unwrap();
        w.store.create(daemon_set("agent")).unwrap();
        w.settle();
        let pods = w.pods();
        assert_eq!(pods.len(), 2);
        let stray = pods.iter().find(|p| p.metadata.name == "stray").unwrap();
        assert_eq!(stray.metadata.controller_ref().map(|r| r.name.as_str()), Some("agent"));
    }

    #[test]
    fn old_revisions_beyond_the_limit_go_unless_a_live_pod_carries_their_hash() {
        let w = World::new(1);
        let mut ds = daemon_set("agent");
        ds.spec.revision_history_limit = Some(1);
        ds.spec.update_strategy =
            Some(kwarp::api::apps::DaemonSetUpdateStrategy { type_: "OnDelete".into(), rolling_update: None });
        w.store.create(ds).unwrap();
        w.settle();
        let first_hash = w.pods()[0].metadata.labels[CONTROLLER_REVISION_HASH_LABEL].clone();
        for image in ["agent:2", "agent:3", "agent:4"] {
            let image = image.to_string();
            w.store
                .client("t")
                .patch::<DaemonSet>(NS, "agent", move |ds: &mut DaemonSet| {
                    ds.spec.template.spec.containers[0].image = image.clone()
                })
                .unwrap();
            w.settle();
        }
        let revs = w.store.client("t").list::<ControllerRevision>(&Default::default()).items;
        let mut numbers: Vec<(i64, String)> =
            revs.iter().map(|r| (r.revision, r.metadata.labels[CONTROLLER_REVISION_HASH_LABEL].clone())).collect();
        numbers.sort();
        // Limit 1: one old revision stays — revision 1, the oldest, because the OnDelete pod still
        // runs it; 2 and 3 went in turn as each exceeded the limit.
        assert_eq!(numbers.iter().map(|n| n.0).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(numbers[0].1, first_hash);
    }

    #[test]
    fn a_revision_name_taken_by_other_data_bumps_the_collision_count() {
        let w = World::new(1);
        let ds = w.store.create(daemon_set("agent")).unwrap();
        let hash = kwarp::api::hash::compute_hash(&ds.spec.template, None);
        let squatter = ControllerRevision {
            metadata: kwarp::api::ObjectMeta::named(NS, format!("agent-{hash}")),
            data: serde_json::json!({"something": "else"}),
            ..Default::default()
        };
        w.store.create(squatter).unwrap();
        w.settle();
        let ds = w.ds();
        assert_eq!(ds.status.collision_count, Some(1));
        let hash1 = kwarp::api::hash::compute_hash(&ds.spec.template, Some(1));
        assert_ne!(hash, hash1);
        let rev = w.store.get::<ControllerRevision>(NS, &format!("agent-{hash1}")).expect("the next name");
        assert_eq!(rev.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL), Some(&hash1));
        assert!(w.pods().iter().all(|p| p.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL) == Some(&hash1)));
        assert_eq!(w.pods().len(), 1);
    }

    #[test]
    fn duplicate_current_revisions_keep_the_highest_and_pods_are_relabelled() {
        let w = World::new(2);
        w.store.create(daemon_set("agent")).unwrap();
        w.settle();
        let rev = w.store.client("t").list::<ControllerRevision>(&Default::default()).items.pop().unwrap();
        let mut dup = (*rev).clone();
        dup.metadata = kwarp::api::ObjectMeta::named(NS, "agent-dup");
        dup.metadata.labels = rev.metadata.labels.clone();
        dup.metadata.labels.insert(CONTROLLER_REVISION_HASH_LABEL.into(), "dup".into());
        dup.metadata.owner_references = rev.metadata.owner_references.clone();
        dup.revision = 5;
        w.store.create(dup).unwrap();
        w.settle();
        let revs = w.store.client("t").list::<ControllerRevision>(&Default::default()).items;
        assert_eq!(revs.len(), 1);
        assert_eq!((revs[0].metadata.name.as_str(), revs[0].revision), ("agent-dup", 5));
        assert!(w.pods().iter().all(|p| p.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] == "dup"));
        assert_eq!(w.ds().status.updated_number_scheduled, 2);
    }

    #[test]
    fn a_revision_without_the_hash_label_is_labelled_with_its_name() {
        let w = World::new(1);
        w.store.create(daemon_set("agent")).unwrap();
        w.settle();
        let rev = w.store.client("t").list::<ControllerRevision>(&Default::default()).items.pop().unwrap();
        let name = rev.metadata.name.clone();
        let mut legacy = (*rev).clone();
        legacy.metadata.labels.remove(CONTROLLER_REVISION_HASH_LABEL);
        w.store.update(legacy).unwrap();
        w.settle();
        let rev = w.store.get::<ControllerRevision>(NS, &name).unwrap();
        assert_eq!(rev.metadata.labels.get(CONTROLLER_REVISION_HASH_LABEL), Some(&name));
    }
}

// ---------------------------------------------------------------- scale (timed; run with --release --ignored)

mod scale {
    //! The performance targets, timed in wall time. Ignored by default: they make
    //! sense only in a release build (`cargo test --release --test daemonset -- --ignored --nocapture`).

    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use kwarp::actors::Component;
    use kwarp::api::pod::{Condition, ConditionStatus};
    use kwarp::api::{DaemonSet, Kind, ObjectMeta, OwnerReference, Pod};
    use kwarp::clock::{Clock, VirtualClock};
    use kwarp::controllers::{Controller, DaemonSetController, FakeClient};
    use kwarp::informer::SharedInformerFactory;
    use kwarp::sim::KubeletConfig;
    use kwarp::store::{Store, StoreOptions};

    use super::{by_node, daemon_set, live, node, start, NS};

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    #[ignore = "timing; run in release"]
    fn fifteen_thousand_daemon_pods_on_five_thousand_nodes() {
        let cluster = start(KubeletConfig { startup: Default::default(), ..Default::default() });
        let rt = cluster.runtime();
        let api = rt.client("test");
        for i in 0..5_000 {
            api.create(node(&format!("node-{i}"), &[])).unwrap();
        }
        rt.run_until(|| true, HOUR).unwrap();
        let t = Instant::now();
        for name in ["a", "b", "c"] {
            api.create(daemon_set(name)).unwrap();
        }
        // Checked at every quiescent instant: read the three statuses, not 15,000 pods.
        let ready = |a: &str| api.get::<DaemonSet>(NS, a).map_or(0, |ds| ds.status.number_ready);
        rt.run_until(|| ["a", "b", "c"].iter().all(|a| ready(a) == 5_000), HOUR).expect("15,000 pods Ready");
        eprintln!("15,000 daemon pods created, scheduled and Ready in {:?} wall", t.elapsed());
        assert_eq!(live(&api, "a").len(), 5_000);
        cluster.shutdown();
    }

    #[test]
    #[ignore = "timing; run in release"]
    fn five_thousand_nodes_join_one_at_a_time() {
        let cluster = start(KubeletConfig { startup: Default::default(), ..Default::default() });
        let rt = cluster.runtime();
        let api = rt.client("test");
        api.create(daemon_set("agent")).unwrap();
        rt.run_until(|| true, HOUR).unwrap();
        let t = Instant::now();
        for i in 0..5_000 {
            let name = format!("node-{i}");
            api.create(node(&name, &[])).unwrap();
            let ready = || api.get::<DaemonSet>(NS, "agent").map_or(0, |ds| ds.status.number_ready);
            rt.run_until(|| ready() == i + 1, HOUR).unwrap();
            if i % 1000 == 999 {
                eprintln!("{} joins: {:?}", i + 1, t.elapsed());
            }
        }
        eprintln!("5,000 joins, each waiting for its pod: {:?} wall", t.elapsed());
        assert_eq!(by_node(&api, "agent").len(), 5_000);
        cluster.shutdown();
    }

    #[test]
    #[ignore = "timing; run in release"]
    fn steady_sync_over_ten_thousand_nodes() {
        let clock = Arc::new(VirtualClock::new());
        let store = Store::new(clock.clone(), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("daemon-set-controller")));
        let informers = SharedInformerFactory::new(store.client("informers"));
        let dsc = DaemonSetController::new(fake.clone(), clock.clone());
        let controller = Controller::new(Arc::new(dsc), &informers, clock.clone(), 1);
        for i in 0..10_000 {
            store.create(node(&format!("node-{i}"), &[])).unwrap();
        }
        // 100,000 unrelated pods, controlled by something else.
        let other = OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "web".into(),
            uid: "rs-uid".into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        };
        for i in 0..100_000 {
            let mut p = Pod { metadata: ObjectMeta::named(NS, format!("web-{i}")), ..Default::default() };
            p.metadata.labels = super::app_labels("web");
            p.metadata.owner_references.push(other.clone());
            p.spec.containers = daemon_set("web").spec.template.spec.containers;
            p.spec.node_name = format!("node-{}", i % 10_000);
            store.create(p).unwrap();
        }
        store.create(daemon_set("agent")).unwrap();
        let pump = || while informers.pump_all() > 0 {};
        let settle = || {
            for _ in 0..100_000 {
                pump();
                if controller.run_ready(64) == 0 && !informers.has_pending() {
                    return;
                }
            }
        };
        settle();
        for p in store.client("t").list::<Pod>(&Default::default()).items {
            if p.metadata.labels.get("app").is_some_and(|a| a == "agent") {
                let mut next = (*p).clone();
                next.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "", "", clock.now()));
                store.update_status(next).unwrap();
            }
        }
        settle();
        let key = format!("{NS}/agent");
        let id = controller.enqueuer().intern(&key);
        let dsc = controller.reconciler();
        fake.take_calls();
        let n = 20;
        let t = Instant::now();
        for _ in 0..n {
            dsc.invalidate(id, true, "");
            controller.sync(&key).unwrap();
        }
        let full = t.elapsed() / n;
        let t = Instant::now();
        for i in 0..n {
            dsc.invalidate(id, false, &format!("node-{i}"));
            controller.sync(&key).unwrap();
        }
        let marked = t.elapsed() / n;
        eprintln!(
            "steady sync, 10k nodes + 10k daemon pods + 100k other pods: full {full:?}, one marked node {marked:?}"
        );
        assert_eq!(fake.take_calls().iter().filter(|c| c.kind == Kind::Pod).count(), 0, "steady: no pod writes");
    }
}
