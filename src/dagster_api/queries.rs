//! Every GraphQL document dg-rs sends to a Dagster webserver, each answered by a type of
//! [`super::types`]. Names start with `DgRs` so the webserver's logs tell them apart.

/// The fields of a location entry that tell its state (`dg dev`'s ready report, reloads).
macro_rules! entry_status_fields {
    () => {
        "name loadStatus locationOrLoadError { __typename \
         ... on PythonError { message className errorChain { error { message } } } \
         ... on RepositoryLocation { repositories { assetNodes { id } } } }"
    };
}

/// Every location and its state, with its asset count ([`super::types::WorkspaceData`]).
pub(crate) const LOCATION_STATUSES: &str = concat!(
    "query DgRsLocationStatuses { workspaceOrError { __typename ",
    "... on Workspace { locationEntries { ",
    entry_status_fields!(),
    " } } ... on PythonError { message } } }"
);

/// Reloads location `$n` from its code server ([`super::types::ReloadData`]).
pub(crate) const RELOAD_LOCATION: &str = concat!(
    "mutation DgRsReloadLocation($n: String!) { reloadRepositoryLocation(repositoryLocationName: $n) { ",
    "__typename ... on WorkspaceLocationEntry { ",
    entry_status_fields!(),
    " } ... on PythonError { message } } }"
);

/// Every location and its repositories' names ([`super::types::WorkspaceData`]).
pub(crate) const LOCATION_REPOSITORIES: &str = r#"query DgRsWorkspace {
  workspaceOrError {
    __typename
    ... on Workspace { locationEntries { name loadStatus locationOrLoadError {
      __typename
      ... on RepositoryLocation { repositories { name } }
      ... on PythonError { message }
    } } }
    ... on PythonError { message }
  }
}"#;

/// Every location's schedules and sensors ([`super::types::WorkspaceData`]).
pub(crate) const LOCATION_INSTIGATORS: &str = "query DgRsAccessInstigators { workspaceOrError { \
     __typename ... on Workspace { locationEntries { name locationOrLoadError { __typename \
     ... on RepositoryLocation { repositories { schedules { id } sensors { id } } } } } } } }";

/// Launches a run ([`super::types::LaunchData`]).
pub(crate) const LAUNCH_RUN: &str = r#"mutation DgRsLaunch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"#;

/// A run's status ([`super::types::RunStatusData`]).
pub(crate) const RUN_STATUS: &str = r#"query DgRsRunStatus($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status } ... on PythonError { message } }
}"#;

/// A run's events ([`super::types::RunEventsData`]).
pub(crate) const RUN_EVENTS: &str = r#"query DgRsRunEvents($runId: ID!) {
  logsForRun(runId: $runId, limit: 10000) {
    __typename
    ... on EventConnection { events {
      __typename
      ... on MaterializationEvent { assetKey { path } }
      ... on ExecutionStepFailureEvent { stepKey error { message stack } }
      ... on RunFailureEvent { message }
    } }
  }
}"#;

/// Terminates a run (the answer is not read).
pub(crate) const TERMINATE_RUN: &str = r#"mutation DgRsTerminate($runId: String!) {
  terminateRun(runId: $runId) { __typename }
}"#;

/// The access proxy's lookups: the field each kind of target is looked up by, its argument
/// and type, and the selection of the answer ([`super::types`]' `Lookup*`).
pub(crate) struct Lookup {
    pub(crate) field: &'static str,
    pub(crate) arg: &'static str,
    pub(crate) ty: &'static str,
    pub(crate) selection: &'static str,
}

/// A run's origin, or its assets ([`super::types::LookupRun`]).
pub(crate) const LOOKUP_RUN: Lookup = Lookup {
    field: "runOrError",
    arg: "runId",
    ty: "ID!",
    selection: "{ __typename ... on Run { repositoryOrigin { repositoryLocationName } \
                assetSelection { path } } }",
};

/// A backfill's partition set origin, or its assets ([`super::types::LookupBackfill`]).
pub(crate) const LOOKUP_BACKFILL: Lookup = Lookup {
    field: "partitionBackfillOrError",
    arg: "backfillId",
    ty: "String!",
    selection: "{ __typename ... on PartitionBackfill { isAssetBackfill \
                partitionSet { repositoryOrigin { repositoryLocationName } } assetSelection { path } } }",
};

/// An asset's location ([`super::types::LookupAsset`]).
pub(crate) const LOOKUP_ASSET: Lookup = Lookup {
    field: "assetNodeOrError",
    arg: "assetKey",
    ty: "AssetKeyInput!",
    selection: "{ __typename ... on AssetNode { repository { location { name } } } }",
};

impl Lookup {
    /// One aliased field per id: `query($v0: T!, $v1: T!) { r0: field(arg: $v0) {...} ... }`;
    /// the answer of id `i` is under `r{i}` (see [`alias`]).
    pub(crate) fn batched(&self, n: usize) -> String {
        let vars: Vec<String> = (0..n).map(|i| format!("$v{i}: {}", self.ty)).collect();
        let fields: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "{}: {}({}: $v{i}) {}",
                    alias(i),
                    self.field,
                    self.arg,
                    self.selection
                )
            })
            .collect();
        format!(
            "query DgRsAccessLookup({}) {{ {} }}",
            vars.join(", "),
            fields.join(" ")
        )
    }
}

/// The response key of the `i`th field of a batched lookup.
pub(crate) fn alias(i: usize) -> String {
    format!("r{i}")
}

/// The variables of a batched lookup: `{"v0": items[0], ...}`.
pub(crate) fn batched_variables<T: serde::Serialize>(items: &[T]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (i, item) in items.iter().enumerate() {
        m.insert(format!("v{i}"), serde_json::json!(item));
    }
    serde_json::Value::Object(m)
}
