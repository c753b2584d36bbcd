//! Client-side request pacing on the injected clock: a token bucket (QPS and
//! burst, like `--kube-api-qps` / `--kube-api-burst`) and a request-latency model.
//!
//! Waiting never sleeps on the wall clock: the caller schedules a timer on the
//! [`Clock`] that sends on a channel, and blocks on that channel. Under the
//! virtual clock the thread wakes when some *other* thread advances time past
//! the deadline (a thread that both waits and drives the clock would deadlock).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::bounded;
use rand::rngs::StdRng;
use rand::Rng;

use crate::api::Time;
use crate::clock::{duration_nanos, Clock};

/// A token bucket as GCRA ("theoretical arrival time"): the bucket starts full
/// (`burst` requests pass at once), then one request per `1/qps`. Reservations
/// are taken in call order, so concurrent callers are spaced exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBucket {
    /// Nanoseconds per token (1e9 / qps).
    interval: i64,
    burst: i64,
    /// When the bucket would be empty again if no one else asked: the next
    /// request may pass at `tat + interval - burst * interval`.
    tat: Time,
}

impl TokenBucket {
    /// `qps > 0`; a burst of 0 counts as 1.
    pub fn new(qps: f64, burst: u32) -> Self {
        let interval = (1e9 / qps).round().max(1.0) as i64;
        TokenBucket { interval, burst: i64::from(burst.max(1)), tat: Time(i64::MIN) }
    }

    /// Takes the next token: the time the request may go (`now` if at once).
    pub fn reserve(&mut self, now: Time) -> Time {
        let tat = self.tat.max(now).add_nanos(self.interval);
        self.tat = tat;
        tat.add_nanos(-self.burst.saturating_mul(self.interval)).max(now)
    }
}

/// Simulated request latency, waited on the clock before a request runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Latency {
    Fixed(Duration),
    /// Uniform in `[lo, hi]`, drawn from the client's seeded generator.
    Uniform {
        lo: Duration,
        hi: Duration,
    },
}

impl Latency {
    /// The next latency in nanoseconds.
    pub fn draw(&self, rng: &mut StdRng) -> i64 {
        match self {
            Latency::Fixed(d) => duration_nanos(*d),
            Latency::Uniform { lo, hi } => {
                let (lo, hi) = (duration_nanos(*lo), duration_nanos(*hi));
                if hi <= lo {
                    lo
                } else {
                    rng.random_range(lo..=hi)
                }
            }
        }
    }
}

/// Blocks the calling thread until `clock` reaches `at` (at once if it has).
/// `waiting` counts threads blocked here, so a quiescence detector can tell a
/// throttled client from a busy one.
pub fn wait_until(clock: &dyn Clock, at: Time, waiting: &AtomicUsize) {
    if clock.now() >= at {
        return;
    }
    let (tx, rx) = bounded(1);
    waiting.fetch_add(1, Ordering::AcqRel);
    clock.schedule(
        at,
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    let _ = rx.recv();
    waiting.fetch_sub(1, Ordering::AcqRel);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_passes_a_burst_then_one_request_per_interval() {
        let t0 = Time::from_secs(100);
        let mut b = TokenBucket::new(10.0, 3);
        let got: Vec<i64> = (0..6).map(|_| b.reserve(t0).as_nanos() - t0.as_nanos()).collect();
        let ms = 1_000_000;
        assert_eq!(got, vec![0, 0, 0, 100 * ms, 200 * ms, 300 * ms]);
    }

    #[test]
    fn bucket_refills_while_idle_up_to_burst() {
        let t0 = Time::from_secs(100);
        let mut b = TokenBucket::new(2.0, 2);
        assert_eq!(b.reserve(t0), t0);
        assert_eq!(b.reserve(t0), t0);
        let later = t0.add_secs(10); // long idle: the bucket is full again, not 20 tokens
        let got: Vec<Time> = (0..3).map(|_| b.reserve(later)).collect();
        assert_eq!(got, vec![later, later, later.add_nanos(500_000_000)]);
    }

    #[test]
    fn uniform_latency_stays_in_range() {
        use rand::SeedableRng;
        let mut rng = StdRng::seed_from_u64(1);
        let l = Latency::Uniform { lo: Duration::from_millis(5), hi: Duration::from_millis(10) };
        for _ in 0..100 {
            let d = l.draw(&mut rng);
            assert!((5_000_000..=10_000_000).contains(&d));
        }
        assert_eq!(Latency::Fixed(Duration::from_millis(3)).draw(&mut rng), 3_000_000);
    }
}
