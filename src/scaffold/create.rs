//! `create-dagster workspace|project`: decide the target and its names, refuse anything that
//! would overwrite or escape, render the tree, write it, and register a new project in the
//! enclosing workspace (found walking up from the current directory, as real create-dagster
//! does).

use super::error::{Result, ScaffoldError};
use super::register;
use super::render::{PROJECT_PLACEHOLDER, PROJECT_TEMPLATE, Tree, WORKSPACE_TEMPLATE, render_tree};
use crate::config::{ConfigFile, FileKind, read_config_in};
use crate::error::SourcePos;
use crate::fs::{write_atomic, write_new};
use crate::path::normalize;
use minijinja::context;
use pep440_rs::Version;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The Dagster release new projects pin by default: the create-dagster release whose
/// templates we ship, and the newest one whose `dagster-dg-cli` the package index offers.
pub const DEFAULT_DAGSTER_VERSION: &str = "1.13.27";
/// What real create-dagster 1.13 writes when no Python is asked for.
const REAL_REQUIRES_PYTHON: &str = ">=3.10,<3.15";
/// Dev tools real create-dagster adds to a project (unpinned) and to a workspace's
/// `deployments/local` environment.
const DEV_TOOLS: [&str; 2] = ["dagster-dg-cli", "dagster-webserver"];

pub struct ProjectRequest {
    /// The path as typed (relative to `cwd`, or absolute; `.` is the current directory).
    pub path: PathBuf,
    pub cwd: PathBuf,
    /// `--python 3.12`: requires-python is that minor, and `[tool.dg-rs] python` says it.
    pub python: Option<String>,
    /// `--dagster-version X`: pins dagster and the dev tools to X.
    pub dagster_version: Option<String>,
}

pub struct WorkspaceRequest {
    pub path: PathBuf,
    pub cwd: PathBuf,
    /// `--dagster-version X`: pins the `deployments/local` environment to X.
    pub dagster_version: Option<String>,
}

/// What was written.
#[derive(Debug)]
pub struct Created {
    /// Absolute root of the new workspace or project.
    pub root: PathBuf,
    /// The workspace file the project was registered in, and the path it is listed as.
    pub registered: Option<(PathBuf, String)>,
    /// The Python version the project asks for (`--python`), if any.
    pub python: Option<String>,
    pub dagster_version: String,
}

pub fn create_workspace(req: &WorkspaceRequest) -> Result<Created> {
    let target = Target::resolve(&req.path, &req.cwd)?;
    let name = super::names::package_name(&target.folder_name()?, "workspace")?;
    if let Some(existing) = enclosing_workspace(&target.root)? {
        return Err(ScaffoldError::NestedWorkspace {
            target: target.root.clone(),
            workspace: existing
                .path
                .parent()
                .unwrap_or(Path::new("/"))
                .to_path_buf(),
        });
    }
    target.refuse_existing("folder")?;
    let (version, pinned) = dagster_version(req.dagster_version.as_deref())?;
    let mut deps = vec![format!("dagster=={version}")];
    deps.extend(DEV_TOOLS.iter().map(|t| pin(t, &version, pinned)));
    let ctx = context! {
        project_name => &name,
        requires_python => REAL_REQUIRES_PYTHON,
        dependencies => deps,
    };
    let tree = render_tree(
        &WORKSPACE_TEMPLATE,
        "WORKSPACE_NAME_PLACEHOLDER",
        &name,
        &ctx,
        &[],
    )?;
    target.write(&tree)?;
    Ok(Created {
        root: target.root,
        registered: None,
        python: None,
        dagster_version: version,
    })
}

pub fn create_project(req: &ProjectRequest) -> Result<Created> {
    let target = Target::resolve(&req.path, &req.cwd)?;
    let name = super::names::package_name(&target.folder_name()?, "project")?;
    let (version, pinned) = dagster_version(req.dagster_version.as_deref())?;
    let requires_python = match &req.python {
        Some(p) => python_minor_range(p)?,
        None => REAL_REQUIRES_PYTHON.to_string(),
    };
    let cwd =
        std::fs::canonicalize(&req.cwd).map_err(|e| ScaffoldError::io("read", &req.cwd, e))?;
    // The workspace the current directory is in (as real create-dagster decides), else the
    // one the target lies in (real create-dagster would leave such a project unlisted).
    let workspace = match enclosing_workspace(&cwd)? {
        Some(ws) => Some(ws),
        None => enclosing_workspace(&target.root)?,
    };

    // Registration is computed before anything is written, so a refusal leaves no trace.
    let registration = match &workspace {
        None => None,
        Some(file) => Some(registration(file, &target, &name)?),
    };
    target.refuse_existing("file or directory")?;

    let deps = vec![format!("dagster=={version}")];
    let dev: Vec<String> = DEV_TOOLS.iter().map(|t| pin(t, &version, pinned)).collect();
    let ctx = context! {
        project_name => &name,
        project_id => uuid::Uuid::new_v4().to_string(),
        requires_python => requires_python,
        dependencies => deps,
        dev_dependencies => dev,
        python => req.python.as_deref().map(str::trim),
    };
    // Inside a workspace the README and .gitignore belong to the workspace, as in real
    // create-dagster.
    let excludes: &[&str] = if workspace.is_some() {
        &[".gitignore", "README.md"]
    } else {
        &[]
    };
    let tree = render_tree(
        &PROJECT_TEMPLATE,
        PROJECT_PLACEHOLDER,
        &name,
        &ctx,
        excludes,
    )?;
    let files = target.write(&tree)?;
    let registered = match registration {
        None => None,
        Some((file, listed, text)) => {
            if let Err(e) = write_atomic(&file, text.as_bytes()) {
                // Nothing may stay behind: a re-run would be refused for the leftover tree.
                target.undo(&files);
                return Err(ScaffoldError::RegistrationNotWritten { file, source: e });
            }
            Some((file, listed))
        }
    };
    Ok(Created {
        root: target.root,
        registered,
        python: req.python.clone(),
        dagster_version: version,
    })
}

/// The workspace file's new text with the project added, after checking that the project
/// lies inside the workspace and is not listed yet.
fn registration(
    file: &ConfigFile,
    target: &Target,
    package: &str,
) -> Result<(PathBuf, String, String)> {
    let ws_root = file.path.parent().unwrap_or(Path::new("/"));
    let rel = match target.root.strip_prefix(ws_root) {
        Ok(rel) if rel.as_os_str().is_empty() => {
            return Err(ScaffoldError::IsWorkspaceRoot {
                root: target.root.clone(),
            });
        }
        Ok(rel) => rel,
        Err(_) => {
            return Err(ScaffoldError::OutsideWorkspace {
                root: target.root.clone(),
                workspace: ws_root.to_path_buf(),
            });
        }
    };
    let listed = crate::path::slash(rel);
    let nested = file.kind == FileKind::Pyproject;
    let mut doc: toml_edit::DocumentMut =
        file.text
            .parse()
            .map_err(|e: toml_edit::TomlError| ScaffoldError::WorkspaceToml {
                file: file.path.clone(),
                message: e.message().to_string(),
            })?;
    for existing in register::listed_paths(&doc, nested) {
        if normalize(Path::new(&existing)) == normalize(rel) {
            let needle = format!("\"{existing}\"");
            let at = file
                .text
                .find(&needle)
                .map(|i| SourcePos::from_span(&file.path, &file.text, i..i + needle.len()))
                .unwrap_or_else(|| SourcePos::start_of(&file.path, &file.text));
            return Err(ScaffoldError::AlreadyListed {
                listed: existing,
                at: Box::new(at),
            });
        }
    }
    refuse_collisions(ws_root, target, package)?;
    register::add_project(&mut doc, nested, &listed).map_err(|message| {
        ScaffoldError::CannotRegister {
            file: file.path.clone(),
            message: message.to_string(),
        }
    })?;
    Ok((file.path.clone(), listed, doc.to_string()))
}

/// A new project's location name (its folder name) and package must be new to the
/// workspace: two locations with one name stop every command, and two projects with one
/// package shadow each other (`projects/-x` and `projects/_x` are both `_x`).
fn refuse_collisions(ws_root: &Path, target: &Target, package: &str) -> Result<()> {
    // A workspace that does not load is reported by every dg command; the listed-path check
    // above already ran.
    let Ok(ws) = crate::config::discover(ws_root, crate::python::interpreter::resolve_project)
    else {
        return Ok(());
    };
    let location = target.folder_name()?;
    for p in &ws.projects {
        let clash = if p.code_location_name == location {
            Some(format!("its code location name `{location}`"))
        } else if p.root_module == package {
            Some(format!("its Python package `{package}`"))
        } else {
            None
        };
        if let Some(what) = clash {
            return Err(ScaffoldError::NameTaken {
                what,
                listed: p.listed_path.clone(),
            });
        }
    }
    Ok(())
}

/// The nearest workspace file at or above `dir` (the scaffolded `deployments/local`, whose
/// `directory_type = "deployment"`, is passed over).
fn enclosing_workspace(dir: &Path) -> Result<Option<ConfigFile>> {
    let start = existing_ancestor(dir);
    for d in start.ancestors() {
        if let Some(file) = read_config_in(d).map_err(ScaffoldError::ConfigFile)?
            && file.directory_type() == Some("workspace")
        {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

fn existing_ancestor(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|a| a.exists())
        .and_then(|a| std::fs::canonicalize(a).ok())
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `(version, pinned)`: the Dagster version to pin, and whether the user chose it (then the
/// dev tools are pinned to it too; every dagster-dg-cli X requires dagster==X).
fn dagster_version(requested: Option<&str>) -> Result<(String, bool)> {
    match requested {
        None => Ok((DEFAULT_DAGSTER_VERSION.to_string(), false)),
        Some(v) => {
            let v = v.trim();
            let ok = Version::from_str(v).is_ok_and(|parsed| parsed.release().len() >= 2);
            if !ok {
                return Err(ScaffoldError::BadDagsterVersion {
                    given: v.to_string(),
                });
            }
            Ok((v.to_string(), true))
        }
    }
}

fn pin(tool: &str, version: &str, pinned: bool) -> String {
    if pinned {
        format!("{tool}=={version}")
    } else {
        tool.to_string()
    }
}

/// `3.12` (or `3.12.1`) → `>=3.12,<3.13`.
fn python_minor_range(python: &str) -> Result<String> {
    let bad = || ScaffoldError::BadPythonVersion {
        given: python.to_string(),
    };
    let v = Version::from_str(python.trim()).map_err(|_| bad())?;
    match v.release() {
        [3, minor] | [3, minor, _] => Ok(format!(">=3.{minor},<3.{}", minor + 1)),
        _ => Err(bad()),
    }
}

/// Where a tree goes: an absolute path whose existing part has symlinks resolved.
struct Target {
    root: PathBuf,
    /// `.`: the current directory, which exists; only its files are checked.
    here: bool,
}

impl Target {
    fn resolve(path: &Path, cwd: &Path) -> Result<Target> {
        let here = path == Path::new(".");
        let joined = normalize(&cwd.join(path));
        // Resolve symlinks in the part that exists, so comparisons with the workspace root
        // (canonical) hold.
        let existing = joined
            .ancestors()
            .find(|a| a.exists())
            .unwrap_or(Path::new("/"));
        let canonical =
            std::fs::canonicalize(existing).map_err(|e| ScaffoldError::io("read", existing, e))?;
        let rest = joined.strip_prefix(existing).unwrap_or(Path::new(""));
        let root = if rest.as_os_str().is_empty() {
            canonical
        } else {
            canonical.join(rest)
        };
        Ok(Target { root, here })
    }

    fn folder_name(&self) -> Result<String> {
        self.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ScaffoldError::NoFolderName {
                root: self.root.clone(),
            })
    }

    fn refuse_existing(&self, what: &str) -> Result<()> {
        if !self.here && std::fs::symlink_metadata(&self.root).is_ok() {
            return Err(ScaffoldError::AlreadyExists {
                what: what.to_string(),
                root: self.root.clone(),
            });
        }
        Ok(())
    }

    /// Removes what [`Target::write`] wrote (the whole folder, unless it existed before).
    fn undo(&self, written: &[PathBuf]) {
        if self.here {
            for rel in written {
                let _ = std::fs::remove_file(self.root.join(rel));
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    /// Writes the tree; never replaces a file. On failure, a folder it created is removed.
    fn write(&self, tree: &Tree) -> Result<Vec<PathBuf>> {
        for (rel, _) in &tree.files {
            let path = self.root.join(rel);
            if std::fs::symlink_metadata(&path).is_ok() {
                return Err(ScaffoldError::FileExists { path });
            }
        }
        let result = self.write_all(tree);
        if result.is_err() && !self.here {
            let _ = std::fs::remove_dir_all(&self.root);
        }
        result
    }

    fn write_all(&self, tree: &Tree) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| ScaffoldError::io("create", &self.root, e))?;
        for dir in &tree.dirs {
            let path = self.root.join(dir);
            std::fs::create_dir_all(&path).map_err(|e| ScaffoldError::io("create", &path, e))?;
        }
        let mut written = Vec::new();
        for (rel, text) in &tree.files {
            write_new(&self.root.join(rel), text.as_bytes())?;
            written.push(rel.clone());
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_minor_ranges() {
        assert_eq!(python_minor_range("3.12").unwrap(), ">=3.12,<3.13");
        assert_eq!(python_minor_range("3.9.18").unwrap(), ">=3.9,<3.10");
        assert!(python_minor_range("3").is_err());
        assert!(python_minor_range("2.7").is_err());
        assert!(python_minor_range("three").is_err());
    }

    #[test]
    fn dagster_versions() {
        assert_eq!(dagster_version(None).unwrap(), ("1.13.27".into(), false));
        assert_eq!(
            dagster_version(Some("1.12.22")).unwrap(),
            ("1.12.22".into(), true)
        );
        assert!(dagster_version(Some("latest")).is_err());
    }
}
