//! What the runtime hosts: the [`Component`] trait and the [`Waker`] that tells the runtime work is ready.

use std::fmt;
use std::sync::Arc;

/// A wake-up callback the runtime hands each component. Whatever makes work
/// ready for the component (a watch event, a queue add, a timer) calls
/// [`Waker::wake`]; it is cheap and may be called from any thread, many times.
#[derive(Clone)]
pub struct Waker(Arc<dyn Fn() + Send + Sync>);

impl Waker {
    pub fn new(f: impl Fn() + Send + Sync + 'static) -> Self {
        Waker(Arc::new(f))
    }
    /// A waker that does nothing (unit tests that drive components by hand).
    pub fn noop() -> Self {
        Waker(Arc::new(|| {}))
    }
    pub fn wake(&self) {
        (self.0)()
    }
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Waker")
    }
}

/// An informer, a controller's workers, the scheduler or the kubelet, as the
/// runtime sees it: coarse-grained, never one per object.
///
/// Contract:
/// * `run_ready` never blocks on anything but short locks and never sleeps; it
///   does at most `budget` units of work that are ready *now* and returns how
///   many it did (0 = nothing was ready).
/// * Up to `concurrency()` calls of `run_ready` may run at once on different
///   threads (a controller's workers); the component keeps itself consistent
///   (a workqueue never hands one key to two workers).
/// * `has_ready_work` is true whenever a call of `run_ready` would do work. The
///   runtime's quiescence detection relies on it: the virtual clock only jumps
///   when no component has ready work and none is running.
/// * Everything that makes work ready calls the waker given by `set_waker`
///   *after* the work is visible to `has_ready_work`.
pub trait Component: Send + Sync + 'static {
    fn name(&self) -> &str;
    /// How many `run_ready` calls may run at once (a controller's workers; 1 for most components).
    fn concurrency(&self) -> usize {
        1
    }
    fn run_ready(&self, budget: usize) -> usize;
    fn has_ready_work(&self) -> bool;
    fn set_waker(&self, waker: Waker);
}
