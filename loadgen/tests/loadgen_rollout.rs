//! The rollout steps and waits, and the auditor, driven end to end on the test cluster (no Deployment
//! controller there: the tests write the controllers' part — ReplicaSets, statuses — by hand).

mod loadgen_support;

use std::path::Path;
use std::sync::Arc;

use kwarp::api::pod::{Condition, ConditionStatus};
use kwarp::api::{Deployment, OwnerReference, ReplicaSet};
use kwarp::store::Store;
use kwarp_loadgen::audit::{AuditSettings, Auditor, Tap};
use kwarp_loadgen::progress::Status;
use kwarp_loadgen::rollout::REVISION_ANNOTATION;
use kwarp_loadgen::run::{ClusterSettings, RunOptions};
use kwarp_loadgen::scenario::{parse_scenario, LoadedScenario};
use kwarp_loadgen::{ClusterHandle, Driver, DriverError};
use loadgen_support::TestCluster;

const DEPLOYMENTS: &str =
    "name: t\nsteps:\n  - create:\n      count: 3\n      object:\n        apiVersion: apps/v1\n        \
    kind: Deployment\n        metadata: {name: web}\n        spec:\n          replicas: 2\n          \
    selector: {matchLabels: {app: web}}\n          template:\n            metadata: {labels: {app: web}}\n            \
    spec: {containers: [{name: app, image: v1}, {name: sidecar, image: s1}]}\n";

fn load(text: &str) -> LoadedScenario {
    parse_scenario("t.yaml", text, Path::new("."), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `text`'s steps on `cluster`, audited when `tap` is given.
fn drive(cluster: &TestCluster, text: &str, tap: Option<Arc<Tap>>) -> Result<(), DriverError> {
    let loaded = load(text);
    let mut d = Driver::new(&loaded.scenario, cluster, Status::default());
    if let Some(t) = tap {
        d.set_audit(t);
    }
    d.run()
}

fn cluster() -> TestCluster {
    TestCluster::start(&ClusterSettings::new(&load("name: t\n"), &RunOptions::default()))
}

fn deployment(store: &Store, name: &str) -> Arc<Deployment> {
    store.get::<Deployment>("default", name).unwrap()
}

fn images(d: &Deployment) -> Vec<&str> {
    d.spec.template.spec.containers.iter().map(|c| c.image.as_str()).collect()
}

/// A ReplicaSet of `d` at `revision` whose template runs `image`, as the Deployment controller makes them.
fn revision(store: &Store, d: &Deployment, revision: u32, image: &str) {
    let mut rs = ReplicaSet {
        metadata: loadgen_support::meta(&format!("{}-r{revision}", d.metadata.name)),
        ..Default::default()
    };
    rs.metadata.annotations.insert(REVISION_ANNOTATION.into(), revision.to_string());
    rs.metadata.annotations.insert("deployment.kubernetes.io/desired-replicas".into(), "2".into());
    rs.metadata.annotations.insert("note".into(), format!("r{revision}"));
    rs.metadata.owner_references.push(OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    });
    let hash = format!("h{revision}");
    rs.spec.replicas = Some(0);
    rs.spec.selector = d.spec.selector.clone();
    rs.spec.selector.as_mut().unwrap().match_labels.insert("pod-template-hash".into(), hash.clone());
    rs.spec.template = d.spec.template.clone();
    rs.spec.template.metadata.labels.insert("pod-template-hash".into(), hash);
    rs.spec.template.spec.containers[0].image = image.into();
    store.create(rs).unwrap();
}

#[test]
fn set_image_pause_and_resume_change_the_deployments() {
    let c = cluster();
    let store = c.store();
    drive(&c, &format!("{DEPLOYMENTS}  - setImage: {{target: {{kind: Deployment, namePrefix: web-}}, container: app, image: v2, count: 2}}\n  - pause: {{target: {{kind: Deployment, name: web-1}}}}\n"), None).unwrap();
    let (d0, d1, d2) = (deployment(&store, "web-0"), deployment(&store, "web-1"), deployment(&store, "web-2"));
    assert_eq!((images(&d0), d0.metadata.generation), (vec!["v2", "s1"], 2));
    assert_eq!(images(&d1), vec!["v2", "s1"]);
    assert_eq!(images(&d2), vec!["v1", "s1"], "count: 2 takes the first two by name");
    assert!(d1.spec.paused && !d0.spec.paused);
    drive(&c, "name: t\nsteps:\n  - resume: {target: {kind: Deployment, name: web-1}}\n  - setImage: {target: {kind: Deployment, name: web-2}, container: \"*\", image: v3}\n", None).unwrap();
    assert!(!deployment(&store, "web-1").spec.paused);
    assert_eq!(images(&deployment(&store, "web-2")), vec!["v3", "v3"]);
    let err = drive(
        &c,
        "name: t\nsteps:\n  - setImage: {target: {kind: Deployment, name: web-0}, container: db, image: v9}\n",
        None,
    )
    .unwrap_err();
    assert_eq!(err.step, "steps[0] (setImage Deployment named web-0 db=v9)");
    assert_eq!(err.message, "Deployment default/web-0: no container \"db\" (containers: app, sidecar)");
}

#[test]
fn rollback_copies_the_previous_revision_back_like_kubectl() {
    let c = cluster();
    let store = c.store();
    drive(&c, &format!("{DEPLOYMENTS}  - setImage: {{target: {{kind: Deployment, namePrefix: web-}}, container: app, image: v3}}\n"), None).unwrap();
    for name in ["web-0", "web-1"] {
        let d = deployment(&store, name);
        revision(&store, &d, 1, "v1");
        revision(&store, &d, 2, "v2");
        revision(&store, &d, 3, "v3");
    }
    drive(&c, "name: t\nsteps:\n  - rollback: {target: {kind: Deployment, name: web-0}}\n  - rollback: {target: {kind: Deployment, name: web-1}, toRevision: 1}\n", None).unwrap();
    let (d0, d1) = (deployment(&store, "web-0"), deployment(&store, "web-1"));
    assert_eq!(images(&d0), vec!["v2", "s1"], "the previous revision: 2");
    assert_eq!(images(&d1), vec!["v1", "s1"]);
    assert!(!d0.spec.template.metadata.labels.contains_key("pod-template-hash"));
    assert_eq!(d0.metadata.annotations.get("note").map(String::as_str), Some("r2"), "annotations come along");
    assert!(!d0.metadata.annotations.contains_key("deployment.kubernetes.io/desired-replicas"));
    let err =
        drive(&c, "name: t\nsteps:\n  - rollback: {target: {kind: Deployment, name: web-1}, toRevision: 7}\n", None)
            .unwrap_err();
    assert_eq!(err.message, "Deployment default/web-1: unable to find the specified revision 7");
    let err =
        drive(&c, "name: t\nsteps:\n  - rollback: {target: {kind: Deployment, name: web-2}}\n", None).unwrap_err();
    assert_eq!(err.message, "Deployment default/web-2: no rollout history found");
}

#[test]
fn rollout_complete_waits_like_kubectl_rollout_status() {
    let c = cluster();
    let store = c.store();
    drive(&c, DEPLOYMENTS, None).unwrap();
    let err = drive(&c, "name: t\nsteps:\n  - wait: {for: rolloutComplete, timeout: 5s}\n", None).unwrap_err();
    assert_eq!(err.step, "steps[0] (wait rolloutComplete)");
    assert_eq!(
        err.message,
        "timed out after 5s of cluster time waiting for rolloutComplete: 0/3 rollouts complete (waiting: \
         Deployment default/web-0: waiting for the deployment spec update to be observed; Deployment default/web-1: \
         waiting for the deployment spec update to be observed; Deployment default/web-2: waiting for the deployment \
         spec update to be observed)"
    );
    // The controller's part, by hand: two complete, one past its progress deadline.
    for name in ["web-0", "web-1", "web-2"] {
        let mut d = (*deployment(&store, name)).clone();
        d.status.observed_generation = d.metadata.generation;
        d.status.replicas = 2;
        d.status.updated_replicas = 2;
        d.status.available_replicas = 2;
        if name == "web-2" {
            d.status.available_replicas = 1;
        }
        store.update_status(d).unwrap();
    }
    let err = drive(&c, "name: t\nsteps:\n  - wait: {for: rolloutComplete, timeout: 5s}\n", None).unwrap_err();
    assert!(
        err.message.ends_with(
            "2/3 rollouts complete (waiting: Deployment default/web-2: 1 of 2 updated replicas are available)"
        ),
        "{}",
        err.message
    );
    let mut d = (*deployment(&store, "web-2")).clone();
    d.status.conditions.push(Condition {
        type_: "Progressing".into(),
        status: ConditionStatus::False,
        reason: "ProgressDeadlineExceeded".into(),
        ..Default::default()
    });
    store.update_status(d).unwrap();
    let t0 = c.now();
    let err = drive(&c, "name: t\nsteps:\n  - wait: {for: rolloutComplete, timeout: 5m}\n", None).unwrap_err();
    assert_eq!(
        err.message,
        "rolloutComplete cannot be reached: Deployment default/web-2: deployment \"web-2\" exceeded its progress deadline"
    );
    assert_eq!(c.now(), t0, "it fails at once, without waiting for the timeout");
    let mut d = (*deployment(&store, "web-2")).clone();
    d.status.conditions.clear();
    d.status.available_replicas = 2;
    store.update_status(d).unwrap();
    drive(&c, "name: t\nsteps:\n  - wait: rolloutComplete\n", None).unwrap();
}

#[test]
fn an_auditor_violation_fails_the_step_it_is_found_in() {
    let c = cluster();
    let store = c.store();
    let tap = Tap::new(store.subscribe_all(), Auditor::new(c.now(), AuditSettings::VIRTUAL, true));
    let rs = "name: t\nsteps:\n  - create: {object: {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web}, spec: {replicas: 0, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: v1}]}}}}}\n  - sleep: 1s\n";
    drive(&c, rs, Some(Arc::clone(&tap))).unwrap();
    // A status no ReplicaSet controller would write.
    let mut bad = (*store.get::<ReplicaSet>("default", "web").unwrap()).clone();
    bad.status.available_replicas = 2;
    store.update_status(bad).unwrap();
    let err = drive(&c, "name: t\nsteps:\n  - sleep: 10s\n", Some(Arc::clone(&tap))).unwrap_err();
    assert_eq!(err.step, "setup (cluster.nodes)", "found at the first poll after the write");
    assert_eq!(
        err.message,
        "auditor: ReplicaSet default/web at 1s: replicaset.status: status availableReplicas 2 ≤ readyReplicas 0 ≤ \
         replicas 0 does not hold"
    );
    let (report, _) = tap.finish();
    assert_eq!(report.violations_total, 1);
    assert!(report.checks >= 2);
}
