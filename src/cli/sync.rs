//! `dg sync`: build or update each project's environment.

use super::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::python::env::SyncOptions;
use crate::python::host::sync_with_host;
use crate::render::progress::BuildProgress;
use clap::Args;

#[derive(Debug, Args)]
pub(super) struct SyncArgs {
    /// Projects to sync, by folder name, location name or listed path [default: the current
    /// project, or all projects at the workspace root]
    projects: Vec<String>,
    /// Python version (3.12) or interpreter path to build with, overriding the project's
    /// [tool.dg-rs] python and requires-python choice
    #[arg(long, value_name = "VERSION")]
    python: Option<String>,
    /// Rebuild even when nothing changed
    #[arg(long)]
    force: bool,
    /// Do not install the project's `dev` dependency group
    #[arg(long)]
    no_dev: bool,
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(ctx: &Ctx, args: &SyncArgs) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let projects = ws.select(&args.projects)?;
    let opts = SyncOptions {
        python: args.python.clone(),
        force: args.force,
        no_dev: args.no_dev,
    };
    let progress = BuildProgress::new(&ctx.printer, !args.json);
    // At the workspace root, the host environment (deployments/local) too.
    let whole_workspace = args.projects.is_empty() && ws.current.is_none();
    let results: Vec<Result<_>> = sync_with_host(
        &ctx.settings,
        &ws,
        &projects,
        &opts,
        &progress,
        whole_workspace,
    )
    .into_iter()
    .map(|r| r.map_err(Error::from))
    .collect();
    drop(progress);
    let interrupted = results
        .iter()
        .any(|r| r.as_ref().is_err_and(|e| e.kind == ErrorKind::Interrupted));
    // Only usage errors (a setting that cannot work, nothing tried): exit 2, not 1.
    let usage_only = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| e.kind == ErrorKind::Usage);
    let mut reports = Vec::new();
    let mut problems = Vec::new();
    for r in results {
        match r {
            Ok(rep) => reports.push(rep),
            Err(e) => problems.extend(e.problems),
        }
    }
    if args.json {
        ctx.printer
            .json(&crate::render::sync::json(&reports, &problems));
    } else {
        for r in &reports {
            ctx.printer
                .status(&crate::render::sync::line(r, &ctx.settings.cwd));
        }
    }
    if interrupted {
        return Err(Error::interrupted());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error {
            kind: if usage_only {
                ErrorKind::Usage
            } else {
                ErrorKind::Failed
            },
            problems: if args.json { Vec::new() } else { problems },
        })
    }
}
