//! Per-ReplicaSet memo of what a sync derives from the pods it controls, so a steady sync reads no pod.
//!
//! A sync needs, for each active pod the RS controls, a few facts (selected,
//! fully labeled, ready, ready since) — reading them means touching ~20 cache
//! lines per pod. Cached objects never change (an update is a new `Arc`), so
//! facts are memoized by the pod's allocation; the memo holds the `Arc`, which
//! keeps the address from being reused. And the list itself is re-read from
//! the owner index only when a pod event for this RS arrived since it was
//! read: the pod handlers [`bump`](Memos::bump) a per-RS version for every
//! event they map to it (add, update, delete of a pod it controls, old or new
//! controller). An event applied to the cache but not yet handled makes the
//! memo lag the cache by that event, exactly as if the cache had been read a
//! moment earlier; the handler then requeues the RS, and the next sync sees it.
//!
//! A memo is rebuilt from scratch when the RS's uid or generation changes
//! (template labels feed `fully_labeled`), and dropped with the RS.
//! Orphans are never memoized: they are read fresh from their index each sync.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::FixedState;
use parking_lot::Mutex;

use super::util::{PodCounts, PodFacts};
use crate::api::pod::Pod;
use crate::api::selector::Selector;
use crate::api::{ReplicaSet, StringMap, Time};
use crate::workqueue::ItemId;

/// What one RS's last sync read from its controlled pods.
///
/// Invariant: `pods[i]`'s facts are `facts[i]`, computed for `generation`'s
/// template and selector; `version` is the RS's pod-event count read before
/// `pods` was listed.
#[derive(Debug)]
pub(super) struct Memo {
    uid: String,
    generation: i64,
    version: Option<u64>,
    pub selector: Selector,
    /// Every selector requirement holds for any superset of the template labels.
    pub implied: bool,
    /// The RS's minReadySeconds (part of its spec, so of `generation`).
    min_ready: i32,
    /// Pods the RS controls (active or not), as the owner index listed them.
    pub pods: Vec<Arc<Pod>>,
    pub facts: Vec<PodFacts>,
    /// Facts by pod allocation, and the refresh that last saw it. Holds only
    /// pods in `pods`, whose `Arc`s keep the addresses from being reused.
    known: HashMap<usize, (PodFacts, u32), FixedState>,
    refreshes: u32,
    /// Aggregates over `facts`, so a steady sync is O(log pods).
    summary: Summary,
}

/// What a sync counts over the claimed pods (active and selected), precomputed.
#[derive(Debug, Default)]
struct Summary {
    claimed: usize,
    fully_labeled: i32,
    ready: i32,
    /// Ready times of the ready claimed pods that have one, ascending (only
    /// kept with minReadySeconds > 0).
    ready_since: Vec<Time>,
    /// Active pods it controls but no longer selects.
    releases: usize,
}

impl Summary {
    fn of(facts: &[PodFacts], keep_times: bool) -> Self {
        let mut s = Summary::default();
        for f in facts.iter().filter(|f| f.active) {
            if !f.selected {
                s.releases += 1;
                continue;
            }
            s.claimed += 1;
            s.fully_labeled += i32::from(f.fully_labeled);
            s.ready += i32::from(f.ready);
            if keep_times {
                s.ready_since.extend(f.ready_since.filter(|_| f.ready));
            }
        }
        s.ready_since.sort_unstable();
        s
    }
}

impl Memo {
    pub fn new(rs: &ReplicaSet, selector: Selector, implied: bool) -> Self {
        Memo {
            uid: rs.metadata.uid.clone(),
            generation: rs.metadata.generation,
            version: None,
            selector,
            implied,
            min_ready: rs.spec.min_ready_seconds.unwrap_or(0),
            pods: Vec::new(),
            facts: Vec::new(),
            known: HashMap::default(),
            refreshes: 0,
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

    /// Re-reads the controlled pods with `list` unless no pod event came since
    /// the last read (`version` unchanged); facts of pods seen before are reused.
    pub fn refresh(&mut self, version: u64, list: impl FnOnce() -> Vec<Arc<Pod>>, template: &StringMap) {
        if self.version == Some(version) {
            return;
        }
        // The old `pods` stay alive until replaced: no address in `known` can be reused meanwhile.
        let pods = list();
        self.refreshes = self.refreshes.wrapping_add(1);
        let (refresh, selector, implied) = (self.refreshes, &self.selector, self.implied);
        let mut facts = Vec::with_capacity(pods.len());
        for p in &pods {
            let entry = self
                .known
                .entry(Arc::as_ptr(p) as usize)
                .or_insert_with(|| (PodFacts::of(p, template, selector, implied), refresh));
            entry.1 = refresh;
            facts.push(entry.0);
        }
        if self.known.len() > pods.len() {
            self.known.retain(|_, e| e.1 == refresh);
        }
        self.summary = Summary::of(&facts, self.min_ready > 0);
        self.facts = facts;
        self.pods = pods;
        self.version = Some(version);
    }

    /// How many pods it claims from those it controls.
    pub fn claimed_len(&self) -> usize {
        self.summary.claimed
    }

    /// How many it controls but must release.
    pub fn releases(&self) -> usize {
        self.summary.releases
    }

    /// The status counts over its claimed pods, availability judged at `now`
    /// (equal to [`PodCounts::of`] over [`claimed`](Self::claimed)).
    pub fn counts(&self, now: Time) -> PodCounts {
        let (s, min_ready_seconds) = (&self.summary, self.min_ready);
        let available = if min_ready_seconds <= 0 {
            s.ready
        } else {
            let n = s.ready_since.partition_point(|t| t.add_secs(i64::from(min_ready_seconds)) < now);
            i32::try_from(n).unwrap_or(i32::MAX)
        };
        let replicas = i32::try_from(s.claimed).unwrap_or(i32::MAX);
        PodCounts { replicas, fully_labeled: s.fully_labeled, ready: s.ready, available }
    }

    /// Active controlled pods the selector selects, with their facts.
    pub fn claimed(&self) -> impl Iterator<Item = (&Arc<Pod>, PodFacts)> + '_ {
        self.pods.iter().zip(self.facts.iter().copied()).filter(|(_, f)| f.active && f.selected)
    }
}

/// Every RS's memo and pod-event version, by RS queue id.
#[derive(Debug, Default)]
pub(super) struct Memos {
    memos: Mutex<HashMap<ItemId, Memo, FixedState>>,
    /// `versions[id]`: pod events mapped to the RS so far.
    versions: Mutex<Vec<u64>>,
}

impl Memos {
    /// A pod event concerned the RS with id `id`.
    pub fn bump(&self, id: ItemId) {
        let mut v = self.versions.lock();
        let i = id as usize;
        if v.len() <= i {
            v.resize((i + 1).next_power_of_two().max(64), 0);
        }
        v[i] += 1;
    }

    pub fn version(&self, id: ItemId) -> u64 {
        self.versions.lock().get(id as usize).copied().unwrap_or(0)
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Condition, ConditionStatus, PodPhase};
    use crate::api::{LabelSelector, ObjectMeta};
    use std::cell::Cell;

    fn rs() -> ReplicaSet {
        let mut r = ReplicaSet { metadata: ObjectMeta::named("ns", "web"), ..Default::default() };
        r.metadata.uid = "uid".into();
        r.metadata.generation = 1;
        r.spec.template.metadata.labels = [("app".to_string(), "web".to_string())].into();
        r
    }

    /// Pods cycling through: selected or not, ready since i seconds or not, terminal or not.
    fn pods(n: usize) -> Vec<Arc<Pod>> {
        (0..n)
            .map(|i| {
                let mut p = Pod { metadata: ObjectMeta::named("ns", format!("p{i}")), ..Default::default() };
                let app = if i % 5 == 0 { "other" } else { "web" };
                p.metadata.labels = [("app".to_string(), app.to_string())].into();
                p.status.phase = Some(if i % 7 == 0 { PodPhase::Succeeded } else { PodPhase::Running });
                if i % 3 != 0 {
                    let mut c = Condition::new("Ready", ConditionStatus::True, "", "", Time::from_secs(i as i64));
                    c.last_transition_time = (i % 11 != 0).then_some(Time::from_secs(i as i64));
                    p.status.conditions.push(c);
                }
                Arc::new(p)
            })
            .collect()
    }

    fn memo(r: &ReplicaSet) -> Memo {
        let selector = LabelSelector::from_labels(r.spec.template.metadata.labels.clone()).to_selector().unwrap();
        Memo::new(r, selector, true)
    }

    #[test]
    fn summary_counts_equal_counting_the_claimed_pods() {
        let all = pods(200);
        for min_ready in [0, 1, 30, 500] {
            let mut r = rs();
            r.spec.min_ready_seconds = Some(min_ready);
            let mut m = memo(&r);
            m.refresh(1, || all.clone(), &r.spec.template.metadata.labels);
            assert_eq!(m.claimed().count(), m.claimed_len());
            let releases = m.pods.iter().zip(&m.facts).filter(|(_, f)| f.active && !f.selected).count();
            assert_eq!(m.releases(), releases);
            for now in [0, 50, 150, 199, 200, 201, 10_000] {
                let now = Time::from_secs(now);
                let want = PodCounts::of(m.claimed().map(|(_, f)| f), min_ready, now);
                assert_eq!(m.counts(now), want, "min_ready {min_ready}, now {now:?}");
            }
        }
    }

    #[test]
    fn refresh_lists_only_after_a_pod_event_and_reuses_facts_by_allocation() {
        let r = rs();
        let mut m = memo(&r);
        let all = pods(10);
        let lists = Cell::new(0);
        let list = |v: &Vec<Arc<Pod>>| {
            lists.set(lists.get() + 1);
            v.clone()
        };
        m.refresh(3, || list(&all), &r.spec.template.metadata.labels);
        m.refresh(3, || list(&all), &r.spec.template.metadata.labels);
        assert_eq!(lists.get(), 1, "same version: the memo stands");
        // One pod changes (a new Arc): its facts are recomputed, the others reused.
        let mut changed = all.clone();
        let mut p = (*changed[1]).clone();
        p.status.conditions.clear();
        changed[1] = Arc::new(p);
        m.refresh(4, || list(&changed), &r.spec.template.metadata.labels);
        assert_eq!(lists.get(), 2);
        assert!(!m.facts[1].ready);
        assert_eq!(m.known.len(), 10, "the replaced pod's entry is gone");
        m.refresh(5, || list(&changed[..4].to_vec()), &r.spec.template.metadata.labels);
        assert_eq!((m.pods.len(), m.known.len()), (4, 4));
        assert!(m.fits(&r));
        let mut r2 = r.clone();
        r2.metadata.generation = 2;
        assert!(!m.fits(&r2), "a new generation needs a new memo");
    }

    #[test]
    fn versions_count_bumps_per_id() {
        let memos = Memos::default();
        assert_eq!(memos.version(70), 0);
        memos.bump(70);
        memos.bump(70);
        memos.bump(3);
        assert_eq!((memos.version(70), memos.version(3), memos.version(4)), (2, 1, 0));
        memos.put(3, memo(&rs()));
        assert!(memos.take(3).is_some());
        assert!(memos.take(3).is_none());
    }
}
