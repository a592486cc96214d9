//! The workspace asset graph: keys, the merge of per-location manifests into one graph,
//! validation and the asset selection language.
//!
//! Nodes are created in sorted key order, so a [`NodeId`] compares like its [`AssetKey`]:
//! any walk over node ids in index order is already sorted by key, which keeps every output
//! deterministic without sorting again.

pub mod changes;
pub mod key;
mod merge;
pub mod selection;
pub mod validate;

pub use key::AssetKey;
pub use validate::{Diagnostic, Severity, validate};

/// A selection string that did not parse or evaluate.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid asset selection `{text}`: {error}")]
pub(crate) struct InvalidSelection {
    pub(crate) text: String,
    pub(crate) error: selection::SelectionError,
}

/// The assets a selection string picks (comma-separated pieces united, as `dg launch`
/// takes), with what changed in the branch for `changed_in_branch:`.
pub(crate) fn select_with_changes(
    graph: &AssetGraph,
    text: &str,
    changes: Option<&changes::BranchChanges>,
) -> Result<std::collections::BTreeSet<NodeId>, InvalidSelection> {
    selection::parse_union(text)
        .and_then(|sel| sel.evaluate_with_changes(graph, changes))
        .map(|nodes| nodes.into_iter().collect())
        .map_err(|error| InvalidSelection {
            text: text.to_string(),
            error,
        })
}

use crate::manifest::schema::{AssetDef, Manifest};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// A node of the [`AssetGraph`]; ids are ordered like the keys they stand for.
pub type NodeId = NodeIndex<u32>;

/// Index of a code location in [`AssetGraph::locations`] (the order the manifests were given in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationId(pub u32);

impl LocationId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One code location and everything its manifest defines (checks, jobs, schedules, sensors
/// and resources stay here, next to the assets the graph was built from).
#[derive(Debug, Clone)]
pub struct Location {
    pub name: String,
    pub manifest: Manifest,
}

/// Points at one asset definition inside a location's manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefRef {
    pub location: LocationId,
    /// Index into that location's `manifest.assets`.
    pub index: u32,
}

#[derive(Debug, Clone)]
pub struct AssetNode {
    pub key: AssetKey,
    /// The `/`-joined key, kept because selection globs and exports need it for every node.
    pub key_string: String,
    /// The location whose executable definition owns the key (the first one, in location
    /// order, when several claim it; see [`AssetGraph::duplicate_owners`]).
    pub owner: Option<LocationId>,
    /// The definition that describes the asset: the owner's, or for an external asset the
    /// first non-executable declaration. `None` only for `undeclared` nodes.
    pub definition: Option<DefRef>,
    /// Locations that list the key with `is_executable: false` (stubs for cross-location
    /// dependencies, or external asset declarations), in location order.
    pub references: Vec<LocationId>,
    /// No location lists the key at all; it only appears as someone's dependency.
    pub undeclared: bool,
}

impl AssetNode {
    /// No location defines the key executably.
    pub fn is_external(&self) -> bool {
        self.owner.is_none()
    }
}

/// An edge upstream → downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepEdge {
    /// Both ends are owned, by different locations. Edges touching an external asset never
    /// cross locations: an external asset belongs to none.
    pub cross_location: bool,
}

/// A key defined executably by more than one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateOwner {
    pub node: NodeId,
    /// Every executable definition, in location order; the first one is the node's owner.
    pub definitions: Vec<DefRef>,
}

/// One asset graph over all code locations of a workspace.
#[derive(Debug, Clone)]
pub struct AssetGraph {
    graph: DiGraph<AssetNode, DepEdge>,
    locations: Vec<Location>,
    duplicate_owners: Vec<DuplicateOwner>,
}

impl AssetGraph {
    /// Merges one manifest per location (location name, manifest) into one graph.
    ///
    /// The executable definition owns a key; non-executable copies are references; a key no
    /// location defines executably is external, and a dependency no location lists at all is
    /// an external node flagged `undeclared`. Never fails: conflicts (duplicate owners,
    /// cycles, unknown dependencies) are recorded and reported by [`validate`].
    pub fn build(manifests: Vec<(String, Manifest)>) -> Self {
        let locations = manifests
            .into_iter()
            .map(|(name, manifest)| Location { name, manifest })
            .collect();
        merge::merge(locations)
    }

    /// Whether location `loc`'s asset definition number `index` is the one to list for its
    /// key: every executable definition (so duplicate owners stay visible), and for an
    /// external key only its first declaration.
    pub(crate) fn listed_definition(
        &self,
        loc: usize,
        index: usize,
        a: &AssetDef,
    ) -> Option<NodeId> {
        let id = self.find(&AssetKey::from(&a.key))?;
        let node = self.node(id);
        if a.is_executable {
            return Some(id);
        }
        match (node.owner, node.definition) {
            (None, Some(d)) if d.location.index() == loc && d.index as usize == index => Some(id),
            _ => None,
        }
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// All node ids, in key order.
    pub fn node_ids(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        self.graph.node_indices()
    }

    pub fn node(&self, id: NodeId) -> &AssetNode {
        &self.graph[id]
    }

    pub fn key(&self, id: NodeId) -> &AssetKey {
        &self.graph[id].key
    }

    pub fn find(&self, key: &AssetKey) -> Option<NodeId> {
        // Nodes are in key order: a binary search needs no second copy of every key.
        self.graph
            .raw_nodes()
            .binary_search_by(|n| n.weight.key.cmp(key))
            .ok()
            .map(NodeId::new)
    }

    /// The describing definition (see [`AssetNode::definition`]).
    pub fn definition(&self, id: NodeId) -> Option<&AssetDef> {
        self.graph[id].definition.map(|d| self.asset_def(d))
    }

    pub fn asset_def(&self, def: DefRef) -> &AssetDef {
        &self.locations[def.location.index()].manifest.assets[def.index as usize]
    }

    /// Name of the owning location, `None` for external assets.
    pub fn owner_name(&self, id: NodeId) -> Option<&str> {
        self.graph[id].owner.map(|l| self.location_name(l))
    }

    pub fn locations(&self) -> &[Location] {
        &self.locations
    }

    pub fn location(&self, id: LocationId) -> &Location {
        &self.locations[id.index()]
    }

    pub fn location_name(&self, id: LocationId) -> &str {
        &self.locations[id.index()].name
    }

    pub fn location_id(&self, name: &str) -> Option<LocationId> {
        self.locations
            .iter()
            .position(|l| l.name == name)
            .map(|i| LocationId(i as u32))
    }

    /// Direct dependencies of `id` (the assets it reads).
    pub fn upstream(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.graph.neighbors_directed(id, Direction::Incoming)
    }

    /// Direct dependents of `id` (the assets that read it).
    pub fn downstream(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.graph.neighbors_directed(id, Direction::Outgoing)
    }

    /// Every edge as (upstream, downstream, edge), in insertion order (grouped by downstream
    /// node, in key order).
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId, DepEdge)> + '_ {
        self.graph
            .edge_references()
            .map(|e| (e.source(), e.target(), *e.weight()))
    }

    /// Upstream before downstream. `Err` carries a node on a cycle ([`validate`] reports the
    /// whole cycle).
    pub fn topological_order(&self) -> Result<Vec<NodeId>, NodeId> {
        petgraph::algo::toposort(&self.graph, None).map_err(|cycle| cycle.node_id())
    }

    pub fn duplicate_owners(&self) -> &[DuplicateOwner] {
        &self.duplicate_owners
    }

    /// Locations that mention `id`: its owner, the locations referencing it, and the owners of
    /// its direct dependents. Sorted by location order, deduplicated.
    #[cfg(test)]
    pub fn mentioned_by(&self, id: NodeId) -> Vec<LocationId> {
        let node = &self.graph[id];
        let mut out: Vec<LocationId> = node.owner.into_iter().collect();
        out.extend(node.references.iter().copied());
        out.extend(self.downstream(id).filter_map(|d| self.graph[d].owner));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The underlying petgraph graph, for algorithms this type does not wrap.
    pub fn petgraph(&self) -> &DiGraph<AssetNode, DepEdge> {
        &self.graph
    }

    /// `key (location)`, or `key (external)`, as diagnostics print a node.
    pub fn describe(&self, id: NodeId) -> String {
        match self.owner_name(id) {
            Some(loc) => format!("{} ({loc})", self.graph[id].key_string),
            None => format!("{} (external)", self.graph[id].key_string),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Small hand-written manifests for unit tests across the graph and render modules.

    use crate::manifest::schema::{AssetDef, LocationInfo, MANIFEST_VERSION, Manifest};

    pub fn asset(key: &str, deps: &[&str]) -> AssetDef {
        AssetDef {
            key: key.split('/').map(str::to_owned).collect(),
            deps: deps
                .iter()
                .map(|d| d.split('/').map(str::to_owned).collect())
                .collect(),
            group_name: Some("default".into()),
            kinds: vec![],
            owners: vec![],
            tags: Default::default(),
            description: None,
            is_executable: true,
            partitions: None,
            automation_condition: None,
            code_version: None,
            source: None,
            dg_source: None,
            metadata: Default::default(),
            partition_mappings: Default::default(),
        }
    }

    /// The stub real Dagster lists for a dependency defined elsewhere.
    pub fn stub(key: &str) -> AssetDef {
        AssetDef {
            is_executable: false,
            ..asset(key, &[])
        }
    }

    pub fn manifest(name: &str, assets: Vec<AssetDef>) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            location: LocationInfo {
                name: name.into(),
                module: format!("{}.definitions", name.replace('-', "_")),
                python_executable: "/usr/bin/python3".into(),
                python_version: "3.12.0".into(),
                dagster_version: "1.13.27".into(),
                extraction_seconds: 0.0,
                warnings: vec![],
            },
            assets,
            asset_checks: vec![],
            jobs: vec![],
            schedules: vec![],
            sensors: vec![],
            resources: vec![],
        }
    }

    /// The fixture workspace's shape: data-engineering owns a chain, data-science builds on
    /// its last asset through a stub, and reads one genuine external table.
    pub fn two_locations() -> Vec<(String, Manifest)> {
        let mut raw = asset("raw_orders", &[]);
        raw.group_name = Some("ingestion".into());
        raw.kinds = vec!["json".into(), "python".into()];
        let mut cleaned = asset("cleaned_orders", &["raw_orders"]);
        cleaned.group_name = Some("ingestion".into());
        let mut de = asset("data_engineering_asset", &["cleaned_orders"]);
        de.group_name = Some("warehouse".into());
        de.kinds = vec!["duckdb".into(), "python".into()];
        let mut ds = asset(
            "data_science_asset",
            &["data_engineering_asset", "crm/customers"],
        );
        ds.group_name = Some("analytics".into());
        let mut customers = stub("crm/customers");
        customers.kinds = vec!["postgres".into()];
        vec![
            (
                "data-engineering".into(),
                manifest("data-engineering", vec![cleaned, de, raw]),
            ),
            (
                "data-science".into(),
                manifest(
                    "data-science",
                    vec![customers, stub("data_engineering_asset"), ds],
                ),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn keys(graph: &AssetGraph, ids: impl IntoIterator<Item = NodeId>) -> Vec<String> {
        ids.into_iter()
            .map(|id| graph.key(id).to_string())
            .collect()
    }

    #[test]
    fn stubs_are_references_and_the_executable_definition_owns_the_key() {
        let graph = AssetGraph::build(two_locations());
        let de = graph.find(&"data_engineering_asset".into()).unwrap();
        let node = graph.node(de);
        assert_eq!(graph.owner_name(de), Some("data-engineering"));
        assert_eq!(node.references, [LocationId(1)]);
        assert!(graph.definition(de).unwrap().is_executable);
        assert_eq!(
            graph.definition(de).unwrap().group_name.as_deref(),
            Some("warehouse")
        );
        assert_eq!(graph.mentioned_by(de), [LocationId(0), LocationId(1)]);
    }

    #[test]
    fn a_key_without_executable_owner_is_external() {
        let graph = AssetGraph::build(two_locations());
        let crm = graph.find(&"crm/customers".into()).unwrap();
        assert!(graph.node(crm).is_external());
        assert!(!graph.node(crm).undeclared);
        assert_eq!(graph.owner_name(crm), None);
        assert_eq!(graph.definition(crm).unwrap().kinds, ["postgres"]);
        assert_eq!(graph.mentioned_by(crm), [LocationId(1)]);
    }

    #[test]
    fn a_dependency_nobody_lists_is_undeclared() {
        let graph = AssetGraph::build(vec![(
            "a".into(),
            manifest("a", vec![asset("x", &["ghost"])]),
        )]);
        let ghost = graph.find(&"ghost".into()).unwrap();
        assert!(graph.node(ghost).undeclared);
        assert!(graph.definition(ghost).is_none());
        assert_eq!(graph.mentioned_by(ghost), [LocationId(0)]);
    }

    #[test]
    fn node_ids_are_in_key_order_and_lookups_work() {
        let graph = AssetGraph::build(two_locations());
        assert_eq!(
            keys(&graph, graph.node_ids()),
            [
                "cleaned_orders",
                "crm/customers",
                "data_engineering_asset",
                "data_science_asset",
                "raw_orders"
            ]
        );
        let ds = graph.find(&"data_science_asset".into()).unwrap();
        let mut up = keys(&graph, graph.upstream(ds));
        up.sort();
        assert_eq!(up, ["crm/customers", "data_engineering_asset"]);
        let raw = graph.find(&"raw_orders".into()).unwrap();
        assert_eq!(keys(&graph, graph.downstream(raw)), ["cleaned_orders"]);
        assert_eq!(graph.location_id("data-science"), Some(LocationId(1)));
        assert_eq!(graph.location_id("nope"), None);
    }

    #[test]
    fn edges_know_when_they_cross_locations() {
        let graph = AssetGraph::build(two_locations());
        let mut crossing: Vec<(String, String, bool)> = graph
            .edges()
            .map(|(a, b, e)| {
                (
                    graph.key(a).to_string(),
                    graph.key(b).to_string(),
                    e.cross_location,
                )
            })
            .collect();
        crossing.sort();
        assert_eq!(
            crossing,
            [
                (
                    "cleaned_orders".into(),
                    "data_engineering_asset".into(),
                    false
                ),
                ("crm/customers".into(), "data_science_asset".into(), false),
                (
                    "data_engineering_asset".into(),
                    "data_science_asset".into(),
                    true
                ),
                ("raw_orders".into(), "cleaned_orders".into(), false),
            ]
        );
    }

    #[test]
    fn topological_order_puts_upstream_first() {
        let graph = AssetGraph::build(two_locations());
        let order = keys(&graph, graph.topological_order().unwrap());
        let pos = |k: &str| order.iter().position(|x| x == k).unwrap();
        assert!(pos("raw_orders") < pos("cleaned_orders"));
        assert!(pos("cleaned_orders") < pos("data_engineering_asset"));
        assert!(pos("data_engineering_asset") < pos("data_science_asset"));
        assert!(pos("crm/customers") < pos("data_science_asset"));
    }

    #[test]
    fn two_executable_definitions_are_recorded_as_duplicates() {
        let graph = AssetGraph::build(vec![
            ("a".into(), manifest("a", vec![asset("x", &[])])),
            ("b".into(), manifest("b", vec![asset("x", &[])])),
        ]);
        let x = graph.find(&"x".into()).unwrap();
        assert_eq!(graph.owner_name(x), Some("a"));
        assert_eq!(graph.duplicate_owners().len(), 1);
        assert_eq!(graph.duplicate_owners()[0].definitions.len(), 2);
    }
}
