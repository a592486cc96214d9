//! The `create-dagster` binary: `workspace PATH` and `project PATH`, with real
//! create-dagster 1.13's flags plus `--python`, `--dagster-version` and `--sync`.

use super::{ColorArg, Ctx};
use crate::error::{Error, Result};
use crate::python::env::{self, SyncOptions, sync_project};
use crate::render::{Printer, display_path};
use crate::scaffold::{self, Created, DEFAULT_DAGSTER_VERSION, ProjectRequest, WorkspaceRequest};
use crate::settings::Settings;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "create-dagster",
    version,
    about = "Scaffold Dagster workspaces and projects (the files real create-dagster 1.13 writes)",
    disable_version_flag = true,
    max_term_width = 100
)]
pub(super) struct CreateArgs {
    /// Print the version
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    version: Option<bool>,
    /// Print more detail
    #[arg(long, global = true)]
    pub(super) verbose: bool,
    /// When to use colors (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub(super) color: ColorArg,
    #[command(subcommand)]
    command: CreateCommand,
}

#[derive(Debug, Subcommand)]
enum CreateCommand {
    /// Scaffold a new Dagster project at PATH; inside a workspace, also list it in dg.toml.
    /// The project name is the last component of PATH (`.` is the current directory).
    Project(ProjectArgs),
    /// Scaffold a new Dagster workspace at PATH (dg.toml, projects/, deployments/local)
    Workspace(WorkspaceArgs),
}

#[derive(Debug, Args)]
struct UvSyncFlags {
    /// Run `uv sync` afterwards (asked on a terminal when uv is installed; never asked when
    /// stdin is not a terminal)
    #[arg(long, overrides_with = "no_uv_sync")]
    uv_sync: bool,
    /// Do not run `uv sync`
    #[arg(long, overrides_with = "uv_sync")]
    no_uv_sync: bool,
}

impl UvSyncFlags {
    fn choice(&self) -> Option<bool> {
        match (self.uv_sync, self.no_uv_sync) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Debug, Args)]
struct ProjectArgs {
    path: PathBuf,
    /// Python version for the project (3.12): sets requires-python to that minor and
    /// [tool.dg-rs] python, which `dg sync` builds the environment with
    #[arg(long, value_name = "VERSION")]
    python: Option<String>,
    /// Pin dagster, dagster-dg-cli and dagster-webserver to this release [default: dagster
    /// pinned to 1.13.27, dev tools unpinned, as real create-dagster writes]
    #[arg(long, value_name = "X.Y.Z")]
    dagster_version: Option<String>,
    #[command(flatten)]
    uv: UvSyncFlags,
    /// Build the environment with dg-rs's own builder (`dg sync`: uv when installed, else
    /// venv + pip)
    #[arg(long, conflicts_with = "uv_sync")]
    sync: bool,
}

#[derive(Debug, Args)]
struct WorkspaceArgs {
    path: PathBuf,
    /// Pin the deployments/local environment's dagster, dagster-dg-cli and dagster-webserver
    /// to this release
    #[arg(long, value_name = "X.Y.Z")]
    dagster_version: Option<String>,
    #[command(flatten)]
    uv: UvSyncFlags,
}

pub(super) fn run(ctx: &Ctx, args: &CreateArgs) -> Result<()> {
    match &args.command {
        CreateCommand::Project(a) => project(ctx, a),
        CreateCommand::Workspace(a) => workspace(ctx, a),
    }
}

fn project(ctx: &Ctx, args: &ProjectArgs) -> Result<()> {
    let (printer, settings) = (&ctx.printer, &ctx.settings);
    let cwd = settings.cwd.clone();
    let uv = uv_for_flag(settings, args.uv.choice())?;
    let created = scaffold::create_project(&ProjectRequest {
        path: args.path.clone(),
        cwd,
        python: args.python.clone(),
        dagster_version: args.dagster_version.clone(),
    })?;
    let root = display_path(&created.root);
    printer.status(&format!(
        "Scaffolded files for Dagster project {}.",
        place(&root)
    ));
    if let Some((file, listed)) = &created.registered {
        printer.status(&format!(
            "Listed it in {} as `{listed}`.",
            display_path(file)
        ));
    }
    printer.status(&describe_pins(&created, args.dagster_version.is_some()));

    if args.sync {
        let ws =
            crate::config::discover(&created.root, crate::python::interpreter::resolve_project)?;
        let project = ws
            .current
            .map(|i| &ws.projects[i])
            .ok_or_else(|| Error::failed("the new project was not found by discovery"))?;
        let progress = crate::render::progress::BuildProgress::new(printer, true);
        let report = sync_project(settings, project, &SyncOptions::default(), &progress);
        drop(progress);
        printer.status(&crate::render::sync::line(&report?, &settings.cwd));
    } else if should_uv_sync(settings, printer, args.uv.choice(), &created.root)? {
        let uv = uv.or_else(|| env::find_in_path(settings, "uv"));
        printer.status("Running `uv sync --group dev`...");
        let progress = crate::render::progress::BuildProgress::new(printer, true);
        env::uv_sync(uv.as_deref(), &created.root, &["--group", "dev"], &progress)?;
        printer.status("uv.lock and virtual environment created.");
    } else {
        printer.status(&format!(
            "Next: build its environment with `dg sync`{}, or `create-dagster project ... --sync` next time.",
            if root == "." { String::new() } else { format!(" (in {root})") }
        ));
    }
    Ok(())
}

fn workspace(ctx: &Ctx, args: &WorkspaceArgs) -> Result<()> {
    let (printer, settings) = (&ctx.printer, &ctx.settings);
    let cwd = settings.cwd.clone();
    let uv = uv_for_flag(settings, args.uv.choice())?;
    let created = scaffold::create_workspace(&WorkspaceRequest {
        path: args.path.clone(),
        cwd,
        dagster_version: args.dagster_version.clone(),
    })?;
    let root = display_path(&created.root);
    let local = created.root.join("deployments").join("local");
    printer.status(&format!(
        "Scaffolded files for Dagster workspace {}.\nIts local deployment project (the environment for running the Dagster UI over the workspace) is at {}; --uv-sync builds it.",
        place(&root),
        display_path(&local)
    ));
    if should_uv_sync(settings, printer, args.uv.choice(), &local)? {
        let uv = uv.or_else(|| env::find_in_path(settings, "uv"));
        printer.status(&format!(
            "Running `uv sync --directory {}`...",
            display_path(&local)
        ));
        let progress = crate::render::progress::BuildProgress::new(printer, true);
        env::uv_sync(uv.as_deref(), &local, &[], &progress)?;
        printer.status("uv.lock and virtual environment created.");
    }
    let cd = if root == "." {
        String::new()
    } else {
        format!("`cd {root}` and ")
    };
    printer.status(&format!(
        "Next: {cd}`create-dagster project projects/NAME` for each code location."
    ));
    Ok(())
}

/// `--uv-sync` needs uv, checked before anything is written (as real create-dagster does).
fn uv_for_flag(settings: &Settings, choice: Option<bool>) -> Result<Option<PathBuf>> {
    if choice != Some(true) {
        return Ok(None);
    }
    match env::find_in_path(settings, "uv") {
        Some(uv) => Ok(Some(uv)),
        None => Err(Error::usage("uv is not installed, so --uv-sync cannot run")
            .with_hint("install uv (https://docs.astral.sh/uv/getting-started/installation/), or use --sync: dg-rs's own builder uses venv + pip when uv is missing")),
    }
}

/// Real create-dagster's decision: the flag wins; an existing `.venv` means no; else ask on a
/// terminal when uv is installed; never ask when stdin is not a terminal.
fn should_uv_sync(
    settings: &Settings,
    printer: &Printer,
    flag: Option<bool>,
    dir: &Path,
) -> Result<bool> {
    if let Some(choice) = flag {
        return Ok(choice);
    }
    if dir.join(".venv").exists()
        || env::find_in_path(settings, "uv").is_none()
        || !std::io::stdin().is_terminal()
    {
        return Ok(false);
    }
    printer.status(&format!(
        "uv is installed. Run `uv sync` in {} now? It creates uv.lock and the virtual environment. (y/n) [y]",
        display_path(dir)
    ));
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::usage(format!("could not read the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "" | "y" | "yes" => Ok(true),
        "n" | "no" => Ok(false),
        other => Err(
            Error::usage(format!("invalid answer `{other}`: enter y or n"))
                .with_hint("pass --uv-sync or --no-uv-sync to skip the question"),
        ),
    }
}

/// "at PATH", or "in the current directory" for `.`.
fn place(root: &str) -> String {
    if root == "." {
        "in the current directory".into()
    } else {
        format!("at {root}")
    }
}

fn describe_pins(created: &Created, pinned: bool) -> String {
    let python = match &created.python {
        Some(p) => format!("Python {p}"),
        None => "Python >=3.10,<3.15".to_string(),
    };
    let tools = if pinned {
        format!(
            "dagster, dagster-dg-cli and dagster-webserver pinned to {}",
            created.dagster_version
        )
    } else {
        format!(
            "dagster=={} (the default; dev tools unpinned, as real create-dagster writes)",
            DEFAULT_DAGSTER_VERSION
        )
    };
    format!("It asks for {python}; {tools}.")
}
