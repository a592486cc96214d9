//! What can go wrong finding an interpreter or building an environment. What the user reads
//! for each (message, hint, exit code) is decided in `render::errors`.

use crate::diagnostic::SourcePos;
use crate::fs::FsError;
use crate::process::ProcessError;
use std::path::PathBuf;

pub type Result<T, E = PythonError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Ctrl-C while a step ran.
    #[error("interrupted")]
    Interrupted,
    /// One project's error, named by the project.
    #[error("{project}: {source}")]
    InProject {
        project: String,
        source: Box<PythonError>,
    },
    #[error("`{given}` is not a Python version: {reason}")]
    BadVersion { given: String, reason: String },
    #[error("invalid requires-python `{spec}`: {reason}")]
    BadRequiresPython { spec: String, reason: String },
    #[error("the requested interpreter {} does not run", path.display())]
    NotRunnable { path: PathBuf },
    /// No interpreter matches; `found` lists what this machine has.
    #[error(
        "no Python interpreter on this machine satisfies {request}{}; found: {found}",
        requires_python.as_ref().map(|r| format!(" and requires-python {r}")).unwrap_or_default()
    )]
    NoInterpreter {
        request: String,
        requires_python: Option<String>,
        found: String,
    },
    #[error(
        "{project}: DG_PROJECT_PYTHON_EXECUTABLE points at {}, which is not inside a virtual environment; dg sync only builds virtual environments",
        python.display()
    )]
    NotAVenv { project: String, python: PathBuf },
    /// `uv sync` did not succeed; `stale_lock` when uv says the lock no longer matches.
    #[error("{source}")]
    UvSyncFailed {
        stale_lock: bool,
        source: Box<PythonError>,
    },
    #[error("uv is not installed")]
    UvNotInstalled,
    /// An installer or interpreter command that did not succeed; `tail` is its last lines.
    #[error("{project}: could not {what}: `{command}` {status}\n{tail}")]
    StepFailed {
        project: String,
        what: String,
        command: String,
        status: String,
        tail: String,
    },
    #[error(
        "{name}: DG_RS_INSTALLER=pip, but pip cannot build this project as `uv sync` does: {why}"
    )]
    PipCannotBuild { name: String, why: String },
    #[error(
        "{name}: uv is needed ({why}) and is not on PATH, and there is no cache folder to install it in (HOME is not set)"
    )]
    NoCacheForUv { name: String, why: String },
    #[error("{name}: uv is needed and not on PATH, and no python3 is on PATH to install it with")]
    NoPythonForUv { name: String },
    #[error("{name}: installing uv {version} with pip left no bin/uv in {}", staging.display())]
    UvInstallIncomplete {
        name: String,
        version: &'static str,
        staging: PathBuf,
    },
    /// The host environment's pyproject.toml is not TOML.
    #[error("invalid TOML: {message}")]
    HostToml {
        message: String,
        at: Option<Box<SourcePos>>,
    },
    /// The host's dagster requirement excludes a location's dagster; `file` as shown.
    #[error(
        "{file} requires `{requirement}`, but location `{location}` uses dagster {want}: Dagster's webserver and daemon must be at least as new as every code location"
    )]
    HostTooOld {
        file: String,
        requirement: String,
        location: String,
        want: String,
    },
    #[error(
        "cannot tell which dagster {} needs: no location has an environment or an exact dagster pin",
        super::host::HOST_DIR
    )]
    HostDagsterUnknown { file: String },
    #[error("building {} stopped unexpectedly", super::host::HOST_DIR)]
    HostBuildStopped,
}

impl PythonError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        PythonError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// This error, named by the project it happened in.
    pub(crate) fn in_project(self, project: &str) -> Self {
        PythonError::InProject {
            project: project.to_string(),
            source: Box::new(self),
        }
    }
}
