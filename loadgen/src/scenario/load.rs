//! Loading a scenario: YAML text → value tree → `--set` overrides → typed [`Scenario`] → validation.
//!
//! Every problem is reported with the file, the line and column (found by
//! walking the YAML text along the key path, see `locate`) and the key path;
//! a problem in a value that an override put there names the override instead
//! of a line. Typed parsing stops at the first error (serde); validation then
//! lists every problem it finds.

use std::fmt;
use std::path::{Path as FsPath, PathBuf};

use kwarp::api::{FieldPath, PathSegment};
use serde::Deserialize;
use serde_json::Value;

use super::{validate, Scenario};
use crate::jsonpath::{self, Path, SetOptions};

/// A scenario ready to run, with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The file as named on the command line.
    pub file: String,
    /// The value tree after overrides (what was actually run; goes into the report).
    pub value: Value,
    pub overrides: Vec<Override>,
    /// Settings that were accepted but are not applied yet (printed by `kwarp validate`).
    pub notes: Vec<String>,
}

/// One `--set path=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// As given: `steps.1.count=50`.
    pub arg: String,
    /// The path set, with looked-through steps spelled out: `steps.1.create.count`.
    pub path: Path,
    pub value: Value,
}

/// One thing wrong with a scenario, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// From 1; `None` when the value came from an override or the place is unknown.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key path: `steps[2].scale.replicas`.
    pub path: FieldPath,
    pub message: String,
    /// The `--set` that put the value there.
    pub set_by: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        if self.path.is_root() {
            write!(f, ": ")?;
        } else {
            write!(f, ": {}", self.path)?;
            if let Some(arg) = &self.set_by {
                write!(f, " (set by --set {arg})")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a scenario cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Syntax { file: String, line: usize, column: usize, message: String },
    #[error("--set {arg}: {message}")]
    Override { arg: String, message: String },
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
}

impl ScenarioError {
    /// The problems, one per line of the message (one for the non-`Invalid` variants).
    pub fn problems(&self) -> Vec<String> {
        match self {
            ScenarioError::Invalid { problems } => problems.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// Reads and checks the scenario at `path`, with `--set` overrides (`path=value`) applied.
pub fn load_scenario(path: impl AsRef<FsPath>, overrides: &[String]) -> Result<LoadedScenario, ScenarioError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io { file: file.clone(), source })?;
    let dir = path.parent().map(FsPath::to_path_buf).unwrap_or_default();
    parse_scenario(&file, &text, &dir, overrides)
}

/// [`load_scenario`] on text: `file` names it in errors, manifests are read relative to `dir`.
pub fn parse_scenario(
    file: &str,
    text: &str,
    dir: &FsPath,
    overrides: &[String],
) -> Result<LoadedScenario, ScenarioError> {
    let mut value = read_yaml(file, text)?;
    let overrides = overrides.iter().map(|arg| apply_override(&mut value, arg)).collect::<Result<Vec<_>, _>>()?;
    let ctx = Context { file, text, overrides: &overrides };
    let mut scenario: Scenario = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = field_path(e.path());
        let message = e.into_inner().to_string();
        let (path, message) = match split_unknown_field(&message) {
            Some(field) if path.last_key() != field => (path.key(field), message.clone()),
            _ => (path, message),
        };
        ScenarioError::Invalid { problems: vec![ctx.problem(path, message)] }
    })?;
    let mut found = Vec::new();
    let notes = validate::check(&mut scenario, &Resolver { dir: dir.to_path_buf() }, &mut found);
    if !found.is_empty() {
        return Err(ScenarioError::Invalid { problems: found.into_iter().map(|(p, m)| ctx.problem(p, m)).collect() });
    }
    Ok(LoadedScenario { scenario, file: file.to_string(), value, overrides, notes })
}

/// Where a create step's `manifest:` files are.
#[derive(Debug)]
pub(super) struct Resolver {
    pub dir: PathBuf,
}

impl Resolver {
    pub fn path(&self, name: &str) -> PathBuf {
        let p = FsPath::new(name);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

struct Context<'a> {
    file: &'a str,
    text: &'a str,
    overrides: &'a [Override],
}

impl Context<'_> {
    fn problem(&self, path: FieldPath, message: String) -> Problem {
        let strings: Vec<String> = path
            .segments()
            .iter()
            .map(|s| match s {
                PathSegment::Key(k) => k.clone(),
                PathSegment::Index(i) => i.to_string(),
            })
            .collect();
        // The last override that set this value (or one around it: no line to show),
        // else one that set something inside it (shown with the line).
        let around = self.overrides.iter().rev().find(|o| strings.starts_with(o.path.segments()));
        let inside = self.overrides.iter().rev().find(|o| o.path.segments().starts_with(&strings));
        let set_by = around.or(inside).map(|o| o.arg.clone());
        let at =
            if around.is_some() { None } else { kwarp::api::manifest::locate::yaml(self.text, 0, path.segments()) };
        Problem { file: self.file.to_string(), line: at.map(|p| p.0), column: at.map(|p| p.1), path, message, set_by }
    }
}

fn read_yaml(file: &str, text: &str) -> Result<Value, ScenarioError> {
    let syntax = |e: serde_norway::Error| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let message = e.to_string().replacen(&format!(" at line {line} column {column}"), "", 1);
        ScenarioError::Syntax { file: file.to_string(), line, column, message }
    };
    let mut docs = serde_norway::Deserializer::from_str(text);
    let Some(first) = docs.next() else {
        return Err(empty(file));
    };
    let value = Value::deserialize(first).map_err(syntax)?;
    if let Some(second) = docs.next() {
        if !Value::deserialize(second).map_err(syntax)?.is_null() {
            let line = text.lines().position(|l| l.starts_with("---") && l.len() >= 3).map_or(1, |i| i + 1);
            return Err(ScenarioError::Syntax {
                file: file.to_string(),
                line,
                column: 1,
                message: "a scenario is one YAML document; found a second one".to_string(),
            });
        }
    }
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Err(empty(file)),
        other => Err(ScenarioError::Invalid {
            problems: vec![Problem {
                file: file.to_string(),
                line: Some(1),
                column: Some(1),
                path: FieldPath::root(),
                message: format!(
                    "expected a map (name:, cluster:, steps:, ...), found {}",
                    jsonpath::type_name(&other)
                ),
                set_by: None,
            }],
        }),
    }
}

fn empty(file: &str) -> ScenarioError {
    ScenarioError::Invalid {
        problems: vec![Problem {
            file: file.to_string(),
            line: None,
            column: None,
            path: FieldPath::root(),
            message: "the scenario is empty (it needs at least `name:`)".to_string(),
            set_by: None,
        }],
    }
}

/// Applies one `path=value` (value read as YAML; empty means the empty string).
fn apply_override(root: &mut Value, arg: &str) -> Result<Override, ScenarioError> {
    let fail = |message: String| ScenarioError::Override { arg: arg.to_string(), message };
    let Some((path, raw)) = arg.split_once('=') else {
        return Err(fail("expected path=value (e.g. cluster.nodes.count=1000)".to_string()));
    };
    let path = Path::parse(path).map_err(|e| fail(e.to_string()))?;
    let value = if raw.trim().is_empty() {
        Value::String(String::new())
    } else {
        serde_norway::from_str::<Value>(raw).map_err(|e| fail(format!("the value is not valid YAML: {e}")))?
    };
    let done = jsonpath::set(root, &path, value.clone(), SetOptions { look_through_steps: true })
        .map_err(|e| fail(e.to_string()))?;
    Ok(Override { arg: arg.to_string(), path: done, value })
}

fn field_path(path: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment;
    let mut out = FieldPath::root();
    for seg in path.iter() {
        out = match seg {
            Segment::Seq { index } => out.index(*index),
            Segment::Map { key } => out.key(key.clone()),
            Segment::Enum { variant } => out.key(variant.clone()),
            Segment::Unknown => break,
        };
    }
    out
}

/// The field of serde's "unknown field `x`, expected ...".
fn split_unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(field, _)| field)
}
