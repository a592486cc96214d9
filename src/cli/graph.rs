//! `dg graph`: export the workspace asset graph (or a selection of it) as Mermaid, DOT or
//! JSON, locations as subgraphs and cross-location edges visible.

use super::{Ctx, RefreshFlag, SelectArg};
use crate::error::{Error, Result};
use crate::render::graph::{GraphFormat, write_graph};
use crate::workspace::Which;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(super) struct GraphArgs {
    #[command(flatten)]
    select: SelectArg,
    /// Output format [default: from --output's extension, else mermaid]
    #[arg(short = 'f', long, value_enum)]
    format: Option<FormatArg>,
    /// Write to this file instead of stdout (.mmd/.mermaid/.md, .dot/.gv, .json)
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    refresh: RefreshFlag,
    #[command(flatten)]
    compare: super::compare::CompareArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Mermaid,
    Dot,
    Json,
}

impl From<FormatArg> for GraphFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Mermaid => GraphFormat::Mermaid,
            FormatArg::Dot => GraphFormat::Dot,
            FormatArg::Json => GraphFormat::Json,
        }
    }
}

pub(super) fn run(ctx: &Ctx, args: &GraphArgs) -> Result<()> {
    let format = match (args.format, &args.output) {
        (Some(f), _) => f.into(),
        (None, Some(path)) => GraphFormat::from_extension(path).ok_or_else(|| {
            Error::usage(format!(
                "cannot tell the format of {} from its extension",
                path.display()
            ))
            .with_hint("use .mmd, .dot or .json, or pass --format mermaid|dot|json")
        })?,
        (None, None) => GraphFormat::Mermaid,
    };
    let (loaded, state) = super::compare::load(
        ctx,
        Which::All,
        args.refresh,
        args.output.is_none(),
        &args.compare,
    )?;
    let only: Option<Vec<_>> = args
        .select
        .select
        .as_deref()
        .map(|s| {
            super::compare::select(ctx, &loaded, s, &args.compare, state.as_ref())
                .map(|set| set.into_iter().collect())
        })
        .transpose()?;
    let graph = &loaded.graph;
    match &args.output {
        Some(path) => {
            crate::fs::write_atomic_with(path, |w| write_graph(graph, only.as_deref(), format, w))?;
            ctx.printer
                .status(&format!("wrote {}", ctx.settings.display(path)));
        }
        None => ctx
            .printer
            .out_with(|w| write_graph(graph, only.as_deref(), format, w)),
    }
    super::failures(ctx, &loaded)
}
