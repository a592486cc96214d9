//! uv for the projects pip cannot build as `uv sync` does (a `uv.lock`, `[tool.uv.sources]`,
//! a uv workspace; see `config::uv`). uv on PATH is used; else dg-rs installs one pinned
//! release of it from the package index, once per user, into its cache folder
//! (`~/.cache/dg-rs/uv-<version>/bin/uv`): the only way to honour a lock file on a machine
//! without uv, and an install the user asked for by running `dg sync`.

use super::env::{INSTALL_TIMEOUT, SyncProgress, find_in_path, run_step};
use super::{PythonError, Result};
use crate::config::Project;
use crate::config::uv::UvProject;
use crate::fs::LockedFile;
use crate::process::Cmd;
use crate::settings::{InstallerChoice, Settings};
use std::path::{Path, PathBuf};

/// The uv release dg-rs installs when there is none on PATH.
pub(crate) const UV_VERSION: &str = "0.13.9";

/// Why `project` needs uv, when it does.
pub(crate) fn needed_by(project: &Project) -> Option<String> {
    let uv = project.uv.as_ref()?;
    Some(match &uv.lock {
        Some(lock) if uv.in_uv_workspace(&project.root) => {
            format!(
                "it is a member of the uv workspace locked by {}",
                lock.display()
            )
        }
        Some(_) => "it is locked by uv.lock".to_string(),
        None => "its pyproject.toml has [tool.uv.sources]".to_string(),
    })
}

/// The uv to build `name` with: on PATH, else the one installed in the user's cache (made
/// the first time). `why` says why pip would not do.
pub(crate) fn locate(
    settings: &Settings,
    name: &str,
    why: &str,
    progress: &dyn SyncProgress,
) -> Result<PathBuf> {
    if settings.installer == InstallerChoice::Pip {
        return Err(PythonError::PipCannotBuild {
            name: name.to_string(),
            why: why.to_string(),
        });
    }
    if let Some(uv) = find_in_path(settings, "uv") {
        return Ok(uv);
    }
    let Some(cache) = &settings.user_cache_dir else {
        return Err(PythonError::NoCacheForUv {
            name: name.to_string(),
            why: why.to_string(),
        });
    };
    install(settings, cache, name, progress)
}

/// `<cache>/uv-<version>/bin/uv`, installed with pip into a folder of its own the first
/// time; concurrent builds wait for one install.
fn install(
    settings: &Settings,
    cache: &Path,
    name: &str,
    progress: &dyn SyncProgress,
) -> Result<PathBuf> {
    let dir = cache.join(format!("uv-{UV_VERSION}"));
    let uv = dir.join("bin").join("uv");
    if uv.is_file() {
        return Ok(uv);
    }
    let _lock = LockedFile::acquire_dir(cache)?;
    if uv.is_file() {
        return Ok(uv);
    }
    let python = find_in_path(settings, "python3")
        .or_else(|| find_in_path(settings, "python"))
        .ok_or_else(|| PythonError::NoPythonForUv {
            name: name.to_string(),
        })?;
    let staging = tempfile::Builder::new()
        .prefix(".uv-install-")
        .tempdir_in(cache)
        .map_err(|e| PythonError::io("create a folder in", cache, e))?;
    progress.step(
        name,
        &format!(
            "installing uv {UV_VERSION} (not on PATH) into {}",
            dir.display()
        ),
    );
    let cmd = Cmd::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .args(["--progress-bar", "off", "--no-deps", "--target"])
        .arg(staging.path())
        .arg(format!("uv=={UV_VERSION}"))
        .timeout(INSTALL_TIMEOUT);
    run_step(name, &format!("install uv {UV_VERSION}"), &cmd, progress)?;
    if !staging.path().join("bin").join("uv").is_file() {
        return Err(PythonError::UvInstallIncomplete {
            name: name.to_string(),
            version: UV_VERSION,
            staging: staging.path().to_path_buf(),
        });
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &dir).map_err(|e| PythonError::io("move into place", &dir, e))?;
    Ok(uv)
}

/// `uv sync --locked` of `project` into `venv`: exactly the lock's versions, the project
/// editable, its `dev` group unless `no_dev`; never rewrites the lock, and never downloads
/// a Python (the venv's is used).
pub(crate) fn sync_cmd(
    uv: &Path,
    project: &Project,
    locked: &UvProject,
    venv: &Path,
    no_dev: bool,
) -> Cmd {
    let mut cmd = Cmd::new(uv).args(["sync", "--locked", "--compile-bytecode"]);
    if locked.in_uv_workspace(&project.root)
        && let Some(package) = &locked.package
    {
        cmd = cmd.args(["--package", package.as_str()]);
    }
    if no_dev {
        cmd = cmd.arg("--no-dev");
    }
    cmd.arg("--python")
        .arg(venv.join("bin").join("python"))
        .cwd(&locked.root)
        .env("UV_PROJECT_ENVIRONMENT", venv)
        .env("VIRTUAL_ENV", venv)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("PYTHONDONTWRITEBYTECODE", "")
        .timeout(INSTALL_TIMEOUT)
}

/// A failed `uv sync` with the hint that fits: a lock that no longer matches its
/// pyproject.toml is the user's to update (dg sync never rewrites it).
pub(crate) fn explain(e: PythonError) -> PythonError {
    let stale_lock = e
        .to_string()
        .contains("needs to be updated, but `--locked` was provided");
    PythonError::UvSyncFailed {
        stale_lock,
        source: Box::new(e),
    }
}

/// The files whose content decides what `uv sync` installs for the project, beyond its own
/// pyproject.toml: the lock and, in a uv workspace, the root's pyproject.toml.
pub(crate) fn inputs(locked: &UvProject) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = locked.lock.iter().cloned().collect();
    files.push(locked.root.join("pyproject.toml"));
    files
}
