//! `dg list defs` and `dg list assets`: load every location's manifest (cached), merge them
//! into one asset graph, and list.

use super::Settings;
use crate::config::{self, Project, Workspace};
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::graph::{AssetGraph, NodeId};
use crate::manifest::extract::{LoadOptions, LocationError, NoProgress, load_manifests};
use crate::render::defs::{self as r, DefsJson};
use crate::render::progress::Spinners;
use clap::Args;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct DefsArgs {
    /// Print real dg's JSON schema (six arrays, nulls omitted) plus a `location` field
    #[arg(long)]
    pub json: bool,
    /// Only assets matching this selection (and their checks), e.g. `+key:data_science_asset`
    #[arg(short = 'a', long = "assets", value_name = "SELECTION")]
    pub assets: Option<String>,
    /// Columns of the asset table: key, group, deps, kinds, description, tags, is_executable
    #[arg(
        short = 'c',
        long = "columns",
        value_delimiter = ',',
        value_name = "COLUMNS",
        conflicts_with = "json"
    )]
    pub columns: Vec<String>,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
    #[command(flatten)]
    pub compare: super::affected::CompareArgs,
}

#[derive(Debug, Args)]
pub struct AssetsArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Only assets matching this selection, e.g. `+key:data_science_asset` or `group:analytics`
    #[arg(short = 's', long = "select", value_name = "SELECTION")]
    pub select: Option<String>,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
    #[command(flatten)]
    pub compare: super::affected::CompareArgs,
}

/// The loaded workspace: the graph over every location that loaded, and the failures.
pub struct Loaded {
    pub graph: AssetGraph,
    pub failures: Vec<LocationError>,
}

/// Loads manifests for `projects` with progress on a terminal, and merges them.
pub fn load(
    settings: &Settings,
    ws: &Workspace,
    projects: &[&Project],
    refresh: bool,
    quiet: bool,
) -> Result<Loaded> {
    load_with_state(settings, ws, projects, refresh, quiet, None).map(|(l, _)| l)
}

/// Like [`load`]; a location whose environment is missing is read from `state` instead of
/// failing (the names of those locations are returned, and said on stderr).
pub fn load_with_state(
    settings: &Settings,
    ws: &Workspace,
    projects: &[&Project],
    refresh: bool,
    quiet: bool,
    state: Option<&crate::affected::state::State>,
) -> Result<(Loaded, Vec<String>)> {
    let opts = LoadOptions { refresh };
    let mut results = if settings.printer.interactive() && !quiet {
        load_manifests(ws, projects, opts, &Spinners::new("loading"))?
    } else {
        load_manifests(ws, projects, opts, &NoProgress)?
    };
    let from_state = match state {
        Some(state) => crate::affected::state::fill_missing(&mut results, state, ws),
        None => Vec::new(),
    };
    if let Some(state) = state
        && !from_state.is_empty()
    {
        settings
            .printer
            .status(&crate::render::affected::from_state_note(
                &from_state,
                &state.dir,
            ));
    }
    let mut manifests = Vec::new();
    let mut failures = Vec::new();
    for res in results {
        if settings.printer.verbose {
            let what = match (&res.outcome, res.from_cache) {
                (Ok(_), true) => "manifest from cache".to_string(),
                (Ok(m), false) => format!(
                    "loaded in {:.2} s (Python {}, dagster {})",
                    res.seconds, m.location.python_version, m.location.dagster_version
                ),
                (Err(e), _) => format!("failed to load ({})", e.kind),
            };
            settings
                .printer
                .status(&format!("{}: {what}", res.location));
        }
        match res.outcome {
            Ok(m) => manifests.push((res.location, m)),
            Err(e) => failures.push(e),
        }
    }
    Ok((
        Loaded {
            graph: AssetGraph::build(manifests),
            failures,
        },
        from_state,
    ))
}

/// Every failed location as one problem each (exit 1: the others were still listed).
/// Locations that merely have no environment yet are named together in one problem.
pub fn failures_error(failures: &[LocationError]) -> Error {
    let (missing, other): (Vec<&LocationError>, Vec<&LocationError>) = failures
        .iter()
        .partition(|f| f.kind == "missing_interpreter" && f.detail.trim().is_empty());
    let mut problems = Vec::new();
    match missing.as_slice() {
        [] => {}
        [one] => problems.push(
            Problem::new(format!(
                "location `{}` failed to load: {}",
                one.location, one.message
            ))
            .hint(one.hint.clone()),
        ),
        many => {
            let names: Vec<&str> = many.iter().map(|f| f.location.as_str()).collect();
            let shown = if names.len() > 8 {
                format!("{}, ... ({} in all)", names[..8].join(", "), names.len())
            } else {
                names.join(", ")
            };
            problems.push(
                Problem::new(format!(
                    "{} locations have no Python environment yet: {shown}",
                    names.len()
                ))
                .hint("run `dg sync` to create them (or `dg sync NAME...` for some)"),
            );
        }
    }
    for f in other {
        let mut msg = format!("location `{}` failed to load: {}", f.location, f.message);
        if !f.detail.trim().is_empty() {
            msg.push('\n');
            msg.push_str(
                &f.detail
                    .trim_end()
                    .lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        problems.push(Problem::new(msg).hint(f.hint.clone()));
    }
    Error {
        kind: ErrorKind::Failed,
        problems,
    }
}

/// Whether a location's asset definition is the one to list: every executable definition
/// (so duplicate owners stay visible), and for an external key only its first declaration.
fn listed(
    graph: &AssetGraph,
    loc: usize,
    index: usize,
    a: &crate::manifest::schema::AssetDef,
) -> Option<NodeId> {
    let id = graph.find(&crate::graph::AssetKey::from(&a.key))?;
    let node = graph.node(id);
    if a.is_executable {
        return Some(id);
    }
    match (node.owner, node.definition) {
        (None, Some(d)) if d.location.index() == loc && d.index as usize == index => Some(id),
        _ => None,
    }
}

pub fn run_defs(settings: &Settings, args: &DefsArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    let projects = ws.scoped_projects();
    let project_scope = ws.current.is_some();
    let columns: Vec<&str> = if args.columns.is_empty() {
        r::DEFAULT_COLUMNS.to_vec()
    } else {
        args.columns
            .iter()
            .map(|c| {
                r::column_name(c).ok_or_else(|| {
                    Error::usage(format!("unknown column `{c}`"))
                        .with_hint(format!("columns: {}", r::COLUMNS.join(", ")))
                })
            })
            .collect::<Result<_>>()?
    };
    let state = args.compare.read_state()?;
    let (loaded, _) = load_with_state(
        settings,
        &ws,
        &projects,
        args.refresh,
        args.json,
        state.as_ref(),
    )?;
    let graph = &loaded.graph;
    let selected = args
        .assets
        .as_deref()
        .map(|s| super::affected::select(&ws, &loaded, s, &args.compare, state.as_ref()))
        .transpose()?;
    let mut out = DefsJson::default();
    for (li, loc) in graph.locations().iter().enumerate() {
        let m = &loc.manifest;
        let name = loc.name.as_str();
        for (ai, a) in m.assets.iter().enumerate() {
            // Inside one project, list exactly what real dg lists there (stubs included).
            let keep = if project_scope {
                graph.find(&crate::graph::AssetKey::from(&a.key))
            } else {
                listed(graph, li, ai, a)
            };
            if let Some(id) = keep
                && selected.as_ref().is_none_or(|s| s.contains(&id))
            {
                out.assets.push(r::asset(a, name));
            }
        }
        for c in &m.asset_checks {
            let in_selection = selected.as_ref().is_none_or(|s| {
                graph
                    .find(&crate::graph::AssetKey::from(&c.asset_key))
                    .is_some_and(|id| s.contains(&id))
            });
            if in_selection {
                out.asset_checks.push(r::check(c, name));
            }
        }
        // As real dg: a selection lists only assets and their checks.
        if selected.is_none() {
            out.jobs.extend(m.jobs.iter().map(|j| r::job(j, name)));
            out.resources
                .extend(m.resources.iter().map(|x| r::resource(x, name)));
            out.schedules
                .extend(m.schedules.iter().map(|x| r::schedule(x, name)));
            out.sensors
                .extend(m.sensors.iter().map(|x| r::sensor(x, name)));
        }
    }
    out.sort();
    if args.json {
        settings.printer.json(&out);
    } else {
        let text = r::tables(&out, &columns);
        if text.is_empty() {
            if loaded.failures.is_empty() {
                settings
                    .printer
                    .out("No definitions are defined for this workspace.");
            }
        } else {
            settings.printer.out(&text);
        }
    }
    if loaded.failures.is_empty() {
        Ok(())
    } else {
        Err(failures_error(&loaded.failures))
    }
}

#[derive(Serialize)]
struct AssetRow<'a> {
    key: String,
    key_parts: &'a [String],
    location: Option<&'a str>,
    group: Option<&'a str>,
    kinds: &'a [String],
    is_executable: bool,
    external: bool,
    upstream: Vec<Upstream<'a>>,
}

#[derive(Serialize)]
struct Upstream<'a> {
    key: String,
    location: Option<&'a str>,
    cross_location: bool,
}

pub fn run_assets(settings: &Settings, args: &AssetsArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    // Assets are a workspace-wide view: every location, wherever it is run from.
    let projects: Vec<&Project> = ws.projects.iter().collect();
    let state = args.compare.read_state()?;
    let (loaded, _) = load_with_state(
        settings,
        &ws,
        &projects,
        args.refresh,
        args.json,
        state.as_ref(),
    )?;
    let graph = &loaded.graph;
    let selected = args
        .select
        .as_deref()
        .map(|s| super::affected::select(&ws, &loaded, s, &args.compare, state.as_ref()))
        .transpose()?;
    let mut rows = Vec::new();
    for id in graph.node_ids() {
        let node = graph.node(id);
        if node.undeclared || selected.as_ref().is_some_and(|s| !s.contains(&id)) {
            continue;
        }
        let def = graph.definition(id);
        let mut upstream: Vec<Upstream> = graph
            .upstream(id)
            .map(|u| {
                let owner = graph.owner_name(u);
                Upstream {
                    key: graph.key(u).to_string(),
                    location: owner,
                    cross_location: owner.is_some() && owner != graph.owner_name(id),
                }
            })
            .collect();
        upstream.sort_by(|a, b| a.key.cmp(&b.key));
        rows.push(AssetRow {
            key: node.key_string.clone(),
            key_parts: node.key.parts(),
            location: graph.owner_name(id),
            group: def.and_then(|d| d.group_name.as_deref()),
            kinds: def.map(|d| d.kinds.as_slice()).unwrap_or(&[]),
            is_executable: node.owner.is_some(),
            external: node.is_external(),
            upstream,
        });
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    if args.json {
        settings.printer.json(&rows);
    } else if rows.is_empty() {
        if loaded.failures.is_empty() {
            settings.printer.status("No assets matched.");
        }
    } else {
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|row| {
                vec![
                    row.key.clone(),
                    row.location
                        .map(str::to_string)
                        .unwrap_or_else(|| "(external)".into()),
                    row.group.unwrap_or("").to_string(),
                    row.kinds.join(", "),
                    row.upstream
                        .iter()
                        .map(|u| {
                            if u.cross_location {
                                format!("{} ⇠ {}", u.key, u.location.unwrap_or(""))
                            } else if u.location.is_none() {
                                format!("{} (external)", u.key)
                            } else {
                                u.key.clone()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ]
            })
            .collect();
        settings.printer.out(&crate::render::table::render(
            &[
                "KEY",
                "LOCATION",
                "GROUP",
                "KINDS",
                "UPSTREAM (⇠ other location)",
            ],
            &table,
        ));
    }
    if loaded.failures.is_empty() {
        Ok(())
    } else {
        Err(failures_error(&loaded.failures))
    }
}
