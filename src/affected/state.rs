//! Saved state, as dbt's `--state` and Dagster+'s branch comparison use it: what a
//! main-branch CI job keeps as an artifact, so a pull request's job can compare with it and
//! read the locations whose environments it does not build.
//!
//! Layout of a state folder (`dg state export --output DIR`):
//!
//! ```text
//! DIR/state.json                 version, every location (name, path, root module, the hash
//!                                of each file its fingerprint covers), the workspace files
//! DIR/manifests/<location>.json  each location's manifest, exactly as extracted
//! DIR/graph.json                 the merged asset graph (`dg graph --format json`)
//! ```
//!
//! File hashes let a comparison find changed files without git (and so the `SOURCE` change
//! kind); `.env` files are left out on purpose (they hold secrets and differ per machine).
//! Every file is written atomically and `state.json` last, so a half-written export is never
//! read as a whole one.

use super::AffectedError;
use crate::config::Workspace;
use crate::fs::write_atomic_with;
use crate::manifest::fingerprint;
use crate::manifest::schema::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, AffectedError>;

pub const STATE_VERSION: u32 = 1;
const STATE_FILE: &str = "state.json";
const MANIFESTS_DIR: &str = "manifests";
const GRAPH_FILE: &str = "graph.json";

/// Lock and requirement files a project's environment is built from, at the project root.
/// (The fingerprint covers `*.lock` and TOML already; these are the ones it cannot see.)
fn is_requirements_file(name: &str) -> bool {
    (name.starts_with("requirements") || name.starts_with("constraints")) && name.ends_with(".txt")
}

/// Files at the workspace root that change every location: the workspace file, dg-rs's own
/// settings and a root lock file.
pub const WORKSPACE_FILES: [&str; 7] = [
    "dg.toml",
    "dg-rs.toml",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "pylock.toml",
    "Pipfile.lock",
];

/// Whether `rel` (relative to the workspace root) is a file that changes every location.
pub fn is_workspace_file(ws: &Workspace, rel: &str) -> bool {
    if ws.standalone {
        return false;
    }
    let config = ws
        .config_file
        .strip_prefix(&ws.root)
        .ok()
        .map(crate::path::slash);
    config.as_deref() == Some(rel)
        || WORKSPACE_FILES.contains(&rel)
        || (!rel.contains('/') && is_requirements_file(rel))
}

/// Whether `rel` (relative to `project`'s root) is a file its whole location depends on (and
/// not only the assets defined in it): everything the fingerprint covers, requirement files.
pub fn is_location_file(project: &crate::config::Project, rel: &str) -> bool {
    fingerprint::covers(project, Path::new(rel))
        || (!rel.contains('/') && is_requirements_file(rel))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StateFile {
    state_version: u32,
    dg_rs_version: String,
    /// Relative to the workspace root → blake3.
    workspace_files: BTreeMap<String, String>,
    /// The workspace file's digest without its project list (`projects::settings_digest`).
    #[serde(default)]
    workspace_settings: Option<String>,
    locations: Vec<StateLocationFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StateLocationFile {
    name: String,
    /// The project path as listed in the workspace.
    path: String,
    root_module: String,
    /// Relative to the state folder.
    manifest: String,
    /// Relative to the workspace root → blake3.
    files: BTreeMap<String, String>,
}

/// One location of a saved state.
#[derive(Debug, Clone, PartialEq)]
pub struct StateLocation {
    pub name: String,
    pub path: String,
    pub root_module: String,
    pub manifest: Manifest,
    pub files: BTreeMap<String, String>,
}

/// A saved state, read.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub dir: PathBuf,
    pub dg_rs_version: String,
    pub workspace_files: BTreeMap<String, String>,
    pub workspace_settings: Option<String>,
    pub locations: Vec<StateLocation>,
}

impl State {
    pub fn location(&self, name: &str) -> Option<&StateLocation> {
        self.locations.iter().find(|l| l.name == name)
    }

    /// (name, manifest) of every location, in the state's order.
    pub fn manifests(&self) -> Vec<(String, Manifest)> {
        self.locations
            .iter()
            .map(|l| (l.name.clone(), l.manifest.clone()))
            .collect()
    }

    /// Every tracked file with its hash, relative to the workspace root.
    pub fn files(&self) -> BTreeMap<&str, &str> {
        let mut out: BTreeMap<&str, &str> = self
            .workspace_files
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for l in &self.locations {
            out.extend(l.files.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        out
    }

    /// The base's projects as the comparison with the head needs them.
    pub fn base_projects(&self) -> Vec<super::projects::BaseProject> {
        self.locations
            .iter()
            .map(|l| super::projects::BaseProject {
                path: super::projects::normalize(&l.path),
                location: l.name.clone(),
                root_module: Some(l.root_module.clone()),
            })
            .collect()
    }
}

fn hash_file(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(blake3::hash(&bytes).to_hex()[..32].to_string())
}

/// `path` below `root`, as the state file holds it; `None` outside.
fn rel_to(root: &Path, path: &Path) -> Option<String> {
    path.strip_prefix(root).ok().map(crate::path::slash)
}

/// The hashes of the workspace files that exist.
pub fn workspace_file_hashes(ws: &Workspace) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if ws.standalone {
        return out;
    }
    let mut candidates: Vec<PathBuf> = vec![ws.config_file.clone()];
    candidates.extend(WORKSPACE_FILES.iter().map(|f| ws.root.join(f)));
    if let Ok(rd) = std::fs::read_dir(&ws.root) {
        candidates.extend(
            rd.filter_map(|e| e.ok())
                .filter(|e| is_requirements_file(&e.file_name().to_string_lossy()))
                .map(|e| e.path()),
        );
    }
    for path in candidates {
        if let (Some(rel), Some(hash)) = (rel_to(&ws.root, &path), hash_file(&path)) {
            out.insert(rel, hash);
        }
    }
    out
}

/// The hashes of the files a project's location depends on (what its fingerprint covers,
/// without `.env`, plus requirement files), relative to the workspace root.
pub fn project_file_hashes(
    ws: &Workspace,
    project: &crate::config::Project,
) -> BTreeMap<String, String> {
    let mut files = fingerprint::covered_files(project);
    if let Ok(rd) = std::fs::read_dir(&project.root) {
        files.extend(
            rd.filter_map(|e| e.ok())
                .filter(|e| is_requirements_file(&e.file_name().to_string_lossy()))
                .map(|e| e.path()),
        );
    }
    files
        .iter()
        .filter_map(|f| Some((rel_to(&ws.root, f)?, hash_file(f)?)))
        .collect()
}

/// Every tracked file of the head workspace with its hash (what a state records).
pub fn current_file_hashes(ws: &Workspace) -> BTreeMap<String, String> {
    let mut out = workspace_file_hashes(ws);
    for p in &ws.projects {
        out.extend(project_file_hashes(ws, p));
    }
    out
}

/// Files that differ between the state and the head: changed, added or deleted.
pub fn changed_files(state: &State, current: &BTreeMap<String, String>) -> Vec<String> {
    let saved = state.files();
    let mut out: Vec<String> = current
        .iter()
        .filter(|(k, v)| saved.get(k.as_str()) != Some(&v.as_str()))
        .map(|(k, _)| k.clone())
        .collect();
    out.extend(
        saved
            .keys()
            .filter(|k| !current.contains_key(**k))
            .map(|k| k.to_string()),
    );
    out.sort();
    out.dedup();
    out
}

/// A location name as a file name (names may hold any character; the hash keeps two names
/// that sanitise alike apart).
fn manifest_file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{safe}-{}.json",
        &blake3::hash(name.as_bytes()).to_hex()[..8]
    )
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub dir: PathBuf,
    pub locations: usize,
    pub assets: usize,
    pub files: usize,
}

/// Writes the state of `ws` (every location's manifest, in workspace order) to `dir`, with
/// the graph JSON `write_graph` produces. `dir` must be new, empty, or an earlier state.
pub fn export(
    ws: &Workspace,
    manifests: &[(String, Manifest)],
    write_graph: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    dir: &Path,
    version: &str,
) -> Result<ExportSummary> {
    check_export_target(dir)?;
    let manifests_dir = dir.join(MANIFESTS_DIR);
    std::fs::create_dir_all(&manifests_dir)
        .map_err(|e| AffectedError::io("create", &manifests_dir, &e))?;
    let mut locations = Vec::new();
    let mut files = 0;
    let mut assets = 0;
    for (name, manifest) in manifests {
        let Some(project) = ws.projects.iter().find(|p| &p.code_location_name == name) else {
            continue;
        };
        let file = manifest_file_name(name);
        write(&manifests_dir.join(&file), &mut |w| {
            serde_json::to_writer(&mut *w, manifest).map_err(std::io::Error::other)
        })?;
        let hashes = project_file_hashes(ws, project);
        files += hashes.len();
        assets += manifest.assets.iter().filter(|a| a.is_executable).count();
        locations.push(StateLocationFile {
            name: name.clone(),
            path: super::projects::normalize(&project.listed_path),
            root_module: project.root_module.clone(),
            manifest: format!("{MANIFESTS_DIR}/{file}"),
            files: hashes,
        });
    }
    remove_stale_manifests(&manifests_dir, &locations);
    let mut write_graph = Some(write_graph);
    write(&dir.join(GRAPH_FILE), &mut |w| match write_graph.take() {
        Some(f) => f(w),
        None => Ok(()),
    })?;
    let workspace_files = workspace_file_hashes(ws);
    files += workspace_files.len();
    let state = StateFile {
        state_version: STATE_VERSION,
        dg_rs_version: version.to_string(),
        workspace_files,
        workspace_settings: super::projects::workspace_file_text(ws)
            .and_then(|(text, py)| super::projects::settings_digest(&text, py)),
        locations,
    };
    write(&dir.join(STATE_FILE), &mut |w| {
        serde_json::to_writer_pretty(&mut *w, &state).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })?;
    Ok(ExportSummary {
        dir: dir.to_path_buf(),
        locations: state.locations.len(),
        assets,
        files,
    })
}

/// `dir` may be new, empty, or an earlier state (which the export replaces).
fn check_export_target(dir: &Path) -> Result<()> {
    if dir.exists() {
        let is_empty_dir = std::fs::read_dir(dir)
            .map_err(|e| AffectedError::io("read", dir, &e))?
            .next()
            .is_none();
        if !is_empty_dir && !dir.join(STATE_FILE).is_file() {
            return Err(AffectedError::StateTargetNotEmpty {
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Writes a state file atomically.
fn write(
    path: &Path,
    produce: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    write_atomic_with(path, |w| produce(w)).map_err(|e| AffectedError::Io {
        action: "write",
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Removes the manifests of locations an earlier export had and this workspace no longer has.
fn remove_stale_manifests(manifests_dir: &Path, locations: &[StateLocationFile]) {
    let written: Vec<String> = locations
        .iter()
        .map(|l| l.manifest.trim_start_matches("manifests/").to_string())
        .collect();
    if let Ok(rd) = std::fs::read_dir(manifests_dir) {
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !written.contains(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Reads the state in `dir`.
pub fn read(dir: &Path) -> Result<State> {
    let state_path = dir.join(STATE_FILE);
    let bytes = std::fs::read(&state_path).map_err(|e| AffectedError::StateMissing {
        dir: dir.to_path_buf(),
        why: if dir.is_dir() {
            format!("{STATE_FILE} cannot be read ({e})")
        } else {
            "the folder does not exist".into()
        },
    })?;
    #[derive(Deserialize)]
    struct Version {
        state_version: u32,
    }
    let unreadable = |file: &Path, e: &dyn std::fmt::Display| AffectedError::StateUnreadable {
        file: file.to_path_buf(),
        message: e.to_string(),
    };
    let version: Version =
        serde_json::from_slice(&bytes).map_err(|e| unreadable(&state_path, &e))?;
    if version.state_version != STATE_VERSION {
        return Err(AffectedError::StateVersion {
            dir: dir.to_path_buf(),
            found: version.state_version,
            expected: STATE_VERSION,
        });
    }
    let file: StateFile =
        serde_json::from_slice(&bytes).map_err(|e| unreadable(&state_path, &e))?;
    let mut locations = Vec::with_capacity(file.locations.len());
    for l in file.locations {
        // Only paths inside the state folder: a state is data, it may come from anywhere.
        if l.manifest.contains("..") || Path::new(&l.manifest).is_absolute() {
            return Err(unreadable(
                &state_path,
                &format!("manifest path `{}` leaves the state folder", l.manifest),
            ));
        }
        let path = dir.join(&l.manifest);
        let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, &e))?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| unreadable(&path, &e))?;
        locations.push(StateLocation {
            name: l.name,
            path: l.path,
            root_module: l.root_module,
            manifest,
            files: l.files,
        });
    }
    Ok(State {
        dir: dir.to_path_buf(),
        dg_rs_version: file.dg_rs_version,
        workspace_files: file.workspace_files,
        workspace_settings: file.workspace_settings,
        locations,
    })
}

/// A location whose environment is missing is read from the state: the state's location of
/// that name, or of the same root module (a project renamed since, whose location name
/// followed its folder).
impl crate::workspace::SavedManifests for State {
    fn saved(&self, project: &crate::config::Project) -> Option<Manifest> {
        let saved = self.location(&project.code_location_name).or_else(|| {
            self.locations
                .iter()
                .find(|l| l.root_module == project.root_module)
        })?;
        let mut manifest = saved.manifest.clone();
        manifest.location.name = project.code_location_name.clone();
        Some(manifest)
    }

    fn describe(&self) -> String {
        format!("the saved state in {}", self.dir.display())
    }
}
