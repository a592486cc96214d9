//! `dg sync`: build or update each project's environment.

use super::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::python::env::{SyncOptions, sync_all};
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
    let results = sync_all(&ctx.settings, &projects, &opts, &progress);
    drop(progress);
    let interrupted = results
        .iter()
        .any(|r| r.as_ref().is_err_and(|e| e.kind == ErrorKind::Interrupted));
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
            kind: ErrorKind::Failed,
            problems: if args.json { Vec::new() } else { problems },
        })
    }
}
