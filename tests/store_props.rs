//! Property tests of the store: resourceVersions strictly increase, stale
//! updates conflict, and a watch from any retained revision replays exactly the
//! writes after it. Deterministic: seeded store, virtual clock.

use std::sync::Arc;

use kwarp::api::pod::Pod;
use kwarp::api::{ObjectMeta, Resource};
use kwarp::clock::VirtualClock;
use kwarp::store::{DeleteOptions, EventType, ListOptions, Store, StoreOptions};
use proptest::prelude::*;

/// One client action on a small key space (so ops collide).
#[derive(Clone, Debug)]
enum Op {
    Create(u8),
    /// Update with the current resourceVersion (or unconditionally when `blind`).
    Update {
        key: u8,
        blind: bool,
    },
    /// Update carrying a resourceVersion some writes old.
    StaleUpdate(u8),
    Status(u8),
    Delete(u8),
    /// Bind (so a later delete is graceful), then confirm with grace 0.
    Bind(u8),
    Confirm(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u8..6;
    prop_oneof![
        3 => k.clone().prop_map(Op::Create),
        3 => (k.clone(), any::<bool>()).prop_map(|(key, blind)| Op::Update { key, blind }),
        1 => k.clone().prop_map(Op::StaleUpdate),
        2 => k.clone().prop_map(Op::Status),
        1 => k.clone().prop_map(Op::Delete),
        1 => k.clone().prop_map(Op::Bind),
        1 => k.prop_map(Op::Confirm),
    ]
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"namespace": "ns", "name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}
    }))
    .unwrap()
}

fn name(k: u8) -> String {
    format!("p{k}")
}

/// What a successful write returned: (revision written, or None for a no-op).
struct Run {
    store: Arc<Store>,
    /// Revisions of the writes that stored something, in call order.
    revisions: Vec<u64>,
}

fn run(ops: &[Op], history_limit: usize) -> Run {
    let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions { seed: 7, history_limit });
    let mut revisions = Vec::new();
    let mut n = 0u64;
    for op in ops {
        n += 1;
        let before = store.current_revision();
        let out = match op {
            Op::Create(k) => store.create(pod(&name(*k))).map(|_| ()),
            Op::Update { key, blind } => store.get::<Pod>("ns", &name(*key)).and_then(|p| {
                let mut p = (*p).clone();
                p.metadata.labels.insert("n".into(), n.to_string());
                if *blind {
                    p.metadata.resource_version.clear();
                }
                store.update(p).map(|_| ())
            }),
            Op::StaleUpdate(k) => match store.get::<Pod>("ns", &name(*k)) {
                Ok(p) => {
                    let mut stale = (*p).clone();
                    stale.metadata.resource_version = (p.meta().revision() - 1).to_string();
                    stale.metadata.labels.insert("stale".into(), n.to_string());
                    let err = store.update(stale).expect_err("a stale resourceVersion must conflict");
                    assert!(err.is_conflict(), "{err}");
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Op::Status(k) => store.get::<Pod>("ns", &name(*k)).and_then(|p| {
                let mut p = (*p).clone();
                p.status.message = format!("m{n}");
                let gen = p.metadata.generation;
                let spec = p.spec.clone();
                store.update_status(p).map(|s| {
                    assert_eq!((s.metadata.generation, &s.spec), (gen, &spec), "status writes leave spec alone");
                })
            }),
            Op::Delete(k) => store.delete::<Pod>("ns", &name(*k), &DeleteOptions::default()).map(|_| ()),
            Op::Bind(k) => store
                .patch::<Pod>("ns", &name(*k), |p| {
                    if p.metadata.deletion_timestamp.is_none() {
                        p.spec.node_name = "n1".into();
                    }
                })
                .map(|_| ()),
            Op::Confirm(k) => store.delete::<Pod>("ns", &name(*k), &DeleteOptions::now()).map(|_| ()),
        };
        let after = store.current_revision();
        assert!(after == before || after == before + 1, "one write, one revision");
        if out.is_ok() && after > before {
            revisions.push(after);
        }
    }
    Run { store, revisions }
}

/// The state a replay of events reaches, as (key, resourceVersion) pairs.
fn replay(initial: Vec<Arc<Pod>>, events: &[(EventType, Arc<Pod>, u64)]) -> Vec<(String, String)> {
    let mut state: std::collections::BTreeMap<String, String> =
        initial.iter().map(|p| (p.metadata.key(), p.metadata.resource_version.clone())).collect();
    for (t, obj, _) in events {
        match t {
            EventType::Deleted => {
                assert!(state.remove(&obj.metadata.key()).is_some(), "delete of a known object");
            }
            _ => {
                state.insert(obj.metadata.key(), obj.metadata.resource_version.clone());
            }
        }
    }
    state.into_iter().collect()
}

fn keys_and_rvs(store: &Store) -> Vec<(String, String)> {
    let list = store.list::<Pod>(&ListOptions::all());
    list.items.iter().map(|p| (p.metadata.key(), p.metadata.resource_version.clone())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn resource_versions_strictly_increase(ops in prop::collection::vec(op(), 1..80)) {
        let r = run(&ops, 10_000);
        prop_assert!(r.revisions.windows(2).all(|w| w[0] < w[1]), "{:?}", r.revisions);
        for p in r.store.list::<Pod>(&ListOptions::all()).items {
            let m: &ObjectMeta = p.meta();
            prop_assert!(m.revision() >= 1 && m.revision() <= r.store.current_revision());
        }
    }

    #[test]
    fn a_watch_from_any_retained_revision_replays_exactly_the_later_writes(
        ops in prop::collection::vec(op(), 1..80),
        limit in 1usize..40,
    ) {
        let r = run(&ops, limit);
        let full = Store::watch::<Pod>(&r.store, 0);
        let current = r.store.current_revision();
        let oldest_ok = (0..=current).find(|rev| r.store.watch::<Pod>(*rev).is_ok()).unwrap();
        prop_assert_eq!(full.is_ok(), oldest_ok == 0);
        for from in 0..=current {
            match r.store.watch::<Pod>(from) {
                Err(e) => {
                    prop_assert!(e.is_gone());
                    prop_assert!(from < oldest_ok);
                }
                Ok(w) => {
                    prop_assert!(from >= oldest_ok, "no hole in the retained range");
                    let got: Vec<_> = w.try_iter().map(|e| (e.type_, e.object, e.revision)).collect();
                    let want: Vec<u64> = r.revisions.iter().copied().filter(|rev| *rev > from).collect();
                    prop_assert_eq!(got.iter().map(|e| e.2).collect::<Vec<_>>(), want);
                    if from == 0 {
                        prop_assert_eq!(replay(Vec::new(), &got), keys_and_rvs(&r.store));
                    }
                }
            }
        }
    }

    #[test]
    fn relist_at_any_point_then_watch_converges_on_the_store(
        before in prop::collection::vec(op(), 0..40),
        after in prop::collection::vec(op(), 0..40),
    ) {
        let r = run(&before, 10_000);
        let list = r.store.list::<Pod>(&ListOptions::all());
        let w = r.store.watch::<Pod>(list.revision).unwrap();
        let store = r.store;
        // Continue with more writes on the same store.
        for op in &after {
            let _ = match op {
                Op::Create(k) => store.create(pod(&name(*k))).map(|_| ()),
                Op::Delete(k) => store.delete::<Pod>("ns", &name(*k), &DeleteOptions::default()).map(|_| ()),
                Op::Confirm(k) => store.delete::<Pod>("ns", &name(*k), &DeleteOptions::now()).map(|_| ()),
                _ => store
                    .patch::<Pod>("ns", &name(0), |p| {
                        p.metadata.labels.insert("after".into(), format!("{op:?}"));
                    })
                    .map(|_| ()),
            };
        }
        let got: Vec<_> = w.try_iter().map(|e| (e.type_, e.object, e.revision)).collect();
        prop_assert!(got.iter().all(|e| e.2 > list.revision));
        prop_assert_eq!(replay(list.items, &got), keys_and_rvs(&store));
    }
}
