//! The resolved workspace model every command works from: a workspace (or a standalone
//! project) and its projects with all defaults applied, exactly as real dg 1.13 derives them.

use serde::Serialize;
use std::path::PathBuf;

/// Where dg-rs keeps its per-workspace state (manifest cache, Dagster instance).
pub const STATE_DIR: &str = ".dg";

#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (directory holding the workspace config file), or the project root
    /// for a standalone project.
    pub root: PathBuf,
    /// The config file that defines the workspace (`dg.toml` or `pyproject.toml`); for a
    /// standalone project, the project's file.
    pub config_file: PathBuf,
    /// True when there is no workspace file: a single standalone project.
    pub standalone: bool,
    pub projects: Vec<Project>,
    /// Index into `projects` of the project the command was run from, if any.
    pub current: Option<usize>,
}

impl Workspace {
    /// Projects a command should act on: the current project when run inside one, else all.
    pub fn scoped_projects(&self) -> Vec<&Project> {
        match self.current {
            Some(i) => vec![&self.projects[i]],
            None => self.projects.iter().collect(),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Projects named on the command line (by folder name, location name or listed path), or
    /// the command's default scope when none are named.
    pub fn select(&self, names: &[String]) -> super::error::Result<Vec<&Project>> {
        use crate::error::Problem;
        if names.is_empty() {
            return Ok(self.scoped_projects());
        }
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for n in names {
            let n = n.trim_end_matches('/');
            match self
                .projects
                .iter()
                .find(|p| p.name == n || p.code_location_name == n || p.listed_path == n)
            {
                Some(p) => out.push(p),
                None => {
                    let known: Vec<&str> = self.projects.iter().map(|p| p.name.as_str()).collect();
                    problems.push(
                        Problem::new(format!("no project named `{n}` in this workspace"))
                            .hint(format!("projects: {}", known.join(", "))),
                    )
                }
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(super::error::ConfigError::Invalid(problems))
        }
    }

    /// The project whose code location has this name.
    pub fn project_by_location(&self, location: &str) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.code_location_name == location)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// Directory name (`data-engineering`).
    pub name: String,
    /// Absolute project root.
    pub root: PathBuf,
    /// The path as listed in the workspace (`projects/data-engineering`), or `.` standalone.
    pub listed_path: String,
    /// The file holding this project's `[tool.dg]` (or root-format dg.toml).
    pub config_file: PathBuf,
    pub root_module: String,
    pub defs_module: String,
    pub code_location_target_module: String,
    pub code_location_name: String,
    /// Directory Dagster adds to `sys.path` (`<root>/src` for the src layout).
    pub working_directory: PathBuf,
    pub interpreter: Interpreter,
    /// `[project] requires-python`, verbatim.
    pub requires_python: Option<String>,
    /// The `dagster` requirement from `[project] dependencies`, verbatim (`dagster==1.13.27`).
    pub dagster_requirement: Option<String>,
    /// Where that requirement is written in pyproject.toml.
    #[serde(skip)]
    pub dagster_requirement_at: Option<crate::error::SourcePos>,
    /// `[project] dependencies`, verbatim.
    pub dependencies: Vec<String>,
    /// `[dependency-groups] dev`, verbatim (what `uv sync` installs by default).
    pub dev_dependencies: Vec<String>,
    /// The Python version (or interpreter path) this project wants: `[tool.dg-rs] python`,
    /// else its `.python-version` (as uv reads it). `dg sync`, `dg deploy` and the GitHub
    /// workflow all go by this, then by requires-python.
    pub python_request: Option<String>,
    /// `[tool.dg-rs] extra_inputs`: more files (paths, folders or globs relative to the
    /// project) whose content can change the definitions, such as a JSON file read at import.
    pub extra_inputs: Vec<String>,
    /// How `uv sync` would build the project, when pip cannot (a `uv.lock`,
    /// `[tool.uv.sources]`, a uv workspace).
    pub uv: Option<super::uv::UvProject>,
    /// `[tool.dg.project] registry_modules`: module patterns (`pkg.components.*`) scanned for
    /// the project's own component types when it has no registry entry point.
    pub registry_modules: Vec<String>,
    /// Whether pyproject.toml declares a `dagster_dg_cli.registry_modules` entry point (or one
    /// of its older names); then real dg does not read `registry_modules`.
    pub registry_entry_point: bool,
    /// Where `code_location_name` is set, when the project sets it (for errors about it).
    #[serde(skip)]
    pub code_location_name_at: Option<crate::error::SourcePos>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interpreter {
    pub path: PathBuf,
    /// Why this interpreter: `dotenv` (DG_PROJECT_PYTHON_EXECUTABLE in the project's .env) or
    /// `venv` (`<project>/.venv`).
    pub source: InterpreterSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InterpreterSource {
    Dotenv,
    Venv,
}

impl Interpreter {
    pub fn exists(&self) -> bool {
        self.path.is_file()
    }
}

impl Project {
    /// A project named `name` at `root` with the layout create-dagster makes (`src/<module>`,
    /// a `.venv`), for unit tests.
    #[cfg(test)]
    pub fn for_tests(root: &std::path::Path, name: &str) -> Project {
        let module = name.replace('-', "_");
        Project {
            name: name.into(),
            root: root.to_path_buf(),
            listed_path: name.into(),
            config_file: root.join("pyproject.toml"),
            root_module: module.clone(),
            defs_module: format!("{module}.defs"),
            code_location_target_module: format!("{module}.definitions"),
            code_location_name: name.into(),
            working_directory: root.join("src"),
            interpreter: Interpreter {
                path: root.join(".venv/bin/python"),
                source: InterpreterSource::Venv,
            },
            requires_python: None,
            dagster_requirement: None,
            dependencies: vec![],
            dev_dependencies: vec![],
            uv: None,
            dagster_requirement_at: None,
            python_request: None,
            extra_inputs: vec![],
            registry_modules: vec![],
            registry_entry_point: false,
            code_location_name_at: None,
        }
    }

    /// The folder of the project's defs module (`src/<pkg>/defs`).
    pub fn defs_folder(&self) -> PathBuf {
        self.working_directory
            .join(self.defs_module.replace('.', "/"))
    }

    /// The Python minor (`3.12`) the project asks for by name, when it does (a version in
    /// `python_request`, not an interpreter path).
    pub fn requested_minor(&self) -> Option<String> {
        let s = self.python_request.as_deref()?.trim();
        let mut parts = s.split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        if parts.any(|p| p.parse::<u32>().is_err()) {
            return None;
        }
        Some(format!("{major}.{minor}"))
    }

    /// The project's `.env` file, which real dg and Dagster load for this location.
    pub fn dotenv_path(&self) -> PathBuf {
        self.root.join(".env")
    }

    pub fn venv_dir(&self) -> PathBuf {
        self.root.join(".venv")
    }
}
