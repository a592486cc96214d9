//! The topology a deployment is generated from: one code location per project (its name,
//! module, working directory, Python minor, Dagster version, gRPC port, whether it has a
//! `uv.lock`), and the host (webserver + daemon) whose Dagster is at least every location's.
//! Everything is read from the workspace model and the projects' own files (pyproject, lock
//! file, `.python-version`); nothing runs Python, so the same workspace always gives the same
//! topology on any machine.

use super::DeployError;
use crate::config::{Project, Workspace, requirement_name};
use pep440_rs::Version;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a location's code lives inside its image.
pub(crate) const APP_DIR: &str = "/opt/dagster/app";
/// DAGSTER_HOME inside every image.
pub(crate) const DAGSTER_HOME: &str = "/opt/dagster/dagster_home";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topology {
    pub(crate) locations: Vec<Location>,
    pub(crate) host: Host,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The code location name (also the service / Kubernetes name).
    pub(crate) name: String,
    /// The project folder, absolute.
    pub(crate) project_root: PathBuf,
    /// The project folder relative to the workspace root, with `/` separators.
    pub(crate) project_rel: String,
    /// `data_engineering.definitions`.
    pub(crate) module: String,
    /// Working directory relative to the project (`src`, or `.` for a flat layout).
    pub(crate) working_dir_rel: String,
    /// `3.11`.
    pub(crate) python_minor: String,
    /// `1.12.22`.
    pub(crate) dagster_version: String,
    /// The integration libraries' version that goes with it (`0.28.22`).
    pub(crate) library_version: String,
    pub(crate) port: u16,
    /// The project has a `uv.lock`: dependencies are installed from it.
    pub(crate) uv_lock: bool,
}

impl Location {
    /// The working directory inside the image (`/opt/dagster/app/src`).
    pub(crate) fn image_working_dir(&self) -> String {
        if self.working_dir_rel == "." {
            APP_DIR.to_string()
        } else {
            format!("{APP_DIR}/{}", self.working_dir_rel)
        }
    }

    /// `dagster api grpc` arguments after `-h HOST -p PORT` (what the Helm chart appends).
    pub(crate) fn grpc_args(&self) -> Vec<String> {
        vec![
            "-m".into(),
            self.module.clone(),
            "-d".into(),
            self.image_working_dir(),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    pub(crate) dagster_version: String,
    pub(crate) library_version: String,
    pub(crate) python_minor: String,
}

/// The integration libraries (dagster-postgres, dagster-docker, dagster-k8s) are released
/// with every Dagster release as 0.(minor+16).patch: dagster 1.12.22 ↔ 0.28.22.
pub(crate) fn library_version(dagster: &str) -> Option<String> {
    let v = Version::from_str(dagster).ok()?;
    let r = v.release();
    if r.len() != 3 || r[0] != 1 || v.any_prerelease() || v.is_post() || v.is_dev() {
        return None;
    }
    Some(format!("0.{}.{}", r[1] + 16, r[2]))
}

/// The first gRPC port, then one per location in workspace order.
pub(crate) const DEFAULT_BASE_PORT: u16 = 4000;

pub(crate) fn topology(ws: &Workspace, base_port: u16) -> Result<Topology, DeployError> {
    let mut locations = Vec::new();
    for (i, p) in ws.projects.iter().enumerate() {
        let port = u16::try_from(usize::from(base_port) + i).map_err(|_| DeployError::Port {
            base: base_port,
            count: ws.projects.len(),
        })?;
        locations.push(location(ws, p, port)?);
    }
    if locations.is_empty() {
        return Err(DeployError::NoProjects(ws.config_file.clone()));
    }
    let host_pin = host_pin(&ws.root)?;
    let newest = locations
        .iter()
        .max_by(|a, b| parse(&a.dagster_version).cmp(&parse(&b.dagster_version)))
        .expect("at least one location");
    let (dagster_version, python_minor) = match host_pin {
        Some(pin) if parse(&pin) >= parse(&newest.dagster_version) => {
            (pin, newest.python_minor.clone())
        }
        Some(pin) => {
            return Err(DeployError::HostTooOld {
                file: ws.root.join("deployments/local/pyproject.toml"),
                host: pin,
                location: newest.name.clone(),
                version: newest.dagster_version.clone(),
            });
        }
        None => (newest.dagster_version.clone(), newest.python_minor.clone()),
    };
    let library_version =
        library_version(&dagster_version).ok_or_else(|| DeployError::UnsupportedVersion {
            location: "the host".into(),
            version: dagster_version.clone(),
        })?;
    Ok(Topology {
        locations,
        host: Host {
            dagster_version,
            library_version,
            python_minor,
        },
    })
}

fn parse(v: &str) -> Option<Version> {
    Version::from_str(v).ok()
}

fn location(ws: &Workspace, p: &Project, port: u16) -> Result<Location, DeployError> {
    let dagster_version = dagster_version(p)?;
    let library_version =
        library_version(&dagster_version).ok_or_else(|| DeployError::UnsupportedVersion {
            location: p.code_location_name.clone(),
            version: dagster_version.clone(),
        })?;
    let working_dir_rel = match p.working_directory.strip_prefix(&p.root) {
        Ok(r) => crate::path::slash(r),
        Err(_) => {
            return Err(DeployError::WorkingDirOutside {
                location: p.code_location_name.clone(),
                dir: p.working_directory.clone(),
            });
        }
    };
    let project_rel = match p.root.strip_prefix(&ws.root) {
        Ok(r) => crate::path::slash(r),
        Err(_) => p.listed_path.clone(),
    };
    Ok(Location {
        name: p.code_location_name.clone(),
        project_root: p.root.clone(),
        project_rel,
        module: p.code_location_target_module.clone(),
        working_dir_rel,
        python_minor: python_minor(p)?,
        dagster_version,
        library_version,
        port,
        uv_lock: p.root.join("uv.lock").is_file(),
    })
}

/// The Dagster the image installs: the version `uv.lock` locks, else an exact `dagster==X`
/// pin in `[project] dependencies`. Anything looser would make the image's Dagster a matter
/// of the day it is built.
fn dagster_version(p: &Project) -> Result<String, DeployError> {
    // The project's own lock, or its uv workspace's (`config::uv`).
    if let Some(lock) = p.uv.as_ref().and_then(|u| u.lock.clone())
        && let Ok(text) = std::fs::read_to_string(&lock)
    {
        return locked_version(&text, "dagster").ok_or(DeployError::NotLocked {
            location: p.code_location_name.clone(),
            lock,
        });
    }
    if let Some(v) = p.dagster_requirement.as_deref().and_then(exact_pin) {
        return Ok(v);
    }
    Err(DeployError::NotPinned {
        location: p.code_location_name.clone(),
        at: p.dagster_requirement_at.clone().map(Box::new),
        found: p.dagster_requirement.clone(),
    })
}

/// `dagster==1.12.22` (spaces, extras and markers allowed) → `1.12.22`.
fn exact_pin(req: &str) -> Option<String> {
    use std::str::FromStr;
    let parsed = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req).ok()?;
    let Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) = parsed.version_or_url else {
        return None;
    };
    match spec.iter().collect::<Vec<_>>().as_slice() {
        [one] if *one.operator() == pep440_rs::Operator::Equal => Some(one.version().to_string()),
        _ => None,
    }
}

/// The version of `name` in a uv.lock (`[[package]] name = ... version = ...`).
fn locked_version(text: &str, name: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get("package")?
        .as_array_of_tables()?
        .iter()
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(name))
        .and_then(|p| p.get("version")?.as_str().map(str::to_string))
}

/// The location's Python minor: the one it asks for (`[tool.dg-rs] python` or
/// `.python-version`, read by `config`), else a `requires-python` that allows exactly one
/// minor (`>=3.11,<3.12`).
fn python_minor(p: &Project) -> Result<String, DeployError> {
    if let Some(m) = p.requested_minor() {
        return Ok(m);
    }
    if let Some(m) = p.requires_python.as_deref().and_then(single_minor) {
        return Ok(m);
    }
    Err(DeployError::PythonUnknown {
        location: p.code_location_name.clone(),
        file: p.root.join("pyproject.toml"),
        requires: p.requires_python.clone(),
    })
}

/// The one 3.x minor a requires-python admits, if exactly one (checked 3.6..=3.20).
fn single_minor(spec: &str) -> Option<String> {
    let specs = pep440_rs::VersionSpecifiers::from_str(spec).ok()?;
    let admitted: Vec<u64> = (6..=20u64)
        .filter(|m| {
            // A minor is admitted when some patch of it is (`>=3.11.4` admits 3.11).
            (0..=30u64).any(|patch| {
                let v = Version::new([3, *m, patch]);
                specs.iter().all(|s| s.contains(&v))
            })
        })
        .collect();
    match admitted.as_slice() {
        [m] => Some(format!("3.{m}")),
        _ => None,
    }
}

/// An exact `dagster==X` in `deployments/local/pyproject.toml` (real create-dagster's host
/// environment), which the host images then use.
fn host_pin(root: &Path) -> Result<Option<String>, DeployError> {
    let file = root.join("deployments/local/pyproject.toml");
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(None);
    };
    let doc: toml_edit::DocumentMut = match text.parse() {
        Ok(d) => d,
        Err(_) => return Ok(None),
    };
    let deps = doc
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_array());
    Ok(deps.into_iter().flatten().find_map(|d| {
        let d = d.as_str()?;
        (requirement_name(d) == "dagster")
            .then(|| exact_pin(d))
            .flatten()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_versions_follow_dagster() {
        assert_eq!(library_version("1.12.22").as_deref(), Some("0.28.22"));
        assert_eq!(library_version("1.13.27").as_deref(), Some("0.29.27"));
        assert_eq!(library_version("1.13.0rc1"), None);
        assert_eq!(library_version("2.0"), None);
    }

    #[test]
    fn exact_pins_only() {
        assert_eq!(exact_pin("dagster==1.12.22").as_deref(), Some("1.12.22"));
        assert_eq!(
            exact_pin("dagster == 1.12.22 ; python_version>'3'").as_deref(),
            Some("1.12.22")
        );
        assert_eq!(exact_pin("dagster>=1.12"), None);
        assert_eq!(exact_pin("dagster==1.12.*"), None);
        assert_eq!(exact_pin("dagster"), None);
    }

    #[test]
    fn one_minor_from_requires_python() {
        assert_eq!(single_minor(">=3.11,<3.12").as_deref(), Some("3.11"));
        assert_eq!(single_minor("==3.12.*").as_deref(), Some("3.12"));
        assert_eq!(single_minor(">=3.10,<3.15"), None);
    }

    #[test]
    fn uv_lock_versions() {
        let lock = "version = 1\n[[package]]\nname = \"dagster\"\nversion = \"1.13.27\"\n";
        assert_eq!(locked_version(lock, "dagster").as_deref(), Some("1.13.27"));
        assert_eq!(locked_version(lock, "dagster-postgres"), None);
    }
}
