//! The load every definitions command starts with: the core load layer with progress on a
//! terminal, then what the user should hear about it; and the failed locations as the
//! command's error.

use super::{Ctx, RefreshFlag};
use crate::error::Result;

/// Loads the workspace through the core load layer, with live progress on a terminal unless
/// `quiet` (JSON on stdout), then tells the user how the load went.
pub(super) fn load(
    ctx: &Ctx,
    which: crate::workspace::Which,
    refresh: RefreshFlag,
    quiet: bool,
) -> Result<crate::workspace::Loaded> {
    load_with(ctx, which, refresh, quiet, None)
}

/// [`load`], reading locations whose environment is missing from `saved` (`--state`).
pub(super) fn load_with(
    ctx: &Ctx,
    which: crate::workspace::Which,
    refresh: RefreshFlag,
    quiet: bool,
    saved: Option<&dyn crate::workspace::SavedManifests>,
) -> Result<crate::workspace::Loaded> {
    let request = crate::workspace::LoadRequest {
        refresh: refresh.refresh,
        which,
        saved,
    };
    let progress = crate::render::progress::LoadProgress::new(&ctx.printer, !quiet);
    let loaded = crate::workspace::load(&ctx.settings, request, &progress)?;
    drop(progress);
    crate::render::progress::report_load(&ctx.printer, &loaded);
    Ok(loaded)
}

/// The locations that failed to load, as the command's error (the others were listed).
pub(super) fn failures(ctx: &Ctx, loaded: &crate::workspace::Loaded) -> Result<()> {
    if loaded.failures.is_empty() {
        Ok(())
    } else {
        Err(crate::render::errors::location_failures(
            &loaded.failures,
            ctx.settings.verbose,
        ))
    }
}
