//! Informers as hosted components: a pump per kind, woken by the store's write hook.

use std::sync::Arc;

use parking_lot::RwLock;

use super::component::{Component, Waker};
use crate::informer::AnyInformer;

/// One kind's shared informer, hosted: `run_ready` pumps every available event.
pub(crate) struct InformerComponent {
    name: String,
    informer: Arc<dyn AnyInformer>,
    waker: RwLock<Option<Waker>>,
}

impl InformerComponent {
    pub fn new(informer: Arc<dyn AnyInformer>) -> Arc<Self> {
        Arc::new(InformerComponent {
            name: format!("{}-informer", informer.kind().plural()),
            informer,
            waker: RwLock::new(None),
        })
    }
    pub fn kind(&self) -> crate::api::Kind {
        self.informer.kind()
    }
    /// Called by the store's write hook for this kind.
    pub fn wake(&self) {
        if let Some(w) = self.waker.read().as_ref() {
            w.wake();
        }
    }
}

impl Component for InformerComponent {
    fn name(&self) -> &str {
        &self.name
    }
    fn run_ready(&self, budget: usize) -> usize {
        self.informer.pump_at_most(budget)
    }
    fn has_ready_work(&self) -> bool {
        self.informer.has_pending()
    }
    fn set_waker(&self, waker: Waker) {
        *self.waker.write() = Some(waker);
    }
}
