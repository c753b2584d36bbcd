//! Adoption and release through controller references (SEMANTICS §1.e, `ControllerRefManager.ClaimObject`).
//!
//! [`decide`] is the pure rule; [`ControllerRefManager`] applies it to a set
//! of candidates, patching `ownerReferences` through the [`ApiClient`].
//! Patches are made in (namespace, name) order, whatever order the
//! candidates came in, so a run's API calls are reproducible.

use std::fmt;
use std::sync::Arc;

use super::client::ApiClient;
use super::pod_control::controller_ref;
use super::ReconcileError;
use crate::api::{Kind, ObjectMeta, OwnerReference, Resource};

/// What a controller does with one candidate object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Ours and selected: keep it.
    Keep,
    /// Ours but no longer selected: remove our owner reference.
    Release,
    /// A selected orphan: add our controller reference.
    Adopt,
    /// Controlled by another owner: not ours.
    OwnedByOther,
    /// Leave it as it is and do not count it: an orphan we do not select (or
    /// that is being deleted, or in another namespace), anything while we are
    /// being deleted.
    Ignore,
}

/// `ClaimObject`'s rule for `obj`, given the controller `owner` and whether its selector selects `obj`.
pub fn decide(obj: &ObjectMeta, owner: &ObjectMeta, selected: bool) -> Claim {
    let owner_deleting = owner.deletion_timestamp.is_some();
    match obj.controller_ref() {
        Some(r) if r.uid != owner.uid => Claim::OwnedByOther,
        Some(_) if selected => Claim::Keep,
        Some(_) if owner_deleting => Claim::Ignore,
        Some(_) => Claim::Release,
        None if owner_deleting || !selected || obj.deletion_timestamp.is_some() => Claim::Ignore,
        None if !owner.namespace.is_empty() && owner.namespace != obj.namespace => Claim::Ignore,
        None => Claim::Adopt,
    }
}

/// The owner re-read from the API before its first adoption (`RecheckDeletionTimestamp`):
/// an error when it is gone, was replaced (another uid), or is being deleted.
pub fn recheck_deletion_timestamp<T: Resource>(client: &impl ApiClient, owner: &ObjectMeta) -> Result<(), String> {
    let fresh =
        client.get::<T>(&owner.namespace, &owner.name).map_err(|e| format!("can't recheck DeletionTimestamp: {e}"))?;
    let m = fresh.meta();
    if m.uid != owner.uid {
        return Err(format!(
            "can't recheck DeletionTimestamp: original {} {}/{} is gone: got uid {}, wanted {}",
            T::KIND.as_str(),
            owner.namespace,
            owner.name,
            m.uid,
            owner.uid
        ));
    }
    match m.deletion_timestamp {
        Some(t) => Err(format!("{}/{} has just been deleted at {t}", m.namespace, m.name)),
        None => Ok(()),
    }
}

type Recheck<'a> = Box<dyn FnMut() -> Result<(), String> + 'a>;

/// Claims objects for one controller (`BaseControllerRefManager` + the pod/RS flavours).
pub struct ControllerRefManager<'a, C> {
    client: &'a C,
    owner: &'a ObjectMeta,
    owner_ref: OwnerReference,
    /// Asked once, before the first adoption.
    recheck: Recheck<'a>,
    can_adopt: Option<Result<(), String>>,
}

impl<C> fmt::Debug for ControllerRefManager<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControllerRefManager")
            .field("owner", &self.owner.name)
            .field("can_adopt", &self.can_adopt)
            .finish()
    }
}

/// How a patch closure found the object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    Patched,
    /// Another object under the same name (deleted and re-created).
    Replaced,
    /// Adoption only: someone else's controller reference got there first.
    Controlled,
}

impl<'a, C: ApiClient> ControllerRefManager<'a, C> {
    /// A manager for `owner` (a `kind` object); `recheck` is asked once before the first adoption.
    pub fn new(
        client: &'a C,
        owner: &'a ObjectMeta,
        kind: Kind,
        recheck: impl FnMut() -> Result<(), String> + 'a,
    ) -> Self {
        ControllerRefManager {
            client,
            owner,
            owner_ref: controller_ref(owner, kind),
            recheck: Box::new(recheck),
            can_adopt: None,
        }
    }

    /// Claims `candidates`: returns the objects that are ours afterwards
    /// (kept, then adopted, the adopted ones as patched) and every error. An
    /// object that is gone (NotFound) is neither claimed nor an error.
    pub fn claim<T: Resource>(
        &mut self,
        candidates: impl IntoIterator<Item = Arc<T>>,
        selected: impl Fn(&T) -> bool,
    ) -> (Vec<Arc<T>>, Vec<ReconcileError>) {
        let mut claimed = Vec::new();
        let mut writes = Vec::new();
        for obj in candidates {
            match decide(obj.meta(), self.owner, selected(&obj)) {
                Claim::Keep => claimed.push(obj),
                c @ (Claim::Release | Claim::Adopt) => writes.push((c, obj)),
                Claim::OwnedByOther | Claim::Ignore => {}
            }
        }
        writes
            .sort_by(|a, b| (&a.1.meta().namespace, &a.1.meta().name).cmp(&(&b.1.meta().namespace, &b.1.meta().name)));
        let mut errors = Vec::new();
        for (c, obj) in writes {
            match c {
                Claim::Adopt => match self.adopt(&*obj) {
                    Ok(Some(adopted)) => claimed.push(adopted),
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                },
                _ => {
                    if let Err(e) = self.release(&*obj) {
                        errors.push(e);
                    }
                }
            }
        }
        (claimed, errors)
    }

    fn key_of(meta: &ObjectMeta) -> String {
        format!("{}/{}", meta.namespace, meta.name)
    }

    /// Adds our controller reference to `obj` (after the one-time recheck).
    /// `Ok(None)` when the object is gone.
    pub fn adopt<T: Resource>(&mut self, obj: &T) -> Result<Option<Arc<T>>, ReconcileError> {
        let m = obj.meta();
        let recheck = &mut self.recheck;
        if let Err(e) = self.can_adopt.get_or_insert_with(recheck) {
            let msg = format!("can't adopt {} {}/{} ({}): {e}", T::KIND.as_str(), m.namespace, m.name, m.uid);
            return Err(ReconcileError::failed(Self::key_of(self.owner), msg));
        }
        let mut found = Found::Patched;
        let owner_ref = &self.owner_ref;
        let result = self.client.patch::<T>(&m.namespace, &m.name, &mut |o: &mut T| {
            let om = o.meta_mut();
            found = if om.uid != m.uid {
                Found::Replaced
            } else if om.controller_ref().is_some_and(|r| r.uid != owner_ref.uid) {
                Found::Controlled
            } else {
                om.owner_references.retain(|r| r.uid != owner_ref.uid);
                om.owner_references.push(owner_ref.clone());
                Found::Patched
            };
        });
        match (result, found) {
            (Ok(adopted), Found::Patched) => Ok(Some(adopted)),
            (Ok(_), why) => {
                let reason = if why == Found::Replaced { "was replaced" } else { "already has a controller" };
                let msg =
                    format!("can't adopt {} {}/{} ({}): it {reason}", T::KIND.as_str(), m.namespace, m.name, m.uid);
                Err(ReconcileError::failed(Self::key_of(self.owner), msg))
            }
            (Err(e), _) if e.is_not_found() => Ok(None),
            (Err(e), _) => Err(ReconcileError::api(Self::key_of(self.owner), e)),
        }
    }

    /// Removes our owner reference from `obj`. Gone or replaced objects are not an error.
    pub fn release<T: Resource>(&self, obj: &T) -> Result<(), ReconcileError> {
        let m = obj.meta();
        let uid = &self.owner.uid;
        let result = self.client.patch::<T>(&m.namespace, &m.name, &mut |o: &mut T| {
            let om = o.meta_mut();
            if om.uid == m.uid {
                om.owner_references.retain(|r| r.uid != *uid);
            }
        });
        match result {
            Err(e) if !e.is_not_found() && !e.is_invalid() => Err(ReconcileError::api(Self::key_of(self.owner), e)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Container, Pod};
    use crate::api::Time;
    use crate::clock::VirtualClock;
    use crate::controllers::FakeClient;
    use crate::store::{Store, StoreOptions, Verb};

    fn owner(uid: &str) -> ObjectMeta {
        let mut m = ObjectMeta::named("ns", "rs");
        m.uid = uid.into();
        m
    }

    fn obj(controller: Option<&str>) -> ObjectMeta {
        let mut m = ObjectMeta::named("ns", "pod");
        if let Some(uid) = controller {
            m.owner_references.push(controller_ref(&owner(uid), Kind::ReplicaSet));
        }
        m
    }

    fn deleting(mut m: ObjectMeta) -> ObjectMeta {
        m.deletion_timestamp = Some(Time(1));
        m
    }

    /// §1.i case 10 and the rest of `ClaimObject`'s table.
    #[test]
    fn claim_decisions() {
        let mut other_ns = obj(None);
        other_ns.namespace = "elsewhere".into();
        let cases = [
            (obj(Some("A")), owner("B"), true, Claim::OwnedByOther), // owned by A: B ignores it
            (obj(Some("B")), owner("B"), true, Claim::Keep),
            (obj(Some("B")), owner("B"), false, Claim::Release),
            (obj(Some("B")), deleting(owner("B")), false, Claim::Ignore), // no release while being deleted
            (obj(None), owner("B"), true, Claim::Adopt),
            (obj(None), owner("B"), false, Claim::Ignore),
            (deleting(obj(None)), owner("B"), true, Claim::Ignore), // a terminating orphan is not adopted
            (obj(None), deleting(owner("B")), true, Claim::Ignore),
            (other_ns, owner("B"), true, Claim::Ignore),
        ];
        for (i, (o, w, selected, want)) in cases.into_iter().enumerate() {
            assert_eq!(decide(&o, &w, selected), want, "case {i}");
        }
    }

    fn pod(name: &str, controller: Option<&ObjectMeta>) -> Pod {
        let mut p = Pod { metadata: ObjectMeta::named("ns", name), ..Default::default() };
        p.metadata.labels.insert("app".into(), "web".into());
        p.spec.containers.push(Container { name: "c".into(), image: "i".into(), ..Default::default() });
        p.metadata.owner_references.extend(controller.map(|o| controller_ref(o, Kind::ReplicaSet)));
        p
    }

    #[test]
    fn claim_adopts_selected_orphans_and_releases_unselected_pods_in_name_order() {
        let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions::default());
        let fake = FakeClient::new(store.client("test"));
        let me = owner("me");
        let kept = store.create(pod("kept", Some(&me))).unwrap();
        let mut relabeled = pod("relabeled", Some(&me));
        relabeled.metadata.labels.clear();
        let relabeled = store.create(relabeled).unwrap();
        let orphan_b = store.create(pod("orphan-b", None)).unwrap();
        let orphan_a = store.create(pod("orphan-a", None)).unwrap();
        let theirs = store.create(pod("theirs", Some(&owner("other")))).unwrap();
        let mut rechecks = 0;
        let mut m = ControllerRefManager::new(&fake, &me, Kind::ReplicaSet, || {
            rechecks += 1;
            Ok(())
        });
        let candidates = vec![orphan_b, kept, relabeled, theirs, orphan_a];
        let (claimed, errors) = m.claim(candidates, |p: &Pod| p.metadata.labels.contains_key("app"));
        drop(m);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<&str> = claimed.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names, ["kept", "orphan-a", "orphan-b"]);
        assert_eq!(rechecks, 1, "rechecked once, before the first adoption");
        let patched: Vec<String> = fake.calls().into_iter().filter(|c| c.verb == Verb::Patch).map(|c| c.key).collect();
        assert_eq!(patched, ["ns/orphan-a", "ns/orphan-b", "ns/relabeled"]);
        assert!(store.get::<Pod>("ns", "relabeled").unwrap().metadata.owner_references.is_empty());
        let adopted = store.get::<Pod>("ns", "orphan-a").unwrap();
        assert_eq!(adopted.metadata.controller_ref().map(|r| r.uid.as_str()), Some("me"));
    }

    #[test]
    fn a_failed_recheck_refuses_every_adoption_and_gone_pods_are_skipped() {
        let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions::default());
        let fake = FakeClient::new(store.client("test"));
        let me = owner("me");
        let a = store.create(pod("a", None)).unwrap();
        let ghost = Arc::new(pod("ghost", None)); // never stored
        let mut m = ControllerRefManager::new(&fake, &me, Kind::ReplicaSet, || Err("rs is being deleted".into()));
        let (claimed, errors) = m.claim(vec![a.clone()], |_: &Pod| true);
        assert!(claimed.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("can't adopt Pod ns/a"), "{}", errors[0]);
        let mut m = ControllerRefManager::new(&fake, &me, Kind::ReplicaSet, || Ok(()));
        let (claimed, errors) = m.claim(vec![ghost], |_: &Pod| true);
        assert!(claimed.is_empty() && errors.is_empty(), "NotFound is neither claimed nor an error");
    }

    #[test]
    fn recheck_reads_the_owner_from_the_api() {
        use crate::api::ReplicaSet;
        let store = Store::new(Arc::new(VirtualClock::new()), StoreOptions::default());
        let client = store.client("test");
        let mut gone = owner("uid-x");
        gone.name = "missing".into();
        let err = recheck_deletion_timestamp::<ReplicaSet>(&client, &gone).unwrap_err();
        assert!(err.starts_with("can't recheck DeletionTimestamp"), "{err}");
    }
}
