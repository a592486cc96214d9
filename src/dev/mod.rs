//! `dg dev`: the real Dagster platform over the workspace's code locations.
//!
//! One supervisor (this process) runs, each in its own process group with default signal
//! dispositions: one `dagster api grpc` code server per location, in the location's own
//! interpreter (cwd, `.env`, working directory and module resolved as for `dg list defs`),
//! started in parallel; and the real `dagster-webserver` and `dagster-daemon` from the host
//! environment (`deployments/local`), over a generated workspace.yaml of `grpc_server`
//! entries. All of them share one Dagster instance, the one `dg launch` records into,
//! created and migrated once before any of them starts.
//!
//! Watch (default on): a location whose fingerprint changes gets a new code server; the old
//! one serves until the new one listens, then the new one takes over the socket and the
//! webserver reloads that location. A code server that dies is restarted and reported.
//!
//! Stages: [`host`] (which environment runs the webserver and daemon, and its version skew
//! check) → the one instance (`crate::instance`, prepared once) → [`workspace_yaml`] → [`supervisor`]
//! (spawning through [`service`], readiness and reloads through [`webserver`], changes from
//! [`watch`]). Nothing here prints: a [`DevObserver`] (implemented in `render`) is told.

mod commands;
mod error;
pub(crate) mod host;
mod ports;
pub(crate) mod service;
pub(crate) mod supervisor;
pub(crate) mod watch;
pub(crate) mod webserver;
pub(crate) mod workspace_yaml;

pub use error::DevError;

use std::path::PathBuf;
use std::time::Duration;

pub(crate) use supervisor::run;

/// Dagster's log levels, as its processes take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
        }
    }
}

/// Everything `dg dev` was asked for, resolved by the CLI.
pub struct DevOptions {
    /// Interface the webserver listens on (`127.0.0.1` by default).
    pub host: String,
    /// `--port`: None = 3000, or the next free port when 3000 is taken; 0 = any free port.
    pub port: Option<u16>,
    pub watch: bool,
    /// Level of the webserver's and the daemon's logs.
    pub log_level: LogLevel,
    /// Level of the code servers' logs.
    pub code_server_log_level: LogLevel,
    /// `--access`: the authorizing proxy of the workspace's access policy listens on
    /// `host:port`, in front of the webserver, which then listens on loopback only.
    pub access: bool,
}

/// A process the supervisor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceId {
    Webserver,
    Daemon,
    /// The authorizing proxy (`--access`), in-process.
    Proxy,
    /// The code server of the location with this index.
    CodeServer(usize),
}

/// How one location ended its start-up, for the status line under the URL.
#[derive(Debug, Clone)]
pub enum LocationStatus {
    Loaded {
        assets: usize,
    },
    /// The code server runs, but the location's code does not load (shown in the UI).
    LoadError {
        message: String,
    },
    /// The code server did not start (no interpreter, no dagster, crashed, timed out).
    NotStarted {
        error: std::sync::Arc<DevError>,
    },
}

#[derive(Debug, Clone)]
pub struct LocationLine {
    pub name: String,
    pub status: LocationStatus,
    pub dagster_version: Option<String>,
    pub python_version: Option<String>,
    /// From spawning its code server until it listened.
    pub seconds: f64,
}

/// What is printed once every location is loaded or has failed.
#[derive(Debug, Clone)]
pub struct ReadyReport {
    pub url: String,
    /// Said when the port is not the one asked for (`3000 is in use`).
    pub port_note: Option<String>,
    pub locations: Vec<LocationLine>,
    pub dagster_home: PathBuf,
    pub host_env: PathBuf,
    pub host_dagster: String,
    pub watching: bool,
    /// From the start of `dg dev` until ready.
    pub seconds: f64,
    /// From spawning the webserver until its GraphQL API answered.
    pub webserver_seconds: f64,
    /// How long making sure the instance exists and is migrated took (no Python when a
    /// stamp says it is).
    pub instance_seconds: f64,
    /// With `--access`: where the authorizing proxy listens and the webserver it fronts.
    pub proxy: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
}

/// Why a code server is replaced.
#[derive(Debug, Clone)]
pub enum RestartReason {
    /// Its location's files changed.
    Changed,
    /// It exited on its own.
    Exited { code: Option<i32> },
}

/// Things that happen while the platform runs.
#[derive(Debug, Clone)]
pub enum DevEvent {
    Restarting {
        location: String,
        reason: RestartReason,
    },
    Reloaded {
        location: String,
        assets: usize,
        seconds: f64,
    },
    /// The location's new code does not load; the UI shows the error.
    LoadFailed {
        location: String,
        message: String,
    },
    /// A code server that was to replace another one did not start; the old one keeps serving.
    ReplacementFailed {
        location: String,
        message: String,
    },
    ServiceExited {
        service: &'static str,
        code: Option<i32>,
        restart_in: Duration,
    },
    /// The workspace configuration could not be read again after a change.
    ConfigError {
        message: String,
    },
    Stopping,
}

/// Told about progress, logs and events; `render` implements it.
pub trait DevObserver {
    /// Before anything starts: the locations that will be served.
    fn starting(&self, locations: &[String]);
    fn location_listening(&self, location: &str, seconds: f64);
    fn ready(&self, report: &ReadyReport);
    /// One line a service wrote.
    fn log(&self, service: &str, line: &str);
    fn event(&self, event: &DevEvent);
    fn stopped(&self, seconds: f64, leftover: usize);
}
