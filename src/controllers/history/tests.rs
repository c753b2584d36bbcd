//! Table tests of the history rules (SEMANTICS §9.d) and of the writes against a real store.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::api::{LabelSelector, Time};
use crate::clock::VirtualClock;
use crate::controllers::FakeClient;
use crate::informer::SharedInformerFactory;
use crate::store::{Store, StoreOptions, Verb};

fn owner(name: &str, uid: &str) -> ObjectMeta {
    let mut m = ObjectMeta::named("ns", name);
    m.uid = uid.into();
    m
}

fn labels(pairs: &[(&str, &str)]) -> StringMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn data(image: &str) -> serde_json::Value {
    json!({"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"name": "c", "image": image}]}}}})
}

fn rev(name: &str, revision: i64, created_secs: i64, data: serde_json::Value) -> Arc<ControllerRevision> {
    let mut m = ObjectMeta::named("ns", name);
    m.creation_timestamp = Some(Time::from_secs(created_secs));
    Arc::new(ControllerRevision { metadata: m, data, revision })
}

fn names(revs: &[Arc<ControllerRevision>]) -> Vec<&str> {
    revs.iter().map(|r| r.metadata.name.as_str()).collect()
}

/// §9.d case 1.
#[test]
fn revisions_sort_by_number_then_creation_then_name() {
    let mut revs = vec![rev("b", 2, 0, data("a")), rev("a", 1, 0, data("a")), rev("c", 3, 0, data("a"))];
    sort_revisions(&mut revs);
    assert_eq!(names(&revs), ["a", "b", "c"]);
    let mut revs = vec![rev("newer", 3, 11, data("a")), rev("older", 3, 10, data("a"))];
    sort_revisions(&mut revs);
    assert_eq!(names(&revs), ["older", "newer"]);
    let mut revs = vec![rev("y", 3, 10, data("a")), rev("x", 3, 10, data("a"))];
    sort_revisions(&mut revs);
    assert_eq!(names(&revs), ["x", "y"]);
}

/// §9.d case 2: (data a, hash label a, data b, hash label b) → equal?
#[test]
fn equality_is_by_data_unless_parsable_hash_labels_differ() {
    let labelled = |image: &str, hash: Option<&str>| {
        let mut r = (*rev("r", 1, 0, data(image))).clone();
        r.metadata.labels.extend(hash.map(|h| (HASH_LABEL.to_string(), h.to_string())));
        r
    };
    let cases = [
        ("a", Some("1"), "a", Some("2"), false), // identical data, different hash labels
        ("a", None, "a", None, true),            // identical data, no labels
        ("a", None, "b", None, false),           // different data
        ("a", Some("1"), "a", Some("1"), true),
        ("a", Some("1"), "a", None, true),            // only one label: data decides
        ("a", Some("bcdf"), "a", Some("xz24"), true), // safe-encoded labels do not parse as integers
        ("a", Some("7"), "b", Some("7"), false),      // same label, different data
    ];
    for (i, (da, ha, db, hb, want)) in cases.into_iter().enumerate() {
        assert_eq!(equal_revision(&labelled(da, ha), &labelled(db, hb)), want, "case {i}");
    }
    let revs = vec![rev("x", 1, 0, data("a")), rev("y", 2, 0, data("b")), rev("z", 3, 0, data("a"))];
    assert_eq!(names(&find_equal_revisions(&revs, &labelled("a", None))), ["x", "z"]);
}

/// §9.d case 5 and the name / label format.
#[test]
fn names_truncate_the_prefix_and_carry_the_hash() {
    let long = "a".repeat(300);
    let name = revision_name(&long, "hash");
    assert_eq!(name.len(), 223 + 1 + 4);
    assert!(name.starts_with(&"a".repeat(223)) && name.ends_with("-hash"));
    assert_eq!(revision_name("web", "abc"), "web-abc");
    let o = owner("web", "uid-1");
    let r = new_revision(&o, Kind::StatefulSet, &labels(&[("app", "web")]), data("v1"), 3, Some(0));
    let hash = hash_revision(&data("v1"), Some(0));
    assert_eq!(r.metadata.name, format!("web-{hash}"));
    assert_eq!(r.metadata.labels, labels(&[("app", "web"), (HASH_LABEL, &hash)]));
    assert_eq!(r.revision, 3);
    let cref = r.metadata.controller_ref().expect("controlled");
    assert_eq!((cref.kind.as_str(), cref.uid.as_str()), ("StatefulSet", "uid-1"));
    assert_eq!(hash, hash_revision(&data("v1"), Some(0)), "stable");
    assert_ne!(hash, hash_revision(&data("v2"), Some(0)), "changes with the data");
    assert_ne!(hash, hash_revision(&data("v1"), Some(1)), "changes with the collision count");
}

#[test]
fn next_revision_follows_the_last() {
    assert_eq!(next_revision::<Arc<ControllerRevision>>(&[]), 1);
    assert_eq!(next_revision(&[rev("a", 1, 0, data("a")), rev("b", 7, 0, data("b"))]), 8);
}

/// §5.g case 13 and §9.d case 4: history [A=1, B=2, C=3] → which update revision?
#[test]
fn update_revision_is_reused_renumbered_or_created() {
    let revs = vec![rev("r-a", 1, 0, data("A")), rev("r-b", 2, 0, data("B")), rev("r-c", 3, 0, data("C"))];
    let candidate = |image: &str| (*rev("cand", next_revision(&revs), 0, data(image))).clone();
    assert_eq!(plan_update_revision(&revs, &candidate("C")), UpdatePlan::Latest(2));
    assert_eq!(plan_update_revision(&revs, &candidate("B")), UpdatePlan::Renumber(1, 4), "rollback: B gets 4");
    assert_eq!(plan_update_revision(&revs, &candidate("A")), UpdatePlan::Renumber(0, 4));
    assert_eq!(plan_update_revision(&revs, &candidate("D")), UpdatePlan::Create);
    let none: Vec<Arc<ControllerRevision>> = Vec::new();
    assert_eq!(plan_update_revision(&none, &candidate("A")), UpdatePlan::Create);
}

/// §5.g case 23 and §9.d case 7. (SEMANTICS derives "3 deleted" for limit 2;
/// upstream `truncateHistory` keeps `limit` non-live revisions, so 1 goes.)
#[test]
fn truncation_deletes_the_oldest_non_live_revisions_beyond_the_limit() {
    let revs: Vec<_> = (1..=5).map(|i| rev(&format!("r{i}"), i, 0, data(&i.to_string()))).collect();
    let cases: [(&[&str], i32, &[&str]); 6] = [
        (&["r4", "r5"], 2, &["r1"]),             // 3 non-live, keep 2
        (&["r4", "r5"], 0, &["r1", "r2", "r3"]), // keep none
        (&["r4", "r5"], 10, &[]),
        (&["r1", "r4", "r5"], 0, &["r2", "r3"]), // r1 is on a pod: never deleted
        (&["r5"], 1, &["r1", "r2", "r3"]),
        (&[], 5, &[]),
    ];
    for (live, limit, want) in cases {
        let live: HashSet<&str> = live.iter().copied().collect();
        let got: Vec<&str> =
            revisions_to_truncate(&revs, &live, limit).iter().map(|r| r.metadata.name.as_str()).collect();
        assert_eq!(got, want, "live {live:?}, limit {limit}");
    }
}

struct World {
    store: Arc<Store>,
    fake: FakeClient,
    informers: SharedInformerFactory,
}

fn world() -> World {
    let clock = Arc::new(VirtualClock::new());
    let store = Store::new(clock, StoreOptions::default());
    let informers = SharedInformerFactory::new(store.client("informers"));
    register_orphan_index(&informers.informer::<ControllerRevision>());
    World { fake: FakeClient::new(store.client("test")), store, informers }
}

/// §9.d case 3.
#[test]
fn create_returns_an_equal_existing_revision_and_bumps_the_collision_count_otherwise() {
    let w = world();
    let o = owner("web", "uid-1");
    let r = new_revision(&o, Kind::StatefulSet, &labels(&[("app", "web")]), data("v1"), 1, Some(0));
    let mut collisions = 0;
    let first = create_revision(&w.fake, &o, &r, &mut collisions).unwrap();
    let again = create_revision(&w.fake, &o, &r, &mut collisions).unwrap();
    assert_eq!(
        (collisions, first.metadata.uid.clone()),
        (0, again.metadata.uid.clone()),
        "equal data: the existing one"
    );
    // Another revision squats the name the v2 data would get.
    let mut squatter = new_revision(&o, Kind::StatefulSet, &StringMap::new(), data("other"), 1, Some(0));
    squatter.metadata.name = revision_name("web", &hash_revision(&data("v2"), Some(0)));
    w.store.create(squatter.clone()).unwrap();
    let v2 = new_revision(&o, Kind::StatefulSet, &StringMap::new(), data("v2"), 2, Some(0));
    let created = create_revision(&w.fake, &o, &v2, &mut collisions).unwrap();
    assert_eq!(collisions, 1);
    assert_ne!(created.metadata.name, squatter.metadata.name);
    assert_eq!(created.metadata.name, revision_name("web", &hash_revision(&data("v2"), Some(1))));
    assert_eq!(created.data, data("v2"));
}

/// §9.d case 9: renumbering to the same number writes nothing.
#[test]
fn renumbering_writes_only_on_change() {
    let w = world();
    let o = owner("web", "uid-1");
    let r = w.store.create(new_revision(&o, Kind::StatefulSet, &StringMap::new(), data("v1"), 1, None)).unwrap();
    let same = update_revision_number(&w.fake, &r, 1).unwrap();
    assert_eq!(same.metadata.resource_version, r.metadata.resource_version);
    assert_eq!(w.fake.count(Verb::Patch, Kind::ControllerRevision), 0);
    let raised = update_revision_number(&w.fake, &r, 4).unwrap();
    assert_eq!((raised.revision, raised.data.clone()), (4, r.data.clone()));
    assert_eq!(w.fake.count(Verb::Patch, Kind::ControllerRevision), 1);
    delete_revision(&w.fake, &raised).unwrap();
    delete_revision(&w.fake, &raised).unwrap(); // gone: not an error
}

/// §9.d case 8: own revisions and selected orphans, never another owner's; orphans get adopted.
#[test]
fn listing_and_claiming_take_owned_revisions_and_selected_orphans() {
    let w = world();
    let ss1 = owner("ss1", "uid-1");
    let ss2 = owner("ss2", "uid-2");
    let foo = labels(&[("foo", "bar")]);
    let goo = labels(&[("goo", "car")]);
    let cache = w.informers.informer::<ControllerRevision>().cache().clone();
    let selector = LabelSelector::from_labels(foo.clone()).to_selector().unwrap();
    w.informers.pump_all();
    assert!(list_revisions(&cache, &ss1, &selector).is_empty(), "no revisions: empty");
    for (o, l, d, n) in [(&ss1, &foo, "r1", 1), (&ss1, &foo, "r2", 2), (&ss2, &goo, "x", 1)] {
        w.store.create(new_revision(o, Kind::StatefulSet, l, data(d), n, None)).unwrap();
    }
    let mut orphan = new_revision(&ss1, Kind::StatefulSet, &foo, data("orphan"), 3, None);
    orphan.metadata.owner_references.clear();
    orphan.metadata.name = "orphan".into();
    w.store.create(orphan).unwrap();
    let mut other_orphan = new_revision(&ss2, Kind::StatefulSet, &goo, data("o2"), 3, None);
    other_orphan.metadata.owner_references.clear();
    other_orphan.metadata.name = "unselected-orphan".into();
    w.store.create(other_orphan).unwrap();
    w.informers.pump_all();
    let listed = list_revisions(&cache, &ss1, &selector);
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().any(|r| r.metadata.name == "orphan"));
    assert!(listed.iter().all(|r| r.data != data("x") && r.metadata.name != "unselected-orphan"));
    let mut rechecks = 0;
    let claimed = claim_revisions(&w.fake, &cache, &ss1, Kind::StatefulSet, &selector, || {
        rechecks += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!((claimed.len(), rechecks), (3, 1));
    let adopted = w.store.get::<ControllerRevision>("ns", "orphan").unwrap();
    assert_eq!(adopted.metadata.controller_ref().map(|r| r.uid.as_str()), Some("uid-1"));
    assert!(w.store.get::<ControllerRevision>("ns", "unselected-orphan").unwrap().metadata.owner_references.is_empty());
    w.informers.pump_all();
    let calls = w.fake.take_calls().len();
    let again = claim_revisions(&w.fake, &cache, &ss1, Kind::StatefulSet, &selector, || Ok(())).unwrap();
    assert_eq!((again.len(), w.fake.take_calls().len(), calls), (3, 0, 1), "nothing left to adopt: no writes");
}
