//! Rendering an embedded template tree the way real create-dagster's `scaffold_subtree`
//! does: the placeholder folder name becomes the package name, every file goes through the
//! template engine, a `.jinja` suffix is dropped, a trailing newline is appended, and
//! `.gitkeep` files (which only keep empty folders in git) are not copied.

use super::error::{Result, ScaffoldError};
use include_dir::{Dir, DirEntry, include_dir};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::path::{Path, PathBuf};

pub static PROJECT_TEMPLATE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates/project");
pub static WORKSPACE_TEMPLATE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates/workspace");
/// Real dg's COMPONENT_TYPE template (`dg scaffold component`).
pub static COMPONENT_TYPE_TEMPLATE: Dir<'_> =
    include_dir!("$CARGO_MANIFEST_DIR/templates/component-type");

pub const PROJECT_PLACEHOLDER: &str = "PROJECT_NAME_PLACEHOLDER";
pub const COMPONENT_TYPE_PLACEHOLDER: &str = "COMPONENT_TYPE_NAME_PLACEHOLDER";

/// A rendered tree, relative to its root, not yet written.
#[derive(Debug, Default)]
pub struct Tree {
    /// Every folder, parents before children (empty ones too, like `projects/`).
    pub dirs: Vec<PathBuf>,
    pub files: Vec<(PathBuf, String)>,
}

/// Renders `template` with `ctx`, replacing `placeholder` in paths by `name` and leaving out
/// files whose output path is in `excludes`.
pub fn render_tree(
    template: &Dir<'_>,
    placeholder: &str,
    name: &str,
    ctx: &Value,
    excludes: &[&str],
) -> Result<Tree> {
    let mut env = Environment::new();
    // A variable the templates use but the code forgot is a bug, not an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let mut tree = Tree::default();
    walk(template, &env, placeholder, name, ctx, excludes, &mut tree)?;
    Ok(tree)
}

fn walk(
    dir: &Dir<'_>,
    env: &Environment<'_>,
    placeholder: &str,
    name: &str,
    ctx: &Value,
    excludes: &[&str],
    tree: &mut Tree,
) -> Result<()> {
    let mut entries: Vec<&DirEntry<'_>> = dir.entries().iter().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let out = output_path(entry.path(), placeholder, name);
        match entry {
            DirEntry::Dir(d) => {
                tree.dirs.push(out);
                walk(d, env, placeholder, name, ctx, excludes, tree)?;
            }
            DirEntry::File(f) => {
                if f.path().file_name().is_some_and(|n| n == ".gitkeep") {
                    continue;
                }
                let out = match out.to_str().and_then(|s| s.strip_suffix(".jinja")) {
                    Some(stripped) => PathBuf::from(stripped),
                    None => out,
                };
                if excludes.iter().any(|x| out == Path::new(x)) {
                    continue;
                }
                let source = f.contents_utf8().ok_or_else(|| {
                    internal(format!("template {} is not UTF-8", f.path().display()))
                })?;
                let mut text = env.render_str(source, ctx.clone()).map_err(|e| {
                    internal(format!(
                        "template {} does not render: {e}",
                        f.path().display()
                    ))
                })?;
                text.push('\n');
                tree.files.push((out, text));
            }
        }
    }
    Ok(())
}

/// The template's relative path with the first placeholder folder renamed, as real
/// create-dagster does.
fn output_path(template_path: &Path, placeholder: &str, name: &str) -> PathBuf {
    let s = template_path.to_string_lossy();
    PathBuf::from(s.replacen(placeholder, name, 1))
}

fn internal(message: String) -> ScaffoldError {
    ScaffoldError::Template(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn project_tree_has_the_real_layout() {
        let ctx = context! {
            project_name => "proj_a",
            project_id => "00000000-0000-4000-8000-000000000000",
            requires_python => ">=3.10,<3.15",
            dependencies => vec!["dagster==1.13.27"],
            dev_dependencies => vec!["dagster-dg-cli", "dagster-webserver"],
            python => Value::from(()),
        };
        let tree =
            render_tree(&PROJECT_TEMPLATE, PROJECT_PLACEHOLDER, "proj_a", &ctx, &[]).unwrap();
        let files: Vec<String> = tree
            .files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert_eq!(
            files,
            [
                ".dg/telemetry.yaml",
                ".gitignore",
                "README.md",
                "pyproject.toml",
                "src/proj_a/__init__.py",
                "src/proj_a/definitions.py",
                "src/proj_a/defs/__init__.py",
                "tests/__init__.py"
            ]
        );
        let init = &tree.files[4].1;
        assert_eq!(init, "\n", "empty files get the trailing newline");
    }
}
