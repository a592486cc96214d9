//! `dg list defs` and `dg list assets`.

use super::{Ctx, RefreshFlag, SelectArg};
use crate::error::{Error, Result};
use crate::render::defs::{self as r, Column};
use crate::workspace::Which;
use clap::Args;

#[derive(Debug, Args)]
pub(super) struct DefsArgs {
    /// Print real dg's JSON schema (six arrays, nulls omitted) plus a `location` field
    #[arg(long)]
    json: bool,
    /// Only assets matching this selection (and their checks), e.g. `+key:data_science_asset`
    #[arg(short = 'a', long = "assets", value_name = "SELECTION")]
    assets: Option<String>,
    /// Columns of the asset table: key, group, deps, kinds, description, tags, is_executable
    #[arg(
        short = 'c',
        long = "columns",
        value_delimiter = ',',
        value_name = "COLUMNS",
        conflicts_with = "json"
    )]
    columns: Vec<String>,
    #[command(flatten)]
    refresh: RefreshFlag,
    #[command(flatten)]
    compare: super::compare::CompareArgs,
}

#[derive(Debug, Args)]
pub(super) struct AssetsArgs {
    /// Print JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    select: SelectArg,
    #[command(flatten)]
    refresh: RefreshFlag,
    #[command(flatten)]
    compare: super::compare::CompareArgs,
}

pub(super) fn run_defs(ctx: &Ctx, args: &DefsArgs) -> Result<()> {
    let columns: Vec<Column> = if args.columns.is_empty() {
        Column::DEFAULT.to_vec()
    } else {
        args.columns
            .iter()
            .map(|c| {
                Column::parse(c).ok_or_else(|| {
                    Error::usage(format!("unknown column `{c}`")).with_hint(format!(
                        "columns: {}",
                        Column::ALL
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<_>>()?
    };
    let (loaded, state) =
        super::compare::load(ctx, Which::InScope, args.refresh, args.json, &args.compare)?;
    let selected = args
        .assets
        .as_deref()
        .map(|s| super::compare::select(ctx, &loaded, s, &args.compare, state.as_ref()))
        .transpose()?;
    let out = r::defs_json(&loaded, selected.as_ref());
    if args.json {
        ctx.printer.json(&out);
    } else {
        let text = r::tables(&out, &columns);
        if !text.is_empty() {
            ctx.printer.out(&text);
        } else if loaded.failures.is_empty() {
            ctx.printer
                .out("No definitions are defined for this workspace.");
        }
    }
    super::failures(ctx, &loaded)
}

pub(super) fn run_assets(ctx: &Ctx, args: &AssetsArgs) -> Result<()> {
    // Assets are a workspace-wide view: every location, wherever it is run from.
    let (loaded, state) =
        super::compare::load(ctx, Which::All, args.refresh, args.json, &args.compare)?;
    let selected = args
        .select
        .select
        .as_deref()
        .map(|s| super::compare::select(ctx, &loaded, s, &args.compare, state.as_ref()))
        .transpose()?;
    let (visibility, selective) = crate::access::hooks::visibility_labels(&loaded)?;
    let rows = crate::render::assets::rows(&loaded.graph, selected.as_ref(), &visibility);
    if args.json {
        ctx.printer.json(&rows);
    } else if !rows.is_empty() {
        ctx.printer
            .out_with(|w| crate::render::assets::write_table(w, &rows, selective));
    } else if loaded.failures.is_empty() {
        ctx.printer.status("No assets matched.");
    }
    super::failures(ctx, &loaded)
}
