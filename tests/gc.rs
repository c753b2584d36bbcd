//! The garbage collector and PodGC end to end (SEMANTICS §10.b, §12.42): a whole
//! `kwarp::system::Cluster` — ReplicaSet controller, scheduler, kubelet, GC, PodGC —
//! on the virtual clock. Writes go through a test client inside `exclusive`;
//! `run_until` moves cluster time. No sleeps.

use std::sync::Arc;
use std::time::Duration;

use kwarp::actors::RuntimeConfig;
use kwarp::api::pod::{Condition, ConditionStatus, Container, RestartPolicy};
use kwarp::api::{
    Deployment, Kind, LabelSelector, Node, ObjectMeta, OwnerReference, Pod, Quantity, ReplicaSet, StringMap, Time,
};
use kwarp::controllers::pod_control::controller_ref;
use kwarp::sim::{Dist, KubeletConfig};
use kwarp::store::{Client, DeleteOptions, ListOptions, Propagation, Verb, FINALIZER_FOREGROUND};
use kwarp::system::{Cluster, ClusterConfig};

const NS: &str = "default";
const MINUTE: Duration = Duration::from_secs(60);
const GC: &str = "generic-garbage-collector";
const PODGC: &str = "pod-garbage-collector";

struct Env {
    cluster: Cluster,
    api: Client,
}

fn labels(app: &str) -> StringMap {
    [("app".to_string(), app.to_string())].into()
}

fn node(name: &str) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.capacity = [("cpu", "8"), ("memory", "32Gi"), ("pods", "110")]
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
        .collect();
    n.status.allocatable = n.status.capacity.clone();
    n.status.conditions.push(Condition::new("Ready", ConditionStatus::True, "KubeletReady", "", Time::default()));
    n
}

fn replica_set(name: &str, replicas: i32) -> ReplicaSet {
    let mut rs = ReplicaSet { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    rs.spec.replicas = Some(replicas);
    rs.spec.selector = Some(LabelSelector::from_labels(labels(name)));
    rs.spec.template.metadata.labels = labels(name);
    rs.spec.template.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
    rs
}

fn bare_pod(name: &str, owners: Vec<OwnerReference>) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named(NS, name), ..Default::default() };
    p.metadata.owner_references = owners;
    p.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
    p
}

/// A reference that is not the controller's (several may point at one pod).
fn plain_ref(owner: &ObjectMeta, kind: Kind) -> OwnerReference {
    OwnerReference { controller: None, ..controller_ref(owner, kind) }
}

impl Env {
    fn start(nodes: usize) -> Env {
        Env::start_with(nodes, KubeletConfig::default())
    }

    fn start_with(nodes: usize, kubelet: KubeletConfig) -> Env {
        let cfg = ClusterConfig { kubelet, ..Default::default() };
        Env::start_config(nodes, cfg)
    }

    fn start_config(nodes: usize, mut cfg: ClusterConfig) -> Env {
        cfg.runtime = RuntimeConfig { threads: 2, seed: 5, ..Default::default() };
        let cluster = Cluster::start(cfg);
        let api = cluster.runtime().client("test");
        let env = Env { cluster, api };
        env.write(|api| {
            for i in 0..nodes {
                api.create(node(&format!("node-{i}"))).unwrap();
            }
        });
        env
    }

    fn write<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        self.cluster.runtime().exclusive(|| f(&self.api))
    }

    fn run_until(&self, what: &str, done: impl FnMut() -> bool) {
        if let Err(e) = self.cluster.runtime().run_until(done, 10 * MINUTE) {
            panic!("{what}: {e}");
        }
    }

    fn pods(&self) -> Vec<Arc<Pod>> {
        self.api.list::<Pod>(&ListOptions::all()).items
    }

    fn pods_owned_by(&self, uid: &str) -> Vec<Arc<Pod>> {
        self.pods().into_iter().filter(|p| p.metadata.owner_references.iter().any(|r| r.uid == uid)).collect()
    }

    fn running(&self, n: usize) -> impl FnMut() -> bool + '_ {
        move || {
            let pods = self.pods();
            pods.len() == n && pods.iter().all(|p| p.is_ready())
        }
    }

    /// Calls of `verb` on `kind` made by the store client named `client`.
    fn calls(&self, client: &str, verb: Verb, kind: Kind) -> u64 {
        let counts = self.cluster.runtime().store().api_call_counts();
        counts
            .entries
            .iter()
            .filter(|c| &*c.client == client && c.verb == verb && c.kind == kind)
            .map(|c| c.count)
            .sum()
    }

    fn exists<T: kwarp::api::Resource>(&self, name: &str) -> bool {
        self.api.get::<T>(NS, name).is_ok()
    }

    fn delete<T: kwarp::api::Resource>(&self, name: &str, policy: Option<Propagation>) {
        let opts = DeleteOptions { propagation_policy: policy, ..Default::default() };
        self.write(|api| api.delete::<T>(NS, name, &opts).unwrap());
    }

    /// An RS of `replicas` pods, all Ready; returns it.
    fn running_rs(&self, name: &str, replicas: usize) -> Arc<ReplicaSet> {
        let rs = self.write(|api| api.create(replica_set(name, replicas as i32)).unwrap());
        self.run_until("pods ready", self.running(replicas));
        rs
    }
}

#[test]
fn background_deletion_of_a_replicaset_deletes_its_pods() {
    let env = Env::start(2);
    env.running_rs("web", 3);
    env.delete::<ReplicaSet>("web", None);
    assert!(!env.exists::<ReplicaSet>("web"), "the owner goes at once");
    env.run_until("pods collected", || env.pods().is_empty());
    assert_eq!(env.calls(GC, Verb::Delete, Kind::Pod), 3, "the GC deleted them");
    env.cluster.shutdown();
}

#[test]
fn foreground_deletion_keeps_the_replicaset_until_its_pods_are_gone() {
    let env = Env::start(2);
    let rs = env.running_rs("web", 3);
    env.delete::<ReplicaSet>("web", Some(Propagation::Foreground));
    let held = env.api.get::<ReplicaSet>(NS, "web").unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());
    assert_eq!(held.metadata.finalizers, [FINALIZER_FOREGROUND]);
    let mut saw_terminating_pods_with_owner = false;
    env.run_until("owner gone", || {
        let pods = env.pods_owned_by(&rs.metadata.uid);
        let owner = env.exists::<ReplicaSet>("web");
        assert!(pods.is_empty() || owner, "§12.42: the owner outlives its blocking dependents");
        saw_terminating_pods_with_owner |= owner && pods.iter().any(|p| p.metadata.deletion_timestamp.is_some());
        !owner
    });
    assert!(saw_terminating_pods_with_owner, "the pods were terminating while the owner waited");
    assert!(env.pods().is_empty(), "no replacement pods: the RS was being deleted");
    assert_eq!(env.calls(GC, Verb::Delete, Kind::Pod), 3);
    assert_eq!(env.calls(GC, Verb::Patch, Kind::ReplicaSet), 1, "the GC removed the finalizer");
    env.cluster.shutdown();
}

#[test]
fn orphan_deletion_keeps_the_pods_without_owner_references() {
    let env = Env::start(2);
    let rs = env.running_rs("web", 3);
    env.delete::<ReplicaSet>("web", Some(Propagation::Orphan));
    env.run_until("owner gone", || !env.exists::<ReplicaSet>("web"));
    env.cluster.runtime().run_for(MINUTE);
    let pods = env.pods();
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| p.metadata.owner_references.is_empty() && p.metadata.deletion_timestamp.is_none()));
    assert!(env.pods_owned_by(&rs.metadata.uid).is_empty());
    assert_eq!(env.calls(GC, Verb::Patch, Kind::Pod), 3, "the GC dropped each reference");
    env.cluster.shutdown();
}

#[test]
fn a_pod_whose_owner_uid_no_longer_exists_is_collected() {
    let env = Env::start(1);
    let ghost = ObjectMeta { uid: "0000-gone".into(), ..ObjectMeta::named(NS, "ghost") };
    env.write(|api| api.create(bare_pod("stray", vec![controller_ref(&ghost, Kind::ReplicaSet)])).unwrap());
    env.run_until("stray collected", || !env.exists::<Pod>("stray"));
    env.cluster.shutdown();
}

#[test]
fn a_pod_whose_owner_was_recreated_under_the_same_name_is_collected() {
    let env = Env::start(1);
    env.write(|api| {
        let first = api.create(replica_set("web", 0)).unwrap();
        api.delete::<ReplicaSet>(NS, "web", &DeleteOptions::default()).unwrap();
        let second = api.create(replica_set("web", 0)).unwrap();
        assert_ne!(first.metadata.uid, second.metadata.uid);
        let mut p = bare_pod("child", vec![plain_ref(&first.metadata, Kind::ReplicaSet)]);
        p.metadata.labels = labels("other"); // not selected by the new RS
        api.create(p).unwrap();
    });
    env.run_until("child collected", || !env.exists::<Pod>("child"));
    assert!(env.exists::<ReplicaSet>("web"), "the successor is untouched");
    env.cluster.shutdown();
}

#[test]
fn a_dependent_with_two_owners_lives_while_one_remains() {
    let env = Env::start(1);
    let (a, b) = env.write(|api| (api.create(replica_set("a", 0)).unwrap(), api.create(replica_set("b", 0)).unwrap()));
    env.write(|api| {
        let mut p = bare_pod(
            "shared",
            vec![plain_ref(&a.metadata, Kind::ReplicaSet), plain_ref(&b.metadata, Kind::ReplicaSet)],
        );
        p.metadata.labels = labels("shared");
        api.create(p).unwrap();
    });
    env.delete::<ReplicaSet>("a", None);
    env.run_until("dangling reference removed", || {
        env.api.get::<Pod>(NS, "shared").is_ok_and(|p| p.metadata.owner_references.len() == 1)
    });
    env.cluster.runtime().run_for(MINUTE);
    let p = env.api.get::<Pod>(NS, "shared").unwrap();
    assert_eq!(p.metadata.owner_references[0].uid, b.metadata.uid);
    assert!(p.metadata.deletion_timestamp.is_none());
    env.delete::<ReplicaSet>("b", None);
    env.run_until("collected with its last owner", || !env.exists::<Pod>("shared"));
    env.cluster.shutdown();
}

#[test]
fn a_deployment_chain_deleted_in_the_foreground_goes_bottom_up() {
    let env = Env::start(2);
    let d = env.write(|api| {
        let mut d = Deployment { metadata: ObjectMeta::named(NS, "app"), ..Default::default() };
        d.spec.replicas = Some(2);
        d.spec.selector = Some(LabelSelector::from_labels(labels("app")));
        d.spec.template.metadata.labels = labels("app");
        d.spec.template.spec.containers.push(Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        });
        // The Deployment controller makes the ReplicaSet, the ReplicaSet controller the pods.
        api.create(d).unwrap()
    });
    env.run_until("pods ready", || {
        let pods = env.pods();
        pods.len() == 2 && pods.iter().all(|p| p.is_ready())
    });
    env.delete::<Deployment>("app", Some(Propagation::Foreground));
    env.run_until("deployment gone", || {
        let owned_rs: Vec<_> = env
            .api
            .list::<ReplicaSet>(&ListOptions::all())
            .items
            .into_iter()
            .filter(|r| r.metadata.owner_references.iter().any(|o| o.uid == d.metadata.uid))
            .collect();
        let up = env.exists::<Deployment>("app");
        assert!(owned_rs.is_empty() || up, "the Deployment outlives its ReplicaSets");
        for r in &owned_rs {
            let pods = env.pods_owned_by(&r.metadata.uid);
            assert!(pods.is_empty() || env.exists::<ReplicaSet>(&r.metadata.name), "an RS outlives its pods");
        }
        !up
    });
    assert!(env.pods().is_empty());
    assert!(env.api.list::<ReplicaSet>(&ListOptions::all()).items.is_empty());
    env.cluster.shutdown();
}

#[test]
fn removing_a_node_collects_its_pods_and_the_replicaset_replaces_them_elsewhere() {
    // The simulated kubelet has its own stand-in for PodGC (`podGc`, 40 s by
    // default); push it out of the way so the PodGC controller is what acts.
    let kubelet = KubeletConfig { pod_gc: Dist::fixed(60 * MINUTE), ..Default::default() };
    let env = Env::start_with(3, kubelet);
    env.running_rs("web", 6);
    let victim = "node-0";
    let on_victim: Vec<String> =
        env.pods().iter().filter(|p| p.spec.node_name == victim).map(|p| p.metadata.name.clone()).collect();
    assert!(!on_victim.is_empty(), "the scheduler spread pods onto {victim}");
    env.write(|api| api.delete::<Node>("", victim, &DeleteOptions::default()).unwrap());
    let removed_at = env.cluster.runtime().now();
    env.run_until("collected", || on_victim.iter().all(|n| !env.exists::<Pod>(n)));
    let waited = env.cluster.runtime().now().as_nanos() - removed_at.as_nanos();
    assert!(waited >= 40_000_000_000, "PodGC's 40 s quarantine, waited {waited} ns");
    assert_eq!(env.calls(PODGC, Verb::Delete, Kind::Pod), on_victim.len() as u64);
    env.run_until("replaced", || {
        let pods = env.pods();
        pods.len() == 6
            && pods.iter().all(|p| p.spec.node_name != victim && p.is_ready())
            && on_victim.iter().all(|n| pods.iter().all(|p| p.metadata.name != *n))
    });
    env.cluster.shutdown();
}

#[test]
fn terminated_pods_over_the_threshold_are_collected_oldest_first() {
    let mut cfg = ClusterConfig::default();
    cfg.controllers.terminated_pod_gc_threshold = 2;
    let env = Env::start_config(1, cfg);
    for i in 0..5 {
        env.write(|api| {
            let mut p = bare_pod(&format!("job-{i}"), Vec::new());
            p.spec.restart_policy = Some(RestartPolicy::Never);
            api.create(p).unwrap()
        });
        env.cluster.runtime().run_for(Duration::from_secs(1));
    }
    env.run_until("all finished or collected", || env.pods().iter().all(|p| p.is_terminal()) && env.pods().len() <= 2);
    let left: Vec<String> = env.pods().iter().map(|p| p.metadata.name.clone()).collect();
    assert_eq!(left, ["job-3", "job-4"], "the newest two terminated pods stay");
    assert_eq!(env.calls(PODGC, Verb::Delete, Kind::Pod), 3);
    env.cluster.shutdown();
}

/// Every store write of one seeded single-threaded run: a foreground and a
/// background deletion, with the GC and PodGC at work.
fn event_log(seed: u64) -> Vec<String> {
    let mut cfg = ClusterConfig { record_events: true, ..Default::default() };
    cfg.runtime = RuntimeConfig { threads: 1, seed, ..Default::default() };
    let cluster = Cluster::start(cfg);
    let env = Env { api: cluster.runtime().client("test"), cluster };
    env.write(|api| {
        for i in 0..2 {
            api.create(node(&format!("node-{i}"))).unwrap();
        }
    });
    env.write(|api| {
        api.create(replica_set("a", 4)).unwrap();
        api.create(replica_set("b", 4)).unwrap();
    });
    env.run_until("pods ready", env.running(8));
    env.delete::<ReplicaSet>("a", Some(Propagation::Foreground));
    env.delete::<ReplicaSet>("b", None);
    env.write(|api| api.delete::<Node>("", "node-1", &DeleteOptions::default()).unwrap());
    env.run_until("all gone", || env.pods().is_empty() && !env.exists::<ReplicaSet>("a"));
    let start = Time::default();
    let events = env.cluster.events().expect("recording");
    let log = events.try_iter().map(|e| e.to_json_line(start).to_string()).collect();
    env.cluster.shutdown();
    log
}

#[test]
fn a_seeded_single_threaded_run_with_the_gc_is_reproducible() {
    let first = event_log(11);
    assert!(first.iter().any(|l| l.contains(FINALIZER_FOREGROUND)), "the run went through a foreground deletion");
    assert_eq!(first, event_log(11), "same seed, same event log");
}
