//! Command-line types (clap derive) and one handler per command. Handlers only wire settings
//! to core modules and hand results to `render`; no logic of their own beyond that.

mod affected;
pub mod check;
mod completions;
mod create;
mod defs;
mod graph;
mod launch;
mod list;
mod scaffold;
mod state;
mod sync;

use crate::error::{Error, ErrorKind, Result};
use crate::render::{ColorMode, Printer};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "dg",
    version,
    about = "Manage a Dagster workspace of many code locations as one asset graph",
    propagate_version = true,
    max_term_width = 100
)]
pub struct DgArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command shares.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Directory to discover the workspace or project from [default: current directory]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "DAGSTER_DG_TARGET_PATH"
    )]
    pub target_path: Option<PathBuf>,
    /// Print more detail (full Python errors, timings)
    #[arg(long, global = true)]
    pub verbose: bool,
    /// When to use colors (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorMode::Auto, value_name = "WHEN")]
    pub color: ColorMode,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List projects and definitions of the workspace
    #[command(subcommand, visible_alias = "ls")]
    List(ListCommand),
    /// Check the workspace: configuration, every location's definitions, and the one asset
    /// graph across locations (unknown dependencies, duplicate owners, cycles, versions)
    Check(check::CheckArgs),
    /// Export the workspace asset graph as Mermaid (default), DOT or JSON
    Graph(graph::GraphArgs),
    /// Create or update each project's virtual environment
    Sync(sync::SyncArgs),
    /// Scaffold definitions in the current project
    #[command(subcommand)]
    Scaffold(scaffold::ScaffoldCommand),
    /// Materialize assets (or run a job) across code locations: one Dagster run per step, in
    /// each location's own interpreter, all in one Dagster instance
    Launch(launch::LaunchArgs),
    /// Which locations and assets a change affects (git range, uncommitted edits, files or
    /// a saved state), downstream across locations
    Affected(affected::AffectedArgs),
    /// Save the workspace's definitions for later comparisons (`--state DIR`)
    #[command(subcommand)]
    State(state::StateCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// List the projects of the workspace, one path per line (as real dg does)
    #[command(visible_alias = "project")]
    Projects(JsonFlag),
    /// List the definitions (assets, checks, jobs, schedules, sensors, resources) of every
    /// location, or of the current project
    #[command(visible_alias = "def")]
    Defs(defs::DefsArgs),
    /// List every asset of the workspace with its location and upstream assets
    #[command(visible_alias = "asset")]
    Assets(defs::AssetsArgs),
}

#[derive(Debug, Args, Clone, Copy)]
pub struct JsonFlag {
    /// Print machine-readable JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// Validated settings every handler receives.
pub struct Settings {
    pub target: PathBuf,
    pub printer: Printer,
}

impl Settings {
    fn from_global(global: &GlobalArgs) -> Result<Settings> {
        let target = match &global.target_path {
            Some(p) => p.clone(),
            None => std::env::current_dir()
                .map_err(|e| Error::usage(format!("cannot read the current directory: {e}")))?,
        };
        Ok(Settings {
            target,
            printer: Printer::new(global.color, global.verbose),
        })
    }
}

/// Entry point of the `dg` binary.
pub fn run_dg<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match DgArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let settings = match Settings::from_global(&args.global) {
        Ok(s) => s,
        Err(e) => {
            Printer::new(args.global.color, false).error(&e);
            return ExitCode::from(e.kind.exit_code());
        }
    };
    let result = match &args.command {
        Command::List(cmd) => list::run(&settings, cmd),
        Command::Check(args) => check::run(&settings, args),
        Command::Graph(args) => graph::run(&settings, args),
        Command::Sync(args) => sync::run(&settings, args),
        Command::Scaffold(cmd) => scaffold::run(&settings, cmd),
        Command::Launch(args) => launch::run(&settings, args),
        Command::Affected(args) => affected::run(&settings, args),
        Command::State(cmd) => state::run(&settings, cmd),
        Command::Completions(args) => completions::run(&settings, args),
    };
    finish(&settings.printer, result)
}

fn finish(printer: &Printer, result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.kind != ErrorKind::Failed || !e.problems.is_empty() {
                printer.error(&e);
            }
            ExitCode::from(e.kind.exit_code())
        }
    }
}

/// Entry point of the `create-dagster` binary.
pub fn run_create_dagster<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match create::CreateArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let printer = Printer::new(args.color, args.verbose);
    let result = create::run(&printer, &args);
    finish(&printer, result)
}
