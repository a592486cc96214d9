//! `dg check` (alias `dg check defs`) and `dg check toml`.

use super::defs::load_with_state;
use super::{JsonFlag, Settings};
use crate::config;
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::graph::{AssetGraph, Diagnostic, Severity, validate};
use crate::manifest::environment::check_environment;
use crate::render::check as report;
use clap::{Args, Subcommand};
use serde::Serialize;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CheckArgs {
    #[command(subcommand)]
    pub sub: Option<CheckSub>,
    #[command(flatten)]
    pub defs: DefsCheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum CheckSub {
    /// The same as `dg check`: configuration, definitions and the asset graph (real dg's name)
    Defs(DefsCheckArgs),
    /// Validate every config file of the workspace and report all problems
    Toml(JsonFlag),
}

#[derive(Debug, Args, Clone)]
pub struct DefsCheckArgs {
    /// Print a JSON report on stdout (the same as --format json)
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format: the human report, JSON, or GitHub Actions annotations (on each
    /// problem's file and line) followed by the human report
    #[arg(long, value_enum)]
    pub format: Option<CheckFormat>,
    /// Also write a JUnit XML report to FILE (a test case per location and per problem)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// A saved state (`dg state export`): read locations whose environment is missing
    /// from it instead of failing them (a location's CI checks its cross-location
    /// dependencies without building the other locations' environments)
    #[arg(long, value_name = "DIR")]
    pub state: Option<std::path::PathBuf>,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Github,
}

pub fn run(settings: &Settings, args: &CheckArgs) -> Result<()> {
    match &args.sub {
        Some(CheckSub::Toml(flags)) => toml(settings, *flags),
        Some(CheckSub::Defs(defs)) => check_defs(settings, defs),
        None => check_defs(settings, &args.defs),
    }
}

/// Everything `dg check` knows about one location.
#[derive(Serialize)]
pub struct LocationReport {
    pub name: String,
    /// `ok`, `failed` (did not load) or `problems`.
    pub status: &'static str,
    pub python_version: Option<String>,
    pub dagster_version: Option<String>,
    pub assets: usize,
    pub load_error: Option<String>,
    /// Read from a saved state (`--state`) because its environment is missing.
    pub from_state: bool,
}

#[derive(Serialize)]
pub struct DiagnosticJson {
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub locations: Vec<String>,
    pub keys: Vec<String>,
    /// Where the keys involved are defined, `location: file:line`.
    pub defined_at: Vec<String>,
    /// The same places as file and line (the file as displayed elsewhere).
    pub at: Vec<SourceRef>,
    pub hint: Option<String>,
}

#[derive(Serialize)]
pub struct SourceRef {
    pub location: String,
    pub key: String,
    pub file: String,
    pub line: Option<usize>,
}

#[derive(Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    pub locations: Vec<LocationReport>,
    pub problems: Vec<DiagnosticJson>,
}

fn defined_at(graph: &AssetGraph, d: &Diagnostic) -> Vec<String> {
    source_refs(graph, None, d)
        .into_iter()
        .map(|(r, raw)| {
            let line = r.line.map(|l| format!(":{l}")).unwrap_or_default();
            format!("{} in {}: {raw}{line}", r.key, r.location)
        })
        .collect()
}

/// Where each key of `d` is defined; with `ws`, the file is resolved against its project's
/// root and shown as paths are everywhere else (else it is the manifest's, as recorded).
fn source_refs(
    graph: &AssetGraph,
    ws: Option<&config::Workspace>,
    d: &Diagnostic,
) -> Vec<(SourceRef, String)> {
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
                let location = graph.location_name(def.location);
                let root = ws.and_then(|ws| {
                    ws.projects
                        .iter()
                        .find(|p| p.code_location_name == location)
                        .map(|p| p.root.clone())
                });
                let file = match root {
                    Some(root) => crate::render::display_path(&root.join(&src.file)),
                    None => src.file.clone(),
                };
                out.push((
                    SourceRef {
                        location: location.to_string(),
                        key: key.to_string(),
                        file,
                        line: src.line.map(|l| l as usize),
                    },
                    src.file.clone(),
                ));
            }
        }
    }
    out
}

fn check_defs(settings: &Settings, args: &DefsCheckArgs) -> Result<()> {
    let format = match (args.format, args.json) {
        (Some(f), _) => f,
        (None, true) => CheckFormat::Json,
        (None, false) => CheckFormat::Text,
    };
    let ws = match config::discover(&settings.target) {
        Ok(ws) => ws,
        Err(e) => {
            if format == CheckFormat::Github {
                settings.printer.out(&crate::render::ci::github_annotations(
                    &problem_annotations(&e),
                ));
            }
            return Err(e);
        }
    };
    let state = args
        .state
        .as_deref()
        .map(crate::affected::state::read)
        .transpose()?;
    // The graph needs every location, even when run inside one project: a dependency on
    // another location can only be judged with that location loaded.
    let projects: Vec<_> = ws.projects.iter().collect();
    let scope: Option<&str> = ws
        .current
        .filter(|_| !ws.standalone)
        .map(|i| ws.projects[i].code_location_name.as_str());
    let (loaded, from_state) = load_with_state(
        settings,
        &ws,
        &projects,
        args.refresh,
        format == CheckFormat::Json,
        state.as_ref(),
    )?;
    let graph = &loaded.graph;
    let mut diagnostics = validate(graph);
    for loc in graph.locations() {
        if let Some(p) = ws
            .projects
            .iter()
            .find(|p| p.code_location_name == loc.name)
        {
            diagnostics.extend(check_environment(p, &loc.manifest));
        }
    }
    if let Some(current) = scope {
        diagnostics.retain(|d| d.locations.iter().any(|l| l == current));
    }
    let mut locations = Vec::new();
    for p in &ws.projects {
        if scope.is_some_and(|s| s != p.code_location_name) {
            continue;
        }
        let failure = loaded
            .failures
            .iter()
            .find(|f| f.location == p.code_location_name);
        let manifest = graph
            .locations()
            .iter()
            .find(|l| l.name == p.code_location_name)
            .map(|l| &l.manifest);
        let has_problem = diagnostics
            .iter()
            .any(|d| d.locations.contains(&p.code_location_name));
        locations.push(LocationReport {
            name: p.code_location_name.clone(),
            status: if failure.is_some() {
                "failed"
            } else if has_problem {
                "problems"
            } else {
                "ok"
            },
            python_version: manifest.map(|m| m.location.python_version.clone()),
            dagster_version: manifest.map(|m| m.location.dagster_version.clone()),
            assets: manifest
                .map(|m| m.assets.iter().filter(|a| a.is_executable).count())
                .unwrap_or(0),
            load_error: failure.map(|f| f.message.clone()),
            from_state: from_state.contains(&p.code_location_name),
        });
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
        + loaded
            .failures
            .iter()
            .filter(|f| scope.is_none_or(|s| s == f.location))
            .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let failed = errors > 0 || (args.strict && warnings > 0);
    let report = CheckReport {
        ok: !failed,
        errors,
        warnings,
        locations,
        problems: diagnostics
            .iter()
            .map(|d| DiagnosticJson {
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                code: d.code,
                message: d.message.clone(),
                locations: d.locations.clone(),
                keys: d.keys.iter().map(|k| k.to_string()).collect(),
                defined_at: defined_at(graph, d),
                at: source_refs(graph, Some(&ws), d)
                    .into_iter()
                    .map(|(r, _)| r)
                    .collect(),
                hint: d.hint.clone(),
            })
            .collect(),
    };
    let failed_locations: Vec<crate::render::ci::FailedLocation> = loaded
        .failures
        .iter()
        .filter(|f| scope.is_none_or(|s| s == f.location))
        .map(|f| crate::render::ci::FailedLocation {
            error: f,
            config_file: ws
                .projects
                .iter()
                .find(|p| p.code_location_name == f.location)
                .map(|p| p.config_file.clone())
                .unwrap_or_else(|| ws.config_file.clone()),
        })
        .collect();
    if let Some(path) = &args.junit {
        let xml = crate::render::ci::check_junit(&report, &failed_locations, args.strict);
        crate::manifest::cache::write_atomic(path, xml.as_bytes())?;
    }
    if format == CheckFormat::Github {
        settings.printer.out(&crate::render::ci::github_annotations(
            &crate::render::ci::check_annotations(&report, &failed_locations),
        ));
    }
    if format == CheckFormat::Json {
        settings.printer.json(&report);
    } else {
        settings.printer.out(&report::human(&report));
        for f in &loaded.failures {
            if scope.is_none_or(|s| s == f.location) {
                settings
                    .printer
                    .error(&super::defs::failures_error(std::slice::from_ref(f)));
            }
        }
    }
    if failed {
        Err(Error {
            kind: ErrorKind::Failed,
            problems: Vec::new(),
        })
    } else {
        Ok(())
    }
}

#[derive(Serialize)]
struct ProblemJson {
    message: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    hint: Option<String>,
}

impl From<&Problem> for ProblemJson {
    fn from(p: &Problem) -> Self {
        ProblemJson {
            message: p.message.clone(),
            file: p.at.as_ref().map(|a| a.file.display().to_string()),
            line: p.at.as_ref().map(|a| a.line),
            column: p.at.as_ref().map(|a| a.column),
            hint: p.hint.clone(),
        }
    }
}

#[derive(Serialize)]
struct TomlReport {
    ok: bool,
    files: Vec<String>,
    problems: Vec<ProblemJson>,
}

/// Validates the workspace file and every project's file. Problems are a failed check
/// (exit 1, as real dg's `check toml`); every problem is reported, not only the first.
fn toml(settings: &Settings, flags: JsonFlag) -> Result<()> {
    let outcome = config::find_config_files(&settings.target);
    let (files, problems) = match &outcome {
        Ok(files) => (files.clone(), Vec::new()),
        Err(e) => (Vec::new(), e.problems.clone()),
    };
    if flags.json {
        settings.printer.json(&TomlReport {
            ok: problems.is_empty(),
            files: files.iter().map(|f| f.display().to_string()).collect(),
            problems: problems.iter().map(ProblemJson::from).collect(),
        });
        return match outcome {
            Ok(_) => Ok(()),
            Err(_) => Err(Error {
                kind: ErrorKind::Failed,
                problems: Vec::new(),
            }),
        };
    }
    match outcome {
        Ok(files) => {
            let mut text = format!("All {} config files are valid:", files.len());
            for f in &files {
                text.push_str(&format!("\n  {}", crate::render::display_path(f)));
            }
            settings.printer.out(&text);
            Ok(())
        }
        Err(e) => Err(e.with_kind(ErrorKind::Failed)),
    }
}

/// Annotations for configuration problems (`dg check --format github` before any location
/// is loaded).
fn problem_annotations(e: &Error) -> Vec<crate::render::ci::Annotation> {
    e.problems
        .iter()
        .map(|p| crate::render::ci::Annotation {
            level: crate::render::ci::Level::Error,
            file: p.at.as_ref().map(|a| crate::render::display_path(&a.file)),
            line: p.at.as_ref().map(|a| a.line),
            title: "dg check: configuration".into(),
            message: match &p.hint {
                Some(h) => format!("{}\nhint: {h}", p.message),
                None => p.message.clone(),
            },
        })
        .collect()
}
