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
    upstream: Vec<Upstream<'a>>,
}

#[derive(Serialize)]
struct Upstream<'a> {
    key: String,
    location: Option<&'a str>,
    cross_location: bool,
}

/// Every declared asset (or those in `selected`), in key order.
pub(crate) fn rows<'a>(
    graph: &'a AssetGraph,
    selected: Option<&BTreeSet<NodeId>>,
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
            upstream,
        });
    }
    // By the key as shown (node ids follow the parts, which sort differently around `/`).
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

/// The human table, written to `w`.
pub(crate) fn write_table(w: &mut dyn std::io::Write, rows: &[AssetRow]) -> std::io::Result<()> {
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
    super::table::write(
        w,
        &[
            "KEY",
            "LOCATION",
            "GROUP",
            "KINDS",
            "UPSTREAM (⇠ other location)",
        ],
        &table,
    )
}
