//! `dg list projects`: one listed path per line, as real dg prints them; or JSON with each
//! project's resolved settings.

use crate::config::{InterpreterSource, Project, Workspace};
use serde::Serialize;

/// One project as `dg list projects --json` reports it.
#[derive(Serialize)]
pub(crate) struct ProjectJson<'a> {
    name: &'a str,
    path: &'a str,
    root: String,
    root_module: &'a str,
    code_location_name: &'a str,
    code_location_target_module: &'a str,
    defs_module: &'a str,
    working_directory: String,
    config_file: String,
    interpreter: InterpreterJson,
    requires_python: Option<&'a str>,
    dagster_requirement: Option<&'a str>,
    /// `[tool.dg-rs] python`: the Python `dg sync` builds this project's environment with.
    python_request: Option<&'a str>,
}

#[derive(Serialize)]
struct InterpreterJson {
    path: String,
    source: InterpreterSource,
    exists: bool,
}

impl<'a> From<&'a Project> for ProjectJson<'a> {
    fn from(p: &'a Project) -> Self {
        ProjectJson {
            name: &p.name,
            path: &p.listed_path,
            root: p.root.display().to_string(),
            root_module: &p.root_module,
            code_location_name: &p.code_location_name,
            code_location_target_module: &p.code_location_target_module,
            defs_module: &p.defs_module,
            working_directory: p.working_directory.display().to_string(),
            config_file: p.config_file.display().to_string(),
            interpreter: InterpreterJson {
                path: p.interpreter.path.display().to_string(),
                source: p.interpreter.source,
                exists: p.interpreter.exists(),
            },
            requires_python: p.requires_python.as_deref(),
            dagster_requirement: p.dagster_requirement.as_deref(),
            python_request: p.python_request.as_deref(),
        }
    }
}

pub(crate) fn json(ws: &Workspace) -> Vec<ProjectJson<'_>> {
    ws.projects.iter().map(ProjectJson::from).collect()
}

pub(crate) fn text(ws: &Workspace) -> String {
    ws.projects
        .iter()
        .map(|p| p.listed_path.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
