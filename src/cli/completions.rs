//! `dg completions SHELL`: the shell completion script, generated from the command
//! definitions by clap_complete (so it never lags behind a new flag).

use super::{Ctx, DgArgs};
use crate::error::Result;
use clap::{Args, CommandFactory};

#[derive(Debug, Args)]
pub(super) struct CompletionsArgs {
    /// The shell to complete for (e.g. `dg completions bash > /etc/bash_completion.d/dg`)
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub(super) fn run(ctx: &Ctx, args: &CompletionsArgs) -> Result<()> {
    let mut cmd = DgArgs::command();
    ctx.printer.out_with(|w| {
        clap_complete::generate(args.shell, &mut cmd, "dg", w);
        Ok(())
    });
    Ok(())
}
