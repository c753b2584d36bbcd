//! Expectations (SEMANTICS §1.d): how many creations and deletions a controller still waits to observe, per key.
//!
//! A controller that just issued N creates must not act on its (stale) cache
//! again until the informer has shown it those N pods — or 5 minutes passed.
//! Kubernetes' `ControllerExpectations` plus `UIDTrackingControllerExpectations`
//! in one type: deletions may be tracked by the exact pod keys
//! ([`ControllerExpectations::expect_deletions_of`]) so each is counted once,
//! whether seen as a deletionTimestamp or as the final delete.
//!
//! Invariants: a record's timestamp is the clock's time at its last `set`;
//! counters only move by `set` (replace), `lower`/`observed` (−) and `raise`
//! (+), and may go negative; a tracked key is counted at most once.
//! One mutex guards every record; each call holds it for one hash lookup.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use foldhash::fast::FixedState;
use parking_lot::Mutex;

use crate::api::Time;
use crate::clock::{duration_nanos, Clock};

/// After this long, expectations count as satisfied whatever their counters (`ExpectationsTimeout`).
pub const EXPECTATIONS_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A snapshot of one key's expectations (`ControlleeExpectations`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// Creations still expected.
    pub add: i64,
    /// Deletions still expected.
    pub del: i64,
    /// When they were last set.
    pub timestamp: Time,
}

impl Expectation {
    /// Both counters at or below zero (`Fulfilled`).
    pub fn fulfilled(&self) -> bool {
        self.add <= 0 && self.del <= 0
    }
    /// Set more than [`EXPECTATIONS_TIMEOUT`] before `now` (strictly).
    pub fn is_expired(&self, now: Time) -> bool {
        now.as_nanos().saturating_sub(self.timestamp.as_nanos()) > duration_nanos(EXPECTATIONS_TIMEOUT)
    }
}

#[derive(Debug)]
struct Record {
    exp: Expectation,
    /// Keys of the objects whose deletion is expected (UID tracking); kept across `set`.
    tracked: HashSet<String, FixedState>,
}

/// Per-key expectations on an injected clock. `K` is the controller's key
/// type (a queue id, or `namespace/name`).
pub struct ControllerExpectations<K> {
    clock: Arc<dyn Clock>,
    records: Mutex<HashMap<K, Record, FixedState>>,
}

impl<K> fmt::Debug for ControllerExpectations<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControllerExpectations").field("keys", &self.records.lock().len()).finish()
    }
}

impl<K: Eq + Hash> ControllerExpectations<K> {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        ControllerExpectations { clock, records: Mutex::new(HashMap::default()) }
    }

    /// The key's expectations, if any were set.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<Expectation>
    where
        K: Borrow<Q>,
    {
        self.records.lock().get(key).map(|r| r.exp)
    }

    /// True when no record exists, or both counters are ≤ 0, or the record
    /// is older than [`EXPECTATIONS_TIMEOUT`] (`SatisfiedExpectations`).
    pub fn satisfied<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        match self.get(key) {
            None => true,
            Some(e) => e.fulfilled() || e.is_expired(self.clock.now()),
        }
    }

    /// Replaces the key's counters and restamps it (`SetExpectations`); tracked keys are kept.
    pub fn set(&self, key: K, add: i64, del: i64) {
        let exp = Expectation { add, del, timestamp: self.clock.now() };
        let mut records = self.records.lock();
        records.entry(key).or_insert_with(|| Record { exp, tracked: HashSet::default() }).exp = exp;
    }

    /// `set(key, n, 0)`.
    pub fn expect_creations(&self, key: K, n: usize) {
        self.set(key, count(n), 0);
    }

    /// `set(key, 0, n)` (untracked deletions).
    pub fn expect_deletions(&self, key: K, n: usize) {
        self.set(key, 0, count(n));
    }

    /// Expects the deletion of exactly these objects (`namespace/name` keys):
    /// replaces the tracked set and sets `(0, number of distinct keys)`.
    pub fn expect_deletions_of(&self, key: K, object_keys: impl IntoIterator<Item = String>) {
        let tracked: HashSet<String, FixedState> = object_keys.into_iter().collect();
        let exp = Expectation { add: 0, del: count(tracked.len()), timestamp: self.clock.now() };
        self.records.lock().insert(key, Record { exp, tracked });
    }

    /// Lowers the counters of an existing record (`LowerExpectations`); no record: no-op.
    pub fn lower<Q: Hash + Eq + ?Sized>(&self, key: &Q, add: i64, del: i64)
    where
        K: Borrow<Q>,
    {
        if let Some(r) = self.records.lock().get_mut(key) {
            r.exp.add -= add;
            r.exp.del -= del;
        }
    }

    /// Raises the counters of an existing record (`RaiseExpectations`); no record: no-op.
    pub fn raise<Q: Hash + Eq + ?Sized>(&self, key: &Q, add: i64, del: i64)
    where
        K: Borrow<Q>,
    {
        self.lower(key, -add, -del);
    }

    /// One expected creation was observed (or will never be: a failed create).
    pub fn creation_observed<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.lower(key, 1, 0);
    }

    /// One untracked deletion was observed.
    pub fn deletion_observed<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.lower(key, 0, 1);
    }

    /// The deletion of `object_key` was observed (or failed): counted only if
    /// it is tracked, and then only once.
    pub fn deletion_observed_of<Q: Hash + Eq + ?Sized>(&self, key: &Q, object_key: &str)
    where
        K: Borrow<Q>,
    {
        if let Some(r) = self.records.lock().get_mut(key) {
            if r.tracked.remove(object_key) {
                r.exp.del -= 1;
            }
        }
    }

    /// The tracked keys still expected to be deleted, sorted.
    pub fn tracked_deletions<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Vec<String>
    where
        K: Borrow<Q>,
    {
        let mut out: Vec<String> =
            self.records.lock().get(key).map(|r| r.tracked.iter().cloned().collect()).unwrap_or_default();
        out.sort_unstable();
        out
    }

    /// Forgets the key (the controller object is gone), tracked keys included.
    pub fn delete<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.records.lock().remove(key);
    }

    /// Number of keys with a record.
    pub fn len(&self) -> usize {
        self.records.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::VirtualClock;

    fn fixture() -> (Arc<VirtualClock>, ControllerExpectations<String>) {
        let clock = Arc::new(VirtualClock::new());
        (clock.clone(), ControllerExpectations::new(clock))
    }

    fn counters(e: &ControllerExpectations<String>, key: &str) -> (i64, i64) {
        let x = e.get(key).expect("a record");
        (x.add, x.del)
    }

    /// §1.i case 1 [TestControllerExpectations].
    #[test]
    fn counters_go_negative_and_both_must_be_met() {
        let (_clock, e) = fixture();
        e.set("ns/rs".into(), 10, 30);
        for _ in 0..11 {
            e.creation_observed("ns/rs");
        }
        assert_eq!(counters(&e, "ns/rs"), (-1, 30));
        assert!(!e.satisfied("ns/rs"), "deletions still pending");
        for _ in 0..31 {
            e.deletion_observed("ns/rs");
        }
        assert_eq!(counters(&e, "ns/rs"), (-1, -1));
        assert!(e.satisfied("ns/rs"));
    }

    /// §1.i case 2: the 5-minute TTL, strictly after.
    #[test]
    fn expectations_expire_after_five_minutes() {
        let (clock, e) = fixture();
        e.set("ns/rs".into(), 1, 2);
        assert!(!e.satisfied("ns/rs"));
        clock.advance(EXPECTATIONS_TIMEOUT);
        assert!(!e.satisfied("ns/rs"), "exactly 5 minutes is not yet expired");
        clock.advance(Duration::from_nanos(1));
        assert!(e.satisfied("ns/rs"));
        e.expect_creations("ns/rs".into(), 1); // a new set restamps
        assert!(!e.satisfied("ns/rs"));
    }

    /// §1.i case 3.
    #[test]
    fn no_record_is_satisfied_and_lowering_it_creates_none() {
        let (_clock, e) = fixture();
        assert!(e.satisfied("ns/none"));
        e.creation_observed("ns/none");
        e.raise("ns/none", 3, 0);
        assert_eq!(e.get("ns/none"), None);
        assert!(e.is_empty());
    }

    #[test]
    fn tracked_deletions_count_each_key_once() {
        let (_clock, e) = fixture();
        e.expect_deletions_of("ns/rs".into(), ["ns/a".to_string(), "ns/b".into(), "ns/a".into()]);
        assert_eq!(counters(&e, "ns/rs"), (0, 2));
        assert_eq!(e.tracked_deletions("ns/rs"), ["ns/a", "ns/b"]);
        e.deletion_observed_of("ns/rs", "ns/a"); // deletionTimestamp seen
        e.deletion_observed_of("ns/rs", "ns/a"); // final delete: already counted
        e.deletion_observed_of("ns/rs", "ns/zzz"); // not ours
        assert_eq!(counters(&e, "ns/rs"), (0, 1));
        assert!(!e.satisfied("ns/rs"));
        e.deletion_observed_of("ns/rs", "ns/b");
        assert!(e.satisfied("ns/rs"));
        assert!(e.tracked_deletions("ns/rs").is_empty());
    }

    #[test]
    fn set_keeps_tracked_keys_and_delete_forgets_everything() {
        let (_clock, e) = fixture();
        e.expect_deletions_of("ns/rs".into(), ["ns/a".to_string()]);
        e.expect_creations("ns/rs".into(), 2);
        assert_eq!(counters(&e, "ns/rs"), (2, 0));
        assert_eq!(e.tracked_deletions("ns/rs"), ["ns/a"]);
        e.lower("ns/rs", 2, 0);
        assert!(e.satisfied("ns/rs"));
        e.delete("ns/rs");
        assert_eq!(e.get("ns/rs"), None);
        assert!(e.tracked_deletions("ns/rs").is_empty());
    }

    #[test]
    fn queue_ids_work_as_keys() {
        let clock = Arc::new(VirtualClock::new());
        let e = ControllerExpectations::<u32>::new(clock);
        e.expect_creations(7, 3);
        e.expect_deletions(8, 1);
        e.creation_observed(&7);
        assert_eq!(e.get(&7).map(|x| x.add), Some(2));
        e.deletion_observed(&8);
        assert!(e.satisfied(&8));
        assert_eq!(e.len(), 2);
    }
}
