//! The informer shell against the store: list then watch, handlers, disconnect, Gone → relist, run, factory.

use std::sync::Arc;

use parking_lot::Mutex;

use super::{index_view, pod, view};
use crate::api::pod::Pod;
use crate::clock::VirtualClock;
use crate::informer::{
    EventHandler, FnHandler, ReflectorState, SharedInformer, SharedInformerFactory, NODE_NAME_INDEX,
};
use crate::store::{DeleteOptions, Store, StoreOptions};

fn store() -> Arc<Store> {
    Store::new(Arc::new(VirtualClock::new()), StoreOptions { seed: 7, history_limit: 1000 })
}

/// Records every notification as `add ns/name@rv`, `update ns/name@rv->rv`, `delete ns/name@rv`.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

fn at(p: &Arc<Pod>) -> String {
    format!("{}@{}", p.metadata.key(), p.metadata.resource_version)
}

impl EventHandler<Pod> for Recorder {
    fn on_add(&self, obj: &Arc<Pod>) {
        self.0.lock().push(format!("add {}", at(obj)));
    }
    fn on_update(&self, old: &Arc<Pod>, new: &Arc<Pod>) {
        self.0.lock().push(format!("update {}->{}", at(old), new.metadata.resource_version));
    }
    fn on_delete(&self, obj: &Arc<Pod>) {
        self.0.lock().push(format!("delete {}", at(obj)));
    }
}

impl Recorder {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock())
    }
}

fn informer(s: &Arc<Store>) -> (Arc<SharedInformer<Pod>>, Arc<Recorder>) {
    let inf = Arc::new(SharedInformer::new(s.client("informer"), 8));
    let rec = Arc::new(Recorder::default());
    inf.add_event_handler(rec.clone());
    (inf, rec)
}

fn rv(p: &Arc<Pod>) -> &str {
    &p.metadata.resource_version
}

#[test]
fn first_pump_lists_then_watches_and_syncs() {
    let s = store();
    let a = s.create(pod("ns", "a", "n1", "")).unwrap();
    let (inf, rec) = informer(&s);
    assert!(!inf.has_synced() && inf.has_pending());
    assert_eq!(inf.pump(), 1);
    assert!(inf.has_synced() && !inf.has_pending());
    assert_eq!(inf.state(), ReflectorState::Watching { revision: s.current_revision() });
    assert_eq!(rec.take(), [format!("add ns/a@{}", rv(&a))]);
    assert!(Arc::ptr_eq(&inf.cache().get("ns/a").unwrap(), &a), "the cache shares the store's allocation");

    let b = s.create(pod("ns", "b", "n1", "")).unwrap();
    assert!(inf.has_pending());
    assert_eq!(inf.pump(), 1);
    assert_eq!(inf.pump(), 0);
    assert!(!inf.has_pending());
    assert_eq!(rec.take(), [format!("add ns/b@{}", rv(&b))]);
    assert_eq!(
        index_view(inf.cache(), NODE_NAME_INDEX),
        view(&[("n1", &[&format!("ns/a@{}", rv(&a)), &format!("ns/b@{}", rv(&b))])])
    );
    let st = inf.stats();
    assert_eq!((st.lists, st.watches, st.events), (1, 1, 1));
}

#[test]
fn an_empty_store_syncs_with_nothing_to_deliver() {
    let s = store();
    let (inf, rec) = informer(&s);
    assert_eq!(inf.pump(), 0);
    assert!(inf.has_synced() && !inf.has_pending());
    assert!(rec.take().is_empty());
}

#[test]
fn handlers_run_after_the_cache_reflects_the_change() {
    let s = store();
    let inf = Arc::new(SharedInformer::<Pod>::new(s.client("informer"), 4));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (c1, c2, c3) = (inf.cache().clone(), inf.cache().clone(), inf.cache().clone());
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let h = FnHandler::new()
        .on_add(move |p: &Arc<Pod>| s1.lock().push(c1.get(&p.metadata.key()).is_some_and(|c| Arc::ptr_eq(&c, p))))
        .on_update(move |_, n: &Arc<Pod>| {
            s2.lock().push(c2.by_node(&n.spec.node_name).iter().any(|c| Arc::ptr_eq(c, n)))
        })
        .on_delete(move |p: &Arc<Pod>| {
            s3.lock().push(c3.get(&p.metadata.key()).is_none() && c3.by_node("n1").is_empty())
        });
    inf.add_event_handler(Arc::new(h));
    inf.pump();
    s.create(pod("ns", "a", "", "")).unwrap();
    inf.pump();
    s.patch::<Pod>("ns", "a", |p| p.spec.node_name = "n1".into()).unwrap();
    inf.pump();
    s.delete::<Pod>("ns", "a", &DeleteOptions::now()).unwrap();
    inf.pump();
    assert_eq!(*seen.lock(), [true, true, true]);
}

#[test]
fn updates_and_deletes_reach_handlers_with_old_and_last_states() {
    let s = store();
    let (inf, rec) = informer(&s);
    let a1 = s.create(pod("ns", "a", "", "rs1")).unwrap();
    inf.pump();
    let a2 = s.patch::<Pod>("ns", "a", |p| p.spec.node_name = "n1".into()).unwrap();
    s.delete::<Pod>("ns", "a", &DeleteOptions::now()).unwrap();
    assert_eq!(inf.pump(), 2);
    assert_eq!(
        rec.take(),
        [
            format!("add ns/a@{}", rv(&a1)),
            format!("update ns/a@{}->{}", rv(&a1), rv(&a2)),
            format!("delete ns/a@{}", rv(&a2))
        ]
    );
    assert!(inf.cache().is_empty() && inf.cache().by_owner("rs1").is_empty());
}

#[test]
fn a_closed_watch_resumes_from_the_last_revision_without_relisting() {
    let s = store();
    let (inf, rec) = informer(&s);
    s.create(pod("ns", "a", "", "")).unwrap();
    inf.pump();
    rec.take();
    s.close_watches::<Pod>();
    assert!(inf.has_pending(), "a closed watch is something to act on");
    let b = s.create(pod("ns", "b", "", "")).unwrap(); // written while no watch is open
    assert_eq!(inf.pump(), 1);
    assert_eq!(rec.take(), [format!("add ns/b@{}", rv(&b))]);
    let st = inf.stats();
    assert_eq!((st.lists, st.watches, st.gone), (1, 2, 0));
    assert!(!inf.has_pending());
}

#[test]
fn gone_relists_and_tells_the_difference_as_synthetic_events() {
    let s = store();
    let (inf, rec) = informer(&s);
    let keep = s.create(pod("ns", "keep", "n1", "")).unwrap();
    let old = s.create(pod("ns", "change", "", "")).unwrap();
    let drop = s.create(pod("ns", "drop", "n1", "")).unwrap();
    inf.pump();
    rec.take();

    s.close_watches::<Pod>();
    let new = s.patch::<Pod>("ns", "change", |p| p.spec.node_name = "n2".into()).unwrap();
    s.delete::<Pod>("ns", "drop", &DeleteOptions::now()).unwrap();
    let added = s.create(pod("ns", "added", "n2", "")).unwrap();
    s.compact::<Pod>();

    assert_eq!(inf.pump(), 3);
    assert_eq!(
        rec.take(),
        [
            format!("delete ns/drop@{}", rv(&drop)), // the last state the cache knew
            format!("add ns/added@{}", rv(&added)),  // then the list's order (the store lists by key)
            format!("update ns/change@{}->{}", rv(&old), rv(&new)),
        ]
    );
    let st = inf.stats();
    assert_eq!((st.lists, st.gone), (2, 1));
    assert_eq!(inf.state(), ReflectorState::Watching { revision: s.current_revision() });
    let at = |p: &Arc<Pod>| format!("{}@{}", p.metadata.key(), rv(p));
    assert_eq!(
        index_view(inf.cache(), NODE_NAME_INDEX),
        view(&[("n1", &[&at(&keep)]), ("n2", &[&at(&added), &at(&new)])])
    );
}

#[test]
fn a_handler_added_after_sync_is_caught_up_with_adds() {
    let s = store();
    let (inf, _) = informer(&s);
    let a = s.create(pod("ns", "a", "", "")).unwrap();
    inf.pump();
    let late = Arc::new(Recorder::default());
    inf.add_event_handler(late.clone());
    assert_eq!(late.take(), [format!("add ns/a@{}", rv(&a))]);
    s.delete::<Pod>("ns", "a", &DeleteOptions::now()).unwrap();
    inf.pump();
    assert_eq!(late.take(), [format!("delete ns/a@{}", rv(&a))]);
}

#[test]
fn indexes_can_be_added_until_the_first_pump() {
    let s = store();
    let inf = SharedInformer::<Pod>::new(s.client("informer"), 4);
    inf.add_index("phase", |p: &Pod| vec![format!("{:?}", p.phase())]).unwrap();
    s.create(pod("ns", "a", "", "")).unwrap();
    inf.pump();
    assert!(inf.add_index("late", |_: &Pod| vec![]).is_err());
    assert_eq!(inf.cache().by_index("phase", "Pending").len(), 1);
}

#[test]
fn run_delivers_on_its_own_thread_until_stopped() {
    let s = store();
    let inf = Arc::new(SharedInformer::<Pod>::new(s.client("informer"), 4));
    let (tx, rx) = crossbeam_channel::unbounded();
    inf.add_event_handler(Arc::new(
        FnHandler::new().on_add(move |p: &Arc<Pod>| tx.send(p.metadata.name.clone()).unwrap()),
    ));
    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
    let t = {
        let inf = inf.clone();
        std::thread::spawn(move || inf.run(&stop_rx))
    };
    let never = crossbeam_channel::never();
    assert!(inf.wait_synced(&never));
    s.create(pod("ns", "a", "", "")).unwrap();
    assert_eq!(rx.recv().unwrap(), "a");
    s.close_watches::<Pod>();
    s.create(pod("ns", "b", "", "")).unwrap();
    assert_eq!(rx.recv().unwrap(), "b", "resumed after the watch closed");
    drop(stop_tx);
    t.join().unwrap();
}

#[test]
fn the_factory_shares_one_informer_per_kind() {
    let s = store();
    let f = SharedInformerFactory::with_shards(s.client("controller-manager"), 4);
    let a = f.informer::<Pod>();
    let b = f.informer::<Pod>();
    assert!(Arc::ptr_eq(&a, &b));
    let nodes = f.informer::<crate::api::node::Node>();
    assert!(!f.all_synced());
    s.create(pod("ns", "a", "", "")).unwrap();
    assert!(f.wait_for_cache_sync());
    assert!(nodes.has_synced() && a.cache().len() == 1);
    s.create(pod("ns", "b", "", "")).unwrap();
    assert!(f.has_pending());
    assert_eq!(f.pump_all(), 1);
    assert!(!f.has_pending());
    assert_eq!(f.pump_all(), 0);
}

#[test]
fn the_factory_runs_informers_on_threads_and_shuts_them_down() {
    let s = store();
    let f = SharedInformerFactory::with_shards(s.client("controller-manager"), 4);
    let pods = f.informer::<Pod>();
    let (tx, rx) = crossbeam_channel::unbounded();
    pods.add_event_handler(Arc::new(
        FnHandler::new().on_add(move |p: &Arc<Pod>| tx.send(p.metadata.name.clone()).unwrap()),
    ));
    s.create(pod("ns", "a", "", "")).unwrap();
    f.start_all();
    assert!(f.wait_for_cache_sync());
    assert_eq!(rx.recv().unwrap(), "a");
    s.create(pod("ns", "b", "", "")).unwrap();
    assert_eq!(rx.recv().unwrap(), "b");
    f.shutdown();
    f.shutdown();
}

#[test]
fn pump_at_most_stops_at_the_budget_and_leaves_the_rest_pending() {
    let s = store();
    let (inf, rec) = informer(&s);
    inf.pump();
    for i in 0..5 {
        s.create(pod("ns", &format!("p{i}"), "", "")).unwrap();
    }
    assert_eq!(inf.pump_at_most(2), 2);
    assert!(inf.has_pending());
    assert_eq!(inf.cache().len(), 2);
    assert_eq!(inf.pump_at_most(10), 3);
    assert!(!inf.has_pending());
    assert_eq!(rec.take().len(), 5);
}

#[test]
fn the_factory_hands_out_its_informers_type_erased_in_creation_order() {
    let s = store();
    let f = SharedInformerFactory::new(s.client("runtime"));
    f.informer::<crate::api::node::Node>();
    f.informer::<Pod>();
    let erased = f.erased();
    let kinds: Vec<_> = erased.iter().map(|i| i.kind()).collect();
    assert_eq!(kinds, [crate::api::Kind::Node, crate::api::Kind::Pod]);
    assert!(erased.iter().all(|i| i.has_pending() && !i.has_synced()));
    assert_eq!(erased[1].pump_at_most(usize::MAX), 0);
    assert!(erased[1].has_synced() && !erased[1].has_pending());
}
