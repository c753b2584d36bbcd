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
