//! `dg utils ...`: `inspect-component`, answered from each location's cached component
//! registry (no Python once it is cached); `configure-editor` and `generate-component-schema`,
//! which write the combined defs.yaml schema from the same registry.

use super::{Ctx, RefreshFlag};
use crate::error::{Error, Result};
use crate::render::components::{Inspect, inspect};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub(super) enum UtilsCommand {
    /// Describe a component type: its description, scaffold parameters and defs.yaml schema,
    /// as the location's own environment defines it
    InspectComponent(InspectArgs),
    /// Write each location's defs.yaml schema (<project>/.dg/schema.json) and point the
    /// editor's YAML extension at it (.vscode/settings.json; every location at the workspace
    /// root); installs the extension with the editor's command when it is on PATH
    ConfigureEditor(EditorArgs),
    /// Write the project's defs.yaml schema, every component type in one JSON schema
    GenerateComponentSchema(SchemaArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Editor {
    Vscode,
    Cursor,
}

#[derive(Debug, Args)]
pub(super) struct EditorArgs {
    editor: Editor,
    #[command(flatten)]
    refresh: RefreshFlag,
}

#[derive(Debug, Args)]
pub(super) struct SchemaArgs {
    /// Where to write it [default: <project>/.dg/schema.json]
    #[arg(long, value_name = "FILE")]
    output_path: Option<std::path::PathBuf>,
    #[command(flatten)]
    refresh: RefreshFlag,
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
        UtilsCommand::ConfigureEditor(args) => configure_editor(ctx, args),
        UtilsCommand::GenerateComponentSchema(args) => generate_schema(ctx, args),
    }
}

fn configure_editor(ctx: &Ctx, args: &EditorArgs) -> Result<()> {
    use crate::scaffold::editor::{self, Extension, YAML_EXTENSION};
    let (ws, regs) = super::list::registries_of_scope(ctx, args.refresh)?;
    let dir = match ws.current {
        Some(i) => ws.projects[i].root.clone(),
        None => ws.root.clone(),
    };
    let mut schemas = Vec::new();
    for (p, r) in crate::workspace::in_scope(&ws).into_iter().zip(&regs) {
        let Ok(reg) = &r.outcome else { continue };
        let path = editor::write_schema(p, reg, None)?;
        ctx.printer.status(&format!(
            "{}: wrote {}",
            p.code_location_name,
            ctx.settings.display(&path)
        ));
        schemas.push((path, editor::defs_yaml_glob(p, &dir)));
    }
    if !schemas.is_empty() {
        let (file, changed) = editor::point_settings(&dir, &schemas)?;
        let how = if changed { "set" } else { "already set" };
        ctx.printer.status(&format!(
            "yaml.schemas {how} in {}",
            ctx.settings.display(&file)
        ));
    }
    let exe = match args.editor {
        Editor::Vscode => "code",
        Editor::Cursor => "cursor",
    };
    let install = format!("{exe} --install-extension {YAML_EXTENSION}");
    match which::which_in(exe, ctx.settings.path.as_ref(), &ctx.settings.cwd) {
        Err(_) => ctx.printer.status(&format!(
            "`{exe}` is not on PATH: install the YAML extension it needs with `{install}` \
             (or from the editor's extensions view)"
        )),
        Ok(path) => match editor::ensure_yaml_extension(&path) {
            Extension::AlreadyInstalled => ctx
                .printer
                .status(&format!("{YAML_EXTENSION} extension is already installed.")),
            Extension::Installed => ctx
                .printer
                .status(&format!("Installed the {YAML_EXTENSION} extension.")),
            Extension::Failed(why) => ctx.printer.status(&format!(
                "could not install the {YAML_EXTENSION} extension ({why}); run `{install}`"
            )),
        },
    }
    super::list::registry_failures(ctx, &regs)
}

fn generate_schema(ctx: &Ctx, args: &SchemaArgs) -> Result<()> {
    let (ws, mut regs) = super::list::registries_of_scope(ctx, args.refresh)?;
    let Some(i) = ws.current else {
        return Err(Error::usage(
            "dg utils generate-component-schema must run inside a project: this is the \
             workspace root",
        )
        .with_hint("cd into a project, or use `dg utils configure-editor` for every location"));
    };
    super::list::registry_failures(ctx, &regs)?;
    let Ok(reg) = regs.remove(0).outcome else {
        unreachable!("failures were reported")
    };
    let output = args.output_path.as_ref().map(|p| ctx.settings.cwd.join(p));
    let path = crate::scaffold::editor::write_schema(&ws.projects[i], &reg, output.as_deref())?;
    ctx.printer
        .status(&format!("wrote {}", ctx.settings.display(&path)));
    Ok(())
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
