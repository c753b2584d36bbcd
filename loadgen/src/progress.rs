//! The progress line on stderr: phase, step, cluster time, objects, API calls per second.
//!
//! The driver only sets the phase and step ([`Status`]); a ticker thread reads
//! them, the store's object counts and call counters, and redraws a few times
//! a second. It reads nothing the cluster depends on, so it cannot change a
//! run. Hidden when stderr is not a terminal, or when asked.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kwarp::api::{Node, Pod, ReplicaSet, Time};
use kwarp::clock::duration_between;
use kwarp::store::Store;

use crate::report::markdown::cluster_time;

/// The phase and step the driver is in; cheap to clone and share.
#[derive(Clone, Debug, Default)]
pub struct Status(Arc<Mutex<(String, String)>>);

impl Status {
    pub fn set_phase(&self, phase: &str) {
        self.lock().0 = phase.to_string();
    }
    pub fn set_step(&self, step: &str) {
        self.lock().1 = step.to_string();
    }
    pub fn phase(&self) -> String {
        self.lock().0.clone()
    }
    pub fn step(&self) -> String {
        self.lock().1.clone()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, (String, String)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running progress display (or none).
#[derive(Debug)]
pub struct Progress {
    status: Status,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// No display.
    pub fn hidden() -> Self {
        Progress { status: Status::default(), stop: Arc::new(AtomicBool::new(true)), ticker: None }
    }

    /// A spinner line on stderr when it is a terminal (else like [`Progress::hidden`]).
    pub fn start(store: Arc<Store>, start: Time) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let status = Status::default();
        let stop = Arc::new(AtomicBool::new(false));
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let (s, flag) = (status.clone(), Arc::clone(&stop));
        let ticker = std::thread::Builder::new()
            .name("kwarp-progress".into())
            .spawn(move || {
                let calls = |store: &Store| store.api_call_counts().entries.iter().map(|e| e.count).sum::<u64>();
                let (mut last_calls, mut last_at) = (calls(&store), Instant::now());
                let mut rate = 0.0;
                while !flag.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(125));
                    let now = Instant::now();
                    if now.duration_since(last_at) >= Duration::from_millis(500) {
                        let c = calls(&store);
                        rate = (c - last_calls) as f64 / now.duration_since(last_at).as_secs_f64();
                        (last_calls, last_at) = (c, now);
                    }
                    let t = duration_between(start, store.clock().now());
                    bar.set_message(format!(
                        "{} | {} | t+{} | nodes {} pods {} rs {} | {:.0} API calls/s",
                        s.phase(),
                        s.step(),
                        cluster_time(u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
                        store.count::<Node>(),
                        store.count::<Pod>(),
                        store.count::<ReplicaSet>(),
                        rate
                    ));
                    bar.tick();
                }
                bar.finish_and_clear();
            })
            .ok();
        Progress { status, stop, ticker }
    }

    /// What the driver updates.
    pub fn status(&self) -> Status {
        self.status.clone()
    }

    /// Removes the line.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}
