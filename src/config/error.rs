//! What can be wrong with a workspace's configuration. What the user reads for each is
//! decided in `render::errors`.

use crate::diagnostic::Problem;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Problems in the configuration files, each at its place when it has one.
    #[error("{}", .0.first().map_or("invalid configuration", |p| p.message.as_str()))]
    Invalid(Vec<Problem>),
    #[error("the target path {} cannot be used: {source}", path.display())]
    TargetPath {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A project folder inside a workspace that does not list it; `listed_as` is the path
    /// a `[[workspace.projects]]` entry would give.
    #[error(
        "{} is a dg project inside the workspace at {}, but the workspace does not list it",
        dir.display(),
        root.display()
    )]
    Unlisted {
        dir: PathBuf,
        root: PathBuf,
        workspace_file: PathBuf,
        listed_as: String,
    },
    #[error(
        "no dg workspace or project found in {} or any parent directory",
        target.display()
    )]
    NotFound { target: PathBuf },
}

pub type Result<T, E = ConfigError> = std::result::Result<T, E>;
