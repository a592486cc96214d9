//! `dg check`: the verdict on a loaded workspace. The graph's own problems (`graph::validate`)
//! plus each location's environment against what its project declares, scoped to the current
//! project when run inside one, counted into a report that `render` shows.

mod environment;

use crate::graph::{AssetGraph, Diagnostic, Severity, validate};
use crate::manifest::extract::LocationFailure;
use crate::workspace::Loaded;
use serde::Serialize;

/// How a location fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LocationStatus {
    Ok,
    /// It did not load.
    Failed,
    /// It loaded, and a problem involves it.
    Problems,
}

/// Everything `dg check` knows about one location.
#[derive(Serialize)]
pub(crate) struct LocationReport {
    pub(crate) name: String,
    pub(crate) status: LocationStatus,
    pub(crate) python_version: Option<String>,
    pub(crate) dagster_version: Option<String>,
    pub(crate) assets: usize,
    pub(crate) load_error: Option<String>,
    /// Read from a saved state (`--state`) because its environment is missing.
    pub(crate) from_state: bool,
}

#[derive(Serialize)]
pub(crate) struct ProblemReport {
    pub(crate) severity: Severity,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) locations: Vec<String>,
    pub(crate) keys: Vec<String>,
    /// Where the keys involved are defined, `key in location: file:line`.
    pub(crate) defined_at: Vec<String>,
    /// The same places as data: the file relative to the workspace root (what CI
    /// annotations point at).
    pub(crate) at: Vec<SourceRef>,
    pub(crate) hint: Option<String>,
}

/// Where a key involved in a problem is defined.
#[derive(Serialize)]
pub(crate) struct SourceRef {
    pub(crate) location: String,
    pub(crate) key: String,
    pub(crate) file: String,
    pub(crate) line: Option<u32>,
}

#[derive(Serialize)]
pub(crate) struct CheckReport {
    pub(crate) ok: bool,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) locations: Vec<LocationReport>,
    pub(crate) problems: Vec<ProblemReport>,
    /// Locations that failed to load (in scope), for the error messages after the report.
    #[serde(skip)]
    pub(crate) failures: Vec<LocationFailure>,
}

/// Judges the loaded workspace. `strict` makes warnings fail the check; `access` are the
/// access policy's violations (`access::visibility`), judged by the caller.
pub(crate) fn check(loaded: &Loaded, strict: bool, access: Vec<Diagnostic>) -> CheckReport {
    let graph = &loaded.graph;
    let scope = loaded.scoped_location();
    let mut diagnostics = validate(graph);
    diagnostics.extend(access);
    for loc in graph.locations() {
        if let Some(p) = loaded.project(&loc.name) {
            diagnostics.extend(environment::check(p, &loc.manifest));
        }
    }
    if let Some(current) = scope {
        diagnostics.retain(|d| d.locations.iter().any(|l| l == current));
    }
    let failures: Vec<LocationFailure> = loaded
        .failures
        .iter()
        .filter(|f| scope.is_none_or(|s| s == f.location))
        .cloned()
        .collect();
    let mut locations = Vec::new();
    for p in &loaded.ws.projects {
        if scope.is_some_and(|s| s != p.code_location_name) {
            continue;
        }
        locations.push(location_report(loaded, p, &failures, &diagnostics));
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
        + failures.len();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    CheckReport {
        ok: !(errors > 0 || (strict && warnings > 0)),
        errors,
        warnings,
        locations,
        problems: diagnostics
            .iter()
            .map(|d| problem_report(loaded, d))
            .collect(),
        failures,
    }
}

/// One location's line of the report: failed, with problems, or ok.
fn location_report(
    loaded: &Loaded,
    p: &crate::config::Project,
    failures: &[LocationFailure],
    diagnostics: &[Diagnostic],
) -> LocationReport {
    let graph = &loaded.graph;
    let failure = failures.iter().find(|f| f.location == p.code_location_name);
    let manifest = graph
        .locations()
        .iter()
        .find(|l| l.name == p.code_location_name)
        .map(|l| &l.manifest);
    let has_problem = diagnostics
        .iter()
        .any(|d| d.locations.contains(&p.code_location_name));
    LocationReport {
        name: p.code_location_name.clone(),
        status: if failure.is_some() {
            LocationStatus::Failed
        } else if has_problem {
            LocationStatus::Problems
        } else {
            LocationStatus::Ok
        },
        python_version: manifest.map(|m| m.location.python_version.clone()),
        dagster_version: manifest.map(|m| m.location.dagster_version.clone()),
        assets: manifest
            .map(|m| m.assets.iter().filter(|a| a.is_executable).count())
            .unwrap_or(0),
        load_error: failure.map(|f| f.message.clone()),
        from_state: loaded
            .loads
            .iter()
            .any(|l| l.location == p.code_location_name && l.from_saved),
    }
}

fn problem_report(loaded: &Loaded, d: &Diagnostic) -> ProblemReport {
    ProblemReport {
        severity: d.severity,
        code: d.code.as_str(),
        message: d.message.clone(),
        locations: d.locations.clone(),
        keys: d.keys.iter().map(|k| k.to_string()).collect(),
        defined_at: defined_at(&loaded.graph, d),
        at: source_refs(loaded, d),
        hint: d.hint.clone(),
    }
}

fn defined_at(graph: &AssetGraph, d: &Diagnostic) -> Vec<String> {
    let mut out = Vec::new();
    for key in &d.keys {
        let Some(id) = graph.find(key) else { continue };
        let node = graph.node(id);
        let mut defs: Vec<_> = node.definition.into_iter().collect();
        // Every executable definition of a duplicated key, not only the first.
        for dup in graph.duplicate_owners() {
            if dup.node == id {
                defs = dup.definitions.clone();
            }
        }
        for def in defs {
            let asset = graph.asset_def(def);
            if let Some(src) = &asset.source {
                let line = src.line.map(|l| format!(":{l}")).unwrap_or_default();
                out.push(format!(
                    "{key} in {}: {}{line}",
                    graph.location_name(def.location),
                    src.file
                ));
            }
        }
    }
    out
}

/// Where each key of `d` is defined, with files relative to the workspace root.
fn source_refs(loaded: &Loaded, d: &Diagnostic) -> Vec<SourceRef> {
    let graph = &loaded.graph;
    let mut out = Vec::new();
    for key in &d.keys {
        let Some(id) = graph.find(key) else { continue };
        let mut defs: Vec<_> = graph.node(id).definition.into_iter().collect();
        for dup in graph.duplicate_owners() {
            if dup.node == id {
                defs = dup.definitions.clone();
            }
        }
        for def in defs {
            let Some(src) = &graph.asset_def(def).source else {
                continue;
            };
            let location = graph.location_name(def.location);
            let file = match loaded.project(location) {
                Some(p) => {
                    let path = p.root.join(&src.file);
                    path.strip_prefix(&loaded.ws.root)
                        .map(crate::path::slash)
                        .unwrap_or_else(|_| path.display().to_string())
                }
                None => src.file.clone(),
            };
            out.push(SourceRef {
                location: location.to_string(),
                key: key.to_string(),
                file,
                line: src.line,
            });
        }
    }
    out
}
