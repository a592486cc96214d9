//! The environment builder behind `dg sync`: for each project, a virtual environment with
//! an interpreter that satisfies the project, the project installed editable with its
//! dependencies (and its `dev` dependency group, as `uv sync` does), bytecode compiled.
//! uv is used when it is on PATH, else `python -m venv` + pip. A stamp inside the venv makes
//! a second run a no-op that starts no installer.

use super::interpreter::{self, PythonRequest};
use super::process::{Cmd, tail_lines};
use crate::config::{InterpreterSource, Project};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Bump when the way environments are built changes, so existing stamps are redone.
const BUILDER_VERSION: &str = "1";
const STAMP_FILE: &str = ".dg-rs-sync.json";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

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

/// Which installer to use: `DG_RS_INSTALLER=pip|uv` forces one; else uv when on PATH.
pub fn installer() -> (Installer, Option<PathBuf>) {
    match std::env::var("DG_RS_INSTALLER").ok().as_deref() {
        Some("pip") => return (Installer::Pip, None),
        Some("uv") => return (Installer::Uv, find_in_path("uv")),
        _ => {}
    }
    match find_in_path("uv") {
        Some(uv) => (Installer::Uv, Some(uv)),
        None => (Installer::Pip, None),
    }
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
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
                _ => Err(Error::usage(format!(
                    "{}: DG_PROJECT_PYTHON_EXECUTABLE points at {}, which is not inside a virtual environment; dg sync only builds virtual environments",
                    project.name,
                    py.display()
                ))
                .with_hint("point it at <venv>/bin/python, or remove it from the project's .env to use <project>/.venv")),
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
pub fn sync_project(project: &Project, opts: &SyncOptions) -> Result<SyncReport> {
    let start = Instant::now();
    let venv = venv_dir(project)?;
    // Two `dg sync` runs on one project wait for each other instead of building the same venv
    // at once. The lock is held on the folder that holds the venv, so no lock file is left in
    // the user's project.
    let _lock = lock_dir(venv.parent().unwrap_or(&project.root))?;
    let python = venv.join("bin").join("python");
    let request = PythonRequest::from_project(
        opts.python.as_deref().or(project.python_request.as_deref()),
        project.requires_python.as_deref(),
    );
    let key = stamp_key(project, &request, opts);
    let stamp_path = venv.join(STAMP_FILE);
    let existing_version = venv_python_version(&venv);
    let stamp: Option<Stamp> = std::fs::read(&stamp_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if !opts.force
        && python.exists()
        && let Some(stamp) = &stamp
        && stamp.key == key
    {
        return Ok(SyncReport {
            project: project.name.clone(),
            venv,
            interpreter: python,
            python_version: Some(stamp.python_version.clone()),
            action: SyncAction::UpToDate,
            reason: String::new(),
            installer: None,
            seconds: start.elapsed().as_secs_f64(),
        });
    }

    // Keep an existing venv only if its Python still satisfies the project.
    let keep = python.exists()
        && existing_version
            .as_deref()
            .and_then(|v| pep440_rs::Version::from_str(v).ok())
            .map(|v| {
                request.matches(&v).unwrap_or(false)
                    && project.requires_python.as_deref().is_none_or(|r| {
                        interpreter::parse_specifiers(r).is_ok_and(|s| s.contains(&v))
                    })
            })
            .unwrap_or(false);
    let (installer, uv) = installer();
    let (action, reason, version) = if keep {
        (
            SyncAction::Updated,
            "the existing environment's Python still satisfies the project".to_string(),
            existing_version.clone().unwrap_or_default(),
        )
    } else {
        let (base, why) = interpreter::choose(&request, project.requires_python.as_deref())
            .map_err(|e| prefix(e, &project.name))?;
        let action = if venv.exists() {
            std::fs::remove_dir_all(&venv).map_err(|e| Error::io("remove", &venv, &e))?;
            SyncAction::Recreated
        } else {
            SyncAction::Created
        };
        let create = match (&installer, &uv) {
            (Installer::Uv, Some(uv)) => Cmd::new(uv)
                .arg("venv")
                .arg("--python")
                .arg(&base.path)
                .arg(&venv),
            _ => Cmd::new(&base.path).args(["-m", "venv"]).arg(&venv),
        };
        run_step(&project.name, "create the virtual environment", &create)?;
        (
            action,
            format!("Python {}: {why}", base.version),
            base.version.to_string(),
        )
    };

    let mut install = match (&installer, &uv) {
        (Installer::Uv, Some(uv)) => Cmd::new(uv)
            .args(["pip", "install", "--compile-bytecode", "--python"])
            .arg(&python),
        _ => Cmd::new(&python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ]),
    };
    install = install
        .arg("-e")
        .arg(&project.root)
        .cwd(&project.root)
        .env("VIRTUAL_ENV", &venv)
        // This machine's PYTHONDONTWRITEBYTECODE would leave every import uncompiled.
        .env("PYTHONDONTWRITEBYTECODE", "")
        .timeout(INSTALL_TIMEOUT);
    if !opts.no_dev {
        install = install.args(project.dev_dependencies.iter());
    }
    run_step(
        &project.name,
        "install the project and its dependencies",
        &install,
    )?;

    let stamp = Stamp {
        key,
        python_version: version.clone(),
    };
    crate::manifest::cache::write_atomic(
        &stamp_path,
        &serde_json::to_vec(&stamp).unwrap_or_default(),
    )?;
    Ok(SyncReport {
        project: project.name.clone(),
        venv,
        interpreter: python,
        python_version: Some(version),
        action,
        reason,
        installer: Some(installer),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// `uv sync ARGS` in `dir` (what real create-dagster runs after scaffolding).
pub fn uv_sync(uv: Option<&Path>, dir: &Path, args: &[&str]) -> Result<()> {
    let uv = uv.ok_or_else(|| Error::usage("uv is not installed"))?;
    let cmd = Cmd::new(uv)
        .arg("sync")
        .args(args)
        .cwd(dir)
        .timeout(INSTALL_TIMEOUT);
    let name = dir.display().to_string();
    run_step(&name, "run `uv sync`", &cmd)
}

/// An exclusive advisory lock on a directory, released on drop.
struct DirLock(std::fs::File);

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn lock_dir(dir: &Path) -> Result<DirLock> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, &e))?;
    let file = std::fs::File::open(dir).map_err(|e| Error::io("open", dir, &e))?;
    file.lock().map_err(|e| Error::io("lock", dir, &e))?;
    Ok(DirLock(file))
}

fn prefix(mut e: Error, project: &str) -> Error {
    if let Some(p) = e.problems.first_mut() {
        p.message = format!("{project}: {}", p.message);
    }
    e
}

fn run_step(project: &str, what: &str, cmd: &Cmd) -> Result<()> {
    let out = cmd.output()?;
    if out.success() {
        return Ok(());
    }
    let status = if out.timed_out {
        "timed out".to_string()
    } else {
        format!("exited with {:?}", out.code)
    };
    let tail = tail_lines(&format!("{}\n{}", out.stdout, out.stderr), 15);
    Err(Error::failed(format!(
        "{project}: could not {what}: `{}` {status}\n{tail}",
        describe(cmd)
    ))
    .with_hint("check the project's dependencies in pyproject.toml and that the package index is reachable"))
}

fn describe(cmd: &Cmd) -> String {
    std::iter::once(cmd.program.display().to_string())
        .chain(cmd.args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}
