//! The workspace's host environment: the Python environment that runs Dagster's webserver and
//! daemon for `dg dev`. create-dagster scaffolds it as `deployments/local` (a pyproject with
//! `dagster`, `dagster-webserver` and `dagster-dg-cli`); `dg sync` builds its `.venv`.
//!
//! Dagster's rule for version skew: the host processes must run a Dagster at least as new as
//! the newest Dagster of any code location. So `dg sync` installs the newest location's
//! version (or the pyproject's own exact pin when that is newer still), with the packages
//! released in lockstep with dagster pinned to it, and `dg dev` refuses an older host. Versions
//! are read from the environments' `*.dist-info` folders, so no Python is started to know them.

use super::env::{
    EnvBuild, SyncAction, SyncOptions, SyncProgress, SyncReport, build_env, sync_all,
};
use super::interpreter::PythonRequest;
use super::{PythonError, Result};
use crate::config::{Project, Workspace};
use crate::error::SourcePos;
use crate::fs::LockedFile;
use crate::settings::Settings;
use pep440_rs::Version;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Where create-dagster puts the host environment's project, relative to the workspace root.
pub const HOST_DIR: &str = "deployments/local";
/// Bump when the way the host environment is built changes.
const HOST_BUILDER_VERSION: &str = "1";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Packages Dagster releases with the same version number as `dagster` itself: in the host
/// they must equal its dagster exactly, or the environment cannot be resolved.
const LOCKSTEP: &[&str] = &[
    "dagster",
    "dagster-webserver",
    "dagster-graphql",
    "dagster-dg-cli",
    "dagster-dg-core",
    "dagster-shared",
    "dagster-pipes",
];

/// `deployments/local/pyproject.toml`, read.
#[derive(Debug, Clone)]
pub struct HostProject {
    /// `<workspace>/deployments/local`.
    pub root: PathBuf,
    pub pyproject: PathBuf,
    pub requires_python: Option<String>,
    pub dependencies: Vec<String>,
}

impl HostProject {
    pub fn venv(&self) -> PathBuf {
        self.root.join(".venv")
    }

    pub fn python(&self) -> PathBuf {
        self.venv().join("bin").join("python")
    }

    /// The `dagster` requirement of the pyproject (`dagster==1.13.27`), if any.
    pub fn dagster_requirement(&self) -> Option<&str> {
        self.dependencies
            .iter()
            .find(|d| dist_name(d) == "dagster")
            .map(String::as_str)
    }
}

/// The workspace's host project, or None when it has no `deployments/local/pyproject.toml`.
pub fn find_host_project(ws: &Workspace) -> Result<Option<HostProject>> {
    if ws.standalone {
        return Ok(None);
    }
    let root = ws.root.join(HOST_DIR);
    let pyproject = root.join("pyproject.toml");
    let text = match std::fs::read_to_string(&pyproject) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(PythonError::io("read", &pyproject, e)),
    };
    let doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| PythonError::HostToml {
                message: e.message().to_string(),
                at: e
                    .span()
                    .map(|span| Box::new(SourcePos::from_span(&pyproject, &text, span))),
            })?;
    let project = doc.get("project").and_then(|p| p.as_table_like());
    let requires_python = project
        .and_then(|p| p.get("requires-python"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let dependencies = project
        .and_then(|p| p.get("dependencies"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(HostProject {
        root,
        pyproject,
        requires_python,
        dependencies,
    }))
}

/// The version of distribution `dist` installed in the environment of `python`, read from its
/// `site-packages/<dist>-<version>.dist-info` folder (no Python started). None when the
/// environment is not a venv-like prefix or the distribution is not installed.
pub fn installed_version(python: &Path, dist: &str) -> Option<Version> {
    let prefix = python.parent()?.parent()?;
    let want = dist.to_ascii_lowercase().replace('-', "_");
    for lib in ["lib", "lib64"] {
        let Ok(pythons) = std::fs::read_dir(prefix.join(lib)) else {
            continue;
        };
        for py in pythons.filter_map(|e| e.ok()) {
            let Ok(entries) = std::fs::read_dir(py.path().join("site-packages")) else {
                continue;
            };
            for e in entries.filter_map(|e| e.ok()) {
                let name = e.file_name().to_string_lossy().to_ascii_lowercase();
                let Some(stem) = name.strip_suffix(".dist-info") else {
                    continue;
                };
                if let Some((n, v)) = stem.split_once('-')
                    && n.replace(['-', '.'], "_") == want
                    && let Ok(v) = Version::from_str(v)
                {
                    return Some(v);
                }
            }
        }
    }
    None
}

/// The dagster version a location's environment has (installed), else its exact pin.
pub fn location_dagster_version(python: &Path, requirement: Option<&str>) -> Option<Version> {
    installed_version(python, "dagster").or_else(|| requirement.and_then(exact_pin))
}

/// `dagster==1.13.27` → 1.13.27; anything that is not one exact version → None.
fn exact_pin(req: &str) -> Option<Version> {
    let spec = specifiers(req)?;
    let mut it = spec.iter();
    let first = it.next()?;
    if it.next().is_some() || *first.operator() != pep440_rs::Operator::Equal {
        return None;
    }
    Some(first.version().clone())
}

/// The normalised distribution name of a PEP 508 requirement (`Dagster_Webserver` →
/// `dagster-webserver`).
fn dist_name(req: &str) -> String {
    match pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req) {
        Ok(r) => r.name.to_string(),
        Err(_) => req.trim().to_ascii_lowercase(),
    }
}

/// The version specifiers of a PEP 508 requirement (None for a URL or no version).
fn specifiers(req: &str) -> Option<pep440_rs::VersionSpecifiers> {
    let r = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req).ok()?;
    match r.version_or_url? {
        pep508_rs::VersionOrUrl::VersionSpecifier(s) => Some(s),
        pep508_rs::VersionOrUrl::Url(_) => None,
    }
}

/// The dagster the host must get: the newest location's version, unless the host's pyproject
/// pins an exact version that is newer (kept: the user's choice). A pyproject whose dagster
/// requirement excludes the newest location's version is an error naming both.
pub fn choose_host_dagster(
    settings: &Settings,
    host: &HostProject,
    newest: &(String, Version),
) -> Result<Version> {
    let (location, want) = newest;
    let Some(req) = host.dagster_requirement() else {
        return Ok(want.clone());
    };
    if let Some(pin) = exact_pin(req)
        && pin >= *want
    {
        return Ok(pin);
    }
    match specifiers(req) {
        Some(spec) if !spec.contains(want) => Err(PythonError::HostTooOld {
            file: settings.display(&host.pyproject),
            requirement: req.to_string(),
            location: location.clone(),
            want: want.to_string(),
        }),
        _ => Ok(want.clone()),
    }
}

/// What to install: the pyproject's dependencies with every lockstep package pinned to
/// `dagster`'s version, plus `dagster-webserver` when the pyproject lacks it (`dg dev` needs it).
pub fn host_requirements(host: &HostProject, dagster: &Version) -> Vec<String> {
    let mut out = Vec::new();
    let mut has_webserver = false;
    let mut has_dagster = false;
    for dep in &host.dependencies {
        let name = dist_name(dep);
        has_webserver |= name == "dagster-webserver";
        has_dagster |= name == "dagster";
        if LOCKSTEP.contains(&name.as_str()) {
            // Keep extras (`dagster[pandas]`), replace the version.
            let head = dep.split(';').next().unwrap_or(dep);
            let extras = head
                .find('[')
                .and_then(|i| head[i..].find(']').map(|j| &head[i..=i + j]))
                .unwrap_or("");
            out.push(format!("{name}{extras}=={dagster}"));
        } else {
            out.push(dep.clone());
        }
    }
    if !has_dagster {
        out.insert(0, format!("dagster=={dagster}"));
    }
    if !has_webserver {
        out.push(format!("dagster-webserver=={dagster}"));
    }
    out
}

/// The newest dagster of the workspace's locations (installed, else pinned), with the name
/// of a location that has it.
pub fn newest_location_dagster(ws: &Workspace) -> Option<(String, Version)> {
    ws.projects
        .iter()
        .filter_map(|p| {
            location_dagster_version(&p.interpreter.path, p.dagster_requirement.as_deref())
                .map(|v| (p.code_location_name.clone(), v))
        })
        .max_by(|a, b| a.1.cmp(&b.1))
}

/// `dg sync` at the workspace root: the host environment too, when the workspace has one.
/// None when it has none.
pub fn sync_workspace_host(
    settings: &Settings,
    ws: &Workspace,
    opts: &SyncOptions,
    progress: &dyn SyncProgress,
) -> Result<Option<SyncReport>> {
    let Some(host) = find_host_project(ws)? else {
        return Ok(None);
    };
    let dagster = match newest_location_dagster(ws) {
        Some(newest) => choose_host_dagster(settings, &host, &newest)?,
        None => host
            .dagster_requirement()
            .and_then(exact_pin)
            .ok_or_else(|| PythonError::HostDagsterUnknown {
                file: settings.display(&host.pyproject),
            })?,
    };
    // The options are the projects' (`--python` names a project Python): the host chooses
    // its own interpreter from its requires-python.
    let host_opts = SyncOptions {
        python: None,
        ..opts.clone()
    };
    progress.step(HOST_DIR, "checking");
    let r = sync_host(settings, &host, &dagster, &host_opts, progress).map(Some);
    progress.done(HOST_DIR);
    r
}

/// `dg sync`: the projects' environments, and with `with_host` (the whole workspace) the host
/// environment beside them. The host's dagster follows the projects', so once they are built
/// it is checked again (a no-op unless a project ended up with a newer dagster).
pub(crate) fn sync_with_host(
    settings: &Settings,
    ws: &Workspace,
    projects: &[&Project],
    opts: &SyncOptions,
    progress: &dyn SyncProgress,
    with_host: bool,
) -> Vec<Result<SyncReport>> {
    let (mut results, first) = std::thread::scope(|s| {
        let host = with_host.then(|| s.spawn(|| sync_workspace_host(settings, ws, opts, progress)));
        let results = sync_all(settings, projects, opts, progress);
        (
            results,
            host.map(|h| h.join().unwrap_or(Err(PythonError::HostBuildStopped))),
        )
    });
    let host = match first {
        Some(Ok(Some(report))) => match sync_workspace_host(settings, ws, opts, progress) {
            Ok(Some(again)) if again.action != SyncAction::UpToDate => Some(Ok(again)),
            Err(e) => Some(Err(e)),
            _ => Some(Ok(report)),
        },
        Some(Ok(None)) | None => None,
        Some(Err(e)) => Some(Err(e)),
    };
    results.extend(host);
    results
}

/// Builds or updates `deployments/local/.venv` with `dagster` = `dagster` (see
/// [`choose_host_dagster`]). A second run with nothing changed starts no installer.
pub fn sync_host(
    settings: &Settings,
    host: &HostProject,
    dagster: &Version,
    opts: &SyncOptions,
    progress: &dyn SyncProgress,
) -> Result<SyncReport> {
    let _lock = LockedFile::acquire_dir(&host.root)?;
    let requirements = host_requirements(host, dagster);
    let request =
        PythonRequest::from_project(opts.python.as_deref(), host.requires_python.as_deref());
    let key = {
        let mut h = blake3::Hasher::new();
        h.update(HOST_BUILDER_VERSION.as_bytes());
        for r in &requirements {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        h.update(request.describe().as_bytes());
        h.finalize().to_hex().to_string()
    };
    let mut report = build_env(
        settings,
        EnvBuild {
            name: HOST_DIR,
            venv: host.venv(),
            request,
            requires_python: host.requires_python.as_deref(),
            key,
            kept_because: "the existing environment's Python still satisfies deployments/local",
            installing: &format!("installing dagster {dagster} and its webserver"),
            needs_uv: None,
            install: &|base, _| {
                base.args(requirements.iter())
                    .cwd(&host.root)
                    .timeout(INSTALL_TIMEOUT)
            },
            install_what: format!("install the host environment (dagster {dagster})"),
            recreate_on_force: true,
        },
        opts,
        progress,
    )?;
    if report.action != SyncAction::UpToDate {
        report.reason = format!(
            "{}; dagster {dagster} (the newest location's)",
            report.reason
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(deps: &[&str]) -> HostProject {
        HostProject {
            root: PathBuf::from("/ws/deployments/local"),
            pyproject: PathBuf::from("/ws/deployments/local/pyproject.toml"),
            requires_python: None,
            dependencies: deps.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn settings() -> Settings {
        Settings::for_tests(std::path::Path::new("/ws"))
    }

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    #[test]
    fn the_host_gets_the_newest_locations_dagster_unless_it_pins_a_newer_one() {
        let newest = ("data-science".to_string(), v("1.13.27"));
        let h = host(&["dagster==1.13.27", "dagster-dg-cli", "dagster-webserver"]);
        assert_eq!(
            choose_host_dagster(&settings(), &h, &newest).unwrap(),
            v("1.13.27")
        );
        let h = host(&["dagster>=1.12"]);
        assert_eq!(
            choose_host_dagster(&settings(), &h, &newest).unwrap(),
            v("1.13.27")
        );
        let h = host(&["dagster==1.13.30"]);
        assert_eq!(
            choose_host_dagster(&settings(), &h, &newest).unwrap(),
            v("1.13.30")
        );
        let older = ("data-engineering".to_string(), v("1.12.22"));
        let h = host(&["dagster==1.13.27"]);
        assert_eq!(
            choose_host_dagster(&settings(), &h, &older).unwrap(),
            v("1.13.27")
        );
    }

    #[test]
    fn a_host_pin_older_than_a_location_names_both_versions() {
        let newest = ("data-science".to_string(), v("1.13.27"));
        let err =
            choose_host_dagster(&settings(), &host(&["dagster==1.12.22"]), &newest).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("dagster==1.12.22") && msg.contains("1.13.27"),
            "{msg}"
        );
        assert!(msg.contains("data-science"), "{msg}");
    }

    #[test]
    fn lockstep_packages_are_pinned_and_the_webserver_is_added() {
        let reqs = host_requirements(
            &host(&[
                "dagster[pandas]==1.13.27",
                "dagster-dg-cli",
                "dagster-dbt>=0.20",
            ]),
            &v("1.12.22"),
        );
        assert_eq!(
            reqs,
            [
                "dagster[pandas]==1.12.22",
                "dagster-dg-cli==1.12.22",
                "dagster-dbt>=0.20",
                "dagster-webserver==1.12.22"
            ]
        );
    }

    #[test]
    fn installed_versions_come_from_dist_info_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("lib/python3.12/site-packages");
        std::fs::create_dir_all(site.join("dagster-1.13.27.dist-info")).unwrap();
        std::fs::create_dir_all(site.join("dagster_webserver-1.13.26.dist-info")).unwrap();
        std::fs::create_dir_all(tmp.path().join("bin")).unwrap();
        let py = tmp.path().join("bin/python");
        assert_eq!(installed_version(&py, "dagster"), Some(v("1.13.27")));
        assert_eq!(
            installed_version(&py, "dagster-webserver"),
            Some(v("1.13.26"))
        );
        assert_eq!(installed_version(&py, "dagster-graphql"), None);
        assert_eq!(
            location_dagster_version(
                &tmp.path().join("nope/bin/python"),
                Some("dagster==1.12.22")
            ),
            Some(v("1.12.22"))
        );
    }
}
