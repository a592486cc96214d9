//! The manifest: what one code location defines, as the embedded introspection script
//! (`python/introspect.py`) reports it. This is the contract between the Python side and
//! the Rust side; bump [`MANIFEST_VERSION`] on any incompatible change (the cache key
//! includes it, so old cache entries are simply re-extracted).

pub(crate) use super::extract::FailureKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON the introspection script writes.
pub const MANIFEST_VERSION: u32 = 1;

/// An asset key as its parts (`["reports", "regional_report"]`).
pub type KeyParts = Vec<String>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub location: LocationInfo,
    #[serde(default)]
    pub assets: Vec<AssetDef>,
    #[serde(default)]
    pub asset_checks: Vec<AssetCheckDef>,
    #[serde(default)]
    pub jobs: Vec<JobDef>,
    #[serde(default)]
    pub schedules: Vec<ScheduleDef>,
    #[serde(default)]
    pub sensors: Vec<SensorDef>,
    #[serde(default)]
    pub resources: Vec<ResourceDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationInfo {
    /// The code location name (`code_location_name`, the project directory name by default).
    pub name: String,
    /// The module Dagster loads (`code_location_target_module`).
    pub module: String,
    /// The interpreter that produced this manifest (`sys.executable`).
    pub python_executable: String,
    pub python_version: String,
    pub dagster_version: String,
    /// Wall time of import + definitions build inside Python, in seconds.
    pub extraction_seconds: f64,
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetDef {
    pub key: KeyParts,
    #[serde(default)]
    pub deps: Vec<KeyParts>,
    pub group_name: Option<String>,
    /// Sorted.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// As Dagster stores them: `team:name` or an email address.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Without the `dagster/kind/*` tags (those are `kinds`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
    pub is_executable: bool,
    pub partitions: Option<PartitionsInfo>,
    pub automation_condition: Option<AutomationConditionInfo>,
    pub code_version: Option<String>,
    /// Where the asset is defined, when known.
    pub source: Option<SourceLocation>,
    /// What real `dg list defs --json` prints as `source` (only set when the asset carries
    /// `dagster/code_references` metadata, exactly as real dg does).
    pub dg_source: Option<String>,
    /// A short digest of each metadata value (Dagster's serialized form), by key: enough to
    /// tell that metadata changed (a saved-state comparison), not to show it. Code
    /// references are left out (they hold absolute paths that differ between checkouts).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Digests of the explicit partition mappings to upstream keys (`/`-joined).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partition_mappings: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionsInfo {
    /// The Python class name, e.g. `StaticPartitionsDefinition`, `DailyPartitionsDefinition`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Number of partition keys now, when it can be computed without an instance.
    pub num_keys: Option<u64>,
    /// Up to five keys, first ones.
    #[serde(default)]
    pub sample_keys: Vec<String>,
    /// A digest of the definition itself (not of its keys today: a daily definition keeps
    /// its identity as days pass), to tell when it changed.
    #[serde(default)]
    pub identity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationConditionInfo {
    pub label: Option<String>,
    #[serde(default)]
    pub expanded_label: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceLocation {
    /// Relative to the project root when the file is inside it, else absolute.
    pub file: String,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetCheckDef {
    pub asset_key: KeyParts,
    pub name: String,
    /// Sorted; includes the checked asset itself, as real dg reports it.
    #[serde(default)]
    pub additional_deps: Vec<KeyParts>,
    pub description: Option<String>,
    #[serde(default)]
    pub blocking: bool,
    pub dg_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDef {
    pub name: String,
    pub description: Option<String>,
    /// Assets the job materializes (empty for op jobs).
    #[serde(default)]
    pub asset_keys: Vec<KeyParts>,
    pub dg_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleDef {
    pub name: String,
    /// Several crons are joined with `, ` as real dg does.
    pub cron_schedule: String,
    pub job_name: Option<String>,
    pub dg_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorDef {
    pub name: String,
    #[serde(default)]
    pub job_names: Vec<String>,
    pub dg_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceDef {
    pub name: String,
    /// Python class path, e.g. `data_engineering.defs.resources.WarehouseResource`.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// What the script writes instead of a manifest when the location cannot be loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadFailure {
    pub manifest_version: u32,
    pub error: LoadError,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadError {
    /// `import_error`, `syntax_error`, `no_definitions`, `definitions_error`, `dagster_missing`
    /// (anything else the script may say is read as a crash).
    pub kind: FailureKind,
    /// One line: the exception type and message.
    pub message: String,
    /// The last frames of the traceback, user frames only where possible.
    pub traceback_tail: String,
}
