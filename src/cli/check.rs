//! `dg check` (alias `dg check defs`) and `dg check toml`.

use super::{Ctx, JsonFlag, RefreshFlag};
use crate::error::{Error, Result};
use crate::render::check as report;
use crate::workspace::Which;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct CheckArgs {
    #[command(subcommand)]
    sub: Option<CheckSub>,
    #[command(flatten)]
    defs: DefsCheckArgs,
}

#[derive(Debug, Subcommand)]
enum CheckSub {
    /// The same as `dg check`: configuration, definitions and the asset graph (real dg's name)
    Defs(DefsCheckArgs),
    /// Validate every config file of the workspace and report all problems
    Toml(JsonFlag),
}

#[derive(Debug, Args, Clone)]
struct DefsCheckArgs {
    /// Print a JSON report on stdout
    #[arg(long)]
    json: bool,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    refresh: RefreshFlag,
}

pub(super) fn run(ctx: &Ctx, args: &CheckArgs) -> Result<()> {
    match &args.sub {
        Some(CheckSub::Toml(flags)) => toml(ctx, *flags),
        Some(CheckSub::Defs(defs)) => check_defs(ctx, defs),
        None => check_defs(ctx, &args.defs),
    }
}

fn check_defs(ctx: &Ctx, args: &DefsCheckArgs) -> Result<()> {
    // The graph needs every location, even when run inside one project: a dependency on
    // another location can only be judged with that location loaded.
    let loaded = super::load(ctx, Which::All, args.refresh, args.json)?;
    let access = crate::access::hooks::violations(&loaded)?;
    let checked = crate::check::check(&loaded, args.strict, access);
    if args.json {
        ctx.printer.json(&checked);
    } else {
        ctx.printer.out(&report::human(&checked));
        for f in &checked.failures {
            ctx.printer.error(&crate::error::location_failures(
                std::slice::from_ref(f),
                ctx.settings.verbose,
            ));
        }
    }
    if checked.ok {
        Ok(())
    } else {
        Err(Error::silent_failure())
    }
}

/// Validates the workspace file and every project's file. Problems are a failed check
/// (exit 1, as real dg's `check toml`); every problem is reported, not only the first.
fn toml(ctx: &Ctx, flags: JsonFlag) -> Result<()> {
    let outcome = crate::workspace::config_files(&ctx.settings);
    if flags.json {
        ctx.printer.json(&report::toml_json(&outcome));
        return match outcome {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::silent_failure()),
        };
    }
    match outcome {
        Ok(files) => {
            ctx.printer.out(&report::toml_text(&files));
            Ok(())
        }
        Err(e) => Err(e.with_kind(crate::error::ErrorKind::Failed)),
    }
}
