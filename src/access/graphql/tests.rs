use super::*;
use serde_json::json;

fn req(query: &str, variables: Value, operation_name: Option<&str>) -> GraphqlRequest {
    GraphqlRequest {
        query: query.into(),
        variables: variables.as_object().cloned().unwrap_or_default(),
        operation_name: operation_name.map(str::to_string),
    }
}

fn demands(
    query: &str,
    variables: Value,
    op: Option<&str>,
) -> Vec<(String, String, Family, Scope)> {
    let c = classify(&req(query, variables, op)).unwrap_or_else(|e| panic!("{e}"));
    c.demands
        .into_iter()
        .map(|d| (d.field, d.mutation, d.family, d.scope))
        .collect()
}

fn location(l: &str) -> Scope {
    Scope::Targets(vec![Target::Location(l.into())])
}

const LAUNCH: &str = r#"launchRun(executionParams: {selector: {repositoryLocationName: "data-engineering", repositoryName: "__repository__", jobName: "__ASSET_JOB"}}) { __typename }"#;

#[test]
fn every_mutation_of_the_real_schema_is_classified() {
    // The field list of `type Mutation` in dagster-webserver 1.13.27's SDL (the integration
    // tests regenerate it from the real webserver and compare).
    let schema: Vec<&str> = include_str!("../../../fixtures/access/mutations-1.13.27.txt")
        .lines()
        .collect();
    let mut known: Vec<&str> = known_mutations().collect();
    known.sort_unstable();
    assert_eq!(known, schema);
}

#[test]
fn queries_demand_nothing() {
    let c = classify(&req("{ version }", json!({}), None)).unwrap();
    assert_eq!((c.kind, c.demands.len()), (OperationKind::Query, 0));
    let c = classify(&req(
        "subscription S { locationStateChangeEvents { __typename } }",
        json!({}),
        None,
    ))
    .unwrap();
    assert_eq!(c.kind, OperationKind::Subscription);
}

#[test]
fn a_launch_names_its_location_directly_or_through_variables() {
    assert_eq!(
        demands(&format!("mutation {{ {LAUNCH} }}"), json!({}), None),
        vec![(
            "launchRun".into(),
            "launchRun".into(),
            Family::Runs,
            location("data-engineering")
        )]
    );
    let q =
        "mutation Launch($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename } }";
    let vars = json!({"p": {"selector": {"repositoryLocationName": "data-science", "repositoryName": "r"}}});
    assert_eq!(
        demands(q, vars, Some("Launch"))[0].3,
        location("data-science")
    );
    // A variable the request leaves out takes its default.
    let q = r#"mutation ($l: String = "data-science") { reloadRepositoryLocation(repositoryLocationName: $l) { __typename } }"#;
    assert_eq!(demands(q, json!({}), None)[0].3, location("data-science"));
}

// One real UI query (fragments, aliases, inline fragments) and what it demands, side by
// side; splitting it would separate the query from the assertions about it.
#[test]
fn aliases_fragments_and_inline_fragments_are_seen_through() {
    let q = format!(
        "mutation {{ innocent: {LAUNCH} ...More ... on Mutation {{ reloadWorkspace {{ __typename }} }} }}
         fragment More on Mutation {{ ...Deeper wipe: wipeAssets(assetPartitionRanges: {{assetKey: {{path: \"raw_orders\"}}}}) {{ __typename }} }}
         fragment Deeper on Mutation {{ __typename stopSensor(id: \"abc::def\") {{ __typename }} }}"
    );
    let got = demands(&q, json!({}), None);
    let names: Vec<(&str, &str)> = got.iter().map(|d| (d.0.as_str(), d.1.as_str())).collect();
    assert_eq!(
        names,
        vec![
            ("innocent", "launchRun"),
            ("stopSensor", "stopSensor"),
            ("wipe", "wipeAssets"),
            ("reloadWorkspace", "reloadWorkspace"),
        ]
    );
    // Single values where lists are expected are lists of one (GraphQL input coercion).
    assert_eq!(
        got[2].3,
        Scope::Targets(vec![Target::Asset(vec!["raw_orders".into()])])
    );
    assert_eq!(got[1].3, Scope::Targets(vec![Target::Sensor("abc".into())]));
    assert_eq!(got[3].3, Scope::Workspace);
}

#[test]
fn the_operation_is_chosen_by_name() {
    let q = format!("query Innocent {{ version }} mutation Evil {{ {LAUNCH} }}");
    let c = classify(&req(&q, json!({}), Some("Evil"))).unwrap();
    assert_eq!((c.kind, c.demands.len()), (OperationKind::Mutation, 1));
    let c = classify(&req(&q, json!({}), Some("Innocent"))).unwrap();
    assert_eq!((c.kind, c.demands.len()), (OperationKind::Query, 0));
    for bad in [None, Some("Other")] {
        assert!(matches!(
            classify(&req(&q, json!({}), bad)),
            Err(Refused::Operation(_))
        ));
    }
    // An anonymous operation never matches a name.
    assert!(classify(&req("mutation { setNuxSeen }", json!({}), Some("x"))).is_err());
    // One named operation runs without a name.
    let c = classify(&req("mutation M { setNuxSeen }", json!({}), None)).unwrap();
    assert_eq!(c.demands[0].family, Family::UiState);
}

#[test]
fn unknown_mutations_and_broken_documents_are_refused() {
    assert_eq!(
        classify(&req("mutation { dropEverything }", json!({}), None)),
        Err(Refused::UnknownMutation("dropEverything".into()))
    );
    assert!(matches!(
        classify(&req("mutation { launchRun(", json!({}), None)),
        Err(Refused::Syntax(_))
    ));
    assert!(matches!(
        classify(&req("mutation { ...Missing }", json!({}), None)),
        Err(Refused::UnknownFragment(_))
    ));
    assert!(matches!(
        classify(&req(
            r#"mutation { deleteRun(runId: "a", runId: "b") { __typename } }"#,
            json!({}),
            None
        )),
        Err(Refused::DuplicateArgument(_))
    ));
}

#[test]
fn locations_come_from_ids_when_arguments_do_not_name_one() {
    let q = r#"mutation {
        terminateRuns(runIds: ["r1", "r2", "r1"]) { __typename }
        launchRunReexecution(reexecutionParams: {parentRunId: "r3", strategy: ALL_STEPS}) { __typename }
        cancelPartitionBackfill(backfillId: "b1") { __typename }
        reexecutePartitionBackfill(reexecutionParams: {parentRunId: "b2", strategy: FROM_FAILURE}) { __typename }
        launchPartitionBackfill(backfillParams: {assetSelection: [{path: ["reports", "regional_report"]}], partitionNames: ["eu"]}) { __typename }
        stopRunningSchedule(scheduleOriginId: "o1", scheduleSelectorId: "s1") { __typename }
        reportRunlessAssetEvents(eventParams: {eventType: MATERIALIZATION, assetKey: {path: ["x"]}}) { __typename }
        addDynamicPartition(partitionKey: "k", partitionsDefName: "d", repositorySelector: {repositoryLocationName: "data-science", repositoryName: "r"}) { __typename }
        refreshComponentState(defsStateKey: "k", locationName: "data-engineering") { __typename }
    }"#;
    let scopes: Vec<Scope> = demands(q, json!({}), None)
        .into_iter()
        .map(|d| d.3)
        .collect();
    assert_eq!(
        scopes,
        vec![
            Scope::Targets(vec![Target::Run("r1".into()), Target::Run("r2".into())]),
            Scope::Targets(vec![Target::Run("r3".into())]),
            Scope::Targets(vec![Target::Backfill("b1".into())]),
            Scope::Targets(vec![Target::Backfill("b2".into())]),
            Scope::Targets(vec![Target::Asset(vec![
                "reports".into(),
                "regional_report".into()
            ])]),
            Scope::Targets(vec![Target::Schedule("o1".into())]),
            Scope::Targets(vec![Target::Asset(vec!["x".into()])]),
            location("data-science"),
            location("data-engineering"),
        ]
    );
}

#[test]
fn a_location_that_cannot_be_found_is_undeterminable() {
    let q = "mutation ($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename } }";
    let got = demands(q, json!({}), None);
    assert!(
        matches!(got[0].3, Scope::Undeterminable(_)),
        "{:?}",
        got[0].3
    );
    let got = demands(
        "mutation { stopSensor(id: \"not-compound\") { __typename } }",
        json!({}),
        None,
    );
    assert!(matches!(got[0].3, Scope::Undeterminable(_)));
    let got = demands(
        "mutation { launchPartitionBackfill(backfillParams: {partitionNames: [\"a\"]}) { __typename } }",
        json!({}),
        None,
    );
    assert!(matches!(got[0].3, Scope::Undeterminable(_)));
}

#[test]
fn families_need_the_roles_of_dagster_plus() {
    assert_eq!(Family::Runs.needs(), Role::Launcher);
    assert_eq!(Family::Backfills.needs(), Role::Launcher);
    for f in [
        Family::Schedules,
        Family::Sensors,
        Family::Assets,
        Family::CodeLocations,
        Family::DynamicPartitions,
        Family::Components,
    ] {
        assert_eq!(f.needs(), Role::Editor, "{f:?}");
    }
    assert_eq!(Family::Workspace.needs(), Role::Admin);
    assert_eq!(Family::UiState.needs(), Role::Viewer);
}
