//! create / get / list / update / update_status / patch.

use super::*;
use crate::api::selector::{Requirement, Selector, SelectorOp};

#[test]
fn create_sets_uid_revision_generation_and_creation_time() {
    let (s, clock) = store();
    clock.advance(std::time::Duration::from_secs(5));
    let p = s.create(pod("ns", "a")).unwrap();
    let m = p.meta();
    assert_eq!(m.resource_version, "1");
    assert_eq!(m.generation, 1);
    assert_eq!(m.creation_timestamp, Some(clock.now()));
    assert_eq!(m.uid.len(), 36);
    assert_eq!(s.current_revision(), 1);
    assert!(Arc::ptr_eq(&p, &s.get::<Pod>("ns", "a").unwrap()), "get returns the stored Arc");
}

#[test]
fn create_applies_defaults() {
    let (s, _) = store();
    let p = s.create(pod("ns", "a")).unwrap();
    assert_eq!(p.spec.termination_grace_period_seconds, Some(30));
    assert_eq!(p.spec.scheduler_name, "default-scheduler");
}

#[test]
fn uid_is_uuid_v4_text_and_follows_the_seed() {
    let uids = |seed| {
        let (s, _) = store_with(StoreOptions { seed, history_limit: 10 });
        (0..3).map(|i| s.create(pod("ns", &format!("p{i}"))).unwrap().meta().uid.clone()).collect::<Vec<_>>()
    };
    let a = uids(1);
    assert_eq!(a, uids(1), "same seed, same uids");
    assert_ne!(a, uids(2));
    for u in &a {
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12], "{u}");
        assert!(parts[2].starts_with('4'), "version 4: {u}");
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'), "RFC 4122 variant: {u}");
        assert!(u.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
    assert_ne!(a[0], a[1]);
}

#[test]
fn generate_name_appends_five_characters_of_the_kubernetes_alphabet() {
    let (s, _) = store();
    let mut p = pod("ns", "");
    p.metadata.generate_name = "web-7d9f-".into();
    let a = s.create(p.clone()).unwrap();
    let b = s.create(p).unwrap();
    for name in [&a.metadata.name, &b.metadata.name] {
        let suffix = name.strip_prefix("web-7d9f-").expect("keeps the prefix");
        assert_eq!(suffix.len(), 5, "{name}");
        assert!(suffix.bytes().all(|c| rules::NAME_ALPHABET.contains(&c)), "{name}");
    }
    assert_ne!(a.metadata.name, b.metadata.name);
    assert_eq!(a.metadata.generate_name, "web-7d9f-", "generateName is kept");
    let (s2, _) = store();
    let mut p = pod("ns", "");
    p.metadata.generate_name = "web-7d9f-".into();
    assert_eq!(s2.create(p).unwrap().metadata.name, a.metadata.name, "same seed, same name");
}

#[test]
fn generate_name_cuts_long_bases_to_58_bytes() {
    let (s, _) = store();
    let mut p = pod("ns", "");
    p.metadata.generate_name = "x".repeat(70);
    let name = s.create(p).unwrap().metadata.name.clone();
    assert_eq!(name.len(), 63);
    assert!(name.starts_with(&"x".repeat(58)));
}

#[test]
fn generate_name_draws_again_when_the_name_is_taken() {
    use rand::SeedableRng;
    // Replay the store's generator: the first create draws a uid, the second a name.
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let _uid = rules::new_uid(&mut rng);
    let first = rules::generate_name("web-", &mut rng);
    let second = rules::generate_name("web-", &mut rng);
    let (s, _) = store();
    s.create(pod("ns", &first)).unwrap();
    let mut p = pod("ns", "");
    p.metadata.generate_name = "web-".into();
    assert_eq!(s.create(p).unwrap().metadata.name, second);
}

#[test]
fn create_of_an_existing_name_is_already_exists_and_writes_nothing() {
    let (s, _) = store();
    s.create(pod("ns", "a")).unwrap();
    let err = s.create(pod("ns", "a")).unwrap_err();
    assert!(err.is_already_exists(), "{err}");
    assert_eq!(err.to_string(), r#"pods "a" already exists"#);
    assert_eq!(s.current_revision(), 1);
    s.create(pod("other", "a")).expect("same name in another namespace");
}

#[test]
fn invalid_creates_change_nothing() {
    let (s, _) = store();
    let w = s.watch::<Pod>(0).unwrap();
    let err = s.create(pod("ns", "")).unwrap_err();
    assert!(err.is_invalid(), "{err}");
    assert!(err.to_string().contains("metadata.name: Required value"), "{err}");
    let mut bad = pod("ns", "a");
    bad.metadata.labels.insert("bad key!".into(), "v".into());
    assert!(s.create(bad).unwrap_err().is_invalid());
    assert_eq!((s.current_revision(), s.count::<Pod>(), w.len()), (0, 0, 0));
}

#[test]
fn requests_without_a_namespace_mean_default() {
    let (s, _) = store();
    let p = s.create(pod("", "a")).unwrap();
    assert_eq!(p.metadata.namespace, "default");
    assert!(Arc::ptr_eq(&p, &s.get::<Pod>("", "a").unwrap()));
    assert!(Arc::ptr_eq(&p, &s.get::<Pod>("default", "a").unwrap()));
    let mut up = (*p).clone();
    up.metadata.namespace.clear();
    up.metadata.labels.insert("x".into(), "1".into());
    assert_eq!(s.update(up).unwrap().metadata.namespace, "default");
}

#[test]
fn nodes_are_cluster_scoped() {
    let (s, _) = store();
    let mut n = node("n1");
    n.metadata.namespace = "ignored".into();
    let n = s.create(n).unwrap();
    assert_eq!(n.metadata.namespace, "");
    assert_eq!(n.metadata.key(), "n1");
    assert!(s.get::<Node>("", "n1").is_ok());
    assert!(s.get::<Node>("whatever", "n1").is_ok(), "namespace ignored for cluster-scoped kinds");
}

#[test]
fn get_of_a_missing_object_is_not_found() {
    let (s, _) = store();
    let err = s.get::<Deployment>("ns", "web").unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.to_string(), r#"deployments.apps "web" not found"#);
}

#[test]
fn revisions_strictly_increase_across_kinds_and_verbs() {
    let (s, _) = store();
    let mut revs = vec![];
    revs.push(s.create(pod("ns", "a")).unwrap().meta().revision());
    revs.push(s.create(node("n")).unwrap().meta().revision());
    revs.push(s.create(deployment("ns", "d")).unwrap().meta().revision());
    let mut d = (*s.get::<Deployment>("ns", "d").unwrap()).clone();
    d.spec.replicas = Some(5);
    revs.push(s.update(d).unwrap().meta().revision());
    assert_eq!(revs, vec![1, 2, 3, 4]);
}

#[test]
fn update_with_a_stale_resource_version_conflicts() {
    let (s, _) = store();
    let v1 = s.create(deployment("ns", "web")).unwrap();
    let mut a = (*v1).clone();
    a.spec.replicas = Some(3);
    let v2 = s.update(a).unwrap();
    let mut stale = (*v1).clone();
    stale.spec.replicas = Some(9);
    let err = s.update(stale).unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(
        err.to_string(),
        r#"Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again"#
    );
    assert!(Arc::ptr_eq(&v2, &s.get("ns", "web").unwrap()), "nothing written");
    let mut unconditional = (*v1).clone();
    unconditional.metadata.resource_version.clear();
    unconditional.spec.replicas = Some(7);
    assert_eq!(s.update(unconditional).unwrap().spec.replicas, Some(7), "an empty resourceVersion is unconditional");
}

#[test]
fn update_keeps_the_stored_status_and_immutable_metadata() {
    let (s, clock) = store();
    let v1 = s.create(deployment("ns", "web")).unwrap();
    let mut st = (*v1).clone();
    st.status.replicas = 2;
    let v2 = s.update_status(st).unwrap();
    clock.advance(std::time::Duration::from_secs(9));
    let mut up = (*v2).clone();
    up.status.replicas = 99;
    up.metadata.creation_timestamp = Some(Time::from_secs(1));
    up.metadata.uid.clear();
    up.metadata.labels.insert("tier".into(), "fe".into());
    let v3 = s.update(up).unwrap();
    assert_eq!(v3.status.replicas, 2, "status only through the subresource");
    assert_eq!(v3.metadata.creation_timestamp, v1.metadata.creation_timestamp);
    assert_eq!(v3.metadata.uid, v1.metadata.uid, "an empty uid is filled in");
    assert_eq!(v3.metadata.labels.get("tier").map(String::as_str), Some("fe"));
}

#[test]
fn update_status_changes_only_the_status() {
    let (s, _) = store();
    let v1 = s.create(deployment("ns", "web")).unwrap();
    let mut st = (*v1).clone();
    st.spec.replicas = Some(50);
    st.metadata.labels.insert("x".into(), "y".into());
    st.status.observed_generation = 1;
    st.status.ready_replicas = 2;
    let v2 = s.update_status(st).unwrap();
    assert_eq!(v2.spec, v1.spec);
    assert!(v2.metadata.labels.is_empty());
    assert_eq!(v2.metadata.generation, 1, "status writes never bump generation");
    assert_eq!((v2.status.observed_generation, v2.status.ready_replicas), (1, 2));
    assert!(v2.meta().revision() > v1.meta().revision());
    let err = s.update_status((*v1).clone()).unwrap_err();
    assert!(err.is_conflict(), "the status subresource checks resourceVersion too");
}

#[test]
fn generation_bumps_only_when_the_spec_changes() {
    let (s, _) = store();
    let p = s.create(pod("ns", "p")).unwrap();
    let mut relabel = (*p).clone();
    relabel.metadata.labels.insert("x".into(), "1".into());
    let p2 = s.update(relabel).unwrap();
    assert_eq!(p2.metadata.generation, 1, "metadata-only change");
    let mut respec = (*p2).clone();
    respec.spec.active_deadline_seconds = Some(60);
    assert_eq!(s.update(respec).unwrap().metadata.generation, 2);
}

#[test]
fn deployment_generation_also_bumps_on_annotation_changes() {
    let (s, _) = store();
    let d = s.create(deployment("ns", "web")).unwrap();
    let mut ann = (*d).clone();
    ann.metadata.annotations.insert("kubernetes.io/change-cause".into(), "v2".into());
    let d2 = s.update(ann).unwrap();
    assert_eq!(d2.metadata.generation, 2);
    let mut lab = (*d2).clone();
    lab.metadata.labels.insert("x".into(), "1".into());
    assert_eq!(s.update(lab).unwrap().metadata.generation, 2, "labels do not");
}

#[test]
fn an_update_that_changes_nothing_writes_nothing() {
    let (s, _) = store();
    let v1 = s.create(deployment("ns", "web")).unwrap();
    let w = s.watch::<Deployment>(s.current_revision()).unwrap();
    let same = s.update((*v1).clone()).unwrap();
    assert!(Arc::ptr_eq(&same, &v1));
    let same = s.update_status((*v1).clone()).unwrap();
    assert!(Arc::ptr_eq(&same, &v1));
    assert_eq!((s.current_revision(), w.len()), (1, 0));
}

#[test]
fn invalid_updates_change_nothing() {
    let (s, _) = store();
    let v1 = s.create(deployment("ns", "web")).unwrap();
    let mut bad = (*v1).clone();
    bad.metadata.uid = "another".into();
    bad.spec.replicas = Some(4);
    let err = s.update(bad).unwrap_err();
    assert!(err.is_invalid());
    assert!(err.to_string().contains(r#"metadata.uid: Invalid value: "another": field is immutable"#), "{err}");
    assert!(Arc::ptr_eq(&v1, &s.get("ns", "web").unwrap()));
    assert_eq!(s.current_revision(), 1);
    let err = s.update(deployment("ns", "missing")).unwrap_err();
    assert!(err.is_not_found());
}

#[test]
fn list_filters_by_namespace_labels_and_node_and_sorts_by_key() {
    let (s, _) = store();
    for (ns, name, node, app) in
        [("b", "p1", "n1", "web"), ("a", "p2", "n2", "web"), ("a", "p1", "n1", "db"), ("a", "p3", "", "web")]
    {
        let mut p = pod(ns, name);
        p.spec.node_name = node.into();
        p.metadata.labels.insert("app".into(), app.into());
        s.create(p).unwrap();
    }
    let keys = |o: &ListOptions| -> Vec<String> { s.list::<Pod>(o).items.iter().map(|p| p.metadata.key()).collect() };
    assert_eq!(keys(&ListOptions::all()), vec!["a/p1", "a/p2", "a/p3", "b/p1"]);
    assert_eq!(keys(&ListOptions::all().in_namespace("a")), vec!["a/p1", "a/p2", "a/p3"]);
    assert_eq!(keys(&ListOptions::all().in_namespace("")).len(), 4, "\"\" is NamespaceAll");
    let web =
        Selector::from_requirements(vec![Requirement::new("app", SelectorOp::Equals, vec!["web".into()]).unwrap()]);
    assert_eq!(keys(&ListOptions::all().with_labels(web.clone())), vec!["a/p2", "a/p3", "b/p1"]);
    assert_eq!(keys(&ListOptions::all().on_node("n1")), vec!["a/p1", "b/p1"]);
    assert_eq!(keys(&ListOptions::all().on_node("")), vec!["a/p3"], "unbound pods");
    assert_eq!(keys(&ListOptions::all().in_namespace("a").with_labels(web).on_node("n2")), vec!["a/p2"]);
    assert_eq!(s.list::<Pod>(&ListOptions::all()).revision, 4);
    assert!(s.list::<Node>(&ListOptions::all()).items.is_empty());
}

#[test]
fn patch_applies_to_the_latest_object_without_a_precondition() {
    let (s, _) = store();
    let v1 = s.create(deployment("ns", "web")).unwrap();
    let mut other = (*v1).clone();
    other.spec.replicas = Some(4);
    s.update(other).unwrap();
    let v3 = s
        .patch::<Deployment>("ns", "web", |d| {
            d.metadata.labels.insert("patched".into(), "yes".into());
            d.status.replicas = 100;
        })
        .unwrap();
    assert_eq!(v3.spec.replicas, Some(4), "applied to the latest version");
    assert!(v3.metadata.labels.contains_key("patched"));
    assert_eq!(v3.status.replicas, 0, "status changes are ignored");
    assert!(s.patch::<Deployment>("ns", "nope", |_| {}).unwrap_err().is_not_found());
}

#[test]
fn errors_name_kind_and_status_code() {
    let (s, _) = store();
    let err = s.get::<Job>("ns", "j").unwrap_err();
    assert_eq!((err.kind(), err.status_code()), (Kind::Job, 404));
    assert!(matches!(err, StoreError::NotFound { ref key, .. } if key == "ns/j"));
}
