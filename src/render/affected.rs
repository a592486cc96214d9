//! The outputs of `dg affected`: a human report, JSON, a selection `dg launch --assets`
//! accepts, and GitHub Actions step outputs (a matrix with a has-changes flag, because an
//! empty matrix fails a workflow).

use crate::affected::analyze::{Affected, AffectedAsset, LocationImpact, Reason};
use crate::affected::{Changes, git::GitRange};
use crate::graph::AssetGraph;
use crate::graph::changes::ChangeKinds;
use serde::Serialize;
use std::collections::HashMap;

/// Where the answer came from, besides the changes themselves.
pub struct Provenance<'a> {
    pub changes: &'a Changes,
    /// The saved state compared with, if any.
    pub state: Option<String>,
    /// Locations read from the saved state because their environment is missing.
    pub from_state: &'a [String],
}

#[derive(Serialize)]
pub struct AffectedJson<'a> {
    pub base: Option<&'a str>,
    pub head: Option<&'a str>,
    pub merge_base: Option<&'a str>,
    pub head_commit: Option<&'a str>,
    pub uncommitted: bool,
    pub state: Option<&'a str>,
    /// Set when everything is affected because the comparison could not be made.
    pub fallback: Option<&'a str>,
    pub changed_files: &'a [String],
    pub workspace_files: &'a [String],
    pub unowned_files: &'a [String],
    pub locations: Vec<LocationJson<'a>>,
    pub assets: Vec<AssetJson<'a>>,
    pub removed: Vec<RemovedJson>,
    pub from_state: &'a [String],
}

#[derive(Serialize)]
pub struct LocationJson<'a> {
    pub name: &'a str,
    /// Its own files changed: rebuild it.
    pub changed: bool,
    /// Affected assets it owns.
    pub assets: usize,
    /// `changed`, `new`, `renamed`, `downstream` (re-test only), `unchanged`, `deleted`.
    pub status: &'static str,
    pub path: &'a str,
    pub project: Option<&'a str>,
    pub renamed_from: Option<&'a str>,
    pub files: &'a [String],
}

#[derive(Serialize)]
pub struct AssetJson<'a> {
    pub key: String,
    pub location: &'a str,
    /// `changed`, `location-config`, `downstream of KEY` or `fallback`.
    pub reason: String,
    /// What changed (Dagster's change kinds plus SOURCE); empty downstream.
    pub kinds: ChangeKinds,
    pub files: &'a [String],
    /// The changed asset this one is downstream of.
    pub upstream: Option<String>,
}

#[derive(Serialize)]
pub struct RemovedJson {
    pub key: String,
    pub location: String,
}

fn reason(r: &Reason) -> String {
    match r {
        Reason::Changed => "changed".into(),
        Reason::LocationConfig => "location-config".into(),
        Reason::Downstream(k) => format!("downstream of {k}"),
        Reason::Fallback => "fallback".into(),
    }
}

fn location_json(l: &LocationImpact) -> LocationJson<'_> {
    LocationJson {
        name: &l.name,
        changed: l.status.rebuild()
            || l.status == crate::affected::analyze::LocationStatus::Deleted,
        assets: l.assets,
        status: l.status.as_str(),
        path: &l.path,
        project: l.project.as_deref(),
        renamed_from: l.renamed_from.as_deref(),
        files: &l.files,
    }
}

fn asset_json(a: &AffectedAsset) -> AssetJson<'_> {
    AssetJson {
        key: a.key.to_string(),
        location: &a.location,
        reason: reason(&a.reason),
        kinds: a.kinds,
        files: &a.files,
        upstream: match &a.reason {
            Reason::Downstream(k) => Some(k.to_string()),
            _ => None,
        },
    }
}

pub fn json<'a>(p: &'a Provenance<'a>, a: &'a Affected) -> AffectedJson<'a> {
    let range: Option<&GitRange> = p.changes.range.as_ref();
    AffectedJson {
        base: range.map(|r| r.base.as_str()),
        head: range.map(|r| r.head.as_str()),
        merge_base: range.map(|r| r.merge_base.as_str()),
        head_commit: range.map(|r| r.head_commit.as_str()),
        uncommitted: p.changes.uncommitted,
        state: p.state.as_deref(),
        fallback: a.fallback.as_deref(),
        changed_files: &p.changes.files,
        workspace_files: &a.workspace_files,
        unowned_files: &a.unowned_files,
        locations: a.locations.iter().map(location_json).collect(),
        assets: a.assets.iter().map(asset_json).collect(),
        removed: a
            .removed
            .iter()
            .map(|(k, l)| RemovedJson {
                key: k.to_string(),
                location: l.clone(),
            })
            .collect(),
        from_state: p.from_state,
    }
}

/// What was compared, in words.
fn compared(p: &Provenance) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &p.changes.range {
        parts.push(format!(
            "{}...{} (merge base {})",
            r.base,
            r.head,
            &r.merge_base[..r.merge_base.len().min(10)]
        ));
    }
    if p.changes.uncommitted {
        parts.push("uncommitted and untracked files".into());
    }
    if let Some(s) = &p.state {
        parts.push(format!("the saved state in {s}"));
    }
    if parts.is_empty() {
        parts.push("the files given".into());
    }
    parts.join(" + ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The human report.
pub fn text(p: &Provenance, a: &Affected) -> String {
    let mut out = Vec::new();
    if let Some(why) = &a.fallback {
        out.push(format!("Everything is affected (--fallback all): {why}"));
    } else {
        out.push(format!(
            "Compared {}: {} changed.",
            compared(p),
            plural(p.changes.files.len(), "file", "files")
        ));
    }
    if !p.from_state.is_empty() {
        out.push(format!(
            "Read from the saved state (environment missing): {}.",
            p.from_state.join(", ")
        ));
    }
    let rows: Vec<Vec<String>> = a.locations.iter().map(location_row).collect();
    out.push(String::new());
    out.push(super::table::render(
        &["LOCATION", "STATUS", "CI", "ASSETS", "FILES"],
        &rows,
    ));
    if !a.assets.is_empty() {
        let rows: Vec<Vec<String>> = a.assets.iter().map(asset_row).collect();
        out.push(String::new());
        out.push(super::table::render(
            &["ASSET", "LOCATION", "REASON"],
            &rows,
        ));
    }
    for (k, l) in &a.removed {
        out.push(format!("removed: {k} (was in {l})"));
    }
    if !a.workspace_files.is_empty() {
        out.push(format!(
            "\nWorkspace files changed (every location is affected): {}",
            a.workspace_files.join(", ")
        ));
    }
    if !a.unowned_files.is_empty() {
        out.push(format!(
            "\n{} outside every project (they affect no location).",
            plural(a.unowned_files.len(), "file is", "files are")
        ));
    }
    let rebuild = a.locations.iter().filter(|l| l.status.rebuild()).count();
    let retest = a.ci_locations().count() - rebuild;
    out.push(format!(
        "\n{} affected: {} to rebuild, {} to re-test.",
        plural(a.assets.len(), "asset", "assets"),
        plural(rebuild, "location", "locations"),
        retest
    ));
    out.join("\n")
}

/// A row of the locations table: name, status, what CI does, assets, files.
fn location_row(l: &LocationImpact) -> Vec<String> {
    let ci = if l.status.rebuild() {
        "rebuild"
    } else if l.status.needs_ci() {
        "re-test"
    } else {
        "-"
    };
    let mut status = l.status.as_str().to_string();
    if let Some(from) = &l.renamed_from {
        status.push_str(&format!(" from {from}"));
    }
    vec![
        l.name.clone(),
        status,
        ci.to_string(),
        l.assets.to_string(),
        l.files.len().to_string(),
    ]
}

/// A row of the assets table: key, location, why (with what changed and the first file).
fn asset_row(x: &AffectedAsset) -> Vec<String> {
    let mut why = reason(&x.reason);
    let kinds: Vec<&str> = x.kinds.iter().map(|k| k.as_str()).collect();
    if matches!(x.reason, Reason::Changed) && !kinds.is_empty() {
        why.push_str(&format!(" ({})", kinds.join(", ")));
    }
    if let Some(f) = x.files.first() {
        let more = if x.files.len() > 1 {
            format!(" +{}", x.files.len() - 1)
        } else {
            String::new()
        };
        why.push_str(&format!(": {f}{more}"));
    }
    vec![x.key.to_string(), x.location.clone(), why]
}

/// A selection `dg launch --assets` (and every `--select`) accepts: whole locations where
/// every asset is affected, else keys. Empty when nothing is affected.
pub fn selection(graph: &AssetGraph, a: &Affected) -> String {
    let mut owned: HashMap<&str, usize> = HashMap::new();
    for id in graph.node_ids() {
        if let Some(l) = graph.owner_name(id) {
            *owned.entry(l).or_default() += 1;
        }
    }
    let whole: Vec<&LocationImpact> = a
        .locations
        .iter()
        .filter(|l| l.assets > 0 && owned.get(l.name.as_str()) == Some(&l.assets))
        .collect();
    let mut pieces: Vec<String> = whole
        .iter()
        .map(|l| format!("(code_location:\"{}\" and is:materializable)", l.name))
        .collect();
    pieces.extend(
        a.assets
            .iter()
            .filter(|x| !whole.iter().any(|l| l.name == x.location))
            .map(|x| format!("key:\"{}\"", x.key)),
    );
    pieces.join(" or ")
}

#[derive(Serialize)]
struct MatrixEntry<'a> {
    location: &'a str,
    project: Option<&'a str>,
    path: &'a str,
    /// Rebuild (its own files changed) or only re-test.
    rebuild: bool,
    assets: usize,
}

#[derive(Serialize)]
struct Matrix<'a> {
    include: Vec<MatrixEntry<'a>>,
}

/// GitHub Actions step outputs, one `name=value` per line (append them to
/// `$GITHUB_OUTPUT`): `matrix` (`{"include": [...]}`, one entry per location to rebuild or
/// re-test), `has_changes` (an empty matrix fails a job, so guard on it), `projects` (the
/// matrix's project names, for `dg sync`) and `assets` (how many are affected).
pub fn github_matrix(a: &Affected) -> String {
    let include: Vec<MatrixEntry> = a
        .ci_locations()
        .map(|l| MatrixEntry {
            location: &l.name,
            project: l.project.as_deref(),
            path: &l.path,
            rebuild: l.status.rebuild(),
            assets: l.assets,
        })
        .collect();
    let projects: Vec<&str> = include.iter().filter_map(|e| e.project).collect();
    let has_changes = !include.is_empty();
    let matrix = serde_json::to_string(&Matrix { include }).unwrap_or_default();
    format!(
        "matrix={matrix}\nhas_changes={has_changes}\nprojects={}\nassets={}",
        projects.join(" "),
        a.assets.len()
    )
}

/// What `dg state export` says it wrote.
pub fn exported(summary: &crate::affected::state::ExportSummary, dir: &str) -> String {
    format!(
        "wrote the state of {} ({}, {} hashed) to {dir}",
        plural(summary.locations, "location", "locations"),
        plural(summary.assets, "asset", "assets"),
        plural(summary.files, "file", "files"),
    )
}
