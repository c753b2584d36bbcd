//! watch, history, Gone, close_watches, the type-erased tap, dump_all, concurrency.

use std::thread;

use crossbeam_channel::TryRecvError;

use super::*;

/// Creates p0..p{n}, updates every other one, deletes p0: a mixed history.
fn history(s: &Store, n: usize) {
    for i in 0..n {
        s.create(pod("ns", &format!("p{i}"))).unwrap();
    }
    for i in (0..n).step_by(2) {
        s.patch::<Pod>("ns", &format!("p{i}"), |p| {
            p.metadata.labels.insert("v".into(), "2".into());
        })
        .unwrap();
    }
    s.delete::<Pod>("ns", "p0", &DeleteOptions::default()).unwrap();
}

#[test]
fn a_watch_from_any_retained_revision_replays_exactly_the_later_events() {
    let (s, _) = store();
    let all = s.watch::<Pod>(0).unwrap();
    history(&s, 6);
    let everything = drain(&all);
    assert_eq!(everything.len(), 6 + 3 + 1);
    assert!(everything.windows(2).all(|w| w[0].2 < w[1].2));
    for from in 0..=s.current_revision() {
        let w = s.watch::<Pod>(from).unwrap();
        let want: Vec<_> = everything.iter().filter(|e| e.2 > from).cloned().collect();
        assert_eq!(drain(&w), want, "from {from}");
    }
}

#[test]
fn a_watch_goes_live_after_its_replay_with_no_gap() {
    let (s, _) = store();
    history(&s, 4);
    let w = s.watch::<Pod>(3).unwrap();
    s.create(pod("ns", "late")).unwrap();
    let revs: Vec<u64> = drain(&w).iter().map(|e| e.2).collect();
    assert_eq!(revs, (4..=s.current_revision()).collect::<Vec<_>>());
}

#[test]
fn events_share_the_stored_arc() {
    let (s, _) = store();
    let w = s.watch::<Pod>(0).unwrap();
    let p = s.create(pod("ns", "a")).unwrap();
    let ev = w.try_recv().unwrap();
    assert!(Arc::ptr_eq(&ev.object, &p));
    assert_eq!((ev.type_, ev.revision), (EventType::Added, 1));
}

#[test]
fn a_deleted_event_carries_the_last_state_and_the_deletions_revision() {
    let (s, _) = store();
    let p = s.create(pod("ns", "a")).unwrap();
    s.create(node("n")).unwrap();
    let w = s.watch::<Pod>(s.current_revision()).unwrap();
    s.delete::<Pod>("ns", "a", &DeleteOptions::default()).unwrap();
    let ev = w.try_recv().unwrap();
    assert_eq!((ev.type_, ev.revision), (EventType::Deleted, 3));
    assert!(Arc::ptr_eq(&ev.object, &p));
    assert_eq!(ev.object.metadata.resource_version, "1");
}

#[test]
fn history_is_bounded_and_older_watches_are_gone() {
    let (s, _) = store_with(StoreOptions { seed: 1, history_limit: 3 });
    history(&s, 4); // revisions 1..=7
    let err = s.watch::<Pod>(3).unwrap_err();
    assert!(err.is_gone());
    assert_eq!(err.to_string(), "too old resource version: 3 (4)");
    let w = s.watch::<Pod>(4).unwrap();
    assert_eq!(drain(&w).iter().map(|e| e.2).collect::<Vec<_>>(), vec![5, 6, 7]);
}

#[test]
fn compaction_makes_old_revisions_gone_and_a_relist_recovers() {
    let (s, _) = store();
    history(&s, 4);
    s.create(node("n")).unwrap();
    let last_pod_rev = 7;
    s.compact::<Pod>();
    assert!(s.watch::<Pod>(last_pod_rev).unwrap_err().is_gone(), "forces a relist");
    assert!(s.watch::<Node>(0).is_ok(), "other kinds keep their history");
    let list = s.list::<Pod>(&ListOptions::all());
    assert_eq!(list.revision, 8);
    let w = s.watch::<Pod>(list.revision).unwrap();
    s.create(pod("ns", "after")).unwrap();
    assert_eq!(drain(&w), vec![(EventType::Added, "ns/after".into(), 9)]);
}

#[test]
fn close_watches_disconnects_every_watch_of_the_kind() {
    let (s, _) = store();
    let a = s.watch::<Pod>(0).unwrap();
    let b = s.watch::<Pod>(0).unwrap();
    let n = s.watch::<Node>(0).unwrap();
    s.create(pod("ns", "x")).unwrap();
    s.close_watches::<Pod>();
    assert!(a.try_recv().is_ok(), "queued events are still delivered");
    assert_eq!(a.try_recv().unwrap_err(), TryRecvError::Disconnected);
    assert!(b.recv().is_ok() && b.recv().is_err());
    s.create(node("n")).unwrap();
    assert!(n.try_recv().is_ok(), "other kinds stay connected");
    let again = s.watch::<Pod>(1).unwrap();
    s.create(pod("ns", "y")).unwrap();
    assert_eq!(drain(&again).len(), 1, "re-watch from the last revision seen");
}

#[test]
fn dropping_a_watch_unsubscribes() {
    let (s, _) = store();
    let w = s.watch::<Pod>(0).unwrap();
    let _kept = s.watch::<Pod>(0).unwrap();
    assert_eq!(s.watcher_count::<Pod>(), 2);
    drop(w);
    s.create(pod("ns", "x")).unwrap();
    assert_eq!(s.watcher_count::<Pod>(), 1);
}

#[test]
fn a_list_then_watch_from_its_revision_sees_every_later_write_once() {
    let (s, _) = store();
    history(&s, 4);
    let list = s.list::<Pod>(&ListOptions::all());
    s.create(pod("ns", "z")).unwrap();
    s.delete::<Pod>("ns", "p1", &DeleteOptions::default()).unwrap();
    let w = s.watch::<Pod>(list.revision).unwrap();
    let mut keys: Vec<String> = list.items.iter().map(|p| p.metadata.key()).collect();
    for (t, key, _) in drain(&w) {
        match t {
            EventType::Added => keys.push(key),
            EventType::Deleted => keys.retain(|k| *k != key),
            EventType::Modified => assert!(keys.contains(&key)),
        }
    }
    keys.sort();
    let now: Vec<String> = s.list::<Pod>(&ListOptions::all()).items.iter().map(|p| p.metadata.key()).collect();
    assert_eq!(keys, now);
}

#[test]
fn subscribe_all_taps_every_kind_in_revision_order() {
    let (s, clock) = store();
    s.create(pod("ns", "before")).unwrap();
    let tap = s.subscribe_all();
    clock.advance(std::time::Duration::from_secs(2));
    s.create(node("n1")).unwrap();
    s.create(deployment("ns", "web")).unwrap();
    s.delete::<Pod>("ns", "before", &DeleteOptions::default()).unwrap();
    let evs: Vec<_> = tap.try_iter().collect();
    let got: Vec<_> = evs.iter().map(|e| (e.revision, e.kind, e.type_)).collect();
    assert_eq!(
        got,
        vec![
            (2, Kind::Node, EventType::Added),
            (3, Kind::Deployment, EventType::Added),
            (4, Kind::Pod, EventType::Deleted)
        ]
    );
    assert_eq!(evs[0].time, clock.now());
    assert_eq!(evs[1].object.as_any().downcast_ref::<Deployment>().unwrap().metadata.name, "web");
    let line = evs[0].to_json_line(VirtualClock::DEFAULT_START);
    assert_eq!(line["rv"], 2);
    assert_eq!(line["t_ns"], 2_000_000_000i64);
    assert_eq!(line["type"], "ADDED");
    assert_eq!(line["object"]["kind"], "Node");
    assert_eq!(line["object"]["metadata"]["resourceVersion"], "2");
    drop(tap);
    s.create(node("n2")).unwrap(); // the tap notices it is gone and switches off
    s.create(node("n3")).unwrap();
}

#[test]
fn dump_all_lists_every_object_as_kubernetes_json() {
    let (s, _) = store();
    s.create(deployment("ns", "web")).unwrap();
    s.create(pod("ns", "b")).unwrap();
    s.create(pod("ns", "a")).unwrap();
    s.create(node("n1")).unwrap();
    let dump = s.dump_all();
    let names: Vec<(String, String)> = dump
        .iter()
        .map(|o| (o["kind"].as_str().unwrap().to_string(), o["metadata"]["name"].as_str().unwrap().to_string()))
        .collect();
    let want = [("Node", "n1"), ("Pod", "a"), ("Pod", "b"), ("Deployment", "web")];
    assert_eq!(names, want.map(|(k, n)| (k.to_string(), n.to_string())));
    assert_eq!(dump[3]["apiVersion"], "apps/v1");
    assert_eq!(dump[3]["metadata"]["generation"], 1);
}

#[test]
fn concurrent_writers_get_unique_ordered_revisions_and_watchers_see_every_write() {
    let (s, _) = store();
    let pods = s.watch::<Pod>(0).unwrap();
    let nodes = s.watch::<Node>(0).unwrap();
    let threads = 4;
    let per = 200;
    thread::scope(|scope| {
        for t in 0..threads {
            let s = &s;
            scope.spawn(move || {
                for i in 0..per {
                    let name = format!("t{t}-{i}");
                    let p = s.create(pod("ns", &name)).unwrap();
                    // Racing unconditional updates from every thread on a shared object.
                    s.patch::<Node>("", "shared", |n| {
                        n.metadata.labels.insert(format!("t{t}"), i.to_string());
                    })
                    .ok();
                    let mut up = (*p).clone();
                    up.metadata.labels.insert("i".into(), i.to_string());
                    s.update(up).unwrap();
                }
            });
        }
        s.create(node("shared")).unwrap();
    });
    let pod_events = drain(&pods);
    assert_eq!(pod_events.len(), threads * per * 2);
    let node_events = drain(&nodes);
    let mut all: Vec<u64> = pod_events.iter().chain(&node_events).map(|e| e.2).collect();
    assert!(pod_events.windows(2).all(|w| w[0].2 < w[1].2), "per-kind revision order");
    assert!(node_events.windows(2).all(|w| w[0].2 < w[1].2));
    all.sort_unstable();
    assert_eq!(all, (1..=s.current_revision()).collect::<Vec<_>>(), "unique, no gaps");
    let last = s.get::<Node>("", "shared").unwrap();
    assert_eq!(last.metadata.revision(), node_events.last().unwrap().2);
}

#[test]
fn the_write_hook_runs_after_every_committed_write_with_its_kind() {
    let (s, _) = store();
    let (tx, rx) = crossbeam_channel::unbounded();
    let w = s.watch::<Pod>(0).unwrap();
    let probe = w.receiver().clone();
    s.set_write_hook(Arc::new(move |kind| {
        // The event is already in the watch when the hook runs.
        tx.send((kind, probe.len())).unwrap();
    }));
    s.create(pod("ns", "a")).unwrap();
    s.create(node("n")).unwrap();
    s.create(pod("ns", "a")).unwrap_err(); // rejected: no hook call
    let _ = s.update((*s.get::<Pod>("ns", "a").unwrap()).clone()); // no-op: no hook call
    s.delete::<Pod>("ns", "a", &DeleteOptions::default()).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![(Kind::Pod, 1), (Kind::Node, 1), (Kind::Pod, 2)]);
}
