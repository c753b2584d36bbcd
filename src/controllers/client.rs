//! The CRUD-only client controllers write through, and a recording, fault-injecting fake.

use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::api::{Kind, Resource};
use crate::store::{Client, DeleteOptions, StoreError, Verb};

type Result<T> = std::result::Result<Arc<T>, StoreError>;

/// The writes (and the one uncached read) a reconciler may make. Generic
/// over the kind, so it is implemented, not boxed: a reconciler is generic
/// over its client (`store::Client` in production, [`FakeClient`] in tests).
pub trait ApiClient: Send + Sync + 'static {
    fn create<T: Resource>(&self, obj: T) -> Result<T>;
    /// An uncached read (Kubernetes controllers use it before adopting, and to refresh before a retry).
    fn get<T: Resource>(&self, namespace: &str, name: &str) -> Result<T>;
    fn update<T: Resource>(&self, obj: T) -> Result<T>;
    fn update_status<T: Resource>(&self, obj: T) -> Result<T>;
    /// Applies `f` to the latest stored object (no resourceVersion precondition).
    fn patch<T: Resource>(&self, namespace: &str, name: &str, f: &mut dyn FnMut(&mut T)) -> Result<T>;
    fn delete<T: Resource>(&self, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<T>;
}

impl ApiClient for Client {
    fn create<T: Resource>(&self, obj: T) -> Result<T> {
        Client::create(self, obj)
    }
    fn get<T: Resource>(&self, namespace: &str, name: &str) -> Result<T> {
        Client::get(self, namespace, name)
    }
    fn update<T: Resource>(&self, obj: T) -> Result<T> {
        Client::update(self, obj)
    }
    fn update_status<T: Resource>(&self, obj: T) -> Result<T> {
        Client::update_status(self, obj)
    }
    fn patch<T: Resource>(&self, namespace: &str, name: &str, f: &mut dyn FnMut(&mut T)) -> Result<T> {
        Client::patch(self, namespace, name, f)
    }
    fn delete<T: Resource>(&self, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<T> {
        Client::delete(self, namespace, name, opts)
    }
}

impl<C: ApiClient> ApiClient for Arc<C> {
    fn create<T: Resource>(&self, obj: T) -> Result<T> {
        (**self).create(obj)
    }
    fn get<T: Resource>(&self, namespace: &str, name: &str) -> Result<T> {
        (**self).get(namespace, name)
    }
    fn update<T: Resource>(&self, obj: T) -> Result<T> {
        (**self).update(obj)
    }
    fn update_status<T: Resource>(&self, obj: T) -> Result<T> {
        (**self).update_status(obj)
    }
    fn patch<T: Resource>(&self, namespace: &str, name: &str, f: &mut dyn FnMut(&mut T)) -> Result<T> {
        (**self).patch(namespace, name, f)
    }
    fn delete<T: Resource>(&self, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<T> {
        (**self).delete(namespace, name, opts)
    }
}

/// Writes a status through the status subresource the way the ReplicaSet and
/// DaemonSet controllers do (`updateReplicaSetStatus`, `storeDaemonSetStatus`):
/// `set_status` fills in a copy of `obj`; a failed write re-reads the object
/// (uncached) and tries again, at most `retries` more times; the last error
/// fails the sync, named by `key`.
pub fn update_status_with_retries<T: Resource, C: ApiClient>(
    client: &C,
    obj: &Arc<T>,
    retries: usize,
    key: &str,
    mut set_status: impl FnMut(&mut T),
) -> std::result::Result<Arc<T>, super::ReconcileError> {
    let api = |e| super::ReconcileError::api(key, e);
    let mut current = Arc::clone(obj);
    let mut attempt = 0;
    loop {
        let mut next = (*current).clone();
        set_status(&mut next);
        match client.update_status(next) {
            Ok(updated) => return Ok(updated),
            Err(e) if attempt >= retries => return Err(api(e)),
            Err(_) => {
                attempt += 1;
                let m = obj.meta();
                current = client.get(&m.namespace, &m.name).map_err(api)?;
            }
        }
    }
}

/// One call seen by a [`FakeClient`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub verb: Verb,
    pub kind: Kind,
    /// `namespace/name`; for a create with `generateName`, `namespace/<generateName>`.
    pub key: String,
    /// Whether it succeeded (an injected fault counts as a failure).
    pub ok: bool,
}

/// Fails matching calls: lets `pass` through, then fails the next `times`.
#[derive(Clone, Debug)]
struct Fault {
    verb: Verb,
    kind: Kind,
    pass: usize,
    times: usize,
    error: StoreError,
}

/// A client for tests: forwards to an inner client (usually a real
/// `store::Client`), records every call, and fails calls on request.
/// Faults are consumed in the order they were added.
pub struct FakeClient<C = Client> {
    inner: C,
    state: Mutex<FakeState>,
}

#[derive(Default)]
struct FakeState {
    calls: Vec<Call>,
    faults: Vec<Fault>,
}

impl<C> fmt::Debug for FakeClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("FakeClient").field("calls", &s.calls.len()).field("faults", &s.faults).finish()
    }
}

impl<C: ApiClient> FakeClient<C> {
    pub fn new(inner: C) -> Self {
        FakeClient { inner, state: Mutex::new(FakeState::default()) }
    }

    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The next `times` calls of `verb` on `kind` fail with `error` (nothing reaches the inner client).
    pub fn fail(&self, verb: Verb, kind: Kind, times: usize, error: StoreError) {
        self.fail_after(verb, kind, 0, times, error);
    }

    /// Lets `pass` calls of `verb` on `kind` succeed, then fails the next `times`.
    pub fn fail_after(&self, verb: Verb, kind: Kind, pass: usize, times: usize, error: StoreError) {
        self.state.lock().faults.push(Fault { verb, kind, pass, times, error });
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.state.lock().faults.clear();
    }

    /// The error tests inject by default: a 429 for `kind`.
    pub fn injected(kind: Kind) -> StoreError {
        StoreError::TooManyRequests { kind }
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().calls.clone()
    }

    /// Every call so far, forgetting them.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.state.lock().calls)
    }

    /// Calls of `verb` on `kind` so far (succeeded or not).
    pub fn count(&self, verb: Verb, kind: Kind) -> usize {
        self.state.lock().calls.iter().filter(|c| c.verb == verb && c.kind == kind).count()
    }

    /// Records the call and answers an injected fault, or runs it.
    fn call<T>(&self, verb: Verb, kind: Kind, key: String, run: impl FnOnce() -> Result<T>) -> Result<T> {
        let fault = {
            let mut s = self.state.lock();
            let mut hit = None;
            if let Some(i) = s.faults.iter().position(|f| f.verb == verb && f.kind == kind) {
                let f = &mut s.faults[i];
                if f.pass > 0 {
                    f.pass -= 1;
                } else {
                    f.times -= 1;
                    hit = Some(f.error.clone());
                    if f.times == 0 {
                        s.faults.remove(i);
                    }
                }
            }
            hit
        };
        let result = match fault {
            Some(e) => Err(e),
            None => run(),
        };
        self.state.lock().calls.push(Call { verb, kind, key, ok: result.is_ok() });
        result
    }
}

fn key_of(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

impl<C: ApiClient> ApiClient for FakeClient<C> {
    fn create<T: Resource>(&self, obj: T) -> Result<T> {
        let m = obj.meta();
        let key = key_of(&m.namespace, if m.name.is_empty() { &m.generate_name } else { &m.name });
        self.call(Verb::Create, T::KIND, key, || self.inner.create(obj))
    }
    fn get<T: Resource>(&self, namespace: &str, name: &str) -> Result<T> {
        self.call(Verb::Get, T::KIND, key_of(namespace, name), || self.inner.get(namespace, name))
    }
    fn update<T: Resource>(&self, obj: T) -> Result<T> {
        let key = key_of(&obj.meta().namespace, &obj.meta().name);
        self.call(Verb::Update, T::KIND, key, || self.inner.update(obj))
    }
    fn update_status<T: Resource>(&self, obj: T) -> Result<T> {
        let key = key_of(&obj.meta().namespace, &obj.meta().name);
        self.call(Verb::UpdateStatus, T::KIND, key, || self.inner.update_status(obj))
    }
    fn patch<T: Resource>(&self, namespace: &str, name: &str, f: &mut dyn FnMut(&mut T)) -> Result<T> {
        self.call(Verb::Patch, T::KIND, key_of(namespace, name), || self.inner.patch(namespace, name, f))
    }
    fn delete<T: Resource>(&self, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<T> {
        self.call(Verb::Delete, T::KIND, key_of(namespace, name), || self.inner.delete(namespace, name, opts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Container, Pod};
    use crate::api::ObjectMeta;
    use crate::clock::VirtualClock;
    use crate::store::{Store, StoreOptions};

    fn pod(name: &str) -> Pod {
        let mut p = Pod { metadata: ObjectMeta::named("ns", name), ..Default::default() };
        p.spec.containers.push(Container { name: "c".into(), image: "i".into(), ..Default::default() });
        p
    }

    #[test]
    fn fake_client_records_calls_and_fails_after_letting_some_pass() {
        let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions::default());
        let fake = FakeClient::new(store.client("test"));
        fake.fail_after(Verb::Create, Kind::Pod, 1, 2, FakeClient::<Client>::injected(Kind::Pod));
        let results: Vec<bool> = ["a", "b", "c", "d"].iter().map(|n| fake.create(pod(n)).is_ok()).collect();
        assert_eq!(results, [true, false, false, true]);
        assert_eq!(store.count::<Pod>(), 2);
        assert!(fake.get::<Pod>("ns", "b").unwrap_err().is_not_found());
        let calls = fake.take_calls();
        assert_eq!(calls.len(), 5);
        assert_eq!(calls[1], Call { verb: Verb::Create, kind: Kind::Pod, key: "ns/b".into(), ok: false });
        assert_eq!(calls[4].verb, Verb::Get);
        assert!(fake.calls().is_empty());
    }

    #[test]
    fn patch_and_delete_go_through_the_inner_client() {
        let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions::default());
        let fake = Arc::new(FakeClient::new(store.client("test")));
        fake.create(pod("a")).unwrap();
        let p = fake.patch::<Pod>("ns", "a", &mut |p| {
            p.metadata.labels.insert("k".into(), "v".into());
        });
        assert_eq!(p.unwrap().metadata.labels["k"], "v");
        fake.delete::<Pod>("ns", "a", &DeleteOptions::default()).unwrap();
        assert_eq!(store.count::<Pod>(), 0);
        assert_eq!(fake.count(Verb::Patch, Kind::Pod), 1);
        assert_eq!(fake.count(Verb::Delete, Kind::Pod), 1);
    }
}
