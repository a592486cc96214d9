//! `dg dev`: the real Dagster platform (webserver, daemon, one code server per location) over
//! the workspace, or over the current project.

use super::Ctx;
use crate::dev::{self, DevOptions, LogLevel};
use crate::error::Result;
use crate::render::dev::DevOutput;
use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub(super) struct DevArgs {
    /// Port of the webserver [default: 3000, or the next free port when 3000 is taken;
    /// 0 = any free port]
    #[arg(short, long, value_name = "PORT")]
    port: Option<u16>,
    /// Address the webserver listens on
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    host: String,
    /// Do not restart a location's code server when its files change
    #[arg(long)]
    no_watch: bool,
    /// Log level of the webserver and the daemon
    #[arg(long, value_enum, default_value_t = LogLevelArg::Info, value_name = "LEVEL")]
    log_level: LogLevelArg,
    /// Log level of the code servers
    #[arg(long, value_enum, default_value_t = LogLevelArg::Warning, value_name = "LEVEL")]
    code_server_log_level: LogLevelArg,
    /// Put the authorizing proxy of the workspace's access policy (dg-rs.toml [access]) in
    /// front of the webserver: the URL is the proxy's, the webserver listens on loopback only
    #[arg(long)]
    access: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum LogLevelArg {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl From<LogLevelArg> for LogLevel {
    fn from(l: LogLevelArg) -> LogLevel {
        match l {
            LogLevelArg::Debug => LogLevel::Debug,
            LogLevelArg::Info => LogLevel::Info,
            LogLevelArg::Warning => LogLevel::Warning,
            LogLevelArg::Error => LogLevel::Error,
            LogLevelArg::Critical => LogLevel::Critical,
        }
    }
}

pub(super) fn run(ctx: &Ctx, args: &DevArgs) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let projects = ws.scoped_projects().into_iter().cloned().collect();
    let opts = DevOptions {
        host: args.host.clone(),
        port: args.port,
        watch: !args.no_watch,
        log_level: args.log_level.into(),
        code_server_log_level: args.code_server_log_level.into(),
        access: args.access,
    };
    dev::run(
        &ctx.settings,
        &ws,
        projects,
        &opts,
        &DevOutput::new(&ctx.printer),
    )?;
    Ok(())
}
