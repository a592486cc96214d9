//! Workspace-level checks on the merged graph: what real Dagster only notices at launch time
//! (two owners of one key) or never across locations (a dependency on a key nobody defines,
//! cycles through several locations).
//!
//! Per-location checks (duplicate `code_location_name`, Python and Dagster version
//! mismatches) live with the workspace model, not here.

use super::{AssetGraph, AssetKey, NodeId};
use petgraph::Direction;
use std::collections::{HashMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a problem is about; its stable identifier (`as_str`) is shown and in the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Code {
    DuplicateOwner,
    UnknownDependency,
    ExternalDependency,
    Cycle,
    PythonVersion,
    DagsterVersion,
    /// A dependency on an asset its location does not make visible (`[tool.dg-rs.access]`).
    AccessViolation,
}

impl Code {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::DuplicateOwner => "duplicate-owner",
            Code::UnknownDependency => "unknown-dependency",
            Code::ExternalDependency => "external-dependency",
            Code::Cycle => "cycle",
            Code::PythonVersion => "python-version",
            Code::DagsterVersion => "dagster-version",
            Code::AccessViolation => "access-violation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Locations involved, in workspace order.
    pub locations: Vec<String>,
    /// Keys involved; the subject first.
    pub keys: Vec<AssetKey>,
    pub hint: Option<String>,
}

/// All problems, errors before warnings, each kind in key order.
pub fn validate(graph: &AssetGraph) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    duplicate_owners(graph, &mut out);
    missing_dependencies(graph, &mut out);
    cycles(graph, &mut out);
    // Stable: keeps the per-check order inside each severity.
    out.sort_by_key(|d| d.severity);
    out
}

fn location_names(graph: &AssetGraph, mut ids: Vec<super::LocationId>) -> Vec<String> {
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|l| graph.location_name(l).to_owned())
        .collect()
}

fn duplicate_owners(graph: &AssetGraph, out: &mut Vec<Diagnostic>) {
    for dup in graph.duplicate_owners() {
        let key = graph.key(dup.node);
        let locations = location_names(graph, dup.definitions.iter().map(|d| d.location).collect());
        let listed = locations
            .iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        out.push(Diagnostic {
            severity: Severity::Error,
            code: Code::DuplicateOwner,
            message: format!("asset `{key}` is defined executably by {listed}"),
            locations,
            keys: vec![key.clone()],
            hint: Some(
                "keep one definition; other locations should only depend on the key \
                 (real Dagster fails at launch time on this)"
                    .to_owned(),
            ),
        });
    }
}

fn missing_dependencies(graph: &AssetGraph, out: &mut Vec<Diagnostic>) {
    let mut matcher: Option<KeySuggester> = None;
    for id in graph.node_ids() {
        let node = graph.node(id);
        if !node.is_external() {
            continue;
        }
        let mut dependents: Vec<NodeId> = graph
            .downstream(id)
            .filter(|&d| !graph.node(d).is_external())
            .collect();
        if dependents.is_empty() {
            continue;
        }
        dependents.sort_unstable();
        dependents.dedup();
        let matcher = matcher.get_or_insert_with(|| KeySuggester::new(graph));
        let used_by = dependents
            .iter()
            .map(|&d| graph.describe(d))
            .collect::<Vec<_>>()
            .join(", ");
        let mut keys = vec![node.key.clone()];
        keys.extend(dependents.iter().map(|&d| graph.key(d).clone()));
        let locations = location_names(
            graph,
            dependents
                .iter()
                .filter_map(|&d| graph.node(d).owner)
                .chain(node.references.iter().copied())
                .collect(),
        );
        let key = &node.key_string;
        match matcher.suggest(key) {
            Some(similar) => out.push(Diagnostic {
                severity: Severity::Error,
                code: Code::UnknownDependency,
                message: format!(
                    "`{key}` is a dependency of {used_by}, but no location defines it"
                ),
                locations,
                keys,
                hint: Some(format!(
                    "did you mean `{}` (owned by {})?",
                    graph.node(similar).key_string,
                    graph.owner_name(similar).unwrap_or_default()
                )),
            }),
            None => out.push(Diagnostic {
                severity: Severity::Warning,
                code: Code::ExternalDependency,
                message: if node.undeclared {
                    format!(
                        "`{key}` is a dependency of {used_by}, but no location declares it; \
                         treated as an external asset"
                    )
                } else {
                    format!(
                        "`{key}` is not defined by any location; treated as an external asset \
                         (used by {used_by})"
                    )
                },
                locations,
                keys,
                hint: Some(
                    "if this workspace should materialize it, define it in one of the locations"
                        .to_owned(),
                ),
            }),
        }
    }
}

/// Suggests an owned key for a missing one: the closest spelling (the one "did you mean"
/// rule of `suggest`), else a key with the same last part under another prefix.
pub(crate) struct KeySuggester {
    matcher: crate::suggest::Matcher<NodeId>,
    by_name: HashMap<String, Vec<NodeId>>,
}

impl KeySuggester {
    pub(crate) fn new(graph: &AssetGraph) -> Self {
        let mut by_name: HashMap<String, Vec<NodeId>> = HashMap::new();
        let mut owned = Vec::new();
        for id in graph.node_ids() {
            let node = graph.node(id);
            if node.is_external() {
                continue;
            }
            owned.push((node.key_string.clone(), id));
            by_name
                .entry(node.key.name().to_owned())
                .or_default()
                .push(id);
        }
        KeySuggester {
            matcher: crate::suggest::Matcher::new(owned),
            by_name,
        }
    }

    pub(crate) fn suggest(&self, missing: &str) -> Option<NodeId> {
        if let Some(id) = self.matcher.best(missing) {
            return Some(id);
        }
        let name = missing.rsplit('/').next().unwrap_or(missing);
        self.by_name
            .get(name)
            .and_then(|ids| ids.iter().min().copied())
    }
}

fn cycles(graph: &AssetGraph, out: &mut Vec<Diagnostic>) {
    let g = graph.petgraph();
    let mut components: Vec<Vec<NodeId>> = petgraph::algo::tarjan_scc(g)
        .into_iter()
        .filter(|c| c.len() > 1 || g.contains_edge(c[0], c[0]))
        .map(|mut c| {
            c.sort_unstable();
            c
        })
        .collect();
    components.sort_unstable_by_key(|c| c[0]);
    for component in components {
        let path = cycle_through(graph, &component);
        let shown = path
            .iter()
            .map(|&id| graph.describe(id))
            .collect::<Vec<_>>()
            .join(" -> ");
        let mut keys: Vec<AssetKey> = path.iter().map(|&id| graph.key(id).clone()).collect();
        keys.pop(); // the start, repeated at the end
        let others = component.len() - keys.len();
        let more = if others > 0 {
            format!(" ({others} more assets are on cycles with these)")
        } else {
            String::new()
        };
        out.push(Diagnostic {
            severity: Severity::Error,
            code: Code::Cycle,
            message: format!("dependency cycle: {shown}{more}"),
            locations: location_names(
                graph,
                component
                    .iter()
                    .filter_map(|&id| graph.node(id).owner)
                    .collect(),
            ),
            keys,
            hint: Some("remove one of these dependencies".to_owned()),
        });
    }
}

/// A shortest cycle from the smallest node of a strongly connected component back to itself,
/// as a path that repeats the start at the end.
fn cycle_through(graph: &AssetGraph, component: &[NodeId]) -> Vec<NodeId> {
    let start = component[0];
    let g = graph.petgraph();
    if g.contains_edge(start, start) {
        return vec![start, start];
    }
    let mut parent: HashMap<NodeId, NodeId> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        let mut next: Vec<NodeId> = g.neighbors_directed(at, Direction::Outgoing).collect();
        next.sort_unstable();
        for n in next {
            if n == start {
                // Walk back from `at` to the start, then turn it around.
                let mut path = vec![at];
                while let Some(&p) = parent.get(path.last().unwrap_or(&start)) {
                    path.push(p);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if component.binary_search(&n).is_ok() && !parent.contains_key(&n) && n != start {
                parent.insert(n, at);
                queue.push_back(n);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_support::synthetic_workspace;
    use crate::graph::test_support::*;

    fn codes(diags: &[Diagnostic]) -> Vec<(&'static str, Severity)> {
        diags
            .iter()
            .map(|d| (d.code.as_str(), d.severity))
            .collect()
    }

    #[test]
    fn the_cross_location_stub_pattern_is_clean_and_genuine_externals_warn() {
        let graph = AssetGraph::build(two_locations());
        let diags = validate(&graph);
        assert_eq!(codes(&diags), [("external-dependency", Severity::Warning)]);
        assert_eq!(diags[0].keys[0].to_string(), "crm/customers");
        assert_eq!(diags[0].locations, ["data-science"]);
        assert_eq!(
            diags[0].message,
            "`crm/customers` is not defined by any location; treated as an external asset \
             (used by data_science_asset (data-science))"
        );
    }

    #[test]
    fn a_typo_in_a_cross_location_dependency_is_an_error_with_a_suggestion() {
        let mut ws = two_locations();
        let ds = &mut ws[1].1;
        for asset in &mut ds.assets {
            for part in asset.key.iter_mut().chain(asset.deps.iter_mut().flatten()) {
                if part == "data_engineering_asset" {
                    *part = "data_engineering_assett".into();
                }
            }
        }
        let graph = AssetGraph::build(ws);
        let diags = validate(&graph);
        assert_eq!(diags[0].code, Code::UnknownDependency);
        assert_eq!(diags[0].severity, Severity::Error);
        assert_eq!(
            diags[0].message,
            "`data_engineering_assett` is a dependency of data_science_asset (data-science), \
             but no location defines it"
        );
        assert_eq!(
            diags[0].hint.as_deref(),
            Some("did you mean `data_engineering_asset` (owned by data-engineering)?")
        );
        assert_eq!(diags[1].code, Code::ExternalDependency);
    }

    #[test]
    fn same_name_under_another_prefix_is_suggested() {
        let graph = AssetGraph::build(vec![
            (
                "a".into(),
                manifest("a", vec![asset("staging/orders", &[])]),
            ),
            (
                "b".into(),
                manifest("b", vec![asset("report", &["orders"])]),
            ),
        ]);
        let diags = validate(&graph);
        assert_eq!(diags[0].code, Code::UnknownDependency);
        assert_eq!(
            diags[0].hint.as_deref(),
            Some("did you mean `staging/orders` (owned by a)?")
        );
        assert_eq!(
            diags[0].message,
            "`orders` is a dependency of report (b), but no location defines it"
        );
    }

    #[test]
    fn duplicate_owners_name_both_locations() {
        let graph = AssetGraph::build(vec![
            ("a".into(), manifest("a", vec![asset("x", &[])])),
            ("b".into(), manifest("b", vec![asset("x", &[])])),
        ]);
        let diags = validate(&graph);
        assert_eq!(codes(&diags), [("duplicate-owner", Severity::Error)]);
        assert_eq!(
            diags[0].message,
            "asset `x` is defined executably by `a` and `b`"
        );
        assert_eq!(diags[0].locations, ["a", "b"]);
    }

    #[test]
    fn a_cycle_across_locations_is_printed_with_locations() {
        let graph = AssetGraph::build(vec![
            (
                "loc1".into(),
                manifest("loc1", vec![asset("a", &["b"]), stub("b")]),
            ),
            (
                "loc2".into(),
                manifest("loc2", vec![asset("b", &["a"]), stub("a")]),
            ),
            ("loc3".into(), manifest("loc3", vec![asset("s", &["s"])])),
        ]);
        let diags = validate(&graph);
        assert_eq!(
            codes(&diags),
            [("cycle", Severity::Error), ("cycle", Severity::Error)]
        );
        assert_eq!(
            diags[0].message,
            "dependency cycle: a (loc1) -> b (loc2) -> a (loc1)"
        );
        assert_eq!(diags[0].locations, ["loc1", "loc2"]);
        assert_eq!(diags[1].message, "dependency cycle: s (loc3) -> s (loc3)");
        assert!(graph.topological_order().is_err());
    }

    #[test]
    fn longer_cycles_come_out_in_edge_order() {
        let graph = AssetGraph::build(vec![(
            "l".into(),
            manifest(
                "l",
                vec![asset("a", &["c"]), asset("b", &["a"]), asset("c", &["b"])],
            ),
        )]);
        let diags = validate(&graph);
        assert_eq!(
            diags[0].message,
            "dependency cycle: a (l) -> b (l) -> c (l) -> a (l)"
        );
    }

    #[test]
    fn a_large_synthetic_workspace_is_clean() {
        let graph = AssetGraph::build(synthetic_workspace(20, 200, 10, 3));
        assert_eq!(validate(&graph), []);
    }
}
