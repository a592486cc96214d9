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
#[derive(Debug, Clone, thiserror::Error)]
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

use crate::config::Workspace;
use crate::graph::AssetGraph;
use analyze::{Affected, Input};
use git::Repo;
use projects::ProjectChanges;
use state::State;

/// What to compare, as the command line gave it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub base: Option<String>,
    pub head: Option<String>,
    pub uncommitted: bool,
    /// Exactly these files (relative to the workspace root), instead of asking git.
    pub files: Option<Vec<String>>,
    /// Treat everything as affected when the comparison cannot be made, instead of failing.
    pub fallback_all: bool,
    /// The git program (found on the settings' PATH); `None` when there is none.
    pub git: Option<PathBuf>,
}

impl Request {
    /// Whether the request names anything to compare with (besides a state).
    pub fn compares(&self) -> bool {
        self.base.is_some() || self.uncommitted || self.files.is_some()
    }
}

/// The changed files and projects of a comparison, and where they came from.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub range: Option<git::GitRange>,
    pub uncommitted: bool,
    /// Relative to the workspace root, sorted.
    pub files: Vec<String>,
    pub projects: ProjectChanges,
    /// Why the comparison fell back to "everything" (only with `--fallback all`).
    pub fallback: Option<String>,
}

/// Works out which files changed: exactly `--files`; or git (merge base of base and head,
/// uncommitted edits); or, with only a saved state, the files whose hashes differ from it.
pub fn changes(
    ws: &Workspace,
    req: &Request,
    state: Option<&State>,
) -> Result<Changes, AffectedError> {
    let mut out = Changes::default();
    if let Some(files) = &req.files {
        out.files = files.clone();
        out.files.sort();
        out.files.dedup();
    } else if req.base.is_some() || req.uncommitted {
        let git = req
            .git
            .as_deref()
            .ok_or_else(|| AffectedError::GitMissing {
                message: "git is not on PATH".into(),
            })?;
        if req.uncommitted && req.head.is_some() {
            return Err(AffectedError::UncommittedWithHead);
        }
        let repo = Repo::open(&ws.root, git);
        let git_changes = req
            .base
            .as_deref()
            .map(|b| git::range(&repo, b, req.head.as_deref()))
            .transpose()
            .and_then(|range| {
                // The diff and the base's workspace file are independent: one wait, not two.
                let (files, base) = std::thread::scope(|s| {
                    let base = s.spawn(|| match &range {
                        Some(r) => projects::from_git(&repo, &r.merge_base, ws),
                        None => Ok(projects::BaseWorkspace::default()),
                    });
                    let files = git::changed_files(&repo, range.as_ref(), req.uncommitted);
                    let base = base.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                    (files, base)
                });
                Ok((range, files?, base?))
            });
        match git_changes {
            Ok((range, files, base)) => {
                out.range = range;
                out.uncommitted = req.uncommitted;
                out.files = files;
                if let Some(list) = &base.projects {
                    out.projects = projects::compare(ws, list);
                }
                out.projects.listing_only = listing_only(ws, base.settings.as_deref());
            }
            Err(
                e @ (AffectedError::NoMergeBase { .. } | AffectedError::UnknownRevision { .. }),
            ) if req.fallback_all => {
                out.fallback = Some(e.to_string());
                return Ok(out);
            }
            Err(e) => return Err(e),
        }
    } else if let Some(state) = state {
        out.files = state::changed_files(state, &state::current_file_hashes(ws));
    }
    // The state knows the base's projects whenever git did not say.
    if let Some(state) = state
        && req.base.is_none()
    {
        out.projects = projects::compare(ws, &state.base_projects());
        out.projects.listing_only = listing_only(ws, state.workspace_settings.as_deref());
    }
    Ok(out)
}

/// Whether the workspace file differs from the base's only in its list of projects.
fn listing_only(ws: &Workspace, base_settings: Option<&str>) -> bool {
    let head = projects::workspace_file_text(ws)
        .and_then(|(text, in_pyproject)| projects::settings_digest(&text, in_pyproject));
    base_settings.is_some() && head.as_deref() == base_settings
}

/// The affected locations and assets on the head graph.
pub fn compute(
    ws: &Workspace,
    graph: &AssetGraph,
    changes: &Changes,
    state: Option<&State>,
) -> Affected {
    if let Some(why) = &changes.fallback {
        return Affected::everything(ws, graph, why.clone());
    }
    let definitions = state.map(|s| diff::diff(&s.manifests(), graph));
    analyze::analyze(&Input {
        workspace: ws,
        graph,
        files: &changes.files,
        projects: &changes.projects,
        definitions: definitions.as_ref(),
    })
}

/// The answer when some locations may have failed to load (`failed`, their names): with
/// none failed, [`compute`]; else everything, saying why, if `fallback_all`; else `None`
/// (the caller reports the failures: an answer without a location would be wrong).
pub fn answer(
    ws: &Workspace,
    graph: &AssetGraph,
    failed: &[&str],
    changes: &Changes,
    state: Option<&State>,
    fallback_all: bool,
) -> Option<Affected> {
    if failed.is_empty() {
        Some(compute(ws, graph, changes, state))
    } else if fallback_all {
        let why = format!("{} could not be loaded", failed.join(", "));
        Some(Affected::everything(ws, graph, why))
    } else {
        None
    }
}

/// A path the user gave (relative to `cwd`, or absolute) in the workspace-relative,
/// `/`-separated form changed files use (`.` for the root itself); a path outside the
/// workspace keeps its given form (it then belongs to no project). Purely lexical
/// ([`crate::path::normalize`]): a deleted file no longer exists.
pub fn workspace_relative(
    root: &std::path::Path,
    cwd: &std::path::Path,
    given: &std::path::Path,
) -> String {
    let clean = crate::path::normalize(&cwd.join(given));
    match clean.strip_prefix(root) {
        Ok(rel) => crate::path::slash(rel),
        Err(_) => crate::path::slash(given),
    }
}
