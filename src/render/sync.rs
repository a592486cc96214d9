//! `dg sync` output: one line per project (what was done, where, how long, with what, and
//! why that Python), or the JSON report.

use crate::error::Problem;
use crate::python::env::{SyncAction, SyncReport};
use std::path::Path;

pub(crate) fn line(r: &SyncReport, cwd: &Path) -> String {
    let python = r.python_version.as_deref().unwrap_or("?");
    let verb = match r.action {
        SyncAction::UpToDate => return format!("{}: up to date (Python {python})", r.project),
        SyncAction::Created => "created",
        SyncAction::Recreated => "recreated",
        SyncAction::Updated => "updated",
    };
    format!(
        "{}: {verb} {} in {:.1} s with {}; {}",
        r.project,
        crate::path::display(&r.venv, cwd),
        r.seconds,
        r.installer
            .map(|i| format!("{i:?}").to_lowercase())
            .unwrap_or_default(),
        r.reason
    )
}

pub(crate) fn json(reports: &[SyncReport], problems: &[Problem]) -> serde_json::Value {
    serde_json::json!({
        "projects": reports,
        "errors": problems
            .iter()
            .map(|p| serde_json::json!({"message": p.message, "hint": p.hint}))
            .collect::<Vec<_>>(),
    })
}
