//! The comparison flags (`--base`, `--head`, `--state`) that `dg list defs`, `dg check`,
//! `dg graph` and `dg launch` share with `dg affected`, so `changed_in_branch:` works in
//! their selections and a saved state stands in for missing environments. Flags and their
//! wiring only: the comparison itself is `affected::changes` and `affected::compute`.

use super::{Ctx, RefreshFlag};
use crate::affected::{self, Request, state::State};
use crate::error::Result;
use crate::graph::changes::BranchChanges;
use crate::graph::{NodeId, selection};
use crate::workspace::{Loaded, SavedManifests, Which};
use clap::Args;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The flags that make `changed_in_branch:` work in a command's selection, and let a saved
/// state stand in for locations whose environment is missing.
#[derive(Debug, Args, Clone, Default)]
pub(super) struct CompareArgs {
    /// For `changed_in_branch:`: compare with this branch or commit (from the merge base)
    #[arg(long, value_name = "REF")]
    pub(super) base: Option<String>,
    /// The head of the --base comparison [default: HEAD]
    #[arg(long, value_name = "REF", requires = "base")]
    pub(super) head: Option<String>,
    /// A saved state (`dg state export`): read locations whose environment is missing from
    /// it (and compare with it for `changed_in_branch:`)
    #[arg(long, value_name = "DIR")]
    pub(super) state: Option<PathBuf>,
}

impl CompareArgs {
    fn read_state(&self) -> Result<Option<State>> {
        Ok(self
            .state
            .as_deref()
            .map(affected::state::read)
            .transpose()?)
    }
}

/// The git program on the settings' PATH.
pub(super) fn git(ctx: &Ctx) -> Option<PathBuf> {
    which::which_in("git", ctx.settings.path.as_ref(), &ctx.settings.cwd).ok()
}

/// Loads the workspace, a location without environment read from `--state` when given.
pub(super) fn load(
    ctx: &Ctx,
    which: Which,
    refresh: RefreshFlag,
    quiet: bool,
    compare: &CompareArgs,
) -> Result<(Loaded, Option<State>)> {
    let state = compare.read_state()?;
    let saved = state.as_ref().map(|s| s as &dyn SavedManifests);
    let loaded = super::load_with(ctx, which, refresh, quiet, saved)?;
    Ok((loaded, state))
}

/// What changed in the branch, for `changed_in_branch:` in `text`: worked out only when the
/// selection uses it and there is something to compare with (else the selection says what
/// is missing).
pub(super) fn branch_changes(
    ctx: &Ctx,
    loaded: &Loaded,
    text: &str,
    compare: &CompareArgs,
    state: Option<&State>,
) -> Result<Option<BranchChanges>> {
    let uses = selection::parse_union(text).is_ok_and(|s| s.uses_changes());
    if !uses || (compare.base.is_none() && state.is_none()) {
        return Ok(None);
    }
    let req = Request {
        base: compare.base.clone(),
        head: compare.head.clone(),
        git: git(ctx),
        ..Request::default()
    };
    let changes = affected::changes(&loaded.ws, &req, state)?;
    Ok(Some(
        affected::compute(&loaded.ws, &loaded.graph, &changes, state).changes,
    ))
}

/// The selection `text`, with `changed_in_branch:` answered from the comparison flags.
pub(super) fn select(
    ctx: &Ctx,
    loaded: &Loaded,
    text: &str,
    compare: &CompareArgs,
    state: Option<&State>,
) -> Result<BTreeSet<NodeId>> {
    let changes = branch_changes(ctx, loaded, text, compare, state)?;
    Ok(crate::graph::select_with_changes(
        &loaded.graph,
        text,
        changes.as_ref(),
    )?)
}
