//! The launch plan: selected assets → steps. A step is one location and the selected assets
//! it owns that can run together in ONE Dagster run (Dagster cannot put two locations, or two
//! partitions definitions, in one run). Steps are ordered by the dependencies between their
//! assets, so a chain A → B → A becomes three steps; steps with no path between them may run
//! in parallel.
//!
//! How assets are grouped: every selected asset belongs to a *run group* (its location and
//! its partitions definition). Each asset gets a stage: the fewest group changes any chain of
//! selected upstream assets forces before it (ASAP). Assets that could move (their stage is
//! not forced from both sides) are then placed, downstream first, into a stage where their
//! group already has a step when one is in range, so an independent asset joins an existing
//! run instead of starting a new one. A step is (group, stage); dependencies only go from a
//! lower stage to a higher one, so steps sorted by stage are already in execution order.
//!
//! Dependencies count through unselected assets too: if `a → x → c` and only `a` and `c` are
//! selected, `c` runs after `a`.

use crate::graph::{AssetGraph, LocationId, NodeId};
use std::collections::{BTreeMap, BTreeSet};

/// One Dagster run: assets of one location (or one job of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 0-based position in [`LaunchPlan::steps`] (shown 1-based).
    pub index: usize,
    pub location: LocationId,
    /// The assets to materialize, in key order (for a job: the job's assets, informative).
    pub assets: Vec<NodeId>,
    /// `Some(name)` when the step runs a job instead of an asset selection.
    pub job: Option<String>,
    /// Steps that must succeed before this one starts (indices, ascending).
    pub depends_on: Vec<usize>,
    /// 1-based: 1 + the longest chain of steps before it. Steps of one wave are independent.
    pub wave: usize,
    /// Some selected asset of the step is partitioned (only those steps get `--partition`).
    pub partitioned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchPlan {
    pub steps: Vec<Step>,
    /// Selected assets no location can materialize (external), left out of the plan.
    pub dropped_external: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the selection matched no assets")]
    NothingSelected,
    #[error("the selection matched only external assets, which no location can materialize")]
    OnlyExternal(Vec<NodeId>),
    #[error("the asset graph has a cycle")]
    Cycle(NodeId),
}

impl LaunchPlan {
    pub fn waves(&self) -> usize {
        self.steps.iter().map(|s| s.wave).max().unwrap_or(0)
    }

    /// Steps that (transitively) depend on `step`.
    #[cfg(test)]
    pub fn dependents_of(&self, step: usize) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        // Dependencies always point to lower indices: one forward pass suffices.
        for s in &self.steps[step + 1..] {
            if s.depends_on.iter().any(|d| *d == step || out.contains(d)) {
                out.insert(s.index);
            }
        }
        out
    }
}

/// A run group: the location and the asset's partitions definition (as text).
type Group = (LocationId, String);

fn group_of(graph: &AssetGraph, id: NodeId) -> Option<Group> {
    let loc = graph.node(id).owner?;
    let parts = graph
        .definition(id)
        .and_then(|d| d.partitions.as_ref())
        .map(|p| serde_json::to_string(p).unwrap_or_default())
        .unwrap_or_default();
    Some((loc, parts))
}

/// Plans the launch of `selected` (any nodes of `graph`; externals are dropped).
pub fn plan_assets(
    graph: &AssetGraph,
    selected: &BTreeSet<NodeId>,
) -> Result<LaunchPlan, PlanError> {
    if selected.is_empty() {
        return Err(PlanError::NothingSelected);
    }
    let (runnable, dropped_external): (BTreeSet<NodeId>, Vec<NodeId>) = {
        let (r, e): (Vec<NodeId>, Vec<NodeId>) = selected
            .iter()
            .partition(|id| graph.node(**id).owner.is_some());
        (r.into_iter().collect(), e)
    };
    if runnable.is_empty() {
        return Err(PlanError::OnlyExternal(dropped_external));
    }
    let order = graph.topological_order().map_err(PlanError::Cycle)?;

    // near[n]: the selected assets n depends on, directly or through unselected assets only.
    let mut near: Vec<Vec<NodeId>> = vec![Vec::new(); graph.node_count()];
    for &n in &order {
        let mut set = BTreeSet::new();
        for u in graph.upstream(n) {
            if runnable.contains(&u) {
                set.insert(u);
            } else {
                set.extend(near[u.index()].iter().copied());
            }
        }
        near[n.index()] = set.into_iter().collect();
    }
    let sel_order: Vec<NodeId> = order
        .iter()
        .copied()
        .filter(|n| runnable.contains(n))
        .collect();
    let group: BTreeMap<NodeId, Group> = sel_order
        .iter()
        .filter_map(|&n| group_of(graph, n).map(|g| (n, g)))
        .collect();
    let cost = |u: NodeId, n: NodeId| usize::from(group[&u] != group[&n]);
    let mut below: BTreeMap<NodeId, Vec<NodeId>> = BTreeMap::new();
    for &n in &sel_order {
        for &u in &near[n.index()] {
            below.entry(u).or_default().push(n);
        }
    }

    // Earliest stage (ASAP) and latest stage (ALAP) of every selected asset.
    let mut earliest: BTreeMap<NodeId, usize> = BTreeMap::new();
    for &n in &sel_order {
        let s = near[n.index()]
            .iter()
            .map(|&u| earliest[&u] + cost(u, n))
            .max()
            .unwrap_or(0);
        earliest.insert(n, s);
    }
    let depth = earliest.values().copied().max().unwrap_or(0);
    let mut latest: BTreeMap<NodeId, usize> = BTreeMap::new();
    for &n in sel_order.iter().rev() {
        let t = below
            .get(&n)
            .into_iter()
            .flatten()
            .map(|&d| latest[&d] - cost(n, d))
            .min()
            .unwrap_or(depth);
        latest.insert(n, t);
    }
    // Stages a group needs anyway: those of assets with no freedom.
    let mut group_stages: BTreeMap<&Group, BTreeSet<usize>> = BTreeMap::new();
    for &n in &sel_order {
        if earliest[&n] == latest[&n] {
            group_stages
                .entry(&group[&n])
                .or_default()
                .insert(earliest[&n]);
        }
    }
    // Place downstream first, so an asset's range only depends on placed dependents.
    let mut stage: BTreeMap<NodeId, usize> = BTreeMap::new();
    for &n in sel_order.iter().rev() {
        let lo = earliest[&n];
        let hi = below
            .get(&n)
            .into_iter()
            .flatten()
            .map(|&d| stage[&d] - cost(n, d))
            .min()
            .unwrap_or(depth);
        let existing = group_stages.entry(&group[&n]).or_default();
        let s = existing.range(lo..=hi).next().copied().unwrap_or(lo);
        existing.insert(s);
        stage.insert(n, s);
    }

    // Steps = (stage, group), in that order.
    let mut by_step: BTreeMap<(usize, &Group), Vec<NodeId>> = BTreeMap::new();
    for &n in &sel_order {
        by_step.entry((stage[&n], &group[&n])).or_default().push(n);
    }
    let mut step_of: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut steps: Vec<Step> = Vec::with_capacity(by_step.len());
    for (i, ((_, g), mut assets)) in by_step.into_iter().enumerate() {
        assets.sort();
        for &a in &assets {
            step_of.insert(a, i);
        }
        steps.push(Step {
            index: i,
            location: g.0,
            assets,
            job: None,
            depends_on: Vec::new(),
            wave: 1,
            partitioned: !g.1.is_empty(),
        });
    }
    for &n in &sel_order {
        let to = step_of[&n];
        for &u in &near[n.index()] {
            let from = step_of[&u];
            if from != to {
                steps[to].depends_on.push(from);
            }
        }
    }
    for i in 0..steps.len() {
        steps[i].depends_on.sort_unstable();
        steps[i].depends_on.dedup();
        steps[i].wave = steps[i]
            .depends_on
            .iter()
            .map(|&d| steps[d].wave + 1)
            .max()
            .unwrap_or(1);
    }
    Ok(LaunchPlan {
        steps,
        dropped_external,
    })
}

/// A plan of one step: job `name` of `location`.
pub fn plan_job(graph: &AssetGraph, location: LocationId, name: &str) -> LaunchPlan {
    let assets = graph
        .location(location)
        .manifest
        .jobs
        .iter()
        .find(|j| j.name == name)
        .map(|j| {
            let mut ids: Vec<NodeId> = j
                .asset_keys
                .iter()
                .filter_map(|k| graph.find(&crate::graph::AssetKey::from(k)))
                .collect();
            ids.sort();
            ids
        })
        .unwrap_or_default();
    let partitioned = assets
        .iter()
        .any(|&a| graph.definition(a).is_some_and(|d| d.partitions.is_some()));
    LaunchPlan {
        steps: vec![Step {
            index: 0,
            location,
            assets,
            job: Some(name.to_string()),
            depends_on: Vec::new(),
            wave: 1,
            partitioned,
        }],
        dropped_external: Vec::new(),
    }
}

/// The plan of `--job NAME` (with `--location` when several locations define that job): the
/// location is resolved with user-facing errors that list what exists.
pub fn resolve_job(
    graph: &AssetGraph,
    job: &str,
    location: Option<&str>,
) -> crate::error::Result<LaunchPlan> {
    use crate::error::Error;
    let owners: Vec<LocationId> = (0..graph.locations().len())
        .map(|i| LocationId(i as u32))
        .filter(|l| {
            graph
                .location(*l)
                .manifest
                .jobs
                .iter()
                .any(|j| j.name == job)
        })
        .collect();
    let all_jobs = || {
        graph
            .locations()
            .iter()
            .flat_map(|l| {
                l.manifest
                    .jobs
                    .iter()
                    .filter(|j| !j.name.starts_with("__ASSET_JOB"))
                    .map(move |j| format!("{} ({})", j.name, l.name))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let loc = match location {
        Some(name) => {
            let Some(id) = graph.location_id(name) else {
                return Err(
                    Error::usage(format!("no location is named `{name}`")).with_hint(format!(
                        "locations: {}",
                        graph
                            .locations()
                            .iter()
                            .map(|l| l.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            };
            if !owners.contains(&id) {
                return Err(Error::usage(format!(
                    "location `{name}` defines no job named `{job}`"
                ))
                .with_hint(format!("jobs: {}", all_jobs())));
            }
            id
        }
        None => match owners.as_slice() {
            [one] => *one,
            [] => {
                return Err(
                    Error::usage(format!("no location defines a job named `{job}`"))
                        .with_hint(format!("jobs: {}", all_jobs())),
                );
            }
            many => {
                return Err(Error::usage(format!(
                    "several locations define a job named `{job}`: {}",
                    many.iter()
                        .map(|l| graph.location_name(*l))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_hint("choose one with --location NAME"));
            }
        },
    };
    Ok(plan_job(graph, loc, job))
}

#[cfg(test)]
mod tests;
