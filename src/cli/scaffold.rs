//! `dg scaffold defs TYPE PATH`: a stub definition file in the current project's defs folder;
//! `dg scaffold github-actions`: the CI workflow.

use super::Ctx;
use crate::error::{Error, Result};
use crate::scaffold::defs::{DefsKind, scaffold_defs};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(super) enum ScaffoldCommand {
    /// Write a stub definition under the project's defs folder, like real
    /// `dg scaffold defs dagster.asset PATH` (never overwrites)
    Defs(DefsArgs),
    /// Write a GitHub Actions workflow: what a pull request affects as a matrix, a check of
    /// each affected location against main's saved state, a launch of the affected assets,
    /// and the state saved on every push to the main branch (never overwrites)
    GithubActions(GithubActionsArgs),
}

#[derive(Debug, Args)]
pub(super) struct GithubActionsArgs {
    /// The branch pull requests target
    #[arg(long, default_value = "main", value_name = "BRANCH")]
    branch: String,
    /// The command that installs dg-rs on the runner
    #[arg(
        long,
        default_value = "cargo install --locked dg-rs",
        value_name = "COMMAND"
    )]
    install: String,
    /// Where to write it [default: .github/workflows/dagster.yml in the repository]
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct DefsArgs {
    /// asset, asset_check, schedule, sensor or job (real dg's dagster.asset etc. also work)
    #[arg(value_name = "TYPE")]
    kind: String,
    /// File to write, relative to the defs folder, ending in .py (e.g. ingest/raw_orders.py)
    path: String,
    /// The asset an asset check checks (parts separated by /)
    #[arg(long, value_name = "KEY")]
    asset_key: Option<String>,
    /// Parameters as JSON, as real dg takes them (only `asset_key` is used)
    #[arg(long, value_name = "JSON", conflicts_with = "asset_key")]
    json_params: Option<String>,
}

pub(super) fn run(ctx: &Ctx, cmd: &ScaffoldCommand) -> Result<()> {
    let args = match cmd {
        ScaffoldCommand::Defs(args) => args,
        ScaffoldCommand::GithubActions(args) => return github_actions(ctx, args),
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
    let ws = crate::workspace::discover(&ctx.settings)?;
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
    ctx.printer.status(&format!(
        "Creating defs at {}.",
        ctx.settings.display(&written)
    ));
    Ok(())
}

fn github_actions(ctx: &Ctx, args: &GithubActionsArgs) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let written = crate::scaffold::github_actions::write(
        &ws,
        &crate::scaffold::github_actions::WorkflowRequest {
            branch: args.branch.clone(),
            install: args.install.clone(),
            output: args.output.as_ref().map(|o| ctx.settings.cwd.join(o)),
        },
    )?;
    ctx.printer.status(&format!(
        "wrote {} (commit it; pull requests then run what they affect)",
        ctx.settings.display(&written)
    ));
    Ok(())
}
