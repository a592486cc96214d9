//! Reading, validating and resolving config files (see the module doc of `config`).

use super::model::{Interpreter, InterpreterSource, Project, Workspace};
use super::toml_check::{Checker, closest};
use crate::error::{Error, Problem, Result, SourcePos};
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use toml_edit::{Document, Item, TableLike};

/// Which of the two file formats a config file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `dg.toml`: keys at the top level.
    DgToml,
    /// `pyproject.toml`: keys under `[tool.dg]`.
    Pyproject,
}

/// A config file found during discovery, parsed but not yet validated.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    pub doc: Document<String>,
}

impl ConfigFile {
    fn prefix(&self) -> &'static str {
        match self.kind {
            FileKind::DgToml => "",
            FileKind::Pyproject => "tool.dg.",
        }
    }

    /// The table holding dg's keys (`[tool.dg]` or the whole document).
    fn dg_table(&self) -> Option<(&dyn TableLike, Option<Range<usize>>)> {
        match self.kind {
            FileKind::DgToml => Some((self.doc.as_table() as &dyn TableLike, Some(0..0))),
            FileKind::Pyproject => {
                let tool = self.doc.get("tool")?.as_table_like()?;
                let dg = tool.get("dg")?;
                Some((dg.as_table_like()?, dg.span()))
            }
        }
    }

    /// The raw `directory_type` string, if present and a string.
    pub fn directory_type(&self) -> Option<&str> {
        self.dg_table()?.0.get("directory_type")?.as_str()
    }
}

/// Reads a file as UTF-8 text, reporting the position of the first invalid byte.
fn read_text(path: &Path) -> std::result::Result<String, Problem> {
    let bytes = std::fs::read(path).map_err(|e| {
        Problem::new(format!("could not read {}: {e}", path.display()))
            .hint("check the file's permissions, or that it is not a dangling symlink")
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let pos = SourcePos::from_span(path, &text, valid..valid);
        Problem::new("the file is not valid UTF-8 text")
            .at(pos)
            .hint("TOML files must be UTF-8: re-save the file as UTF-8")
    })
}

fn parse(path: &Path, text: String) -> std::result::Result<Document<String>, Problem> {
    Document::parse(text.clone()).map_err(|e| {
        let message = e.message().trim().to_string();
        let pos = match e.span() {
            Some(span) => SourcePos::from_span(path, &text, span),
            None => SourcePos::start_of(path, &text),
        };
        Problem::new(format!("invalid TOML: {message}"))
            .at(pos)
            .hint("fix the TOML syntax at the position shown")
    })
}

/// Reads `dir`'s config file if it has one: `dg.toml`, else a `pyproject.toml` with a
/// `[tool.dg]` table. A pyproject.toml without `[tool.dg]` is not a config file.
pub fn read_config_in(dir: &Path) -> std::result::Result<Option<ConfigFile>, Problem> {
    let dg_toml = dir.join("dg.toml");
    if dg_toml.exists() {
        let text = read_text(&dg_toml)?;
        let doc = parse(&dg_toml, text.clone())?;
        return Ok(Some(ConfigFile {
            path: dg_toml,
            kind: FileKind::DgToml,
            text,
            doc,
        }));
    }
    let pyproject = dir.join("pyproject.toml");
    if pyproject.exists() {
        let text = read_text(&pyproject)?;
        let doc = parse(&pyproject, text.clone())?;
        let file = ConfigFile {
            path: pyproject,
            kind: FileKind::Pyproject,
            text,
            doc,
        };
        if file.dg_table().is_some() {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

/// Every config file a workspace consists of, for `dg check toml`: the root file found from
/// `target`, and every listed project's file. Problems are collected, not stopped at.
pub fn find_config_files(target: &Path) -> Result<Vec<PathBuf>> {
    let ws = discover(target)?;
    let mut files = vec![ws.config_file.clone()];
    for p in &ws.projects {
        if !files.contains(&p.config_file) {
            files.push(p.config_file.clone());
        }
    }
    Ok(files)
}

/// Finds and loads the workspace (or standalone project) that `target` belongs to.
pub fn discover(target: &Path) -> Result<Workspace> {
    let target = std::fs::canonicalize(target).map_err(|e| {
        Error::usage(format!(
            "the target path {} cannot be used: {e}",
            target.display()
        ))
        .with_hint("pass an existing directory with --target-path")
    })?;
    let mut root: Option<ConfigFile> = None;
    let mut workspace: Option<ConfigFile> = None;
    for dir in target.ancestors() {
        let found = read_config_in(dir).map_err(|p| Error::config(vec![p]))?;
        let Some(file) = found else { continue };
        // The scaffolded `deployments/local` env is not a dg root (real dg fails there).
        if file.directory_type() == Some("deployment") {
            continue;
        }
        let is_workspace = file.directory_type() == Some("workspace");
        if is_workspace {
            workspace = Some(file);
            break;
        }
        if root.is_none() {
            root = Some(file);
        }
    }
    match (workspace, root) {
        (Some(ws), root) => {
            let root_dir = root
                .as_ref()
                .and_then(|r| r.path.parent().map(Path::to_path_buf));
            let mut loaded = load_workspace_file(ws)?;
            loaded.current = root_dir
                .as_ref()
                .and_then(|d| loaded.projects.iter().position(|p| &p.root == d));
            if let (Some(dir), None) = (&root_dir, loaded.current) {
                return Err(Error::usage(format!(
                    "{} is a dg project inside the workspace at {}, but the workspace does not list it",
                    dir.display(),
                    loaded.root.display()
                ))
                .with_hint(format!(
                    "add it to {} as [[workspace.projects]] path = \"{}\"",
                    loaded.config_file.display(),
                    relative_display(dir, &loaded.root)
                )));
            }
            Ok(loaded)
        }
        (None, Some(project_file)) => load_standalone(project_file),
        (None, None) => Err(Error::usage(format!(
            "no dg workspace or project found in {} or any parent directory",
            target.display()
        ))
        .with_hint(
            "run inside a directory with a dg.toml (directory_type = \"workspace\") or a \
             pyproject.toml with [tool.dg], pass --target-path, or create one with \
             `create-dagster workspace NAME`",
        )),
    }
}

/// Loads a workspace from its config file path (used by tests and `discover`).
pub fn load_workspace(path: &Path) -> Result<Workspace> {
    let dir = path.parent().unwrap_or(Path::new("."));
    match read_config_in(dir).map_err(|p| Error::config(vec![p]))? {
        Some(file) => load_workspace_file(file),
        None => Err(Error::usage(format!(
            "{} is not a dg config file",
            path.display()
        ))),
    }
}

fn check_directory_type(c: &mut Checker, table: &dyn TableLike, span: Option<Range<usize>>) {
    if let Some((value, vspan)) = c.string(table, span, "directory_type", "directory_type", true)
        && value != "workspace"
        && value != "project"
    {
        let hint = closest(&value, &["workspace", "project"])
            .map(|b| format!("did you mean \"{b}\"?"))
            .unwrap_or_else(|| "use \"workspace\" or \"project\"".to_string());
        let msg = format!(
            "invalid value for `{}`: expected \"project\" | \"workspace\", found \"{value}\"",
            c.dotted("directory_type")
        );
        c.problem(vspan, msg, Some(hint));
    }
}

const CLI_KEYS: &[&str] = &[
    "verbose",
    "use_component_modules",
    "suppress_warnings",
    "telemetry",
    "plus",
];

fn check_cli(c: &mut Checker, item: &Item) {
    let Some(cli) = c.table(item, "cli") else {
        return;
    };
    c.unknown_keys(cli, "cli", CLI_KEYS);
    c.bool(cli, "cli.verbose", "verbose");
    c.string_list(cli, "cli.use_component_modules", "use_component_modules");
    c.string_list(cli, "cli.suppress_warnings", "suppress_warnings");
    if let Some(t) = cli.get("telemetry")
        && let Some(tt) = c.table(t, "cli.telemetry")
    {
        c.unknown_keys(tt, "cli.telemetry", &["enabled"]);
        c.bool(tt, "cli.telemetry.enabled", "enabled");
    }
    if let Some(p) = cli.get("plus") {
        c.table(p, "cli.plus");
    }
}

/// One `[[workspace.projects]]` entry: the path and where it was written.
struct ProjectEntry {
    path: String,
    span: Option<Range<usize>>,
}

fn load_workspace_file(file: ConfigFile) -> Result<Workspace> {
    let root = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut c = Checker::new(&file.path, &file.text, file.prefix());
    let (table, tspan) = file.dg_table().expect("discovered files have a dg table");
    c.unknown_keys(table, "", &["directory_type", "workspace", "cli"]);
    check_directory_type(&mut c, table, tspan.clone());
    if let Some(cli) = table.get("cli") {
        check_cli(&mut c, cli);
    }
    let mut entries = Vec::new();
    match table.get("workspace") {
        None => c.problem(
            tspan,
            format!("missing required table `{}`", c.dotted("workspace")),
            Some(
                "add an empty `[workspace]` table (real dg crashes with KeyError: 'workspace' here)"
                    .into(),
            ),
        ),
        Some(item) => {
            if let Some(ws) = c.table(item, "workspace") {
                c.unknown_keys(
                    ws,
                    "workspace",
                    &["projects", "scaffold_project_options"],
                );
                if let Some(opts) = ws.get("scaffold_project_options")
                    && let Some(t) = c.table(opts, "workspace.scaffold_project_options")
                {
                    c.unknown_keys(
                        t,
                        "workspace.scaffold_project_options",
                        &["use_editable_dagster"],
                    );
                    c.bool(
                        t,
                        "workspace.scaffold_project_options.use_editable_dagster",
                        "use_editable_dagster",
                    );
                }
                if let Some(projects) = ws.get("projects") {
                    entries = project_entries(&mut c, projects);
                }
            }
        }
    }

    let mut problems = std::mem::take(&mut c.problems);
    let mut projects = Vec::new();
    let mut seen_paths: HashMap<PathBuf, String> = HashMap::new();
    for entry in entries {
        let pos = c.pos(entry.span.clone());
        let Some(dir) = resolve_project_dir(&root, &entry, &pos, &mut problems) else {
            continue;
        };
        if let Some(first) = seen_paths.get(&dir) {
            problems.push(
                Problem::new(format!(
                    "project `{}` is listed twice (first as `{first}`)",
                    entry.path
                ))
                .at(pos)
                .hint("remove the duplicate [[workspace.projects]] entry"),
            );
            continue;
        }
        seen_paths.insert(dir.clone(), entry.path.clone());
        match load_project_dir(&dir, &entry.path, true) {
            Ok(p) => projects.push((p, pos)),
            Err(found) => problems.extend(found.into_iter().map(|mut p| {
                // A problem about the project as a whole points at its workspace entry.
                if p.at.is_none() {
                    p.at = Some(pos.clone());
                }
                p
            })),
        }
    }
    // Location names must be unique across the workspace (Dagster refuses duplicates).
    let mut names: HashMap<&str, &str> = HashMap::new();
    for (p, pos) in &projects {
        if let Some(first) = names.insert(&p.code_location_name, &p.listed_path) {
            problems.push(
                Problem::new(format!(
                    "projects `{first}` and `{}` have the same code location name `{}`",
                    p.listed_path, p.code_location_name
                ))
                .at(pos.clone())
                .hint(format!(
                    "set a distinct `code_location_name` under [tool.dg.project] in {}",
                    relative_display(&p.config_file, &root)
                )),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Error::config(problems));
    }
    Ok(Workspace {
        root,
        config_file: file.path.clone(),
        standalone: false,
        projects: projects.into_iter().map(|(p, _)| p).collect(),
        current: None,
    })
}

fn project_entries(c: &mut Checker, projects: &Item) -> Vec<ProjectEntry> {
    let mut tables: Vec<(&dyn TableLike, Option<Range<usize>>)> = Vec::new();
    match projects {
        Item::ArrayOfTables(aot) => {
            for t in aot.iter() {
                tables.push((t as &dyn TableLike, t.span()));
            }
        }
        Item::Value(toml_edit::Value::Array(arr)) => {
            for v in arr.iter() {
                match v.as_inline_table() {
                    Some(t) => tables.push((t as &dyn TableLike, v.span())),
                    None => {
                        let msg = format!(
                            "invalid entry in `{}`: expected a table like {{ path = \"projects/name\" }}, found {}",
                            c.dotted("workspace.projects"),
                            super::toml_check::value_type_name(v)
                        );
                        c.problem(
                            v.span(),
                            msg,
                            Some("write each entry as { path = \"projects/name\" }".into()),
                        )
                    }
                }
            }
        }
        other => c.wrong_type(other, "workspace.projects", "an array of tables"),
    }
    let mut out = Vec::new();
    for (t, span) in tables {
        c.unknown_keys(t, "workspace.projects", &["path"]);
        if let Some((path, pspan)) = c.string(t, span, "workspace.projects.path", "path", true) {
            out.push(ProjectEntry { path, span: pspan });
        }
    }
    out
}

fn resolve_project_dir(
    root: &Path,
    entry: &ProjectEntry,
    pos: &SourcePos,
    problems: &mut Vec<Problem>,
) -> Option<PathBuf> {
    let rel = Path::new(&entry.path);
    let escapes = rel.is_absolute()
        || rel
            .components()
            .try_fold(0i32, |depth, comp| match comp {
                Component::ParentDir if depth == 0 => None,
                Component::ParentDir => Some(depth - 1),
                Component::Normal(_) => Some(depth + 1),
                _ => Some(depth),
            })
            .is_none();
    if escapes || entry.path.is_empty() {
        problems.push(
            Problem::new(format!(
                "project path `{}` is not inside the workspace",
                entry.path
            ))
            .at(pos.clone())
            .hint("project paths are relative to the workspace root and stay below it"),
        );
        return None;
    }
    let joined = root.join(rel);
    match std::fs::canonicalize(&joined) {
        Ok(dir) if dir.is_dir() => {
            // A symlink may still lead outside the workspace.
            if !dir.starts_with(root) {
                problems.push(
                    Problem::new(format!(
                        "project path `{}` leads outside the workspace (to {})",
                        entry.path,
                        dir.display()
                    ))
                    .at(pos.clone())
                    .hint("keep projects inside the workspace directory"),
                );
                return None;
            }
            Some(dir)
        }
        Ok(_) => {
            problems.push(
                Problem::new(format!("project path `{}` is not a directory", entry.path))
                    .at(pos.clone()),
            );
            None
        }
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "create it with `create-dagster project {}`, or remove this entry",
                    entry.path
                )
            } else {
                "check the path: it may be a symlink loop or unreadable".to_string()
            };
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                "does not exist".to_string()
            } else {
                format!("cannot be opened: {e}")
            };
            problems.push(
                Problem::new(format!("project path `{}` {what}", entry.path))
                    .at(pos.clone())
                    .hint(hint),
            );
            None
        }
    }
}

fn load_standalone(file: ConfigFile) -> Result<Workspace> {
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let project = validate_project_file(&dir, ".", file, false).map_err(Error::config)?;
    Ok(Workspace {
        root: dir,
        config_file: project.config_file.clone(),
        standalone: true,
        projects: vec![project],
        current: Some(0),
    })
}

/// Loads the project in `dir` (listed in a workspace as `listed`).
fn load_project_dir(
    dir: &Path,
    listed: &str,
    in_workspace: bool,
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
        Ok(Some(file)) => validate_project_file(dir, listed, file, in_workspace),
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
    in_workspace: bool,
) -> std::result::Result<Project, Vec<Problem>> {
    let mut c = Checker::new(&file.path, &file.text, file.prefix());
    let (table, tspan) = file.dg_table().expect("config files have a dg table");
    c.unknown_keys(table, "", &["directory_type", "project", "cli"]);
    check_directory_type(&mut c, table, tspan.clone());
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
        check_cli(&mut c, cli);
    }
    let mut fields: HashMap<&str, (String, Option<Range<usize>>)> = HashMap::new();
    match table.get("project") {
        None => c.problem(
            tspan,
            format!("missing required table `{}`", c.dotted("project")),
            Some(format!(
                "add [{}project] with root_module = \"<your package>\"",
                file.prefix()
            )),
        ),
        Some(item) => {
            if let Some(pt) = c.table(item, "project") {
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
                c.string_list(pt, "project.registry_modules", "registry_modules");
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
            }
        }
    }
    let meta = read_pyproject_metadata(dir, &mut c.problems);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let _ = in_workspace;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| listed.to_string());
    let root_module = fields["root_module"].0.clone();
    let src = dir.join("src");
    let base = if src.is_dir() { src } else { dir.to_path_buf() };
    let module_exists = |m: &str| {
        let p = base.join(m.replace('.', "/"));
        p.is_dir() || p.with_extension("py").is_file()
    };
    let defs_module = fields
        .get("defs_module")
        .map(|v| v.0.clone())
        .unwrap_or_else(|| {
            let defs = format!("{root_module}.defs");
            let definitions = format!("{root_module}.definitions");
            if !module_exists(&defs) && module_exists(&definitions) {
                definitions
            } else {
                defs
            }
        });
    let interpreter = resolve_interpreter(dir).map_err(|p| vec![p])?;
    Ok(Project {
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
        dependencies: meta.dependencies,
        dev_dependencies: meta.dev_dependencies,
        python_request: meta.python_request,
    })
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
    dependencies: Vec<String>,
    dev_dependencies: Vec<String>,
    python_request: Option<String>,
}

/// Reads the standard `[project]` metadata and our `[tool.dg-rs]` table from the project's
/// pyproject.toml (which may differ from the dg config file when a dg.toml is used).
fn read_pyproject_metadata(dir: &Path, problems: &mut Vec<Problem>) -> PyprojectMeta {
    let path = dir.join("pyproject.toml");
    let mut meta = PyprojectMeta::default();
    if !path.exists() {
        return meta;
    }
    let doc = match read_text(&path).and_then(|t| parse(&path, t).map(|d| (d, ()))) {
        Ok((doc, ())) => doc,
        Err(p) => {
            problems.push(p);
            return meta;
        }
    };
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
        meta.dagster_requirement = meta
            .dependencies
            .iter()
            .find(|d| requirement_name(d) == "dagster")
            .cloned();
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(Item::as_table_like) {
        meta.dev_dependencies = c.string_list(groups, "dependency-groups.dev", "dev");
    }
    if let Some(tool) = doc.get("tool").and_then(Item::as_table_like)
        && let Some(ours) = tool.get("dg-rs")
        && let Some(t) = c.table(ours, "tool.dg-rs")
    {
        // `access` is read and validated by the access module.
        c.unknown_keys(t, "tool.dg-rs", &["python", "access"]);
        meta.python_request = c
            .string(t, None, "tool.dg-rs.python", "python", false)
            .map(|v| v.0);
    }
    problems.append(&mut c.problems);
    meta
}

/// The normalised distribution name of a PEP 508 requirement string.
pub fn requirement_name(req: &str) -> String {
    req.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect::<String>()
        .to_ascii_lowercase()
        .replace(['_', '.'], "-")
}

/// `.env` `DG_PROJECT_PYTHON_EXECUTABLE` (relative to the project root), else `.venv`.
fn resolve_interpreter(dir: &Path) -> std::result::Result<Interpreter, Problem> {
    let dotenv = dir.join(".env");
    if dotenv.is_file() {
        let iter = dotenvy::from_path_iter(&dotenv)
            .map_err(|e| Problem::new(format!("could not read {}: {e}", dotenv.display())))?;
        for item in iter {
            let (key, value) = item.map_err(|e| {
                Problem::new(format!("invalid line in {}: {e}", dotenv.display()))
                    .hint("each line must be KEY=value")
            })?;
            if key == "DG_PROJECT_PYTHON_EXECUTABLE" && !value.is_empty() {
                let p = PathBuf::from(&value);
                let path = if p.is_absolute() { p } else { dir.join(p) };
                return Ok(Interpreter {
                    path,
                    source: InterpreterSource::Dotenv,
                });
            }
        }
    }
    let venv_python = if cfg!(windows) {
        dir.join(".venv").join("Scripts").join("python.exe")
    } else {
        dir.join(".venv").join("bin").join("python")
    };
    Ok(Interpreter {
        path: venv_python,
        source: InterpreterSource::Venv,
    })
}

fn relative_display(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
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
    fn dotted_identifiers() {
        assert!(is_dotted_identifier("a.b_c.d1"));
        assert!(!is_dotted_identifier("a..b"));
        assert!(!is_dotted_identifier("data-science"));
        assert!(!is_dotted_identifier("1abc"));
    }
}
