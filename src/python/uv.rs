//! uv for the projects pip cannot build as `uv sync` does (a `uv.lock`, `[tool.uv.sources]`,
//! a uv workspace; see `config::uv`). uv on PATH is used; else dg-rs installs one pinned
//! release of it from the package index, once per user, into its cache folder
//! (`~/.cache/dg-rs/uv-<version>/bin/uv`): the only way to honour a lock file on a machine
//! without uv, and an install the user asked for by running `dg sync`.

use super::env::{INSTALL_TIMEOUT, SyncProgress, find_in_path, run_step};
use crate::config::Project;
use crate::config::uv::UvProject;
use crate::error::{Error, Result};
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
        return Err(Error::usage(format!(
            "{name}: DG_RS_INSTALLER=pip, but pip cannot build this project as `uv sync` does: {why}"
        ))
        .with_hint("unset DG_RS_INSTALLER (dg sync uses uv for it, installing uv when it is not on PATH)"));
    }
    if let Some(uv) = find_in_path(settings, "uv") {
        return Ok(uv);
    }
    let Some(cache) = &settings.user_cache_dir else {
        return Err(Error::usage(format!(
            "{name}: uv is needed ({why}) and is not on PATH, and there is no cache folder to install it in (HOME is not set)"
        ))
        .with_hint("install uv (https://docs.astral.sh/uv/) or set HOME or XDG_CACHE_HOME"));
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
        .ok_or_else(|| {
            Error::usage(format!(
                "{name}: uv is needed and not on PATH, and no python3 is on PATH to install it with"
            ))
            .with_hint("install uv (https://docs.astral.sh/uv/)")
        })?;
    let staging = tempfile::Builder::new()
        .prefix(".uv-install-")
        .tempdir_in(cache)
        .map_err(|e| Error::io("create a folder in", cache, &e))?;
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
        return Err(Error::failed(format!(
            "{name}: installing uv {UV_VERSION} with pip left no bin/uv in {}",
            staging.path().display()
        )));
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &dir).map_err(|e| Error::io("move into place", &dir, &e))?;
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
pub(crate) fn explain(e: Error) -> Error {
    let stale = e.problems.iter().any(|p| {
        p.message
            .contains("needs to be updated, but `--locked` was provided")
    });
    if stale {
        e.with_hint(
            "uv.lock no longer matches pyproject.toml: run `uv lock` where it lives and commit \
             it (dg sync installs exactly what the lock says and never rewrites it)",
        )
    } else {
        e.with_hint(
            "check the project's dependencies, its [tool.uv.sources] and that the package \
             index is reachable",
        )
    }
}

/// The files whose content decides what `uv sync` installs for the project, beyond its own
/// pyproject.toml: the lock and, in a uv workspace, the root's pyproject.toml.
pub(crate) fn inputs(locked: &UvProject) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = locked.lock.iter().cloned().collect();
    files.push(locked.root.join("pyproject.toml"));
    files
}
