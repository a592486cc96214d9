use super::*;
use crate::graph::test_support::{asset, manifest, stub, two_locations};
use crate::manifest::schema::{AssetDef, PartitionsInfo};

fn ids(graph: &AssetGraph, keys: &[&str]) -> BTreeSet<NodeId> {
    keys.iter()
        .map(|k| graph.find(&(*k).into()).unwrap_or_else(|| panic!("no {k}")))
        .collect()
}

/// Each step as `location: a, b` in plan order, plus its dependencies and wave.
fn shape(graph: &AssetGraph, plan: &LaunchPlan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            let keys: Vec<String> = s.assets.iter().map(|a| graph.key(*a).to_string()).collect();
            format!(
                "{}: {} after {:?} wave {}",
                graph.location_name(s.location),
                keys.join(", "),
                s.depends_on,
                s.wave
            )
        })
        .collect()
}

/// Every dependency between selected assets is honoured: same step, or an earlier step the
/// later one (transitively) depends on.
fn assert_valid(graph: &AssetGraph, plan: &LaunchPlan) {
    let step_of: BTreeMap<NodeId, usize> = plan
        .steps
        .iter()
        .flat_map(|s| s.assets.iter().map(move |a| (*a, s.index)))
        .collect();
    for (u, d, _) in graph.edges() {
        if let (Some(&su), Some(&sd)) = (step_of.get(&u), step_of.get(&d))
            && su != sd
        {
            assert!(
                plan.dependents_of(su).contains(&sd),
                "{} must run after {}",
                graph.key(d),
                graph.key(u)
            );
        }
    }
    for s in &plan.steps {
        let locs: BTreeSet<_> = s.assets.iter().map(|a| graph.node(*a).owner).collect();
        assert_eq!(locs.len(), 1, "one location per step");
        assert!(s.depends_on.iter().all(|d| *d < s.index));
    }
}

fn plan(graph: &AssetGraph, keys: &[&str]) -> LaunchPlan {
    let p = plan_assets(graph, &ids(graph, keys)).unwrap();
    assert_valid(graph, &p);
    p
}

#[test]
fn the_fixture_chain_is_two_steps_in_order() {
    let graph = AssetGraph::build(two_locations());
    let p = plan(
        &graph,
        &[
            "raw_orders",
            "cleaned_orders",
            "data_engineering_asset",
            "data_science_asset",
        ],
    );
    assert_eq!(
        shape(&graph, &p),
        [
            "data-engineering: cleaned_orders, data_engineering_asset, raw_orders after [] wave 1",
            "data-science: data_science_asset after [0] wave 2",
        ]
    );
    assert!(p.dropped_external.is_empty());
}

#[test]
fn a_chain_a_b_a_gives_three_steps() {
    let graph = AssetGraph::build(vec![
        (
            "A".into(),
            manifest("A", vec![asset("a1", &[]), asset("a2", &["b"]), stub("b")]),
        ),
        (
            "B".into(),
            manifest("B", vec![asset("b", &["a1"]), stub("a1")]),
        ),
    ]);
    let p = plan(&graph, &["a1", "b", "a2"]);
    assert_eq!(
        shape(&graph, &p),
        [
            "A: a1 after [] wave 1",
            "B: b after [0] wave 2",
            "A: a2 after [1] wave 3",
        ]
    );
}

#[test]
fn a_diamond_runs_its_two_sides_in_one_wave() {
    // a (A) → b (B), a → c (C), b + c → d (A)
    let graph = AssetGraph::build(vec![
        (
            "A".into(),
            manifest("A", vec![asset("a", &[]), asset("d", &["b", "c"])]),
        ),
        ("B".into(), manifest("B", vec![asset("b", &["a"])])),
        ("C".into(), manifest("C", vec![asset("c", &["a"])])),
    ]);
    let p = plan(&graph, &["a", "b", "c", "d"]);
    assert_eq!(
        shape(&graph, &p),
        [
            "A: a after [] wave 1",
            "B: b after [0] wave 2",
            "C: c after [0] wave 2",
            "A: d after [1, 2] wave 3",
        ]
    );
    assert_eq!(p.dependents_of(1), BTreeSet::from([3]));
    assert_eq!(p.dependents_of(0), BTreeSet::from([1, 2, 3]));
}

#[test]
fn a_diamond_inside_one_location_is_one_step() {
    let graph = AssetGraph::build(vec![(
        "A".into(),
        manifest(
            "A",
            vec![
                asset("a", &[]),
                asset("b", &["a"]),
                asset("c", &["a"]),
                asset("d", &["b", "c"]),
            ],
        ),
    )]);
    let p = plan(&graph, &["a", "b", "c", "d"]);
    assert_eq!(shape(&graph, &p), ["A: a, b, c, d after [] wave 1"]);
}

#[test]
fn an_independent_asset_joins_an_existing_step_of_its_location() {
    // x (B) is independent; b (B) must wait for a (A). x runs with b, not in a run of its own.
    let graph = AssetGraph::build(vec![
        ("A".into(), manifest("A", vec![asset("a", &[])])),
        (
            "B".into(),
            manifest("B", vec![asset("b", &["a"]), asset("x", &[])]),
        ),
    ]);
    let p = plan(&graph, &["a", "b", "x"]);
    assert_eq!(
        shape(&graph, &p),
        ["A: a after [] wave 1", "B: b, x after [0] wave 2"]
    );
    // ...and an independent upstream-side asset joins the early step.
    let graph = AssetGraph::build(vec![
        (
            "A".into(),
            manifest("A", vec![asset("a", &[]), asset("y", &[])]),
        ),
        ("B".into(), manifest("B", vec![asset("b", &["a"])])),
    ]);
    let p = plan(&graph, &["a", "b", "y"]);
    assert_eq!(
        shape(&graph, &p),
        ["A: a, y after [] wave 1", "B: b after [0] wave 2"]
    );
}

#[test]
fn unrelated_locations_run_in_parallel() {
    let graph = AssetGraph::build(vec![
        ("A".into(), manifest("A", vec![asset("a", &[])])),
        ("B".into(), manifest("B", vec![asset("b", &[])])),
    ]);
    let p = plan(&graph, &["a", "b"]);
    assert_eq!(
        shape(&graph, &p),
        ["A: a after [] wave 1", "B: b after [] wave 1"]
    );
    assert_eq!(p.waves(), 1);
}

#[test]
fn dependencies_through_unselected_assets_still_order_steps() {
    // a (A) → m (B, not selected) → c (A): c must still run after a, so one A step is fine
    // (Dagster orders them inside the run) but a and c in other locations would be ordered.
    let graph = AssetGraph::build(vec![
        ("A".into(), manifest("A", vec![asset("a", &[])])),
        ("B".into(), manifest("B", vec![asset("m", &["a"])])),
        ("C".into(), manifest("C", vec![asset("c", &["m"])])),
    ]);
    let p = plan(&graph, &["a", "c"]);
    assert_eq!(
        shape(&graph, &p),
        ["A: a after [] wave 1", "C: c after [0] wave 2"]
    );
}

#[test]
fn externals_are_dropped_and_only_externals_is_an_error() {
    let graph = AssetGraph::build(two_locations());
    let p = plan_assets(
        &graph,
        &ids(&graph, &["crm/customers", "data_science_asset"]),
    )
    .unwrap();
    assert_eq!(
        p.dropped_external,
        Vec::from_iter(ids(&graph, &["crm/customers"]))
    );
    assert_eq!(p.steps.len(), 1);
    assert_eq!(
        plan_assets(&graph, &ids(&graph, &["crm/customers"])),
        Err(PlanError::OnlyExternal(Vec::from_iter(ids(
            &graph,
            &["crm/customers"]
        ))))
    );
    assert_eq!(
        plan_assets(&graph, &BTreeSet::new()),
        Err(PlanError::NothingSelected)
    );
}

fn partitioned(mut a: AssetDef) -> AssetDef {
    a.partitions = Some(PartitionsInfo {
        kind: "static".into(),
        num_keys: Some(3),
        sample_keys: vec!["eu".into(), "us".into(), "apac".into()],
        identity: None,
    });
    a
}

#[test]
fn partitioned_and_unpartitioned_assets_of_one_location_are_separate_runs() {
    let graph = AssetGraph::build(vec![(
        "S".into(),
        manifest(
            "S",
            vec![
                asset("ds", &[]),
                partitioned(asset("reports/r", &["ds"])),
                asset("other", &[]),
            ],
        ),
    )]);
    let p = plan(&graph, &["ds", "reports/r", "other"]);
    assert_eq!(
        shape(&graph, &p),
        [
            "S: ds, other after [] wave 1",
            "S: reports/r after [0] wave 2"
        ]
    );
    assert!(!p.steps[0].partitioned);
    assert!(p.steps[1].partitioned);
}

#[test]
fn a_cycle_is_an_error_not_a_hang() {
    let graph = AssetGraph::build(vec![(
        "A".into(),
        manifest("A", vec![asset("a", &["b"]), asset("b", &["a"])]),
    )]);
    assert!(matches!(
        plan_assets(&graph, &ids(&graph, &["a"])),
        Err(PlanError::Cycle(_))
    ));
}

#[test]
fn large_synthetic_workspaces_plan_validly() {
    let graph = AssetGraph::build(crate::bench_support::synthetic_workspace(20, 50, 3, 7));
    let all: BTreeSet<NodeId> = graph
        .node_ids()
        .filter(|id| graph.node(*id).owner.is_some())
        .collect();
    let p = plan_assets(&graph, &all).unwrap();
    assert_valid(&graph, &p);
    let every: usize = p.steps.iter().map(|s| s.assets.len()).sum();
    assert_eq!(every, all.len());
}

#[test]
fn a_job_is_one_step_of_its_location() {
    use crate::manifest::schema::JobDef;
    let mut manifests = two_locations();
    manifests[0].1.jobs.push(JobDef {
        name: "ingestion_job".into(),
        description: None,
        asset_keys: vec![vec!["raw_orders".into()], vec!["cleaned_orders".into()]],
        dg_source: None,
    });
    let graph = AssetGraph::build(manifests);
    let p = plan_job(&graph, LocationId(0), "ingestion_job");
    assert_eq!(p.steps.len(), 1);
    assert_eq!(p.steps[0].job.as_deref(), Some("ingestion_job"));
    assert_eq!(
        shape(&graph, &p),
        ["data-engineering: cleaned_orders, raw_orders after [] wave 1"]
    );
}
