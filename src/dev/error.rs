//! What can stop `dg dev`. What the user reads for each (message, hint, exit code) is decided
//! in `render::errors`; errors of the modules dev stands on keep their own types.

use super::host::HostSource;
use crate::process::ProcessError;
use std::path::PathBuf;

pub type Result<T, E = DevError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Python(#[from] crate::python::PythonError),
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    #[error(transparent)]
    Instance(#[from] crate::instance::InstanceError),
    #[error(transparent)]
    Fs(#[from] crate::fs::FsError),
    #[error(transparent)]
    Env(#[from] crate::config::DotenvError),
    /// A service that could not be started; `name` when it has one ("webserver").
    #[error(
        "could not start {}: {source}",
        match name { Some(n) => format!("the {n} ({})", program.display()), None => program.display().to_string() }
    )]
    Spawn {
        name: Option<String>,
        program: PathBuf,
        source: ProcessError,
    },
    #[error("cannot listen on {host}:{port}{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    CannotListen {
        host: String,
        port: u16,
        reason: Option<String>,
    },
    #[error("port {port} on {host} is in use")]
    PortInUse { host: String, port: u16 },
    #[error("ports {from}-{to} on {host} are all in use")]
    AllPortsInUse { host: String, from: u16, to: u16 },
    #[error("cannot create a temporary folder: {0}")]
    TempDir(std::io::Error),
    /// The webserver exited before it was ready; `tail` is its last lines.
    #[error("the webserver exited ({status}) while starting:\n{tail}")]
    WebserverExited { status: String, tail: String },
    #[error("the webserver did not answer within {seconds} s")]
    WebserverSilent { seconds: u64 },
    /// A location's code server exited before it listened; `tail` is its last lines.
    #[error("its code server exited ({status}) before listening:\n{tail}")]
    CodeServerExited {
        status: String,
        tail: String,
        interpreter: PathBuf,
        project: String,
    },
    #[error("its code server did not listen within {seconds} s")]
    CodeServerSilent { seconds: u64 },
    #[error("the interpreter {} does not exist", path.display())]
    NoInterpreter { path: PathBuf, project: String },
    #[error("the {name} keeps exiting ({crashes} times in a row); its last lines:\n{tail}")]
    KeepsExiting {
        name: String,
        crashes: u32,
        tail: String,
    },
    /// `venv` as shown to the user.
    #[error(
        "the host environment {venv} does not exist yet: dg dev runs Dagster's webserver and daemon from it"
    )]
    HostMissing { venv: String },
    #[error(
        "{root} has no {}/pyproject.toml: dg dev runs Dagster's webserver and daemon from that environment",
        crate::python::host::HOST_DIR
    )]
    NoHostProject { root: String },
    #[error("the host environment {shown} has no {package} installed")]
    HostLacks {
        shown: String,
        package: &'static str,
    },
    #[error(
        "the host environment {shown} has dagster {host}, older than location `{location}`'s dagster {want}: Dagster's webserver and daemon must be at least as new as every code location"
    )]
    HostTooOld {
        shown: String,
        host: String,
        location: String,
        want: String,
        source_of_host: HostSource,
    },
}
