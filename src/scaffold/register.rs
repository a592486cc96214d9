//! Registering a project in the workspace file with a format-preserving edit (toml_edit):
//! comments, key order and blank lines stay as they are. Both list forms real dg accepts are
//! handled: an array of tables gets a new `[[workspace.projects]]` entry right after the last
//! one, with a blank line before it as real create-dagster writes; an inline array gets a new
//! `{ path = "..." }` element laid out like the elements already there.

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

/// The `workspace` table of a workspace file, for either file format.
fn workspace_table(doc: &DocumentMut, nested: bool) -> Option<&dyn TableLike> {
    let root: &dyn TableLike = doc.as_table();
    let root = if nested {
        root.get("tool")?
            .as_table_like()?
            .get("dg")?
            .as_table_like()?
    } else {
        root
    };
    root.get("workspace")?.as_table_like()
}

fn workspace_table_mut(doc: &mut DocumentMut, nested: bool) -> Option<&mut dyn TableLike> {
    dg_root_mut(doc, nested)?
        .get_mut("workspace")?
        .as_table_like_mut()
}

/// Where a config file's dg keys are: the document itself (dg.toml), or its `[tool.dg]`
/// table when `nested` (pyproject.toml).
pub(super) fn dg_root_mut(doc: &mut DocumentMut, nested: bool) -> Option<&mut dyn TableLike> {
    let root: &mut dyn TableLike = doc.as_table_mut();
    if !nested {
        return Some(root);
    }
    root.get_mut("tool")?
        .as_table_like_mut()?
        .get_mut("dg")?
        .as_table_like_mut()
}

/// The `path` of every listed project, as written.
pub fn listed_paths(doc: &DocumentMut, nested: bool) -> Vec<String> {
    let Some(projects) = workspace_table(doc, nested).and_then(|w| w.get("projects")) else {
        return Vec::new();
    };
    let path_of = |t: &dyn TableLike| t.get("path").and_then(Item::as_str).map(str::to_string);
    match projects {
        Item::ArrayOfTables(aot) => aot.iter().filter_map(|t| path_of(t)).collect(),
        Item::Value(Value::Array(arr)) => arr
            .iter()
            .filter_map(|v| v.as_inline_table().and_then(|t| path_of(t)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Adds `{ path = <path> }` to the workspace's project list. Errors name what is in the way.
pub fn add_project(doc: &mut DocumentMut, nested: bool, path: &str) -> Result<(), String> {
    let prefix = if nested { "tool.dg." } else { "" };
    let workspace = workspace_table_mut(doc, nested)
        .ok_or_else(|| format!("the workspace file has no `[{prefix}workspace]` table"))?;
    match workspace.get_mut("projects") {
        None => {
            let mut aot = ArrayOfTables::new();
            aot.push(new_entry_table(path));
            workspace.insert("projects", Item::ArrayOfTables(aot));
            Ok(())
        }
        Some(Item::ArrayOfTables(aot)) => {
            aot.push(new_entry_table(path));
            Ok(())
        }
        Some(Item::Value(Value::Array(arr))) => {
            let mut entry = InlineTable::new();
            entry.insert("path", path.into());
            let mut value = Value::InlineTable(entry);
            let prefix = match arr.iter().last() {
                None => "".to_string(),
                Some(last) => {
                    let last_prefix = last
                        .decor()
                        .prefix()
                        .and_then(|p| p.as_str())
                        .unwrap_or(" ");
                    match last_prefix.rfind('\n') {
                        // One element per line: same indentation, comments not copied.
                        Some(i) => format!("\n{}", &last_prefix[i + 1..]),
                        None => " ".to_string(),
                    }
                }
            };
            value.decor_mut().set_prefix(prefix);
            value.decor_mut().set_suffix("");
            arr.push_formatted(value);
            Ok(())
        }
        Some(_) => Err(format!(
            "`{prefix}workspace.projects` is neither an array of tables nor an array"
        )),
    }
}

/// A `[[workspace.projects]]` entry with a blank line before its header. Without a position
/// it is written right after the table before it in the document (the last entry, or
/// `[workspace]`), so a later `[cli]` table stays last.
fn new_entry_table(path: &str) -> Table {
    let mut t = Table::new();
    t.insert("path", toml_edit::value(path));
    t.decor_mut().set_prefix("\n");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(text: &str, path: &str) -> String {
        let mut doc: DocumentMut = text.parse().unwrap();
        add_project(&mut doc, false, path).unwrap();
        doc.to_string()
    }

    #[test]
    fn first_entry_matches_real_create_dagster() {
        let once = add(
            "directory_type = \"workspace\"\n\n[workspace]\n",
            "projects/a",
        );
        assert_eq!(
            once,
            "directory_type = \"workspace\"\n\n[workspace]\n\n[[workspace.projects]]\npath = \"projects/a\"\n"
        );
        let twice = add(&once, "projects/b");
        assert!(
            twice.ends_with(
                "path = \"projects/a\"\n\n[[workspace.projects]]\npath = \"projects/b\"\n"
            )
        );
    }

    #[test]
    fn nested_pyproject_workspace() {
        let mut doc: DocumentMut =
            "[tool.dg]\ndirectory_type = \"workspace\"\n\n[tool.dg.workspace]\n"
                .parse()
                .unwrap();
        add_project(&mut doc, true, "projects/a").unwrap();
        assert_eq!(listed_paths(&doc, true), ["projects/a"]);
        assert!(
            doc.to_string()
                .ends_with("\n[[tool.dg.workspace.projects]]\npath = \"projects/a\"\n")
        );
    }

    #[test]
    fn empty_inline_array() {
        let out = add(
            "directory_type = \"workspace\"\n[workspace]\nprojects = []\n",
            "p/a",
        );
        assert!(out.contains("projects = [{ path = \"p/a\" }]\n"), "{out}");
    }
}
