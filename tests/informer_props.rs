//! Property: after any sequence of creates, updates and deletes through the store, with watches
//! closed and history compacted (Gone → relist) in between, a pumped informer's cache equals the
//! store, every index equals one recomputed from scratch, and the handlers saw a consistent story.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use proptest::prelude::*;

use kwarp::api::pod::{Container, Pod};
use kwarp::api::{ObjectMeta, OwnerReference};
use kwarp::clock::VirtualClock;
use kwarp::informer::{EventHandler, ReflectorStats, SharedInformer, NAMESPACE_INDEX, NODE_NAME_INDEX, OWNER_INDEX};
use kwarp::store::{DeleteOptions, ListOptions, Store, StoreOptions};

const LABEL_INDEX: &str = "label:app";
const NAMESPACES: [&str; 2] = ["a", "b"];

#[derive(Clone, Debug)]
enum Op {
    Create {
        obj: u8,
        node: u8,
        owner: u8,
    },
    /// Relabel and re-own (metadata: always allowed).
    Update {
        obj: u8,
        app: u8,
        owner: u8,
    },
    /// Bind to a node (may be refused by validation once bound: then nothing changes).
    Bind {
        obj: u8,
        node: u8,
    },
    Delete {
        obj: u8,
    },
    CloseWatches,
    Compact,
    Pump,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..12u8, 0..4u8, 0..4u8).prop_map(|(obj, node, owner)| Op::Create { obj, node, owner }),
        3 => (0..12u8, 0..3u8, 0..4u8).prop_map(|(obj, app, owner)| Op::Update { obj, app, owner }),
        2 => (0..12u8, 1..4u8).prop_map(|(obj, node)| Op::Bind { obj, node }),
        3 => (0..12u8).prop_map(|obj| Op::Delete { obj }),
        2 => Just(Op::CloseWatches),
        2 => Just(Op::Compact),
        3 => Just(Op::Pump),
    ]
}

fn ns_name(obj: u8) -> (&'static str, String) {
    (NAMESPACES[usize::from(obj % 2)], format!("pod-{obj}"))
}

/// Node 0 = unbound; owner 0 = no controller.
fn new_pod(obj: u8, node: u8, owner: u8) -> Pod {
    let (ns, name) = ns_name(obj);
    let mut p = Pod { metadata: ObjectMeta::named(ns, name), ..Default::default() };
    p.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
    if node > 0 {
        p.spec.node_name = format!("node-{node}");
    }
    set_owner(&mut p, owner);
    p
}

fn set_owner(p: &mut Pod, owner: u8) {
    p.metadata.owner_references.clear();
    if owner > 0 {
        p.metadata.owner_references.push(OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: format!("rs-{owner}"),
            uid: format!("uid-{owner}"),
            controller: Some(owner != 3), // owner 3 is a non-controller reference
            block_owner_deletion: None,
        });
    }
}

/// Replays handler calls onto a map, noting any call that contradicts what came before.
#[derive(Default)]
struct Replay {
    map: Mutex<BTreeMap<String, String>>,
    errors: Mutex<Vec<String>>,
}

impl EventHandler<Pod> for Replay {
    fn on_add(&self, obj: &Arc<Pod>) {
        if let Some(prev) = self.map.lock().insert(obj.metadata.key(), obj.metadata.resource_version.clone()) {
            self.errors.lock().push(format!("add of {} already at {prev}", obj.metadata.key()));
        }
    }
    fn on_update(&self, old: &Arc<Pod>, new: &Arc<Pod>) {
        let prev = self.map.lock().insert(new.metadata.key(), new.metadata.resource_version.clone());
        if prev.as_deref() != Some(old.metadata.resource_version.as_str()) || old.metadata.key() != new.metadata.key() {
            self.errors.lock().push(format!(
                "update of {} from {:?}, story had {prev:?}",
                new.metadata.key(),
                old.metadata.resource_version
            ));
        }
    }
    fn on_delete(&self, obj: &Arc<Pod>) {
        let prev = self.map.lock().remove(&obj.metadata.key());
        if prev.as_deref() != Some(obj.metadata.resource_version.as_str()) {
            self.errors.lock().push(format!(
                "delete of {}@{}, story had {prev:?}",
                obj.metadata.key(),
                obj.metadata.resource_version
            ));
        }
    }
}

fn rv_map(objs: &[Arc<Pod>]) -> BTreeMap<String, String> {
    objs.iter().map(|p| (p.metadata.key(), p.metadata.resource_version.clone())).collect()
}

/// value → sorted keys, from index functions applied to `objs`.
fn recompute(objs: &[Arc<Pod>], f: impl Fn(&Pod) -> Vec<String>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in objs {
        for v in f(p) {
            out.entry(v).or_default().push(p.metadata.key());
        }
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

/// An index function, recomputed from scratch.
type IndexFn = fn(&Pod) -> Vec<String>;

fn app_label(p: &Pod) -> Vec<String> {
    p.metadata.labels.get("app").cloned().into_iter().collect()
}

/// Everything the property says, for one informer after a full pump.
fn check(store: &Store, inf: &SharedInformer<Pod>, replay: &Replay) -> Result<(), TestCaseError> {
    let listed = store.list::<Pod>(&ListOptions::default()).items;
    let cache = inf.cache();
    prop_assert!(inf.has_synced() && !inf.has_pending());
    prop_assert_eq!(rv_map(&cache.list()), rv_map(&listed), "cache = store");
    prop_assert_eq!(cache.len(), listed.len());
    for p in &listed {
        let c = cache.get_ns_name(&p.metadata.namespace, &p.metadata.name);
        prop_assert!(c.is_some_and(|c| Arc::ptr_eq(&c, p)), "cache shares the store's Arc for {}", p.metadata.key());
    }
    let builtins: [(&str, IndexFn); 4] = [
        (NAMESPACE_INDEX, |p| vec![p.metadata.namespace.clone()]),
        (OWNER_INDEX, |p| p.metadata.controller_ref().map(|r| r.uid.clone()).into_iter().collect()),
        (NODE_NAME_INDEX, |p| Some(p.spec.node_name.clone()).filter(|n| !n.is_empty()).into_iter().collect()),
        (LABEL_INDEX, app_label),
    ];
    for (name, f) in builtins {
        let mut actual = BTreeMap::new();
        for v in cache.index_values(name) {
            let objs = cache.by_index(name, &v);
            for o in &objs {
                let live = cache.get(&o.metadata.key());
                prop_assert!(live.is_some_and(|l| Arc::ptr_eq(&l, o)), "index {} holds the live object", name);
            }
            let mut keys: Vec<String> = objs.iter().map(|p| p.metadata.key()).collect();
            keys.sort();
            actual.insert(v, keys);
        }
        prop_assert_eq!(actual, recompute(&listed, f), "index {}", name);
    }
    prop_assert_eq!(replay.errors.lock().clone(), Vec::<String>::new());
    prop_assert_eq!(replay.map.lock().clone(), rv_map(&listed), "replayed story = cache");
    Ok(())
}

/// Runs `ops`, checking after every pump; returns each informer's reflector counters.
fn run(ops: &[Op]) -> Result<Vec<ReflectorStats>, TestCaseError> {
    let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions { seed: 1, history_limit: 4 });
    let informers: Vec<(SharedInformer<Pod>, Arc<Replay>)> = [1, 64]
        .into_iter()
        .map(|shards| {
            let inf = SharedInformer::new(store.client("props"), shards);
            inf.add_index(LABEL_INDEX, app_label).unwrap();
            let replay = Arc::new(Replay::default());
            inf.add_event_handler(replay.clone());
            (inf, replay)
        })
        .collect();
    let pump_all = |check_after: bool| -> Result<(), TestCaseError> {
        for (inf, replay) in &informers {
            inf.pump();
            prop_assert_eq!(inf.pump(), 0, "one pump drains everything");
            if check_after {
                check(&store, inf, replay)?;
            }
        }
        Ok(())
    };
    for op in ops {
        // Write errors (AlreadyExists, NotFound, Invalid) leave the store unchanged: fine here.
        match op.clone() {
            Op::Create { obj, node, owner } => drop(store.create(new_pod(obj, node, owner))),
            Op::Update { obj, app, owner } => {
                let (ns, name) = ns_name(obj);
                drop(store.patch::<Pod>(ns, &name, |p| {
                    p.metadata.labels.insert("app".into(), format!("app-{app}"));
                    set_owner(p, owner);
                }));
            }
            Op::Bind { obj, node } => {
                let (ns, name) = ns_name(obj);
                drop(store.patch::<Pod>(ns, &name, |p| p.spec.node_name = format!("node-{node}")));
            }
            Op::Delete { obj } => {
                let (ns, name) = ns_name(obj);
                drop(store.delete::<Pod>(ns, &name, &DeleteOptions::now()));
            }
            Op::CloseWatches => store.close_watches::<Pod>(),
            Op::Compact => store.compact::<Pod>(),
            Op::Pump => pump_all(true)?,
        }
    }
    pump_all(true)?;
    Ok(informers.iter().map(|(inf, _)| inf.stats()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn informer_cache_indexes_and_story_match_the_store(ops in prop::collection::vec(op(), 0..80)) {
        run(&ops)?;
    }
}

#[test]
fn gone_and_disconnect_both_happen_in_a_typical_run() {
    // A fixed sequence that exercises both recovery paths, as a smoke check of the generator's reach.
    use Op::*;
    let ops = [
        Create { obj: 0, node: 1, owner: 1 },
        Pump,
        CloseWatches,
        Create { obj: 1, node: 0, owner: 2 },
        Pump,
        CloseWatches,
        Update { obj: 1, app: 1, owner: 3 },
        Delete { obj: 0 },
        Compact,
        Bind { obj: 1, node: 2 },
        Pump,
    ];
    for st in run(&ops).unwrap() {
        assert!(st.gone >= 1 && st.lists >= 2, "relisted after Gone: {st:?}");
        assert!(st.watches > st.lists, "resumed a closed watch without relisting: {st:?}");
    }
}

#[test]
fn random_runs_reach_both_recovery_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut gone, mut resumed) = (0, 0);
    for _ in 0..64 {
        let ops = prop::collection::vec(op(), 40..80).new_tree(&mut runner).unwrap().current();
        let st = run(&ops).unwrap()[0];
        gone += usize::from(st.gone > 0);
        resumed += usize::from(st.watches > st.lists + st.gone);
    }
    assert!(gone > 16 && resumed > 16, "gone in {gone}/64 runs, resumed in {resumed}/64");
}
