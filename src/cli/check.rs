//! `dg check` (alias `dg check defs`) and `dg check toml`.

use super::defs::load;
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
    /// Print a JSON report on stdout
    #[arg(long)]
    pub json: bool,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
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
    pub hint: Option<String>,
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

fn check_defs(settings: &Settings, args: &DefsCheckArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    // The graph needs every location, even when run inside one project: a dependency on
    // another location can only be judged with that location loaded.
    let projects: Vec<_> = ws.projects.iter().collect();
    let scope: Option<&str> = ws
        .current
        .filter(|_| !ws.standalone)
        .map(|i| ws.projects[i].code_location_name.as_str());
    let loaded = load(settings, &ws, &projects, args.refresh, args.json)?;
    let graph = &loaded.graph;
    let mut diagnostics = validate(graph);
    diagnostics.extend(super::access::violations(&ws, graph)?);
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
                hint: d.hint.clone(),
            })
            .collect(),
    };
    if args.json {
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
