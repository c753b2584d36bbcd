//! The API server's write rules as pure functions: what a create, update, status
//! update or delete turns the stored object into. No locks, no clock, no I/O — the
//! store calls these outside its locks and only commits the result.

use std::any::Any;

use rand::Rng;

use crate::api::pod::{Pod, PodPhase};
use crate::api::{Invalid, ObjectMeta, Resource, Time};

use super::options::{DeleteOptions, Propagation, FINALIZER_FOREGROUND, FINALIZER_ORPHAN};

/// Characters of generated name suffixes (`k8s.io/apimachinery/pkg/util/rand`): no vowels, no look-alikes.
pub const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Length of the random suffix appended to `generateName`.
pub const NAME_SUFFIX_LEN: usize = 5;
/// `generateName` is cut to this many bytes so the name fits in 63.
pub const MAX_GENERATED_NAME_LENGTH: usize = 63 - NAME_SUFFIX_LEN;

/// `base` (cut to 58 bytes) plus 5 random characters of [`NAME_ALPHABET`].
pub fn generate_name(base: &str, rng: &mut impl Rng) -> String {
    let mut cut = base.len().min(MAX_GENERATED_NAME_LENGTH);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut name = String::with_capacity(cut + NAME_SUFFIX_LEN);
    name.push_str(&base[..cut]);
    for _ in 0..NAME_SUFFIX_LEN {
        name.push(char::from(NAME_ALPHABET[rng.random_range(0..NAME_ALPHABET.len())]));
    }
    name
}

/// A random (version 4) UUID in its 36-character text form.
pub fn new_uid(rng: &mut impl Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(byte >> 4)]));
        s.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    s
}

/// The namespace a request on a namespaced kind is about when it names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// `namespace/name` (an empty namespace meaning [`DEFAULT_NAMESPACE`]), or `name`
/// for cluster-scoped kinds (the namespace is ignored).
pub fn object_key<T: Resource>(namespace: &str, name: &str) -> String {
    if T::KIND.is_namespaced() {
        let namespace = if namespace.is_empty() { DEFAULT_NAMESPACE } else { namespace };
        let mut k = String::with_capacity(namespace.len() + 1 + name.len());
        k.push_str(namespace);
        k.push('/');
        k.push_str(name);
        k
    } else {
        name.to_string()
    }
}

/// Turns a client's object into the one a CREATE stores (all but the
/// resourceVersion, which the commit assigns): system fields set, defaults
/// applied, validated. The name must already be final (generateName resolved).
/// A namespaced object without a namespace goes to [`DEFAULT_NAMESPACE`]; a
/// cluster-scoped one loses its namespace.
pub fn prepare_create<T: Resource>(obj: &mut T, uid: String, now: Time) -> Result<(), Invalid> {
    let meta = obj.meta_mut();
    if !T::KIND.is_namespaced() {
        meta.namespace.clear();
    } else if meta.namespace.is_empty() {
        meta.namespace = DEFAULT_NAMESPACE.to_string();
    }
    meta.uid = uid;
    meta.resource_version.clear();
    meta.generation = 1;
    meta.creation_timestamp = Some(now);
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    obj.apply_defaults();
    obj.validate(None)
}

/// Turns a client's UPDATE of the main resource into the object to store over
/// `old`: status kept from `old`, uid/creationTimestamp/deletion fields kept,
/// generation bumped iff `bumps_generation`, defaults applied, validated.
///
/// Idempotent: preparing the result again against a newer `old` gives what
/// preparing the original would (the store relies on it to retry unconditional
/// updates that raced another writer).
pub fn prepare_update<T: Resource>(mut obj: T, old: &T) -> Result<T, Invalid> {
    obj.set_status_from(old);
    let o = old.meta();
    let meta = obj.meta_mut();
    if meta.namespace.is_empty() && T::KIND.is_namespaced() {
        meta.namespace.clone_from(&o.namespace);
    }
    if meta.uid.is_empty() {
        meta.uid.clone_from(&o.uid);
    }
    meta.creation_timestamp = o.creation_timestamp;
    meta.deletion_timestamp = o.deletion_timestamp;
    meta.deletion_grace_period_seconds = o.deletion_grace_period_seconds;
    obj.apply_defaults();
    let generation = o.generation + i64::from(obj.bumps_generation(old));
    obj.meta_mut().generation = generation;
    obj.validate(Some(old))?;
    Ok(obj)
}

/// Turns a client's UPDATE of the status subresource into the object to store over
/// `old`: only the status is taken from `obj`; spec and metadata stay `old`'s.
pub fn prepare_status_update<T: Resource>(mut obj: T, old: &T) -> Result<T, Invalid> {
    obj.set_spec_from(old);
    *obj.meta_mut() = old.meta().clone();
    obj.validate(Some(old))?;
    Ok(obj)
}

/// True when `new` equals `old` apart from the resourceVersion: the API server
/// then writes nothing (no new revision, no event) and returns `old`.
pub fn is_noop<T: Resource>(new: &mut T, old: &T) -> bool {
    let o = &old.meta().resource_version;
    if new.meta().resource_version != *o {
        new.meta_mut().resource_version.clone_from(o);
    }
    new == old
}

/// `ShouldDeleteDuringUpdate`: an update that removes the last finalizer of an
/// object being deleted (with no grace period pending) deletes it.
pub fn deletes_during_update(new: &ObjectMeta, old: &ObjectMeta) -> bool {
    new.deletion_timestamp.is_some()
        && new.finalizers.is_empty()
        && !old.finalizers.is_empty()
        && new.deletion_grace_period_seconds.unwrap_or(0) == 0
}

/// What a DELETE does to the stored object.
#[derive(Clone, Debug, PartialEq)]
pub enum DeletePlan<T> {
    /// Already being deleted: nothing changes, the stored object is returned.
    Keep,
    /// Removed now (DELETED event).
    Remove,
    /// Kept with this new state (deletionTimestamp set, finalizers recorded): MODIFIED.
    Mark(T),
}

/// The grace period a DELETE gets (`CheckGracefulDelete`): `None` when the kind
/// has no graceful deletion; pods not bound to a node or already terminal get 0.
pub fn grace_period<T: Resource>(obj: &T, opts: &DeleteOptions) -> Option<i64> {
    let default = obj.default_grace_period_seconds()?;
    let mut grace = opts.grace_period_seconds.unwrap_or(default);
    if grace < 0 {
        grace = 1;
    }
    if obj.node_name().is_none() {
        grace = 0;
    }
    if let Some(pod) = (obj as &dyn Any).downcast_ref::<Pod>() {
        if matches!(pod.status.phase, Some(PodPhase::Succeeded | PodPhase::Failed)) {
            grace = 0;
        }
    }
    Some(grace)
}

/// The finalizers after recording the propagation policy
/// (`deletionFinalizersForGarbageCollection`): an explicit policy wins; without
/// one, a GC finalizer already on the object wins; else the kind's default.
pub fn gc_finalizers(existing: &[String], policy: Option<Propagation>, default: Propagation) -> Vec<String> {
    let has = |f: &str| existing.iter().any(|x| x == f);
    let (orphan, foreground) = match policy {
        Some(p) => (p == Propagation::Orphan, p == Propagation::Foreground),
        None if has(FINALIZER_ORPHAN) => (true, false),
        None if has(FINALIZER_FOREGROUND) => (false, true),
        None => (default == Propagation::Orphan, false),
    };
    let mut out: Vec<String> =
        existing.iter().filter(|f| *f != FINALIZER_ORPHAN && *f != FINALIZER_FOREGROUND).cloned().collect();
    if orphan {
        out.push(FINALIZER_ORPHAN.to_string());
    }
    if foreground {
        out.push(FINALIZER_FOREGROUND.to_string());
    }
    out
}

/// Decides a DELETE of `obj` at `now` (preconditions must already hold).
///
/// * Already being deleted: only a pod's pending grace period may be shortened
///   (the new deadline counts from the original request, as Kubernetes does);
///   shortening to 0 without finalizers removes it; anything else is [`DeletePlan::Keep`].
/// * Graceful (a bound pod, grace > 0): deletionTimestamp = now + grace,
///   deletionGracePeriodSeconds = grace, generation + 1.
/// * Otherwise the propagation policy is recorded as finalizers; with any
///   finalizer the object is marked (deletionTimestamp = now, grace 0,
///   generation + 1), without one it is removed.
pub fn plan_delete<T: Resource>(obj: &T, opts: &DeleteOptions, now: Time) -> DeletePlan<T> {
    let grace = grace_period(obj, opts);
    let meta = obj.meta();
    if let Some(ts) = meta.deletion_timestamp {
        return match (grace, meta.deletion_grace_period_seconds) {
            (Some(g), Some(cur)) if g < cur => {
                if g == 0 && meta.finalizers.is_empty() {
                    return DeletePlan::Remove;
                }
                let mut new = obj.clone();
                let m = new.meta_mut();
                m.deletion_timestamp = Some(ts.add_secs(g - cur));
                m.deletion_grace_period_seconds = Some(g);
                DeletePlan::Mark(new)
            }
            _ if meta.finalizers.is_empty() && meta.deletion_grace_period_seconds.unwrap_or(0) == 0 => {
                DeletePlan::Remove
            }
            _ => DeletePlan::Keep,
        };
    }
    let finalizers = gc_finalizers(&meta.finalizers, opts.propagation_policy, Propagation::default_for(T::KIND));
    let graceful = grace.unwrap_or(0) > 0;
    if !graceful && finalizers.is_empty() {
        return DeletePlan::Remove;
    }
    let mut new = obj.clone();
    let m = new.meta_mut();
    let g = if graceful { grace.unwrap_or(0) } else { 0 };
    m.deletion_timestamp = Some(now.add_secs(g));
    m.deletion_grace_period_seconds = Some(g);
    if m.generation > 0 {
        m.generation += 1;
    }
    m.finalizers = finalizers;
    DeletePlan::Mark(new)
}

/// Checks a DELETE's preconditions; `Err` holds the Conflict reason.
pub fn check_preconditions(meta: &ObjectMeta, opts: &DeleteOptions) -> Result<(), String> {
    let p = &opts.preconditions;
    if let Some(uid) = &p.uid {
        if *uid != meta.uid {
            return Err(format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {}", meta.uid));
        }
    }
    if let Some(rv) = &p.resource_version {
        if *rv != meta.resource_version {
            return Err(format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                meta.resource_version
            ));
        }
    }
    Ok(())
}
