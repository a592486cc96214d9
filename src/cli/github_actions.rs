//! `dg scaffold github-actions`: the CI workflow of the workspace.

use super::Ctx;
use crate::error::Result;
use clap::Args;

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

pub(super) fn run(ctx: &Ctx, args: &GithubActionsArgs) -> Result<()> {
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
