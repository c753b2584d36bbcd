//! The injected clock: real (monotonic, timer thread) or virtual (discrete-event).
//!
//! Everything that waits or measures time (workqueue delays and rate limiters,
//! kubelet latencies, CronJob schedules, progress deadlines, API latency) takes
//! an `Arc<dyn Clock>`; nothing in logic reads the wall clock.
//!
//! * [`RealClock`]: `now` is a monotonic `Instant` offset from a start [`Time`];
//!   timers run on one background thread that sleeps on a condvar until the
//!   earliest deadline. The thread exits when the clock is dropped.
//! * [`VirtualClock`]: time moves only when told. [`VirtualClock::advance_to`]
//!   fires every due timer in (time, scheduling order), setting `now` to each
//!   timer's time first; [`VirtualClock::advance_to_next`] jumps to the earliest
//!   timer — what the actor runtime calls when the whole system is quiescent.
//!
//! Protocol shared by both (callers rely on it):
//! * Callbacks never run under the clock's internal lock, so a callback may
//!   `schedule`, `cancel` or read `now`. Callers may therefore call `schedule`
//!   and `cancel` while holding their own locks (lock order: caller → clock),
//!   provided their callbacks take those locks only after they start running.
//! * Timers due at the same time fire in the order they were scheduled.
//! * A timer scheduled at or before `now` is due: the real clock fires it at
//!   once; the virtual clock fires it at the next `advance*` call (time does not
//!   go backwards: `now` stays where it is).
//! * A pending timer keeps its callback (and whatever it captures) alive: a
//!   callback that captures an `Arc` of the clock's owner makes a cycle;
//!   capture a `Weak` instead.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex};

use crate::api::Time;

/// A timer callback. It runs once, on the clock's timer thread (real) or on the
/// thread that advances time (virtual).
pub type Callback = Box<dyn FnOnce() + Send>;

/// Names one scheduled timer; pass it to [`Clock::cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    at: Time,
    seq: u64,
}

impl TimerId {
    /// When the timer is due.
    pub fn at(self) -> Time {
        self.at
    }
}

/// A source of time and timers. See the module doc for the protocol.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Time;
    /// Runs `f` once, when the clock reaches `at`.
    fn schedule(&self, at: Time, f: Callback) -> TimerId;
    /// Drops a pending timer; `false` if it already fired (or is firing) or was cancelled.
    fn cancel(&self, id: TimerId) -> bool;

    /// Runs `f` once, `d` after now.
    fn schedule_after(&self, d: Duration, f: Callback) -> TimerId {
        self.schedule(add_duration(self.now(), d), f)
    }
}

/// `d` in nanoseconds, saturating at `i64::MAX`.
pub fn duration_nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// `t + d`, saturating.
pub fn add_duration(t: Time, d: Duration) -> Time {
    t.add_nanos(duration_nanos(d))
}

/// `later - earlier`, or zero when `later` is not after `earlier`.
pub fn duration_between(earlier: Time, later: Time) -> Duration {
    let nanos = later.as_nanos().saturating_sub(earlier.as_nanos());
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// Pending timers in firing order: (due time, scheduling sequence).
#[derive(Default)]
struct Timers {
    pending: BTreeMap<TimerId, Callback>,
    next_seq: u64,
}

impl Timers {
    fn insert(&mut self, at: Time, f: Callback) -> TimerId {
        let id = TimerId { at, seq: self.next_seq };
        self.next_seq += 1;
        self.pending.insert(id, f);
        id
    }

    fn earliest(&self) -> Option<Time> {
        self.pending.first_key_value().map(|(id, _)| id.at)
    }

    /// Removes and returns the earliest timer if it is due by `t`.
    fn pop_due(&mut self, t: Time) -> Option<(TimerId, Callback)> {
        match self.pending.first_key_value() {
            Some((id, _)) if id.at <= t => self.pending.pop_first(),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// RealClock

/// Wall-clock time: monotonic, offset from a start [`Time`]; timers on one thread.
pub struct RealClock {
    shared: Arc<RealShared>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
}

struct RealShared {
    start: Instant,
    start_time: Time,
    state: Mutex<RealState>,
    wake: Condvar,
}

struct RealState {
    timers: Timers,
    shutdown: bool,
}

impl RealShared {
    fn now(&self) -> Time {
        // Seconds and nanoseconds rather than `as_nanos` (u128): this is on
        // every metrics-enabled queue operation. i64 nanoseconds last 292 years.
        let d = self.start.elapsed();
        self.start_time.add_nanos(d.as_secs() as i64 * Time::NANOS_PER_SEC + i64::from(d.subsec_nanos()))
    }

    /// The timer thread: sleep until the earliest deadline, fire what is due
    /// (outside the lock), repeat until shut down.
    fn run(&self) {
        let mut state = self.state.lock();
        loop {
            if state.shutdown {
                return;
            }
            let now = self.now();
            if let Some((_, f)) = state.timers.pop_due(now) {
                drop(state);
                f();
                state = self.state.lock();
                continue;
            }
            match state.timers.earliest() {
                Some(at) => {
                    let wait = duration_between(now, at);
                    self.wake.wait_for(&mut state, wait);
                }
                None => self.wake.wait(&mut state),
            }
        }
    }
}

impl RealClock {
    /// A real clock whose time starts at the system's current wall-clock time.
    pub fn new() -> Self {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Self::starting_at(Time(duration_nanos(since_epoch)))
    }

    /// A real clock whose `now()` is `start` at construction, then advances
    /// with the monotonic clock.
    pub fn starting_at(start: Time) -> Self {
        let shared = Arc::new(RealShared {
            start: Instant::now(),
            start_time: start,
            state: Mutex::new(RealState { timers: Timers::default(), shutdown: false }),
            wake: Condvar::new(),
        });
        let runner = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("kwarp-clock".into())
            .spawn(move || runner.run())
            .expect("spawn the clock's timer thread");
        let thread_id = thread.thread().id();
        RealClock { shared, thread: Some(thread), thread_id }
    }

    /// How many timers are waiting.
    pub fn pending_timers(&self) -> usize {
        self.shared.state.lock().timers.pending.len()
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Time {
        self.shared.now()
    }

    fn schedule(&self, at: Time, f: Callback) -> TimerId {
        let mut state = self.shared.state.lock();
        let id = state.timers.insert(at, f);
        // Wake the thread only when the new timer is the earliest one.
        if state.timers.earliest() == Some(at) {
            self.shared.wake.notify_one();
        }
        id
    }

    fn cancel(&self, id: TimerId) -> bool {
        self.shared.state.lock().timers.pending.remove(&id).is_some()
    }
}

impl Drop for RealClock {
    fn drop(&mut self) {
        self.shared.state.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // A callback may drop the last handle; the thread cannot join itself.
            if thread::current().id() != self.thread_id {
                let _ = thread.join();
            }
        }
    }
}

impl fmt::Debug for RealClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealClock").field("now", &self.now()).field("pending_timers", &self.pending_timers()).finish()
    }
}

// ---------------------------------------------------------------------------
// VirtualClock

/// Discrete-event time: moves only when [`advance`](Self::advance)d.
///
/// Meant to be advanced by one driver thread; concurrent `advance` calls are
/// safe but fire timers in an interleaved order.
pub struct VirtualClock {
    /// Mirrors the time under `timers`' lock so `now` is one atomic load.
    now: AtomicI64,
    timers: Mutex<Timers>,
}

impl VirtualClock {
    /// 2024-01-01T00:00:00Z, the default start of virtual time.
    pub const DEFAULT_START: Time = Time(1_704_067_200 * Time::NANOS_PER_SEC);

    /// A virtual clock at [`Self::DEFAULT_START`].
    pub fn new() -> Self {
        Self::starting_at(Self::DEFAULT_START)
    }

    pub fn starting_at(start: Time) -> Self {
        VirtualClock { now: AtomicI64::new(start.as_nanos()), timers: Mutex::new(Timers::default()) }
    }

    /// Moves time forward by `d`, firing every timer due by then.
    pub fn advance(&self, d: Duration) {
        self.advance_to(add_duration(self.now(), d));
    }

    /// Moves time to `t` (never backwards), firing every timer due by then in
    /// (time, scheduling order). Before each callback `now` is set to its
    /// timer's time; a callback may schedule more timers, which fire in this
    /// same call if due by `t`.
    pub fn advance_to(&self, t: Time) {
        loop {
            let mut timers = self.timers.lock();
            match timers.pop_due(t) {
                Some((id, f)) => {
                    self.now.fetch_max(id.at.as_nanos(), Ordering::AcqRel);
                    drop(timers);
                    f();
                }
                None => {
                    self.now.fetch_max(t.as_nanos(), Ordering::AcqRel);
                    return;
                }
            }
        }
    }

    /// When the earliest pending timer is due (possibly before `now`).
    pub fn next_deadline(&self) -> Option<Time> {
        self.timers.lock().earliest()
    }

    /// Jumps to the earliest pending timer (if it is in the future) and fires
    /// everything due then. `false` when no timer is pending.
    pub fn advance_to_next(&self) -> bool {
        match self.next_deadline() {
            Some(at) => {
                self.advance_to(at.max(self.now()));
                true
            }
            None => false,
        }
    }

    /// How many timers are waiting.
    pub fn pending_timers(&self) -> usize {
        self.timers.lock().pending.len()
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Time {
        Time(self.now.load(Ordering::Acquire))
    }

    fn schedule(&self, at: Time, f: Callback) -> TimerId {
        self.timers.lock().insert(at, f)
    }

    fn cancel(&self, id: TimerId) -> bool {
        self.timers.lock().pending.remove(&id).is_some()
    }
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field("now", &self.now())
            .field("pending_timers", &self.pending_timers())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::{unbounded, Sender};

    const MS: Duration = Duration::from_millis(1);

    fn ms(n: i64) -> i64 {
        n * 1_000_000
    }

    /// A callback that sends `tag` and the clock's time when it fires.
    fn record(clock: &Arc<VirtualClock>, tx: &Sender<(u32, Time)>, tag: u32) -> Callback {
        let (clock, tx) = (Arc::clone(clock), tx.clone());
        Box::new(move || tx.send((tag, clock.now())).unwrap())
    }

    #[test]
    fn virtual_clock_starts_at_2024_and_moves_only_when_advanced() {
        let clock = VirtualClock::new();
        assert_eq!(clock.now(), Time::parse_rfc3339("2024-01-01T00:00:00Z").unwrap());
        let t0 = clock.now();
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), t0.add_secs(90));
        clock.advance_to(t0); // never backwards
        assert_eq!(clock.now(), t0.add_secs(90));
    }

    #[test]
    fn advance_fires_due_timers_in_time_then_schedule_order_with_now_set() {
        let clock = Arc::new(VirtualClock::new());
        let (tx, rx) = unbounded();
        let t0 = clock.now();
        clock.schedule(t0.add_nanos(ms(30)), record(&clock, &tx, 3));
        clock.schedule(t0.add_nanos(ms(10)), record(&clock, &tx, 1));
        clock.schedule(t0.add_nanos(ms(10)), record(&clock, &tx, 2));
        clock.schedule(t0.add_nanos(ms(50)), record(&clock, &tx, 5));
        clock.advance(40 * MS);
        let fired: Vec<_> = rx.try_iter().collect();
        assert_eq!(fired, vec![(1, t0.add_nanos(ms(10))), (2, t0.add_nanos(ms(10))), (3, t0.add_nanos(ms(30)))]);
        assert_eq!(clock.now(), t0.add_nanos(ms(40)));
        assert_eq!(clock.pending_timers(), 1);
        assert_eq!(clock.next_deadline(), Some(t0.add_nanos(ms(50))));
    }

    #[test]
    fn a_callback_may_schedule_timers_that_fire_in_the_same_advance() {
        let clock = Arc::new(VirtualClock::new());
        let (tx, rx) = unbounded();
        let t0 = clock.now();
        let inner = record(&clock, &tx, 2);
        let c = Arc::clone(&clock);
        clock.schedule(
            t0.add_nanos(ms(10)),
            Box::new(move || {
                c.schedule(c.now().add_nanos(ms(5)), inner);
            }),
        );
        clock.advance(20 * MS);
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![(2, t0.add_nanos(ms(15)))]);
        assert_eq!(clock.pending_timers(), 0);
    }

    #[test]
    fn advance_to_next_jumps_to_the_earliest_timer_and_fires_everything_due_then() {
        let clock = Arc::new(VirtualClock::new());
        let (tx, rx) = unbounded();
        let t0 = clock.now();
        assert!(!clock.advance_to_next());
        clock.schedule(t0.add_secs(7), record(&clock, &tx, 1));
        clock.schedule(t0.add_secs(7), record(&clock, &tx, 2));
        clock.schedule(t0.add_secs(9), record(&clock, &tx, 3));
        assert!(clock.advance_to_next());
        assert_eq!(clock.now(), t0.add_secs(7));
        assert_eq!(rx.try_iter().map(|(tag, _)| tag).collect::<Vec<_>>(), vec![1, 2]);
        assert!(clock.advance_to_next());
        assert_eq!(clock.now(), t0.add_secs(9));
        assert!(!clock.advance_to_next());
    }

    #[test]
    fn a_timer_in_the_past_fires_on_the_next_advance_without_moving_time_back() {
        let clock = Arc::new(VirtualClock::new());
        let (tx, rx) = unbounded();
        let t0 = clock.now();
        clock.schedule(t0.add_secs(-5), record(&clock, &tx, 1));
        assert!(rx.try_recv().is_err());
        assert!(clock.advance_to_next());
        assert_eq!(rx.try_recv().unwrap(), (1, t0));
    }

    #[test]
    fn cancel_drops_a_pending_timer_once() {
        let clock = Arc::new(VirtualClock::new());
        let (tx, rx) = unbounded();
        let id = clock.schedule(clock.now().add_secs(1), record(&clock, &tx, 1));
        assert!(clock.cancel(id));
        assert!(!clock.cancel(id));
        clock.advance(Duration::from_secs(2));
        assert!(rx.try_recv().is_err());
        let fired = clock.schedule(clock.now(), record(&clock, &tx, 2));
        clock.advance(Duration::ZERO);
        assert!(!clock.cancel(fired));
    }

    #[test]
    fn schedule_after_is_relative_to_now() {
        let clock = VirtualClock::new();
        let id = clock.schedule_after(Duration::from_secs(3), Box::new(|| {}));
        assert_eq!(id.at(), clock.now().add_secs(3));
    }

    #[test]
    fn real_clock_starts_at_the_given_time_and_is_monotonic() {
        let start = VirtualClock::DEFAULT_START;
        let clock = RealClock::starting_at(start);
        let a = clock.now();
        let b = clock.now();
        assert!(start <= a && a <= b);
        assert!(duration_between(start, b) < Duration::from_secs(60));
    }

    #[test]
    fn real_clock_fires_due_timers_in_order_on_its_thread() {
        let clock = RealClock::new();
        let (tx, rx) = unbounded();
        let now = clock.now();
        // Hold the timer thread in a first callback while the others are scheduled.
        let (open, gate) = unbounded::<()>();
        clock.schedule(now.add_secs(-10), Box::new(move || gate.recv().unwrap()));
        // Already due: no wall-clock wait beyond the hand-off to the timer thread.
        for (tag, back) in [(2u32, 1i64), (1, 2), (3, 0)] {
            let tx = tx.clone();
            clock.schedule(
                now.add_secs(-back),
                Box::new(move || tx.send((tag, thread::current().name().map(String::from))).unwrap()),
            );
        }
        open.send(()).unwrap();
        let got: Vec<_> = (0..3).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(got.iter().all(|g| g.1.as_deref() == Some("kwarp-clock")));
    }

    #[test]
    fn real_clock_cancels_and_drops_pending_timers() {
        let clock = RealClock::new();
        let id = clock.schedule(clock.now().add_secs(3600), Box::new(|| panic!("must not fire")));
        assert_eq!(clock.pending_timers(), 1);
        assert!(clock.cancel(id));
        assert!(!clock.cancel(id));
        clock.schedule(clock.now().add_secs(3600), Box::new(|| panic!("must not fire")));
        drop(clock); // joins the timer thread without firing the far-future timer
    }

    #[test]
    fn duration_helpers_saturate() {
        assert_eq!(duration_nanos(Duration::MAX), i64::MAX);
        assert_eq!(add_duration(Time(i64::MAX - 1), Duration::from_secs(1)), Time(i64::MAX));
        assert_eq!(duration_between(Time(10), Time(5)), Duration::ZERO);
        assert_eq!(duration_between(Time(5), Time(10)), Duration::from_nanos(5));
    }
}
