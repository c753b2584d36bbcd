//! delete: graceful pod deletion, finalizers, propagation policy, preconditions.

use std::time::Duration;

use super::*;
use crate::api::pod::PodPhase;

#[test]
fn an_unbound_pod_is_deleted_at_once() {
    let (s, _) = store();
    let p = s.create(pod("ns", "p")).unwrap();
    let w = s.watch::<Pod>(s.current_revision()).unwrap();
    let gone = s.delete::<Pod>("ns", "p", &DeleteOptions::default()).unwrap();
    assert!(Arc::ptr_eq(&gone, &p), "returns the object as last stored");
    assert!(s.get::<Pod>("ns", "p").unwrap_err().is_not_found());
    assert_eq!(drain(&w), vec![(EventType::Deleted, "ns/p".into(), 2)]);
}

#[test]
fn a_bound_pod_terminates_gracefully_until_the_kubelet_confirms() {
    let (s, clock) = store();
    s.create(bound_pod("ns", "p", "n1")).unwrap();
    let w = s.watch::<Pod>(s.current_revision()).unwrap();
    let t0 = clock.now();
    let marked = s.delete::<Pod>("ns", "p", &DeleteOptions::default()).unwrap();
    assert_eq!(marked.metadata.deletion_timestamp, Some(t0.add_secs(30)), "now + terminationGracePeriodSeconds");
    assert_eq!(marked.metadata.deletion_grace_period_seconds, Some(30));
    assert_eq!(marked.metadata.generation, 2, "entering deletion bumps generation");
    assert!(Arc::ptr_eq(&marked, &s.get("ns", "p").unwrap()), "still stored");
    clock.advance(Duration::from_secs(3));
    let again = s.delete::<Pod>("ns", "p", &DeleteOptions::default()).unwrap();
    assert!(Arc::ptr_eq(&again, &marked), "a second delete with the same grace is a no-op");
    let uid = marked.metadata.uid.clone();
    let gone = s.delete::<Pod>("ns", "p", &DeleteOptions::now().uid(uid)).unwrap();
    assert!(Arc::ptr_eq(&gone, &marked));
    assert!(s.get::<Pod>("ns", "p").is_err());
    assert_eq!(drain(&w), vec![(EventType::Modified, "ns/p".into(), 2), (EventType::Deleted, "ns/p".into(), 3)]);
}

#[test]
fn a_shorter_grace_period_moves_the_deadline_from_the_original_request() {
    let (s, clock) = store();
    s.create(bound_pod("ns", "p", "n1")).unwrap();
    let t0 = clock.now();
    s.delete::<Pod>("ns", "p", &DeleteOptions::default().grace(60)).unwrap();
    clock.advance(Duration::from_secs(5));
    let p = s.delete::<Pod>("ns", "p", &DeleteOptions::default().grace(10)).unwrap();
    assert_eq!(p.metadata.deletion_timestamp, Some(t0.add_secs(10)));
    assert_eq!(p.metadata.deletion_grace_period_seconds, Some(10));
    let longer = s.delete::<Pod>("ns", "p", &DeleteOptions::default().grace(20)).unwrap();
    assert!(Arc::ptr_eq(&longer, &p), "a longer grace period changes nothing");
}

#[test]
fn terminal_pods_and_grace_zero_delete_at_once() {
    let (s, _) = store();
    let mut done = bound_pod("ns", "done", "n1");
    done.status.phase = Some(PodPhase::Succeeded);
    s.create(done).unwrap();
    s.delete::<Pod>("ns", "done", &DeleteOptions::default()).unwrap();
    assert!(s.get::<Pod>("ns", "done").is_err(), "terminal pods have nothing to stop");
    s.create(bound_pod("ns", "p", "n1")).unwrap();
    s.delete::<Pod>("ns", "p", &DeleteOptions::now()).unwrap();
    assert!(s.get::<Pod>("ns", "p").is_err());
}

#[test]
fn a_negative_grace_period_means_one_second() {
    let (s, clock) = store();
    s.create(bound_pod("ns", "p", "n1")).unwrap();
    let p = s.delete::<Pod>("ns", "p", &DeleteOptions::default().grace(-5)).unwrap();
    assert_eq!(p.metadata.deletion_timestamp, Some(clock.now().add_secs(1)));
}

#[test]
fn finalizers_hold_an_object_until_an_update_removes_the_last_one() {
    let (s, clock) = store();
    let mut d = deployment("ns", "web");
    d.metadata.finalizers = vec!["example.com/a".into(), "example.com/b".into()];
    s.create(d).unwrap();
    let w = s.watch::<Deployment>(s.current_revision()).unwrap();
    let marked = s.delete::<Deployment>("ns", "web", &DeleteOptions::default()).unwrap();
    assert_eq!(marked.metadata.deletion_timestamp, Some(clock.now()));
    assert_eq!(marked.metadata.deletion_grace_period_seconds, Some(0));
    assert_eq!(marked.metadata.generation, 2);
    assert!(Arc::ptr_eq(&marked, &s.delete::<Deployment>("ns", "web", &DeleteOptions::default()).unwrap()));

    let mut add = (*marked).clone();
    add.metadata.finalizers.push("example.com/new".into());
    let err = s.update(add).unwrap_err();
    assert!(err.to_string().contains("no new finalizers can be added if the object is being deleted"), "{err}");

    let mut one = (*marked).clone();
    one.metadata.finalizers.remove(0);
    let kept = s.update(one).unwrap();
    assert_eq!(kept.metadata.finalizers, vec!["example.com/b".to_string()]);
    let mut none = (*kept).clone();
    none.metadata.finalizers.clear();
    let last = s.update(none).unwrap();
    assert!(last.metadata.finalizers.is_empty());
    assert!(s.get::<Deployment>("ns", "web").is_err(), "removing the last finalizer deletes");
    assert_eq!(
        drain(&w).into_iter().map(|(t, _, r)| (t, r)).collect::<Vec<_>>(),
        vec![(EventType::Modified, 2), (EventType::Modified, 3), (EventType::Deleted, 4)]
    );
}

#[test]
fn a_bound_pod_with_a_finalizer_stays_after_the_kubelet_confirms() {
    let (s, _) = store();
    let mut p = bound_pod("ns", "p", "n1");
    p.metadata.finalizers = vec!["example.com/protect".into()];
    s.create(p).unwrap();
    s.delete::<Pod>("ns", "p", &DeleteOptions::default()).unwrap();
    let confirmed = s.delete::<Pod>("ns", "p", &DeleteOptions::now()).unwrap();
    assert_eq!(confirmed.metadata.deletion_grace_period_seconds, Some(0));
    let mut release = (*confirmed).clone();
    release.metadata.finalizers.clear();
    s.update(release).unwrap();
    assert!(s.get::<Pod>("ns", "p").is_err());
}

#[test]
fn removing_finalizers_during_a_pending_grace_period_keeps_the_pod() {
    let (s, _) = store();
    let mut p = bound_pod("ns", "p", "n1");
    p.metadata.finalizers = vec!["example.com/protect".into()];
    s.create(p).unwrap();
    let marked = s.delete::<Pod>("ns", "p", &DeleteOptions::default()).unwrap();
    let mut release = (*marked).clone();
    release.metadata.finalizers.clear();
    s.update(release).unwrap();
    assert!(s.get::<Pod>("ns", "p").is_ok(), "the kubelet still has to confirm");
    s.delete::<Pod>("ns", "p", &DeleteOptions::now()).unwrap();
    assert!(s.get::<Pod>("ns", "p").is_err());
}

#[test]
fn propagation_policy_is_recorded_as_finalizers() {
    let (s, _) = store();
    for name in ["orphan", "fg", "bg"] {
        s.create(deployment("ns", name)).unwrap();
    }
    let o = s.delete::<Deployment>("ns", "orphan", &DeleteOptions::default().propagation(Propagation::Orphan)).unwrap();
    assert_eq!(o.metadata.finalizers, vec![FINALIZER_ORPHAN.to_string()]);
    assert!(o.metadata.deletion_timestamp.is_some());
    let f = s.delete::<Deployment>("ns", "fg", &DeleteOptions::default().propagation(Propagation::Foreground)).unwrap();
    assert_eq!(f.metadata.finalizers, vec![FINALIZER_FOREGROUND.to_string()]);
    s.delete::<Deployment>("ns", "bg", &DeleteOptions::default().propagation(Propagation::Background)).unwrap();
    assert!(s.get::<Deployment>("ns", "bg").is_err(), "background: gone now, the GC cleans up");
}

#[test]
fn jobs_orphan_by_default_other_kinds_delete_in_the_background() {
    let (s, _) = store();
    s.create(job("ns", "j")).unwrap();
    let j = s.delete::<Job>("ns", "j", &DeleteOptions::default()).unwrap();
    assert_eq!(j.metadata.finalizers, vec![FINALIZER_ORPHAN.to_string()]);
    s.create(deployment("ns", "d")).unwrap();
    s.delete::<Deployment>("ns", "d", &DeleteOptions::default()).unwrap();
    assert!(s.get::<Deployment>("ns", "d").is_err());
}

#[test]
fn gc_finalizers_follow_the_api_servers_precedence() {
    use Propagation::*;
    let f = |existing: &[&str], policy, default| {
        let existing: Vec<String> = existing.iter().map(|s| s.to_string()).collect();
        rules::gc_finalizers(&existing, policy, default)
    };
    /// (existing, explicit policy, kind default) → finalizers
    type Case = (&'static [&'static str], Option<Propagation>, Propagation, &'static [&'static str]);
    let cases: &[Case] = &[
        (&[], None, Background, &[]),
        (&[], None, Orphan, &["orphan"]),
        (&["x"], Some(Orphan), Background, &["x", "orphan"]),
        (&["x"], Some(Foreground), Background, &["x", "foregroundDeletion"]),
        (&["orphan", "x"], Some(Background), Orphan, &["x"]),
        (&["orphan"], Some(Foreground), Background, &["foregroundDeletion"]),
        (&["foregroundDeletion"], None, Orphan, &["foregroundDeletion"]),
        (&["orphan"], None, Background, &["orphan"]),
    ];
    for (existing, policy, default, want) in cases {
        assert_eq!(f(existing, *policy, *default), *want, "{existing:?} {policy:?} {default:?}");
    }
}

#[test]
fn delete_preconditions_must_hold() {
    let (s, _) = store();
    let p = s.create(pod("ns", "p")).unwrap();
    let err = s.delete::<Pod>("ns", "p", &DeleteOptions::default().uid("other")).unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(
        err.to_string(),
        format!(
            r#"Operation cannot be fulfilled on pods "p": Precondition failed: UID in precondition: other, UID in object meta: {}"#,
            p.metadata.uid
        )
    );
    let err = s.delete::<Pod>("ns", "p", &DeleteOptions::default().resource_version("7")).unwrap_err();
    assert!(err.is_conflict() && err.to_string().contains("ResourceVersion in precondition: 7"), "{err}");
    assert_eq!(s.current_revision(), 1, "nothing written");
    let ok = DeleteOptions::default().uid(p.metadata.uid.clone()).resource_version("1");
    s.delete::<Pod>("ns", "p", &ok).unwrap();
    assert!(s.delete::<Pod>("ns", "p", &ok).unwrap_err().is_not_found());
}

#[test]
fn nodes_have_no_grace_period() {
    let (s, _) = store();
    s.create(node("n1")).unwrap();
    s.delete::<Node>("", "n1", &DeleteOptions::default().grace(30)).unwrap();
    assert_eq!(s.count::<Node>(), 0);
}
