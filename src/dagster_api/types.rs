//! The answers of [`super::queries`], typed: location entries and their states, runs and
//! their statuses and events, and the access proxy's lookups. Variants the webserver may
//! add later land in `Other`, so a new Dagster does not break a client.

use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkspaceData {
    pub(crate) workspace_or_error: WorkspaceOrError,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename", rename_all_fields = "camelCase")]
pub(crate) enum WorkspaceOrError {
    Workspace {
        location_entries: Vec<LocationEntry>,
    },
    PythonError {
        #[serde(default)]
        message: String,
    },
    #[serde(other)]
    Other,
}

impl WorkspaceData {
    /// The location entries, or why there are none (the webserver's message).
    pub(crate) fn entries(self) -> Result<Vec<LocationEntry>, String> {
        match self.workspace_or_error {
            WorkspaceOrError::Workspace { location_entries } => Ok(location_entries),
            WorkspaceOrError::PythonError { message } => Err(message),
            WorkspaceOrError::Other => Err("unexpected shape".into()),
        }
    }
}

/// One code location of the webserver's workspace.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LocationEntry {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) load_status: LoadStatus,
    pub(crate) location_or_load_error: Option<LocationOrLoadError>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LoadStatus {
    Loading,
    Loaded,
    #[default]
    #[serde(other)]
    Unknown,
}

impl LoadStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LoadStatus::Loading => "LOADING",
            LoadStatus::Loaded => "LOADED",
            LoadStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "__typename")]
pub(crate) enum LocationOrLoadError {
    RepositoryLocation {
        #[serde(default)]
        repositories: Vec<Repository>,
    },
    PythonError(PythonError),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PythonError {
    #[serde(default)]
    pub(crate) message: String,
    pub(crate) class_name: Option<String>,
    #[serde(default)]
    pub(crate) error_chain: Vec<ErrorChainLink>,
    /// The traceback, a line (with its newline) an entry.
    #[serde(default)]
    pub(crate) stack: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErrorChainLink {
    pub(crate) error: Message,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Message {
    #[serde(default)]
    pub(crate) message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Repository {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) asset_nodes: Vec<IgnoredAny>,
    #[serde(default)]
    pub(crate) schedules: Vec<Instigator>,
    #[serde(default)]
    pub(crate) sensors: Vec<Instigator>,
}

/// A schedule or a sensor; its id is `ORIGIN_ID::SELECTOR_ID`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Instigator {
    pub(crate) id: String,
}

impl Instigator {
    pub(crate) fn origin_id(&self) -> &str {
        self.id.split("::").next().unwrap_or_default()
    }
}

/// What a location entry says of its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LocationState {
    /// Still loading, or not in the workspace yet.
    Loading,
    Loaded {
        assets: usize,
    },
    /// The code server answered with an error (the location's code does not load).
    LoadError {
        message: String,
    },
    /// The webserver could not reach the code server (not started yet, or restarting).
    Unreachable,
}

impl LocationEntry {
    pub(crate) fn state(&self) -> LocationState {
        if self.load_status != LoadStatus::Loaded {
            return LocationState::Loading;
        }
        match &self.location_or_load_error {
            Some(LocationOrLoadError::RepositoryLocation { repositories }) => {
                LocationState::Loaded {
                    assets: repositories.iter().map(|r| r.asset_nodes.len()).sum(),
                }
            }
            Some(LocationOrLoadError::PythonError(e)) => {
                // Dagster wraps the user's error (`DagsterUserCodeLoadError: Error occurred
                // during the loading...`); the innermost cause is what the user needs first.
                let message = e
                    .error_chain
                    .last()
                    .map_or(e.message.as_str(), |link| link.error.message.as_str())
                    .to_string();
                if e.class_name.as_deref() == Some("DagsterUserCodeUnreachableError")
                    || message.contains("DagsterUserCodeUnreachableError")
                    || message.contains("Could not reach user code server")
                {
                    LocationState::Unreachable
                } else {
                    LocationState::LoadError { message }
                }
            }
            Some(LocationOrLoadError::Other) | None => LocationState::Loading,
        }
    }

    /// The repositories of a loaded location (none for a load error).
    pub(crate) fn repositories(&self) -> &[Repository] {
        match &self.location_or_load_error {
            Some(LocationOrLoadError::RepositoryLocation { repositories }) => repositories,
            _ => &[],
        }
    }

    /// The first repository's name, or why the location has none.
    pub(crate) fn repository_name(&self) -> Result<&str, String> {
        if let Some(r) = self.repositories().first() {
            return Ok(&r.name);
        }
        match &self.location_or_load_error {
            Some(LocationOrLoadError::PythonError(e)) => Err(e.message.clone()),
            _ => Err(format!("status {}", self.load_status.as_str())),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReloadData {
    pub(crate) reload_repository_location: ReloadResult,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
pub(crate) enum ReloadResult {
    WorkspaceLocationEntry(LocationEntry),
    PythonError(PythonError),
    #[serde(other)]
    Other,
}

/// Dagster's `DagsterRunStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum RunStatus {
    Queued,
    NotStarted,
    Managed,
    Starting,
    Started,
    Success,
    Failure,
    Canceling,
    Canceled,
    #[serde(other)]
    Unknown,
}

impl RunStatus {
    /// Dagster's name of the status.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "QUEUED",
            RunStatus::NotStarted => "NOT_STARTED",
            RunStatus::Managed => "MANAGED",
            RunStatus::Starting => "STARTING",
            RunStatus::Started => "STARTED",
            RunStatus::Success => "SUCCESS",
            RunStatus::Failure => "FAILURE",
            RunStatus::Canceling => "CANCELING",
            RunStatus::Canceled => "CANCELED",
            RunStatus::Unknown => "UNKNOWN",
        }
    }

    /// The run has ended and will not change again.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Success | RunStatus::Failure | RunStatus::Canceled
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunStatusData {
    pub(crate) run_or_error: RunOrError,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
pub(crate) enum RunOrError {
    Run {
        status: RunStatus,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunEventsData {
    pub(crate) logs_for_run: LogsForRun,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
pub(crate) enum LogsForRun {
    EventConnection {
        #[serde(default)]
        events: Vec<RunEvent>,
    },
    #[serde(other)]
    Other,
}

/// The events of a run dg-rs reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "__typename", rename_all_fields = "camelCase")]
pub(crate) enum RunEvent {
    MaterializationEvent {
        asset_key: AssetKey,
    },
    ExecutionStepFailureEvent {
        step_key: Option<String>,
        error: Option<PythonError>,
    },
    RunFailureEvent {
        message: Option<String>,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AssetKey {
    pub(crate) path: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LaunchData {
    pub(crate) launch_run: LaunchRunResult,
}

/// `launchRun`'s answer: a run, or one of the webserver's refusals.
#[derive(Debug, Deserialize)]
pub(crate) struct LaunchRunResult {
    #[serde(rename = "__typename")]
    pub(crate) typename: String,
    pub(crate) run: Option<RunRef>,
    pub(crate) message: Option<String>,
    pub(crate) errors: Option<Vec<Message>>,
    #[serde(default)]
    pub(crate) stack: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunRef {
    pub(crate) run_id: String,
}

/// A batched lookup's answer: one entry per alias (`r0`, `r1`, ...).
pub(crate) type Batched<T> = BTreeMap<String, T>;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RepositoryOrigin {
    pub(crate) repository_location_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename", rename_all_fields = "camelCase")]
pub(crate) enum LookupRun {
    Run {
        repository_origin: Option<RepositoryOrigin>,
        #[serde(default)]
        asset_selection: Option<Vec<AssetKey>>,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename", rename_all_fields = "camelCase")]
pub(crate) enum LookupBackfill {
    PartitionBackfill {
        #[serde(default)]
        is_asset_backfill: bool,
        partition_set: Option<PartitionSet>,
        #[serde(default)]
        asset_selection: Option<Vec<AssetKey>>,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartitionSet {
    pub(crate) repository_origin: Option<RepositoryOrigin>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
pub(crate) enum LookupAsset {
    AssetNode {
        repository: Option<AssetRepository>,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssetRepository {
    pub(crate) location: Option<NamedLocation>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamedLocation {
    pub(crate) name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(v: serde_json::Value) -> LocationEntry {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn entries_are_told_apart() {
        let loaded = entry(
            json!({"name": "a", "loadStatus": "LOADED", "locationOrLoadError": {"__typename": "RepositoryLocation", "repositories": [{"assetNodes": [{"id": 1}, {"id": 2}]}]}}),
        );
        assert_eq!(loaded.state(), LocationState::Loaded { assets: 2 });
        let broken = entry(
            json!({"name": "a", "loadStatus": "LOADED", "locationOrLoadError": {"__typename": "PythonError", "className": "DagsterUserCodeLoadError", "message": "DagsterUserCodeLoadError: Error occurred during the loading", "errorChain": [{"error": {"message": "ModuleNotFoundError: No module named 'x'\n"}}]}}),
        );
        assert!(
            matches!(broken.state(), LocationState::LoadError { message } if message.contains("No module named"))
        );
        let away = entry(
            json!({"name": "a", "loadStatus": "LOADED", "locationOrLoadError": {"__typename": "PythonError", "className": "DagsterUserCodeUnreachableError", "message": "Could not reach user code server."}}),
        );
        assert_eq!(away.state(), LocationState::Unreachable);
        let loading =
            entry(json!({"name": "a", "loadStatus": "LOADING", "locationOrLoadError": null}));
        assert_eq!(loading.state(), LocationState::Loading);
        assert_eq!(loading.repository_name(), Err("status LOADING".into()));
    }

    #[test]
    fn run_statuses_and_events_of_unknown_kinds_are_kept_apart() {
        let s: RunStatusData = serde_json::from_value(
            json!({"runOrError": {"__typename": "Run", "status": "CANCELING"}}),
        )
        .unwrap();
        assert!(matches!(s.run_or_error, RunOrError::Run { status } if !status.is_terminal()));
        let s: RunStatusData = serde_json::from_value(
            json!({"runOrError": {"__typename": "RunNotFoundError", "message": "no"}}),
        )
        .unwrap();
        assert!(matches!(s.run_or_error, RunOrError::Other));
        let e: Vec<RunEvent> = serde_json::from_value(json!([
            {"__typename": "MaterializationEvent", "assetKey": {"path": ["a", "b"]}},
            {"__typename": "ExecutionStepFailureEvent", "stepKey": "a__b", "error": {"message": "boom", "stack": ["x\n"]}},
            {"__typename": "LogMessageEvent", "message": "hello"},
        ]))
        .unwrap();
        assert!(
            matches!(&e[0], RunEvent::MaterializationEvent { asset_key } if asset_key.path == ["a", "b"])
        );
        assert!(
            matches!(&e[1], RunEvent::ExecutionStepFailureEvent { step_key: Some(k), error: Some(err) } if k == "a__b" && err.stack == ["x\n"])
        );
        assert!(matches!(e[2], RunEvent::Other));
    }
}
