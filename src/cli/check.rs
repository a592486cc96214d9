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
    /// Check every defs.yaml (defs.yml, component.yaml) against its component type's
    /// schema in the location's own environment: unknown types and attributes, wrong
    /// values, bad template variables, each at its file, line and column
    Yaml(super::check_yaml::YamlArgs),
}

#[derive(Debug, Args, Clone)]
struct DefsCheckArgs {
    /// Print a JSON report on stdout (the same as --format json)
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Output format: the human report, JSON, or GitHub Actions annotations (on each
    /// problem's file and line) followed by the human report
    #[arg(long, value_enum)]
    format: Option<CheckFormat>,
    /// Also write a JUnit XML report to FILE (a test case per location and per problem)
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
    /// A saved state (`dg state export`): read locations whose environment is missing from
    /// it instead of failing them (a location's CI checks its cross-location dependencies
    /// without building the other locations' environments)
    #[arg(long, value_name = "DIR")]
    state: Option<std::path::PathBuf>,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    strict: bool,
    /// Do not check the component files (defs.yaml) first (`dg check yaml`)
    #[arg(long)]
    no_check_yaml: bool,
    #[command(flatten)]
    refresh: RefreshFlag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum CheckFormat {
    Text,
    Json,
    Github,
}

pub(super) fn run(ctx: &Ctx, args: &CheckArgs) -> Result<()> {
    match &args.sub {
        Some(CheckSub::Toml(flags)) => toml(ctx, *flags),
        Some(CheckSub::Yaml(yaml)) => super::check_yaml::run_check(ctx, yaml),
        Some(CheckSub::Defs(defs)) => check_defs(ctx, defs),
        None => check_defs(ctx, &args.defs),
    }
}

fn check_defs(ctx: &Ctx, args: &DefsCheckArgs) -> Result<()> {
    // The graph needs every location, even when run inside one project: a dependency on
    // another location can only be judged with that location loaded.
    let format = match (args.format, args.json) {
        (Some(f), _) => f,
        (None, true) => CheckFormat::Json,
        (None, false) => CheckFormat::Text,
    };
    let failed = |e: Error| {
        if format == CheckFormat::Github {
            ctx.printer.out(&crate::render::ci::github_annotations(
                &crate::render::ci::problem_annotations(&e),
            ));
        }
        e
    };
    if !args.no_check_yaml
        && !super::check_yaml::before_defs(ctx, format, args.junit.as_deref()).map_err(failed)?
    {
        return Err(Error::silent_failure());
    }
    let compare = super::compare::CompareArgs {
        state: args.state.clone(),
        ..Default::default()
    };
    let loaded = match super::compare::load(
        ctx,
        Which::All,
        args.refresh,
        format == CheckFormat::Json,
        &compare,
    ) {
        Ok((loaded, _)) => loaded,
        Err(e) => return Err(failed(e)),
    };
    let access = crate::access::hooks::violations(&loaded)?;
    let checked = crate::check::check(&loaded, args.strict, access);
    let failed: Vec<crate::render::ci::FailedLocation> = checked
        .failures
        .iter()
        .map(|f| crate::render::ci::FailedLocation {
            error: f,
            config_file: loaded
                .project(&f.location)
                .map(|p| p.config_file.clone())
                .unwrap_or_else(|| loaded.ws.config_file.clone()),
        })
        .collect();
    if let Some(path) = &args.junit {
        let xml = crate::render::ci::check_junit(&checked, &failed, args.strict);
        crate::fs::write_atomic(path, xml.as_bytes())?;
    }
    if format == CheckFormat::Github {
        ctx.printer.out(&crate::render::ci::github_annotations(
            &crate::render::ci::check_annotations(&checked, &failed, &loaded.ws.root),
        ));
    }
    if format == CheckFormat::Json {
        ctx.printer.json(&checked);
    } else {
        ctx.printer.out(&report::human(&checked));
        for f in &checked.failures {
            ctx.printer.error(&crate::render::errors::location_failures(
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
