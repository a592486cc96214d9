//! `dg scaffold component NAME`: a team's own component type, as real dg 1.13 writes it. The
//! module `<root_module>.components.<snake_case name>` (or the dotted module NAME names) is
//! rendered from dagster-dg-cli's COMPONENT_TYPE template, byte for byte; each package above it
//! gets an `__init__.py`; then the module is added to `registry_modules` in the project's
//! config file (a format-preserving edit) unless a pattern there already matches it. A
//! project with a registry entry point instead gets the class imported in its entry point
//! package's `__init__.py`, as real dg does. Needs no Python.
//!
//! Everything is decided before anything is written, a module is never overwritten, and the
//! config file is changed last: when that fails, what was written is removed again.

use super::error::{Result, ScaffoldError};
use super::names::is_identifier;
use super::registry_modules::{add_registry_module, matches_pattern};
use super::render::{COMPONENT_TYPE_PLACEHOLDER, COMPONENT_TYPE_TEMPLATE, render_tree};
use crate::config::Project;
use std::path::{Path, PathBuf};

/// What `dg scaffold component` wrote.
#[derive(Debug)]
pub struct ComponentTypeWritten {
    /// `data_science.components.my_comp`.
    pub module: String,
    /// `MyComp`.
    pub class: String,
    pub file: PathBuf,
    /// The packages (folders) it had to create, parents first.
    pub created_packages: Vec<PathBuf>,
    /// The file whose `registry_modules` (or entry point `__init__.py`) now names the module,
    /// when one had to change.
    pub registered_in: Option<PathBuf>,
}

/// Where the new type goes: its module and class, from NAME.
#[derive(Debug, PartialEq)]
struct Placement {
    module: String,
    class: String,
}

/// Real dg's `_parse_component_name`, with names checked: `MyComp` goes into
/// `<registry root>.my_comp`; `pkg.sub.MyComp` into `pkg.sub`, which must be below the root
/// module (and below the entry point module, when there is one).
fn place(name: &str, root_module: &str, entry_point: Option<&str>) -> Result<Placement> {
    let bad = |why: String| ScaffoldError::BadComponentName {
        name: name.to_string(),
        why,
    };
    let registry_root = match entry_point {
        Some(m) => m.to_string(),
        None => format!("{root_module}.components"),
    };
    let (module, class) = match name.rsplit_once('.') {
        Some((module, class)) => (module.to_string(), class.to_string()),
        None => (
            format!("{registry_root}.{}", snakecase(name)),
            name.to_string(),
        ),
    };
    if !is_identifier(&class) {
        return Err(bad(format!("`{class}` is not a Python class name")));
    }
    if let Some(seg) = module.split('.').find(|s| !is_identifier(s)) {
        return Err(bad(if seg.is_empty() {
            format!("the module `{module}` has an empty part")
        } else {
            format!("`{seg}` in `{module}` is not a Python module name")
        }));
    }
    let below = |parent: &str| module.starts_with(&format!("{parent}."));
    if !below(root_module) {
        return Err(ScaffoldError::ComponentOutsideModule {
            name: name.to_string(),
            parent: root_module.to_string(),
            what: "root module",
        });
    }
    if let Some(ep) = entry_point
        && !(module == ep || below(ep))
    {
        return Err(ScaffoldError::ComponentOutsideModule {
            name: name.to_string(),
            parent: ep.to_string(),
            what: "registry entry point module",
        });
    }
    Ok(Placement { module, class })
}

/// Real dg's `snakecase`: `ACMEDatabricksJobComponent` → `acme_databricks_job_component`.
pub fn snakecase(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut spaced = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let upper = c.is_ascii_uppercase();
        // `ACMEDatabricks` → `ACME_Databricks`; `myComp`, `v2Comp` → `my_Comp`, `v2_Comp`.
        let run_end = upper
            && prev.is_some_and(|p| p.is_ascii_uppercase())
            && next.is_some_and(|n| n.is_ascii_lowercase());
        let after_lower =
            upper && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
        if run_end || after_lower {
            spaced.push('_');
        }
        spaced.push(c);
    }
    let mut out = String::new();
    for c in spaced.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_matches('_').to_string()
}

/// The folder a project's modules live in: `src/` when the project has one, else its root
/// (real dg's rule).
fn module_base(project: &Project) -> PathBuf {
    let src = project.root.join("src");
    if src.is_dir() {
        src
    } else {
        project.root.clone()
    }
}

/// The first module the project's registry entry point names, as real dg reads it from
/// pyproject.toml (`[project.entry-points."dagster_dg_cli.registry_modules"]`, or an older
/// group name).
fn entry_point_module(project: &Project) -> Option<String> {
    if !project.registry_entry_point {
        return None;
    }
    let text = std::fs::read_to_string(project.root.join("pyproject.toml")).ok()?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    let eps = doc.get("project")?.get("entry-points")?.as_table_like()?;
    let group = crate::config::REGISTRY_ENTRY_POINT_GROUPS
        .iter()
        .find_map(|g| eps.get(g))?
        .as_table_like()?;
    group
        .iter()
        .find_map(|(_, v)| v.as_str().map(str::to_string))
}

/// Scaffolds the component type NAME in `project`.
pub fn scaffold_component_type(
    project: &Project,
    name: &str,
    model: bool,
) -> Result<ComponentTypeWritten> {
    let entry_point = entry_point_module(project);
    let Placement { module, class } = place(name, &project.root_module, entry_point.as_deref())?;
    let base = module_base(project);
    let parts: Vec<&str> = module.split('.').collect();
    let path_of = |n: usize| base.join(parts[..n].join("/"));
    let file = path_of(parts.len()).with_extension("py");
    for existing in [file.clone(), path_of(parts.len())] {
        if std::fs::symlink_metadata(&existing).is_ok() {
            return Err(ScaffoldError::ModuleExists {
                module: module.clone(),
                path: existing,
            });
        }
    }
    // The packages from below the root module down to the new module's parent.
    let root_len = project.root_module.split('.').count();
    let packages: Vec<PathBuf> = (root_len + 1..parts.len()).map(path_of).collect();
    for p in &packages {
        let as_module = p.with_extension("py");
        if as_module.is_file() {
            return Err(ScaffoldError::NotAPackage { path: as_module });
        }
    }
    let parent = path_of(parts.len() - 1);
    let ctx = minijinja::context! { name => &class, model => model };
    let leaf = parts[parts.len() - 1];
    let tree = render_tree(
        &COMPONENT_TYPE_TEMPLATE,
        COMPONENT_TYPE_PLACEHOLDER,
        leaf,
        &ctx,
        &[],
    )?;
    let [(_, text)] = &tree.files[..] else {
        return Err(ScaffoldError::Template(
            "the component type template is not one file".into(),
        ));
    };
    let registration = registration(project, entry_point.as_deref(), &module, &class, &parent)?;
    let mut written = Written::default();
    let result = write_all(&mut written, &packages, &file, text, registration.as_ref());
    if let Err(e) = result {
        written.undo();
        return Err(e);
    }
    Ok(ComponentTypeWritten {
        module,
        class,
        file,
        created_packages: written.dirs,
        registered_in: registration.map(|(path, _)| path),
    })
}

/// The file to change so the registry finds the new module, and its new text: the entry point
/// package's `__init__.py` importing the class, or the config file listing the module; none
/// when a `registry_modules` pattern already matches it.
fn registration(
    project: &Project,
    entry_point: Option<&str>,
    module: &str,
    class: &str,
    parent: &Path,
) -> Result<Option<(PathBuf, String)>> {
    if entry_point.is_some() {
        let init = parent.join("__init__.py");
        let mut text = std::fs::read_to_string(&init).unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("from {module} import {class} as {class}\n"));
        return Ok(Some((init, text)));
    }
    if project
        .registry_modules
        .iter()
        .any(|p| matches_pattern(module, p))
    {
        return Ok(None);
    }
    let file = project.config_file.clone();
    let text = std::fs::read_to_string(&file).map_err(|e| ScaffoldError::io("read", &file, e))?;
    let nested = file.file_name().is_some_and(|n| n != "dg.toml");
    let new = add_registry_module(&text, nested, module).map_err(|message| {
        ScaffoldError::CannotRegisterModule {
            file: file.clone(),
            message,
        }
    })?;
    Ok(Some((file, new)))
}

/// What has been written so far, to remove again when a later write fails.
#[derive(Default)]
struct Written {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Written {
    fn undo(&self) {
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn write_all(
    written: &mut Written,
    packages: &[PathBuf],
    file: &Path,
    text: &str,
    registration: Option<&(PathBuf, String)>,
) -> Result<()> {
    for p in packages {
        if !p.exists() {
            crate::fs::create_dir_all(p)?;
            written.dirs.push(p.clone());
        }
        let init = p.join("__init__.py");
        if std::fs::symlink_metadata(&init).is_err() {
            crate::fs::write_new(&init, b"")?;
            written.files.push(init);
        }
    }
    crate::fs::write_new(file, text.as_bytes())?;
    written.files.push(file.to_path_buf());
    if let Some((path, text)) = registration {
        crate::fs::write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snakecase_is_real_dgs() {
        for (given, expected) in [
            ("MyComp", "my_comp"),
            (
                "ACMEDatabricksJobComponent",
                "acme_databricks_job_component",
            ),
            ("myComp", "my_comp"),
            ("V2Comp", "v2_comp"),
            ("comp2Go", "comp2_go"),
            ("HTTPServer", "http_server"),
            ("Already_Snake", "already_snake"),
            ("__X__", "x"),
            ("ABC", "abc"),
            ("aBCdE", "a_b_cd_e"),
            ("X1Y2Z", "x1_y2_z"),
            ("ÄbcDef", "bc_def"),
        ] {
            assert_eq!(snakecase(given), expected, "{given}");
        }
    }

    #[test]
    fn names_are_placed_like_real_dg_places_them() {
        let p = |name| place(name, "proj", None);
        assert_eq!(
            p("MyComp").unwrap(),
            Placement {
                module: "proj.components.my_comp".into(),
                class: "MyComp".into()
            }
        );
        assert_eq!(p("proj.lib.sub.Thing").unwrap().module, "proj.lib.sub");
        assert!(matches!(
            p("other.Thing"),
            Err(ScaffoldError::ComponentOutsideModule { .. })
        ));
        // The root module itself is no place for a module of its own.
        assert!(matches!(
            p("proj.Thing"),
            Err(ScaffoldError::ComponentOutsideModule { .. })
        ));
        assert!(matches!(
            p("projx.components.Thing"),
            Err(ScaffoldError::ComponentOutsideModule { .. })
        ));
        for bad in [
            "My-Comp",
            "1Comp",
            "class",
            "proj..X",
            "proj.comp-s.X",
            "proj.x.",
        ] {
            assert!(
                matches!(p(bad), Err(ScaffoldError::BadComponentName { .. })),
                "{bad}"
            );
        }
        let ep = place("Thing", "proj", Some("proj.lib")).unwrap();
        assert_eq!(ep.module, "proj.lib.thing");
        assert!(place("proj.other.Thing", "proj", Some("proj.lib")).is_err());
    }

    #[test]
    fn the_template_renders_as_real_dg_renders_it() {
        let render = |model: bool| {
            let ctx = minijinja::context! { name => "MyComp", model => model };
            let tree = render_tree(
                &COMPONENT_TYPE_TEMPLATE,
                COMPONENT_TYPE_PLACEHOLDER,
                "my_comp",
                &ctx,
                &[],
            )
            .unwrap();
            assert_eq!(tree.files.len(), 1);
            assert_eq!(tree.files[0].0, Path::new("my_comp.py"));
            tree.files[0].1.clone()
        };
        assert_eq!(
            render(true),
            "import dagster as dg\n\nclass MyComp(dg.Component, dg.Model, dg.Resolvable):\n    \"\"\"COMPONENT SUMMARY HERE.\n\n    COMPONENT DESCRIPTION HERE.\n    \"\"\"\n\n    # added fields here will define params when instantiated in Python, and yaml schema via Resolvable\n\n    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:\n        # Add definition construction logic here.\n        return dg.Definitions()\n"
        );
        assert_eq!(
            render(false),
            "import dagster as dg\n\nclass MyComp(dg.Component, dg.Resolvable):\n    \"\"\"COMPONENT SUMMARY HERE.\n\n    COMPONENT DESCRIPTION HERE.\n    \"\"\"\n\n    def __init__(\n        self,\n        # added params here define needed arguments when instantiated in Python, and yaml schema via Resolvable\n    ):\n        pass\n\n    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:\n        # Add definition construction logic here.\n        return dg.Definitions()\n"
        );
    }
}
