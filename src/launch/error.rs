//! Why a launch cannot be planned or started (before any step runs). The words a user reads
//! and the exit code are chosen in `error.rs`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LaunchError {
    #[error("no project for location `{0}`")]
    NoProject(String),
    #[error("the interpreter of location `{location}` does not exist: {}", path.display())]
    MissingInterpreter {
        location: String,
        path: PathBuf,
        project: String,
    },
    #[error("could not create a temporary folder: {0}")]
    TempDir(std::io::Error),
    #[error("the selection `{0}` matched no assets")]
    NothingSelected(String),
    #[error(
        "the selection `{text}` matched only external assets ({keys}), which no location can materialize"
    )]
    OnlyExternal { text: String, keys: String },
    #[error("the asset graph has a cycle through {0}")]
    Cycle(String),
    #[error("--partition was given, but none of the selected assets is partitioned")]
    PartitionNotApplicable,
    #[error("the selection includes partitioned assets ({0}), but no --partition was given")]
    PartitionMissing(String),
    #[error("no location is named `{name}`")]
    NoSuchLocation { name: String, locations: String },
    #[error("location `{location}` defines no job named `{job}`")]
    JobNotInLocation {
        location: String,
        job: String,
        jobs: String,
    },
    #[error("no location defines a job named `{job}`")]
    NoSuchJob { job: String, jobs: String },
    #[error("several locations define a job named `{job}`: {locations}")]
    AmbiguousJob { job: String, locations: String },
    #[error("--config-json is not valid JSON: {0}")]
    ConfigJson(String),
    #[error("--config-json must be a JSON object")]
    ConfigJsonNotObject,
    #[error("could not read {}: {source}", path.display())]
    ConfigUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid YAML: {message}", path.display())]
    ConfigYaml { path: PathBuf, message: String },
    #[error("{} must contain a mapping of run config", .0.display())]
    ConfigNotMapping(PathBuf),
    #[error("run config for {0} matches no step of this launch")]
    ConfigUnused(String),
    /// The plan may need what a location that failed to load defines; reported with those
    /// failures.
    #[error(
        "cannot launch: the plan depends on {keys} that no loaded location defines, and {broken} failed to load"
    )]
    DependsOnFailedLocations {
        keys: String,
        broken: String,
        failures: Vec<crate::manifest::extract::LocationFailure>,
        verbose: bool,
    },
}
