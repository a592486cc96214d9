//! Whether a project is built the way `uv sync` builds it, read once with the project: a
//! `uv.lock` beside its pyproject.toml (or at the root of the uv workspace it is a member
//! of), or `[tool.uv.sources]` naming where a dependency comes from (a sibling folder, a git
//! repository, an index). pip can honour neither, so `dg sync` installs such a project with
//! uv (`python::env`).

use serde::Serialize;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UvProject {
    /// Where `uv sync` runs: the project's folder, or its uv workspace's root.
    pub root: PathBuf,
    /// The lock file, when there is one (`<root>/uv.lock`).
    pub lock: Option<PathBuf>,
    /// `[project] name`, for `uv sync --package` when the lock is a uv workspace's.
    pub package: Option<String>,
}

impl UvProject {
    /// Whether the lock belongs to a uv workspace above the project.
    pub fn in_uv_workspace(&self, project_root: &Path) -> bool {
        self.root != project_root
    }
}

/// `dir`'s uv facts from its parsed pyproject.toml (`doc`), or `None` when pip builds it
/// as uv would (no lock, no sources, no uv workspace).
pub(super) fn read(dir: &Path, doc: &Table) -> Option<UvProject> {
    let name = doc
        .get("project")
        .and_then(|p| p.get("name"))
        .and_then(Item::as_str)
        .map(str::to_string);
    if let Some(root) = workspace_root(dir) {
        let lock = Some(root.join("uv.lock")).filter(|l| l.is_file());
        return Some(UvProject {
            root,
            lock,
            package: name,
        });
    }
    let lock = Some(dir.join("uv.lock")).filter(|l| l.is_file());
    let sources = uv_table(doc).is_some_and(|uv| uv.get("sources").is_some());
    (lock.is_some() || sources).then(|| UvProject {
        root: dir.to_path_buf(),
        lock,
        package: name,
    })
}

fn uv_table(doc: &Table) -> Option<&Item> {
    doc.get("tool")?.get("uv")
}

/// The nearest folder above `dir` whose pyproject.toml declares a `[tool.uv.workspace]` that
/// has `dir` among its members (globs, minus `exclude`), as uv finds it.
fn workspace_root(dir: &Path) -> Option<PathBuf> {
    for root in dir.ancestors().skip(1) {
        let Ok(text) = std::fs::read_to_string(root.join("pyproject.toml")) else {
            continue;
        };
        let Ok(doc) = text.parse::<DocumentMut>() else {
            continue;
        };
        let Some(ws) = uv_table(doc.as_table()).and_then(|uv| uv.get("workspace")) else {
            continue;
        };
        let rel = dir.strip_prefix(root).ok()?;
        let globs = |key: &str| -> globset::GlobSet {
            let mut set = globset::GlobSetBuilder::new();
            for g in ws
                .get(key)
                .and_then(Item::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
            {
                if let Ok(g) = globset::Glob::new(g.trim_end_matches('/')) {
                    set.add(g);
                }
            }
            set.build().unwrap_or_else(|_| globset::GlobSet::empty())
        };
        // uv stops at the first workspace above a project, member or not.
        return (globs("members").is_match(rel) && !globs("exclude").is_match(rel))
            .then(|| root.to_path_buf());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(dir: &Path, extra: &str) -> DocumentMut {
        let text = format!("[project]\nname = \"proj\"\n{extra}");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("pyproject.toml"), &text).unwrap();
        text.parse().unwrap()
    }

    #[test]
    fn a_plain_project_is_left_to_pip() {
        let t = tempfile::tempdir().unwrap();
        let doc = project(t.path(), "");
        assert_eq!(read(t.path(), doc.as_table()), None);
    }

    #[test]
    fn a_lock_or_sources_make_it_a_uv_project() {
        let t = tempfile::tempdir().unwrap();
        let doc = project(t.path(), "");
        std::fs::write(t.path().join("uv.lock"), "version = 1\n").unwrap();
        let uv = read(t.path(), doc.as_table()).unwrap();
        assert_eq!(uv.lock, Some(t.path().join("uv.lock")));
        assert!(!uv.in_uv_workspace(t.path()));

        let t = tempfile::tempdir().unwrap();
        let doc = project(
            t.path(),
            "[tool.uv.sources]\nshared = { path = \"../shared\", editable = true }\n",
        );
        assert_eq!(read(t.path(), doc.as_table()).unwrap().lock, None);
    }

    #[test]
    fn a_member_of_a_uv_workspace_is_synced_from_its_root() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("pyproject.toml"),
            "[tool.uv.workspace]\nmembers = [\"projects/*\"]\nexclude = [\"projects/old\"]\n",
        )
        .unwrap();
        std::fs::write(t.path().join("uv.lock"), "version = 1\n").unwrap();
        let member = t.path().join("projects/etl");
        let doc = project(&member, "");
        let uv = read(&member, doc.as_table()).unwrap();
        assert_eq!(uv.root, t.path());
        assert_eq!(uv.package.as_deref(), Some("proj"));
        assert!(uv.in_uv_workspace(&member));
        // Excluded: its own project, not locked.
        let old = t.path().join("projects/old");
        let doc = project(&old, "");
        assert_eq!(read(&old, doc.as_table()), None);
    }
}
