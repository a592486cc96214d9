//! `dg list ...` handlers.

use super::{Ctx, JsonFlag, ListCommand};
use crate::error::Result;

pub(super) fn run(ctx: &Ctx, cmd: &ListCommand) -> Result<()> {
    match cmd {
        ListCommand::Projects(flags) => projects(ctx, *flags),
        ListCommand::Defs(args) => super::defs::run_defs(ctx, args),
        ListCommand::Assets(args) => super::defs::run_assets(ctx, args),
    }
}

/// Real dg prints every project of the workspace, one relative path per line, even when run
/// from inside one project; a standalone project prints `.`.
fn projects(ctx: &Ctx, flags: JsonFlag) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    if flags.json {
        ctx.printer.json(&crate::render::projects::json(&ws));
    } else if !ws.projects.is_empty() {
        ctx.printer.out(&crate::render::projects::text(&ws));
    }
    Ok(())
}
