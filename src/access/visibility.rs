//! Asset visibility, the dbt Mesh rule across code locations: a location that declares
//! `public` keeps every other asset to itself, and `visible_to` narrows who may depend on the
//! published ones. A dependency of location B on an asset of location A that A does not make
//! visible to B is an `access-violation` in `dg check`.

use super::error::AccessError;
use super::policy::{AccessPolicy, Publication};
use crate::error::Problem;
use crate::graph::validate::Code;
use crate::graph::{AssetGraph, Diagnostic, NodeId, Severity};
use serde::Serialize;

/// Who may depend on an owned asset from another location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "locations")]
pub(crate) enum Visibility {
    /// Every location (the default).
    Public,
    /// Published, but only to these locations.
    VisibleTo(Vec<String>),
    /// Not published: only its own location may depend on it.
    Private,
}

impl Visibility {
    pub(crate) fn allows(&self, location: &str) -> bool {
        match self {
            Visibility::Public => true,
            Visibility::VisibleTo(list) => list.iter().any(|l| l == location),
            Visibility::Private => false,
        }
    }

    /// `public`, `private`, or `visible to a, b`.
    pub(crate) fn label(&self) -> String {
        match self {
            Visibility::Public => "public".into(),
            Visibility::Private => "private".into(),
            Visibility::VisibleTo(list) if list.is_empty() => "private".into(),
            Visibility::VisibleTo(list) => format!("visible to {}", list.join(", ")),
        }
    }
}

/// The visibility of every node of a graph (`None` for external assets: no location owns
/// them, so none restricts them).
#[derive(Debug, Clone)]
pub(crate) struct VisibilityMap {
    by_node: Vec<Option<Visibility>>,
    /// Per node: the index of the `public` rule that selected it, when one did.
    selected_by: Vec<Option<usize>>,
}

impl VisibilityMap {
    pub(crate) fn of(&self, id: NodeId) -> Option<&Visibility> {
        self.by_node[id.index()].as_ref()
    }
}

/// Evaluates every location's `public` selections on `graph`. A selection that does not
/// evaluate (say `code_location:` naming no location) is a configuration error at its rule.
pub(crate) fn evaluate(
    policy: &AccessPolicy,
    graph: &AssetGraph,
) -> Result<VisibilityMap, AccessError> {
    let n = graph.node_count();
    let mut by_node = vec![None; n];
    let mut selected_by = vec![None; n];
    let mut problems = Vec::new();
    // Per location: which nodes its rules select.
    let mut published: Vec<(&Publication, Option<Vec<Option<usize>>>)> = Vec::new();
    for p in &policy.publications {
        let Some(rules) = &p.public else {
            published.push((p, None));
            continue;
        };
        let mut hit = vec![None; n];
        for (i, rule) in rules.iter().enumerate() {
            match rule.selection.evaluate(graph) {
                Ok(ids) => {
                    for id in ids {
                        hit[id.index()].get_or_insert(i);
                    }
                }
                Err(e) => problems.push(
                    Problem::new(format!(
                        "`{}` in `tool.dg-rs.access.public` cannot be evaluated: {}",
                        rule.text, e.message
                    ))
                    .at(rule.at.clone())
                    .hint("fix the selection; `dg list assets -s SELECTION` shows what it selects"),
                ),
            }
        }
        published.push((p, Some(hit)));
    }
    if !problems.is_empty() {
        return Err(AccessError::Config(problems));
    }
    for id in graph.node_ids() {
        let Some(owner) = graph.node(id).owner else {
            continue;
        };
        let location = graph.location_name(owner);
        let vis = match published.iter().find(|(p, _)| p.location == location) {
            None => Visibility::Public,
            Some((p, hit)) => {
                let rule = hit.as_ref().map(|h| h[id.index()]);
                selected_by[id.index()] = rule.flatten();
                match (rule, &p.visible_to) {
                    // Selected (or no `public`, so everything is published).
                    (None | Some(Some(_)), None) => Visibility::Public,
                    (None | Some(Some(_)), Some(list)) => Visibility::VisibleTo(list.clone()),
                    (Some(None), _) => Visibility::Private,
                }
            }
        };
        by_node[id.index()] = Some(vis);
    }
    Ok(VisibilityMap {
        by_node,
        selected_by,
    })
}

/// Every dependency across locations that the upstream location does not allow, as
/// `access-violation` errors, in key order of the dependent asset.
pub(crate) fn violations(
    policy: &AccessPolicy,
    graph: &AssetGraph,
    map: &VisibilityMap,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for dependent in graph.node_ids() {
        let Some(b) = graph.node(dependent).owner else {
            continue;
        };
        let b_name = graph.location_name(b);
        let mut upstream: Vec<NodeId> = graph.upstream(dependent).collect();
        upstream.sort_unstable();
        upstream.dedup();
        for dep in upstream {
            let Some(a) = graph.node(dep).owner else {
                continue;
            };
            if a == b {
                continue;
            }
            let Some(vis) = map.of(dep) else { continue };
            if vis.allows(b_name) {
                continue;
            }
            let a_name = graph.location_name(a);
            let Some(publication) = policy.publication(a_name) else {
                continue;
            };
            out.push(diagnostic(graph, map, publication, dependent, dep, vis));
        }
    }
    out
}

fn diagnostic(
    graph: &AssetGraph,
    map: &VisibilityMap,
    publication: &Publication,
    dependent: NodeId,
    dep: NodeId,
    vis: &Visibility,
) -> Diagnostic {
    let a = publication.location.as_str();
    let b = graph.owner_name(dependent).unwrap_or_default();
    let dep_key = &graph.node(dep).key_string;
    let dependent_key = &graph.node(dependent).key_string;
    let file = &publication.file_display;
    let rule = match vis {
        Visibility::Private => {
            let at = publication.public_at.as_ref();
            format!(
                "{a} publishes only what `public` selects ({file}{}), and `{dep_key}` is not selected",
                at.map(|p| format!(":{}:{}", p.line, p.column))
                    .unwrap_or_default()
            )
        }
        Visibility::VisibleTo(list) => {
            let at = publication.visible_to_at.as_ref();
            let rule = map.selected_by[dep.index()]
                .and_then(|i| publication.public.as_ref().map(|r| &r[i]))
                .map(|r| format!("published by `{}`, ", r.text))
                .unwrap_or_default();
            format!(
                "`{dep_key}` is {rule}visible only to {} (`visible_to` at {file}{})",
                if list.is_empty() {
                    "no other location".to_string()
                } else {
                    list.join(", ")
                },
                at.map(|p| format!(":{}:{}", p.line, p.column))
                    .unwrap_or_default()
            )
        }
        Visibility::Public => String::new(),
    };
    let published: Vec<String> = graph
        .node_ids()
        .filter(|&id| {
            graph.node(id).owner.map(|o| graph.location_name(o)) == Some(a)
                && map.of(id).is_some_and(|v| v.allows(b))
        })
        .map(|id| format!("`{}`", graph.node(id).key_string))
        .collect();
    let fix_publish = match vis {
        Visibility::Private => {
            format!("publish it in {a}: add \"key:{dep_key}\" to `public` in {file}")
        }
        _ => format!("let {b} see it: add \"{b}\" to `visible_to` in {file}"),
    };
    let alternative = if published.is_empty() {
        format!("or remove the dependency ({a} publishes nothing to {b})")
    } else {
        format!(
            "or depend on what {a} publishes to {b}: {}",
            published.join(", ")
        )
    };
    let mut locations = vec![a.to_string(), b.to_string()];
    locations.sort_by_key(|l| graph.location_id(l));
    Diagnostic {
        severity: Severity::Error,
        code: Code::AccessViolation,
        message: format!(
            "`{dependent_key}` ({b}) depends on `{dep_key}` ({a}), which {a} does not make \
             visible to {b}: {rule}"
        ),
        locations,
        keys: vec![graph.key(dependent).clone(), graph.key(dep).clone()],
        hint: Some(format!("{fix_publish}, {alternative}")),
    }
}

#[cfg(test)]
mod tests;
