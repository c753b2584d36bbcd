//! Rate limiters for requeues: per-item exponential, token bucket, fast/slow, max-of.
//!
//! Same rules as client-go's `default_rate_limiters.go` (SEMANTICS §2.b).
//! Per-item counters live in flat arrays indexed by [`ItemId`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::ItemId;
use crate::api::Time;
use crate::clock::{duration_between, Clock};

/// Decides how long an item waits before it is retried.
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// The delay for the item's next retry; counts one more requeue.
    fn when(&self, id: ItemId) -> Duration;
    /// Stops tracking the item: its requeue count goes back to 0.
    fn forget(&self, id: ItemId);
    /// Requeues counted since the last `forget`.
    fn num_requeues(&self, id: ItemId) -> u32;
}

/// Per-item requeue counters in a flat array (ids are dense).
#[derive(Debug, Default)]
struct Counters(Mutex<Vec<u32>>);

impl Counters {
    /// Increments the item's counter; returns the value before.
    fn bump(&self, id: ItemId) -> u32 {
        let mut v = self.0.lock();
        let i = id as usize;
        if i >= v.len() {
            v.resize(super::grown_len(i), 0);
        }
        let before = v[i];
        v[i] = before.saturating_add(1);
        before
    }
    fn get(&self, id: ItemId) -> u32 {
        self.0.lock().get(id as usize).copied().unwrap_or(0)
    }
    fn reset(&self, id: ItemId) {
        if let Some(c) = self.0.lock().get_mut(id as usize) {
            *c = 0;
        }
    }
}

/// `base × 2^k` where k counts previous `when` calls since the last `forget`,
/// capped at `max` (also when the product overflows).
#[derive(Debug)]
pub struct ItemExponential {
    base: Duration,
    max: Duration,
    failures: Counters,
}

impl ItemExponential {
    pub fn new(base: Duration, max: Duration) -> Self {
        ItemExponential { base, max, failures: Counters::default() }
    }
}

impl RateLimiter for ItemExponential {
    fn when(&self, id: ItemId) -> Duration {
        let exp = self.failures.bump(id);
        // base ≤ 2^94 ns, so 2^exp < 2^100 keeps the multiplier itself in range.
        let factor = if exp < 100 { 1u128 << exp } else { u128::MAX };
        let delay = self.base.as_nanos().saturating_mul(factor).min(self.max.as_nanos());
        // delay ≤ max.as_nanos(), so the seconds fit in u64.
        Duration::new((delay / 1_000_000_000) as u64, (delay % 1_000_000_000) as u32)
    }
    fn forget(&self, id: ItemId) {
        self.failures.reset(id);
    }
    fn num_requeues(&self, id: ItemId) -> u32 {
        self.failures.get(id)
    }
}

/// `fast` for the first `max_fast` requeues of an item, `slow` afterwards.
#[derive(Debug)]
pub struct FastSlow {
    fast: Duration,
    slow: Duration,
    max_fast: u32,
    attempts: Counters,
}

impl FastSlow {
    pub fn new(fast: Duration, slow: Duration, max_fast: u32) -> Self {
        FastSlow { fast, slow, max_fast, attempts: Counters::default() }
    }
}

impl RateLimiter for FastSlow {
    fn when(&self, id: ItemId) -> Duration {
        if self.attempts.bump(id) < self.max_fast {
            self.fast
        } else {
            self.slow
        }
    }
    fn forget(&self, id: ItemId) {
        self.attempts.reset(id);
    }
    fn num_requeues(&self, id: ItemId) -> u32 {
        self.attempts.get(id)
    }
}

/// One token bucket shared by all items (`qps` refill, `burst` capacity), on
/// the injected clock. `when` reserves a token like golang.org/x/time/rate's
/// `Reserve().Delay()`: the bucket may go negative, and the delay is the time
/// until the reserved token exists. `num_requeues` is always 0.
pub struct TokenBucket {
    clock: Arc<dyn Clock>,
    qps: f64,
    burst: f64,
    /// (tokens, time of the last update). Starts full.
    state: Mutex<(f64, Time)>,
}

impl TokenBucket {
    /// `qps` must be positive (`f64::INFINITY` never delays).
    pub fn new(clock: Arc<dyn Clock>, qps: f64, burst: u32) -> Self {
        assert!(qps > 0.0, "token bucket qps must be positive, got {qps}");
        let now = clock.now();
        TokenBucket { clock, qps, burst: f64::from(burst), state: Mutex::new((f64::from(burst), now)) }
    }
}

impl RateLimiter for TokenBucket {
    fn when(&self, _id: ItemId) -> Duration {
        if self.qps == f64::INFINITY {
            return Duration::ZERO;
        }
        let now = self.clock.now();
        let mut state = self.state.lock();
        let (tokens, last) = *state;
        let elapsed = duration_between(last, now).as_secs_f64();
        let tokens = (tokens + elapsed * self.qps).min(self.burst) - 1.0;
        *state = (tokens, now.max(last));
        if tokens < 0.0 {
            Duration::from_secs_f64(-tokens / self.qps)
        } else {
            Duration::ZERO
        }
    }
    fn forget(&self, _id: ItemId) {}
    fn num_requeues(&self, _id: ItemId) -> u32 {
        0
    }
}

impl fmt::Debug for TokenBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBucket")
            .field("qps", &self.qps)
            .field("burst", &self.burst)
            .field("tokens", &self.state.lock().0)
            .finish()
    }
}

/// The largest delay of several limiters; every limiter counts every call.
#[derive(Debug)]
pub struct MaxOf(pub Vec<Box<dyn RateLimiter>>);

impl RateLimiter for MaxOf {
    fn when(&self, id: ItemId) -> Duration {
        self.0.iter().map(|l| l.when(id)).max().unwrap_or_default()
    }
    fn forget(&self, id: ItemId) {
        self.0.iter().for_each(|l| l.forget(id));
    }
    fn num_requeues(&self, id: ItemId) -> u32 {
        self.0.iter().map(|l| l.num_requeues(id)).max().unwrap_or(0)
    }
}

/// client-go's `DefaultControllerRateLimiter`: MaxOf(exponential 5 ms … 1000 s,
/// bucket 10 qps burst 100).
pub fn default_controller_rate_limiter(clock: Arc<dyn Clock>) -> MaxOf {
    MaxOf(vec![
        Box::new(ItemExponential::new(Duration::from_millis(5), Duration::from_secs(1000))),
        Box::new(TokenBucket::new(clock, 10.0, 100)),
    ])
}

/// client-go's `DefaultItemBasedRateLimiter`: exponential 1 ms … 1000 s.
pub fn default_item_based_rate_limiter() -> ItemExponential {
    ItemExponential::new(Duration::from_millis(1), Duration::from_secs(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::VirtualClock;

    const MS: Duration = Duration::from_millis(1);

    fn whens(l: &dyn RateLimiter, id: ItemId, n: usize) -> Vec<Duration> {
        (0..n).map(|_| l.when(id)).collect()
    }

    fn ms(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn case_1_item_exponential_doubles_per_item_and_forget_resets() {
        let l = ItemExponential::new(MS, Duration::from_secs(1));
        assert_eq!(whens(&l, 1, 5), ms(&[1, 2, 4, 8, 16]));
        assert_eq!(l.num_requeues(1), 5);
        assert_eq!(whens(&l, 2, 2), ms(&[1, 2]));
        assert_eq!(l.num_requeues(2), 2);
        l.forget(1);
        assert_eq!(l.num_requeues(1), 0);
        assert_eq!(l.when(1), MS);
    }

    #[test]
    fn case_2_item_exponential_caps_without_overflow() {
        let l = ItemExponential::new(MS, Duration::from_secs(1000));
        whens(&l, 1, 5);
        assert_eq!(l.when(1), 32 * MS);
        whens(&l, 1, 1000);
        assert_eq!(l.when(1), Duration::from_secs(1000));
    }

    #[test]
    fn case_3_item_exponential_with_minute_base_caps_at_1000_hours() {
        let l = ItemExponential::new(Duration::from_secs(60), Duration::from_secs(1000 * 3600));
        whens(&l, 1, 2);
        assert_eq!(l.when(1), Duration::from_secs(4 * 60));
        whens(&l, 1, 1000);
        assert_eq!(l.when(1), Duration::from_secs(1000 * 3600));
    }

    #[test]
    fn item_exponential_survives_a_saturated_counter() {
        let l = ItemExponential::new(Duration::MAX, Duration::MAX);
        assert_eq!(l.when(0), Duration::MAX);
        assert_eq!(l.when(0), Duration::MAX);
        l.failures.0.lock()[0] = u32::MAX;
        assert_eq!(l.when(0), Duration::MAX);
        assert_eq!(l.num_requeues(0), u32::MAX);
    }

    #[test]
    fn case_4_fast_slow_switches_after_max_fast_attempts() {
        let l = FastSlow::new(5 * MS, Duration::from_secs(10), 3);
        let s10 = Duration::from_secs(10);
        assert_eq!(whens(&l, 1, 5), vec![5 * MS, 5 * MS, 5 * MS, s10, s10]);
        assert_eq!(l.num_requeues(1), 5);
        l.forget(1);
        assert_eq!(l.num_requeues(1), 0);
        assert_eq!(l.when(1), 5 * MS);
    }

    #[test]
    fn case_5_max_of_takes_the_largest_delay() {
        let l = MaxOf(vec![
            Box::new(FastSlow::new(5 * MS, Duration::from_secs(3), 3)),
            Box::new(ItemExponential::new(MS, Duration::from_secs(1))),
        ]);
        let s3 = Duration::from_secs(3);
        assert_eq!(whens(&l, 1, 5), vec![5 * MS, 5 * MS, 5 * MS, s3, s3]);
        assert_eq!(l.num_requeues(1), 5);
        l.forget(1);
        assert_eq!(l.num_requeues(1), 0);
    }

    #[test]
    fn case_13_default_controller_limiter_doubles_from_5ms_to_1000s() {
        let clock = Arc::new(VirtualClock::new());
        let l = default_controller_rate_limiter(clock.clone());
        for n in 1..=25u32 {
            let expect = if n <= 18 { 5 * MS * 2u32.pow(n - 1) } else { Duration::from_secs(1000) };
            assert_eq!(l.when(7), expect, "failure {n}");
            clock.advance(Duration::from_secs(1)); // keep the bucket full
        }
        assert_eq!(l.num_requeues(7), 25);
        assert_eq!(5 * MS * 2u32.pow(17), Duration::from_millis(655_360));
    }

    #[test]
    fn case_13_default_controller_limiter_never_undercuts_the_bucket() {
        let clock = Arc::new(VirtualClock::new());
        let l = default_controller_rate_limiter(clock.clone());
        // A burst of first failures of distinct items: 100 free tokens, then 100 ms apart.
        for id in 0..100 {
            assert_eq!(l.when(id), 5 * MS, "item {id}");
        }
        assert_eq!(l.when(100), 100 * MS);
        assert_eq!(l.when(101), 200 * MS);
        clock.advance(Duration::from_secs(1)); // refills 10 tokens: debt 2 → 8 available
        for id in 200..208 {
            assert_eq!(l.when(id), 5 * MS, "item {id}");
        }
        assert_eq!(l.when(300), 100 * MS);
    }

    #[test]
    fn token_bucket_reserves_like_x_time_rate() {
        let clock = Arc::new(VirtualClock::new());
        let b = TokenBucket::new(clock.clone(), 2.0, 1);
        assert_eq!(b.when(0), Duration::ZERO);
        assert_eq!(b.when(0), 500 * MS);
        assert_eq!(b.when(0), 1000 * MS);
        clock.advance(Duration::from_secs(10)); // refill caps at burst
        assert_eq!(b.when(0), Duration::ZERO);
        assert_eq!(b.when(0), 500 * MS);
        assert_eq!(b.num_requeues(0), 0);
        let unlimited = TokenBucket::new(clock, f64::INFINITY, 0);
        assert_eq!(unlimited.when(0), Duration::ZERO);
    }
}
