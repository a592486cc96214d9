//! Merging per-location manifests into one [`AssetGraph`].
//!
//! Two passes over borrowed manifest data: first every key any location mentions (as an
//! asset or as a dependency) is collected with its executable and non-executable
//! declarations; then nodes are created in sorted key order and edges are added from the
//! describing definitions. Keys are cloned once, into their node.

use super::{
    AssetGraph, AssetKey, AssetNode, DefRef, DepEdge, DuplicateOwner, Location, LocationId, NodeId,
};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

#[derive(Default)]
struct Declarations {
    executable: Vec<DefRef>,
    references: Vec<DefRef>,
}

pub(super) fn merge(locations: Vec<Location>) -> AssetGraph {
    let (graph, duplicate_owners) = build(&locations);
    AssetGraph {
        graph,
        locations,
        duplicate_owners,
    }
}

type Built = (DiGraph<AssetNode, DepEdge>, Vec<DuplicateOwner>);

/// Every key any location mentions: its slot by key, and each slot's key and declarations.
struct Slots<'a> {
    slot_of: HashMap<&'a [String], usize>,
    slots: Vec<(&'a [String], Declarations)>,
}

fn build(locations: &[Location]) -> Built {
    let capacity: usize = locations.iter().map(|l| l.manifest.assets.len()).sum();
    let s = collect(locations, capacity);

    // Nodes in key order: slot → node id.
    let mut order: Vec<usize> = (0..s.slots.len()).collect();
    order.sort_unstable_by(|&a, &b| s.slots[a].0.cmp(s.slots[b].0));
    let (mut graph, node_of_slot, duplicate_owners) = add_nodes(&s, &order, capacity);
    add_edges(locations, &s, &order, &node_of_slot, &mut graph);
    (graph, duplicate_owners)
}

/// The first pass: every key, with its executable and non-executable declarations.
fn collect(locations: &[Location], capacity: usize) -> Slots<'_> {
    let mut slot_of: HashMap<&[String], usize> = HashMap::with_capacity(capacity);
    let mut slots: Vec<(&[String], Declarations)> = Vec::with_capacity(capacity);
    for (li, location) in locations.iter().enumerate() {
        for (ai, asset) in location.manifest.assets.iter().enumerate() {
            let slot = intern(&asset.key, &mut slot_of, &mut slots);
            let def = DefRef {
                location: LocationId(li as u32),
                index: ai as u32,
            };
            if asset.is_executable {
                slots[slot].1.executable.push(def);
            } else {
                slots[slot].1.references.push(def);
            }
            for dep in &asset.deps {
                intern(dep, &mut slot_of, &mut slots);
            }
        }
    }
    Slots { slot_of, slots }
}

/// One node per slot, created in `order`; returns the graph, each slot's node and the keys
/// with more than one owner.
fn add_nodes(
    s: &Slots<'_>,
    order: &[usize],
    capacity: usize,
) -> (
    DiGraph<AssetNode, DepEdge>,
    Vec<NodeIndex>,
    Vec<DuplicateOwner>,
) {
    let slots = &s.slots;
    let mut node_of_slot = vec![NodeIndex::new(0); slots.len()];
    let mut graph: DiGraph<AssetNode, DepEdge> = DiGraph::with_capacity(slots.len(), capacity * 2);
    let mut duplicate_owners = Vec::new();
    for &slot in order {
        let (key_parts, decls) = &slots[slot];
        let key = AssetKey::new(key_parts.to_vec());
        let owner_def = decls.executable.first().copied();
        let mut references: Vec<LocationId> = decls.references.iter().map(|d| d.location).collect();
        references.dedup();
        let node = AssetNode {
            key_string: key.to_string(),
            key,
            owner: owner_def.map(|d| d.location),
            definition: owner_def.or_else(|| decls.references.first().copied()),
            references,
            undeclared: decls.executable.is_empty() && decls.references.is_empty(),
        };
        let id = graph.add_node(node);
        if decls.executable.len() > 1 {
            duplicate_owners.push(DuplicateOwner {
                node: id,
                definitions: decls.executable.clone(),
            });
        }
        node_of_slot[slot] = id;
    }
    (graph, node_of_slot, duplicate_owners)
}

/// Edges from the describing definitions: the owner's, or for an external asset every
/// declaration (an external asset's own deps are part of the graph, as in Dagster).
fn add_edges(
    locations: &[Location],
    s: &Slots<'_>,
    order: &[usize],
    node_of_slot: &[NodeIndex],
    graph: &mut DiGraph<AssetNode, DepEdge>,
) {
    let mut upstream: Vec<NodeId> = Vec::new();
    for &slot in order {
        let decls = &s.slots[slot].1;
        let defs: &[DefRef] = match decls.executable.first() {
            Some(owner) => std::slice::from_ref(owner),
            None => &decls.references,
        };
        upstream.clear();
        for def in defs {
            let asset = &locations[def.location.index()].manifest.assets[def.index as usize];
            upstream.extend(
                asset
                    .deps
                    .iter()
                    .map(|d| node_of_slot[slot_of_key(&s.slot_of, d)]),
            );
        }
        upstream.sort_unstable();
        upstream.dedup();
        let down = node_of_slot[slot];
        let down_owner = graph[down].owner;
        for &up in &upstream {
            let up_owner = graph[up].owner;
            let cross_location = matches!((up_owner, down_owner), (Some(a), Some(b)) if a != b);
            graph.add_edge(up, down, DepEdge { cross_location });
        }
    }
}

fn intern<'a>(
    key: &'a [String],
    slot_of: &mut HashMap<&'a [String], usize>,
    slots: &mut Vec<(&'a [String], Declarations)>,
) -> usize {
    *slot_of.entry(key).or_insert_with(|| {
        slots.push((key, Declarations::default()));
        slots.len() - 1
    })
}

fn slot_of_key(slot_of: &HashMap<&[String], usize>, key: &[String]) -> usize {
    // Every dependency was interned in the first pass.
    slot_of[key]
}
