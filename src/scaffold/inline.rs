//! `dg scaffold defs inline-component PATH --typename NAME [--superclass MODULE.CLASS]`: a
//! component type defined right where its one instance lives, as real dg 1.13 writes it: a
//! new folder in the defs folder holding `<snake_case NAME>.py` (the class) and a `defs.yaml`
//! whose `type:` is that class, both byte for byte (neither ends with a newline, as in real
//! dg). Needs no Python; nothing is written when a name is wrong or the folder exists.

use super::component_type::snakecase;
use super::defs::inside_defs;
use super::error::{Result, ScaffoldError};
use super::names::is_identifier;
use crate::config::Project;
use std::path::{Component, Path, PathBuf};

/// The two files, relative to the new folder, and their text.
pub fn inline_files(
    defs_module: &str,
    path: &Path,
    typename: &str,
    superclass: Option<&str>,
) -> Result<[(String, String); 2]> {
    if !is_identifier(typename) {
        return Err(ScaffoldError::BadComponentName {
            name: typename.to_string(),
            why: format!("`{typename}` is not a Python class name"),
        });
    }
    let (imports, bases) = match superclass {
        None => (
            String::new(),
            "dg.Component, dg.Model, dg.Resolvable".to_string(),
        ),
        Some(s) => {
            let parts: Vec<&str> = s.split('.').collect();
            if parts.len() < 2 || !parts.iter().all(|p| is_identifier(p)) {
                return Err(ScaffoldError::BadSuperclass {
                    given: s.to_string(),
                });
            }
            let (module, name) = s.rsplit_once('.').unwrap_or_default();
            (format!("from {module} import {name}\n"), name.to_string())
        }
    };
    let snake = snakecase(typename);
    let class = format!(
        "import dagster as dg\n{imports}\nclass {typename}({bases}):\n    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:\n        return dg.Definitions()"
    );
    // Real dg joins the path's parts with `.` (the folder's module below the defs module).
    let folder_module: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let defs_yaml = format!(
        "type: {defs_module}.{}.{snake}.{typename}\nattributes: {{}}",
        folder_module.join(".")
    );
    Ok([
        (format!("{snake}.py"), class),
        ("defs.yaml".into(), defs_yaml),
    ])
}

/// Writes the inline component at `path` (relative to the defs folder); returns the folder.
pub fn scaffold_inline_component(
    project: &Project,
    path: &str,
    typename: &str,
    superclass: Option<&str>,
) -> Result<PathBuf> {
    let folder = inside_defs(project, path)?;
    let rel = Path::new(path);
    if rel.file_name().is_none() {
        return Err(ScaffoldError::DefsFileExists { path: folder });
    }
    let files = inline_files(&project.defs_module, rel, typename, superclass)?;
    let target = folder.join(rel);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(ScaffoldError::DefsFileExists { path: target });
    }
    // The parents it creates are removed again when a write fails.
    let mut created = Vec::new();
    let mut dir = target.as_path();
    while std::fs::symlink_metadata(dir).is_err() {
        created.push(dir.to_path_buf());
        match dir.parent() {
            Some(p) => dir = p,
            None => break,
        }
    }
    let result = files
        .iter()
        .try_for_each(|(name, text)| crate::fs::write_new(&target.join(name), text.as_bytes()));
    if let Err(e) = result {
        for (name, _) in &files {
            let _ = std::fs::remove_file(target.join(name));
        }
        for d in &created {
            let _ = std::fs::remove_dir(d);
        }
        return Err(e.into());
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_real_dgs() {
        let [(py, class), (yaml, defs)] = inline_files(
            "proj.defs",
            Path::new("ingest/orders"),
            "OrdersComponent",
            None,
        )
        .unwrap();
        assert_eq!(py, "orders_component.py");
        assert_eq!(
            class,
            "import dagster as dg\n\nclass OrdersComponent(dg.Component, dg.Model, dg.Resolvable):\n    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:\n        return dg.Definitions()"
        );
        assert_eq!(yaml, "defs.yaml");
        assert_eq!(
            defs,
            "type: proj.defs.ingest.orders.orders_component.OrdersComponent\nattributes: {}"
        );
        let [(_, class), _] = inline_files(
            "proj.defs",
            Path::new("./x/"),
            "X",
            Some("dagster.PythonScriptComponent"),
        )
        .unwrap();
        assert!(class.starts_with(
            "import dagster as dg\nfrom dagster import PythonScriptComponent\n\nclass X(PythonScriptComponent):\n"
        ));
    }

    #[test]
    fn names_are_checked() {
        let p = Path::new("x");
        assert!(matches!(
            inline_files("d", p, "Not-A-Class", None),
            Err(ScaffoldError::BadComponentName { .. })
        ));
        for bad in ["PythonScriptComponent", "dagster.", "a-b.C", ""] {
            assert!(
                matches!(
                    inline_files("d", p, "X", Some(bad)),
                    Err(ScaffoldError::BadSuperclass { .. })
                ),
                "{bad}"
            );
        }
    }
}
