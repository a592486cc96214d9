//! From changed files to affected locations and assets, on the head graph.
//!
//! A file belongs to the project with the deepest root containing it. Inside a location, a
//! file that defines assets (the manifest records each asset's file) affects those assets;
//! any other file the location depends on (pyproject, lock and requirement files, `.env`,
//! shared modules: what the fingerprint covers) affects every asset of the location; other
//! files (a README) only mark the location as changed. Workspace files (the workspace's
//! `dg.toml`, `dg-rs.toml`, a root lock file) affect every location. Then everything
//! downstream of those assets, across locations, is affected too, each asset naming the
//! changed asset it is downstream of (the nearest one).

use super::diff::DefinitionChanges;
use super::projects::{Fate, ProjectChanges, normalize};
use super::state::{is_location_file, is_workspace_file};
use crate::config::Workspace;
use crate::graph::changes::{BranchChanges, ChangeKind, ChangeKinds};
use crate::graph::{AssetGraph, AssetKey, LocationId, NodeId};
use fixedbitset::FixedBitSet;
use petgraph::Direction;
use std::collections::{BTreeSet, HashMap};

/// Everything the analysis works from, as plain values.
pub struct Input<'a> {
    pub workspace: &'a Workspace,
    pub graph: &'a AssetGraph,
    /// Changed paths, relative to the workspace root, `/`-separated.
    pub files: &'a [String],
    pub projects: &'a ProjectChanges,
    /// Definition changes against a saved state, when one was given.
    pub definitions: Option<&'a DefinitionChanges>,
}

/// Why an asset is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its own definition changed: its file, or (with a saved state) its definition.
    Changed,
    /// A file its whole location depends on changed.
    LocationConfig,
    /// Downstream of this changed asset (the nearest one).
    Downstream(AssetKey),
    /// Everything is affected because the comparison could not be made (`--fallback all`).
    Fallback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedAsset {
    pub node: NodeId,
    pub key: AssetKey,
    pub location: String,
    pub reason: Reason,
    /// What changed (empty for downstream assets).
    pub kinds: ChangeKinds,
    /// The changed files that make it affected (empty for downstream assets).
    pub files: Vec<String>,
}

/// What a location's CI has to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationStatus {
    /// Its own files changed: rebuild (image, environment) and test.
    Changed,
    /// Not in the base: build it.
    New,
    /// Moved from another path: rebuild.
    Renamed,
    /// Only assets downstream of a change elsewhere: re-test, nothing to rebuild.
    Downstream,
    Unchanged,
    /// In the base, gone from the head.
    Deleted,
}

impl LocationStatus {
    /// Its own files changed, so its image or environment must be built again.
    pub fn rebuild(self) -> bool {
        matches!(
            self,
            LocationStatus::Changed | LocationStatus::New | LocationStatus::Renamed
        )
    }

    /// Something to do for it in CI (it exists in the head and rebuilds or re-tests).
    pub fn needs_ci(self) -> bool {
        self.rebuild() || self == LocationStatus::Downstream
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LocationStatus::Changed => "changed",
            LocationStatus::New => "new",
            LocationStatus::Renamed => "renamed",
            LocationStatus::Downstream => "downstream",
            LocationStatus::Unchanged => "unchanged",
            LocationStatus::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationImpact {
    pub name: String,
    /// The project path as listed (the base's path for a deleted project).
    pub path: String,
    /// The project's directory name (what `dg sync NAME` takes); `None` when deleted.
    pub project: Option<String>,
    pub status: LocationStatus,
    /// Its changed files (relative to the workspace root).
    pub files: Vec<String>,
    /// Affected assets it owns.
    pub assets: usize,
    pub renamed_from: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, Default)]
pub struct Affected {
    /// Every head location in workspace order, then deleted ones.
    pub locations: Vec<LocationImpact>,
    /// Affected materializable assets, in key order.
    pub assets: Vec<AffectedAsset>,
    /// Keys the base owned that no location owns now: (key, the base's location).
    pub removed: Vec<(AssetKey, String)>,
    /// Changed workspace files (they affect every location).
    pub workspace_files: Vec<String>,
    /// Changed files no project contains (they affect nothing).
    pub unowned_files: Vec<String>,
    /// Directly changed assets and their kinds, for `changed_in_branch:`.
    pub changes: BranchChanges,
    /// Set when everything was declared affected: why.
    pub fallback: Option<String>,
}

struct Seed {
    reason: Reason,
    kinds: ChangeKinds,
    files: BTreeSet<String>,
}

/// `file` lies at or under `root` (`""` or `.` is the whole workspace).
fn under(file: &str, root: &str) -> bool {
    root.is_empty()
        || root == "."
        || file == root
        || (file.len() > root.len()
            && file.starts_with(root)
            && file.as_bytes()[root.len()] == b'/')
}

/// `file` relative to `root`.
fn strip<'f>(file: &'f str, root: &str) -> &'f str {
    if root.is_empty() || root == "." {
        file
    } else {
        file[root.len()..].trim_start_matches('/')
    }
}

/// Owner of a changed path: a head project (index into `ws.projects`) or a lost one.
#[derive(Clone, Copy)]
enum Owner {
    Head(usize),
    Lost(usize),
}

pub fn analyze(input: &Input) -> Affected {
    let graph = input.graph;
    let mut out = Affected::default();
    let (mut head_files, mut lost_files) = sort_files(input, &mut out);
    let mut seeds = seed_from_files(input, &head_files, &out.workspace_files);
    if let Some(defs) = input.definitions {
        for (key, kinds) in &defs.changed {
            if let Some(id) = graph.find(key) {
                add_seed(&mut seeds, id, Reason::Changed, *kinds, None);
            }
        }
        out.removed = defs.removed.clone();
    }
    // Removed keys still named as someone's dependency are nodes of the head graph (external
    // now): their dependents are downstream of the removal.
    let removed_roots: Vec<NodeId> = out
        .removed
        .iter()
        .filter_map(|(k, _)| graph.find(k))
        .filter(|id| !seeds.contains_key(id))
        .collect();
    collect_assets(graph, &seeds, &removed_roots, &mut out);
    head_locations(input, &mut head_files, &mut out);
    lost_locations(input, &mut lost_files, &mut out);
    out
}

/// Sorts the changed files: workspace files and unowned files go to `out`; the rest are
/// returned by owner (per head project, per lost project).
fn sort_files(input: &Input, out: &mut Affected) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let ws = input.workspace;
    let mut roots: Vec<(String, Owner)> = ws
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| (normalize(&p.listed_path), Owner::Head(i)))
        .collect();
    roots.extend(
        input
            .projects
            .lost
            .iter()
            .enumerate()
            .map(|(i, l)| (l.path.clone(), Owner::Lost(i))),
    );
    // Deepest first: the first root containing a file is its owner.
    roots.sort_by_key(|(r, _)| std::cmp::Reverse(if r == "." { 0 } else { r.len() + 1 }));

    let mut head_files: Vec<Vec<String>> = vec![Vec::new(); ws.projects.len()];
    let mut lost_files: Vec<Vec<String>> = vec![Vec::new(); input.projects.lost.len()];
    let config_file = ws
        .config_file
        .strip_prefix(&ws.root)
        .map(crate::path::slash)
        .unwrap_or_default();
    for f in input.files {
        if input.projects.listing_only && *f == config_file {
            // Only projects came or went: `projects` reports them, no location changed.
            continue;
        }
        if is_workspace_file(ws, f) {
            out.workspace_files.push(f.clone());
            continue;
        }
        match roots.iter().find(|(r, _)| under(f, r)) {
            Some((_, Owner::Head(i))) => head_files[*i].push(f.clone()),
            Some((_, Owner::Lost(i))) => lost_files[*i].push(f.clone()),
            None => out.unowned_files.push(f.clone()),
        }
    }
    (head_files, lost_files)
}

/// Records that `id` is directly affected (a `Changed` reason wins over `LocationConfig`).
fn add_seed(
    seeds: &mut HashMap<NodeId, Seed>,
    id: NodeId,
    reason: Reason,
    kinds: ChangeKinds,
    file: Option<&str>,
) {
    let s = seeds.entry(id).or_insert(Seed {
        reason: reason.clone(),
        kinds: ChangeKinds::default(),
        files: BTreeSet::new(),
    });
    if reason == Reason::Changed {
        s.reason = Reason::Changed;
    }
    s.kinds = s.kinds.union(kinds);
    s.files.extend(file.map(str::to_string));
}

/// The assets the changed files affect directly: those a file defines, and every asset of a
/// location when a file it depends on (or a workspace file) changed.
fn seed_from_files(
    input: &Input,
    head_files: &[Vec<String>],
    workspace_files: &[String],
) -> HashMap<NodeId, Seed> {
    let ws = input.workspace;
    let graph = input.graph;
    let mut seeds: HashMap<NodeId, Seed> = HashMap::new();
    let source: ChangeKinds = [ChangeKind::Source].into_iter().collect();
    let location_ids: Vec<Option<LocationId>> = ws
        .projects
        .iter()
        .map(|p| graph.location_id(&p.code_location_name))
        .collect();
    let owned_by = |loc: LocationId| {
        graph
            .node_ids()
            .filter(move |&id| graph.node(id).owner == Some(loc))
    };
    for (i, p) in ws.projects.iter().enumerate() {
        let Some(loc) = location_ids[i] else { continue };
        let mut location_wide: Vec<&str> = workspace_files.iter().map(String::as_str).collect();
        if !head_files[i].is_empty() {
            let root = normalize(&p.listed_path);
            let by_file = sources(graph, loc);
            for f in &head_files[i] {
                let rel = strip(f, &root);
                match by_file.get(rel) {
                    Some(ids) => {
                        for &id in ids {
                            add_seed(&mut seeds, id, Reason::Changed, source, Some(f));
                        }
                    }
                    None if is_location_file(p, rel) => location_wide.push(f),
                    None => {}
                }
            }
        }
        if !location_wide.is_empty() {
            for id in owned_by(loc) {
                for f in &location_wide {
                    add_seed(&mut seeds, id, Reason::LocationConfig, source, Some(f));
                }
            }
        }
    }
    seeds
}

/// Every affected asset (seeded or downstream of a seed or a removal), in node order, into
/// `out.assets`; direct changes also into `out.changes`.
fn collect_assets(
    graph: &AssetGraph,
    seeds: &HashMap<NodeId, Seed>,
    removed_roots: &[NodeId],
    out: &mut Affected,
) {
    let via = downstream(graph, seeds, removed_roots);
    for id in graph.node_ids() {
        let node = graph.node(id);
        let Some(owner) = node.owner else { continue };
        let (reason, kinds, files) = match (seeds.get(&id), via.get(&id)) {
            (Some(s), _) => (s.reason.clone(), s.kinds, s.files.iter().cloned().collect()),
            (None, Some(root)) => (
                Reason::Downstream(graph.key(*root).clone()),
                ChangeKinds::default(),
                Vec::new(),
            ),
            (None, None) => continue,
        };
        if !kinds.is_empty() {
            out.changes.add(node.key.clone(), kinds);
        }
        out.assets.push(AffectedAsset {
            node: id,
            key: node.key.clone(),
            location: graph.location_name(owner).to_string(),
            reason,
            kinds,
            files,
        });
    }
}

/// One impact per head location, in workspace order, taking its files.
fn head_locations(input: &Input, head_files: &mut [Vec<String>], out: &mut Affected) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for a in &out.assets {
        *counts.entry(a.location.as_str()).or_default() += 1;
    }
    for (i, p) in input.workspace.projects.iter().enumerate() {
        let name = &p.code_location_name;
        let assets = counts.get(name.as_str()).copied().unwrap_or(0);
        let renamed_from = input.projects.renamed_from(name).map(str::to_string);
        let status = if input.projects.new.contains(name) {
            LocationStatus::New
        } else if renamed_from.is_some() {
            LocationStatus::Renamed
        } else if !head_files[i].is_empty() || !out.workspace_files.is_empty() {
            LocationStatus::Changed
        } else if assets > 0 {
            LocationStatus::Downstream
        } else {
            LocationStatus::Unchanged
        };
        out.locations.push(LocationImpact {
            name: name.clone(),
            path: normalize(&p.listed_path),
            project: Some(p.name.clone()),
            status,
            files: std::mem::take(&mut head_files[i]),
            assets,
            renamed_from,
        });
    }
}

/// Deleted projects become deleted locations; a moved project's old files go to the location
/// it became.
fn lost_locations(input: &Input, lost_files: &mut [Vec<String>], out: &mut Affected) {
    for (i, lost) in input.projects.lost.iter().enumerate() {
        if lost.fate == Fate::Deleted {
            out.locations.push(LocationImpact {
                name: lost.location.clone(),
                path: lost.path.clone(),
                project: None,
                status: LocationStatus::Deleted,
                files: std::mem::take(&mut lost_files[i]),
                assets: 0,
                renamed_from: None,
            });
        } else {
            // The files of a moved project's old path belong to it (as changed files).
            let to = match &lost.fate {
                Fate::Renamed { location, .. } => location,
                Fate::Deleted => unreachable!("handled above"),
            };
            if let Some(l) = out.locations.iter_mut().find(|l| &l.name == to) {
                l.files.append(&mut lost_files[i]);
                l.files.sort();
            }
        }
    }
}

/// A location's executable assets by the file defining them (relative to the project root).
fn sources(graph: &AssetGraph, loc: LocationId) -> HashMap<&str, Vec<NodeId>> {
    let mut out: HashMap<&str, Vec<NodeId>> = HashMap::new();
    for a in &graph.location(loc).manifest.assets {
        if !a.is_executable {
            continue;
        }
        let Some(file) = a.source.as_ref().map(|s| s.file.as_str()) else {
            continue;
        };
        if let Some(id) = graph.find(&AssetKey::from(&a.key)) {
            out.entry(file.trim_start_matches("./"))
                .or_default()
                .push(id);
        }
    }
    out
}

/// Every node downstream of a seed (or of a removed key), mapped to the seed it was reached
/// from first: a breadth-first walk from all of them at once, in key order, so each node
/// names its nearest changed ancestor and the answer is deterministic.
fn downstream(
    graph: &AssetGraph,
    seeds: &HashMap<NodeId, Seed>,
    removed: &[NodeId],
) -> HashMap<NodeId, NodeId> {
    let g = graph.petgraph();
    let mut starts: Vec<NodeId> = seeds
        .keys()
        .copied()
        .chain(removed.iter().copied())
        .collect();
    starts.sort();
    let mut seen = FixedBitSet::with_capacity(graph.node_count());
    for s in &starts {
        seen.insert(s.index());
    }
    let mut root: HashMap<NodeId, NodeId> = HashMap::new();
    let mut frontier: Vec<(NodeId, NodeId)> = starts.iter().map(|&s| (s, s)).collect();
    let mut next = Vec::new();
    while !frontier.is_empty() {
        for &(at, from) in &frontier {
            let mut children: Vec<NodeId> = g.neighbors_directed(at, Direction::Outgoing).collect();
            children.sort();
            for c in children {
                if !seen.put(c.index()) {
                    root.insert(c, from);
                    next.push((c, from));
                }
            }
        }
        std::mem::swap(&mut frontier, &mut next);
        next.clear();
    }
    root
}

impl Affected {
    /// Everything affected, because what changed could not be told (`--fallback all`).
    pub fn everything(ws: &Workspace, graph: &AssetGraph, why: String) -> Affected {
        let mut out = Affected::default();
        let source: ChangeKinds = [ChangeKind::Source].into_iter().collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for id in graph.node_ids() {
            let node = graph.node(id);
            let Some(owner) = node.owner else { continue };
            let location = graph.location_name(owner);
            *counts.entry(location).or_default() += 1;
            out.changes.add(node.key.clone(), source);
            out.assets.push(AffectedAsset {
                node: id,
                key: node.key.clone(),
                location: location.to_string(),
                reason: Reason::Fallback,
                kinds: source,
                files: Vec::new(),
            });
        }
        for p in &ws.projects {
            out.locations.push(LocationImpact {
                name: p.code_location_name.clone(),
                path: normalize(&p.listed_path),
                project: Some(p.name.clone()),
                status: LocationStatus::Changed,
                files: Vec::new(),
                assets: counts
                    .get(p.code_location_name.as_str())
                    .copied()
                    .unwrap_or(0),
                renamed_from: None,
            });
        }
        out.fallback = Some(why);
        out
    }

    /// Locations CI has work for (rebuild or re-test), in workspace order.
    pub fn ci_locations(&self) -> impl Iterator<Item = &LocationImpact> {
        self.locations.iter().filter(|l| l.status.needs_ci())
    }
}

#[cfg(test)]
mod tests;
