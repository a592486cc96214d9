//! Discovery: from the target path upward, the root file (nearest config file) and the
//! workspace file (nearest `directory_type = "workspace"`), as real dg 1.13 finds them;
//! plus the `[cli]` settings real dg merges from the user file, the workspace and the root.

use super::Resolve;
use super::error::{ConfigError, Result};
use super::file::{ConfigFile, read_config_in};
use super::model::Workspace;
use super::project_file::load_standalone;
use super::workspace_file::load_workspace_file;
use std::path::{Path, PathBuf};

/// Every config file a workspace consists of, for `dg check toml`: the root file found from
/// `target`, and every listed project's file. Problems are collected, not stopped at.
pub fn find_config_files(target: &Path, resolve: Resolve) -> Result<Vec<PathBuf>> {
    let ws = discover(target, resolve)?;
    let mut files = vec![ws.config_file.clone()];
    for p in &ws.projects {
        if !files.contains(&p.config_file) {
            files.push(p.config_file.clone());
        }
    }
    Ok(files)
}

/// Finds and loads the workspace (or standalone project) that `target` belongs to.
pub fn discover(target: &Path, resolve: Resolve) -> Result<Workspace> {
    let target = std::fs::canonicalize(target).map_err(|source| ConfigError::TargetPath {
        path: target.to_path_buf(),
        source,
    })?;
    let mut root: Option<ConfigFile> = None;
    let mut workspace: Option<ConfigFile> = None;
    for dir in target.ancestors() {
        let found = read_config_in(dir).map_err(|p| ConfigError::Invalid(vec![p]))?;
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
            let mut loaded = load_workspace_file(ws, resolve)?;
            loaded.current = root_dir
                .as_ref()
                .and_then(|d| loaded.projects.iter().position(|p| &p.root == d));
            if let (Some(dir), None) = (&root_dir, loaded.current) {
                return Err(ConfigError::Unlisted {
                    dir: dir.clone(),
                    listed_as: crate::path::display(dir, &loaded.root),
                    root: loaded.root,
                    workspace_file: loaded.config_file,
                });
            }
            Ok(loaded)
        }
        (None, Some(project_file)) => load_standalone(project_file, resolve),
        (None, None) => Err(ConfigError::NotFound { target }),
    }
}

/// A key of real dg's `[cli]` table, merged as real dg merges `[cli]`: the user file
/// (`user_file`) < the workspace file < the root file (a project's `[cli]` counts only for a
/// standalone project). Files that do not parse are left to discovery to report.
fn cli_item(target: &Path, user_file: Option<&Path>, key: &str) -> Option<toml_edit::Item> {
    let of_table = |table: &dyn toml_edit::TableLike| -> Option<toml_edit::Item> {
        table.get("cli")?.as_table_like()?.get(key).cloned()
    };
    let of = |file: &ConfigFile| file.dg_table().and_then(|(t, _)| of_table(t));
    let target = std::fs::canonicalize(target).ok()?;
    let mut root: Option<Option<toml_edit::Item>> = None;
    let mut workspace: Option<Option<toml_edit::Item>> = None;
    for dir in target.ancestors() {
        let Ok(Some(file)) = read_config_in(dir) else {
            continue;
        };
        if file.directory_type() == Some("deployment") {
            continue;
        }
        if file.directory_type() == Some("workspace") {
            workspace = Some(of(&file));
            break;
        }
        if root.is_none() {
            root = Some(of(&file));
        }
    }
    let user = || {
        let text = std::fs::read_to_string(user_file?).ok()?;
        let doc: toml_edit::DocumentMut = text.parse().ok()?;
        of_table(doc.as_table())
    };
    match (workspace, root) {
        // A project inside a workspace: its own [cli] is ignored (as real dg does).
        (Some(ws), _) => ws.or_else(user),
        (None, Some(r)) => r.or_else(user),
        (None, None) => user(),
    }
}

/// Real dg's `[cli] verbose` for `target`.
pub fn cli_verbose(target: &Path, user_file: Option<&Path>) -> Option<bool> {
    cli_item(target, user_file, "verbose")?.as_bool()
}

/// Real dg's `[cli] use_component_modules` for the project at `root`: when given, a
/// location's component registry is read from these modules instead of the environment's
/// entry points.
pub fn use_component_modules(root: &Path, user_file: Option<&Path>) -> Vec<String> {
    cli_item(root, user_file, "use_component_modules")
        .and_then(|i| {
            i.as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}
