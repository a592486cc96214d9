//! `dg affected`, and the comparison flags (`--base`, `--head`, `--state`) other commands
//! share so `changed_in_branch:` works in their selections and a saved state stands in for
//! missing environments.

use super::Settings;
use super::defs::{Loaded, failures_error, load_with_state};
use crate::affected::{self, Request, state::State};
use crate::config::{self, Workspace};
use crate::error::{Error, Problem, Result};
use crate::graph::changes::BranchChanges;
use crate::graph::{AssetGraph, NodeId, selection};
use crate::render::affected as r;
use clap::{Args, ValueEnum};
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct AffectedArgs {
    /// Compare with this branch or commit (from its merge base with --head), e.g. origin/main
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The head of the comparison [default: HEAD]
    #[arg(long, value_name = "REF", requires = "base")]
    pub head: Option<String>,
    /// Also count uncommitted (staged or not) and untracked files
    #[arg(long, conflicts_with = "head")]
    pub uncommitted: bool,
    /// Exactly these changed files (relative to the current directory) instead of asking git
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["base", "head", "uncommitted"])]
    pub files: Option<Vec<PathBuf>>,
    /// A saved state (`dg state export`): compare definitions with it, and read locations
    /// whose environment is missing from it
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// What to do when the comparison cannot be made (no merge base, a location that does
    /// not load): fail (the default), or treat everything as affected
    #[arg(long, value_enum, default_value_t = Fallback::None, value_name = "WHAT")]
    pub fallback: Fallback,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// A selection for `dg launch --assets`
    Selection,
    /// GitHub Actions step outputs: matrix, has_changes, projects, assets
    GithubMatrix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fallback {
    None,
    All,
}

/// The flags that make `changed_in_branch:` work in a command's selection, and let a saved
/// state stand in for locations whose environment is missing.
#[derive(Debug, Args, Clone, Default)]
pub struct CompareArgs {
    /// For `changed_in_branch:`: compare with this branch or commit (from the merge base)
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The head of the --base comparison [default: HEAD]
    #[arg(long, value_name = "REF", requires = "base")]
    pub head: Option<String>,
    /// A saved state (`dg state export`): read locations whose environment is missing from
    /// it (and compare with it for `changed_in_branch:`)
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
}

impl CompareArgs {
    pub fn read_state(&self) -> Result<Option<State>> {
        Ok(self
            .state
            .as_deref()
            .map(affected::state::read)
            .transpose()?)
    }
}

pub fn run(settings: &Settings, args: &AffectedArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::usage(format!("cannot read the current directory: {e}")))?;
    let req = Request {
        base: args.base.clone(),
        head: args.head.clone(),
        uncommitted: args.uncommitted,
        files: args.files.as_ref().map(|fs| {
            fs.iter()
                .map(|f| affected::workspace_relative(&ws.root, &cwd, f))
                .collect()
        }),
        fallback_all: args.fallback == Fallback::All,
    };
    if !req.compares() && args.state.is_none() {
        return Err(Error::usage("nothing to compare with").with_hint(
            "pass --base REF (e.g. origin/main), --uncommitted, --files F... or --state DIR",
        ));
    }
    let state = args
        .state
        .as_deref()
        .map(affected::state::read)
        .transpose()?;
    // Git first: a shallow clone fails here, before any location is loaded.
    let changes = affected::changes(&ws, &req, state.as_ref())?;
    let projects: Vec<_> = ws.projects.iter().collect();
    let quiet = args.format != Format::Text;
    let (loaded, from_state) = load_with_state(
        settings,
        &ws,
        &projects,
        args.refresh,
        quiet,
        state.as_ref(),
    )?;
    let affected = if loaded.failures.is_empty() {
        affected::compute(&ws, &loaded.graph, &changes, state.as_ref())
    } else if req.fallback_all {
        let names: Vec<&str> = loaded
            .failures
            .iter()
            .map(|f| f.location.as_str())
            .collect();
        let why = format!("{} could not be loaded", names.join(", "));
        crate::affected::analyze::Affected::everything(&ws, &loaded.graph, why)
    } else {
        let mut err = failures_error(&loaded.failures);
        err.problems.push(
            Problem::new("cannot tell what is affected while a location fails to load").hint(
                "pass --state DIR (a `dg state export` of the base) to read locations without \
                 an environment from it, or `--fallback all` to treat everything as affected",
            ),
        );
        return Err(err);
    };
    let provenance = r::Provenance {
        changes: &changes,
        state: args.state.as_deref().map(crate::render::display_path),
        from_state: &from_state,
    };
    match args.format {
        Format::Text => settings.printer.out(&r::text(&provenance, &affected)),
        Format::Json => settings.printer.json(&r::json(&provenance, &affected)),
        Format::Selection => settings
            .printer
            .out(&r::selection(&loaded.graph, &affected)),
        Format::GithubMatrix => settings.printer.out(&r::github_matrix(&affected)),
    }
    Ok(())
}

/// What changed in the branch, for `changed_in_branch:` in `text`; `None` without a
/// comparison (the selection then reports what is missing).
fn branch_changes(
    ws: &Workspace,
    loaded: &Loaded,
    compare: &CompareArgs,
    state: Option<&State>,
) -> Result<Option<BranchChanges>> {
    if compare.base.is_none() && state.is_none() {
        return Ok(None);
    }
    let req = Request {
        base: compare.base.clone(),
        head: compare.head.clone(),
        ..Request::default()
    };
    let changes = affected::changes(ws, &req, state)?;
    Ok(Some(
        affected::compute(ws, &loaded.graph, &changes, state).changes,
    ))
}

/// The selection `text` on the loaded graph, with `changed_in_branch:` answered from the
/// comparison flags.
pub fn select(
    ws: &Workspace,
    loaded: &Loaded,
    text: &str,
    compare: &CompareArgs,
    state: Option<&State>,
) -> Result<BTreeSet<NodeId>> {
    let graph: &AssetGraph = &loaded.graph;
    let invalid = |e: selection::SelectionError| {
        Error::usage(format!(
            "invalid asset selection\n{}",
            e.caret_display(text)
        ))
    };
    let sel = selection::parse_union(text).map_err(invalid)?;
    let changes = if sel.uses_changes() {
        branch_changes(ws, loaded, compare, state)?
    } else {
        None
    };
    Ok(sel
        .evaluate_with_changes(graph, changes.as_ref())
        .map_err(invalid)?
        .into_iter()
        .collect())
}
