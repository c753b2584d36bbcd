//! The `k8s_resource!` macro: Kubernetes JSON shape (`apiVersion`, `kind`,
//! `metadata`, `spec`, `status`) and the [`Resource`](super::Resource) plumbing for each kind.

/// Implements Serialize, Deserialize and `Resource` for a kind with
/// `metadata`/`spec`/`status` fields. `defaults` and `validate` name the
/// functions in `api::defaults` and `api::validation`; extra trait items follow.
macro_rules! k8s_resource {
    ($ty:ident, $kind:expr, $spec:ty, $status:ty, defaults = $def:path, validate = $val:path $(, { $($extra:tt)* })?) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let with_status = self.status != <$status>::default();
                let mut m = s.serialize_map(Some(if with_status { 5 } else { 4 }))?;
                m.serialize_entry("apiVersion", $kind.api_version())?;
                m.serialize_entry("kind", $kind.as_str())?;
                m.serialize_entry("metadata", &self.metadata)?;
                m.serialize_entry("spec", &self.spec)?;
                if with_status {
                    m.serialize_entry("status", &self.status)?;
                }
                m.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(serde::Deserialize)]
                #[serde(rename_all = "camelCase", deny_unknown_fields)]
                struct Shadow {
                    #[serde(default)]
                    api_version: Option<String>,
                    #[serde(default)]
                    kind: Option<String>,
                    #[serde(default)]
                    metadata: $crate::api::ObjectMeta,
                    #[serde(default)]
                    spec: $spec,
                    #[serde(default)]
                    status: $status,
                }
                let s = Shadow::deserialize(d)?;
                $crate::api::object::check_type_meta::<D::Error>($kind, s.api_version.as_deref(), s.kind.as_deref())?;
                Ok($ty { metadata: s.metadata, spec: s.spec, status: s.status })
            }
        }

        impl $crate::api::Resource for $ty {
            const KIND: $crate::api::Kind = $kind;
            fn meta(&self) -> &$crate::api::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut $crate::api::ObjectMeta {
                &mut self.metadata
            }
            fn spec_eq(&self, other: &Self) -> bool {
                self.spec == other.spec
            }
            fn set_status_from(&mut self, other: &Self) {
                self.status = other.status.clone();
            }
            fn set_spec_from(&mut self, other: &Self) {
                self.spec = other.spec.clone();
            }
            fn apply_defaults(&mut self) {
                $def(self)
            }
            fn validate(&self, old: Option<&Self>) -> Result<(), $crate::api::Invalid> {
                $val(self, old)
            }
            $($($extra)*)?
        }
    };
}
pub(crate) use k8s_resource;

/// Checks `apiVersion` and `kind` of a typed object: absent is fine (the type
/// says what it is), present must name this kind in a spelling Kubernetes accepts.
pub fn check_type_meta<E: serde::de::Error>(
    kind: super::Kind,
    api_version: Option<&str>,
    k: Option<&str>,
) -> Result<(), E> {
    if let Some(k) = k {
        if k != kind.as_str() {
            return Err(E::custom(format!("kind {k:?} where {:?} was expected", kind.as_str())));
        }
    }
    if let Some(v) = api_version {
        if !kind.accepts_api_version(v) {
            return Err(E::custom(format!(
                "apiVersion {v:?} is not served for kind {:?} (use {:?})",
                kind.as_str(),
                kind.api_version()
            )));
        }
    }
    Ok(())
}
