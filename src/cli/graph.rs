//! `dg graph`: export the workspace asset graph (or a selection of it) as Mermaid, DOT or
//! JSON, locations as subgraphs and cross-location edges visible.

use super::Settings;
use super::defs::{failures_error, load_with_state};
use crate::config;
use crate::error::{Error, Result};
use crate::render::graph::{GraphFormat, write_graph};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Only these assets (edges between them are kept), e.g. `+key:data_science_asset`
    #[arg(short = 's', long = "select", value_name = "SELECTION")]
    pub select: Option<String>,
    /// Output format [default: from --output's extension, else mermaid]
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<GraphFormat>,
    /// Write to this file instead of stdout (.mmd/.mermaid/.md, .dot/.gv, .json)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
    #[command(flatten)]
    pub compare: super::affected::CompareArgs,
}

fn format_from_extension(path: &Path) -> Result<GraphFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mmd" | "mermaid" | "md") => Ok(GraphFormat::Mermaid),
        Some("dot" | "gv") => Ok(GraphFormat::Dot),
        Some("json") => Ok(GraphFormat::Json),
        _ => Err(Error::usage(format!(
            "cannot tell the format of {} from its extension",
            path.display()
        ))
        .with_hint("use .mmd, .dot or .json, or pass --format mermaid|dot|json")),
    }
}

pub fn run(settings: &Settings, args: &GraphArgs) -> Result<()> {
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, Some(path)) => format_from_extension(path)?,
        (None, None) => GraphFormat::Mermaid,
    };
    let ws = config::discover(&settings.target)?;
    let projects: Vec<_> = ws.projects.iter().collect();
    let state = args.compare.read_state()?;
    let (loaded, _) = load_with_state(
        settings,
        &ws,
        &projects,
        args.refresh,
        args.output.is_none(),
        state.as_ref(),
    )?;
    let only: Option<Vec<_>> = args
        .select
        .as_deref()
        .map(|s| {
            super::affected::select(&ws, &loaded, s, &args.compare, state.as_ref())
                .map(|set| set.into_iter().collect())
        })
        .transpose()?;
    let graph = &loaded.graph;
    match &args.output {
        Some(path) => {
            crate::manifest::cache::write_atomic_with(path, |w| {
                write_graph(graph, only.as_deref(), format, w)
            })?;
            settings
                .printer
                .status(&format!("wrote {}", crate::render::display_path(path)));
        }
        None => settings
            .printer
            .out_with(|w| write_graph(graph, only.as_deref(), format, w)),
    }
    if loaded.failures.is_empty() {
        Ok(())
    } else {
        Err(failures_error(&loaded.failures))
    }
}
