//! The access module's typed errors; `crate::error` turns them into messages, hints and
//! exit codes.

use super::roles::LaunchVerdict;
use crate::error::Problem;
use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AccessError {
    /// Problems in `dg-rs.toml`, a project's `[tool.dg-rs.access]` or the tokens file.
    #[error("the access policy has problems")]
    Config(Vec<Problem>),
    /// The person may not launch in every location of the plan.
    #[error("launch refused by the access policy")]
    LaunchRefused(Box<LaunchVerdict>),
    /// A command that needs a policy ran in a workspace without an `[access]` table.
    #[error("the workspace has no access policy")]
    NoPolicy { file: std::path::PathBuf },
    #[error("could not listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the access proxy stopped: {0}")]
    Runtime(std::io::Error),
}
