//! A project's file: `[tool.dg]` (or a project `dg.toml`) validated strictly, defaults
//! applied as real dg derives them, and the standard `[project]` metadata plus our own
//! `[tool.dg-rs]` table read from its pyproject.toml.

use super::Resolve;
use super::error::{ConfigError, Result};
use super::file::{ConfigFile, parse, read_config_in, read_text};
use super::model::{Project, Workspace};
use super::workspace_file::{check_cli, check_directory_type};
use crate::error::Problem;
use crate::toml_check::Checker;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml_edit::Item;

pub(super) fn load_standalone(file: ConfigFile, resolve: Resolve) -> Result<Workspace> {
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let project = validate_project_file(&dir, ".", file, resolve).map_err(ConfigError::Invalid)?;
    Ok(Workspace {
        root: dir,
        config_file: project.config_file.clone(),
        standalone: true,
        projects: vec![project],
        current: Some(0),
    })
}

/// Loads the project in `dir` (listed in a workspace as `listed`).
pub(super) fn load_project_dir(
    dir: &Path,
    listed: &str,
    resolve: Resolve,
) -> std::result::Result<Project, Vec<Problem>> {
    match read_config_in(dir) {
        Err(p) => Err(vec![p]),
        Ok(None) => Err(vec![
            Problem::new(format!(
                "`{listed}` is listed as a project but has no dg config ({} has no pyproject.toml with [tool.dg] and no dg.toml)",
                dir.display()
            ))
            .hint("add [tool.dg] directory_type = \"project\" and [tool.dg.project] root_module = \"...\" to its pyproject.toml"),
        ]),
        Ok(Some(file)) => validate_project_file(dir, listed, file, resolve),
    }
}

const PROJECT_KEYS: &[&str] = &[
    "root_module",
    "defs_module",
    "code_location_target_module",
    "code_location_name",
    "registry_modules",
    "agent_queue",
    "image",
    "python_environment",
];

fn validate_project_file(
    dir: &Path,
    listed: &str,
    file: ConfigFile,
    resolve: Resolve,
) -> std::result::Result<Project, Vec<Problem>> {
    let mut c = Checker::new(&file.path, &file.text, file.prefix());
    let ProjectTable {
        fields,
        registry_modules,
    } = check_project_config(&mut c, &file, listed);
    let meta = read_pyproject_metadata(dir, &mut c.problems);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| listed.to_string());
    let root_module = fields["root_module"].0.clone();
    let src = dir.join("src");
    let base = if src.is_dir() { src } else { dir.to_path_buf() };
    let defs_module = fields
        .get("defs_module")
        .map(|v| v.0.clone())
        .unwrap_or_else(|| default_defs_module(&base, &root_module));
    let interpreter = resolve(dir).map_err(|p| vec![p])?;
    let code_location_name_at = fields
        .get("code_location_name")
        .and_then(|(_, span)| span.clone())
        .map(|span| crate::error::SourcePos::from_span(&file.path, &file.text, span));
    Ok(Project {
        code_location_name_at,
        code_location_name: fields
            .get("code_location_name")
            .map(|v| v.0.clone())
            .unwrap_or_else(|| name.clone()),
        code_location_target_module: fields
            .get("code_location_target_module")
            .map(|v| v.0.clone())
            .unwrap_or_else(|| format!("{root_module}.definitions")),
        name,
        root: dir.to_path_buf(),
        listed_path: listed.to_string(),
        config_file: file.path.clone(),
        root_module,
        defs_module,
        working_directory: base,
        interpreter,
        requires_python: meta.requires_python,
        dagster_requirement: meta.dagster_requirement,
        dagster_requirement_at: meta.dagster_requirement_at,
        dependencies: meta.dependencies,
        dev_dependencies: meta.dev_dependencies,
        python_request: meta.python_request.or_else(|| python_version_file(dir)),
        extra_inputs: meta.extra_inputs,
        uv: meta.uv,
        registry_modules,
        registry_entry_point: meta.registry_entry_point,
    })
}

/// Checks a project's dg config (`dg.toml` or `[tool.dg]`); the string keys of its
/// `[project]` table.
fn check_project_config(c: &mut Checker, file: &ConfigFile, listed: &str) -> ProjectTable {
    let (table, tspan) = file.dg_table().expect("config files have a dg table");
    c.unknown_keys(table, "", &["directory_type", "project", "cli"]);
    check_directory_type(c, table, tspan.clone());
    if file.directory_type() == Some("workspace") {
        let msg = format!(
            "`{listed}` is listed as a project, but its config says directory_type = \"workspace\""
        );
        c.problem(
            table.get("directory_type").and_then(Item::span),
            msg,
            Some("workspaces cannot be nested: set directory_type = \"project\"".into()),
        );
    }
    if let Some(cli) = table.get("cli") {
        check_cli(c, cli);
    }
    match table.get("project") {
        None => {
            c.problem(
                tspan,
                format!("missing required table `{}`", c.dotted("project")),
                Some(format!(
                    "add [{}project] with root_module = \"<your package>\"",
                    file.prefix()
                )),
            );
            ProjectTable::default()
        }
        Some(item) => project_table(c, item),
    }
}

/// The string keys of `[project]` as written, with their spans.
type Fields = HashMap<&'static str, (String, Option<Range<usize>>)>;

/// What `[project]` says: its string keys, and its registry module patterns.
#[derive(Default)]
struct ProjectTable {
    fields: Fields,
    registry_modules: Vec<String>,
}

/// Checks the `[project]` table: its keys, their types, and that the module keys name Python
/// modules.
fn project_table(c: &mut Checker, item: &Item) -> ProjectTable {
    let mut fields = Fields::new();
    let Some(pt) = c.table(item, "project") else {
        return ProjectTable::default();
    };
    c.unknown_keys(pt, "project", PROJECT_KEYS);
    let pspan = item.span();
    for key in [
        "root_module",
        "defs_module",
        "code_location_target_module",
        "code_location_name",
        "agent_queue",
        "image",
    ] {
        let path = format!("project.{key}");
        if let Some(v) = c.string(pt, pspan.clone(), &path, key, key == "root_module") {
            fields.insert(key, v);
        }
    }
    let registry_modules = c.string_list(pt, "project.registry_modules", "registry_modules");
    for key in ["root_module", "defs_module", "code_location_target_module"] {
        if let Some((value, span)) = fields.get(key)
            && !is_dotted_identifier(value)
        {
            let msg = format!(
                "invalid value for `{}`: `{value}` is not a Python module name",
                c.dotted(&format!("project.{key}"))
            );
            c.problem(
                span.clone(),
                msg,
                Some("use a dotted name like `my_project.definitions`".into()),
            );
        }
    }
    ProjectTable {
        fields,
        registry_modules,
    }
}

/// dg's default defs module: `ROOT.defs`, unless only `ROOT.definitions` exists under `base`.
fn default_defs_module(base: &Path, root_module: &str) -> String {
    let module_exists = |m: &str| {
        let p = base.join(m.replace('.', "/"));
        p.is_dir() || p.with_extension("py").is_file()
    };
    let defs = format!("{root_module}.defs");
    let definitions = format!("{root_module}.definitions");
    if !module_exists(&defs) && module_exists(&definitions) {
        definitions
    } else {
        defs
    }
}

/// The Python version a project's `.python-version` names (as uv and pyenv read it: the
/// first line that is not a comment; `cpython-3.12` and `cpython@3.12` are 3.12), when it
/// names a CPython version; another implementation's (`pypy3.10`) is not ours to build.
fn python_version_file(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".python-version")).ok()?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let v = line
        .strip_prefix("cpython-")
        .or_else(|| line.strip_prefix("cpython@"))
        .unwrap_or(line);
    let numeric = v.split('.').count() >= 2 && v.split('.').all(|p| p.parse::<u32>().is_ok());
    numeric.then(|| v.to_string())
}

fn is_dotted_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

#[derive(Default)]
struct PyprojectMeta {
    requires_python: Option<String>,
    dagster_requirement: Option<String>,
    dagster_requirement_at: Option<crate::error::SourcePos>,
    dependencies: Vec<String>,
    dev_dependencies: Vec<String>,
    python_request: Option<String>,
    extra_inputs: Vec<String>,
    uv: Option<super::uv::UvProject>,
    registry_entry_point: bool,
}

/// Reads the standard `[project]` metadata and our `[tool.dg-rs]` table from the project's
/// pyproject.toml (which may differ from the dg config file when a dg.toml is used).
fn read_pyproject_metadata(dir: &Path, problems: &mut Vec<Problem>) -> PyprojectMeta {
    let path = dir.join("pyproject.toml");
    let mut meta = PyprojectMeta::default();
    if std::fs::symlink_metadata(&path).is_err() {
        return meta;
    }
    let doc = match read_text(&path).and_then(|t| parse(&path, t).map(|d| (d, ()))) {
        Ok((doc, ())) => doc,
        Err(p) => {
            problems.push(p);
            return meta;
        }
    };
    meta.uv = super::uv::read(dir, doc.as_table());
    let text = doc.raw().to_string();
    let mut c = Checker::new(&path, &text, "");
    if let Some(project) = doc.get("project").and_then(Item::as_table_like) {
        meta.requires_python = c
            .string(
                project,
                None,
                "project.requires-python",
                "requires-python",
                false,
            )
            .map(|v| v.0);
        meta.dependencies = c.string_list(project, "project.dependencies", "dependencies");
        // The entry itself, for errors that point at it (not a text search, which could
        // land on `"dagster-webserver"` first).
        let dagster = project
            .get("dependencies")
            .and_then(Item::as_array)
            .into_iter()
            .flatten()
            .find(|v| v.as_str().is_some_and(|d| requirement_name(d) == "dagster"));
        meta.dagster_requirement = dagster.and_then(|v| v.as_str()).map(str::to_string);
        meta.registry_entry_point = project
            .get("entry-points")
            .and_then(Item::as_table_like)
            .is_some_and(|eps| {
                REGISTRY_ENTRY_POINT_GROUPS
                    .iter()
                    .any(|g| eps.contains_key(g))
            });
        meta.dagster_requirement_at = dagster
            .and_then(|v| v.span())
            .map(|span| crate::error::SourcePos::from_span(&path, &text, span));
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(Item::as_table_like) {
        meta.dev_dependencies = c.string_list(groups, "dependency-groups.dev", "dev");
    }
    if let Some(tool) = doc.get("tool").and_then(Item::as_table_like)
        && let Some(ours) = tool.get("dg-rs")
        && let Some(t) = c.table(ours, "tool.dg-rs")
    {
        // `access` is read and validated by the access module.
        c.unknown_keys(t, "tool.dg-rs", &["python", "extra_inputs", "access"]);
        meta.extra_inputs = c.string_list(t, "tool.dg-rs.extra_inputs", "extra_inputs");
        meta.python_request = c
            .string(t, None, "tool.dg-rs.python", "python", false)
            .map(|v| v.0);
    }
    problems.append(&mut c.problems);
    meta
}

/// The entry point groups through which a package offers component types to dg: the current
/// one first, then the older names real dg still reads (with a warning).
pub const REGISTRY_ENTRY_POINT_GROUPS: &[&str] = &[
    "dagster_dg_cli.registry_modules",
    "dagster_dg.library",
    "dagster_dg.plugin",
    "dagster_dg_cli.plugin",
];

/// The normalised distribution name of a PEP 508 requirement string (empty when it does not
/// parse).
pub fn requirement_name(req: &str) -> String {
    use std::str::FromStr;
    pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req)
        .map(|r| r.name.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names_are_normalised() {
        assert_eq!(requirement_name("dagster==1.13.27"), "dagster");
        assert_eq!(
            requirement_name("Dagster_Webserver>=1"),
            "dagster-webserver"
        );
        assert_eq!(
            requirement_name(" dagster [extra] ; python_version>'3'"),
            "dagster"
        );
    }

    #[test]
    fn a_python_version_file_names_the_python_uv_and_pyenv_would_use() {
        let t = tempfile::tempdir().unwrap();
        let file = |text: &str| {
            std::fs::write(t.path().join(".python-version"), text).unwrap();
            python_version_file(t.path())
        };
        assert_eq!(file("3.12\n"), Some("3.12".into()));
        assert_eq!(
            file("# pinned\n\ncpython-3.11.7\n3.12\n"),
            Some("3.11.7".into())
        );
        assert_eq!(file("cpython@3.13"), Some("3.13".into()));
        assert_eq!(file("pypy3.10"), None);
        assert_eq!(file("3"), None);
    }

    #[test]
    fn dotted_identifiers() {
        assert!(is_dotted_identifier("a.b_c.d1"));
        assert!(!is_dotted_identifier("a..b"));
        assert!(!is_dotted_identifier("data-science"));
        assert!(!is_dotted_identifier("1abc"));
    }
}
