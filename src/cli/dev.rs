//! `dg dev`: the real Dagster platform (webserver, daemon, one code server per location) over
//! the workspace, or over the current project.

use super::Settings;
use crate::config;
use crate::dev::{self, DevOptions, LogLevel};
use crate::error::Result;
use crate::launch::home::DagsterHome;
use crate::render::dev::DevOutput;
use clap::{Args, ValueEnum};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Port of the webserver [default: 3000, or the next free port when 3000 is taken;
    /// 0 = any free port]
    #[arg(short, long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Address the webserver listens on
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,
    /// Do not restart a location's code server when its files change
    #[arg(long)]
    pub no_watch: bool,
    /// Log level of the webserver and the daemon
    #[arg(long, value_enum, default_value_t = LogLevelArg::Info, value_name = "LEVEL")]
    pub log_level: LogLevelArg,
    /// Log level of the code servers
    #[arg(long, value_enum, default_value_t = LogLevelArg::Warning, value_name = "LEVEL")]
    pub code_server_log_level: LogLevelArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogLevelArg {
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

/// Ctrl-C / SIGTERM / SIGHUP count: the first stops the platform, a second kills at once.
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

pub fn run(settings: &Settings, args: &DevArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    let projects = ws.scoped_projects().into_iter().cloned().collect();
    let load_timeout = std::env::var("DG_RS_LOAD_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(180));
    let opts = DevOptions {
        host: args.host.clone(),
        port: args.port,
        watch: !args.no_watch,
        log_level: args.log_level.into(),
        code_server_log_level: args.code_server_log_level.into(),
        dagster_home: DagsterHome::resolve(&ws)?,
        load_timeout,
    };
    // Installed before any child starts, replacing an inherited SIG_IGN too: the children
    // live in their own process groups and must be stopped by us.
    INTERRUPTS.store(0, Ordering::SeqCst);
    let _ = ctrlc::set_handler(|| {
        INTERRUPTS.fetch_add(1, Ordering::SeqCst);
    });
    dev::run(
        &ws,
        projects,
        &opts,
        &DevOutput::new(&settings.printer),
        &INTERRUPTS,
    )
}
