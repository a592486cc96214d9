//! `dg completions SHELL`: the shell completion script, generated from the command
//! definitions by clap_complete (so it never lags behind a new flag).

use super::{DgArgs, Settings};
use crate::error::Result;
use clap::{Args, CommandFactory};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for (e.g. `dg completions bash > /etc/bash_completion.d/dg`)
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(settings: &Settings, args: &CompletionsArgs) -> Result<()> {
    let mut cmd = DgArgs::command();
    settings.printer.out_with(|w| {
        clap_complete::generate(args.shell, &mut cmd, "dg", w);
        Ok(())
    });
    Ok(())
}
