//! Where a project's Python is (its `.env` `DG_PROJECT_PYTHON_EXECUTABLE`, as real dg reads
//! it, else `<project>/.venv`), finding Python interpreters on this machine (PATH, pyenv's
//! versions folder, uv-managed Pythons) and choosing one that satisfies a project's
//! `requires-python` or `[tool.dg-rs] python`.

use super::{PythonError, Result};
use crate::config::{Interpreter, InterpreterSource};
use crate::error::Problem;
use crate::process::Cmd;
use crate::settings::PythonSearch;
use pep440_rs::{Version, VersionSpecifiers};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// An interpreter found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPython {
    pub path: PathBuf,
    pub version: Version,
    /// Where it was found: `pyenv`, `uv`, `PATH`, or `requested path`.
    pub origin: &'static str,
}

/// A project's interpreter: `.env` `DG_PROJECT_PYTHON_EXECUTABLE` (relative to the project
/// root), else `.venv`. The [`crate::config::Resolve`] function discovery is given.
pub(crate) fn resolve_project(dir: &Path) -> std::result::Result<Interpreter, Problem> {
    let vars = crate::config::dotenv::read(&dir.join(".env")).map_err(|e| match e {
        crate::config::DotenvError::InvalidLine { .. } => {
            Problem::new(e.to_string()).hint("each line must be KEY=value")
        }
        other => Problem::new(other.to_string()),
    })?;
    if let Some(value) = vars
        .get("DG_PROJECT_PYTHON_EXECUTABLE")
        .filter(|v| !v.is_empty())
    {
        let p = PathBuf::from(value);
        let path = if p.is_absolute() { p } else { dir.join(p) };
        return Ok(Interpreter {
            path,
            source: InterpreterSource::Dotenv,
        });
    }
    Ok(Interpreter {
        path: dir.join(".venv").join("bin").join("python"),
        source: InterpreterSource::Venv,
    })
}

/// Every interpreter on this machine, newest first, deduplicated by real path.
pub fn find_all(search: &PythonSearch) -> Vec<FoundPython> {
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |path: PathBuf, origin: &'static str, version: Option<Version>| {
        let Ok(real) = std::fs::canonicalize(&path) else {
            return;
        };
        if !seen.insert(real) {
            return;
        }
        if let Some(version) = version.or_else(|| query_version(&path)) {
            found.push(FoundPython {
                path,
                version,
                origin,
            });
        }
    };
    // pyenv: folder names are the versions (3.12.1), no Python start needed.
    if let Some(root) = &search.pyenv_root {
        for dir in read_dir_sorted(&root.join("versions")) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            let version = name.as_deref().and_then(|n| Version::from_str(n).ok());
            let py = dir.join("bin").join("python3");
            if version.is_some() && py.is_file() {
                push(py, "pyenv", version);
            }
        }
    }
    // uv-managed Pythons: ~/.local/share/uv/python/cpython-3.12.7-linux-x86_64-gnu/bin/python3
    if let Some(dir) = &search.uv_python_dir {
        for d in read_dir_sorted(dir) {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned());
            let version = name
                .as_deref()
                .and_then(|n| n.split('-').nth(1))
                .and_then(|v| Version::from_str(v).ok());
            let py = d.join("bin").join("python3");
            if version.is_some() && py.is_file() {
                push(py, "uv", version);
            }
        }
    }
    // PATH: python3.X, python3, python (shims and system Pythons; asked for their version).
    if let Some(path) = &search.path {
        for dir in std::env::split_paths(path) {
            for name in [
                "python3.13",
                "python3.12",
                "python3.11",
                "python3.10",
                "python3",
            ] {
                let p = dir.join(name);
                if p.is_file() {
                    push(p, "PATH", None);
                }
            }
        }
    }
    found.sort_by(|a, b| b.version.cmp(&a.version));
    found
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Asks an interpreter for its version (one short Python start).
pub fn query_version(python: &Path) -> Option<Version> {
    let out = Cmd::new(python)
        .args([
            "-I",
            "-c",
            "import sys; print('.'.join(map(str, sys.version_info[:3])))",
        ])
        .timeout(Duration::from_secs(20))
        .output()
        .ok()?;
    if !out.success() {
        return None;
    }
    Version::from_str(out.stdout.trim()).ok()
}

/// What a project asks of its interpreter.
#[derive(Debug, Clone)]
pub enum PythonRequest {
    /// `[tool.dg-rs] python = "3.12"` or a `--python 3.12` flag: that minor (or exact) version.
    Version(String),
    /// `[tool.dg-rs] python = "/path/to/python"`.
    Path(PathBuf),
    /// `[project] requires-python`.
    Specifiers(String),
    /// Nothing said: the newest interpreter found.
    Any,
}

impl PythonRequest {
    pub fn from_project(explicit: Option<&str>, requires_python: Option<&str>) -> Self {
        match explicit {
            Some(s) if s.contains('/') => PythonRequest::Path(PathBuf::from(s)),
            Some(s) => PythonRequest::Version(s.trim().to_string()),
            None => match requires_python {
                Some(r) => PythonRequest::Specifiers(r.to_string()),
                None => PythonRequest::Any,
            },
        }
    }

    /// Whether `version` satisfies this request (and the project's requires-python).
    pub fn matches(&self, version: &Version) -> Result<bool> {
        Ok(match self {
            PythonRequest::Any | PythonRequest::Path(_) => true,
            PythonRequest::Version(want) => {
                let want = Version::from_str(want).map_err(|e| PythonError::BadVersion {
                    given: want.clone(),
                    reason: e.to_string(),
                })?;
                let n = want.release().len();
                version.release().iter().take(n).eq(want.release().iter())
            }
            PythonRequest::Specifiers(spec) => parse_specifiers(spec)?.contains(version),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            PythonRequest::Version(v) => format!("Python {v}"),
            PythonRequest::Path(p) => p.display().to_string(),
            PythonRequest::Specifiers(s) => format!("requires-python {s}"),
            PythonRequest::Any => "any Python".into(),
        }
    }
}

pub fn parse_specifiers(spec: &str) -> Result<VersionSpecifiers> {
    VersionSpecifiers::from_str(spec).map_err(|e| PythonError::BadRequiresPython {
        spec: spec.to_string(),
        reason: e.to_string(),
    })
}

/// Chooses the newest interpreter satisfying `request` and, when given, `requires_python`.
/// Returns the choice and a sentence saying why, or an error listing what was found.
pub fn choose(
    search: &PythonSearch,
    request: &PythonRequest,
    requires_python: Option<&str>,
) -> Result<(FoundPython, String)> {
    if let PythonRequest::Path(p) = request {
        let version =
            query_version(p).ok_or_else(|| PythonError::NotRunnable { path: p.clone() })?;
        let why = format!("{} was requested by path", p.display());
        return Ok((
            FoundPython {
                path: p.clone(),
                version,
                origin: "requested path",
            },
            why,
        ));
    }
    let extra = match (request, requires_python) {
        (PythonRequest::Specifiers(_), _) | (_, None) => None,
        (_, Some(r)) => Some(parse_specifiers(r)?),
    };
    let all = find_all(search);
    for candidate in &all {
        if request.matches(&candidate.version)?
            && extra
                .as_ref()
                .is_none_or(|s| s.contains(&candidate.version))
        {
            let why = format!(
                "newest interpreter matching {} (found via {})",
                request.describe(),
                candidate.origin
            );
            return Ok((candidate.clone(), why));
        }
    }
    let listing = if all.is_empty() {
        "none".to_string()
    } else {
        all.iter()
            .map(|f| format!("{} ({}, {})", f.version, f.path.display(), f.origin))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(PythonError::NoInterpreter {
        request: request.describe(),
        requires_python: requires_python
            .filter(|_| !matches!(request, PythonRequest::Specifiers(_)))
            .map(str::to_string),
        found: listing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_requests_match_by_prefix() {
        let r = PythonRequest::Version("3.12".into());
        assert!(r.matches(&Version::from_str("3.12.1").unwrap()).unwrap());
        assert!(!r.matches(&Version::from_str("3.13.0").unwrap()).unwrap());
        let s = PythonRequest::Specifiers(">=3.11,<3.12".into());
        assert!(s.matches(&Version::from_str("3.11.7").unwrap()).unwrap());
        assert!(!s.matches(&Version::from_str("3.12.0").unwrap()).unwrap());
    }

    #[test]
    fn bad_specifiers_are_usage_errors() {
        let s = PythonRequest::Specifiers(">=three".into());
        let err = s
            .matches(&Version::from_str("3.11.7").unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("invalid requires-python"));
    }
}
