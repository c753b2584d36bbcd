//! Event handlers: what an informer tells its subscribers after each cache change.

use std::fmt;
use std::sync::Arc;

/// Receives an informer's notifications, always after the cache reflects the change.
///
/// Calls come from the thread that pumps the informer, one at a time, in
/// revision order. A handler must not block on, pump, or register handlers
/// with the informer that calls it (it may read any cache).
pub trait EventHandler<T>: Send + Sync {
    fn on_add(&self, obj: &Arc<T>);
    fn on_update(&self, old: &Arc<T>, new: &Arc<T>);
    /// `obj` is the last known state (the deletion event's object, or the cache's
    /// copy when a relist finds the object gone).
    fn on_delete(&self, obj: &Arc<T>);
}

/// One notification, as delivered to every handler.
#[derive(Debug)]
pub enum Notification<T> {
    Add(Arc<T>),
    Update(Arc<T>, Arc<T>),
    Delete(Arc<T>),
}

impl<T> Notification<T> {
    pub(crate) fn deliver(&self, h: &dyn EventHandler<T>) {
        match self {
            Notification::Add(o) => h.on_add(o),
            Notification::Update(old, new) => h.on_update(old, new),
            Notification::Delete(o) => h.on_delete(o),
        }
    }
}

type AddFn<T> = Box<dyn Fn(&Arc<T>) + Send + Sync>;
type UpdateFn<T> = Box<dyn Fn(&Arc<T>, &Arc<T>) + Send + Sync>;

/// An [`EventHandler`] made of closures; any left out ignores its notification.
///
/// ```
/// # use kwarp::informer::FnHandler;
/// # use kwarp::api::pod::Pod;
/// let h = FnHandler::<Pod>::new().on_add(|p| println!("added {}", p.metadata.name));
/// ```
pub struct FnHandler<T> {
    add: Option<AddFn<T>>,
    update: Option<UpdateFn<T>>,
    delete: Option<AddFn<T>>,
}

impl<T> Default for FnHandler<T> {
    fn default() -> Self {
        FnHandler { add: None, update: None, delete: None }
    }
}

impl<T> fmt::Debug for FnHandler<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnHandler")
            .field("add", &self.add.is_some())
            .field("update", &self.update.is_some())
            .field("delete", &self.delete.is_some())
            .finish()
    }
}

impl<T> FnHandler<T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn on_add(mut self, f: impl Fn(&Arc<T>) + Send + Sync + 'static) -> Self {
        self.add = Some(Box::new(f));
        self
    }
    pub fn on_update(mut self, f: impl Fn(&Arc<T>, &Arc<T>) + Send + Sync + 'static) -> Self {
        self.update = Some(Box::new(f));
        self
    }
    pub fn on_delete(mut self, f: impl Fn(&Arc<T>) + Send + Sync + 'static) -> Self {
        self.delete = Some(Box::new(f));
        self
    }
}

impl<T> EventHandler<T> for FnHandler<T> {
    fn on_add(&self, obj: &Arc<T>) {
        if let Some(f) = &self.add {
            f(obj)
        }
    }
    fn on_update(&self, old: &Arc<T>, new: &Arc<T>) {
        if let Some(f) = &self.update {
            f(old, new)
        }
    }
    fn on_delete(&self, obj: &Arc<T>) {
        if let Some(f) = &self.delete {
            f(obj)
        }
    }
}
