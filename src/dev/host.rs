//! Which environment runs the webserver and the daemon, and Dagster's version-skew rule on it.
//!
//! The workspace's `deployments/local/.venv` (built by `dg sync`); inside a project of a
//! workspace without one, or in a standalone project, the project's own environment, whose
//! `dev` group carries `dagster-webserver` (that is what real `dg dev` runs in there). The
//! host's dagster must be at least every location's: a host that is older is refused, naming
//! both versions. Versions are read from `*.dist-info` folders; no Python is started.

use super::error::{DevError, Result};
use crate::config::{Project, Workspace};
use crate::python::host::{find_host_project, installed_version};
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
                return Err(DevError::HostMissing {
                    venv: display_path(&d.venv()),
                });
            }
            env_of(settings, python, HostSource::Deployment)?
        }
        (None, [only])
            if installed_version(&only.interpreter.path, "dagster-webserver").is_some() =>
        {
            env_of(settings, only.interpreter.path.clone(), HostSource::Project)?
        }
        (None, _) => {
            return Err(DevError::NoHostProject {
                root: display_path(&ws.root),
            });
        }
    };
    check_skew(settings, &host, projects)?;
    Ok(host)
}

fn env_of(settings: &Settings, python: PathBuf, source: HostSource) -> Result<HostEnv> {
    let shown = settings.display(python.parent().and_then(|b| b.parent()).unwrap_or(&python));
    if installed_version(&python, "dagster-webserver").is_none() {
        return Err(DevError::HostLacks {
            shown,
            package: "dagster-webserver",
        });
    }
    let dagster = installed_version(&python, "dagster").ok_or_else(|| DevError::HostLacks {
        shown: shown.clone(),
        package: "dagster",
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
            Err(DevError::HostTooOld {
                shown,
                host: host.dagster.to_string(),
                location: location.to_string(),
                want: v.to_string(),
                source_of_host: host.source,
            })
        }
        _ => Ok(()),
    }
}
