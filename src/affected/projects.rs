//! The projects of the base (from its workspace file in git, or from a saved state) against
//! the projects of the head: which were deleted, which were renamed (moved to another
//! path, recognised by their root module), and which are new. Nx marks every project
//! affected when one is deleted; here a deleted project is reported as such and affects
//! only what depended on it.

use super::AffectedError;
use super::git::Repo;
use crate::config::Workspace;
use std::collections::BTreeSet;

/// A project as the base had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseProject {
    /// As listed in the workspace file, normalised (`projects/data-engineering`).
    pub path: String,
    pub location: String,
    /// Known for projects read from a state, and for those git had to look up.
    pub root_module: Option<String>,
}

/// What became of a project of the base that the head does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Deleted,
    /// Now at `path` as location `location`.
    Renamed {
        location: String,
        path: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostProject {
    pub path: String,
    pub location: String,
    pub fate: Fate,
}

/// Head projects against base projects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectChanges {
    pub lost: Vec<LostProject>,
    /// Locations of the head whose project the base did not list (renamed ones excluded).
    pub new: Vec<String>,
    /// The workspace file changed only in its list of projects: that is what `lost` and
    /// `new` report, not a change every location depends on.
    pub listing_only: bool,
}

impl ProjectChanges {
    /// The base path `location` (a head location) was renamed from.
    pub fn renamed_from(&self, location: &str) -> Option<&str> {
        self.lost.iter().find_map(|l| match &l.fate {
            Fate::Renamed { location: to, .. } if to == location => Some(l.path.as_str()),
            _ => None,
        })
    }
}

/// A listed project path (as a workspace file or git has it) in the form changed files use:
/// `./projects/x/` → `projects/x`, `.` for the workspace root. A `\\` counts as a `/` (a
/// workspace file written on Windows); then [`crate::path::normalize`] and
/// [`crate::path::slash`], the rule every path follows.
pub fn normalize(path: &str) -> String {
    let p = path.replace('\\', "/");
    crate::path::slash(&crate::path::normalize(std::path::Path::new(&p)))
}

/// The base's workspace, as git has it at a revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseWorkspace {
    /// `None` when there is no list to compare (a standalone project, an unreadable file);
    /// empty when the base had no workspace file yet.
    pub projects: Option<Vec<BaseProject>>,
    /// [`settings_digest`] of the base's workspace file.
    pub settings: Option<String>,
}

/// The base's projects from its workspace file at `rev`.
pub fn from_git(repo: &Repo, rev: &str, ws: &Workspace) -> Result<BaseWorkspace, AffectedError> {
    if ws.standalone {
        return Ok(BaseWorkspace::default());
    }
    let Ok(rel) = ws.config_file.strip_prefix(&ws.root) else {
        return Ok(BaseWorkspace::default());
    };
    let rel = crate::path::slash(rel);
    let Some(text) = repo.show(rev, &rel)? else {
        return Ok(BaseWorkspace {
            projects: Some(Vec::new()),
            settings: None,
        });
    };
    let in_pyproject = rel.ends_with("pyproject.toml");
    let settings = settings_digest(&text, in_pyproject);
    let Some(paths) = listed_paths(&text, in_pyproject) else {
        // A base whose workspace file does not parse: nothing reliable to compare with.
        return Ok(BaseWorkspace::default());
    };
    let head: BTreeSet<String> = ws
        .projects
        .iter()
        .map(|p| normalize(&p.listed_path))
        .collect();
    let mut out = Vec::new();
    for path in paths {
        let mut project = BaseProject {
            location: dir_name(&path),
            path: path.clone(),
            root_module: None,
        };
        // Only a project the head lost needs its own file read (one git call each).
        if !head.contains(&path) {
            for (file, pyproject) in [("pyproject.toml", true), ("dg.toml", false)] {
                if let Some(text) = repo.show(rev, &format!("{path}/{file}"))?
                    && let Some((module, location)) = project_identity(&text, pyproject)
                {
                    project.root_module = Some(module);
                    if let Some(l) = location {
                        project.location = l;
                    }
                    break;
                }
            }
        }
        out.push(project);
    }
    Ok(BaseWorkspace {
        projects: Some(out),
        settings,
    })
}

fn dir_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// A TOML document as plain data (keys sorted: formatting and order do not matter).
fn parse_toml(text: &str) -> Option<serde_json::Value> {
    toml_edit::de::from_str(text).ok()
}

/// `[workspace] projects = [{ path = … }]` (or under `[tool.dg]` in a pyproject.toml).
fn listed_paths(text: &str, in_pyproject: bool) -> Option<Vec<String>> {
    let doc = parse_toml(text)?;
    let dg = if in_pyproject {
        doc.get("tool")?.get("dg")?
    } else {
        &doc
    };
    let projects = dg.get("workspace")?.get("projects");
    let Some(projects) = projects else {
        return Some(Vec::new());
    };
    Some(
        projects
            .as_array()?
            .iter()
            .filter_map(|p| p.get("path")?.as_str().map(normalize))
            .collect(),
    )
}

/// A digest of the workspace file without its project list: equal digests mean an edit only
/// added, removed or moved projects.
pub fn settings_digest(text: &str, in_pyproject: bool) -> Option<String> {
    let mut doc = parse_toml(text)?;
    let dg = if in_pyproject {
        doc.get_mut("tool")?.get_mut("dg")?
    } else {
        &mut doc
    };
    if let Some(ws) = dg.get_mut("workspace").and_then(|w| w.as_object_mut()) {
        ws.remove("projects");
    }
    let canonical = doc.to_string();
    Some(blake3::hash(canonical.as_bytes()).to_hex()[..32].to_string())
}

/// The workspace file of `ws` as it is now: (text, whether it is a pyproject.toml).
pub fn workspace_file_text(ws: &Workspace) -> Option<(String, bool)> {
    if ws.standalone {
        return None;
    }
    let text = std::fs::read_to_string(&ws.config_file).ok()?;
    let in_pyproject = ws
        .config_file
        .file_name()
        .is_some_and(|n| n == "pyproject.toml");
    Some((text, in_pyproject))
}

/// (root module, code location name if set) from a project's config file.
fn project_identity(text: &str, pyproject: bool) -> Option<(String, Option<String>)> {
    let doc = parse_toml(text)?;
    let project = if pyproject {
        doc.get("tool")?.get("dg")?.get("project")?
    } else {
        doc.get("project")?
    };
    let module = project.get("root_module")?.as_str()?.to_string();
    let location = project
        .get("code_location_name")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Some((module, location))
}

/// The head's projects against the base's.
pub fn compare(ws: &Workspace, base: &[BaseProject]) -> ProjectChanges {
    let base_paths: BTreeSet<&str> = base.iter().map(|b| b.path.as_str()).collect();
    let head_paths: BTreeSet<String> = ws
        .projects
        .iter()
        .map(|p| normalize(&p.listed_path))
        .collect();
    // Head projects the base did not list: new, unless a lost project moved there.
    let mut arrivals: Vec<&crate::config::Project> = ws
        .projects
        .iter()
        .filter(|p| !base_paths.contains(normalize(&p.listed_path).as_str()))
        .collect();
    let mut lost = Vec::new();
    for b in base.iter().filter(|b| !head_paths.contains(&b.path)) {
        let moved = arrivals.iter().position(|p| {
            b.root_module.as_deref() == Some(p.root_module.as_str())
                || (b.root_module.is_none() && b.location == p.code_location_name)
        });
        let fate = match moved {
            Some(i) => {
                let p = arrivals.remove(i);
                Fate::Renamed {
                    location: p.code_location_name.clone(),
                    path: normalize(&p.listed_path),
                }
            }
            None => Fate::Deleted,
        };
        lost.push(LostProject {
            path: b.path.clone(),
            location: b.location.clone(),
            fate,
        });
    }
    ProjectChanges {
        lost,
        new: arrivals
            .iter()
            .map(|p| p.code_location_name.clone())
            .collect(),
        listing_only: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_files_list_their_project_paths_normalised() {
        let dg = "directory_type = \"workspace\"\n[workspace]\n[[workspace.projects]]\npath = \"./projects/a/\"\n[[workspace.projects]]\npath = \"projects/b\"\n";
        assert_eq!(
            listed_paths(dg, false).unwrap(),
            ["projects/a", "projects/b"]
        );
        let py = "[tool.dg]\ndirectory_type = \"workspace\"\n[tool.dg.workspace]\nprojects = [{ path = \"x\" }]\n";
        assert_eq!(listed_paths(py, true).unwrap(), ["x"]);
        assert_eq!(
            listed_paths("[workspace]\n", false).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(listed_paths("not = [toml", false), None);
    }

    #[test]
    fn a_project_file_names_its_root_module_and_location() {
        let py =
            "[tool.dg.project]\nroot_module = \"data_engineering\"\ncode_location_name = \"de\"\n";
        assert_eq!(
            project_identity(py, true),
            Some(("data_engineering".into(), Some("de".into())))
        );
        let dg = "directory_type = \"project\"\n[project]\nroot_module = \"m\"\n";
        assert_eq!(project_identity(dg, false), Some(("m".into(), None)));
        assert_eq!(project_identity("[project]\nname = \"x\"\n", true), None);
    }

    #[test]
    fn the_settings_digest_ignores_the_project_list_only() {
        let a =
            "directory_type = \"workspace\"\n[workspace]\n[[workspace.projects]]\npath = \"a\"\n";
        let b = "directory_type = \"workspace\"\n\n[workspace]\nprojects = [{ path = \"a\" }, { path = \"b\" }]\n";
        let c = "directory_type = \"workspace\"\n[workspace]\n[workspace.scaffold_project_options]\nuse_editable_dagster = true\n";
        assert_eq!(settings_digest(a, false), settings_digest(b, false));
        assert_ne!(settings_digest(a, false), settings_digest(c, false));
    }
}
