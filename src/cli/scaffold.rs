//! `dg scaffold defs TYPE PATH`: a stub definition file in the current project's defs folder
//! (`inline-component` as TYPE: a component type with its one instance);
//! `dg scaffold component NAME`: a team's own component type;
//! `dg scaffold github-actions`: the CI workflow (`github_actions.rs`).

use super::Ctx;
use crate::error::{Error, Result};
use crate::scaffold::defs::{DefsKind, scaffold_defs};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(super) enum ScaffoldCommand {
    /// Write a stub definition under the project's defs folder, like real
    /// `dg scaffold defs dagster.asset PATH` (never overwrites)
    Defs(DefsArgs),
    /// Write a component type of the project's own under `<root_module>.components`, and list
    /// its module in `registry_modules`, like real `dg scaffold component` (never overwrites)
    Component(ComponentArgs),
    /// Write a GitHub Actions workflow: what a pull request affects as a matrix, a check of
    /// each affected location against main's saved state, a launch of the affected assets,
    /// and the state saved on every push to the main branch (never overwrites)
    GithubActions(super::github_actions::GithubActionsArgs),
}

#[derive(Debug, Args)]
pub(super) struct ComponentArgs {
    /// The class name (MyComponent, written to <root_module>/components/my_component.py), or
    /// its module and name (<root_module>.lib.MyComponent)
    name: String,
    /// The class inherits from dagster's Model: its fields are its parameters (the default)
    #[arg(long, overrides_with = "no_model", default_value_t = true)]
    model: bool,
    /// The class takes its parameters in an `__init__` instead
    #[arg(long = "no-model", overrides_with = "model")]
    no_model: bool,
}

#[derive(Debug, Args)]
pub(super) struct DefsArgs {
    /// asset, asset_check, schedule, sensor or job (real dg's dagster.asset etc. also work),
    /// or any type the project's environment can scaffold (`dg list components`), such as
    /// dagster.PythonScriptComponent; or inline-component (with --typename)
    #[arg(value_name = "TYPE")]
    kind: String,
    /// Where, relative to the defs folder: a .py file for the five stubs (ingest/raw_orders.py),
    /// a new folder for a component (ingest/orders)
    path: String,
    /// For a component: a defs.yaml (yaml) or a component.py (python)
    #[arg(long, value_parser = ["yaml", "python"], default_value = "yaml")]
    format: String,
    /// The asset an asset check checks (parts separated by /); for multi_asset, each asset
    /// (repeat it)
    #[arg(long, value_name = "KEY", action = clap::ArgAction::Append)]
    asset_key: Vec<String>,
    /// Parameters as JSON, as real dg takes them (the five stubs use only `asset_key`)
    #[arg(long, value_name = "JSON", conflicts_with = "asset_key")]
    json_params: Option<String>,
    /// The type's scaffold parameters, one option each as real dg takes them
    /// (`--project-path dbt`; `dg utils inspect-component TYPE --scaffold-params-schema`
    /// lists them)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "--PARAM VALUE"
    )]
    params: Vec<String>,
    /// For inline-component: the class name of the new component type
    #[arg(long, value_name = "NAME")]
    typename: Option<String>,
    /// For inline-component: the class it inherits from [default: dg.Component, dg.Model,
    /// dg.Resolvable]
    #[arg(long, value_name = "MODULE.CLASS", requires = "typename")]
    superclass: Option<String>,
}

pub(super) fn run(ctx: &Ctx, cmd: &ScaffoldCommand) -> Result<()> {
    let args = match cmd {
        ScaffoldCommand::Defs(args) => args,
        ScaffoldCommand::Component(args) => return component_type(ctx, args),
        ScaffoldCommand::GithubActions(args) => return super::github_actions::run(ctx, args),
    };
    if !args.params.is_empty() && args.kind.parse::<DefsKind>().is_ok() {
        return Err(Error::usage(format!(
            "`{}` takes no parameter options: {}",
            args.kind,
            args.params.join(" ")
        ))
        .with_hint("the five stubs take --asset-key (asset_check) only"));
    }
    if args.kind == "inline-component" {
        return inline_component(ctx, args);
    }
    if args.typename.is_some() {
        return Err(
            Error::usage("--typename is for `dg scaffold defs inline-component`")
                .with_hint("dg scaffold defs inline-component PATH --typename NAME"),
        );
    }
    let Ok(kind) = args.kind.parse::<DefsKind>() else {
        return component(ctx, args);
    };
    let asset_key = match &args.json_params {
        None => args.asset_key.last().cloned(),
        Some(json) => {
            let v: serde_json::Value = serde_json::from_str(json).map_err(|e| {
                Error::usage(format!("--json-params is not JSON: {e}"))
                    .with_hint("write it like '{\"asset_key\": \"my_asset\"}'")
            })?;
            v.get("asset_key")
                .and_then(|k| k.as_str())
                .map(str::to_string)
        }
    };
    let ws = crate::workspace::discover(&ctx.settings)?;
    let project = current_project(&ws, "dg scaffold defs")?;
    let written = scaffold_defs(project, kind, &args.path, asset_key.as_deref())?;
    ctx.printer.status(&format!(
        "Creating defs at {}.",
        ctx.settings.display(&written)
    ));
    Ok(())
}

fn current_project<'w>(
    ws: &'w crate::config::Workspace,
    command: &str,
) -> Result<&'w crate::config::Project> {
    let Some(i) = ws.current else {
        let names: Vec<&str> = ws.projects.iter().map(|p| p.listed_path.as_str()).collect();
        return Err(Error::usage(format!(
            "{command} must run inside a project: this is the workspace root"
        ))
        .with_hint(format!(
            "cd into a project or pass --target-path (projects: {})",
            names.join(", ")
        )));
    };
    Ok(&ws.projects[i])
}

/// Any other type: the type's own scaffolder, in the project's environment.
fn component(ctx: &Ctx, args: &DefsArgs) -> Result<()> {
    use crate::scaffold::ScaffoldError;
    use crate::scaffold::component::{ComponentRequest, scaffold_component};
    let ws = crate::workspace::discover(&ctx.settings)?;
    let project = current_project(&ws, "dg scaffold defs")?;
    // Said before anything is created (a cache folder included).
    if let Some(f) = crate::manifest::extract::missing_interpreter(project) {
        return Err(ScaffoldError::Registry(f).into());
    }
    let mut notes = Vec::new();
    let cache_root = crate::workspace::cache_root(&ctx.settings, &ws, &mut notes);
    let opts = crate::manifest::extract::LoadOptions::from_settings(&ctx.settings, false);
    let reg = crate::components::load(&[project], &cache_root, &opts).remove(0);
    let registry = reg
        .outcome
        .map_err(|f| ScaffoldError::Registry(Box::new(f)))?;
    let script_dir = crate::python::scripts::materialize(&cache_root)?;
    let (format, json, mut options) = crate::scaffold::params::own_flags(&args.params);
    // A parameter of the type's own, which the asset check stub's flag took.
    for key in args.asset_key.iter().rev() {
        options.splice(0..0, ["--asset-key".to_string(), key.clone()]);
    }
    let format = format.unwrap_or_else(|| args.format.clone());
    if !matches!(format.as_str(), "yaml" | "python") {
        return Err(Error::usage(format!(
            "--format {format}: not yaml or python"
        )));
    }
    let req = ComponentRequest {
        typename: &args.kind,
        path: &args.path,
        format: &format,
        json_params: json.as_deref().or(args.json_params.as_deref()),
        options: &options,
        cwd: &ctx.settings.cwd,
    };
    let written = scaffold_component(project, &registry, &req, &script_dir, &opts)?;
    ctx.printer.status(&format!(
        "Creating defs at {}.",
        ctx.settings.display(&written)
    ));
    Ok(())
}

/// `dg scaffold component NAME`.
fn component_type(ctx: &Ctx, args: &ComponentArgs) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let project = current_project(&ws, "dg scaffold component")?;
    let model = args.model && !args.no_model;
    let w = crate::scaffold::component_type::scaffold_component_type(project, &args.name, model)?;
    for p in &w.created_packages {
        ctx.printer
            .status(&format!("Creating module at: {}", ctx.settings.display(p)));
    }
    if let Some(file) = &w.registered_in {
        ctx.printer.status(&format!(
            "Registered `{}` in {}.",
            w.module,
            ctx.settings.display(file)
        ));
    }
    ctx.printer.status(&format!(
        "Scaffolded Dagster component at {} (type `{}.{}`).",
        ctx.settings.display(&w.file),
        w.module,
        w.class
    ));
    Ok(())
}

/// `dg scaffold defs inline-component PATH --typename NAME`.
fn inline_component(ctx: &Ctx, args: &DefsArgs) -> Result<()> {
    let Some(typename) = &args.typename else {
        return Err(Error::usage("inline-component needs --typename NAME")
            .with_hint("dg scaffold defs inline-component PATH --typename MyComponent"));
    };
    let ws = crate::workspace::discover(&ctx.settings)?;
    let project = current_project(&ws, "dg scaffold defs")?;
    let written = crate::scaffold::inline::scaffold_inline_component(
        project,
        &args.path,
        typename,
        args.superclass.as_deref(),
    )?;
    ctx.printer.status(&format!(
        "Creating a Dagster inline component and corresponding component instance at {}.",
        ctx.settings.display(&written)
    ));
    Ok(())
}
