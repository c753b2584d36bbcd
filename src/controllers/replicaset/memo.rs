//! Per-ReplicaSet memo of what a sync derives from the pods it controls, so a sync reads only the pods that changed.
//!
//! A sync needs, for each active pod the RS controls, a few facts (selected,
//! fully labeled, ready, ready since) and their totals. Re-listing the owner
//! index on every sync costs O(pods) — at 10,000 pods per RS and one sync
//! per pod event that is quadratic. So the memo keeps the controlled pods by
//! name with their facts and running totals, and is brought up to date from
//! the names of the pods that changed: the pod handlers
//! [`pod_changed`](Memos::pod_changed) every pod they map to an RS (add,
//! update, delete of a pod it controls, old or new controller), and the next
//! sync [`takes`](Memos::take_dirty) those names before it reads, then reads
//! just those pods from the cache (a pod no longer there, or no longer
//! controlled by this RS, leaves the memo). An event applied to the cache but
//! not yet handled makes the memo lag the cache by that event, exactly as if
//! the cache had been read a moment earlier; the handler then marks the pod
//! and requeues the RS, and the next sync sees it.
//!
//! A memo is rebuilt from a full list of the owner index when it is new, when
//! the RS's uid or generation changes (template labels feed
//! `fully_labeled`), or when too many pods changed at once; it is dropped with
//! the RS. Orphans are never memoized: they are read fresh from their index
//! each sync.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::FixedState;
use parking_lot::Mutex;

use super::util::{PodCounts, PodFacts};
use crate::api::pod::Pod;
use crate::api::selector::Selector;
use crate::api::{ReplicaSet, StringMap, Time};
use crate::workqueue::ItemId;

/// Changed pods remembered by name per RS before a sync re-lists instead.
const MAX_DIRTY_NAMES: usize = 4096;

/// What the pod handlers saw change for one RS since its last sync.
#[derive(Debug)]
pub(super) enum Dirty {
    /// These pods (by name) changed.
    Names(HashSet<String, FixedState>),
    /// Too many, or unknown: re-list.
    All,
}

/// The pods one RS controls, with their facts and running totals.
///
/// Invariant: `pods` holds, by name, each pod the RS controlled when last
/// read, with its facts for `generation`'s template and selector; `summary`
/// is the totals over those facts.
#[derive(Debug)]
pub(super) struct Memo {
    uid: String,
    generation: i64,
    listed: bool,
    pub selector: Selector,
    /// Every selector requirement holds for any superset of the template labels.
    pub implied: bool,
    /// The RS's minReadySeconds (part of its spec, so of `generation`).
    min_ready: i32,
    pods: BTreeMap<String, (Arc<Pod>, PodFacts)>,
    summary: Summary,
}

/// What a sync counts over the claimed pods (active and selected), kept up to date.
#[derive(Debug, Default)]
struct Summary {
    claimed: i64,
    fully_labeled: i64,
    ready: i64,
    /// Ready times of the ready claimed pods that have one, ascending (only
    /// kept with minReadySeconds > 0).
    ready_since: Vec<Time>,
    /// Active pods it controls but no longer selects.
    releases: i64,
}

impl Summary {
    /// Adds (`sign` 1) or removes (`sign` -1) one pod's facts.
    fn apply(&mut self, f: &PodFacts, sign: i64, keep_times: bool) {
        if !f.active {
            return;
        }
        if !f.selected {
            self.releases += sign;
            return;
        }
        self.claimed += sign;
        self.fully_labeled += sign * i64::from(f.fully_labeled);
        self.ready += sign * i64::from(f.ready);
        if let (true, true, Some(t)) = (keep_times, f.ready, f.ready_since) {
            let at = self.ready_since.partition_point(|x| *x < t);
            if sign > 0 {
                self.ready_since.insert(at, t);
            } else if self.ready_since.get(at) == Some(&t) {
                self.ready_since.remove(at);
            }
        }
    }
}

fn clamp(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(if n < 0 { 0 } else { i32::MAX })
}

impl Memo {
    pub fn new(rs: &ReplicaSet, selector: Selector, implied: bool) -> Self {
        Memo {
            uid: rs.metadata.uid.clone(),
            generation: rs.metadata.generation,
            listed: false,
            selector,
            implied,
            min_ready: rs.spec.min_ready_seconds.unwrap_or(0),
            pods: BTreeMap::new(),
            summary: Summary::default(),
        }
    }

    /// Whether this memo was made for this RS object's uid and generation.
    pub fn fits(&self, rs: &ReplicaSet) -> bool {
        self.uid == rs.metadata.uid && self.generation == rs.metadata.generation
    }

    /// The facts of `pod` for this RS (`template`: its template labels).
    pub fn facts_of(&self, pod: &Pod, template: &StringMap) -> PodFacts {
        PodFacts::of(pod, template, &self.selector, self.implied)
    }

    fn controls(&self, pod: &Pod) -> bool {
        pod.metadata.controller_ref().is_some_and(|r| r.uid == self.uid)
    }

    /// Puts `pod` in (or takes the pod of that name out, with `None`), keeping the totals.
    fn set(&mut self, name: &str, pod: Option<Arc<Pod>>, template: &StringMap) {
        let keep_times = self.min_ready > 0;
        match pod {
            Some(p) => {
                if self.pods.get(name).is_some_and(|(old, _)| Arc::ptr_eq(old, &p)) {
                    return;
                }
                let f = self.facts_of(&p, template);
                match self.pods.get_mut(name) {
                    Some(entry) => {
                        self.summary.apply(&entry.1, -1, keep_times);
                        *entry = (p, f);
                    }
                    None => drop(self.pods.insert(name.to_owned(), (p, f))),
                }
                self.summary.apply(&f, 1, keep_times);
            }
            None => {
                if let Some((_, f)) = self.pods.remove(name) {
                    self.summary.apply(&f, -1, keep_times);
                }
            }
        }
    }

    /// Brings the memo up to date: a full `list` of the controlled pods the
    /// first time or after [`Dirty::All`]; otherwise reads each changed pod
    /// with `get` (by name). Facts of pods that did not change are reused.
    pub fn refresh(
        &mut self,
        dirty: Option<Dirty>,
        list: impl FnOnce() -> Vec<Arc<Pod>>,
        get: impl Fn(&str) -> Option<Arc<Pod>>,
        template: &StringMap,
    ) {
        match dirty {
            _ if !self.listed => self.relist(list(), template),
            Some(Dirty::All) => self.relist(list(), template),
            Some(Dirty::Names(names)) => {
                for name in names {
                    let pod = get(&name).filter(|p| self.controls(p));
                    self.set(&name, pod, template);
                }
            }
            None => {}
        }
    }

    fn relist(&mut self, pods: Vec<Arc<Pod>>, template: &StringMap) {
        let mut old = std::mem::take(&mut self.pods);
        self.summary = Summary::default();
        let keep_times = self.min_ready > 0;
        for p in pods {
            if !self.controls(&p) {
                continue;
            }
            let f = match old.remove(&p.metadata.name) {
                Some((q, f)) if Arc::ptr_eq(&q, &p) => f,
                _ => self.facts_of(&p, template),
            };
            self.summary.apply(&f, 1, keep_times);
            self.pods.insert(p.metadata.name.clone(), (p, f));
        }
        self.listed = true;
    }

    /// How many pods it claims from those it controls.
    pub fn claimed_len(&self) -> usize {
        usize::try_from(self.summary.claimed).unwrap_or(0)
    }

    /// How many it controls but must release.
    pub fn releases(&self) -> usize {
        usize::try_from(self.summary.releases).unwrap_or(0)
    }

    /// Every pod it controls (by name) with its facts.
    pub fn controlled(&self) -> impl Iterator<Item = (&Arc<Pod>, PodFacts)> + '_ {
        self.pods.values().map(|(p, f)| (p, *f))
    }

    /// The status counts over its claimed pods, availability judged at `now`
    /// (equal to [`PodCounts::of`] over [`claimed`](Self::claimed)).
    pub fn counts(&self, now: Time) -> PodCounts {
        let (s, min_ready_seconds) = (&self.summary, self.min_ready);
        let available = if min_ready_seconds <= 0 {
            clamp(s.ready)
        } else {
            let n = s.ready_since.partition_point(|t| t.add_secs(i64::from(min_ready_seconds)) < now);
            i32::try_from(n).unwrap_or(i32::MAX)
        };
        PodCounts {
            replicas: clamp(s.claimed),
            fully_labeled: clamp(s.fully_labeled),
            ready: clamp(s.ready),
            available,
        }
    }

    /// Active controlled pods the selector selects, with their facts, by name.
    pub fn claimed(&self) -> impl Iterator<Item = (&Arc<Pod>, PodFacts)> + '_ {
        self.controlled().filter(|(_, f)| f.active && f.selected)
    }
}

/// Every RS's memo and the pods changed since its last sync, by RS queue id.
#[derive(Debug, Default)]
pub(super) struct Memos {
    memos: Mutex<HashMap<ItemId, Memo, FixedState>>,
    dirty: Mutex<HashMap<ItemId, Dirty, FixedState>>,
}

impl Memos {
    /// The pod named `pod` changed in a way that concerns the RS with id `id`.
    pub fn pod_changed(&self, id: ItemId, pod: &str) {
        let mut dirty = self.dirty.lock();
        let d = dirty.entry(id).or_insert_with(|| Dirty::Names(HashSet::default()));
        if let Dirty::Names(names) = d {
            if names.len() >= MAX_DIRTY_NAMES {
                *d = Dirty::All;
            } else if !names.contains(pod) {
                names.insert(pod.to_owned());
            }
        }
    }

    /// The next sync of the RS with id `id` re-lists its pods.
    pub fn bump(&self, id: ItemId) {
        self.dirty.lock().insert(id, Dirty::All);
    }

    /// What changed since the last call (`None`: nothing); call before reading pods.
    pub fn take_dirty(&self, id: ItemId) -> Option<Dirty> {
        self.dirty.lock().remove(&id)
    }

    /// Takes the RS's memo out (a key is synced by one worker at a time).
    pub fn take(&self, id: ItemId) -> Option<Memo> {
        self.memos.lock().remove(&id)
    }

    pub fn put(&self, id: ItemId, memo: Memo) {
        self.memos.lock().insert(id, memo);
    }

    pub fn forget(&self, id: ItemId) {
        self.memos.lock().remove(&id);
        self.dirty.lock().remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Condition, ConditionStatus, PodPhase};
    use crate::api::{LabelSelector, ObjectMeta, OwnerReference};
    use std::cell::Cell;

    fn rs() -> ReplicaSet {
        let mut r = ReplicaSet { metadata: ObjectMeta::named("ns", "web"), ..Default::default() };
        r.metadata.uid = "uid".into();
        r.metadata.generation = 1;
        r.spec.template.metadata.labels = [("app".to_string(), "web".to_string())].into();
        r
    }

    fn owned_by(p: &mut Pod, uid: &str) {
        p.metadata.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "web".into(),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }];
    }

    /// Pod `i` in a state cycling with `salt`: selected or not, ready since some time or not, terminal or not.
    fn pod(i: usize, salt: usize) -> Arc<Pod> {
        let k = i + salt;
        let mut p = Pod { metadata: ObjectMeta::named("ns", format!("p{i}")), ..Default::default() };
        owned_by(&mut p, "uid");
        let app = if k % 5 == 0 { "other" } else { "web" };
        p.metadata.labels = [("app".to_string(), app.to_string())].into();
        p.status.phase = Some(if k % 7 == 0 { PodPhase::Succeeded } else { PodPhase::Running });
        if k % 3 != 0 {
            let mut c = Condition::new("Ready", ConditionStatus::True, "", "", Time::from_secs(k as i64));
            c.last_transition_time = (k % 11 != 0).then_some(Time::from_secs(k as i64));
            p.status.conditions.push(c);
        }
        Arc::new(p)
    }

    fn pods(n: usize) -> Vec<Arc<Pod>> {
        (0..n).map(|i| pod(i, 0)).collect()
    }

    fn memo(r: &ReplicaSet) -> Memo {
        let selector = LabelSelector::from_labels(r.spec.template.metadata.labels.clone()).to_selector().unwrap();
        Memo::new(r, selector, true)
    }

    fn assert_counts_match(m: &Memo, min_ready: i32) {
        assert_eq!(m.claimed().count(), m.claimed_len());
        assert_eq!(m.controlled().filter(|(_, f)| f.active && !f.selected).count(), m.releases());
        for now in [0, 50, 150, 199, 200, 201, 10_000] {
            let now = Time::from_secs(now);
            let want = PodCounts::of(m.claimed().map(|(_, f)| f), min_ready, now);
            assert_eq!(m.counts(now), want, "min_ready {min_ready}, now {now:?}");
        }
    }

    #[test]
    fn running_totals_equal_counting_the_claimed_pods_after_any_changes() {
        for min_ready in [0, 1, 30, 500] {
            let mut r = rs();
            r.spec.min_ready_seconds = Some(min_ready);
            let labels = r.spec.template.metadata.labels.clone();
            let mut m = memo(&r);
            let mut world: BTreeMap<String, Arc<Pod>> =
                pods(200).into_iter().map(|p| (p.metadata.name.clone(), p)).collect();
            m.refresh(None, || world.values().cloned().collect(), |_| unreachable!(), &labels);
            assert_counts_match(&m, min_ready);
            // Rounds of changes: pods change state, leave (deleted or released to another owner), arrive.
            for round in 1..6 {
                let mut names = HashSet::default();
                for i in (round..260).step_by(round + 2) {
                    let name = format!("p{i}");
                    match i % 4 {
                        0 => drop(world.remove(&name)),
                        1 => {
                            let mut p = (*pod(i, round)).clone();
                            owned_by(&mut p, "another-uid");
                            world.insert(name.clone(), Arc::new(p));
                        }
                        _ => drop(world.insert(name.clone(), pod(i, round))),
                    }
                    names.insert(name);
                }
                m.refresh(Some(Dirty::Names(names)), || unreachable!(), |n| world.get(n).cloned(), &labels);
                assert_counts_match(&m, min_ready);
                let mut fresh = memo(&r);
                fresh.refresh(None, || world.values().cloned().collect(), |_| unreachable!(), &labels);
                let names = |m: &Memo| m.controlled().map(|(p, f)| (p.metadata.name.clone(), f)).collect::<Vec<_>>();
                assert_eq!(names(&m), names(&fresh), "round {round}: incremental == relisted");
                for now in [0, 199, 10_000] {
                    let now = Time::from_secs(now);
                    assert_eq!(m.counts(now), fresh.counts(now));
                }
            }
        }
    }

    #[test]
    fn a_sync_lists_once_then_reads_only_changed_pods_and_reuses_facts() {
        let r = rs();
        let labels = r.spec.template.metadata.labels.clone();
        let mut m = memo(&r);
        let all = pods(10);
        let (lists, gets) = (Cell::new(0), Cell::new(0));
        let list = || {
            lists.set(lists.get() + 1);
            all.clone()
        };
        let get = |name: &str| {
            gets.set(gets.get() + 1);
            all.iter().find(|p| p.metadata.name == name).cloned()
        };
        m.refresh(None, list, get, &labels);
        m.refresh(None, list, get, &labels);
        assert_eq!((lists.get(), gets.get()), (1, 0), "nothing changed: the memo stands");
        m.refresh(Some(Dirty::Names(["p1".to_string(), "gone".to_string()].into_iter().collect())), list, get, &labels);
        assert_eq!((lists.get(), gets.get()), (1, 2), "only the changed pods are read");
        m.refresh(Some(Dirty::All), list, get, &labels);
        assert_eq!(lists.get(), 2);
        assert_eq!(m.controlled().count(), 10);
        assert!(m.fits(&r));
        let mut r2 = r.clone();
        r2.metadata.generation = 2;
        assert!(!m.fits(&r2), "a new generation needs a new memo");
    }

    #[test]
    fn changed_pods_collect_per_id_until_taken_and_overflow_to_a_relist() {
        let memos = Memos::default();
        assert!(memos.take_dirty(70).is_none());
        memos.pod_changed(70, "a");
        memos.pod_changed(70, "a");
        memos.pod_changed(70, "b");
        memos.pod_changed(3, "c");
        match memos.take_dirty(70) {
            Some(Dirty::Names(n)) => assert_eq!(n.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(memos.take_dirty(70).is_none(), "taken");
        for i in 0..=MAX_DIRTY_NAMES {
            memos.pod_changed(5, &format!("p{i}"));
        }
        assert!(matches!(memos.take_dirty(5), Some(Dirty::All)));
        memos.bump(3);
        assert!(matches!(memos.take_dirty(3), Some(Dirty::All)));
        memos.put(3, memo(&rs()));
        assert!(memos.take(3).is_some());
        assert!(memos.take(3).is_none());
    }
}
