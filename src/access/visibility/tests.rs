use super::*;
use crate::access::parse::parse_publication;
use crate::graph::test_support::two_locations;
use std::path::Path;
use toml_edit::Document;

fn policy(de_access: &str) -> AccessPolicy {
    let locations = vec!["data-engineering".to_string(), "data-science".to_string()];
    let text = format!("[tool.dg-rs.access]\n{de_access}");
    let doc = Document::parse(text.clone()).unwrap();
    let (p, problems) = parse_publication(
        Path::new("projects/data-engineering/pyproject.toml"),
        &text,
        &doc,
        "data-engineering",
        &locations,
    );
    assert!(problems.is_empty(), "{problems:?}");
    AccessPolicy {
        roles: None,
        publications: p.into_iter().collect(),
        locations,
    }
}

fn labels(p: &AccessPolicy, graph: &AssetGraph) -> Vec<(String, String)> {
    let map = evaluate(p, graph).unwrap();
    graph
        .node_ids()
        .map(|id| {
            (
                graph.node(id).key_string.clone(),
                map.of(id).map_or("-".to_string(), Visibility::label),
            )
        })
        .collect()
}

#[test]
fn publishing_one_asset_keeps_the_others_private() {
    let graph = AssetGraph::build(two_locations());
    let p = policy("public = [\"key:data_engineering_asset\"]\n");
    assert_eq!(
        labels(&p, &graph),
        vec![
            ("cleaned_orders".into(), "private".into()),
            ("crm/customers".into(), "-".into()),
            ("data_engineering_asset".into(), "public".into()),
            ("data_science_asset".into(), "public".into()),
            ("raw_orders".into(), "private".into()),
        ]
    );
    let map = evaluate(&p, &graph).unwrap();
    // data_science_asset depends on the published asset only: no violation.
    assert!(violations(&p, &graph, &map).is_empty());
}

#[test]
fn a_dependency_on_an_unpublished_asset_is_an_access_violation() {
    let graph = AssetGraph::build(two_locations());
    let p = policy("public = [\"group:ingestion\"]\n");
    let map = evaluate(&p, &graph).unwrap();
    let found = violations(&p, &graph, &map);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(d.code.as_str(), "access-violation");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.locations, vec!["data-engineering", "data-science"]);
    assert_eq!(
        d.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        vec!["data_science_asset", "data_engineering_asset"]
    );
    assert!(d.message.starts_with(
        "`data_science_asset` (data-science) depends on `data_engineering_asset` \
         (data-engineering), which data-engineering does not make visible to data-science"
    ));
    assert!(
        d.message
            .contains("only what `public` selects (projects/data-engineering/pyproject.toml:2:1)"),
        "{}",
        d.message
    );
    let hint = d.hint.as_deref().unwrap();
    assert!(
        hint.contains("add \"key:data_engineering_asset\" to `public`"),
        "{hint}"
    );
    assert!(hint.contains("`cleaned_orders`, `raw_orders`"), "{hint}");
}

#[test]
fn visible_to_names_who_may_depend() {
    let graph = AssetGraph::build(two_locations());
    let allowed =
        policy("public = [\"key:data_engineering_asset\"]\nvisible_to = [\"data-science\"]\n");
    let map = evaluate(&allowed, &graph).unwrap();
    assert_eq!(
        map.of(graph
            .find(&"data_engineering_asset".parse().unwrap())
            .unwrap())
            .map(Visibility::label),
        Some("visible to data-science".into())
    );
    assert!(violations(&allowed, &graph, &map).is_empty());

    let nobody = policy("visible_to = []\n");
    let map = evaluate(&nobody, &graph).unwrap();
    let found = violations(&nobody, &graph, &map);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("visible only to no other location (`visible_to` at projects/data-engineering/pyproject.toml:2:1)"), "{}", found[0].message);
    assert!(
        found[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("add \"data-science\" to `visible_to`")
    );
}

#[test]
fn a_selection_that_cannot_be_evaluated_is_a_config_error_at_its_rule() {
    let graph = AssetGraph::build(two_locations());
    let p = policy("public = [\"nowhere\"]\n");
    match evaluate(&p, &graph) {
        Err(AccessError::Config(problems)) => {
            assert_eq!(
                problems[0].at.as_ref().map(|a| (a.line, a.column)),
                Some((2, 11))
            );
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}
