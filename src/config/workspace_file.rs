//! The workspace file: `directory_type = "workspace"`, `[workspace]` with its project
//! list (both list forms), `[cli]`; every listed project loaded, and workspace-wide rules
//! (paths inside the workspace, no duplicates, unique location names).

use super::Resolve;
use super::error::{ConfigError, Result};
use super::file::ConfigFile;
use super::model::{Project, Workspace};
use super::project_file::load_project_dir;
use crate::error::{Problem, SourcePos};
use crate::suggest::closest;
use crate::toml_check::Checker;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use toml_edit::{Item, TableLike};

pub(super) fn check_directory_type(
    c: &mut Checker,
    table: &dyn TableLike,
    span: Option<Range<usize>>,
) {
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

pub(super) fn check_cli(c: &mut Checker, item: &Item) {
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

pub(super) fn load_workspace_file(file: ConfigFile, resolve: Resolve) -> Result<Workspace> {
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
    let entries = match table.get("workspace") {
        None => {
            c.problem(
                tspan,
                format!("missing required table `{}`", c.dotted("workspace")),
                Some(
                    "add an empty `[workspace]` table (real dg crashes with KeyError: 'workspace' here)"
                        .into(),
                ),
            );
            Vec::new()
        }
        Some(item) => workspace_table(&mut c, item),
    };
    let mut problems = std::mem::take(&mut c.problems);
    let projects = load_entries(&c, &root, entries, resolve, &mut problems);
    duplicate_location_names(&projects, &root, &mut problems);
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(Workspace {
        root,
        config_file: file.path.clone(),
        standalone: false,
        projects: projects.into_iter().map(|(p, _)| p).collect(),
        current: None,
    })
}

/// The `[workspace]` table: its keys, and the `[[workspace.projects]]` entries.
fn workspace_table(c: &mut Checker, item: &Item) -> Vec<ProjectEntry> {
    let Some(ws) = c.table(item, "workspace") else {
        return Vec::new();
    };
    c.unknown_keys(ws, "workspace", &["projects", "scaffold_project_options"]);
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
    match ws.get("projects") {
        Some(projects) => project_entries(c, projects),
        None => Vec::new(),
    }
}

/// Loads each listed project once, with the position of its entry; a folder listed twice
/// and a project's own problems are added to `problems`.
fn load_entries(
    c: &Checker,
    root: &Path,
    entries: Vec<ProjectEntry>,
    resolve: Resolve,
    problems: &mut Vec<Problem>,
) -> Vec<(Project, SourcePos)> {
    let mut projects = Vec::new();
    let mut seen_paths: HashMap<PathBuf, String> = HashMap::new();
    for entry in entries {
        let pos = c.pos(entry.span.clone());
        let Some(dir) = resolve_project_dir(root, &entry, &pos, problems) else {
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
        match load_project_dir(&dir, &entry.path, resolve) {
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
    projects
}

/// Location names must be unique across the workspace (Dagster refuses duplicates).
fn duplicate_location_names(
    projects: &[(Project, SourcePos)],
    root: &Path,
    problems: &mut Vec<Problem>,
) {
    let mut names: HashMap<&str, &Project> = HashMap::new();
    for (p, pos) in projects {
        if let Some(first) = names.insert(&p.code_location_name, p) {
            // Point at the line that set the name (in the project's own file) when one did;
            // the workspace entry otherwise (the name is then the folder name).
            let at = p
                .code_location_name_at
                .clone()
                .unwrap_or_else(|| pos.clone());
            let first_at = match &first.code_location_name_at {
                Some(f) => format!(
                    " (set at {}:{})",
                    crate::path::display(&f.file, root),
                    f.line
                ),
                None => " (its folder name)".to_string(),
            };
            problems.push(
                Problem::new(format!(
                    "projects `{}`{first_at} and `{}` have the same code location name `{}`",
                    first.listed_path, p.listed_path, p.code_location_name
                ))
                .at(at)
                .hint(format!(
                    "set a distinct `code_location_name` under [tool.dg.project] in {}",
                    crate::path::display(&p.config_file, root)
                )),
            );
        }
    }
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
                            crate::toml_check::value_type_name(v)
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
