//! The core load layer every command that needs definitions stands on: discover the
//! workspace (`config`), load each location's manifest, cached or extracted in the
//! location's own interpreter (`manifest`), and merge them into the one asset graph
//! (`graph`). Scope (the whole workspace, or the project the command runs in) is a value of
//! the result; progress is reported through a trait that `render` implements.

use crate::config::{self, Project, Workspace};
use crate::error::Result;
use crate::fs;
use crate::graph::AssetGraph;
use crate::manifest::cache::ManifestCache;
use crate::manifest::extract::{
    ExtractProgress, FailureKind, LoadOptions, LocationFailure, LocationResult, load_manifests,
};
use crate::settings::Settings;
use std::path::PathBuf;

/// What a command is about: the whole workspace, or the one project it was run inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Workspace,
    /// Index into `Workspace::projects`.
    Project(usize),
}

/// Which locations to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// Every location (the graph needs all of them to judge cross-location edges).
    All,
    /// Only the scope's locations (`dg list defs` inside a project, as real dg).
    InScope,
}

#[derive(Clone, Copy)]
pub(crate) struct LoadRequest<'a> {
    /// Load every location again even when its cached manifest is fresh.
    pub(crate) refresh: bool,
    pub(crate) which: Which,
    /// Manifests saved earlier, for locations whose environment is missing (`--state`).
    pub(crate) saved: Option<&'a dyn SavedManifests>,
}

/// Manifests saved earlier (a `dg state export`): a location whose environment is missing
/// (not built in this CI job) is read from them instead of failing, with a note.
pub(crate) trait SavedManifests {
    /// The saved manifest for `project`'s location, if there is one.
    fn saved(&self, project: &Project) -> Option<crate::manifest::schema::Manifest>;
    /// Where they come from, for the note (`the saved state in DIR`).
    fn describe(&self) -> String;
}

/// How one location was loaded.
#[derive(Debug, Clone)]
pub(crate) struct LocationLoad {
    pub(crate) location: String,
    pub(crate) from_cache: bool,
    pub(crate) seconds: f64,
    pub(crate) python_version: Option<String>,
    pub(crate) dagster_version: Option<String>,
    pub(crate) failed: Option<FailureKind>,
    /// Its environment is missing, so its manifest came from [`LoadRequest::saved`].
    pub(crate) from_saved: bool,
}

/// A loaded workspace: its model, the graph over every location that loaded, and the
/// locations that did not.
pub(crate) struct Loaded {
    pub(crate) ws: Workspace,
    pub(crate) scope: Scope,
    pub(crate) graph: AssetGraph,
    pub(crate) failures: Vec<LocationFailure>,
    /// One per loaded (or attempted) location, in workspace order.
    pub(crate) loads: Vec<LocationLoad>,
    /// Things the user should know about how the load went (a read-only workspace).
    pub(crate) notes: Vec<String>,
    /// Where manifests and scripts are cached.
    pub(crate) cache_root: PathBuf,
}

impl Loaded {
    /// The project behind a location name.
    pub(crate) fn project(&self, location: &str) -> Option<&Project> {
        self.ws.project_by_location(location)
    }

    /// The location the command is scoped to, when run inside a project of a workspace.
    pub(crate) fn scoped_location(&self) -> Option<&str> {
        match self.scope {
            Scope::Project(i) if !self.ws.standalone => {
                Some(self.ws.projects[i].code_location_name.as_str())
            }
            _ => None,
        }
    }
}

/// Finds the workspace (or standalone project) the settings' target belongs to.
pub(crate) fn discover(settings: &Settings) -> Result<Workspace> {
    Ok(config::discover(
        &settings.target,
        crate::python::interpreter::resolve_project,
    )?)
}

/// The scope of a discovered workspace.
pub(crate) fn scope_of(ws: &Workspace) -> Scope {
    match ws.current {
        Some(i) => Scope::Project(i),
        None => Scope::Workspace,
    }
}

/// The projects a scoped command works on: the current project inside one (of a workspace
/// or standalone), every project at the workspace root.
pub(crate) fn in_scope(ws: &Workspace) -> Vec<&Project> {
    match scope_of(ws) {
        Scope::Project(i) => vec![&ws.projects[i]],
        Scope::Workspace => ws.projects.iter().collect(),
    }
}

/// Discover → manifests → graph.
pub(crate) fn load(
    settings: &Settings,
    request: LoadRequest<'_>,
    progress: &dyn ExtractProgress,
) -> Result<Loaded> {
    let ws = discover(settings)?;
    load_in(settings, ws, request, progress)
}

/// [`load`] for an already discovered workspace.
pub(crate) fn load_in(
    settings: &Settings,
    ws: Workspace,
    request: LoadRequest<'_>,
    progress: &dyn ExtractProgress,
) -> Result<Loaded> {
    let scope = scope_of(&ws);
    let projects: Vec<&Project> = match (request.which, scope) {
        (Which::InScope, Scope::Project(i)) => vec![&ws.projects[i]],
        _ => ws.projects.iter().collect(),
    };
    let mut notes = Vec::new();
    let cache_root = cache_root(settings, &ws, &mut notes);
    let cache = ManifestCache::new(&cache_root);
    let opts = LoadOptions::from_settings(settings, request.refresh);
    let results = load_manifests(&cache, &projects, &opts, progress);
    // Ctrl-C while locations loaded: the command stops here (exit 130), nothing runs.
    if crate::process::interrupt::requested() {
        return Err(crate::error::Error::interrupted());
    }
    let mut manifests = Vec::new();
    let mut failures = Vec::new();
    let mut loads = Vec::new();
    let mut from_saved = Vec::new();
    for (mut res, project) in results.into_iter().zip(&projects) {
        let served = serve_saved(&mut res, project, request.saved);
        if served {
            from_saved.push(res.location.clone());
        }
        loads.push(location_load(&res, served));
        match res.outcome {
            Ok(m) => manifests.push((res.location, m)),
            Err(e) => failures.push(e),
        }
    }
    if let (Some(saved), false) = (request.saved, from_saved.is_empty()) {
        notes.push(saved_note(saved, &from_saved));
    }
    Ok(Loaded {
        graph: AssetGraph::build(manifests),
        ws,
        scope,
        failures,
        loads,
        notes,
        cache_root,
    })
}

/// A location whose environment is missing gets its saved manifest, when there is one;
/// returns whether it did.
fn serve_saved(
    res: &mut LocationResult,
    project: &Project,
    saved: Option<&dyn SavedManifests>,
) -> bool {
    let missing_env = matches!(
        &res.outcome,
        Err(f) if matches!(f.kind, FailureKind::MissingInterpreter | FailureKind::DagsterMissing)
    );
    if missing_env && let Some(m) = saved.and_then(|s| s.saved(project)) {
        res.outcome = Ok(m);
        return true;
    }
    false
}

fn location_load(res: &LocationResult, served: bool) -> LocationLoad {
    let (python_version, dagster_version, failed) = match &res.outcome {
        Ok(m) => (
            Some(m.location.python_version.clone()),
            Some(m.location.dagster_version.clone()),
            None,
        ),
        Err(f) => (None, None, Some(f.kind)),
    };
    LocationLoad {
        location: res.location.clone(),
        from_cache: res.from_cache,
        seconds: res.seconds,
        python_version,
        dagster_version,
        failed,
        from_saved: served,
    }
}

/// The note naming the locations read from the saved state.
fn saved_note(saved: &dyn SavedManifests, from_saved: &[String]) -> String {
    format!(
        "note: read {} from {} (environment missing): {}",
        if from_saved.len() == 1 {
            "1 location".to_string()
        } else {
            format!("{} locations", from_saved.len())
        },
        saved.describe(),
        from_saved.join(", ")
    )
}

/// `<workspace>/.dg/cache`, or, when the workspace cannot be written (a read-only checkout
/// mounted in CI), a per-user folder named after the workspace, with a note saying so.
pub(crate) fn cache_root(settings: &Settings, ws: &Workspace, notes: &mut Vec<String>) -> PathBuf {
    let own = ws.state_dir().join("cache");
    match fs::create_ignored_dir(&own, "this folder is a cache") {
        Ok(()) => own,
        Err(e) if e.is_unwritable() => match &settings.user_cache_dir {
            Some(user) => {
                let id = &blake3::hash(ws.root.as_os_str().as_encoded_bytes()).to_hex()[..16];
                let name = ws
                    .root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dir = user.join("workspaces").join(format!("{name}-{id}"));
                notes.push(format!(
                    "note: {} cannot be written ({}); caching in {} instead",
                    settings.display(&own),
                    match &e {
                        fs::FsError::Io { source, .. } => source.to_string(),
                        other => other.to_string(),
                    },
                    dir.display()
                ));
                dir
            }
            None => own,
        },
        Err(_) => own,
    }
}

/// Every config file the workspace consists of (`dg check toml`): the root file and every
/// listed project's file, or every problem found in them.
pub(crate) fn config_files(settings: &Settings) -> Result<Vec<PathBuf>> {
    Ok(config::find_config_files(
        &settings.target,
        crate::python::interpreter::resolve_project,
    )?)
}
