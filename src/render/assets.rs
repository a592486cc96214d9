//! `dg list assets`: one row per asset of the whole workspace (key, location, group, kinds,
//! upstream keys with the other locations they come from), as JSON or a table.

use crate::graph::{AssetGraph, NodeId};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Serialize)]
pub(crate) struct AssetRow<'a> {
    key: String,
    key_parts: &'a [String],
    location: Option<&'a str>,
    group: Option<&'a str>,
    kinds: &'a [String],
    is_executable: bool,
    external: bool,
    /// `public`, `private` or `visible to LOCATIONS` (`[tool.dg-rs.access]`); null when external.
    visibility: Option<String>,
    upstream: Vec<Upstream<'a>>,
}

#[derive(Serialize)]
struct Upstream<'a> {
    key: String,
    location: Option<&'a str>,
    cross_location: bool,
}

/// Every declared asset (or those in `selected`), in key order; `visibility` by node index.
pub(crate) fn rows<'a>(
    graph: &'a AssetGraph,
    selected: Option<&BTreeSet<NodeId>>,
    visibility: &[Option<String>],
) -> Vec<AssetRow<'a>> {
    let mut rows = Vec::new();
    for id in graph.node_ids() {
        let node = graph.node(id);
        if node.undeclared || selected.is_some_and(|s| !s.contains(&id)) {
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
            visibility: visibility.get(id.index()).cloned().flatten(),
            upstream,
        });
    }
    // By the key as shown (node ids follow the parts, which sort differently around `/`).
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

/// The human table, written to `w`. The VISIBILITY column is there when `with_visibility`
/// (some location publishes selectively); otherwise every asset is public and the column
/// says nothing.
pub(crate) fn write_table(
    w: &mut dyn std::io::Write,
    rows: &[AssetRow],
    with_visibility: bool,
) -> std::io::Result<()> {
    let fill = |i: usize, cells: &mut Vec<String>| {
        let row = &rows[i];
        cells.push(row.key.clone());
        cells.push(
            row.location
                .map(str::to_string)
                .unwrap_or_else(|| "(external)".into()),
        );
        cells.push(row.group.unwrap_or("").to_string());
        cells.push(row.kinds.join(", "));
        let mut upstream = String::new();
        for (j, u) in row.upstream.iter().enumerate() {
            if j > 0 {
                upstream.push('\n');
            }
            upstream.push_str(&u.key);
            if u.cross_location {
                upstream.push_str(" ⇠ ");
                upstream.push_str(u.location.unwrap_or(""));
            } else if u.location.is_none() {
                upstream.push_str(" (external)");
            }
        }
        cells.push(upstream);
        if with_visibility {
            cells.push(row.visibility.clone().unwrap_or_else(|| "-".into()));
        }
    };
    let mut header = vec![
        "KEY",
        "LOCATION",
        "GROUP",
        "KINDS",
        "UPSTREAM (⇠ other location)",
    ];
    if with_visibility {
        header.push("VISIBILITY");
    }
    super::table::write_each(w, &header, rows.len(), &fill)
}
