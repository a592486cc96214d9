//! Command-line types (clap derive) and one handler per command. Handlers turn arguments
//! into settings and requests, call core, and hand results to `render`; nothing else.

mod access;
mod affected;
mod check;
mod check_yaml;
mod compare;
mod completions;
mod create;
mod defs;
mod deploy;
mod dev;
mod github_actions;
mod graph;
mod launch;
mod list;
mod loading;
use loading::{failures, load, load_with};
mod scaffold;
mod settings;
mod state;
mod sync;
mod utils;

use crate::error::Result;
use crate::render::{ColorMode, Printer};
use crate::settings::Settings;
use clap::{Args, Parser, Subcommand, ValueEnum};
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
struct DgArgs {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command shares.
#[derive(Debug, Args, Clone)]
struct GlobalArgs {
    /// Directory to discover the workspace or project from [default: current directory]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "DAGSTER_DG_TARGET_PATH"
    )]
    target_path: Option<PathBuf>,
    /// Print more detail: timings, and the whole output of a location that fails to load
    #[arg(long, global = true)]
    verbose: bool,
    /// When to use colors (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for ColorMode {
    fn from(c: ColorArg) -> Self {
        match c {
            ColorArg::Auto => ColorMode::Auto,
            ColorArg::Always => ColorMode::Always,
            ColorArg::Never => ColorMode::Never,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List projects and definitions of the workspace
    #[command(subcommand, visible_alias = "ls")]
    List(list::ListCommand),
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
    /// Generate the production topology on Dagster's own engine (one gRPC code server and
    /// image per location, Postgres) for Docker Compose or the Helm chart
    #[command(subcommand)]
    Deploy(deploy::DeployCommand),
    /// Access control per code location: who holds which role where, and CODEOWNERS
    #[command(subcommand)]
    Access(access::AccessCommand),
    /// Run the Dagster platform over every code location: the webserver, the daemon and one
    /// code server per location in its own interpreter, all on one instance
    Dev(dev::DevArgs),
    /// Utilities: inspect a component type
    #[command(subcommand)]
    Utils(utils::UtilsCommand),
}

/// `--json`, shared by every command with a machine-readable form.
#[derive(Debug, Args, Clone, Copy)]
struct JsonFlag {
    /// Print machine-readable JSON on stdout
    #[arg(long)]
    json: bool,
}

/// `--refresh`, shared by every command that loads definitions.
#[derive(Debug, Args, Clone, Copy)]
struct RefreshFlag {
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    refresh: bool,
}

/// `-s/--select`, shared by the commands that show part of the graph.
#[derive(Debug, Args, Clone)]
struct SelectArg {
    /// Only assets matching this selection, e.g. `+key:data_science_asset` or `group:analytics`
    #[arg(short = 's', long = "select", value_name = "SELECTION")]
    select: Option<String>,
}

/// What every handler gets: the resolved settings and the printer.
struct Ctx {
    settings: Settings,
    printer: Printer,
}

/// Entry point of the `dg` binary.
pub fn run_dg<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // From the start: an interrupt must reach the children, even when dg-rs inherited
    // SIGINT as ignored (see `process`).
    crate::process::interrupt::install();
    let args = match DgArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let settings = match settings::resolve(&args.global) {
        Ok(s) => s,
        Err(e) => {
            Printer::new(args.global.color.into(), false).error(&e);
            return ExitCode::from(e.kind.exit_code());
        }
    };
    crate::render::table::set_columns(settings.columns);
    let ctx = Ctx {
        printer: Printer::new(args.global.color.into(), settings.verbose),
        settings,
    };
    let result = match &args.command {
        Command::List(cmd) => list::run(&ctx, cmd),
        Command::Check(args) => check::run(&ctx, args),
        Command::Graph(args) => graph::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Scaffold(cmd) => scaffold::run(&ctx, cmd),
        Command::Launch(args) => launch::run(&ctx, args),
        Command::Affected(args) => affected::run(&ctx, args),
        Command::State(cmd) => state::run(&ctx, cmd),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Deploy(cmd) => deploy::run(&ctx, cmd),
        Command::Access(cmd) => access::run(&ctx, cmd),
        Command::Dev(args) => dev::run(&ctx, args),
        Command::Utils(cmd) => utils::run(&ctx, cmd),
    };
    finish(&ctx.printer, result)
}

fn finish(printer: &Printer, result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.problems.is_empty() {
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
    crate::process::interrupt::install();
    let args = match create::CreateArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let settings = match settings::resolve_for_create(args.verbose) {
        Ok(s) => s,
        Err(e) => {
            Printer::new(args.color.into(), false).error(&e);
            return ExitCode::from(e.kind.exit_code());
        }
    };
    crate::render::table::set_columns(settings.columns);
    let ctx = Ctx {
        printer: Printer::new(args.color.into(), settings.verbose),
        settings,
    };
    let result = create::run(&ctx, &args);
    finish(&ctx.printer, result)
}
