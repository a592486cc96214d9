//! `dg state export`: every location's manifest and the graph, saved for later comparisons
//! (what a main-branch CI job keeps as an artifact).

use super::Settings;
use super::defs::{failures_error, load};
use crate::affected::state;
use crate::config;
use crate::error::{Problem, Result};
use crate::render::graph::{GraphFormat, write_graph};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Write every location's manifest and the asset graph to a folder (for `--state DIR`)
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write (new, empty, or an earlier export)
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output: PathBuf,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
}

pub fn run(settings: &Settings, cmd: &StateCommand) -> Result<()> {
    let StateCommand::Export(args) = cmd;
    let ws = config::discover(&settings.target)?;
    let projects: Vec<_> = ws.projects.iter().collect();
    let loaded = load(settings, &ws, &projects, args.refresh, false)?;
    if !loaded.failures.is_empty() {
        // A state without a location would make all of its assets look new later.
        let mut err = failures_error(&loaded.failures);
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
        &ws,
        &manifests,
        |w| write_graph(graph, None, GraphFormat::Json, w),
        &args.output,
        env!("CARGO_PKG_VERSION"),
    )?;
    settings.printer.status(&format!(
        "wrote the state of {} locations ({} assets, {} files hashed) to {}",
        summary.locations,
        summary.assets,
        summary.files,
        crate::render::display_path(&summary.dir)
    ));
    Ok(())
}
