//! `dg deploy`: the production topology of the workspace on Dagster's own engine, generated
//! from the workspace model. One gRPC code server and one image per location (its own
//! Python and Dagster), one webserver and one daemon on a host image whose Dagster is at least
//! every location's, Postgres for the instance; as Docker Compose files for one machine, or
//! values for the official Helm chart.
//!
//! [`generate`] is a pure function of the workspace: the same input gives the same bytes.
//! [`sync`] compares those files with the disk and writes them, never overwriting a file that
//! was edited by hand unless forced (every generated file carries a checksum of its own
//! content in its header, so a hand edit is recognisable without any state beside it).

mod artifacts;
pub(crate) mod model;
mod names;
pub(crate) mod stamp;
mod sync;

pub(crate) use artifacts::POSTGRES_SECRET;
pub(crate) use model::{DEFAULT_BASE_PORT, Topology};
pub(crate) use sync::{Change, FileState, SyncOutcome, plan, write};

use crate::config::Workspace;
use crate::error::SourcePos;
use std::path::{Path, PathBuf};

/// What to deploy to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Docker Compose on one machine (DockerRunLauncher).
    Compose,
    /// The official Helm chart on Kubernetes (K8sRunLauncher).
    Helm,
}

impl Target {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Target::Compose => "compose",
            Target::Helm => "helm",
        }
    }

    /// `deployments/compose`, `deployments/helm` (relative to the workspace root).
    pub(crate) fn default_output(self) -> PathBuf {
        Path::new("deployments").join(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DeployOptions {
    pub(crate) target: Target,
    /// Absolute folder for the target's files (Dockerfiles always go into the projects).
    pub(crate) output: PathBuf,
    /// Image registry prefix (`ghcr.io/acme`); images are `[REGISTRY/]LOCATION:TAG`.
    pub(crate) registry: Option<String>,
    pub(crate) tag: String,
    /// The first location's gRPC port; the next ones count up in workspace order.
    pub(crate) base_port: u16,
    /// Helm: an external PostgreSQL host (else the chart's own PostgreSQL).
    pub(crate) postgres_host: Option<String>,
    /// Compose: put dg-rs's authorizing proxy in front of the webserver (the workspace's
    /// `[access]` policy), the webserver on loopback behind it.
    pub(crate) access: bool,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Artifact {
    /// Absolute path.
    pub(crate) path: PathBuf,
    /// The complete file, header included.
    pub(crate) contents: String,
    pub(crate) executable: bool,
}

/// Where a location's secrets come from in the generated topology (shown to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretReference {
    pub(crate) location: String,
    /// The project's `.env` (which need not exist).
    pub(crate) dotenv: PathBuf,
    /// `env_file` (compose) or the Kubernetes Secret name (helm).
    pub(crate) reference: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Generated {
    pub(crate) topology: Topology,
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) secrets: Vec<SecretReference>,
    /// Image of each location, in workspace order.
    pub(crate) images: Vec<(String, String)>,
    /// Compose with the access proxy in front of the webserver.
    pub(crate) access_proxy: bool,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DeployError {
    #[error("the workspace has no projects to deploy")]
    NoProjects(PathBuf),
    #[error(
        "location `{location}` does not pin an exact Dagster version{}",
        found.as_ref().map(|f| format!(" (found `{f}`)")).unwrap_or_default()
    )]
    NotPinned {
        location: String,
        at: Option<Box<SourcePos>>,
        found: Option<String>,
    },
    #[error("location `{location}`: {} does not lock `dagster`", lock.display())]
    NotLocked { location: String, lock: PathBuf },
    #[error(
        "Dagster {version} of {location} has no matching integration libraries (dagster-postgres etc.)"
    )]
    UnsupportedVersion { location: String, version: String },
    #[error("cannot tell which Python location `{location}` runs on{}", requires.as_ref().map(|r| format!(" (requires-python `{r}` allows several)")).unwrap_or_default())]
    PythonUnknown {
        location: String,
        file: PathBuf,
        requires: Option<String>,
    },
    #[error("the working directory of location `{location}` ({}) is outside its project", dir.display())]
    WorkingDirOutside { location: String, dir: PathBuf },
    #[error("the host pins dagster {host}, older than location `{location}` ({version})")]
    HostTooOld {
        file: PathBuf,
        host: String,
        location: String,
        version: String,
    },
    #[error("gRPC ports {base}.. do not fit {count} locations")]
    Port { base: u16, count: usize },
    #[error("location name `{name}` is not a valid Kubernetes name")]
    NotDns1035 {
        name: String,
        suggestion: String,
        project: PathBuf,
        at: Option<Box<SourcePos>>,
    },
    #[error("location name `{name}` cannot be a Docker Compose service name")]
    NotServiceName { name: String, project: PathBuf },
    #[error("location name `{name}` is also the name of a service dg deploy adds")]
    ReservedName { name: String, project: PathBuf },
    #[error("`{value}` is not a valid {what}")]
    BadOption { what: &'static str, value: String },
    #[error("could not {action} {}: {message}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error(transparent)]
    Fs(#[from] crate::fs::FsError),
    #[error(transparent)]
    Access(Box<crate::access::AccessError>),
    #[error("could not render {name}: {message}")]
    Template { name: String, message: String },
}

/// Every file of the target, generated from the workspace.
pub(crate) fn generate(ws: &Workspace, opts: &DeployOptions) -> Result<Generated, DeployError> {
    names::check_options(opts)?;
    let topology = model::topology(ws, opts.base_port)?;
    for (loc, project) in topology.locations.iter().zip(&ws.projects) {
        match opts.target {
            Target::Helm => names::check_dns1035(&loc.name, project)?,
            Target::Compose => names::check_service_name(&loc.name, project)?,
        }
    }
    let access = if opts.access {
        Some(access_mounts(ws)?)
    } else {
        None
    };
    artifacts::render(ws, &topology, opts, access.as_deref())
}

/// The files the access proxy reads, which its container gets (read-only, at the same
/// place under the workspace's mount) and nothing else: the workspace file, `dg-rs.toml`,
/// every project's config file (location names, `[tool.dg-rs.access]`) and the tokens file.
/// No `.env`, no code.
fn access_mounts(ws: &Workspace) -> Result<Vec<PathBuf>, DeployError> {
    let policy = crate::access::load(ws).map_err(|e| DeployError::Access(Box::new(e)))?;
    let Some(roles) = policy.roles else {
        return Err(DeployError::Access(Box::new(
            crate::access::AccessError::NoPolicy {
                file: ws.root.join("dg-rs.toml"),
            },
        )));
    };
    let mut files = vec![ws.config_file.clone(), roles.file.clone()];
    files.extend(ws.projects.iter().map(|p| p.config_file.clone()));
    files.extend(roles.proxy.tokens_file.clone());
    files.sort();
    files.dedup();
    Ok(files)
}
