//! `dg utils ...`: `inspect-component`, answered from each location's cached component
//! registry (no Python once it is cached).

use super::{Ctx, RefreshFlag};
use crate::error::{Error, Result};
use crate::render::components::{Inspect, inspect};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(super) enum UtilsCommand {
    /// Describe a component type: its description, scaffold parameters and defs.yaml schema,
    /// as the location's own environment defines it
    InspectComponent(InspectArgs),
}

#[derive(Debug, Args)]
#[group(id = "what", multiple = false)]
pub(super) struct InspectArgs {
    /// The type, as in a defs.yaml `type:` (e.g. dagster.PythonScriptComponent)
    component_type: String,
    /// Only the description
    #[arg(long, group = "what")]
    description: bool,
    /// Only the JSON schema of the scaffolder's parameters
    #[arg(long, group = "what")]
    scaffold_params_schema: bool,
    /// Only the JSON schema of a defs.yaml of this type
    #[arg(long, group = "what")]
    defs_yaml_json_schema: bool,
    /// The location whose environment answers (needed at the workspace root when locations
    /// define the type differently)
    #[arg(long, value_name = "NAME")]
    location: Option<String>,
    #[command(flatten)]
    refresh: RefreshFlag,
}

pub(super) fn run(ctx: &Ctx, cmd: &UtilsCommand) -> Result<()> {
    match cmd {
        UtilsCommand::InspectComponent(args) => inspect_component(ctx, args),
    }
}

fn inspect_component(ctx: &Ctx, args: &InspectArgs) -> Result<()> {
    let (regs, _) = super::list::registries(ctx, args.refresh)?;
    let what = if args.description {
        Inspect::Description
    } else if args.scaffold_params_schema {
        Inspect::ScaffoldParamsSchema
    } else if args.defs_yaml_json_schema {
        Inspect::DefsYamlJsonSchema
    } else {
        Inspect::All
    };
    let typename = args.component_type.as_str();
    let mut answers: Vec<(&str, &str, String)> = Vec::new();
    let mut known: Vec<&str> = Vec::new();
    for r in &regs {
        let Ok(reg) = &r.outcome else { continue };
        if args.location.as_deref().is_some_and(|l| l != r.location) {
            continue;
        }
        known.extend(reg.objects.iter().map(|o| o.key.as_str()));
        if let Some(o) = reg.find(typename) {
            let text = inspect(typename, o, what);
            answers.push((&r.location, &reg.dagster_version, text));
        }
    }
    if let Some(l) = &args.location
        && !regs.iter().any(|r| &r.location == l)
    {
        let names: Vec<&str> = regs.iter().map(|r| r.location.as_str()).collect();
        return Err(Error::usage(format!("no location `{l}` here"))
            .with_hint(format!("locations: {}", names.join(", "))));
    }
    let Some((_, _, first)) = answers.first() else {
        super::list::registry_failures(ctx, &regs)?;
        return Err(unknown_type(typename, &known));
    };
    if answers.iter().any(|(_, _, text)| text != first) {
        let which: Vec<String> = answers
            .iter()
            .map(|(l, v, _)| format!("{l} (dagster {v})"))
            .collect();
        return Err(Error::usage(format!(
            "`{typename}` is defined differently in {}",
            which.join(" and ")
        ))
        .with_hint("pass --location NAME to say whose definition to show"));
    }
    ctx.printer.out(first);
    Ok(())
}

fn unknown_type(typename: &str, known: &[&str]) -> Error {
    let mut known = known.to_vec();
    known.sort_unstable();
    known.dedup();
    let hint = match crate::suggest::closest(typename, &known) {
        Some(best) => format!("did you mean `{best}`? (`dg list components` lists them all)"),
        None => "`dg list components` lists the types each location offers; install the \
                 package that provides it into the location's environment (`dg sync`)"
            .into(),
    };
    Error::usage(format!("no component type `{typename}` is registered")).with_hint(hint)
}
