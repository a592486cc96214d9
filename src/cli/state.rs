//! `dg state export`: every location's manifest and the graph, saved for later comparisons
//! (what a main-branch CI job keeps as an artifact).

use super::{Ctx, RefreshFlag};
use crate::affected::state;
use crate::error::{Problem, Result};
use crate::render::graph::{GraphFormat, write_graph};
use crate::workspace::Which;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(super) enum StateCommand {
    /// Write every location's manifest and the asset graph to a folder (for `--state DIR`)
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub(super) struct ExportArgs {
    /// The folder to write (new, empty, or an earlier export)
    #[arg(short = 'o', long, value_name = "DIR")]
    output: PathBuf,
    #[command(flatten)]
    refresh: RefreshFlag,
}

pub(super) fn run(ctx: &Ctx, cmd: &StateCommand) -> Result<()> {
    let StateCommand::Export(args) = cmd;
    let loaded = super::load(ctx, Which::All, args.refresh, false)?;
    if !loaded.failures.is_empty() {
        // A state without a location would make all of its assets look new later.
        let mut err =
            crate::render::errors::location_failures(&loaded.failures, ctx.settings.verbose);
        err.problems.push(
            Problem::new("no state written: every location must load")
                .hint("build the environments first (`dg sync`)"),
        );
        return Err(err);
    }
    let manifests: Vec<_> = loaded
        .graph
        .locations()
        .iter()
        .map(|l| (l.name.clone(), l.manifest.clone()))
        .collect();
    let graph = &loaded.graph;
    let summary = state::export(
        &loaded.ws,
        &manifests,
        |w| write_graph(graph, None, GraphFormat::Json, w),
        &args.output,
        env!("CARGO_PKG_VERSION"),
    )?;
    ctx.printer.status(&crate::render::affected::exported(
        &summary,
        &ctx.settings.display(&summary.dir),
    ));
    Ok(())
}
