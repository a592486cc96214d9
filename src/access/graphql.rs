//! The GraphQL request classifier of the authorizing proxy.
//!
//! The document is parsed (async-graphql-parser), the operation chosen exactly as
//! graphql-core does it (by `operationName`; the only one when it is absent), and every
//! top-level field of a mutation is found through aliases, fragment spreads and inline
//! fragments. Each mutation maps to a permission family (the role it needs) and to where its
//! code location comes from: a direct argument, or a run id, backfill id, asset key or
//! schedule/sensor origin id the proxy resolves against the webserver. Arguments are read
//! after variables are substituted and with GraphQL's input coercion (a single value where a
//! list is expected is a list of one). A mutation the table does not know, or one whose
//! location cannot be found in its arguments, is refused: deny by default.
//!
//! The table covers every field of `type Mutation` of dagster-webserver 1.13.27 (a test
//! compares it with the SDL of the real webserver).

use super::policy::Role;
use async_graphql_parser::Positioned;
use async_graphql_parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql_value::{ConstValue, Name};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

/// What the webserver receives: the document, the variables and the operation name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GraphqlRequest {
    pub(crate) query: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub(crate) variables: serde_json::Map<String, Value>,
    #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
    pub(crate) operation_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

/// What a mutation does, which decides the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Family {
    /// Launch, re-execute, terminate and delete runs.
    Runs,
    /// Launch, resume, re-execute and cancel backfills.
    Backfills,
    /// Start, stop, reset and dry-run schedules.
    Schedules,
    /// Start, stop, reset, dry-run sensors and set their cursors.
    Sensors,
    /// Wipe assets, report asset events and check evaluations.
    Assets,
    /// Reload or shut down a code location.
    CodeLocations,
    /// Add and delete dynamic partitions.
    DynamicPartitions,
    /// Edit app-managed components and refresh component state.
    Components,
    /// Workspace-wide: reload the workspace, pause auto-materialize, concurrency limits.
    Workspace,
    /// The UI's own bookkeeping (telemetry, "seen the intro"); changes nothing of anyone's.
    UiState,
}

impl Family {
    /// The role a person needs (in every location the mutation touches; for `Workspace`,
    /// in every location there is).
    pub(crate) fn needs(self) -> Role {
        match self {
            Family::Runs | Family::Backfills => Role::Launcher,
            Family::Schedules
            | Family::Sensors
            | Family::Assets
            | Family::CodeLocations
            | Family::DynamicPartitions
            | Family::Components => Role::Editor,
            Family::Workspace => Role::Admin,
            Family::UiState => Role::Viewer,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Family::Runs => "runs",
            Family::Backfills => "backfills",
            Family::Schedules => "schedules",
            Family::Sensors => "sensors",
            Family::Assets => "asset wipes and reported events",
            Family::CodeLocations => "code location reloads",
            Family::DynamicPartitions => "dynamic partitions",
            Family::Components => "app-managed components",
            Family::Workspace => "workspace-wide settings",
            Family::UiState => "UI state",
        }
    }
}

/// Something a code location is found from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Target {
    Location(String),
    Run(String),
    Backfill(String),
    Asset(Vec<String>),
    /// A schedule's remote origin id.
    Schedule(String),
    /// A sensor's remote origin id.
    Sensor(String),
}

/// Where a mutation acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scope {
    /// No location: the family's role anywhere is enough (UI state).
    Anywhere,
    /// Every location at once.
    Workspace,
    /// These (all of them must allow it).
    Targets(Vec<Target>),
    /// The arguments do not say where; refused unless the person holds the role everywhere.
    Undeterminable(String),
}

/// One top-level mutation field of the chosen operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Demand {
    /// The response key (the alias when there is one).
    pub(crate) field: String,
    pub(crate) mutation: String,
    pub(crate) family: Family,
    pub(crate) scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Classified {
    pub(crate) kind: OperationKind,
    pub(crate) operation_name: Option<String>,
    /// Empty for queries and subscriptions.
    pub(crate) demands: Vec<Demand>,
}

/// Why a request is refused before any location is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    #[error("the GraphQL document does not parse: {0}")]
    Syntax(String),
    #[error("{0}")]
    Operation(String),
    #[error("the document spreads fragment `{0}`, which it does not define")]
    UnknownFragment(String),
    #[error("`{0}` is not a mutation the access proxy knows; refused (deny by default)")]
    UnknownMutation(String),
    #[error("`{0}` is given twice")]
    DuplicateArgument(String),
}

/// How a mutation's location is found in its arguments.
#[derive(Debug, Clone, Copy)]
enum Locator {
    /// `ExecutionParams.selector.repositoryLocationName` of one argument.
    ExecutionParams(&'static str),
    /// The same for every item of a list argument.
    ExecutionParamsList(&'static str),
    /// `executionParams` and/or `reexecutionParams.parentRunId` (a run).
    RunReexecution,
    RunId(&'static str),
    RunIds(&'static str),
    /// `backfillParams`: a partition set's repository selector and/or asset keys.
    BackfillParams,
    BackfillId(&'static str),
    /// `reexecutionParams.parentRunId`, which is a backfill id here.
    BackfillReexecution,
    /// `{repositoryLocationName}` of a selector argument.
    Selector(&'static str),
    StopSchedule,
    StopSensor,
    /// A location name argument.
    LocationName(&'static str),
    /// `assetPartitionRanges[].assetKey`.
    AssetRanges,
    /// `eventParams.assetKey`.
    EventParamsAsset,
    Workspace,
    Anywhere,
}

/// Every mutation of dagster-webserver 1.13.27's schema, its family and locator.
const MUTATIONS: &[(&str, Family, Locator)] = &[
    (
        "launchPipelineExecution",
        Family::Runs,
        Locator::ExecutionParams("executionParams"),
    ),
    (
        "launchRun",
        Family::Runs,
        Locator::ExecutionParams("executionParams"),
    ),
    (
        "launchMultipleRuns",
        Family::Runs,
        Locator::ExecutionParamsList("executionParamsList"),
    ),
    (
        "launchPipelineReexecution",
        Family::Runs,
        Locator::RunReexecution,
    ),
    (
        "launchRunReexecution",
        Family::Runs,
        Locator::RunReexecution,
    ),
    (
        "terminatePipelineExecution",
        Family::Runs,
        Locator::RunId("runId"),
    ),
    ("terminateRun", Family::Runs, Locator::RunId("runId")),
    ("terminateRuns", Family::Runs, Locator::RunIds("runIds")),
    ("deletePipelineRun", Family::Runs, Locator::RunId("runId")),
    ("deleteRun", Family::Runs, Locator::RunId("runId")),
    (
        "launchPartitionBackfill",
        Family::Backfills,
        Locator::BackfillParams,
    ),
    (
        "resumePartitionBackfill",
        Family::Backfills,
        Locator::BackfillId("backfillId"),
    ),
    (
        "reexecutePartitionBackfill",
        Family::Backfills,
        Locator::BackfillReexecution,
    ),
    (
        "cancelPartitionBackfill",
        Family::Backfills,
        Locator::BackfillId("backfillId"),
    ),
    (
        "startSchedule",
        Family::Schedules,
        Locator::Selector("scheduleSelector"),
    ),
    (
        "stopRunningSchedule",
        Family::Schedules,
        Locator::StopSchedule,
    ),
    (
        "resetSchedule",
        Family::Schedules,
        Locator::Selector("scheduleSelector"),
    ),
    (
        "scheduleDryRun",
        Family::Schedules,
        Locator::Selector("selectorData"),
    ),
    (
        "startSensor",
        Family::Sensors,
        Locator::Selector("sensorSelector"),
    ),
    (
        "setSensorCursor",
        Family::Sensors,
        Locator::Selector("sensorSelector"),
    ),
    ("stopSensor", Family::Sensors, Locator::StopSensor),
    (
        "resetSensor",
        Family::Sensors,
        Locator::Selector("sensorSelector"),
    ),
    (
        "sensorDryRun",
        Family::Sensors,
        Locator::Selector("selectorData"),
    ),
    ("wipeAssets", Family::Assets, Locator::AssetRanges),
    (
        "reportRunlessAssetEvents",
        Family::Assets,
        Locator::EventParamsAsset,
    ),
    (
        "reportAssetCheckEvaluations",
        Family::Assets,
        Locator::EventParamsAsset,
    ),
    (
        "reloadRepositoryLocation",
        Family::CodeLocations,
        Locator::LocationName("repositoryLocationName"),
    ),
    (
        "shutdownRepositoryLocation",
        Family::CodeLocations,
        Locator::LocationName("repositoryLocationName"),
    ),
    (
        "addDynamicPartition",
        Family::DynamicPartitions,
        Locator::Selector("repositorySelector"),
    ),
    (
        "deleteDynamicPartitions",
        Family::DynamicPartitions,
        Locator::Selector("repositorySelector"),
    ),
    (
        "setAppManagedComponent",
        Family::Components,
        Locator::LocationName("locationName"),
    ),
    (
        "deleteAppManagedComponent",
        Family::Components,
        Locator::LocationName("locationName"),
    ),
    (
        "refreshComponentState",
        Family::Components,
        Locator::LocationName("locationName"),
    ),
    ("reloadWorkspace", Family::Workspace, Locator::Workspace),
    (
        "setAutoMaterializePaused",
        Family::Workspace,
        Locator::Workspace,
    ),
    ("setConcurrencyLimit", Family::Workspace, Locator::Workspace),
    (
        "deleteConcurrencyLimit",
        Family::Workspace,
        Locator::Workspace,
    ),
    (
        "freeConcurrencySlotsForRun",
        Family::Workspace,
        Locator::Workspace,
    ),
    (
        "freeConcurrencySlots",
        Family::Workspace,
        Locator::Workspace,
    ),
    ("logTelemetry", Family::UiState, Locator::Anywhere),
    ("setNuxSeen", Family::UiState, Locator::Anywhere),
];

/// The names of every mutation the classifier knows.
#[cfg(test)]
pub(crate) fn known_mutations() -> impl Iterator<Item = &'static str> {
    MUTATIONS.iter().map(|(name, _, _)| *name)
}

/// Classifies a request: the chosen operation's kind and, for a mutation, what each of its
/// top-level fields demands.
pub(crate) fn classify(req: &GraphqlRequest) -> Result<Classified, Refused> {
    let doc = async_graphql_parser::parse_query(&req.query)
        .map_err(|e| Refused::Syntax(e.to_string()))?;
    let (name, op) = choose_operation(&doc, req.operation_name.as_deref())?;
    let kind = match op.node.ty {
        OperationType::Query => OperationKind::Query,
        OperationType::Mutation => OperationKind::Mutation,
        OperationType::Subscription => OperationKind::Subscription,
    };
    let mut demands = Vec::new();
    if kind == OperationKind::Mutation {
        let mut fields = Vec::new();
        top_level_fields(
            &doc,
            &op.node.selection_set,
            &mut HashSet::new(),
            &mut fields,
        )?;
        for field in fields {
            if field.name.node.as_str() == "__typename" {
                continue;
            }
            demands.push(demand(req, &op.node, field)?);
        }
    }
    Ok(Classified {
        kind,
        operation_name: name,
        demands,
    })
}

/// graphql-core's `get_operation_ast` rule: with a name, the operation of that name (an
/// anonymous one never matches); without, the only operation of the document.
fn choose_operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<String>, &'d Positioned<OperationDefinition>), Refused> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Ok((None, op)),
        (DocumentOperations::Single(_), Some(n)) => Err(Refused::Operation(format!(
            "the document has no operation named `{n}`"
        ))),
        (DocumentOperations::Multiple(ops), Some(n)) => ops
            .get(&Name::new(n))
            .map(|op| (Some(n.to_string()), op))
            .ok_or_else(|| {
                Refused::Operation(format!("the document has no operation named `{n}`"))
            }),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            let (n, op) = ops.iter().next().expect("one operation");
            Ok((Some(n.to_string()), op))
        }
        (DocumentOperations::Multiple(_), None) => Err(Refused::Operation(
            "the document has several operations and the request names none (operationName)".into(),
        )),
    }
}

/// Every field at the top of `set`, looking through fragment spreads and inline fragments
/// (their directives and type conditions are ignored: a field that might run counts).
fn top_level_fields<'d>(
    doc: &'d ExecutableDocument,
    set: &'d Positioned<SelectionSet>,
    seen: &mut HashSet<&'d str>,
    out: &mut Vec<&'d async_graphql_parser::types::Field>,
) -> Result<(), Refused> {
    for item in &set.node.items {
        match &item.node {
            Selection::Field(f) => out.push(&f.node),
            Selection::InlineFragment(inline) => {
                top_level_fields(doc, &inline.node.selection_set, seen, out)?;
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                let fragment = doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .ok_or_else(|| Refused::UnknownFragment(name.to_string()))?;
                // A fragment spread twice (or in a cycle, which the server rejects) is walked once.
                if seen.insert(name) {
                    top_level_fields(doc, &fragment.node.selection_set, seen, out)?;
                }
            }
        }
    }
    Ok(())
}

/// The arguments of a field as JSON, with variables substituted (a variable the request
/// does not give takes its default, else null).
fn arguments(
    req: &GraphqlRequest,
    op: &OperationDefinition,
    field: &async_graphql_parser::types::Field,
) -> Result<serde_json::Map<String, Value>, Refused> {
    let mut out = serde_json::Map::new();
    for (name, value) in &field.arguments {
        let value = value.node.clone().into_const_with(|var: Name| {
            if let Some(v) = req.variables.get(var.as_str()) {
                return ConstValue::from_json(v.clone()).map_err(|_| ());
            }
            Ok(op
                .variable_definitions
                .iter()
                .find(|d| d.node.name.node == var)
                .and_then(|d| d.node.default_value.as_ref())
                .map(|d| d.node.clone())
                .unwrap_or(ConstValue::Null))
        });
        let json = value
            .ok()
            .and_then(|v| v.into_json().ok())
            .unwrap_or(Value::Null);
        if out.insert(name.node.to_string(), json).is_some() {
            return Err(Refused::DuplicateArgument(format!(
                "argument `{}` of `{}`",
                name.node, field.name.node
            )));
        }
    }
    Ok(out)
}

fn demand(
    req: &GraphqlRequest,
    op: &OperationDefinition,
    field: &async_graphql_parser::types::Field,
) -> Result<Demand, Refused> {
    let mutation = field.name.node.to_string();
    let (_, family, locator) = MUTATIONS
        .iter()
        .find(|(name, _, _)| *name == mutation)
        .ok_or_else(|| Refused::UnknownMutation(mutation.clone()))?;
    let args = arguments(req, op, field)?;
    let scope = match locator {
        Locator::Workspace => Scope::Workspace,
        Locator::Anywhere => Scope::Anywhere,
        other => {
            let mut targets = Vec::new();
            match locate(*other, &args, &mut targets) {
                Ok(()) if !targets.is_empty() => {
                    dedup(&mut targets);
                    Scope::Targets(targets)
                }
                Ok(()) => Scope::Undeterminable("its arguments name no code location".into()),
                Err(why) => Scope::Undeterminable(why),
            }
        }
    };
    Ok(Demand {
        field: field
            .alias
            .as_ref()
            .map_or_else(|| mutation.clone(), |a| a.node.to_string()),
        mutation,
        family: *family,
        scope,
    })
}

fn dedup(targets: &mut Vec<Target>) {
    let mut seen = HashSet::new();
    targets.retain(|t| seen.insert(t.clone()));
}

/// GraphQL input coercion for a list: null is empty, a single value is a list of one.
fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

/// A String or ID input (an ID may be written as an integer).
fn id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn get<'v>(v: Option<&'v Value>, key: &str) -> Option<&'v Value> {
    v?.as_object()?.get(key)
}

fn asset_key(v: Option<&Value>) -> Result<Vec<String>, String> {
    let parts = as_list(get(v, "path"));
    if parts.is_empty() {
        return Err("an asset key without a path".into());
    }
    parts
        .into_iter()
        .map(|p| p.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| "an asset key whose path is not strings".into())
}

fn location_of_selector(v: Option<&Value>, what: &str) -> Result<Target, String> {
    match get(v, "repositoryLocationName") {
        Some(Value::String(s)) => Ok(Target::Location(s.clone())),
        _ => Err(format!("`{what}` gives no repositoryLocationName")),
    }
}

/// The remote origin id a stop mutation acts on, as the server derives it: from `id`
/// (`ORIGIN::SELECTOR`), else from an origin argument that is itself such a compound id,
/// else the origin argument as it is.
fn origin_id(args: &serde_json::Map<String, Value>, origin_arg: &str) -> Option<String> {
    let compound = |s: &str| {
        let parts: Vec<&str> = s.split("::").collect();
        (parts.len() == 2).then(|| parts[0].to_string())
    };
    if let Some(id) = id(args.get("id")).filter(|s| !s.is_empty()) {
        return compound(&id);
    }
    let origin = id(args.get(origin_arg)).filter(|s| !s.is_empty())?;
    Some(compound(&origin).unwrap_or(origin))
}

fn locate(
    locator: Locator,
    args: &serde_json::Map<String, Value>,
    out: &mut Vec<Target>,
) -> Result<(), String> {
    match locator {
        Locator::ExecutionParams(arg) => {
            out.push(location_of_selector(get(args.get(arg), "selector"), arg)?);
        }
        Locator::ExecutionParamsList(arg) => {
            for params in as_list(args.get(arg)) {
                out.push(location_of_selector(get(Some(params), "selector"), arg)?);
            }
        }
        Locator::RunReexecution => {
            // The server uses executionParams when given, else the parent run; both count.
            if let Some(params) = args.get("executionParams").filter(|v| !v.is_null()) {
                out.push(location_of_selector(
                    get(Some(params), "selector"),
                    "executionParams",
                )?);
            }
            if let Some(params) = args.get("reexecutionParams").filter(|v| !v.is_null()) {
                let run = id(get(Some(params), "parentRunId"))
                    .ok_or("`reexecutionParams` gives no parentRunId")?;
                out.push(Target::Run(run));
            }
        }
        Locator::RunId(arg) => {
            out.push(Target::Run(id(args.get(arg)).ok_or(format!("no `{arg}`"))?));
        }
        Locator::RunIds(arg) => {
            for run in as_list(args.get(arg)) {
                out.push(Target::Run(
                    id(Some(run)).ok_or(format!("a `{arg}` entry is not an id"))?,
                ));
            }
        }
        Locator::BackfillParams => {
            let params = args.get("backfillParams");
            if let Some(selector) = get(params, "selector").filter(|v| !v.is_null()) {
                out.push(location_of_selector(
                    get(Some(selector), "repositorySelector"),
                    "backfillParams.selector",
                )?);
            }
            for key in as_list(get(params, "assetSelection")) {
                out.push(Target::Asset(asset_key(Some(key))?));
            }
            for item in as_list(get(params, "partitionsByAssets")) {
                out.push(Target::Asset(asset_key(get(Some(item), "assetKey"))?));
            }
        }
        Locator::BackfillId(arg) => {
            out.push(Target::Backfill(
                id(args.get(arg)).ok_or(format!("no `{arg}`"))?,
            ));
        }
        Locator::BackfillReexecution => {
            let backfill = id(get(args.get("reexecutionParams"), "parentRunId"))
                .ok_or("`reexecutionParams` gives no parentRunId")?;
            out.push(Target::Backfill(backfill));
        }
        Locator::Selector(arg) => out.push(location_of_selector(args.get(arg), arg)?),
        Locator::StopSchedule => out.push(Target::Schedule(
            origin_id(args, "scheduleOriginId").ok_or("no schedule id")?,
        )),
        Locator::StopSensor => out.push(Target::Sensor(
            origin_id(args, "jobOriginId").ok_or("no sensor id")?,
        )),
        Locator::LocationName(arg) => match args.get(arg) {
            Some(Value::String(s)) => out.push(Target::Location(s.clone())),
            _ => return Err(format!("no `{arg}`")),
        },
        Locator::AssetRanges => {
            for range in as_list(args.get("assetPartitionRanges")) {
                out.push(Target::Asset(asset_key(get(Some(range), "assetKey"))?));
            }
        }
        Locator::EventParamsAsset => {
            out.push(Target::Asset(asset_key(get(
                args.get("eventParams"),
                "assetKey",
            ))?));
        }
        Locator::Workspace | Locator::Anywhere => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
