//! `dg list ...` handlers.

use super::{Ctx, JsonFlag, RefreshFlag};
use crate::error::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(super) enum ListCommand {
    /// List the projects of the workspace, one path per line (as real dg does)
    #[command(visible_alias = "project")]
    Projects(JsonFlag),
    /// List the definitions (assets, checks, jobs, schedules, sensors, resources) of every
    /// location, or of the current project
    #[command(visible_alias = "def")]
    Defs(super::defs::DefsArgs),
    /// List every asset of the workspace with its location and upstream assets
    #[command(visible_alias = "asset")]
    Assets(super::defs::AssetsArgs),
    /// List the component types each location's own environment offers (every location at
    /// the workspace root, the current project inside one)
    #[command(visible_alias = "component")]
    Components(ComponentsArgs),
    /// List the registry modules each location's environment and project provide
    #[command(visible_alias = "registry-module")]
    RegistryModules(RegistryModulesArgs),
}

#[derive(Debug, Args)]
pub(super) struct ComponentsArgs {
    /// Only types whose package is this one or below it (a dotted module name)
    #[arg(short = 'p', long, value_name = "PACKAGE")]
    package: Option<String>,
    #[command(flatten)]
    json: JsonFlag,
    #[command(flatten)]
    refresh: RefreshFlag,
}

#[derive(Debug, Args)]
pub(super) struct RegistryModulesArgs {
    #[command(flatten)]
    json: JsonFlag,
    #[command(flatten)]
    refresh: RefreshFlag,
}

pub(super) fn run(ctx: &Ctx, cmd: &ListCommand) -> Result<()> {
    match cmd {
        ListCommand::Projects(flags) => projects(ctx, *flags),
        ListCommand::Defs(args) => super::defs::run_defs(ctx, args),
        ListCommand::Assets(args) => super::defs::run_assets(ctx, args),
        ListCommand::Components(args) => components(ctx, args),
        ListCommand::RegistryModules(args) => registry_modules(ctx, args),
    }
}

/// Real dg prints every project of the workspace, one relative path per line, even when run
/// from inside one project; a standalone project prints `.`.
fn projects(ctx: &Ctx, flags: JsonFlag) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    if flags.json {
        ctx.printer.json(&crate::render::projects::json(&ws));
    } else if !ws.projects.is_empty() {
        ctx.printer.out(&crate::render::projects::text(&ws));
    }
    Ok(())
}

/// Every location's registry (the scope's), and whether it is a workspace-wide view.
pub(super) fn registries(
    ctx: &Ctx,
    refresh: RefreshFlag,
) -> Result<(Vec<crate::components::LocationRegistry>, bool)> {
    let (ws, regs) = registries_of_scope(ctx, refresh)?;
    let wide = crate::workspace::in_scope(&ws).len() > 1 || ws.current.is_none();
    Ok((regs, wide))
}

/// The workspace and the registry of each project in scope (in `workspace::in_scope` order).
pub(super) fn registries_of_scope(
    ctx: &Ctx,
    refresh: RefreshFlag,
) -> Result<(
    crate::config::Workspace,
    Vec<crate::components::LocationRegistry>,
)> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let mut notes = Vec::new();
    let cache_root = crate::workspace::cache_root(&ctx.settings, &ws, &mut notes);
    for note in &notes {
        ctx.printer.status(note);
    }
    let projects = crate::workspace::in_scope(&ws);
    let opts = crate::manifest::extract::LoadOptions::from_settings(&ctx.settings, refresh.refresh);
    let regs = crate::components::load(&projects, &cache_root, &opts);
    if ctx.settings.verbose {
        for r in &regs {
            let how = match (&r.outcome, r.from_cache) {
                (Ok(_), true) => "component registry from cache".to_string(),
                (Ok(g), false) => {
                    format!("component registry read (dagster {})", g.dagster_version)
                }
                (Err(f), _) => format!("no component registry ({})", f.kind.as_str()),
            };
            ctx.printer.status(&format!("{}: {how}", r.location));
        }
    }
    Ok((ws, regs))
}

/// The locations that could not answer, as the command's error (the others were listed).
pub(super) fn registry_failures(
    ctx: &Ctx,
    regs: &[crate::components::LocationRegistry],
) -> Result<()> {
    let failures: Vec<_> = regs
        .iter()
        .filter_map(|r| r.outcome.as_ref().err().cloned())
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    Err(crate::render::errors::location_failures(
        &failures,
        ctx.settings.verbose,
    ))
}

fn components(ctx: &Ctx, args: &ComponentsArgs) -> Result<()> {
    use crate::render::components as r;
    let (regs, workspace) = registries(ctx, args.refresh)?;
    let package = args.package.as_deref();
    if args.json.json {
        ctx.printer.json(&r::components_json(&regs, package));
    } else {
        let text = r::components_text(&regs, package, workspace);
        if !text.is_empty() {
            ctx.printer.out(&text);
        }
    }
    registry_failures(ctx, &regs)
}

fn registry_modules(ctx: &Ctx, args: &RegistryModulesArgs) -> Result<()> {
    use crate::render::components as r;
    let (regs, workspace) = registries(ctx, args.refresh)?;
    if args.json.json {
        ctx.printer.json(&r::registry_modules_json(&regs));
    } else {
        let text = r::registry_modules_text(&regs, workspace);
        if !text.is_empty() {
            ctx.printer.out(&text);
        }
    }
    registry_failures(ctx, &regs)
}
