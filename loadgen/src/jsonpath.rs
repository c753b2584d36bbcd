//! Field paths into JSON values (`spec.template.spec.containers[0].image`) and setting a value at one.
//!
//! Used by `--set path=value` overrides (on the scenario's value tree) and by the
//! `set:` of `update` / `patch` steps (on an object's Kubernetes JSON).
//!
//! Syntax: segments separated by `.`; a segment in brackets may contain dots
//! (`metadata.labels[app.kubernetes.io/name]`); a segment that is a whole number
//! indexes a list (`containers.0` and `containers[0]` mean the same) and is a
//! plain key in a map. Setting follows JSON merge patch: missing maps on the way
//! are created, `null` removes a key.

use std::fmt;

use serde_json::{Map, Value};

/// A malformed path, or one that cannot be set in this value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct PathError {
    /// The path as far as it was valid (where the problem is).
    pub path: String,
    pub reason: String,
}

impl PathError {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        PathError { path: path.into(), reason: reason.into() }
    }
}

/// A parsed path: its segments, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<String>);

impl Path {
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let mut segs = Vec::new();
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(PathError::new(text, "empty path"));
        }
        let mut expect_segment = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let Some(end) = after.find(']') else {
                    return Err(PathError::new(text, "unclosed `[`"));
                };
                if end == 0 {
                    return Err(PathError::new(text, "empty `[]`"));
                }
                segs.push(after[..end].to_string());
                rest = &after[end + 1..];
                expect_segment = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if expect_segment {
                    return Err(PathError::new(text, "empty segment"));
                }
                rest = after;
                expect_segment = true;
                if rest.is_empty() || rest.starts_with('.') {
                    return Err(PathError::new(text, "empty segment"));
                }
            } else {
                if !expect_segment {
                    return Err(PathError::new(text, "expected `.` or `[` after `]`"));
                }
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                segs.push(rest[..end].to_string());
                rest = &rest[end..];
                expect_segment = false;
            }
        }
        Ok(Path(segs))
    }

    pub fn segments(&self) -> &[String] {
        &self.0
    }

    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if s.contains(['.', '[', ']']) || s.is_empty() {
                write!(f, "[{s}]")?;
            } else {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(s)?;
            }
        }
        Ok(())
    }
}

/// How [`set`] walks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// A list element that is a one-key map (a scenario step, `{create: {...}}`)
    /// is looked through when the next segment is not that key:
    /// `steps.1.count` sets `steps.1.create.count`.
    pub look_through_steps: bool,
}

/// Sets `value` at `path` in `root` (merge-patch style, see the module doc) and
/// returns the path actually set (differs when steps were looked through).
pub fn set(root: &mut Value, path: &Path, value: Value, opts: SetOptions) -> Result<Path, PathError> {
    let segs = path.segments();
    let mut done = Path::default();
    let mut cur = root;
    let mut came_from_list = false;
    let mut i = 0;
    while i < segs.len() {
        let seg = &segs[i];
        let last = i + 1 == segs.len();
        if opts.look_through_steps && came_from_list {
            if let Value::Object(m) = &*cur {
                if m.len() == 1 && !m.contains_key(seg) && m.values().next().is_some_and(Value::is_object) {
                    let key = m.keys().next().cloned().unwrap_or_default();
                    done.0.push(key.clone());
                    cur = cur.get_mut(&key).unwrap_or_else(|| unreachable!("the key was just read"));
                    came_from_list = false;
                    continue;
                }
            }
        }
        done.0.push(seg.clone());
        came_from_list = false;
        if cur.is_null() && !value.is_null() {
            *cur = Value::Object(Map::new());
        }
        match cur {
            Value::Object(map) => {
                if last {
                    if value.is_null() {
                        map.remove(seg);
                    } else {
                        map.insert(seg.clone(), value);
                    }
                    return Ok(done);
                }
                if !map.contains_key(seg) {
                    if value.is_null() {
                        return Ok(done); // removing under a missing key: nothing to do
                    }
                    map.insert(seg.clone(), Value::Object(Map::new()));
                }
                cur = map.get_mut(seg).unwrap_or_else(|| unreachable!("inserted above"));
            }
            Value::Array(list) => {
                let n = list.len();
                let Ok(index) = seg.parse::<usize>() else {
                    done.0.pop();
                    return Err(PathError::new(
                        done.to_string(),
                        format!("is a list: expected an index (0..{n}), found `{seg}`"),
                    ));
                };
                if index >= n {
                    done.0.pop();
                    return Err(PathError::new(
                        done.to_string(),
                        format!("index {index} is out of range: the list has {n} entries"),
                    ));
                }
                if last {
                    if value.is_null() {
                        list.remove(index);
                    } else {
                        list[index] = value;
                    }
                    return Ok(done);
                }
                cur = &mut list[index];
                came_from_list = true;
            }
            other => {
                done.0.pop();
                return Err(PathError::new(
                    if done.0.is_empty() { "<root>".to_string() } else { done.to_string() },
                    format!("is {}: cannot set `{seg}` inside it", type_name(other)),
                ));
            }
        }
        i += 1;
    }
    *cur = value;
    Ok(done)
}

/// The value at `path`, if there is one.
pub fn get<'v>(root: &'v Value, path: &Path) -> Option<&'v Value> {
    path.segments().iter().try_fold(root, |cur, seg| match cur {
        Value::Object(m) => m.get(seg),
        Value::Array(l) => seg.parse::<usize>().ok().and_then(|i| l.get(i)),
        _ => None,
    })
}

/// `a number`, `a list`: how a JSON value's type reads in messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Path {
        Path::parse(s).unwrap()
    }

    #[test]
    fn paths_parse_dots_brackets_and_indexes() {
        assert_eq!(p("a.b.0").0, ["a", "b", "0"]);
        assert_eq!(p("metadata.labels[app.kubernetes.io/name]").0, ["metadata", "labels", "app.kubernetes.io/name"]);
        assert_eq!(p("containers[0].image").0, ["containers", "0", "image"]);
        assert_eq!(p("metadata.labels[app.kubernetes.io/name]").to_string(), "metadata.labels[app.kubernetes.io/name]");
        for bad in ["", "a..b", "a.", ".a", "a[b", "a[]", "a[b]c"] {
            assert!(Path::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn set_creates_maps_replaces_and_removes() {
        let mut v = json!({"spec": {"replicas": 1, "list": [{"a": 1}]}});
        set(&mut v, &p("spec.replicas"), json!(5), SetOptions::default()).unwrap();
        set(&mut v, &p("spec.template.metadata.labels[app.io/x]"), json!("y"), SetOptions::default()).unwrap();
        set(&mut v, &p("spec.list.0.a"), json!(2), SetOptions::default()).unwrap();
        set(&mut v, &p("spec.gone"), Value::Null, SetOptions::default()).unwrap();
        set(&mut v, &p("spec.replicas"), Value::Null, SetOptions::default()).unwrap();
        assert_eq!(v, json!({"spec": {"list": [{"a": 2}], "template": {"metadata": {"labels": {"app.io/x": "y"}}}}}));
    }

    #[test]
    fn set_errors_name_where_it_stopped() {
        let mut v = json!({"steps": [{"sleep": "1s"}], "seed": 3});
        let e = set(&mut v, &p("steps.4.count"), json!(1), SetOptions::default()).unwrap_err();
        assert_eq!(e.to_string(), "steps: index 4 is out of range: the list has 1 entries");
        let e = set(&mut v, &p("seed.x"), json!(1), SetOptions::default()).unwrap_err();
        assert_eq!(e.to_string(), "seed: is a number: cannot set `x` inside it");
        let e = set(&mut v, &p("steps.x"), json!(1), SetOptions::default()).unwrap_err();
        assert!(e.to_string().starts_with("steps: is a list: expected an index"), "{e}");
    }

    #[test]
    fn steps_are_looked_through_when_asked() {
        let mut v = json!({"steps": [{"sleep": "1s"}, {"create": {"count": 1}}]});
        let opts = SetOptions { look_through_steps: true };
        let done = set(&mut v, &p("steps.1.count"), json!(50), opts).unwrap();
        assert_eq!(done.to_string(), "steps.1.create.count");
        assert_eq!(v["steps"][1]["create"]["count"], 50);
        let done = set(&mut v, &p("steps.1.create.count"), json!(7), opts).unwrap();
        assert_eq!(done.to_string(), "steps.1.create.count");
        assert_eq!(get(&v, &p("steps.1.create.count")), Some(&json!(7)));
    }
}
