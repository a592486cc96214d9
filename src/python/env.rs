//! The environment builder behind `dg sync`: for each project, a virtual environment with
//! an interpreter that satisfies the project, the project installed editable with its
//! dependencies (and its `dev` dependency group, as `uv sync` does), bytecode compiled.
//! uv is used when it is on PATH, else `python -m venv` + pip. A stamp inside the venv makes
//! a second run a no-op that starts no installer.

use super::interpreter::{self, PythonRequest};
use super::{PythonError, Result};
use crate::config::{InterpreterSource, Project};
use crate::fs::{self, LockedFile};
use crate::process::{Cmd, tail_lines};
use crate::settings::{InstallerChoice, Settings};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Bump when the way environments are built changes, so existing stamps are redone.
const BUILDER_VERSION: &str = "1";
const STAMP_FILE: &str = ".dg-rs-sync.json";
pub(crate) const INSTALL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// `--python`: overrides `[tool.dg-rs] python` and requires-python for this run.
    pub python: Option<String>,
    /// Rebuild even when the stamp says the environment is up to date.
    pub force: bool,
    /// Skip the `dev` dependency group.
    pub no_dev: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncAction {
    UpToDate,
    Created,
    Updated,
    Recreated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Installer {
    Uv,
    Pip,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub project: String,
    pub venv: PathBuf,
    pub interpreter: PathBuf,
    pub python_version: Option<String>,
    pub action: SyncAction,
    /// Why this interpreter (empty when nothing was built).
    pub reason: String,
    pub installer: Option<Installer>,
    pub seconds: f64,
}

#[derive(Serialize, Deserialize, PartialEq)]
struct Stamp {
    key: String,
    python_version: String,
}

/// Told what each project's build is doing (render shows it live on a terminal).
pub(crate) trait SyncProgress: Sync {
    /// A project's build moved on to a new step ("creating the virtual environment").
    fn step(&self, project: &str, what: &str);
    /// A line the installer printed.
    fn output(&self, project: &str, line: &str);
    /// The project is done (built, up to date, or failed).
    fn done(&self, project: &str);
}

/// Which installer to use: `DG_RS_INSTALLER=pip|uv` forces one; else uv when on PATH.
pub fn installer(settings: &Settings) -> (Installer, Option<PathBuf>) {
    match settings.installer {
        InstallerChoice::Pip => (Installer::Pip, None),
        InstallerChoice::Uv => (Installer::Uv, find_in_path(settings, "uv")),
        InstallerChoice::Auto => match find_in_path(settings, "uv") {
            Some(uv) => (Installer::Uv, Some(uv)),
            None => (Installer::Pip, None),
        },
    }
}

/// A program on the settings' PATH.
pub fn find_in_path(settings: &Settings, name: &str) -> Option<PathBuf> {
    which::which_in(name, settings.path.as_ref(), &settings.cwd).ok()
}

/// The venv folder a project's interpreter lives in.
pub fn venv_dir(project: &Project) -> Result<PathBuf> {
    match project.interpreter.source {
        InterpreterSource::Venv => Ok(project.venv_dir()),
        InterpreterSource::Dotenv => {
            let py = &project.interpreter.path;
            let bin = py
                .parent()
                .filter(|b| b.file_name().is_some_and(|n| n == "bin"));
            match bin.and_then(Path::parent) {
                Some(venv) if !py.exists() || venv.join("pyvenv.cfg").is_file() => {
                    Ok(venv.to_path_buf())
                }
                _ => Err(PythonError::NotAVenv {
                    project: project.name.clone(),
                    python: py.clone(),
                }),
            }
        }
    }
}

/// What decides whether an environment is up to date: the project's requirements and the
/// interpreter it asks for.
fn stamp_key(project: &Project, request: &PythonRequest, opts: &SyncOptions) -> String {
    let mut h = blake3::Hasher::new();
    h.update(BUILDER_VERSION.as_bytes());
    for name in [
        "pyproject.toml",
        "uv.lock",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
    ] {
        h.update(name.as_bytes());
        if let Ok(bytes) = std::fs::read(project.root.join(name)) {
            h.update(&bytes);
        }
    }
    for file in project.uv.iter().flat_map(super::uv::inputs) {
        h.update(file.as_os_str().as_encoded_bytes());
        if let Ok(bytes) = std::fs::read(&file) {
            h.update(&bytes);
        }
    }
    h.update(request.describe().as_bytes());
    h.update(&[opts.no_dev as u8]);
    h.finalize().to_hex().to_string()
}

/// The Python version a venv was made with, from its `pyvenv.cfg` (no Python start).
pub fn venv_python_version(venv: &Path) -> Option<String> {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).ok()?;
    cfg.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        matches!(k.trim(), "version" | "version_info").then(|| {
            // uv writes version_info = 3.12.1.final.0
            v.trim().split('.').take(3).collect::<Vec<_>>().join(".")
        })
    })
}

/// Creates or updates one project's environment.
pub(crate) fn sync_project(
    settings: &Settings,
    project: &Project,
    opts: &SyncOptions,
    progress: &dyn SyncProgress,
) -> Result<SyncReport> {
    let venv = venv_dir(project)?;
    // Two `dg sync` runs on one project wait for each other instead of building the same venv
    // at once. The lock is held on the folder that holds the venv, so no lock file is left in
    // the user's project.
    let _lock = LockedFile::acquire_dir(venv.parent().unwrap_or(&project.root))?;
    let request = PythonRequest::from_project(
        opts.python.as_deref().or(project.python_request.as_deref()),
        project.requires_python.as_deref(),
    );
    let key = stamp_key(project, &request, opts);
    let venv_for_uv = venv.clone();
    build_env(
        settings,
        EnvBuild {
            name: &project.name,
            venv,
            request,
            requires_python: project.requires_python.as_deref(),
            key,
            kept_because: "the existing environment's Python still satisfies the project",
            installing: "installing the project and its dependencies",
            needs_uv: super::uv::needed_by(project),
            install: &|base, uv| {
                // A lock is honoured with `uv sync` itself; without one (sources only),
                // `uv pip install` reads [tool.uv.sources] as uv sync does.
                if let (Some(uv), Some(locked)) = (uv, &project.uv)
                    && locked.lock.is_some()
                {
                    return super::uv::sync_cmd(uv, project, locked, &venv_for_uv, opts.no_dev);
                }
                let install = base
                    .arg("-e")
                    .arg(&project.root)
                    .cwd(&project.root)
                    .timeout(INSTALL_TIMEOUT);
                if opts.no_dev {
                    install
                } else {
                    install.args(project.dev_dependencies.iter())
                }
            },
            install_what: "install the project and its dependencies".to_string(),
            recreate_on_force: false,
        },
        opts,
        progress,
    )
}

/// One environment build as every `dg sync` target does it (a project's, the host's): up to
/// date when its stamp holds the build's key (no installer starts); else the existing venv
/// is kept when its Python still fits, or made anew from the chosen interpreter; then the
/// install step, then the stamp.
pub(crate) struct EnvBuild<'a> {
    /// Shown in progress and errors (`data-engineering`, `deployments/local`).
    pub(crate) name: &'a str,
    pub(crate) venv: PathBuf,
    pub(crate) request: PythonRequest,
    pub(crate) requires_python: Option<&'a str>,
    /// A hash of everything the build depends on.
    pub(crate) key: String,
    /// The report's reason when the existing venv is kept.
    pub(crate) kept_because: &'a str,
    /// The progress line of the install step.
    pub(crate) installing: &'a str,
    /// Why only uv can build this environment (a lock, uv sources), when so.
    pub(crate) needs_uv: Option<String>,
    /// The install command, from the installer's base command for this venv and uv (when
    /// it is the installer).
    pub(crate) install: &'a dyn Fn(Cmd, Option<&Path>) -> Cmd,
    /// What the install step does, for its error.
    pub(crate) install_what: String,
    /// `--force` makes the venv anew even when its Python fits (the host: nothing in it is
    /// the user's); otherwise `--force` reinstalls into the venv that is there (a project's
    /// venv may hold what its user added).
    pub(crate) recreate_on_force: bool,
}

pub(crate) fn build_env(
    settings: &Settings,
    b: EnvBuild,
    opts: &SyncOptions,
    progress: &dyn SyncProgress,
) -> Result<SyncReport> {
    let start = Instant::now();
    let python = b.venv.join("bin").join("python");
    let stamp_path = b.venv.join(STAMP_FILE);
    let existing_version = venv_python_version(&b.venv);
    let stamp: Option<Stamp> = std::fs::read(&stamp_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if !opts.force
        && python.exists()
        && let Some(stamp) = &stamp
        && stamp.key == b.key
    {
        return Ok(SyncReport {
            project: b.name.to_string(),
            venv: b.venv,
            interpreter: python,
            python_version: Some(stamp.python_version.clone()),
            action: SyncAction::UpToDate,
            reason: String::new(),
            installer: None,
            seconds: start.elapsed().as_secs_f64(),
        });
    }

    let keep = keeps_venv(&b, opts, &python, existing_version.as_deref());
    let (installer, uv) = match &b.needs_uv {
        Some(why) => (
            Installer::Uv,
            Some(super::uv::locate(settings, b.name, why, progress)?),
        ),
        None => installer(settings),
    };
    let (action, reason, version) = if keep {
        (
            SyncAction::Updated,
            b.kept_because.to_string(),
            existing_version.clone().unwrap_or_default(),
        )
    } else {
        make_venv(settings, &b, installer, uv.as_deref(), progress)?
    };
    install_into(&b, installer, uv.as_deref(), &python, progress)?;

    let stamp = Stamp {
        key: b.key,
        python_version: version.clone(),
    };
    fs::write_atomic(
        &stamp_path,
        &serde_json::to_vec(&stamp).expect("stamps serialize"),
    )?;
    Ok(SyncReport {
        project: b.name.to_string(),
        venv: b.venv,
        interpreter: python,
        python_version: Some(version),
        action,
        reason,
        installer: Some(installer),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Keep an existing venv only if its Python still satisfies the request.
fn keeps_venv(
    b: &EnvBuild,
    opts: &SyncOptions,
    python: &Path,
    existing_version: Option<&str>,
) -> bool {
    !(opts.force && b.recreate_on_force)
        && python.exists()
        && existing_version
            .and_then(|v| pep440_rs::Version::from_str(v).ok())
            .map(|v| {
                b.request.matches(&v).unwrap_or(false)
                    && b.requires_python.is_none_or(|r| {
                        interpreter::parse_specifiers(r).is_ok_and(|s| s.contains(&v))
                    })
            })
            .unwrap_or(false)
}

/// Makes the venv anew (removing the one there) from the chosen interpreter; returns the
/// action, the report's reason and the Python version.
fn make_venv(
    settings: &Settings,
    b: &EnvBuild,
    installer: Installer,
    uv: Option<&Path>,
    progress: &dyn SyncProgress,
) -> Result<(SyncAction, String, String)> {
    let venv = &b.venv;
    let (base, why) = interpreter::choose(&settings.python_search, &b.request, b.requires_python)
        .map_err(|e| e.in_project(b.name))?;
    let action = if venv.exists() {
        std::fs::remove_dir_all(venv).map_err(|e| PythonError::io("remove", venv, e))?;
        SyncAction::Recreated
    } else {
        SyncAction::Created
    };
    let create = create_venv_cmd(installer, uv, &base.path, venv);
    progress.step(
        b.name,
        &format!("creating the virtual environment (Python {})", base.version),
    );
    run_step(b.name, "create the virtual environment", &create, progress)?;
    Ok((
        action,
        format!("Python {}: {why}", base.version),
        base.version.to_string(),
    ))
}

/// The build's install step into the venv of `python`.
fn install_into(
    b: &EnvBuild,
    installer: Installer,
    uv: Option<&Path>,
    python: &Path,
    progress: &dyn SyncProgress,
) -> Result<()> {
    let install = (b.install)(install_cmd(installer, uv, python, &b.venv), uv);
    progress.step(b.name, b.installing);
    let installed = run_step(b.name, &b.install_what, &install, progress);
    if b.needs_uv.is_some() {
        installed.map_err(super::uv::explain)?;
    } else {
        installed?;
    }
    Ok(())
}

/// The command that creates a venv at `venv` from the interpreter `base`.
pub(crate) fn create_venv_cmd(
    installer: Installer,
    uv: Option<&Path>,
    base: &Path,
    venv: &Path,
) -> Cmd {
    match (installer, uv) {
        (Installer::Uv, Some(uv)) => Cmd::new(uv).arg("venv").arg("--python").arg(base).arg(venv),
        _ => Cmd::new(base).args(["-m", "venv"]).arg(venv),
    }
}

/// `pip install` into the venv of `python` (uv's when installed), bytecode compiled; the
/// packages to install are appended by the caller.
pub(crate) fn install_cmd(
    installer: Installer,
    uv: Option<&Path>,
    python: &Path,
    venv: &Path,
) -> Cmd {
    let cmd = match (installer, uv) {
        (Installer::Uv, Some(uv)) => Cmd::new(uv)
            .args(["pip", "install", "--compile-bytecode", "--python"])
            .arg(python),
        _ => Cmd::new(python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ]),
    };
    cmd.env("VIRTUAL_ENV", venv)
        // This machine's PYTHONDONTWRITEBYTECODE would leave every import uncompiled.
        .env("PYTHONDONTWRITEBYTECODE", "")
}

/// `uv sync ARGS` in `dir` (what real create-dagster runs after scaffolding).
pub(crate) fn uv_sync(
    uv: Option<&Path>,
    dir: &Path,
    args: &[&str],
    progress: &dyn SyncProgress,
) -> Result<()> {
    let uv = uv.ok_or(PythonError::UvNotInstalled)?;
    let cmd = Cmd::new(uv)
        .arg("sync")
        .args(args)
        .cwd(dir)
        .timeout(INSTALL_TIMEOUT);
    let name = dir.display().to_string();
    run_step(&name, "run `uv sync`", &cmd, progress)
}

pub(crate) fn run_step(
    project: &str,
    what: &str,
    cmd: &Cmd,
    progress: &dyn SyncProgress,
) -> Result<()> {
    let out = cmd.output_lines(&|line| progress.output(project, line))?;
    if out.interrupted {
        return Err(PythonError::Interrupted);
    }
    if out.success() {
        return Ok(());
    }
    let status = if out.timed_out {
        "timed out".to_string()
    } else {
        format!("exited with {:?}", out.code)
    };
    let tail = tail_lines(&format!("{}\n{}", out.stdout, out.stderr), 15);
    Err(PythonError::StepFailed {
        project: project.to_string(),
        what: what.to_string(),
        command: cmd.describe(),
        status,
        tail,
    })
}

/// Builds the environments of `projects`, several at once but never more than there are
/// cores (100 locations do not mean 100 installers at once); results in the given order.
pub(crate) fn sync_all(
    settings: &Settings,
    projects: &[&Project],
    opts: &SyncOptions,
    progress: &dyn SyncProgress,
) -> Vec<Result<SyncReport>> {
    crate::parallel::parallel_map(projects.len(), |i| {
        let p = projects[i];
        progress.step(&p.name, "checking");
        let r = sync_project(settings, p, opts, progress);
        progress.done(&p.name);
        r
    })
}
