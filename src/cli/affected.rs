//! `dg affected`: what a change affects, as text, JSON, a selection or a GitHub matrix.

use super::{Ctx, RefreshFlag};
use crate::affected::{self, Request};
use crate::error::{Error, Problem, Result};
use crate::render::affected as r;
use crate::workspace::{SavedManifests, Which};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(super) struct AffectedArgs {
    /// Compare with this branch or commit (from its merge base with --head), e.g. origin/main
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// The head of the comparison [default: HEAD]
    #[arg(long, value_name = "REF", requires = "base")]
    head: Option<String>,
    /// Also count uncommitted (staged or not) and untracked files
    #[arg(long, conflicts_with = "head")]
    uncommitted: bool,
    /// Exactly these changed files (relative to the current directory) instead of asking git
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["base", "head", "uncommitted"])]
    files: Option<Vec<PathBuf>>,
    /// A saved state (`dg state export`): compare definitions with it, and read locations
    /// whose environment is missing from it
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// What to do when the comparison cannot be made (no merge base, a location that does
    /// not load): fail (the default), or treat everything as affected
    #[arg(long, value_enum, default_value_t = Fallback::None, value_name = "WHAT")]
    fallback: Fallback,
    #[command(flatten)]
    refresh: RefreshFlag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Text,
    Json,
    /// A selection for `dg launch --assets`
    Selection,
    /// GitHub Actions step outputs: matrix, has_changes, projects, assets
    GithubMatrix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Fallback {
    None,
    All,
}

pub(super) fn run(ctx: &Ctx, args: &AffectedArgs) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let req = Request {
        base: args.base.clone(),
        head: args.head.clone(),
        uncommitted: args.uncommitted,
        files: args.files.as_ref().map(|fs| {
            fs.iter()
                .map(|f| affected::workspace_relative(&ws.root, &ctx.settings.cwd, f))
                .collect()
        }),
        fallback_all: args.fallback == Fallback::All,
        git: super::compare::git(ctx),
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
    let request = crate::workspace::LoadRequest {
        refresh: args.refresh.refresh,
        which: Which::All,
        saved: state.as_ref().map(|s| s as &dyn SavedManifests),
    };
    let progress =
        crate::render::progress::LoadProgress::new(&ctx.printer, args.format == Format::Text);
    let loaded = crate::workspace::load_in(&ctx.settings, ws, request, &progress)?;
    drop(progress);
    crate::render::progress::report_load(&ctx.printer, &loaded);
    let from_state: Vec<String> = loaded
        .loads
        .iter()
        .filter(|l| l.from_saved)
        .map(|l| l.location.clone())
        .collect();
    let failed: Vec<&str> = loaded
        .failures
        .iter()
        .map(|f| f.location.as_str())
        .collect();
    let answer = affected::answer(
        &loaded.ws,
        &loaded.graph,
        &failed,
        &changes,
        state.as_ref(),
        req.fallback_all,
    );
    let Some(result) = answer else {
        let mut err =
            crate::render::errors::location_failures(&loaded.failures, ctx.settings.verbose);
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
        state: args.state.as_deref().map(|p| ctx.settings.display(p)),
        from_state: &from_state,
    };
    match args.format {
        Format::Text => ctx.printer.out(&r::text(&provenance, &result)),
        Format::Json => ctx.printer.json(&r::json(&provenance, &result)),
        Format::Selection => ctx.printer.out(&r::selection(&loaded.graph, &result)),
        Format::GithubMatrix => ctx.printer.out(&r::github_matrix(&result)),
    }
    Ok(())
}
