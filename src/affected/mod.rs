//! `dg affected` and saved state for CI: which files changed (a git range, uncommitted edits,
//! an explicit list, or a comparison with a saved state), which locations own them, which
//! assets they define or the whole location depends on, and everything downstream of those
//! in the one graph, across locations, each with the reason.
//!
//! Never a silent "everything": a missing merge base (a shallow clone) is an error with the
//! fix, and treating everything as affected happens only when asked (`--fallback all`).
//!
//! Data flow: [`git`] or [`state`] → changed paths and the base's projects → [`analyze`] on
//! the head [`AssetGraph`](crate::graph::AssetGraph), with [`diff`] adding the definition
//! changes a saved state reveals.

pub mod analyze;
pub mod diff;
pub mod git;
pub mod projects;
pub mod state;

use std::path::PathBuf;

/// What can go wrong while working out what changed.
#[derive(Debug, thiserror::Error)]
pub enum AffectedError {
    #[error("{dir} is not inside a git repository")]
    NotARepository { dir: PathBuf },
    #[error("could not run git: {message}")]
    GitMissing { message: String },
    #[error("unknown git revision `{rev}`{}", if *shallow { " (the clone is shallow)" } else { "" })]
    UnknownRevision { rev: String, shallow: bool },
    #[error(
        "`{base}` and `{head}` have no merge base{}",
        if *shallow { ": the clone is shallow, so their common history is missing" }
        else { ": they share no history" }
    )]
    NoMergeBase {
        base: String,
        head: String,
        shallow: bool,
    },
    #[error("`git {args}` failed: {stderr}")]
    Git { args: String, stderr: String },
    #[error("--uncommitted compares the working tree with HEAD; it cannot be combined with --head")]
    UncommittedWithHead,
    #[error("no saved state in {dir}: {why}")]
    StateMissing { dir: PathBuf, why: String },
    #[error("the saved state file {file} is unreadable: {message}")]
    StateUnreadable { file: PathBuf, message: String },
    #[error("the saved state in {dir} has version {found}; this dg-rs reads version {expected}")]
    StateVersion {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "{dir} exists and is not a saved state of dg-rs (no state.json); refusing to write into it"
    )]
    StateTargetNotEmpty { dir: PathBuf },
    #[error("could not {action} {path}: {message}")]
    Io {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
}

impl AffectedError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, e: &std::io::Error) -> Self {
        AffectedError::Io {
            action,
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            AffectedError::NotARepository { .. } => {
                "run inside a git checkout, or name the changed files with --files (or compare \
                 with a saved state: --state DIR)"
                    .into()
            }
            AffectedError::GitMissing { .. } => "install git, or pass --files".into(),
            AffectedError::UnknownRevision { shallow: true, .. }
            | AffectedError::NoMergeBase { shallow: true, .. } => {
                "fetch the whole history: in GitHub Actions set `fetch-depth: 0` on \
                 actions/checkout (elsewhere `git fetch --unshallow origin`); or pass \
                 `--fallback all` to treat everything as affected"
                    .into()
            }
            AffectedError::UnknownRevision { rev, .. } => format!(
                "check the name, or fetch it first (`git fetch origin {}`)",
                rev.strip_prefix("origin/").unwrap_or(rev)
            ),
            AffectedError::NoMergeBase { .. } => {
                "compare with a branch that shares history with HEAD, or pass `--fallback all` \
                 to treat everything as affected"
                    .into()
            }
            AffectedError::Git { .. } => return None,
            AffectedError::UncommittedWithHead => {
                "drop --head (it defaults to HEAD) to include uncommitted edits".into()
            }
            AffectedError::StateMissing { .. } => {
                "write one with `dg state export --output DIR` (on the main branch, kept as a \
                 CI artifact or cache)"
                    .into()
            }
            AffectedError::StateUnreadable { .. } | AffectedError::StateVersion { .. } => {
                "export the state again with this dg-rs (`dg state export --output DIR`)".into()
            }
            AffectedError::StateTargetNotEmpty { .. } => {
                "pass a new folder, or an earlier export's folder, to --output".into()
            }
            AffectedError::Io { .. } => return None,
        })
    }

    /// Bad input or environment (exit 2) rather than a failed check.
    pub fn is_usage(&self) -> bool {
        !matches!(self, AffectedError::Git { .. })
    }
}
