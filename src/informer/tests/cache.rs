//! Cache rules: lookups, shard counts, indexes on add / update / delete, replace diffs, one writer.

use std::sync::Arc;

use super::{index_view, stored, view};
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::api::ObjectMeta;
use crate::informer::{Cache, InformerError, NAMESPACE_INDEX, NODE_NAME_INDEX, OWNER_INDEX};

fn cache(shards: usize) -> (Arc<Cache<Pod>>, crate::informer::Writer<Pod>) {
    let c = Arc::new(Cache::new(shards));
    let w = c.writer().expect("first writer");
    (c, w)
}

fn keys_of(objs: &[Arc<Pod>]) -> Vec<String> {
    let mut k: Vec<String> = objs.iter().map(|p| p.metadata.key()).collect();
    k.sort();
    k
}

#[test]
fn get_finds_objects_by_key_text_or_by_pieces() {
    let (c, mut w) = cache(16);
    let p = stored("default", "web-1", "", "", 1);
    assert!(w.upsert(p.clone()).is_none());
    assert!(Arc::ptr_eq(&c.get("default/web-1").unwrap(), &p), "the cache hands out the same allocation");
    assert!(Arc::ptr_eq(&c.get_ns_name("default", "web-1").unwrap(), &p));
    assert!(c.get("default/web-2").is_none());
    assert!(c.get("other/web-1").is_none());
    assert!(c.get("web-1").is_none());
    assert_eq!(c.len(), 1);
}

#[test]
fn long_keys_and_cluster_scoped_keys_work() {
    let c = Arc::new(Cache::<Node>::new(4));
    let mut w = c.writer().unwrap();
    let n = Arc::new(Node { metadata: ObjectMeta::named("", "node-1"), ..Default::default() });
    w.upsert(n.clone());
    assert!(Arc::ptr_eq(&c.get("node-1").unwrap(), &n));
    assert!(Arc::ptr_eq(&c.get_ns_name("", "node-1").unwrap(), &n));
    assert!(c.by_namespace("").is_empty(), "cluster-scoped objects are not in the namespace index");

    let (c, mut w) = cache(4);
    let long = "a-very-long-pod-name-that-does-not-fit-inline-0123456789";
    w.upsert(stored("some-namespace", long, "", "", 1));
    assert_eq!(c.get_ns_name("some-namespace", long).unwrap().metadata.name, long);
    assert_eq!(c.keys(), [format!("some-namespace/{long}")]);
    assert!(w.remove("some-namespace", long).is_some());
    assert!(c.is_empty());
}

#[test]
fn shard_counts_round_up_to_powers_of_two_and_behave_alike() {
    for (asked, got) in [(0, 1), (1, 1), (3, 4), (16, 16), (64, 64)] {
        let (c, mut w) = cache(asked);
        assert_eq!(c.shard_count(), got);
        for i in 0..200 {
            w.upsert(stored("ns", &format!("p{i}"), &format!("n{}", i % 7), "", i + 1));
        }
        assert_eq!(c.len(), 200);
        assert_eq!(c.list().len(), 200);
        assert_eq!(c.by_node("n3").len(), (0..200).filter(|i| i % 7 == 3).count());
        for i in (0..200).step_by(2) {
            w.remove("ns", &format!("p{i}"));
        }
        assert_eq!(c.len(), 100);
        assert_eq!(c.by_namespace("ns").len(), 100);
    }
}

#[test]
fn indexes_follow_adds() {
    let (c, mut w) = cache(8);
    w.upsert(stored("a", "p1", "n1", "rs1", 1));
    w.upsert(stored("a", "p2", "", "rs1", 2));
    w.upsert(stored("b", "p3", "n1", "", 3));
    assert_eq!(index_view(&c, NAMESPACE_INDEX), view(&[("a", &["a/p1@1", "a/p2@2"]), ("b", &["b/p3@3"])]));
    assert_eq!(index_view(&c, OWNER_INDEX), view(&[("rs1", &["a/p1@1", "a/p2@2"])]));
    assert_eq!(index_view(&c, NODE_NAME_INDEX), view(&[("n1", &["a/p1@1", "b/p3@3"])]));
}

#[test]
fn updates_move_objects_between_node_values_and_refresh_unchanged_ones() {
    let (c, mut w) = cache(8);
    w.upsert(stored("a", "p1", "", "rs1", 1));
    assert_eq!(index_view(&c, NODE_NAME_INDEX), view(&[]));
    w.upsert(stored("a", "p1", "n1", "rs1", 2)); // bound
    assert_eq!(index_view(&c, NODE_NAME_INDEX), view(&[("n1", &["a/p1@2"])]));
    w.upsert(stored("a", "p1", "n2", "rs1", 3)); // moved (not possible in Kubernetes, but the index must follow)
    assert_eq!(index_view(&c, NODE_NAME_INDEX), view(&[("n2", &["a/p1@3"])]));
    // Same values: the index now hands out the new object, not the old one.
    assert_eq!(index_view(&c, OWNER_INDEX), view(&[("rs1", &["a/p1@3"])]));
    assert_eq!(index_view(&c, NAMESPACE_INDEX), view(&[("a", &["a/p1@3"])]));
}

#[test]
fn updates_follow_owner_changes() {
    let (c, mut w) = cache(8);
    w.upsert(stored("a", "p1", "", "", 1));
    assert_eq!(index_view(&c, OWNER_INDEX), view(&[]));
    w.upsert(stored("a", "p1", "", "rs1", 2)); // adopted
    assert_eq!(index_view(&c, OWNER_INDEX), view(&[("rs1", &["a/p1@2"])]));
    w.upsert(stored("a", "p1", "", "rs2", 3)); // controller changed
    assert_eq!(index_view(&c, OWNER_INDEX), view(&[("rs2", &["a/p1@3"])]));
    let mut orphan = (*stored("a", "p1", "", "rs2", 4)).clone();
    orphan.metadata.owner_references[0].controller = Some(false); // released: no controller
    w.upsert(Arc::new(orphan));
    assert_eq!(index_view(&c, OWNER_INDEX), view(&[]));
}

#[test]
fn deletes_leave_every_index() {
    let (c, mut w) = cache(8);
    w.upsert(stored("a", "p1", "n1", "rs1", 1));
    w.upsert(stored("a", "p2", "n1", "rs1", 2));
    let gone = w.remove("a", "p1").expect("was cached");
    assert_eq!(gone.metadata.resource_version, "1");
    assert!(w.remove("a", "p1").is_none());
    assert_eq!(index_view(&c, NODE_NAME_INDEX), view(&[("n1", &["a/p2@2"])]));
    w.remove("a", "p2");
    for idx in [NAMESPACE_INDEX, OWNER_INDEX, NODE_NAME_INDEX] {
        assert_eq!(index_view(&c, idx), view(&[]), "{idx}: empty values are dropped");
    }
    assert!(c.is_empty());
}

#[test]
fn custom_indexes_are_registered_before_the_writer_and_kept_up() {
    let c = Arc::new(Cache::<Pod>::new(4));
    c.add_index("label:app", |p: &Pod| p.metadata.labels.get("app").cloned().into_iter().collect()).unwrap();
    assert_eq!(
        c.add_index("label:app", |_: &Pod| vec![]),
        Err(InformerError::DuplicateIndex { index: "label:app".into() })
    );
    assert!(matches!(c.add_index(NODE_NAME_INDEX, |_: &Pod| vec![]), Err(InformerError::DuplicateIndex { .. })));
    let mut w = c.writer().unwrap();
    assert!(matches!(c.add_index("late", |_: &Pod| vec![]), Err(InformerError::IndexAfterStart { .. })));
    assert_eq!(c.index_names(), [NAMESPACE_INDEX, OWNER_INDEX, NODE_NAME_INDEX, "label:app"]);

    let labelled = |name: &str, app: &str, rv: u64| {
        let mut p = (*stored("a", name, "", "", rv)).clone();
        p.metadata.labels.insert("app".into(), app.into());
        Arc::new(p)
    };
    w.upsert(labelled("p1", "web", 1));
    w.upsert(labelled("p2", "web", 2));
    w.upsert(labelled("p1", "db", 3));
    assert_eq!(index_view(&c, "label:app"), view(&[("db", &["a/p1@3"]), ("web", &["a/p2@2"])]));
    w.remove("a", "p2");
    assert_eq!(index_view(&c, "label:app"), view(&[("db", &["a/p1@3"])]));
}

#[test]
fn unknown_index_is_an_error_or_a_panic() {
    let (c, _w) = cache(4);
    assert_eq!(c.try_by_index("nope", "x"), Err(InformerError::UnknownIndex { index: "nope".into() }));
    assert!(c.index_values("nope").is_empty());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.by_index("nope", "x")));
    assert!(r.is_err());
}

#[test]
fn a_cache_has_one_writer() {
    let (c, _w) = cache(4);
    assert!(matches!(c.writer(), Err(InformerError::WriterTaken { kind: "Pod" })));
}

#[test]
fn replace_reports_deleted_added_and_changed_only() {
    let (c, mut w) = cache(8);
    assert!(!c.has_synced());
    let r = w.replace(vec![
        stored("a", "keep", "n1", "", 1),
        stored("a", "change", "n1", "", 2),
        stored("a", "drop", "n2", "", 3),
    ]);
    assert_eq!(r.deleted.len(), 0);
    assert_eq!(r.applied.len(), 3);
    assert!(c.has_synced());

    let r = w.replace(vec![
        stored("a", "new", "n3", "", 9),
        stored("a", "change", "n2", "", 8),
        stored("a", "keep", "n1", "", 1),
    ]);
    assert_eq!(keys_of(&r.deleted), ["a/drop"]);
    assert_eq!(r.deleted[0].metadata.resource_version, "3", "deleted carries the last cached state");
    let applied: Vec<String> = r
        .applied
        .iter()
        .map(|(o, n)| {
            format!("{}:{}", o.as_ref().map_or("-".into(), |o| o.metadata.resource_version.clone()), n.metadata.key())
        })
        .collect();
    assert_eq!(applied, ["-:a/new", "2:a/change"], "list order; unchanged resourceVersion is not reported");
    assert_eq!(c.len(), 3);
    assert_eq!(
        index_view(&c, NODE_NAME_INDEX),
        view(&[("n1", &["a/keep@1"]), ("n2", &["a/change@8"]), ("n3", &["a/new@9"])])
    );
    assert!(c.get("a/drop").is_none());
}

#[test]
fn replace_with_a_key_listed_twice_keeps_the_last() {
    let (c, mut w) = cache(4);
    let r = w.replace(vec![stored("a", "p", "n1", "", 1), stored("a", "q", "", "", 2), stored("a", "p", "n2", "", 3)]);
    assert_eq!(r.applied.len(), 2);
    assert_eq!(c.get("a/p").unwrap().metadata.resource_version, "3");
    assert_eq!(index_view(&c, NODE_NAME_INDEX), view(&[("n2", &["a/p@3"])]));
    assert_eq!(c.len(), 2);
}

#[test]
fn replace_with_nothing_empties_the_cache_and_its_indexes() {
    let (c, mut w) = cache(4);
    w.upsert(stored("a", "p", "n1", "rs", 1));
    let r = w.replace(Vec::new());
    assert_eq!(keys_of(&r.deleted), ["a/p"]);
    assert!(c.is_empty() && c.list().is_empty());
    assert!(c.index_values(NODE_NAME_INDEX).is_empty() && c.by_owner("rs").is_empty());
}
