//! Queue tests: SEMANTICS §2.c cases 6–12 and 14, shutdown, notify, metrics.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::*;
use crate::clock::{RealClock, VirtualClock};

const MS: Duration = Duration::from_millis(1);
const FOO: ItemId = 0;
const BAR: ItemId = 1;
const BAZ: ItemId = 2;

fn virtual_queue() -> (Arc<VirtualClock>, WorkQueue) {
    let clock = Arc::new(VirtualClock::new());
    let q = WorkQueue::new("test", clock.clone(), Options::default());
    (clock, q)
}

/// Takes every queued item (calling `done` on each) and checks the order.
fn expect_drained(q: &WorkQueue, expect: &[ItemId]) {
    let mut got = Vec::new();
    while let Some(id) = q.try_get() {
        got.push(id);
        q.done(id);
    }
    assert_eq!(got, expect);
    q.check_invariants();
}

#[test]
fn case_6_len_counts_distinct_items() {
    let (_, q) = virtual_queue();
    q.add(FOO);
    q.add(BAR);
    q.add(FOO);
    assert_eq!(q.len(), 2);
    q.check_invariants();
}

#[test]
fn items_leave_in_the_order_they_were_first_added() {
    let (_, q) = virtual_queue();
    for id in [5, 3, 9, 3, 5, 1] {
        q.add(id);
    }
    expect_drained(&q, &[5, 3, 9, 1]);
}

#[test]
fn case_7_an_item_added_while_processing_is_requeued_on_done() {
    let (_, q) = virtual_queue();
    q.add(FOO);
    assert_eq!(q.get(), Some(FOO));
    q.add(FOO);
    assert_eq!(q.len(), 0, "not queued while a worker holds it");
    assert_eq!(q.try_get(), None);
    q.done(FOO);
    assert_eq!(q.get(), Some(FOO));
    q.done(FOO);
    assert_eq!(q.len(), 0);
    q.check_invariants();
}

#[test]
fn adds_while_processing_coalesce_into_one_rerun() {
    let (_, q) = virtual_queue();
    q.add(FOO);
    let id = q.get().unwrap();
    q.add(FOO);
    q.add(FOO);
    q.done(id);
    expect_drained(&q, &[FOO]);
}

#[test]
fn done_of_an_item_not_being_processed_is_a_no_op() {
    let (_, q) = virtual_queue();
    q.done(1_000);
    q.add(FOO);
    q.done(FOO);
    assert_eq!(q.len(), 1);
    expect_drained(&q, &[FOO]);
}

#[test]
fn done_and_get_finishes_one_item_and_takes_the_next() {
    let (_, q) = virtual_queue();
    q.add_all([FOO, BAR]);
    let id = q.get().unwrap();
    q.add(FOO); // re-added while processing: queued behind BAR on done
    assert_eq!(q.done_and_get(id), Some(BAR));
    assert_eq!(q.done_and_get(BAR), Some(FOO));
    q.shutdown();
    assert_eq!(q.done_and_get(FOO), None);
    assert_eq!(q.processing_len(), 0);
    q.check_invariants();
}

#[test]
fn done_and_get_retakes_its_own_item_when_it_was_re_added() {
    let (_, q) = virtual_queue();
    q.add(FOO);
    let id = q.get().unwrap();
    q.add(FOO);
    assert_eq!(q.done_and_get(id), Some(FOO));
    q.done(FOO);
    expect_drained(&q, &[]);
}

#[test]
fn case_8_concurrent_adds_while_processing_never_share_an_item() {
    let (_, q) = virtual_queue();
    let busy: Arc<Vec<AtomicBool>> = Arc::new((0..50).map(|_| AtomicBool::new(false)).collect());
    let processed = Arc::new(AtomicUsize::new(0));
    thread::scope(|s| {
        let consumers: Vec<_> = (0..10)
            .map(|_| {
                let (q, busy, processed) = (q.clone(), busy.clone(), processed.clone());
                s.spawn(move || {
                    let mut seen = [0u8; 50];
                    while let Some(id) = q.get() {
                        assert!(!busy[id as usize].swap(true, Ordering::SeqCst), "{id} on two workers");
                        seen[id as usize] += 1;
                        if seen[id as usize] < 2 {
                            q.add(id); // re-add every item once while processing it
                        }
                        processed.fetch_add(1, Ordering::Relaxed);
                        busy[id as usize].store(false, Ordering::SeqCst);
                        q.done(id);
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..50)
            .map(|i| {
                let q = q.clone();
                s.spawn(move || q.add(i))
            })
            .collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        q.shutdown_with_drain();
        consumers.into_iter().for_each(|c| c.join().unwrap());
    });
    assert_eq!(q.len(), 0);
    assert_eq!(q.processing_len(), 0);
    assert!(processed.load(Ordering::Relaxed) >= 50);
    q.check_invariants();
}

#[test]
fn case_9_add_after_fires_items_as_the_clock_reaches_them() {
    let (clock, q) = virtual_queue();
    q.add_after(FOO, Duration::from_secs(1));
    q.add_after(BAR, 50 * MS);
    assert_eq!(q.len(), 0);
    clock.advance(60 * MS);
    expect_drained(&q, &[BAR]);
    q.add_after(BAZ, Duration::from_secs(2));
    clock.advance(Duration::from_secs(1));
    expect_drained(&q, &[FOO]);
    clock.advance(Duration::from_secs(2));
    expect_drained(&q, &[BAZ]);
}

#[test]
fn case_10_due_items_are_queued_in_ready_time_order() {
    let (clock, q) = virtual_queue();
    q.add_after(FOO, Duration::from_secs(1));
    q.add_after(BAR, 500 * MS);
    q.add_after(BAZ, 250 * MS);
    clock.advance(Duration::from_secs(2));
    expect_drained(&q, &[BAZ, BAR, FOO]);
}

#[test]
fn case_11_a_later_ready_time_is_ignored_an_earlier_one_wins() {
    let (clock, q) = virtual_queue();
    q.add_after(FOO, 50 * MS);
    q.add_after(FOO, 70 * MS);
    clock.advance(60 * MS);
    expect_drained(&q, &[FOO]);
    clock.advance(20 * MS);
    expect_drained(&q, &[]);

    q.add_after(FOO, 50 * MS);
    q.add_after(FOO, 30 * MS);
    clock.advance(40 * MS);
    expect_drained(&q, &[FOO]);
    clock.advance(20 * MS);
    expect_drained(&q, &[]);
}

#[test]
fn case_12_add_rate_limited_waits_per_the_limiter_and_forget_resets() {
    let clock = Arc::new(VirtualClock::new());
    let limiter = ItemExponential::new(MS, Duration::from_secs(1));
    let q = WorkQueue::new("rl", clock.clone(), Options::default().with_rate_limiter(limiter));
    let t0 = clock.now();
    q.add_rate_limited(FOO);
    assert_eq!(clock.next_deadline(), Some(t0.add_nanos(1_000_000)));
    q.add_rate_limited(FOO); // 2 ms: later than the waiting 1 ms, so ignored
    assert_eq!(q.num_requeues(FOO), 2);
    clock.advance(MS);
    expect_drained(&q, &[FOO]);

    q.add_rate_limited(FOO); // third failure: 4 ms
    clock.advance(3 * MS);
    expect_drained(&q, &[]);
    clock.advance(MS);
    expect_drained(&q, &[FOO]);

    q.forget(FOO);
    assert_eq!(q.num_requeues(FOO), 0);
    q.add_rate_limited(FOO);
    clock.advance(MS);
    expect_drained(&q, &[FOO]);
}

#[test]
fn case_14_a_key_forgotten_after_15_requeues_restarts_at_5ms() {
    let (clock, q) = virtual_queue();
    let mut delays = Vec::new();
    while q.num_requeues(FOO) < 15 {
        let before = clock.now();
        q.add_rate_limited(FOO);
        clock.advance_to_next();
        delays.push(crate::clock::duration_between(before, clock.now()));
        expect_drained(&q, &[FOO]);
    }
    assert_eq!(delays.first(), Some(&(5 * MS)));
    assert_eq!(delays.last(), Some(&Duration::from_millis(81_920)));
    q.forget(FOO);
    let before = clock.now();
    q.add_rate_limited(FOO);
    assert_eq!(clock.next_deadline(), Some(before.add_nanos(5_000_000)));
}

#[test]
fn add_after_zero_adds_now() {
    let (_, q) = virtual_queue();
    q.add_after(FOO, Duration::ZERO);
    expect_drained(&q, &[FOO]);
}

#[test]
fn a_delayed_item_that_is_already_dirty_is_not_duplicated() {
    let (clock, q) = virtual_queue();
    q.add(FOO);
    q.add_after(FOO, MS);
    clock.advance(MS);
    expect_drained(&q, &[FOO]);
}

#[test]
fn the_queue_arms_one_clock_timer_for_its_earliest_deadline() {
    let (clock, q) = virtual_queue();
    let t0 = clock.now();
    for id in 0..1000 {
        q.add_after(id, Duration::from_millis(2000 - u64::from(id)));
    }
    assert_eq!(clock.pending_timers(), 1);
    assert_eq!(clock.next_deadline(), Some(t0.add_nanos(1001 * 1_000_000)));
    assert_eq!(q.waiting_len(), 1000);
    clock.advance(Duration::from_secs(3));
    assert_eq!(q.len(), 1000);
    assert_eq!(q.waiting_len(), 0);
    assert_eq!(clock.pending_timers(), 0);
    expect_drained(&q, &(0..1000).rev().collect::<Vec<_>>());
}

#[test]
fn advance_to_next_delivers_delayed_items_step_by_step() {
    let (clock, q) = virtual_queue();
    q.add_after(FOO, 10 * MS);
    q.add_after(BAR, 20 * MS);
    assert!(clock.advance_to_next());
    expect_drained(&q, &[FOO]);
    assert!(clock.advance_to_next());
    expect_drained(&q, &[BAR]);
    assert!(!clock.advance_to_next());
}

#[test]
fn dropping_the_queue_cancels_its_timer() {
    let (clock, q) = virtual_queue();
    q.add_after(FOO, MS);
    assert_eq!(clock.pending_timers(), 1);
    drop(q);
    assert_eq!(clock.pending_timers(), 0);
}

#[test]
fn shutdown_ignores_adds_drops_delayed_items_and_hands_out_queued_ones() {
    let (clock, q) = virtual_queue();
    q.add(FOO);
    q.add_after(BAR, MS);
    q.shutdown();
    assert!(q.is_shutting_down());
    assert_eq!(clock.pending_timers(), 0);
    q.add(BAZ);
    q.add_after(BAZ, MS);
    clock.advance(Duration::from_secs(1));
    assert_eq!(q.get(), Some(FOO));
    q.done(FOO);
    assert_eq!(q.get(), None);
    assert_eq!(q.waiting_len(), 0);
}

#[test]
fn get_blocks_until_an_item_is_added() {
    let (_, q) = virtual_queue();
    thread::scope(|s| {
        let worker = s.spawn(|| q.get());
        q.add(BAR);
        assert_eq!(worker.join().unwrap(), Some(BAR));
    });
}

#[test]
fn shutdown_wakes_blocked_workers() {
    let (_, q) = virtual_queue();
    thread::scope(|s| {
        let workers: Vec<_> = (0..2).map(|_| s.spawn(|| q.get())).collect();
        q.shutdown();
        for w in workers {
            assert_eq!(w.join().unwrap(), None);
        }
    });
}

#[test]
fn shutdown_with_drain_waits_for_items_being_processed() {
    let (_, q) = virtual_queue();
    q.add(FOO);
    let finished = AtomicBool::new(false);
    thread::scope(|s| {
        let id = q.get().unwrap();
        let drainer = s.spawn(|| {
            q.shutdown_with_drain();
            assert!(finished.load(Ordering::SeqCst), "drain returned before done");
        });
        while !q.is_shutting_down() {
            thread::yield_now();
        }
        finished.store(true, Ordering::SeqCst);
        q.done(id);
        drainer.join().unwrap();
    });
    assert_eq!(q.get(), None);
}

#[test]
fn notify_fires_when_the_queue_becomes_non_empty_and_on_shutdown() {
    let (clock, q) = virtual_queue();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    q.set_notify(Box::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
    }));
    let count = || calls.load(Ordering::SeqCst);
    q.add(FOO);
    q.add(BAR);
    assert_eq!(count(), 1, "edge-triggered");
    expect_drained(&q, &[FOO, BAR]);
    q.add_after(BAZ, MS);
    assert_eq!(count(), 1);
    clock.advance(MS);
    assert_eq!(count(), 2, "a due delayed item notifies");
    let id = q.try_get().unwrap();
    q.add(id);
    q.done(id); // re-queued on done
    assert_eq!(count(), 3);
    q.shutdown();
    assert_eq!(count(), 4);
}

#[test]
fn add_all_adds_each_id_once_in_order() {
    let (_, q) = virtual_queue();
    q.add_all([4, 2, 4, 7]);
    expect_drained(&q, &[4, 2, 7]);
}

#[test]
fn metrics_measure_queue_and_work_time_on_the_clock() {
    let (clock, q) = virtual_queue();
    q.add(FOO);
    q.add(FOO);
    q.add_after(BAR, 3 * MS);
    clock.advance(5 * MS);
    let id = q.get().unwrap();
    clock.advance(7 * MS);
    let m = q.metrics().unwrap();
    assert_eq!(m.name, "test");
    assert_eq!((m.adds_total, m.retries_total, m.depth), (2, 1, 1));
    assert_eq!(m.unfinished_work, 7 * MS);
    assert_eq!(m.longest_running_processor, 7 * MS);
    q.done(id);
    let m = q.metrics().unwrap();
    assert_eq!((m.queue_duration.len(), m.work_duration.len()), (1, 1));
    assert_within_1_percent(m.queue_duration.max(), 5 * MS);
    assert_within_1_percent(m.work_duration.max(), 7 * MS);
    assert_eq!(m.unfinished_work, Duration::ZERO);
    assert_eq!(q.get(), Some(BAR)); // it waited 2 ms in the queue + 7 ms
    assert_within_1_percent(q.metrics().unwrap().queue_duration.max(), 9 * MS);
}

/// Histograms keep 2 significant digits.
fn assert_within_1_percent(nanos: u64, expect: Duration) {
    let ratio = nanos as f64 / expect.as_nanos() as f64;
    assert!((ratio - 1.0).abs() <= 0.01, "{nanos} ns vs {expect:?}");
}

#[test]
fn done_and_get_records_both_durations_at_one_time() {
    let (clock, q) = virtual_queue();
    q.add_all([FOO, BAR]);
    let id = q.get().unwrap();
    clock.advance(3 * MS);
    assert_eq!(q.done_and_get(id), Some(BAR));
    let m = q.metrics().unwrap();
    assert_eq!((m.work_duration.len(), m.queue_duration.len()), (1, 2));
    assert_within_1_percent(m.work_duration.max(), 3 * MS);
    assert_within_1_percent(m.queue_duration.max(), 3 * MS);
    assert_eq!(m.unfinished_work, Duration::ZERO, "BAR started at the same instant");
}

#[test]
fn metrics_are_none_when_switched_off() {
    let q = WorkQueue::new("off", Arc::new(VirtualClock::new()), Options::default().with_metrics(false));
    q.add(FOO);
    assert!(q.metrics().is_none());
    expect_drained(&q, &[FOO]);
}

#[test]
fn pre_sized_queue_still_grows_for_larger_ids() {
    let clock = Arc::new(VirtualClock::new());
    let q = WorkQueue::new("sized", clock, Options::default().with_capacity(10));
    q.add(5);
    q.add(100_000);
    expect_drained(&q, &[5, 100_000]);
}

#[test]
fn add_after_on_the_real_clock_delivers_through_the_timer_thread() {
    let q = WorkQueue::new("real", Arc::new(RealClock::new()), Options::default());
    q.add_after(FOO, Duration::from_micros(50)); // the only real wait in these tests
    assert_eq!(q.get(), Some(FOO));
    q.done(FOO);
    q.check_invariants();
}
