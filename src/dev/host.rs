//! Which environment runs the webserver and the daemon, and Dagster's version-skew rule on it.
//!
//! The workspace's `deployments/local/.venv` (built by `dg sync`); inside a project of a
//! workspace without one, or in a standalone project, the project's own environment, whose
//! `dev` group carries `dagster-webserver` (that is what real `dg dev` runs in there). The
//! host's dagster must be at least every location's: a host that is older is refused, naming
//! both versions. Versions are read from `*.dist-info` folders; no Python is started.

use crate::config::{Project, Workspace};
use crate::error::{Error, Result};
use crate::python::host::{HOST_DIR, find_host_project, installed_version};
use crate::settings::Settings;
use pep440_rs::Version;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSource {
    /// `<workspace>/deployments/local/.venv`.
    Deployment,
    /// The one served project's own environment.
    Project,
}

#[derive(Debug, Clone)]
pub struct HostEnv {
    pub python: PathBuf,
    pub dagster: Version,
    pub source: HostSource,
}

/// The host environment for serving `projects` of `ws`, checked against their versions.
pub fn resolve_host(settings: &Settings, ws: &Workspace, projects: &[&Project]) -> Result<HostEnv> {
    let display_path = |p: &std::path::Path| settings.display(p);
    let deployment = find_host_project(ws)?;
    let host = match (&deployment, projects) {
        (Some(d), _) => {
            let python = d.python();
            if !python.is_file() {
                return Err(Error::usage(format!(
                    "the host environment {} does not exist yet: dg dev runs Dagster's webserver and daemon from it",
                    display_path(&d.venv())
                ))
                .with_hint("run `dg sync` at the workspace root: it builds every project's environment and deployments/local"));
            }
            env_of(settings, python, HostSource::Deployment)?
        }
        (None, [only])
            if installed_version(&only.interpreter.path, "dagster-webserver").is_some() =>
        {
            env_of(settings, only.interpreter.path.clone(), HostSource::Project)?
        }
        (None, _) => {
            return Err(Error::usage(format!(
                "{} has no {HOST_DIR}/pyproject.toml: dg dev runs Dagster's webserver and daemon from that environment",
                display_path(&ws.root)
            ))
            .with_hint(format!(
                "create {HOST_DIR}/pyproject.toml as create-dagster does ([project] name = \"workspace_local\", dependencies = [\"dagster\", \"dagster-webserver\", \"dagster-dg-cli\"], and [tool.dg] directory_type = \"deployment\"), then run `dg sync` at the workspace root"
            )));
        }
    };
    check_skew(settings, &host, projects)?;
    Ok(host)
}

fn env_of(settings: &Settings, python: PathBuf, source: HostSource) -> Result<HostEnv> {
    let shown = settings.display(python.parent().and_then(|b| b.parent()).unwrap_or(&python));
    if installed_version(&python, "dagster-webserver").is_none() {
        return Err(Error::usage(format!(
            "the host environment {shown} has no dagster-webserver installed"
        ))
        .with_hint("run `dg sync` at the workspace root"));
    }
    let dagster = installed_version(&python, "dagster").ok_or_else(|| {
        Error::usage(format!(
            "the host environment {shown} has no dagster installed"
        ))
        .with_hint("run `dg sync` at the workspace root")
    })?;
    Ok(HostEnv {
        python,
        dagster,
        source,
    })
}

/// The host must be at least as new as every location (Dagster's guidance for host processes).
pub fn check_skew(settings: &Settings, host: &HostEnv, projects: &[&Project]) -> Result<()> {
    let newest = projects
        .iter()
        .filter_map(|p| {
            installed_version(&p.interpreter.path, "dagster")
                .map(|v| (p.code_location_name.as_str(), v))
        })
        .max_by(|a, b| a.1.cmp(&b.1));
    match newest {
        Some((location, v)) if v > host.dagster => {
            let shown = settings.display(
                host.python
                    .parent()
                    .and_then(|b| b.parent())
                    .unwrap_or(&host.python),
            );
            Err(Error::usage(format!(
                "the host environment {shown} has dagster {}, older than location `{location}`'s dagster {v}: Dagster's webserver and daemon must be at least as new as every code location",
                host.dagster
            ))
            .with_hint(match host.source {
                HostSource::Deployment => format!("run `dg sync` at the workspace root: it installs dagster {v} in {HOST_DIR}"),
                HostSource::Project => format!("create {HOST_DIR} with dagster {v} at the workspace root and run `dg sync` there"),
            }))
        }
        _ => Ok(()),
    }
}
