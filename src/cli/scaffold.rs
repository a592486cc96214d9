//! `dg scaffold defs TYPE PATH`: a stub definition file in the current project's defs folder;
//! `dg scaffold github-actions`: the CI workflow.

use super::Settings;
use crate::config;
use crate::error::{Error, Result};
use crate::scaffold::defs::{DefsKind, scaffold_defs};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ScaffoldCommand {
    /// Write a stub definition under the project's defs folder, like real
    /// `dg scaffold defs dagster.asset PATH` (never overwrites)
    Defs(DefsArgs),
    /// Write a GitHub Actions workflow: what a pull request affects as a matrix, a check of
    /// each affected location against main's saved state, a launch of the affected assets,
    /// and the state saved on every push to the main branch (never overwrites)
    GithubActions(GithubActionsArgs),
}

#[derive(Debug, Args)]
pub struct GithubActionsArgs {
    /// The branch pull requests target
    #[arg(long, default_value = "main", value_name = "BRANCH")]
    pub branch: String,
    /// The command that installs dg-rs on the runner
    #[arg(
        long,
        default_value = "cargo install --locked dg-rs",
        value_name = "COMMAND"
    )]
    pub install: String,
    /// Where to write it [default: .github/workflows/dagster.yml in the repository]
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct DefsArgs {
    /// asset, asset_check, schedule, sensor or job (real dg's dagster.asset etc. also work)
    #[arg(value_name = "TYPE")]
    pub kind: String,
    /// File to write, relative to the defs folder, ending in .py (e.g. ingest/raw_orders.py)
    pub path: String,
    /// The asset an asset check checks (parts separated by /)
    #[arg(long, value_name = "KEY")]
    pub asset_key: Option<String>,
    /// Parameters as JSON, as real dg takes them (only `asset_key` is used)
    #[arg(long, value_name = "JSON", conflicts_with = "asset_key")]
    pub json_params: Option<String>,
}

pub fn run(settings: &Settings, cmd: &ScaffoldCommand) -> Result<()> {
    let args = match cmd {
        ScaffoldCommand::Defs(args) => args,
        ScaffoldCommand::GithubActions(args) => return github_actions(settings, args),
    };
    let kind: DefsKind = args.kind.parse()?;
    let asset_key = match &args.json_params {
        None => args.asset_key.clone(),
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
    let ws = config::discover(&settings.target)?;
    let Some(i) = ws.current else {
        let names: Vec<&str> = ws.projects.iter().map(|p| p.listed_path.as_str()).collect();
        return Err(Error::usage(
            "dg scaffold defs must run inside a project: this is the workspace root",
        )
        .with_hint(format!(
            "cd into a project or pass --target-path (projects: {})",
            names.join(", ")
        )));
    };
    let project = &ws.projects[i];
    let written = scaffold_defs(project, kind, &args.path, asset_key.as_deref())?;
    settings.printer.status(&format!(
        "Creating defs at {}.",
        crate::render::display_path(&written)
    ));
    Ok(())
}

fn github_actions(settings: &Settings, args: &GithubActionsArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    let written = crate::scaffold::github_actions::write(
        &ws,
        &crate::scaffold::github_actions::WorkflowRequest {
            branch: args.branch.clone(),
            install: args.install.clone(),
            output: args.output.clone(),
        },
    )?;
    settings.printer.status(&format!(
        "wrote {} (commit it; pull requests then run what they affect)",
        crate::render::display_path(&written)
    ));
    Ok(())
}
