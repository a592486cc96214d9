//! Exports of the workspace asset graph: Mermaid (the default), Graphviz DOT and JSON.
//!
//! Pure functions from an [`AssetGraph`] (optionally restricted to a selected set of nodes:
//! edges are kept when both ends are selected) to a `String`. Every output lists locations
//! in workspace order and nodes and edges in key order, so exports diff cleanly.

use crate::graph::{AssetGraph, NodeId};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The export formats of `dg graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphFormat {
    #[default]
    Mermaid,
    Dot,
    Json,
}

impl GraphFormat {
    /// The format a file name asks for (`.mmd`/`.mermaid`/`.md`, `.dot`/`.gv`, `.json`).
    pub(crate) fn from_extension(path: &std::path::Path) -> Option<GraphFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("mmd" | "mermaid" | "md") => Some(GraphFormat::Mermaid),
            Some("dot" | "gv") => Some(GraphFormat::Dot),
            Some("json") => Some(GraphFormat::Json),
            _ => None,
        }
    }
}

/// Writes `graph` (or only the nodes in `only`) in `format` to `out`. JSON is streamed, so a
/// 100k-asset export never holds the whole document in memory.
pub fn write_graph(
    graph: &AssetGraph,
    only: Option<&[NodeId]>,
    format: GraphFormat,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        GraphFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &json_doc(graph, only))?;
            out.write_all(b"\n")
        }
        other => out.write_all(render_graph(graph, only, other).as_bytes()),
    }
}

/// Renders `graph` (or only the nodes in `only`) in `format`.
pub fn render_graph(graph: &AssetGraph, only: Option<&[NodeId]>, format: GraphFormat) -> String {
    match format {
        GraphFormat::Mermaid => to_mermaid(graph, only),
        GraphFormat::Dot => to_dot(graph, only),
        GraphFormat::Json => to_json(graph, only),
    }
}

/// What to draw: the included nodes grouped by owning location, the externals, the edges.
struct View {
    /// Per location (workspace order): its included nodes, in key order.
    by_location: Vec<Vec<NodeId>>,
    externals: Vec<NodeId>,
    /// (upstream, downstream, cross_location), sorted by upstream then downstream key.
    edges: Vec<(NodeId, NodeId, bool)>,
}

fn view(graph: &AssetGraph, only: Option<&[NodeId]>) -> View {
    let mut included = vec![only.is_none(); graph.node_count()];
    for id in only.into_iter().flatten() {
        if let Some(slot) = included.get_mut(id.index()) {
            *slot = true;
        }
    }
    let mut by_location = vec![Vec::new(); graph.locations().len()];
    let mut externals = Vec::new();
    for id in graph.node_ids().filter(|id| included[id.index()]) {
        match graph.node(id).owner {
            Some(loc) => by_location[loc.index()].push(id),
            None => externals.push(id),
        }
    }
    let mut edges: Vec<(NodeId, NodeId, bool)> = graph
        .edges()
        .filter(|(a, b, _)| included[a.index()] && included[b.index()])
        .map(|(a, b, e)| (a, b, e.cross_location))
        .collect();
    edges.sort_unstable();
    View {
        by_location,
        externals,
        edges,
    }
}

/// Identifier-safe form of `name` (`[A-Za-z0-9_]`), made unique within `taken`.
fn unique_id(prefix: &str, name: &str, taken: &mut HashMap<String, usize>) -> String {
    let base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let base = format!("{prefix}{base}");
    let count = taken.entry(base.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        base
    } else {
        // `a_x_2` could itself be a sanitized key; keep counting until the id is free.
        let mut n = *count;
        loop {
            let candidate = format!("{base}_{n}");
            if !taken.contains_key(&candidate) {
                taken.insert(candidate.clone(), 1);
                return candidate;
            }
            n += 1;
        }
    }
}

fn mermaid_label(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// `flowchart LR`, one `subgraph` per location titled with its name, external assets outside
/// every subgraph with a dashed style, cross-location edges dotted (`-.->`).
pub fn to_mermaid(graph: &AssetGraph, only: Option<&[NodeId]>) -> String {
    let view = view(graph, only);
    let mut taken = HashMap::new();
    let mut node_ids: HashMap<NodeId, String> = HashMap::new();
    let mut out = String::from("flowchart LR\n");
    for (loc, nodes) in view.by_location.iter().enumerate() {
        if nodes.is_empty() {
            continue;
        }
        let name = &graph.locations()[loc].name;
        let sub_id = unique_id("loc_", name, &mut taken);
        let _ = writeln!(out, "    subgraph {sub_id}[\"{}\"]", mermaid_label(name));
        for &id in nodes {
            let key = &graph.node(id).key_string;
            let nid = unique_id("a_", key, &mut taken);
            let _ = writeln!(out, "        {nid}[\"{}\"]", mermaid_label(key));
            node_ids.insert(id, nid);
        }
        out.push_str("    end\n");
    }
    for &id in &view.externals {
        let key = &graph.node(id).key_string;
        let nid = unique_id("a_", key, &mut taken);
        let _ = writeln!(out, "    {nid}[\"{}\"]:::external", mermaid_label(key));
        node_ids.insert(id, nid);
    }
    for (a, b, cross) in &view.edges {
        let arrow = if *cross { "-.->" } else { "-->" };
        let _ = writeln!(out, "    {} {arrow} {}", node_ids[a], node_ids[b]);
    }
    if !view.externals.is_empty() {
        out.push_str(
            "    classDef external fill:#f4f4f4,stroke:#999,stroke-dasharray:4 3,color:#555\n",
        );
    }
    out
}

fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `digraph` with one `cluster_N` per location labelled with its name, external assets
/// outside the clusters (dashed, grey), cross-location edges dashed.
pub fn to_dot(graph: &AssetGraph, only: Option<&[NodeId]>) -> String {
    let view = view(graph, only);
    let mut out = String::from(
        "digraph assets {\n    rankdir=LR;\n    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
    );
    for (loc, nodes) in view.by_location.iter().enumerate() {
        if nodes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "    subgraph cluster_{loc} {{");
        let _ = writeln!(
            out,
            "        label={};",
            dot_quote(&graph.locations()[loc].name)
        );
        for &id in nodes {
            let _ = writeln!(out, "        {};", dot_quote(&graph.node(id).key_string));
        }
        out.push_str("    }\n");
    }
    for &id in &view.externals {
        let _ = writeln!(
            out,
            "    {} [style=\"rounded,dashed\", color=gray50, fontcolor=gray40];",
            dot_quote(&graph.node(id).key_string)
        );
    }
    for (a, b, cross) in &view.edges {
        let style = if *cross { " [style=dashed]" } else { "" };
        let _ = writeln!(
            out,
            "    {} -> {}{style};",
            dot_quote(&graph.node(*a).key_string),
            dot_quote(&graph.node(*b).key_string)
        );
    }
    out.push_str("}\n");
    out
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    locations: Vec<&'a str>,
    nodes: Vec<JsonNode<'a>>,
    edges: Vec<JsonEdge<'a>>,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    key: &'a str,
    location: Option<&'a str>,
    group: Option<&'a str>,
    kinds: &'a [String],
    is_executable: bool,
    external: bool,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    from: &'a str,
    to: &'a str,
    cross_location: bool,
}

/// `{"locations": [...], "nodes": [...], "edges": [...]}`, pretty-printed.
pub fn to_json(graph: &AssetGraph, only: Option<&[NodeId]>) -> String {
    // Serializing plain strings, bools and options cannot fail.
    let mut text = serde_json::to_string_pretty(&json_doc(graph, only)).unwrap_or_default();
    text.push('\n');
    text
}

fn json_doc<'g>(graph: &'g AssetGraph, only: Option<&[NodeId]>) -> JsonGraph<'g> {
    let view = view(graph, only);
    let mut ids: Vec<NodeId> = view.by_location.iter().flatten().copied().collect();
    ids.extend(&view.externals);
    ids.sort_unstable();
    let nodes = ids
        .iter()
        .map(|&id| {
            let node = graph.node(id);
            let def = graph.definition(id);
            JsonNode {
                key: &node.key_string,
                location: graph.owner_name(id),
                group: def.and_then(|d| d.group_name.as_deref()),
                kinds: def.map_or(&[], |d| d.kinds.as_slice()),
                is_executable: !node.is_external(),
                external: node.is_external(),
            }
        })
        .collect();
    let edges = view
        .edges
        .iter()
        .map(|&(a, b, cross_location)| JsonEdge {
            from: &graph.node(a).key_string,
            to: &graph.node(b).key_string,
            cross_location,
        })
        .collect();
    JsonGraph {
        locations: graph.locations().iter().map(|l| l.name.as_str()).collect(),
        nodes,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::selection;
    use crate::graph::test_support::{asset, manifest, two_locations};

    fn two() -> AssetGraph {
        AssetGraph::build(two_locations())
    }

    #[test]
    fn mermaid_has_a_subgraph_per_location_and_marks_externals_and_crossings() {
        insta::assert_snapshot!(to_mermaid(&two(), None), @r#"
        flowchart LR
            subgraph loc_data_engineering["data-engineering"]
                a_cleaned_orders["cleaned_orders"]
                a_data_engineering_asset["data_engineering_asset"]
                a_raw_orders["raw_orders"]
            end
            subgraph loc_data_science["data-science"]
                a_data_science_asset["data_science_asset"]
            end
            a_crm_customers["crm/customers"]:::external
            a_cleaned_orders --> a_data_engineering_asset
            a_crm_customers --> a_data_science_asset
            a_data_engineering_asset -.-> a_data_science_asset
            a_raw_orders --> a_cleaned_orders
            classDef external fill:#f4f4f4,stroke:#999,stroke-dasharray:4 3,color:#555
        "#);
    }

    #[test]
    fn dot_has_clusters_and_dashed_cross_location_edges() {
        insta::assert_snapshot!(to_dot(&two(), None), @r#"
        digraph assets {
            rankdir=LR;
            node [shape=box, style=rounded, fontname="Helvetica"];
            subgraph cluster_0 {
                label="data-engineering";
                "cleaned_orders";
                "data_engineering_asset";
                "raw_orders";
            }
            subgraph cluster_1 {
                label="data-science";
                "data_science_asset";
            }
            "crm/customers" [style="rounded,dashed", color=gray50, fontcolor=gray40];
            "cleaned_orders" -> "data_engineering_asset";
            "crm/customers" -> "data_science_asset";
            "data_engineering_asset" -> "data_science_asset" [style=dashed];
            "raw_orders" -> "cleaned_orders";
        }
        "#);
    }

    #[test]
    fn json_of_a_selection_keeps_edges_between_selected_nodes_only() {
        let graph = two();
        let selected = selection::parse("+key:data_science_asset and not key:raw_orders")
            .unwrap()
            .evaluate(&graph)
            .unwrap();
        insta::assert_snapshot!(to_json(&graph, Some(&selected)), @r#"
        {
          "locations": [
            "data-engineering",
            "data-science"
          ],
          "nodes": [
            {
              "key": "cleaned_orders",
              "location": "data-engineering",
              "group": "ingestion",
              "kinds": [],
              "is_executable": true,
              "external": false
            },
            {
              "key": "data_engineering_asset",
              "location": "data-engineering",
              "group": "warehouse",
              "kinds": [
                "duckdb",
                "python"
              ],
              "is_executable": true,
              "external": false
            },
            {
              "key": "data_science_asset",
              "location": "data-science",
              "group": "analytics",
              "kinds": [],
              "is_executable": true,
              "external": false
            }
          ],
          "edges": [
            {
              "from": "cleaned_orders",
              "to": "data_engineering_asset",
              "cross_location": false
            },
            {
              "from": "data_engineering_asset",
              "to": "data_science_asset",
              "cross_location": true
            }
          ]
        }
        "#);
    }

    #[test]
    fn json_marks_external_nodes() {
        let graph = two();
        let ext = [graph.find(&"crm/customers".into()).unwrap()];
        let json: serde_json::Value = serde_json::from_str(&to_json(&graph, Some(&ext))).unwrap();
        assert_eq!(
            json["nodes"],
            serde_json::json!([{
                "key": "crm/customers", "location": null, "group": "default",
                "kinds": ["postgres"], "is_executable": false, "external": true
            }])
        );
        assert_eq!(json["edges"], serde_json::json!([]));
    }

    #[test]
    fn mermaid_ids_are_sanitized_and_unique() {
        let graph = AssetGraph::build(vec![(
            "my loc".into(),
            manifest(
                "my loc",
                vec![
                    asset("pre/c", &[]),
                    asset("pre_c", &["pre/c"]),
                    asset("end", &[]),
                ],
            ),
        )]);
        insta::assert_snapshot!(to_mermaid(&graph, None), @r#"
        flowchart LR
            subgraph loc_my_loc["my loc"]
                a_end["end"]
                a_pre_c["pre/c"]
                a_pre_c_2["pre_c"]
            end
            a_pre_c --> a_pre_c_2
        "#);
    }
}
