//! `dg scaffold github-actions`: a GitHub Actions workflow for the workspace that builds what
//! a pull request changed (`dg affected` as a matrix, guarded so an empty matrix never fails
//! the run), checks each affected location against main's saved state, launches the
//! affected assets, and saves the state on every push to the main branch.
//!
//! The template (`templates/github-actions/dagster.yml.jinja`) uses `[[ … ]]` and `[% … %]`
//! as its delimiters, because GitHub's own `${{ … }}` expressions fill the file.

use super::error::{Result, ScaffoldError};
use crate::config::Workspace;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, context};
use pep440_rs::{Version, VersionSpecifiers};
use std::path::{Path, PathBuf};
use std::str::FromStr;

const TEMPLATE: &str = include_str!("../../templates/github-actions/dagster.yml.jinja");

/// Pythons GitHub's setup-python offers that a project may ask for, newest first.
const PYTHONS: [&str; 4] = ["3.13", "3.12", "3.11", "3.10"];

pub struct WorkflowRequest {
    /// The branch pull requests target and whose pushes save the state.
    pub branch: String,
    /// The shell command that installs dg-rs on the runner.
    pub install: String,
    /// Where to write it [default: `<repository>/.github/workflows/dagster.yml`].
    pub output: Option<PathBuf>,
}

/// The folder holding `.git` (a directory, or a file in a worktree) at or above `dir`.
fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The Python each project builds with: the minor it asks for (`[tool.dg-rs] python`,
/// `.python-version`), else the newest that satisfies requires-python.
fn pythons(ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = ws
        .projects
        .iter()
        .filter_map(|p| {
            if let Some(minor) = p
                .requested_minor()
                .filter(|m| PYTHONS.contains(&m.as_str()))
            {
                return Some(minor);
            }
            let spec = VersionSpecifiers::from_str(p.requires_python.as_deref()?).ok()?;
            PYTHONS
                .iter()
                .find(|v| Version::from_str(&format!("{v}.0")).is_ok_and(|v| spec.contains(&v)))
                .map(|v| v.to_string())
        })
        .collect();
    if out.is_empty() {
        out.push(PYTHONS[1].to_string());
    }
    out.sort();
    out.dedup();
    out
}

/// Renders the workflow for `ws` (the file's path and its text).
pub fn render(ws: &Workspace, req: &WorkflowRequest) -> Result<(PathBuf, String)> {
    let repo = repository_root(&ws.root).unwrap_or_else(|| ws.root.clone());
    let working_directory = ws
        .root
        .strip_prefix(&repo)
        .ok()
        .map(crate::path::slash)
        .filter(|w| w != ".")
        .unwrap_or_default();
    let state_path = if working_directory.is_empty() {
        ".dg-state".to_string()
    } else {
        format!("{working_directory}/.dg-state")
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .block_delimiters("[%", "%]")
            .variable_delimiters("[[", "]]")
            .comment_delimiters("[#", "#]")
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| ScaffoldError::Template(format!("template syntax: {e}")))?,
    );
    // YAML is not HTML: nothing to escape.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_template("dagster.yml", TEMPLATE)
        .map_err(|e| ScaffoldError::Template(format!("the workflow template is broken: {e}")))?;
    let mut text = env
        .get_template("dagster.yml")
        .and_then(|t| {
            t.render(context! {
                branch => &req.branch,
                install => &req.install,
                working_directory => (!working_directory.is_empty()).then_some(&working_directory),
                state_path => state_path,
                pythons => pythons(ws),
            })
        })
        .map_err(|e| ScaffoldError::Template(format!("the workflow template is broken: {e}")))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let path = req
        .output
        .clone()
        .unwrap_or_else(|| repo.join(".github").join("workflows").join("dagster.yml"));
    Ok((path, text))
}

/// Writes the workflow; never over an existing file.
pub fn write(ws: &Workspace, req: &WorkflowRequest) -> Result<PathBuf> {
    let (path, text) = render(ws, req)?;
    if path.exists() {
        return Err(ScaffoldError::WorkflowExists { path });
    }
    crate::fs::write_new(&path, text.as_bytes())?;
    Ok(path)
}
