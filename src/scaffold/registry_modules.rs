//! Adding a module to a project's `registry_modules` with a format-preserving edit
//! (toml_edit): comments, key order and blank lines stay as they are. A list written one
//! module per line (what create-dagster writes) gets the new module on a line of its own,
//! indented like the others and followed by a comma, as real dg's tomlkit edit writes it; a
//! missing (or empty) list becomes one laid out that way. A list on one line stays on one line.

use toml_edit::{Array, DocumentMut, Item, TableLike, Value};

/// Whether `module` matches `pattern` (segments separated by `.`, `*` matching one whole
/// segment), as real dg matches `registry_modules` patterns.
pub fn matches_pattern(module: &str, pattern: &str) -> bool {
    let (m, p): (Vec<&str>, Vec<&str>) =
        (module.split('.').collect(), pattern.split('.').collect());
    m.len() == p.len() && m.iter().zip(&p).all(|(m, p)| *p == "*" || p == m)
}

/// `text` (a project's config file) with `module` added to its `registry_modules`; `nested`
/// when the file is a pyproject.toml (`[tool.dg.project]`) rather than a dg.toml (`[project]`).
pub fn add_registry_module(text: &str, nested: bool, module: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("invalid TOML: {e}"))?;
    let prefix = if nested { "tool.dg." } else { "" };
    let missing =
        project_table(&mut doc, nested).is_some_and(|p| !p.contains_key("registry_modules"));
    let comments = if missing {
        take_following_comments(&mut doc, nested)
    } else {
        String::new()
    };
    let project = project_table(&mut doc, nested)
        .ok_or_else(|| format!("there is no `[{prefix}project]` table"))?;
    match project.get_mut("registry_modules") {
        None => {
            project.insert("registry_modules", Item::Value(one_per_line(module)));
            if let Some(mut key) = project.key_mut("registry_modules") {
                key.leaf_decor_mut().set_prefix(comments);
            }
        }
        Some(Item::Value(Value::Array(arr))) if arr.is_empty() => {
            let decor = arr.decor().clone();
            *arr = match one_per_line(module) {
                Value::Array(a) => a,
                _ => unreachable!("one_per_line makes an array"),
            };
            *arr.decor_mut() = decor;
        }
        Some(Item::Value(Value::Array(arr))) => push(arr, module),
        Some(_) => {
            return Err(format!(
                "`{prefix}project.registry_modules` is not an array"
            ));
        }
    }
    Ok(doc.to_string())
}

fn project_table(doc: &mut DocumentMut, nested: bool) -> Option<&mut dyn TableLike> {
    super::register::dg_root_mut(doc, nested)?
        .get_mut("project")?
        .as_table_like_mut()
}

/// The comment lines after the project table's last key. toml_edit holds them in what follows
/// (the next table's header, or the end of the document); real dg's tomlkit edit puts a new
/// key after them, so they are taken from there to go in front of the new key, and only the
/// blank lines after them stay where they were.
fn take_following_comments(doc: &mut DocumentMut, nested: bool) -> String {
    let path: Vec<String> = if nested {
        vec!["tool".into(), "dg".into(), "project".into()]
    } else {
        vec!["project".into()]
    };
    let mut tables = Vec::new();
    walk(doc.as_table(), &mut Vec::new(), &mut tables);
    let Some(here) = tables
        .iter()
        .find(|t| t.0 == path && t.1.is_none())
        .map(|t| t.2)
    else {
        return String::new();
    };
    let next = tables
        .into_iter()
        .filter(|t| t.2 > here)
        .min_by_key(|t| t.2);
    let following = match &next {
        Some(t) => t.3.clone(),
        None => doc.trailing().as_str().unwrap_or("").to_string(),
    };
    let mut end = 0;
    let mut at = 0;
    for line in following.split_inclusive('\n') {
        at += line.len();
        if line.trim_start().starts_with('#') {
            end = at;
        }
    }
    if end == 0 {
        return String::new();
    }
    let (comments, rest) = following.split_at(end);
    match next {
        None => doc.set_trailing(rest),
        Some((path, index, _, _)) => {
            let mut t = doc.as_table_mut();
            let (last, parents) = path.split_last().expect("a table has a name");
            for k in parents {
                t = t[k.as_str()].as_table_mut().expect("a table on the way");
            }
            let table = match index {
                None => t[last.as_str()].as_table_mut(),
                Some(i) => t[last.as_str()]
                    .as_array_of_tables_mut()
                    .and_then(|a| a.get_mut(i)),
            };
            if let Some(table) = table {
                table.decor_mut().set_prefix(rest);
            }
        }
    }
    let mut comments = comments.to_string();
    if !comments.ends_with('\n') {
        comments.push('\n');
    }
    comments
}

/// A table with a header: its path, its index in an array of tables, its position in the
/// document and the text before its header.
type HeaderTable = (Vec<String>, Option<usize>, isize, String);

fn walk(table: &toml_edit::Table, path: &mut Vec<String>, out: &mut Vec<HeaderTable>) {
    for (k, item) in table.iter() {
        path.push(k.to_string());
        let tables: Vec<(Option<usize>, &toml_edit::Table)> = match item {
            Item::Table(t) => vec![(None, t)],
            Item::ArrayOfTables(a) => a.iter().enumerate().map(|(i, t)| (Some(i), t)).collect(),
            _ => Vec::new(),
        };
        for (index, t) in tables {
            if let Some(pos) = t.position() {
                let prefix = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
                out.push((path.clone(), index, pos, prefix.to_string()));
            }
            walk(t, path, out);
        }
        path.pop();
    }
}

/// `[\n    "<module>",\n]`.
fn one_per_line(module: &str) -> Value {
    let mut arr = Array::new();
    let mut v = Value::from(module);
    v.decor_mut().set_prefix("\n    ");
    v.decor_mut().set_suffix("");
    arr.push_formatted(v);
    arr.set_trailing_comma(true);
    arr.set_trailing("\n");
    Value::Array(arr)
}

/// Appends `module` to a non-empty array, laid out like the elements already there.
fn push(arr: &mut Array, module: &str) {
    let prefix_of = |v: &Value| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string()
    };
    let first_prefix = arr.iter().next().map(prefix_of).unwrap_or_default();
    // What follows the last element: its suffix when no comma follows it, then the
    // whitespace and comments before `]`.
    let mut after = String::new();
    if !arr.trailing_comma()
        && let Some(last) = arr.iter_mut().last()
    {
        after.push_str(last.decor().suffix().and_then(|s| s.as_str()).unwrap_or(""));
        last.decor_mut().set_suffix("");
    }
    after.push_str(arr.trailing().as_str().unwrap_or(""));
    let mut v = Value::from(module);
    v.decor_mut().set_suffix("");
    match (first_prefix.rfind('\n'), after.rfind('\n')) {
        // One element per line: what stood after the last element (a comment) stays there,
        // the new element gets the first one's indentation, `]` keeps its own.
        (Some(i), Some(j)) => {
            let indent = &first_prefix[i + 1..];
            v.decor_mut()
                .set_prefix(format!("{}{indent}", &after[..=j]));
            arr.set_trailing(format!("\n{}", &after[j + 1..]));
            arr.set_trailing_comma(true);
        }
        (Some(i), None) => {
            let indent = &first_prefix[i + 1..];
            v.decor_mut().set_prefix(format!("{after}\n{indent}"));
            arr.set_trailing("\n");
            arr.set_trailing_comma(true);
        }
        // On one line: `["a", "b"]`.
        (None, _) => {
            v.decor_mut().set_prefix(" ");
            arr.set_trailing(after);
        }
    }
    arr.push_formatted(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "[tool.dg]\ndirectory_type = \"project\"\n\n[tool.dg.project]\nroot_module = \"a\"\n";

    fn add(rest: &str) -> String {
        add_registry_module(&format!("{HEAD}{rest}"), true, "a.components.my_comp")
            .unwrap()
            .strip_prefix(HEAD)
            .unwrap()
            .to_string()
    }

    #[test]
    fn patterns_match_whole_segments() {
        assert!(matches_pattern("a.components.x", "a.components.*"));
        assert!(matches_pattern("a.components.x", "a.components.x"));
        assert!(!matches_pattern("a.components.x.y", "a.components.*"));
        assert!(!matches_pattern("a.componentsx", "a.components"));
        assert!(matches_pattern("a.b.c", "*.*.*"));
    }

    // The expected texts are what real dg's tomlkit edit writes for the same input.
    #[test]
    fn one_per_line_lists_get_a_line_like_the_others() {
        assert_eq!(
            add("registry_modules = [\n    \"a.components.*\",\n]\n"),
            "registry_modules = [\n    \"a.components.*\",\n    \"a.components.my_comp\",\n]\n"
        );
        assert_eq!(
            add("registry_modules = [\n    \"x.y\"\n]\n"),
            "registry_modules = [\n    \"x.y\",\n    \"a.components.my_comp\",\n]\n"
        );
        assert_eq!(
            add("registry_modules = [\n    \"x.y\", # ours\n]\n"),
            "registry_modules = [\n    \"x.y\", # ours\n    \"a.components.my_comp\",\n]\n"
        );
        assert_eq!(
            add("registry_modules = [\n  \"x.y\",\n  ]\n"),
            "registry_modules = [\n  \"x.y\",\n  \"a.components.my_comp\",\n  ]\n"
        );
    }

    #[test]
    fn a_missing_list_is_added_to_the_project_table() {
        assert_eq!(
            add(""),
            "registry_modules = [\n    \"a.components.my_comp\",\n]\n"
        );
        // After the comments that end the table, before the blank lines (as tomlkit does).
        assert_eq!(
            add("# keep me\n\n[tool.other]\nx = 1 # and me\n"),
            "# keep me\nregistry_modules = [\n    \"a.components.my_comp\",\n]\n\n[tool.other]\nx = 1 # and me\n"
        );
        assert_eq!(
            add("\n# about other\n[tool.other]\n"),
            "\n# about other\nregistry_modules = [\n    \"a.components.my_comp\",\n]\n[tool.other]\n"
        );
        assert_eq!(
            add("\n\n[[tool.many]]\nx = 1\n"),
            "registry_modules = [\n    \"a.components.my_comp\",\n]\n\n\n[[tool.many]]\nx = 1\n"
        );
        assert_eq!(
            add("# c1\n# c2\n\n\n"),
            "# c1\n# c2\nregistry_modules = [\n    \"a.components.my_comp\",\n]\n\n\n"
        );
        assert_eq!(
            add("x = 1 # inline\n\n# c\n[tool.z]\n"),
            "x = 1 # inline\n\n# c\nregistry_modules = [\n    \"a.components.my_comp\",\n]\n[tool.z]\n"
        );
        assert_eq!(
            add("registry_modules = []\n"),
            "registry_modules = [\n    \"a.components.my_comp\",\n]\n"
        );
    }

    #[test]
    fn one_line_lists_stay_on_one_line() {
        assert_eq!(
            add("registry_modules = [\"x.y\"]\n"),
            "registry_modules = [\"x.y\", \"a.components.my_comp\"]\n"
        );
    }

    #[test]
    fn a_dg_toml_project_and_errors() {
        let out = add_registry_module(
            "directory_type = \"project\"\n\n[project]\nroot_module = \"a\"\n",
            false,
            "a.components.c",
        )
        .unwrap();
        assert!(
            out.ends_with(
                "root_module = \"a\"\nregistry_modules = [\n    \"a.components.c\",\n]\n"
            )
        );
        let err =
            add_registry_module(&format!("{HEAD}registry_modules = 1\n"), true, "m").unwrap_err();
        assert!(
            err.contains("`tool.dg.project.registry_modules` is not an array"),
            "{err}"
        );
        assert!(
            add_registry_module("x = 1\n", true, "m")
                .unwrap_err()
                .contains("[tool.dg.project]")
        );
    }
}
